"""
Indicators and deadline compliance computed from a known set of Senace help-desk cases (S.04.04.02_P), each
driven through the case services at its own date; every figure is checked against one counted by hand.
"""

import csv
import datetime as dt
import io
from decimal import Decimal

import pytest
import time_machine
from django.core.management import call_command
from django.db import transaction
from django.urls import reverse
from openpyxl import load_workbook

from mapro.cases.models import Case, CaseTask
from mapro.cases.services import case_cancel, case_start
from mapro.cases.services.deadlines import deadlines_expire
from mapro.cases.tests.conftest import person, task_complete
from mapro.catalogue.definition.schema import CaseCount
from mapro.catalogue.export.content import ficha_content
from mapro.catalogue.selectors import catalogue_from_repository
from mapro.deadlines.calendar import LIMA
from mapro.organization.models import Entity
from mapro.reports.indicator_selectors import Period, case_count_queryset
from mapro.reports.indicators import (
    CUMPLE,
    DENTRO,
    NO_CUMPLE,
    SIN_DATOS,
    deadline_compliance,
    deadline_compliance_rows,
    indicator_cases,
    indicator_values,
    judge,
)

CODE = "S.04.04.02_P"
INPUTS = {"tipo_solicitud": "Incidente", "solicitud": "La impresora del piso 3 no imprime."}
MARCH = (dt.date(2026, 3, 1), dt.date(2026, 3, 31))

# The known set: (name, when it starts, the decisions of its tasks in order; None = a task without decision).
# Activities: 2 ¿por Helpdesk?, 4 ¿solución por Helpdesk?, 6 ¿conforme? (requester), 9 ¿tiene solución?,
# 10 categoría, 12 ¿conforme? (requester). "open" leaves the case waiting at 6.
SOLVED_AT_6 = [None, "Sí", "Sí", None, "Sí"]  # 1, 2, 4, 5, 6
AT_6 = [None, "Sí", "Sí", None]  # 1, 2, 4, 5: waits for the answer at 6
SOLVED_AT_12 = [None, "No", None, "No", None, None, "Sí", "Mantenimiento del software", None, "Sí"]
NOT_ATTENDED = [None, "Sí", "No", None, None, "No", None]  # … 9 No → 13 justifies and closes
CASES = {
    "a": (dt.datetime(2026, 3, 3, 9, 0, tzinfo=LIMA), SOLVED_AT_6),
    "b": (dt.datetime(2026, 3, 10, 9, 0, tzinfo=LIMA), SOLVED_AT_12),
    "c": (dt.datetime(2026, 3, 20, 9, 0, tzinfo=LIMA), NOT_ATTENDED),
    "d": (dt.datetime(2026, 3, 25, 9, 0, tzinfo=LIMA), AT_6),  # no answer: closed at 24 h
    "e": (dt.datetime(2026, 3, 30, 9, 0, tzinfo=LIMA), AT_6),  # waits for the answer
    "f": (dt.datetime(2026, 3, 31, 16, 0, tzinfo=LIMA), AT_6),  # answered "Sí" on 1 April
    "g": (dt.datetime(2026, 2, 28, 9, 0, tzinfo=LIMA), AT_6),  # February; "Sí" on 1 March
    "h": (dt.datetime(2026, 3, 15, 9, 0, tzinfo=LIMA), []),  # annulled
}


def drive(case: Case, decisions: list[str | None]) -> None:
    requester = case.requester
    for decision in decisions:
        task = case.tasks.get(status=CaseTask.Status.OPEN)
        actor = requester if task.role_code == "requester" else person("SENACE", task.role_code)
        task_complete(task_id=task.pk, actor=actor, decision=decision)


def answer_yes(case: Case, at: dt.datetime) -> None:
    with time_machine.travel(at, tick=False):
        drive(case, ["Sí"])


@pytest.fixture(scope="module")
def known_cases(django_db_setup, django_db_blocker):
    """
    The cases above, for the module's tests, inside one transaction rolled back at the end (the audit
    trail refuses deletes); each test's own transaction nests in it as a savepoint.
    """
    with django_db_blocker.unblock(), transaction.atomic():
        cases = {}
        for name, (at, decisions) in CASES.items():
            with time_machine.travel(at, tick=False):
                cases[name] = case_start(
                    procedure_code=CODE, requester=person("SENACE", "servidor"), inputs=INPUTS
                )
                drive(cases[name], decisions)
        answer_yes(cases["g"], dt.datetime(2026, 3, 1, 8, 0, tzinfo=LIMA))
        with time_machine.travel(dt.datetime(2026, 3, 26, 10, 0, tzinfo=LIMA), tick=False):
            deadlines_expire()  # d: 25 h after the request for conformity, the system closes the ticket
        answer_yes(cases["f"], dt.datetime(2026, 4, 1, 8, 0, tzinfo=LIMA))
        with time_machine.travel(dt.datetime(2026, 3, 15, 10, 0, tzinfo=LIMA), tick=False):
            case_cancel(
                case_id=cases["h"].pk, actor=person("SENACE", "jefe_oti"), reason="Registrado por error"
            )
        yield {name: Case.objects.get(pk=case.pk) for name, case in cases.items()}
        transaction.set_rollback(True)


