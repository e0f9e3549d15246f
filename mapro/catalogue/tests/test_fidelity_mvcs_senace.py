"""
Spot checks that the definition files say what the seed documents say.

Every expected value is quoted from the seeds (seed 000 for MVCS PR.OTI.005 / PR.OTI.006, seed 001 for the
Senace service mail accounts procedure), not from the definitions themselves: a definition that drifts from
its ficha fails here even when it still validates.
"""

from pathlib import Path

import pytest

from mapro.catalogue.definition import Definition, load_catalogue
from mapro.catalogue.definition.schema import ActivityKind, EventMoment, TimeRule

PROCEDURES = Path(__file__).resolve().parents[3] / "procedures"


@pytest.fixture(scope="module")
def catalogue():
    result = load_catalogue(
        [PROCEDURES / "mvcs", PROCEDURES / "senace" / "SENACE-CORREO-SERVICIOS.yaml"],
    )
    assert result.ok, "\n".join(str(e) for e in result.errors)
    return result


def definition(catalogue, code: str) -> Definition:
    return catalogue.definitions[code].definition


def rule(d: Definition, rule_id: str) -> TimeRule:
    return next(r for r in d.time_rules if r.id == rule_id)


def anchor_of(d: Definition, r: TimeRule) -> tuple[int, EventMoment]:
    event = next(e for e in d.events if e.id == r.anchor)
    return event.activity, event.moment


# --- PR.OTI.005 (seed 000, lines 257-265) ---------------------------------------------------------------

# (rule id, activity, amount, unit, wording of the seed)
PR_OTI_005_RULES = [
    ("suspension_4h", 2, 4, "clock_hours", "dentro de las cuatro (04) horas de recibido el correo"),
    (
        "respaldo_7d",
        3,
        7,
        "calendar_days",
        "hasta los siete (07) días calendario posteriores a la recepción del correo electrónico de la "
        "actividad 01",
    ),
    (
        "carga_pst_25d",
        3,
        25,
        "calendar_days",
        "hasta los veinticinco (25) días calendario posteriores a la recepción del correo electrónico de la "
        "actividad 01",
    ),
    (
        "eliminacion_30d",
        4,
        30,
        "calendar_days",
        "hasta los treinta (30) días calendario posteriores a la recepción del correo electrónico de la "
        "actividad 01",
    ),
]


@pytest.mark.parametrize(("rule_id", "activity", "amount", "unit", "wording"), PR_OTI_005_RULES)
def test_pr_oti_005_deadlines(catalogue, rule_id, activity, amount, unit, wording):
    d = definition(catalogue, "PR.OTI.005")
    r = rule(d, rule_id)
    assert wording in r.text
    assert (r.activity, r.amount, r.unit, r.meaning) == (activity, amount, unit, "deadline")
    # Every term runs from the reception of the activity-1 e-mail ("de recibido el correo").
    assert anchor_of(d, r) == (1, EventMoment.END)


def test_pr_oti_005_all_deadlines_share_one_anchor(catalogue):
    d = definition(catalogue, "PR.OTI.005")
    assert {r.anchor for r in d.time_rules} == {"recepcion_correo_baja"}
    assert d.activity(1).name == "Emitir correo de baja de usuario"


# --- PR.OTI.006 (seed 000, lines 470-507) ---------------------------------------------------------------

# Activity: (question as the seed writes it, {branch label: target}). Seed lines 491-505.
PR_OTI_006_DECISIONS = {
    2: ("¿Requerimiento es sobre un usuario del MVCS?", {"SI": 3, "NO": 11}),
    3: ("¿Existe Backup del correo electrónico?", {"SI": 4, "NO": 9}),
    5: ("¿Requerimiento es sobre un usuario activo?", {"SI": 7, "NO": 6}),
    8: ("¿Se tiene la cuenta de correo personal del ex colaborador?", {"SI": 6, "NO": 11}),
    9: ("¿Se puede generar el backup del correo electrónico?", {"SI": 10, "NO": 11}),
}


def test_pr_oti_006_has_exactly_the_five_decisions(catalogue):
    d = definition(catalogue, "PR.OTI.006")
    assert {a.n for a in d.activities if a.decision is not None} == set(PR_OTI_006_DECISIONS)


@pytest.mark.parametrize("n", sorted(PR_OTI_006_DECISIONS))
def test_pr_oti_006_decision_branches(catalogue, n):
    d = definition(catalogue, "PR.OTI.006")
    question, branches = PR_OTI_006_DECISIONS[n]
    activity = d.activity(n)
    assert activity.kind == ActivityKind.DECISION
    assert {b.label: b.goto for b in activity.decision.branches} == branches
    # The seed's own question stays in the activity, word for word.
    assert question in activity.description


