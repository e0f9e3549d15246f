"""
`mapro reports acta CASE FORMAT [--format pdf|docx] [--output FILE] [--user USER]`: a format of the ficha
filled with the case's records (docs/reports.md). With --user, as that person would get it (need-to-know);
without it, as the operator of the server sees the case (every record, as `mapro cases show`).

`mapro reports indicators --entity E --from D --to D [--procedure CODE …] [--format table|csv|xlsx]
[--output FILE]`: the indicators of the entity's fichas and deadline compliance for the period
(docs/indicators.md).

`mapro reports supervision --entity E --from YYYY-MM-DD --to YYYY-MM-DD [--format pdf|docx] [--output FILE]
[--procedure CODE ...]`: the supervision report of an entity for a period (docs/reports.md).
"""

import argparse
import datetime as dt
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from mapro.cases.models import Case
from mapro.core.errors import ApplicationError
from mapro.organization.models import Entity, Person
from mapro.reports.indicator_exports import indicators_csv, indicators_xlsx
from mapro.reports.indicators import ComplianceRow, IndicatorValue, deadline_compliance, indicator_values
from mapro.reports.services import FORMATS, acta_render
from mapro.reports.supervision import FORMATS as SUPERVISION_FORMATS
from mapro.reports.supervision import supervision_render


class Command(BaseCommand):
    help = "Reportes y actas generados a partir de los expedientes."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        acta = sub.add_parser("acta", help="Un formato de la ficha lleno con los registros del expediente.")
        acta.add_argument("case", help="Número del expediente, p. ej. SENACE-2026-000001")
        acta.add_argument("document", help="Id del formato (p. ej. acta_control) o del anexo sin formato.")
        acta.add_argument("--format", dest="fmt", choices=sorted(FORMATS), default="pdf")
        acta.add_argument("--output", type=Path, help="Archivo de salida (por omisión, NÚMERO_FORMATO.ext).")
        acta.add_argument("--user", help="Generarla como la vería esta persona (sus registros visibles).")
        add_indicators_parser(sub)
        supervision_add_parser(sub)

    def handle(self, *args: Any, action: str, **options: Any) -> None:
        if action == "supervision":
            self.stdout.write(supervision_command(**options))
            return
        if action == "indicators":
            indicators_command(self, options)
            return
        self._acta(options["case"], options["document"], options["fmt"], options["output"], options["user"])

    def _acta(self, number: str, document: str, fmt: str, output: Path | None, user: str | None) -> None:
        person = None
        if user:
            person = Person.objects.select_related("entity").filter(user__username=user).first()
            if person is None:
                raise CommandError(f"No existe la persona con usuario {user}.")
        case = Case.objects.select_related("entity", "procedure_version").filter(number=number).first()
        if case is None:
            raise CommandError(f"No existe el expediente {number}.")
        try:
            content, acta = acta_render(case=case, document_id=document, person=person, fmt=fmt)
        except ApplicationError as exc:
            raise CommandError(exc.message) from None
        path = output or Path(acta.filename(fmt))
        path.write_bytes(content)
        self.stdout.write(
            f"OK: {acta.title} del expediente {acta.case_number} en {path} ({len(content):,} bytes)"
        )


# --- supervision ------------------------------------------------------------------------------------------


