"""`mapro demo load`: load the catalogue and create a demo person for every role; print the logins."""

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from mapro.catalogue.services import procedure_versions_load
from mapro.organization.services import ADMIN_PASSWORD, ADMIN_USERNAME, DEMO_PASSWORD, demo_people_create
from mapro.schedules.services import schedules_sync


class Command(BaseCommand):
    help = "Datos de demostración: catálogo cargado y una persona por cada rol de cada procedimiento."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("load", help="Carga el catálogo y crea las personas de demostración.")

    def handle(self, *args: Any, action: str, **options: Any) -> None:
        report = procedure_versions_load()
        self.stdout.write(
            f"Catálogo: {len(report.created)} versiones nuevas, {len(report.unchanged)} sin cambios."
        )
        logins = demo_people_create()
        schedules = schedules_sync()  # after the people: each schedule's requester holds its first role
        self.stdout.write(
            f"Programaciones: {len(schedules.created)} nuevas ({len(schedules.updated)} actualizadas)."
        )
        self.stdout.write("")
        self.stdout.write(f"Personas de demostración (contraseña para todas: {DEMO_PASSWORD})")
        self.stdout.write(f"{'entidad':<9} {'usuario':<58} rol")
        for login in logins:
            self.stdout.write(f"{login.entity:<9} {login.username:<58} {login.role}")
        self.stdout.write("")
        self.stdout.write(f"Administrador: {ADMIN_USERNAME} / {ADMIN_PASSWORD}")
