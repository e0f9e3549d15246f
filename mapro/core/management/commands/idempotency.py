"""`mapro idempotency purge`: forget stored API answers older than the retention (the worker: hourly)."""

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from mapro.core.services import IDEMPOTENCY_RETENTION, idempotency_keys_purge


class Command(BaseCommand):
    help = "Claves de idempotencia de la API: borrar las respuestas guardadas más antiguas que la retención."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        purge = sub.add_parser("purge", help="Borra las respuestas guardadas hace más de --horas horas.")
        hours = int(IDEMPOTENCY_RETENTION.total_seconds() // 3600)
        purge.add_argument("--horas", type=int, default=hours, help=f"Retención (por defecto {hours} h).")

    def handle(self, *args: Any, action: str, horas: int, **options: Any) -> None:
        deleted = idempotency_keys_purge(older_than=dt.timedelta(hours=horas))
        self.stdout.write(f"OK: {deleted} respuestas guardadas borradas (más antiguas que {horas} h)")
