"""An acta as a Word document (python-docx): the PDF's content, for entities that edit before they sign."""

from __future__ import annotations

import io

from docx import Document
from docx.document import Document as DocxDocument
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt
from docx.table import Table, _Cell

from .content import BLANK, Acta, ActaField

FONT = "Arial"
HEADER_FILL = "D9E2EF"
LABEL_FILL = "EEF2F7"


def acta_docx(acta: Acta) -> bytes:
    document = Document()
    _page(document)
    _header(document, acta)
    title = document.add_paragraph()
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    run = title.add_run(f"{acta.code}: {acta.name.upper()}" if acta.code else acta.name.upper())
    run.bold, run.font.size = True, Pt(12)
    _facts(document, acta)
    _fields(document, acta.fields)
    if acta.evidence:
        _heading(document, "Evidencias adjuntas")
        for item in acta.evidence:
            document.add_paragraph(item, style="List Bullet")
    _records(document, acta)
    _signatures(document, acta)
    note = document.add_paragraph(
        f"Documento generado por mapro el {acta.generated_at:%d/%m/%Y %H:%M} a partir de los registros del "
        f"expediente {acta.case_number}. Un campo sin registro aparece como «{BLANK}»."
    )
    note.runs[0].font.size = Pt(7.5)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def _page(document: DocxDocument) -> None:
    style = document.styles["Normal"]
    style.font.name, style.font.size = FONT, Pt(9.5)
    section = document.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin, section.bottom_margin = Mm(15), Mm(18)
    section.left_margin = section.right_margin = Mm(15)


def _header(document: DocxDocument, acta: Acta) -> None:
    """Entity, format and case in the page header: repeated on every page, as in the PDF."""
    page_header(
        document,
        width=Mm(180),
        entity=f"{acta.entity_name}\n{acta.entity_code}",
        title=acta.code.upper() if acta.code else "FORMATO",
        corner=f"Expediente\n{acta.case_number}",
        subtitle=f"{acta.procedure_code} — {acta.procedure_name}",
        foot=f"Versión {acta.procedure_version}",
    )


def page_header(
    document: DocxDocument, *, width: Mm, entity: str, title: str, corner: str, subtitle: str, foot: str
) -> None:
    """The header table of every page of mapro's documents: the entity on the left over two rows, the title
    over the subtitle in the middle, the corner text over the foot on the right."""
    header = document.sections[0].header
    table = header.add_table(rows=2, cols=3, width=width)
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    _text(table.cell(0, 0).merge(table.cell(1, 0)), entity, bold=True, center=True, size=8)
    _text(table.cell(0, 1), title, bold=True, center=True, size=9)
    _text(table.cell(0, 2), corner, center=True, size=8)
    _text(table.cell(1, 1), subtitle, center=True, size=8)
    _text(table.cell(1, 2), foot, center=True, size=8)
    header.paragraphs[0].text = ""


def _facts(document: DocxDocument, acta: Acta) -> None:
    rows = [
        ("Entidad", f"{acta.entity_name} ({acta.entity_code})"),
        (
            "Procedimiento",
            f"{acta.procedure_code} — {acta.procedure_name} (versión {acta.procedure_version})",
        ),
        ("Expediente", f"{acta.case_number} · {acta.case_status}"),
        ("Formato", acta.title),
    ]
    table = document.add_table(rows=0, cols=2)
    table.style = "Table Grid"
    for label, value in rows:
        cells = table.add_row().cells
        _text(cells[0], label, bold=True, fill=LABEL_FILL)
        _text(cells[1], value)
    _widths(table, (45, 135))
    document.add_paragraph()


