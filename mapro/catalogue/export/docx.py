"""
The ficha de procedimiento as a Word document (python-docx), for entities that edit before they sign.

It carries the same content as the PDF (see content.py) in the same order and page orientation; the
flow diagram goes in as a PNG made by CairoSVG, because Word does not read SVG without a PNG fallback.
"""

from __future__ import annotations

import io
from collections.abc import Collection, Sequence
from dataclasses import dataclass

from docx import Document
from docx.document import Document as DocxDocument
from docx.enum.section import WD_ORIENT, WD_SECTION
from docx.enum.table import WD_CELL_VERTICAL_ALIGNMENT, WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.oxml.xmlchemy import BaseOxmlElement
from docx.section import Section
from docx.shared import Mm, Pt, RGBColor
from docx.table import Table, _Cell, _Row
from docx.text.paragraph import Paragraph

from mapro.catalogue.definition.schema import Definition

from .content import DRAFT, EMPTY, NOT_APPLICABLE, WORKING_DAYS_NOTE, Annex, FichaContent, Item, ficha_content
from .diagram import diagram_png

FONT = "Arial"
HEADER_FILL = "D9E2EF"
LABEL_FILL = "EEF2F7"
CAPTION_FILL = "B8C7DC"
GREY = RGBColor(0x33, 0x33, 0x33)
# Same margins as ficha_document.css, so the diagram parts sized by diagram.py fit here too.
MARGINS_MM = {"top": 32, "bottom": 15, "left": 15, "right": 15}
A4_MM = (210, 297)
PORTRAIT_WIDTH_MM = 180
LANDSCAPE_WIDTH_MM = 267


@dataclass(frozen=True)
class Line:
    """One paragraph inside a table cell."""

    text: str
    bold: bool = False
    small: bool = False
    italic: bool = False


Cell = str | Sequence[Line]


def ficha_docx(definition: Definition, *, annex: bool = False) -> bytes:
    content = ficha_content(definition, annex=annex)
    document = Document()
    _set_styles(document)
    _page_setup(document.sections[0], content, landscape=False)

    _front(document, content)
    _landscape(document, content)
    _activities(document, content)
    _portrait(document, content)
    _decisions(document, content)
    _time_rules(document, content)
    if content.raci and content.raci.landscape:
        _landscape(document, content)
    _raci(document, content)
    _portrait(document, content)
    _records_and_formats(document, content)
    _indicators_and_supervision(document, content)
    _diagram(document, content)
    _portrait(document, content)
    _closing(document, content)
    if content.annex is not None:
        _annex(document, content.annex)

    document.core_properties.title = f"{content.code} — {content.name}"
    document.core_properties.author = content.entity
    document.core_properties.language = "es-PE"
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


# --- document set-up ---------------------------------------------------------------------------------


def _set_styles(document: DocxDocument) -> None:
    normal = document.styles["Normal"]
    normal.font.name = FONT
    normal.font.size = Pt(9.5)
    normal.paragraph_format.space_after = Pt(3)
    # East-Asian font slot too, or Word falls back to its theme font for some characters.
    normal.element.rPr.rFonts.set(qn("w:eastAsia"), FONT)
    for name, size in (("Title", 13), ("Heading 1", 11), ("Heading 2", 10)):
        style = document.styles[name]
        style.font.name = FONT
        style.font.size = Pt(size)
        style.font.color.rgb = RGBColor(0, 0, 0)
        style.font.bold = True
        style.paragraph_format.space_before = Pt(10 if name == "Heading 1" else 6)
        style.paragraph_format.space_after = Pt(4)
        style.paragraph_format.keep_with_next = True


def _page_setup(section: Section, content: FichaContent, *, landscape: bool) -> None:
    short, long = Mm(A4_MM[0]), Mm(A4_MM[1])
    section.orientation = WD_ORIENT.LANDSCAPE if landscape else WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = (long, short) if landscape else (short, long)
    section.top_margin = Mm(MARGINS_MM["top"])
    section.bottom_margin = Mm(MARGINS_MM["bottom"])
    section.left_margin = Mm(MARGINS_MM["left"])
    section.right_margin = Mm(MARGINS_MM["right"])
    section.header_distance = Mm(8)
    _page_header(section, content, width_mm=LANDSCAPE_WIDTH_MM if landscape else PORTRAIT_WIDTH_MM)


