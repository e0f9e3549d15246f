"""
What a person sees of a case (issue 13, items 1, 6 and 8): its subject everywhere it is listed, its start
data and the records so far they may read on the task page, the instruction of the path taken, and one due
status shared by the case header, the task, Mi bandeja and the Tablero.
"""

from __future__ import annotations

import datetime as dt
import io
import re

import pytest
import time_machine
from django.core.management import call_command
from django.test import Client
from rest_framework.test import APIClient

from mapro.cases.due import OVERDUE, SOON_DUE, deadline_status
from mapro.cases.models import Case, CaseTask
from mapro.cases.selectors import case_definition, task_instruction, tasks_for_person
from mapro.cases.services import case_start
from mapro.mail.models import OutboundEmail
from mapro.mail.services.events import case_events_scan
from web.selectors import dashboard_for_person, inbox_filter, task_view

from .case_view_data import (
    BACKUP_AFTER_SUSPENSION,
    LOCADOR,
    SUSPEND_LOCADOR,
    pr_oti_005_with_subject_and_variants,
)
from .conftest import person, task_complete
from .test_deadlines_act import drive_to, lima, start

pytestmark = pytest.mark.django_db

OGGRH = "Correo de OGGRH con baja de usuario"
ANALYST, MANAGER, OFFICER = "analista_mesa_servicios", "responsable_plataforma_correo", "oficial_seguridad"


def test_a_senace_ticket_is_due_the_same_way_in_its_header_task_inbox_and_tablero():
    """S.04.04.02_P act. 6: the requester's 24 h to give conformity (a response window that closes it)."""
    with time_machine.travel(lima(2026, 3, 9, 10, 0), tick=False):
        case = start("S.04.04.02_P")
        drive_to(case, 6)
    case.refresh_from_db()
    task = case.tasks.get(activity=6, status=CaseTask.Status.OPEN)
    window = case.deadlines.get(time_rule="cierre_automatico_24h")
    # Before: the case was due at the window ("Vence en 23 h") and its task had no due time ("Sin plazo").
    assert task.due_at == case.due_at == window.due_at

    an_hour_in = window.due_at - dt.timedelta(hours=23)
    of_case, of_task = deadline_status(case, now=an_hour_in), deadline_status(task, now=an_hour_in)
    assert (of_case.due_at, of_case.state, of_case.rule) == (of_task.due_at, of_task.state, of_task.rule)
    assert (of_task.state, of_task.activity, of_task.case_wide) == (SOON_DUE, 6, False)
    assert of_task.rule.startswith("Nota: Si el solicitante no responde")

    requester = case.requester
    client = Client()
    client.force_login(requester.user)
    with time_machine.travel(an_hour_in, tick=False):
        pages = [
            client.get(f"/expedientes/{case.number}/").content.decode(),
            client.get(f"/tareas/{task.pk}/").content.decode(),
            client.get("/").content.decode(),
        ]
    for page in pages:
        assert re.search(r"<strong>Vence en 23 h</strong> · <time[^>]*>10/03/2026 10:00</time>", page)
    assert "Sin plazo" not in pages[1]

    late = window.due_at + dt.timedelta(hours=1)
    assert deadline_status(case, now=late).state == deadline_status(task, now=late).state == OVERDUE
    with time_machine.travel(late, tick=False):
        overdue = inbox_filter(
            tasks_for_person(person=requester), person=requester, procedure="", state="vencidas", mine=""
        )
        assert list(overdue) == [task]
    board = dashboard_for_person(person=person("SENACE", "especialista_mesa_ayuda"), now=late)
    assert (board.overdue_cases, board.overdue_tasks) == (1, 1)

    # Rows stored by the old rule (task without its window), and a case from before subjects, are set right
    # by `mapro cases refresh`.
    CaseTask.objects.filter(pk=task.pk).update(due_at=None)
    Case.objects.filter(pk=case.pk).update(subject="", search_text="")
    out = io.StringIO()
    call_command("cases", "refresh", stdout=out)
    assert "Vencimientos recalculados: 1 fila(s)" in out.getvalue()
    assert "textos de búsqueda: 1 expediente(s)" in out.getvalue()
    task.refresh_from_db()
    case.refresh_from_db()
    assert task.due_at == window.due_at
    assert case.number.lower() in case.search_text


