"""
Exact checks that three MINDEF definitions say what their fichas say (seed 002_e77bb1057b2e86ee.txt):
S04.04.00.03 (lines 2174-2256), S04.05.00.01 (lines 2260-2394) and S04.05.00.02 (lines 2396-2500).

Every expected value is quoted from the seed lines named beside it, not read from the definitions: a
definition that drifts from its ficha fails here even when it still validates.
"""

from pathlib import Path

import pytest

from mapro.catalogue.definition import Definition, load_catalogue
from mapro.catalogue.definition.schema import ActivityKind, Completion, EventMoment, Frequency, TimeUnit

MINDEF = Path(__file__).resolve().parents[3] / "procedures" / "mindef"
FILES = ["S04_04_00_03.yaml", "S04_05_00_01.yaml", "S04_05_00_02.yaml"]
OWNER = "Jefe(a) de la Oficina General de Tecnologías de la Información y Estadística"  # 2181, 2267, 2403


@pytest.fixture(scope="module")
def catalogue():
    result = load_catalogue([MINDEF / name for name in FILES])
    assert result.ok, "\n".join(str(e) for e in result.errors)
    return result


def definition(catalogue, code: str) -> Definition:
    return catalogue.definitions[code].definition


def decisions(d: Definition) -> dict[int, tuple[str, dict[str, int]]]:
    return {
        a.n: (a.decision.question, {b.label: b.goto for b in a.decision.branches})
        for a in d.activities
        if a.decision is not None
    }


def roles_by_activity(d: Definition) -> dict[int, list[str]]:
    return {a.n: [d.role(r).name for r in a.performer_roles] for a in d.activities}


def informed(d: Definition, n: int) -> list[str]:
    return [r.role or r.contact or "requester" for r in d.activity(n).informs]


# --- S04.04.00.03 Gestión de incidentes de seguridad informática (lines 2174-2256) ------------------------

TECNICO = "Técnico informático especialista"
COORDINADOR_CIBER = "Responsable de la coordinación del equipo de ciberseguridad"
OPERADOR = "Operador(a) de mesa de ayuda"
# The "Responsable" column of rows 1-14 (lines 2211-2232); rows 7-10 name two: "Técnico informático
# especialista/ Responsable de la coordinación del equipo de ciberseguridad".
INCIDENTES_ROLES = {
    1: ["Personal que labora en el MINDEF"],
    2: [OPERADOR],
    3: [TECNICO],
    4: [TECNICO],
    5: [TECNICO],
    6: [OPERADOR],
    7: [TECNICO, COORDINADOR_CIBER],
    8: [TECNICO, COORDINADOR_CIBER],
    9: [TECNICO, COORDINADOR_CIBER],
    10: [TECNICO, COORDINADOR_CIBER],
    11: [TECNICO],
    12: [TECNICO],
    13: [TECNICO],
    14: [OPERADOR],
}


def test_incidentes_activities_and_their_seed_lines(catalogue):
    d = definition(catalogue, "S04.04.00.03")
    assert d.source.lines == (2174, 2256)
    lines = {1: 2211, 2: 2212, 3: 2213, 4: 2214, 5: 2218, 6: 2219, 7: 2220, 8: 2221, 9: 2222, 10: 2223}
    lines |= {11: 2224, 12: 2225, 13: 2231, 14: 2232}
    assert {a.n: a.seed_line for a in d.activities} == lines
    assert d.activity(4).name == "Detectar el incidente"
    assert d.activity(12).name == "Ejecutar las actividades post-incidentes"
    # "Fin de procedimiento" (2233) is an unnumbered row after 14: activity 14 ends the procedure.
    assert d.activity(14).kind == ActivityKind.END


def test_incidentes_two_starts(catalogue):
    d = definition(catalogue, "S04.04.00.03")
    # 2210: "El reporte es notificado por: - OGTIE: Ir a la actividad 3. - U.O.: Ir a la actividad 1."
    assert sorted(d.start_activities()) == [1, 3]
    # 2212: "Continuar con la actividad 4."
    assert d.activity(2).next == 4
    # The U.O. report is mandatory only in the flow that starts with it.
    (report,) = [i for i in d.inputs if i.element == "Reporte el incidente de seguridad"]
    (uo_flow,) = [f for f in d.flows if f.start == 1]
    assert report.mandatory and report.flows == [uo_flow.id]


def test_incidentes_decisions(catalogue):
    d = definition(catalogue, "S04.04.00.03")
    assert decisions(d) == {
        4: ("¿El incidente fue detectado por el Equipo de Trabajo de Ciberseguridad?", {"Sí": 7, "No": 5}),
        10: ("¿Se logró resolver el incidente?", {"Sí": 12, "No": 11}),
    }
    assert any(i.seed_line == 2214 for i in d.inconsistencies)


