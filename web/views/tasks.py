"""The task form: typed record fields, evidence, decision buttons; then the next useful screen."""

from django.contrib import messages
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.html import format_html
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from mapro.cases import services
from mapro.cases.performers import task_activity
from mapro.cases.selectors import case_definition
from mapro.cases.services.cases import MAX_ATTACHMENT_BYTES, TaskCompletion
from mapro.catalogue.definition import ActivityKind
from mapro.core.errors import ApplicationError, InvalidInputError
from mapro.organization.models import Person

from ..forms.task import read_task_form, task_form, task_form_documents
from ..selectors import (
    case_next_step,
    raci_of_activity,
    role_label,
    task_for_person,
    task_permission,
    task_view,
)
from .common import errors_to_fields, flash_error, person_of, person_required
from .links import case_link


@person_required
def task_page(request: HttpRequest, task_id: int) -> HttpResponse:
    person = person_of(request)
    task = task_for_person(person=person, task_id=task_id)
    definition = case_definition(case=task.case)
    activity = task_activity(definition=definition, task=task)
    form = task_form(definition, activity)
    permission = task_permission(task=task, person=person)
    status = 200
    if request.method == "POST" and permission.can_act:
        data, effective_date = read_task_form(form, request.POST, request.FILES)
        documents = task_form_documents(form, request.FILES)
        uploads = request.FILES.getlist("evidencias")
        too_big = [u.name for u in [*uploads, *documents.values()] if u.size > MAX_ATTACHMENT_BYTES]
        if too_big:
            form.errors.append(f"Supera los 25 MB: {', '.join(too_big)}.")
        if not form.errors and not any(spec.errors for spec in form.fields):
            try:
                # A record's document goes in with the completion it stands for, or not at all.
                with transaction.atomic():
                    for record_id, upload in documents.items():
                        services.case_attachment_add(
                            case_id=task.case_id,
                            actor=person,
                            upload=upload,
                            task_id=task.pk,
                            record=record_id,
                        )
                    completion = services.case_task_complete(
                        task_id=task.pk,
                        actor=person,
                        decision=request.POST.get("decision") or None,
                        data=data,
                        effective_date=effective_date,
                        reason=_decision_reason(activity, request.POST),
                    )
            except ApplicationError as exc:
                form.errors = errors_to_fields(exc, form.fields)
            else:
                for upload in uploads:
                    try:
                        services.case_attachment_add(
                            case_id=task.case_id, actor=person, upload=upload, task_id=task.pk
                        )
                    except ApplicationError as exc:  # the step is done; say which evidence did not go in
                        flash_error(request, exc)
                return _after_completion(request, completion)
        elif not form.errors:
            form.errors = ["Revise los campos marcados."]
        status = 400
    elif request.method == "POST":
        status = 403
    context = {
        "task": task,
        "case": task.case,
        "definition": definition,
        "activity": activity,
        "form": form,
        "permission": permission,
        "role_name": " o ".join(role_label(definition=definition, role_id=r) for r in task.roles),
        "raci": raci_of_activity(definition=definition, activity=task.activity),
        # A call that sends a request (its records) is completed by a person; the others by themselves.
        "is_call": activity.kind == ActivityKind.CALL and (not activity.records or task.child_cases.exists()),
        "child_cases": list(task.child_cases.all()),
        "time_rules": [r for r in definition.time_rules if r.activity == activity.n],
        # What the case is about, its start data, the records so far the person may read, the instruction
        # for the path this case took and its due status (issue 13, items 1, 6 and 8).
        "view": task_view(task=task, person=person, definition=definition),
    }
    return render(request, "web/tasks/form.html", context, status=status)


def _decision_reason(activity, post) -> str | None:
    """The reason field goes with a branch that asks for one (it is on the page for any of them)."""
    decision = activity.decision
    chosen = post.get("decision")
    branch = next((b for b in decision.branches if b.label == chosen), None) if decision else None
    return post.get("reason", "") if branch is not None and branch.reason else None


def _after_completion(request: HttpRequest, completion: TaskCompletion) -> HttpResponse:
    """Next useful screen: the person's next task on this case; else the inbox, saying where the case went."""
    person = person_of(request)
    task, case = completion.task, completion.case  # the case as the step left it
    done = f"Actividad {task.activity}. {task.name} completada."
    following, open_steps = case_next_step(case=case, person=person)
    if following is not None:
        messages.success(request, f"{done} Continúe con la siguiente actividad.")
        return redirect("web:task", task_id=following.pk)
    if case.status == case.Status.CLOSED:
        outcome = f": {case.outcome}" if case.outcome else ""
        messages.success(
            request, format_html("{} El expediente {} concluyó{}.", done, case_link(case.number), outcome)
        )
        return redirect("web:case", number=case.number)
    where = f" Pasa a: {'; '.join(open_steps)}." if open_steps else ""
    messages.success(request, format_html("{} Expediente {}.{}", done, case_link(case.number), where))
    return redirect("web:inbox")


@require_POST
@person_required
def task_claim(request: HttpRequest, task_id: int) -> HttpResponse:
    """ "Asignarme"."""
    person = person_of(request)
    task = task_for_person(person=person, task_id=task_id)
    try:
        services.case_task_claim(task_id=task.pk, actor=person)
        messages.success(
            request,
            format_html(
                "Se asignó la actividad {}. {} ({}).", task.activity, task.name, case_link(task.case.number)
            ),
        )
    except ApplicationError as exc:
        flash_error(request, exc)
    return _back(request)


@require_POST
@person_required
def task_route(request: HttpRequest, task_id: int) -> HttpResponse:
    """
    The routing panel's form: give the task to a person of its role. The person's own task is derivada
    (the proveído is then required); any other is assigned or reassigned (the proveído is optional).
    """
    person = person_of(request)
    task = task_for_person(person=person, task_id=task_id)
    note = request.POST.get("note", "")
    try:
        assignee = _assignee(person, request.POST.get("assignee", ""))
        if task.assignee_id == person.pk:
            services.case_task_forward(task_id=task.pk, actor=person, assignee=assignee, note=note)
            verb = "Derivó"
        else:
            services.case_task_assign(task_id=task.pk, actor=person, assignee=assignee, note=note)
            verb = "Reasignó" if task.assignee_id else "Asignó"
        messages.success(
            request,
            format_html(
                "{} la actividad {}. {} ({}) a {}.",
                verb,
                task.activity,
                task.name,
                case_link(task.case.number),
                assignee,
            ),
        )
    except ApplicationError as exc:
        flash_error(request, exc)
    return _back(request)


@require_POST
@person_required
def task_release(request: HttpRequest, task_id: int) -> HttpResponse:
    person = person_of(request)
    task = task_for_person(person=person, task_id=task_id)
    try:
        services.case_task_release(task_id=task.pk, actor=person, note=request.POST.get("note", ""))
        messages.success(
            request,
            format_html(
                "La actividad {}. {} ({}) volvió a la bandeja del rol.",
                task.activity,
                task.name,
                case_link(task.case.number),
            ),
        )
    except ApplicationError as exc:
        flash_error(request, exc)
    return _back(request)


def _assignee(person: Person, value: str) -> Person:
    assignee = (
        Person.objects.filter(pk=int(value), entity_id=person.entity_id).first() if value.isdigit() else None
    )
    if assignee is None:
        raise InvalidInputError({"assignee": ["Elija a la persona que recibirá la tarea."]})
    return assignee


def _back(request: HttpRequest) -> HttpResponse:
    """To the page the form was on (`next`), never to another site; else the inbox."""
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = reverse("web:inbox")
    return redirect(target)