def test_the_task_page_says_what_the_case_is_about_and_what_to_do_on_this_path(tmp_path):
    pr_oti_005_with_subject_and_variants(tmp_path)
    analyst, manager, officer = person("MVCS", ANALYST), person("MVCS", MANAGER), person("MVCS", OFFICER)
    case = case_start(
        procedure_code="PR.OTI.005",
        requester=analyst,
        inputs={"cuenta_correo": "jperez@vivienda.gob.pe", "motivo_baja": LOCADOR},
    )
    other = case_start(
        procedure_code="PR.OTI.005",
        requester=analyst,
        inputs={
            "cuenta_correo": "otro@vivienda.gob.pe",
            "motivo_baja": "Correo de OGGRH con baja de usuario",
        },
    )
    assert case.subject == f"Baja de jperez@vivienda.gob.pe — {LOCADOR}"
    for each in (case, other):
        task_complete(task_id=each.tasks.get(activity=1).pk, actor=analyst)
    definition = case_definition(case=case)

    # Activity 2: the variant whose condition holds on this case; the other case reads the description.
    second = case.tasks.get(activity=2)
    assert task_instruction(second, definition) == SUSPEND_LOCADOR
    assert task_instruction(other.tasks.get(activity=2), definition) == definition.activity(2).description
    task_complete(task_id=second.pk, actor=manager)
    third = case.tasks.get(activity=3)
    assert task_instruction(third, definition) == BACKUP_AFTER_SUSPENSION  # came from 2
    backup = {
        "fecha_respaldo": "2026-07-24",
        "ubicacion_pst": "BACKUP_CORREOS/jperez.pst",
        "fecha_carga": "2026-07-25",
    }
    task_complete(task_id=third.pk, actor=manager, data={"respaldo_pst": backup})
    fourth = case.tasks.get(activity=4)

    # Start data labelled by the ficha's element; the reserved backup record only for its role.
    mine = task_view(task=fourth, person=manager, definition=definition)
    assert mine.subject == case.subject
    assert mine.start_data == [
        ("Cuenta de correo electrónico (@vivienda.gob.pe) a dar de baja", "jperez@vivienda.gob.pe"),
        ("Entrada que origina la baja", LOCADOR),
    ]
    assert [r.record_id for r, _ in mine.records] == ["correo_baja", "respaldo_pst"]
    assert mine.hidden_records == 0
    theirs = task_view(task=fourth, person=officer, definition=definition)
    assert ([r.record_id for r, _ in theirs.records], theirs.hidden_records) == (["correo_baja"], 1)

    client = Client()
    client.force_login(officer.user)
    page = client.get(f"/tareas/{fourth.pk}/").content.decode()
    assert case.subject in page and "jperez.pst" not in page and "1 registro reservado" in page
    client.force_login(manager.user)
    page = client.get(f"/tareas/{fourth.pk}/").content.decode()
    assert "jperez.pst" in page and "Fecha en que se hizo" in page
    assert "24/07/2026" in page and "2026-07-24" not in page  # a record's date as people write it
    case_page = client.get(f"/expedientes/{case.number}/").content.decode()
    assert "24/07/2026" in case_page and "2026-07-24" not in case_page
    assert definition.activity(4).description.split(".")[0] in page

    # The API and the mails name it too.
    api = APIClient()
    api.force_authenticate(user=manager.user)
    rows = api.get("/api/v1/tasks/").json()
    assert {row["case"]: row["subject"] for row in rows}[case.number] == case.subject
    assert api.get(f"/api/v1/cases/{case.number}/").json()["subject"] == case.subject
    case_events_scan()
    mail = OutboundEmail.objects.get(key=f"task:{fourth.pk}:person:{manager.pk}")
    assert mail.subject == f"[{case.number}] {case.subject} — Tarea pendiente: 4. {fourth.name}"
    assert f"Asunto: {case.subject}\nProcedimiento: PR.OTI.005 — " in mail.body
