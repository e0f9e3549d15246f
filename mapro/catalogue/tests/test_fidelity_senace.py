"""
Issue 13 spot checks on the Senace definitions (seed 004, and seed 001 for SENACE-CORREO-SERVICIOS): what a
case is about, the instruction for the path taken, the data records carry, reasons where a branch asks for a
justification, and no modelling notes in the texts a person works from.

Expected values are quoted from the seeds, not read back from the definitions.
"""

import datetime as dt
import re
from pathlib import Path

import pytest

from mapro.catalogue.definition import Definition, load_catalogue

SENACE = Path(__file__).resolve().parents[3] / "procedures" / "senace"


@pytest.fixture(scope="module")
def catalogue():
    result = load_catalogue([SENACE])
    assert result.ok, "\n".join(str(e) for e in result.errors)
    return result


def definition(catalogue, code: str) -> Definition:
    return catalogue.definitions[code].definition


def branch(d: Definition, n: int, label: str):
    return next(b for b in d.activity(n).decision.branches if b.label == label)


def fields(d: Definition, record_id: str) -> dict:
    record = next(r for r in d.records if r.id == record_id)
    return {f.id: f for f in d.record_fields(record)}


def predecessors(d: Definition, n: int) -> set[int]:
    """Activities with a way into n (next, the following number, a branch, a parallel split)."""
    return {a.n for a in d.activities if n in d.successors(a)}


def test_every_senace_procedure_says_what_the_case_is_about(catalogue):
    procedures = [definition(catalogue, code) for code in catalogue.definitions]
    assert len(procedures) == 12
    for d in procedures:
        assert d.subject, d.code
        # Every input that identifies the case, or the start date for what a calendar starts, is in it.
        assert "{inputs." in d.subject or "{started}" in d.subject, (d.code, d.subject)


def test_mesa_de_ayuda_ticket(catalogue):
    """S.04.04.02_P (004:2198-2220): request and user; ticket, attention, conformity, justification."""
    d = definition(catalogue, "S.04.04.02_P")
    assert "{inputs.solicitud}" in d.subject and "{requester}" in d.subject
    # 2209 "Registra solicitud en aplicativo Helpdesk": the ticket number is what identifies it there.
    assert fields(d, "ticket_helpdesk")["numero_ticket"].required
    # 2211 "Atiende ... y solicita conformidad": what was done, for the requester to judge.
    assert fields(d, "solicitud_conformidad")["atencion_realizada"].required
    # 2217 "Informa a Mesa de ayuda respecto a la atención y solución realizada".
    assert fields(d, "informe_atencion")["solucion_realizada"].required
    # 2219 "Justifica la no atención del ticket, envía a UUOO solicitante y cierra el ticket".
    assert fields(d, "justificacion_no_atencion")["justificacion"].required
    assert fields(d, "ticket_cerrado")["fecha_cierre"].type == "date"
    # 2212 / 2218 "¿Es conforme? ... No: Regresa": the requester says why; 2215 "¿Tiene solución? No".
    assert branch(d, 6, "No").reason and branch(d, 12, "No").reason and branch(d, 9, "No").reason
    assert branch(d, 6, "Sí").reason is None
    # The answer is the decision; a comment is optional, so the conformity never blocks on a text box.
    assert "conformidad_solicitante" in d.activity(6).optional_records
    # 2212 "No: Regresa a la actividad 5", 2218 "No: Regresa a la actividad 10": the instruction says why.
    assert [v.came_from for v in d.activity(5).variants] == [6]
    assert [v.came_from for v in d.activity(10).variants] == [12]
    assert "(*)" not in d.activity(6).description


def test_service_account_is_an_institutional_address_with_one_open_case(catalogue):
    """SENACE-CORREO-SERVICIOS (001:171, 193 "alertaeva@senace.gob.pe"); 14 "... conduce a la actividad 8"."""
    d = definition(catalogue, "SENACE-CORREO-SERVICIOS")
    (account,) = [i for i in d.inputs if i.id == "cuenta_correo_servicio"]
    assert account.type == "email" and account.domain == "senace.gob.pe" and account.unique_open
    assert "{inputs.cuenta_correo_servicio}" in d.subject
    assert branch(d, 14, "No").reason
    assert [v.came_from for v in d.activity(8).variants] == [14]
    # 15 (001:138): a backup of the account before it is disabled, with where it is kept.
    assert {"fecha_backup", "ruta"} <= set(fields(d, "backup_previo_baja"))


