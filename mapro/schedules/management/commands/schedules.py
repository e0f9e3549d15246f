"""`mapro schedules list|run-due|sync`: the calendar-started flows of each entity; starting the due ones."""

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from mapro.deadlines.calendar import LIMA
from mapro.schedules.selectors import schedule_rows
from mapro.schedules.services import schedules_run_due, schedules_sync


def _moment(value: str) -> dt.datetime:
    try:
        moment = dt.datetime.fromisoformat(value)
    except ValueError:
        raise CommandError(f"--now: fecha y hora ISO 8601 inválida: {value}") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=LIMA)


def _shown(moment: dt.datetime | None) -> str:
    return timezone.localtime(moment, LIMA).strftime("%Y-%m-%d %H:%M") if moment else "—"


class Command(BaseCommand):
    help = (
        "Programaciones: flujos que se inician según calendario (listar, iniciar los vencidos, sincronizar)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        listing = sub.add_parser("list", help="Programaciones con su primera ejecución y las próximas.")
        listing.add_argument("--entity", help="Código de la entidad (p. ej. MINDEF).")
        listing.add_argument("--next", type=int, default=3, help="Cuántas próximas ejecuciones mostrar.")
        due = sub.add_parser("run-due", help="Inicia los expedientes programados que vencieron.")
        due.add_argument("--now", help="Momento ISO 8601 (por defecto, ahora; hora de Lima si no la indica).")
        sub.add_parser("sync", help="Crea o actualiza las programaciones desde las definiciones cargadas.")

    def handle(self, *args: Any, action: str, **options: Any) -> None:
        {"list": self.list, "run-due": self.run_due, "sync": self.sync}[action](**options)

    def list(self, *, entity: str | None, next: int, **_: Any) -> None:
        rows = schedule_rows(entity_code=entity, count=next)
        if not rows:
            self.stdout.write(
                "No hay programaciones (ejecute «mapro schedules sync» tras cargar el catálogo)."
            )
            return
        for row in rows:
            s = row.schedule
            state = "" if s.active else "  [inactiva]"
            flow = s.flow or "—"
            start = f" desde la actividad {s.start_activity}" if s.start_activity else ""
            self.stdout.write(f"{s.entity.code}  {s.procedure_code}  flujo {flow}{start}{state}")
            self.stdout.write(
                f"    {s.get_frequency_display()}{' (días hábiles)' if s.working_days else ''}; "
                f"primera ejecución {_shown(s.first_run_at)}; solicitante {s.requester or '— (sin asignar)'}"
            )
            self.stdout.write(f"    próximas: {', '.join(map(_shown, row.next_runs)) or '—'}")

    def run_due(self, *, now: str | None, **_: Any) -> None:
        runs = schedules_run_due(now=_moment(now) if now else None)
        for run in runs:
            s = run.schedule
            what = run.case.number if run.case_id else run.get_status_display()
            reason = f": {run.error}" if run.error and run.status != run.Status.MISSED else ""
            flow = s.flow or "—"
            self.stdout.write(
                f"{_shown(run.occurrence_at)}  {s.entity.code}  {s.procedure_code}  {flow}  {what}{reason}"
            )
        started = sum(1 for run in runs if run.case_id)
        self.stdout.write(
            f"{started} expedientes iniciados; {len(runs) - started} ocurrencias sin expediente."
        )

    def sync(self, **_: Any) -> None:
        report = schedules_sync()
        self.stdout.write(
            f"Programaciones: {len(report.created)} nuevas, {len(report.updated)} actualizadas, "
            f"{len(report.deactivated)} desactivadas."
        )
