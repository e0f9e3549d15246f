"""
The supervision report (informe de supervisión): what the supervisor of a ficha presents for a period, e.g.
the MVCS Oficial de Seguridad's quarterly compliance report to the OGEI (PR.OTI.005/006 section 8). Per
procedure the cases started, concluded, concluded on time and overdue; the tasks open at the end of the
period with who answers for them; the records and files of the period; the indicator values; and the state
of the entity's audit chain. PDF (WeasyPrint) or DOCX (python-docx), with the entity's header.

docs/reports.md says how each figure counts; docs/decisions/0025-supervision-report.md why it is built this
way. Reads only: nothing here writes. `supervision_reports_due` yields the reports whose period has ended
for the clauses with a period; whoever sends them keeps the idempotency key (the e-mail's unique key).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass, replace
from typing import Any, NamedTuple

from django.conf import settings
from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from mapro.audit.anchors import anchors_read
from mapro.audit.keys import audit_keys
from mapro.audit.services import anchor_directory
from mapro.audit.verification import audit_chain_verify
from mapro.cases.access import procedure_access
from mapro.cases.models import Attachment, Case, CaseRecord, CaseTask, Deadline
from mapro.cases.selectors import VERSION_UNUSED_COLUMNS, procedure_version_definition
from mapro.catalogue.definition import Definition
from mapro.catalogue.definition.schema import REQUESTER, Frequency, Supervision
from mapro.catalogue.export.content import FREQUENCY_LABELS
from mapro.catalogue.models import ProcedureVersion
from mapro.core.errors import InvalidInputError, NotFoundError
from mapro.deadlines.calendar import LIMA
from mapro.mail.selectors import email_key_taken, unit_head_role
from mapro.mail.services import email_enqueue
from mapro.organization.models import Delegation, Entity, Person, RoleAssignment
from mapro.organization.selectors import people_ids_holding_roles, person_role_codes

from .indicators import indicator_values
from .supervision_content import (
    AuditStatus,
    Clause,
    EvidenceItem,
    IndicatorLine,
    OpenItem,
    Period,
    ProcedureFigures,
    SupervisionReport,
)

FORMATS = {
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}
MAX_DAYS = 3 * 366  # a report spans at most three years: longer periods are several reports
# The months a period of each frequency spans; weekly and daily periods are counted in days.
PERIOD_MONTHS = {
    Frequency.MONTHLY: 1,
    Frequency.QUARTERLY: 3,
    Frequency.SEMIANNUAL: 6,
    Frequency.ANNUAL: 12,
}


class DueReport(NamedTuple):
    """A report whose period has ended: its idempotency key, for whom, and the PDF."""

    key: str
    entity: Entity
    period: Period
    recipients: list[Person]
    pdf: bytes
    filename: str


# --- which procedures -------------------------------------------------------------------------------------


def _current_definitions(entity: Entity) -> dict[str, tuple[ProcedureVersion, Definition]]:
    versions = (
        ProcedureVersion.objects.filter(entity=entity, is_current=True)
        .select_related("entity")
        .defer(*VERSION_UNUSED_COLUMNS)  # the parsed definition comes from the per-version cache
    )
    return {v.code: (v, procedure_version_definition(version=v)) for v in versions.order_by("code", "pk")}


def supervision_codes_for(*, person: Person, entity: Entity) -> list[str]:
    """
    The procedures whose supervision report `person` may obtain: where they hold the clause's supervisor
    role or the role it is presented to, or own the ficha. Other entities' reports do not exist for them.
    """
    if person.entity_id != entity.pk:
        return []
    roles = person_role_codes(person=person, entity=entity)
    codes = []
    for code, (version, definition) in _current_definitions(entity).items():
        clause = definition.supervision
        named = {clause.role, clause.reports_to_role} if clause else set()
        if roles & (named | set(procedure_access(version=version).owners)):
            codes.append(code)
    return codes


@dataclass(frozen=True)
class SupervisionChoice:
    """A procedure the person may report on, with its clause's period and the latest one that has ended."""

    code: str
    name: str
    frequency: str
    last_period: Period | None


def supervision_choices(*, person: Person, today: dt.date | None = None) -> list[SupervisionChoice]:
    """What the supervision page offers the person: their procedures, each with its last ended period."""
    today = today or timezone.localdate()
    definitions = _current_definitions(person.entity)
    choices = []
    for code in supervision_codes_for(person=person, entity=person.entity):
        clause = definitions[code][1].supervision
        frequency = clause.frequency if clause and clause.frequency else Frequency.ON_DEMAND
        choices.append(
            SupervisionChoice(
                code, definitions[code][1].name, FREQUENCY_LABELS[frequency], period_ended(frequency, today)
            )
        )
    return choices


