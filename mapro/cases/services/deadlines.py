"""
Time-driven changes of deadlines: windows run out by themselves, and a rule with `on_expiry` acts.

The engine does not keep its own clock: the due time of every rule is the calendar service's (días
hábiles, holidays, decreed non-working days, office hours), stored on the case's Deadline rows, and this
tick (a Huey periodic task, mapro/cases/tasks.py) is what makes an expiry happen. The compiled BPMN draws an
acting rule as an interrupting boundary timer on its activity so the diagram says what happens; the engine
loader leaves those timers out (docs/decisions/0018-deadlines-that-act.md).
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from mapro.audit.services import audit_event_record
from mapro.catalogue.definition.schema import ExpiryAction, TimeRule

from ..models import Case, CaseTask, Deadline
from ..selectors import case_definition
from .cases import case_close_by_system, case_task_complete_by_system
from .locking import case_lock, locked_tasks

WINDOWS = ("validity", "response_window")


def deadlines_expire(*, now: dt.datetime | None = None) -> int:
    """
    Settle every window or acting deadline that has run out (windows `expired`, acting deadlines `missed`)
    and run the acting ones' expiry action; returns how many rows were settled.

    Each row is claimed with a compare-and-swap update, so concurrent ticks never expire one twice and a
    missed tick is caught up by the next one. An acting row is claimed under its case's lock: a person
    completing the activity holds the same lock, so exactly one of the two wins (the loser finds the task
    completed, or the deadline settled).
    """
    now = now or timezone.now()
    due = Deadline.objects.filter(status=Deadline.Status.PENDING, due_at__lt=now).filter(
        Q(meaning__in=WINDOWS) | ~Q(expiry_action="")
    )
    expired = 0
    for deadline in due.select_related("case__entity", "case__procedure_version").order_by("due_at", "pk"):
        with transaction.atomic():
            expired += _deadline_settle(deadline, now=now)
    return expired


def _deadline_settle(deadline: Deadline, *, now: dt.datetime) -> int:
    acting = bool(deadline.expiry_action)
    case = case_lock(case=deadline.case) if acting else deadline.case
    if acting and case.status == Case.Status.SUSPENDED:
        return 0  # a suspended case does not act: the first tick after it resumes does
    status = Deadline.Status.EXPIRED if deadline.meaning in WINDOWS else Deadline.Status.MISSED
    claimed = Deadline.objects.filter(pk=deadline.pk, status=Deadline.Status.PENDING).update(
        status=status, settled_at=now, updated_at=now
    )
    if not claimed:
        return 0
    audit_event_record(
        chain=case.entity.code,
        action="deadline.expired",
        obj=deadline,
        case=case,
        summary=f"{case.number}: venció {deadline.text[:200]}",
        before={"status": Deadline.Status.PENDING},
        after={"status": status, "action": deadline.expiry_action or None},
    )
    if acting and case.status == Case.Status.OPEN:
        _expiry_act(case=case, deadline=deadline)
    return 1


def _expiry_act(*, case: Case, deadline: Deadline) -> None:
    """Do what the rule says on expiry, as the system (audited with no person as actor)."""
    rule = _rule(case=case, rule_id=deadline.time_rule)
    if rule is None or rule.on_expiry is None:
        return  # the pinned definition no longer says so: nothing to do
    action = rule.on_expiry
    if action.action == ExpiryAction.CLOSE:
        outcome = action.outcome or f"Cerrado automáticamente: {rule.text}"
        case_close_by_system(case=case, outcome=outcome, summary=f"cierre automático al vencer {rule.text}")
        return
    task = (
        locked_tasks()
        .filter(case=case, activity=deadline.activity, status=CaseTask.Status.OPEN)
        .order_by("pk")
        .first()
    )
    if task is None:  # the activity is no longer waiting (done, or routed away): nothing to act on
        return
    decision = action.branch if action.action == ExpiryAction.BRANCH else None
    case_task_complete_by_system(case=case, task=task, decision=decision)


def _rule(*, case: Case, rule_id: str) -> TimeRule | None:
    return next((r for r in case_definition(case=case).time_rules if r.id == rule_id), None)
