"""
The seeds' numbered "Fin del procedimiento" rows (issue 11, item 11): each one is an activity of kind
end_event with the seed's number and line, in every definition of every entity, so activity numbers always
equal the seed's and nobody has a "Fin" task to complete (docs/decisions/0020-informs-fin-rows-describe-api.md
says why).
"""

from __future__ import annotations

from pathlib import Path

from django.conf import settings

from mapro.catalogue.definition import load_catalogue
from mapro.catalogue.definition.schema import ActivityKind
from mapro.catalogue.export.content import ficha_content

# Every numbered Fin row of the seeds, (seed, line): number, as `grep -nE "^[0-9]+\s+Fin del? procedimiento"`
# finds them. Only Senace's seed numbers them; the other seeds end their tables with an unnumbered row.
SENACE = "004_32d48329d5d2eed2.txt"
FIN_ROWS = {
    (SENACE, line): number
    for line, number in {
        489: 9, 552: 10, 607: 18, 753: 17, 1050: 20, 1286: 9, 1385: 12, 1408: 11, 1425: 7, 1549: 34,
        1597: 25, 1635: 19, 1827: 30, 1866: 20, 1899: 14, 1932: 15, 2147: 13, 2220: 14,
    }.items()
}  # fmt: skip
CATALOGUE = load_catalogue([Path(settings.PROCEDURES_DIR)])


def test_every_numbered_fin_row_is_an_end_event_activity_with_the_seed_number():
    rows = FIN_ROWS
    found = {}
    for item in CATALOGUE.definitions.values():
        d = item.definition
        for a in d.activities:
            if a.seed_line is not None and (d.source.seed, a.seed_line) in rows:
                found[(d.source.seed, a.seed_line)] = a
    assert set(found) == set(rows)
    for key, activity in found.items():
        assert activity.kind == ActivityKind.END_EVENT, (key, activity.n)
        # Flow-numbered procedures write activity n of flow k as k*100+n (their notes say so).
        assert rows[key] in (activity.n, activity.n % 100), (key, activity.n)


def test_no_other_activity_is_an_end_event():
    rows = FIN_ROWS
    for item in CATALOGUE.definitions.values():
        d = item.definition
        for a in d.activities:
            if a.kind == ActivityKind.END_EVENT:
                assert (d.source.seed, a.seed_line) in rows, (d.code, a.n)


def test_the_ficha_shows_a_fin_row_and_who_an_activity_informs():
    content = ficha_content(CATALOGUE.definitions["PR.OTI.005"].definition)
    first = next(row for row in content.activities if row.n == 1)
    assert "Informa a: Infraestructura (OTI) <infraestructura@vivienda.gob.pe> (correo)." in first.flow

    content = ficha_content(CATALOGUE.definitions["S.04.04.01.03_P"].definition)
    rows = {row.n: row for row in content.activities}
    assert "Informa a: Jefe(a) de la Oficina de Tecnologías de la Información." in rows[12].flow
    assert rows[13].kind == "Fin del procedimiento"