def supervision_named(*, person: Person) -> bool:
    """
    Whether a supervision clause of the person's entity names a role they hold (supervisor or receiver): the
    menu shows the page to them. Cheap (two queries, definitions cached): it runs on every page.
    """
    roles = person_role_codes(person=person, entity=person.entity)
    for _, definition in _current_definitions(person.entity).values():
        clause = definition.supervision
        if clause is not None and roles & {clause.role, clause.reports_to_role}:
            return True
    return False


# --- the report ---------------------------------------------------------------------------------------------


def supervision_build(
    *,
    entity: Entity,
    start: dt.date,
    end: dt.date,
    procedure_codes: Collection[str] | None = None,
    now: dt.datetime | None = None,
) -> SupervisionReport:
    """
    The report of `entity` for days `start` to `end` (both included, Lima), over `procedure_codes` (every
    current procedure of the entity by default). `now` decides which pending deadlines are already overdue.
    """
    if end < start:
        raise InvalidInputError({"to": ["La fecha final es anterior a la inicial."]})
    if (end - start).days >= MAX_DAYS:
        raise InvalidInputError({"to": ["El periodo abarca más de tres años: divídalo en varios informes."]})
    now = now or timezone.now()
    definitions = _current_definitions(entity)
    if procedure_codes is not None:
        unknown = sorted(set(procedure_codes) - set(definitions))
        if unknown:
            raise InvalidInputError(
                {"procedure": [f"Procedimiento desconocido en la entidad: {', '.join(unknown)}"]}
            )
        definitions = {c: definitions[c] for c in definitions if c in set(procedure_codes)}
    if not definitions:
        raise NotFoundError("No hay procedimientos para este informe.")
    period = Period(start, end)
    begin, finish = _bounds(period)
    cases = Case.objects.filter(entity=entity, procedure_version__code__in=list(definitions))
    # The same cases seen from their tasks, records and files: a join, not `case__in=<subquery>`, whose
    # semi-join PostgreSQL planned as nested loops over every case when statistics were stale (minutes).
    of_cases = Q(case__entity=entity, case__procedure_version__code__in=list(definitions))
    return SupervisionReport(
        entity_code=entity.code,
        entity_name=entity.name,
        period=period,
        clauses=tuple(_clauses(definitions)),
        procedures=tuple(_figures(cases, definitions, begin, finish, now)),
        open_items=tuple(_open_items(entity, of_cases, finish, now)),
        evidence=tuple(_evidence(of_cases, begin, finish)),
        **_indicators(entity, period, list(definitions)),
        audit=_audit(entity),
        generated_at=timezone.localtime(now, LIMA),
    )


def supervision_render(*, fmt: str, **kwargs: Any) -> tuple[bytes, SupervisionReport]:
    """The report as `fmt` ("pdf" or "docx") bytes, with the content it was made from."""
    if fmt not in FORMATS:
        raise InvalidInputError({"format": ["Elija pdf o docx."]})
    from .supervision_docx import supervision_docx
    from .supervision_pdf import supervision_pdf

    report = supervision_build(**kwargs)
    return (supervision_pdf(report) if fmt == "pdf" else supervision_docx(report)), report


def supervision_render_for(
    *,
    person: Person,
    entity_code: str | None,
    start: str | dt.date | None,
    end: str | dt.date | None,
    fmt: str,
    procedure_codes: Collection[str] | None = None,
) -> tuple[bytes, SupervisionReport]:
    """
    The report as a person asks for it (API, web): only of their entity and of the procedures they supervise,
    receive the report of, or own (supervision_codes_for); anything else is a 404, as if it did not exist.
    """
    entity = person.entity if not entity_code or entity_code == person.entity.code else None
    allowed = supervision_codes_for(person=person, entity=entity) if entity is not None else []
    if not allowed or (procedure_codes and set(procedure_codes) - set(allowed)):
        raise NotFoundError("No existe ese informe de supervisión.")
    return supervision_render(
        fmt=fmt,
        entity=entity,
        start=_parse_day(start, "from"),
        end=_parse_day(end, "to"),
        procedure_codes=list(procedure_codes or allowed),
    )


def _parse_day(value: str | dt.date | None, name: str) -> dt.date:
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(value or "")
    except ValueError:
        raise InvalidInputError({name: ["Indique una fecha AAAA-MM-DD."]}) from None


