"""
In-app notifications: who an activity tells when it is completed, and the person marking what they read.

An activity tells the roles its RACI row marks "I" and the recipients its text names (`informs`): a role of
the entity (each person holding it, directly or by delegation), the requester, or an outside contact (a
body or an address the ficha names), kept on the case as a notification without a person. A role named both
ways is told once, with the ficha's words. A role nobody holds still leaves one row, without a person, so
the case shows that the ficha told it (docs/decisions/0020-informs-fin-rows-describe-api.md).
"""

from __future__ import annotations

from django.utils import timezone

from mapro.catalogue.definition import Definition
from mapro.catalogue.definition.schema import Recipient
from mapro.core.errors import NotFoundError
from mapro.organization.models import Person
from mapro.organization.selectors import people_ids_holding_roles

from ..models import Case, CaseTask, Notification

Kind = Notification.Kind


def activity_informed_notify(*, case: Case, definition: Definition, task: CaseTask) -> list[Notification]:
    """The notifications of a completed activity, one per person (or contact) told; no query when none."""
    activity = definition.activity(task.activity)
    named = [r.role for r in activity.informs if r.role is not None]
    raci = sorted(
        role
        for row in definition.raci
        if row.activity == task.activity
        for role, letter in row.roles.items()
        if letter == "I" and role not in named
    )
    message = f"{case.number}: se completó la actividad {task.activity}. {task.name}"[:500]
    rows: list[Notification] = []

    def add(person_id: int | None, kind: str, recipient: str, informs: Recipient | None = None) -> None:
        rows.append(
            Notification(
                person_id=person_id,
                case=case,
                task=task,
                activity=task.activity,
                kind=kind,
                recipient=recipient[:200],
                address=(informs.address or "")[:300] if informs else "",
                channel=(informs.channel or "")[:100] if informs else "",
                text=(informs.text or "")[:500] if informs else "",
                message=message,
            )
        )

    def add_role(role: str, kind: str, informs: Recipient | None = None) -> None:
        people = sorted(people_ids_holding_roles(entity=case.entity, role_codes=[role]))
        for person_id in people or [None]:
            add(person_id, kind, role, informs)

    for role in raci:
        add_role(role, Kind.RACI)
    for recipient in activity.informs:
        if recipient.role is not None:
            add_role(recipient.role, Kind.ROLE, recipient)
        elif recipient.requester:
            add(case.requester_id, Kind.REQUESTER, "requester", recipient)
        else:
            add(None, Kind.CONTACT, recipient.contact or "", recipient)
    return Notification.objects.bulk_create(rows) if rows else []


def notification_mark_read(*, notification_id: int, person: Person) -> Notification:
    """Idempotent: marking an already read notification keeps its first reading time."""
    notification = Notification.objects.filter(pk=notification_id, person=person).first()
    if notification is None:
        raise NotFoundError("La notificación no existe.")
    if notification.read_at is None:
        notification.read_at = timezone.now()
        notification.save(update_fields=["read_at", "updated_at"])
    return notification
