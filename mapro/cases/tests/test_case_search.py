"""
Finding cases again (mapro/cases/search.py): every filter, the accent-blind search, sorting, paging and the
need-to-know rule, on SQLite and PostgreSQL. One set-up, driven through the services, then many reads.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.utils import timezone

from mapro.cases import search, services
from mapro.cases.models import Case, CaseTask
from mapro.cases.search import CaseFilters, case_filters_from, case_page, cases_filtered
from mapro.core.errors import InvalidInputError
from mapro.core.text import fold

from .conftest import person, task_complete

ANALYST, MANAGER, OFFICER = "analista_mesa_servicios", "responsable_plataforma_correo", "oficial_seguridad"
MAIL_USER = "usuario_correo"
RENUNCIA = "Publicación en el Diario El Peruano de Resolución Ministerial de aceptación de Renuncia"
ENDED = "Culminación de la orden de servicio"


def baja(account: str, reason: str) -> dict[str, str]:
    return {"cuenta_correo": account, "motivo_baja": reason}


def numbers(cases) -> list[str]:
    return [c.number for c in cases]


@pytest.mark.django_db
def test_filters_search_sorting_paging_and_need_to_know(monkeypatch):
    analyst, manager, officer = person("MVCS", ANALYST), person("MVCS", MANAGER), person("MVCS", OFFICER)
    start = services.case_start
    nunez = start(
        procedure_code="PR.OTI.005",
        requester=analyst,
        inputs=baja("jnunez@vivienda.gob.pe", RENUNCIA),
    )
    rojas = start(
        procedure_code="PR.OTI.005", requester=analyst, inputs=baja("mrojas@vivienda.gob.pe", ENDED)
    )
    old = start(procedure_code="PR.OTI.005", requester=analyst, inputs=baja("old@vivienda.gob.pe", ENDED))
    # Núñez's case moves on to the mail-platform manager, assigned to them by name.
    task_complete(task_id=nunez.tasks.get(activity=1).pk, actor=analyst)
    nunez.tasks.filter(status=CaseTask.Status.OPEN).update(assignee=manager)
    # Rojas's case is overdue; the old one was started in January and then cancelled.
    now = timezone.now()
    Case.objects.filter(pk=rojas.pk).update(due_at=now - dt.timedelta(hours=2))
    Case.objects.filter(pk=nunez.pk).update(due_at=now + dt.timedelta(days=3))
    january = dt.datetime(now.year, 1, 15, 10, tzinfo=timezone.get_current_timezone())
    Case.objects.filter(pk=old.pk).update(started_at=january)
    services.case_cancel(case_id=old.pk, actor=analyst, reason="Duplicado")
    Case.objects.filter(pk=old.pk).update(due_at=None)

    def find(who=officer, **chosen) -> list[str]:
        return numbers(cases_filtered(person=who, filters=CaseFilters(**chosen)))

    everything = find(ordering="number")
    assert set(everything) >= {nunez.number, rojas.number, old.number}
    ours = {nunez.number, rojas.number, old.number}

    # Search: number, start data and requester, whatever the accents and case on either side.
    for query in ("PUBLICACIÓN", "publicacion en el diario", "resolución MINISTERIAL", "jnunez@VIVIENDA"):
        assert find(q=query) == [nunez.number], query
    assert set(find(q="CULMINACION")) >= {rojas.number, old.number}
    assert nunez.number not in find(q="culminación")
    assert find(q=rojas.number[-6:]) == [rojas.number]
    assert rojas.number in find(q=analyst.full_name.upper())
    assert find(q="100%_") == []  # LIKE's wildcards are text, not patterns

    # Filters: state, role or person of the open tasks, overdue, dates, requester, procedure.
    assert ours & set(find(status="cancelled")) == {old.number}
    assert ours & set(find(role=MANAGER)) == {nunez.number}
    assert ours & set(find(role=ANALYST)) == {rojas.number}
    assert find(assignee=manager.user.username) == [nunez.number]
    assert ours & set(find(overdue=True)) == {rojas.number}
    assert find(overdue=True, role=ANALYST) == []  # the task itself is not overdue (no due time of its own)
    assert ours & set(find(started_to=dt.date(now.year, 1, 31))) == {old.number}
    assert old.number not in find(started_from=timezone.localdate(now))
    assert ours <= set(find(requester=analyst.user.username, procedure="PR.OTI.005"))
    assert find(requester=manager.user.username) == []
    assert find(procedure="PR.OTI.006") == []

    # Sorting: each key both ways; no due time sorts last either way; status in reading order.
    mine = {"q": "vivienda.gob.pe"}
    assert find(**mine, ordering="number") == sorted(find(**mine))
    assert find(**mine, ordering="-number") == sorted(find(**mine), reverse=True)
    assert find(**mine, ordering="started")[0] == old.number
    assert find(**mine, ordering="-started")[-1] == old.number
    assert find(**mine, ordering="due")[:2] == [rojas.number, nunez.number]
    assert find(**mine, ordering="-due")[:2] == [nunez.number, rojas.number]
    assert find(**mine, ordering="status")[-1] == old.number
    assert find(**mine, ordering="-status")[0] == old.number
    assert find(**mine, ordering="procedure") == find(**mine, ordering="-started")  # ties: newest first

    # Paging: counts and pages; past the end is empty, not an error.
    chosen = cases_filtered(person=officer, filters=CaseFilters(q="vivienda.gob.pe", ordering="number"))
    first, second = case_page(chosen, page=1, size=2), case_page(chosen, page=2, size=2)
    assert (first.count, first.pages, len(first.cases), len(second.cases)) == (3, 2, 2, 1)
    assert (first.first_row, first.last_row, second.first_row, second.last_row) == (1, 2, 3, 3)
    assert numbers(first.cases + second.cases) == sorted(ours)
    assert [[t.activity for t in c.open_tasks] for c in first.cases + second.cases] == [[2], [1], []]
    assert case_page(chosen, page=9, size=2).cases == []
    # A broad result (more than NARROW matches) is counted, then paged: the same rows.
    monkeypatch.setattr(search, "NARROW", 1)
    broad = [case_page(chosen, page=n, size=2) for n in (1, 2)]
    assert [(p.count, numbers(p.cases)) for p in broad] == [(3, sorted(ours)[:2]), (3, sorted(ours)[2:])]
    monkeypatch.undo()

    # Need-to-know: the mail user (no role in these cases) finds none of them, whatever the filters.
    mail_user = person("MVCS", MAIL_USER)
    assert find(mail_user) == [] and find(mail_user, q="nunez") == [] and find(mail_user, overdue=True) == []
    # The requester always finds their own; `base` narrows (Mis solicitudes) but never widens.
    assert set(find(analyst)) >= ours
    own = Case.objects.filter(requester=manager)
    assert numbers(cases_filtered(person=mail_user, filters=CaseFilters(), base=Case.objects.all())) == []
    assert numbers(cases_filtered(person=manager, filters=CaseFilters(), base=own)) == []


def test_query_string_round_trip_and_field_errors():
    chosen = CaseFilters(
        q="Núñez",
        procedure="PR.OTI.005",
        status="open",
        role="analista_mesa_servicios",
        assignee="mvcs.x",
        overdue=True,
        started_from=dt.date(2026, 1, 1),
        started_to=dt.date(2026, 12, 31),
        requester="mvcs.y",
        ordering="-due",
    )
    assert case_filters_from(chosen.query()) == chosen
    assert CaseFilters().query() == {} and not CaseFilters().any and chosen.any
    assert case_filters_from({"overdue": "false", "q": "  x  "}) == CaseFilters(q="x")

    with pytest.raises(InvalidInputError) as bad:
        case_filters_from(
            {
                "status": "abierto",
                "from": "2026-13-01",
                "ordering": "fecha",
                "overdue": "quizá",
                "q": "x" * 201,
            }
        )
    assert set(bad.value.field_errors) == {"status", "from", "ordering", "overdue", "q"}
    assert bad.value.field_errors["from"] == ["Fecha no válida: use AAAA-MM-DD."]
    with pytest.raises(InvalidInputError) as backwards:
        case_filters_from({"from": "2026-02-01", "to": "2026-01-01"})
    assert list(backwards.value.field_errors) == ["to"]


@pytest.mark.django_db
def test_the_search_column_has_a_trigram_index_on_postgresql_only():
    """PostgreSQL: migration 0011 adds pg_trgm's index and it serves `LIKE '%…%'`; SQLite has none."""
    with connection.cursor() as cursor:
        indexes = connection.introspection.get_constraints(cursor, Case._meta.db_table)
        if connection.vendor != "postgresql":
            assert "case_search_trgm" not in indexes
            return
        assert indexes["case_search_trgm"]["columns"] == ["search_text"]
        cursor.execute("SET LOCAL enable_seqscan = off")  # a test table is tiny: ask whether it can serve
        query = Case.objects.filter(search_text__contains=fold("JPérez@vivienda")).values("pk")
        sql, params = query.query.sql_with_params()
        cursor.execute(f"EXPLAIN {sql}", params)
        assert "case_search_trgm" in "\n".join(row[0] for row in cursor.fetchall())
