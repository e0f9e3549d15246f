"""
Bad input through the REST API is refused with 400 and `field_errors`, and nothing is written.

"Nothing written" is checked on the row counts of every table of the cases and audit apps (cases, tasks,
records, deadlines, notifications, counters, audit events and chain heads). Each refusal is followed by the
corrected request, which succeeds: the refusal was about that one field.
"""

from __future__ import annotations

import json

import pytest
from django.apps import apps
from drf_spectacular.validation import validate_schema
from rest_framework.test import APIClient
from ruamel.yaml import YAML

from .support import BAJA, CORREO_SERVICIOS, client_of

pytestmark = pytest.mark.django_db

SEGUIMIENTO = "Seguimiento de la cuenta de correo electrónico de servicios"
# Anexo 01 of SENACE-CORREO-SERVICIOS, the record `acta_control` that activity 8 produces.
ACTA = {
    "organo_unidad": "Oficina de Tecnologías de la Información",
    "cuenta_correo_servicio": "alertaeva@senace.gob.pe",
    "fecha_control": "2026-07-24",
    "tipo_licencia": "Office 365 Exchange Online Plan 1",
    "descripcion": "Notificaciones del sistema de la ventanilla única EVA",
    "estado": "Activo",
    "nro_correos_enviados": 35000,
    "nro_correos_recibidos": 1503,
    "responsable_control": "Especialista de turno",
}  # the fields of activity 8; the backup fields (09-12) are filled at activity 9
CORREO_BAJA = {"correo_baja": {"fecha_envio": "2026-07-24"}}


def row_counts() -> dict[str, int]:
    models = [*apps.get_app_config("cases").get_models(), *apps.get_app_config("audit").get_models()]
    return {model._meta.label: model.objects.count() for model in models}


def assert_refused(response, expected_fields: set[str]) -> dict[str, list[str]]:
    assert response.status_code == 400, response.content
    field_errors = response.json()["field_errors"]
    assert set(field_errors) == expected_fields, field_errors
    assert all(isinstance(m, str) and m for messages in field_errors.values() for m in messages)
    return field_errors


def open_task(client: APIClient, number: str) -> dict:
    case = client.get(f"/api/v1/cases/{number}/").json()
    (task,) = [t for t in case["tasks"] if t["status"] == "open"]
    return task


def correo_servicios_case(client: APIClient) -> str:
    response = client.post("/api/v1/cases/", {"procedure": CORREO_SERVICIOS}, format="json")
    assert response.status_code == 201, response.content
    return response.json()["number"]


class TestCaseStart:
    @pytest.mark.parametrize(
        ("inputs", "expected"),
        [
            ({}, {"cuenta_correo", "motivo_baja"}),
            ({"cuenta_correo": "jperez@vivienda.gob.pe"}, {"motivo_baja"}),
            ({**BAJA, "cuenta_correo": "no-es-un-correo"}, {"cuenta_correo"}),
            ({**BAJA, "motivo_baja": "Porque sí"}, {"motivo_baja"}),
            ({**BAJA, "color_favorito": "azul"}, {"color_favorito"}),
        ],
        ids=["no inputs", "a mandatory input missing", "email", "choice", "unknown input"],
    )
    def test_bad_inputs_are_refused_and_no_case_is_opened(self, inputs, expected):
        client = client_of("MVCS", "analista_mesa_servicios")
        before = row_counts()

        response = client.post("/api/v1/cases/", {"procedure": "PR.OTI.005", "inputs": inputs}, format="json")

        field_errors = assert_refused(response, expected)
        if inputs == {}:
            assert field_errors["cuenta_correo"] == [
                "Entrada obligatoria: Cuenta de correo electrónico (@vivienda.gob.pe) a dar de baja."
            ]
        assert row_counts() == before
        ok = client.post("/api/v1/cases/", {"procedure": "PR.OTI.005", "inputs": BAJA}, format="json")
        assert ok.status_code == 201

    @pytest.mark.parametrize(
        ("payload", "expected"),
        [
            ({"inputs": BAJA}, {"procedure"}),
            ({"procedure": "PR.OTI.005", "inputs": ["no", "es", "un", "objeto"]}, {"inputs"}),
            ({"procedure": "PR.OTI.005", "inputs": BAJA, "flow": "encendido"}, {"flow"}),
        ],
        ids=["no procedure", "inputs not an object", "flow of a single-flow procedure"],
    )
    def test_a_malformed_request_is_refused(self, payload, expected):
        client = client_of("MVCS", "analista_mesa_servicios")
        before = row_counts()
        assert_refused(client.post("/api/v1/cases/", payload, format="json"), expected)
        assert row_counts() == before


