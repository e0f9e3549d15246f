"""
What a person doing a task of the MINDEF fichas S04.03.02.01 … S04.05.00.02 is told and asked to write,
against seed 002_e77bb1057b2e86ee.txt: the case's subject, the reason a branch asks for, the instruction of
the path taken, and the data of the documents the seed names.

Every expected value is quoted from the seed line named beside it, not read from the definitions.
"""

import datetime as dt
from pathlib import Path

import pytest

from mapro.cases.services.describe import subject_render
from mapro.catalogue.definition import Definition, load_catalogue

MINDEF = Path(__file__).resolve().parents[3] / "procedures" / "mindef"
CODES = [
    "S04.03.02.01",
    "S04.03.02.02",
    "S04.03.03.01",
    "S04.03.03.02",
    "S04.03.04.01",
    "S04.03.04.02",
    "S04.03.04.03",
    "S04.04.00.01",
    "S04.04.00.02",
    "S04.04.00.03",
    "S04.05.00.01",
    "S04.05.00.02",
]
DAY = dt.date(2026, 7, 1)


@pytest.fixture(scope="module")
def catalogue():
    result = load_catalogue([MINDEF / f"{code.replace('.', '_')}.yaml" for code in CODES])
    assert result.ok, "\n".join(str(e) for e in result.errors)
    return result


def definition(catalogue, code: str) -> Definition:
    return catalogue.definitions[code].definition


def labels(d: Definition, record_id: str, activity: int | None = None) -> list[str]:
    fields = d.record_fields(d.record(record_id))
    return [f.label for f in fields if activity is None or f.activity in (None, activity)]


# (code, inputs, records, requester) -> the subject: what identifies the case for a help-desk analyst.
SUBJECTS = [
    # 1517: "copia de restauración de información de algún sistema o base de datos o de información personal".
    (
        "S04.03.02.02",
        {"tipo_informacion": "Base de datos"},
        {"ticket_atencion": {"informacion": "BD del SIGA"}},
        "",
        "Restauración de información del 01/07/2026: Base de datos — BD del SIGA",
    ),
    # 1690: the oficio specifies "Cantidad, tipo de equipos y nombre del usuario".
    (
        "S04.03.03.02",
        {"nombre_usuario": "Juan Pérez", "cantidad": 2, "tipo_equipos": ["Equipos telefónicos IP"]},
        {},
        "",
        "Equipos telefónicos para Juan Pérez: 2 — Equipos telefónicos IP",
    ),
    # 1786: the devices are returned on leaving ("Cese del personal del MINDEF por renuncia…").
    (
        "S04.03.04.01",
        {"motivo_desvinculacion": "Cese por renuncia"},
        {},
        "Ana Díaz",
        "Dispositivos para el uso del certificado digital de Ana Díaz — Cese por renuncia",
    ),
    # 1841: the user's ticket is the request.
    (
        "S04.03.04.02",
        {"requerimiento_soporte": "La impresora no imprime."},
        {},
        "Ana Díaz",
        "Soporte técnico para Ana Díaz: La impresora no imprime.",
    ),
    # 2117: the analysis identifies the sender.
    (
        "S04.04.00.02",
        {},
        {"analisis_correo": {"remitente": "falso@ejemplo.com"}},
        "Ana Díaz",
        "Correo spam y/o phishing reportado por Ana Díaz — falso@ejemplo.com",
    ),
    # A scheduled ficha without identifying data: the date it started (1433 "Semestralmente").
    (
        "S04.03.02.01",
        {},
        {},
        "",
        "Copias de respaldo de la información del 01/07/2026",
    ),
]


@pytest.mark.parametrize(("code", "inputs", "records", "requester", "expected"), SUBJECTS)
def test_subject_says_what_the_case_is_about(catalogue, code, inputs, records, requester, expected):
    d = definition(catalogue, code)
    rendered = subject_render(d.subject, inputs=inputs, records=records, requester=requester, started=DAY)
    assert rendered == expected


def test_every_ficha_has_a_subject(catalogue):
    assert [code for code in CODES if not definition(catalogue, code).subject] == []


