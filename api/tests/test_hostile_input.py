"""
Hostile or careless input never gives a 500, on SQLite and PostgreSQL, through the API and the web pages:
NUL characters (PostgreSQL cannot store or compare them), deeply nested JSON, values of the wrong shape,
unbounded texts, dates in year 1 or 9999, unknown fields. Each is a 400 whose body names the field (or a
413 for an oversized body), and nothing is written.
"""

from __future__ import annotations

import json

import pytest
from django.test import Client

from mapro.cases.models import Case, CaseTask
from mapro.cases.services import case_start
from mapro.cases.services.forms import MAX_LENGTH, validate_fields
from mapro.catalogue.definition.schema import FieldType, FormatField
from mapro.catalogue.tests.sample_data import task_complete
from mapro.organization.models import Entity, Person
from mapro.organization.services import demo_username

from .support import BAJA, client_of
from .test_bad_input import ACTA, SEGUIMIENTO, assert_refused, correo_servicios_case, open_task, row_counts

pytestmark = pytest.mark.django_db

ANALYST = ("MVCS", "analista_mesa_servicios")
MANAGER = ("MVCS", "responsable_plataforma_correo")
PST = {
    "fecha_respaldo": "2026-07-24",
    "ubicacion_pst": "BACKUP_CORREOS/jperez.pst",
    "fecha_carga": "2026-07-24",
}
SENACE = ("SENACE", "especialista_servicios_digitales")


def someone(entity_code: str, role_code: str) -> Person:
    entity = Entity.objects.get(code=entity_code)
    return Person.objects.get(user__username=demo_username(entity=entity, role_code=role_code))


def baja() -> Case:
    return case_start(procedure_code="PR.OTI.005", requester=someone(*ANALYST), inputs=BAJA)


def baja_at_activity_3() -> CaseTask:
    """A PR.OTI.005 case whose open task is activity 3, which produces `respaldo_pst` (no format)."""
    case = baja()
    for who in (ANALYST, MANAGER):
        task = case.tasks.get(status=CaseTask.Status.OPEN)
        task_complete(task_id=task.pk, actor=someone(*who))
    task = case.tasks.get(status=CaseTask.Status.OPEN)
    assert task.activity == 3
    return task


def acta_task(client) -> str:
    """URL of the completion of SENACE-CORREO-SERVICIOS activity 8, which produces the Anexo 01."""
    number = correo_servicios_case(client)
    first = open_task(client, number)
    client.post(f"/api/v1/tasks/{first['id']}/complete/", {"decision": SEGUIMIENTO}, format="json")
    return f"/api/v1/tasks/{open_task(client, number)['id']}/complete/"


def post_raw(client, url: str, body: str | bytes):
    return client.generic("POST", url, body, content_type="application/json")


class TestNul:
    def test_in_the_url_and_the_query_string_of_the_api(self):
        client = client_of(*ANALYST)
        number = baja().number
        for url in [
            "/api/v1/cases/%00/",
            "/api/v1/cases/MVCS-%00/suspend/",
            f"/api/v1/cases/{number}/?q=%00",
            "/api/v1/tasks/?%00=1",
        ]:
            response = client.post(url) if "suspend" in url else client.get(url)
            assert response.status_code == 400, (url, response.content)
            assert response.json()["detail"]
            assert list(response.json()["field_errors"]) in (["url"], ["q"], ["\\0"]), response.json()

    def test_in_inputs_record_data_comments_reasons_and_keys(self):
        analyst, senace = client_of(*ANALYST), client_of(*SENACE)
        number = baja().number
        acta_url = acta_task(senace)
        before = row_counts()
        refusals = [
            (
                analyst,
                "/api/v1/cases/",
                {"procedure": "PR.OTI.005", "inputs": {**BAJA, "motivo_baja": "x\0"}},
            ),
            (analyst, "/api/v1/cases/", {"procedure": "PR.OTI.005\0", "inputs": BAJA}),
            (analyst, "/api/v1/cases/", {"procedure": "PR.OTI.005", "inputs": {**BAJA, "a\0": "b"}}),
            (senace, acta_url, {"data": {"acta_control": {**ACTA, "ruta": "C:\\\0"}}}),
            (senace, acta_url, {"decision": "\0"}),
            (analyst, f"/api/v1/cases/{number}/comments/", {"text": "hola\0"}),
            (analyst, f"/api/v1/cases/{number}/cancel/", {"reason": "\0"}),
        ]
        expected = [
            {"motivo_baja"},
            {"procedure"},
            {"a\\0"},
            {"acta_control.ruta"},
            {"decision"},
            {"text"},
            {"reason"},
        ]
        for (client, url, payload), fields in zip(refusals, expected, strict=True):
            assert_refused(client.post(url, payload, format="json"), fields)
        assert row_counts() == before

    def test_in_a_multipart_file_name_is_dropped_by_django(self):
        client = client_of(*ANALYST)
        number = baja().number
        body = (
            b'--B\r\nContent-Disposition: form-data; name="file"; filename="a\x00.pst"\r\n'
            b"Content-Type: application/octet-stream\r\n\r\nPST\r\n--B--\r\n"
        )
        url = f"/api/v1/cases/{number}/attachments/"
        response = client.generic("POST", url, body, content_type="multipart/form-data; boundary=B")
        assert response.status_code == 201, response.content
        assert response.json()["filename"] == "a.pst"

    def test_on_the_web_pages(self, client: Client):
        client.force_login(someone(*ANALYST).user)
        number = baja().number
        before = row_counts()
        for method, url, data in [
            ("get", "/expedientes/%00/", None),
            ("get", "/expedientes/", {"q": "\0"}),
            ("get", f"/expedientes/{number}/adjuntos/1/?x=%00", None),
            ("post", f"/expedientes/{number}/comentarios/", {"text": "hola\0"}),
            ("post", f"/expedientes/{number}/anular/", {"reason": "\0"}),
            ("post", "/iniciar/1/", {"cuenta_correo": "\0"}),
        ]:
            response = getattr(client, method)(url, data) if data else getattr(client, method)(url)
            assert response.status_code == 400, (url, response.status_code)
        assert row_counts() == before


