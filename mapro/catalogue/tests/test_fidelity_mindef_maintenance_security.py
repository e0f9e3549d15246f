"""
The MINDEF fichas S04.03.04.03, S04.04.00.01 and S04.04.00.02 say what seed 002 says.

Every expected value is read from seed 002_e77bb1057b2e86ee.txt (lines 1889-2172), not from the definitions:
each activity's row (number, responsible, seed line), every decision with the branch labels and targets as
written, the recipients the activity texts name and the parallel start of S04.04.00.02 activity 12. The
seed gives these three fichas no plazos, indicadores or RACI matrix; the tests say so too.
"""

from pathlib import Path

import pytest

from mapro.catalogue.definition import Definition, load_catalogue
from mapro.catalogue.definition.schema import ActivityKind

MINDEF = Path(__file__).resolve().parents[3] / "procedures" / "mindef"
SEED = "002_e77bb1057b2e86ee.txt"

# code: (first and last seed line, {activity: (seed line, responsible role)}) — the "Responsable" column.
ROWS = {
    "S04.03.04.03": (
        (1889, 1960),
        {
            1: (1916, "coordinador_infraestructura"),
            2: (1917, "jefe_ogtie"),
            3: (1918, "responsable_soporte_tecnico"),
            4: (1919, "responsable_soporte_tecnico"),
            5: (1920, "operador_mesa_ayuda"),
            6: (1921, "responsable_soporte_tecnico"),
            7: (1922, "responsable_soporte_tecnico"),
            8: (1923, "responsable_soporte_tecnico"),
            9: (1927, "responsable_soporte_tecnico"),
            10: (1928, "coordinador_infraestructura"),
            11: (1929, "jefe_ogtie"),
            12: (1930, "responsable_soporte_tecnico"),
            13: (1931, "coordinador_infraestructura"),
            14: (1932, "responsable_soporte_tecnico"),
            15: (1933, "coordinador_infraestructura"),
        },
    ),
    "S04.04.00.01": (
        (1964, 2057),
        {
            1: (2010, "coordinador_ciberseguridad"),
            2: (2011, "tecnico_informatico_especialista"),
            3: (2012, "tecnico_informatico_especialista"),
            4: (2013, "tecnico_informatico_especialista"),
            5: (2014, "tecnico_informatico_especialista"),
            6: (2015, "tecnico_informatico_especialista"),
            7: (2020, "tecnico_informatico_especialista"),
            8: (2021, "coordinador_ciberseguridad"),
            9: (2022, "jefe_ogtie"),
            10: (2023, "tecnico_informatico_especialista"),
            11: (2024, "tecnico_informatico_especialista"),
            12: (2025, "coordinador_ciberseguridad"),
            13: (2026, "tecnico_informatico_especialista"),
            14: (2027, "tecnico_informatico_especialista"),
            15: (2035, "coordinador_ciberseguridad"),
            16: (2036, "jefe_ogtie"),
        },
    ),
    "S04.04.00.02": (
        (2059, 2172),
        {
            1: (2113, "personal_mindef"),
            2: (2114, "operador_mesa_ayuda"),
            3: (2115, "tecnico_informatico_especialista"),
            4: (2116, "tecnico_informatico_especialista"),
            5: (2117, "tecnico_informatico_especialista"),
            6: (2124, "tecnico_informatico_especialista"),
            7: (2125, "tecnico_informatico_especialista"),
            8: (2126, "tecnico_informatico_especialista"),
            9: (2127, "tecnico_informatico_especialista"),
            10: (2128, "tecnico_informatico_especialista"),
            11: (2129, "tecnico_informatico_especialista"),
            12: (2130, "tecnico_informatico_especialista"),
            13: (2137, "operador_mesa_ayuda"),
            14: (2138, "responsable_infraestructura"),
            15: (2139, "responsable_infraestructura"),
            16: (2140, "profesional_ogtie"),
            17: (2141, "especialista_seguridad_informacion"),
            18: (2142, "tecnico_informatico_especialista"),
            19: (2143, "tecnico_informatico_especialista"),
            20: (2150, "coordinador_ciberseguridad"),
            21: (2151, "jefe_ogtie"),
        },
    ),
}

