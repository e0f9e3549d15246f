"""
Reminders before a due time and escalation after it, by scanning the pending deadlines (a periodic job).

- Reminder (key `reminder:<deadline>`): MAIL_REMINDER_HOURS before the due time for rules counted in hours
  (clock or working hours); for rules counted in days, months or years, at the start of the office day
  MAIL_REMINDER_WORKING_DAYS working days before the due day. To whoever may do the activity now.
- Escalation (key `escalation:<deadline>`): the deadline is past and still pending: to the head of the
  unit responsible for the activity (Ley 27444 art. 154): whoever holds its head role (selectors.py). A
  unit without one (nor a parent unit with one) leaves a `failed` mail `escalation:<deadline>:sin-jefe`
  with the reason in the admin's list: an administrator sees that nobody was told, names the head, and the
  next tick escalates.

Only meaning `deadline` rules of open cases are watched (windows act by themselves; a suspended case's
clock is stopped). A reminder whose moment passed while the worker was down is still sent if the deadline
is not yet due; once due, only the escalation is.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterable

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import CharField, Exists, OuterRef, Q, Value
from django.db.models.functions import Cast, Concat
from django.template.loader import render_to_string
from django.utils import timezone

from mapro.cases.models import Case, CaseTask, Deadline
from mapro.cases.selectors import case_definition
from mapro.catalogue.definition import Definition
from mapro.catalogue.definition.schema import REQUESTER, TimeRuleMeaning, TimeUnit
from mapro.deadlines.calendar import LIMA, WorkCalendar
from mapro.deadlines.services import entity_calendar

from ..models import OutboundEmail
from ..selectors import Addressee, role_holders, unit_head_role
from .events import (
    CASE_UNUSED_COLUMNS,
    case_link,
    case_matter,
    case_procedure,
    local_time,
    mail_subject,
)
from .outbox import Draft, emails_enqueue_many

HOUR_UNITS = {TimeUnit.CLOCK_HOURS, TimeUnit.WORKING_HOURS}
# How far ahead a reminder may fall: the lead in working days plus the longest run of non-working days
# around it (a week at Christmas with decreed days, Holy Week plus a weekend) with margin.
NON_WORKING_MARGIN_DAYS = 10
HOW_TO_NAME_A_HEAD = "Indique el rol del jefe en Unidades orgánicas: el siguiente ciclo lo envía."


def deadlines_watch(*, now: dt.datetime | None = None) -> int:
    """Enqueue the reminders and escalations due by `now`; returns how many mails were enqueued."""
    now = now or timezone.now()
    escalated = Exists(OutboundEmail.objects.filter(key=OuterRef("escalation_key")))
    reminded = Exists(OutboundEmail.objects.filter(key=OuterRef("reminder_key")))
    watched = (
        Deadline.objects.filter(
            status=Deadline.Status.PENDING,
            meaning=TimeRuleMeaning.DEADLINE,
            case__status=Case.Status.OPEN,
            due_at__lte=now + _horizon(),
        )
        .annotate(
            escalation_key=Concat(Value("escalation:"), Cast("pk", CharField())),
            reminder_key=Concat(Value("reminder:"), Cast("pk", CharField())),
        )
        .exclude(escalated)  # done with for good
        .exclude(Q(due_at__gt=now) & reminded)  # nothing more until it is due
        .select_related("case__entity", "case__procedure_version", "case__requester")
        .defer(*CASE_UNUSED_COLUMNS)
        .order_by("due_at", "pk")
    )
    calendars: dict[int, WorkCalendar] = {}
    enqueued = 0
    for deadline in watched:
        case = deadline.case
        if deadline.due_at <= now:
            enqueued += _escalate(deadline, now=now)
            continue
        calendar = calendars.setdefault(case.entity_id, entity_calendar(entity=case.entity))
        if now >= reminder_at(deadline, definition=case_definition(case=case), calendar=calendar):
            enqueued += _remind(deadline)
    return enqueued


def _horizon() -> dt.timedelta:
    days = settings.MAIL_REMINDER_WORKING_DAYS + NON_WORKING_MARGIN_DAYS
    return max(dt.timedelta(days=days), dt.timedelta(hours=settings.MAIL_REMINDER_HOURS))


def reminder_at(deadline: Deadline, *, definition: Definition, calendar: WorkCalendar) -> dt.datetime:
    rule = next((r for r in definition.time_rules if r.id == deadline.time_rule), None)
    if rule is not None and rule.unit in HOUR_UNITS:
        return deadline.due_at - dt.timedelta(hours=settings.MAIL_REMINDER_HOURS)
    day = deadline.due_at.astimezone(LIMA).date()
    for _ in range(settings.MAIL_REMINDER_WORKING_DAYS):
        day -= dt.timedelta(days=1)
        while not calendar.is_working_day(day):
            day -= dt.timedelta(days=1)
    return dt.datetime.combine(day, calendar.workday_start, tzinfo=LIMA)


def _remind(deadline: Deadline) -> int:
    if OutboundEmail.objects.filter(key=f"reminder:{deadline.pk}").exists():
        return 0
    case = deadline.case
    definition = case_definition(case=case)
    people = _responsible(deadline, definition=definition)
    body = render_to_string("mail/reminder.txt", _context(deadline, definition=definition))
    return emails_enqueue_many(
        [
            Draft(
                key=f"reminder:{deadline.pk}",
                to=[p.email for p in people if p.email],
                subject=mail_subject(case, f"Recordatorio: vence el {local_time(deadline.due_at)}"),
                body=body,
                case=case,
                digest=False,
            )
        ]
    )


def _escalate(deadline: Deadline, *, now: dt.datetime) -> int:
    case = deadline.case
    definition = case_definition(case=case)
    units = _responsible_units(deadline, definition=definition)
    heads, unit_names, missing = [], [], []
    for unit_code in units:
        unit, head_role = unit_head_role(entity=case.entity, unit_code=unit_code)
        unit_names.append(unit.name if unit else unit_code)
        holders = (
            role_holders(entity=case.entity, role_codes=[head_role]).get(head_role, []) if head_role else []
        )
        heads += [h for h in holders if h.email]
        if not holders:
            missing.append(unit.name if unit else unit_code)
    context = _context(deadline, definition=definition) | {
        "unit_name": ", ".join(unit_names) or case.entity.name,
        "responsible": ", ".join(p.name for p in _responsible(deadline, definition=definition)),
    }
    draft = Draft(
        key=f"escalation:{deadline.pk}",
        to=[h.email for h in heads],
        subject=mail_subject(case, f"Plazo vencido: {deadline.text}"),
        body=render_to_string("mail/escalation.txt", context),
        case=case,
        digest=False,
    )
    if draft.to:
        return emails_enqueue_many([draft])
    return _nobody_to_tell(draft, reason=f"Sin jefe de unidad con correo: {', '.join(missing or units)}")


def _nobody_to_tell(draft: Draft, *, reason: str) -> int:
    """
    A failed mail under its own key, so the admin's list shows an escalation that reached nobody, and why.
    The escalation's key stays free: once an administrator names the unit's head, the next tick sends it.
    """
    with contextlib.suppress(IntegrityError), transaction.atomic():  # the marker is there already
        OutboundEmail.objects.create(
            key=f"{draft.key}:sin-jefe",
            to=[],
            subject=draft.subject[:300],
            body=draft.body,
            case=draft.case,
            digestible=False,
            status=OutboundEmail.Status.FAILED,
            last_error=f"{reason}. {HOW_TO_NAME_A_HEAD}"[:2000],
        )
    return 0  # nothing was sent to anybody


def _responsible_tasks(deadline: Deadline) -> list[CaseTask]:
    tasks = deadline.case.tasks.filter(status=CaseTask.Status.OPEN).select_related("assignee")
    if deadline.activity is not None:
        tasks = tasks.filter(activity=deadline.activity)
    return list(tasks.prefetch_related("co_roles"))


def _responsible(deadline: Deadline, *, definition: Definition) -> list[Addressee]:
    """Who may do the activity now: the assignee of each open task, else every holder of its roles."""
    case = deadline.case
    tasks = _responsible_tasks(deadline)
    people: dict[int, Addressee] = {}
    unassigned_roles: set[str] = set()
    for task in tasks:
        if task.assignee is not None:
            a = task.assignee
            people[a.pk] = Addressee(a.pk, a.full_name, a.email)
        else:
            unassigned_roles.update(task.roles)
    if not tasks and deadline.activity is not None:  # the activity has not started yet
        unassigned_roles.add(definition.activity(deadline.activity).role)
    if REQUESTER in unassigned_roles:
        r = case.requester
        people[r.pk] = Addressee(r.pk, r.full_name, r.email)
    for holders in role_holders(entity=case.entity, role_codes=unassigned_roles - {REQUESTER}).values():
        people.update((h.person_id, h) for h in holders)
    return sorted(people.values(), key=lambda p: p.name)


def _responsible_units(deadline: Deadline, *, definition: Definition) -> list[str]:
    """The unit of the deadline's activity (the activity's own, else its role's); of a case-level rule,
    the units of the activities open now."""
    if deadline.activity is not None:
        activities: Iterable[int] = [deadline.activity]
    else:  # the activities open now; none open: the unit that starts the procedure
        activities = sorted({t.activity for t in _responsible_tasks(deadline)})
        activities = activities or definition.start_activities()[:1]
    units = []
    for n in activities:
        activity = definition.activity(n)
        unit = activity.unit or definition.role(activity.role).unit
        if unit and unit not in units:
            units.append(unit)
    return units


def _context(deadline: Deadline, *, definition: Definition) -> dict:
    case = deadline.case
    activity = definition.activity(deadline.activity) if deadline.activity is not None else None
    return {
        "deadline": deadline,
        "due": local_time(deadline.due_at),
        "activity": f"{activity.n}. {activity.name}" if activity else "",
        "case": case,
        "matter": case_matter(case),
        "procedure": case_procedure(case),
        "link": case_link(case),
    }
