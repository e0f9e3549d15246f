"""
Deadline arithmetic on the Peruvian administrative calendar (pure functions, no database).

Legal frame (TUO de la Ley 27444, DS 004-2019-JUS; see docs/deadlines.md):
- working-day terms count from the working day after the notification or receipt (art. 144) and skip
  non-working days and holidays (art. 145.1);
- a term ends at the last moment of its last day (art. 151); a calendar term whose last day is not a
  working day is NOT moved (only terms in días hábiles, months and years are, art. 145.2);
- receipt after the entity's cut-off time, or on a non-working day, counts as receipt on the next
  working day.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays
from dateutil.relativedelta import relativedelta

LIMA = ZoneInfo("America/Lima")
END_OF_DAY = dt.time(23, 59, 59)


@lru_cache(maxsize=1)
def peru_holidays() -> holidays.HolidayBase:
    """Peru's national holidays, shared by every calendar (`holidays` fills a year in on first lookup)."""
    return holidays.country_holidays("PE", language="es")


@dataclass(frozen=True)
class WorkCalendar:
    """An entity's calendar: national holidays, extra non-working days, office hours and cut-off."""

    extra_non_working_days: frozenset[dt.date] = frozenset()
    workday_start: dt.time = dt.time(8, 30)
    workday_end: dt.time = dt.time(17, 30)
    filing_cutoff: dt.time = END_OF_DAY
    region: str | None = None

    def is_working_day(self, day: dt.date) -> bool:
        return day.weekday() < 5 and day not in peru_holidays() and day not in self.extra_non_working_days

    def holiday_name(self, day: dt.date) -> str | None:
        return peru_holidays().get(day)

    def next_working_day(self, day: dt.date) -> dt.date:
        """The first working day strictly after `day`."""
        day += dt.timedelta(days=1)
        while not self.is_working_day(day):
            day += dt.timedelta(days=1)
        return day

    def first_working_day_from(self, day: dt.date) -> dt.date:
        """`day` itself when it is a working day, else the next one."""
        return day if self.is_working_day(day) else self.next_working_day(day)

    def reception_day(self, moment: dt.datetime) -> dt.date:
        """The working day a filing received at `moment` counts as received (cut-off and closed days)."""
        local = moment.astimezone(LIMA)
        day = local.date()
        if local.time() > self.filing_cutoff:
            day += dt.timedelta(days=1)
        return self.first_working_day_from(day)


def end_of_day(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, END_OF_DAY, tzinfo=LIMA)


def add_clock_hours(anchor: dt.datetime, hours: int) -> dt.datetime:
    return (anchor + dt.timedelta(hours=hours)).astimezone(LIMA)


def year_end(anchor: dt.datetime, years: int, calendar: WorkCalendar | None = None) -> dt.datetime:
    """31 December of the anchor's year ("para el año en curso", years=1), or of `years - 1` years later."""
    return end_of_day(dt.date(anchor.astimezone(LIMA).year + years - 1, 12, 31))


def add_calendar_days(anchor: dt.datetime, days: int) -> dt.datetime:
    """Day N after the anchor's day (in Lima), ending at its last moment."""
    return end_of_day(anchor.astimezone(LIMA).date() + dt.timedelta(days=days))


def add_working_days(anchor: dt.datetime, days: int, calendar: WorkCalendar) -> dt.datetime:
    """The N-th working day counted from the working day after receipt (art. 144), at its last moment."""
    day = calendar.reception_day(anchor)
    for _ in range(days):
        day = calendar.next_working_day(day)
    return end_of_day(day)


def add_working_hours(anchor: dt.datetime, hours: int, calendar: WorkCalendar) -> dt.datetime:
    """Elapsed office time only: inside the entity's hours, on working days."""
    remaining = dt.timedelta(hours=hours)
    moment = anchor.astimezone(LIMA)
    day = moment.date()
    while True:
        if calendar.is_working_day(day):
            opens = dt.datetime.combine(day, calendar.workday_start, tzinfo=LIMA)
            closes = dt.datetime.combine(day, calendar.workday_end, tzinfo=LIMA)
            start = max(moment, opens)
            if start < closes:
                available = closes - start
                if remaining <= available:
                    return start + remaining
                remaining -= available
        day += dt.timedelta(days=1)
        moment = dt.datetime.combine(day, dt.time.min, tzinfo=LIMA)


def add_months(anchor: dt.datetime, months: int, calendar: WorkCalendar) -> dt.datetime:
    """Date to date (art. 145.1); a last day that is not a working day moves to the next one (145.2)."""
    day = anchor.astimezone(LIMA).date() + relativedelta(months=months)
    return end_of_day(calendar.first_working_day_from(day))


UNIT_FUNCTIONS: dict[str, Callable[[dt.datetime, int, WorkCalendar], dt.datetime]] = {
    "clock_hours": lambda anchor, n, _calendar: add_clock_hours(anchor, n),
    "calendar_days": lambda anchor, n, _calendar: add_calendar_days(anchor, n),
    "working_days": add_working_days,
    "working_hours": add_working_hours,
    "months": add_months,
    "years": lambda anchor, n, calendar: add_months(anchor, 12 * n, calendar),
    "year_end": year_end,
}


def due_at(anchor: dt.datetime, amount: int, unit: str, calendar: WorkCalendar) -> dt.datetime:
    """When a term of `amount` `unit` anchored at `anchor` ends (aware datetime in America/Lima)."""
    if anchor.tzinfo is None:
        raise ValueError("anchor must be an aware datetime")
    try:
        compute = UNIT_FUNCTIONS[unit]
    except KeyError:
        raise ValueError(f"unknown time unit: {unit}") from None
    return compute(anchor, amount, calendar)


def working_days_between(start: dt.date, end: dt.date, calendar: WorkCalendar) -> int:
    """Working days after `start` up to and including `end` (how many días hábiles a term has used)."""
    count, day = 0, start
    while day < end:
        day += dt.timedelta(days=1)
        count += calendar.is_working_day(day)
    return count