def test_pr_oti_006_decision_questions(catalogue):
    d = definition(catalogue, "PR.OTI.006")
    for n in (2, 3, 8, 9):
        assert d.activity(n).decision.question == PR_OTI_006_DECISIONS[n][0]
    # Activity 05 is "Validación si es un ex colaborador" but asks about an active user with the branches
    # of an ex-colaborador question: the definition must record how it resolves that.
    assert d.activity(5).name == "Validación si es un ex colaborador"
    assert any(i.seed_line == 494 for i in d.inconsistencies)


def test_pr_oti_006_link_validity(catalogue):
    d = definition(catalogue, "PR.OTI.006")
    (r,) = [r for r in d.time_rules if r.meaning == "validity" and r.activity == 4]
    assert r.text == "El link tendrá una vigencia de cinco (05) días calendario."
    assert (r.activity, r.amount, r.unit) == (4, 5, "calendar_days")
    assert anchor_of(d, r) == (4, EventMoment.END)
    assert d.activity(4).name == "Generación de Link de Acceso"


def test_pr_oti_006_consent_window(catalogue):
    d = definition(catalogue, "PR.OTI.006")
    (r,) = [r for r in d.time_rules if r.meaning == "response_window"]
    assert r.text == (
        "El usuario tiene veinticuatro (24) horas luego de ser notificado para dar la conformidad de "
        "compartir la información de su correo."
    )
    assert (r.activity, r.amount, r.unit) == (6, 24, "clock_hours")
    # The user's conformity is the user's own task of activity 6 (co_roles, completion each), opened with the
    # manager's task that sends the link: the user is notified, and their 24 hours run, when 6 starts.
    assert anchor_of(d, r) == (6, EventMoment.START)
    assert d.activity(6).name == "Remitir correo con link de acceso"
    assert (d.activity(6).performer_roles, d.activity(6).completion) == (
        ["responsable_plataforma_correo", "usuario_correo"],
        "each",
    )


def test_pr_oti_006_generar_backup_is_the_pst_export_not_a_call_to_pr_oti_005(catalogue):
    # 000:506 "de acuerdo al" PR.OTI.005: its activity 3 (.PST export), not the baja (000:220, 446).
    d = definition(catalogue, "PR.OTI.006")
    activity = d.activity(10)
    assert activity.name == "Generar Backup"
    assert activity.kind == ActivityKind.TASK and activity.call is None
    assert activity.records == ["backup_correo_pst"]
    assert activity.next == 4  # "Pasa a la actividad 04"


def test_pr_oti_006_supervision(catalogue):
    # 000:515-517 (the seed's last line has no newline).
    supervision = definition(catalogue, "PR.OTI.006").supervision
    assert supervision.role == "oficial_seguridad"
    assert supervision.frequency == "quarterly"
    assert "cada tres (03) meses un informe a la OTI" in supervision.text
    assert "presentar a la OGEI un informe de cumplimiento" in supervision.text


def test_pr_oti_006_raci(catalogue):
    d = definition(catalogue, "PR.OTI.006")
    informed = {row.activity for row in d.raci if row.roles.get("oficial_seguridad") == "I"}
    responsible = {row.activity for row in d.raci if row.roles.get("responsable_plataforma_correo") == "R"}
    assert informed == {1, 7, 9, 11}
    assert responsible == set(range(1, 12))


# --- What a work screen tells (issue 13): subject, instructions per path, record fields, inputs, reasons ----


def fields_of(d: Definition, record_id: str) -> dict[str, tuple[str, bool]]:
    record = next(r for r in d.records if r.id == record_id)
    return {f.id: (f.type, f.required) for f in d.record_fields(record)}


def test_pr_oti_005_case_subject_inputs_and_records(catalogue):
    d = definition(catalogue, "PR.OTI.005")
    assert d.subject == "Baja de {inputs.cuenta_correo} — {inputs.motivo_baja}"
    account = next(i for i in d.inputs if i.id == "cuenta_correo")
    # 000:234 "cuenta de correo electrónico con dominio @vivienda.gob.pe"; one open baja per account.
    assert (account.type, account.domain, account.unique_open) == ("email", "vivienda.gob.pe", True)
    # 000:258: the backup by day 7, the .PST loaded to "BACKUP_CORREOS" by day 25: where and when.
    assert fields_of(d, "respaldo_pst") == {
        "fecha_respaldo": ("date", True),
        "ubicacion_pst": ("text", True),
        "fecha_carga": ("date", True),
    }
    respaldo = next(r for r in d.records if r.id == "respaldo_pst")
    assert "BACKUP_CORREOS" in next(f.label for f in respaldo.fields if f.id == "ubicacion_pst")
    # 000:256 and 265: two e-mails sent; only the date is written (the first one's recipient is fixed).
    assert fields_of(d, "correo_baja") == {"fecha_envio": ("date", True)}
    assert fields_of(d, "correo_culminacion") == {"fecha_envio": ("date", True)}


