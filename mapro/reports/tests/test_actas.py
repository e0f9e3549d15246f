"""
Actas filled from case records (docs/reports.md): real cases driven through the services, the PDF read back
with pypdf and the DOCX with python-docx; need-to-know through the services, the web page, the API and the
command.
"""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import Client
from docx import Document
from pypdf import PdfReader
from rest_framework.test import APIClient

from mapro.cases.models import Case, CaseTask
from mapro.cases.selectors import case_definition
from mapro.cases.services import case_attachment_add, case_start, case_task_complete
from mapro.cases.tests.conftest import person
from mapro.catalogue.definition.schema import FieldType, FormatField
from mapro.catalogue.tests.sample_data import record_data
from mapro.core.errors import NotFoundError
from mapro.deadlines.calendar import LIMA
from mapro.reports.services import BLANK, acta_build, acta_render, display, document_specs

pytestmark = pytest.mark.django_db

SENACE_MAIL = "SENACE-CORREO-SERVICIOS"
SPECIALIST = "especialista_servicios_digitales"
# Anexo 01 as the seed's filled-in example writes it (seed 001, lines 191-205), then what the backup changes.
CONTROL = {
    "organo_unidad": "Oficina de Tecnologías de la Información",
    "cuenta_correo_servicio": "alertaeva@senace.gob.pe",
    "fecha_control": "2026-06-01",
    "tipo_licencia": "Office 365 Exchange Online Plan 1",
    "descripcion": "Cuenta de correo electrónico de servicios para las notificaciones del sistema EVA",
    "estado": "Activo",
    "nro_correos_enviados": "35000",
    "nro_correos_recibidos": "1503",
    "fecha_backup": "2026-05-30",
    "tamano_buzon": "21 GB",
    "servidor_backup": "SNC-NAS",
    "ruta": "\\\\SNC-NAS\\Carpeta_Backup_2026",
    "responsable_control": "Christian Medina Torres",
}
BACKUP = {**CONTROL, "fecha_backup": "2026-06-02", "tamano_buzon": "23 GB"}


def open_task(case: Case) -> CaseTask:
    return case.tasks.get(status=CaseTask.Status.OPEN)


def fields_of(case: Case, fmt_id: str, activity: int) -> list[FormatField]:
    """The fields an activity fills: all, or, once fields name their activity, only its own."""
    fmt = next(f for f in case_definition(case=case).formats if f.id == fmt_id)
    return [f for f in fmt.fields if f.activity in (None, activity)]


def only(values: dict[str, Any], fields: list[FormatField]) -> dict[str, Any]:
    return {f.id: values[f.id] for f in fields if f.id in values}


