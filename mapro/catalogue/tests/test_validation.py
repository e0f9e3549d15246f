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


KIND_TASK_2 = "    kind: task\n    role: responsable_plataforma_correo\n    systems: [Google Workspace]\n"
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
    "indicator_without_formula_as_data": (
        "periodicity: []\n",
        "periodicity: []\nindicators:\n  - id: bajas_a_tiempo\n    name: Bajas a tiempo\n"
        "    formula: bajas a tiempo / bajas\n    unit: Porcentaje\n    frequency: quarterly\n"
        "    target: 100%\n    responsible: oficial_seguridad\n    source: casos\n"
        "    based_on: {activities: [2]}\n",
        "  - id: bajas_a_tiempo",
        "indicators[0].measure: el indicador necesita exactamente uno de 'measure' (su fórmula como datos)",
    ),
    "indicator_counts_a_branch_of_a_task": (
        "periodicity: []\n",
        "periodicity: []\nindicators:\n  - id: bajas_a_tiempo\n    name: Bajas a tiempo\n"
        "    formula: bajas a tiempo / bajas\n    unit: Porcentaje\n    frequency: quarterly\n"
        "    target: 100%\n    responsible: oficial_seguridad\n    source: casos\n"
        "    based_on: {activities: [2]}\n"
        "    measure:\n      denominator: {label: Bajas}\n"
        "      numerator: {label: Bajas a tiempo, branches: [{activity: 2, branch: Sí}]}\n",
        "numerator: {label: Bajas a tiempo",
        "indicators[0].measure.numerator.branches[0].activity: la actividad 2 no es una decisión",
    ),
    "indicator_counts_an_unknown_record": (
        "periodicity: []\n",
        "periodicity: []\nindicators:\n  - id: bajas_a_tiempo\n    name: Bajas a tiempo\n"
        "    formula: bajas a tiempo / bajas\n    unit: Porcentaje\n    frequency: quarterly\n"
        "    target: 100%\n    responsible: oficial_seguridad\n    source: casos\n"
        "    based_on: {activities: [2]}\n"
        "    measure:\n      numerator: {label: Bajas}\n"
        "      denominator: {label: Bajas con acta, record: acta_inexistente}\n",
        "denominator: {label: Bajas con acta",
        "indicators[0].measure.denominator.record: registro desconocido: acta_inexistente",
    ),
    "indicator_same_as_unknown_procedure": (
        "periodicity: []\n",
        "periodicity: []\nindicators:\n  - id: bajas_a_tiempo\n    name: Bajas a tiempo\n"
        "    formula: bajas a tiempo / bajas\n    unit: Porcentaje\n    frequency: quarterly\n"
        "    target: 100%\n    responsible: oficial_seguridad\n    source: casos\n"
        "    based_on: {activities: [2]}\n"
        "    same_as: {procedure: PR.NO.EXISTE, indicator: bajas}\n",
        "same_as: {procedure: PR.NO.EXISTE",
        "indicators[0].same_as.procedure: procedimiento desconocido: PR.NO.EXISTE",
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
    "unknown_co_role": (
        "    role: responsable_plataforma_correo\n    systems: [Google Workspace]\n    seed_line: 257",
        "    role: responsable_plataforma_correo\n    co_roles: [operador_backup]\n"
        "    systems: [Google Workspace]\n    seed_line: 257",
        "co_roles: [operador_backup]",
        "activities[1].co_roles[0]: rol desconocido: operador_backup",
    ),
    "each_without_co_roles": (
        "    role: responsable_plataforma_correo\n    systems: [Google Workspace]\n    seed_line: 257",
        "    role: responsable_plataforma_correo\n    completion: each\n"
        "    systems: [Google Workspace]\n    seed_line: 257",
        "completion: each",
        "activities[1].completion: 'completion: each' necesita 'co_roles'",
    ),
    "each_with_decision": (
        "    kind: task\n    role: responsable_plataforma_correo\n    systems: [Google Workspace]\n",
        "    kind: decision\n    role: responsable_plataforma_correo\n"
        "    co_roles: [coordinador_infraestructura]\n"
        "    completion: each\n    systems: [Google Workspace]\n"
        "    decision:\n      question: ¿Se suspendió la cuenta?\n      branches:\n"
        "        - {label: Sí, goto: 3}\n        - {label: No, goto: end}\n",
        "completion: each",
        "activities[1].completion: 'completion: each' abre una tarea por rol: no admite 'decision'",
    ),
    "informs_unknown_role": (
        KIND_TASK_2,
        KIND_TASK_2 + "    informs: [{role: jefe_de_nadie}]\n",
        "informs: [{role: jefe_de_nadie}]",
        "activities[1].informs[0].role: rol desconocido: jefe_de_nadie",
    ),
    "informs_requester_as_a_role": (
        KIND_TASK_2,
        KIND_TASK_2 + "    informs: [{role: requester}]\n",
        "informs: [{role: requester}]",
        "activities[1].informs[0].role: al solicitante se le informa con 'requester: true', no como rol",
    ),
    "informs_two_recipients_in_one": (
        KIND_TASK_2,
        KIND_TASK_2 + "    informs: [{role: oficial_seguridad, contact: SGTD-PCM}]\n",
        "informs: [{role: oficial_seguridad, contact: SGTD-PCM}]",
        "activities[1].informs[0]: indique uno solo de 'role', 'requester' o 'contact'",
    ),
    "fin_row_with_a_deadline": (
        "    kind: end\n    outcome: Cuenta de correo electrónico eliminada\n"
        "    role: responsable_plataforma_correo\n    records: [correo_culminacion]\n",
        "    kind: end_event\n    outcome: Cuenta de correo electrónico eliminada\n"
        "    role: responsable_plataforma_correo\n",
        "    activity: 4",
        "time_rules[3].activity: la actividad 4 es la fila «Fin del procedimiento» (end_event), sin tarea: "
        "no tiene plazo",
    ),
    "fin_row_with_records": (
        "    kind: end\n    outcome: Cuenta de correo electrónico eliminada\n",
        "    kind: end_event\n    outcome: Cuenta de correo electrónico eliminada\n",
        "  - n: 4",
        "activities[3]: una actividad de tipo end_event es la fila «Fin del procedimiento»: "
        "no lleva 'records'",
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
        "decisión, un fin ni abrir ramas paralelas",
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
    "supervision_reported_to_an_unknown_unit": (
        "  reports_to: ogei\n",
        "  reports_to: ogeii\n",
        "reports_to: ogeii",
        "supervision.reports_to: unidad desconocida: ogeii",
    ),
    "supervision_received_by_an_unknown_role": (
        "  reports_to: ogei\n",
        "  reports_to: ogei\n  reports_to_role: jefe_ogei\n",
        "reports_to_role: jefe_ogei",
        "supervision.reports_to_role: rol desconocido: jefe_ogei",
    ),
}
# Schedules (issue 12): PR.OTI.005 given a flow, then a periodicity that omits it or names what is not there.
WITH_FLOW = (
    "activities:\n  - n: 1\n",
    "flows:\n  - {id: baja, name: Baja, start: 1}\nactivities:\n  - n: 1\n",
)
SCHEDULE_CASES = {
    "scheduled_periodicity_without_its_flow": (
        "periodicity:\n  frequency: daily\n  text: Diario\n",
        "periodicity:",  # the field is missing: the error points at the periodicity
        "periodicity[0].flow: el procedimiento tiene varios flujos: indique cuál se inicia según calendario",
    ),
    "scheduled_part_at_an_unknown_activity": (
        "periodicity:\n  - flow: baja\n    start: 9\n    frequency: daily\n    text: Diario\n",
        "start: 9",
        "periodicity[0].start: actividad inexistente: 9",
    ),
    "preset_input_that_does_not_exist": (
        "periodicity:\n  - flow: baja\n    frequency: daily\n    text: Diario\n    inputs: {ticket: T-1}\n",
        "inputs: {ticket: T-1}",
        "periodicity[0].inputs.ticket: el procedimiento no tiene la entrada ticket",
    ),
}


@pytest.mark.parametrize("case", SCHEDULE_CASES.values(), ids=SCHEDULE_CASES.keys())
def test_each_schedule_error_names_file_line_and_field(case, tmp_path, capsys):
    periodicity, marker, message = case
    text = VALID.replace(*WITH_FLOW, 1).replace("periodicity: []\n", periodicity, 1)
    path = tmp_path / "PR_OTI_005.yaml"
    path.write_text(text, encoding="utf-8")

    err = validate(path, capsys)

    assert f"{path}:{line_of(path, marker)}: {message}" in err, err


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


# Parallel split and join (docs/decisions/0016-parallel-gateways.md). The valid base: after activity 1,
# activities 2 and 3 run at once; activity 4 waits for both.
SPLIT_1 = ("    seed_line: 256\n", "    seed_line: 256\n    parallel: [2, 3]\n")
BRANCH_2 = ("    seed_line: 257\n", "    seed_line: 257\n    next: 4\n")
JOIN_4 = ("    seed_line: 265\n", "    seed_line: 265\n    join: [2, 3]\n")
FINAL_4 = "    kind: end\n    outcome: Cuenta de correo electrónico eliminada\n"
BACKUP_3 = "    kind: task\n    role: responsable_plataforma_correo\n    records: [respaldo_pst]\n"
BACKUP_3_DECIDING = (
    "    kind: decision\n    role: responsable_plataforma_correo\n    records: [respaldo_pst]\n"
    "    decision:\n      question: ¿Se respaldó?\n      branches:\n"
    "        - {label: Sí, goto: 4}\n        - {label: No, goto: end, outcome: Sin respaldo}\n"
)
VERIFY_5 = (
    "  - n: 5\n    name: Verificar el respaldo\n    description: Verifica el respaldo.\n"
    "    role: responsable_plataforma_correo\n    next: 4\n"
)
DECIDING_4 = (
    "    kind: decision\n    decision:\n      question: ¿Conforme?\n      branches:\n"
    "        - {label: Sí, goto: end, outcome: Cuenta de correo electrónico eliminada}\n"
    "        - {label: No, goto: %s}\n"
)


def parallel_file(tmp_path: Path, *changes: tuple[str, str]) -> Path:
    """PR.OTI.005 with the parallel base, then `changes` (old, new) applied in order."""
    text = VALID
    for old, new in (SPLIT_1, BRANCH_2, JOIN_4, *changes):
        assert old in text, f"fixture text not found: {old!r}"
        text = text.replace(old, new, 1)
    path = tmp_path / "PR_OTI_005.yaml"
    path.write_text(text, encoding="utf-8")
    return path


PARALLEL_CASES = {
    "parallel_to_missing_activity": (
        [("parallel: [2, 3]", "parallel: [2, 3, 9]")],
        "parallel: [2, 3, 9]",
        "activities[0].parallel[2]: la actividad 9 no existe",
    ),
    "parallel_repeats_an_activity": (
        [("parallel: [2, 3]", "parallel: [2, 3, 3]")],
        "parallel: [2, 3, 3]",
        "activities[0].parallel[2]: actividad repetida en la lista: 3",
    ),
    "join_of_missing_activity": (
        [("join: [2, 3]", "join: [2, 9]")],
        "join: [2, 9]",
        "activities[3].join[1]: la actividad 9 no existe",
    ),
    "join_of_an_activity_that_does_not_reach_it": (
        [("join: [2, 3]", "join: [1, 3]")],
        "join: [1, 3]",
        "activities[3].join[0]: la actividad 1 no continúa en la actividad 4",
    ),
    "join_of_an_activity_outside_parallel_branches": (
        [
            ("parallel: [2, 3]", "next: 2"),
            (
                "    next: 4\n",
                "    decision:\n      question: ¿Se respalda?\n      branches:\n"
                "        - {label: Sí, goto: 3}\n        - {label: No, goto: 4}\n",
            ),
            (
                "    kind: task\n    role: responsable_plataforma_correo\n    systems: [Google Workspace]\n",
                "    kind: decision\n    role: responsable_plataforma_correo\n"
                "    systems: [Google Workspace]\n",
            ),
        ],
        "join: [2, 3]",
        "activities[3].join[0]: la actividad 2 no está en una rama paralela que llegue aquí",
    ),
    "start_list_with_missing_activity": (
        [("activities:\n  - n: 1\n", "start: [1, 7]\nactivities:\n  - n: 1\n")],
        "start: [1, 7]",
        "start[1]: la actividad 7 no existe",
    ),
    "branch_goto_list_with_missing_activity": (
        [(FINAL_4, DECIDING_4 % "[2, 8]")],
        "label: No, goto: [2, 8]",
        "activities[3].decision.branches[1].goto[1]: la actividad 8 no existe",
    ),
    "branch_loops_back_before_the_split": (
        [("    seed_line: 258\n", "    seed_line: 258\n    next: 1\n")],
        "    next: 1",
        "activities[2].next: la rama paralela que empieza en la actividad 3 sigue de la actividad 3 a la 1, "
        "fuera de su rama",
    ),
    "branch_goes_into_another_branch": (
        [("    next: 4\n", "    next: 3\n")],
        "    next: 3",
        "activities[1].next: la rama paralela que empieza en la actividad 2 sigue de la actividad 2 a la 3",
    ),
    "branch_reaches_a_join_that_does_not_list_it": (
        [
            ("  - n: 4\n", VERIFY_5 + "  - n: 4\n"),
            ("    seed_line: 258\n", "    seed_line: 258\n    next: 5\n"),
        ],
        "    next: 4",
        "activities[3].next: la actividad 5 llega a la unión de la actividad 4 sin figurar en su 'join'",
    ),
    "branch_ends_while_the_other_waits_at_the_join": (
        [(BACKUP_3, BACKUP_3_DECIDING)],
        "label: No, goto: end",
        "activities[2].decision.branches[1].goto: la actividad 3 termina el procedimiento dentro de una rama "
        "paralela",
    ),
    "a_branch_entered_from_before_the_split": (
        [
            (
                "activities:\n  - n: 1\n",
                "start: 5\nactivities:\n  - n: 5\n    name: Clasificar la baja\n    description: Clasifica.\n"
                "    role: analista_mesa_servicios\n    decision:\n      question: ¿Hay correo?\n"
                "      branches:\n        - {label: Sí, goto: 1}\n        - {label: No, goto: 3}\n  - n: 1\n",
            )
        ],
        "label: No, goto: 3",
        "activities[0].decision.branches[1].goto: la actividad 5 lleva a la actividad 3, primera de una rama "
        "paralela, sin abrir las demás ramas",
    ),
}


@pytest.mark.parametrize("case", PARALLEL_CASES.values(), ids=PARALLEL_CASES.keys())
def test_each_parallel_error_names_file_line_and_field(case, tmp_path, capsys):
    changes, marker, message = case
    path = parallel_file(tmp_path, *changes)

    err = validate(path, capsys)

    assert f"{path}:{line_of(path, marker)}: {message}" in err, err


@pytest.mark.parametrize(
    "changes",
    [
        [],
        [(FINAL_4, DECIDING_4 % "[2, 3]")],
        [(FINAL_4, DECIDING_4 % "3")],
        [(BACKUP_3, BACKUP_3_DECIDING.replace("goto: end, outcome: Sin respaldo", "goto: 3"))],
    ],
    ids=[
        "split_and_join",
        "loop_after_the_join_reopens_every_branch",
        "correction_after_the_join_reopens_one_branch",
        "retry_inside_a_branch",
    ],
)
def test_parallel_branches_that_are_valid(changes, tmp_path):
    catalogue = load_catalogue([parallel_file(tmp_path, *changes)], known_codes=["PR.OTI.006"])
    assert catalogue.ok, catalogue.errors


def test_the_requester_acts_without_being_declared(tmp_path):
    """`requester` (the person who opened the case) may be an activity's role or co-role undeclared."""
    path = broken(
        tmp_path,
        "    role: responsable_plataforma_correo\n    systems: [Google Workspace]\n    seed_line: 257",
        "    role: responsable_plataforma_correo\n    co_roles: [requester]\n    completion: each\n"
        "    systems: [Google Workspace]\n    seed_line: 257",
    )
    call_command("procedures", "validate", str(path))  # no error


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


def test_a_process_ficha_indicator_names_the_procedure_it_counts(tmp_path):
    """SENACE_PROCESOS with its indicator's formula in place of `same_as`: a count without `procedure`."""
    senace = Path(settings.PROCEDURES_DIR) / "senace"
    text = (senace / "SENACE_PROCESOS.yaml").read_text(encoding="utf-8")
    old = "        same_as: {procedure: S.04.04.02_P, indicator: tickets_atendidos}\n"
    assert old in text
    new = (
        "        measure:\n          denominator: {label: Tickets recibidos}\n"
        "          numerator:\n            label: Solucionados\n            procedure: S.04.04.02_P\n"
        "            branches: [{activity: 6, branch: Tal vez}]\n"
    )
    path = tmp_path / "SENACE_PROCESOS.yaml"
    path.write_text(text.replace(old, new), encoding="utf-8")

    errors = [str(e) for e in load_catalogue([path, senace / "S_04_04_02_P.yaml"]).errors]

    lines = path.read_text(encoding="utf-8").splitlines()
    at = next(i for i, line in enumerate(lines, 1) if "denominator: {label: Tickets recibidos}" in line)
    loc = "processes[14].indicators[0].measure"
    assert (
        f"{path}:{at}: {loc}.denominator.procedure: en una ficha de proceso cada conteo debe nombrar su"
        in ("\n".join(errors))
    ), errors
    assert any(
        f"{loc}.numerator.branches[0].branch: la actividad 6 no tiene la rama Tal vez" in e for e in errors
    )


# Issue 13: the case subject, instruction variants, a record's own fields and the work screens' texts.
WORK_SCREEN_CASES = {
    "subject_unknown_placeholder": (
        "objective: >-\n",
        "subject: Baja de {cuenta}\nobjective: >-\n",
        "subject: Baja de {cuenta}",
        "subject: marcador desconocido {cuenta}: use {inputs.<id>}, {<registro>.<campo>}, {requester}, "
        "{started}",
    ),
    "subject_unknown_input": (
        "objective: >-\n",
        "subject: Baja de {inputs.cuenta}\nobjective: >-\n",
        "subject: Baja de {inputs.cuenta}",
        "subject: el procedimiento no tiene la entrada cuenta",
    ),
    "subject_unknown_record_field": (
        "objective: >-\n",
        "subject: Respaldo en {respaldo_pst.ruta}\nobjective: >-\n",
        "subject: Respaldo en {respaldo_pst.ruta}",
        "subject: el registro respaldo_pst no tiene el campo ruta",
    ),
    "variant_from_an_activity_that_does_not_lead_here": (
        "    records: [respaldo_pst]\n",
        "    records: [respaldo_pst]\n    variants:\n      - {came_from: 1, text: Respalde la cuenta.}\n",
        "{came_from: 1, text: Respalde la cuenta.}",
        "activities[2].variants[0].came_from: la actividad 1 no lleva directamente a la 3",
    ),
    "variant_without_condition": (
        "    records: [respaldo_pst]\n",
        "    records: [respaldo_pst]\n    variants:\n      - {text: Respalde la cuenta.}\n",
        "{text: Respalde la cuenta.}",
        "activities[2].variants[0]: la variante necesita 'came_from' o 'when'",
    ),
    "modelling_note_in_a_name": (
        "    name: Realizar Backup del correo electrónico\n",
        "    name: Realizar Backup del correo electrónico (línea 258 del seed)\n",
        "(línea 258 del seed)",
        "activities[2].name: «línea 258» es una nota de modelado: llévela a 'note' o a 'inconsistencies'",
    ),
    "record_with_format_and_fields": (
        "  - id: correo_baja\n    name: Correo electrónico de baja de usuario\n",
        "  - id: correo_baja\n    name: Correo electrónico de baja de usuario\n    format: acta\n"
        "    fields: [{id: fecha, label: Fecha, type: date}]\n",
        "  - id: correo_baja",
        "records[0]: un registro lleva 'format' (un formato de la ficha) o 'fields', no ambos",
    ),
    "record_field_at_an_activity_that_does_not_produce_it": (
        "  - id: correo_baja\n    name: Correo electrónico de baja de usuario\n",
        "  - id: correo_baja\n    name: Correo electrónico de baja de usuario\n"
        "    fields: [{id: fecha, label: Fecha, type: date, activity: 2}]\n",
        "fields: [{id: fecha, label: Fecha, type: date, activity: 2}]",
        "records[0].fields[0].activity: la actividad 2 no produce el registro correo_baja (lo producen: 1)",
    ),
    "domain_on_a_choice_input": (
        "    type: choice\n",
        "    type: choice\n    domain: vivienda.gob.pe\n",
        "  - id: motivo_baja",
        "inputs[1]: 'domain' solo va en una entrada de tipo email",
    ),
}


@pytest.mark.parametrize("case", WORK_SCREEN_CASES.values(), ids=WORK_SCREEN_CASES.keys())
def test_each_work_screen_error_names_file_line_and_field(case, tmp_path, capsys):
    old, new, marker, message = case
    path = broken(tmp_path, old, new)

    err = validate(path, capsys)

    assert f"{path}:{line_of(path, marker)}: {message}" in err, err


def test_subject_variants_fields_and_domain_that_are_valid(tmp_path):
    path = broken(
        tmp_path, "objective: >-\n", "subject: Baja de {inputs.cuenta_correo} — {started}\nobjective: >-\n"
    )
    text = path.read_text(encoding="utf-8")
    text = text.replace(
        "    type: email\n", "    type: email\n    domain: vivienda.gob.pe\n    unique_open: true\n"
    )
    text = text.replace(
        "    records: [respaldo_pst]\n",
        "    records: [respaldo_pst]\n    variants:\n      - {came_from: 2, text: Respalde la cuenta.}\n",
    )
    text = text.replace(
        "    restricted_to: [responsable_plataforma_correo]\n",
        "    restricted_to: [responsable_plataforma_correo]\n    fields:\n"
        "      - {id: ubicacion, label: Ubicación del .PST en BACKUP_CORREOS}\n",
    )
    path.write_text(text, encoding="utf-8")

    catalogue = load_catalogue([path])

    assert catalogue.ok, catalogue.errors
