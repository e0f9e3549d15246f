"""
Reads that only the web interface needs (what a page shows, grouped the way it shows it).

Reads the domain already offers (the inbox, visible records, a case's definition) come from the domain
selectors; these add presentation-shaped queries on top and write nothing.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, F, QuerySet
from django.http import Http404
from django.utils import timezone

from mapro.audit.models import AuditEvent
from mapro.cases.access import (
    attachments_readable,
    case_may_manage,
    cases_readable,
)
from mapro.cases.due import (
    NO_TERM,
    ON_TIME,
    OVERDUE,
    SOON_DUE,
    DueStatus,
    deadline_status,
    due_state,
    due_state_q,
    tasks_deadline_status,
)
from mapro.cases.models import Case, CaseRecord, CaseTask, Deadline, Notification
from mapro.cases.performers import task_performable_by, who_may_act
from mapro.cases.selectors import (
    VERSION_UNUSED_COLUMNS,
    case_definition,
    case_notifications,
    case_records_visible,
    procedure_version_definition,
    task_instruction,
    tasks_for_person,
)
from mapro.catalogue.definition import Definition
from mapro.catalogue.definition.schema import REQUESTER, REQUESTER_NAME
from mapro.catalogue.models import ProcedureVersion
from mapro.core.text import shown_value
from mapro.organization.models import Entity, Person, Role
from mapro.organization.selectors import person_role_codes
from mapro.reports.indicators import (
    deadline_compliance,
    deadline_compliance_rows,
    indicator_cases,
    indicator_series,
    indicator_values,
)
from mapro.reports.services import acta_documents

# The inbox's state filter values, by the due states of mapro.cases.due (one boundary for every screen).
INBOX_STATES = {"vencidas": OVERDUE, "por_vencer": SOON_DUE, "en_plazo": ON_TIME, "sin_plazo": NO_TERM}
URGENCY = {OVERDUE: "overdue", SOON_DUE: "soon", ON_TIME: "ok", NO_TERM: "none"}


def case_for_person(*, person: Person, number: str) -> Case:
    """A case the person may read (mapro.cases.access); one they may not is a 404, as if it did not exist."""
    case = (
        cases_readable(person=person)
        .select_related("procedure_version", "requester", "registered_by", "entity", "parent", "parent_task")
        .filter(number=number)
        .first()
    )
    if case is None:
        raise Http404("No existe ese expediente.")
    return case


def task_for_person(*, person: Person, task_id: int) -> CaseTask:
    """A task of a case the person may read; else 404 (the task's role is not named to who may not read)."""
    task = (
        CaseTask.objects.select_related("case", "case__procedure_version", "case__requester", "assignee")
        .filter(pk=task_id, case__in=cases_readable(person=person))
        .first()
    )
    if task is None:
        raise Http404("No existe esa tarea.")
    return task


@dataclass(frozen=True)
class ActPermission:
    can_act: bool
    reason: str = ""


def task_permission(*, task: CaseTask, person: Person, roles: set[str] | None = None) -> ActPermission:
    """Whether `person` may complete `task`, and why not, in the words the services use when they refuse."""
    if task.status != CaseTask.Status.OPEN:
        who = f" por {task.completed_by}" if task.completed_by_id else ""
        return ActPermission(False, f"Esta actividad ya fue {task.get_status_display().lower()}{who}.")
    if task.case.status != Case.Status.OPEN:
        return ActPermission(False, f"El expediente está {task.case.get_status_display().lower()}.")
    roles = roles if roles is not None else person_role_codes(person=person, entity=task.entity)
    if person.entity_id != task.entity_id or not task_performable_by(task=task, person=person, roles=roles):
        return ActPermission(False, who_may_act(task=task, definition=case_definition(case=task.case)))
    if task.assignee_id not in (None, person.pk):
        return ActPermission(False, f"La tarea está asignada a {task.assignee}; pida que se la reasignen.")
    return ActPermission(True)


def role_label(*, definition: Definition, role_id: str) -> str:
    try:
        return definition.role(role_id).name
    except StopIteration:
        return role_id


def task_roles_label(*, definition: Definition, task: CaseTask) -> str:
    """Who may complete the task: "A o B" for the co-responsibles of an activity any of them completes."""
    return " o ".join(role_label(definition=definition, role_id=role) for role in task.roles)


def person_role_names(*, person: Person) -> list[str]:
    """The names of the roles the person holds today in their entity (direct or delegated)."""
    codes = person_role_codes(person=person, entity=person.entity)
    return sorted(Role.objects.filter(entity=person.entity, code__in=codes).values_list("name", flat=True))


# --- inbox ------------------------------------------------------------------------------------------------


def urgency(due_at: dt.datetime | None, *, now: dt.datetime | None = None) -> str:
    """overdue / soon (within 24 h) / ok / none: the colour of a due time."""
    return URGENCY[due_state(due_at, now=now or timezone.now())]


def inbox_filter(
    tasks: QuerySet[CaseTask], *, person: Person, procedure: str, state: str, mine: str
) -> QuerySet[CaseTask]:
    """Filters of Mi bandeja; overdue first, tasks without a due time last."""
    now = timezone.now()
    if procedure:
        tasks = tasks.filter(case__procedure_version__code=procedure)
    if state in INBOX_STATES:
        tasks = tasks.filter(due_state_q(INBOX_STATES[state], now=now))
    if mine == "mias":
        tasks = tasks.filter(assignee=person)
    elif mine == "sin_asignar":
        tasks = tasks.filter(assignee__isnull=True)
    return tasks.order_by(F("due_at").asc(nulls_last=True), "created_at")


# --- catalogue --------------------------------------------------------------------------------------------


@dataclass
class ProcessGroup:
    code: str
    name: str
    versions: list[tuple[ProcedureVersion, Definition]] = field(default_factory=list)


def catalogue_grouped(*, entity: Entity | None = None) -> list[tuple[Entity, list[ProcessGroup]]]:
    """Current procedure versions by entity, then by the process the ficha belongs to."""
    versions = ProcedureVersion.objects.filter(is_current=True).select_related("entity").order_by("code")
    if entity is not None:
        versions = versions.filter(entity=entity)
    by_entity: dict[Entity, dict[str, ProcessGroup]] = defaultdict(dict)
    for version in versions:
        definition = procedure_version_definition(version=version)
        process = definition.process
        code = process.code if process else "—"
        name = (process.name if process and process.name else "") or (
            f"Proceso {code}" if process else "Sin proceso indicado"
        )
        group = by_entity[version.entity].setdefault(code, ProcessGroup(code=code, name=name))
        group.versions.append((version, definition))
    return [
        (ent, sorted(groups.values(), key=lambda g: g.code))
        for ent, groups in sorted(by_entity.items(), key=lambda item: item[0].code)
    ]


def procedure_version_get(*, version_id: int, entity: Entity | None = None) -> ProcedureVersion:
    versions = ProcedureVersion.objects.select_related("entity")
    if entity is not None:
        versions = versions.filter(entity=entity, is_current=True)
    version = versions.filter(pk=version_id).first()
    if version is None:
        raise Http404("No existe ese procedimiento.")
    return version


# --- case page --------------------------------------------------------------------------------------------

ACTION_LABELS = {
    "case.started": "Inicio del expediente",
    "task.completed": "Actividad completada",
    "task.assigned": "Asignación",
    "task.forwarded": "Derivación",
    "task.released": "Liberación",
    "case.commented": "Comentario",
    "case.attachment_added": "Adjunto",
    "case.suspended": "Suspensión",
    "case.resumed": "Reanudación",
    "case.cancelled": "Anulación",
    "permission.denied": "Intento no permitido",
}


def case_timeline(*, case: Case, visible_attachments: set[int] | None = None) -> list[dict[str, Any]]:
    """The case's audit events; the name of an attachment the person may not download is not shown."""
    events = AuditEvent.objects.filter(case=case).order_by("occurred_at", "seq")
    return [
        {
            "at": event.occurred_at,
            "action": event.action,
            "css": event.action.replace(".", "-").replace("_", "-"),
            "label": ACTION_LABELS.get(event.action, event.action),
            "actor": event.actor_label,
            "summary": event.summary,
            "text": (event.after or {}).get("text") if event.action == "case.commented" else None,
            "filename": _timeline_filename(event, visible_attachments),
            "note": _timeline_note(event),
        }
        for event in events
    ]


def _timeline_note(event: AuditEvent) -> tuple[str, str] | None:
    """A routing's proveído, or the reason written with a decision: (what it is, its text)."""
    after = event.after if isinstance(event.after, dict) else {}
    if event.action in ("task.assigned", "task.forwarded", "task.released") and after.get("note"):
        return "Proveído", after["note"]
    if event.action == "task.completed" and after.get("reason"):
        return "Motivo", after["reason"]
    return None


def _timeline_filename(event: AuditEvent, visible: set[int] | None) -> str | None:
    if event.action != "case.attachment_added":
        return None
    if visible is not None and not (event.object_id.isdigit() and int(event.object_id) in visible):
        return "(adjunto reservado)"
    return (event.after or {}).get("filename")


def case_diagram_state(*, case: Case) -> dict[str, Any]:
    """What the diagram marks: completed activities (with the branch taken) in order, and the open ones."""
    tasks = case.tasks.order_by("created_at")
    return {
        "done": [
            {"id": f"Activity_{t.activity}", "decision": t.decision or None}
            for t in tasks
            if t.status == CaseTask.Status.COMPLETED
        ],
        "current": [f"Activity_{t.activity}" for t in tasks if t.status == CaseTask.Status.OPEN],
        "closed": case.status == Case.Status.CLOSED,
    }


def raci_of_activity(*, definition: Definition, activity: int) -> list[tuple[str, str]]:
    """(letter, role name) of one activity's RACI row, R first."""
    order = {"R": 0, "A": 1, "C": 2, "I": 3}
    for row in definition.raci:
        if row.activity == activity:
            pairs = [
                (letter.value, role_label(definition=definition, role_id=r))
                for r, letter in row.roles.items()
            ]
            return sorted(pairs, key=lambda pair: (order[pair[0]], pair[1]))
    return []


# --- dashboard --------------------------------------------------------------------------------------------


@dataclass
class Dashboard:
    open_cases: int
    overdue_cases: int
    open_tasks: int
    overdue_tasks: int
    by_procedure: list[dict[str, Any]]
    by_role: list[dict[str, Any]]
    compliance: list[dict[str, Any]]
    oldest: list[Case]


def dashboard_for_person(*, person: Person, months: int = 12, now: dt.datetime | None = None) -> Dashboard:
    """Open and overdue work of the cases the person may read, deadline compliance by month, oldest cases.

    A case is overdue when its nearest pending due row has passed (`Case.due_at`); a task, when its own due
    time has (mapro.cases.due: the same rule as the case header, the task page and Mi bandeja). Compliance
    counts deadlines settled in each month: met ÷ (met + missed).
    """
    now = now or timezone.now()
    overdue = due_state_q(OVERDUE, now=now)
    entity = person.entity
    readable = cases_readable(person=person)
    open_cases = readable.filter(status=Case.Status.OPEN)
    open_tasks = CaseTask.objects.filter(
        entity=entity, status=CaseTask.Status.OPEN, case__status=Case.Status.OPEN, case__in=readable
    )

    by_procedure = list(
        open_cases.values("procedure_version__code", "procedure_version__name")
        .annotate(open=Count("id"), overdue=Count("id", filter=overdue))
        .order_by("-overdue", "-open", "procedure_version__code")
    )
    role_rows = (
        open_tasks.values("role_code")
        .annotate(open=Count("id"), overdue=Count("id", filter=overdue))
        .order_by("-overdue", "-open", "role_code")
    )
    role_names = dict(entity.roles.values_list("code", "name"))
    role_names[REQUESTER] = REQUESTER_NAME
    by_role = [{**row, "role_name": role_names.get(row["role_code"], row["role_code"])} for row in role_rows]

    return Dashboard(
        open_cases=open_cases.count(),
        overdue_cases=open_cases.filter(overdue).count(),
        open_tasks=open_tasks.count(),
        overdue_tasks=open_tasks.filter(overdue).count(),
        by_procedure=by_procedure,
        by_role=by_role,
        compliance=_compliance_by_month(cases=readable, months=months, now=now),
        oldest=list(
            open_cases.select_related("procedure_version")
            .prefetch_related("tasks")
            .order_by("started_at")[:10]
        ),
    )


def _month_start(day: dt.date, back: int) -> dt.date:
    index = day.year * 12 + day.month - 1 - back
    return dt.date(index // 12, index % 12 + 1, 1)


def _compliance_by_month(*, cases: QuerySet[Case], months: int, now: dt.datetime) -> list[dict[str, Any]]:
    today = timezone.localdate(now)
    first = _month_start(today, months - 1)
    settled = Deadline.objects.filter(
        case__in=cases,
        meaning="deadline",
        status__in=[Deadline.Status.MET, Deadline.Status.MISSED],
        settled_at__date__gte=first,
    ).values_list("settled_at", "status")
    counts: Counter[tuple[dt.date, str]] = Counter()
    for settled_at, status in settled:
        local = timezone.localtime(settled_at).date()
        counts[(local.replace(day=1), status)] += 1
    rows = []
    for back in range(months - 1, -1, -1):
        month = _month_start(today, back)
        met, missed = counts[(month, Deadline.Status.MET)], counts[(month, Deadline.Status.MISSED)]
        total = met + missed
        rows.append(
            {
                "month": month,
                "met": met,
                "missed": missed,
                "rate": round(100 * met / total) if total else None,
            }
        )
    return rows


def notifications_recent(*, person: Person, limit: int = 8) -> list[Notification]:
    return list(
        Notification.objects.filter(person=person, case__in=cases_readable(person=person))
        .select_related("case__procedure_version")
        .defer("case__workflow_state", *(f"case__procedure_version__{c}" for c in VERSION_UNUSED_COLUMNS))
        .order_by("-created_at")[:limit]
    )


def record_rows(*, definition: Definition, record: CaseRecord) -> list[tuple[str, str]]:
    """(label, value as people read it) of a record's data, labelled by its fields when it has them."""
    spec = next((r for r in definition.records if r.id == record.record_id), None)
    labels = {f.id: f.label for f in definition.record_fields(spec)} if spec is not None else {}
    return [
        (labels.get(key, key.replace("_", " ").capitalize()), shown_value(value))
        for key, value in record.data.items()
    ]


def case_page(*, case: Case, person: Person) -> dict[str, Any]:
    """Everything the case page shows, as the person may see it."""
    definition = case_definition(case=case)
    roles = person_role_codes(person=person, entity=case.entity)
    open_tasks = (
        case.tasks.filter(status=CaseTask.Status.OPEN)
        .select_related("assignee", "case")
        .prefetch_related("co_roles")
    )
    now = timezone.now()
    due = tasks_deadline_status(open_tasks, now=now)
    current = [
        {
            "task": task,
            "deadline": due[task.pk],
            "role": task_roles_label(definition=definition, task=task),
            "permission": task_permission(task=task, person=person, roles=roles),
            "raci": raci_of_activity(definition=definition, activity=task.activity),
            "children": list(task.child_cases.all()),
        }
        for task in open_tasks
    ]
    visible = case_records_visible(case=case, person=person)
    attachments = attachments_readable(case=case, person=person, roles=roles)
    return {
        "case": case,
        "definition": definition,
        "subject": case_subject(case),
        "deadline": deadline_status(case, now=now),
        "start_data": start_data_rows(case=case, definition=definition),
        "current": current,
        "records": [(record, record_rows(definition=definition, record=record)) for record in visible],
        "actas": acta_documents(case=case, records=visible),
        "hidden_records": case.records.count() - len(visible),
        "attachments": attachments,
        "hidden_attachments": case.attachments.count() - len(attachments),
        "may_reserve": bool(roles & {r.id for r in definition.roles}),
        "comments": case.comments.select_related("author"),
        "children": case.children.select_related("procedure_version").order_by("started_at"),
        "timeline": case_timeline(case=case, visible_attachments={a.pk for a in attachments}),
        "diagram_state": case_diagram_state(case=case),
        "may_manage": case_may_manage(person=person, case=case, roles=roles),
        "informed": case_informed(case=case, definition=definition),
    }


def case_informed(*, case: Case, definition: Definition) -> list[dict[str, Any]]:
    """Who the completed activities told: a line per recipient (a role's holders together), in order."""
    lines: dict[tuple, dict[str, Any]] = {}
    for n in case_notifications(case=case):
        if n.kind == Notification.Kind.CONTACT:
            who = n.recipient
        elif n.kind == Notification.Kind.REQUESTER:
            who = "Solicitante"
        else:
            who = role_label(definition=definition, role_id=n.recipient)
        line = lines.setdefault(
            (n.task_id, n.kind, n.recipient),
            {"activity": n.activity, "who": who, "people": [], "notice": n, "at": n.created_at},
        )
        if n.person is not None:
            line["people"].append(n.person.full_name)
    return list(lines.values())


def case_next_step(*, case: Case, person: Person) -> tuple[CaseTask | None, list[str]]:
    """After a step: the person's own next task on the case, if any, and every open activity with its role."""
    following = tasks_for_person(person=person).filter(case=case).first()
    definition = case_definition(case=case)
    open_steps = [
        f"{t.activity}. {t.name} ({task_roles_label(definition=definition, task=t)})"
        for t in case.tasks.filter(status=CaseTask.Status.OPEN)
        .prefetch_related("co_roles")
        .order_by("activity")
    ]
    return following, open_steps


# --- dashboard: indicators and deadline compliance of a period (mapro/reports/indicators.py) ----------------


@dataclass
class IndicatorPanel:
    value: Any  # IndicatorValue of the chosen period
    series: list[Any]  # IndicatorValue of its last periods, for the chart


@dataclass
class IndicatorBoard:
    start: dt.date
    end: dt.date
    indicators: list[IndicatorPanel]
    by_procedure: list[Any]  # ComplianceRow
    by_role: list[Any]


def dashboard_indicators(
    *, entity: Entity, start: dt.date, end: dt.date, periods: int = 12
) -> IndicatorBoard:
    """
    The entity's indicators for start..end, each with its last `periods` periods for the chart, and deadline
    compliance per procedure and per role. Figures count every case of the entity (an indicator is the
    entity's, not the reader's); the drill-down lists only the cases the reader may open.
    """
    panels = [
        IndicatorPanel(
            value=value,
            series=indicator_series(
                entity=entity,
                procedure_code=value.procedure_code,
                indicator_id=value.indicator_id,
                end=end,
                count=periods,
            ),
        )
        for value in indicator_values(entity=entity, start=start, end=end)
    ]
    return IndicatorBoard(
        start=start,
        end=end,
        indicators=panels,
        by_procedure=deadline_compliance(entity=entity, start=start, end=end, by="procedure"),
        by_role=deadline_compliance(entity=entity, start=start, end=end, by="role"),
    )


def indicator_drilldown(
    *, person: Person, start: dt.date, end: dt.date, procedure_code: str, indicator_id: str, key: str
) -> tuple[list[Case], int]:
    """The cases a count of an indicator takes that `person` may read, and how many it takes in all."""
    counted = indicator_cases(
        entity=person.entity,
        start=start,
        end=end,
        procedure_code=procedure_code,
        indicator_id=indicator_id,
        key=key,
    )
    visible = counted.filter(pk__in=cases_readable(person=person).values("pk")).select_related(
        "procedure_version"
    )
    return list(visible[:500]), counted.count()


def deadline_drilldown(
    *, person: Person, start: dt.date, end: dt.date, by: str, key: str
) -> tuple[list[Deadline], int]:
    """The deadlines behind a compliance line whose case `person` may read, and how many there are in all."""
    rows = deadline_compliance_rows(entity=person.entity, start=start, end=end, by=by, key=key)  # type: ignore[arg-type]
    readable = set(
        cases_readable(person=person).filter(pk__in={d.case_id for d in rows}).values_list("pk", flat=True)
    )
    return [d for d in rows if d.case_id in readable][:500], len(rows)


# --- what the case is about: subject, start data, records so far, instruction, due status (issue 13) -------


def case_subject(case: Case) -> str:
    """What the case is about: its subject, or its procedure's name while the definition gives no template."""
    return case.subject or case.procedure_version.name


def start_data_rows(*, case: Case, definition: Definition) -> list[tuple[str, str]]:
    """(the definition's `element`, value) of every start input the case has a value for, in ficha order."""
    inputs = case.inputs or {}
    rows = [(item.element, shown_value(inputs.get(item.id))) for item in definition.inputs]
    return [(label, value) for label, value in rows if value]


@dataclass
class TaskView:
    """What the task page says about its case, as the person may see it."""

    subject: str
    instruction: str
    start_data: list[tuple[str, str]]
    records: list[tuple[CaseRecord, list[tuple[str, Any]]]]
    hidden_records: int
    deadline: DueStatus


def task_view(
    *, task: CaseTask, person: Person, definition: Definition, now: dt.datetime | None = None
) -> TaskView:
    """
    The case behind a task: its subject, its start data, the records so far the person may read (a record
    reserved to roles they do not hold is counted, never shown: mapro.cases.access), the instruction for
    the path this case took, and its due status (mapro.cases.due).
    """
    case = task.case
    visible = case_records_visible(case=case, person=person)
    return TaskView(
        subject=case_subject(case),
        instruction=task_instruction(task, definition),
        start_data=start_data_rows(case=case, definition=definition),
        records=[(record, record_rows(definition=definition, record=record)) for record in visible],
        hidden_records=case.records.count() - len(visible),
        deadline=deadline_status(task, now=now or timezone.now()),
    )


def inbox_deadlines(tasks: list[CaseTask], *, now: dt.datetime | None = None) -> dict[int, DueStatus]:
    """The due status of each inbox row (one query for the rules behind them)."""
    return tasks_deadline_status(tasks, now=now or timezone.now())
