"""
Issue 11, items 8, 11 and 12 through the REST API: who an activity's text tells (a role's holders, an outside
contact), the seeds' numbered Fin rows (an end, never a task), what a procedure runs
(GET /procedures/{code}/), the `overdue` flag and the tasks of one case.
"""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from mapro.cases.models import CaseTask
from mapro.cases.selectors import case_definition
from mapro.cases.services import case_start
from mapro.catalogue.tests.sample_data import record_data
from mapro.deadlines.calendar import LIMA
from mapro.organization.models import Person
from mapro.organization.selectors import people_ids_holding_roles

from .conftest import person

pytestmark = pytest.mark.django_db

BAJA = {"cuenta_correo": "jperez@vivienda.gob.pe", "motivo_baja": "Culminación de la orden de servicio"}


def client(someone: Person) -> APIClient:
    api = APIClient()
    api.force_authenticate(user=someone.user)
    return api


def complete(someone: Person, task_id: int, **body) -> dict:
    """Complete through the API, with the sample records the activity requires unless `data` is given."""
    if "data" not in body:
        task = CaseTask.objects.select_related("case").get(pk=task_id)
        body["data"] = record_data(case_definition(case=task.case), task.activity)
    response = client(someone).post(f"/api/v1/tasks/{task_id}/complete/", body, format="json")
    assert response.status_code == 200, response.json()
    return response.json()


class TestInforms:
    def test_an_informa_al_jefe_row_tells_every_holder_of_that_role_and_the_fin_row_is_no_task(self):
        # S.04.04.01.03_P, daily flow: 7 "¿Sin alertas?" Sí -> 12 "Recibe reporte de monitoreo e informa a
        # Jefe(a) de OTI para conocimiento" (004:2146) -> 13 "Fin del procedimiento" (004:2147).
        specialist, boss = person("SENACE", "especialista_is"), person("SENACE", "jefe_oti")
        started = client(specialist).post(
            "/api/v1/cases/",
            {"procedure": "S.04.04.01.03_P", "flow": "monitoreo_diario", "inputs": {}},
            format="json",
        )
        assert started.status_code == 201, started.json()
        number = started.json()["number"]
        (task,) = started.json()["tasks"]
        assert task["activity"] == 7
        progress = complete(specialist, task["id"], decision="Sí")
        (task,) = progress["open_tasks"]
        assert task["activity"] == 12
        progress = complete(specialist, task["id"])

        # The Fin row (13) closed the case as its end event: no task was ever opened for it.
        assert progress["case"]["status"] == "closed" and progress["open_tasks"] == []
        case = client(specialist).get(f"/api/v1/cases/{number}/").json()
        assert [t["activity"] for t in case["tasks"]] == [7, 12]
        assert case["outcome"] == "Servicios operativos e incidencias resueltas"  # the Fin row's outcome

        holders = people_ids_holding_roles(entity=boss.entity, role_codes=["jefe_oti"])
        told = client(specialist).get(f"/api/v1/cases/{number}/notifications/").json()
        assert {(n["activity"], n["kind"], n["recipient"], n["person"]) for n in told} == {
            (12, "role", "jefe_oti", p.user.username) for p in Person.objects.filter(pk__in=holders)
        }
        assert told[0]["text"] == "Recibe reporte de monitoreo e informa a Jefe(a) de OTI para conocimiento"
        assert told[0]["message"] == (
            f"{number}: se completó la actividad 12. Recibe reporte de monitoreo e informa a Jefe(a) de OTI "
            "para conocimiento"
        )
        mine = client(boss).get("/api/v1/notifications/").json()
        assert [(n["case"], n["activity"], n["kind"]) for n in mine if n["case"] == number] == [
            (number, 12, "role")
        ]

    def test_an_outside_contact_is_kept_on_the_case_with_its_address(self):
        # PR.OTI.005 activity 1: "remite correo electrónico de baja al correo infraestructura@vivienda.gob.pe"
        # (000:256), besides the RACI "I" roles of that row.
        analyst = person("MVCS", "analista_mesa_servicios")
        case = case_start(procedure_code="PR.OTI.005", requester=analyst, inputs=BAJA)
        complete(analyst, case.tasks.get().pk)

        told = client(analyst).get(f"/api/v1/cases/{case.number}/notifications/").json()
        contact = [n for n in told if n["kind"] == "contact"]
        assert contact == [
            {
                "id": contact[0]["id"],
                "activity": 1,
                "task": case.tasks.get(activity=1).pk,
                "kind": "contact",
                "recipient": "Infraestructura (OTI)",
                "person": None,
                "person_name": None,
                "address": "infraestructura@vivienda.gob.pe",
                "channel": "correo",
                "text": "La mesa de servicios remite correo electrónico de baja al correo "
                "infraestructura@vivienda.gob.pe",
                "message": f"{case.number}: se completó la actividad 1. Emitir correo de baja de usuario",
                "created_at": contact[0]["created_at"],
            }
        ]
        raci = {(n["recipient"], n["person"]) for n in told if n["kind"] == "raci"}
        assert raci == {
            ("oficial_seguridad", person("MVCS", "oficial_seguridad").user.username),
            ("responsable_plataforma_correo", person("MVCS", "responsable_plataforma_correo").user.username),
        }
        # The case page lists them too.
        browser = Client()
        browser.force_login(analyst.user)
        page = browser.get(reverse("web:case", args=[case.number])).content.decode()
        assert "Informados" in page and "Infraestructura (OTI)" in page
        assert "infraestructura@vivienda.gob.pe" in page
        # Under the case read rule: another entity's person gets the 404 of a case that does not exist.
        outsider = client(person("SENACE", "jefe_oti"))
        assert outsider.get(f"/api/v1/cases/{case.number}/notifications/").status_code == 404