def test_incidentes_roles_and_co_responsibles(catalogue):
    d = definition(catalogue, "S04.04.00.03")
    assert roles_by_activity(d) == INCIDENTES_ROLES
    # One role per person named, never a merged "A / B" role; either of the pair completes 7-10 ("Analiza").
    assert not any("/" in r.name for r in d.roles)
    assert {a.n for a in d.activities if a.co_roles} == {7, 8, 9, 10}
    assert all(d.activity(n).completion == Completion.ANY for n in (7, 8, 9, 10))
    assert d.role("jefe_ogtie").name == d.owner == OWNER
    # The same post as in S04.04.00.01 (2011) and S04.04.00.02 (2115): one role id in the S04.04 fichas.
    technician = {a.role for a in d.activities if a.n in (3, 4, 5, 11, 12, 13)}
    assert technician == {"tecnico_informatico_especialista"}


def test_incidentes_external_support_is_told(catalogue):
    d = definition(catalogue, "S04.04.00.03")
    # 2224: "Comunica el incidente al proveedor o soporte externo"
    assert informed(d, 11) == ["Proveedor o soporte externo"]
    # 2218: "Solicitar al operador(a) de mesa de ayuda la generación de ticket de atención."
    assert informed(d, 5) == ["operador_mesa_ayuda"]


def test_incidentes_has_no_term_nor_indicator(catalogue):
    # The ficha (2174-2256) states no plazo and has no ficha de indicador; "Formatos utilizados: No aplica".
    d = definition(catalogue, "S04.04.00.03")
    assert (d.time_rules, d.indicators, d.formats, d.raci) == ([], [], [], [])
    assert {p.frequency for p in d.periodicity} == {Frequency.ON_DEMAND}
    assert {p.flow for p in d.periodicity} == {f.id for f in d.flows}


# --- S04.05.00.01 Producción y difusión de la información estadística (lines 2260-2394) ---------------

COORD_EST = "Responsable de la coordinación del equipo de estadística"
ESPECIALISTA = "Especialista estadístico"
SG = "Secretario(a) General"
ORGANOS = "Responsables de los Órganos Estadísticos o quienes hagan sus veces"
# The "Responsable" column of rows 1-31 (lines 2321-2368); "Jefe(a)" is the OGTIE's head, the ficha's owner.
PRODUCCION_ROLES = {n: [OWNER] for n in (2, 4, 7, 10, 11, 17, 22, 24, 26, 29, 30)}
PRODUCCION_ROLES |= {n: [COORD_EST] for n in (1, 3, 8, 9, 14, 16, 19, 21, 23, 25, 28)}
PRODUCCION_ROLES |= {n: [ESPECIALISTA] for n in (15, 18, 20, 27)}
PRODUCCION_ROLES |= {n: [SG] for n in (5, 6, 12, 31)}
PRODUCCION_ROLES |= {13: [ORGANOS]}


def test_produccion_activities(catalogue):
    d = definition(catalogue, "S04.05.00.01")
    assert d.source.lines == (2260, 2394)
    assert [a.n for a in d.activities] == list(range(1, 32))
    assert d.activity(1).seed_line == 2321 and d.activity(31).seed_line == 2368
    assert d.activity(18).name == "Desarrollar cuadros y gráficos estadísticos del Sector defensa"
    assert d.activity(31).kind == ActivityKind.END  # "Fin de procedimiento" (2369) is unnumbered


def test_produccion_decisions(catalogue):
    d = definition(catalogue, "S04.05.00.01")
    # 2335: "¿Hay observaciones? - Sí: Ir a la actividad 9. - No: Ir a la actividad 11."
    # 2366: "¿Hay observaciones? - Sí: Ir a la actividad 28. - No: Ir a la actividad 30."
    assert decisions(d) == {
        10: ("¿Hay observaciones?", {"Sí": 9, "No": 11}),
        29: ("¿Hay observaciones?", {"Sí": 28, "No": 30}),
    }


def test_produccion_roles(catalogue):
    d = definition(catalogue, "S04.05.00.01")
    assert roles_by_activity(d) == PRODUCCION_ROLES


def test_produccion_parallel_cover_and_content(catalogue):
    d = definition(catalogue, "S04.05.00.01")
    # 2352: "Continuar en paralelo con la actividad 20 y 21."; 2353: "Continuar con la actividad 27.";
    # 2363: "... la entrega de las fundas y etiquetas impresas a la OGTIE y luego de ello la actividad 27."
    assert d.activity(19).parallel == [20, 21]
    assert d.activity(20).next == 27
    assert d.successors(d.activity(26)) == [27]
    assert d.activity(27).join == [20, 26]


def test_produccion_informa_al_jefe(catalogue):
    d = definition(catalogue, "S04.05.00.01")
    # 2345: "Monitorea e informa al Jefe(a) de la OGTIE sobre la situación de la evaluación ..."
    assert informed(d, 16) == ["jefe_ogtie"]
    # 2330: the SG sends the designation request to the sector's bodies; no statistician is named yet.
    assert informed(d, 5) == [
        "Órganos ejecutores del Sector Defensa",
        "Organismos públicos del Sector Defensa",
        "Empresas del Sector Defensa",
    ]
    # 2368: the approved document goes to them "para su conocimiento y difusión a través de su Órgano
    # Estadístico".
    assert informed(d, 31) == ["responsables_organos_estadisticos"]
    # 2358 addresses the print request to the DGA; 2363 says OGPPRP but the DGA delivers (S01): recorded.
    assert informed(d, 26) == ["DGA"]
    assert any(i.seed_line == 2363 for i in d.inconsistencies)