# code: {activity: (question, {branch label: target})}. S04.04.00.01 activity 4 nests "¿Quién ejecuta el
# mantenimiento?" in its fourth option (line 2013); activity 6's other answer is only "Fin del procedimiento"
# (line 2019); activity 12's observations have no written branches (line 2025): see their inconsistencies.
MAINTENANCE = "Mantenimiento preventivo y correctivo de las plataformas de seguridad informática"
DECISIONS = {
    "S04.03.04.03": {
        6: ("¿Se dio solución?", {"Sí": 7, "No": 8}),
        8: ("¿Equipo tiene garantía?", {"Sí": 12, "No": 9}),
    },
    "S04.04.00.01": {
        4: (
            "¿Tipo de actividad?",
            {
                "Configurar reglas de seguridad": 5,
                "Monitorear y analizar los registros": 6,
                "Generar back up": 10,
                f"{MAINTENANCE}: OGTIE": 13,
                f"{MAINTENANCE}: Contratista": 14,
            },
        ),
        6: ("¿Requiere generar reportes de seguridad?", {"Sí": 7, "No": "end"}),
        12: ("observaciones", {"Sí": 11, "No": "end"}),
    },
    "S04.04.00.02": {
        5: ("Tipo de correo reportado", {"Spam": 6, "Phishing": 8}),
        8: ("¿Se concretó satisfactoriamente?", {"Sí": 11, "No": 9}),
    },
}

# Rows whose text says "Fin del procedimiento" / "Fin de procedimiento", plus the last row of S04.03.04.03.
ENDS = {
    "S04.03.04.03": {7, 11, 15},
    "S04.04.00.01": {5, 9, 13, 16},
    "S04.04.00.02": {7, 10, 17, 21},
}

# Seed lines of the contradictions each definition must record.
INCONSISTENCY_LINES = {
    "S04.03.04.03": {1916, 1931, 1933},
    "S04.04.00.01": {2019, 2025, 2035},
    "S04.04.00.02": {2138, 2140, 2150},
}


@pytest.fixture(scope="module")
def catalogue():
    result = load_catalogue(sorted(MINDEF.glob("*.yaml")))
    assert result.ok, "\n".join(str(e) for e in result.errors)
    return result


def definition(catalogue, code: str) -> Definition:
    return catalogue.definitions[code].definition


@pytest.mark.parametrize("code", sorted(ROWS))
def test_rows_as_in_the_seed(catalogue, code):
    d = definition(catalogue, code)
    lines, rows = ROWS[code]
    assert (d.source.seed, tuple(d.source.lines)) == (SEED, lines)
    assert [a.n for a in d.activities] == sorted(rows)  # every numbered row, numbered as in the seed
    assert {a.n: (a.seed_line, a.role) for a in d.activities} == rows
    assert all(not a.co_roles for a in d.activities)  # each row names one responsible


@pytest.mark.parametrize("code", sorted(DECISIONS))
def test_decisions_and_branch_labels(catalogue, code):
    d = definition(catalogue, code)
    assert {a.n for a in d.activities if a.decision is not None} == set(DECISIONS[code])
    for n, (question, branches) in DECISIONS[code].items():
        decision = d.activity(n).decision
        assert question in decision.question
        assert {b.label: b.goto for b in decision.branches} == branches


@pytest.mark.parametrize("code", sorted(ENDS))
def test_ends_where_the_seed_says_fin(catalogue, code):
    d = definition(catalogue, code)
    assert {a.n for a in d.activities if a.kind == ActivityKind.END} == ENDS[code]


@pytest.mark.parametrize("code", sorted(INCONSISTENCY_LINES))
def test_inconsistencies_recorded(catalogue, code):
    d = definition(catalogue, code)
    assert INCONSISTENCY_LINES[code] <= {i.seed_line for i in d.inconsistencies}


@pytest.mark.parametrize("code", sorted(ROWS))
def test_no_deadlines_indicators_or_raci_in_the_seed(catalogue, code):
    d = definition(catalogue, code)
    assert (d.time_rules, d.indicators, d.raci) == ([], [], [])


def test_maintenance_plan_and_annual_report(catalogue):
    d = definition(catalogue, "S04.03.04.03")
    assert d.process.code == "S04.03.04"
    assert d.activity(14).description.startswith("Anualmente.")  # line 1932: "<i>Anualmente</i>"
    assert "Formato N° 01" in d.activity(14).description
    assert "Formato N° 02" in d.activity(15).description
    (periodicity,) = d.periodicity
    assert periodicity.frequency == "annual"
    # Line 1929: "remitir el oficio de baja del equipo al área usuaria por el SISTRADOC".
    (recipient,) = d.activity(11).informs
    assert (recipient.role, recipient.channel) == ("director_jefe_uo", "SISTRADOC")


def test_platform_backup_is_monthly_and_goes_to_the_coordinator(catalogue):
    d = definition(catalogue, "S04.04.00.01")
    assert d.process.code == "S04.04"
    assert "de manera mensual" in d.activity(10).description  # line 2023
    # Line 2024: "Remitir a responsable de la coordinación del equipo de ciberseguridad, vía SISTRADOC."
    (recipient,) = d.activity(11).informs
    assert (recipient.role, recipient.channel) == ("coordinador_ciberseguridad", "SISTRADOC")
    # Line 2036: "remitir el documento a la DIRAB".
    (dirab,) = d.activity(16).informs
    assert "DIRAB" in dirab.contact


