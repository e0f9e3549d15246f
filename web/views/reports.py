"""The supervision report page: choose the period and procedures, download the PDF or DOCX."""

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from mapro.core.errors import NotFoundError
from mapro.reports.supervision import FORMATS, supervision_choices, supervision_render_for

from .common import person_of, person_required


@person_required
def supervision_page(request: HttpRequest) -> HttpResponse:
    person = person_of(request)
    today = timezone.localdate()
    choices = supervision_choices(person=person)
    periods = [c.last_period for c in choices if c.last_period is not None]
    default = max(periods, key=lambda p: p.end - p.start) if periods else None
    context = {
        "entity": person.entity,
        "choices": choices,
        "start": default.start if default else today.replace(day=1),
        "end": default.end if default else today,
    }
    return render(request, "web/reports/supervision.html", context)


@person_required
def supervision_download(request: HttpRequest) -> HttpResponse:
    """The report file; a procedure or entity the person does not supervise is a 404, as for a case."""
    fmt = request.GET.get("format") or "pdf"
    if fmt not in FORMATS:
        raise Http404("Formato desconocido.")
    try:
        content, report = supervision_render_for(
            person=person_of(request),
            entity_code=None,
            start=request.GET.get("from"),
            end=request.GET.get("to"),
            fmt=fmt,
            procedure_codes=request.GET.getlist("procedure") or None,
        )
    except NotFoundError as exc:
        raise Http404(exc.message) from None
    response = HttpResponse(content, content_type=FORMATS[fmt])
    response["Content-Disposition"] = f'attachment; filename="{report.filename(fmt)}"'
    return response
