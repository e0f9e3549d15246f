"""
After every engine step: project the workflow onto relational rows, in the same transaction.

- open tasks: one CaseTask per READY human task (new ones created, vanished ones cancelled);
- deadlines: a time rule starts when its anchor event happens (case start, activity start or end) and
  settles when its activity completes;
- notifications: RACI "I" roles and the recipients the text names (`informs`) are told when an activity
  is completed (notifications.py);
- call activities: the READY call task starts a child case;
- guarded activities: a guard gateway that routed around its activity leaves a `skipped` task row.

A `Step` reads the case's pending deadlines once and keeps them in memory while the step opens and settles
deadlines; new rows are inserted in bulk. A completion is a handful of queries, not one per row touched.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.utils import timezone

from mapro.audit.services import audit_event_record
from mapro.catalogue.definition import Definition
from mapro.catalogue.definition.schema import ActivityKind, Completion, EventMoment, TimeRuleMeaning
from mapro.deadlines.calendar import WorkCalendar, due_at
from mapro.deadlines.services import entity_calendar
from mapro.engine import runtime

from ..due import case_due_from, task_due_from
from ..models import Case, CaseTask, CaseTaskRole, Deadline
from .conditions import condition_holds, latest_records
from .notifications import activity_informed_notify

CASE_START = "case_start"


@dataclass
class Step:
    """
    One engine step of one locked case: its pending deadlines (read once), its open tasks (read once, or
    known without reading) and the rows it adds.
    """

    case: Case
    definition: Definition
    now: dt.datetime
    pending: list[Deadline]
    open_tasks: list[CaseTask] | None
    opened: list[Deadline] = field(default_factory=list)
    _calendar: WorkCalendar | None = None
    _records: dict[str, dict[str, Any]] | None = None

    def records(self) -> dict[str, dict[str, Any]]:
        """The case's latest record data per record id, read once (after this step's records are written)."""
        if self._records is None:
            self._records = latest_records(case=self.case)
        return self._records

    @property
    def calendar(self) -> WorkCalendar:
        if self._calendar is None:
            self._calendar = entity_calendar(entity=self.case.entity)
        return self._calendar

    def task_due(self, activity: int) -> dt.datetime | None:
        """A task is due at the nearest pending due row of its activity or of the whole case (due.py)."""
        return task_due_from(self.pending, activity=activity)


def step_begin(*, case: Case, definition: Definition, open_tasks: list[CaseTask] | None = None) -> Step:
    """`open_tasks`: the case's open tasks (other than one being completed), when the caller knows them."""
    # The case is due at its nearest pending due row: without a due time it has none that a step settles
    # (a validity window without an expiry action only runs out, by the tick).
    pending = [] if case.due_at is None else list(case.deadlines.filter(status=Deadline.Status.PENDING))
    return Step(case=case, definition=definition, now=timezone.now(), pending=pending, open_tasks=open_tasks)


def case_started_deadlines(step: Step) -> None:
    for rule in step.definition.time_rules:
        if rule.anchor == CASE_START:
            _deadline_open(step, rule=rule, anchor_at=step.case.started_at)


def activity_completed_settle(step: Step, *, task: CaseTask) -> None:
    """
    The activity is done: its pending deadlines are met (or missed, if late), and so are its acting windows
    (a response that came in time disarms the expiry action); fire its end events. An activity each of whose
    roles must complete it is done when its last task is.
    """
    if _other_roles_pending(step, task=task):
        return
    settled = [
        d
        for d in step.pending
        if d.activity == task.activity and (d.meaning == TimeRuleMeaning.DEADLINE or d.expiry_action)
    ]
    for status in (Deadline.Status.MET, Deadline.Status.MISSED):
        ids = [d.pk for d in settled if (step.now <= d.due_at) == (status == Deadline.Status.MET)]
        if ids:
            Deadline.objects.filter(pk__in=ids).update(
                status=status, settled_at=step.now, task=task, updated_at=step.now
            )
    step.pending = [d for d in step.pending if d not in settled]
    _anchor_events_fire(step, activity=task.activity, moment=EventMoment.END)
    _informed_notify(step, task=task)