@pytest.mark.django_db
def test_help_desk_indicator_from_known_cases(known_cases):
    senace = Entity.objects.get(code="SENACE")
    assert {name: case.status for name, case in known_cases.items()} == {
        "a": "closed", "b": "closed", "c": "closed", "d": "closed",
        "e": "open", "f": "closed", "g": "closed", "h": "cancelled",
    }  # fmt: skip

    # March by hand: received a b c d e f (g started in February, h annulled) = 6; solved and closed by 31
    # March: a (6 "Sí"), b (12 "Sí") = 2 (f said "Sí" on 1 April); 2/6 = 33.33 %, target 100 %, deviation 1 %.
    [value] = indicator_values(entity=senace, start=MARCH[0], end=MARCH[1])
    assert (value.procedure_code, value.indicator_id) == (CODE, "tickets_atendidos")
    assert value.formula == "Número de tickets solucionados cerrados/ Número de tickets recibidos"
    assert (value.numerator, value.denominator, value.value) == (2, 6, Decimal("33.33"))
    assert (value.baseline, value.target, value.deviation) == (Decimal(99), Decimal(100), Decimal(1))
    assert value.verdict == NO_CUMPLE
    assert value.responsible == "Especialista en Servicios Digitales"
    # Beside it: closed at 24 h without answer (d), closed without attention (c).
    assert [(c.label[:30], c.count) for c in value.also] == [
        ("Tickets cerrados automáticamen", 1),
        ("Tickets cerrados sin atención,", 1),
    ]
    # The drill-down lists exactly the cases counted.
    numbers = {name: case.number for name, case in known_cases.items()}

    def drilled(key, start=MARCH[0], end=MARCH[1]):
        cases = indicator_cases(
            entity=senace,
            start=start,
            end=end,
            procedure_code=CODE,
            indicator_id="tickets_atendidos",
            key=key,
        )
        return [c.number for c in cases]

    assert drilled("numerator") == [numbers["a"], numbers["b"]]
    assert drilled("denominator") == [numbers[n] for n in "abcdef"]
    assert drilled("also-0") == [numbers["d"]] and drilled("also-1") == [numbers["c"]]

    # The other conditions a count can state, on the same cases: closed in March (a b c d, and g from
    # February; f closed on 1 April, h annulled), and holding the 24-hour window expired (d).
    def counted(**condition):
        count = CaseCount(label="x", **condition)
        cases = case_count_queryset(entity=senace, code=CODE, count=count, period=Period(*MARCH))
        return sorted(c.number for c in cases)

    assert counted(dated_by="closed") == sorted(numbers[n] for n in "abcdg")
    expired = {"time_rule": "cierre_automatico_24h", "status": ["expired"]}
    assert counted(deadline=expired) == [numbers["d"]]
    assert counted(closed=True, record="justificacion_no_atencion") == [numbers["c"]]

    # March and April together: f is closed by the end now → 3/6 = 50 %.
    [both] = indicator_values(entity=senace, start=MARCH[0], end=dt.date(2026, 4, 30))
    assert (both.numerator, both.denominator, both.value) == (3, 6, Decimal("50.00"))
    # February: g is received, but solved only on 2 March → 0/1 = 0 %, a true zero.
    [february] = indicator_values(entity=senace, start=dt.date(2026, 2, 1), end=dt.date(2026, 2, 28))
    assert (february.numerator, february.denominator, february.value) == (0, 1, Decimal("0.00"))
    # April: no ticket received → "sin datos" with the reason, never 0.
    [april] = indicator_values(entity=senace, start=dt.date(2026, 4, 1), end=dt.date(2026, 4, 30))
    assert (april.value, april.verdict, april.denominator) == (None, SIN_DATOS, 0)
    assert "Tickets recibidos" in april.reason
    # Other entities have no indicator fichas; a filter on other procedures leaves it out.
    assert indicator_values(entity=Entity.objects.get(code="MVCS"), start=MARCH[0], end=MARCH[1]) == []
    assert (
        indicator_values(entity=senace, start=MARCH[0], end=MARCH[1], procedure_codes=["S.04.01.01_P"]) == []
    )

    # Deadline compliance: the 24-hour window of activity 6 (cierre_automatico_24h, role requester), due
    # 24 h after 5 asks for conformity, in March: a (due 4 March, answered at once: met), g (due 1 March
    # 09:00, answered 08:00: met), d (due 26 March: ran out, expired), e (due 31 March, no tick since:
    # pending); f's is due 1 April. By hand: met 2, missed 0, pending 1, expired 1; 2 / (2 + 0) = 100 %.
    rows = {
        r.key: r for r in deadline_compliance(entity=senace, start=MARCH[0], end=MARCH[1], by="procedure")
    }
    [row] = rows.values()
    assert (row.key, row.met, row.missed, row.pending, row.expired) == (CODE, 2, 0, 1, 1)
    assert row.compliance == Decimal("100.00")
    [by_role] = deadline_compliance(entity=senace, start=MARCH[0], end=MARCH[1], by="role")
    assert (by_role.key, by_role.label, by_role.total) == ("requester", "Solicitante", 4)
    listed = deadline_compliance_rows(entity=senace, start=MARCH[0], end=MARCH[1], by="role", key="requester")
    assert sorted(d.case.number for d in listed) == sorted(numbers[n] for n in "adeg")