def _bounds(period: Period) -> tuple[dt.datetime, dt.datetime]:
    """The period as [first instant, first instant after it) in Lima."""
    begin = dt.datetime.combine(period.start, dt.time.min, tzinfo=LIMA)
    return begin, dt.datetime.combine(period.end + dt.timedelta(days=1), dt.time.min, tzinfo=LIMA)


def _clauses(definitions: dict[str, tuple[ProcedureVersion, Definition]]) -> list[Clause]:
    """One line per distinct clause: PR.OTI.005 and 006 share section 8, the MINCETUR directive its V."""
    grouped: dict[tuple, list[str]] = defaultdict(list)
    named: dict[tuple, Clause] = {}
    for code, (_, definition) in definitions.items():
        s = definition.supervision
        if s is None:
            continue
        key = (s.role, s.frequency, s.reports_to, s.reports_to_role, s.requests_from, s.text)
        grouped[key].append(code)
        named.setdefault(key, _clause(definition, s))
    return [replace(named[key], procedure_codes=tuple(codes)) for key, codes in grouped.items()]


def _clause(definition: Definition, s: Supervision) -> Clause:
    units = {u.id: f"{u.name} ({u.acronym})" if u.acronym else u.name for u in definition.units}
    body = [units[s.reports_to]] if s.reports_to else []
    body += [_role_name(definition, s.reports_to_role)] if s.reports_to_role else []
    return Clause(
        procedure_codes=(),
        supervisor=_role_name(definition, s.role),
        frequency=FREQUENCY_LABELS[s.frequency] if s.frequency else FREQUENCY_LABELS[Frequency.ON_DEMAND],
        reports_to=" — ".join(body),
        requests_from=units[s.requests_from] if s.requests_from else "",
        text=s.text,
    )


def _role_name(definition: Definition, role_id: str) -> str:
    if role_id == REQUESTER:
        return "Solicitante"
    return next((r.name for r in definition.roles if r.id == role_id), role_id)


def _figures(
    cases: QuerySet[Case],
    definitions: dict[str, tuple[ProcedureVersion, Definition]],
    begin: dt.datetime,
    finish: dt.datetime,
    now: dt.datetime,
) -> list[ProcedureFigures]:
    """
    Started and concluded in the period; concluded on time (no deadline of the case missed); overdue (a
    deadline due in the period and missed, or still pending once due); open when the period ended.
    """
    missed = Deadline.objects.filter(case=OuterRef("pk"), status=Deadline.Status.MISSED)
    late = Deadline.objects.filter(case=OuterRef("pk"), due_at__gte=begin, due_at__lt=finish).filter(
        Q(status=Deadline.Status.MISSED) | Q(status=Deadline.Status.PENDING, due_at__lt=now)
    )
    concluded = Q(status=Case.Status.CLOSED, closed_at__gte=begin, closed_at__lt=finish)
    still_open = Q(status__in=[Case.Status.OPEN, Case.Status.SUSPENDED]) | Q(closed_at__gte=finish)
    rows = (
        cases.values("procedure_version__code")
        .annotate(
            started=Count("pk", filter=Q(started_at__gte=begin, started_at__lt=finish)),
            concluded=Count("pk", filter=concluded),
            on_time=Count("pk", filter=concluded & ~Q(Exists(missed))),
            overdue=Count("pk", filter=Q(Exists(late))),
            open_at_end=Count("pk", filter=Q(started_at__lt=finish) & still_open),
        )
        .order_by()
    )
    counted = {row.pop("procedure_version__code"): row for row in rows}
    empty = {"started": 0, "concluded": 0, "on_time": 0, "overdue": 0, "open_at_end": 0}
    return [
        ProcedureFigures(code=code, name=definition.name, **counted.get(code, empty))
        for code, (_, definition) in definitions.items()
    ]


def _open_items(entity: Entity, of_cases: Q, finish: dt.datetime, now: dt.datetime) -> list[OpenItem]:
    """Tasks that were open when the period ended (created before, completed after or not yet)."""
    tasks = (
        CaseTask.objects.filter(of_cases, created_at__lt=finish)
        .filter(
            Q(status=CaseTask.Status.OPEN) | Q(status=CaseTask.Status.COMPLETED, completed_at__gte=finish)
        )
        .select_related("case__procedure_version", "assignee")
        .order_by("due_at", "case__number", "activity", "pk")
    )
    tasks = list(tasks)
    day = min(finish, now).astimezone(LIMA).date()
    holders = _holders(entity, {t.role_code for t in tasks if t.assignee_id is None}, day)
    cutoff = min(finish, now)
    items = []
    for task in tasks:
        definition = procedure_version_definition(version=task.case.procedure_version)
        if task.assignee_id is not None:
            responsible = task.assignee.full_name
        else:
            responsible = "; ".join(holders.get(task.role_code, [])) or "Sin titular asignado"
        items.append(
            OpenItem(
                case_number=task.case.number,
                procedure_code=task.case.procedure_version.code,
                activity=f"{task.activity}. {task.name}",
                role=_role_name(definition, task.role_code),
                responsible=responsible,
                since=timezone.localtime(task.created_at, LIMA),
                due_at=timezone.localtime(task.due_at, LIMA) if task.due_at else None,
                overdue=task.due_at is not None and task.due_at < cutoff,
            )
        )
    return items


