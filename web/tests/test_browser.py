"""
The web app in real headless Chromium (Playwright), against pytest-django's live server.

Each test is a person's walk through the app; screenshots of every main page are saved at 1280×800 and
390×844 under artifacts/screenshots/.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
import time_machine
from django.utils import timezone
from playwright.sync_api import expect

from mapro.cases import services
from mapro.cases.models import Case, CaseRecord, CaseTask, Notification
from mapro.catalogue.tests.sample_data import baja_inputs, task_complete

from .conftest import person

pytestmark = [pytest.mark.browser]

ANALYST, MANAGER, OFFICER = "analista_mesa_servicios", "responsable_plataforma_correo", "oficial_seguridad"


def open_task(b, title: str) -> None:
    """From Mi bandeja, open the task whose title starts with `title`."""
    b.page.get_by_role("link", name=re.compile(rf"^{re.escape(title)}")).first.click()
    expect(b.page.get_by_role("heading", level=1)).to_contain_text(title)


def test_pr_oti_005_complete_case_across_its_three_roles(open_browser):
    # The help-desk analyst starts the removal and sends the notice (activity 1).
    analyst = open_browser()
    analyst.login(ANALYST)
    analyst.screenshot("01-bandeja-vacia")
    analyst.page.get_by_role("link", name="Iniciar trámite").first.click()
    analyst.screenshot("02-iniciar-tramite")
    analyst.page.get_by_role("link", name=re.compile("PR.OTI.005")).click()

    # Validation messages are the services' own, in Spanish.
    analyst.page.get_by_label(re.compile("Cuenta de correo")).fill("no-es-un-correo")
    analyst.page.get_by_role("button", name="Iniciar expediente").click()
    expect(analyst.page.get_by_text("Debe ser una dirección de correo electrónico válida.")).to_be_visible()
    expect(analyst.page.get_by_text("Entrada obligatoria: Entrada que origina la baja.")).to_be_visible()
    analyst.screenshot("03-formulario-inicio-errores")

    analyst.page.get_by_label(re.compile("Cuenta de correo")).fill("jperez@vivienda.gob.pe")
    analyst.page.get_by_label("Correo de OGGRH con baja de usuario").check()
    analyst.page.get_by_role("button", name="Iniciar expediente").click()

    # The requester holds the first activity's role: the app goes straight to that task.
    expect(analyst.page.get_by_role("heading", level=1)).to_contain_text(
        "1. Emitir correo de baja de usuario"
    )
    case = Case.objects.get()
    expect(analyst.page.get_by_text(f"Expediente {case.number} iniciado")).to_be_visible()
    analyst.screenshot("04-formulario-tarea")
    analyst.page.get_by_label("Fecha de envío a infraestructura@vivienda.gob.pe").fill("2026-07-24")
    analyst.page.get_by_role("button", name="Completar actividad").click()
    expect(analyst.page.get_by_text(re.compile("Pasa a: 2. Deshabilitar usuario"))).to_be_visible()
    analyst.screenshot("05-bandeja-tras-completar")

    # The mail-platform manager finds activity 2 in the inbox and does 2, 3 and 4 in a row.
    manager = open_browser()
    manager.login(MANAGER)
    expect(manager.page.locator(".task-item")).to_have_count(1)
    manager.screenshot("06-bandeja-gestor-correo")
    open_task(manager, "2. Deshabilitar usuario")
    manager.page.get_by_role("button", name="Completar actividad").click()
    expect(manager.page.get_by_role("heading", level=1)).to_contain_text("3. Realizar Backup")
    manager.page.get_by_label(re.compile("Ubicación del archivo .PST")).fill("BACKUP_CORREOS/jperez.pst")
    _complete_with_records(manager)
    expect(manager.page.get_by_role("heading", level=1)).to_contain_text("4. Eliminar")
    manager.page.get_by_role("button", name="Completar actividad").click()  # without its record: refused
    expect(manager.page.get_by_text("Este campo es obligatorio.")).to_be_visible()
    _complete_with_records(manager)

    # Closed: the case page says so and lists the records.
    expect(manager.page.get_by_text(re.compile(f"El expediente {case.number} concluyó"))).to_be_visible()
    expect(manager.page.locator(".case-head .status")).to_have_text("Concluido")
    expect(manager.page.get_by_text("BACKUP_CORREOS/jperez.pst")).to_be_visible()
    manager.screenshot("07-expediente-concluido")
    case.refresh_from_db()
    assert case.status == Case.Status.CLOSED
    assert list(case.tasks.order_by("activity").values_list("activity", "completed_by__user__username")) == [
        (1, "mvcs.analista_mesa_servicios"),
        (2, "mvcs.responsable_plataforma_correo"),
        (3, "mvcs.responsable_plataforma_correo"),
        (4, "mvcs.responsable_plataforma_correo"),
    ]

    # The Oficial de Seguridad was informed (RACI "I") of every activity and reads the case, but not the
    # backup record, which only the mail-platform manager may see.
    officer = open_browser()
    officer.login(OFFICER)
    assert Notification.objects.filter(person=person(OFFICER), case=case).count() == 4
    expect(officer.page.locator(".notices li")).to_have_count(4)
    officer.screenshot("08-bandeja-oficial-avisos")
    officer.page.locator(".notices a").first.click()
    expect(officer.page.locator(".case-number")).to_have_text(case.number)
    expect(officer.page.get_by_text("1 registro reservado a otros roles")).to_be_visible()
    expect(officer.page.get_by_text("BACKUP_CORREOS/jperez.pst")).to_have_count(0)
    expect(officer.page.locator(".timeline .tl-task-completed")).to_have_count(4)
    assert CaseRecord.objects.filter(case=case, record_id="respaldo_pst").exists()


def _decide(b, label: str, expected_next: str) -> None:
    """A decision is confirmed in its dialog before it is sent."""
    b.page.get_by_role("button", name=label, exact=True).click()
    dialog = b.page.get_by_role("dialog", name=f"¿Confirma «{label}»?")
    expect(dialog).to_be_visible()
    dialog.get_by_role("button", name="Sí, confirmar").click()
    expect(b.page.get_by_role("heading", level=1)).to_contain_text(expected_next)


def test_pr_oti_006_ex_colaborador_branch_to_its_end(open_browser):
    manager = open_browser()
    manager.login(MANAGER)
    manager.go("/iniciar/")
    manager.page.get_by_role("link", name=re.compile("PR.OTI.006")).click()
    manager.screenshot("10-formulario-inicio-aip")
    manager.page.get_by_label(re.compile("Identificador del requerimiento")).fill("AIP-2026-0153")
    manager.page.get_by_label(re.compile("Usuario o cuenta")).fill("ex.colaborador@vivienda.gob.pe")
    manager.page.get_by_role("button", name="Iniciar expediente").click()
    expect(manager.page.get_by_role("heading", level=1)).to_contain_text("1. Recepción del requerimiento")
    _complete_with_records(manager)

    expect(manager.page.get_by_role("heading", level=1)).to_contain_text(
        "2. Validación si es usuario del MVCS"
    )
    expect(
        manager.page.get_by_text("¿Requerimiento es sobre un usuario del MVCS?", exact=True)
    ).to_be_visible()
    manager.screenshot("11-formulario-decision")
    _decide(manager, "SI", "3. Validación si existe Backup")
    _decide(manager, "SI", "4. Generación de Link de Acceso")
    _complete_with_records(manager)
    expect(manager.page.get_by_role("heading", level=1)).to_contain_text(
        "5. Validación si es un ex colaborador"
    )
    _decide(manager, "SI", "7. Solicitar el correo electrónico personal del ex colaborador")

    # Midway, the case page marks the branch taken at the decision on the diagram.
    case = Case.objects.get()
    manager.go(f"/expedientes/{case.number}/")
    manager.page.locator(".diagram[data-ready=true]").wait_for()
    expect(manager.page.locator('[data-element-id="Activity_7"].is-current')).to_have_count(1)
    expect(manager.page.locator('[data-element-id="Flow_Gateway_5_Activity_7"].is-done')).to_have_count(1)
    expect(manager.page.locator('[data-element-id="Flow_Gateway_5_Activity_6"].is-done')).to_have_count(0)
    manager.screenshot("12-expediente-aip-en-curso")
    manager.page.get_by_role("link", name="Atender esta actividad").click()

    _complete_with_records(manager)
    expect(manager.page.get_by_role("heading", level=1)).to_contain_text(
        "8. Validación de la cuenta de correo"
    )
    _decide(manager, "SI", "6. Remitir correo con link de acceso")
    _complete_with_records(manager)

    # Activity 6 is also the user's: their conformity is a task of their own, in their inbox; 11 waits for it.
    user = open_browser()
    user.login("usuario_correo")
    open_task(user, "6. Remitir correo con link de acceso")
    _complete_with_records(user)  # the conformity
    manager.go("/")
    open_task(manager, "11. Responder requerimiento a la AIP")
    _complete_with_records(manager)

    expect(manager.page.locator(".case-head .status")).to_have_text("Concluido")
    expect(manager.page.get_by_text("Requerimiento de AIP respondido").first).to_be_visible()
    case.refresh_from_db()
    assert case.status == Case.Status.CLOSED
    assert case.outcome == "Requerimiento de AIP respondido"
    walked = list(case.tasks.order_by("completed_at").values_list("activity", "decision"))
    assert walked == [
        (1, ""),
        (2, "SI"),
        (3, "SI"),
        (4, ""),
        (5, "SI"),
        (7, ""),
        (8, "SI"),
        (6, ""),
        (6, ""),
        (11, ""),
    ]


RECORD_INPUTS = (
    'textarea[name^="rec__"], '
    'input[name^="rec__"]:not([type=radio]):not([type=checkbox]):not([type=file]):not([type=hidden])'
)
SAMPLE_BY_TYPE = {"date": "2026-07-24", "email": "usuario@vivienda.gob.pe", "number": "1"}


def _complete_with_records(browser) -> None:
    """Each empty field of the records filled (records are required), each choice its first; then complete."""
    for box in browser.page.locator(RECORD_INPUTS).all():
        if not box.input_value():
            box.fill(
                SAMPLE_BY_TYPE.get(box.get_attribute("type") or "", "Constancia en el expediente físico")
            )
    names = {r.get_attribute("name") for r in browser.page.locator('input[type=radio][name^="rec__"]').all()}
    for name in sorted(names):
        browser.page.locator(f'input[type=radio][name="{name}"]').first.check()
    browser.page.get_by_role("button", name="Completar actividad").click()


def _case_at_activity_2(*, started: dt.datetime | None = None) -> Case:
    """A PR.OTI.005 case whose activity 1 was done at `started` (now by default): activity 2 is open."""
    analyst = person(ANALYST)
    with time_machine.travel(started or timezone.now(), tick=False):
        case = services.case_start(
            procedure_code="PR.OTI.005",
            requester=analyst,
            inputs=baja_inputs(),
        )
        first = case.tasks.get(activity=1)
        task_complete(task_id=first.pk, actor=analyst)
    return case


def test_person_without_the_role_cannot_act_and_sees_why(open_browser):
    case = _case_at_activity_2()
    task = case.tasks.get(activity=2, status=CaseTask.Status.OPEN)
    officer = open_browser()
    officer.login(OFFICER)
    expect(officer.page.locator(".task-item")).to_have_count(0)
    officer.go(f"/tareas/{task.pk}/")
    expect(officer.page.get_by_text("No puede atender esta actividad.")).to_be_visible()
    expect(
        officer.page.get_by_text(
            "Solo Responsable de la gestión de la Plataforma de Correo (o quien haga sus veces) puede "
            "realizar esta actividad."
        )
    ).to_be_visible()
    expect(officer.page.get_by_role("button", name="Completar actividad")).to_have_count(0)
    officer.screenshot("13-tarea-sin-rol")
    officer.go(f"/expedientes/{case.number}/")
    expect(officer.page.locator(".current .msg-info")).to_contain_text("Solo Responsable de la gestión")
    task.refresh_from_db()
    assert task.status == CaseTask.Status.OPEN


def test_an_overdue_task_shows_as_overdue(open_browser):
    # Activity 2 must be done within 4 clock hours of the notice; the notice went out two days ago.
    case = _case_at_activity_2(started=timezone.now() - dt.timedelta(days=2))
    task = case.tasks.get(activity=2, status=CaseTask.Status.OPEN)
    assert task.due_at < timezone.now()
    manager = open_browser()
    manager.login(MANAGER)
    item = manager.page.locator(f'.task-item[data-task="{task.pk}"]')
    expect(item).to_have_class(re.compile("urgency--overdue"))
    expect(item.locator(".due--overdue")).to_contain_text(re.compile(r"Vencida hace 4\d h"))
    manager.screenshot("14-bandeja-tarea-vencida")
    manager.page.get_by_label("Estado").select_option("vencidas")
    expect(manager.page).to_have_url(re.compile(r"estado=vencidas"))
    expect(manager.page.locator(".task-item")).to_have_count(1)
    manager.page.get_by_label("Estado").select_option("en_plazo")
    expect(manager.page.locator(".task-item")).to_have_count(0)
    expect(manager.page.get_by_text("No hay actividades con esos filtros.")).to_be_visible()


def test_dashboard_counts_match_the_database(open_browser):
    old = timezone.now() - dt.timedelta(days=3)
    _case_at_activity_2(started=old)
    _case_at_activity_2(started=old)
    _case_at_activity_2()
    analyst = person(ANALYST)
    services.case_start(
        procedure_code="PR.OTI.005",
        requester=analyst,
        inputs={"cuenta_correo": "y@vivienda.gob.pe", "motivo_baja": "Culminación de la orden de servicio"},
    )
    done = _case_at_activity_2()
    manager = person(MANAGER)
    for activity in (2, 3, 4):
        task = done.tasks.get(activity=activity, status=CaseTask.Status.OPEN)
        task_complete(task_id=task.pk, actor=manager)

    director = open_browser()
    director.login("director_oti")
    director.go("/tablero/")
    now = timezone.now()
    open_cases = Case.objects.filter(entity__code="MVCS", status=Case.Status.OPEN)
    open_tasks = CaseTask.objects.filter(entity__code="MVCS", status=CaseTask.Status.OPEN)
    expected = {
        "open-cases": open_cases.count(),
        "overdue-cases": open_cases.filter(due_at__lt=now).count(),
        "open-tasks": open_tasks.count(),
        "overdue-tasks": open_tasks.filter(due_at__lt=now).count(),
    }
    assert expected == {"open-cases": 4, "overdue-cases": 2, "open-tasks": 4, "overdue-tasks": 2}
    for stat, value in expected.items():
        expect(director.page.locator(f'[data-stat="{stat}"]')).to_have_text(str(value))
    row = director.page.locator('#by-procedure tr[data-code="PR.OTI.005"]')
    expect(row.locator('[data-col="open"]')).to_have_text("4")
    expect(row.locator('[data-col="overdue"]')).to_have_text("2")
    role_row = director.page.locator(f'#by-role tr[data-role="{MANAGER}"]')
    expect(role_row.locator('[data-col="open"]')).to_have_text(
        str(open_tasks.filter(role_code=MANAGER).count())
    )
    expect(role_row.locator('[data-col="overdue"]')).to_have_text("2")
    expect(director.page.locator("svg.chart-wide .chart-met")).to_have_count(1)
    director.screenshot("15-tablero")


def test_case_page_diagram_highlights_the_current_activity(open_browser):
    case = _case_at_activity_2()
    manager = open_browser()
    manager.login(MANAGER)
    manager.go(f"/expedientes/{case.number}/")
    manager.page.locator(".diagram[data-ready=true]").wait_for()
    expect(manager.page.locator('[data-element-id="Activity_2"].is-current')).to_have_count(1)
    expect(manager.page.locator('[data-element-id="Activity_1"].is-done')).to_have_count(1)
    expect(manager.page.locator('[data-element-id="Flow_Activity_1_Activity_2"].is-done')).to_have_count(1)
    expect(manager.page.locator('[data-element-id="Activity_3"].is-done')).to_have_count(0)
    expect(manager.page.locator(".diagram-badge")).to_have_text("Actual")
    manager.screenshot("09-expediente-en-curso")


def _diagram_scale(page) -> float:
    """The bpmn-js viewport's scale, read from its SVG transform matrix(s, 0, 0, s, x, y)."""
    transform = page.locator(".diagram svg g.viewport").first.get_attribute("transform") or ""
    found = re.match(r"matrix\(([\d.e-]+)", transform)
    return float(found.group(1)) if found else 1.0