class TestTaskComplete:
    @pytest.mark.parametrize("decision", ["Quizás", "sí", "", None])
    def test_a_decision_must_be_one_of_the_branch_labels(self, decision):
        client = client_of("SENACE", "especialista_servicios_digitales")
        task = open_task(client, correo_servicios_case(client))
        before = row_counts()

        response = client.post(f"/api/v1/tasks/{task['id']}/complete/", {"decision": decision}, format="json")

        field_errors = assert_refused(response, {"decision"})
        assert field_errors["decision"] == [
            "Elija una de las opciones: Creación de cuenta de correo de servicio, "
            "Seguimiento de la cuenta de correo electrónico de servicios."
        ]
        assert row_counts() == before
        ok = client.post(f"/api/v1/tasks/{task['id']}/complete/", {"decision": SEGUIMIENTO}, format="json")
        assert ok.status_code == 200, ok.content

    def test_an_activity_without_a_decision_takes_none(self):
        client = client_of("MVCS", "analista_mesa_servicios")
        number = client.post("/api/v1/cases/", {"procedure": "PR.OTI.005", "inputs": BAJA}, format="json")
        task = open_task(client, number.json()["number"])
        before = row_counts()
        response = client.post(f"/api/v1/tasks/{task['id']}/complete/", {"decision": "Sí"}, format="json")
        assert assert_refused(response, {"decision"}) == {"decision": ["Esta actividad no tiene decisión."]}
        assert row_counts() == before

    @pytest.mark.parametrize(
        ("record", "expected"),
        [
            ({**ACTA, "nro_correos_enviados": "treinta y cinco mil"}, {"acta_control.nro_correos_enviados"}),
            ({**ACTA, "fecha_control": "24/07/2026"}, {"acta_control.fecha_control"}),
            ({**ACTA, "cuenta_correo_servicio": "alertaeva"}, {"acta_control.cuenta_correo_servicio"}),
            ({**ACTA, "nro_correos_recibidos": True}, {"acta_control.nro_correos_recibidos"}),
            ({**ACTA, "estado": {"valor": "Activo"}}, {"acta_control.estado"}),
            ({k: v for k, v in ACTA.items() if k != "estado"}, {"acta_control.estado"}),
            ({**ACTA, "color_favorito": "azul"}, {"acta_control.color_favorito"}),
        ],
        ids=["integer", "date", "email", "boolean as integer", "object as text", "required", "unknown field"],
    )
    def test_a_record_field_of_the_wrong_type_or_unknown_is_refused(self, record, expected):
        client = client_of("SENACE", "especialista_servicios_digitales")
        number = correo_servicios_case(client)
        first = open_task(client, number)
        client.post(f"/api/v1/tasks/{first['id']}/complete/", {"decision": SEGUIMIENTO}, format="json")
        task = open_task(client, number)
        assert task["activity"] == 8  # Realizar seguimiento semestral: produces the Anexo 01
        before = row_counts()

        url = f"/api/v1/tasks/{task['id']}/complete/"
        response = client.post(url, {"data": {"acta_control": record}}, format="json")

        assert_refused(response, expected)
        assert row_counts() == before
        assert open_task(client, number)["id"] == task["id"]
        ok = client.post(url, {"data": {"acta_control": ACTA}}, format="json")
        assert ok.status_code == 200, ok.content
        (acta,) = [r for r in ok.json()["records"] if r["record_id"] == "acta_control"]
        assert acta["data"]["nro_correos_enviados"] == 35000

    @pytest.mark.parametrize(
        ("payload", "expected"),
        [
            ({"data": {**CORREO_BAJA, "registro_inventado": {"x": 1}}}, {"registro_inventado"}),
            ({"data": {"correo_baja": "no es un objeto"}}, {"correo_baja"}),
            ({"data": ["no", "es", "un", "objeto"]}, {"data"}),
            ({"data": CORREO_BAJA, "effective_date": "ayer"}, {"effective_date"}),
        ],
        ids=["record the activity does not produce", "record not an object", "data not an object", "date"],
    )
    def test_malformed_completion_data_is_refused(self, payload, expected):
        client = client_of("MVCS", "analista_mesa_servicios")
        number = client.post("/api/v1/cases/", {"procedure": "PR.OTI.005", "inputs": BAJA}, format="json")
        task = open_task(client, number.json()["number"])
        before = row_counts()
        assert_refused(client.post(f"/api/v1/tasks/{task['id']}/complete/", payload, format="json"), expected)
        assert row_counts() == before


