"""
After every engine step: project the workflow onto relational rows, in the same transaction.

- open tasks: one CaseTask per READY human task (new ones created, vanished ones cancelled);
- deadlines: a time rule starts when its anchor event happens (case start, activity start or end) and
  settles when its activity completes;
- notifications: RACI "I" roles of an activity are told when it is completed;
- call activities: the READY call task starts a child case.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from mapro.catalogue.definition import Definition
from mapro.catalogue.definition.schema import ActivityKind, EventMoment
from mapro.deadlines.calendar import due_at
from mapro.deadlines.services import entity_calendar
from mapro.engine import runtime
from mapro.organization.selectors import people_holding_role

from ..models import Case, CaseTask, Deadline, Notification
from ..selectors import case_definition

CASE_START = "case_start"


def case_tasks_sync(*, case: Case, workflow: Any) -> list[CaseTask]:
    """Create tasks for newly READY activities; returns the new tasks (for child-case starts)."""
    definition = case_definition(case=case)
    ready = {t.id: t for t in runtime.ready_human_tasks(workflow)}
    open_tasks = {t.engine_task_id: t for t in case.tasks.filter(status=CaseTask.Status.OPEN)}

    for engine_id, task in open_tasks.items():
        if engine_id not in ready:  # routed away (cancel, a parallel branch that vanished)
            task.status = CaseTask.Status.CANCELLED
            task.save(update_fields=["status", "updated_at"])

    new_tasks = []
    for engine_id, human in ready.items():
        if engine_id in open_tasks:
            continue
        activity = definition.activity(human.activity)
        task = CaseTask.objects.create(
            case=case,
            engine_task_id=engine_id,
            activity=activity.n,
            name=activity.name,
            kind=activity.kind.value,
            entity_id=case.entity_id,
            role_code=activity.role,
        )
        anchor_events_fire(case=case, definition=definition, activity=activity.n, moment=EventMoment.START)
        task.due_at = _task_due(case=case, activity=activity.n)
        if task.due_at:
            task.save(update_fields=["due_at"])
        new_tasks.append(task)
    _case_due_refresh(case=case)
    return new_tasks


def case_started_deadlines(*, case: Case, definition: Definition) -> None:
    for rule in definition.time_rules:
        if rule.anchor == CASE_START:
            _deadline_open(case=case, rule=rule, anchor_at=case.started_at)


def anchor_events_fire(*, case: Case, definition: Definition, activity: int, moment: EventMoment) -> None:
    """Open the deadlines of every time rule anchored to (activity, moment)."""
    now = timezone.now()
    events = {e.id for e in definition.events if e.activity == activity and e.moment == moment}
    for rule in definition.time_rules:
        if rule.anchor in events:
            _deadline_open(case=case, rule=rule, anchor_at=now)


def activity_completed_settle(*, case: Case, task: CaseTask, definition: Definition) -> None:
    """The activity is done: its pending deadlines are met (or missed, if late); fire its end events."""
    now = timezone.now()
    for deadline in case.deadlines.filter(
        activity=task.activity, status=Deadline.Status.PENDING, meaning="deadline"
    ):
        deadline.status = Deadline.Status.MET if now <= deadline.due_at else Deadline.Status.MISSED
        deadline.settled_at = now
        deadline.task = task
        deadline.save(update_fields=["status", "settled_at", "task", "updated_at"])
    anchor_events_fire(case=case, definition=definition, activity=task.activity, moment=EventMoment.END)
    _informed_notify(case=case, task=task, definition=definition)


def _deadline_open(*, case: Case, rule: Any, anchor_at: dt.datetime) -> None:
    calendar = entity_calendar(entity=case.entity)
    Deadline.objects.create(
        case=case,
        time_rule=rule.id,
        text=rule.text,
        meaning=rule.meaning.value,
        activity=rule.activity,
        anchor_at=anchor_at,
        due_at=due_at(anchor_at, rule.amount, rule.unit.value, calendar),
    )


def _task_due(*, case: Case, activity: int) -> dt.datetime | None:
    pending = case.deadlines.filter(activity=activity, status=Deadline.Status.PENDING, meaning="deadline")
    return pending.order_by("due_at").values_list("due_at", flat=True).first()


def _case_due_refresh(*, case: Case) -> None:
    """The case is due at its nearest pending deadline; open tasks may have gained a later-opened one."""
    for task in case.tasks.filter(status=CaseTask.Status.OPEN, due_at__isnull=True):
        task.due_at = _task_due(case=case, activity=task.activity)
        if task.due_at:
            task.save(update_fields=["due_at"])
    nearest = (
        case.deadlines.filter(status=Deadline.Status.PENDING)
        .order_by("due_at")
        .values_list("due_at", flat=True)
        .first()
    )
    if nearest != case.due_at:
        case.due_at = nearest
        case.save(update_fields=["due_at"])


def _informed_notify(*, case: Case, task: CaseTask, definition: Definition) -> None:
    informed = [
        role
        for row in definition.raci
        if row.activity == task.activity
        for role, letter in row.roles.items()
        if letter == "I"
    ]
    message = f"{case.number}: se completó la actividad {task.activity}. {task.name}"
    Notification.objects.bulk_create(
        Notification(person=person, case=case, task=task, message=message[:500])
        for role in informed
        for person in people_holding_role(entity=case.entity, role_code=role)
    )


def call_activities(*, definition: Definition, tasks: list[CaseTask]) -> list[tuple[CaseTask, str]]:
    """The new tasks that are call activities, with the code of the procedure each one calls."""
    calls = []
    for task in tasks:
        activity = definition.activity(task.activity)
        if activity.kind == ActivityKind.CALL and activity.call is not None:
            calls.append((task, activity.call.procedure))
    return calls
