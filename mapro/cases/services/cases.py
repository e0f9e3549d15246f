"""
The services that start and advance cases. Each owns its transaction and locks in the one order of
`locking` (parent case, case, task, audit chain head); projections and audit events are written in the same
transaction as the engine step.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from mapro.audit.services import audit_event_record
from mapro.catalogue.definition import Activity, Definition
from mapro.catalogue.definition.schema import FieldType
from mapro.catalogue.models import ProcedureVersion
from mapro.core.errors import ConflictError, InvalidInputError, NotAllowedError, NotFoundError
from mapro.engine import runtime
from mapro.mail import services as mail
from mapro.organization.models import Person
from mapro.organization.selectors import person_role_codes

from ..access import case_may_read
from ..models import Attachment, Case, CaseCounter, CaseRecord, CaseTask, Comment
from ..performers import task_activity, task_performable_by, who_may_act
from ..selectors import VERSION_UNUSED_COLUMNS, case_definition, case_specs, procedure_version_definition
from . import sync
from .conditions import MISSING, case_data_value, guards_evaluate, latest_records
from .describe import case_describe, case_describe_save
from .forms import fields_at, validate_effective_date, validate_fields, validate_inputs, validate_observations
from .lifecycle import cancel_tree
from .locking import case_lock, locked_cases, locked_tasks


@dataclass(frozen=True)
class TaskCompletion:
    """What a completion did: the task, the records it wrote and the case's open tasks after the step."""

    task: CaseTask
    records: list[CaseRecord]
    open_tasks: list[CaseTask]

    @property
    def case(self) -> Case:
        return self.task.case


def _refuse(*, actor: Person, case: Case | None, action: str, message: str) -> NotAllowedError:
    """
    Audit a refusal in its own transaction (the refused change is not made), then return the error. Only
    refusals on a case the actor may read get here (the others are 404), so the event goes to the chain of
    the case's entity, which is the actor's.
    """
    with transaction.atomic():
        audit_event_record(
            chain=case.entity.code if case else actor.entity.code,
            action="permission.denied",
            object_type="cases.Case",
            object_id=str(case.pk) if case else "",
            actor=actor,
            case=case,
            summary=f"{action}: {message}"[:300],
        )
    return NotAllowedError(message)


def _next_number(*, case_entity: Any, year: int) -> str:
    counter, _ = CaseCounter.objects.get_or_create(entity=case_entity, year=year)
    counter = CaseCounter.objects.select_for_update().get(pk=counter.pk)
    counter.last += 1
    counter.save(update_fields=["last"])
    return f"{case_entity.code}-{year}-{counter.last:06d}"


def case_start(
    *,
    procedure_code: str,
    requester: Person,
    inputs: Mapping[str, Any],
    flow: str | None = None,
    parent_task: CaseTask | None = None,
    documents: Mapping[str, Any] | None = None,
) -> Case:
    """
    Open a case (expediente) of the current version of a procedure of the requester's entity.

    A procedure with several independent flows (continuity: apagado, encendido…) needs `flow`, the id of
    the flow this case follows. `documents` are the uploaded files of `file` inputs, by input id: each is
    the input's value (its name) and is stored with the case in the same transaction, or nothing is.
    """
    version = (
        ProcedureVersion.objects.filter(code=procedure_code, is_current=True)
        .select_related("entity")
        .defer(*VERSION_UNUSED_COLUMNS)
        .first()
    )
    if version is None:
        raise NotFoundError(f"No existe el procedimiento {procedure_code}.")
    if parent_task is None and version.entity_id != requester.entity_id:
        raise _refuse(
            actor=requester,
            case=None,
            action="case.start",
            message=f"{procedure_code} es un procedimiento de {version.entity.code}: no puede iniciarlo.",
        )
    definition = procedure_version_definition(version=version)
    _check_flow(definition=definition, flow=flow)
    documents = dict(documents or {})
    _check_documents(definition=definition, documents=documents)
    inputs = {**inputs, **{key: upload.name for key, upload in documents.items()}}
    clean_inputs = (
        validate_inputs(definition.inputs, inputs, flow=flow) if parent_task is None else dict(inputs)
    )
    with transaction.atomic():
        case = _case_create(
            version=version,
            definition=definition,
            requester=requester,
            inputs=clean_inputs,
            flow=flow,
            parent_task=parent_task,
        )
        for upload in documents.values():
            case_attachment_add(case_id=case.pk, actor=requester, upload=upload)
        return case


