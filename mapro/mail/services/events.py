"""
Mails about what happens in a case, enqueued by the case services in the transaction of the change (the
hooks in mapro/cases/services): a task available to one's role or assigned to one, the people and
contacts an activity informs, the case concluded (to its requester).

Each costs the hot path one query for the role holders and one insert, whatever the number of people.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from mapro.cases.models import Case, CaseTask, Notification
from mapro.catalogue.definition import Definition
from mapro.catalogue.definition.schema import REQUESTER
from mapro.organization.models import Person

from ..selectors import Addressee, role_holders
from .outbox import Draft, emails_enqueue_many

ADDRESS = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")


def case_link(case: Case) -> str:
    return settings.MAPRO_BASE_URL + reverse("web:case", args=[case.number])


def task_link(task: CaseTask) -> str:
    return settings.MAPRO_BASE_URL + reverse("web:task", args=[task.pk])


def case_matter(case: Case) -> str:
    """The case's subject ("asunto"): the procedure it runs."""
    version = case.procedure_version
    return f"{version.code} — {version.name}"


def local_time(moment) -> str:
    return timezone.localtime(moment).strftime("%d/%m/%Y %H:%M") if moment else ""


def _subject(case: Case, text: str) -> str:
    return f"[{case.number}] {text}"


def task_available_emails(*, case: Case, definition: Definition, tasks: Sequence[CaseTask]) -> int:
    """Every person holding a role that may complete each new task (co-roles included) is told once."""
    tasks = [t for t in tasks if t.status == CaseTask.Status.OPEN]
    if not tasks:
        return 0
    holders = role_holders(entity=case.entity, role_codes={r for t in tasks for r in t.roles} - {REQUESTER})
    drafts = []
    for task in tasks:
        told: set[int] = set()
        for role in task.roles:
            people = [_requester(case)] if role == REQUESTER else holders.get(role, [])
            for person in people:
                if person.person_id in told:
                    continue
                told.add(person.person_id)
                drafts.append(_task_draft(case, task, person, role_name=definition.role(role).name))
    return emails_enqueue_many(drafts)


def task_assigned_email(*, task: CaseTask, assignee: Person) -> int:
    """The assignee is told, unless the task was already mailed to them (same key)."""
    person = Addressee(assignee.pk, assignee.full_name, assignee.email)
    return emails_enqueue_many([_task_draft(task.case, task, person, role_name="", assigned=True)])


def _task_draft(
    case: Case, task: CaseTask, person: Addressee, *, role_name: str, assigned: bool = False
) -> Draft:
    body = render_to_string(
        "mail/task.txt",
        {
            "name": person.name,
            "assigned": assigned,
            "role_name": role_name,
            "task": task,
            "case": case,
            "matter": case_matter(case),
            "due": local_time(task.due_at),
            "link": task_link(task),
        },
    )
    verb = "Tarea asignada" if assigned else "Tarea pendiente"
    return Draft(
        key=f"task:{task.pk}:person:{person.person_id}",
        to=[person.email] if person.email else [],
        subject=_subject(case, f"{verb}: {task.activity}. {task.name}"),
        body=body,
        person=Person(pk=person.person_id),
        case=case,
    )


def _requester(case: Case) -> Addressee:
    requester = case.requester
    return Addressee(requester.pk, requester.full_name, requester.email)


def notification_emails(*, case: Case, notifications: Iterable[Notification]) -> int:
    """
    Each notification a person of the entity gets, and each outside contact with an e-mail address, is
    mailed once (key `notification:<id>`); a role nobody holds, or a contact without an address, is not.
    """
    rows = [n for n in notifications if n.person_id is not None or ADDRESS.search(n.address or "")]
    if not rows:
        return 0
    people = {
        p.pk: p
        for p in Person.objects.filter(pk__in={n.person_id for n in rows if n.person_id}).only(
            "full_name", "email"
        )
    }
    drafts = []
    for n in rows:
        person = people.get(n.person_id)
        to = [person.email] if person and person.email else ADDRESS.findall(n.address or "")
        body = render_to_string(
            "mail/notification.txt",
            {
                "name": person.full_name if person else n.recipient,
                "message": n.message,
                "text": n.text,
                "case": case,
                "matter": case_matter(case),
                "link": case_link(case),
            },
        )
        drafts.append(
            Draft(
                key=f"notification:{n.pk}",
                to=to,
                subject=_subject(case, f"Aviso: actividad {n.activity} completada"),
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
            "link": case_link(case),
        },
    )
    draft = Draft(
        key=f"closed:{case.pk}",
        to=[requester.email] if requester.email else [],
        subject=_subject(case, "Expediente concluido"),
        body=body,
        person=requester,
        case=case,
    )
    return emails_enqueue_many([draft])
