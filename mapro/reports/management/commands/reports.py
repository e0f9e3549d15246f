"""
`mapro reports acta CASE FORMAT [--format pdf|docx] [--output FILE] [--user USER]`: a format of the ficha
filled with the case's records (docs/reports.md). With --user, as that person would get it (need-to-know);
without it, as the operator of the server sees the case (every record, as `mapro cases show`).

`mapro reports supervision --entity E --from YYYY-MM-DD --to YYYY-MM-DD [--format pdf|docx] [--output FILE]
[--procedure CODE ...]`: the supervision report of an entity for a period (docs/reports.md).
"""

import datetime as dt
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from mapro.cases.models import Case
from mapro.core.errors import ApplicationError
from mapro.organization.models import Entity, Person
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
        supervision_add_parser(sub)

    def handle(self, *args: Any, action: str, **options: Any) -> None:
        if action == "supervision":
            self.stdout.write(supervision_command(**options))
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
