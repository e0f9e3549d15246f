"""`mapro audit verify`: walk every hash chain and name the first event that was tampered with."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from mapro.audit.services import audit_verify_all


class Command(BaseCommand):
    help = "Auditoría: verificar la integridad de la cadena de eventos."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("verify", help="Recorre cada cadena y nombra el primer evento alterado.")

    def handle(self, *args: Any, action: str, **options: Any) -> None:
        checked, problems = audit_verify_all()
        for problem in problems:
            self.stderr.write(f"ALTERADO: {problem}")
        if problems:
            raise CommandError(f"{len(problems)} cadenas alteradas; {checked} eventos revisados")
        self.stdout.write(f"OK: {checked} eventos revisados, cadena íntegra")
