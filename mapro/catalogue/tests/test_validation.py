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
    "guard_on_an_undeclared_input": (
        "    systems: [Google Workspace]\n    seed_line: 257\n",
        "    systems: [Google Workspace]\n    when: {data: inputs.nada, equals: true}\n    seed_line: 257\n",
        "when: {data: inputs.nada",
        "activities[1].when.data: la entrada nada no está declarada en 'inputs'",
    ),
    "guard_on_a_record_without_that_field": (
        "    systems: [Google Workspace]\n    seed_line: 257\n",
        "    systems: [Google Workspace]\n    when: {data: respaldo_pst.tamano, min: 1}\n"
        "    seed_line: 257\n",
        "when: {data: respaldo_pst.tamano",
        "activities[1].when.data: 'respaldo_pst.tamano': el registro respaldo_pst no tiene un formato con el "
        "campo tamano",
    ),
    "guard_on_an_end": (
        "    outcome: Cuenta de correo electrónico eliminada\n",
        "    outcome: Cuenta de correo electrónico eliminada\n"
        "    when: {data: inputs.motivo_baja, equals: x}\n",
        "when: {data: inputs.motivo_baja",
        "activities[3].when: una actividad con 'when' se omite pasando a su siguiente: no puede ser una "
        "decisión, un fin ni abrir o cerrar ramas paralelas",
    ),
    "expiry_branch_the_activity_does_not_have": (
        "    anchor: recepcion_correo_baja\n    meaning: deadline\n",
        "    anchor: recepcion_correo_baja\n    meaning: deadline\n"
        "    on_expiry: {action: branch, branch: Vencido}\n",
        "on_expiry: {action: branch",
        "time_rules[0].on_expiry.branch: la actividad 2 no tiene la rama 'Vencido'",
    ),
    "expiry_completing_no_activity": (
        "    activity: 2\n    amount: 4\n",
        "    amount: 4\n    on_expiry: {action: complete}\n",
        "on_expiry: {action: complete}",
        "time_rules[0].on_expiry.action: la acción 'complete' necesita la 'activity' de la regla",
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


def test_a_time_rule_condition_on_a_record_made_only_later_is_refused(tmp_path, capsys):
    """The QC rule's number of interfaces must be recorded before its anchor fires, never after."""
    text = (
        VALID.replace(
            "    restricted_to: [responsable_plataforma_correo]\n",
            "    restricted_to: [responsable_plataforma_correo]\n    format: respaldo\n",
        )
        .replace(
            "raci:\n",
            "formats:\n  - id: respaldo\n    name: Respaldo\n    fields:\n"
            "      - {id: tamano, label: GB, type: integer}\n"
            "raci:\n",
            1,
        )
        .replace(
            "    anchor: recepcion_correo_baja\n    meaning: deadline\n",
            "    anchor: recepcion_correo_baja\n    meaning: deadline\n"
            "    when: {data: respaldo_pst.tamano, min: 1}\n",
            1,
        )
    )
    path = tmp_path / "PR_OTI_005.yaml"
    path.write_text(text, encoding="utf-8")

    err = validate(path, capsys)

    line = line_of(path, "when: {data: respaldo_pst.tamano")
    message = (
        "time_rules[0].when.data: 'respaldo_pst.tamano': ninguna actividad que registra respaldo_pst puede "
        "ocurrir antes"
    )
    assert f"{path}:{line}: {message}" in err, err
