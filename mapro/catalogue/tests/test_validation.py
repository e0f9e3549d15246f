"""
`mapro procedures validate` on broken definition files: each kind of error gives its precise message,
the file, the line and the field, and the command exits non-zero.

Fixtures are PR.OTI.005 with one deliberate fault, so every other part of the file stays valid.
"""

from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command

from mapro.catalogue.definition import load_catalogue

VALID = (Path(settings.PROCEDURES_DIR) / "mvcs" / "PR_OTI_005.yaml").read_text(encoding="utf-8")


def broken(tmp_path: Path, old: str, new: str, *, count: int = 1) -> Path:
    assert VALID.count(old) >= count, f"fixture text not found: {old!r}"
    path = tmp_path / "PR_OTI_005.yaml"
    path.write_text(VALID.replace(old, new, count), encoding="utf-8")
    return path


def line_of(path: Path, text: str) -> int:
    """Line of the last occurrence of `text` (the duplicate, when the fault is a repetition)."""
    lines = path.read_text(encoding="utf-8").splitlines()
    return max(i for i, line in enumerate(lines, 1) if text in line)


def validate(path: Path, capsys: pytest.CaptureFixture[str]) -> str:
    with pytest.raises(CommandError):
        call_command("procedures", "validate", str(path))
    return capsys.readouterr().err


TASK_3 = "    kind: task\n    role: responsable_plataforma_correo\n    records: [respaldo_pst]\n"


def call_3(extra: str, *, wait: str = "false") -> str:
    """Activity 3 of PR.OTI.005 as a call to S.04.02.02_P (in the repository), with `extra` call keys."""
    return (
        f"    kind: call\n    call: {{procedure: S.04.02.02_P, wait: {wait}{extra}}}\n"
        "    role: responsable_plataforma_correo\n    records: [respaldo_pst]\n"
    )