def _fields(document: DocxDocument, fields: tuple[ActaField, ...]) -> None:
    table = document.add_table(rows=1, cols=4)
    table.style = "Table Grid"
    for cell, text in zip(
        table.rows[0].cells, ("Nro", "Campo", "Valor registrado", "Registrado en"), strict=True
    ):
        _text(cell, text, bold=True, fill=HEADER_FILL)
    _repeat_header(table)
    for field in fields:
        cells = table.add_row().cells
        _text(cells[0], field.number, center=True)
        _text(cells[1], field.label, fill=LABEL_FILL)
        _text(cells[3], field.source.text if field.source else "", size=7.5)
        if field.table is None:
            _text(cells[2], field.text)
            continue
        cells[2].paragraphs[0].text = ""
        inner = cells[2].add_table(rows=1, cols=len(field.table.columns))
        inner.style = "Table Grid"
        for cell, column in zip(inner.rows[0].cells, field.table.columns, strict=True):
            _text(cell, column, bold=True, fill=LABEL_FILL, size=8)
        for row in field.table.rows or ((BLANK,) * len(field.table.columns),):
            for cell, value in zip(inner.add_row().cells, row, strict=True):
                _text(cell, value, size=8)
    _widths(table, (14, 54, 68, 44))
    document.add_paragraph()


def _records(document: DocxDocument, acta: Acta) -> None:
    _heading(document, "Registros del expediente")
    table = document.add_table(rows=1, cols=5)
    table.style = "Table Grid"
    titles = ("Registro", "Actividad", "Fecha efectiva", "Registrado el", "Por")
    for cell, text in zip(table.rows[0].cells, titles, strict=True):
        _text(cell, text, bold=True, fill=LABEL_FILL, size=8)
    for line in acta.records:
        source = line.source
        activity = f"{source.activity}. {source.activity_name}" if source.activity else BLANK
        values = (
            line.name,
            activity,
            f"{source.effective_date:%d/%m/%Y}",
            f"{source.recorded_at:%d/%m/%Y %H:%M}",
            source.by,
        )
        for cell, value in zip(table.add_row().cells, values, strict=True):
            _text(cell, value, size=8)


def _signatures(document: DocxDocument, acta: Acta) -> None:
    _heading(document, "Firmas")
    columns = 2 if len(acta.signers) > 1 else 1
    table = document.add_table(rows=0, cols=columns)
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    for start in range(0, len(acta.signers), columns):
        cells = table.add_row().cells
        for cell, signer in zip(cells, acta.signers[start : start + columns], strict=False):
            date = f"{signer.source.effective_date:%d/%m/%Y}" if signer.source else "____/____/________"
            lines = [
                ("\n\n\n", False),
                ("_" * 38, False),
                (signer.name or "Nombre: ......................................", True),
                (signer.title, False),
                (f"Fecha: {date}", False),
            ]
            cell.paragraphs[0].text = ""
            for index, (text, bold) in enumerate(lines):
                paragraph = cell.paragraphs[0] if index == 0 else cell.add_paragraph()
                paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
                run = paragraph.add_run(text)
                run.bold = bold


def _heading(document: DocxDocument, text: str) -> None:
    paragraph = document.add_paragraph()
    paragraph.paragraph_format.space_before = Pt(8)
    run = paragraph.add_run(text)
    run.bold, run.font.size = True, Pt(10.5)


def _text(
    cell: _Cell,
    text: str,
    *,
    bold: bool = False,
    center: bool = False,
    fill: str | None = None,
    size: float = 0,
) -> None:
    cell.text = ""
    for index, line in enumerate(text.split("\n")):
        paragraph = cell.paragraphs[0] if index == 0 else cell.add_paragraph()
        if center:
            paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
        run = paragraph.add_run(line)
        run.bold = bold
        if size:
            run.font.size = Pt(size)
    if fill:
        shading = OxmlElement("w:shd")
        shading.set(qn("w:val"), "clear")
        shading.set(qn("w:fill"), fill)
        cell._tc.get_or_add_tcPr().append(shading)


def _widths(table: Table, millimetres: tuple[int, ...]) -> None:
    for row in table.rows:
        for cell, width in zip(row.cells, millimetres, strict=True):
            cell.width = Mm(width)


def _repeat_header(table: Table) -> None:
    row = table.rows[0]._tr.get_or_add_trPr()
    flag = OxmlElement("w:tblHeader")
    flag.set(qn("w:val"), "true")
    row.append(flag)
