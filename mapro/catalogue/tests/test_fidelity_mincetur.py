"""
Spot checks that the MINCETUR definitions (Directiva N° 002-2023-MINCETUR/SG, seed 003) say what the seed says
where a work screen shows it: the instruction per path, the reason asked on the "no procede" branches, and the
data the records carry. Expected values are quoted from the seed, not from the definitions.
"""

from pathlib import Path

import pytest

from mapro.catalogue.definition import Definition, load_catalogue

PROCEDURES = Path(__file__).resolve().parents[3] / "procedures"


@pytest.fixture(scope="module")
def catalogue():
    result = load_catalogue([PROCEDURES / "mincetur"])
    assert result.ok, "\n".join(str(e) for e in result.errors)
    return result


def definition(catalogue, code: str) -> Definition:
    return catalogue.definitions[f"MINCETUR-DIR-002-2023-{code}"].definition


def fields_of(d: Definition, record_id: str) -> dict[str, tuple[str, bool]]:
    record = next(r for r in d.records if r.id == record_id)
    return {f.id: (f.type, f.required) for f in d.record_fields(record)}


def test_restore_on_request_subject_reasons_and_variants(catalogue):
    d = definition(catalogue, "7.2.2")
    # 003:195/202: the shared folder, the data base and the "fecha o periodo" identify the request.
    for placeholder in ("{inputs.carpeta_compartida}", "{inputs.base_datos}", "{inputs.fecha_periodo}"):
        assert placeholder in d.subject
    # 003:205-206: outside the retention periods, or not available: "indica que solicitud no procede".
    reasons = {n: next(b.reason for b in d.activity(n).decision.branches if b.label == "No") for n in (3, 4)}
    assert all(reasons.values()) and "retención" in reasons[3] and "disponible" in reasons[4]
    variants = {v.came_from: v for v in d.activity(6).variants}
    assert set(variants) == {3, 4}
    assert "periodos de retención" in variants[3].text and variants[3].seed_line == 205
    assert "no está disponible" in variants[4].text and variants[4].seed_line == 206
    # 003:204 "mediante ticket"; 003:206 the restoration is told to the user.
    assert fields_of(d, "ticket") == {"numero_ticket": ("text", True)}
    assert fields_of(d, "correo_restauracion") == {
        "informacion_restaurada": ("long_text", True),
        "fecha_envio": ("date", True),
    }


def test_backup_directory_and_daily_record(catalogue):
    d = definition(catalogue, "7.1.1")
    # 003:158: the Directorio states "la periodicidad, el tipo de backup, el periodo de retención, etc.".
    (table,) = d.record_fields(next(r for r in d.records if r.id == "directorio_respaldo"))
    assert [c.label for c in table.columns] == [
        "Información",
        "Periodicidad",
        "Tipo de backup",
        "Periodo de retención",
    ]
    # 003:166: the operator identifies the probable cause; a non-conforming daily check is treated alike.
    assert fields_of(d, "alerta_incidente")["causa_probable"] == ("long_text", True)
    (from_check,) = d.activity(6).variants
    assert from_check.came_from == 5 and "causa probable" in from_check.text
    assert "{started}" in d.subject


def test_restore_tests_result_and_external_variant(catalogue):
    d = definition(catalogue, "7.2.1")
    # 003:188 "a fin de validar que el proceso de respaldo funciona adecuadamente".
    assert fields_of(d, "resultado_prueba") == {
        "fecha_prueba": ("date", True),
        "informacion_restaurada": ("long_text", True),
        "resultado": ("choice", True),
    }
    (external,) = d.activity(5).variants
    assert external.came_from == 4 and "responsable del servicio de backup" in external.text