def _check_documents(*, definition: Definition, documents: Mapping[str, Any]) -> None:
    """Uploaded start documents go to `file` inputs, each within the attachment size limit."""
    file_inputs = {item.id for item in definition.inputs if item.type == FieldType.FILE}
    errors = {}
    for key, upload in documents.items():
        if key not in file_inputs:
            errors[key] = ["Esta entrada no es un documento."]
        elif upload.size > MAX_ATTACHMENT_BYTES:
            errors[key] = ["El archivo supera los 25 MB."]
    if errors:
        raise InvalidInputError(errors)


def _check_flow(*, definition: Definition, flow: str | None) -> None:
    flows = {f.id: f.name for f in definition.flows}
    if flows and flow not in flows:
        options = "; ".join(f"{key} ({name})" for key, name in flows.items())
        raise InvalidInputError({"flow": [f"Indique el flujo que sigue el expediente: {options}."]})
    if not flows and flow:
        raise InvalidInputError({"flow": ["Este procedimiento tiene un solo flujo."]})


def _case_create(
    *,
    version: ProcedureVersion,
    definition: Definition,
    requester: Person,
    inputs: dict[str, Any],
    parent_task: CaseTask | None,
    flow: str | None,
) -> Case:
    now = timezone.now()
    case = Case(
        number=_next_number(case_entity=version.entity, year=timezone.localdate(now).year),
        entity=version.entity,
        procedure_version=version,
        requester=requester,
        inputs=inputs,
        parent=parent_task.case if parent_task else None,
        parent_task=parent_task,
        started_at=now,
    )
    for name, value in case_describe(case=case, definition=definition, records={}).items():
        setattr(case, name, value)
    case.save(force_insert=True)
    start_data: dict[str, Any] = {runtime.FLOW_KEY: flow} if flow else {}
    if guards := guards_evaluate(definition, case=case, records={}):  # a guarded first activity: inputs only
        start_data[runtime.GUARDS_KEY] = guards
    workflow = runtime.workflow_start(case_specs(case=case), start_data or None)
    step = sync.step_begin(case=case, definition=definition, open_tasks=[])
    sync.case_started_deadlines(step)
    new_tasks = sync.case_tasks_sync(step, workflow=workflow)
    _workflow_save(case=case, workflow=workflow)
    audit_event_record(
        chain=case.entity.code,
        action="case.started",
        obj=case,
        actor=requester,
        case=case,
        summary=f"Inicio de {case.number} ({version.code} v{version.version})",
        after={
            "number": case.number,
            "procedure": version.code,
            "revision": version.revision,
            "inputs": inputs,
        },
    )
    _children_start(case=case, definition=definition, tasks=new_tasks, actor=requester)
    return case


def _workflow_save(*, case: Case, workflow: Any) -> None:
    case.workflow_state = runtime.workflow_dump(workflow)
    case.workflow_serializer_version = runtime.SERIALIZER_VERSION
    fields = ["workflow_state", "workflow_serializer_version", "due_at", "updated_at"]
    # A parent cannot close while a child case (a procedure it called without waiting) is still open: it
    # stays open with its route finished, and closes when its last child does (_parent_after_child).
    if workflow.completed and case.status == Case.Status.OPEN and not _open_children(case).exists():
        case.status = Case.Status.CLOSED
        case.closed_at = timezone.now()
        case.outcome = runtime.workflow_outcome(workflow) or ""
        fields += ["status", "closed_at", "outcome"]
    case.save(update_fields=fields)
    if case.status == Case.Status.CLOSED and "closed_at" in fields:
        sync.case_closed_settle(case=case, now=case.closed_at)
        mail.case_closed_email(case=case)  # mail hook


