"""
What the work screens of eleven MINDEF procedures (S04.01.00.01-S04.03.01.05, seed 002_e77bb1057b2e86ee.txt,
lines 237-1384) tell the person doing a task: the case's subject, the instruction for the path taken, the
reason a branch asks for, and the data the documents carry.

Expected values come from the seed lines named beside them, not from the definitions: the data each
activity's text says its document holds (ticket numbers, IP addresses and ports, where a backup is kept), the
activities the seed sends back to ("se regresa al encargado", "Continuar con la actividad 3") and the
branches whose text calls for observations.
"""

import datetime as dt
from pathlib import Path

import pytest

from mapro.cases.services.describe import subject_render
from mapro.catalogue.definition import Definition, load_catalogue
from mapro.catalogue.definition.schema import FieldType

MINDEF = Path(__file__).resolve().parents[3] / "procedures" / "mindef"
FILES = [
    "S04_01_00_01.yaml",
    "S04_01_00_02.yaml",
    "S04_01_00_03.yaml",
    "S04_02_00_01.yaml",
    "S04_02_00_02.yaml",
    "S04_02_00_03.yaml",
    "S04_03_01_01.yaml",
    "S04_03_01_02.yaml",
    "S04_03_01_03.yaml",
    "S04_03_01_04.yaml",
    "S04_03_01_05.yaml",
]
STARTED = dt.date(2026, 12, 7)


@pytest.fixture(scope="module")
def catalogue():
    result = load_catalogue([MINDEF / name for name in FILES])
    assert result.ok, "\n".join(str(e) for e in result.errors)
    return result


def definition(catalogue, code: str) -> Definition:
    return catalogue.definitions[code].definition


# code: (inputs, records, subject) — what identifies the case for a help-desk analyst.
SUBJECTS = {
    # 268: the PGD is approved for at least three years; its period is set when formulation starts.
    "S04.01.00.01": (
        {},
        {"correo_inicio_formulacion": {"periodo": "2026-2028"}},
        "Formulación del Plan de Gobierno Digital 2026-2028 — iniciada el 07/12/2026",
    ),
    "S04.01.00.02": ({}, {}, "Seguimiento de la implementación del Plan de Gobierno Digital del 07/12/2026"),
    "S04.01.00.03": ({}, {}, "Revisión de la documentación y registros del SGSI del 07/12/2026"),
    # 591: the requesting unit's ficha names the process to automate.
    "S04.02.00.01": (
        {"unidad_solicitante": "DIPEC", "identificacion_proceso": "Control de asistencia"},
        {},
        "Desarrollo de nuevo sistema para DIPEC: Control de asistencia",
    ),
    "S04.02.00.02": (
        {"sistema_informacion": "SISTRADOC", "unidad_solicitante": "SG"},
        {},
        "Mantenimiento de SISTRADOC — SG",
    ),
    "S04.02.00.03": (
        {"necesidad_baja": "Sistemas inoperativos de la DGA"},
        {},
        "Baja de sistemas de información: Sistemas inoperativos de la DGA",
    ),
    # 1010 / 1013 / 1028: the kind of ticket and whose account it is.
    "S04.03.01.01": (
        {"tipo_solicitud": "Creación de cuenta de usuario nuevo", "usuario": "Juan Pérez Ríos"},
        {},
        "Creación de cuenta de usuario nuevo: Juan Pérez Ríos",
    ),
    # 1098: the alert names the person; the semiannual reconciliation (1112) has none.
    "S04.03.01.02": (
        {"nombre_usuario": "Juan Pérez Ríos"},
        {},
        "Eliminación de cuentas, accesos y privilegios: Juan Pérez Ríos — 07/12/2026",
    ),
    "S04.03.01.03": (
        {"empresa": "Servicios TI SAC", "necesidad_trabajos": "Cambio de UPS"},
        {},
        "Acceso al centro de datos: Servicios TI SAC — Cambio de UPS",
    ),
    "S04.03.01.04": ({}, {}, "Administración de eventos y log de sistemas del 07/12/2026"),
    # 1337: the alert or report, the affected service.
    "S04.03.01.05": (
        {"reporte_incidente": "Caída del correo"},
        {"reporte_alerta": {"servicio": "Correo institucional"}},
        "Incidente de infraestructura tecnológica: Correo institucional — Caída del correo",
    ),
}


def test_subjects_say_what_the_case_is_about(catalogue):
    assert set(SUBJECTS) == set(catalogue.definitions)
    for code, (inputs, records, expected) in SUBJECTS.items():
        d = definition(catalogue, code)
        shown = subject_render(
            d.subject, inputs=inputs, records=records, requester="Ana Ruiz", started=STARTED
        )
        assert shown == expected, code
    # Without the user (the reconciliation flow) no dangling separator is left.
    d = definition(catalogue, "S04.03.01.02")
    shown = subject_render(d.subject, inputs={}, records={}, requester="Ana Ruiz", started=STARTED)
    assert shown == "Eliminación de cuentas, accesos y privilegios: 07/12/2026"


# code: {activity: {came_from: seed line}} — where the seed's text depends on the way the case came.
VARIANTS = {
    "S04.01.00.03": {4: {5: 470}},  # "En caso de observaciones, se regresa al encargado"
    "S04.02.00.01": {17: {22: 632}, 32: {34: 654}, 35: {37: 657, 38: 658}},
    "S04.02.00.02": {9: {14: 802}, 25: {27: 823}, 28: {30: 830, 31: 831}},
    "S04.03.01.01": {3: {8: 1018, 14: 1027}, 19: {6: 1012}},
    "S04.03.01.02": {10: {7: 1108}},
    "S04.03.01.03": {8: {10: 1187}},  # "En caso el SCTR resulte observado por la DIPEC"
    "S04.03.01.04": {2: {3: 1266}, 11: {12: 1285}},
}


