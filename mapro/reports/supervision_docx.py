"""A supervision report as a Word document: the PDF's content, with the actas' cell and page helpers."""

from __future__ import annotations

import io
from collections.abc import Sequence

from docx import Document
from docx.document import Document as DocxDocument
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Mm, Pt

from .docx import HEADER_FILL, LABEL_FILL, _heading, _page, _repeat_header, _text, page_header
from .supervision_content import FIGURES_NOTE, SupervisionReport


def supervision_docx(report: SupervisionReport) -> bytes:
    document = Document()
    _page(document)
    _landscape(document)
    _header(document, report)
    title = document.add_paragraph()
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    run = title.add_run(report.title.upper())
    run.bold, run.font.size = True, Pt(12)
    _pairs(
        document,
        [
            ("Entidad", f"{report.entity_name} ({report.entity_code})"),
            ("Periodo", report.period.text),
            ("Cadena de auditoría", report.audit.text),
        ],
    )
    _clauses(document, report)
    _figures(document, report)
    _open_items(document, report)
    _indicators(document, report)
    _evidence(document, report)
    _audit(document, report)
    _signatures(document, report)
    note = document.add_paragraph(
        f"Informe generado por mapro el {report.generated_at:%d/%m/%Y %H:%M} (hora de Lima) a partir de los "
        "expedientes, plazos, registros y eventos de auditoría de la entidad."
    )
    note.runs[0].font.size = Pt(7.5)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def _landscape(document: DocxDocument) -> None:
    section = document.sections[0]
    section.orientation = WD_ORIENT.LANDSCAPE
    section.page_width, section.page_height = Mm(297), Mm(210)
    section.left_margin = section.right_margin = Mm(12)


def _header(document: DocxDocument, report: SupervisionReport) -> None:
    """Entity, title and period in the page header: repeated on every page, as in the PDF."""
    period = f"{report.period.start:%d/%m/%Y} – {report.period.end:%d/%m/%Y}"
    page_header(
        document,
        width=Mm(270),
        entity=f"{report.entity_name}\n{report.entity_code}",
        title="INFORME DE SUPERVISIÓN",
        corner=f"Periodo\n{period}",
        subtitle="Cumplimiento de los procedimientos",
        foot=f"Emitido {report.generated_at:%d/%m/%Y %H:%M}",
    )


def _pairs(document: DocxDocument, rows: Sequence[tuple[str, str]]) -> None:
    table = document.add_table(rows=0, cols=2)
    table.style = "Table Grid"
    for label, value in rows:
        cells = table.add_row().cells
        _text(cells[0], label, bold=True, fill=LABEL_FILL)
        _text(cells[1], value)
    document.add_paragraph()


def _grid(document: DocxDocument, titles: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
    table = document.add_table(rows=1, cols=len(titles))
    table.style = "Table Grid"
    for cell, text in zip(table.rows[0].cells, titles, strict=True):
        _text(cell, text, bold=True, fill=HEADER_FILL, size=8)
    _repeat_header(table)
    for row in rows:
        for cell, value in zip(table.add_row().cells, row, strict=True):
            _text(cell, value, size=8)


def _clauses(document: DocxDocument, report: SupervisionReport) -> None:
    _heading(document, "1. Cláusulas de supervisión")
    if not report.clauses:
        document.add_paragraph("Ninguno de los procedimientos del informe tiene cláusula de supervisión.")
    for c in report.clauses:
        rows = [
            ("Procedimientos", ", ".join(c.procedure_codes)),
            ("Responsable de la supervisión", c.supervisor),
            ("Frecuencia", c.frequency),
        ]
        rows += [("Informe de acciones a cargo de", c.requests_from)] if c.requests_from else []
        rows += [("Se presenta a", c.reports_to)] if c.reports_to else []
        _pairs(document, [*rows, ("Texto de la ficha", c.text)])


def _figures(document: DocxDocument, report: SupervisionReport) -> None:
    _heading(document, "2. Expedientes por procedimiento")
    titles = (
        "Procedimiento",
        "Iniciados",
        "Concluidos",
        "Concluidos a tiempo",
        "Vencidos",
        "En curso al cierre",
    )
    rows = [
        (
            f"{p.code} — {p.name}" if p.name else p.code,
            *map(str, (p.started, p.concluded, p.on_time, p.overdue, p.open_at_end)),
        )
        for p in (*report.procedures, report.totals)
    ]
    _grid(document, titles, rows)
    note = document.add_paragraph(FIGURES_NOTE)
    note.runs[0].font.size = Pt(7.5)


def _open_items(document: DocxDocument, report: SupervisionReport) -> None:
    _heading(document, "3. Pendientes al cierre del periodo")
    if not report.open_items:
        document.add_paragraph("No quedaron tareas pendientes al cierre del periodo.")
        return
    rows = []
    for i in report.open_items:
        due = f"{i.due_at:%d/%m/%Y %H:%M}" + (" (vencido)" if i.overdue else "") if i.due_at else "—"
        rows.append(
            (i.case_number, i.procedure_code, i.activity, i.role, i.responsible, f"{i.since:%d/%m/%Y}", due)
        )
    titles = ("Expediente", "Procedimiento", "Actividad", "Rol", "Responsable", "Desde", "Vence")
    _grid(document, titles, rows)


def _indicators(document: DocxDocument, report: SupervisionReport) -> None:
    _heading(document, "4. Indicadores")
    if not report.indicators:
        document.add_paragraph(report.indicators_note)
        return
    rows = [
        (
            x.procedure_code,
            x.name,
            x.formula,
            x.value,
            x.baseline,
            x.target,
            f"{x.verdict}: {x.reason}" if x.reason else x.verdict,
        )
        for x in report.indicators
    ]
    titles = ("Procedimiento", "Indicador", "Fórmula", "Valor", "Línea base", "Meta", "Resultado")
    _grid(document, titles, rows)


def _evidence(document: DocxDocument, report: SupervisionReport) -> None:
    _heading(document, "5. Evidencias del periodo")
    if not report.evidence:
        document.add_paragraph("No se registraron evidencias en el periodo.")
        return
    rows = [
        (
            f"{e.at:%d/%m/%Y %H:%M}",
            e.case_number,
            e.procedure_code,
            e.activity or "—",
            e.kind,
            e.name,
            e.detail,
            e.by,
        )
        for e in report.evidence
    ]
    titles = ("Fecha", "Expediente", "Procedimiento", "Act.", "Tipo", "Evidencia", "Detalle", "Por")
    _grid(document, titles, rows)


def _audit(document: DocxDocument, report: SupervisionReport) -> None:
    _heading(document, "6. Verificación de la cadena de auditoría")
    paragraph = document.add_paragraph()
    paragraph.add_run(f"Cadena {report.audit.chain}: ").bold = True
    paragraph.add_run(report.audit.text)
    for problem in report.audit.problems:
        document.add_paragraph(problem, style="List Bullet")


def _signatures(document: DocxDocument, report: SupervisionReport) -> None:
    _heading(document, "Firmas")
    table = document.add_table(rows=1, cols=len(report.signers))
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    for cell, title in zip(table.rows[0].cells, report.signers, strict=True):
        lines = [
            "\n\n\n",
            "_" * 38,
            "Nombre: ......................................",
            title,
            "Fecha: ____/____/____",
        ]
        cell.paragraphs[0].text = ""
        for index, text in enumerate(lines):
            paragraph = cell.paragraphs[0] if index == 0 else cell.add_paragraph()
            paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
            paragraph.add_run(text)