def _open_children(case: Case):
    return case.children.filter(status__in=[Case.Status.OPEN, Case.Status.SUSPENDED])


def _children_start(*, case: Case, definition: Definition, tasks: list[CaseTask], actor: Person) -> bool:
    """
    Start the called procedures as child cases; a call that does not wait lets the parent go on. A call
    activity that produces records (the request it sends) is a person's task first: its child starts when
    that person completes it (_task_finish). Returns whether any was started.
    """
    started = False
    for task, _code in sync.call_activities(definition=definition, tasks=tasks):
        activity = definition.activity(task.activity)
        if activity.records:
            continue
        _child_start(case=case, activity=activity, task=task, actor=actor)
        started = True
        if not activity.call.wait:
            _task_finish(case=case, task=task, actor=None, decision=None, records={}, effective_date=None)
    return started


def _child_start(*, case: Case, activity: Activity, task: CaseTask, actor: Person) -> Case:
    """
    The child case of a call activity, on the flow the call names, with the inputs it maps from the parent's
    data (its inputs and latest records), validated as a person's start would be. A value the parent lacks
    is reported on the parent's field it comes from.
    """
    call = activity.call
    child_version = ProcedureVersion.objects.get(code=call.procedure, is_current=True)
    child_definition = procedure_version_definition(version=child_version)
    flow = call.flow or (child_definition.flows[0].id if child_definition.flows else None)
    values, origin = {}, {}
    for mapping in call.inputs:
        value = mapping.value if mapping.source is None else case_data_value(case=case, path=mapping.source)
        if value is not MISSING and value is not None:
            values[mapping.input] = value
        origin[mapping.input] = mapping.source or mapping.input
    try:
        inputs = validate_inputs(child_definition.inputs, values, flow=flow)
    except InvalidInputError as exc:
        raise InvalidInputError(
            {
                origin.get(key, key): [f"{call.procedure}: {message}" for message in messages]
                for key, messages in exc.field_errors.items()
            }
        ) from None
    return _case_create(
        version=child_version,
        definition=child_definition,
        requester=actor,
        inputs=inputs,
        flow=flow,
        parent_task=task,
    )


def _task_for_checks(task_id: int) -> CaseTask:
    """The task with its case, entity and procedure version, unlocked: the checks that come before a step."""
    task = (
        CaseTask.objects.select_related("case__procedure_version", "case__entity")
        .defer("case__workflow_state", *(f"case__procedure_version__{c}" for c in VERSION_UNUSED_COLUMNS))
        .filter(pk=task_id)
        .first()
    )
    if task is None:
        raise NotFoundError("La tarea no existe.")
    return task


def case_task_complete(
    *,
    task_id: int,
    actor: Person,
    decision: str | None = None,
    data: Mapping[str, Any] | None = None,
    effective_date: dt.date | None = None,
) -> TaskCompletion:
    """Complete a human task as `actor`: check role, validate decision and record data, advance."""
    data = dict(data or {})
    task = _task_for_checks(task_id)
    _check_can_act(task=task, actor=actor, action="task.complete")
    definition = case_definition(case=task.case)
    activity = task_activity(definition=definition, task=task)
    _check_task_open(task)  # a late retry hears that the task is done, not what its data lacked
    _check_decision(activity=activity, decision=decision)
    records = _validated_records(definition=definition, activity=activity, task=task, data=data)
    validate_effective_date(
        effective_date,
        case_started=timezone.localdate(task.case.started_at),
        today=timezone.localdate(),
    )
    if activity.call is not None and (not activity.records or task.child_cases.exists()):
        raise ConflictError("Esta actividad espera que concluya el expediente del procedimiento llamado.")

    with transaction.atomic():
        case = case_lock(case=task.case)
        task.case = case
        _check_case_open(case)
        return _task_finish(
            case=case,
            task=task,
            actor=actor,
            decision=decision,
            records=records,
            effective_date=effective_date,
        )