def test_verdict_against_target_and_deviation():
    target, deviation, baseline = Decimal(100), Decimal(1), Decimal(99)
    assert judge(Decimal(100), baseline, target, deviation)[0] == CUMPLE
    assert judge(Decimal("99.00"), baseline, target, deviation)[0] == DENTRO
    assert judge(Decimal("98.99"), baseline, target, deviation)[0] == NO_CUMPLE
    # A value to bring down (baseline above target): below the target is good.
    assert judge(Decimal(4), Decimal(10), Decimal(5), Decimal(1))[0] == CUMPLE
    assert judge(Decimal("5.5"), Decimal(10), Decimal(5), Decimal(1))[0] == DENTRO
    assert judge(Decimal(50), None, None, None)[0] == SIN_DATOS


@pytest.mark.django_db
def test_tablero_chart_drilldown_and_exports(known_cases, client):
    """The March figures through the Tablero: value, verdict, chart, drill-down (need-to-know), exports."""
    numbers = {name: case.number for name, case in known_cases.items()}
    march = {"desde": "2026-03-01", "hasta": "2026-03-31"}
    client.force_login(person("SENACE", "especialista_mesa_ayuda").user)

    page = client.get(reverse("web:dashboard"), march)
    assert page.status_code == 200
    [panel] = page.context["indicators"].indicators
    assert (panel.value.value, panel.value.verdict) == (Decimal("33.33"), NO_CUMPLE)
    # Twelve months up to March 2026 on the chart: February 0 % (a true zero), March 33.33 %, the ten before
    # without tickets "s/d" (no bar), against the target and baseline lines.
    assert [v.value for v in panel.series][-2:] == [Decimal("0.00"), Decimal("33.33")]
    assert [v.verdict for v in panel.series[:10]] == [SIN_DATOS] * 10
    body = page.content.decode()
    chart = body[body.index('data-indicator="S.04.04.02_P/tickets_atendidos"') :]
    assert chart.count(">s/d</text>") == 10 + 4  # the wide chart's ten, the narrow one's last six minus two
    assert "meta 100%" in chart and "base 99%" in chart and "33.33%" in chart
    assert "<script" not in chart and "style=" not in chart  # CSP: no inline script or style

    url = reverse("web:indicator-cases", args=[CODE, "tickets_atendidos", "numerator"])
    listed = client.get(url, march).content.decode()
    assert numbers["a"] in listed and numbers["b"] in listed and numbers["c"] not in listed
    # Someone of another procedure of the entity sees the figure but not the cases behind it.
    client.force_login(person("SENACE", "especialista_td").user)
    hidden = client.get(url, march)
    assert hidden.context["hidden"] == 2 and hidden.context["cases"] == []
    deadlines = client.get(reverse("web:deadline-cases", args=["rol", "requester"]), march)
    assert deadlines.context["line"].met == 2

    exported = client.get(reverse("web:indicators-export", args=["indicadores", "csv"]), march)
    assert exported["Content-Disposition"].endswith('_indicadores_20260301_20260331.csv"')
    [header, row] = list(csv.reader(io.StringIO(exported.content.decode("utf-8-sig"))))
    figures = dict(zip(header, row, strict=True))
    assert (figures["Numerador"], figures["Denominador"], figures["Valor"]) == ("2", "6", "33.33")
    assert (figures["Frecuencia"], figures["Resultado"]) == ("Mensual", NO_CUMPLE)
    april = client.get(reverse("web:indicators-export", args=["indicadores", "csv"]), {"desde": "2026-04-01"})
    [_, row] = list(csv.reader(io.StringIO(april.content.decode("utf-8-sig"))))
    assert (row[header.index("Valor")], row[header.index("Resultado")]) == ("", SIN_DATOS)  # never 0

    xlsx = client.get(reverse("web:indicators-export", args=["indicadores", "xlsx"]), march)
    book = load_workbook(io.BytesIO(xlsx.content))
    assert book.sheetnames == ["Indicadores", "Plazos por procedimiento", "Plazos por rol"]
    sheet = [[c.value for c in r] for r in book["Indicadores"].iter_rows()]
    assert sheet[1][header.index("Valor")] == 33.33 and sheet[1][header.index("Denominador")] == 6
    by_procedure = [[c.value for c in r] for r in book["Plazos por procedimiento"].iter_rows()]
    assert by_procedure[1][:2] == [CODE, f"{CODE} Mesa de ayuda"] and by_procedure[1][4:10] == [
        2,
        0,
        1,
        1,
        4,
        100,
    ]