def _page_header(section: Section, content: FichaContent, *, width_mm: float) -> None:
    """Entity, title, code, version and 'Página X de Y' on every page, as the PDF's running header."""
    header = section.header
    header.is_linked_to_previous = False
    table = header.add_table(rows=2, cols=4, width=Mm(width_mm))
    # A header must end with a paragraph: keep the empty one it starts with, after the table.
    header.paragraphs[0]._p.addprevious(table._tbl)
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    # The entity's logo goes in the first cell when the ficha is printed on its letterhead.
    logo = table.cell(0, 0).merge(table.cell(1, 0))
    _write(logo, [Line("Logotipo", small=True, italic=True)], size=7, align=WD_ALIGN_PARAGRAPH.CENTER)
    entity = table.cell(0, 1).merge(table.cell(1, 1))
    _write(entity, [Line(content.entity, bold=True)], size=8, align=WD_ALIGN_PARAGRAPH.CENTER)
    title = "FICHA DE PROCEDIMIENTO" + (f" — {DRAFT}" if content.draft else "")
    _write(table.cell(0, 2), [Line(title, bold=True)], size=10, align=WD_ALIGN_PARAGRAPH.CENTER)
    _write(table.cell(1, 2), [Line(content.name)], size=8, align=WD_ALIGN_PARAGRAPH.CENTER)
    _write(table.cell(0, 3), [Line(f"Código: {content.code}")], size=8)
    meta = table.cell(1, 3)
    _write(meta, [Line(f"Versión: {content.version}")], size=8)
    page = meta.add_paragraph()
    _compact(page)
    for text, field in (("Página ", "PAGE"), (" de ", "NUMPAGES")):
        _run(page, text, size=8)
        _field(page, field, size=8)
    _set_widths(table, [width_mm * 0.12, width_mm * 0.24, width_mm * 0.42, width_mm * 0.22])
    for row in table.rows:
        for cell in row.cells:
            cell.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.CENTER


def _field(paragraph: Paragraph, instruction: str, *, size: float) -> None:
    """A Word field (PAGE, NUMPAGES) that Word and LibreOffice compute when they lay out the pages."""
    _field_char(paragraph, "begin", size=size)
    code = OxmlElement("w:instrText")
    code.set(qn("xml:space"), "preserve")
    code.text = f" {instruction} "
    run = paragraph.add_run()
    run.font.size = Pt(size)
    run._r.append(code)
    _field_char(paragraph, "separate", size=size)
    _run(paragraph, "1", size=size)  # shown only until the field is computed
    _field_char(paragraph, "end", size=size)


def _field_char(paragraph: Paragraph, kind: str, *, size: float) -> None:
    # Every run of the field carries the size: LibreOffice formats the result like the first run.
    element = OxmlElement("w:fldChar")
    element.set(qn("w:fldCharType"), kind)
    run = paragraph.add_run()
    run.font.size = Pt(size)
    run._r.append(element)


def _landscape(document: DocxDocument, content: FichaContent) -> None:
    _new_section(document, content, landscape=True)


def _portrait(document: DocxDocument, content: FichaContent) -> None:
    _new_section(document, content, landscape=False)


def _new_section(document: DocxDocument, content: FichaContent, *, landscape: bool) -> None:
    current = document.sections[-1]
    if (current.orientation == WD_ORIENT.LANDSCAPE) == landscape:
        return
    _page_setup(document.add_section(WD_SECTION.NEW_PAGE), content, landscape=landscape)


def _width(document: DocxDocument) -> float:
    section = document.sections[-1]
    return LANDSCAPE_WIDTH_MM if section.orientation == WD_ORIENT.LANDSCAPE else PORTRAIT_WIDTH_MM


# --- sections ----------------------------------------------------------------------------------------


def _front(document: DocxDocument, content: FichaContent) -> None:
    if content.draft:
        banner = document.add_paragraph()
        banner.alignment = WD_ALIGN_PARAGRAPH.CENTER
        _run(banner, f"{DRAFT}: esta ficha no tiene documento de aprobación.", size=12, bold=True)
    title = document.add_paragraph(f"{content.code} — {content.name}", style="Title")
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _items_table(document, content.header)
    _table(
        document,
        ("", "Nombre", "Cargo", "Unidad", "Firma"),
        [([Line(s.stage, bold=True)], s.name, s.position, s.unit, "\n\n") for s in content.signatures],
        (16, 24, 26, 12, 22),
    )

    _heading(document, content, "objective")
    document.add_paragraph(content.objective)
    _heading(document, content, "scope")
    _bullets(document, content.scope)
    _heading(document, content, "legal_basis")
    _bullets(document, content.legal_basis)
    _heading(document, content, "definitions")
    _items_table(document, content.definitions, headers=("Término", "Definición"))

    _heading(document, content, "inputs")
    _table(
        document,
        ("Proveedor", "Elemento de entrada", "Obligatorio", "Tipo de dato"),
        [
            (
                row.provider,
                [
                    Line(row.element),
                    *(Line(f"• {choice}") for choice in row.choices),
                ],
                row.mandatory,
                row.type,
            )
            for row in content.inputs
        ],
        (30, 40, 12, 18),
        centred=(2,),
    )
    _heading(document, content, "outputs")
    _table(
        document,
        ("Producto o salida", "Destinatario (cliente)"),
        [(item.label, item.value) for item in content.outputs],
        (65, 35),
    )

    _heading(document, content, "roles")
    _table(
        document, ("Sigla", "Unidad de organización"), [(i.label, i.value) for i in content.units], (18, 82)
    )
    _table(
        document,
        ("Rol", "Unidad de organización", "Responsabilidades"),
        [
            (
                [Line(role.name, bold=True)],
                role.unit,
                [Line(f"• {line}") for line in role.responsibilities] or "—",
            )
            for role in content.roles
        ],
        (25, 25, 50),
    )


