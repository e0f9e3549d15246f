"""
The Expedientes list as CSV and XLSX (docs/cases.md, "Buscar expedientes"): the rows of the filters the
person chose, as `mapro.cases.search.cases_filtered` gives them, with the same columns in both files. Times
are Lima's; the current step names each open activity, its role and who it is assigned to.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterable, Mapping

from django.utils import timezone
from openpyxl import Workbook
from openpyxl.styles import Font

from mapro.cases.models import Case, CaseTask
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


def step_text(task: CaseTask, names: Mapping[str, str]) -> str:
    """'2. Deshabilitar usuario (Responsable de correo · asignada a Ana Ruiz)'."""
    roles = " o ".join(names.get(code, code) for code in task.roles)
    who = f" · asignada a {task.assignee}" if task.assignee_id else ""
    return f"{task.activity}. {task.name} ({roles}{who})"


def _local(value: dt.datetime | None) -> dt.datetime | None:
    """Lima's wall time, without zone (a spreadsheet cell has none)."""
    return timezone.localtime(value).replace(tzinfo=None, microsecond=0) if value else None


def case_export_rows(
    cases: Iterable[Case], *, names: Mapping[str, str], now: dt.datetime | None = None
) -> list[list[object]]:
    """One line per case of `mapro.cases.search.case_rows` (its `open_tasks` prefetched)."""
    now = now or timezone.now()
    return [
        [
            case.number,
            case.subject,
            case.procedure_version.code,
            case.procedure_version.name,
            case.get_status_display(),
            case.requester.full_name,
            _local(case.started_at),
            _local(case.due_at) if case.status == Case.Status.OPEN else None,
            _local(case.closed_at),
            "Sí" if case.status == Case.Status.OPEN and case.due_at and case.due_at < now else "No",
            "; ".join(step_text(task, names) for task in case.open_tasks),
        ]
        for case in cases
    ]


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