@pytest.mark.django_db
def test_reports_indicators_command(known_cases, tmp_path, capsys):

    call_command("reports", "indicators", "--entity", "SENACE", "--from", "2026-03-01", "--to", "2026-03-31")
    table = capsys.readouterr().out
    assert "Porcentaje de tickets de mesa de ayuda atendidos" in table
    assert "Valor: 33.33 %  [2 / 6]  NO CUMPLE" in table
    assert "Tickets cerrados automáticamente sin respuesta del solicitante (24 horas): 1" in table
    call_command("reports", "indicators", "--entity", "SENACE", "--from", "2026-04-01", "--to", "2026-04-30")
    assert "Valor: sin datos  [0 / 0]  SIN DATOS" in capsys.readouterr().out

    path = tmp_path / "senace.xlsx"
    call_command(
        "reports", "indicators", "--entity", "SENACE", "--from", "2026-03-01", "--to", "2026-03-31",
        "--format", "xlsx", "--output", str(path),
    )  # fmt: skip
    rows = list(load_workbook(path)["Plazos por rol"].iter_rows(values_only=True))
    assert rows[1][:2] == ("requester", "Solicitante") and rows[1][4:9] == (2, 0, 1, 1, 4)


def test_the_ficha_export_says_how_the_indicator_is_computed():

    [block] = ficha_content(catalogue_from_repository().definitions[CODE].definition).indicators
    computed = {item.label: item.value for item in block.items}["Cálculo con los expedientes"]
    assert "Numerador: Tickets solucionados cerrados: expedientes iniciados en el periodo" in computed
    assert "la rama «Sí» de la actividad 6 o la rama «Sí» de la actividad 12" in computed


@pytest.mark.django_db
def test_indicators_through_the_api(known_cases, client):
    """The same March figures as JSON; bad periods are 400 with the field named, anonymous is 401/403."""
    url = reverse("api-indicators-report")
    assert client.get(url, {"from": "2026-03-01", "to": "2026-03-31"}).status_code in (401, 403)
    client.force_login(person("SENACE", "especialista_mesa_ayuda").user)
    body = client.get(url, {"from": "2026-03-01", "to": "2026-03-31"}).json()
    [value] = body["indicators"]
    assert (body["entity"], value["indicator_id"], value["verdict"]) == (
        "SENACE",
        "tickets_atendidos",
        NO_CUMPLE,
    )
    assert (value["numerator"], value["denominator"], value["value"]) == (2, 6, "33.33")
    assert [c["count"] for c in value["also"]] == [1, 1]
    [line] = body["compliance_by_procedure"]
    assert (line["key"], line["met"], line["missed"], line["pending"], line["expired"]) == (CODE, 2, 0, 1, 1)
    april = client.get(url, {"from": "2026-04-02", "to": "2026-04-30"}).json()["indicators"][0]
    assert (april["value"], april["verdict"]) == (None, "sin datos") and april["reason"]
    bad = client.get(url, {"from": "2026-03-31", "to": "2026-03-01"})
    assert bad.status_code == 400 and "to" in bad.json()["field_errors"]
    assert "from" in client.get(url, {"from": "marzo", "to": "2026-03-31"}).json()["field_errors"]