def _task_finish(
    *,
    case: Case,
    task: CaseTask,
    actor: Person | None,
    decision: str | None,
    records: dict[str, Any],
    effective_date: dt.date | None,
) -> TaskCompletion:
    """One engine step on the locked case: the task done, its records, projections, audit, child cases."""
    definition = case_definition(case=case)
    workflow = runtime.workflow_load(case.workflow_state, case_specs(case=case))
    # Open task rows mirror the engine's ready tasks: with no other ready task, none is open besides this one.
    others_ready = any(t.id != task.engine_task_id for t in runtime.ready_human_tasks(workflow))
    _task_mark_completed(task=task, actor=actor, decision=decision, records=records)
    runtime.workflow_complete_task(
        workflow,
        task_id=task.engine_task_id,
        decision=decision,
        guards=_guards(case=case, definition=definition, records=records),
    )
    written = _records_create(
        case=case, task=task, definition=definition, records=records, actor=actor, day=effective_date
    )
    _attachments_link(task=task, written=written)
    if written:
        case_describe_save(case=case, definition=definition)
    activity = definition.activity(task.activity)
    if activity.call is not None and actor is not None:  # the request is sent: the called case starts
        _child_start(case=case, activity=activity, task=task, actor=actor)
    step = sync.step_begin(case=case, definition=definition, open_tasks=None if others_ready else [])
    sync.activity_completed_settle(step, task=task)
    new_tasks = sync.case_tasks_sync(step, workflow=workflow)
    _workflow_save(case=case, workflow=workflow)
    audit_event_record(
        chain=case.entity.code,
        action="task.completed",
        obj=task,
        actor=actor,
        case=case,
        summary=f"{case.number}: {task.activity}. {task.name}" + (f" → {decision}" if decision else ""),
        before={"status": CaseTask.Status.OPEN},
        after={"status": task.status, "decision": decision, "data": records},
    )
    open_tasks = step.open_tasks
    if _children_start(case=case, definition=definition, tasks=new_tasks, actor=actor or case.requester):
        open_tasks = list(case.tasks.filter(status=CaseTask.Status.OPEN))  # a call may have gone on
    if case.status == Case.Status.CLOSED and case.parent_task_id:
        _parent_after_child(child=case)
    return TaskCompletion(task=task, records=written, open_tasks=open_tasks)


def _guards(*, case: Case, definition: Definition, records: dict[str, Any]) -> dict[str, bool]:
    """The guard values on the case data including this completion's records (empty without guards)."""
    if not any(a.when is not None for a in definition.activities):
        return {}
    return guards_evaluate(definition, case=case, records={**latest_records(case=case), **records})


def case_task_complete_by_system(*, case: Case, task: CaseTask, decision: str | None) -> TaskCompletion:
    """
    Complete an open task as the system (an expiry action), on a case the caller has locked. The task's
    compare-and-swap is what makes a person completing it at the same moment fail, or this one.
    """
    task.case = case
    return _task_finish(case=case, task=task, actor=None, decision=decision, records={}, effective_date=None)


