"""
Definition files that `mapro procedures validate` once accepted and that then broke at load or at run time
(issue 10, item 3), and inputs that ended the validator with a traceback. Each is refused now with
`file:line: field: message`, in Spanish, and the command exits non-zero.

Fixtures are PR.OTI.005 with one deliberate fault, as in test_validation.py.
"""

from __future__ import annotations

import datetime as dt
import re
import shutil
import time
from pathlib import Path

import pytest
from django.conf import settings

from mapro.catalogue.definition import load_catalogue
from mapro.catalogue.definition.loader import MAX_DEPTH, MAX_FILE_BYTES
from mapro.catalogue.definition.schema import TimeUnit
from mapro.catalogue.definition.validation import MAX_AMOUNT
from mapro.catalogue.services import CatalogueInvalidError, procedure_versions_load
from mapro.deadlines.calendar import LIMA, WorkCalendar, due_at

from .test_validation import VALID, broken, line_of, validate

PROCEDURES = Path(settings.PROCEDURES_DIR)


def reported(path: Path, line: int, field: str, message: str) -> str:
    return f"{path}:{line}: {field}: {message}" if field else f"{path}:{line}: {message}"


# --- calls in a cycle ------------------------------------------------------------------------------------

CALL_003 = (
    "    kind: notification\n    role: especialista_cc\n",
    "    kind: call\n    call: {procedure: S.04.02.02_P, wait: false,"
    " inputs: [{input: software_construido, value: x}]}\n"
    "    role: especialista_cc\n",
)


def s_04_02_03_calling(tmp_path: Path, old: str, new: str) -> Path:
    """S.04.02.03_P whose first activity is a call (wait: false, its request is the activity's records)."""
    text = (PROCEDURES / "senace" / "S_04_02_03_P.yaml").read_text(encoding="utf-8")
    assert text.count(old) == 1
    path = tmp_path / "S_04_02_03_P.yaml"
    path.write_text(text.replace(old, new), encoding="utf-8")
    return path


def test_a_call_cycle_through_the_repository_is_refused(tmp_path, capsys):
    # S.04.02.02_P (in the repository) calls S.04.02.03_P: 03 calling 02 would start child cases for ever.
    path = s_04_02_03_calling(tmp_path, *CALL_003)

    err = validate(path, capsys)

    line = line_of(path, "call: {procedure: S.04.02.02_P")
    message = (
        "llamadas en ciclo: S.04.02.03_P → S.04.02.02_P → S.04.02.03_P "
        "(un procedimiento no puede volver a llamarse)"
    )
    assert reported(path, line, "activities[0].call.procedure", message) in err, err


def test_a_call_cycle_among_files_validated_together_is_refused(tmp_path):
    # S.04.02.01_P calls 02, which calls 03; 03 calling 01 closes a cycle of three procedures.
    for name in ("S_04_02_01_P.yaml", "S_04_02_02_P.yaml"):
        shutil.copy(PROCEDURES / "senace" / name, tmp_path / name)
    s_04_02_03_calling(
        tmp_path,
        CALL_003[0],
        "    kind: call\n    call: {procedure: S.04.02.01_P, wait: false,"
        " inputs: [{input: requerimiento, value: x}]}\n"
        "    role: especialista_cc\n",
    )

    catalogue = load_catalogue([tmp_path])

    messages = [str(e) for e in catalogue.errors]
    assert len(messages) == 3, messages
    assert all("llamadas en ciclo" in m and ".call.procedure: " in m for m in messages), messages
    assert catalogue.definitions == {}


@pytest.mark.django_db
def test_a_call_cycle_through_the_loaded_catalogue_is_not_loaded(tmp_path):
    procedure_versions_load()  # S.04.02.02_P, which calls S.04.02.03_P, is in the database
    path = s_04_02_03_calling(tmp_path, *CALL_003)
    catalogue = load_catalogue([path], known_codes={"S.04.02.02_P"})  # validated as if 02 had no calls
    assert catalogue.ok, catalogue.errors

    with pytest.raises(
        CatalogueInvalidError, match=re.escape("llamadas en ciclo: S.04.02.03_P → S.04.02.02_P")
    ):
        procedure_versions_load(catalogue=catalogue)


