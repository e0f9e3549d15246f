"""
Reads behind the indicators: the cases a count of the definition (`CaseCount`) takes for a period, and the
deadline rows of a period grouped for compliance. One query per count; nothing is read into Python per case.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from dataclasses import dataclass

from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from mapro.cases.models import Case, CaseRecord, CaseTask, Deadline
from mapro.catalogue.definition.schema import CaseCount
from mapro.catalogue.models import ProcedureVersion
from mapro.organization.models import Entity


@dataclass(frozen=True)
class Period:
    """Calendar days `start`..`end`, both included, in the server's time zone (America/Lima)."""

    start: dt.date
    end: dt.date

    @property
    def since(self) -> dt.datetime:
        return timezone.make_aware(dt.datetime.combine(self.start, dt.time.min))

    @property
    def until(self) -> dt.datetime:
        """The first instant after the period (exclusive bound)."""
        return timezone.make_aware(dt.datetime.combine(self.end + dt.timedelta(days=1), dt.time.min))


def procedure_version_ids(*, entity: Entity, code: str) -> list[int]:
    """Every loaded revision of a procedure: a case counts whatever version it started with."""
    return list(ProcedureVersion.objects.filter(entity=entity, code=code).values_list("pk", flat=True))


def case_count_queryset(*, entity: Entity, code: str, count: CaseCount, period: Period) -> QuerySet[Case]:
    """The cases `count` takes: of procedure `code`, dated in `period`, narrowed by its conditions."""
    return _counted(entity=entity, code=code, count=count, since=period.since, until=period.until).filter(
        _in_period(count, period)
    )


def case_counts_by_period(*, entity: Entity, code: str, count: CaseCount, periods: list[Period]) -> list[int]:
    """
    How many cases `count` takes in each of `periods`, in one query (one conditional COUNT per period over
    the span they cover), so a chart of twelve months costs what one month does.
    """
    if not periods:
        return []
    since, until = min(p.since for p in periods), max(p.until for p in periods)
    cases = _counted(entity=entity, code=code, count=count, since=since, until=until)
    totals = cases.aggregate(
        **{f"p{i}": Count("pk", filter=_in_period(count, p)) for i, p in enumerate(periods)}
    )
    return [totals[f"p{i}"] for i in range(len(periods))]


def _date_field(count: CaseCount) -> str:
    return "started_at" if count.dated_by == "started" else "closed_at"


def _in_period(count: CaseCount, period: Period) -> Q:
    field = _date_field(count)
    condition = Q(**{f"{field}__gte": period.since, f"{field}__lt": period.until})
    if count.closed and count.dated_by == "started":
        condition &= Q(closed_at__lt=period.until)  # concluded by the end of that period
    return condition


def _counted(
    *, entity: Entity, code: str, count: CaseCount, since: dt.datetime, until: dt.datetime
) -> QuerySet[Case]:
    """The cases of `count` dated between `since` and `until`, with every condition but the period's own."""
    field = _date_field(count)
    cases = Case.objects.filter(
        entity=entity,
        procedure_version__in=procedure_version_ids(entity=entity, code=code),
        **{f"{field}__gte": since, f"{field}__lt": until},
    ).exclude(status=Case.Status.CANCELLED)  # an annulled case was never a real request (docs/indicators.md)
    if count.closed or count.dated_by == "closed":
        cases = cases.filter(status=Case.Status.CLOSED)
    if count.branches:
        taken = Q()
        for branch in count.branches:
            taken |= Q(activity=branch.activity, decision=branch.branch)
        tasks = CaseTask.objects.filter(taken, case=OuterRef("pk"), status=CaseTask.Status.COMPLETED)
        cases = cases.filter(Exists(tasks))
    if count.record is not None:
        cases = cases.filter(Exists(CaseRecord.objects.filter(case=OuterRef("pk"), record_id=count.record)))
    if count.deadline is not None:
        deadlines = Deadline.objects.filter(
            case=OuterRef("pk"), time_rule=count.deadline.time_rule, status__in=list(count.deadline.status)
        )
        cases = cases.filter(Exists(deadlines))
    return cases


@dataclass(frozen=True)
class DeadlineGroupRow:
    code: str
    version_id: int
    activity: int | None
    role_code: str | None  # the task's role; None when the deadline has no task (a case-wide rule)
    status: str
    count: int


def deadline_rows(
    *, entity: Entity, period: Period, procedure_codes: Collection[str] | None = None
) -> list[DeadlineGroupRow]:
    """Deadlines of the entity's cases that fall due in `period`, counted per procedure, role and status."""
    deadlines = Deadline.objects.filter(
        case__entity=entity, due_at__gte=period.since, due_at__lt=period.until
    ).exclude(case__status=Case.Status.CANCELLED)
    if procedure_codes is not None:
        deadlines = deadlines.filter(case__procedure_version__code__in=list(procedure_codes))
    grouped = (
        deadlines.values(
            "case__procedure_version__code",
            "case__procedure_version_id",
            "activity",
            "task__role_code",
            "status",
        )
        .annotate(n=Count("pk"))
        .order_by()
    )
    return [
        DeadlineGroupRow(
            code=row["case__procedure_version__code"],
            version_id=row["case__procedure_version_id"],
            activity=row["activity"],
            role_code=row["task__role_code"],
            status=row["status"],
            count=row["n"],
        )
        for row in grouped
    ]


def deadline_queryset(
    *, entity: Entity, period: Period, code: str | None = None, role_code: str | None = None
) -> QuerySet[Deadline]:
    """The deadline rows behind one line of the compliance table (drill-down)."""
    deadlines = Deadline.objects.filter(
        case__entity=entity, due_at__gte=period.since, due_at__lt=period.until
    ).exclude(case__status=Case.Status.CANCELLED)
    if code is not None:
        deadlines = deadlines.filter(case__procedure_version__code=code)
    if role_code is not None:
        deadlines = deadlines.filter(task__role_code=role_code)
    return deadlines.select_related("case", "task").order_by("due_at", "pk")
