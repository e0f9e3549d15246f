"""
Exports of every procedure in the repository catalogue, in every format.

Each file must be well formed and must name every activity: a ficha that lost an activity on its way to
PDF would be approved by resolution without it. Texts are compared without whitespace, because PDF text
extraction and the diagram's line wrapping break names wherever a line ends.
"""

from __future__ import annotations

import io
import re
import unicodedata
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from docx import Document
from docx.oxml.ns import qn
from lxml import etree
from pypdf import PdfReader

from mapro.catalogue.definition import Definition
from mapro.catalogue.export import FORMATS, export_filename, export_procedure
from mapro.catalogue.management.commands.procedures import EXPORT_FORMATS
from mapro.catalogue.selectors import catalogue_from_repository, procedure_get
from mapro.cli import main

# Read at collection time, so each procedure is its own test case and a failure names it.
CODES = sorted(catalogue_from_repository().definitions)
SAMPLE = "PR.OTI.005"


def _squash(text: str) -> str:
    """Compatibility form (no ligatures) without any whitespace."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text))


def _pdf_text(data: bytes) -> list[str]:
    return [page.extract_text() or "" for page in PdfReader(io.BytesIO(data)).pages]


def _pdf_chunks(data: bytes) -> Iterator[str]:
    """Every page's content must decode; text is then read page by page, only as far as needed.

    pypdf takes about a tenth of a second per page of text, and the activity names all appear in the
    activities table, well before the diagram and the annexes: stopping there keeps the suite fast.
    """
    pages = PdfReader(io.BytesIO(data)).pages
    for page in pages:
        assert page.get_contents() is not None
    for page in pages:
        yield page.extract_text() or ""


def _docx_text(data: bytes) -> str:
    body = Document(io.BytesIO(data)).element.body
    return " ".join("".join(t.text or "" for t in p.iter(qn("w:t"))) for p in body.iter(qn("w:p")))


def _xml_text(data: bytes) -> str:
    """Text nodes and attribute values: BPMN keeps names in attributes, SVG in <text> elements."""
    root = etree.fromstring(data)
    attributes = (value for element in root.iter() for value in element.attrib.values())
    return " ".join([*root.itertext(), *attributes])


# Parsing is the well-formedness check; each reader yields the document's text in one or more chunks.
TEXT: dict[str, Callable[[bytes], Iterator[str]]] = {
    "pdf": _pdf_chunks,
    "docx": lambda data: iter([_docx_text(data)]),
    "svg": lambda data: iter([_xml_text(data)]),
    "bpmn": lambda data: iter([_xml_text(data)]),
}


def _missing_names(names: list[str], chunks: Iterator[str]) -> list[str]:
    """The names not found in the text, read chunk by chunk until none is missing."""
    text = ""
    missing = names
    for chunk in chunks:
        text += _squash(chunk)
        missing = [name for name in missing if _squash(name) not in text]
        if not missing:
            break
    return missing


def _definition(code: str) -> Definition:
    return procedure_get(code=code).definition


@pytest.mark.parametrize("fmt", sorted(FORMATS))
@pytest.mark.parametrize("code", CODES)
def test_export_is_well_formed_and_names_every_activity(code: str, fmt: str) -> None:
    definition = _definition(code)

    data = export_procedure(definition, fmt)

    assert data
    missing = _missing_names([a.name for a in definition.activities], TEXT[fmt](data))
    assert not missing, f"{code} ({fmt}) no menciona las actividades: {missing}"


def test_pdf_header_repeats_on_every_page() -> None:
    definition = _definition(SAMPLE)

    pages = _pdf_text(export_procedure(definition, "pdf"))

    assert len(pages) > 1
    for number, text in enumerate(pages, start=1):
        squashed = _squash(text)
        assert _squash(f"Página {number} de {len(pages)}") in squashed
        assert _squash(definition.code) in squashed
        assert _squash(f"Versión: {definition.version}") in squashed


def test_docx_tables_repeat_their_header_rows() -> None:
    document = Document(io.BytesIO(export_procedure(_definition(SAMPLE), "docx")))

    headed = [t for t in document.tables if t.rows[0].cells[0].text in ("N°", "Término", "Rol", "Registro")]
    assert len(headed) == 4
    for table in headed:
        assert table.rows[0]._tr.find(f"{qn('w:trPr')}/{qn('w:tblHeader')}") is not None


def test_docx_embeds_the_diagram_as_png() -> None:
    document = Document(io.BytesIO(export_procedure(_definition(SAMPLE), "docx")))

    images = [part for part in document.part.package.parts if part.content_type == "image/png"]
    assert images
    assert all(image.blob.startswith(b"\x89PNG") for image in images)


def test_file_name_keeps_only_safe_characters() -> None:
    definition = _definition(SAMPLE).model_copy(update={"code": "S.04 / 7.1"})

    assert export_filename(definition, "pdf") == "S_04_7_1.pdf"
    assert export_filename(_definition(SAMPLE), "docx") == "PR_OTI_005.docx"


def test_command_formats_match_the_exporters() -> None:
    assert set(EXPORT_FORMATS) == set(FORMATS)


def test_command_writes_the_file_given_with_o(tmp_path: Path) -> None:
    target = tmp_path / "ficha.pdf"
    out = io.StringIO()

    call_command("procedures", "export", SAMPLE, "--format", "pdf", "-o", str(target), stdout=out)

    assert target.read_bytes().startswith(b"%PDF")
    assert out.getvalue().strip() == str(target)


def test_command_names_the_file_after_the_code(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    out = io.StringIO()

    call_command("procedures", "export", SAMPLE, "--format", "bpmn", stdout=out)

    assert out.getvalue().strip() == "PR_OTI_005.bpmn"
    etree.parse(tmp_path / "PR_OTI_005.bpmn")


def test_command_rejects_an_unknown_code(tmp_path: Path) -> None:
    with pytest.raises(CommandError, match=r"No existe el procedimiento PR\.NO\.999"):
        call_command("procedures", "export", "PR.NO.999", "--format", "pdf", "-o", str(tmp_path / "x.pdf"))
    assert not (tmp_path / "x.pdf").exists()


def test_cli_exits_non_zero_on_an_unknown_code(capsys: pytest.CaptureFixture[str]) -> None:
    # --skip-checks: Django's system checks (URLs, models) are not what this test is about.
    with pytest.raises(SystemExit) as exit_info:
        main(["procedures", "--skip-checks", "export", "PR.NO.999", "--format", "svg"])

    assert exit_info.value.code != 0
    assert "No existe el procedimiento PR.NO.999" in capsys.readouterr().err


def test_the_ficha_says_what_runs_in_parallel_and_what_waits() -> None:
    """S04.02.00.01: 14 opens 15 and 16 at once, 17 waits for both; S.04.02.03_P's "Sí" opens 4 and 10."""
    text = _docx_text(export_procedure(_definition("S04.02.00.01"), "docx"))
    assert _squash("Continúa a la vez (en paralelo) en: Actividades 15. Desarrollar el sistema") in _squash(
        text
    )
    assert _squash("Espera a que terminen: Actividades 15. Desarrollar el sistema de información") in _squash(
        text
    )
    text = _docx_text(export_procedure(_definition("S.04.02.03_P"), "docx"))
    assert _squash("Actividades 4. Revisa scripts de BD de software a instalar y 10. Revisa los códigos") in (
        _squash(text)
    )
    text = _docx_text(export_procedure(_definition("S.04.03.02_P"), "docx"))
    assert _squash("Inicia a la vez (en paralelo) en las actividades 301, 302 y 303") in _squash(text)