def _activities(document: DocxDocument, content: FichaContent) -> None:
    _heading(document, content, "activities")
    if content.flows:
        document.add_paragraph(f"El procedimiento tiene {len(content.flows)} flujos independientes:")
        _bullets(document, [f"{item.label}: {item.value}" for item in content.flows])
    rows = []
    for a in content.activities:
        description = [
            Line(a.description),
            *(Line(line, bold=True, small=True) for line in a.flow),
        ]
        rows.append(
            (
                [Line(str(a.n), bold=True)],
                [Line(a.name, bold=True), Line(a.kind, small=True)],
                description,
                [Line(a.role, bold=True), Line(a.unit, small=True)],
                [Line(r) for r in a.records] or "—",
                [Line(s) for s in a.systems] or "—",
                [Line(t) for t in a.time_limits] or "—",
            )
        )
    _table(
        document,
        ("N°", "Actividad", "Descripción", "Responsable", "Registros", "Sistema / canal", "Plazo"),
        rows,
        (4, 14, 34, 14, 12, 10, 12),
        size=8,
        centred=(0,),
    )


def _decisions(document: DocxDocument, content: FichaContent) -> None:
    _heading(document, content, "decisions")
    if not content.decisions:
        _none(document, EMPTY["decisions"])
    for block in content.decisions:
        _table(
            document,
            ("Respuesta", "Continúa en", "Observación"),
            [([Line(b.label, bold=True)], b.target, b.note or "—") for b in block.branches],
            (25, 40, 35),
            caption=f"{block.activity} — {block.question} (decide: {block.role})",
        )


def _time_rules(document: DocxDocument, content: FichaContent) -> None:
    _heading(document, content, "time_rules")
    if not content.time_rules:
        _none(document, EMPTY["time_rules"])
        return
    rows = [
        (
            [
                Line(t.text),
                *(Line(detail, small=True) for detail in t.details),
            ],
            t.applies_to,
            [Line(t.amount, bold=True)],
            t.anchor,
            t.meaning,
        )
        for t in content.time_rules
    ]
    _table(
        document,
        ("Regla (según la ficha)", "Se aplica a", "Plazo", "Se cuenta desde", "Tipo"),
        rows,
        (36, 20, 12, 20, 12),
    )
    _note(document, WORKING_DAYS_NOTE)


def _raci(document: DocxDocument, content: FichaContent) -> None:
    _heading(document, content, "raci")
    raci = content.raci
    if raci is None:
        _none(document, EMPTY["raci"])
        return
    _table(
        document,
        ("Actividad", *raci.roles),
        [(label, *([Line(letter, bold=True)] for letter in letters)) for label, letters in raci.rows],
        (raci.activity_share, *([raci.role_share] * len(raci.roles))),
        size=8,
        centred=range(1, len(raci.roles) + 1),
    )
    _note(document, "; ".join(f"{item.label} = {item.value}" for item in raci.legend) + ".")


def _records_and_formats(document: DocxDocument, content: FichaContent) -> None:
    _heading(document, content, "records")
    _table(
        document,
        ("Registro", "Actividad", "Formato", "Acceso restringido a", "Conservación"),
        [(r.name, r.activities, r.format, r.restricted_to, r.retention) for r in content.records],
        (38, 11, 21, 15, 15),
        centred=(1,),
    )
    _heading(document, content, "formats")
    if not content.formats:
        _none(document, EMPTY["formats"])
    for fmt in content.formats:
        rows = [
            (
                ("    " * f.depth) + ("↳ " if f.depth else "") + f.label,
                f.type,
                f.required,
                f.choices,
                f.help,
            )
            for f in fmt.fields
        ]
        _table(
            document,
            ("Campo", "Tipo", "Obligatorio", "Opciones", "Ayuda"),
            rows,
            (30, 13, 10, 20, 27),
            centred=(2,),
            caption=fmt.title,
        )