class TestProcedureDescription:
    def test_activities_with_decisions_and_records_exactly(self):
        body = client(person("SENACE", "jefe_oti")).get("/api/v1/procedures/S.04.02.05_P/").json()

        assert set(body) == {
            "code", "name", "entity", "version", "revision", "objective", "start", "flows", "inputs", "units",
            "roles", "activities", "time_rules",
        }  # fmt: skip
        assert (body["code"], body["entity"], body["start"], body["flows"]) == (
            "S.04.02.05_P",
            "SENACE",
            [1],
            [],
        )
        assert [a["number"] for a in body["activities"]] == [1, 2, 3, 4, 5, 6, 7, 8, 9]
        activities = {a["number"]: a for a in body["activities"]}
        assert activities[6] == {
            "number": 6,
            "name": "Realiza las pruebas de software en entorno desarrollo",
            "description": "Realiza las pruebas de software en entorno desarrollo. Nota: brinda la "
            "conformidad de la atención del requerimiento mediante correo electrónico. En caso de realizar "
            "observaciones regresa a la actividad 4 para la subsanación.",
            "kind": "approval",
            "task": True,
            "role": "especialista_uuoo",
            "co_roles": [],
            "roles": ["especialista_uuoo"],
            "completion": "any",
            "next": [],
            "ends": False,
            "outcome": None,
            "decision": {
                "question": "¿Brinda la conformidad de la atención del requerimiento?",
                "branches": [
                    {"label": "Conforme", "targets": [7], "ends": False, "outcome": None},
                    {"label": "Con observaciones", "targets": [4], "ends": False, "outcome": None},
                ],
            },
            "parallel": [],
            "join": [],
            "when": None,
            "records": [
                {
                    "id": "correo_conformidad_uuoo",
                    "name": "Correo electrónico de conformidad u observaciones del área usuaria",
                    "optional": False,
                    "restricted_to": [],
                    "format": None,
                }
            ],
            "informs": [],
            "call": None,
            "time_rules": [],
            "seed_line": 1281,
        }
        (record,) = activities[8]["records"]
        assert (record["id"], record["format"]["id"], record["format"]["code"]) == (
            "solicitud_control_validacion",
            "correo_solicitud_validacion",
            "Anexo 01",
        )
        assert record["format"]["fields"][5] == {
            "id": "desarrollo_interno_proveedor",
            "label": "Desarrollo Interno/Proveedor",
            "type": "choice",
            "required": True,
            "choices": ["Desarrollo Interno", "Proveedor", "Otro"],
            "activity": None,
            "help": None,
            "columns": [],
        }
        # The seed's row 9 "Fin del procedimiento" (004:1286): an activity, but no task.
        assert (activities[9]["kind"], activities[9]["task"], activities[8]["next"]) == (
            "end_event",
            False,
            [9],
        )
        assert activities[9]["ends"] is True

    def test_time_rules_flows_and_inputs(self):
        body = client(person("MVCS", "oficial_seguridad")).get("/api/v1/procedures/PR.OTI.005/").json()
        (rule,) = next(a for a in body["activities"] if a["number"] == 2)["time_rules"]
        assert {k: rule[k] for k in ("id", "activity", "amount", "unit", "anchor", "meaning")} == {
            "id": "suspension_4h",
            "activity": 2,
            "amount": 4,
            "unit": "clock_hours",
            "anchor": "recepcion_correo_baja",
            "meaning": "deadline",
        }
        assert set(rule) == {
            "id", "text", "activity", "amount", "unit", "anchor", "meaning", "condition", "on_expiry",
            "legal_basis", "seed_line",
        }  # fmt: skip
        assert [r["id"] for r in body["time_rules"]] == [
            "suspension_4h",
            "respaldo_7d",
            "carga_pst_25d",
            "eliminacion_30d",
        ]
        assert {i["id"]: i["mandatory"] for i in body["inputs"]}["cuenta_correo"] is True

        flows = client(person("SENACE", "especialista_is")).get("/api/v1/procedures/S.04.04.01.03_P/").json()
        assert [(f["id"], f["start"]) for f in flows["flows"]] == [
            ("implementacion_monitoreo", [1]),
            ("monitoreo_diario", [7]),
        ]
        assert all(isinstance(f["inputs"], list) for f in flows["flows"])

    def test_a_procedure_of_another_entity_or_unknown_is_not_found(self):
        senace = client(person("SENACE", "jefe_oti"))
        assert senace.get("/api/v1/procedures/PR.OTI.005/").status_code == 404
        assert senace.get("/api/v1/procedures/NO.EXISTE/").status_code == 404


