"""A supervision report as a PDF: a Django template laid out by WeasyPrint, with the actas' page frame."""

from __future__ import annotations

from django.template.loader import render_to_string
from weasyprint import HTML

from .supervision_content import FIGURES_NOTE, SupervisionReport

TEMPLATE = "reports/supervision.html"


def supervision_html(report: SupervisionReport) -> str:
    return render_to_string(TEMPLATE, {"r": report, "figures_note": FIGURES_NOTE})


def supervision_pdf(report: SupervisionReport) -> bytes:
    return HTML(string=supervision_html(report), base_url=".").write_pdf()
