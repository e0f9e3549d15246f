"""
`mapro reports acta CASE FORMAT [--format pdf|docx] [--output FILE] [--user USER]`: a format of the ficha
filled with the case's records (docs/reports.md). With --user, as that person would get it (need-to-know);
without it, as the operator of the server sees the case (every record, as `mapro cases show`).
"""

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from mapro.cases.models import Case
from mapro.core.errors import ApplicationError
from mapro.organization.models import Person
from mapro.reports.services import FORMATS, acta_render


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

    def handle(self, *args: Any, action: str, **options: Any) -> None:
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