def test_phishing_notifies_users_boss_and_security_officer(catalogue):
    d = definition(catalogue, "S04.04.00.02")
    # Line 2116: "Notifica a los usuarios involucrados, al/a la Jefe/a de la OGTIE y al Oficial de seguridad
    # digital; a través de un correo electrónico desde la cuenta "alerta@mindef.gob.pe"".
    informs = d.activity(4).informs
    assert {r.role for r in informs if r.role} == {"jefe_ogtie", "oficial_seguridad_digital"}
    assert any(r.requester for r in informs)  # who reported the mail is one of the users involved
    assert any(r.contact and "involucrados" in r.contact for r in informs)
    assert all("alerta@mindef.gob.pe" in r.channel for r in informs)
    # Line 2129, after a phishing that succeeded: the compromised users, the boss and the officer again.
    assert {r.role for r in d.activity(11).informs if r.role} == {"jefe_ogtie", "oficial_seguridad_digital"}
    # Line 2140: "Comunica al oficial de seguridad que se culminaron las actividades de remediación".
    assert [r.role for r in d.activity(16).informs] == ["oficial_seguridad_digital"]
    # Lines 2130/2136: "Comunica al Equipo de Trabajo de Infraestructura sobre las siguientes acciones que
    # deben ejecutar": those who execute them, 14 (bloqueos, contraseña, line 2138) and 16 (buzón, line 2140).
    assert [r.role for r in d.activity(12).informs] == ["responsable_infraestructura", "profesional_ogtie"]


def test_phishing_remediation_runs_in_parallel_with_containment(catalogue):
    d = definition(catalogue, "S04.04.00.02")
    # Line 2136: "Continuar en paralelo con las actividades 13 y 18."
    assert d.activity(12).parallel == [13, 18]
    assert d.successors(d.activity(12)) == [13, 18]
    # Both branches end on their own ("Fin del procedimiento" at 17, line 2141; "Fin de procedimiento" after
    # 21, line 2152): no join.
    assert all(not a.join for a in d.activities)
    assert d.successors(d.activity(16)) == [17] and d.successors(d.activity(20)) == [21]


def test_phishing_ticket_fields_filled_where_the_seed_gathers_them(catalogue):
    d = definition(catalogue, "S04.04.00.02")
    # Formatos utilizados: "No aplica" (line 2158): the ticket's data are fields of its record, not a format.
    assert d.formats == []
    (ticket,) = [r for r in d.records if r.id == "ticket_atencion"]
    # Line 2114: "Usuario que realiza el reporte, unidad de organización y cuenta de correo del que llegó el
    # spam o phishing"; line 2115: "la cantidad de usuarios que recibieron el correo electrónico"; the ticket
    # is generated and assigned in activity 2 (its number, the person assigned).
    assert {f.label: f.activity for f in ticket.fields} == {
        "N° de ticket": 2,
        "Personal responsable de la atención asignado": 2,
        "Usuario que realiza el reporte": 2,
        "Unidad de organización": 2,
        "Cuenta de correo del que llegó el spam o phishing": 2,
        "Tipo de correo (análisis preliminar)": 2,
        "Cantidad de usuarios que recibieron el correo electrónico": 3,
    }
    assert {a.n for a in d.activities if "ticket_atencion" in a.records} == {2, 3}


SIX = {"S04.03.04.03", "S04.04.00.01", "S04.04.00.02", "S04.04.00.03", "S04.05.00.01", "S04.05.00.02"}


def test_roles_reuse_the_mindef_ids_and_names(catalogue):
    """
    A role already declared in another MINDEF ficha keeps its id and its name there (the seed's capitals may
    differ: 2213 writes "Técnico informático especialista", 2011 "Técnico Informático Especialista"), and
    among the six new fichas one post has one id.
    """
    names: dict[str, set[str]] = {}
    for code, loaded in catalogue.definitions.items():
        if code not in SIX:
            for role in loaded.definition.roles:
                names.setdefault(role.id, set()).add(role.name.casefold())
    new = set()
    ids_by_name: dict[str, set[str]] = {}
    for code in sorted(SIX):
        for role in definition(catalogue, code).roles:
            ids_by_name.setdefault(role.name.casefold(), set()).add(role.id)
            if role.id in names:
                assert role.name.casefold() in names[role.id], (code, role.id, role.name)
            else:
                new.add(role.id)
    # The cybersecurity and statistics coordinators are also named in S04.01.00.01-03 (issue 11, co-roles).
    assert new == {
        "oficial_seguridad_digital",
        "especialista_estadistico",
        "responsables_organos_estadisticos",
    }
    assert {name: ids for name, ids in ids_by_name.items() if len(ids) > 1} == {}
    # The cybersecurity team's technician (2011-2034, 2115-2143, 2213-2231) is one role in the three S04.04
    # fichas.
    for code in ("S04.04.00.01", "S04.04.00.02", "S04.04.00.03"):
        assert definition(catalogue, code).role("tecnico_informatico_especialista")