CASES = {
    "unknown_role": (
        "    role: analista_mesa_servicios\n    records: [correo_baja]",
        "    role: analista_de_mesa\n    records: [correo_baja]",
        "role: analista_de_mesa",
        "activities[0].role: rol desconocido: analista_de_mesa",
    ),
    "branch_to_missing_activity": (
        "    kind: task\n    role: responsable_plataforma_correo\n    systems: [Google Workspace]\n",
        "    kind: decision\n    role: responsable_plataforma_correo\n    systems: [Google Workspace]\n"
        "    decision:\n      question: ¿Se suspendió la cuenta?\n      branches:\n"
        "        - {label: Sí, goto: 3}\n        - {label: No, goto: 9}\n",
        "label: No, goto: 9",
        "activities[1].decision.branches[1].goto: la actividad 9 no existe",
    ),
    "unreachable_activity": (
        "    kind: notification\n    role: analista_mesa_servicios\n",
        "    kind: notification\n    next: 3\n    role: analista_mesa_servicios\n",
        "  - n: 2",
        "activities[1].n: la actividad 2 es inalcanzable desde el inicio",
    ),
    "loop_without_exit": (
        "    records: [respaldo_pst]\n",
        "    records: [respaldo_pst]\n    next: 2\n",
        "  - n: 2",
        "activities[1].n: bucle sin salida: desde la actividad 2 no se llega nunca al fin del procedimiento",
    ),
    "activity_number_twice": (
        "  - n: 3\n",
        "  - n: 2\n",
        "  - n: 2",
        "activities[2].n: número de actividad repetido: 2",
    ),
    "call_to_unknown_procedure": (
        "    kind: task\n    role: responsable_plataforma_correo\n    records: [respaldo_pst]\n",
        "    kind: call\n    call: {procedure: PR.OTI.999}\n    role: responsable_plataforma_correo\n"
        "    records: [respaldo_pst]\n",
        "call: {procedure: PR.OTI.999}",
        "activities[2].call.procedure: llamada a un procedimiento desconocido: PR.OTI.999",
    ),
    "time_rule_unknown_event": (
        "    anchor: recepcion_correo_baja\n    meaning: deadline\n",
        "    anchor: inicio_actividad_9\n    meaning: deadline\n",
        "anchor: inicio_actividad_9",
        "time_rules[0].anchor: evento de anclaje desconocido: inicio_actividad_9",
    ),
    "indicator_referring_to_nothing": (
        "periodicity: []\n",
        "periodicity: []\nindicators:\n  - id: bajas_a_tiempo\n    name: Bajas a tiempo\n"
        "    formula: bajas a tiempo / bajas\n    unit: Porcentaje\n    frequency: quarterly\n"
        "    target: 100%\n    responsible: oficial_seguridad\n    source: casos\n"
        "    based_on: {records: [acta_inexistente]}\n",
        "based_on: {records: [acta_inexistente]}",
        "indicators[0].based_on.records[0]: el indicador se refiere a algo que no existe: acta_inexistente",
    ),
    "indicator_with_empty_basis": (
        "periodicity: []\n",
        "periodicity: []\nindicators:\n  - id: bajas_a_tiempo\n    name: Bajas a tiempo\n"
        "    formula: bajas a tiempo / bajas\n    unit: Porcentaje\n    frequency: quarterly\n"
        "    target: 100%\n    responsible: oficial_seguridad\n    source: casos\n    based_on: {}\n",
        "  - id: bajas_a_tiempo",
        "indicators[0]: el indicador no se refiere a nada: 'based_on' está vacío",
    ),
    "unknown_field": (
        "    seed_line: 257\n",
        "    seed_line: 257\n    responsable: alguien\n",
        "responsable: alguien",
        "activities[1].responsable: campo desconocido",
    ),
    "wrong_type": (
        "    amount: 4\n",
        "    amount: cuatro\n",
        "amount: cuatro",
        "time_rules[0].amount: debe ser un número entero",
    ),
    "missing_field": (
        "    name: Deshabilitar usuario de correo electrónico\n",
        "",
        "  - n: 2",
        "activities[1].name: campo obligatorio ausente",
    ),
    # Calls that pass data (issue 11, item 6): checked against the called procedure's definition.
    "call_leaves_a_mandatory_input_unmapped": (
        TASK_3,
        call_3(""),
        "call: {procedure: S.04.02.02_P, wait: false}",
        "activities[2].call.inputs: falta la entrada obligatoria software_construido de S.04.02.02_P "
        "(Software diseñado (construido))",
    ),
    "call_maps_an_input_the_callee_lacks": (
        TASK_3,
        call_3(
            ", inputs: [{input: software_construido, source: inputs.cuenta_correo}, "
            "{input: programa, value: x}]"
        ),
        "input: programa",
        "activities[2].call.inputs[1].input: S.04.02.02_P no tiene la entrada programa",
    ),
    "call_source_no_activity_produces": (
        TASK_3,
        call_3(", inputs: [{input: software_construido, source: acta.nombre}]"),
        "source: acta.nombre",
        "activities[2].call.inputs[0].source: ninguna actividad produce el registro acta",
    ),
    "call_source_unknown_input": (
        TASK_3,
        call_3(", inputs: [{input: software_construido, source: inputs.sistema}]"),
        "source: inputs.sistema",
        "activities[2].call.inputs[0].source: el procedimiento no tiene la entrada sistema",
    ),
    "call_to_an_unknown_flow": (
        TASK_3,
        call_3(", flow: nocturno, inputs: [{input: software_construido, value: x}]"),
        "flow: nocturno",
        "activities[2].call.flow: flujo desconocido en S.04.02.02_P: nocturno (no tiene flujos)",
    ),
    "call_that_waits_produces_records": (
        TASK_3,
        call_3(", inputs: [{input: software_construido, value: x}]", wait="true"),
        "records: [respaldo_pst]",
        "activities[2].records: una llamada que espera el cierre del expediente llamado no produce registros",
    ),
    # Inputs and schedules per flow (item 7).
    "input_of_an_unknown_flow": (
        "    mandatory: true\n",
        "    mandatory: true\n    flows: [nocturno]\n",
        "flows: [nocturno]",
        "inputs[0].flows[0]: flujo desconocido: nocturno (el procedimiento no tiene flujos)",
    ),
    "periodicity_of_an_unknown_flow": (
        "periodicity: []\n",
        "periodicity:\n  - {flow: nocturno, frequency: daily, text: Cada noche}\n",
        "flow: nocturno",
        "periodicity[0].flow: flujo desconocido: nocturno (el procedimiento no tiene flujos)",
    ),
    "two_periodicities_for_the_procedure": (
        "periodicity: []\n",
        "periodicity:\n  - {frequency: daily, text: Diario}\n  - {frequency: monthly, text: Mensual}\n",
        "frequency: monthly",
        "periodicity[1].flow: el procedimiento ya tiene periodicidad: una por flujo",
    ),
}
YAML_SYNTAX = (
    "    kind: task\n    role: responsable_plataforma_correo\n    systems: [Google Workspace]\n",
    "    kind: task\n    role: [responsable_plataforma_correo\n    systems: [Google Workspace]\n",
    "systems: [Google Workspace]",
)


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_each_error_names_file_line_and_field(case, tmp_path, capsys):
    old, new, marker, message = case
    path = broken(tmp_path, old, new)

    err = validate(path, capsys)

    assert f"{path}:{line_of(path, marker)}: {message}" in err, err


