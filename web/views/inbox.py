"""Mi bandeja: the tasks the person may act on, overdue first, with filters (htmx swaps the list)."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from mapro.cases.selectors import tasks_for_person
from mapro.organization.selectors import person_role_codes

from ..selectors import (
    inbox_deadlines,
    inbox_filter,
    notifications_recent,
    person_role_names,
    task_permission,
)
from ..selectors_routing import tasks_shared
from .common import person_of, person_required

STATES = [
    ("", "Todas"),
    ("vencidas", "Vencidas"),
    ("por_vencer", "Por vencer (24 h)"),
    ("en_plazo", "En plazo"),
    ("sin_plazo", "Sin plazo"),
]
ASSIGNMENT = [("", "Mías y de mis roles"), ("mias", "Asignadas a mí"), ("sin_asignar", "Sin asignar")]


@person_required
def inbox(request: HttpRequest) -> HttpResponse:
    person = person_of(request)
    all_tasks = tasks_for_person(person=person)
    procedures = sorted(
        set(all_tasks.values_list("case__procedure_version__code", "case__procedure_version__name"))
    )
    chosen = {key: request.GET.get(key, "") for key in ("procedimiento", "estado", "asignacion")}
    tasks = list(
        inbox_filter(
            all_tasks.select_related("assignee"),
            person=person,
            procedure=chosen["procedimiento"],
            state=chosen["estado"],
            mine=chosen["asignacion"],
        )[:300]
    )
    roles = person_role_codes(person=person, entity=person.entity)
    rows = [(task, task_permission(task=task, person=person, roles=roles)) for task in tasks]
    shared = tasks_shared(
        tasks=[task for task, permission in rows if permission.can_act], entity=person.entity
    )
    context = {
        "rows": rows,
        "shared": shared,  # "Asignarme" is offered on these
        "deadlines": inbox_deadlines(tasks),
        "total": all_tasks.count(),
        "procedures": procedures,
        "states": STATES,
        "assignment": ASSIGNMENT,
        "chosen": chosen,
        "filtered": any(chosen.values()),
    }
    if request.htmx:
        return render(request, "web/inbox/_list.html", context)
    context["notifications"] = notifications_recent(person=person)
    context["role_names"] = person_role_names(person=person)
    return render(request, "web/inbox/index.html", context)
