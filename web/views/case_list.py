"""
Finding cases again: the Expedientes list (filters, search, sorting, paging, CSV/XLSX export) and Mis
solicitudes. The filtering is mapro.cases.search's, shared with the API and the Tablero's links.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone

from mapro.cases.models import Case, CaseTask
from mapro.cases.performers import task_performable_by
from mapro.cases.search import (
    EXPORT_MAX,
    PAGE_SIZE,
    CaseFilters,
    case_filters_from,
    case_page,
    cases_filtered,
)
from mapro.catalogue.models import ProcedureVersion
from mapro.core.errors import InvalidInputError
from mapro.organization.models import Person
from mapro.organization.selectors import person_role_codes
from mapro.reports.case_exports import case_export_rows, cases_csv, cases_xlsx, role_names, step_text

from .common import person_of, person_required

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ORDER_LABELS = [
    ("-started", "Inicio: más recientes primero"),
    ("started", "Inicio: más antiguos primero"),
    ("due", "Vencimiento: el más próximo primero"),
    ("-due", "Vencimiento: el más lejano primero"),
    ("-number", "Número: descendente"),
    ("number", "Número: ascendente"),
    ("status", "Estado: en curso primero"),
    ("-status", "Estado: anulados primero"),
    ("procedure", "Procedimiento: A–Z"),
    ("-procedure", "Procedimiento: Z–A"),
]


def _filters(request: HttpRequest) -> tuple[CaseFilters, dict[str, list[str]]]:
    try:
        return case_filters_from(request.GET), {}
    except InvalidInputError as exc:
        return CaseFilters(), exc.field_errors


def _page_number(request: HttpRequest) -> int:
    raw = request.GET.get("page", "1")
    return int(raw) if raw.isdigit() and 0 < int(raw) < 1_000_000 else 1


def _paging(filters: CaseFilters, page_number: int, pages: int) -> dict[str, str]:
    def link(number: int) -> str:
        return "?" + urlencode({**filters.query(), **({"page": number} if number > 1 else {})})

    return {
        "previous": link(page_number - 1) if page_number > 1 else "",
        "next": link(page_number + 1) if page_number < pages else "",
    }


def _choices(person: Person) -> dict[str, object]:
    """What the filter form offers: the entity's procedures, roles and people."""
    entity = person.entity
    return {
        "procedures": list(
            ProcedureVersion.objects.filter(entity=entity, is_current=True)
            .order_by("code")
            .values_list("code", "name")
        ),
        "roles": sorted(role_names(entity=entity).items(), key=lambda item: item[1]),
        "people": list(
            Person.objects.filter(entity=entity, user__isnull=False)
            .order_by("full_name")
            .values_list("user__username", "full_name")[:1000]
        ),
        "statuses": Case.Status.choices,
        "orderings": ORDER_LABELS,
    }


@person_required
def case_list(request: HttpRequest) -> HttpResponse:
    """Expedientes the person may read: filtered, searched, sorted, 50 a page; the filters are the URL's."""
    person = person_of(request)
    filters, errors = _filters(request)
    page = case_page(
        cases_filtered(person=person, filters=filters), page=_page_number(request), size=PAGE_SIZE
    )
    query = filters.query()
    context = {
        "filters": filters,
        "errors": errors,
        "page": page,
        "cases": page.cases,
        "query": filters.q,
        "steps": _steps(page.cases, person),
        "paging": _paging(filters, page.number, page.pages),
        "export_query": urlencode(query),
        "export_max": EXPORT_MAX,
        "more_open": bool(errors) or any(k not in ("q", "ordering") for k in query),
        **_choices(person),
    }
    return render(request, "web/dashboard/cases.html", context, status=400 if errors else 200)


@person_required
def case_list_export(request: HttpRequest, fmt: str) -> HttpResponse:
    """Exactly the rows of the list's filters (every page), as CSV or XLSX; refused above EXPORT_MAX rows."""
    person = person_of(request)
    back = reverse("web:cases") + ("?" + request.GET.urlencode() if request.GET else "")
    try:
        filters = case_filters_from(request.GET)
    except InvalidInputError as exc:
        for field_messages in exc.field_errors.values():
            for message in field_messages:
                messages.error(request, message)
        return redirect(back)
    cases = cases_filtered(person=person, filters=filters)
    count = cases.count()
    if count > EXPORT_MAX:
        messages.error(
            request,
            f"La búsqueda tiene {count} expedientes; se exportan hasta {EXPORT_MAX}. Acote los filtros.",
        )
        return redirect(back)
    rows = case_export_rows(cases, names=role_names(entity=person.entity))
    stem = f"{person.entity.code}_expedientes_{timezone.localdate():%Y%m%d}"
    if fmt == "xlsx":
        response = HttpResponse(cases_xlsx(rows), content_type=XLSX)
    else:
        # A BOM so a spreadsheet opens the accents right.
        response = HttpResponse("\ufeff" + cases_csv(rows), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{stem}.{fmt}"'
    return response


@person_required
def my_requests(request: HttpRequest) -> HttpResponse:
    """Mis solicitudes: the cases the person asked for, their current step, and what is theirs to do now."""
    person = person_of(request)
    filters, errors = _filters(request)
    filters = CaseFilters(q=filters.q, status=filters.status, ordering=filters.ordering)
    mine = Case.objects.filter(requester=person)
    cases = cases_filtered(person=person, filters=filters, base=mine)
    page = case_page(cases, page=_page_number(request), size=PAGE_SIZE)
    context = {
        "filters": filters,
        "errors": errors,
        "page": page,
        "steps": _steps(page.cases, person),
        "paging": _paging(filters, page.number, page.pages),
        "total": mine.count(),
        "statuses": Case.Status.choices,
    }
    return render(request, "web/cases/mine.html", context, status=400 if errors else 200)


def _steps(cases: list[Case], person: Person) -> dict[int, list[dict[str, object]]]:
    """Per case: its open activities, each with its role and assignee, and whether the person may do it."""
    if not cases:
        return {}
    names = role_names(entity=person.entity)
    roles = person_role_codes(person=person, entity=person.entity)
    return {
        case.pk: [
            {
                "task": task,
                "text": step_text(task, names),
                "mine": _may_do(task, case, person, roles),
            }
            for task in case.open_tasks
        ]
        for case in cases
    }


def _may_do(task: CaseTask, case: Case, person: Person, roles: set[str]) -> bool:
    """Whether the step is the person's to do now (mapro.cases.performers' rule, on rows already read)."""
    task.case = case  # the rule reads the case's requester: the row in hand, not one more query
    return (
        case.status == Case.Status.OPEN
        and task.entity_id == person.entity_id
        and task.assignee_id in (None, person.pk)
        and task_performable_by(task=task, person=person, roles=roles)
    )
