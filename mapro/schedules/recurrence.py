"""
When a schedule's cases start (pure functions, no database): the n-th occurrence of a frequency from the
first run, on the entity's working days when the periodicity says so (docs/schedules.md).

Occurrences keep the first run's wall-clock time in Lima. A monthly first run on the 31st falls on the last
day of shorter months (dateutil's relativedelta), and each occurrence counts from the first run, never from
the previous one, so it does not drift to the 28th.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

from dateutil.relativedelta import relativedelta

from mapro.deadlines.calendar import LIMA, WorkCalendar

# Months per step; "biweekly" (quincenal) is half a month: the first run's day and 15 days later.
MONTHS_PER_STEP = {"monthly": 1, "quarterly": 3, "semiannual": 6, "annual": 12}
DAYS_PER_STEP = {"daily": 1, "weekly": 7}
FREQUENCIES = (*DAYS_PER_STEP, "biweekly", *MONTHS_PER_STEP)
# Upper bound of the occurrences walked in one call: ten years of daily runs.
MAX_STEPS = 3660


def index_before(first: dt.datetime, frequency: str, moment: dt.datetime | None) -> int:
    """An occurrence index at or before `moment` (a safe place to start walking: no occurrence skipped)."""
    if moment is None or moment <= first:
        return 0
    if frequency in DAYS_PER_STEP:
        return max(0, (moment - first).days // DAYS_PER_STEP[frequency] - 1)
    a, b = first.astimezone(LIMA), moment.astimezone(LIMA)
    months = (b.year - a.year) * 12 + b.month - a.month
    if frequency == "biweekly":
        return max(0, 2 * months - 2)
    return max(0, months // MONTHS_PER_STEP[frequency] - 1)


def raw_occurrence(first: dt.datetime, frequency: str, n: int) -> dt.datetime:
    """The n-th (from 0) occurrence before any working-day shift."""
    local = first.astimezone(LIMA)
    if frequency in DAYS_PER_STEP:
        moved = local + dt.timedelta(days=n * DAYS_PER_STEP[frequency])
    elif frequency == "biweekly":
        moved = local + relativedelta(months=n // 2) + dt.timedelta(days=15 * (n % 2))
    elif frequency in MONTHS_PER_STEP:
        moved = local + relativedelta(months=n * MONTHS_PER_STEP[frequency])
    else:
        raise ValueError(f"frecuencia no programable: {frequency}")
    return moved.replace(tzinfo=LIMA)


def occurrences(
    first: dt.datetime,
    frequency: str,
    *,
    calendar: WorkCalendar | None = None,
    since: dt.datetime | None = None,
) -> Iterator[dt.datetime]:
    """
    Every occurrence from the first run on. With `calendar` (working days only) an occurrence on a closed
    day moves to the next working day at the same time, unless that day already has the next occurrence
    (a daily schedule skips weekends instead of running twice on Monday). `since`: start walking near that
    moment instead of at the first run (same occurrences after it).
    """
    start = index_before(first, frequency, since)
    nxt = raw_occurrence(first, frequency, start)
    for n in range(start, start + MAX_STEPS):
        current, nxt = nxt, raw_occurrence(first, frequency, n + 1)
        if calendar is None:
            yield current
            continue
        day = calendar.first_working_day_from(current.date())
        if day < nxt.date():
            yield dt.datetime.combine(day, current.timetz())


def occurrences_between(
    first: dt.datetime,
    frequency: str,
    *,
    after: dt.datetime | None,
    until: dt.datetime,
    calendar: WorkCalendar | None = None,
) -> list[dt.datetime]:
    """The occurrences in (after, until]; `after` None = from the first run."""
    found = []
    for moment in occurrences(first, frequency, calendar=calendar, since=after):
        if moment > until:
            break
        if after is None or moment > after:
            found.append(moment)
    return found


def next_occurrence(
    first: dt.datetime, frequency: str, *, after: dt.datetime, calendar: WorkCalendar | None = None
) -> dt.datetime | None:
    """The first occurrence strictly after `after` (None past the walk's bound)."""
    for moment in occurrences(first, frequency, calendar=calendar, since=after):
        if moment > after:
            return moment
    return None


def first_run_default(
    frequency: str, *, today: dt.date, at: dt.time, month: int | None = None, day: int | None = None
) -> dt.datetime:
    """
    The first run of a new schedule: the definition's month/day when the seed fixes them (next such date
    after today), else the start of the next period (tomorrow, next Monday, the 1st or 16th, the 1st of the
    next month, quarter, semester or year). An administrator adjusts it in the admin.
    """
    if month is not None or day is not None:
        candidate = _next_month_day(today, month=month, day=day or 1)
    elif frequency == "daily":
        candidate = today + dt.timedelta(days=1)
    elif frequency == "weekly":
        candidate = today + dt.timedelta(days=7 - today.weekday())
    elif frequency == "biweekly":
        candidate = (
            today.replace(day=16) if today.day < 16 else today.replace(day=1) + relativedelta(months=1)
        )
    else:
        step = MONTHS_PER_STEP[frequency]
        index = (today.month - 1) // step + 1  # the next period's number within the year
        candidate = dt.date(today.year, 1, 1) + relativedelta(months=index * step)
    return dt.datetime.combine(candidate, at, tzinfo=LIMA)


def _next_month_day(today: dt.date, *, month: int | None, day: int) -> dt.date:
    """The first date after today with that month (any, if None) and day (clamped to the month's end)."""
    start = today + dt.timedelta(days=1)
    for offset in range(0, 25):
        first = dt.date(start.year, start.month, 1) + relativedelta(months=offset)
        if month is not None and first.month != month:
            continue
        candidate = first + relativedelta(day=day)
        if candidate >= start:
            return candidate
    raise ValueError("fecha de primera ejecución imposible")
