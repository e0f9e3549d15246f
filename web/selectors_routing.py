"""The routing panel of a task (task page and case page): what the person may do to route it, and to whom."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from mapro.audit.models import AuditEvent
from mapro.cases.models import Case, CaseTask, CaseTaskRole
from mapro.cases.routing import Candidate, routing_rights, task_candidates
from mapro.cases.selectors import case_definition
from mapro.catalogue.definition.schema import REQUESTER
from mapro.mail.selectors import role_holders
from mapro.organization.models import Entity, Person
from mapro.organization.selectors import person_role_codes

ROUTING_ACTIONS = ("task.assigned", "task.forwarded", "task.released")


@dataclass(frozen=True)
class RoutingPanel:
    task: CaseTask
    claim: bool = False  # "Asignarme" means something here
    candidates: list[Candidate] = field(default_factory=list)  # whom it may be given to (the select)
    action: str = "asignar"  # asignar | reasignar | derivar (derivar: their own task, proveído required)
    release: bool = False
    collapsed: bool = False  # the person's own work: giving it away is the exception, folded away
    note: str = ""  # the last proveído, who wrote it and when
    note_by: str = ""
    note_at: dt.datetime | None = None

    @property
    def acts(self) -> bool:
        return self.claim or bool(self.candidates) or self.release


def routing_panel(*, task: CaseTask, person: Person, roles: set[str] | None = None) -> RoutingPanel:
    """
    What `person` is offered: "Asignarme" only where it changes something (the task is nobody's and its
    role has more than one holder, or it is someone else's and they head the unit); the people it may go to
    (never themself or its assignee); release, for its assignee or a head. The last proveído for everyone.
    """
    note, note_by, note_at = _last_note(task)
    if task.status != CaseTask.Status.OPEN or task.case.status != Case.Status.OPEN:
        return RoutingPanel(task=task, note=note, note_by=note_by, note_at=note_at)
    definition = case_definition(case=task.case)
    if roles is None:
        roles = person_role_codes(person=person, entity=task.case.entity)
    rights = routing_rights(task=task, person=person, roles=roles, definition=definition)
    if not rights.routes:
        return RoutingPanel(task=task, note=note, note_by=note_by, note_at=note_at)
    everyone = task_candidates(task=task, definition=definition)
    mine = task.assignee_id == person.pk
    if task.assignee_id is None:
        claim = rights.holder and len(everyone) > 1
    else:
        claim = rights.holder and rights.head and not mine
    others = [c for c in everyone if c.person_id not in (person.pk, task.assignee_id)]
    return RoutingPanel(
        task=task,
        claim=claim,
        candidates=others if rights.may_give(task) else [],
        action="derivar" if mine else ("reasignar" if task.assignee_id else "asignar"),
        release=rights.may_release(task),
        collapsed=rights.holder and task.assignee_id in (None, person.pk),
        note=note,
        note_by=note_by,
        note_at=note_at,
    )


def _last_note(task: CaseTask) -> tuple[str, str, dt.datetime | None]:
    if not task.routing_note:
        return "", "", None
    event = (
        AuditEvent.objects.filter(
            object_type="cases.CaseTask", object_id=str(task.pk), action__in=ROUTING_ACTIONS
        )
        .order_by("-occurred_at", "-pk")
        .first()
    )
    return task.routing_note, event.actor_label if event else "", event.occurred_at if event else None


def tasks_shared(*, tasks: list[CaseTask], entity: Entity) -> set[int]:
    """
    Of these unassigned tasks, those more than one person may take (their roles have several holders): where
    "Asignarme" changes something. Two queries for the whole list; a requester's task is never shared.
    """
    tasks = [t for t in tasks if t.assignee_id is None and t.role_code != REQUESTER]
    co_roles: dict[int, set[str]] = {}
    rows = CaseTaskRole.objects.filter(task_id__in=[t.pk for t in tasks]).values_list("task_id", "role_code")
    for task_id, code in rows:
        co_roles.setdefault(task_id, set()).add(code)
    codes = {t.role_code for t in tasks} | {c for held in co_roles.values() for c in held}
    holders = role_holders(entity=entity, role_codes=codes)
    shared = set()
    for task in tasks:
        people = {
            h.person_id
            for code in {task.role_code, *co_roles.get(task.pk, ())}
            for h in holders.get(code, [])
        }
        if len(people) > 1:
            shared.add(task.pk)
    return shared
