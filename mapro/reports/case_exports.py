"""
The Expedientes list as CSV and XLSX (docs/case-search.md): the rows of the filters the person chose, as
`mapro.cases.search.cases_filtered` gives them, with the same columns in both files. Times
are Lima's; the current step names each open activity, its role and who it is assigned to.
"""

from __future__ import annotations

import datetime as dt
import io
from collections import defaultdict
from collections.abc import Mapping

from django.db.models import QuerySet
from django.utils import timezone
from openpyxl import Workbook
from openpyxl.styles import Font

from mapro.cases.models import Case, CaseTask, CaseTaskRole
from mapro.catalogue.definition.schema import REQUESTER, REQUESTER_NAME
from mapro.organization.models import Entity

from .indicator_exports import to_csv

CASE_COLUMNS = [
    "Número",
    "Asunto",
    "Procedimiento",
    "Nombre del procedimiento",
    "Estado",
    "Solicitante",
    "Inicio",
    "Vence",
    "Cierre",
    "Plazo vencido",
    "Actividades en curso",
]


def role_names(*, entity: Entity) -> dict[str, str]:
    """Role code → name in the entity, the requester's lane included."""
    names = dict(entity.roles.values_list("code", "name"))
    names[REQUESTER] = REQUESTER_NAME
    return names


def step_line(
    activity: int, name: str, roles: list[str], assignee: str | None, names: Mapping[str, str]
) -> str:
    """'2. Deshabilitar usuario (Responsable de correo · asignada a Ana Ruiz)'."""
    who = f" · asignada a {assignee}" if assignee else ""
    return f"{activity}. {name} ({' o '.join(names.get(code, code) for code in roles)}{who})"


def step_text(task: CaseTask, names: Mapping[str, str]) -> str:
    """A task of a list row (its `co_roles` and `assignee` read with it)."""
    assignee = str(task.assignee) if task.assignee_id else None
    return step_line(task.activity, task.name, task.roles, assignee, names)


def _local(value: dt.datetime | None) -> dt.datetime | None:
    """Lima's wall time, without zone (a spreadsheet cell has none)."""
    return timezone.localtime(value).replace(tzinfo=None, microsecond=0) if value else None


def case_export_rows(
    cases: QuerySet[Case], *, names: Mapping[str, str], now: dt.datetime | None = None
) -> list[list[object]]:
    """
    One line per case of `cases` (mapro.cases.search.cases_filtered, in its order). Read as value rows, not
    model instances: building ten thousand cases, tasks and people as objects took most of an export's time.
    """
    now = now or timezone.now()
    rows = list(
        cases.values_list(
            "pk",
            "number",
            "subject",
            "procedure_version__code",
            "procedure_version__name",
            "status",
            "requester__full_name",
            "started_at",
            "due_at",
            "closed_at",
        )
    )
    steps = _open_steps([row[0] for row in rows], names)
    labels = dict(Case.Status.choices)
    return [
        [
            number,
            subject,
            code,
            name,
            labels.get(status, status),
            requester,
            _local(started),
            _local(due) if status == Case.Status.OPEN else None,
            _local(closed),
            "Sí" if status == Case.Status.OPEN and due and due < now else "No",
            "; ".join(steps.get(pk, [])),
        ]
        for pk, number, subject, code, name, status, requester, started, due, closed in rows
    ]


def _open_steps(case_ids: list[int], names: Mapping[str, str]) -> dict[int, list[str]]:
    """The open tasks of these cases as step lines, by case: two queries per 900 cases (SQLite's limit)."""
    steps: dict[int, list[str]] = defaultdict(list)
    for first in range(0, len(case_ids), 900):
        chunk = case_ids[first : first + 900]
        tasks = list(
            CaseTask.objects.filter(case_id__in=chunk, status=CaseTask.Status.OPEN)
            .order_by("case_id", "activity", "pk")
            .values_list("pk", "case_id", "activity", "name", "role_code", "assignee__full_name")
        )
        co_roles: dict[int, list[str]] = defaultdict(list)
        for task_id, role in CaseTaskRole.objects.filter(task_id__in=[t[0] for t in tasks]).values_list(
            "task_id", "role_code"
        ):
            co_roles[task_id].append(role)
        for task_id, case_id, activity, name, role, assignee in tasks:
            roles = [role, *sorted(co_roles.get(task_id, []))]
            steps[case_id].append(step_line(activity, name, roles, assignee, names))
    return steps


def cases_csv(rows: list[list[object]]) -> str:
    shown = [[v.strftime("%Y-%m-%d %H:%M") if isinstance(v, dt.datetime) else v for v in r] for r in rows]
    return to_csv(CASE_COLUMNS, shown)


def cases_xlsx(rows: list[list[object]]) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Expedientes"
    sheet.append(CASE_COLUMNS)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append(row)
    for column, width in zip("ABCDEFGHIJK", (20, 60, 16, 40, 12, 28, 17, 17, 17, 8, 70), strict=True):
        sheet.column_dimensions[column].width = width
    for column in "GHI":
        for cell in sheet[column][1:]:
            cell.number_format = "dd/mm/yyyy hh:mm"
    sheet.freeze_panes = "A2"
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
