"""
Mails about what happens in a case.

- New tasks (to everyone holding a role that may complete them) and notifications (RACI "I", the ficha's
  `informs`, outside contacts with an address) are found by a scan (`case_events_scan`, every worker
  tick) of the rows created since the last scan, re-reading an overlap of SCAN_OVERLAP before it: the
  completion path pays nothing, and the mails' unique keys drop what an earlier scan already enqueued.
- A case concluded (to its requester) and a task assigned (to the assignee) are enqueued by a hook in the
  case services, in the transaction of the change: one insert, at most once per case or assignment.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q, QuerySet
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from mapro.cases.models import Case, CaseTask, Notification
from mapro.cases.selectors import VERSION_UNUSED_COLUMNS, case_definition
from mapro.catalogue.definition.schema import REQUESTER
from mapro.organization.models import Person

from ..models import MailCursor, OutboundEmail
from ..selectors import Addressee, role_holders
from .outbox import Draft, emails_enqueue_many

ADDRESS = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
# What a mail never reads of a case and its version (the engine state, the definition's texts and BPMN:
# the parsed definition comes from the per-version cache), left unread on every scan.
CASE_UNUSED_COLUMNS = (
    "case__workflow_state",
    *(f"case__procedure_version__{column}" for column in VERSION_UNUSED_COLUMNS),
)
# Longer than any case transaction: a row created before the last scan but committed after it is re-read.
SCAN_OVERLAP = dt.timedelta(minutes=10)
SCAN_BATCH = 500


def case_events_scan(*, now: dt.datetime | None = None) -> int:
    """
    Enqueue the mails of the open tasks and the notifications created since the last scan; returns how
    many mails were offered. The first scan ever starts one overlap back, not at the beginning of history.
    """
    now = now or timezone.now()
    tasks = (
        CaseTask.objects.filter(status=CaseTask.Status.OPEN)
        .select_related("case__entity", "case__procedure_version", "case__requester")
        .defer(*CASE_UNUSED_COLUMNS)
        .prefetch_related("co_roles")
    )
    notifications = Notification.objects.select_related("case__procedure_version", "person").defer(
        *CASE_UNUSED_COLUMNS
    )
    return _scan("tasks", tasks, _tasks_mail, now=now) + _scan(
        "notifications", notifications, _notifications_mail, now=now
    )


def _scan(name: str, rows: QuerySet, mail: Callable[[list], int], *, now: dt.datetime) -> int:
    """
    One batch of one source, in the transaction that advances its cursor (locked: two workers take turns;
    a crash rolls both back and the next tick repeats the batch).
    """
    MailCursor.objects.get_or_create(name=name)
    with transaction.atomic():
        cursor = MailCursor.objects.select_for_update().get(name=name)
        rows = rows.filter(created_at__lte=now)
        if cursor.partial:  # right after the last row of the previous (full) batch
            after = Q(created_at=cursor.seen_until, pk__gt=cursor.last_pk) | Q(
                created_at__gt=cursor.seen_until
            )
            rows = rows.filter(after)
        else:
            rows = rows.filter(created_at__gte=(cursor.seen_until or now) - SCAN_OVERLAP)
        batch = list(rows.order_by("created_at", "pk")[:SCAN_BATCH])
        offered = mail(batch)
        full = len(batch) == SCAN_BATCH
        cursor.seen_until = batch[-1].created_at if full else now
        cursor.last_pk = batch[-1].pk if full else 0
        cursor.partial = full
        cursor.save()
    return offered


def case_link(case: Case) -> str:
    return settings.MAPRO_BASE_URL + reverse("web:case", args=[case.number])


def task_link(task: CaseTask) -> str:
    return settings.MAPRO_BASE_URL + reverse("web:task", args=[task.pk])


def case_matter(case: Case) -> str:
    """The case's subject ("asunto"): what it is about, else the procedure it runs."""
    return case.subject or case_procedure(case)


def case_procedure(case: Case) -> str:
    version = case.procedure_version
    return f"{version.code} — {version.name}"


def local_time(moment) -> str:
    return timezone.localtime(moment).strftime("%d/%m/%Y %H:%M") if moment else ""


# A mail subject names what the case is about, short enough for a mail client's list of messages.
SUBJECT_SHOWN = 90


def mail_subject(case: Case, text: str) -> str:
    """'[MVCS-2026-000123] Baja de jperez@vivienda.gob.pe — Tarea pendiente: 2. …' (subject shortened)."""
    about = case.subject if len(case.subject) <= SUBJECT_SHOWN else case.subject[: SUBJECT_SHOWN - 1] + "…"
    return f"[{case.number}] {about} — {text}" if about else f"[{case.number}] {text}"


