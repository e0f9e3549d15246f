"""Tablero: open and overdue work of the person's entity, deadline compliance by month, oldest cases."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from ..charts import compliance_chart
from ..selectors import dashboard_for_entity
from .common import person_of, person_required


@person_required
def dashboard(request: HttpRequest) -> HttpResponse:
    entity = person_of(request).entity
    board = dashboard_for_entity(entity=entity)
    context = {"entity": entity, "board": board, "chart": compliance_chart(board.compliance)}
    return render(request, "web/dashboard/index.html", context)