def test_produccion_cronograma_for_the_year(catalogue):
    d = definition(catalogue, "S04.05.00.01")
    (rule,) = d.time_rules
    # 2321: "Formula el cronograma de actividades para el año correspondiente"
    assert rule.text == "Formula el cronograma de actividades para el año correspondiente"
    assert (rule.amount, rule.unit, rule.meaning, rule.seed_line) == (1, TimeUnit.YEAR_END, "validity", 2321)
    assert rule.unit_assumed  # the ficha gives no amount: how "año correspondiente" was read
    event = next(e for e in d.events if e.id == rule.anchor)
    assert (event.activity, event.moment) == (2, EventMoment.END)  # 2322: "Revisa y aprueba el cronograma"
    assert [(p.frequency, p.flow) for p in d.periodicity] == [(Frequency.ANNUAL, None)]


def test_produccion_expediente_without_author(catalogue):
    d = definition(catalogue, "S04.05.00.01")
    # 2367 sends a "proyecto de oficio múltiple" no activity drafts: optional in activity 28.
    assert d.activity(28).optional_records == ["proyecto_oficio_multiple_difusion"]
    assert {i.seed_line for i in d.inconsistencies} >= {2313, 2332, 2344, 2363, 2367}
    assert d.indicators == [] and d.raci == [] and d.formats == []  # none in the ficha; formats "No aplica"


# --- S04.05.00.02 Atención a las necesidades de información estadística (lines 2396-2500) ---------------

DIRECTOR_UO = "Director(a) / Jefe(a) de la unidad de organización"
NECESIDADES_ROLES = {n: [OWNER] for n in (4, 12, 13)}
NECESIDADES_ROLES |= {n: [DIRECTOR_UO] for n in (1, 3)}
NECESIDADES_ROLES |= {n: [COORD_EST] for n in (2, 5, 9, 11)}
NECESIDADES_ROLES |= {n: [ESPECIALISTA] for n in (6, 7, 8, 10)}


def test_necesidades_activities_and_starts(catalogue):
    d = definition(catalogue, "S04.05.00.02")
    # Line 2500 ("---" of the control de cambios, as every other ficha's last line) has no final newline, so
    # `wc -l` counts 2499 lines.
    assert d.source.lines == (2396, 2500)
    assert [a.n for a in d.activities] == list(range(1, 14))
    lines = {1: 2457, 2: 2458, 3: 2465, 4: 2466, 5: 2467, 6: 2468, 7: 2469, 8: 2470, 9: 2475}
    lines |= {10: 2476, 11: 2477, 12: 2478, 13: 2479}
    assert {a.n: a.seed_line for a in d.activities} == lines
    # 2456: "Necesidad parte de otras Unidades ...: Ir a la actividad 1. - Necesidad parte de la OGTIE: Ir a
    # la actividad 2."; 2457: "Continuar con la actividad 3."
    assert sorted(d.start_activities()) == [1, 2]
    assert d.activity(1).next == 3
    assert d.activity(13).kind == ActivityKind.END


def test_necesidades_decisions(catalogue):
    d = definition(catalogue, "S04.05.00.02")
    # 2467: "¿Se cuenta con la información solicitada? - Si: Ir a la actividad 8. - No: Ir a la actividad 6."
    # 2478: "¿Hay observaciones? - Sí: Ir a la actividad 11. - No: Ir a la actividad 13."
    assert decisions(d) == {
        5: ("¿Se cuenta con la información solicitada?", {"Si": 8, "No": 6}),
        12: ("¿Hay observaciones?", {"Sí": 11, "No": 13}),
    }


def test_necesidades_roles_and_recipients(catalogue):
    d = definition(catalogue, "S04.05.00.02")
    assert roles_by_activity(d) == NECESIDADES_ROLES
    # 2479: "lo remite con oficio a la Unidad de Organización del MINDEF solicitante"
    assert informed(d, 13) == ["director_jefe_uo"]
    # 2468: the oficio only goes out "Si se requiere información de otras Unidades de Organización".
    assert d.activity(6).optional_records == ["oficio_solicitud_otras_uo"]
    # 2468 names two recipients: the requesting U.O. ("se coordina con ellos") and the other U.O. (by oficio).
    assert informed(d, 6) == ["director_jefe_uo", "Otras Unidades de Organización del MINDEF"]
    assert d.activity(6).kind == ActivityKind.WAIT  # "Se espera a que la unidad de organización remita"


def test_necesidades_has_no_term_nor_indicator(catalogue):
    d = definition(catalogue, "S04.05.00.02")
    # The ficha (2396-2500) states no plazo and has no ficha de indicador; "Formatos utilizados: No aplica".
    assert (d.time_rules, d.indicators, d.formats, d.raci) == ([], [], [], [])
    (need,) = [i for i in d.inputs if i.element == "Necesidad de información estadística."]
    assert need.mandatory and need.flows == [next(f.id for f in d.flows if f.start == 1)]
