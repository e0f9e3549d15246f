"""
Issue 11 items 6, 7 and 9 on the seeds: a call passes its mapped inputs; inputs mandatory per flow; a format
filled across activities (Senace Anexo 01); a produced record is required unless optional.
"""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from mapro.audit.models import AuditEvent
from mapro.cases.models import Attachment, Case, CaseRecord, CaseTask
from mapro.cases.selectors import case_definition
from mapro.cases.services import case_start
from mapro.cases.services import cases as case_services
from mapro.catalogue.tests.sample_data import record_data
from mapro.core.errors import InvalidInputError

from .conftest import person, task_complete

pytestmark = pytest.mark.django_db


def open_task(case: Case) -> CaseTask:
    return case.tasks.get(status=CaseTask.Status.OPEN)


def advance(case: Case, entity: str, route: list[tuple[int, str | None]]) -> None:
    """Complete the open task of each step (activity, decision) as a holder of its role, with sample data."""
    definition = case_definition(case=case)
    for n, decision in route:
        task = open_task(case)
        assert task.activity == n
        task_complete(task_id=task.pk, actor=person(entity, definition.activity(n).role), decision=decision)


def test_a_call_starts_its_child_with_the_inputs_it_maps_from_the_parents_record():
    # S.04.02.05_P 8 (004:1285): the request e-mail (Anexo 01) names the software and the request number;
    # S.04.02.02_P starts with them as its inputs software_construido and solicitud_validacion.
    requester = person("SENACE", "especialista_uuoo")
    case = case_start(
        procedure_code="S.04.02.05_P",
        requester=requester,
        inputs={"requerimiento_mantenimiento": "Agregar un filtro al reporte"},
    )
    advance(
        case, "SENACE", [(1, None), (2, None), (3, None), (4, None), (5, None), (6, "Conforme"), (7, "Sí")]
    )
    call = open_task(case)
    assert call.activity == 8 and not case.children.exists()  # the request is sent first
    data = record_data(case_definition(case=case), 8)
    data["solicitud_control_validacion"] |= {"denominacion_software": "SIGEA v2", "solicitud": "SOL-0042"}

    task_complete(task_id=call.pk, actor=person("SENACE", "coordinador_proyectos"), data=data)

    child = case.children.get()
    assert child.procedure_version.code == "S.04.02.02_P"
    assert child.inputs == {"software_construido": "SIGEA v2", "solicitud_validacion": "SOL-0042"}
    assert child.parent_task_id == call.pk
    assert open_task(child).activity == 1


def test_an_input_is_mandatory_only_in_its_flow():
    # S.04.04.01.02_P: the need to shut the data centre down starts the apagado flow, not the backup flow.
    requester = person("SENACE", "especialista_is")
    with pytest.raises(InvalidInputError) as refused:
        case_start(procedure_code="S.04.04.01.02_P", requester=requester, inputs={}, flow="apagado")
    assert set(refused.value.field_errors) == {"necesidad_apagado"}

    case = case_start(procedure_code="S.04.04.01.02_P", requester=requester, inputs={}, flow="respaldo")
    assert case.inputs == {}


class TestAnexo01AcrossActivities:
    """SENACE-CORREO-SERVICIOS (001:123-124, Anexo 01 at 166): fields 09-12 exist after the backup (9)."""

    BACKUP_FIELDS = {"fecha_backup", "tamano_buzon", "servidor_backup", "ruta"}

    def start_at_8(self) -> Case:
        specialist = person("SENACE", "especialista_servicios_digitales")
        case = case_start(procedure_code="SENACE-CORREO-SERVICIOS", requester=specialist, inputs={})
        advance(case, "SENACE", [(1, "Seguimiento de la cuenta de correo electrónico de servicios")])
        return case

    def test_activity_8_does_not_ask_for_the_backup_fields_and_refuses_them(self):
        case = self.start_at_8()
        definition = case_definition(case=case)
        specialist = person("SENACE", "especialista_servicios_digitales")
        data = record_data(definition, 8)
        assert not self.BACKUP_FIELDS & set(data["acta_control"])
        early = {"acta_control": data["acta_control"] | {"fecha_backup": "2026-06-01"}}
        with pytest.raises(InvalidInputError) as refused:
            task_complete(task_id=open_task(case).pk, actor=specialist, data=early)
        assert refused.value.field_errors == {
            "acta_control.fecha_backup": ["Este campo se llena en la actividad 9."]
        }

        task_complete(task_id=open_task(case).pk, actor=specialist, data=data)
        assert open_task(case).activity == 9

    def test_activity_9_requires_the_backup_fields(self):
        case = self.start_at_8()
        specialist = person("SENACE", "especialista_servicios_digitales")
        advance(case, "SENACE", [(8, None)])
        data = record_data(case_definition(case=case), 9)
        assert set(data["acta_control"]) == self.BACKUP_FIELDS
        with pytest.raises(InvalidInputError) as refused:
            task_complete(
                task_id=open_task(case).pk, actor=specialist, decision="Sí", data={**data, "acta_control": {}}
            )
        assert {f"acta_control.{f}" for f in self.BACKUP_FIELDS} <= set(refused.value.field_errors)
        task_complete(task_id=open_task(case).pk, actor=specialist, decision="Sí", data=data)
        assert (
            case.records.get(record_id="acta_control", task__activity=9).data["ruta"]
            == data["acta_control"]["ruta"]
        )


