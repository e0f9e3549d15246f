"""Tablero: open and overdue work of the person's entity, deadline compliance by month, oldest cases."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from ..charts import compliance_chart
from ..selectors import cases_search, dashboard_for_entity
from .common import person_of, person_required


@person_required
def dashboard(request: HttpRequest) -> HttpResponse:
    entity = person_of(request).entity
    board = dashboard_for_entity(entity=entity)
    # Twelve months on a wide screen, the last six on a phone (CSS shows one of the two).
    chart = compliance_chart(board.compliance, css_class="chart-wide") + compliance_chart(
        board.compliance[-6:], width=380, css_class="chart-narrow"
    )
    context = {"entity": entity, "board": board, "chart": chart}
    return render(request, "web/dashboard/index.html", context)


@person_required
def case_list(request: HttpRequest) -> HttpResponse:
    """Expedientes of the entity, searchable by number, procedure or start data (newest first)."""
    query = request.GET.get("q", "")
    cases = cases_search(entity=person_of(request).entity, query=query)
    return render(request, "web/dashboard/cases.html", {"cases": cases, "query": query})
