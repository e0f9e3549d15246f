"""
Schedules: made from each current definition's `periodicity`, edited by administrators (an audit event per
change), and run by the worker: `schedules_run_due` starts each due occurrence's case exactly once.

Exactly once (docs/decisions/0022-schedules-worker.md): every occurrence is a ScheduleRun row, unique per
(schedule, occurrence), inserted in the same transaction as the case it starts and as the move of the
schedule's `next_run_at`. The schedule row is locked for that transaction (`SELECT … FOR UPDATE SKIP
LOCKED`: a second worker skips it); a worker killed mid-way rolls the whole transaction back, and the next
tick (of any worker) does it again; a worker with a stale view hits the unique constraint and does nothing.
Downtime: when several occurrences are due at once, only the latest starts a case; the others are recorded
as missed (docs/schedules.md).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.core.files import File
from django.db import IntegrityError, transaction
from django.utils import timezone

from mapro.audit.services import audit_event_record
from mapro.cases.selectors import procedure_version_definition
from mapro.cases.services import case_start
from mapro.catalogue.definition.schema import (
    Definition,
    FieldType,
    Frequency,
    Periodicity,
    activity_numbers,
)
from mapro.catalogue.models import ProcedureVersion
from mapro.core.errors import ApplicationError
from mapro.deadlines.calendar import LIMA, WorkCalendar
from mapro.deadlines.services import entity_calendar
from mapro.organization.models import Entity, Person
from mapro.organization.selectors import people_ids_holding_roles

from .models import Schedule, ScheduleRun
from .recurrence import first_run_default, next_occurrence, occurrences_between

logger = logging.getLogger(__name__)

# What an administrator may change (the rest follows the definition).
EDITABLE = ("first_run_at", "requester", "active", "inputs")


@dataclass
class SyncReport:
    created: list[Schedule]
    updated: list[Schedule]
    deactivated: list[Schedule]


def schedules_sync(*, now: dt.datetime | None = None) -> SyncReport:
    """
    One schedule per entity, procedure and calendar-started periodicity of the current versions (idempotent;
    run by `mapro demo load` and `mapro schedules sync`). A new schedule gets its first run from the
    definition (or the next period) and the holder of its first activity's role as requester; an existing
    one keeps what the administrator set and follows the definition's frequency and scheduled part.
    """
    now = now or timezone.now()
    report = SyncReport(created=[], updated=[], deactivated=[])
    wanted: set[tuple[int, str, str]] = set()
    versions = ProcedureVersion.objects.filter(is_current=True).select_related("entity").order_by("code")
    for version in versions.only("pk", "code", "source_sha256", "entity"):
        definition = procedure_version_definition(version=version)
        for periodicity in definition.periodicity:
            if periodicity.frequency == Frequency.ON_DEMAND:
                continue
            wanted.add((version.entity_id, version.code, periodicity.flow or ""))
            _schedule_sync_one(version.entity, definition, periodicity, now=now, report=report)
    stale = Schedule.objects.filter(active=True).select_related("entity")
    for schedule in stale:
        if (schedule.entity_id, schedule.procedure_code, schedule.flow) not in wanted:
            schedule_update(schedule=schedule, actor=None, changes={"active": False}, now=now)
            report.deactivated.append(schedule)
    return report


def _schedule_sync_one(
    entity: Entity, definition: Definition, periodicity: Periodicity, *, now: dt.datetime, report: SyncReport
) -> None:
    from_definition = {
        "frequency": str(periodicity.frequency),
        "working_days": periodicity.working_days,
        "start_activity": periodicity.start,
    }
    key = {"entity": entity, "procedure_code": definition.code, "flow": periodicity.flow or ""}
    schedule = Schedule.objects.filter(**key).select_related("entity").first()
    if schedule is None:
        try:
            _schedule_create(
                entity, definition, periodicity, key=key, from_definition=from_definition, now=now
            )
        except IntegrityError:  # a concurrent sync made it first: keep theirs
            return
        report.created.append(Schedule.objects.get(**key))
        return
    changed = {k: v for k, v in from_definition.items() if getattr(schedule, k) != v}
    if changed:
        schedule_update(schedule=schedule, actor=None, changes=changed, now=now)
        report.updated.append(schedule)


def _schedule_create(
    entity: Entity,
    definition: Definition,
    periodicity: Periodicity,
    *,
    key: dict[str, Any],
    from_definition: dict[str, Any],
    now: dt.datetime,
) -> None:
    with transaction.atomic():
        first = first_run_default(
            str(periodicity.frequency),
            today=timezone.localdate(now, LIMA),
            at=entity.workday_start,
            month=periodicity.month,
            day=periodicity.day,
        )
        schedule = Schedule.objects.create(
            **key,
            **from_definition,
            first_run_at=first,
            next_run_at=first,
            inputs=dict(periodicity.inputs),
            requester=_default_requester(entity, definition, periodicity),
        )
        audit_event_record(
            chain=entity.code,
            action="schedule.created",
            obj=schedule,
            summary=f"Programación {schedule}",
            after=_snapshot(schedule),
        )


def _default_requester(entity: Entity, definition: Definition, periodicity: Periodicity) -> Person | None:
    """Who the scheduled cases are started by: a holder of the role of the scheduled part's first activity."""
    flows = {f.id: f.start for f in definition.flows}
    start = periodicity.start or (flows.get(periodicity.flow) if periodicity.flow else None)
    number = activity_numbers(start)[0] if start is not None else definition.activities[0].n
    role = definition.activity(number).role
    ids = people_ids_holding_roles(entity=entity, role_codes=[role]) if role else set()
    return Person.objects.filter(pk__in=ids, entity=entity).order_by("pk").first()


