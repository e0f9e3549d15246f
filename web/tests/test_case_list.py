"""
The Expedientes list, its exports, Mis solicitudes, the Tablero's links and the linked case number in flash
confirmations, through the web client; and GET /api/v1/cases/ with the same filters.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from html import unescape

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from mapro.cases import services
from mapro.cases.models import Case
from mapro.catalogue.definition import Catalogue
from mapro.catalogue.models import ProcedureVersion
from mapro.catalogue.selectors import catalogue_from_repository
from mapro.catalogue.services import procedure_versions_load
from mapro.catalogue.tests.sample_data import task_complete
from mapro.organization.models import Person
from mapro.organization.services import demo_people_create

from .conftest import person

ANALYST, MANAGER, OFFICER = "analista_mesa_servicios", "responsable_plataforma_correo", "oficial_seguridad"
MAIL_USER = "usuario_correo"
ENDED = "Culminación de la orden de servicio"
ROW = re.compile(r'data-case="([^"]+)"')


def listed(response) -> list[str]:
    assert response.status_code == 200, response.status_code
    return ROW.findall(response.content.decode())


def start(account: str) -> Case:
    return services.case_start(
        procedure_code="PR.OTI.005",
        requester=person(ANALYST),
        inputs={"cuenta_correo": account, "motivo_baja": ENDED},
    )


@pytest.fixture
def cases(mvcs) -> dict[str, Case]:
    """Four PR.OTI.005 cases: two overdue, one moved on to the mail manager, one cancelled."""
    made = {name: start(f"{name}@vivienda.gob.pe") for name in ("jperez", "mrojas", "lquispe", "anulado")}
    now = timezone.now()
    Case.objects.filter(pk__in=[made["jperez"].pk, made["mrojas"].pk]).update(
        due_at=now - dt.timedelta(hours=1)
    )
    Case.objects.filter(pk=made["lquispe"].pk).update(due_at=now + dt.timedelta(days=2))
    task_complete(task_id=made["lquispe"].tasks.get(activity=1).pk, actor=person(ANALYST))
    services.case_cancel(case_id=made["anulado"].pk, actor=person(ANALYST), reason="Duplicado")
    return made


def test_tablero_figures_link_to_exactly_the_cases_they_count(client, cases):
    client.force_login(person(OFFICER).user)
    page = client.get(reverse("web:dashboard"))
    body = page.content.decode()
    board = page.context["board"]
    assert board.overdue_cases == 2

    def link(stat: str) -> str:
        found = re.search(
            rf'<a class="stat[^"]*" href="([^"]+)"><span class="stat-n" data-stat="{stat}"', body
        )
        assert found, stat
        return unescape(found.group(1))

    overdue = listed(client.get(link("overdue-cases")))
    assert sorted(overdue) == sorted([cases["jperez"].number, cases["mrojas"].number])
    assert len(listed(client.get(link("open-cases")))) == board.open_cases == 3
    # Per procedure and per role: each figure's link lists as many cases as it counts.
    for href, figure in re.findall(
        r'<td class="num[^"]*" data-col="(?:open|overdue)"><a href="([^"]+)"[^>]*>(\d+)<', body
    ):
        assert len(listed(client.get(unescape(href)))) == int(figure), href
    assert 'href="/expedientes/?role=responsable_plataforma_correo&amp;status=open"' in body


def test_list_filters_paging_exports_and_errors(client, cases, monkeypatch):
    client.force_login(person(OFFICER).user)
    url = reverse("web:cases")
    # Search by the account name, accent- and case-blind, as a shareable link.
    assert listed(client.get(url, {"q": "MROJAS"})) == [cases["mrojas"].number]
    assert set(listed(client.get(url, {"q": "culminacion"}))) == {c.number for c in cases.values()}
    assert listed(client.get(url, {"status": "cancelled"})) == [cases["anulado"].number]
    assert listed(client.get(url, {"role": MANAGER})) == [cases["lquispe"].number]
    numbers = sorted(c.number for c in cases.values())
    assert listed(client.get(url, {"ordering": "number"})) == numbers
    assert listed(client.get(url, {"ordering": "-number"})) == numbers[::-1]
    body = client.get(url, {"role": MANAGER}).content.decode()
    assert "2. " in body and "Responsable" in body  # the current step, with its role

    # Paging: 2 a page here; the next link keeps the filters.
    monkeypatch.setattr("web.views.case_list.PAGE_SIZE", 2)
    first = client.get(url, {"q": "vivienda", "ordering": "number"})
    assert listed(first) == numbers[:2] and "1–2 de 4 expedientes" in first.content.decode()
    following = unescape(re.search(r'href="([^"]+)" rel="next"', first.content.decode()).group(1))
    assert "q=vivienda" in following and "ordering=number" in following and "page=2" in following
    assert listed(client.get(url + following)) == numbers[2:]

    # The exports hold exactly the filtered rows (every page), CSV and XLSX alike.
    chosen = {"q": "vivienda", "status": "open", "ordering": "number"}
    expected = sorted(c.number for k, c in cases.items() if k != "anulado")
    response = client.get(reverse("web:cases-export", args=["csv"]), chosen)
    assert response["Content-Disposition"].endswith('.csv"')
    lines = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert lines[0][:3] == ["Número", "Asunto", "Procedimiento"]
    assert [line[0] for line in lines[1:]] == expected
    assert "2. " in {line[0]: line[10] for line in lines[1:]}[cases["lquispe"].number]
    response = client.get(reverse("web:cases-export", args=["xlsx"]), chosen)
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert [row[0] for row in sheet.iter_rows(min_row=2, values_only=True)] == expected
    # Another person exports only what they may read: the mail user, nothing.
    client.force_login(person(MAIL_USER).user)
    lines = client.get(reverse("web:cases-export", args=["csv"]), chosen).content.decode("utf-8-sig")
    assert len(lines.strip().splitlines()) == 1
    client.force_login(person(OFFICER).user)
    monkeypatch.setattr("web.views.case_list.EXPORT_MAX", 2)
    refused = client.get(reverse("web:cases-export", args=["csv"]), chosen, follow=True)
    assert "se exportan hasta 2" in refused.content.decode()

    # A bad filter is named in Spanish, with a 400, and the list shows everything instead.
    bad = client.get(url, {"from": "2026-02-30", "status": "abierto"})
    assert bad.status_code == 400
    assert (
        "Fecha no válida: use AAAA-MM-DD." in bad.content.decode()
        and "Estado desconocido" in bad.content.decode()
    )


def test_mis_solicitudes_shows_current_step_and_the_requesters_own_task(client, mvcs):
    definitions = catalogue_from_repository().definitions
    procedure_versions_load(catalogue=Catalogue(definitions={"S.04.01.01_P": definitions["S.04.01.01_P"]}))
    demo_people_create()
    requester = Person.objects.filter(entity__code="SENACE", user__isnull=False).order_by("pk").first()
    case = services.case_start(
        procedure_code="S.04.01.01_P",
        requester=requester,
        inputs={"iniciativa": "Migración del portal de trámites", "fuente_iniciativa": "OTI"},
        flow="iniciativa",
    )
    task = case.tasks.get(activity=1)
    client.force_login(requester.user)
    body = client.get(reverse("web:my-requests")).content.decode()
    assert case.number in body and "Le toca a usted" in body
    assert reverse("web:task", args=[task.pk]) in body
    assert (
        client.get(reverse("web:my-requests"), {"q": "migracion"}).content.decode().count('data-case="') == 1
    )
    assert 'data-case="' not in client.get(reverse("web:my-requests"), {"status": "closed"}).content.decode()
    # The analyst's own requests are theirs only: the Senace requester's case is not among them.
    client.force_login(person(ANALYST).user)
    assert case.number not in client.get(reverse("web:my-requests")).content.decode()
    assert 'href="/mis-solicitudes/"' in client.get(reverse("web:inbox")).content.decode()


def test_flash_confirmations_link_the_case_number(client, mvcs):
    analyst = person(ANALYST)
    client.force_login(analyst.user)
    version = ProcedureVersion.objects.get(code="PR.OTI.005", is_current=True)
    response = client.post(
        reverse("web:start-form", args=[version.pk]),
        {"in__cuenta_correo": "x@vivienda.gob.pe", "in__motivo_baja": ENDED},
        follow=True,
    )
    case = Case.objects.get()
    link = f'<a href="/expedientes/{case.number}/">{case.number}</a>'
    assert f"Expediente {link} iniciado (PR.OTI.005)." in response.content.decode()
    response = client.post(
        reverse("web:case-cancel", args=[case.number]), {"reason": "<b>x</b>"}, follow=True
    )
    assert f"Expediente {link} anulado." in response.content.decode()


@pytest.mark.django_db
def test_api_case_list_filters_pages_and_refuses_bad_parameters(cases):
    token, _ = Token.objects.get_or_create(user=person(OFFICER).user)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    url = "/api/v1/cases/"
    body = api.get(url, {"q": "LQUISPE"}).json()
    assert body["count"] == 1 and body["pages"] == 1 and body["page_size"] == 50
    row = body["results"][0]
    assert row["number"] == cases["lquispe"].number and row["procedure"] == "PR.OTI.005"
    assert [step["activity"] for step in row["current"]] == [2] and row["current"][0]["role_code"] == MANAGER
    assert row["requester"] == person(ANALYST).user.username and row["overdue"] is False
    overdue = api.get(url, {"overdue": "true", "ordering": "number"}).json()
    assert [r["number"] for r in overdue["results"]] == sorted(
        [cases["jperez"].number, cases["mrojas"].number]
    )
    assert all(r["overdue"] for r in overdue["results"])
    assert api.get(url, {"page": "7"}).json()["results"] == []

    bad = api.get(
        url, {"status": "abierto", "ordering": "fecha", "from": "ayer", "page": "0", "overdue": "si"}
    )
    assert bad.status_code == 400
    assert set(bad.json()["field_errors"]) == {"status", "ordering", "from", "page", "overdue"}
    backwards = api.get(url, {"from": "2026-02-01", "to": "2026-01-01"})
    assert backwards.status_code == 400 and list(backwards.json()["field_errors"]) == ["to"]
    assert api.get(url, {"q": "x" * 201}).status_code == 400
    # Need-to-know: the mail user reads none of them.
    token, _ = Token.objects.get_or_create(user=person(MAIL_USER).user)
    api.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    assert api.get(url).json()["count"] == 0
