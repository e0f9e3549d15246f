"""
The routing panel (web/templates/web/tasks/_routing.html) on the task and case pages and in Mi bandeja, its
forms, and the decision block's reason field.
"""

from __future__ import annotations

import re

from django.urls import reverse

from mapro.cases import services
from mapro.cases.models import CaseTask
from mapro.cases.tests.test_concurrency import second_holder
from mapro.cases.tests.test_routing import reason_definition
from mapro.catalogue.tests.sample_data import record_data, start_inputs

from .conftest import person

ANALYST, DIRECTOR = "analista_mesa_servicios", "director_oti"
INPUTS = {"cuenta_correo": "jperez@vivienda.gob.pe", "motivo_baja": "Culminación de la orden de servicio"}


def page(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def test_the_routing_panel_offers_what_each_person_may_do(login_client):
    case = services.case_start(procedure_code="PR.OTI.005", requester=person(ANALYST), inputs=INPUTS)
    task = case.tasks.get(activity=1)
    task_url = reverse("web:task", args=[task.pk])
    client = login_client(ANALYST)

    # The only analyst: "Asignarme" would change nothing, and there is nobody to give it to.
    assert "Asignarme" not in page(client, reverse("web:inbox"))
    assert "Asignarme" not in page(client, task_url)
    assert "data-routing" not in page(client, task_url)

    second = second_holder(entity_code="MVCS", role_code=ANALYST, username="mvcs.analista2")
    assert "Asignarme" in page(client, reverse("web:inbox"))
    body = page(client, task_url)
    assert "Asignarme" in body and "Asignar a" in body
    assert re.search(
        rf'<option value="{second.pk}">mvcs.analista2 \(segunda\) — Analista de Mesa de Servicios<', body
    )
    assert f'<option value="{person(ANALYST).pk}"' not in body  # not to oneself: that is "Asignarme"

    # The head assigns it to the second analyst from the case page, with a proveído.
    director = login_client(DIRECTOR)
    case_url = reverse("web:case", args=[case.number])
    body = page(director, case_url)
    assert "Asignarme" not in body  # the director does not hold the role
    response = director.post(
        reverse("web:task-route", args=[task.pk]),
        {"assignee": str(second.pk), "note": "Priorice: cese del 30/11.", "next": case_url},
    )
    assert response["Location"] == case_url
    task.refresh_from_db()
    assert (task.assignee, task.routing_note) == (second, "Priorice: cese del 30/11.")
    body = page(director, case_url)
    assert "Asignó la actividad 1." in body
    assert "Reasignar a" in body and "Liberar" in body  # the head may reassign or release it
    assert re.search(r"<strong>Proveído:</strong> Priorice: cese del 30/11\.", body)  # in the history

    # The assignee reads the proveído, may derivar (proveído required) or release it.
    client.force_login(second.user)
    body = page(client, task_url)
    assert "Priorice: cese del 30/11." in body and "Proveído de Director(a)" in body
    assert "Derivar a" in body and "(obligatorio" in body
    client.post(reverse("web:task-route", args=[task.pk]), {"assignee": str(person(ANALYST).pk), "note": ""})
    task.refresh_from_db()
    assert task.assignee == second
    assert "Escriba el proveído" in page(client, task_url)
    client.post(reverse("web:task-release", args=[task.pk]), {"next": task_url})
    task.refresh_from_db()
    assert task.assignee is None
    assert "volvió a la bandeja del rol" in page(client, task_url)


def test_a_branch_with_a_reason_shows_its_field_and_refuses_without_it(login_client, tmp_path):
    d = reason_definition(tmp_path)
    manager = person("responsable_plataforma_correo")
    case = services.case_start(procedure_code="PR.OTI.006", requester=manager, inputs=start_inputs(d))
    services.case_task_complete(task_id=case.tasks.get().pk, actor=manager, data=record_data(d, 1))
    task = case.tasks.get(activity=2)
    client = login_client("responsable_plataforma_correo")
    url = reverse("web:task", args=[task.pk])
    body = page(client, url)
    assert 'data-reason="Motivo del descarte"' in body
    assert 'Motivo del descarte <span class="muted small">(obligatorio si elige «NO»)' in body
    assert '<dialog class="confirm" id="decision-confirm"' in body
    assert "El expediente concluirá" not in body  # neither branch ends the case here

    response = client.post(url, {"decision": "NO", "reason": ""})
    assert response.status_code == 400
    assert "Motivo del descarte: escríbalo para elegir «NO»." in response.content.decode()
    # A reason written and then another branch chosen is not sent with it.
    response = client.post(url, {"decision": "SI", "reason": "Escrito por error"})
    assert response.status_code == 302
    task.refresh_from_db()
    assert (task.status, task.decision, task.decision_reason) == (CaseTask.Status.COMPLETED, "SI", "")
