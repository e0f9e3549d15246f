"""
What a case and a task are due by, told one way (the case header, the task page, Mi bandeja, the Tablero).

A pending `Deadline` row makes something due when a person must act by then: a `deadline`, a
`response_window` (the requester's 24 hours to give conformity) or any row that acts when it runs out. A
`validity` window (a download link valid for 5 days, a designation valid for the year) says how long
something produced lasts: nobody is late when it ends, so it never makes a case or a task due.

- A task is due at the earliest of its activity's due rows and the case-wide ones (activity none: the
  legal term of the whole case binds each of its steps).
- A case is due at the earliest of all its due rows.

The engine step writes both times on the rows (`CaseTask.due_at`, `Case.due_at`; services/sync.py), so lists
and counts filter a column; `deadline_status` reads that column and names the rule it comes from.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Q

from mapro.catalogue.definition.schema import TimeRuleMeaning

from .models import Case, CaseTask, Deadline

SOON = dt.timedelta(hours=24)
DUE_MEANINGS = (TimeRuleMeaning.DEADLINE.value, TimeRuleMeaning.RESPONSE_WINDOW.value)

OVERDUE, SOON_DUE, ON_TIME, NO_TERM = "vencido", "por_vencer", "en_plazo", "sin_plazo"
OPEN_CASE = (Case.Status.OPEN, Case.Status.SUSPENDED)
STATE_LABELS = {OVERDUE: "Vencido", SOON_DUE: "Por vencer", ON_TIME: "En plazo", NO_TERM: "Sin plazo"}


def makes_due(deadline: Deadline) -> bool:
    """Whether the row is a time by which someone must act (not a validity that merely runs out)."""
    return deadline.meaning in DUE_MEANINGS or bool(deadline.expiry_action)


def task_due_from(pending: Iterable[Deadline], *, activity: int) -> dt.datetime | None:
    """A task's due time from the case's pending rows: its activity's and the case-wide ones."""
    return min(
        (d.due_at for d in pending if makes_due(d) and d.activity in (activity, None)),
        default=None,
    )


def case_due_from(pending: Iterable[Deadline]) -> dt.datetime | None:
    return min((d.due_at for d in pending if makes_due(d)), default=None)


def due_state(due_at: dt.datetime | None, *, now: dt.datetime) -> str:
    if due_at is None:
        return NO_TERM
    if due_at < now:
        return OVERDUE
    return SOON_DUE if due_at - now <= SOON else ON_TIME


def due_state_q(state: str, *, now: dt.datetime, field: str = "due_at") -> Q:
    """The filter of one state on a due time column, the same boundaries as `due_state`."""
    if state == OVERDUE:
        return Q(**{f"{field}__lt": now})
    if state == SOON_DUE:
        return Q(**{f"{field}__gte": now, f"{field}__lte": now + SOON})
    if state == ON_TIME:
        return Q(**{f"{field}__gt": now + SOON})
    return Q(**{f"{field}__isnull": True})


@dataclass(frozen=True)
class DueStatus:
    """What is due, when, in which state, and by which rule of the ficha."""

    due_at: dt.datetime | None
    state: str  # vencido / por_vencer / en_plazo / sin_plazo
    rule: str = ""  # the time rule's text
    activity: int | None = None  # the rule's activity; None for a term of the whole case
    case_wide: bool = False

    @property
    def label(self) -> str:
        return STATE_LABELS[self.state]


def deadline_status(
    obj: Case | CaseTask, *, now: dt.datetime, rows: Iterable[Deadline] | None = None
) -> DueStatus:
    """
    The due status of an open case or task, from its stored due time (what lists and counts read) and the
    rule behind it. `rows`: the case's deadlines when the caller has them (a list of many), else read.
    """
    task = obj if isinstance(obj, CaseTask) else None
    due_at = obj.due_at
    open_ = (task.status == CaseTask.Status.OPEN) if task else obj.status in OPEN_CASE
    if due_at is None or not open_:
        return DueStatus(None, NO_TERM)
    case_id = task.case_id if task else obj.pk
    if rows is None:
        rows = Deadline.objects.filter(case_id=case_id, due_at=due_at)
    candidates = [
        d
        for d in rows
        if d.case_id == case_id
        and d.due_at == due_at
        and makes_due(d)
        and (task is None or d.activity in (task.activity, None))
    ]
    # Its own activity's rule first; a pending row before one already settled.
    candidates.sort(key=lambda d: (d.activity is None, d.status != Deadline.Status.PENDING, d.pk or 0))
    rule = candidates[0] if candidates else None
    return DueStatus(
        due_at,
        due_state(due_at, now=now),
        rule=rule.text if rule else "",
        activity=rule.activity if rule else None,
        case_wide=rule is not None and rule.activity is None,
    )


def tasks_deadline_status(tasks: Iterable[CaseTask], *, now: dt.datetime) -> dict[int, DueStatus]:
    """The status of many tasks (an inbox page), their rules read in one query."""
    tasks = list(tasks)
    due = [t for t in tasks if t.due_at is not None]
    rows = list(
        Deadline.objects.filter(case_id__in={t.case_id for t in due}, due_at__in={t.due_at for t in due})
    )
    return {t.pk: deadline_status(t, now=now, rows=rows) for t in tasks}
