"""
Finding a case again, in headless Chromium: an analyst searches the Expedientes list by an account name (by
keyboard), filters, and exports the rows as CSV; the Tablero's overdue figure opens exactly those cases; a
requester finds their case in Mis solicitudes, with their own pending step standing out. axe-core on these
pages at both sizes (0 critical, 0 serious); screenshots at 1280×800 and 390×844.
"""

from __future__ import annotations

import csv
import datetime as dt
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from mapro.cases import services
from mapro.cases.models import Case
from mapro.catalogue.definition import Catalogue
from mapro.catalogue.selectors import catalogue_from_repository
from mapro.catalogue.services import procedure_versions_load
from mapro.organization.models import Person
from mapro.organization.services import demo_people_create

from .conftest import VIEWPORTS, person
from .test_browser_axe import AXE, axe_findings

pytestmark = [pytest.mark.browser]

ANALYST = "analista_mesa_servicios"
ENDED = "Culminación de la orden de servicio"
INITIATIVE = "S.04.01.01_P"  # Senace: its first activity is the requester's own (they tell the initiative)


def axe_clean(b) -> list[str]:
    found = []
    for width, height in VIEWPORTS.values():
        b.page.set_viewport_size({"width": width, "height": height})
        found += axe_findings(b.page)
    b.page.set_viewport_size({"width": 1280, "height": 800})
    return found


def test_an_analyst_finds_and_exports_cases_and_a_requester_finds_theirs(open_browser, tmp_path):
    analyst = person(ANALYST)
    made = {
        account: services.case_start(
            procedure_code="PR.OTI.005",
            requester=analyst,
            inputs={"cuenta_correo": f"{account}@vivienda.gob.pe", "motivo_baja": ENDED},
        )
        for account in ("jperez", "mrojas", "lquispe")
    }
    Case.objects.filter(pk=made["mrojas"].pk).update(due_at=timezone.now() - dt.timedelta(hours=3))

    b = open_browser()
    b.context.add_init_script(path=str(AXE))
    b.login(ANALYST)
    b.page.locator(".mainnav").get_by_role("link", name="Expedientes").click()
    expect(b.page.locator(".case-row")).to_have_count(3)
    # By keyboard: type the account name and press Enter.
    b.page.get_by_label("Buscar", exact=True).fill("JPEREZ")
    b.page.keyboard.press("Enter")
    expect(b.page.locator(".case-row")).to_have_count(1)
    expect(b.page.locator(".case-row")).to_contain_text(made["jperez"].number)
    assert "q=JPEREZ" in b.page.url  # a link that can be shared
    b.page.get_by_text("Filtros y orden").click()
    b.page.get_by_label("Estado").select_option("open")
    b.page.get_by_label("Procedimiento").select_option("PR.OTI.005")
    b.page.get_by_role("button", name="Aplicar filtros").click()
    expect(b.page.locator(".case-row")).to_have_count(1)
    b.screenshot("find-01-expedientes-filtrados")
    assert axe_clean(b) == []

    with b.page.expect_download() as download:
        b.page.get_by_role("link", name="CSV").click()
    path = tmp_path / "expedientes.csv"
    download.value.save_as(path)
    rows = list(csv.reader(path.read_text(encoding="utf-8-sig").splitlines()))
    assert [row[0] for row in rows[1:]] == [made["jperez"].number]
    assert rows[1][5] == analyst.full_name and rows[1][4] == "En curso"

    # The Tablero's overdue figure opens exactly the overdue case.
    b.page.locator(".mainnav").get_by_role("link", name="Tablero").click()
    b.screenshot("find-02-tablero")
    assert axe_clean(b) == []
    b.page.locator("a.stat", has=b.page.locator('[data-stat="overdue-cases"]')).click()
    expect(b.page.locator(".case-row")).to_have_count(1)
    expect(b.page.locator(".case-row")).to_contain_text(made["mrojas"].number)

    # The analyst requested these three: Mis solicitudes lists them with their current step.
    b.page.locator(".mainnav").get_by_role("link", name="Mis solicitudes").click()
    expect(b.page.locator(".request")).to_have_count(3)
    expect(b.page.locator(f'[data-case="{made["lquispe"].number}"]')).to_contain_text("1. Emitir correo")

    # A Senace requester whose initiative waits on their own first step sees it stand out.
    definitions = catalogue_from_repository().definitions
    procedure_versions_load(catalogue=Catalogue(definitions={INITIATIVE: definitions[INITIATIVE]}))
    demo_people_create()
    requester = Person.objects.filter(entity__code="SENACE", user__isnull=False).order_by("pk").first()
    case = services.case_start(
        procedure_code=INITIATIVE,
        requester=requester,
        inputs={"iniciativa": "Migración del portal de trámites", "fuente_iniciativa": "UUOO"},
        flow="iniciativa",
    )
    r = open_browser()
    r.context.add_init_script(path=str(AXE))
    r.login(requester.user.username.split(".", 1)[1], "SENACE")
    r.page.locator(".mainnav").get_by_role("link", name="Mis solicitudes").click()
    row = r.page.locator(f'[data-case="{case.number}"]')
    expect(row.locator(".your-turn")).to_contain_text("Le toca a usted")
    r.screenshot("find-03-mis-solicitudes")
    assert axe_clean(r) == []
    row.get_by_role("link", name=re.compile("^1. ")).click()
    expect(r.page.get_by_role("heading", level=1)).to_contain_text("1. ")
