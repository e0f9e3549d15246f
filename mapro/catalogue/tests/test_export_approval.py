"""
The ficha as a document submitted for approval by resolution (issue 13, item 7).

The body carries no working notes (they go to the "Notas de modelado" annex, off by default), a ficha
without its approving document says BORRADOR, the approval table (Elaborado / Revisado / Aprobado) and
the logo slot are there, and a procedure with several flows gets one diagram per flow. Content is checked
on `ficha_content` and the HTML before layout; one small DOCX goes through the command line.
"""

from __future__ import annotations

import dataclasses
import io
import re
from pathlib import Path

import pytest
from django.core.management import call_command
from docx import Document

from mapro.catalogue.export.content import ANNEX_TITLE, DRAFT, ficha_content
from mapro.catalogue.export.diagram import flow_definition
from mapro.catalogue.export.pdf import ficha_html
from mapro.catalogue.export.scrub import scrub_text
from mapro.catalogue.selectors import catalogue_from_repository

SMALL = "PR.OTI.005"  # approved by a Resolución Directoral; one inconsistency-laden activity note
MULTI = "S.04.04.01.02_P"  # seven flows, no approving document, many seed notes
WORKING = re.compile(r"\bseed\b|\(\*\)", re.IGNORECASE)


@pytest.fixture(scope="module")
def definitions():
    catalogue = catalogue_from_repository()
    return {code: catalogue.definitions[code].definition for code in (SMALL, MULTI)}


def _texts(value: object, *, skip: tuple[str, ...] = ("diagram", "annex")) -> list[str]:
    """Every text of a content value, outside the fields in `skip`."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, list | tuple):
        return [t for v in value for t in _texts(v, skip=skip)]
    if isinstance(value, dict):
        return [t for v in value.values() for t in _texts(v, skip=skip)]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        fields = (f.name for f in dataclasses.fields(value) if f.name not in skip)
        return [t for name in fields for t in _texts(getattr(value, name), skip=skip)]
    return []


def test_multi_flow_draft_keeps_working_notes_in_the_annex_and_draws_one_diagram_per_flow(definitions):
    d = definitions[MULTI]
    body = ficha_content(d)
    assert body.annex is None  # off by default
    assert not [t for t in _texts(body) if WORKING.search(t)]
    assert not any(a.note for a in body.activities)
    # No approving document: a draft, whatever `status` says; never "Aprobado" beside "—".
    header = {item.label: item.value for item in body.header}
    assert d.status == "aprobado" and d.approved_by is None
    assert body.draft and header["Estado"].startswith("Borrador")
    assert header["Documento de aprobación"] == "Pendiente"
    # The seed's approval table, filled from `signatories` (three preparers, one reviewer, one approver).
    assert [(s.stage, s.name) for s in body.signatures] == [
        ("Elaborado por", "Luis Espinoza"),
        ("Elaborado por", "Jaime Enero"),
        ("Elaborado por", "Lenin Chiara"),
        ("Revisado por", "Mariella Lovera"),
        ("Aprobado por", "Joanna Fischer"),
    ]

    # One diagram per flow, each starting with the flow's heading; the flows together draw every activity.
    headings = [p.heading for p in body.diagram if p.heading]
    assert headings == [f"Flujo {n}: {f.name}" for n, f in enumerate(d.flows, start=1)]
    drawn = [{a.n for a in flow_definition(d, f.id).activities} for f in d.flows]
    assert set().union(*drawn) == {a.n for a in d.activities}
    assert all(len(flow) < len(d.activities) for flow in drawn)  # never the whole procedure at once
    assert not drawn[0] & {a.n for a in d.activities if a.n >= 300}  # apagado draws no backup step

    annexed = ficha_content(d, annex=True).annex
    assert annexed is not None
    assert len(annexed.inconsistencies) == len(d.inconsistencies)
    assert annexed.general == d.notes
    notes = {item.value for item in annexed.notes}
    assert {a.note for a in d.activities if a.note} <= notes
    assert any(WORKING.search(v) for v in notes)  # remarks cut from the body's texts are listed


def test_approved_ficha_html_has_logo_slot_approval_table_and_no_annex(definitions):
    html = ficha_html(definitions[SMALL])
    assert "logo-slot" in html and "Elaborado por" in html and "Aprobado por" in html
    # No signatories in PR.OTI.005: one blank row per stage, to sign by hand.
    assert [(s.stage, s.name) for s in ficha_content(definitions[SMALL]).signatures] == [
        ("Elaborado por", ""),
        ("Revisado por", ""),
        ("Aprobado por", ""),
    ]
    assert DRAFT not in html and ANNEX_TITLE not in html and "Inconsistencias" not in html
    assert "Resolución Directoral N° 008-2022-VIVIENDA/OGEI" in html
    with_annex = ficha_html(definitions[SMALL], annex=True)
    assert ANNEX_TITLE in with_annex and "Inconsistencias del documento fuente" in with_annex


def test_command_adds_the_annex_only_when_asked(tmp_path: Path) -> None:
    texts = {}
    for name, flags in (("plain", []), ("annex", ["--notas-de-modelado"])):
        out = tmp_path / f"{name}.docx"
        call_command("procedures", "export", SMALL, "--format", "docx", "-o", str(out), *flags)
        texts[name] = "\n".join(p.text for p in Document(io.BytesIO(out.read_bytes())).paragraphs)
    assert ANNEX_TITLE not in texts["plain"]
    assert ANNEX_TITLE in texts["annex"] and "Notas por elemento" in texts["annex"]


@pytest.mark.parametrize(
    ("text", "kept", "removed"),
    [
        (
            "Toma de conocimiento del Jefe(a) (el seed no da descripción). Fin de procedimiento.",
            "Toma de conocimiento del Jefe(a). Fin de procedimiento.",
            ["(el seed no da descripción)"],
        ),
        (
            "Recibe copia del requerimiento (7.2.2 a); el seed no le asigna otra acción.",
            "Recibe copia del requerimiento (7.2.2 a).",
            ["el seed no le asigna otra acción."],
        ),
        ("¿Es conforme? Sí: Cierra el ticket(*).", "¿Es conforme? Sí: Cierra el ticket.", []),
        ("Ejemplo del seed: OTI", "Ejemplo: OTI", []),
        ("Sin notas (OTI).", "Sin notas (OTI).", []),
    ],
)
def test_scrub_cuts_seed_remarks_and_keeps_the_rest(text: str, kept: str, removed: list[str]) -> None:
    assert scrub_text(text) == (kept, removed)


def test_diagram_labels_break_compounds_between_their_words() -> None:
    from mapro.catalogue.compiler.text import text_width, wrap

    width = text_width("Checklist de", 11)
    assert wrap("Checklist de apagado-encendido", width, 11) == ["Checklist de", "apagado-", "encendido"]
    assert wrap("requerimiento/incidente", text_width("requerimiento/inc", 11), 11) == [
        "requerimiento/",
        "incidente",
    ]
