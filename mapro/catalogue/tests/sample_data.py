"""Valid sample data for any definition: start inputs and the records of an activity, by field type."""

from __future__ import annotations

import itertools
from typing import Any

from mapro.catalogue.definition import Definition
from mapro.catalogue.definition.schema import FieldType, FormatField

SAMPLES = {
    FieldType.TEXT: "Texto de prueba",
    FieldType.LONG_TEXT: "Texto largo de prueba",
    FieldType.INTEGER: 1,
    FieldType.DECIMAL: "1.5",
    FieldType.BOOLEAN: True,
    FieldType.DATE: "2026-07-24",
    FieldType.DATETIME: "2026-07-24T10:00:00-05:00",
    FieldType.TIME: "10:00",
    FieldType.EMAIL: "prueba@entidad.gob.pe",
    FieldType.FILE: "evidencia.pdf",
    FieldType.SIGNATURE: "Firmado",
}


_UNIQUE = itertools.count(1)


def baja_inputs(account: str | None = None) -> dict:
    """PR.OTI.005's start data, each call with its own account (a second open baja of one is flagged)."""
    account = account or f"baja{next(_UNIQUE)}@vivienda.gob.pe"
    return {"cuenta_correo": account, "motivo_baja": "Culminación de la orden de servicio"}


def sample(field: FormatField) -> Any:
    if field.type == FieldType.CHOICE:
        return field.choices[0]
    if field.type == FieldType.MULTI_CHOICE:
        return field.choices[:1]
    if field.type == FieldType.TABLE:
        return [{column.id: sample(column) for column in field.columns}]
    return SAMPLES[field.type]


def record_data(d: Definition, activity: int) -> dict:
    """
    What completing the activity requires for each record it produces: a value for every field of the
    record the activity fills, or observations for a record without fields.
    """
    data = {}
    for record_id in d.activity(activity).records:
        if fields := d.record_fields(d.record(record_id)):
            data[record_id] = {f.id: sample(f) for f in fields if f.activity in (None, activity)}
        else:
            data[record_id] = {"observaciones": f"Registro {record_id} de prueba"}
    return data


def start_inputs(d: Definition) -> dict:
    """
    Valid start data: an e-mail at the input's `domain`; a `unique_open` input a value no other case has
    (tests start many cases of one procedure, and the same account twice would be flagged).
    """
    inputs = {}
    for item in d.inputs:
        value = sample(FormatField(id=item.id, label=item.element, type=item.type, choices=item.choices))
        if item.unique_open:
            value = f"{next(_UNIQUE)}-{value}"
        if item.domain:
            value = f"{value.partition('@')[0]}@{item.domain}"
        inputs[item.id] = value
    return inputs


def role_record_data(d: Definition, n: int, role: str) -> dict:
    """The sample records of activity n a task of `role` writes (of an `each` activity, its role's share)."""
    from mapro.cases.performers import activity_for_role

    records = activity_for_role(definition=d, activity=d.activity(n), role=role).records
    return {k: v for k, v in record_data(d, n).items() if k in records}


def decision_reason(d: Definition, n: int, label: str | None) -> str | None:
    """A reason for the branch `label` of activity n when the branch asks for one ("Motivo del rechazo")."""
    decision = d.activity(n).decision
    branch = next((b for b in decision.branches if b.label == label), None) if decision and label else None
    return f"{branch.reason}: motivo de prueba" if branch and branch.reason else None


def task_complete(*, task_id: int, actor: Any, data: dict | None = None, **kwargs: Any) -> Any:
    """
    Complete a task as a person would: with the records its activity requires (these sample values, unless
    the test gives its own `data`).
    """
    from mapro.cases.models import CaseTask
    from mapro.cases.selectors import case_definition
    from mapro.cases.services import case_task_complete

    task = CaseTask.objects.select_related("case").get(pk=task_id)
    d = case_definition(case=task.case)
    if data is None:  # of an activity each of whose roles completes it, the records of the task's role
        data = role_record_data(d, task.activity, task.role_code)
    if "reason" not in kwargs:
        kwargs["reason"] = decision_reason(d, task.activity, kwargs.get("decision"))
    return case_task_complete(task_id=task_id, actor=actor, data=data, **kwargs)
