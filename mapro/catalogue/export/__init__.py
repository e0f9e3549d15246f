"""
Exports of a procedure definition: the BPMN 2.0 model, the flow diagram and the ficha document.

Process analysts send these to be approved by resolution (PDF, DOCX) or to open in a BPMN modeller
(BPMN, SVG). Every export is a pure function of the definition: no database, no request.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from mapro.catalogue.compiler import compile_bpmn, render_svg
from mapro.catalogue.definition.schema import Definition
from mapro.core.errors import ApplicationError

from .docx import ficha_docx
from .pdf import ficha_pdf


@dataclass(frozen=True)
class ExportFormat:
    name: str
    extension: str
    content_type: str
    render: Callable[..., bytes]
    description: str
    annex: bool = False  # whether the format can carry the "Notas de modelado" annex (the fichas)


def _text(render: Callable[[Definition], str]) -> Callable[[Definition], bytes]:
    return lambda definition: render(definition).encode("utf-8")


FORMATS: dict[str, ExportFormat] = {
    f.name: f
    for f in (
        ExportFormat("bpmn", "bpmn", "application/xml", _text(compile_bpmn), "modelo BPMN 2.0"),
        ExportFormat("svg", "svg", "image/svg+xml", _text(render_svg), "diagrama de flujo"),
        ExportFormat("pdf", "pdf", "application/pdf", ficha_pdf, "ficha de procedimiento en PDF", annex=True),
        ExportFormat(
            "docx",
            "docx",
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            ficha_docx,
            "ficha de procedimiento en Word",
            annex=True,
        ),
    )
}


class UnknownExportFormatError(ApplicationError):
    def __init__(self, fmt: str) -> None:
        super().__init__(f"Formato de exportación desconocido: {fmt}. Use uno de: {', '.join(FORMATS)}.")
        self.format = fmt


def export_format(fmt: str) -> ExportFormat:
    try:
        return FORMATS[fmt]
    except KeyError:
        raise UnknownExportFormatError(fmt) from None


def export_procedure(definition: Definition, fmt: str, *, annex: bool = False) -> bytes:
    """The export as bytes; `annex` adds the "Notas de modelado" to a ficha (PDF, DOCX), off by default."""
    spec = export_format(fmt)
    return spec.render(definition, annex=True) if annex and spec.annex else spec.render(definition)


def export_filename(definition: Definition, fmt: str) -> str:
    """'PR.OTI.005' → 'PR_OTI_005.pdf': codes hold dots, slashes and spaces, file names should not."""
    stem = re.sub(r"[^A-Za-z0-9_-]+", "_", definition.code).strip("_")
    return f"{stem}.{export_format(fmt).extension}"


__all__ = [
    "FORMATS",
    "ExportFormat",
    "UnknownExportFormatError",
    "export_filename",
    "export_format",
    "export_procedure",
]
