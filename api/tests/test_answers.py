"""
What the inbox and a completion answer. The inbox is built from value rows and a completion from what the
step holds in memory, so both are checked against what the database says afterwards.
"""

from __future__ import annotations

import pytest

from api.serializers import TaskOut
from mapro.cases.models import Case, CaseRecord, CaseTask
from mapro.catalogue.tests.sample_data import baja_inputs

from .support import client_of

pytestmark = pytest.mark.django_db

ANALYST = ("MVCS", "analista_mesa_servicios")
MANAGER = ("MVCS", "responsable_plataforma_correo")
RECORDS = {
    "correo_baja": {"fecha_envio": "2026-07-24"},
    "respaldo_pst": {
        "fecha_respaldo": "2026-07-24",
        "ubicacion_pst": "BACKUP_CORREOS/jperez.pst",
        "fecha_carga": "2026-07-24",
    },
    "correo_culminacion": {"fecha_envio": "2026-07-24"},
}


def start_baja() -> Case:
    response = client_of(*ANALYST).post(
        "/api/v1/cases/", {"procedure": "PR.OTI.005", "inputs": baja_inputs()}, format="json"
    )
    assert response.status_code == 201, response.content
    return Case.objects.get(number=response.json()["number"])


def inbox(who: tuple[str, str]) -> dict[int, dict]:
    response = client_of(*who).get("/api/v1/tasks/")
    assert response.status_code == 200, response.content
    return {row["id"]: row for row in response.json()}


def test_an_inbox_row_is_the_task_as_the_rest_of_the_api_shows_it():
    case = start_baja()
    task = case.tasks.get(status=CaseTask.Status.OPEN)

    row = inbox(ANALYST)[task.pk]
    assert row == TaskOut(task).data
    assert (row["case"], row["activity"], row["status_display"], row["assignee"]) == (
        case.number,
        1,
        "Pendiente",
        None,
    )
    assert task.pk not in inbox(MANAGER)  # activity 1 is the analyst's

    claimed = client_of(*ANALYST).post(f"/api/v1/tasks/{task.pk}/claim/")
    assert claimed.status_code == 200, claimed.content
    row = inbox(ANALYST)[task.pk]
    assert row["assignee"] == "mvcs.analista_mesa_servicios"
    assert row == claimed.json()


def test_the_inbox_lists_overdue_first():
    first, second = start_baja(), start_baja()
    task_first = first.tasks.get(status=CaseTask.Status.OPEN)
    task_second = second.tasks.get(status=CaseTask.Status.OPEN)
    CaseTask.objects.filter(pk=task_second.pk).update(due_at=task_second.created_at)  # overdue by now

    ids = list(inbox(ANALYST))
    assert ids.index(task_second.pk) < ids.index(task_first.pk)


def test_a_completion_answers_with_the_task_its_records_the_case_and_the_open_tasks():
    case = start_baja()
    analyst, manager = client_of(*ANALYST), client_of(*MANAGER)
    answers = []
    task_id = case.tasks.get(status=CaseTask.Status.OPEN).pk
    while task_id is not None:
        client = analyst if not answers else manager
        record = {0: "correo_baja", 2: "respaldo_pst", 3: "correo_culminacion"}.get(len(answers))
        payload = {"data": {record: RECORDS[record]}} if record else {}
        response = client.post(f"/api/v1/tasks/{task_id}/complete/", payload, format="json")
        assert response.status_code == 200, response.content
        answer = response.json()
        answers.append(answer)

        completed = CaseTask.objects.get(pk=task_id)
        assert answer["task"] == TaskOut(completed).data
        written = CaseRecord.objects.filter(task=completed).order_by("pk")
        assert [r["id"] for r in answer["records"]] == [r.pk for r in written]
        open_now = case.tasks.filter(status=CaseTask.Status.OPEN).order_by("pk")
        assert answer["open_tasks"] == [TaskOut(t).data for t in open_now]
        case.refresh_from_db()
        assert answer["case"]["number"] == case.number
        assert answer["case"]["status"] == case.status
        assert answer["case"]["due_at"] == (
            case.due_at and TaskOut().fields["due_at"].to_representation(case.due_at)
        )
        task_id = answer["open_tasks"][0]["id"] if answer["open_tasks"] else None

    assert [a["task"]["activity"] for a in answers] == [1, 2, 3, 4]
    assert [r["record_id"] for r in answers[2]["records"]] == ["respaldo_pst"]
    assert answers[2]["records"][0]["data"] == RECORDS["respaldo_pst"]
    last = answers[-1]["case"]
    assert (last["status"], last["status_display"], last["outcome"]) == (
        "closed",
        "Concluido",
        case.outcome,
    )
    assert case.outcome and last["closed_at"] is not None
