"""
In real headless Chromium: Senace's mesa de ayuda registers a ticket (S.04.04.02_P) on behalf of an employee,
who signs in and finds it (issue 13, item 3). The start form is looked at at 1280×800 and 390×844, with
axe-core on it.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from mapro.cases.models import Case
from mapro.cases.tests.test_on_behalf import baja_with_checks
from mapro.catalogue.definition import Catalogue
from mapro.catalogue.models import ProcedureVersion
from mapro.catalogue.selectors import catalogue_from_repository
from mapro.catalogue.services import procedure_versions_load
from mapro.organization.services import demo_people_create

from .conftest import SCREENSHOTS, VIEWPORTS, person
from .test_browser_axe import AXE, axe_findings

pytestmark = [pytest.mark.browser]

TICKET = "S.04.04.02_P"
SHOTS = Path(os.environ.get("MAPRO_SHOTS_ON_BEHALF", SCREENSHOTS))


def shots(b, name: str) -> list[str]:
    """Screenshots at both sizes, and axe-core's critical and serious findings at each."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    findings = []
    for label, (width, height) in VIEWPORTS.items():
        b.page.set_viewport_size({"width": width, "height": height})
        b.page.wait_for_timeout(100)
        b.page.screenshot(path=str(SHOTS / f"{name}-{label}.png"), full_page=True)
        findings += [f"{name} {label} {line}" for line in axe_findings(b.page)]
        overflow = b.page.evaluate("document.documentElement.scrollWidth > window.innerWidth")
        assert not overflow, f"{name} {label}: la página se desborda a lo ancho"
    b.page.set_viewport_size({"width": 1280, "height": 800})
    return findings


def test_the_mesa_de_ayuda_registers_a_ticket_for_an_employee_who_finds_it(open_browser, tmp_path):
    definitions = catalogue_from_repository().definitions
    procedure_versions_load(catalogue=Catalogue(definitions={TICKET: definitions[TICKET]}))
    demo_people_create()
    version = ProcedureVersion.objects.get(code=TICKET, is_current=True)
    employee = person("servidor", "SENACE")

    desk = open_browser()
    desk.context.add_init_script(path=str(AXE))
    desk.login("especialista_mesa_ayuda", "SENACE")
    desk.go(f"/iniciar/{version.pk}/")
    page = desk.page
    # Only "yo mismo" shows at first; each choice shows its own fields.
    expect(page.get_by_label(re.compile(r"^Persona de la entidad"))).to_be_hidden()
    findings = shots(desk, "01-inicio-solicitante-yo")
    page.get_by_label("Contacto externo (sin usuario en el sistema)").check()
    expect(page.get_by_label("Correo electrónico", exact=False)).to_be_visible()
    findings += shots(desk, "02-inicio-contacto-externo")
    page.get_by_label("Otra persona de la entidad").check()
    picker = page.get_by_label(re.compile(r"^Persona de la entidad"))
    expect(picker).to_be_visible()
    expect(page.get_by_label("Correo electrónico", exact=False)).to_be_hidden()
    picker.fill("nadie de este nombre")
    page.get_by_role("radio", name="Incidente").check()
    page.get_by_label("Solicitud de requerimiento/incidente").fill("No tengo acceso a la carpeta compartida.")
    page.get_by_role("button", name="Iniciar expediente").click()
    expect(page.get_by_text("No hay en SENACE una persona con ese nombre o usuario")).to_be_visible()
    expect(page.get_by_label(re.compile(r"^Persona de la entidad"))).to_be_visible()  # the choice is kept
    findings += shots(desk, "03-inicio-persona-error")
    page.get_by_label(re.compile(r"^Persona de la entidad")).fill(
        f"{employee.full_name} ({employee.user.username})"
    )
    page.get_by_role("button", name="Iniciar expediente").click()
    case = Case.objects.get(procedure_version=version)
    expect(
        page.get_by_text(
            re.compile(rf"Expediente {case.number} iniciado .* a nombre de {re.escape(employee.full_name)}")
        )
    ).to_be_visible()
    assert (case.requester, case.registered_by.user.username) == (employee, "senace.especialista_mesa_ayuda")
    assert not findings, "axe-core:\n" + "\n".join(findings)

    # The employee signs in: the ticket is in their inbox (activity 1 is a Servidor's), and its page says
    # who registered it for them.
    own = open_browser()
    own.login("servidor", "SENACE")
    expect(own.page.get_by_text(case.number).first).to_be_visible()
    own.go(f"/expedientes/{case.number}/")
    expect(
        own.page.get_by_text(re.compile(r"registrado por .* a nombre de " + re.escape(employee.full_name)))
    ).to_be_visible()

    # PR.OTI.005 with its ficha's checks: an account already in an open baja is flagged, naming the case,
    # and "Iniciar de todos modos" starts it anyway.
    baja_with_checks(tmp_path)
    analyst = open_browser()
    analyst.context.add_init_script(path=str(AXE))
    analyst.login("analista_mesa_servicios")
    baja = ProcedureVersion.objects.get(code="PR.OTI.005", is_current=True)
    for _attempt in range(2):
        analyst.go(f"/iniciar/{baja.pk}/")
        analyst.page.get_by_label(re.compile("Cuenta de correo")).fill("jperez@vivienda.gob.pe")
        analyst.page.get_by_label("Culminación de la orden de servicio").check()
        analyst.page.get_by_role("button", name="Iniciar expediente").click()
    first = Case.objects.filter(procedure_version=baja).get()
    expect(
        analyst.page.get_by_text(f"Ya hay un expediente abierto con este valor: {first.number}.")
    ).to_be_visible()
    expect(analyst.page.get_by_role("link", name=first.number)).to_be_visible()  # the open case, a link
    findings = shots(analyst, "04-inicio-duplicado")
    analyst.page.get_by_label("Iniciar de todos modos").check()
    analyst.page.get_by_role("button", name="Iniciar expediente").click()
    expect(analyst.page.get_by_text(re.compile(r"Expediente MVCS-\d{4}-\d+ iniciado"))).to_be_visible()
    assert Case.objects.filter(procedure_version=baja).count() == 2
    assert not findings, "axe-core:\n" + "\n".join(findings)
