"""The public sector's decreed non-working days ship with the product (migration 0002) and stay editable."""

import datetime as dt

import pytest

from mapro.deadlines.calendar import LIMA
from mapro.deadlines.models import NonWorkingDay
from mapro.deadlines.services import deadline_compute, entity_calendar
from mapro.organization.models import Entity

pytestmark = pytest.mark.django_db

SHIPPED = {  # date: norma, as each decree lists them
    dt.date(2023, 1, 2): "DS 151-2022-PCM",
    dt.date(2023, 4, 28): "DS 151-2022-PCM",
    dt.date(2023, 6, 30): "DS 151-2022-PCM",
    dt.date(2023, 7, 27): "DS 151-2022-PCM",
    dt.date(2023, 10, 9): "DS 151-2022-PCM",
    dt.date(2023, 12, 7): "DS 151-2022-PCM",
    dt.date(2023, 12, 26): "DS 151-2022-PCM",
    dt.date(2024, 1, 2): "DS 151-2022-PCM",
    dt.date(2024, 7, 26): "DS 011-2024-PCM",
    dt.date(2024, 10, 7): "DS 011-2024-PCM",
    dt.date(2024, 12, 6): "DS 011-2024-PCM",
    dt.date(2024, 12, 23): "DS 011-2024-PCM",
    dt.date(2024, 12, 24): "DS 011-2024-PCM",
    dt.date(2024, 12, 30): "DS 011-2024-PCM",
    dt.date(2024, 12, 31): "DS 011-2024-PCM",
    dt.date(2025, 5, 2): "DS 042-2025-PCM",
    dt.date(2025, 12, 26): "DS 042-2025-PCM",
    dt.date(2026, 1, 2): "DS 042-2025-PCM",
}


@pytest.fixture
def entities() -> list[Entity]:
    return [
        Entity.objects.get_or_create(code=code, defaults={"name": code, "region": region})[0]
        for code, region in (("MVCS", "Lima"), ("SENACE", ""))
    ]


def test_every_decreed_day_ships_with_its_norma_for_every_entity(entities):
    rows = NonWorkingDay.objects.filter(scope=NonWorkingDay.Scope.DECREED, entity=None, region="")
    assert dict(rows.values_list("date", "legal_source")) == SHIPPED
    for entity in entities:
        calendar = entity_calendar(entity=entity)
        assert all(not calendar.is_working_day(day) for day in SHIPPED), entity.code


def test_a_working_day_term_skips_a_decreed_day_and_follows_an_edit(entities):
    mvcs = entities[0]
    # Received Thursday 1 May 2025 (Día del Trabajo): counts from Friday 2 May, decreed (DS 042-2025-PCM), so
    # from Monday 5: 6 (1), 7 (2).
    anchor = dt.datetime(2025, 5, 1, 10, 0, tzinfo=LIMA)
    expected = dt.datetime(2025, 5, 7, 23, 59, 59, tzinfo=LIMA)
    assert deadline_compute(entity=mvcs, anchor=anchor, amount=2, unit="working_days") == expected
    # A new decree the administrator enters (here: Tuesday 6 May) moves the term one working day.
    NonWorkingDay.objects.create(
        date=dt.date(2025, 5, 6), name="Día no laborable", scope="decreed", legal_source="DS 999-2025-PCM"
    )
    later = dt.datetime(2025, 5, 8, 23, 59, 59, tzinfo=LIMA)
    assert deadline_compute(entity=mvcs, anchor=anchor, amount=2, unit="working_days") == later
