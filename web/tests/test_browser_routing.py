"""
Routing in real headless Chromium: the head of the unit assigns a task to a named analyst with a proveído;
the analyst finds it assigned to them in Mi bandeja and reads the proveído on the task page. A decision is
confirmed in a dialog (keyboard: focus inside, Escape closes it) and asks for the reason its branch needs.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import expect

from mapro.cases import services
from mapro.cases.models import CaseTask
from mapro.cases.tests.test_routing import reason_definition
from mapro.catalogue.tests.sample_data import record_data, start_inputs
from mapro.organization.models import Person, Role, RoleAssignment
from mapro.organization.services import DEMO_PASSWORD

from .conftest import VIEWPORTS, person
from .test_browser_axe import AXE, axe_findings

pytestmark = [pytest.mark.browser]

ANALYST, DIRECTOR, MANAGER = "analista_mesa_servicios", "director_oti", "responsable_plataforma_correo"
INPUTS = {"cuenta_correo": "jperez@vivienda.gob.pe", "motivo_baja": "Culminación de la orden de servicio"}


def second_analyst() -> Person:
    """A second Analista de Mesa de Servicios, who signs in as `mvcs.rquispe` with the demo password."""
    analyst = person(ANALYST)
    user = get_user_model().objects.create_user("mvcs.rquispe", password=DEMO_PASSWORD)
    rosa = Person.objects.create(user=user, entity=analyst.entity, full_name="Rosa Quispe Mamani")
    role = Role.objects.get(entity=analyst.entity, code=ANALYST)
    RoleAssignment.objects.create(person=rosa, role=role, starts_on=dt.date(2020, 1, 1))
    return rosa


def axe_clean(b) -> None:
    """No critical or serious axe-core finding on the page as it is, at desktop and phone size."""
    findings = []
    for width, height in VIEWPORTS.values():
        b.page.set_viewport_size({"width": width, "height": height})
        findings += axe_findings(b.page)
    b.page.set_viewport_size({"width": 1280, "height": 800})
    assert not findings, "\n".join(findings)


def test_a_head_assigns_a_task_with_a_proveido_and_a_decision_is_confirmed(open_browser, tmp_path):
    rosa = second_analyst()
    case = services.case_start(procedure_code="PR.OTI.005", requester=person(ANALYST), inputs=INPUTS)
    task = case.tasks.get(activity=1)

    # The Director(a) of the OTI opens the case and, in its current activity, assigns it to Rosa.
    director = open_browser()
    director.context.add_init_script(path=str(AXE))
    director.login(DIRECTOR)
    director.go(f"/expedientes/{case.number}/")
    panel = director.page.locator(f'[data-routing="{task.pk}"]')
    expect(panel).to_contain_text("sin asignar")
    expect(panel.get_by_role("button", name="Asignarme")).to_have_count(0)  # not the director's role
    panel.get_by_label("Asignar a").select_option(label="Rosa Quispe Mamani — Analista de Mesa de Servicios")
    panel.get_by_label(re.compile("Proveído")).fill("Atender hoy: el contrato de jperez culminó el 30/11.")
    director.screenshot("routing-01-expediente-asignar")
    axe_clean(director)
    panel.get_by_role("button", name="Asignar", exact=True).click()
    expect(
        director.page.get_by_text(re.compile("Asignó la actividad 1.*a Rosa Quispe Mamani"))
    ).to_be_visible()
    expect(director.page.locator(".timeline")).to_contain_text(
        "Proveído: Atender hoy: el contrato de jperez culminó el 30/11."
    )
    task.refresh_from_db()
    assert task.assignee == rosa

    # Rosa finds it assigned to her in Mi bandeja and reads the proveído on the task page.
    analyst = open_browser()
    analyst.login("rquispe")
    row = analyst.page.locator(f'[data-task="{task.pk}"]')
    expect(row).to_contain_text("Asignada a usted")
    expect(row.get_by_role("button", name="Asignarme")).to_have_count(0)
    row.get_by_role("link", name=re.compile("^1\\. Emitir correo")).click()
    expect(analyst.page.locator(".proveido")).to_contain_text("Atender hoy: el contrato de jperez culminó")
    expect(analyst.page.locator(".proveido")).to_contain_text("Proveído de Director(a)")
    analyst_panel = analyst.page.locator(f'[data-routing="{task.pk}"]')
    expect(analyst_panel.get_by_label("Derivar a")).to_be_hidden()  # their own work comes first
    analyst_panel.get_by_text("Derivar a otra persona del rol").click()
    expect(analyst_panel.get_by_label("Derivar a")).to_be_visible()
    expect(analyst_panel.get_by_role("button", name=re.compile("^Liberar"))).to_be_visible()
    analyst.screenshot("routing-02-tarea-con-proveido")

    # A decision: the dialog says what follows, asks for the branch's reason, and Escape backs out.
    d = reason_definition(tmp_path)
    manager_person = person(MANAGER)
    aip = services.case_start(procedure_code="PR.OTI.006", requester=manager_person, inputs=start_inputs(d))
    services.case_task_complete(task_id=aip.tasks.get().pk, actor=manager_person, data=record_data(d, 1))
    decision_task = aip.tasks.get(activity=2)
    manager = open_browser()
    manager.context.add_init_script(path=str(AXE))
    manager.login(MANAGER)
    manager.go(f"/tareas/{decision_task.pk}/")
    expect(manager.page.get_by_label(re.compile("Motivo del descarte"))).to_be_hidden()  # asked in the dialog
    manager.page.get_by_role("button", name="NO", exact=True).click()
    dialog = manager.page.get_by_role("dialog", name="¿Confirma «NO»?")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("Pasa a 11.")
    reason = dialog.get_by_label("Motivo del descarte (obligatorio)")
    expect(reason).to_be_focused()
    dialog.get_by_role("button", name="Sí, confirmar").click()
    expect(dialog.get_by_text("Escriba el motivo para continuar.")).to_be_visible()
    expect(reason).to_be_focused()
    manager.screenshot("routing-03-confirmacion-motivo")
    axe_clean(manager)
    manager.page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    decision_task.refresh_from_db()
    assert decision_task.status == CaseTask.Status.OPEN

    manager.page.get_by_role("button", name="NO", exact=True).click()
    reason.fill("El requerimiento es sobre una persona que no es ni fue usuaria del MVCS.")
    dialog.get_by_role("button", name="Sí, confirmar").click()
    expect(manager.page.get_by_role("heading", level=1)).to_contain_text("11. Responder requerimiento")
    decision_task.refresh_from_db()
    assert (decision_task.decision, decision_task.decision_reason) == (
        "NO",
        "El requerimiento es sobre una persona que no es ni fue usuaria del MVCS.",
    )
    manager.go(f"/expedientes/{aip.number}/")
    expect(manager.page.locator(".timeline")).to_contain_text("Motivo: El requerimiento es sobre una persona")