def _indicators_and_supervision(document: DocxDocument, content: FichaContent) -> None:
    _heading(document, content, "indicators")
    if not content.indicators:
        _none(document, EMPTY["indicators"])
    for block in content.indicators:
        _items_table(document, block.items, caption=f"Ficha de indicador: {block.name}")
    _heading(document, content, "periodicity")
    _items_table(document, [*content.periodicity, *content.supervision])


def _diagram(document: DocxDocument, content: FichaContent) -> None:
    for index, part in enumerate(content.diagram):
        same_orientation = (document.sections[-1].orientation == WD_ORIENT.LANDSCAPE) == part.landscape
        if index and same_orientation:
            document.add_page_break()
        _new_section(document, content, landscape=part.landscape)
        if index == 0:
            _heading(document, content, "diagram")
        if part.heading:
            document.add_heading(part.heading, level=2)
        picture = io.BytesIO(diagram_png(part))
        document.add_picture(picture, width=Mm(part.width_mm), height=Mm(part.height_mm))
        document.paragraphs[-1].alignment = WD_ALIGN_PARAGRAPH.CENTER
        caption = document.add_paragraph()
        caption.alignment = WD_ALIGN_PARAGRAPH.CENTER
        _run(caption, part.caption, size=8, italic=True)


def _closing(document: DocxDocument, content: FichaContent) -> None:
    _heading(document, content, "history")
    _table(
        document,
        ("Versión", "Fecha", "Descripción del cambio", "Aprobado por"),
        [(h.version, h.date, h.description, h.approved_by) for h in content.history],
        (10, 13, 50, 27),
        centred=(0, 1),
    )


def _annex(document: DocxDocument, annex: Annex) -> None:
    document.add_page_break()
    document.add_heading(annex.title, level=1)
    _note(document, annex.intro)
    document.add_heading("Inconsistencias del documento fuente", level=2)
    if annex.inconsistencies:
        document.add_paragraph(
            f"Contradicciones del documento fuente ({annex.source}) y cómo las resuelve esta ficha:"
        )
        _table(
            document,
            ("Línea", "Lo que dice el documento fuente", "Resolución"),
            [(str(i.seed_line), i.text, i.resolution) for i in annex.inconsistencies],
            (9, 45, 46),
            centred=(0,),
        )
    else:
        _none(document, EMPTY["inconsistencies"])
    document.add_heading("Notas por elemento", level=2)
    if annex.notes:
        _table(document, ("Elemento", "Nota"), [(i.label, i.value) for i in annex.notes], (35, 65))
    else:
        _none(document, EMPTY["annex_notes"])
    if annex.general:
        document.add_heading("Notas generales", level=2)
        for note in annex.general:
            document.add_paragraph(note, style="List Number")


# --- building blocks ---------------------------------------------------------------------------------


def _heading(document: DocxDocument, content: FichaContent, key: str) -> None:
    document.add_heading(content.sections[key], level=1)


def _bullets(document: DocxDocument, lines: Sequence[str]) -> None:
    if not lines:
        _none(document, NOT_APPLICABLE)
    for line in lines:
        document.add_paragraph(line, style="List Bullet")


def _none(document: DocxDocument, text: str) -> None:
    paragraph = document.add_paragraph()
    _run(paragraph, text, italic=True)


def _note(document: DocxDocument, text: str) -> None:
    paragraph = document.add_paragraph()
    _run(paragraph, text, size=8, italic=True)


def _items_table(
    document: DocxDocument,
    items: Sequence[Item],
    *,
    headers: tuple[str, str] | None = None,
    caption: str | None = None,
) -> None:
    """Label/value rows, the label column shaded like the PDF's."""
    if not items:
        _none(document, NOT_APPLICABLE)
        return
    table = _table(
        document,
        headers,
        [([Line(item.label, bold=True)], [Line(line) for line in item.value.split("\n")]) for item in items],
        (30, 70),
        caption=caption,
    )
    assert table is not None  # items is not empty
    for row in table.rows[(1 if headers else 0) + (1 if caption else 0) :]:
        _shade(row.cells[0], LABEL_FILL)