def pdf_text(content: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


def docx_text(content: bytes) -> str:
    """Every paragraph, of the body, of table cells (nested tables too) and of the page header."""
    document = Document(io.BytesIO(content))
    parts = [p.text for p in document.sections[0].header.paragraphs]

    def tables(items):
        for table in items:
            for row in table.rows:
                for cell in row.cells:
                    parts.extend(p.text for p in cell.paragraphs)
                    tables(cell.tables)

    tables(document.sections[0].header.tables)
    parts.extend(p.text for p in document.paragraphs)
    tables(document.tables)
    return "\n".join(parts)


def flat(text: str) -> str:
    """Text extraction breaks lines where the layout wraps them: compare words, not lines."""
    return " ".join(text.split())


@pytest.fixture
def anexo_01() -> Case:
    """A semestral follow-up: the control (activity 8) then the backup (activity 9) fill the same Anexo 01."""
    specialist = person("SENACE", SPECIALIST)
    with time_machine.travel(dt.datetime(2026, 6, 1, 9, 30, tzinfo=LIMA), tick=False):
        case = case_start(procedure_code=SENACE_MAIL, requester=specialist, inputs={})
        case_task_complete(
            task_id=open_task(case).pk,
            actor=specialist,
            decision="Seguimiento de la cuenta de correo electrónico de servicios",
        )
        case_task_complete(
            task_id=open_task(case).pk,
            actor=specialist,
            data={"acta_control": only(CONTROL, fields_of(case, "acta_control", 8))},
        )
    with time_machine.travel(dt.datetime(2026, 6, 2, 15, 0, tzinfo=LIMA), tick=False):
        case_task_complete(
            task_id=open_task(case).pk,
            actor=specialist,
            decision="Sí",
            data={
                **record_data(case_definition(case=case), 9),  # the backup itself (observations)
                "acta_control": only(BACKUP, fields_of(case, "acta_control", 9)),
            },
        )
    return case


class TestAnexo01:
    def test_pdf_has_header_every_field_with_its_latest_value_and_the_signature_block(self, anexo_01):
        specialist = person("SENACE", SPECIALIST)
        content, acta = acta_render(case=anexo_01, document_id="acta_control", person=specialist, fmt="pdf")
        assert content.startswith(b"%PDF")
        text = flat(pdf_text(content))
        for expected in (
            "ANEXO 01",
            "ACTA DE CONTROL Y SEGUIMIENTO DE CUENTA DE CORREO ELECTRÓNICO",
            anexo_01.number,
            "SENACE",
            SENACE_MAIL,
            "Cuenta de correo electrónico de servicio",
            "alertaeva@senace.gob.pe",
            "01/06/2026",  # fecha de control, dd/mm/aaaa
            "02/06/2026",  # fecha de backup: activity 9's value wins
            "23 GB",
            "35,000",
            "Christian Medina Torres",
            "Actividad 9",
            "Firmas",
            "Especialista en Gestión de Servicios Digitales (o quien haga sus veces)",
            specialist.full_name,
        ):
            assert expected in text, expected
        assert "21 GB" not in text and "30/05/2026" not in text  # activity 8's backup values were replaced
        assert [f.label for f in acta.fields][:2] == [
            "Órgano y/o unidad orgánica",
            "Cuenta de correo electrónico de servicio",
        ]
        assert len(acta.fields) == 13 and all(f.text != BLANK for f in acta.fields)
        assert [s.title for s in acta.signers] == [
            "Especialista en Gestión de Servicios Digitales (o quien haga sus veces)"
        ]
        assert acta.signers[0].source.activity == 9  # who recorded it last, on its date

    def test_docx_carries_the_same_values(self, anexo_01):
        content, _ = acta_render(
            case=anexo_01, document_id="acta_control", person=person("SENACE", SPECIALIST), fmt="docx"
        )
        text = docx_text(content)
        for expected in (
            "ANEXO 01",
            anexo_01.number,
            "Tamaño de buzón",
            "23 GB",
            "02/06/2026",
            "\\\\SNC-NAS\\Carpeta_Backup_2026",
            "Christian Medina Torres",
            "Especialista en Gestión de Servicios Digitales (o quien haga sus veces)",
        ):
            assert expected in text, expected

    def test_who_may_not_read_the_case_or_the_records_gets_404(self, anexo_01):
        outsider = person("MVCS", "analista_mesa_servicios")
        with pytest.raises(NotFoundError):
            acta_build(case=anexo_01, document_id="acta_control", person=outsider)
        # Records reserved to a role the reader does not hold leave nothing to print: 404 as well.
        anexo_01.records.update(restricted_to=["jefe_organo"])
        with pytest.raises(NotFoundError):
            acta_build(case=anexo_01, document_id="acta_control", person=person("SENACE", SPECIALIST))
        anexo_01.records.update(restricted_to=[SPECIALIST])
        assert acta_build(case=anexo_01, document_id="acta_control", person=person("SENACE", SPECIALIST))

    def test_a_document_the_case_has_no_records_of_is_404(self, anexo_01):
        with pytest.raises(NotFoundError):
            acta_build(case=anexo_01, document_id="no_existe", person=person("SENACE", SPECIALIST))


class TestInterfaces:
    def test_web_case_page_links_the_acta_and_serves_it_only_to_readers(self, anexo_01):
        reader, outsider = Client(), Client()
        reader.force_login(person("SENACE", SPECIALIST).user)
        outsider.force_login(person("MVCS", "analista_mesa_servicios").user)
        page = reader.get(f"/expedientes/{anexo_01.number}/").content.decode()
        url = f"/expedientes/{anexo_01.number}/actas/acta_control.pdf"
        assert url in page and url.replace(".pdf", ".docx") in page
        response = reader.get(url)
        assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
        assert anexo_01.number in flat(pdf_text(response.content))
        assert outsider.get(url).status_code == 404
        assert reader.get(url.replace("acta_control", "otro")).status_code == 404

    def test_api_serves_pdf_and_docx_and_404_to_who_may_not_read(self, anexo_01):
        client = APIClient()
        client.force_authenticate(user=person("SENACE", SPECIALIST).user)
        base = f"/api/v1/cases/{anexo_01.number}/actas/acta_control"
        pdf, docx = client.get(f"{base}.pdf"), client.get(f"{base}.docx")
        assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
        assert f'filename="{anexo_01.number}_acta_control.docx"' in docx["Content-Disposition"]
        assert "23 GB" in docx_text(docx.content)
        client.force_authenticate(user=person("MVCS", "analista_mesa_servicios").user)
        assert client.get(f"{base}.pdf").status_code == 404

    def test_command_writes_the_file(self, anexo_01, tmp_path):
        output = tmp_path / "acta.docx"
        out = io.StringIO()
        call_command(
            "reports", "acta", anexo_01.number, "acta_control", "--format", "docx", "--output", str(output),
            stdout=out,
        )  # fmt: skip
        assert "OK:" in out.getvalue() and "Christian Medina Torres" in docx_text(output.read_bytes())
        with pytest.raises(Exception, match="No existe ese expediente"):
            call_command(
                "reports", "acta", anexo_01.number, "acta_control", "--user",
                person("MVCS", "analista_mesa_servicios").user.username, "--output", str(output),
            )  # fmt: skip


class TestMincetur:
    def test_daily_registro_de_actividades_and_the_directorio(self, settings, tmp_path):
        settings.MEDIA_ROOT = tmp_path
        operator = person("MINCETUR", "operador_backup")
        with time_machine.travel(dt.datetime(2026, 3, 9, 8, 45, tzinfo=LIMA), tick=False):
            daily = case_start(
                procedure_code="MINCETUR-DIR-002-2023-7.1.1",
                requester=operator,
                inputs={},
                flow="verificacion_diaria",
            )
            case_task_complete(task_id=open_task(daily).pk, actor=operator)
            case_task_complete(
                task_id=open_task(daily).pk,
                actor=operator,
                decision="Sí",
                data={
                    "registro_actividades": {
                        "fecha_verificacion": "2026-03-09",
                        "detalle": "Trabajos de respaldo del 08/03 conformes.",
                    }
                },
            )
        content, acta = acta_render(
            case=daily, document_id="registro_actividades", person=operator, fmt="pdf"
        )
        text = flat(pdf_text(content))
        for expected in (
            "ANEXO N° 02",
            "Registro de actividades",
            daily.number,
            "MINCETUR-DIR-002-2023-7.1.1",
            "¿Los procesos de respaldo de la información se encuentran conformes?",
            "Trabajos de respaldo del 08/03 conformes.",
            "Actividad 5 · 09/03/2026",
            "Operador de backup",
            operator.full_name,
        ):
            assert expected in text, expected
        assert acta.fields[0].text == "Sí"
        docx = docx_text(
            acta_render(case=daily, document_id="registro_actividades", person=operator, fmt="docx")[0]
        )
        assert "Trabajos de respaldo del 08/03 conformes." in docx and daily.number in docx

        # The Directorio is drawn up by the head of infrastructure and the backup operator, each in a task of
        # their own (co_roles, completion each); each documents it with the file, writing no observations.
        infra = person("MINCETUR", "responsable_infraestructura")
        directory = case_start(
            procedure_code="MINCETUR-DIR-002-2023-7.1.1", requester=infra, inputs={}, flow="directorio"
        )
        tasks = {t.role_code: t for t in directory.tasks.filter(status=CaseTask.Status.OPEN)}
        assert set(tasks) == {"responsable_infraestructura", "operador_backup"}
        for role, actor in (("responsable_infraestructura", infra), ("operador_backup", operator)):
            case_attachment_add(
                case_id=directory.pk,
                actor=actor,
                upload=SimpleUploadedFile("directorio.xlsx", b"Directorio de prueba"),
                task_id=tasks[role].pk,
            )
            case_task_complete(task_id=tasks[role].pk, actor=actor)  # no observations written
        acta = acta_build(case=directory, document_id="directorio_respaldo", person=infra)
        assert acta.code == "Anexo N° 01" and acta.name.startswith("Directorio de Información a Respaldar")
        assert [(f.label, f.text) for f in acta.fields] == [("Información que se resguarda", BLANK)]
        assert [(s.title, s.name) for s in acta.signers] == [
            ("Responsable de infraestructura", infra.full_name),
            ("Operador de backup", operator.full_name),
        ]


class TestSoftwareInstallation:
    def test_signature_fields_become_signature_blocks(self):
        specialist = person("SENACE", "especialista_cc")
        coordinator = person("SENACE", "coordinador_is")
        case = case_start(
            procedure_code="S.04.02.03_P", requester=specialist, inputs={"software_validado": "SIGEA v2"}
        )
        definition = case_definition(case=case)
        formats = {r.id: r.format for r in definition.records}
        data = {  # activity 1 fills the request fields of the Anexo 02 (its signatures come later)
            record_id: sample(fields_of(case, formats[record_id], 1))
            for record_id in definition.activity(1).records
        }
        case_task_complete(task_id=open_task(case).pk, actor=specialist, data=data)
        # The coordinator's signature (optional) is recorded with the approval (activity 2); the quality, BD
        # and IS specialists sign at activities 14, 15 and 16, not reached here.
        case_task_complete(
            task_id=open_task(case).pk,
            actor=coordinator,
            decision="Sí",
            data={"acta_instalacion": {"firma_coordinador_is": coordinator.full_name}},
        )
        assert "acta_instalacion_produccion" in document_specs(definition)
        content, acta = acta_render(
            case=case, document_id="acta_instalacion_produccion", person=specialist, fmt="pdf"
        )
        fmt = next(f for f in definition.formats if f.id == "acta_instalacion_produccion")
        signature_labels = [f.label for f in fmt.fields if f.type == FieldType.SIGNATURE]
        assert [s.title for s in acta.signers] == signature_labels and len(signature_labels) == 4
        text = flat(pdf_text(content))
        assert "ACTA DE INSTALACIÓN DE SOFTWARE" in text.upper() and case.number in text
        for label in signature_labels:
            assert flat(label) in text
        assert coordinator.full_name in text
        tables = [f for f in acta.fields if f.table is not None]
        assert tables and all(f.table.rows for f in tables)
        assert [f.text for f in acta.fields if f.label == "N° Help Desk"] == [BLANK]  # optional, not recorded
        # A signature recorded is printed under its block, from the activity that recorded it; one not
        # recorded yet leaves it blank.
        signed = {f.id: coordinator.full_name for f in fmt.fields if f.id == "firma_coordinador_is"}
        assert [s.name for s in acta.signers] == [
            signed.get(f.id, "") for f in fmt.fields if f.type == FieldType.SIGNATURE
        ]
        assert [s.source.activity if s.source else None for s in acta.signers] == [
            2 if f.id in signed else None for f in fmt.fields if f.type == FieldType.SIGNATURE
        ]


def sample(fields: list[FormatField]) -> dict[str, Any]:
    """A valid value for every required field and every table (other optional ones print as blank)."""
    values = {
        FieldType.DATE: "2026-06-01",
        FieldType.DATETIME: "2026-06-01T10:00",
        FieldType.TIME: "10:00",
        FieldType.INTEGER: 3,
        FieldType.DECIMAL: "1.5",
        FieldType.BOOLEAN: True,
        FieldType.EMAIL: "oti@senace.gob.pe",
    }
    out: dict[str, Any] = {}
    for field in fields:
        if not field.required and field.type != FieldType.TABLE:
            continue
        if field.type == FieldType.CHOICE:
            out[field.id] = field.choices[0]
        elif field.type == FieldType.MULTI_CHOICE:
            out[field.id] = field.choices[:1]
        elif field.type == FieldType.TABLE:
            out[field.id] = [sample(field.columns)]
        else:
            out[field.id] = values.get(field.type, f"Valor de {field.label}"[:200])
    return out


@pytest.mark.parametrize(
    ("field_type", "value", "shown"),
    [
        (FieldType.BOOLEAN, True, "Sí"),
        (FieldType.BOOLEAN, False, "No"),
        (FieldType.DATE, "2026-06-01", "01/06/2026"),
        (FieldType.DATETIME, "2026-06-01T10:05", "01/06/2026 10:05"),
        (FieldType.MULTI_CHOICE, ["SELECT", "UPDATE"], "SELECT; UPDATE"),
        (FieldType.TEXT, "", BLANK),
        (FieldType.INTEGER, None, BLANK),
    ],
)
def test_values_print_as_people_read_them(field_type, value, shown):
    assert display(field_type, value) == shown
