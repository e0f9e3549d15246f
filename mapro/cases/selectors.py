"""Reads of cases and tasks: the inbox, overdue work, what a person may see."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from functools import lru_cache
from typing import Any

from django.db.models import F, Q, QuerySet
from django.utils import timezone

from mapro.catalogue.definition import Definition
from mapro.catalogue.models import ProcedureVersion
from mapro.engine import runtime
from mapro.organization.models import Person
from mapro.organization.selectors import person_role_codes

from .models import Case, CaseRecord, CaseTask, CaseTaskRole, Deadline, Notification
from .performers import tasks_performable_q

# Columns of a procedure version that running cases never read from the row: the parsed definition
# comes from `procedure_version_definition` and the BPMN from `case_specs` (both cached per version), and the
# source text is for people. Deferring them spares reading ~40 KB and decoding ~16 KB of JSON whenever a case
# is read with its version.
VERSION_UNUSED_COLUMNS = ("definition", "source_text", "bpmn_xml")


@lru_cache(maxsize=256)
def _definition(version_pk: int, sha256: str) -> Definition:
    version = ProcedureVersion.objects.get(pk=version_pk)
    return Definition.model_validate(version.definition)


def definition_of(version_pk: int, sha256: str) -> Definition:
    """The parsed definition of a version known by its key (primary key, content hash), kept in memory."""
    return _definition(version_pk, sha256)


def procedure_version_definition(*, version: ProcedureVersion) -> Definition:
    """The parsed definition of an immutable version, kept in memory once read."""
    return _definition(version.pk, version.source_sha256)


def case_definition(*, case: Case) -> Definition:
    return procedure_version_definition(version=case.procedure_version)


def case_specs(*, case: Case) -> runtime.ProcessSpecs:
    version = case.procedure_version

    def load() -> tuple[str, list[str]]:
        called = {a.call.procedure for a in case_definition(case=case).activities if a.call}
        current = ProcedureVersion.objects.filter(code__in=called, is_current=True)
        return ProcedureVersion.objects.get(pk=version.pk).bpmn_xml, list(
            current.values_list("bpmn_xml", flat=True)
        )

    # Keyed by content, not by primary key: a flushed test database reuses ids for other procedures.
    return runtime.specs_for((version.code, version.source_sha256), load)


TASK_ROW_COLUMNS = (
    "id",
    "activity",
    "name",
    "kind",
    "role_code",
    "status",
    "due_at",
    "created_at",
    "completed_at",
    "decision",
    "decision_reason",
    "routing_note",
)


def tasks_for_person(*, person: Person, on: dt.date | None = None) -> QuerySet[CaseTask]:
    """
    The inbox: open tasks assigned to the person, or unassigned ones they may complete (one of the task's
    roles, or a task of a case they requested that the ficha gives to the requester); overdue first.
    """
    roles = person_role_codes(person=person, entity=person.entity, on=on)
    return (
        CaseTask.objects.filter(status=CaseTask.Status.OPEN, entity=person.entity)
        .filter(
            Q(assignee=person) | (Q(assignee__isnull=True) & tasks_performable_q(person=person, roles=roles))
        )
        .select_related("case", "case__procedure_version")
        # An inbox row shows its case and procedure, never their large columns: read and JSON-decoded for
        # every row (about 40 KB each with PR.OTI.005), they were most of the selector's time. Deferred,
        # they are loaded only if something touches them.
        .defer(
            "case__workflow_state",
            *(f"case__procedure_version__{column}" for column in VERSION_UNUSED_COLUMNS),
        )
        .order_by(F("due_at").asc(nulls_last=True), "created_at")  # overdue first, no due time last
    )


def tasks_for_person_rows(*, person: Person) -> QuerySet[CaseTask, dict[str, Any]]:
    """
    The inbox as value rows: the task's columns, `case_number` and `assignee_username`. No model instances
    are built, which makes a long inbox about four times cheaper to list than with instances.
    """
    return tasks_for_person(person=person).values(
        *TASK_ROW_COLUMNS,
        case_number=F("case__number"),
        case_subject=F("case__subject"),
        assignee_username=F("assignee__user__username"),
    )


def task_rows_with_roles(rows: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Inbox value rows with `roles`: every role that may complete each task (one query for them all)."""
    rows = list(rows)
    further: dict[int, list[str]] = {}
    for task_id, role in CaseTaskRole.objects.filter(task_id__in=[r["id"] for r in rows]).values_list(
        "task_id", "role_code"
    ):
        further.setdefault(task_id, []).append(role)
    return [{**row, "roles": [row["role_code"], *sorted(further.get(row["id"], []))]} for row in rows]


def tasks_overdue(*, now: dt.datetime | None = None) -> QuerySet[CaseTask]:
    return CaseTask.objects.filter(status=CaseTask.Status.OPEN, due_at__lt=now or timezone.now())


def deadlines_overdue(*, now: dt.datetime | None = None) -> QuerySet[Deadline]:
    return Deadline.objects.filter(status=Deadline.Status.PENDING, due_at__lt=now or timezone.now())


def case_records_visible(*, case: Case, person: Person) -> list[CaseRecord]:
    """Records of the case without a restriction, or restricted to a role the person holds."""
    roles = person_role_codes(person=person, entity=case.entity)
    return [
        r
        for r in case.records.select_related("task", "created_by").order_by("created_at")
        if not r.restricted_to or roles & set(r.restricted_to)
    ]


def case_notifications(*, case: Case) -> QuerySet[Notification]:
    """Who the case's completed activities told, in order: people of the entity and outside contacts."""
    return case.notifications.select_related("person__user").order_by("created_at", "pk")


def task_came_from(*, task: CaseTask) -> int | None:
    """The activity completed last in the case before the task opened (a skipped guard does not count)."""
    return (
        task.case.tasks.filter(status=CaseTask.Status.COMPLETED, completed_at__lte=task.created_at)
        .exclude(pk=task.pk)
        .order_by("-completed_at", "-pk")
        .values_list("activity", flat=True)
        .first()
    )


def task_instruction(task: CaseTask, definition: Definition) -> str:
    """
    The activity's instruction for this case: the first variant whose origin (`came_from`: the activity
    completed just before the task opened) and condition (`when`, on the case data) hold, else the
    description. A variant that names both needs both.
    """
    # Imported here: the services package imports this module.
    from .services.conditions import condition_holds, latest_records

    activity = definition.activity(task.activity)
    if not activity.variants:
        return activity.description
    came_from = task_came_from(task=task) if any(v.came_from for v in activity.variants) else None
    records = latest_records(case=task.case) if any(v.when for v in activity.variants) else {}
    for variant in activity.variants:
        if variant.came_from is not None and variant.came_from != came_from:
            continue
        if variant.when is not None and not condition_holds(variant.when, case=task.case, records=records):
            continue
        return variant.text
    return activity.description
