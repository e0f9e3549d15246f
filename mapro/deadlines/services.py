"""The calendar of an entity as stored (national holidays + decreed and entity non-working days)."""

import datetime as dt

from django.db.models import Q

from mapro.organization.models import Entity

from .calendar import WorkCalendar, due_at
from .models import NonWorkingDay


def entity_calendar(*, entity: Entity) -> WorkCalendar:
    rows = NonWorkingDay.objects.filter(Q(entity__isnull=True) | Q(entity=entity)).filter(
        Q(region="") | Q(region=entity.region)
    )
    return WorkCalendar(
        extra_non_working_days=frozenset(rows.values_list("date", flat=True)),
        workday_start=entity.workday_start,
        workday_end=entity.workday_end,
        filing_cutoff=entity.filing_cutoff,
        region=entity.region or None,
    )


def deadline_compute(*, entity: Entity, anchor: dt.datetime, amount: int, unit: str) -> dt.datetime:
    return due_at(anchor, amount, unit, entity_calendar(entity=entity))
