"""
Routing a task to a person: take it ("Asignarme"), assign or reassign it, derivar it with a proveído (a
routing note), release it to its role's pool. Who may do what is `mapro.cases.routing`.

Every change happens under the case lock and compares the assignment the actor saw (read before the lock)
with the one under the lock: of two routings of the same task at the same moment exactly one is made, the
other hears 409 and what happened. A refusal is audited in its own transaction, like the other services'.
"""

from __future__ import annotations

from django.db import transaction

from mapro.audit.services import audit_event_record
from mapro.catalogue.definition.schema import REQUESTER
from mapro.core.errors import ConflictError, InvalidInputError
from mapro.mail import services as mail
from mapro.organization.models import Person
from mapro.organization.selectors import person_role_codes

from ..models import CaseTask
from ..routing import RoutingRights, heads_label, may_receive, routing_rights
from ..selectors import case_definition
from .cases import _actor_roles, _check_case_open, _check_task_open, _refuse, _task_for_checks, _who_acts
from .locking import case_lock, locked_tasks

MAX_NOTE = 2000
ASSIGNED, FORWARDED, RELEASED = "task.assigned", "task.forwarded", "task.released"


def case_task_claim(*, task_id: int, actor: Person) -> CaseTask:
    """ "Asignarme": a holder of the task's role takes it (a task assigned to someone else, a head only)."""
    return _route(task_id=task_id, actor=actor, assignee=actor, note="", action=ASSIGNED)


def case_task_assign(*, task_id: int, actor: Person, assignee: Person, note: str = "") -> CaseTask:
    """Assign (or reassign) an open task to a person who holds its role, with an optional proveído."""
    return _route(task_id=task_id, actor=actor, assignee=assignee, note=note, action=ASSIGNED)


def case_task_forward(*, task_id: int, actor: Person, assignee: Person, note: str) -> CaseTask:
    """Derivar: give the task to a person of its role with a proveído (required: what they are to do)."""
    return _route(task_id=task_id, actor=actor, assignee=assignee, note=note, action=FORWARDED)


def case_task_release(*, task_id: int, actor: Person, note: str = "") -> CaseTask:
    """The assignee (or a head) gives the task back to its role's pool: it is nobody's until taken again."""
    return _route(task_id=task_id, actor=actor, assignee=None, note=note, action=RELEASED)


def _route(*, task_id: int, actor: Person, assignee: Person | None, note: str, action: str) -> CaseTask:
    task = _task_for_checks(task_id)
    roles = _actor_roles(task=task, actor=actor)  # 404 for whoever may not read the case
    definition = case_definition(case=task.case)
    rights = routing_rights(task=task, person=actor, roles=roles, definition=definition)
    _check_may_route(task=task, actor=actor, rights=rights, assignee=assignee, action=action)
    note = _clean_note(note, required=action == FORWARDED)
    if assignee is not None:
        _check_receiver(task=task, assignee=assignee, action=action)
    with transaction.atomic():
        case = case_lock(case=task.case)
        locked = locked_tasks().get(pk=task.pk)
        locked.case = case
        _check_task_open(locked)
        _check_case_open(case)
        if locked.assignee_id != task.assignee_id:  # routed meanwhile: the actor decided on a stale view
            raise ConflictError(_changed(locked))
        if assignee is not None and locked.assignee_id == assignee.pk and not note:
            return locked  # already theirs: nothing to change, nothing to tell
        before = locked.assignee_id
        locked.assignee, locked.routing_note = assignee, note
        locked.save(update_fields=["assignee", "routing_note", "updated_at"])
        event = audit_event_record(
            chain=case.entity.code,
            action=action,
            obj=locked,
            actor=actor,
            case=case,
            summary=_summary(locked, action=action, before=task.assignee),
            before={"assignee": before},
            after={"assignee": assignee.pk if assignee else None, "note": note},
        )
        if assignee is not None and assignee.pk != actor.pk:  # mail hook (nobody is told what they did)
            mail.task_assigned_email(task=locked, assignee=assignee, note=note, by=actor, event=event)
    return locked


def _check_may_route(
    *, task: CaseTask, actor: Person, rights: RoutingRights, assignee: Person | None, action: str
) -> None:
    """Who may not route the task as it is now is refused (403, audited), before anything about the rest."""
    verb = "libera" if action == RELEASED else "asigna o deriva"
    if not rights.routes:
        heads = heads_label(task=task, definition=case_definition(case=task.case))
        also = "" if task.role_code == REQUESTER else f"o {heads} "
        message = _who_acts(task, verb=f"{also}{verb} esta tarea")
        raise _refuse(actor=actor, case=task.case, action=action, message=message)
    if assignee is not None and assignee.pk == actor.pk and not rights.holder:
        raise _refuse(actor=actor, case=task.case, action=action, message=_who_acts(task))
    if action == RELEASED:
        if task.assignee_id is None:
            raise ConflictError("La tarea no está asignada a nadie: ya está en la bandeja de su rol.")
        allowed = rights.may_release(task)
    else:
        allowed = rights.may_give(task)
    if not allowed:
        heads = heads_label(task=task, definition=case_definition(case=task.case))
        message = (
            f"La tarea está asignada a {task.assignee}; pídale que se la derive, o a {heads} que la reasigne."
        )
        raise _refuse(actor=actor, case=task.case, action=action, message=message)


def _check_receiver(*, task: CaseTask, assignee: Person, action: str) -> None:
    entity = task.case.entity
    roles = person_role_codes(person=assignee, entity=entity) if assignee.entity_id == entity.pk else set()
    if not may_receive(task=task, person=assignee, roles=roles):
        raise InvalidInputError({"assignee": [f"{assignee} no tiene el rol de esta actividad."]})
    if action == FORWARDED and task.assignee_id == assignee.pk:
        raise InvalidInputError({"assignee": [f"La tarea ya está asignada a {assignee}."]})


def _clean_note(note: str | None, *, required: bool) -> str:
    note = (note or "").strip()
    if required and not note:
        raise InvalidInputError({"note": ["Escriba el proveído: qué debe hacer quien recibe la tarea."]})
    if len(note) > MAX_NOTE:
        raise InvalidInputError({"note": [f"El proveído admite hasta {MAX_NOTE} caracteres."]})
    return note


def _changed(task: CaseTask) -> str:
    if task.assignee_id is None:
        return "La tarea acaba de ser liberada; actualice la página."
    return f"La tarea acaba de ser asignada a {task.assignee}; actualice la página."


def _summary(task: CaseTask, *, action: str, before: Person | None) -> str:
    what = f"{task.case.number}: actividad {task.activity}"
    if action == RELEASED:
        return f"{what} liberada (estaba asignada a {before}): vuelve a la bandeja de su rol"[:300]
    verb = "derivada" if action == FORWARDED else ("reasignada" if before else "asignada")
    return f"{what} {verb} a {task.assignee}"[:300]