def test_catalogue_ficha_and_downloads(open_browser):
    b = open_browser()
    b.login(OFFICER)
    b.page.get_by_role("link", name="Catálogo").click()
    b.screenshot("16-catalogo")
    b.page.get_by_role("link", name=re.compile("PR.OTI.005")).click()
    b.page.locator(".diagram[data-ready=true]").wait_for()
    expect(b.page.get_by_role("heading", name="Matriz RACI")).to_be_visible()
    expect(b.page.get_by_text("aprobada por Resolución Directoral N° 008-2022-VIVIENDA/OGEI")).to_be_visible()
    # A large diagram is read one lane at a time, zoomed in, or bigger and smaller with the buttons.
    fitted = _diagram_scale(b.page)
    b.page.get_by_label("Ver el carril").select_option(
        label="Responsable de la gestión de la Plataforma de Correo"
    )
    assert _diagram_scale(b.page) > fitted
    b.page.get_by_role("button", name="Alejar").click()
    b.page.get_by_role("button", name="Ajustar a la vista").click()
    assert _diagram_scale(b.page) == pytest.approx(fitted)
    b.screenshot("17-ficha")
    with b.page.expect_download() as download:
        b.page.get_by_role("link", name="Modelo BPMN 2.0").click()
    assert download.value.suggested_filename == "PR_OTI_005.bpmn"
    b.logout()
    b.screenshot("00-ingresar")


def test_a_help_desk_analyst_on_a_phone_starts_and_sends_the_notice(open_browser):
    phone = open_browser()
    phone.page.set_viewport_size({"width": 390, "height": 844})
    phone.login(ANALYST)
    phone.page.get_by_role("link", name="Iniciar trámite").first.click()
    phone.page.get_by_role("link", name=re.compile("PR.OTI.005")).click()
    phone.page.get_by_label(re.compile("Cuenta de correo")).fill("movil@vivienda.gob.pe")
    phone.page.get_by_label("Culminación de la orden de servicio").check()
    phone.page.get_by_role("button", name="Iniciar expediente").click()
    _complete_with_records(phone)
    expect(phone.page.get_by_text(re.compile("Pasa a: 2. Deshabilitar usuario"))).to_be_visible()
    # Every section of the navigation is reachable without scrolling sideways.
    for name in ("Mi bandeja", "Iniciar trámite", "Tablero", "Catálogo"):
        expect(phone.page.locator(".mainnav").get_by_role("link", name=name)).to_be_in_viewport()
    assert Case.objects.get().tasks.get(activity=1).status == "completed"