class TestRequiredDocuments:
    def at_pr_oti_006_activity_10(self) -> tuple[Case, CaseTask]:
        manager = person("MVCS", "responsable_plataforma_correo")
        case = case_start(
            procedure_code="PR.OTI.006", requester=manager, inputs={"identificador_requerimiento": "AIP-7"}
        )
        advance(case, "MVCS", [(1, None), (2, "SI"), (3, "NO"), (9, "SI")])
        return case, open_task(case)

    def test_a_missing_record_is_refused_through_the_api_and_nothing_is_written(self):
        _case, task = self.at_pr_oti_006_activity_10()
        client = APIClient()
        client.force_authenticate(user=person("MVCS", "responsable_plataforma_correo").user)
        records, events = CaseRecord.objects.count(), AuditEvent.objects.count()

        response = client.post(f"/api/v1/tasks/{task.pk}/complete/", {"data": {}}, format="json")

        assert response.status_code == 400
        # The record's own fields say what is missing: when the backup was made and where the .PST is.
        assert sorted(response.json()["field_errors"]) == [
            "backup_correo_pst.fecha_backup",
            "backup_correo_pst.ubicacion_pst",
        ]
        task.refresh_from_db()
        assert task.status == CaseTask.Status.OPEN
        assert (CaseRecord.objects.count(), AuditEvent.objects.count()) == (records, events)

    def test_a_file_attached_to_the_open_task_stands_for_the_record(self):
        case, task = self.at_pr_oti_006_activity_10()
        client = APIClient()
        client.force_authenticate(user=person("MVCS", "responsable_plataforma_correo").user)
        upload = SimpleUploadedFile("buzon.pst", b"PST", content_type="application/octet-stream")
        response = client.post(
            f"/api/v1/cases/{case.number}/attachments/",
            {"file": upload, "task": task.pk, "record": "backup_correo_pst"},
            format="multipart",
        )
        assert response.status_code == 201, response.json()

        # A record with required fields still needs them; the file is linked to the record they write.
        data = {
            "backup_correo_pst": {"fecha_backup": "2026-07-24", "ubicacion_pst": "BACKUP_CORREOS/aip-7.pst"}
        }
        response = client.post(f"/api/v1/tasks/{task.pk}/complete/", {"data": data}, format="json")

        assert response.status_code == 200, response.json()
        record = case.records.get(record_id="backup_correo_pst")
        assert Attachment.objects.get(task=task).record == record
        assert record.restricted_to == ["responsable_plataforma_correo"]

    def test_an_optional_record_is_not_required_and_not_written_when_empty(self):
        # S04.03.02.01 activity 7 (002:1428): the report to the Jefatura only "de no tener contrato vigente".
        professional = person("MINDEF", "profesional_ogtie")
        case = case_start(
            procedure_code="S04.03.02.01", requester=professional, inputs={}, flow="respaldo_diario"
        )
        advance(case, "MINDEF", [(3, "Copia de información común"), (6, "Sí")])
        task = open_task(case)
        assert task.activity == 7
        case_services.case_task_complete(task_id=task.pk, actor=professional, decision="No")
        assert not case.records.filter(record_id="informe_jefatura_sin_contrato").exists()
        assert open_task(case).activity == 11


def test_the_call_mapping_is_written_in_the_bpmn_and_in_the_ficha():
    from mapro.catalogue.compiler import compile_bpmn
    from mapro.catalogue.export.content import ficha_content
    from mapro.catalogue.selectors import catalogue_from_repository

    d = catalogue_from_repository().definitions["S.04.02.05_P"].definition
    said = (
        "Ejecuta el procedimiento S.04.02.02_P sin esperar su conclusión. Le pasa: software_construido ← "
        "el campo denominacion_software de «Correo de solicitud de control de validación del software "
        "(Anexo 01)»; solicitud_validacion ← el campo solicitud de «Correo de solicitud de control de "
        "validación del software (Anexo 01)»."
    )
    assert said in compile_bpmn(d)
    row = next(r for r in ficha_content(d).activities if r.n == 8)
    assert said in row.flow


def test_a_start_without_its_mandatory_document_is_refused_with_the_field():
    # S.04.01.02_P: the Matriz de cartera de proyectos (type file) is a mandatory input.
    d = case_definition_of("S.04.01.02_P")
    client = APIClient()
    client.force_authenticate(user=person("SENACE", d.activity(d.start_activities()[0]).role).user)
    cases = Case.objects.count()

    response = client.post("/api/v1/cases/", {"procedure": "S.04.01.02_P", "inputs": {}}, format="json")

    assert response.status_code == 400
    assert "matriz_cartera" in response.json()["field_errors"]
    assert Case.objects.count() == cases


def case_definition_of(code: str):
    from mapro.catalogue.selectors import catalogue_from_repository

    return catalogue_from_repository().definitions[code].definition


def test_a_start_document_is_the_inputs_value_and_is_stored_with_the_case(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    d = case_definition_of("S.04.01.02_P")
    requester = person("SENACE", d.activity(d.start_activities()[0]).role)
    upload = SimpleUploadedFile("matriz-2026.xlsx", b"matriz", content_type="application/vnd.ms-excel")
    inputs = {i.id: "x" for i in d.inputs if i.mandatory and i.type != "file" and not i.choices}

    case = case_start(
        procedure_code="S.04.01.02_P",
        requester=requester,
        inputs=inputs,
        documents={"matriz_cartera": upload},
    )

    assert case.inputs["matriz_cartera"] == "matriz-2026.xlsx"
    (attachment,) = case.attachments.all()
    assert (attachment.filename, attachment.task_id) == ("matriz-2026.xlsx", None)
