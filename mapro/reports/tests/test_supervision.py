"""
The supervision report (docs/reports.md): figures against counts made by hand from a known set of PR.OTI.005
cases driven through the services with time travel; the PDF read back with pypdf, the DOCX with python-docx;
the command, the API route, the page, need-to-know; the reports due per clause period.
"""

from __future__ import annotations

import datetime as dt
import io
import re

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import Client
from docx import Document
from pypdf import PdfReader
from rest_framework.test import APIClient

from mapro.cases.models import Case, CaseTask
from mapro.cases.services import case_attachment_add, case_start
from mapro.cases.tests.conftest import person, task_complete
from mapro.catalogue.definition.schema import Frequency
from mapro.deadlines.calendar import LIMA
from mapro.mail.services import emails_deliver
from mapro.mail.tests.conftest import inbox, smtp_server  # noqa: F401 - a real SMTP server
from mapro.organization.models import Entity, Role, Unit
from mapro.reports.supervision import (
    Period,
    period_ended,
    supervision_build,
    supervision_render,
    supervision_reports_due,
    supervision_reports_send,
)

pytestmark = pytest.mark.django_db

BAJA = {"cuenta_correo": "jperez@vivienda.gob.pe", "motivo_baja": "Culminación de la orden de servicio"}
Q3 = (dt.date(2026, 7, 1), dt.date(2026, 9, 30))
NOW = dt.datetime(2026, 10, 10, 9, 0, tzinfo=LIMA)


def at(month: int, day: int, hour: int = 10, minute: int = 0) -> dt.datetime:
    return dt.datetime(2026, month, day, hour, minute, tzinfo=LIMA)


def step(case: Case, when: dt.datetime, actor) -> None:
    with time_machine.travel(when, tick=False):
        task_complete(task_id=case.tasks.get(status=CaseTask.Status.OPEN).pk, actor=actor)


def baja(when: dt.datetime) -> Case:
    """A baja of its own account (a second open baja of one account would be flagged as a duplicate)."""
    inputs = {**BAJA, "cuenta_correo": f"baja-{when:%m%d%H}@vivienda.gob.pe"}
    with time_machine.travel(when, tick=False):
        return case_start(
            procedure_code="PR.OTI.005", requester=person("MVCS", "analista_mesa_servicios"), inputs=inputs
        )


@pytest.fixture
def quarter() -> dict[str, Case]:
    """
    Four bajas around the third quarter of 2026 (PR.OTI.005: activity 2 due four hours after activity 1):
    A started in June, every activity on time, concluded 2 July; B started and concluded in July, activity 2
    done five hours after 1 (suspension_4h missed); C started 1 August, left at activity 2 (pending, due that
    day); D started in October, after the quarter.
    """
    analyst = person("MVCS", "analista_mesa_servicios")
    manager = person("MVCS", "responsable_plataforma_correo")
    a = baja(at(6, 25))
    step(a, at(6, 25, 10, 5), analyst)
    step(a, at(6, 25, 12), manager)
    step(a, at(6, 26), manager)
    step(a, at(7, 2), manager)  # activity 4: concluded in the quarter (one record in it)
    b = baja(at(7, 10))
    step(b, at(7, 10, 10, 5), analyst)
    step(b, at(7, 10, 15, 5), manager)  # one hour late
    with time_machine.travel(at(7, 11), tick=False):
        upload = SimpleUploadedFile("captura_suspension.png", b"evidencia de la suspension")
        task = b.tasks.get(status=CaseTask.Status.OPEN)
        case_attachment_add(case_id=b.pk, actor=manager, upload=upload, task_id=task.pk)
    step(b, at(7, 11, 9), manager)
    step(b, at(7, 12), manager)
    c = baja(at(8, 1, 9))
    step(c, at(8, 1, 9, 30), analyst)
    d = baja(at(10, 5))
    return {"A": a, "B": b, "C": c, "D": d}


