"""Query plans that must hold on a large database (found with bench/cases_throughput.py)."""

import pytest
from django.db import connection

from mapro.cases.services import case_start
from mapro.cases.services.cases import _open_children

from .conftest import person

pytestmark = pytest.mark.django_db

BAJA = {"cuenta_correo": "jperez@vivienda.gob.pe", "motivo_baja": "Culminación de la orden de servicio"}
MILLION = 1_000_000


def _sqlite_statistics_of_a_million_top_level_cases(cursor) -> None:
    """
    What ANALYZE wrote on the benchmark's SQLite file of 1 M closed top-level cases: each full index counts
    its rows as one group per value (a full index on parent_id, NULL for every top-level case, is a single
    group of a million), while a partial index of child cases holds a handful.
    """
    cursor.execute("ANALYZE")  # creates sqlite_stat1
    cursor.execute(
        "SELECT name, sql FROM sqlite_master"
        " WHERE type = 'index' AND tbl_name = 'cases_case' AND sql IS NOT NULL"
    )
    indexes = cursor.fetchall()
    cursor.execute("DELETE FROM sqlite_stat1 WHERE tbl = 'cases_case'")
    cursor.execute("INSERT INTO sqlite_stat1 VALUES ('cases_case', NULL, %s)", [str(MILLION)])
    for name, sql in indexes:
        columns = sql.split("(", 1)[1].split(")", 1)[0].count(",") + 1
        stat = "12 1" if " WHERE " in sql else " ".join([str(MILLION)] * (columns + 1))
        cursor.execute("INSERT INTO sqlite_stat1 VALUES ('cases_case', %s, %s)", [name, stat])
    cursor.execute("ANALYZE sqlite_schema")  # load the statistics just written


def test_a_case_s_children_are_found_through_the_partial_index_of_child_cases():
    parent = case_start(
        procedure_code="PR.OTI.005", requester=person("MVCS", "analista_mesa_servicios"), inputs=BAJA
    )
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            _sqlite_statistics_of_a_million_top_level_cases(cursor)
        else:  # a few rows only: make PostgreSQL say whether the partial index can serve the query at all
            cursor.execute("SET LOCAL enable_seqscan = off")

    plan = _open_children(parent).explain()

    assert "case_children" in plan, plan
    assert "SCAN cases_case" not in plan, plan  # SQLite's wording for reading the whole table