class TestShape:
    def test_deeply_nested_json_is_refused(self):
        client = client_of(*ANALYST)
        before = row_counts()
        seventeen_levels = {"procedure": "PR.OTI.005", "inputs": {"a": "[" * 15 + "1" + "]" * 15}}
        seventeen_levels = json.dumps(seventeen_levels).replace('"[', "[").replace(']"', "]")
        for body in ["[" * 100_000 + "]" * 100_000, seventeen_levels]:
            response = post_raw(client, "/api/v1/cases/", body)
            assert response.status_code == 400, response.content[:300]
            assert "anidado" in response.json()["detail"]
        assert row_counts() == before

    def test_malformed_and_non_standard_json_is_refused(self):
        client = client_of(*ANALYST)
        for body in ['{"procedure": ', '{"procedure": NaN}', b'{"procedure": "\xff"}', "[]", '"PR.OTI.005"']:
            response = post_raw(client, "/api/v1/cases/", body)
            assert response.status_code == 400, response.content
            assert response.json()["detail"]

    def test_a_body_over_the_limit_is_413(self, settings):
        settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 100_000
        client = client_of(*ANALYST)
        body = json.dumps({"procedure": "PR.OTI.005", "inputs": {**BAJA, "motivo_baja": "x" * 100_000}})
        response = post_raw(client, "/api/v1/cases/", body)
        assert response.status_code == 413, response.content
        assert "supera" in response.json()["detail"]

    def test_a_body_that_is_not_json_is_415(self):
        response = client_of(*ANALYST).post("/api/v1/cases/", {"procedure": "PR.OTI.005"})  # multipart
        assert response.status_code == 415
        assert response.json()["detail"]

    def test_a_text_given_an_object_is_refused_not_stored_as_its_repr(self):
        task = baja_at_activity_3()
        client = client_of(*MANAGER)
        url = f"/api/v1/tasks/{task.pk}/complete/"
        before = row_counts()
        for change, fields in [
            ({"ubicacion_pst": {"a": 1}}, {"respaldo_pst.ubicacion_pst"}),
            ({"ubicacion_pst": ["PST"]}, {"respaldo_pst.ubicacion_pst"}),
            ({"ubicacion_pst": True}, {"respaldo_pst.ubicacion_pst"}),
            ({"ubicacion": "NAS"}, {"respaldo_pst.ubicacion"}),
            ({"ubicacion_pst": "x" * (MAX_LENGTH[FieldType.TEXT] + 1)}, {"respaldo_pst.ubicacion_pst"}),
        ]:
            record = {**PST, **change}
            assert_refused(client.post(url, {"data": {"respaldo_pst": record}}, format="json"), fields)
        assert row_counts() == before
        record = {**PST, "ubicacion_pst": " BACKUP_CORREOS/jperez.pst "}
        ok = client.post(url, {"data": {"respaldo_pst": record}}, format="json")
        assert ok.status_code == 200, ok.content
        assert ok.json()["records"][0]["data"] == PST

    def test_a_multi_choice_with_items_that_are_not_texts_is_a_field_error(self):
        field = FormatField(id="sistemas", label="Sistemas", type="multi_choice", choices=["SIGA", "SIAF"])
        for value, message in [
            ([{"x": 1}], "Debe ser una lista de opciones (textos)."),
            ([["SIGA"]], "Debe ser una lista de opciones (textos)."),
            ([1, 2], "Debe ser una lista de opciones (textos)."),
            ({"SIGA": True}, "Debe ser una lista de opciones (textos)."),
            (["SIGA", "SIGA"], "Cada opción se elige una sola vez."),
        ]:
            errors: dict[str, list[str]] = {}
            assert validate_fields([field], {"sistemas": value}, errors, prefix="r.") == {}
            assert errors == {"r.sistemas": [message]}, value
        errors = {}
        assert validate_fields([field], {"sistemas": ["SIAF", "SIGA"]}, errors, prefix="r.") == {
            "sistemas": ["SIAF", "SIGA"]
        }
        assert errors == {}


