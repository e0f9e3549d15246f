"""
Who may complete a task: the one rule the services, the inboxes and the read checks share.

- A task of a declared role: a holder of any of its roles (`CaseTask.roles`: the lane's `role_code`, plus
  the co-roles of an activity any of whose responsibles completes it), directly or as "quien haga sus
  veces" (the person's role codes already include delegations).
- A task of the requester (`role_code == "requester"`, a conformity or authorisation the ficha gives to the
  person who opened the case): that person only. Nobody stands in for them: a delegation is of a post, and
  the requester acts as themself, not as a post (docs/decisions/0017-co-responsibles-and-requester.md).
  Except an outside requester (no login; registered by the mesa de ayuda): whoever registered the case, or
  a holder of a role that may register it (registrars.py), completes it on their behalf
  (docs/decisions/0028-register-on-behalf.md).

An activity each of whose roles must complete it has one task per role, each with one `role_code`: the
rule above covers it unchanged.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Q

from mapro.catalogue.definition import Activity, Definition
from mapro.catalogue.definition.schema import REQUESTER, Completion
from mapro.organization.models import Person

from .models import CaseTask, CaseTaskRole
from .registrars import version_registering_roles, versions_registered_by_roles


def task_performable_by(*, task: CaseTask, person: Person, roles: Iterable[str]) -> bool:
    """`roles`: the person's role codes in the task's entity (empty for a person of another entity)."""
    if task.role_code == REQUESTER:
        return task.case.requester_id == person.pk or stands_in_for_requester(
            case=task.case, person=person, roles=roles
        )
    held = set(roles)
    return task.role_code in held or any(role in held for role in task.roles[1:])


def stands_in_for_requester(*, case, person: Person, roles: Iterable[str]) -> bool:
    """An outside requester's task: who registered the case, or a holder of a role that may register it."""
    if case.registered_by_id is None or case.requester.user_id is not None:
        return False
    if case.registered_by_id == person.pk:
        return True
    same_entity = person.entity_id == case.entity_id
    return same_entity and bool(version_registering_roles(case.procedure_version) & set(roles))


def tasks_performable_q(*, person: Person, roles: Iterable[str], prefix: str = "") -> Q:
    """
    The tasks `person` may complete (any status), as one filter: their roles' tasks (the lane role, or a
    co-role through one indexed subquery) and the requester tasks of the cases they opened. `prefix` is the
    path to the task from the queried model ("" on CaseTask). An outside requester's tasks are also those
    of who registered the case and of the holders of a role that may register it.
    """
    codes = sorted(set(roles) - {REQUESTER})
    co_role_tasks = CaseTaskRole.objects.filter(role_code__in=codes).values("task_id")
    registering = versions_registered_by_roles(entity_id=person.entity_id, roles=codes)
    outside = Q(**{f"{prefix}case__registered_by": person}) | Q(
        **{f"{prefix}case__procedure_version_id__in": registering}
    )
    return (
        Q(**{f"{prefix}role_code__in": codes})
        | Q(**{f"{prefix}pk__in": co_role_tasks})
        | Q(**{f"{prefix}role_code": REQUESTER, f"{prefix}case__requester": person})
        | (
            Q(**{f"{prefix}role_code": REQUESTER, f"{prefix}case__requester__user__isnull": True})
            & Q(**{f"{prefix}case__registered_by__isnull": False})
            & outside
        )
    )


def who_may_act(
    *, task: CaseTask, definition: Definition, verb: str = "puede realizar esta actividad"
) -> str:
    """A refusal's words: "Solo A o B (o quien haga sus veces) …", or the requester, who has no stand-in."""
    if task.role_code == REQUESTER and task.case.registered_by_id and task.case.requester.is_external:
        return (
            f"Solo quien registró la solicitud ({task.case.registered_by}) o la mesa de ayuda, a nombre de "
            f"{task.case.requester}, {verb}."
        )
    if task.role_code == REQUESTER:
        return f"Solo quien presentó la solicitud ({task.case.requester}) {verb}."
    names = " o ".join(definition.role(role).name for role in task.roles)
    return f"Solo {names} (o quien haga sus veces) {verb}."


def task_activity(*, definition: Definition, task: CaseTask) -> Activity:
    """
    The activity as this task performs it. Of an activity each of whose roles must complete it, every task
    writes the activity's records except those reserved to other roles (`restricted_to`): nobody writes a
    record they may not read. PR.OTI.006 activity 6: the user's task is the conformity alone; the e-mail with
    the link, reserved to the Responsable of the mail platform, is the Responsable's.
    """
    activity = definition.activity(task.activity)
    return activity_for_role(definition=definition, activity=activity, role=task.role_code)


def activity_for_role(*, definition: Definition, activity: Activity, role: str) -> Activity:
    if activity.completion != Completion.EACH or not activity.co_roles:
        return activity
    reserved = {r.id: r.restricted_to for r in definition.records if r.restricted_to}
    records = [r for r in activity.records if role in reserved.get(r, [role])]
    optional = [r for r in activity.optional_records if r in records]
    return activity.model_copy(update={"records": records, "optional_records": optional})