def _other_roles_pending(step: Step, *, task: CaseTask) -> bool:
    activity = step.definition.activity(task.activity)
    if activity.completion != Completion.EACH or not activity.co_roles:
        return False
    others = step.case.tasks.filter(activity=task.activity, status=CaseTask.Status.OPEN).exclude(pk=task.pk)
    return others.exists()


def case_tasks_sync(step: Step, *, workflow: Any) -> list[CaseTask]:
    """
    Create tasks for newly READY activities, cancel those routed away, write the step's new deadlines and
    set the case's due time (saved with the workflow). Returns the new tasks (for child-case starts).
    """
    case = step.case
    guards_skipped_record(step, workflow=workflow)
    ready = {t.id: t for t in runtime.ready_human_tasks(workflow)}
    if step.open_tasks is None:
        step.open_tasks = list(case.tasks.filter(status=CaseTask.Status.OPEN))
    open_tasks = {t.engine_task_id: t for t in step.open_tasks}

    vanished = [t.pk for engine_id, t in open_tasks.items() if engine_id not in ready]
    if vanished:  # routed away (cancel, a parallel branch that vanished)
        CaseTask.objects.filter(pk__in=vanished).update(status=CaseTask.Status.CANCELLED, updated_at=step.now)

    new_tasks = []
    started: set[int] = set()
    for engine_id, human in ready.items():
        if engine_id in open_tasks:
            continue
        activity = step.definition.activity(human.activity)
        if activity.n not in started:  # the tasks of one `each` activity start it once
            started.add(activity.n)
            _anchor_events_fire(step, activity=activity.n, moment=EventMoment.START)
        task = CaseTask(
            case=case,
            engine_task_id=engine_id,
            activity=activity.n,
            name=activity.name,
            kind=activity.kind.value,
            entity_id=case.entity_id,
            role_code=human.role or activity.role,
        )
        # Any of several responsibles completes it: the further roles go to CaseTaskRole (performers.py).
        task._co_role_codes = [] if human.role else sorted(activity.co_roles)
        new_tasks.append(task)
    for task in new_tasks:  # after every start event: one may open a deadline of another new task
        task.due_at = step.task_due(task.activity)
    if step.opened:
        Deadline.objects.bulk_create(step.opened)
        step.opened = []
    CaseTask.objects.bulk_create(new_tasks)
    CaseTaskRole.objects.bulk_create(
        CaseTaskRole(task=task, role_code=role) for task in new_tasks for role in task._co_role_codes
    )
    still_open = [t for t in open_tasks.values() if t.pk not in vanished]
    _open_tasks_due_refresh(step, tasks=still_open)
    step.open_tasks = still_open + new_tasks
    case.due_at = case_due_from(step.pending)
    return new_tasks


def _open_tasks_due_refresh(step: Step, *, tasks: list[CaseTask]) -> None:
    """A task may have gained an earlier due row opened by a later event (or a case-wide one)."""
    for task in tasks:
        due = step.task_due(task.activity)
        if due is not None and (task.due_at is None or due < task.due_at):
            task.due_at = due
            task.save(update_fields=["due_at"])


def _anchor_events_fire(step: Step, *, activity: int, moment: EventMoment) -> None:
    """Open the deadlines of every time rule anchored to (activity, moment)."""
    events = {e.id for e in step.definition.events if e.activity == activity and e.moment == moment}
    for rule in step.definition.time_rules:
        if rule.anchor in events:
            _deadline_open(step, rule=rule, anchor_at=step.now)