class TestTasksOfACase:
    def test_overdue_flag_follows_the_due_time_and_the_case_filter_applies_need_to_know(self):
        received = dt.datetime(2026, 7, 24, 16, 10, tzinfo=LIMA)  # PR.OTI.005: suspension due in 4 hours
        analyst, manager = (
            person("MVCS", "analista_mesa_servicios"),
            person("MVCS", "responsable_plataforma_correo"),
        )
        with time_machine.travel(received, tick=False):
            case = case_start(procedure_code="PR.OTI.005", requester=analyst, inputs=BAJA)
            complete(analyst, case.tasks.get().pk)

        with time_machine.travel(received + dt.timedelta(hours=3, minutes=59), tick=False):
            tasks = client(manager).get(f"/api/v1/tasks/?case={case.number}").json()
            assert [(t["activity"], t["status"], t["overdue"]) for t in tasks] == [
                (1, "completed", False),
                (2, "open", False),
            ]
        with time_machine.travel(received + dt.timedelta(hours=4, minutes=1), tick=False):
            tasks = client(manager).get(f"/api/v1/tasks/?case={case.number}").json()
            assert [(t["activity"], t["overdue"]) for t in tasks] == [(1, False), (2, True)]
            inbox = [t for t in client(manager).get("/api/v1/tasks/").json() if t["case"] == case.number]
            assert [(t["activity"], t["overdue"]) for t in inbox] == [(2, True)]
            only_open = client(manager).get(f"/api/v1/tasks/?case={case.number}&status=open").json()
            assert [t["activity"] for t in only_open] == [2]

        # Someone who may not read the case gets nothing, as for a case that does not exist.
        assert client(person("SENACE", "jefe_oti")).get(f"/api/v1/tasks/?case={case.number}").json() == []
        assert client(manager).get("/api/v1/tasks/?case=MVCS-1900-000001").json() == []
        refused = client(manager).get(f"/api/v1/tasks/?case={case.number}&status=hecha")
        assert refused.status_code == 400 and "status" in refused.json()["field_errors"]
        assert CaseTask.objects.filter(case=case).count() == 2