def _table(
    document: DocxDocument,
    headers: Sequence[str] | None,
    rows: Sequence[Sequence[Cell]],
    shares: Sequence[float],
    *,
    caption: str | None = None,
    size: float = 8.5,
    centred: Collection[int] = (),
) -> Table | None:
    """A bordered table whose caption and header rows repeat on every page it runs onto."""
    if not rows:
        _none(document, NOT_APPLICABLE)
        return None
    table = document.add_table(rows=0, cols=len(shares))
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    _cell_margins(table)
    if caption is not None:
        cells = table.add_row().cells
        merged = cells[0].merge(cells[-1])
        _write(merged, [Line(caption, bold=True)], size=size + 0.5)
        _shade(merged, CAPTION_FILL)
        _repeat_header(table.rows[-1])
    if headers is not None:
        cells = table.add_row().cells
        for cell, text in zip(cells, headers, strict=True):
            _write(cell, [Line(text, bold=True)], size=size)
            _shade(cell, HEADER_FILL)
        _repeat_header(table.rows[-1])
    for values in rows:
        cells = table.add_row().cells
        for i, (cell, value) in enumerate(zip(cells, values, strict=True)):
            _write(cell, value, size=size, align=WD_ALIGN_PARAGRAPH.CENTER if i in centred else None)
        _keep_row_together(table.rows[-1])
    width = _width(document)
    _set_widths(table, [width * share / 100 for share in shares])
    document.add_paragraph().paragraph_format.space_after = Pt(2)
    return table


def _write(cell: _Cell, value: Cell, *, size: float, align: WD_ALIGN_PARAGRAPH | None = None) -> None:
    lines = [Line(value)] if isinstance(value, str) else list(value)
    paragraph = cell.paragraphs[0]
    for i, line in enumerate(lines):
        if i:
            paragraph = cell.add_paragraph()
        _compact(paragraph)
        if align is not None:
            paragraph.alignment = align
        _run(paragraph, line.text, size=size - 1 if line.small else size, bold=line.bold, italic=line.italic)
        if line.small:
            paragraph.runs[-1].font.color.rgb = GREY


def _run(
    paragraph, text: str, *, size: float | None = None, bold: bool = False, italic: bool = False
) -> None:
    run = paragraph.add_run(text)
    run.bold = bold or None
    run.italic = italic or None
    if size is not None:
        run.font.size = Pt(size)


def _compact(paragraph: Paragraph) -> None:
    paragraph.paragraph_format.space_after = Pt(1)
    paragraph.paragraph_format.space_before = Pt(0)


def _set_widths(table: Table, widths_mm: Sequence[float]) -> None:
    """Fixed column widths: Word reads the cell widths, LibreOffice the grid; both are set."""
    table.autofit = False  # w:tblLayout type="fixed"
    for column, width in zip(table.columns, widths_mm, strict=True):
        column.width = Mm(width)
    for row in table.rows:
        column = 0
        for tc in row._tr.tc_lst:  # a merged cell spans several grid columns
            span = tc.grid_span
            _Cell(tc, table).width = Mm(sum(widths_mm[column : column + span]))
            column += span


def _cell_margins(table: Table) -> None:
    """The PDF's cell padding (about 1.2 × 1.5 mm); Table Grid's default leaves text on the borders."""
    margins = OxmlElement("w:tblCellMar")
    for side, twips in (("top", 40), ("left", 85), ("bottom", 40), ("right", 85)):
        element = OxmlElement(f"w:{side}")
        element.set(qn("w:w"), str(twips))
        element.set(qn("w:type"), "dxa")
        margins.append(element)
    _insert(table._tbl.tblPr, margins, before=("w:tblLook", "w:tblCaption", "w:tblDescription"))


def _shade(cell: _Cell, fill: str) -> None:
    shading = OxmlElement("w:shd")
    shading.set(qn("w:val"), "clear")
    shading.set(qn("w:color"), "auto")
    shading.set(qn("w:fill"), fill)
    before = ("w:noWrap", "w:tcMar", "w:textDirection", "w:tcFitText", "w:vAlign", "w:hideMark")
    _insert(cell._tc.get_or_add_tcPr(), shading, before=before)


def _insert(parent: BaseOxmlElement, child: BaseOxmlElement, *, before: Sequence[str]) -> None:
    """Add `child` where the OOXML schema puts it: Word rejects properties out of sequence."""
    successor = next((found for tag in before if (found := parent.find(qn(tag))) is not None), None)
    if successor is None:
        parent.append(child)
    else:
        successor.addprevious(child)


def _repeat_header(row: _Row) -> None:
    element = OxmlElement("w:tblHeader")
    element.set(qn("w:val"), "true")
    row._tr.get_or_add_trPr().append(element)


def _keep_row_together(row: _Row) -> None:
    element = OxmlElement("w:cantSplit")
    element.set(qn("w:val"), "true")
    row._tr.get_or_add_trPr().append(element)
