"""
`mapro audit verify --deep`: the state of cases and tasks against the events that vouch for it.

The hash chain protects the events; someone with database access could leave them alone and edit the
state instead (mark a task completed, change a decision or record data, reopen a cancelled case). Each
fact below has an event written in the same transaction, so a difference is a change made outside mapro:
- every case has its `case.started` event with its number;
- every completed task has exactly one `task.completed` event, with the same decision, data and person,
  and every such event's task is completed; every record of a task holds the data that event vouches for;
- a cancelled case has its `case.cancelled` event with the same reason, and only a cancelled case has one;
- a suspended case's last suspend/resume event is its suspension, with the same reason, and an open or
  closed case's is not;
- a closed case has no open task;
- every attachment has its `case.attachment_added` event with the same file name, size and SHA-256.
Cases are read in chunks by primary key; their tasks, records, attachments and events by the case index.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from mapro.cases.models import Attachment, Case, CaseRecord, CaseTask

from .models import AuditEvent
from .services import _canonical

CHUNK = 500
TASK = "cases.CaseTask"


@dataclass(frozen=True)
class StateMismatch:
    case: str  # the case number
    reason: str

    def __str__(self) -> str:
        return f"expediente {self.case}: {self.reason}"


def _chunks() -> Iterator[list[Case]]:
    last = 0
    fields = ("pk", "number", "status", "cancel_reason", "suspend_reason")
    while chunk := list(Case.objects.filter(pk__gt=last).order_by("pk").only(*fields)[:CHUNK]):
        yield chunk
        last = chunk[-1].pk


def audit_state_verify() -> tuple[int, int, list[StateMismatch]]:
    """(cases checked, completed tasks checked, mismatches)."""
    mismatches: list[StateMismatch] = []
    cases = tasks = 0
    for chunk in _chunks():
        ids = [case.pk for case in chunk]
        events: dict[int, list[AuditEvent]] = defaultdict(list)
        rows = AuditEvent.objects.filter(case_id__in=ids).order_by("case_id", "occurred_at", "seq")
        for event in rows.only("case_id", "seq", "action", "object_type", "object_id", "actor_id", "after"):
            events[event.case_id].append(event)
        case_tasks: dict[int, list[CaseTask]] = defaultdict(list)
        for task in CaseTask.objects.filter(case_id__in=ids).only(
            "case_id", "activity", "name", "status", "decision", "data", "completed_by_id"
        ):
            case_tasks[task.case_id].append(task)
        records: dict[int, list[CaseRecord]] = defaultdict(list)
        for record in CaseRecord.objects.filter(case_id__in=ids).only("task_id", "record_id", "data"):
            records[record.task_id].append(record)
        attachments: dict[int, list[Attachment]] = defaultdict(list)
        for attachment in Attachment.objects.filter(case_id__in=ids).only(
            "case_id", "filename", "size", "sha256"
        ):
            attachments[attachment.case_id].append(attachment)
        for case in chunk:
            found = _case_check(case, events[case.pk], case_tasks[case.pk], records, attachments[case.pk])
            mismatches += [StateMismatch(case.number, reason) for reason in found]
            tasks += sum(task.status == CaseTask.Status.COMPLETED for task in case_tasks[case.pk])
        cases += len(chunk)
    return cases, tasks, mismatches


def _case_check(
    case: Case,
    events: list[AuditEvent],
    tasks: list[CaseTask],
    records: dict[int, list[CaseRecord]],
    attachments: list[Attachment],
) -> list[str]:
    found = _lifecycle_check(case, events, tasks)
    completions: dict[str, list[AuditEvent]] = defaultdict(list)
    for event in events:
        if event.action == "task.completed" and event.object_type == TASK:
            completions[event.object_id].append(event)
    for task in tasks:
        found += _task_check(task, completions.pop(str(task.pk), []), records.get(task.pk, []))
    for task_id, lost in completions.items():
        found.append(f"el evento {lost[0].seq} registra completada la tarea {task_id}, que ya no existe")
    added = {
        event.object_id: event.after or {} for event in events if event.action == "case.attachment_added"
    }
    for attachment in attachments:
        vouched = added.get(str(attachment.pk))
        actual = {"filename": attachment.filename, "size": attachment.size, "sha256": attachment.sha256}
        if vouched is None:
            found.append(f"el adjunto {attachment.pk} ({attachment.filename}) no tiene evento de auditoría")
        elif any(vouched.get(key) != value for key, value in actual.items()):
            found.append(
                f"el adjunto {attachment.pk} no es el que registró su evento (nombre, tamaño o SHA-256)"
            )
    return found


def _lifecycle_check(case: Case, events: list[AuditEvent], tasks: list[CaseTask]) -> list[str]:
    found = []
    started = [e for e in events if e.action == "case.started" and e.object_id == str(case.pk)]
    if not started or (started[0].after or {}).get("number") != case.number:
        found.append(
            "no tiene el evento de inicio que registra su número (creado o renumerado fuera de mapro)"
        )
    own = [e for e in events if e.object_id == str(case.pk)]
    cancelled = [e for e in own if e.action == "case.cancelled"]
    if case.status == Case.Status.CANCELLED:
        if not cancelled:
            found.append("figura anulado sin evento de anulación")
        elif (cancelled[-1].after or {}).get("reason") != case.cancel_reason:
            found.append(f"el motivo de anulación no es el del evento {cancelled[-1].seq}")
    elif cancelled:
        found.append(
            f"figura {case.get_status_display().lower()}, pero el evento {cancelled[-1].seq} lo anuló"
        )
    pauses = [e for e in own if e.action in ("case.suspended", "case.resumed")]
    last_pause = pauses[-1] if pauses else None
    if case.status == Case.Status.SUSPENDED:
        if last_pause is None or last_pause.action != "case.suspended":
            found.append("figura suspendido sin evento de suspensión")
        elif (last_pause.after or {}).get("reason") != case.suspend_reason:
            found.append(f"el motivo de suspensión no es el del evento {last_pause.seq}")
    elif (
        case.status in (Case.Status.OPEN, Case.Status.CLOSED)
        and last_pause
        and last_pause.action == "case.suspended"
    ):
        found.append(
            f"figura {case.get_status_display().lower()}, pero el evento {last_pause.seq} lo suspendió"
        )
    if case.status == Case.Status.CLOSED and any(t.status == CaseTask.Status.OPEN for t in tasks):
        found.append("figura concluido con tareas pendientes")
    return found


def _task_check(task: CaseTask, completions: list[AuditEvent], records: list[CaseRecord]) -> list[str]:
    label = f"la tarea {task.pk} (actividad {task.activity})"
    completed = task.status == CaseTask.Status.COMPLETED
    if not completions:
        return [f"{label} figura completada sin evento task.completed"] if completed else []
    event = completions[-1]
    if not completed:
        return [f"{label} figura {task.get_status_display().lower()}, pero el evento {event.seq} la completó"]
    found = []
    if len(completions) > 1:
        found.append(f"{label} tiene {len(completions)} eventos task.completed")
    after: dict[str, Any] = event.after or {}
    if (after.get("decision") or "") != task.decision:
        found.append(f"{label}: la decisión no es la del evento {event.seq}")
    if after.get("data") != _canonical(task.data):
        found.append(f"{label}: los datos no son los del evento {event.seq}")
    if event.actor_id != task.completed_by_id:
        found.append(f"{label}: quien la completó no es quien registra el evento {event.seq}")
    vouched = after.get("data") or {}
    for record in records:
        if _canonical(record.data) != vouched.get(record.record_id):
            found.append(f"{label}: el registro {record.record_id} no es el del evento {event.seq}")
    return found
