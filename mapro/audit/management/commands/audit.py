"""
`mapro audit anchor`: write today's signed anchors of every chain head to the anchor directory.
`mapro audit verify [--deep] [--anchors DIR]`: verify every chain, against the anchors, and with --deep the
cases and tasks against their events; names each problem and exits non-zero if there is any.
"""

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from mapro.audit.anchors import anchors_read
from mapro.audit.keys import audit_keys
from mapro.audit.services import anchor_directory, audit_anchor_write
from mapro.audit.verification import audit_verify_all


class Command(BaseCommand):
    help = "Auditoría: anclar las cabezas de las cadenas y verificar la integridad de los eventos."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        anchor = sub.add_parser("anchor", help="Escribe el ancla firmada del día de cada cadena.")
        anchor.add_argument("--dir", type=Path, help="Directorio de anclas (por omisión, el configurado).")
        verify = sub.add_parser(
            "verify", help="Verifica cada cadena, contra las anclas, y nombra lo alterado."
        )
        verify.add_argument(
            "--deep", action="store_true", help="Además, expedientes y tareas contra sus eventos."
        )
        verify.add_argument(
            "--anchors",
            type=Path,
            help="Directorio de anclas a usar (p. ej. la copia del Oficial de Seguridad).",
        )

    def handle(self, *args: Any, action: str, **options: Any) -> None:
        if action == "anchor":
            self._anchor(options["dir"])
        else:
            self._verify(deep=options["deep"], directory=options["anchors"])

    def _anchor(self, directory: Path | None) -> None:
        directory = directory or anchor_directory()
        written = audit_anchor_write(directory=directory)
        for head in written:
            self.stdout.write(f"anclada: cadena {head.chain}, evento {head.seq}, {head.hash[:16]}…")
        self.stdout.write(
            f"OK: {len(written)} cadenas ancladas hoy en {directory}"
            if written
            else f"OK: todas las cadenas ya tenían su ancla de hoy en {directory}"
        )

    def _verify(self, *, deep: bool, directory: Path | None) -> None:
        directory = directory or anchor_directory()
        anchors, anchor_problems = anchors_read(directory=directory, keys=audit_keys())
        report = audit_verify_all(anchors=anchors, anchor_problems=anchor_problems, deep=deep)
        for problem in report.problems:
            self.stderr.write(f"ALTERADO: {problem}")
        days = sorted(report.anchor_days)
        anchored = (
            f"{report.anchors} anclas de {len(days)} días ({days[0]} a {days[-1]}) en {directory}"
            if days
            else f"ninguna ancla en {directory}"
        )
        summary = f"{report.events} eventos en {report.chains} cadenas; {anchored}"
        if deep:
            summary += f"; {report.cases} expedientes y {report.tasks} tareas completadas contra sus eventos"
        if report.problems:
            raise CommandError(f"{len(report.problems)} problemas; {summary}")
        self.stdout.write(f"OK: {summary}; cadena íntegra")