# Every branch whose seed text asks for a justification, and only those: (code, activity, label) -> line.
REASONS = {
    ("S04.03.02.01", 13, "Sí"): 1440,  # "En caso de haber observaciones, se las remite … para la subsanación"
    ("S04.03.02.02", 16, "No"): 1519,  # "señalando el motivo por el que se rechaza la solicitud"
    ("S04.03.02.02", 21, "Sí"): 1529,  # observaciones al informe de copia de restauración
    ("S04.03.04.01", 2, "No"): 1773,  # "a fin de que se subsanen las observaciones"
    ("S04.03.04.02", 2, "No"): 1843,  # "a fin de que se subsanen las observaciones"
    ("S04.04.00.01", 12, "Sí"): 2025,  # observaciones al informe de generación de back up
    ("S04.05.00.01", 10, "Sí"): 2335,  # observaciones al Cronograma de envío de Información
    ("S04.05.00.01", 29, "Sí"): 2366,  # observaciones al documento estadístico
    ("S04.05.00.02", 12, "Sí"): 2478,  # observaciones al informe y al documento estadístico
}


def test_branches_that_call_for_a_justification_ask_for_it(catalogue):
    found = {
        (code, a.n, b.label)
        for code in CODES
        for a in definition(catalogue, code).activities
        if a.decision
        for b in a.decision.branches
        if b.reason
    }
    assert found == set(REASONS)
    # The optional observations record of S04.04.00.01 activity 12 gave way to the reason.
    assert "observaciones_informe_backup" not in {r.id for r in definition(catalogue, "S04.04.00.01").records}


# (code, activity) -> (came_from, seed line): the instruction after observations, or after the proposal.
VARIANTS = {
    ("S04.03.02.01", 12): (13, 1440),
    ("S04.03.02.02", 20): (21, 1529),
    ("S04.04.00.01", 11): (12, 2025),
    ("S04.05.00.01", 9): (10, 2335),
    ("S04.05.00.01", 28): (29, 2366),
    ("S04.05.00.02", 3): (2, 2464),  # "Definida y actualizada la propuesta … formalizará su pedido"
    ("S04.05.00.02", 11): (12, 2478),
}


def test_instruction_variants_by_path(catalogue):
    found = {
        (code, a.n): (v.came_from, v.seed_line)
        for code in CODES
        for a in definition(catalogue, code).activities
        for v in a.variants
    }
    assert found == VARIANTS
    text = definition(catalogue, "S04.05.00.02").activity(3).variants[0].text
    assert text.startswith("Definida y actualizada la propuesta de información presentada")


def test_documents_carry_the_data_the_seed_names(catalogue):
    d = definition(catalogue, "S04.03.04.03")
    # 1930: "se especifica el problema, acciones tomadas, necesidades y las recomendaciones".
    assert labels(d, "informe_situacional_equipo")[1:] == [
        "Problema",
        "Acciones tomadas",
        "Necesidades",
        "Recomendaciones",
    ]
    # 1610: "registra … la fecha y nombre de los archivos copiados".
    d = definition(catalogue, "S04.03.03.01")
    assert labels(d, "inventario_configuraciones") == [
        "Fecha del respaldo",
        "Nombre de los archivos copiados",
    ]
    # 1783: "Una tarjeta Criptográfica - Un lector de tarjetas - Credenciales de acceso".
    d = definition(catalogue, "S04.03.04.01")
    (devices,) = [f for f in d.record_fields(d.record("acta_entrega_dispositivos")) if f.activity == 8]
    assert devices.choices == ["Una tarjeta criptográfica", "Un lector de tarjetas", "Credenciales de acceso"]
    # 1716: the signatures of the Acta de asignación de bienes, gathered at activity 15.
    d = definition(catalogue, "S04.03.03.02")
    (signatures,) = [f for f in d.record_fields(d.record("acta_asignacion_bienes")) if f.id == "firmas"]
    assert (signatures.activity, len(signatures.choices)) == (15, 4)
    # 2130/2136: the four actions the infrastructure team is told to execute.
    d = definition(catalogue, "S04.04.00.02")
    (actions,) = d.record_fields(d.record("comunicacion_infraestructura"))
    assert actions.choices[-1] == "Cambio de contraseña de las cuentas comprometidas"
    # No credential is ever asked for in a record (1781, 2139: passwords travel by mail, not in the case).
    for code in CODES:
        d = definition(catalogue, code)
        for record in d.records:
            asked = [f.label for f in d.record_fields(record) if "contraseña" in f.label.lower()]
            assert asked == [], (code, record.id)
