"""The case page (expediente) and what can be done from it: comment, attach, suspend, resume, cancel."""

from django.contrib import messages
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.html import format_html
from django.views.decorators.http import require_POST

from mapro.cases import services
from mapro.cases.access import attachment_for_download
from mapro.core.errors import ApplicationError, NotFoundError
from mapro.reports.services import FORMATS, acta_render

from ..selectors import case_for_person, case_page
from .common import flash_error, person_of, person_required
from .links import case_link


@person_required
def case_detail(request: HttpRequest, number: str) -> HttpResponse:
    person = person_of(request)
    case = case_for_person(person=person, number=number)
    return render(request, "web/cases/detail.html", case_page(case=case, person=person))


@person_required
def case_bpmn(request: HttpRequest, number: str) -> HttpResponse:
    case = case_for_person(person=person_of(request), number=number)
    return HttpResponse(case.procedure_version.bpmn_xml, content_type="application/xml; charset=utf-8")


@require_POST
@person_required
def case_comment(request: HttpRequest, number: str) -> HttpResponse:
    person = person_of(request)
    case = case_for_person(person=person, number=number)
    error = None
    try:
        services.case_comment_add(case_id=case.pk, actor=person, text=request.POST.get("text", ""))
    except ApplicationError as exc:
        error = " ".join(m for ms in exc.extra.get("field_errors", {}).values() for m in ms) or exc.message
    if request.htmx:
        context = {"case": case, "comments": case.comments.select_related("author"), "comment_error": error}
        return render(request, "web/cases/_comments.html", context)
    if error:
        messages.error(request, error)
    return redirect("web:case", number=case.number)


@require_POST
@person_required
def case_attachment(request: HttpRequest, number: str) -> HttpResponse:
    person = person_of(request)
    case = case_for_person(person=person, number=number)
    uploads = request.FILES.getlist("file")
    reserved = request.POST.get("reservado") == "1"
    if not uploads:
        messages.error(request, "Elija un archivo para adjuntar.")
    for upload in uploads:
        try:
            services.case_attachment_add(case_id=case.pk, actor=person, upload=upload, reserved=reserved)
            messages.success(request, f"Adjunto agregado: {upload.name}.")
        except ApplicationError as exc:
            flash_error(request, exc)
    return redirect(f"{case_url(case.number)}#adjuntos")


def case_url(number: str) -> str:
    from django.urls import reverse

    return reverse("web:case", kwargs={"number": number})


@person_required
def attachment_download(request: HttpRequest, number: str, attachment_id: int) -> FileResponse:
    case = case_for_person(person=person_of(request), number=number)
    attachment = attachment_for_download(case=case, person=person_of(request), attachment_id=attachment_id)
    return FileResponse(attachment.file.open("rb"), as_attachment=True, filename=attachment.filename)


@person_required
def case_acta(request: HttpRequest, number: str, document: str, fmt: str) -> HttpResponse:
    """A format of the ficha filled with the case's records the person sees; 404 as for the case."""
    person = person_of(request)
    case = case_for_person(person=person, number=number)
    try:
        content, acta = acta_render(case=case, document_id=document, person=person, fmt=fmt)
    except NotFoundError as exc:
        raise Http404(exc.message) from None
    response = HttpResponse(content, content_type=FORMATS[fmt])
    response["Content-Disposition"] = f'attachment; filename="{acta.filename(fmt)}"'
    return response


def _lifecycle(request: HttpRequest, number: str, action: str) -> HttpResponse:
    person = person_of(request)
    case = case_for_person(person=person, number=number)
    reason = request.POST.get("reason", "")
    try:
        if action == "suspend":
            services.case_suspend(case_id=case.pk, actor=person, reason=reason)
            messages.success(request, format_html("Expediente {} suspendido.", case_link(case.number)))
        elif action == "resume":
            services.case_resume(case_id=case.pk, actor=person)
            messages.success(request, format_html("Expediente {} reanudado.", case_link(case.number)))
        else:
            services.case_cancel(case_id=case.pk, actor=person, reason=reason)
            messages.success(request, format_html("Expediente {} anulado.", case_link(case.number)))
    except ApplicationError as exc:
        flash_error(request, exc)
    return redirect("web:case", number=case.number)


@require_POST
@person_required
def case_suspend(request: HttpRequest, number: str) -> HttpResponse:
    return _lifecycle(request, number, "suspend")


@require_POST
@person_required
def case_resume(request: HttpRequest, number: str) -> HttpResponse:
    return _lifecycle(request, number, "resume")


@require_POST
@person_required
def case_cancel(request: HttpRequest, number: str) -> HttpResponse:
    return _lifecycle(request, number, "cancel")
