"""Tablero: open and overdue work of the person's entity, deadline compliance by month, oldest cases; the
indicators of the entity's fichas and deadline compliance for a period, with drill-down and exports."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from mapro.reports.indicator_exports import compliance_csv, indicators_csv, indicators_xlsx
from mapro.reports.indicators import deadline_compliance, indicator_values

from ..charts import compliance_chart, indicator_chart
from ..selectors import (
    dashboard_for_person,
    dashboard_indicators,
    deadline_drilldown,
    indicator_drilldown,
)
from .common import person_of, person_required

MAX_PERIOD_DAYS = 366 * 5
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
BY = {"procedimiento": "procedure", "rol": "role"}


@person_required
def dashboard(request: HttpRequest) -> HttpResponse:
    person = person_of(request)
    entity = person.entity
    board = dashboard_for_person(person=person)
    # Twelve months on a wide screen, the last six on a phone (CSS shows one of the two).
    chart = compliance_chart(board.compliance, css_class="chart-wide") + compliance_chart(
        board.compliance[-6:], width=380, css_class="chart-narrow"
    )
    start, end = period_from(request)
    indicators = dashboard_indicators(entity=entity, start=start, end=end)
    charts = {
        (p.value.procedure_code, p.value.indicator_id): indicator_chart(p.series, css_class="chart-wide")
        + indicator_chart(p.series[-6:], width=380, css_class="chart-narrow")
        for p in indicators.indicators
    }
    panels = [(p, charts[(p.value.procedure_code, p.value.indicator_id)]) for p in indicators.indicators]
    context = {
        "entity": entity,
        "board": board,
        "chart": chart,
        "indicators": indicators,
        "panels": panels,
        "compliance_tables": [
            ("procedimiento", indicators.by_procedure, "procedimiento"),
            ("rol", indicators.by_role, "rol"),
        ],
        "period": period_query(start, end),
    }
    return render(request, "web/dashboard/index.html", context)


@person_required
def indicator_cases_page(request: HttpRequest, code: str, indicator_id: str, key: str) -> HttpResponse:
    """The cases one count of an indicator took in the period (those the person may open)."""
    person = person_of(request)
    start, end = period_from(request)
    values = [
        v
        for v in indicator_values(entity=person.entity, start=start, end=end)
        if (v.procedure_code, v.indicator_id) == (code, indicator_id)
    ]
    if not values:
        raise Http404("No existe ese indicador.")
    count = next((c for c in values[0].counts if c.key == key), None)
    if count is None:
        raise Http404("El indicador no tiene ese conteo.")
    cases, total = indicator_drilldown(
        person=person, start=start, end=end, procedure_code=code, indicator_id=indicator_id, key=key
    )
    context = {
        "value": values[0],
        "count": count,
        "cases": cases,
        "hidden": total - len(cases),
        "period": period_query(start, end),
    }
    return render(request, "web/dashboard/indicator_cases.html", context)


@person_required
def deadline_cases_page(request: HttpRequest, by: str, key: str) -> HttpResponse:
    """The deadlines behind one line of the compliance table (those of cases the person may open)."""
    if by not in BY:
        raise Http404("Agrupación desconocida.")
    person = person_of(request)
    start, end = period_from(request)
    rows = deadline_compliance(entity=person.entity, start=start, end=end, by=BY[by])
    line = next((r for r in rows if r.key == key), None)
    if line is None:
        raise Http404("No hay plazos para esa línea en el periodo.")
    deadlines, total = deadline_drilldown(person=person, start=start, end=end, by=BY[by], key=key)
    context = {
        "line": line,
        "by": by,
        "deadlines": deadlines,
        "hidden": total - len(deadlines),
        "period": period_query(start, end),
    }
    return render(request, "web/dashboard/deadline_cases.html", context)


@person_required
def indicators_export(request: HttpRequest, what: str, fmt: str) -> HttpResponse:
    """indicadores.csv, plazos-procedimiento.csv, plazos-rol.csv, or the three as sheets of one XLSX."""
    entity = person_of(request).entity
    start, end = period_from(request)
    stem = f"{entity.code}_{what}_{start:%Y%m%d}_{end:%Y%m%d}"
    if fmt == "xlsx" and what == "indicadores":
        content: bytes | str = indicators_xlsx(
            indicator_values(entity=entity, start=start, end=end),
            deadline_compliance(entity=entity, start=start, end=end, by="procedure"),
            deadline_compliance(entity=entity, start=start, end=end, by="role"),
        )
        content_type = XLSX
    elif fmt == "csv" and what == "indicadores":
        content, content_type = (
            indicators_csv(indicator_values(entity=entity, start=start, end=end)),
            "text/csv",
        )
    elif fmt == "csv" and what.startswith("plazos-") and what[7:] in BY:
        rows = deadline_compliance(entity=entity, start=start, end=end, by=BY[what[7:]])
        content, content_type = compliance_csv(rows), "text/csv"
    else:
        raise Http404("Exportación desconocida.")
    if isinstance(content, str):
        content = "\ufeff" + content  # a BOM so a spreadsheet opens the accents right
        content_type += "; charset=utf-8"
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{stem}.{fmt}"'
    return response


def period_from(request: HttpRequest) -> tuple[dt.date, dt.date]:
    """`desde`/`hasta` of the query (ISO dates); by default this month up to today (Lima)."""
    today = timezone.localdate()
    default = (today.replace(day=1), today)
    raw_start, raw_end = request.GET.get("desde"), request.GET.get("hasta")
    if not raw_start and not raw_end:
        return default
    try:
        start = dt.date.fromisoformat(raw_start or "") if raw_start else default[0]
        end = dt.date.fromisoformat(raw_end or "") if raw_end else default[1]
    except ValueError:
        messages.error(request, "Fechas no válidas (use AAAA-MM-DD): se muestra el mes en curso.")
        return default
    if end < start or (end - start).days > MAX_PERIOD_DAYS:
        messages.error(request, "El periodo debe ir de una fecha a otra posterior, por no más de cinco años.")
        return default
    return start, end


def period_query(start: dt.date, end: dt.date) -> dict[str, object]:
    return {"start": start, "end": end, "query": f"desde={start.isoformat()}&hasta={end.isoformat()}"}