@pytest.mark.django_db
def test_a_call_to_a_procedure_not_loaded_is_not_loaded(tmp_path):
    # Validated against codes said to exist, loaded into a database that lacks them: the case would fail
    # when it reached the call. (A code no database of the suite holds: other tests load the catalogue.)
    path = broken(
        tmp_path,
        "    kind: task\n    role: responsable_plataforma_correo\n    records: [respaldo_pst]\n",
        "    kind: call\n    call: {procedure: PR.OTI.999}\n    role: responsable_plataforma_correo\n",
    )
    catalogue = load_catalogue([path], known_codes={"PR.OTI.999"})

    with pytest.raises(
        CatalogueInvalidError, match=re.escape("llamada a un procedimiento no cargado: PR.OTI.999")
    ):
        procedure_versions_load(catalogue=catalogue)


# --- numbers -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "field", "message"),
    [
        ("100000000", "time_rules[1].amount", "plazo de 100000000 días calendario: el máximo es 3660"),
        ("1000000000000000000000000000000", "time_rules[1].amount", "número demasiado grande"),
        ("1e30", "time_rules[1].amount", "número demasiado grande"),
    ],
    ids=["100M_days", "10^30", "float_10^30"],
)
def test_an_absurd_time_amount_is_refused(amount, field, message, tmp_path, capsys):
    path = broken(tmp_path, "    amount: 7\n", f"    amount: {amount}\n")

    err = validate(path, capsys)

    assert reported(path, line_of(path, f"amount: {amount}"), field, message) in err, err


@pytest.mark.parametrize("unit", list(TimeUnit))
def test_the_longest_term_allowed_is_computed_at_once(unit):
    """Each unit's maximum gives a date inside the calendar, in well under a second (the bound's reason)."""
    anchor = dt.datetime(2026, 12, 30, 18, 0, tzinfo=LIMA)
    started = time.perf_counter()

    due = due_at(anchor, MAX_AMOUNT[unit], unit.value, WorkCalendar())

    assert time.perf_counter() - started < 1
    assert anchor < due < anchor + dt.timedelta(days=366 * 11)


def test_an_activity_number_beyond_the_database_integer_is_refused(tmp_path, capsys):
    path = broken(tmp_path, "  - n: 4\n", "  - n: 3000000000\n")
    path.write_text(path.read_text(encoding="utf-8").replace("activity: 4\n", "activity: 3000000000\n"))

    err = validate(path, capsys)

    line = line_of(path, "- n: 3000000000")
    assert reported(path, line, "activities[3].n", "debe ser menor o igual que 9999") in err, err


# --- YAML aliases and file size ----------------------------------------------------------------------------


def laughs(levels: int, width: int = 10) -> str:
    """The 'billion laughs': each level an alias list of the one before, width**levels strings in all."""
    lines = ['lol0: &l0 "lol"']
    for level in range(1, levels):
        aliases = ", ".join([f"*l{level - 1}"] * width)
        lines.append(f"lol{level}: &l{level} [{aliases}]")
    return VALID + "\n".join(lines) + "\n"


def test_yaml_anchors_and_aliases_are_refused_at_once(tmp_path, capsys):
    path = tmp_path / "PR_OTI_005.yaml"
    path.write_text(laughs(9), encoding="utf-8")  # 10**8 strings once expanded
    started = time.perf_counter()

    err = validate(path, capsys)

    assert time.perf_counter() - started < 5
    message = "no se admiten anclas YAML (&l0): escriba el valor"
    assert reported(path, line_of(path, "lol0: &l0"), "lol0", message) in err, err


def test_an_alias_alone_is_refused_with_its_field(tmp_path, capsys):
    # ruamel keeps anchors of its own; an alias written by hand is what a careless copy produces.
    path = broken(
        tmp_path,
        "    role: analista_mesa_servicios\n    records: [correo_baja]",
        "    role: *rol\n    records: [correo_baja]",
    )

    err = validate(path, capsys)

    message = "no se admiten alias YAML (*rol): escriba el valor"
    assert reported(path, line_of(path, "role: *rol"), "activities[0].role", message) in err, err


def test_the_catalogue_uses_no_anchors_or_aliases():
    assert load_catalogue([PROCEDURES]).ok  # the screen runs on every file