class TestBounds:
    @pytest.mark.parametrize(
        ("change", "field"),
        [
            ({"descripcion": "x" * 20_001}, "descripcion"),  # long_text
            ({"responsable_control": "x" * 1_001}, "responsable_control"),  # text
            ({"responsable_control": "x" * 1_000_000}, "responsable_control"),  # the probe's 1 MB
            ({"cuenta_correo_servicio": "a" * 250 + "@senace.gob.pe"}, "cuenta_correo_servicio"),
            ({"nro_correos_enviados": 2**53}, "nro_correos_enviados"),
            ({"nro_correos_enviados": "9" * 5000}, "nro_correos_enviados"),
            ({"fecha_control": "0001-01-01"}, "fecha_control"),
            ({"fecha_control": "9999-12-31"}, "fecha_control"),
        ],
        ids=["long text", "text", "1 MB text", "email", "integer", "5000 digits", "year 1", "year 9999"],
    )
    def test_values_over_the_bounds_of_their_type_are_refused(self, change, field):
        client = client_of(*SENACE)
        url = acta_task(client)
        before = row_counts()
        response = client.post(url, {"data": {"acta_control": {**ACTA, **change}}}, format="json")
        assert_refused(response, {f"acta_control.{field}"})
        assert row_counts() == before

    @pytest.mark.parametrize("day", ["0001-01-01", "9999-12-31", "2000-01-01"])
    def test_an_effective_date_outside_its_window_is_refused(self, day):
        task = baja_at_activity_3()
        client = client_of(*MANAGER)
        before = row_counts()
        payload = {"data": {"respaldo_pst": PST}, "effective_date": day}
        response = client.post(f"/api/v1/tasks/{task.pk}/complete/", payload, format="json")
        assert_refused(response, {"effective_date"})
        assert row_counts() == before


class TestUnknownFields:
    def test_unknown_top_level_fields_are_refused_by_name(self):
        analyst = client_of(*ANALYST)
        number = baja().number
        task_url = f"/api/v1/tasks/{Case.objects.get(number=number).tasks.get().pk}/complete/"
        before = row_counts()
        for url, payload, fields in [
            (
                "/api/v1/cases/",
                {"procedure": "PR.OTI.005", "inputs": BAJA, "prioridad": "alta"},
                {"prioridad"},
            ),
            ("/api/v1/cases/", {"procedimiento": "PR.OTI.005"}, {"procedimiento", "procedure"}),
            (task_url, {"desicion": "Sí"}, {"desicion"}),
            (task_url, {"data": {}, "efective_date": "2026-01-01"}, {"efective_date"}),
            (f"/api/v1/cases/{number}/comments/", {"text": "hola", "privado": True}, {"privado"}),
            (f"/api/v1/cases/{number}/suspend/", {"reason": "espera", "hasta": "mañana"}, {"hasta"}),
        ]:
            assert_refused(analyst.post(url, payload, format="json"), fields)
        assert row_counts() == before


class TestEveryApiErrorIsJson:
    def test_errors_raised_by_the_framework_answer_the_documented_body(self):
        client = client_of(*ANALYST)
        for response, code in [
            (client.get("/api/v1/cases/MVCS-2026-999999/"), 404),
            (client.delete("/api/v1/cases/"), 405),
            (
                client_of(*ANALYST).post("/api/v1/tasks/999999999999999999999/complete/", {}, format="json"),
                404,
            ),
            (Client().get("/api/v1/tasks/"), 401),
            (Client(HTTP_AUTHORIZATION="Token nope").get("/api/v1/tasks/"), 401),
        ]:
            assert response.status_code == code, response.content
            body = response.json()
            assert set(body) <= {"detail", "field_errors"} and isinstance(body["detail"], str), body