def test_yaml_syntax_error_points_near_the_fault(tmp_path, capsys):
    old, new, marker = YAML_SYNTAX
    path = broken(tmp_path, old, new)

    err = validate(path, capsys)

    assert "YAML inválido" in err
    reported = int(err.split(":")[1])
    assert abs(reported - line_of(path, marker)) <= 1, err


def test_nothing_is_loaded_from_an_invalid_file(tmp_path):
    old, new, _, _ = CASES["unknown_role"]
    path = broken(tmp_path, old, new)

    catalogue = load_catalogue([path])

    assert catalogue.definitions == {}
    assert len(catalogue.errors) == 1


def test_file_name_must_match_the_code(tmp_path, capsys):
    path = tmp_path / "PR_OTI_050.yaml"
    path.write_text(VALID, encoding="utf-8")

    err = validate(path, capsys)

    assert (
        f"{path}:{line_of(path, 'code: PR.OTI.005')}: code: el archivo debe llamarse PR_OTI_005.yaml" in err
    )


def test_the_repository_catalogue_is_valid(capsys):
    call_command("procedures", "validate")

    assert capsys.readouterr().out.startswith("OK: ")


def test_cli_exits_non_zero_on_error(tmp_path):
    import subprocess
    import sys

    old, new, _, _ = CASES["unknown_role"]
    path = broken(tmp_path, old, new)

    result = subprocess.run(
        [sys.executable, "-m", "mapro.cli", "procedures", "validate", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )

    assert result.returncode != 0
    assert "rol desconocido" in result.stderr


def test_a_format_field_names_an_activity_that_produces_its_record(tmp_path, capsys):
    # Item 7: a field filled at an activity that does not produce a record of its format.
    path = broken(tmp_path, "  - id: respaldo_pst\n", "  - id: respaldo_pst\n    format: acta_respaldo\n")
    text = path.read_text(encoding="utf-8").replace(
        "periodicity: []\n",
        "periodicity: []\nformats:\n  - id: acta_respaldo\n    name: Acta de respaldo\n    fields:\n"
        "      - {id: tamano, label: Tamaño, activity: 2}\n",
    )
    path.write_text(text, encoding="utf-8")

    err = validate(path, capsys)

    line = line_of(path, "{id: tamano, label: Tamaño, activity: 2}")
    message = "la actividad 2 no produce un registro del formato acta_respaldo (lo producen: 3)"
    assert f"{path}:{line}: formats[0].fields[0].activity: {message}" in err, err