def case_close_by_system(*, case: Case, outcome: str, summary: str) -> None:
    """
    Close a locked open case by itself (an expiry action `close`): the workflow is cancelled, its open
    tasks too, open child cases are cancelled, case-level deadlines settle, and a parent waiting on it goes
    on. The audit event has no person as actor: its label is "sistema".
    """
    now = timezone.now()
    workflow = runtime.workflow_load(case.workflow_state, case_specs(case=case))
    runtime.workflow_cancel(workflow)
    case.workflow_state = runtime.workflow_dump(workflow)
    case.workflow_serializer_version = runtime.SERIALIZER_VERSION
    case.status, case.closed_at, case.outcome, case.due_at = Case.Status.CLOSED, now, outcome[:300], None
    case.save(
        update_fields=[
            "workflow_state",
            "workflow_serializer_version",
            "status",
            "closed_at",
            "outcome",
            "due_at",
            "updated_at",
        ]
    )
    case.tasks.filter(status=CaseTask.Status.OPEN).update(status=CaseTask.Status.CANCELLED, updated_at=now)
    sync.case_closed_settle(case=case, now=now)
    mail.case_closed_email(case=case)  # mail hook
    audit_event_record(
        chain=case.entity.code,
        action="case.closed",
        obj=case,
        case=case,
        summary=f"{case.number}: {summary}"[:300],
        before={"status": Case.Status.OPEN},
        after={"status": case.status, "outcome": case.outcome},
    )
    for child in _open_children(case).select_related("entity", "procedure_version"):
        cancel_tree(case=child, actor=None, reason=f"Cierre automático del expediente padre {case.number}")
    if case.parent_task_id:
        _parent_after_child(child=case)


def _task_mark_completed(
    *, task: CaseTask, actor: Person | None, decision: str | None, records: dict[str, Any]
) -> None:
    """
    Compare-and-swap: the task becomes completed only if it is still open and, for a person, unassigned
    or assigned to them. Under the case lock this is what makes a second, concurrent completion fail.
    """
    now = timezone.now()
    changes = {
        "status": CaseTask.Status.COMPLETED,
        "completed_at": now,
        "completed_by": actor,
        "decision": decision or "",
        "data": records,
        "updated_at": now,
    }
    still_open = CaseTask.objects.filter(pk=task.pk, status=CaseTask.Status.OPEN)
    if actor is not None:
        still_open = still_open.filter(Q(assignee__isnull=True) | Q(assignee=actor))
    if not still_open.update(**changes):
        task.refresh_from_db()
        _check_task_open(task)
        raise ConflictError(f"La tarea está asignada a {task.assignee}; pida que se la reasignen.")
    for name, value in changes.items():
        setattr(task, name, value)


def _parent_after_child(*, child: Case) -> None:
    """
    A called procedure concluded (the parent is locked already): complete the parent's call task if it
    waits for the child, or close the parent if its own route had finished and this was its last child.
    """
    parent = locked_cases().select_related("entity", "procedure_version").get(pk=child.parent_id)
    parent_task = locked_tasks().get(pk=child.parent_task_id)
    if parent.status != Case.Status.OPEN:
        return
    if parent_task.status == CaseTask.Status.OPEN:
        _task_finish(
            case=parent, task=parent_task, actor=None, decision=None, records={}, effective_date=None
        )
    elif parent.workflow_state.get("completed"):
        workflow = runtime.workflow_load(parent.workflow_state, case_specs(case=parent))
        _workflow_save(case=parent, workflow=workflow)
        if parent.status == Case.Status.CLOSED and parent.parent_task_id:
            _parent_after_child(child=parent)  # the closure goes on up the tree


def _actor_roles(*, task: CaseTask, actor: Person) -> set[str]:
    """
    The actor's roles in the task's entity, after checking they may see the task. A task of a case the actor
    may not read does not exist for them: 404, nothing audited, no role named. A holder of an open task's
    role may read its case, so the usual completion costs no read check beyond the one role query.
    """
    same_entity = actor.entity_id == task.entity_id
    roles = person_role_codes(person=actor, entity=task.case.entity) if same_entity else set()
    acts_now = task.status == CaseTask.Status.OPEN and task_performable_by(
        task=task, person=actor, roles=roles
    )
    if not acts_now and not case_may_read(person=actor, case=task.case, roles=roles):
        raise NotFoundError("La tarea no existe.")
    return roles


def _check_can_act(*, task: CaseTask, actor: Person, action: str) -> None:
    """
    Only a holder of one of the task's roles (directly or by delegation) acts, or, for a task of the
    requester, the person who opened the case; a claimed task, its assignee.
    """
    if not task_performable_by(task=task, person=actor, roles=_actor_roles(task=task, actor=actor)):
        raise _refuse(actor=actor, case=task.case, action=action, message=_who_acts(task))
    if task.assignee_id not in (None, actor.pk):
        message = f"La tarea está asignada a {task.assignee}; pida que se la reasignen."
        raise _refuse(actor=actor, case=task.case, action=action, message=message)


