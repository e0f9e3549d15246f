"""
The one lock order for every write that touches a case: the parent case, then the case (then its tasks),
and last, inside `audit_event_record`, the entity's audit chain head.

Case rows are locked FOR NO KEY UPDATE, never FOR UPDATE. Every row inserted with a foreign key to a case
(a comment, an attachment, a record, an audit event, the audit event of a refusal) makes PostgreSQL take
FOR KEY SHARE on the case row when the deferred constraint is checked at COMMIT, that is after the writer
took the chain head. FOR UPDATE conflicts with KEY SHARE: a completion holding the case and waiting for the
head deadlocked with a comment holding the head and waiting for the case (72 of 100 comments failed).
FOR NO KEY UPDATE does not conflict with KEY SHARE and still serialises the writers of a case among
themselves; it is exact here because a case's primary key never changes. SQLite has no row locks: its
write transactions begin IMMEDIATE, one at a time.
"""

from __future__ import annotations

from django.db.models import QuerySet

from ..models import Case, CaseTask


def locked_cases() -> QuerySet[Case]:
    """Case rows to lock for a write: FOR NO KEY UPDATE of the case rows only, never of joined rows."""
    return Case.objects.select_for_update(no_key=True, of=("self",))


def locked_tasks() -> QuerySet[CaseTask]:
    """Task rows to lock for a write, after their case (same reasoning as `locked_cases`)."""
    return CaseTask.objects.select_for_update(no_key=True, of=("self",))


def case_lock(*, case: Case) -> Case:
    """
    Lock `case` (read before without a lock, with its entity and procedure version) and read it again under
    the lock. A child's parent is locked first, as everywhere a parent and its child are both written.
    """
    if case.parent_id is not None:
        locked_cases().only("pk").get(pk=case.parent_id)
    # Without joins: the entity and procedure version rows are shared by every case of the entity and
    # immutable here, so the unlocked read's are reused.
    locked = locked_cases().get(pk=case.pk)
    locked.entity, locked.procedure_version = case.entity, case.procedure_version
    return locked
