"""Reads of schedules: the list per entity with each schedule's next runs."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import QuerySet

from mapro.deadlines.services import entity_calendar

from .models import Schedule
from .recurrence import occurrences


@dataclass(frozen=True)
class ScheduleRow:
    schedule: Schedule
    next_runs: list[dt.datetime]


def schedules_for(*, entity_code: str | None = None) -> QuerySet[Schedule]:
    rows = Schedule.objects.select_related("entity", "requester")
    return rows.filter(entity__code=entity_code) if entity_code else rows


def schedule_next_runs(*, schedule: Schedule, count: int = 3) -> list[dt.datetime]:
    """The next `count` occurrences still to be handled (none when inactive)."""
    if not schedule.active or schedule.next_run_at is None:
        return []
    calendar = entity_calendar(entity=schedule.entity) if schedule.working_days else None
    found = []
    for moment in occurrences(
        schedule.first_run_at, schedule.frequency, calendar=calendar, since=schedule.next_run_at
    ):
        if moment >= schedule.next_run_at:
            found.append(moment)
        if len(found) == count:
            break
    return found


def schedule_rows(*, entity_code: str | None = None, count: int = 3) -> list[ScheduleRow]:
    return [
        ScheduleRow(schedule=s, next_runs=schedule_next_runs(schedule=s, count=count))
        for s in schedules_for(entity_code=entity_code)
    ]