def _tasks_mail(tasks: Sequence[CaseTask]) -> int:
    """Every person holding a role that may complete each task (co-roles included) is told once."""
    by_entity: dict[int, list[CaseTask]] = defaultdict(list)
    for task in tasks:
        by_entity[task.case.entity_id].append(task)
    offered: dict[str, tuple[CaseTask, Addressee, str]] = {}
    for entity_tasks in by_entity.values():
        entity = entity_tasks[0].case.entity
        holders = role_holders(
            entity=entity, role_codes={r for t in entity_tasks for r in t.roles} - {REQUESTER}
        )
        for task in entity_tasks:
            for role in task.roles:
                people = _requester_people(task.case) if role == REQUESTER else holders.get(role, [])
                for person in people:
                    offered.setdefault(_task_key(task, person), (task, person, role))
    missing = _missing(offered)
    drafts = [
        _task_draft(task.case, task, person, role_name=case_definition(case=task.case).role(role).name)
        for key, (task, person, role) in offered.items()
        if key in missing
    ]
    return emails_enqueue_many(drafts)


def _missing(keys: Iterable[str]) -> set[str]:
    keys = set(keys)
    return keys - set(OutboundEmail.objects.filter(key__in=keys).values_list("key", flat=True))


def _task_key(task: CaseTask, person: Addressee) -> str:
    return f"task:{task.pk}:person:{person.person_id}"


def task_assigned_email(
    *, task: CaseTask, assignee: Person, note: str = "", by: Person | None = None, event: Any = None
) -> int:
    """
    The assignee is told, unless the task was already mailed to them (same key). A routing with a proveído
    (`note`, by `by`) is always told, with the proveído: its key is the routing's audit event.
    """
    person = Addressee(assignee.pk, assignee.full_name, assignee.email)
    draft = _task_draft(task.case, task, person, role_name="", assigned=True, note=note, by=by)
    if note and event is not None:
        draft = dataclasses.replace(draft, key=f"{draft.key}:routing:{event.pk}")
    return emails_enqueue_many([draft])


def _task_draft(
    case: Case,
    task: CaseTask,
    person: Addressee,
    *,
    role_name: str,
    assigned: bool = False,
    note: str = "",
    by: Person | None = None,
) -> Draft:
    body = render_to_string(
        "mail/task.txt",
        {
            "name": person.name,
            "assigned": assigned,
            "note": note,
            "by": by,
            "role_name": role_name,
            "task": task,
            "case": case,
            "matter": case_matter(case),
            "procedure": case_procedure(case),
            "due": local_time(task.due_at),
            "link": task_link(task),
        },
    )
    verb = "Tarea asignada" if assigned else "Tarea pendiente"
    return Draft(
        key=_task_key(task, person),
        to=[person.email] if person.email else [],
        subject=mail_subject(case, f"{verb}: {task.activity}. {task.name}"),
        body=body,
        person=Person(pk=person.person_id),
        case=case,
    )


def _requester_people(case: Case) -> list[Addressee]:
    """
    The requester; for an outside requester (no login) also who registered the case, who completes the
    requester's task on their behalf (docs/decisions/0028-register-on-behalf.md).
    """
    people = [_requester(case)]
    if case.registered_by_id and case.requester.user_id is None:
        registrar = case.registered_by
        people.append(Addressee(registrar.pk, registrar.full_name, registrar.email))
    return people


def _requester(case: Case) -> Addressee:
    requester = case.requester
    return Addressee(requester.pk, requester.full_name, requester.email)


def _notifications_mail(notifications: Sequence[Notification]) -> int:
    """
    Each notification a person of the entity gets, and each outside contact with an e-mail address, is
    mailed once (key `notification:<id>`); a role nobody holds, or a contact without an address, is not.
    """
    rows = [n for n in notifications if n.person_id is not None or ADDRESS.search(n.address or "")]
    missing = _missing(f"notification:{n.pk}" for n in rows)
    rows = [n for n in rows if f"notification:{n.pk}" in missing]
    if not rows:
        return 0
    drafts = []
    for n in rows:
        case, person = n.case, n.person
        to = [person.email] if person and person.email else ADDRESS.findall(n.address or "")
        body = render_to_string(
            "mail/notification.txt",
            {
                "name": person.full_name if person else n.recipient,
                "message": n.message,
                "text": n.text,
                "case": case,
                "matter": case_matter(case),
                "procedure": case_procedure(case),
                "link": case_link(case),
            },
        )
        drafts.append(
            Draft(
                key=f"notification:{n.pk}",
                to=to,
                subject=mail_subject(case, f"Aviso: actividad {n.activity} completada"),
                body=body,
                person=person,
                case=case,
            )
        )
    return emails_enqueue_many(drafts)


def case_closed_email(*, case: Case) -> int:
    """The requester is told the case concluded, once (key `closed:<case>`)."""
    requester = case.requester
    body = render_to_string(
        "mail/closed.txt",
        {
            "name": requester.full_name,
            "case": case,
            "started": local_time(case.started_at),
            "matter": case_matter(case),
            "procedure": case_procedure(case),
            "link": case_link(case),
        },
    )
    draft = Draft(
        key=f"closed:{case.pk}",
        to=[requester.email] if requester.email else [],
        subject=mail_subject(case, "Expediente concluido"),
        body=body,
        person=requester,
        case=case,
    )
    return emails_enqueue_many([draft])