def test_recovery_request_says_which_backup(catalogue):
    """S.04.04.01.02_P 312 (004:1858) "¿Existe cinta de respaldo generado en la fecha solicitada?"."""
    d = definition(catalogue, "S.04.04.01.02_P")
    assert fields(d, "solicitud_recuperacion")["fecha_respaldo"].type == "date"
    assert fields(d, "correo_resultado_recuperacion")["resultado"].choices == ["Positivo", "Negativo"]


REASONS = {  # (code, activity, branch): the seed's words that call for a justification
    ("S.04.01.01_P", 5, "No"): "Remite observaciones",
    ("S.04.02.01_P", 6, "Con observaciones"): "En caso de realizar observaciones",
    ("S.04.02.01_P", 7, "No"): "subsanar las observaciones",
    ("S.04.02.02_P", 3, "No"): "Coordina subsanación de observaciones",
    ("S.04.02.03_P", 2, "No"): "remite observaciones",
    ("S.04.02.05_P", 6, "Con observaciones"): "En caso de realizar observaciones",
    ("S.04.03.02_P", 306, "No"): "Corrige y regresa",
    ("S.04.04.01.01_P", 104, "No"): "Realiza observaciones",
    ("S.04.04.01.01_P", 214, "No"): "Dar de baja",
    ("S.04.04.01.02_P", 102, "No"): "Solicita reprogramación",
    ("S.04.04.01.02_P", 503, "No"): "Finaliza el procedimiento",
}


@pytest.mark.parametrize(("code", "n", "label"), sorted(REASONS))
def test_branches_that_call_for_a_justification_ask_for_it(catalogue, code, n, label):
    assert branch(definition(catalogue, code), n, label).reason


WORK_TEXT = re.compile(r"\bseed\b|\blínea\b|\(\*\)", re.IGNORECASE)


def test_work_texts_hold_no_modelling_notes_and_variants_follow_the_graph(catalogue):
    """What a person reads on the task page: no seed references; each variant names a real way in."""
    for code in catalogue.definitions:
        d = definition(catalogue, code)
        first, last = d.source.lines
        for a in d.activities:
            texts = [a.name, a.description, *(v.text for v in a.variants)]
            if a.decision:
                texts += [a.decision.question, *(b.label for b in a.decision.branches)]
            assert not [t for t in texts if WORK_TEXT.search(t)], (code, a.n)
            for v in a.variants:
                assert v.came_from in predecessors(d, a.n), (code, a.n, v.came_from)
                assert v.seed_line is not None, (code, a.n)
                assert first <= v.seed_line <= last, (code, a.n, v.seed_line)


SUBJECTS = [  # (code, start data, records, what a help-desk analyst reads in the inbox)
    (
        "S.04.04.02_P",
        {"tipo_solicitud": "Incidente", "solicitud": "La impresora del piso 3 no imprime."},
        {},
        "Incidente de Ana Ríos: La impresora del piso 3 no imprime.",
    ),
    (
        "SENACE-CORREO-SERVICIOS",
        {"cuenta_correo_servicio": "alertaeva@senace.gob.pe"},
        {},
        "Cuenta de correo electrónico de servicios alertaeva@senace.gob.pe — 06/12/2026",
    ),
    # Started by the calendar, without start data: the procedure and the date, no dangling separators.
    ("S.04.01.01_P", {}, {}, "Matriz de cartera de proyectos del 06/12/2026"),
    ("S.04.03.02_P", {}, {}, "Gestión de seguridad informática del 06/12/2026"),
    (
        "S.04.04.01.02_P",
        {},
        {"solicitud_recuperacion": {"informacion": "Carpeta de la DEIN", "fecha_respaldo": "2026-07-24"}},
        "Carpeta de la DEIN 24/07/2026 — Continuidad de los servicios del 06/12/2026",
    ),
    ("S.04.02.01_P", {"requerimiento": "Módulo de citas"}, {}, "Módulo de citas"),
]


@pytest.mark.parametrize(("code", "inputs", "records", "expected"), SUBJECTS)
def test_subjects_read_well_with_and_without_data(catalogue, code, inputs, records, expected):
    from mapro.cases.services.describe import subject_render

    d = definition(catalogue, code)
    rendered = subject_render(
        d.subject, inputs=inputs, records=records, requester="Ana Ríos", started=dt.date(2026, 12, 6)
    )
    assert rendered == expected