def test_pr_oti_006_activity_11_says_what_to_answer_by_where_the_case_came_from(catalogue):
    # 000:507: "Si viene de actividad 02: … 06: … 08: … 09: …": one instruction per origin.
    d = definition(catalogue, "PR.OTI.006")
    variants = {v.came_from: v for v in d.activity(11).variants}
    expected = {
        2: "no es ni ha sido usuario del MVCS",
        6: "con la documentación de que el link de acceso fue compartido",
        8: "la OCB-ORRH no cuenta con el correo personal del ex colaborador",
        9: "no se cuenta con el backup de los correos electrónicos e indicando el motivo de ello",
    }
    assert set(variants) == set(expected)
    for origin, words in expected.items():
        assert words in variants[origin].text and variants[origin].seed_line == 507
        assert variants[origin].text.startswith("Responder con Informe a la OTI")
    # The motive of 09 is asked when the branch is taken.
    (no,) = [b for b in d.activity(9).decision.branches if b.label == "NO"]
    assert no.reason == "Motivo por el que no se puede generar el backup"
    # An ex colaborador (07-08) gets the link at the personal address the OCB gave (000:503), not @vivienda.
    (from_8,) = d.activity(6).variants
    assert from_8.came_from == 8 and "correo electrónico personal" in from_8.text
    assert "(así en el" not in d.activity(5).description


def test_pr_oti_006_subject_and_records_people_fill(catalogue):
    d = definition(catalogue, "PR.OTI.006")
    assert d.subject == (
        "Requerimiento de AIP {inputs.identificador_requerimiento} — {inputs.usuario_requerido}"
    )
    assert next(i for i in d.inputs if i.id == "identificador_requerimiento").unique_open
    # 000:493: the public link and its five-day validity; the sub folder named after the requirement.
    assert fields_of(d, "link_acceso") == {"link": ("text", True), "vence": ("date", True)}
    assert fields_of(d, "copia_backup_aip") == {"ubicacion_subcarpeta": ("text", True)}
    # 000:495/502: the user's conformity, written by the user's own task of activity 6 (only theirs).
    assert d.activity(6).records == ["correo_link", "conformidad_usuario"]
    conformity = next(r for r in d.records if r.id == "conformidad_usuario")
    assert conformity.restricted_to == ["usuario_correo"]
    assert fields_of(d, "correo_link") == {"destinatario": ("email", True), "fecha_envio": ("date", True)}
    assert fields_of(d, "informe_aip") == {"numero_informe": ("text", True), "fecha_informe": ("date", True)}


# --- Senace, Anexo 01 (seed 001, lines 166-181) ----------------------------------------------------------

ANEXO_01_LABELS = [
    "Órgano y/o unidad orgánica",
    "Cuenta de correo electrónico de servicio",
    "Fecha de control",
    "Tipo de licencia",
    "Descripción",
    "Estado",
    "Nro de correos enviados",
    "Nro de correos recibidos",
    "Fecha de backup",
    "Tamaño de buzón",
    "Servidor de backup",
    "Ruta",
    "Responsable del control",
]


def acta(catalogue):
    d = definition(catalogue, "SENACE-CORREO-SERVICIOS")
    (fmt,) = [f for f in d.formats if f.code == "Anexo 01"]
    return d, fmt


def test_senace_anexo_01_fields(catalogue):
    _, fmt = acta(catalogue)
    assert fmt.name.lower() == "Acta de control y seguimiento de cuenta de correo electrónico".lower()
    assert [f.label for f in fmt.fields] == ANEXO_01_LABELS


def test_senace_anexo_01_types(catalogue):
    _, fmt = acta(catalogue)
    types = {f.label: f.type for f in fmt.fields}
    assert types["Cuenta de correo electrónico de servicio"] == "email"
    assert types["Fecha de control"] == types["Fecha de backup"] == "date"
    assert types["Nro de correos enviados"] == types["Nro de correos recibidos"] == "integer"


def test_senace_anexo_01_is_recorded_and_semestral(catalogue):
    d, fmt = acta(catalogue)
    record_ids = {r.id for r in d.records if r.format == fmt.id}
    assert record_ids
    assert any(record_ids & set(a.records) for a in d.activities)
    (periodicity,) = d.periodicity
    assert periodicity.frequency == "semiannual"
    assert "semestral" in periodicity.text