def pdf_text(content: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


def docx_text(content: bytes) -> str:
    document = Document(io.BytesIO(content))
    parts = [p.text for p in document.paragraphs]
    for table in document.tables:
        parts += ["|".join(c.text for c in row.cells) for row in table.rows]
    for table in document.sections[0].header.tables:
        parts += [c.text for row in table.rows for c in row.cells]
    return "\n".join(parts)


def test_figures_documents_and_routes(quarter, tmp_path):
    mvcs = Entity.objects.get(code="MVCS")
    report = supervision_build(entity=mvcs, start=Q3[0], end=Q3[1], now=NOW)

    # By hand: started B, C; concluded A, B; on time A; overdue B (missed) and C (pending past its due
    # time); open when the quarter ended: C. D is after the quarter. PR.OTI.006 had no case.
    figures = {
        p.code: (p.started, p.concluded, p.on_time, p.overdue, p.open_at_end) for p in report.procedures
    }
    assert figures["PR.OTI.005"] == (2, 2, 1, 2, 1)
    assert figures["PR.OTI.006"] == (0, 0, 0, 0, 0)
    assert (report.totals.started, report.totals.overdue) == (2, 2)

    # Open items: C's activity 2, nobody assigned: whoever holds the role, overdue since 1 Aug 13:30.
    (item,) = report.open_items
    manager = person("MVCS", "responsable_plataforma_correo")
    assert (item.case_number, item.activity.split(".")[0], item.overdue) == (quarter["C"].number, "2", True)
    assert item.role == "Responsable de la gestión de la Plataforma de Correo"
    assert manager.full_name in item.responsible
    assert item.due_at == at(8, 1, 13, 30)

    # Evidence of the quarter: A's record of activity 4, B's three records and its file, C's record of 1.
    kinds = sorted((e.case_number, e.kind, e.activity) for e in report.evidence)
    a, b, c = (quarter[k].number for k in "ABC")
    assert kinds == sorted(
        [
            (a, "Registro", "4"),
            (b, "Registro", "1"),
            (b, "Registro", "3"),
            (b, "Registro", "4"),
            (b, "Archivo", "3"),
            (c, "Registro", "1"),
        ]
    )
    # The file went with the restricted .PST record: listed by its fingerprint, its name kept back.
    (file,) = (e for e in report.evidence if e.kind == "Archivo")
    assert file.name == "Archivo reservado a: Responsable de la gestión de la Plataforma de Correo"
    assert file.detail.startswith("SHA-256 ")

    # One clause for both procedures (section 8 of each), presented to the OGEI; the audit chain verified.
    (clause,) = report.clauses
    assert clause.procedure_codes == ("PR.OTI.005", "PR.OTI.006")
    assert clause.frequency == "Trimestral" and "OGEI" in clause.reports_to and "OTI" in clause.requests_from
    assert report.audit.ok and report.audit.events > 0, report.audit.problems

    # The PDF holds the figures, the header and the verdict; the DOCX the same.
    with time_machine.travel(NOW, tick=False):
        pdf, _ = supervision_render(fmt="pdf", entity=mvcs, start=Q3[0], end=Q3[1])
    text = pdf_text(pdf)
    assert "INFORME DE SUPERVISIÓN" in text and "Ministerio de Vivienda" in text
    assert "01/07/2026 – 30/09/2026" in text
    assert re.search(r"PR\.OTI\.005 — .*?\s2\s+2\s+1\s+2\s+1\b", text, re.S), text
    assert quarter["C"].number in text and "(vencido)" in text and "captura_suspension" not in text
    assert "Verificada:" in text and "Oficial de Seguridad de la Información" in text
    (tmp_path / "supervision.pdf").write_bytes(pdf)  # for a look: pdftoppm -png -r 60 supervision.pdf
    with time_machine.travel(NOW, tick=False):
        docx, _ = supervision_render(fmt="docx", entity=mvcs, start=Q3[0], end=Q3[1])
    text = docx_text(docx)
    assert (
        "PR.OTI.005 — Respaldo y eliminación de cuentas de correo electrónico|2|2|1|2|1" in text
        or re.search(r"PR\.OTI\.005 — [^|]+\|2\|2\|1\|2\|1", text)
    )
    assert "Total|2|2|1|2|1" in text and "INFORME DE SUPERVISIÓN" in text

    # The command writes the file and prints the totals.
    out = io.StringIO()
    path = tmp_path / "q3.docx"
    with time_machine.travel(NOW, tick=False):
        call_command(
            "reports", "supervision", "--entity", "MVCS", "--from", "2026-07-01", "--to", "2026-09-30",
            "--format", "docx", "--output", str(path), stdout=out,
        )  # fmt: skip
    assert (
        path.read_bytes()[:2] == b"PK"
        and "2 iniciados, 2 concluidos (1 a tiempo), 2 vencidos" in out.getvalue()
    )

    # The API and the page: the Oficial de Seguridad gets it; the analyst, who supervises nothing, a 404.
    query = {"from": "2026-07-01", "to": "2026-09-30", "format": "pdf"}
    api = APIClient()
    api.force_authenticate(person("MVCS", "oficial_seguridad").user)
    response = api.get("/api/v1/reports/supervision", query)
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    assert api.get("/api/v1/reports/supervision", {**query, "to": "2026-06-01"}).status_code == 400
    assert api.get("/api/v1/reports/supervision", {**query, "entity": "SENACE"}).status_code == 404
    api.force_authenticate(person("MVCS", "analista_mesa_servicios").user)
    assert api.get("/api/v1/reports/supervision", query).status_code == 404
    web = Client()
    web.force_login(person("MVCS", "oficial_seguridad").user)
    page = web.get("/informes/supervision/").content.decode()
    assert "PR.OTI.005" in page and "Generar informe" in page and ">Supervisión</a>" in page
    analyst = Client()
    analyst.force_login(person("MVCS", "analista_mesa_servicios").user)
    assert ">Supervisión</a>" not in analyst.get("/").content.decode()
    download = web.get(
        "/informes/supervision/descargar/", {**query, "format": "docx", "procedure": "PR.OTI.005"}
    )
    assert download.status_code == 200 and download.content[:2] == b"PK"


def test_reports_due_once_per_ended_period():
    """Period arithmetic, then the reports due on 1 Oct 2026: each clause's last ended period, keyed."""
    assert period_ended(Frequency.QUARTERLY, dt.date(2026, 10, 1)) == Period(*Q3)
    assert period_ended(Frequency.QUARTERLY, dt.date(2026, 12, 31)) == Period(*Q3)
    assert period_ended(Frequency.SEMIANNUAL, dt.date(2026, 7, 1)) == Period(
        dt.date(2026, 1, 1), dt.date(2026, 6, 30)
    )
    assert period_ended(Frequency.ANNUAL, dt.date(2026, 3, 5)) == Period(
        dt.date(2025, 1, 1), dt.date(2025, 12, 31)
    )
    assert period_ended(Frequency.MONTHLY, dt.date(2026, 1, 15)) == Period(
        dt.date(2025, 12, 1), dt.date(2025, 12, 31)
    )
    assert period_ended(Frequency.BIWEEKLY, dt.date(2026, 3, 10)) == Period(
        dt.date(2026, 2, 16), dt.date(2026, 2, 28)
    )
    assert period_ended(Frequency.WEEKLY, dt.date(2026, 10, 7)) == Period(
        dt.date(2026, 9, 28), dt.date(2026, 10, 4)
    )
    assert period_ended(Frequency.ON_DEMAND, dt.date(2026, 10, 7)) is None

    now = dt.datetime(2026, 10, 1, 8, 0, tzinfo=LIMA)
    # Only the MVCS clause is built here (the others are skipped by key, as a sender that already sent them).
    due = list(supervision_reports_due(now=now, skip=lambda key: not key.startswith("supervision:MVCS:")))
    (report,) = due
    assert report.key == "supervision:MVCS:oficial_seguridad:quarterly:ogei:2026-07-01"
    assert report.period == Period(*Q3) and report.pdf.startswith(b"%PDF")
    assert [p.pk for p in report.recipients] == [person("MVCS", "oficial_seguridad").pk]
    seen: list[str] = []
    assert not list(supervision_reports_due(now=now, skip=lambda key: seen.append(key) or True))
    assert sorted(seen) == [
        "supervision:MINCETUR:oficial_seguridad:quarterly:director_general_oi:2026-07-01",
        "supervision:MINDEF:profesional_ogtie:annual:jefe_ogtie:2025-01-01",
        "supervision:MINDEF:profesional_ogtie:semiannual:jefe_ogtie:2026-01-01",
        "supervision:MINDEF:responsable_soporte_tecnico:annual:coordinador_infraestructura:2025-01-01",
        "supervision:MVCS:oficial_seguridad:quarterly:ogei:2026-07-01",
        "supervision:SENACE:jefe_oti:monthly:oti:2026-09-01",
    ]


def test_reports_due_are_mailed_once_to_who_presents_and_who_receives(inbox):  # noqa: F811
    """
    At the first tick after a quarter ends the MVCS report reaches the Oficial de Seguridad and, once an
    administrator names the OGEI's head role, the OGEI too, through a real SMTP server; later ticks send
    nothing. (The seed names no OGEI head role: the OTI director's stands for the one designated.)
    """
    mvcs = Entity.objects.get(code="MVCS")
    head = person("MVCS", "director_oti")
    head_role = Role.objects.get(entity=mvcs, code="director_oti")
    Unit.objects.filter(entity=mvcs, code="ogei").update(head_role=head_role)
    now = dt.datetime(2026, 10, 1, 8, 0, tzinfo=LIMA)
    with time_machine.travel(now, tick=False):
        enqueued = supervision_reports_send(now=now)
        emails_deliver(now=now)
        assert supervision_reports_send(now=now + dt.timedelta(hours=1)) == 0
    assert enqueued == 6  # one per clause group with a period (test_reports_due_once_per_ended_period)
    key = "supervision:MVCS:oficial_seguridad:quarterly:ogei:2026-07-01"
    mail = inbox.by_key()[key]
    assert sorted(mail.rcpt_tos) == sorted([person("MVCS", "oficial_seguridad").email, head.email])
    assert mail.subject == "[mapro] Informe de supervisión MVCS, 01/07/2026 al 30/09/2026"
    assert "https://mapro.example.gob.pe/informes/supervision/" in mail.body
    (pdf,) = list(mail.message.iter_attachments())
    assert pdf.get_filename() == "supervision_MVCS_20260701_20260930.pdf"
    first_page = PdfReader(io.BytesIO(pdf.get_content())).pages[0].extract_text()
    assert "Periodo 01/07/2026 – 30/09/2026" in first_page
    assert len(inbox.messages) == len({m.key for m in inbox.messages})


def test_indicator_values_in_the_report():
    """
    Two Senace help-desk tickets received in September 2026: one solved and closed at activity 6 ("Sí"), one
    left open. By hand: 1 solved and closed / 2 received = 50.00 %, below the 99 % baseline: "no cumple".
    """
    requester = person("SENACE", "servidor")
    inputs = {"tipo_solicitud": "Incidente", "solicitud": "La impresora del piso 3 no imprime."}
    for day, decisions in ((3, [None, "Sí", "Sí", None, "Sí"]), (10, [])):
        with time_machine.travel(dt.datetime(2026, 9, day, 9, 0, tzinfo=LIMA), tick=False):
            case = case_start(procedure_code="S.04.04.02_P", requester=requester, inputs=inputs)
            for decision in decisions:
                task = case.tasks.get(status=CaseTask.Status.OPEN)
                actor = requester if task.role_code == "requester" else person("SENACE", task.role_code)
                task_complete(task_id=task.pk, actor=actor, decision=decision)
    senace = Entity.objects.get(code="SENACE")
    september = {"start": dt.date(2026, 9, 1), "end": dt.date(2026, 9, 30)}
    with time_machine.travel(dt.datetime(2026, 10, 1, 8, 0, tzinfo=LIMA), tick=False):
        pdf, report = supervision_render(
            fmt="pdf", entity=senace, procedure_codes=["S.04.04.02_P"], **september
        )
    (figures,) = report.procedures
    assert (figures.started, figures.concluded, figures.open_at_end) == (2, 1, 1)
    (line,) = report.indicators
    assert line.name == "Porcentaje de tickets de mesa de ayuda atendidos"
    assert (line.value, line.target, line.verdict) == ("50.00 % (1 / 2)", "100%", "no cumple")
    text = " ".join(pdf_text(pdf).split())  # words as read, whatever the table's line breaks
    assert "Porcentaje de tickets de mesa de ayuda atendidos" in text and "50.00 % (1 / 2)" in text
    assert "no cumple" in text


# Every clause with a period as the seed writes it: role, frequency, reports_to, reports_to_role, seed line.
CLAUSES = {
    "PR.OTI.005": ("oficial_seguridad", "quarterly", "ogei", None, 270),  # 000:270, section 8
    "PR.OTI.006": ("oficial_seguridad", "quarterly", "ogei", None, 517),  # 000:517, section 8
    "MINCETUR-DIR-002-2023-7.2.1": ("oficial_seguridad", "quarterly", "oi", "director_general_oi", 190),
    "S04.03.01.04": ("profesional_ogtie", "annual", "ogtie", "jefe_ogtie", 1284),  # activity 11
    "S04.03.02.01": ("profesional_ogtie", "semiannual", "ogtie", "jefe_ogtie", 1433),  # activity 12
    "S04.03.02.02": ("profesional_ogtie", "semiannual", "ogtie", "jefe_ogtie", 1522),  # activity 20
    "S04.03.04.03": ("responsable_soporte_tecnico", "annual", "ogtie", "coordinador_infraestructura", 1932),
    "S.04.03.02_P": ("jefe_oti", "monthly", "oti", None, 1384),  # the monthly IT services report
}


def test_clauses_with_a_period_are_those_of_the_seeds():
    from mapro.catalogue.selectors import catalogue_from_repository

    definitions = catalogue_from_repository().definitions
    found = {
        code: (s.role, s.frequency, s.reports_to, s.reports_to_role, s.seed_line)
        for code, loaded in definitions.items()
        if (s := loaded.definition.supervision) is not None and s.frequency not in (None, "on_demand")
    }
    assert found == CLAUSES
