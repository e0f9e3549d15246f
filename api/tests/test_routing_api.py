"""
Routing through the REST API: POST /tasks/{id}/assign/, /forward/, /release/, and `reason` in a completion.
A refused request answers 4xx with the field at fault and writes nothing (a 403 writes its audit event only).
"""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from mapro.audit.models import AuditEvent
from mapro.cases.models import CaseTask
from mapro.cases.tests.test_concurrency import second_holder
from mapro.cases.tests.test_routing import reason_definition
from mapro.catalogue.tests.sample_data import record_data, start_inputs

from .support import BAJA, client_of
from .test_bad_input import row_counts

pytestmark = pytest.mark.django_db

ANALYST = ("MVCS", "analista_mesa_servicios")


def refused(response, status: int, before: dict, *, fields: set[str] | None = None) -> dict:
    """The answer is `status` (with exactly `fields` at fault for a 400) and nothing was written but the
    refusal's audit event (403)."""
    assert response.status_code == status, response.content
    body = response.json()
    if fields is not None:
        assert set(body["field_errors"]) == fields, body
    after = row_counts()
    if status == 403:
        assert after.pop("audit.AuditEvent") == before["audit.AuditEvent"] + 1
        after.pop("audit.ChainHead", None)
        before = {k: v for k, v in before.items() if k not in ("audit.AuditEvent", "audit.ChainHead")}
    assert after == before
    return body


def test_assign_forward_release_and_their_refusals():
    analyst = client_of(*ANALYST)
    second_holder(entity_code="MVCS", role_code=ANALYST[1], username="mvcs.analista2")
    second = second_holder(entity_code="MVCS", role_code=ANALYST[1], username="mvcs.analista3")
    number = analyst.post("/api/v1/cases/", {"procedure": "PR.OTI.005", "inputs": BAJA}, format="json")
    task = CaseTask.objects.get(case__number=number.json()["number"])
    url = f"/api/v1/tasks/{task.pk}"

    before = row_counts()
    refused(
        analyst.post(f"{url}/assign/", {"assignee": "nadie"}, format="json"), 400, before, fields={"assignee"}
    )
    refused(
        analyst.post(f"{url}/assign/", {"assignee": "mvcs.analista2", "nota": "x"}, format="json"),
        400,
        before,
        fields={"nota"},
    )
    refused(
        analyst.post(f"{url}/forward/", {"assignee": "mvcs.analista2"}, format="json"),
        400,
        before,
        fields={"note"},
    )
    body = refused(
        analyst.post(f"{url}/forward/", {"assignee": "mvcs.analista2", "note": " "}, format="json"),
        400,
        before,
        fields={"note"},
    )
    assert body["field_errors"]["note"] == ["Escriba el proveído: qué debe hacer quien recibe la tarea."]
    officer = "mvcs.oficial_seguridad"
    body = refused(
        analyst.post(f"{url}/forward/", {"assignee": officer, "note": "Véalo"}, format="json"),
        400,
        before,
        fields={"assignee"},
    )
    refused(analyst.post(f"{url}/release/", {}, format="json"), 409, before)

    # Assigned with a proveído: the task says to whom and why.
    answer = analyst.post(f"{url}/assign/", {"assignee": "mvcs.analista2", "note": "Urgente"}, format="json")
    assert answer.status_code == 200, answer.content
    assert (answer.json()["assignee"], answer.json()["routing_note"]) == ("mvcs.analista2", "Urgente")

    # The analyst no longer has it: they may not release it; the assignee derives it, then releases it.
    before = row_counts()
    body = refused(analyst.post(f"{url}/release/", {}, format="json"), 403, before)
    assert "está asignada a mvcs.analista2 (segunda); pídale que se la derive" in body["detail"]
    client2 = APIClient()
    client2.force_authenticate(user=CaseTask.objects.get(pk=task.pk).assignee.user)
    answer = client2.post(
        f"{url}/forward/", {"assignee": second.user.username, "note": "Cubra mi turno"}, format="json"
    )
    assert answer.status_code == 200, answer.content
    assert answer.json()["routing_note"] == "Cubra mi turno"
    client2.force_authenticate(user=second.user)
    answer = client2.post(f"{url}/release/")
    assert answer.status_code == 200, answer.content
    assert (answer.json()["assignee"], answer.json()["routing_note"]) == (None, "")
    actions = AuditEvent.objects.filter(case=task.case, action__startswith="task.").values_list(
        "action", flat=True
    )
    assert list(actions.order_by("seq")) == ["task.assigned", "task.forwarded", "task.released"]


def test_a_completion_gives_the_reason_its_branch_asks_for(tmp_path):
    d = reason_definition(tmp_path)
    manager = client_of("MVCS", "responsable_plataforma_correo")
    started = manager.post(
        "/api/v1/cases/", {"procedure": "PR.OTI.006", "inputs": start_inputs(d)}, format="json"
    )
    assert started.status_code == 201, started.content
    (first,) = [t for t in started.json()["tasks"] if t["status"] == "open"]
    done = manager.post(f"/api/v1/tasks/{first['id']}/complete/", {"data": record_data(d, 1)}, format="json")
    (task,) = done.json()["open_tasks"]
    url = f"/api/v1/tasks/{task['id']}/complete/"

    before = row_counts()
    body = refused(manager.post(url, {"decision": "NO"}, format="json"), 400, before, fields={"reason"})
    assert body["field_errors"]["reason"] == ["Motivo del descarte: escríbalo para elegir «NO»."]
    refused(
        manager.post(url, {"decision": "SI", "reason": "x"}, format="json"), 400, before, fields={"reason"}
    )
    done = manager.post(url, {"decision": "NO", "reason": "No fue usuario del MVCS."}, format="json")
    assert done.status_code == 200, done.content
    assert (done.json()["task"]["decision"], done.json()["task"]["decision_reason"]) == (
        "NO",
        "No fue usuario del MVCS.",
    )