def _deadline_open(step: Step, *, rule: Any, anchor_at: dt.datetime) -> None:
    """A rule with `when` opens only if its condition holds on the case data recorded by now."""
    if rule.when is not None and not condition_holds(rule.when, case=step.case, records=step.records()):
        return
    deadline = Deadline(
        case=step.case,
        time_rule=rule.id,
        text=rule.text,
        meaning=rule.meaning.value,
        activity=rule.activity,
        anchor_at=anchor_at,
        due_at=due_at(anchor_at, rule.amount, rule.unit.value, step.calendar),
        expiry_action=rule.on_expiry.action.value if rule.on_expiry is not None else "",
    )
    step.pending.append(deadline)
    step.opened.append(deadline)


def case_closed_settle(*, case: Case, now: dt.datetime) -> None:
    """The case concluded: its case-level deadlines (activity none, e.g. a legal frame) are met or missed."""
    pending = case.deadlines.filter(
        status=Deadline.Status.PENDING, activity__isnull=True, meaning=TimeRuleMeaning.DEADLINE
    )
    pending.filter(due_at__gte=now).update(status=Deadline.Status.MET, settled_at=now, updated_at=now)
    pending.filter(due_at__lt=now).update(status=Deadline.Status.MISSED, settled_at=now, updated_at=now)


def guards_skipped_record(step: Step, *, workflow: Any) -> None:
    """
    A guard gateway that routed around its activity leaves a `skipped` task row (never in an inbox) and an
    audit event by the system, so the case's history says the activity did not apply, and why.
    """
    if not any(a.when is not None for a in step.definition.activities):
        return
    skipped = runtime.guards_skipped(workflow)
    if not skipped:
        return
    rows = step.case.tasks.filter(engine_task_id__in=[s.id for s in skipped])
    known = set(rows.values_list("engine_task_id", flat=True))
    for guard in skipped:
        if guard.id in known:
            continue
        activity = step.definition.activity(guard.activity)
        task = CaseTask.objects.create(
            case=step.case,
            engine_task_id=guard.id,
            activity=activity.n,
            name=activity.name,
            kind=activity.kind.value,
            entity_id=step.case.entity_id,
            role_code=activity.role,
            status=CaseTask.Status.SKIPPED,
            completed_at=step.now,
            data={"skipped": True, "condition": activity.when.text or activity.when.data},
        )
        audit_event_record(
            chain=step.case.entity.code,
            action="task.skipped",
            obj=task,
            case=step.case,
            summary=f"{step.case.number}: {activity.n}. {activity.name} — no aplica"[:300],
            after={"status": task.status, "condition": activity.when.model_dump(exclude_none=True)},
        )


def _informed_notify(step: Step, *, task: CaseTask) -> None:
    activity_informed_notify(case=step.case, definition=step.definition, task=task)


def call_activities(*, definition: Definition, tasks: list[CaseTask]) -> list[tuple[CaseTask, str]]:
    """The new tasks that are call activities, with the code of the procedure each one calls."""
    calls = []
    for task in tasks:
        activity = definition.activity(task.activity)
        if activity.kind == ActivityKind.CALL and activity.call is not None:
            calls.append((task, activity.call.procedure))
    return calls


def due_times_refresh() -> int:
    """
    Store again the due times of open cases and their open tasks by the rule of mapro/cases/due.py, for rows
    written before it (a case once due at a validity window, a task without the response window it waits
    on); returns how many rows changed. A task keeps a due time its pending rows no longer give (a response
    window that ran out: the step keeps it too).
    """
    changed = 0
    cases = Case.objects.filter(status__in=[Case.Status.OPEN, Case.Status.SUSPENDED]).only("pk", "due_at")
    for case in cases.iterator():
        pending = list(Deadline.objects.filter(case=case, status=Deadline.Status.PENDING))
        due = case_due_from(pending)
        if due != case.due_at:
            changed += Case.objects.filter(pk=case.pk).update(due_at=due)
        for task in CaseTask.objects.filter(case=case, status=CaseTask.Status.OPEN).only(
            "pk", "activity", "due_at"
        ):
            task_due = task_due_from(pending, activity=task.activity)
            if task_due is not None and task_due != task.due_at:
                changed += CaseTask.objects.filter(pk=task.pk).update(due_at=task_due)
    return changed
