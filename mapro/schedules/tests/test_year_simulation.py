"""
A simulated year of the four entities' schedules (time-machine), one worker tick every day at the start of
the working day: every scheduled case is created exactly once, at its time; a worker killed mid-task and
restarted loses and duplicates nothing; ten days of downtime are caught up once; a second worker (at once
on PostgreSQL, interleaved on SQLite) and a worker with a stale view start nothing twice. The same ticks
run the mail: every deadline that comes due is escalated once, and each mail leaves once.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections import Counter

import pytest
import time_machine
from django.core import mail
from django.core.management import call_command
from django.db import connection

from mapro.audit.models import AuditEvent
from mapro.cases.models import Case, Deadline
from mapro.cases.services import case_start
from mapro.cases.tests.conftest import person, task_complete
from mapro.catalogue.tests.sample_data import baja_inputs
from mapro.core.worker import worker_tick
from mapro.deadlines.calendar import LIMA, WorkCalendar
from mapro.mail.models import OutboundEmail
from mapro.schedules import services
from mapro.schedules.models import Schedule, ScheduleRun
from mapro.schedules.services import schedule_update, schedules_run_due, schedules_sync

YEAR = 2027
SYNC_AT = dt.datetime(YEAR - 1, 12, 31, 12, 0, tzinfo=LIMA)
TICK = dt.time(8, 30)  # every entity's workday_start: the demo entities' default
PER_YEAR = {"daily": 365, "monthly": 12, "quarterly": 4, "semiannual": 2, "annual": 1}
CRASH_DAY = dt.date(YEAR, 6, 15)
REQUESTED = "PR.OTI.005"  # MVCS, started by a request on this day of every month
REQUEST_DAY = 10
DOWN = (dt.date(YEAR, 9, 1), dt.date(YEAR, 9, 10))  # no tick on these days, both included
# Their mandatory start input is a file a scheduled start cannot attach (docs/schedules.md): each
# occurrence is recorded once as failed, with the reason.
FILE_INPUT = {"S.04.01.02_P", "S04.01.00.02"}
OFF_SENACE = ("S.04.04.01.03_P", "monitoreo_diario")
DAILY = (
    "MINCETUR-DIR-002-2023-7.1.1",
    "MINCETUR-DIR-002-2023-7.1.2",
    "S04.03.02.01",
    "S.04.04.01.02_P",
    "S.04.04.01.03_P",
)


def at(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, TICK, tzinfo=LIMA)


def moments_in(runs: list[ScheduleRun]) -> list[dt.datetime]:
    return [r.occurrence_at for r in runs]


def tick(now: dt.datetime) -> dict[str, int]:
    with time_machine.travel(now, tick=False):
        return worker_tick(now)


class WorkerKilled(BaseException):
    """Stands for the process dying mid-task: not an error the service may catch."""


def killed_on_third_case(monkeypatch, now: dt.datetime) -> int:
    """A tick whose worker dies while starting its third case; returns the cases it left committed."""
    real_start, calls = services.case_start, Counter()

    def dying(**kwargs):
        calls["n"] += 1
        if calls["n"] == 3:
            raise WorkerKilled
        return real_start(**kwargs)

    monkeypatch.setattr(services, "case_start", dying)
    with pytest.raises(WorkerKilled):
        tick(now)
    monkeypatch.setattr(services, "case_start", real_start)
    return Case.objects.filter(started_at=now).count()


@pytest.mark.django_db
def test_a_year_of_schedules_starts_every_case_once(monkeypatch):
    with time_machine.travel(SYNC_AT, tick=False):
        report = schedules_sync()
        assert schedules_sync().created == []  # idempotent
    schedules = {(s.procedure_code, s.flow): s for s in report.created}
    assert len(schedules) == 24
    assert {s.entity.code for s in schedules.values()} == {"MINCETUR", "MINDEF", "SENACE"}
    assert all(s.requester_id and s.first_run_at == at(dt.date(YEAR, 1, 1)) for s in schedules.values())
    assert schedules[("S.04.04.01.01_P", "cuentas_correo_servicios")].start_activity == 310

    # An administrator's change is an audit event: MINCETUR's daily check only on working days.
    daily = schedules[("MINCETUR-DIR-002-2023-7.1.1", "verificacion_diaria")]
    with time_machine.travel(SYNC_AT, tick=False):
        schedule_update(schedule=daily, actor=None, changes={"working_days": True}, actor_label="admin")
    event = AuditEvent.objects.get(action="schedule.changed", object_id=str(daily.pk))
    assert (event.before["working_days"], event.after["working_days"]) == (False, True)
    # Two of the five daily schedules off (one daily left per entity keeps the year cheap): none of theirs.
    off = [schedules[k] for k in (("MINCETUR-DIR-002-2023-7.1.2", "verificacion_diaria"), OFF_SENACE)]
    with time_machine.travel(SYNC_AT, tick=False):
        for schedule in off:
            schedule_update(schedule=schedule, actor=None, changes={"active": False}, actor_label="admin")

    day, killed = dt.date(YEAR, 1, 1), 0
    while day.year == YEAR:
        if DOWN[0] <= day <= DOWN[1]:
            day += dt.timedelta(days=1)
            continue
        if day.day == REQUEST_DAY:  # a request whose deadlines nobody meets
            with time_machine.travel(at(day), tick=False):
                analyst = person("MVCS", "analista_mesa_servicios")
                request = case_start(procedure_code=REQUESTED, requester=analyst, inputs=baja_inputs())
                task_complete(task_id=request.tasks.get().pk, actor=analyst)  # the clocks start here
        if day == CRASH_DAY:  # the worker dies on the third (daily) case of the day, then restarts
            killed = killed_on_third_case(monkeypatch, at(day))
            assert killed == 2  # committed before the crash; the third rolled back with its run
        tick(at(day))
        assert tick(at(day))["schedules"] == 0  # a second worker after the first: nothing left
        day += dt.timedelta(days=1)

    runs = ScheduleRun.objects.select_related("schedule", "case")
    working = WorkCalendar()
    for key, schedule in schedules.items():
        mine = [r for r in runs if r.schedule_id == schedule.pk]
        moments = [r.occurrence_at for r in mine]
        assert len(moments) == len(set(moments)), key
        expected = 0 if schedule in off else PER_YEAR[schedule.frequency]
        if schedule.pk == daily.pk:
            expected = sum(working.is_working_day(dt.date(YEAR, 1, 1) + dt.timedelta(d)) for d in range(365))
            assert all(working.is_working_day(m.astimezone(LIMA).date()) for m in moments)
        assert len(mine) == expected, key
        if schedule.procedure_code in FILE_INPUT:
            assert {r.status for r in mine} <= {ScheduleRun.Status.FAILED, ScheduleRun.Status.MISSED}
            assert all(
                "Entrada obligatoria" in r.error for r in mine if r.status == ScheduleRun.Status.FAILED
            )
        # Downtime: what fell in it is recorded as missed, except the latest occurrence due at the first
        # tick after it, which starts then (unless that day has its own occurrence).
        in_down = [r for r in mine if DOWN[0] <= r.occurrence_at.astimezone(LIMA).date() <= DOWN[1]]
        late = [r for r in in_down if r.status != ScheduleRun.Status.MISSED]
        catch_up = at(DOWN[1] + dt.timedelta(days=1))
        assert len(late) <= 1 and all(r.occurrence_at == max(moments_in(in_down)) for r in late), key
        assert all(r.case.started_at == catch_up for r in late if r.case), key
        assert not (late and catch_up in moments), key
        on_time = [r for r in mine if r.status == ScheduleRun.Status.STARTED and r not in late]
        assert all(r.case.started_at == r.occurrence_at for r in on_time), key  # at its time
        assert all(r in in_down for r in mine if r.status == ScheduleRun.Status.MISSED), key
    # Exactly one case per started run, and no case the schedules did not record.
    started = runs.filter(status=ScheduleRun.Status.STARTED)
    scheduled = Case.objects.exclude(procedure_version__code=REQUESTED)
    assert scheduled.count() == started.count() == len({r.case_id for r in started})
    assert scheduled.filter(started_at__date=CRASH_DAY).count() == killed + 1  # 3 daily: 2 + 1 after

    # The daily schedules after the downtime: the 11th September's case is the only one of those 11 days.
    respaldo = schedules[("S.04.04.01.02_P", "respaldo")]
    after_down = respaldo.runs.filter(occurrence_at__date__range=(DOWN[0], DOWN[1] + dt.timedelta(days=1)))
    assert Counter(after_down.values_list("status", flat=True)) == {"missed": 10, "started": 1}

    # The mail the same ticks sent: every deadline of these cases that came due was escalated once (to the
    # head of the responsible unit, or recorded as having nobody to escalate to), none was reminded twice,
    # and each mail left the outbox once (the crash and the second tick of each day included).
    last_tick = at(dt.date(YEAR, 12, 31))
    came_due = Deadline.objects.filter(meaning="deadline", status="pending", due_at__lte=last_tick)
    keys = Counter(k.split(":sin-jefe")[0] for k in OutboundEmail.objects.values_list("key", flat=True))
    assert came_due.count() >= 12 * 2  # each month's PR.OTI.005: its 4-hour suspension, its 7-day backup…
    assert all(keys[f"escalation:{pk}"] == 1 for pk in came_due.values_list("pk", flat=True))
    reminders = [key for key in keys if key.startswith("reminder:")]
    assert reminders and all(keys[key] == 1 for key in reminders)
    assert keys["supervision"] == 0 and sum(k.startswith("supervision:") for k in keys) == 24
    sent = [message.extra_headers["X-Mapro-Key"] for message in mail.outbox]
    assert sent and len(sent) == len(set(sent))
    assert not OutboundEmail.objects.filter(status__in=["pending", "sending"], next_attempt_at__lte=last_tick)

    # A worker with a stale view (its next_run_at from months ago) hits the unique key: nothing new.
    Schedule.objects.filter(pk=respaldo.pk).update(next_run_at=at(dt.date(YEAR, 12, 1)))
    before = Case.objects.count()
    with time_machine.travel(at(dt.date(YEAR, 12, 31)), tick=False):
        assert schedules_run_due(now=at(dt.date(YEAR, 12, 31))) == []
    assert Case.objects.count() == before


@pytest.mark.django_db(transaction=True)
def test_two_workers_at_once_start_each_case_once(db_engine):
    """Two workers tick at the same moments for a month; on PostgreSQL in two threads with their own
    connections (row locks and the unique key decide), on SQLite (one writer at a time) interleaved."""
    from mapro.cases.tests.test_concurrency import procedures_load

    procedures_load(*DAILY)  # an earlier transactional test may have flushed the session's catalogue
    with time_machine.travel(SYNC_AT, tick=False):
        schedules_sync()
    ticks = [at(dt.date(YEAR, 1, 1) + dt.timedelta(days=d)) for d in range(31)]
    errors: list[BaseException] = []
    barrier = threading.Barrier(2)

    def worker() -> None:
        try:
            for now in ticks:  # both at the same moment, as two workers on one clock
                barrier.wait(timeout=60)
                schedules_run_due(now=now)
        except BaseException as exc:  # reported below
            errors.append(exc)
            barrier.abort()
        finally:
            connection.close()

    if db_engine == "postgresql":
        threads = [threading.Thread(target=worker) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    else:
        for now in ticks:
            schedules_run_due(now=now)
            schedules_run_due(now=now)
    assert errors == []
    runs = ScheduleRun.objects.filter(status=ScheduleRun.Status.STARTED)
    per_daily = Counter(runs.filter(schedule__frequency="daily").values_list("schedule_id", flat=True))
    assert sorted(per_daily.values()) == [31] * 5  # the five daily schedules, every day once
    assert Case.objects.count() == runs.count() == len(set(runs.values_list("case_id", flat=True)))
    call_command("schedules", "list", "--entity", "MINCETUR")
