"""
Who may route a task to whom: the one rule the routing services, the API and the routing panel share
(docs/permissions.md, docs/decisions/0027-routing.md).

- A holder of one of the task's roles (directly or as "quien haga sus veces") may take a task nobody has
  ("Asignarme") or give it to a colleague holding one of its roles.
- The person it is assigned to may pass it on (derivar, with a proveído) or release it to the role's pool.
- The head of the unit responsible for the activity (its unit's `head_role`, else the post named after the
  unit's head, up the unit tree) and the owner of the procedure (the head of the owning unit) route any
  task of the procedure: assign, reassign, derivar, release.
- Nobody else. A task is only ever given to a holder of its roles; a task of the requester, to nobody else.
"""

from __future__ import annotations

from dataclasses import dataclass

from mapro.catalogue.definition import Definition
from mapro.catalogue.definition.schema import REQUESTER
from mapro.mail.selectors import role_holders, unit_head_role
from mapro.organization.models import Person, Role

from .access import procedure_access
from .models import CaseTask
from .performers import task_performable_by


@dataclass(frozen=True)
class RoutingRights:
    """What `person` is to `task` for routing it."""

    holder: bool  # holds one of the task's roles: may complete it, take it, give it to a colleague
    head: bool  # head of the activity's unit or owner of the procedure: routes any of its tasks
    assignee: bool  # the task is assigned to them

    @property
    def routes(self) -> bool:
        return self.holder or self.head or self.assignee

    def may_give(self, task: CaseTask) -> bool:
        """Whether they may (re)assign the task as it is now (the assignment they see)."""
        return self.head or self.assignee or (self.holder and task.assignee_id is None)

    def may_release(self, task: CaseTask) -> bool:
        return task.assignee_id is not None and (self.assignee or self.head)


def head_roles(*, task: CaseTask, definition: Definition) -> set[str]:
    """
    The role codes of who heads the task's work: the head of the unit responsible for the activity and
    the owner of the procedure (docs/permissions.md, "The owner and the heads of the owning unit").
    """
    activity = definition.activity(task.activity)
    unit = activity.unit or (definition.role(activity.role).unit if activity.role != REQUESTER else None)
    heads = set(procedure_access(version=task.case.procedure_version).owners)
    if unit:
        _unit, head = unit_head_role(entity=task.case.entity, unit_code=unit)
        if head:
            heads.add(head)
    return heads


def routing_rights(
    *, task: CaseTask, person: Person, roles: set[str], definition: Definition
) -> RoutingRights:
    """`roles`: the person's role codes in the task's entity (empty for a person of another entity)."""
    same_entity = person.entity_id == task.entity_id
    return RoutingRights(
        holder=same_entity and task_performable_by(task=task, person=person, roles=roles),
        head=same_entity
        and task.role_code != REQUESTER
        and bool(roles & head_roles(task=task, definition=definition)),
        assignee=task.assignee_id is not None and task.assignee_id == person.pk,
    )


def may_receive(*, task: CaseTask, person: Person, roles: set[str]) -> bool:
    """Whether the task may be given to `person` (their `roles` in the task's entity)."""
    return person.entity_id == task.entity_id and task_performable_by(task=task, person=person, roles=roles)


@dataclass(frozen=True)
class Candidate:
    person_id: int
    name: str
    roles: str  # the names of the task's roles they hold


def task_candidates(*, task: CaseTask, definition: Definition) -> list[Candidate]:
    """The people the task may be given to: today's holders of its roles (a requester task: the requester)."""
    if task.role_code == REQUESTER:
        requester = task.case.requester
        return [Candidate(requester.pk, requester.full_name, "Solicitante")]
    names = _role_names(task=task, definition=definition)
    people: dict[int, tuple[str, list[str]]] = {}
    for code, holders in role_holders(entity=task.case.entity, role_codes=task.roles).items():
        for holder in holders:
            people.setdefault(holder.person_id, (holder.name, []))[1].append(names.get(code, code))
    ordered = sorted(people.items(), key=lambda item: item[1][0].lower())
    return [Candidate(pk, name, ", ".join(sorted(set(held)))) for pk, (name, held) in ordered]


def heads_label(*, task: CaseTask, definition: Definition) -> str:
    """The names of the posts that head the task's work, for a refusal: "Director(a) de la OTI"."""
    codes = head_roles(task=task, definition=definition)
    declared = {role.id: role.name for role in definition.roles}
    names = {declared.get(code) for code in codes} - {None}
    others = codes - set(declared)
    if others:
        roles = Role.objects.filter(entity=task.case.entity, code__in=others)
        names |= set(roles.values_list("name", flat=True))
    return " o ".join(sorted(names)) or "el jefe de la unidad"


def _role_names(*, task: CaseTask, definition: Definition) -> dict[str, str]:
    declared = {role.id: role.name for role in definition.roles}
    return {code: declared.get(code, code) for code in task.roles}
