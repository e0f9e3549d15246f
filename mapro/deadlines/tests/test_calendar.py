"""Deadline arithmetic: exact cases across weekends and holidays, and properties over any anchor."""

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mapro.deadlines.calendar import (
    LIMA,
    WorkCalendar,
    add_working_days,
    due_at,
    end_of_day,
    working_days_between,
)

CAL = WorkCalendar()


def lima(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=LIMA)


class TestExactSeedRules:
    # PR.OTI.005: the e-mail of activity 1 arrives on Friday 24 July 2026 at 16:10.
    received = lima(2026, 7, 24, 16, 10)

    def test_four_clock_hours_run_through_the_evening(self):
        assert due_at(self.received, 4, "clock_hours", CAL) == lima(2026, 7, 24, 20, 10)

    @pytest.mark.parametrize(
        ("days", "expected"),
        [
            (7, lima(2026, 7, 31, 23, 59, 59)),
            (25, lima(2026, 8, 18, 23, 59, 59)),
            (30, lima(2026, 8, 23, 23, 59, 59)),
        ],
    )
    def test_calendar_days_count_holidays_and_end_at_midnight(self, days, expected):
        # 28 and 29 July are national holidays: calendar days count them all the same.
        assert due_at(self.received, days, "calendar_days", CAL) == expected

    def test_calendar_term_ending_on_a_sunday_is_not_moved(self):
        assert due_at(lima(2026, 8, 1, 9), 1, "calendar_days", CAL) == lima(2026, 8, 2, 23, 59, 59)

    def test_working_days_skip_weekend_and_fiestas_patrias(self):
        # Counting starts the working day after receipt (art. 144): Mon 27, then Thu 30 (28 and 29 are
        # holidays), Fri 31, Mon 3 Aug.
        assert due_at(self.received, 1, "working_days", CAL) == lima(2026, 7, 27, 23, 59, 59)
        assert due_at(self.received, 2, "working_days", CAL) == lima(2026, 7, 30, 23, 59, 59)
        assert due_at(self.received, 4, "working_days", CAL) == lima(2026, 8, 3, 23, 59, 59)

    def test_aip_ten_working_days(self):
        # An AIP request received Monday 20 July 2026: 10 días hábiles skip 23 July (Día de la Fuerza
        # Aérea), 28-29 July (Fiestas Patrias) and 6 August (Batalla de Junín): 21, 22, 24, 27, 30, 31,
        # 3, 4, 5 and 7 August.
        assert due_at(lima(2026, 7, 20, 11), 10, "working_days", CAL) == lima(2026, 8, 7, 23, 59, 59)

    def test_receipt_on_a_holiday_counts_from_the_next_working_day(self):
        assert due_at(lima(2026, 7, 28, 10), 1, "working_days", CAL) == lima(2026, 7, 31, 23, 59, 59)

    def test_receipt_after_the_cut_off_counts_as_next_day(self):
        cal = WorkCalendar(filing_cutoff=dt.time(17, 0))
        assert due_at(lima(2026, 7, 27, 17, 30), 1, "working_days", cal) == lima(2026, 7, 31, 23, 59, 59)
        assert due_at(lima(2026, 7, 27, 16, 59), 1, "working_days", cal) == lima(2026, 7, 30, 23, 59, 59)

    def test_decreed_non_working_day_is_skipped(self):
        # DS 042-2025-PCM: 2 January 2026 is a non-working day for the public sector.
        cal = WorkCalendar(extra_non_working_days=frozenset({dt.date(2026, 1, 2)}))
        assert due_at(lima(2025, 12, 31, 10), 1, "working_days", cal) == lima(2026, 1, 5, 23, 59, 59)
        assert due_at(lima(2025, 12, 31, 10), 1, "working_days", CAL) == lima(2026, 1, 2, 23, 59, 59)

    def test_working_hours_stay_inside_office_hours(self):
        # Friday 24 July 16:10 + 2 working hours: 80 minutes that day, 40 on Monday 27 from 08:30.
        assert due_at(self.received, 2, "working_hours", CAL) == lima(2026, 7, 27, 9, 10)

    def test_month_term_ending_on_a_holiday_moves_to_next_working_day(self):
        assert due_at(lima(2026, 6, 28, 10), 1, "months", CAL) == lima(2026, 7, 30, 23, 59, 59)

    def test_naive_anchor_is_refused(self):
        with pytest.raises(ValueError):
            due_at(dt.datetime(2026, 7, 24, 10), 1, "calendar_days", CAL)  # noqa: DTZ001 - the point


# Naive bounds are what hypothesis asks for; every drawn value is made aware in Lima.
anchors = st.datetimes(
    min_value=dt.datetime(2024, 1, 1),  # noqa: DTZ001
    max_value=dt.datetime(2030, 12, 31),  # noqa: DTZ001
).map(lambda moment: moment.replace(tzinfo=LIMA))


@given(anchor=anchors, days=st.integers(min_value=1, max_value=60))
def test_working_day_term_ends_on_a_working_day_at_its_last_moment(anchor, days):
    due = due_at(anchor, days, "working_days", CAL)
    assert CAL.is_working_day(due.date())
    assert due.timetz() == dt.time(23, 59, 59, tzinfo=LIMA)
    assert due > anchor


@given(anchor=anchors, days=st.integers(min_value=1, max_value=60))
def test_working_day_term_uses_exactly_n_working_days_after_receipt(anchor, days):
    due = due_at(anchor, days, "working_days", CAL)
    assert working_days_between(CAL.reception_day(anchor), due.date(), CAL) == days


@given(anchor=anchors, days=st.integers(min_value=1, max_value=59))
def test_one_more_working_day_is_the_next_working_day(anchor, days):
    due = add_working_days(anchor, days, CAL)
    assert add_working_days(anchor, days + 1, CAL) == end_of_day(CAL.next_working_day(due.date()))


@given(anchor=anchors, days=st.integers(min_value=1, max_value=400))
def test_calendar_days_are_never_moved(anchor, days):
    due = due_at(anchor, days, "calendar_days", CAL)
    assert (due.date() - anchor.astimezone(LIMA).date()).days == days


@given(anchor=anchors, hours=st.integers(min_value=1, max_value=1000))
def test_clock_hours_are_exact(anchor, hours):
    assert due_at(anchor, hours, "clock_hours", CAL) - anchor == dt.timedelta(hours=hours)


@given(anchor=anchors, hours=st.integers(min_value=1, max_value=80))
def test_working_hours_end_inside_office_hours_of_a_working_day(anchor, hours):
    due = due_at(anchor, hours, "working_hours", CAL)
    assert CAL.is_working_day(due.date())
    assert CAL.workday_start < due.time() <= CAL.workday_end
    assert due - anchor >= dt.timedelta(hours=hours)
