"""`mapro cases start|tasks|complete|show …`: run cases from the command line, as a given person."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.utils import timezone

from mapro.cases.access import cases_readable
from mapro.cases.models import Case
from mapro.cases.selectors import case_records_visible, tasks_for_person
from mapro.cases.services import case_start, case_task_complete
from mapro.cases.services.describe import cases_describe_refresh
from mapro.cases.services.sync import due_times_refresh
from mapro.core.errors import ApplicationError, InvalidInputError
from mapro.organization.models import Person


def parse_pairs(pairs: list[str]) -> dict[str, Any]:
    """`k=v` pairs; `record.field=v` nests under the record; a JSON value (list, object) is decoded."""
    data: dict[str, Any] = {}
    for pair in pairs:
        key, sep, raw = pair.partition("=")
        if not sep or not key:
            raise CommandError(f"Use clave=valor: {pair!r}")
        value: Any = raw
        if raw[:1] in "[{":
            try:
                value = json.loads(raw)
            except json.JSONDecodeError:
                raise CommandError(f"JSON inválido en {key}") from None
        target = data
        *parents, leaf = key.split(".")
        for parent in parents:
            target = target.setdefault(parent, {})
        target[leaf] = value
    return data


def local(moment) -> str:
    return timezone.localtime(moment).strftime("%d/%m/%Y %H:%M") if moment else "—"


class Command(BaseCommand):
    help = "Expedientes: iniciar, ver la bandeja, completar tareas, mostrar un expediente."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        start = sub.add_parser("start", help="Inicia un expediente.")
        start.add_argument("code")
        start.add_argument("--user", required=True, help="Usuario que lo inicia (solicitante).")
        start.add_argument("--input", action="append", default=[], metavar="CLAVE=VALOR")
        start.add_argument("--flow", help="Flujo, en procedimientos con varios flujos.")

        tasks = sub.add_parser("tasks", help="Bandeja de una persona.")
        tasks.add_argument("--user", required=True)

        complete = sub.add_parser("complete", help="Completa una tarea.")
        complete.add_argument("task", type=int)
        complete.add_argument("--user", required=True)
        complete.add_argument("--decision")
        complete.add_argument("--data", action="append", default=[], metavar="REGISTRO.CAMPO=VALOR")

        show = sub.add_parser("show", help="Muestra un expediente.")
        show.add_argument("case", help="Número, p. ej. MVCS-2026-000001")
        show.add_argument("--user", help="Mostrar los registros que esta persona puede ver.")

        sub.add_parser(
            "refresh",
            help="Recalcula lo guardado de cada expediente por las reglas vigentes: vencimientos de los "
            "abiertos (docs/deadlines.md), asunto y texto de búsqueda (docs/case-search.md). Una vez tras "
            "actualizar.",
        )

    def handle(self, *args: Any, action: str, **options: Any) -> None:
        try:
            getattr(self, f"handle_{action.replace('-', '_')}")(**options)
        except InvalidInputError as exc:
            for field, messages in exc.field_errors.items():
                self.stderr.write(f"{field}: {' '.join(messages)}")
            raise CommandError(exc.message) from None
        except ApplicationError as exc:
            raise CommandError(exc.message) from None

    def _person(self, username: str) -> Person:
        person = Person.objects.select_related("entity").filter(user__username=username).first()
        if person is None:
            raise CommandError(f"No existe la persona con usuario {username}.")
        return person

    def handle_start(
        self, *, code: str, user: str, input: list[str], flow: str | None, **options: Any
    ) -> None:
        case = case_start(
            procedure_code=code, requester=self._person(user), inputs=parse_pairs(input), flow=flow
        )
        self.stdout.write(f"{case.number} iniciado ({case.procedure_version})")
        self._tasks_table(case.tasks.filter(status="open"))

    def handle_tasks(self, *, user: str, **options: Any) -> None:
        self._tasks_table(tasks_for_person(person=self._person(user)))

    def handle_complete(
        self, *, task: int, user: str, decision: str | None, data: list[str], **options
    ) -> None:
        done = case_task_complete(
            task_id=task, actor=self._person(user), decision=decision, data=parse_pairs(data)
        )
        case = done.case
        self.stdout.write(f"Tarea {done.task.pk} completada. {case.number}: {case.get_status_display()}")
        self._tasks_table(done.open_tasks)

    def handle_refresh(self, **options: Any) -> None:
        with transaction.atomic():
            due = due_times_refresh()
            described = cases_describe_refresh()
        self.stdout.write(f"Vencimientos recalculados: {due} fila(s) cambiada(s).")
        self.stdout.write(f"Asuntos y textos de búsqueda: {described} expediente(s) cambiado(s).")

    def handle_show(self, *, case: str, user: str | None, **options: Any) -> None:
        # As --user sees it: a case that person may not read does not exist for them (mapro.cases.access).
        cases = cases_readable(person=self._person(user)) if user else Case.objects.all()
        found = cases.select_related("procedure_version", "requester").filter(number=case).first()
        if found is None:
            raise CommandError(f"No existe el expediente {case}.")
        c = found
        self.stdout.write(f"{c.number} — {c.procedure_version.code} {c.procedure_version.name}")
        if c.subject:
            self.stdout.write(f"Asunto: {c.subject}")
        self.stdout.write(f"Estado: {c.get_status_display()} {c.outcome}  Solicitante: {c.requester}")
        self.stdout.write(
            f"Inicio: {local(c.started_at)}  Vence: {local(c.due_at)}  Cierre: {local(c.closed_at)}"
        )
        self.stdout.write("Tareas:")
        for t in c.tasks.order_by("created_at"):
            decision = f" → {t.decision}" if t.decision else ""
            self.stdout.write(f"  {t.pk:>6} {t.activity:>3}. {t.name} [{t.get_status_display()}]{decision}")
        self.stdout.write("Plazos:")
        for d in c.deadlines.order_by("due_at"):
            self.stdout.write(f"  {local(d.due_at)} {d.get_status_display():<9} {d.text[:90]}")
        if user:
            self.stdout.write("Registros:")
            for r in case_records_visible(case=c, person=self._person(user)):
                self.stdout.write(f"  {r.effective_date} {r.name}: {json.dumps(r.data, ensure_ascii=False)}")

    def _tasks_table(self, tasks) -> None:
        now = timezone.now()
        for t in tasks:
            late = "VENCIDA " if t.due_at and t.due_at < now else ""
            self.stdout.write(
                f"  {t.pk:>6} {t.case.number} {t.activity:>3}. {t.name[:60]:<60} rol={t.role_code} "
                f"vence={local(t.due_at)} {late}"
            )