def test_a_file_over_the_size_limit_is_refused_unread(tmp_path, capsys):
    path = tmp_path / "PR_OTI_005.yaml"
    path.write_text(VALID + "notes:\n" + "  - relleno\n" * (MAX_FILE_BYTES // 12 + 1), encoding="utf-8")

    err = validate(path, capsys)

    assert reported(path, 1, "", "el archivo supera el máximo de 1.000.000 bytes") in err, err


# --- characters --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("new_name", "message"),
    [
        ('"Deshabilitar\\0usuario"', "carácter de control no permitido (U+0000)"),
        ("Deshabilitar\x00usuario", "carácter de control no permitido (U+0000)"),
        ("Deshabilitar\x1busuario", "carácter de control no permitido (U+001B)"),
        ('"Deshabilitar\\x85usuario"', "carácter de control no permitido (U+0085)"),
        ('"   "', "no puede estar vacío"),
        ('""', "no puede estar vacío"),
        ('"\\u200b"', "carácter invisible o no imprimible no permitido (U+200B)"),
        ("Deshabilitar\u200busuario", "carácter invisible o no imprimible no permitido (U+200B)"),
        ("Deshabilitar\u202eusuario", "carácter invisible o no imprimible no permitido (U+202E)"),
        ('"\\u3000\\u00a0"', "no puede estar vacío"),
    ],
    ids=[
        "escaped_nul",
        "raw_nul",
        "raw_escape",
        "escaped_c1",
        "blank",
        "empty",
        "zero_width_only",
        "zero_width_inside",
        "bidi_override",
        "unicode_spaces",
    ],
)
def test_control_empty_and_invisible_names_are_refused(new_name, message, tmp_path, capsys):
    path = broken(
        tmp_path,
        "    name: Deshabilitar usuario de correo electrónico\n",
        f"    name: {new_name}\n",
    )

    err = validate(path, capsys)

    line = line_of(path, "- n: 2") + 1
    assert reported(path, line, "activities[1].name", message) in err, err


def test_an_empty_role_name_is_refused(tmp_path):
    path = broken(tmp_path, "    name: Usuario de Correo Electrónico\n", "    name: ' '\n")

    (error,) = load_catalogue([path]).errors

    assert str(error).endswith("roles[5].name: no puede estar vacío"), error


# --- keys given twice --------------------------------------------------------------------------------------


def test_a_key_given_twice_names_both_lines(tmp_path, capsys):
    path = broken(
        tmp_path,
        "    role: analista_mesa_servicios\n",
        "    role: analista_mesa_servicios\n    role: oficial_seguridad\n",
    )

    err = validate(path, capsys)

    first = line_of(path, "role: analista_mesa_servicios")
    message = f"clave repetida: 'role' ya aparece en la línea {first}"
    assert reported(path, first + 1, "activities[0].role", message) in err, err


def test_a_key_given_twice_beside_another_error_is_reported_without_traceback(tmp_path, capsys):
    path = broken(
        tmp_path,
        "    role: analista_mesa_servicios\n    records: [correo_baja]",
        "    role: analista_de_mesa\n    records: [correo_baja]\n    records: [correo_baja]",
    )

    err = validate(path, capsys)

    first = line_of(path, "records: [correo_baja]") - 1
    assert f"activities[0].records: clave repetida: 'records' ya aparece en la línea {first}" in err, err


# --- nesting -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "nested",
    ["[" * 50_000 + "]" * 50_000, "{a: " * 50_000 + "x" + "}" * 50_000, "\n  " + "- " * 3_000 + "x"],
    ids=["flow_lists_50000", "flow_maps_50000", "block_lists_3000"],
)
def test_deep_nesting_is_refused_before_it_is_built(nested, tmp_path, capsys):
    path = tmp_path / "PR_OTI_005.yaml"
    path.write_text(VALID + f"anidado: {nested}\n", encoding="utf-8")
    started = time.perf_counter()

    err = validate(path, capsys)

    assert time.perf_counter() - started < 5
    line = line_of(path, "anidado: ") + (1 if nested.startswith("\n") else 0)
    pattern = (
        rf"{re.escape(str(path))}:{line}: anidado(\.a|\[0\])*: anidamiento de más de {MAX_DEPTH} niveles"
    )
    assert re.search(pattern, err), err


def test_a_yaml_tag_for_binary_data_is_refused(tmp_path, capsys):
    path = broken(tmp_path, "    seed_line: 257\n", "    seed_line: !!binary AAAA\n")

    err = validate(path, capsys)

    message = "etiqueta YAML no permitida: tag:yaml.org,2002:binary"
    assert reported(path, line_of(path, "!!binary"), "activities[1].seed_line", message) in err, err


def test_invalid_utf8_names_its_line(tmp_path, capsys):
    path = tmp_path / "PR_OTI_005.yaml"
    data = VALID.encode()
    at = data.index(b"Deshabilitar usuario")
    path.write_bytes(data[:at] + b"\xff" + data[at + 1 :])

    err = validate(path, capsys)

    line = data.count(b"\n", 0, at) + 1
    assert reported(path, line, "", "el archivo no está en UTF-8 (byte inválido en esta línea)") in err, err
