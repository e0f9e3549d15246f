"""Tablero: open and overdue work of the person's entity, deadline compliance by month, oldest cases."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from ..charts import compliance_chart
from ..selectors import cases_search, dashboard_for_person
from .common import person_of, person_required


@person_required
def dashboard(request: HttpRequest) -> HttpResponse:
    person = person_of(request)
    entity = person.entity
    board = dashboard_for_person(person=person)
    # Twelve months on a wide screen, the last six on a phone (CSS shows one of the two).
    chart = compliance_chart(board.compliance, css_class="chart-wide") + compliance_chart(
        board.compliance[-6:], width=380, css_class="chart-narrow"
    )
    context = {"entity": entity, "board": board, "chart": chart}
    return render(request, "web/dashboard/index.html", context)


@person_required
def case_list(request: HttpRequest) -> HttpResponse:
    """Expedientes the person may read, searchable by number, procedure or start data (newest first)."""
    query = request.GET.get("q", "")
    cases = cases_search(person=person_of(request), query=query)
    return render(request, "web/dashboard/cases.html", {"cases": cases, "query": query})
