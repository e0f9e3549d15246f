"""Iniciar trámite: the procedures of the person's entity by process, and the start form of one."""

import re

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.html import format_html

from mapro.cases import services
from mapro.cases.registrars import may_register_on_behalf
from mapro.cases.selectors import procedure_version_definition
from mapro.cases.services.requesters import requester_candidates
from mapro.catalogue.definition import Activity, Definition
from mapro.catalogue.definition.schema import REQUESTER
from mapro.core.errors import ApplicationError
from mapro.organization.selectors import person_role_codes

from ..forms.start import read_requester, read_start_form, requester_fields, start_form
from ..selectors import case_next_step, catalogue_grouped, procedure_version_get, role_label
from .common import errors_to_fields, person_of, person_required
from .links import case_link

CASE_NUMBER = re.compile(r"\b[A-Z][A-Z0-9]*-\d{4}-\d{6}\b")


@person_required
def procedure_list(request: HttpRequest) -> HttpResponse:
    person = person_of(request)
    grouped = catalogue_grouped(entity=person.entity)
    groups = grouped[0][1] if grouped else []
    roles = person_role_codes(person=person, entity=person.entity)
    first_roles = {}
    for group in groups:
        for version, definition in group.versions:
            first = definition.activity(definition.start_activities()[0])
            first_roles[version.pk] = (
                first.role in roles or first.role == REQUESTER,  # who starts it is its requester
                role_label(definition=definition, role_id=first.role),
                may_register_on_behalf(definition=definition, roles=roles),
            )
    return render(request, "web/start/list.html", {"groups": groups, "first_roles": first_roles})


@person_required
def case_start_form(request: HttpRequest, version_id: int) -> HttpResponse:
    person = person_of(request)
    version = procedure_version_get(version_id=version_id, entity=person.entity)
    definition = procedure_version_definition(version=version)
    form = start_form(definition)
    roles = person_role_codes(person=person, entity=person.entity)
    if may_register_on_behalf(definition=definition, roles=roles):
        form.requester = requester_fields(requester_candidates(entity=person.entity), actor=person)
    if request.method == "POST":
        inputs, flow = read_start_form(form, request.POST, request.FILES)
        chosen = read_requester(form, request.POST)
        documents = {
            spec.key: request.FILES[spec.name]
            for spec in form.inputs
            if request.FILES.get(spec.name) is not None
        }
        try:
            case = services.case_start(
                procedure_code=version.code,
                requester=person,
                inputs=inputs,
                flow=flow,
                documents=documents,
                on_behalf_of=chosen.on_behalf_of,
                contact=chosen.contact,
                confirm_duplicate=bool(form.confirm_field.value),
            )
        except ApplicationError as exc:
            form.errors = errors_to_fields(exc, form.fields)
            if form.confirm_field.errors:  # flagged as a duplicate: say so, and link the open cases
                form.errors = [exc.message]
                said = " ".join(m for ms in exc.field_errors.values() for m in ms)
                form.duplicates = sorted(set(CASE_NUMBER.findall(said)))
        else:
            for_whom = f" a nombre de {case.requester}" if case.registered_by_id else ""
            messages.success(
                request,
                format_html("Expediente {} iniciado ({}){}.", case_link(case.number), version.code, for_whom),
            )
            # The next useful screen: the first task when it is the requester's own, else the case.
            mine, _ = case_next_step(case=case, person=person)
            if mine is not None:
                return redirect("web:task", task_id=mine.pk)
            return redirect("web:case", number=case.number)
    # Each flow's first activities (several when they start at once, in parallel), with who does them.
    flow_starts = [(flow, _starts(definition, flow.start)) for flow in definition.flows]
    context = {
        "flow_starts": flow_starts,
        "version": version,
        "definition": definition,
        "form": form,
        "first_activities": _starts(definition, definition.start_activities()),
    }
    return render(request, "web/start/form.html", context, status=400 if form.errors else 200)


def _starts(definition: Definition, start: int | list[int]) -> list[tuple[Activity, str]]:
    numbers = start if isinstance(start, list) else [start]
    activities = [definition.activity(n) for n in numbers]
    return [(a, role_label(definition=definition, role_id=a.role)) for a in activities]