def _who_acts(task: CaseTask, *, verb: str = "puede realizar esta actividad") -> str:
    return who_may_act(task=task, definition=case_definition(case=task.case), verb=verb)


def _check_decision(*, activity: Activity, decision: str | None) -> None:
    if activity.decision is None:
        if decision:
            raise InvalidInputError({"decision": ["Esta actividad no tiene decisión."]})
        return
    labels = [branch.label for branch in activity.decision.branches]
    if decision not in labels:
        raise InvalidInputError({"decision": [f"Elija una de las opciones: {', '.join(labels)}."]})


def _validated_records(
    *, definition: Definition, activity: Activity, task: CaseTask, data: dict[str, Any]
) -> dict[str, Any]:
    """
    Record data keyed by record id; each formatted record is checked against the typed fields this activity
    fills. A record the activity produces must exist (some field, observations, or a file attached to the
    task for it) unless the definition lists it in `optional_records`; an optional one left empty is not
    written.
    """
    errors: dict[str, list[str]] = {}
    records: dict[str, Any] = {}
    for key in set(data) - set(activity.records):
        errors[key] = ["Esta actividad no produce ese registro."]
    documented = _records_with_files(task=task, activity=activity)
    for record_id in activity.records:
        record = definition.record(record_id)
        fields = definition.record_fields(record)
        values = data.get(record_id) or {}
        if not isinstance(values, Mapping):
            errors[record_id] = ["Debe ser un objeto con los campos del formato."]
            continue
        prefix = f"{record_id}."
        if fields:
            clean = _validated_format_fields(fields, activity.n, values, errors, prefix=prefix)
        else:
            clean = validate_observations(values, prefix=prefix, errors=errors)
        if clean or record_id in documented:
            records[record_id] = clean
        elif record_id not in activity.optional_records and not any(k.startswith(prefix) for k in errors):
            what = "sus campos" if fields else "observaciones"
            errors[record_id] = [
                f"Registro obligatorio: {record.name}. Complete {what} o adjunte el archivo."
            ]
    if errors:
        raise InvalidInputError(errors)
    return records


def _validated_format_fields(
    fields: list, activity: int, values: Mapping[str, Any], errors: dict[str, list[str]], *, prefix: str
) -> dict[str, Any]:
    """The fields this activity fills; a field another activity fills is refused here, naming that one."""
    own = fields_at(fields, activity)
    elsewhere = {f.id: f.activity for f in fields if f not in own}
    for key in sorted(set(values) & set(elsewhere)):
        errors.setdefault(f"{prefix}{key}", []).append(
            f"Este campo se llena en la actividad {elsewhere[key]}."
        )
    mine = {k: v for k, v in values.items() if k not in elsewhere}
    return validate_fields(own, mine, errors, prefix=prefix)


def _records_with_files(*, task: CaseTask, activity: Activity) -> set[str]:
    """Records of the activity documented by a file attached to its (open) task."""
    keys = set(Attachment.objects.filter(task=task, record__isnull=True).values_list("record_key", flat=True))
    documented = keys & set(activity.records)
    if "" in keys and len(activity.records) == 1:  # a file of the task, when the task has one record
        documented.add(activity.records[0])
    return documented


def _attachments_link(*, task: CaseTask, written: list[CaseRecord]) -> None:
    """Files attached to the task before it was completed now belong to the records it wrote."""
    by_id = {row.record_id: row for row in written}
    for attachment in Attachment.objects.filter(task=task, record__isnull=True):
        key = attachment.record_key or (next(iter(by_id)) if len(by_id) == 1 else "")
        if key in by_id:
            attachment.record = by_id[key]
            attachment.save(update_fields=["record", "updated_at"])


