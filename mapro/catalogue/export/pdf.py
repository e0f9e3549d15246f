"""The ficha de procedimiento as a PDF: a Django template laid out by WeasyPrint (A4, Spanish)."""

from __future__ import annotations

import base64
from typing import Any

from django.template.loader import render_to_string
from weasyprint import HTML

from mapro.catalogue.definition.schema import Definition

from .content import DRAFT, EMPTY, NOT_APPLICABLE, WORKING_DAYS_NOTE, FichaContent, ficha_content
from .diagram import DiagramPart, diagram_png

TEMPLATE = "catalogue/ficha_document.html"


def ficha_pdf(definition: Definition, *, annex: bool = False) -> bytes:
    html = ficha_html(definition, annex=annex)
    return HTML(string=html, base_url=".").write_pdf()


def ficha_html(definition: Definition, *, annex: bool = False) -> str:
    """The document before layout; useful to inspect the markup in a browser."""
    return render_to_string(TEMPLATE, _context(ficha_content(definition, annex=annex)))


def _data_uri(part: DiagramPart) -> str:
    if part.raster:
        return "data:image/png;base64," + base64.b64encode(diagram_png(part)).decode("ascii")
    return "data:image/svg+xml;base64," + base64.b64encode(part.svg.encode()).decode("ascii")


def _context(content: FichaContent) -> dict[str, Any]:
    diagram = [
        {
            "uri": _data_uri(part),
            # Explicit millimetres (not localised decimals): the part is sized to fit its page.
            "size": f"width: {part.width_mm:.1f}mm; height: {part.height_mm:.1f}mm",
            "landscape": part.landscape,
            "caption": part.caption,
            "heading": part.heading,
        }
        for part in content.diagram
    ]
    return {
        "f": content,
        "draft": DRAFT,
        "diagram": diagram,
        "none": NOT_APPLICABLE,
        "empty": EMPTY,
        "working_days_note": WORKING_DAYS_NOTE,
        # A plain "NN%" string: a float in the template would be localised to "NN,N".
        "raci_activity_width": f"{content.raci.activity_share:.0f}%" if content.raci else "",
        "raci_page": "landscape" if content.raci and content.raci.landscape else "portrait",
    }
