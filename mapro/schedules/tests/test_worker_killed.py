"""
A worker process really killed (SIGKILL, no clean-up) while it starts scheduled cases, then a new worker
that goes over the same days: every occurrence is handled exactly once, each started run has its case and
each case its run. The killed process and the test share the PostgreSQL test database; an in-memory SQLite
database cannot be shared with another process, so this one runs on PostgreSQL only (the in-process crash
of test_year_simulation.py covers SQLite).
"""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import time_machine
from django.db import connection

from mapro.cases.models import Case
from mapro.deadlines.calendar import LIMA
from mapro.schedules.models import Schedule, ScheduleRun
from mapro.schedules.services import schedules_run_due, schedules_sync

ROOT = Path(__file__).resolve().parents[3]
FIRST = dt.datetime(2027, 1, 1, 8, 30, tzinfo=LIMA)
DAYS = 40
DAILY = ("MINCETUR-DIR-002-2023-7.1.1", "S04.03.02.01", "S.04.04.01.02_P")
WORKER = f"""
import datetime as dt, django
django.setup()
from mapro.schedules.services import schedules_run_due
first = dt.datetime.fromisoformat("{FIRST.isoformat()}")
for day in range({DAYS}):
    started = schedules_run_due(now=first + dt.timedelta(days=day))
    print(day, len(started), flush=True)
"""


def ticks() -> list[dt.datetime]:
    return [FIRST + dt.timedelta(days=day) for day in range(DAYS)]


@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_run_loses_and_duplicates_nothing(db_engine):
    if db_engine != "postgresql":
        pytest.skip("another process cannot share an in-memory SQLite database")
    from mapro.cases.tests.test_concurrency import procedures_load

    procedures_load(*DAILY)
    with time_machine.travel(FIRST - dt.timedelta(days=1), tick=False):
        schedules_sync()
    schedules = Schedule.objects.filter(procedure_code__in=DAILY, frequency="daily")
    assert schedules.count() == len(DAILY)
    Schedule.objects.exclude(pk__in=schedules).update(active=False)

    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.test"}
    env |= {"MAPRO_DB_NAME": connection.settings_dict["NAME"], "PYTHONPATH": str(ROOT)}
    worker = subprocess.Popen(
        [sys.executable, "-c", WORKER], cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True
    )
    first_line = worker.stdout.readline()  # it is working: kill it a moment later, mid-way
    assert first_line.startswith("0 "), first_line
    time.sleep(0.4)
    worker.send_signal(signal.SIGKILL)
    worker.wait(timeout=10)
    done_before = int(first_line.split()[0]) + len(worker.stdout.read().splitlines())
    assert done_before < DAYS, "the worker finished before it was killed: nothing was tested"

    for now in ticks():  # the restarted worker goes over the same days
        with time_machine.travel(now, tick=False):
            schedules_run_due(now=now)

    runs = ScheduleRun.objects.filter(schedule__in=schedules)
    assert runs.count() == DAYS * len(DAILY)  # one per schedule and day: none lost
    assert runs.values("schedule", "occurrence_at").distinct().count() == runs.count()  # none twice
    started = runs.filter(status=ScheduleRun.Status.STARTED, case__isnull=False)
    assert started.count() == runs.count()  # every day on time: no downtime, nothing missed
    assert Case.objects.count() == started.count()  # no case without its run (the killed one's rolled back)
    assert set(Case.objects.values_list("pk", flat=True)) == set(started.values_list("case", flat=True))