def schedule_update(
    *,
    schedule: Schedule,
    actor: Any,
    changes: dict[str, Any],
    now: dt.datetime | None = None,
    actor_label: str | None = None,
) -> Schedule:
    """
    Change a schedule and record it in the entity's audit chain, in one transaction. A new first run or
    frequency moves `next_run_at` to its first occurrence from now on (past ones are not caught up).
    """
    now = now or timezone.now()
    with transaction.atomic():
        locked = Schedule.objects.select_for_update().select_related("entity").get(pk=schedule.pk)
        before = _snapshot(locked)
        for field, value in changes.items():
            setattr(locked, field, value)
        timing = {"first_run_at", "frequency", "working_days", "active"}
        if timing & set(changes):
            locked.next_run_at = _first_from(locked, now) if locked.active else None
        locked.save()
        after = _snapshot(locked)
        if before != after:
            audit_event_record(
                chain=locked.entity.code,
                action="schedule.changed",
                obj=locked,
                actor=actor,
                actor_label=actor_label,
                summary=f"Cambio de la programación {locked}",
                before=before,
                after=after,
            )
    return locked


def _first_from(schedule: Schedule, now: dt.datetime) -> dt.datetime | None:
    if schedule.first_run_at >= now:
        return next_occurrence(
            schedule.first_run_at,
            schedule.frequency,
            after=schedule.first_run_at - dt.timedelta(microseconds=1),
            calendar=_calendar(schedule),
        )
    return next_occurrence(schedule.first_run_at, schedule.frequency, after=now, calendar=_calendar(schedule))


def _snapshot(schedule: Schedule) -> dict[str, Any]:
    return {
        "procedure": schedule.procedure_code,
        "flow": schedule.flow,
        "frequency": schedule.frequency,
        "working_days": schedule.working_days,
        "start_activity": schedule.start_activity,
        "first_run_at": schedule.first_run_at.astimezone(LIMA).isoformat(),
        "requester": schedule.requester_id,
        "inputs": schedule.inputs,
        "active": schedule.active,
    }


def _calendar(schedule: Schedule, cache: dict[int, WorkCalendar] | None = None) -> WorkCalendar | None:
    if not schedule.working_days:
        return None
    if cache is not None and schedule.entity_id in cache:
        return cache[schedule.entity_id]
    calendar = entity_calendar(entity=schedule.entity)
    if cache is not None:
        cache[schedule.entity_id] = calendar
    return calendar


def schedules_run_due(*, now: dt.datetime | None = None) -> list[ScheduleRun]:
    """Start the case of every due occurrence (once each); returns the runs this call recorded."""
    now = now or timezone.now()
    due = Schedule.objects.filter(active=True, next_run_at__lte=now).order_by("next_run_at", "pk")
    calendars: dict[int, WorkCalendar] = {}
    runs: list[ScheduleRun] = []
    for pk in list(due.values_list("pk", flat=True)):
        runs += _schedule_run_due(pk, now=now, calendars=calendars)
    return runs