def _check_task_open(task: CaseTask) -> None:
    if task.status != CaseTask.Status.OPEN:
        who = f" por {task.completed_by}" if task.completed_by else ""
        raise ConflictError(f"La tarea ya fue completada{who}; actualice la bandeja.")


def _check_case_open(case: Case) -> None:
    if case.status != Case.Status.OPEN:
        raise ConflictError(f"El expediente {case.number} está {case.get_status_display().lower()}.")


def _records_create(
    *,
    case: Case,
    task: CaseTask,
    definition: Definition,
    records: dict[str, Any],
    actor: Person | None,
    day: dt.date | None,
) -> list[CaseRecord]:
    rows = []
    for record_id, values in records.items():
        record = next(r for r in definition.records if r.id == record_id)
        rows.append(
            CaseRecord(
                case=case,
                task=task,
                record_id=record_id,
                name=record.name,
                data=values,
                restricted_to=list(record.restricted_to),
                effective_date=day or timezone.localdate(),
                created_by_id=actor.pk if actor else case.requester_id,
            )
        )
    return CaseRecord.objects.bulk_create(rows)


def case_task_claim(*, task_id: int, actor: Person) -> CaseTask:
    task = _task_for_checks(task_id)
    _check_can_act(task=task, actor=actor, action="task.claim")
    return case_task_assign(task_id=task_id, actor=actor, assignee=actor)


def case_task_assign(*, task_id: int, actor: Person, assignee: Person) -> CaseTask:
    """Assign (or reassign) an open task to a person who holds its role."""
    task = _task_for_checks(task_id)
    entity = task.case.entity
    # Who may not assign at all is told so before anything about the assignee.
    if not task_performable_by(task=task, person=actor, roles=_actor_roles(task=task, actor=actor)):
        raise _refuse(
            actor=actor,
            case=task.case,
            action="task.assign",
            message=_who_acts(task, verb="asigna esta tarea"),
        )
    assignee_roles = (
        person_role_codes(person=assignee, entity=entity) if assignee.entity_id == entity.pk else set()
    )
    if not task_performable_by(task=task, person=assignee, roles=assignee_roles):
        raise InvalidInputError({"assignee": [f"{assignee} no tiene el rol de esta actividad."]})
    with transaction.atomic():
        case = case_lock(case=task.case)
        task = locked_tasks().get(pk=task.pk)
        _check_task_open(task)
        _check_case_open(case)
        before = task.assignee_id
        task.assignee = assignee
        task.save(update_fields=["assignee", "updated_at"])
        audit_event_record(
            chain=case.entity.code,
            action="task.assigned",
            obj=task,
            actor=actor,
            case=case,
            summary=f"{case.number}: actividad {task.activity} asignada a {assignee}",
            before={"assignee": before},
            after={"assignee": assignee.pk},
        )
        mail.task_assigned_email(task=task, assignee=assignee)  # mail hook
    return task


def _case_for_writing(*, case_id: int, actor: Person) -> Case:
    """The case, if the actor may read it (who may read a case may comment and attach); else 404."""
    case = locked_cases().select_related("entity").filter(pk=case_id).first()
    if case is None or not case_may_read(person=actor, case=case):
        raise NotFoundError("El expediente no existe.")
    return case


def case_comment_add(*, case_id: int, actor: Person, text: str) -> Comment:
    if not text.strip():
        raise InvalidInputError({"text": ["El comentario está vacío."]})
    with transaction.atomic():
        case = _case_for_writing(case_id=case_id, actor=actor)
        comment = Comment.objects.create(case=case, author=actor, text=text.strip())
        audit_event_record(
            chain=case.entity.code,
            action="case.commented",
            obj=comment,
            actor=actor,
            case=case,
            after={"text": text},
        )
    return comment


MAX_ATTACHMENT_BYTES = 25 * 1024 * 1024


