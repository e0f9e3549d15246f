#!/usr/bin/env python
"""
Benchmark of the indicator queries (mapro/reports/indicators.py) over many closed cases. It prints figures;
it is not a test.

    .venv/bin/python bench/indicators_query.py --db postgresql              # 1 000 000 closed cases
    .venv/bin/python bench/indicators_query.py --db sqlite --cases 100000
    .venv/bin/python bench/indicators_query.py --db postgresql --reuse      # measure again, no fill

On PostgreSQL it uses the server the shell names (MAPRO_DB_HOST/PORT/USER, as `eval "$(scripts/postgres.sh
start)"` exports them), or starts scripts/postgres.sh.

It prepares a scratch database of its own (bench/scratch.py; PostgreSQL: `mapro_bench_indicators`;
SQLite: var/bench/mapro_bench_indicators.sqlite3), migrates it, loads S.04.04.02_P (Senace help
desk, the catalogue's indicator) and the demo people, then inserts `--cases` closed help-desk cases spread
evenly over four years (2023-2026) with one INSERT … SELECT per table over a generated series (no Python
loop per case): per case the case row, its deciding task (97 % "Sí" at activity 6 or 12, 2 % "Sin respuesta
del solicitante" at 6, 1 % closed at 13 without a decision, with the record justificacion_no_atencion) and
its 24-hour deadline (met, or missed for one case in 20). Then it times, each run `--repeat` times (min and
median):

- `indicator_values` for a month, a year and the four years (numerator, denominator and two counts beside);
- `indicator_series` for 12 months (what the Tablero draws for one indicator);
- `deadline_compliance` for a month, per procedure and per role;
- the drill-down: the first 50 cases of the numerator of a month;

and prints the plan of the month's numerator count. bench/README.md has the figures measured.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import sys
import time
from pathlib import Path

from scratch import scratch_database_env  # bench/ is the script's directory, first on sys.path

ROOT = Path(__file__).resolve().parent.parent
CODE = "S.04.04.02_P"
FIRST_DAY = dt.datetime(2023, 1, 1, 5, 0, tzinfo=dt.UTC)  # 00:00 in Lima
SPAN_SECONDS = (dt.datetime(2027, 1, 1, 5, 0, tzinfo=dt.UTC) - FIRST_DAY).total_seconds()


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--db", choices=["sqlite", "postgresql"], default=os.environ.get("MAPRO_DB_ENGINE"))
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--reuse", action="store_true", help="keep the database of a previous run")
    args = parser.parse_args()
    args.db = args.db or "sqlite"
    return args


def prepare() -> tuple[object, object, object]:
    from django.core.management import call_command

    from mapro.catalogue.definition import Catalogue
    from mapro.catalogue.models import ProcedureVersion
    from mapro.catalogue.selectors import catalogue_from_repository
    from mapro.catalogue.services import procedure_versions_load
    from mapro.organization.models import Entity, Person
    from mapro.organization.services import demo_people_create

    call_command("migrate", verbosity=0)
    definitions = catalogue_from_repository().definitions
    procedure_versions_load(catalogue=Catalogue(definitions={CODE: definitions[CODE]}))
    demo_people_create()
    entity = Entity.objects.get(code="SENACE")
    version = ProcedureVersion.objects.get(code=CODE, is_current=True)
    requester = Person.objects.filter(entity=entity).order_by("pk").first()
    return entity, version, requester


def fill(count: int, entity, version, requester) -> float:
    """INSERT … SELECT over a generated series: cases, their deciding tasks, deadlines and records."""
    from django.db import connection, transaction

    from mapro.cases.models import Case, CaseRecord, CaseTask, Deadline

    pg = connection.vendor == "postgresql"
    step = SPAN_SECONDS / count
    # i: 1..count. Dialect pieces: the series, a time i·step seconds after the first day, JSON literals.
    if pg:
        series = f"generate_series(1, {count}) AS s(i)"

        def at(offset: str) -> str:
            return f"(TIMESTAMPTZ '{FIRST_DAY.isoformat()}' + ({offset}) * INTERVAL '1 second')"

        obj, arr, now = "'{}'::jsonb", "'[]'::jsonb", "now()"
    else:
        series = (
            f"(WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < {count})"
            " SELECT i FROM s) s"
        )

        def at(offset: str) -> str:
            return f"strftime('%Y-%m-%d %H:%M:%f', '{FIRST_DAY:%Y-%m-%d %H:%M:%S}', ({offset}) || ' seconds')"

        obj, arr, now = "'{}'", "'[]'", "strftime('%Y-%m-%d %H:%M:%f', 'now')"
    start = f"i * {step}"
    tables = {m: m._meta.db_table for m in (Case, CaseTask, Deadline, CaseRecord)}
    began = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {tables[Case]} (number, entity_id, procedure_version_id, requester_id, inputs,"
            " status, outcome, cancel_reason, suspend_reason, started_at, closed_at, workflow_state,"
            " workflow_serializer_version, subject, search_text, created_at, updated_at)"
            f" SELECT 'SENACE-B-' || i, {entity.pk}, {version.pk}, {requester.pk}, {obj}, 'closed',"
            f" 'Cerrado', '', '', {at(start)}, {at(f'{start} + 7200')}, {obj}, '', 'Ticket ' || i,"
            f" 'senace-b-' || i || ' ticket ' || i, {now}, {now} FROM {series}"
        )
        cases = f"(SELECT id, started_at, closed_at FROM {tables[Case]} WHERE number LIKE 'SENACE-B-%%') c"
        # 97 %: "Sí" at 6 (even ids) or 12; 2 %: no answer at 6; 1 %: activity 13, no decision.
        activity = (
            "CASE WHEN c.id % 100 < 97 THEN (CASE WHEN c.id % 2 = 0 THEN 6 ELSE 12 END)"
            " WHEN c.id % 100 < 99 THEN 6 ELSE 13 END"
        )
        decision = (
            "CASE WHEN c.id % 100 < 97 THEN 'Sí' WHEN c.id % 100 < 99 THEN 'Sin respuesta del solicitante'"
            " ELSE '' END"
        )
        cursor.execute(
            f"INSERT INTO {tables[CaseTask]} (case_id, engine_task_id, activity, name, kind, entity_id,"
            " role_code, status, completed_at, decision, decision_reason, routing_note, data, created_at,"
            " updated_at)"
            f" SELECT c.id, 'bench', {activity}, 'Decisión', 'decision', {entity.pk}, 'requester',"
            f" 'completed', c.closed_at, {decision}, '', '', {obj}, {now}, {now} FROM {cases}"
        )
        cursor.execute(
            f"INSERT INTO {tables[Deadline]} (case_id, time_rule, text, meaning, activity, anchor_at, due_at,"
            " status, settled_at, expiry_action, created_at, updated_at)"
            f" SELECT c.id, 'cierre_automatico_24h', 'Cierre a las 24 horas', 'response_window', 6,"
            f" c.started_at, c.closed_at, CASE WHEN c.id % 20 = 0 THEN 'missed' ELSE 'met' END, c.closed_at,"
            f" 'branch', {now}, {now} FROM {cases}"
        )
        cursor.execute(
            f"INSERT INTO {tables[CaseRecord]} (case_id, record_id, name, data, restricted_to,"
            " effective_date, created_by_id, created_at, updated_at)"
            f" SELECT c.id, 'justificacion_no_atencion', 'Justificación', {obj}, {arr}, {now},"
            f" {requester.pk}, {now}, {now} FROM {cases} WHERE c.id % 100 = 99"
        )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return time.perf_counter() - began


def timed(function, repeat: int) -> tuple[float, float, object]:
    times, result = [], None
    for _ in range(repeat):
        began = time.perf_counter()
        result = function()
        times.append((time.perf_counter() - began) * 1000)
    return min(times), statistics.median(times), result


def measure(entity, repeat: int) -> None:
    from django.db import connection

    from mapro.reports.indicators import (
        deadline_compliance,
        indicator_cases,
        indicator_series,
        indicator_values,
    )

    month = (dt.date(2025, 6, 1), dt.date(2025, 6, 30))
    year = (dt.date(2025, 1, 1), dt.date(2025, 12, 31))
    everything = (dt.date(2023, 1, 1), dt.date(2026, 12, 31))

    def values(period):
        return lambda: indicator_values(entity=entity, start=period[0], end=period[1])

    runs = [
        ("indicator_values, un mes", values(month)),
        ("indicator_values, un año", values(year)),
        ("indicator_values, cuatro años", values(everything)),
        (
            "indicator_series, 12 meses (gráfico del Tablero)",
            lambda: indicator_series(
                entity=entity, procedure_code=CODE, indicator_id="tickets_atendidos", end=month[1]
            ),
        ),
        (
            "deadline_compliance por procedimiento, un mes",
            lambda: deadline_compliance(entity=entity, start=month[0], end=month[1], by="procedure"),
        ),
        (
            "deadline_compliance por rol, un mes",
            lambda: deadline_compliance(entity=entity, start=month[0], end=month[1], by="role"),
        ),
        (
            "drill-down: 50 primeros casos del numerador, un mes",
            lambda: list(
                indicator_cases(
                    entity=entity,
                    start=month[0],
                    end=month[1],
                    procedure_code=CODE,
                    indicator_id="tickets_atendidos",
                    key="numerator",
                )[:50]
            ),
        ),
    ]
    print(f"{'consulta':<52} {'mín. ms':>9} {'mediana ms':>11}  resultado")
    for label, function in runs:
        best, median, result = timed(function, repeat)
        if isinstance(result, list) and result and hasattr(result[0], "numerator"):
            shown = ", ".join(f"{v.numerator}/{v.denominator}={v.value_text}" for v in result[-1:])
        elif isinstance(result, list) and result and hasattr(result[0], "met"):
            shown = ", ".join(f"{r.key}: {r.met} cumplidos, {r.missed} vencidos" for r in result)
        else:
            shown = f"{len(result)} filas" if isinstance(result, list) else ""
        print(f"{label:<52} {best:>9.1f} {median:>11.1f}  {shown}")

    counted = indicator_cases(
        entity=entity,
        start=month[0],
        end=month[1],
        procedure_code=CODE,
        indicator_id="tickets_atendidos",
        key="numerator",
    )
    sql, params = counted.order_by().values("pk").query.sql_with_params()
    with connection.cursor() as cursor:
        explain = "EXPLAIN ANALYZE " if connection.vendor == "postgresql" else "EXPLAIN QUERY PLAN "
        cursor.execute(explain + f"SELECT count(*) FROM ({sql}) q", params)
        print("\nPlan del conteo del numerador de un mes:")
        for row in cursor.fetchall():
            print("  ", " ".join(str(part) for part in row))


def main() -> None:
    args = parse_args()
    os.environ.update(scratch_database_env("mapro_bench_indicators", engine=args.db, reuse=args.reuse))
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from mapro.cases.models import Case

    entity, version, requester = prepare()
    existing = Case.objects.filter(number__startswith="SENACE-B-").count()
    if existing < args.cases:
        if existing:
            sys.exit(f"La base tiene {existing} casos de una ejecución anterior: ejecute sin --reuse.")
        seconds = fill(args.cases, entity, version, requester)
        print(f"Llenado: {args.cases:,} casos cerrados (+ tareas, plazos, registros) en {seconds:.1f} s")
    print(f"Base: {args.db}, {Case.objects.count():,} expedientes")
    measure(entity, args.repeat)


if __name__ == "__main__":
    main()
