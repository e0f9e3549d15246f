"""The case page (expediente) and what can be done from it: comment, attach, suspend, resume, cancel."""

from django.contrib import messages
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from mapro.cases import services
from mapro.cases.models import CaseTask
from mapro.cases.selectors import case_definition, case_records_visible
from mapro.core.errors import ApplicationError
from mapro.organization.selectors import person_role_codes

from ..selectors import (
    case_diagram_state,
    case_for_person,
    case_timeline,
    raci_of_activity,
    role_label,
    task_permission,
)
from .common import flash_error, person_of, person_required


def _record_rows(definition, record) -> list[tuple[str, object]]:
    """(label, value) of a record's data, labelled by its format when it has one."""
    labels = {}
    spec = next((r for r in definition.records if r.id == record.record_id), None)
    if spec is not None and spec.format:
        fmt = next((f for f in definition.formats if f.id == spec.format), None)
        labels = {f.id: f.label for f in fmt.fields} if fmt else {}
    return [
        (labels.get(key, key.replace("_", " ").capitalize()), value) for key, value in record.data.items()
    ]


@person_required
def case_detail(request: HttpRequest, number: str) -> HttpResponse:
    person = person_of(request)
    case = case_for_person(person=person, number=number)
    definition = case_definition(case=case)
    roles = person_role_codes(person=person, entity=case.entity)
    open_tasks = list(case.tasks.filter(status=CaseTask.Status.OPEN).select_related("assignee", "case"))
    current = [
        {
            "task": task,
            "role": role_label(definition=definition, role_id=task.role_code),
            "permission": task_permission(task=task, person=person, roles=roles),
            "raci": raci_of_activity(definition=definition, activity=task.activity),
            "children": list(task.child_cases.all()),
        }
        for task in open_tasks
    ]
    visible = case_records_visible(case=case, person=person)
    records = [(record, _record_rows(definition, record)) for record in visible]
    context = {
        "case": case,
        "definition": definition,
        "current": current,
        "records": records,
        "hidden_records": case.records.count() - len(visible),
        "attachments": case.attachments.select_related("uploaded_by").order_by("created_at"),
        "comments": case.comments.select_related("author"),
        "children": case.children.select_related("procedure_version").order_by("started_at"),
        "timeline": case_timeline(case=case),
        "diagram_state": case_diagram_state(case=case),
        "done_tasks": case.tasks.filter(status=CaseTask.Status.COMPLETED)
        .select_related("completed_by")
        .order_by("completed_at"),
        "may_manage": case.requester_id == person.pk or bool(roles & {r.id for r in definition.roles}),
    }
    return render(request, "web/cases/detail.html", context)


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
    if not uploads:
        messages.error(request, "Elija un archivo para adjuntar.")
    for upload in uploads:
        try:
            services.case_attachment_add(case_id=case.pk, actor=person, upload=upload)
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
    attachment = case.attachments.filter(pk=attachment_id).first()
    if attachment is None:
        raise Http404("No existe ese adjunto.")
    return FileResponse(attachment.file.open("rb"), as_attachment=True, filename=attachment.filename)


def _lifecycle(request: HttpRequest, number: str, action: str) -> HttpResponse:
    person = person_of(request)
    case = case_for_person(person=person, number=number)
    reason = request.POST.get("reason", "")
    try:
        if action == "suspend":
            services.case_suspend(case_id=case.pk, actor=person, reason=reason)
            messages.success(request, f"Expediente {case.number} suspendido.")
        elif action == "resume":
            services.case_resume(case_id=case.pk, actor=person)
            messages.success(request, f"Expediente {case.number} reanudado.")
        else:
            services.case_cancel(case_id=case.pk, actor=person, reason=reason)
            messages.success(request, f"Expediente {case.number} anulado.")
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