def _day(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise CommandError(f"Fecha inválida: {text} (use AAAA-MM-DD).") from None


def supervision_add_parser(sub: Any) -> None:
    parser = sub.add_parser("supervision", help="Informe de supervisión de una entidad para un periodo.")
    parser.add_argument("--entity", required=True, help="Código de la entidad, p. ej. MVCS")
    parser.add_argument("--from", dest="start", required=True, type=_day, help="Primer día (AAAA-MM-DD)")
    parser.add_argument(
        "--to", dest="end", required=True, type=_day, help="Último día, incluido (AAAA-MM-DD)"
    )
    parser.add_argument("--format", dest="fmt", choices=sorted(SUPERVISION_FORMATS), default="pdf")
    parser.add_argument("--output", type=Path, help="Archivo de salida (por omisión, supervision_E_….ext).")
    parser.add_argument(
        "--procedure", action="append", dest="procedures", help="Solo este procedimiento (repetible)."
    )


def supervision_command(
    *,
    entity: str,
    start: dt.date,
    end: dt.date,
    fmt: str,
    output: Path | None,
    procedures: list[str] | None,
    **_: Any,
) -> str:
    found = Entity.objects.filter(code=entity).first()
    if found is None:
        raise CommandError(f"No existe la entidad {entity}.")
    try:
        content, report = supervision_render(
            fmt=fmt, entity=found, start=start, end=end, procedure_codes=procedures
        )
    except ApplicationError as exc:
        details = "; ".join(m for ms in exc.extra.get("field_errors", {}).values() for m in ms)
        raise CommandError(details or exc.message) from None
    path = output or Path(report.filename(fmt))
    path.write_bytes(content)
    t = report.totals
    return (
        f"OK: informe de supervisión de {report.entity_code} {report.period.text} en {path} "
        f"({len(content):,} bytes): {len(report.procedures)} procedimientos, {t.started} iniciados, "
        f"{t.concluded} concluidos ({t.on_time} a tiempo), {t.overdue} vencidos, "
        f"{len(report.open_items)} pendientes; auditoría: {report.audit.text}"
    )


# --- indicators (docs/indicators.md) ----------------------------------------------------------------------


def add_indicators_parser(sub: Any) -> None:
    parser = sub.add_parser(
        "indicators", help="Indicadores de las fichas y cumplimiento de plazos de una entidad en un periodo."
    )
    parser.add_argument("--entity", required=True, help="Código de la entidad, p. ej. SENACE")
    parser.add_argument("--from", dest="start", required=True, type=_date, help="Primer día (AAAA-MM-DD)")
    parser.add_argument(
        "--to", dest="end", required=True, type=_date, help="Último día, incluido (AAAA-MM-DD)"
    )
    parser.add_argument("--procedure", action="append", help="Solo los indicadores de este procedimiento")
    parser.add_argument("--format", dest="fmt", choices=["table", "csv", "xlsx"], default="table")
    parser.add_argument(
        "--output", type=Path, help="Archivo de salida (xlsx: por omisión, en la carpeta actual)"
    )


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"fecha no válida: {text} (use AAAA-MM-DD)") from None


def indicators_command(command: BaseCommand, options: dict[str, Any]) -> None:
    entity = Entity.objects.filter(code=options["entity"]).first()
    if entity is None:
        raise CommandError(f"No existe la entidad {options['entity']}.")
    start, end = options["start"], options["end"]
    if end < start:
        raise CommandError("--to debe ser igual o posterior a --from.")
    codes = options["procedure"]
    values = indicator_values(entity=entity, start=start, end=end, procedure_codes=codes)
    by_procedure = deadline_compliance(
        entity=entity, start=start, end=end, by="procedure", procedure_codes=codes
    )
    by_role = deadline_compliance(entity=entity, start=start, end=end, by="role", procedure_codes=codes)
    fmt, output = options["fmt"], options["output"]
    if fmt == "xlsx":
        path = output or Path(f"{entity.code}_indicadores_{start:%Y%m%d}_{end:%Y%m%d}.xlsx")
        path.write_bytes(indicators_xlsx(values, by_procedure, by_role))
        command.stdout.write(f"OK: {len(values)} indicadores y plazos de {entity.code} en {path}")
        return
    text = (
        indicators_csv(values)
        if fmt == "csv"
        else _indicators_table(entity, start, end, values, by_procedure, by_role)
    )
    if output:
        output.write_text(text, encoding="utf-8")
        command.stdout.write(f"OK: {len(values)} indicadores de {entity.code} en {output}")
    else:
        command.stdout.write(text, ending="")


def _indicators_table(
    entity: Entity,
    start: dt.date,
    end: dt.date,
    values: list[IndicatorValue],
    by_procedure: list[ComplianceRow],
    by_role: list[ComplianceRow],
) -> str:
    lines = [f"Indicadores de {entity.code} del {start:%d/%m/%Y} al {end:%d/%m/%Y}", ""]
    if not values:
        lines.append("  Las fichas de la entidad no definen indicadores.")
    for v in values:
        lines.append(f"{v.procedure_code} · {v.name}")
        lines.append(f"  Fórmula: {v.formula} ({v.unit}, {v.frequency_label.lower()})")
        figures = f"{v.numerator} / {v.denominator}" if v.measured else "—"
        lines.append(f"  Valor: {v.value_text}  [{figures}]  {v.verdict.upper()}")
        lines.append(
            f"  Línea base {v.baseline_text or '—'} · meta {v.target_text} · "
            f"desviación {v.deviation_text or '—'}"
        )
        lines.append(f"  {v.reason}")
        lines.extend(f"  {c.label}: {c.count}" for c in v.counts)
        lines.append("")
    for title, rows in (("procedimiento", by_procedure), ("rol", by_role)):
        lines.append(f"Cumplimiento de plazos por {title} (plazos que vencen en el periodo)")
        if not rows:
            lines.append("  Ningún plazo vence en el periodo.")
        for r in rows:
            rate = "sin datos" if r.compliance is None else f"{r.compliance} %"
            lines.append(
                f"  {r.label[:60]:<60} cumplidos {r.met:>5}  vencidos {r.missed:>5}  "
                f"en plazo {r.pending:>5}  caducados {r.expired:>5}  {rate}"
            )
        lines.append("")
    return "\n".join(lines)
