"""An acta as a PDF: a Django template laid out by WeasyPrint (A4, Spanish), as the ficha is."""

from __future__ import annotations

from django.template.loader import render_to_string
from weasyprint import HTML

from .content import BLANK, Acta

TEMPLATE = "reports/acta.html"


def acta_html(acta: Acta) -> str:
    """The document before layout; useful to inspect the markup in a browser."""
    return render_to_string(TEMPLATE, {"a": acta, "blank": BLANK})


def acta_pdf(acta: Acta) -> bytes:
    return HTML(string=acta_html(acta), base_url=".").write_pdf()
