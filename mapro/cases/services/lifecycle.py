"""Suspending, resuming and cancelling cases (anulación needs a reason; children go with the parent)."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from mapro.audit.services import audit_event_record
from mapro.core.errors import ConflictError, InvalidInputError, NotAllowedError, NotFoundError
from mapro.engine import runtime
from mapro.organization.models import Person
from mapro.organization.selectors import person_role_codes

from ..access import case_may_manage, case_may_read
from ..models import Case, CaseTask
from ..selectors import case_specs
from .locking import locked_cases


def _check_may_manage(*, case: Case, actor: Person) -> None:
    """
    Only who owns the outcome suspends, resumes or cancels (access.case_may_manage: the procedure's owner or
    RACI "A", the requester before anyone else worked on it). A case the actor may not read is a 404.
    """
    roles = person_role_codes(person=actor, entity=actor.entity)
    if not case_may_read(person=actor, case=case, roles=roles):
        raise NotFoundError("El expediente no existe.")
    if not case_may_manage(person=actor, case=case, roles=roles):
        raise NotAllowedError(
            "Solo el responsable del procedimiento (o quien haga sus veces) puede suspender, reanudar o "
            "anular el expediente; el solicitante, solo mientras nadie más ha trabajado en él."
        )


def _locked(case_id: int) -> Case:
    return locked_cases().select_related("entity", "procedure_version").get(pk=case_id)


@transaction.atomic
def case_suspend(*, case_id: int, actor: Person, reason: str) -> Case:
    if not reason.strip():
        raise InvalidInputError({"reason": ["Indique el motivo de la suspensión."]})
    case = _locked(case_id)
    _check_may_manage(case=case, actor=actor)
    if case.status != Case.Status.OPEN:
        raise ConflictError(f"Solo se suspende un expediente en curso ({case.get_status_display()}).")
    case.status, case.suspend_reason = Case.Status.SUSPENDED, reason.strip()
    case.save(update_fields=["status", "suspend_reason", "updated_at"])
    audit_event_record(
        chain=case.entity.code,
        action="case.suspended",
        obj=case,
        actor=actor,
        case=case,
        before={"status": Case.Status.OPEN},
        after={"status": case.status, "reason": case.suspend_reason},
    )
    return case


@transaction.atomic
def case_resume(*, case_id: int, actor: Person) -> Case:
    case = _locked(case_id)
    _check_may_manage(case=case, actor=actor)
    if case.status != Case.Status.SUSPENDED:
        raise ConflictError("El expediente no está suspendido.")
    case.status = Case.Status.OPEN
    case.save(update_fields=["status", "updated_at"])
    audit_event_record(
        chain=case.entity.code,
        action="case.resumed",
        obj=case,
        actor=actor,
        case=case,
        before={"status": Case.Status.SUSPENDED},
        after={"status": case.status},
    )
    return case


@transaction.atomic
def case_cancel(*, case_id: int, actor: Person, reason: str) -> Case:
    """Anular: the workflow is cancelled, open tasks too, and open child cases with the same reason."""
    if not reason.strip():
        raise InvalidInputError({"reason": ["Indique el motivo de la anulación."]})
    case = _locked(case_id)
    _check_may_manage(case=case, actor=actor)
    if case.status in (Case.Status.CLOSED, Case.Status.CANCELLED):
        raise ConflictError(f"El expediente ya está {case.get_status_display().lower()}.")
    cancel_tree(case=case, actor=actor, reason=reason.strip())
    return case


def cancel_tree(*, case: Case, actor: Person | None, reason: str) -> None:
    """Cancel a locked case and its open children (`actor` None: the system, e.g. a parent that closed)."""
    before = case.status
    workflow = runtime.workflow_load(case.workflow_state, case_specs(case=case))
    runtime.workflow_cancel(workflow)
    case.workflow_state = runtime.workflow_dump(workflow)
    case.status, case.cancel_reason, case.closed_at = Case.Status.CANCELLED, reason, timezone.now()
    case.save(update_fields=["status", "cancel_reason", "closed_at", "workflow_state", "updated_at"])
    case.tasks.filter(status=CaseTask.Status.OPEN).update(status=CaseTask.Status.CANCELLED)
    audit_event_record(
        chain=case.entity.code,
        action="case.cancelled",
        obj=case,
        actor=actor,
        case=case,
        before={"status": before},
        after={"status": case.status, "reason": reason},
    )
    open_children = (
        locked_cases().filter(parent=case).exclude(status__in=[Case.Status.CLOSED, Case.Status.CANCELLED])
    )
    for child in open_children:
        cancel_tree(case=child, actor=actor, reason=f"Anulación del expediente padre {case.number}: {reason}")