class TestOpenApiSchema:
    PATHS = {
        "/api/v1/cases/",
        "/api/v1/cases/{number}/",
        "/api/v1/tasks/",
        "/api/v1/tasks/{task_id}/complete/",
        "/api/v1/tasks/{task_id}/claim/",
        "/api/v1/tasks/{task_id}/assign/",
        "/api/v1/tasks/{task_id}/forward/",
        "/api/v1/tasks/{task_id}/release/",
    }

    def test_the_schema_is_served_as_valid_openapi_yaml_and_json(self):
        client = APIClient()  # anonymous: the schema is public, the endpoints are not

        as_yaml = client.get("/api/v1/schema/")
        as_json = client.get("/api/v1/schema/", {"format": "json"})

        assert as_yaml.status_code == as_json.status_code == 200
        schema = YAML(typ="safe").load(as_yaml.content.decode())
        assert json.loads(as_json.content) == schema
        validate_schema(schema)  # against the OpenAPI 3 JSON schema
        assert schema["openapi"].startswith("3.")
        assert set(schema["paths"]) >= self.PATHS
        assert "post" in schema["paths"]["/api/v1/cases/"]
        assert "post" in schema["paths"]["/api/v1/tasks/{task_id}/complete/"]
        assert "get" in schema["paths"]["/api/v1/tasks/"]

    def test_the_schema_documents_errors_nullable_parent_required_file_and_strict_bodies(self):
        schema = json.loads(APIClient().get("/api/v1/schema/", {"format": "json"}).content)
        paths, components = schema["paths"], schema["components"]["schemas"]
        error = {"$ref": "#/components/schemas/ErrorOut"}
        for path, operations in paths.items():
            for method, operation in operations.items():
                codes = {c for c in operation["responses"] if c.startswith(("4", "5"))}
                expected = {"401", "403"} | ({"404"} if "{" in path else set())
                if method == "post":
                    expected |= {"400", "404", "409", "413", "415"}
                assert codes >= expected, (method, path, codes)
                for code in codes:
                    assert operation["responses"][code]["content"]["application/json"]["schema"] == error
        assert set(components["ErrorOut"]["required"]) == {"detail"}
        assert "422" in paths["/api/v1/cases/"]["post"]["responses"]
        assert "422" in paths["/api/v1/tasks/{task_id}/complete/"]["post"]["responses"]
        assert components["CaseDetailOut"]["properties"]["parent"]["nullable"] is True
        assert components["AttachmentIn"]["required"] == ["file"]
        for name, field in [("CaseStartIn", "procedure"), ("ReasonIn", "reason"), ("CommentIn", "text")]:
            assert components[name]["additionalProperties"] is False
            assert components[name]["properties"][field]["minLength"] == 1
        for name in ["TaskCompleteIn", "TaskAssignIn"]:
            assert components[name]["additionalProperties"] is False