def _holders(entity: Entity, role_codes: set[str], day: dt.date) -> dict[str, list[str]]:
    """Who held each role that day, directly or as "quien haga sus veces": one query each."""
    found: dict[str, set[str]] = defaultdict(set)
    direct = RoleAssignment.objects.active_on(day).filter(role__entity=entity, role__code__in=role_codes)
    for code, name in direct.values_list("role__code", "person__full_name"):
        found[code].add(name)
    delegated = Delegation.objects.active_on(day).filter(role__entity=entity, role__code__in=role_codes)
    for code, name in delegated.values_list("role__code", "delegate__full_name"):
        found[code].add(name)
    return {code: sorted(names) for code, names in found.items()}


def _evidence(of_cases: Q, begin: dt.datetime, finish: dt.datetime) -> list[EvidenceItem]:
    """
    Records written and files attached in the period. A file reserved to roles (the .PST backup) is listed
    by its fingerprint, not its name: the report proves it exists without telling what it holds.
    """
    items = []
    records = (
        CaseRecord.objects.filter(of_cases, created_at__gte=begin, created_at__lt=finish)
        .select_related("case__procedure_version", "task", "created_by")
        .order_by("created_at", "pk")
    )
    for r in records:
        items.append(
            EvidenceItem(
                case_number=r.case.number,
                procedure_code=r.case.procedure_version.code,
                activity=str(r.task.activity) if r.task else "",
                kind="Registro",
                name=r.name,
                detail=f"Fecha efectiva {r.effective_date:%d/%m/%Y}",
                at=timezone.localtime(r.created_at, LIMA),
                by=r.created_by.full_name,
            )
        )
    files = (
        Attachment.objects.filter(of_cases, created_at__gte=begin, created_at__lt=finish)
        .select_related("case__procedure_version", "task", "uploaded_by")
        .order_by("created_at", "pk")
    )
    for a in files:
        items.append(
            EvidenceItem(
                case_number=a.case.number,
                procedure_code=a.case.procedure_version.code,
                activity=str(a.task.activity) if a.task else "",
                kind="Archivo",
                name=_reserved(a) if a.restricted_to else a.filename,
                detail=f"SHA-256 {a.sha256[:16]}…",
                at=timezone.localtime(a.created_at, LIMA),
                by=a.uploaded_by.full_name,
            )
        )
    return sorted(items, key=lambda i: (i.at, i.case_number))


def _reserved(attachment: Attachment) -> str:
    definition = procedure_version_definition(version=attachment.case.procedure_version)
    roles = ", ".join(_role_name(definition, code) for code in attachment.restricted_to)
    return f"Archivo reservado a: {roles}"


def _indicators(entity: Entity, period: Period, codes: list[str]) -> dict[str, Any]:
    """The values mapro.reports.indicators computes (docs/indicators.md); "sin datos" says why."""
    values = indicator_values(entity=entity, start=period.start, end=period.end, procedure_codes=codes)
    lines = tuple(
        IndicatorLine(
            procedure_code=v.procedure_code,
            name=v.name,
            formula=v.formula,
            value=v.value_text + (f" ({v.numerator} / {v.denominator})" if v.value is not None else ""),
            baseline=v.baseline_text or "—",
            target=v.target_text or "—",
            verdict=v.verdict,
            reason=v.reason or "",
        )
        for v in values
    )
    note = "" if lines else "Ninguno de los procedimientos del informe define indicadores."
    return {"indicators": lines, "indicators_note": note}


def _audit(entity: Entity) -> AuditStatus:
    """The entity's audit chain verified now, against the external anchors (docs/audit.md)."""
    anchors, anchor_problems = anchors_read(directory=anchor_directory(), keys=audit_keys())
    events, problems = audit_chain_verify(
        chain=entity.code, anchors=[a for a in anchors if a.chain == entity.code]
    )
    return AuditStatus(
        chain=entity.code,
        events=events,
        anchors=sum(1 for a in anchors if a.chain == entity.code),
        problems=tuple(str(p) for p in [*problems, *anchor_problems]),
    )


