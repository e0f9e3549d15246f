#!/usr/bin/env python
"""
Benchmark of the Expedientes list (mapro/cases/search.py): text search, filters and sorted pages over many
cases. It prints figures; it is not a test.

    .venv/bin/python bench/cases_list.py --db postgresql              # 1 000 000 cases
    .venv/bin/python bench/cases_list.py --db sqlite --cases 100000
    .venv/bin/python bench/cases_list.py --db postgresql --reuse      # measure again, no fill

On PostgreSQL it uses the server the shell names (MAPRO_DB_HOST/PORT/USER, as `eval "$(scripts/postgres.sh
start)"` exports them), or starts scripts/postgres.sh.

A scratch database of its own (bench/scratch.py; PostgreSQL `mapro_bench_cases_list`; SQLite
var/bench/mapro_bench_cases_list.sqlite3), migrated, with PR.OTI.005 and the demo people, filled by one INSERT
… SELECT per table over a generated series (as bench/indicators_query.py does) with `--cases` MVCS cases
spread over four years: each with its own account (`user<i>@vivienda.gob.pe`) in its inputs, subject and
folded search text as mapro.cases.services.describe writes them; 2 % open (one open task each, of one of the
procedure's two roles, a third of them assigned, due times around now so some are overdue), 1 % cancelled, the
rest closed. Then `ANALYZE`, and each read `--repeat` times (min / median), as three people see it:

- the security officer, who reads every PR.OTI.005 case (RACI), the common case for an analyst;
- the administrator (superuser: no need-to-know filter);
- a person without roles, who reads only the cases they are involved in (none of these): the need-to-know
  filter's EXISTS checks run on every case.

For each: the default page (newest first: the count and the first 50 rows with their open tasks), a text
search that matches one case, one that matches every case, the overdue filter, a role filter, a sorted page
far into the list, and the CSV export of a filter. Then the plans of the search and of the default page.
On PostgreSQL, `--no-jit` runs the reads with `SET jit = off` and `--trgm` adds a pg_trgm index on
`search_text` to the scratch database first (what-ifs; mapro ships neither). bench/README.md has the figures
measured.
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
CODE = "PR.OTI.005"
DBNAME = "mapro_bench_cases_list"
FIRST_DAY = dt.datetime(2023, 1, 1, 5, 0, tzinfo=dt.UTC)  # 00:00 in Lima
SPAN_SECONDS = (dt.datetime(2027, 1, 1, 5, 0, tzinfo=dt.UTC) - FIRST_DAY).total_seconds()
ENDED = "Culminación de la orden de servicio"


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--db", choices=["sqlite", "postgresql"], default=os.environ.get("MAPRO_DB_ENGINE"))
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--reuse", action="store_true", help="keep the database of a previous run")
    parser.add_argument("--no-jit", action="store_true", help="PostgreSQL: SET jit = off for the reads")
    parser.add_argument(
        "--trgm",
        action="store_true",
        help="PostgreSQL: a trigram index on search_text (pg_trgm) in this scratch database, then measure",
    )
    args = parser.parse_args()
    args.db = args.db or "sqlite"
    return args


def prepare():
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
    entity = Entity.objects.get(code="MVCS")
    version = ProcedureVersion.objects.get(code=CODE, is_current=True)
    requester = Person.objects.get(user__username="mvcs.analista_mesa_servicios")
    assignee = Person.objects.get(user__username="mvcs.responsable_plataforma_correo")
    return entity, version, requester, assignee


def fill(count: int, entity, version, requester, assignee) -> float:
    """INSERT … SELECT over a generated series: the cases, then one open task per open case."""
    from django.db import connection, transaction

    from mapro.cases.models import Case, CaseTask

    pg = connection.vendor == "postgresql"
    step = SPAN_SECONDS / count
    if pg:
        series = f"generate_series(1, {count}) AS s(i)"

        def at(offset: str) -> str:
            return f"(TIMESTAMPTZ '{FIRST_DAY.isoformat()}' + ({offset}) * INTERVAL '1 second')"

        def now_plus(hours: str) -> str:
            return f"(now() + ({hours}) * INTERVAL '1 hour')"

        def json(text: str) -> str:
            return f"({text})::jsonb"

        obj, now = "'{}'::jsonb", "now()"
    else:
        series = (
            f"(WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < {count})"
            " SELECT i FROM s) s"
        )

        def at(offset: str) -> str:
            return f"strftime('%Y-%m-%d %H:%M:%f', '{FIRST_DAY:%Y-%m-%d %H:%M:%S}', ({offset}) || ' seconds')"

        def now_plus(hours: str) -> str:
            return f"strftime('%Y-%m-%d %H:%M:%f', 'now', ({hours}) || ' hours')"

        def json(text: str) -> str:
            return text

        obj, now = "'{}'", "strftime('%Y-%m-%d %H:%M:%f', 'now')"
    start = f"i * {step}"
    account = "'user' || i || '@vivienda.gob.pe'"
    subject = f"'Baja de ' || {account} || ' — {ENDED}'"
    # As describe.search_text folds them: number, subject, requester's name, input values.
    search = (
        f"lower('MVCS-B-' || i || ' ' || {subject} || ' {requester.full_name} ' || {account} || ' {ENDED}')"
    )
    search = search.replace("Culminación", "Culminacion")
    inputs = json(f"""'{{"cuenta_correo": "' || {account} || '", "motivo_baja": "{ENDED}"}}'""")
    status = "CASE WHEN i % 50 = 0 THEN 'open' WHEN i % 100 = 1 THEN 'cancelled' ELSE 'closed' END"
    due = f"CASE WHEN i % 50 = 0 THEN {now_plus('(i / 50) % 96 - 48')} END"
    closed = f"CASE WHEN i % 50 = 0 THEN NULL ELSE {at(f'{start} + 7200')} END"
    table = {m: m._meta.db_table for m in (Case, CaseTask)}
    began = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table[Case]} (number, entity_id, procedure_version_id, requester_id, subject,"
            " search_text, inputs, status, outcome, cancel_reason, suspend_reason, started_at, due_at,"
            " closed_at, workflow_state, workflow_serializer_version, created_at, updated_at)"
            f" SELECT 'MVCS-B-' || i, {entity.pk}, {version.pk}, {requester.pk}, {subject}, {search},"
            f" {inputs},"
            f" {status}, '', CASE WHEN i % 100 = 1 THEN 'Duplicado' ELSE '' END, '', {at(start)}, {due},"
            f" {closed}, {obj}, '', {now}, {now} FROM {series}"
        )
        opened = f"(SELECT id, due_at FROM {table[Case]} WHERE status = 'open' AND number LIKE 'MVCS-B-%%') c"
        role = (
            "CASE WHEN c.id % 2 = 0 THEN 'responsable_plataforma_correo' ELSE 'analista_mesa_servicios' END"
        )
        cursor.execute(
            f"INSERT INTO {table[CaseTask]} (case_id, engine_task_id, activity, name, kind, entity_id,"
            " role_code, status, assignee_id, due_at, decision, decision_reason, routing_note, data,"
            " created_at, updated_at)"
            f" SELECT c.id, 'bench', 2 + c.id % 3, 'Actividad en curso', 'task', {entity.pk}, {role}, 'open',"
            f" CASE WHEN c.id % 3 = 0 THEN {assignee.pk} END, c.due_at, '', '', '', {obj}, {now}, {now}"
            f" FROM {opened}"
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


def measure(count: int, repeat: int) -> None:
    from django.contrib.auth import get_user_model
    from django.db import connection

    from mapro.cases.search import CaseFilters, case_page, cases_filtered
    from mapro.organization.models import Entity, Person
    from mapro.reports.case_exports import case_export_rows, cases_csv, role_names

    entity = Entity.objects.get(code="MVCS")
    officer = Person.objects.get(user__username="mvcs.oficial_seguridad")
    admin_user = get_user_model().objects.filter(is_superuser=True).first()
    admin, _ = Person.objects.get_or_create(
        user=admin_user, defaults={"entity": entity, "full_name": "Administrador (bench)"}
    )
    nobody_user, _ = get_user_model().objects.get_or_create(username="mvcs.bench_sin_rol")
    nobody, _ = Person.objects.get_or_create(
        user=nobody_user, defaults={"entity": entity, "full_name": "Sin rol (bench)"}
    )
    one = f"user{count // 2 + 7}@vivienda"
    deep = max(1, (count // 50) // 2)  # a page in the middle of the list

    def page(who, number: int = 1, **chosen):
        return lambda: case_page(cases_filtered(person=who, filters=CaseFilters(**chosen)), page=number)

    def export(who, **chosen):
        def run():
            cases = cases_filtered(person=who, filters=CaseFilters(**chosen))
            rows = case_export_rows(cases, names=role_names(entity=entity))
            return cases_csv(rows)

        return run

    people = [("oficial (RACI)", officer), ("administrador", admin), ("sin rol", nobody)]
    runs = []
    for name, who in people:
        runs += [
            (f"{name}: página 1, más recientes", page(who)),
            (f"{name}: q={one} (1 caso)", page(who, q=one)),
            (f"{name}: q=culminación (todos)", page(who, q="culminación")),
        ]
    runs += [
        ("oficial: vencidos (overdue=true)", page(officer, overdue=True, ordering="due")),
        ("oficial: rol responsable_plataforma_correo", page(officer, role="responsable_plataforma_correo")),
        ("oficial: en curso, orden por vencimiento", page(officer, status="open", ordering="due")),
        (f"oficial: página {deep}, orden por número", page(officer, deep, ordering="number")),
        (
            "oficial: iniciados en junio 2025",
            page(officer, started_from=dt.date(2025, 6, 1), started_to=dt.date(2025, 6, 30)),
        ),
        ("oficial: exportar CSV de los en curso", export(officer, status="open")),
    ]
    print(f"{'lectura':<58} {'mín. ms':>9} {'mediana ms':>11}  resultado")
    for label, function in runs:
        best, median, result = timed(function, repeat)
        if isinstance(result, str):
            shown = f"{len(result.splitlines()) - 1} filas"
        else:
            shown = f"{result.count} casos, {len(result.cases)} en la página"
        print(f"{label:<58} {best:>9.1f} {median:>11.1f}  {shown}")

    explain = "EXPLAIN ANALYZE " if connection.vendor == "postgresql" else "EXPLAIN QUERY PLAN "
    for title, filters, who in [
        (f"búsqueda q={one}, oficial (conteo)", CaseFilters(q=one), officer),
        ("página 1 por defecto, oficial (filas)", CaseFilters(), officer),
    ]:
        query = cases_filtered(person=who, filters=filters)
        sql, params = (
            query.values("pk")[:50] if "filas" in title else query.order_by().values("pk")
        ).query.sql_with_params()
        if "conteo" in title:
            sql = f"SELECT count(*) FROM ({sql}) q"
        with connection.cursor() as cursor:
            cursor.execute(explain + sql, params)
            print(f"\nPlan: {title}")
            for row in cursor.fetchall():
                print("  ", " ".join(str(part) for part in row))


def main() -> None:
    args = parse_args()
    os.environ.update(scratch_database_env(DBNAME, engine=args.db, reuse=args.reuse))
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from mapro.cases.models import Case

    entity, version, requester, assignee = prepare()
    existing = Case.objects.filter(number__startswith="MVCS-B-").count()
    if existing < args.cases:
        if existing:
            sys.exit(f"La base tiene {existing} casos de una ejecución anterior: ejecute sin --reuse.")
        seconds = fill(args.cases, entity, version, requester, assignee)
        print(f"Llenado: {args.cases:,} expedientes (+ tareas en curso) en {seconds:.1f} s")
    print(f"Base: {args.db}, {Case.objects.count():,} expedientes")
    tune(args)
    measure(args.cases, args.repeat)


def tune(args: argparse.Namespace) -> None:
    """What-ifs on PostgreSQL, on this scratch database only: JIT off; a trigram index for the search."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        if args.no_jit:
            cursor.execute("SET jit = off")
            print("jit = off")
        if args.trgm:
            began = time.perf_counter()
            cursor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
            cursor.execute(
                "CREATE INDEX IF NOT EXISTS bench_case_search_trgm ON cases_case"
                " USING gin (search_text gin_trgm_ops)"
            )
            cursor.execute("ANALYZE cases_case")
            print(f"Índice trigram en search_text: {time.perf_counter() - began:.1f} s")


if __name__ == "__main__":
    main()