def test_docx_names_every_responsible_and_how_they_share_the_activity() -> None:
    """S04.02.00.03 activity 8 (seed 002:914): "Cada coordinador de equipo informa" — both, each one."""
    text = _squash(_docx_text(export_procedure(_definition("S04.02.00.03"), "docx")))

    both = (
        "Responsable de la coordinación del equipo de innovación tecnológica; Responsable de la coordinación "
        "del equipo de infraestructura tecnológica (cada uno cumple su parte)"
    )
    assert _squash(both) in text


def test_docx_names_the_requester_as_solicitante() -> None:
    """S.04.04.02_P activity 6 (seed 004:2212): the requester's conformity, in the lane "Solicitante"."""
    text = _squash(_docx_text(export_procedure(_definition("S.04.04.02_P"), "docx")))

    assert _squash("¿Es conforme? (decide: Solicitante)") in text


def test_the_ficha_says_which_deadlines_depend_on_data_act_or_have_a_norma_and_which_steps_are_guarded() -> (
    None
):
    from mapro.catalogue.export.content import ficha_content

    qc = {t.text: t for t in ficha_content(_definition("S04.02.00.01")).time_rules}
    assert qc["de 4 a 8 interfaces: 4 días día de control de calidad"].details == [
        "Solo si: de 4 a 8 interfaces (se lee de 5 a 8) (plan_pruebas.numero_interfaces entre 5 y 8)."
    ]
    (auto_close,) = ficha_content(_definition("S.04.04.02_P")).time_rules
    assert auto_close.details[0].startswith(
        "Al vencer, el sistema toma la rama «Sin respuesta del solicitante»"
    )
    aip = next(
        t for t in ficha_content(_definition("PR.OTI.006")).time_rules if t.amount == "10 días hábiles"
    )
    assert (aip.applies_to, aip.details[0][:34]) == (
        "Todo el procedimiento",
        "Base legal: TUO de la Ley N° 27806",
    )
    continuity = ficha_content(_definition("S.04.04.01.02_P"))
    ups = next(a for a in continuity.activities if a.n == 115)
    assert any(note.startswith("Solo se realiza si: Solo aplica para traslado") for note in ups.flow)
    team = next(t for t in continuity.time_rules if t.anchor.startswith("Integrantes del equipo OTI"))
    assert team.amount == "hasta el 31 de diciembre del año en curso"
