"""
The form of a task, generated from its activity: one fieldset per record the activity produces (the typed
fields of the record's format, or free observations when the ficha gives no format), the effective date of
those records, evidence files, and one button per decision branch.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.http import QueryDict
from django.utils import timezone
from django.utils.datastructures import MultiValueDict

from mapro.cases.services.forms import fields_at
from mapro.catalogue.definition import Activity, Definition
from mapro.catalogue.definition.schema import END, FieldType

from .fields import FieldSpec, read_fields, spec_from_format_field

OBSERVATIONS = "observaciones"
DOCUMENT = "archivo"


@dataclass
class RecordFieldset:
    record_id: str
    name: str
    restricted: bool
    fields: list[FieldSpec]
    file: FieldSpec | None = None  # the document itself, which can stand for the record's fields
    errors: list[str] = field(default_factory=list)


@dataclass
class TaskForm:
    records: list[RecordFieldset]
    decision_question: str | None
    decision_labels: list[str]
    decision_hints: dict[str, str]
    effective_date: FieldSpec | None
    errors: list[str] = field(default_factory=list)

    @property
    def restricted(self) -> bool:
        """Evidence uploaded with the activity inherits the restriction of its records."""
        return any(record.restricted for record in self.records)

    @property
    def fields(self) -> list[FieldSpec]:
        specs = [spec for record in self.records for spec in [*record.fields, record.file] if spec]
        return specs + ([self.effective_date] if self.effective_date else [])


def _document_help(*, optional: bool, data_required: bool) -> str:
    """What the record's file is for: the record itself when its data may be left empty, else evidence."""
    if optional:
        return "Opcional."
    if data_required:
        return "Opcional: el documento mismo, si lo tiene en archivo (los datos marcados son obligatorios)."
    return "El registro es obligatorio: sus datos o este archivo."


def task_form(definition: Definition, activity: Activity) -> TaskForm:
    records = []
    for record_id in activity.records:
        record = definition.record(record_id)
        if fields := definition.record_fields(record):
            specs = [
                spec_from_format_field(f, prefix=f"rec__{record_id}__", key_prefix=f"{record_id}.")
                for f in fields_at(fields, activity.n)
            ]
        else:
            specs = [
                FieldSpec(
                    name=f"rec__{record_id}__{OBSERVATIONS}",
                    key=f"{record_id}.{OBSERVATIONS}",
                    label="Observaciones",
                    type=FieldType.LONG_TEXT.value,
                    required=False,
                    help="Número de documento, enlace o lo que sirva para ubicar el registro (o adjunte el "
                    "archivo).",
                )
            ]
        optional = record_id in activity.optional_records
        document = FieldSpec(
            name=f"rec__{record_id}__{DOCUMENT}",
            key=record_id,
            label="Archivo del registro",
            type=FieldType.FILE.value,
            required=False,
            help=_document_help(optional=optional, data_required=any(spec.required for spec in specs)),
        )
        records.append(
            RecordFieldset(
                record_id=record_id,
                name=record.name + (" (opcional)" if optional else ""),
                restricted=bool(record.restricted_to),
                fields=specs,
                file=document,
            )
        )
    effective = None
    if records:
        effective = FieldSpec(
            name="effective_date",
            key="effective_date",
            label="Fecha en que se hizo",
            type=FieldType.DATE.value,
            value=timezone.localdate().isoformat(),
            help="Hoy, salvo que lo registrado se haya hecho otro día (por ejemplo, un correo enviado ayer).",
        )
    decision = activity.decision
    hints = {}
    for branch in decision.branches if decision else []:
        if branch.goto == END:
            hints[branch.label] = f"Termina: {branch.outcome or 'fin del procedimiento'}"
        elif isinstance(branch.goto, list):  # several activities open at once
            targets = [definition.activity(n) for n in branch.goto]
            listed = "; ".join(f"{t.n}. {t.name}" for t in targets)
            hints[branch.label] = f"Pasan a la vez (en paralelo) a {listed}"
        else:
            target = definition.activity(int(branch.goto))
            hints[branch.label] = f"Pasa a {target.n}. {target.name}"
    return TaskForm(
        records=records,
        decision_question=decision.question if decision else None,
        decision_labels=[b.label for b in decision.branches] if decision else [],
        decision_hints=hints,
        effective_date=effective,
    )


def task_form_documents(form: TaskForm, files: MultiValueDict) -> dict[str, Any]:
    """The uploads that document records, by record id."""
    return {
        record.record_id: files[record.file.name]
        for record in form.records
        if record.file is not None and files.get(record.file.name) is not None
    }


def read_task_form(form: TaskForm, post: QueryDict, files: MultiValueDict) -> tuple[dict[str, Any], Any]:
    """(data for case_task_complete keyed by record id, effective date or None)."""
    data = {record.record_id: read_fields(record.fields, post, files) for record in form.records}
    effective = None
    if form.effective_date is not None:
        form.effective_date.value = post.get("effective_date", "").strip()
        try:
            effective = (
                dt.date.fromisoformat(form.effective_date.value) if form.effective_date.value else None
            )
        except ValueError:
            form.effective_date.errors.append("Debe ser una fecha AAAA-MM-DD.")
        if effective and effective > timezone.localdate():
            form.effective_date.errors.append("La fecha efectiva no puede ser posterior a hoy.")
    return {k: v for k, v in data.items() if v}, effective
