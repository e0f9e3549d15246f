#!/usr/bin/env python
"""
Benchmark of the schedules worker: planning a year of schedules for many entities with the current
catalogue. It prints figures; it is not a test.

    .venv/bin/python bench/schedules_plan.py                      # 2,500 entities, SQLite
    .venv/bin/python bench/schedules_plan.py --db postgresql      # on the server of scripts/postgres.sh

It prepares a database of its own (bench/scratch.py; SQLite: var/bench/mapro_bench_schedules.sqlite3;
PostgreSQL: the database `mapro_bench_schedules`; both recreated), loads the catalogue, and gives each of
`--entities` entities every calendar-started periodicity of the catalogue (24 today) as a Schedule row
(bulk insert). Then it measures:
1. plan: every occurrence of every schedule in one year (reading the rows, the working-day calendar for the
   schedules that ask for it), in this process;
2. due query: the worker's query for the schedules due at a daily tick (index `schedules_due`);
3. bookkeeping per occurrence: `--sample` due occurrences handled one transaction each as the worker does
   (row lock, occurrences, the unique ScheduleRun row, next_run_at), with the case start replaced by a
   no-op: case starts are measured by bench/cases_throughput.py. The year's total is extrapolated from it.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import secrets
import sys
import time
from pathlib import Path

from scratch import scratch_database_env  # bench/ is the script's directory, first on sys.path

ROOT = Path(__file__).resolve().parent.parent
YEAR = 2027


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--entities", type=int, default=2500)
    parser.add_argument("--sample", type=int, default=2000, help="occurrences handled by the worker, timed")
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    os.environ.update(scratch_database_env("mapro_bench_schedules", engine=args.db))
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connection, transaction

    from mapro.catalogue.definition.schema import Frequency
    from mapro.catalogue.selectors import catalogue_from_repository
    from mapro.catalogue.services import procedure_versions_load
    from mapro.deadlines.calendar import LIMA
    from mapro.organization.models import Entity, Person
    from mapro.schedules import services
    from mapro.schedules.models import Schedule, ScheduleRun
    from mapro.schedules.recurrence import first_run_default, occurrences_between

    call_command("migrate", verbosity=0)
    procedure_versions_load()
    periodicities = [
        (code, p)
        for code, loaded in sorted(catalogue_from_repository().definitions.items())
        for p in loaded.definition.periodicity
        if p.frequency != Frequency.ON_DEMAND
    ]
    print(
        f"{connection.vendor}: {args.entities} entities × {len(periodicities)} calendar-started periodicities"
    )

    started = time.perf_counter()
    Entity.objects.bulk_create(
        [Entity(code=f"E{i:05d}", name=f"Entidad {i}") for i in range(args.entities)], batch_size=2000
    )
    today = dt.date(YEAR - 1, 12, 31)
    rows = []
    for entity in Entity.objects.filter(code__startswith="E0").only("pk", "workday_start"):
        for code, p in periodicities:
            first = first_run_default(str(p.frequency), today=today, at=entity.workday_start)
            rows.append(
                Schedule(
                    entity_id=entity.pk,
                    procedure_code=code,
                    flow=p.flow or "",
                    start_activity=p.start,
                    frequency=str(p.frequency),
                    working_days=p.working_days or code.startswith("MINCETUR"),  # some on working days
                    first_run_at=first,
                    next_run_at=first,
                )
            )
    Schedule.objects.bulk_create(rows, batch_size=5000)
    user = get_user_model().objects.create_user("bench", password=secrets.token_urlsafe(12))
    someone = Person.objects.create(user=user, entity=Entity.objects.first(), full_name="Bench")
    Schedule.objects.update(requester=someone)
    print(f"  set-up: {len(rows):,} schedules inserted in {time.perf_counter() - started:.1f} s")

    # 1. Plan the year.
    from mapro.deadlines.services import entity_calendar

    started = time.perf_counter()
    until = dt.datetime(YEAR, 12, 31, 23, 59, tzinfo=LIMA)
    calendars: dict[int, object] = {}
    total = 0
    for schedule in Schedule.objects.select_related("entity").iterator(chunk_size=5000):
        calendar = None
        if schedule.working_days:
            if schedule.entity_id not in calendars:
                calendars[schedule.entity_id] = entity_calendar(entity=schedule.entity)
            calendar = calendars[schedule.entity_id]
        total += len(
            occurrences_between(
                schedule.first_run_at, schedule.frequency, after=None, until=until, calendar=calendar
            )
        )
    plan = time.perf_counter() - started
    print(
        f"  plan: {total:,} occurrences in {YEAR} computed in {plan:.1f} s "
        f"({plan / len(rows) * 1e3:.2f} ms per schedule)"
    )

    # 2. The due query of a daily tick (Monday 4 January: the daily schedules).
    tick = dt.datetime(YEAR, 1, 4, 8, 30, tzinfo=LIMA)
    Schedule.objects.filter(frequency="daily").update(next_run_at=tick)
    Schedule.objects.exclude(frequency="daily").update(
        next_run_at=dt.datetime(YEAR, 2, 1, 8, 30, tzinfo=LIMA)
    )
    timings = []
    for _ in range(5):
        started = time.perf_counter()
        due = list(
            Schedule.objects.filter(active=True, next_run_at__lte=tick)
            .order_by("next_run_at", "pk")
            .values_list("pk", flat=True)
        )
        timings.append(time.perf_counter() - started)
    print(f"  due query at a daily tick: {len(due):,} due, best of 5 {min(timings) * 1e3:.0f} ms")

    # 3. The worker's bookkeeping per occurrence, the case start replaced by a no-op.
    services.case_start = lambda **kwargs: None
    sample = due[: args.sample]
    started = time.perf_counter()
    for pk in sample:
        services._schedule_run_due(pk, now=tick, calendars={})
    spent = time.perf_counter() - started
    per = spent / len(sample)
    assert ScheduleRun.objects.count() == len(sample)
    with transaction.atomic():
        again = sum(len(services._schedule_run_due(pk, now=tick, calendars={})) for pk in sample[:200])
    assert again == 0, "a second pass started something again"
    print(
        f"  worker bookkeeping: {len(sample):,} occurrences in {spent:.1f} s = {per * 1e3:.2f} ms each "
        f"(one transaction each; the case start not included)"
    )
    print(
        f"  a year for {args.entities:,} entities: {total:,} occurrences × {per * 1e3:.2f} ms "
        f"= {total * per / 3600:.1f} h of worker time (extrapolated), {total / 365:,.0f} a day on average"
    )


if __name__ == "__main__":
    main()
