"""The case subject from the definition's template, and the folded text the case list searches."""

import datetime as dt

import pytest

from mapro.cases.services.describe import search_text, subject_render

STARTED = dt.date(2026, 12, 6)


@pytest.mark.parametrize(
    ("template", "inputs", "records", "expected"),
    [
        (
            "Baja de {inputs.cuenta} — {inputs.motivo}",
            {"cuenta": "jperez@vivienda.gob.pe", "motivo": "Culminación de la orden de servicio"},
            {},
            "Baja de jperez@vivienda.gob.pe — Culminación de la orden de servicio",
        ),
        # A placeholder without a value takes its separator with it.
        (
            "Baja de {inputs.cuenta} — {inputs.motivo}",
            {"cuenta": "jperez@vivienda.gob.pe"},
            {},
            "Baja de jperez@vivienda.gob.pe",
        ),
        ("{inputs.a} — {inputs.b} — {inputs.c}", {"c": "Tercero"}, {}, "Tercero"),
        ("Respaldo del {started} ({requester})", {}, {}, "Respaldo del 06/12/2026 (Ana Núñez)"),
        # Records, dates as dd/mm/aaaa, booleans and lists as people read them.
        (
            "Ticket {ticket.numero}: {ticket.fecha} · {ticket.urgente} · {ticket.equipos}",
            {},
            {
                "ticket": {
                    "numero": 4521,
                    "fecha": "2026-11-30",
                    "urgente": True,
                    "equipos": ["PC", "Impresora"],
                }
            },
            "Ticket 4521: 30/11/2026 · Sí · PC, Impresora",
        ),
        (None, {"cuenta": "x"}, {}, ""),
    ],
)
def test_subject_render(template, inputs, records, expected):
    assert (
        subject_render(template, inputs=inputs, records=records, requester="Ana Núñez", started=STARTED)
        == expected
    )


def test_subject_is_cut_at_300_characters():
    text = subject_render("{inputs.a}", inputs={"a": "x" * 400}, records={}, requester="", started=STARTED)

    assert len(text) == 300


def test_search_text_is_folded_for_accent_blind_search():
    text = search_text(
        number="MVCS-2026-000123",
        subject="Baja de JPérez@vivienda.gob.pe",
        inputs={"cuenta": "JPérez@vivienda.gob.pe", "anio": 2026},
        requester="Ana Núñez",
    )

    assert "mvcs-2026-000123" in text
    assert "jperez@vivienda.gob.pe" in text
    assert "ana nunez" in text
    assert "2026" in text