# --- the reports due ----------------------------------------------------------------------------------------


def period_ended(frequency: Frequency, day: dt.date) -> Period | None:
    """
    The latest period of `frequency` that ended before `day`: calendar months, quarters, halves and years;
    weeks Monday to Sunday; fortnights 1-15 and 16-end of month; days. None for on-demand clauses.
    """
    if frequency == Frequency.ON_DEMAND:
        return None
    if frequency == Frequency.DAILY:
        yesterday = day - dt.timedelta(days=1)
        return Period(yesterday, yesterday)
    if frequency == Frequency.WEEKLY:
        sunday = day - dt.timedelta(days=day.weekday() + 1)
        return Period(sunday - dt.timedelta(days=6), sunday)
    if frequency == Frequency.BIWEEKLY:
        if day.day > 15:
            return Period(day.replace(day=1), day.replace(day=15))
        last = day.replace(day=1) - dt.timedelta(days=1)
        return Period(last.replace(day=16), last)
    months = PERIOD_MONTHS[frequency]
    current = day.replace(month=(day.month - 1) // months * months + 1, day=1)
    last = current - dt.timedelta(days=1)
    return Period(last.replace(month=(last.month - 1) // months * months + 1, day=1), last)


def supervision_reports_due(
    *, now: dt.datetime | None = None, skip: Callable[[str], bool] | None = None
) -> Iterator[DueReport]:
    """
    For every entity and every supervision clause with a period, the report of the latest period that has
    ended (one only: a worker that was down for a year sends the last report, not twelve). The key names the
    entity, the clause and the period; the caller stores it with the effect (the e-mail), so running twice
    sends once. `skip(key)` true: already sent, the PDF is not built. Lazy: each report is built when read.
    """
    now = now or timezone.now()
    day = timezone.localtime(now, LIMA).date()
    for entity in Entity.objects.filter(procedures__is_current=True).distinct().order_by("code"):
        groups: dict[tuple, list[str]] = defaultdict(list)
        for code, (_, definition) in _current_definitions(entity).items():
            s = definition.supervision
            if s is not None and s.frequency not in (None, Frequency.ON_DEMAND):
                groups[(s.role, s.frequency, s.reports_to or "", s.reports_to_role or "")].append(code)
        for (role, frequency, unit, to_role), codes in sorted(groups.items()):
            period = period_ended(Frequency(frequency), day)
            body = to_role or unit or "-"
            key = f"supervision:{entity.code}:{role}:{frequency}:{body}:{period.start:%Y-%m-%d}"
            if skip is not None and skip(key):
                continue
            content, report = supervision_render(
                fmt="pdf", entity=entity, start=period.start, end=period.end, procedure_codes=codes, now=now
            )
            receiver = to_role or (unit_head_role(entity=entity, unit_code=unit)[1] if unit else None)
            recipients = _recipients(entity, {role, receiver or ""} - {""}, day)
            yield DueReport(key, entity, period, recipients, content, report.filename("pdf"))


def supervision_reports_send(*, now: dt.datetime | None = None) -> int:
    """
    E-mail each report due (supervision_reports_due) to who presents it and who receives it, once: the
    report's key is the mail's key, stored in the outbox. A report nobody can receive (no holder with an
    address) is still stored, as a failed mail the administrator sees. Returns how many were enqueued.
    """
    enqueued = 0
    for due in supervision_reports_due(now=now, skip=email_key_taken):
        period = f"{due.period.start:%d/%m/%Y} al {due.period.end:%d/%m/%Y}"
        email = email_enqueue(
            key=due.key,
            to=[person.email for person in due.recipients if person.email],
            subject=f"[mapro] Informe de supervisión {due.entity.code}, {period}",
            body=render_to_string(
                "reports/supervision_mail.txt", {"due": due, "period": period, "link": _report_link(due)}
            ),
            attachments=[(due.filename, due.pdf, FORMATS["pdf"])],
            digest=False,
        )
        enqueued += email is not None
    return enqueued


def _report_link(due: DueReport) -> str:
    return settings.MAPRO_BASE_URL + reverse("web:supervision")


def _recipients(entity: Entity, role_codes: set[str], day: dt.date) -> list[Person]:
    """Who presents the report and who receives it: the holders of both roles that day."""
    ids = people_ids_holding_roles(entity=entity, role_codes=role_codes, on=day)
    return list(Person.objects.filter(pk__in=ids).select_related("user").order_by("full_name", "pk"))