def case_attachment_add(
    *,
    case_id: int,
    actor: Person,
    upload: Any,
    task_id: int | None = None,
    record: str = "",
    reserved: bool = False,
) -> Attachment:
    """
    Store an evidence file on the case, with its SHA-256 so the audit trail can vouch for it.

    With `task_id` the file is evidence of that activity: of a task the actor may complete (still open: the
    file documents its records, and counts when it is completed) or one the actor completed. `record` names
    which of the activity's records it documents (needed when the activity has several). It inherits their
    restriction. `reserved` (an upload on the case page) restricts it to the roles of the procedure the actor
    holds.
    """
    if upload.size > MAX_ATTACHMENT_BYTES:
        raise InvalidInputError({"file": ["El archivo supera los 25 MB."]})
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    with transaction.atomic():
        case = _case_for_writing(case_id=case_id, actor=actor)
        task, case_record, restricted_to = _attachment_owner(
            case=case, actor=actor, task_id=task_id, record=record
        )
        if reserved:
            restricted_to = sorted(set(restricted_to) | _reserving_roles(case=case, actor=actor))
        attachment = Attachment.objects.create(
            case=case,
            task=task,
            record=case_record,
            record_key=record,
            restricted_to=restricted_to,
            file=upload,
            filename=upload.name[:255],
            content_type=getattr(upload, "content_type", "") or "application/octet-stream",
            size=upload.size,
            sha256=digest.hexdigest(),
            uploaded_by=actor,
        )
        audit_event_record(
            chain=case.entity.code,
            action="case.attachment_added",
            obj=attachment,
            actor=actor,
            case=case,
            after={
                "filename": attachment.filename,
                "sha256": attachment.sha256,
                "size": attachment.size,
                "record": record,
                "restricted_to": attachment.restricted_to,
            },
        )
    return attachment


def _attachment_owner(
    *, case: Case, actor: Person, task_id: int | None, record: str
) -> tuple[CaseTask | None, CaseRecord | None, list[str]]:
    """
    The task and record an evidence file belongs to, and the roles it is restricted to: those of the
    activity's restricted records (a file of an activity that writes a reserved record is reserved too).
    """
    if task_id is None:
        if record:
            raise InvalidInputError({"record": ["Indique la tarea cuyo registro documenta el archivo."]})
        return None, None, []
    task = case.tasks.filter(pk=task_id).first()
    if task is not None and task.status == CaseTask.Status.OPEN and _may_complete(task=task, actor=actor):
        definition = case_definition(case=case)
        activity = definition.activity(task.activity)
        if record and record not in activity.records:
            raise InvalidInputError({"record": ["Esta actividad no produce ese registro."]})
        named = [record] if record else activity.records
        restricted = sorted({role for r in definition.records if r.id in named for role in r.restricted_to})
        return task, None, restricted
    if task is None or task.completed_by_id != actor.pk:
        raise InvalidInputError(
            {"task": ["Solo quien atiende o completó la actividad adjunta su evidencia."]}
        )
    records = list(task.records.all())
    if record:
        records = [r for r in records if r.record_id == record]
        if not records:
            raise InvalidInputError({"record": ["La actividad no produjo ese registro."]})
    restricted = sorted({role for row in records for role in row.restricted_to})
    return task, records[0] if len(records) == 1 else None, restricted


def _may_complete(*, task: CaseTask, actor: Person) -> bool:
    """Whether the actor holds the open task's role (and it is not claimed by someone else)."""
    if task.assignee_id not in (None, actor.pk):
        return False
    return task.role_code in person_role_codes(person=actor, entity=task.case.entity)


def _reserving_roles(*, case: Case, actor: Person) -> set[str]:
    """A reserved file is for the roles of the procedure its uploader holds (and the uploader)."""
    roles = person_role_codes(person=actor, entity=case.entity)
    mine = roles & {role.id for role in case_definition(case=case).roles}
    if not mine:
        raise InvalidInputError(
            {"reserved": ["Solo quien tiene un rol de este procedimiento puede reservar un adjunto."]}
        )
    return mine
