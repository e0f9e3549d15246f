"""
A help-desk analyst's view of a case in headless Chromium: Mi bandeja says what each task's case is about,
and the task page shows the subject, the start data, the instruction for the path taken and the records so
far (issue 13, items 1 and 6). Screenshots at 1280×800 and 390×844 under artifacts/screenshots/.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from mapro.cases import services
from mapro.cases.tests.case_view_data import (
    BACKUP_AFTER_SUSPENSION,
    LOCADOR,
    SUSPEND_LOCADOR,
    pr_oti_005_with_subject_and_variants,
)
from mapro.catalogue.tests.sample_data import task_complete

from .conftest import person

pytestmark = [pytest.mark.browser]

SUBJECT = f"Baja de jperez@vivienda.gob.pe — {LOCADOR}"


def test_the_analyst_sees_what_the_case_is_about_and_what_to_do(open_browser, tmp_path):
    pr_oti_005_with_subject_and_variants(tmp_path)
    analyst = person("analista_mesa_servicios")
    case = services.case_start(
        procedure_code="PR.OTI.005",
        requester=analyst,
        inputs={"cuenta_correo": "jperez@vivienda.gob.pe", "motivo_baja": LOCADOR},
    )
    task_complete(task_id=case.tasks.get(activity=1).pk, actor=analyst)

    manager = open_browser()
    manager.login("responsable_plataforma_correo")
    row = manager.page.locator(".task-item").filter(has_text="2. Deshabilitar usuario")
    expect(row.locator("[data-subject]")).to_have_text(SUBJECT)
    expect(row.locator(".due--soon")).to_contain_text("Vence en 3 h")
    manager.screenshot("case-view-01-bandeja")

    row.get_by_role("link", name=re.compile("^2. Deshabilitar usuario")).click()
    page = manager.page
    expect(page.locator("[data-subject]")).to_have_text(SUBJECT)
    expect(page.locator("[data-instruction]")).to_have_text(SUSPEND_LOCADOR)
    data = page.locator(".start-data")
    expect(data).to_contain_text("Cuenta de correo electrónico (@vivienda.gob.pe) a dar de baja")
    expect(data).to_contain_text("jperez@vivienda.gob.pe")
    expect(page.locator(".records-so-far")).to_contain_text("Correo electrónico de baja de usuario")
    expect(page.locator(".task-info .due--soon")).to_contain_text("Vence en 3 h")
    manager.screenshot("case-view-02-tarea")

    page.get_by_role("button", name="Completar actividad").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("3. Realizar Backup")
    expect(page.locator("[data-instruction]")).to_have_text(BACKUP_AFTER_SUSPENSION)
    expect(page.get_by_label("Fecha en que se hizo")).to_have_value(re.compile(r"^\d{4}-\d\d-\d\d$"))
    manager.screenshot("case-view-03-tarea-siguiente")

    page.get_by_role("link", name=case.number).first.click()
    expect(page.locator(".case-head [data-subject]")).to_have_text(SUBJECT)
    manager.screenshot("case-view-04-expediente")
