"""
Indicator values and deadline compliance as CSV and XLSX (docs/indicators.md): the same columns in both, the
figures as numbers (a value without data is an empty cell and the verdict "sin datos", never 0).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from decimal import Decimal

from openpyxl import Workbook
from openpyxl.styles import Font

from .indicators import ComplianceRow, IndicatorValue

INDICATOR_COLUMNS = [
    "Procedimiento o proceso",
    "Indicador",
    "Nombre",
    "Fórmula",
    "Unidad",
    "Frecuencia",
    "Desde",
    "Hasta",
    "Numerador (qué cuenta)",
    "Numerador",
    "Denominador (qué cuenta)",
    "Denominador",
    "Valor",
    "Línea base",
    "Meta",
    "Desviación",
    "Resultado",
    "Motivo",
    "Conteos adicionales",
]
COMPLIANCE_COLUMNS = [
    "Clave",
    "Nombre",
    "Desde",
    "Hasta",
    "Cumplidos",
    "Vencidos",
    "En plazo",
    "Caducados",
    "Total",
    "Cumplimiento (%)",
]


def indicator_rows(values: Sequence[IndicatorValue]) -> list[list[object]]:
    return [
        [
            v.procedure_code,
            v.indicator_id,
            v.name,
            v.formula,
            v.unit,
            v.frequency_label,
            v.start,
            v.end,
            v.numerator_label,
            v.numerator,
            v.denominator_label,
            v.denominator,
            v.value,
            v.baseline,
            v.target,
            v.deviation,
            v.verdict,
            v.reason,
            "; ".join(f"{c.label}: {c.count}" for c in v.also),
        ]
        for v in values
    ]


def compliance_rows(rows: Sequence[ComplianceRow]) -> list[list[object]]:
    return [
        [r.key, r.label, r.start, r.end, r.met, r.missed, r.pending, r.expired, r.total, r.compliance]
        for r in rows
    ]


def _cell(value: object) -> object:
    return "" if value is None else value


def to_csv(columns: list[str], rows: list[list[object]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(columns)
    for row in rows:
        writer.writerow([_cell(v) for v in row])
    return out.getvalue()


def indicators_csv(values: Sequence[IndicatorValue]) -> str:
    return to_csv(INDICATOR_COLUMNS, indicator_rows(values))


def compliance_csv(rows: Sequence[ComplianceRow]) -> str:
    return to_csv(COMPLIANCE_COLUMNS, compliance_rows(rows))


def indicators_xlsx(
    values: Sequence[IndicatorValue], by_procedure: Sequence[ComplianceRow], by_role: Sequence[ComplianceRow]
) -> bytes:
    """One workbook: the indicators, then deadline compliance per procedure and per role."""
    workbook = Workbook()
    sheets = [
        ("Indicadores", INDICATOR_COLUMNS, indicator_rows(values)),
        ("Plazos por procedimiento", COMPLIANCE_COLUMNS, compliance_rows(by_procedure)),
        ("Plazos por rol", COMPLIANCE_COLUMNS, compliance_rows(by_role)),
    ]
    for index, (title, columns, rows) in enumerate(sheets):
        sheet = workbook.active if index == 0 else workbook.create_sheet()
        sheet.title = title
        sheet.append(columns)
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for row in rows:
            sheet.append([float(v) if isinstance(v, Decimal) else v for v in row])
        sheet.freeze_panes = "A2"
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