def test_instructions_by_the_way_the_case_came(catalogue):
    for code in catalogue.definitions:
        d = definition(catalogue, code)
        found = {a.n: {v.came_from: v.seed_line for v in a.variants} for a in d.activities if a.variants}
        assert found == VARIANTS.get(code, {}), code
        for activity in d.activities:
            for variant in activity.variants:
                assert variant.text != activity.description, (code, activity.n)


# code: {(activity, branch label): reason label} — branches that return with observations or refuse.
REASONS = {
    "S04.01.00.03": {(5, "Documentación con observaciones"): "Observaciones a la documentación actualizada"},
    "S04.02.00.01": {
        (3, "No"): "Motivo de la inviabilidad",  # 594 "sustentando la inviabilidad"
        (22, "Sí"): "Defectos encontrados",  # 632
        (37, "Sí"): "Inconveniente identificado en la solicitud inicial",  # 657
    },
    "S04.02.00.02": {
        (14, "Sí"): "Defectos encontrados",  # 802
        (30, "Sí"): "Inconveniente identificado en la solicitud inicial",  # 830
    },
    "S04.03.01.01": {
        (2, "No"): "Observaciones a subsanar",
        (7, "No"): "Motivo de la devolución",
    },  # 1009, 1018
    "S04.03.01.02": {(14, "Sí"): "Diferencias identificadas"},  # 1122
    "S04.03.01.03": {(10, "No, con observaciones"): "Observaciones de la DIPEC"},  # 1189
    "S04.03.01.04": {(3, "Sí"): "Observaciones al cronograma", (12, "Sí"): "Observaciones al informe"},
}


def test_branches_that_call_for_a_reason(catalogue):
    for code in catalogue.definitions:
        d = definition(catalogue, code)
        found = {
            (a.n, b.label): b.reason
            for a in d.activities
            if a.decision
            for b in a.decision.branches
            if b.reason
        }
        assert found == REASONS.get(code, {}), code


def fields_of(d: Definition, record_id: str) -> dict[str, tuple[FieldType, bool]]:
    return {f.id: (f.type, f.required) for f in d.record_fields(d.record(record_id))}


def test_documents_carry_the_data_their_activity_names(catalogue):
    # 647 / 820: the publication ticket's data; the public IP only "de ser el caso".
    for code, record in (("S04.02.00.01", "ticket_publicacion"), ("S04.02.00.02", "ticket_publicacion")):
        assert fields_of(definition(catalogue, code), record) == {
            "numero_ticket": (FieldType.TEXT, True),
            "ip_privada": (FieldType.TEXT, True),
            "puertos": (FieldType.TEXT, True),
            "ip_publica": (FieldType.TEXT, False),
        }
    # 643: the ticket carries its number and the number of the Acta de calidad.
    assert set(fields_of(definition(catalogue, "S04.02.00.01"), "ticket_pase_produccion")) == {
        "numero_ticket",
        "numero_acta_qa",
    }
    # 812: the backup before going to production, and where it is kept.
    assert fields_of(definition(catalogue, "S04.02.00.02"), "respaldo_sistema") == {
        "ubicacion": (FieldType.TEXT, True)
    }
    # 1100: the .PST backup in the storage site.
    assert fields_of(definition(catalogue, "S04.03.01.02"), "backup_pst") == {
        "ubicacion": (FieldType.TEXT, True)
    }
    # 1028: the VPN user's data.
    assert set(fields_of(definition(catalogue, "S04.03.01.01"), "usuario_vpn")) == {
        "nombre_completo",
        "oficina",
        "modalidad_contrato",
        "usuario_red",
    }
    # 905: the oficio names each system's software, version and one of the three reasons.
    d = definition(catalogue, "S04.02.00.03")
    (systems,) = [f for f in d.record_fields(d.record("oficio_sistemas_baja")) if f.id == "sistemas"]
    assert [c.id for c in systems.columns] == ["software", "version", "motivo"]
    assert systems.columns[2].choices == [
        "Fin de su vida útil",
        "Obsolescencia tecnológica",
        "Problemas de seguridad o legalidad",
    ]
    # 282: the cronograma's three columns.
    d = definition(catalogue, "S04.01.00.01")
    (cronograma,) = d.record_fields(d.record("cronograma_trabajo_pgd"))
    assert [c.label for c in cronograma.columns] == [
        "Fase de la formulación del PGD",
        "Nombre de la actividad",
        "Duración de la actividad",
    ]
    # 1265-1266: the log cronograma is filled at 2 and signed at 3, only when it has no observations.
    d = definition(catalogue, "S04.03.01.04")
    assert {f.id: f.activity for f in d.record_fields(d.record("cronograma_revision_logs"))} == {
        "sistemas": 2,
        "firma_coordinador": 3,
    }
    assert d.activity(3).optional_records == ["cronograma_revision_logs"]


def test_seed_formats_stay_formats(catalogue):
    """A format the seed only names (Formato N° 1 …) is not invented: only records without one get fields."""
    for code in catalogue.definitions:
        d = definition(catalogue, code)
        for record in d.records:
            assert not (record.format and record.fields), (code, record.id)
            if record.name.startswith("Formato N°") and record.format is None:
                assert not record.fields, (code, record.id)