def _schedule_run_due(pk: int, *, now: dt.datetime, calendars: dict[int, WorkCalendar]) -> list[ScheduleRun]:
    with transaction.atomic():
        locked = Schedule.objects.select_for_update(skip_locked=True).filter(
            pk=pk, active=True, next_run_at__lte=now
        )
        found = list(locked.order_by()[:1])  # no ordering: no join to the entity on the hot path
        if not found:  # another worker holds it, or has just handled it
            return []
        schedule = found[0]
        calendar = _calendar(schedule, calendars)
        after = schedule.next_run_at - dt.timedelta(microseconds=1)
        due = occurrences_between(
            schedule.first_run_at, schedule.frequency, after=after, until=now, calendar=calendar
        )
        runs = _missed_record(schedule, due[:-1])
        if due:
            run = _occurrence_start(schedule, due[-1])
            runs += [run] if run is not None else []
        schedule.next_run_at = next_occurrence(
            schedule.first_run_at, schedule.frequency, after=now, calendar=calendar
        )
        schedule.save(update_fields=["next_run_at", "updated_at"])
        return runs


def _missed_record(schedule: Schedule, moments: Iterable[dt.datetime]) -> list[ScheduleRun]:
    reason = "El sistema estuvo detenido: se inició solo la ocurrencia más reciente."
    rows = [
        ScheduleRun(schedule=schedule, occurrence_at=m, status=ScheduleRun.Status.MISSED, error=reason)
        for m in moments
    ]
    if not rows:
        return []
    existing = set(
        ScheduleRun.objects.filter(
            schedule=schedule, occurrence_at__in=[r.occurrence_at for r in rows]
        ).values_list("occurrence_at", flat=True)
    )
    fresh = [r for r in rows if r.occurrence_at not in existing]
    ScheduleRun.objects.bulk_create(fresh, ignore_conflicts=True)
    return fresh


def _occurrence_start(schedule: Schedule, occurrence: dt.datetime) -> ScheduleRun | None:
    """The occurrence's row and its case, or a failed row saying why; None if it was already handled."""
    try:
        with transaction.atomic():
            run = ScheduleRun.objects.create(
                schedule=schedule, occurrence_at=occurrence, status=ScheduleRun.Status.STARTED
            )
    except IntegrityError:
        return None
    requester = schedule.requester
    try:
        if requester is None:
            raise ApplicationError("La programación no tiene solicitante: asígnelo en la administración.")
        with transaction.atomic():
            case = case_start(
                procedure_code=schedule.procedure_code,
                requester=requester,
                inputs=dict(schedule.inputs),
                flow=schedule.flow or None,
                documents=_documents(schedule),
                # The calendar, not a person, decides this start: an open case with the same preset value
                # (last semester's review still running) does not hold the new one back.
                confirm_duplicate=True,
            )
    except ApplicationError as exc:
        run.status, run.error = ScheduleRun.Status.FAILED, _reason(exc, schedule)
        run.save(update_fields=["status", "error"])
        logger.warning("schedule %s: %s no iniciado: %s", schedule.pk, occurrence, run.error)
        return run
    run.case = case
    run.save(update_fields=["case"])
    return run


def _documents(schedule: Schedule) -> dict[str, File]:
    """The schedule's standing start documents, as uploads named like the file the administrator gave."""
    return {
        document.input_id: File(document.file.open("rb"), name=document.filename)
        for document in schedule.documents.all()
    }


def schedule_file_inputs(*, schedule: Schedule) -> dict[str, str]:
    """The `file` start inputs of the scheduled flow (id → element): the documents a schedule can hold."""
    version = ProcedureVersion.objects.filter(code=schedule.procedure_code, is_current=True).first()
    if version is None:
        return {}
    definition = procedure_version_definition(version=version)
    flow = schedule.flow or None
    return {
        item.id: item.element
        for item in definition.inputs
        if item.type == FieldType.FILE and (not item.flows or flow in item.flows)
    }


def schedule_documents_audit(
    *, schedule: Schedule, actor: Any, actor_label: str | None, changed: list[str]
) -> None:
    """Record which start documents of a schedule the administrator added, replaced or removed."""
    audit_event_record(
        chain=schedule.entity.code,
        action="schedule.documents_changed",
        obj=schedule,
        actor=actor,
        actor_label=actor_label,
        summary=f"Documentos de inicio de la programación {schedule}",
        after={"changed": changed, "documents": {d.input_id: d.filename for d in schedule.documents.all()}},
    )


def _reason(exc: ApplicationError, schedule: Schedule) -> str:
    errors = getattr(exc, "field_errors", None)
    if not (isinstance(errors, dict) and errors):
        return str(exc)[:1000]
    reason = " ".join(f"{key}: {' '.join(map(str, msgs))}" for key, msgs in errors.items())
    if set(errors) & set(schedule_file_inputs(schedule=schedule)):
        reason += " Adjunte el documento a la programación (administración, «Documentos de inicio»)."
    return reason[:1000]
