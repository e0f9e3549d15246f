"""The ficha de procedimiento as a PDF: a Django template laid out by WeasyPrint (A4, Spanish)."""

from __future__ import annotations

import base64
from typing import Any

from django.template.loader import render_to_string
from weasyprint import HTML

from mapro.catalogue.definition.schema import Definition

from .content import EMPTY, NOT_APPLICABLE, WORKING_DAYS_NOTE, FichaContent, ficha_content
from .diagram import DiagramPart, diagram_png

TEMPLATE = "catalogue/ficha_document.html"
RACI_PORTRAIT_ROLES = 6


def ficha_pdf(definition: Definition) -> bytes:
    html = ficha_html(definition)
    return HTML(string=html, base_url=".").write_pdf()


def ficha_html(definition: Definition) -> str:
    """The document before layout; useful to inspect the markup in a browser."""
    return render_to_string(TEMPLATE, _context(ficha_content(definition)))


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
        }
        for part in content.diagram
    ]
    # Role names head the RACI columns: past six roles they only stay legible on a landscape page.
    roles = len(content.raci.roles) if content.raci else 0
    raci_landscape = roles > RACI_PORTRAIT_ROLES
    # The activity column takes what the role columns leave, but never less than a quarter of the page.
    raci_activity_width = max(25, 100 - (7 if raci_landscape else 11) * roles)
    return {
        "f": content,
        "diagram": diagram,
        "none": NOT_APPLICABLE,
        "empty": EMPTY,
        "working_days_note": WORKING_DAYS_NOTE,
        "raci_activity_width": raci_activity_width,
        "raci_page": "landscape" if raci_landscape else "portrait",
    }
