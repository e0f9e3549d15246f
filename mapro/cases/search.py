"""
Finding cases again: the Expedientes list's filters, search, sorting and paging, as one read.

The web list, its CSV/XLSX exports, "Mis solicitudes", the Tablero's links and `GET /api/v1/cases` all call
`cases_filtered`, so a link, a page and an export of the same filters hold exactly the same cases. Every read
starts from `mapro.cases.access.cases_readable`: a case the person may not read is never listed or counted.

Search is `Case.search_text` (number, subject, start data and requester, folded by `mapro.core.text.fold`)
containing the folded query: the same accent- and case-blind match on SQLite and PostgreSQL, with no database
extension. It is a scan of the filtered cases (docs/decisions/0029-case-search.md, bench/cases_list.py).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from typing import Any

from django.db.models import Case as When_
from django.db.models import Exists, F, IntegerField, OuterRef, Prefetch, Q, QuerySet, Value, When
from django.utils import timezone

from mapro.core.errors import InvalidInputError
from mapro.core.text import fold
from mapro.organization.models import Person

from .access import cases_readable
from .models import Case, CaseTask
from .selectors import VERSION_UNUSED_COLUMNS

PAGE_SIZE = 50
EXPORT_MAX = 10_000  # an export of more rows is refused: narrow the filters (a file a person can read)
QUERY_MAX = 200
NARROW = 2_000  # up to this many matches, a page is read by key (case_page)

# Ordering keys of the list and the API (`-key` for descending), and the columns each one sorts by.
ORDERINGS: dict[str, tuple[str, ...]] = {
    "number": ("number",),
    "started": ("started_at", "number"),
    "due": ("due_at", "number"),
    "status": ("status_rank", "-started_at"),
    "procedure": ("procedure_version__code", "-started_at"),
}
ORDERING_CHOICES = [key for name in ORDERINGS for key in (name, f"-{name}")]
DEFAULT_ORDERING = "-started"
# Statuses in the order a person reads them: work in progress first.
STATUS_ORDER = [Case.Status.OPEN, Case.Status.SUSPENDED, Case.Status.CLOSED, Case.Status.CANCELLED]


@dataclass(frozen=True)
class CaseFilters:
    """What the person asked for; empty values filter nothing."""

    q: str = ""
    procedure: str = ""  # procedure code
    status: str = ""  # Case.Status value
    role: str = ""  # role code of an open task (its lane or a co-responsible)
    assignee: str = ""  # username of the person an open task is assigned to
    overdue: bool = False
    started_from: dt.date | None = None
    started_to: dt.date | None = None
    requester: str = ""  # username of the requester
    ordering: str = DEFAULT_ORDERING

    def query(self, **changes: Any) -> dict[str, str]:
        """The filters as query-string parameters (the names of the list and the API), only those set."""
        chosen = replace(self, **changes) if changes else self
        params = {
            "q": chosen.q,
            "procedure": chosen.procedure,
            "status": chosen.status,
            "role": chosen.role,
            "assignee": chosen.assignee,
            "overdue": "true" if chosen.overdue else "",
            "from": chosen.started_from.isoformat() if chosen.started_from else "",
            "to": chosen.started_to.isoformat() if chosen.started_to else "",
            "requester": chosen.requester,
            "ordering": "" if chosen.ordering == DEFAULT_ORDERING else chosen.ordering,
        }
        return {name: value for name, value in params.items() if value}

    @property
    def any(self) -> bool:
        """Whether anything filters (the ordering does not)."""
        return any(
            getattr(self, f.name) not in ("", None, False) for f in fields(self) if f.name != "ordering"
        )


def case_filters_from(params: Mapping[str, str]) -> CaseFilters:
    """
    The filters of a query string (the web list's, or a Tablero link's). Unknown parameters are ignored;
    a bad value raises InvalidInputError naming its parameter, in Spanish.
    """
    errors: dict[str, list[str]] = {}

    def text(name: str, limit: int = 150) -> str:
        value = (params.get(name) or "").strip()
        if "\x00" in value:
            errors[name] = ["Sin caracteres nulos."]
            return ""
        if len(value) > limit:
            errors[name] = [f"Como máximo {limit} caracteres."]
            return ""
        return value

    def date(name: str) -> dt.date | None:
        raw = text(name, 10)
        if not raw:
            return None
        try:
            return dt.date.fromisoformat(raw)
        except ValueError:
            errors[name] = ["Fecha no válida: use AAAA-MM-DD."]
            return None

    status = text("status")
    if status and status not in Case.Status.values:
        errors["status"] = [f"Estado desconocido; use uno de: {', '.join(Case.Status.values)}."]
    overdue = text("overdue").lower()
    if overdue not in ("", "true", "false", "1", "0", "si", "sí", "no"):
        errors["overdue"] = ["Use true o false."]
    ordering = text("ordering") or DEFAULT_ORDERING
    if ordering not in ORDERING_CHOICES:
        errors["ordering"] = [f"Orden desconocido; use uno de: {', '.join(ORDERING_CHOICES)}."]
    filters = CaseFilters(
        q=text("q", QUERY_MAX),
        procedure=text("procedure", 80),
        status=status,
        role=text("role", 60),
        assignee=text("assignee"),
        overdue=overdue in ("true", "1", "si", "sí"),
        started_from=date("from"),
        started_to=date("to"),
        requester=text("requester"),
        ordering=ordering,
    )
    if filters.started_from and filters.started_to and filters.started_to < filters.started_from:
        errors["to"] = ["La fecha final no puede ser anterior a la inicial."]
    if errors:
        raise InvalidInputError(errors, "Revise los filtros.")
    return filters


def cases_filtered(
    *,
    person: Person,
    filters: CaseFilters,
    base: QuerySet[Case] | None = None,
    now: dt.datetime | None = None,
) -> QuerySet[Case]:
    """
    The cases `person` may read that match `filters`, sorted. `base` narrows further (Mis solicitudes: the
    person's own requests); it is always intersected with what the person may read.

    Overdue is what the Tablero counts: an open case whose nearest pending deadline (`Case.due_at`) has
    passed; with a role or a person, an open task of that role or person whose own due time has passed (the
    Tablero's "Actividades por rol").
    """
    now = now or timezone.now()
    cases = cases_readable(person=person)
    if base is not None:
        cases = cases.filter(pk__in=base.values("pk"))
    if filters.q:
        cases = cases.filter(search_text__contains=fold(filters.q))
    if filters.procedure:
        cases = cases.filter(procedure_version__code=filters.procedure)
    if filters.status:
        cases = cases.filter(status=filters.status)
    if filters.requester:
        cases = cases.filter(requester__user__username=filters.requester)
    if filters.started_from:
        cases = cases.filter(started_at__gte=_local_midnight(filters.started_from))
    if filters.started_to:
        cases = cases.filter(started_at__lt=_local_midnight(filters.started_to + dt.timedelta(days=1)))
    if filters.role or filters.assignee:
        tasks = CaseTask.objects.filter(case=OuterRef("pk"), status=CaseTask.Status.OPEN)
        if filters.role:
            tasks = tasks.filter(Q(role_code=filters.role) | Q(co_roles__role_code=filters.role))
        if filters.assignee:
            tasks = tasks.filter(assignee__user__username=filters.assignee)
        if filters.overdue:
            tasks = tasks.filter(due_at__lt=now)
        cases = cases.filter(Exists(tasks), status=Case.Status.OPEN)
    elif filters.overdue:
        cases = cases.filter(status=Case.Status.OPEN, due_at__lt=now)
    return _ordered(cases, filters.ordering)


def _ordered(cases: QuerySet[Case], ordering: str) -> QuerySet[Case]:
    descending = ordering.startswith("-")
    columns = ORDERINGS[ordering.lstrip("-")]
    if "status_rank" in columns:
        cases = cases.annotate(
            status_rank=When_(
                *(When(status=status, then=Value(rank)) for rank, status in enumerate(STATUS_ORDER)),
                default=Value(len(STATUS_ORDER)),
                output_field=IntegerField(),
            )
        )
    first, *rest = columns
    # The first column follows the direction asked; ties keep their natural order. No due time sorts last
    # either way; the other columns are never empty, and a plain order lets an index serve it.
    nulls_last = True if first == "due_at" else None
    key = F(first).desc(nulls_last=nulls_last) if descending else F(first).asc(nulls_last=nulls_last)
    return cases.order_by(key, *rest)


def _local_midnight(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


@dataclass
class CasePage:
    cases: list[Case]
    count: int
    number: int
    pages: int
    size: int

    @property
    def first_row(self) -> int:
        return (self.number - 1) * self.size + 1 if self.cases else 0

    @property
    def last_row(self) -> int:
        return self.first_row + len(self.cases) - 1 if self.cases else 0


def case_page(cases: QuerySet[Case], *, page: int = 1, size: int = PAGE_SIZE) -> CasePage:
    """
    One page of rows with what a row shows (procedure, requester, open tasks); past the end is empty.

    A narrow result (a search that matches a few cases) is read as its keys first, in one pass that also
    counts it, and the page is then fetched by key. Counting and then asking for the newest 50 would make
    the database walk the (entity, started_at) index over every case hoping to meet 50 matches soon: at
    1 M cases that walk, not the search, was most of a search's time (bench/README.md, cases_list.py).
    """
    keys = list(cases.order_by().values_list("pk", flat=True)[: NARROW + 1])
    if len(keys) <= NARROW:
        count, cases = len(keys), cases.filter(pk__in=keys)
    else:
        count = cases.count()
    pages = max(1, -(-count // size))
    rows = list(case_rows(cases)[(page - 1) * size : page * size]) if (page - 1) * size < count else []
    return CasePage(cases=rows, count=count, number=page, pages=pages, size=size)


def case_rows(cases: QuerySet[Case]) -> QuerySet[Case]:
    """
    What a list row or an export line reads: the procedure, the requester, and the open tasks (`open_tasks`:
    activity, role, assignee) — two further queries for any number of rows. The large columns stay unread.
    """
    return (
        cases.select_related("procedure_version", "requester__user", "registered_by")
        .defer("workflow_state", *(f"procedure_version__{column}" for column in VERSION_UNUSED_COLUMNS))
        .prefetch_related(
            Prefetch(
                "tasks",
                queryset=CaseTask.objects.filter(status=CaseTask.Status.OPEN)
                .select_related("assignee")
                .prefetch_related("co_roles")
                .order_by("activity", "pk"),
                to_attr="open_tasks",
            )
        )
    )
