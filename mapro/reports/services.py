"""
Actas and formats filled from a case's records: a format of the definition becomes a document with the
entity's header, each field with its label, the value recorded and who recorded it (activity, date, person),
the evidence files, and signature blocks; as PDF (WeasyPrint) or DOCX (python-docx).

docs/reports.md says what a reader gets; docs/decisions/0021-actas.md why it is built this way. Reads only:
nothing here writes to the case.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils import timezone

from mapro.cases.access import attachment_may_read, case_may_read
from mapro.cases.models import Attachment, Case, CaseRecord
from mapro.cases.selectors import case_definition
from mapro.catalogue.definition import Definition
from mapro.catalogue.definition.schema import REQUESTER, FieldType, FormatField
from mapro.core.errors import InvalidInputError, NotFoundError
from mapro.organization.models import Person
from mapro.organization.selectors import person_role_codes

from .content import BLANK, Acta, ActaField, Provenance, RecordLine, Signer, TableValue
from .docx import acta_docx
from .pdf import acta_pdf

# A record without a format whose name starts with its annex ("Anexo N° 02. Registro de actividades"): the
# seed names it as a document of the procedure, not its layout (MINCETUR's Anexos 01 and 02).
ANNEX_RECORD = re.compile(r"^\s*(anexo\s+(?:n[°º.]?\s*)?\d+)\s*[.:–-]\s*(.+)$", re.IGNORECASE | re.DOTALL)
OBSERVATIONS = "observaciones"
FORMATS = {
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}


@dataclass(frozen=True)
class DocumentSpec:
    """What the definition says about one document: its records, and its fields (None: observations only)."""

    id: str
    code: str | None
    name: str
    record_ids: tuple[str, ...]
    fields: tuple[FormatField, ...] | None


@dataclass(frozen=True)
class ActaLink:
    """A document the case page offers: the case has visible records of it."""

    id: str
    title: str


# --- which documents a definition has -----------------------------------------------------------------------


def document_specs(definition: Definition) -> dict[str, DocumentSpec]:
    """Every format filled through records, then every annex the ficha keeps as a record without format."""
    specs: dict[str, DocumentSpec] = {}
    for fmt in definition.formats:
        ids = tuple(r.id for r in definition.records if r.format == fmt.id)
        if ids:
            specs[fmt.id] = DocumentSpec(fmt.id, fmt.code, fmt.name, ids, tuple(fmt.fields))
    for record in definition.records:
        annex = ANNEX_RECORD.match(record.name)
        if record.format is None and annex and record.id not in specs:
            code, name = annex.group(1).strip(), " ".join(annex.group(2).split())
            specs[record.id] = DocumentSpec(record.id, code, name, (record.id,), tuple(record.fields) or None)
    return specs


def acta_documents(*, case: Case, records: Iterable[CaseRecord]) -> list[ActaLink]:
    """The documents of the case with one of `records` (those the person sees), in definition order."""
    present = {r.record_id for r in records}
    return [
        ActaLink(spec.id, f"{spec.code} — {spec.name}" if spec.code else spec.name)
        for spec in document_specs(case_definition(case=case)).values()
        if present & set(spec.record_ids)
    ]


# --- the document -------------------------------------------------------------------------------------------


def acta_build(*, case: Case, document_id: str, person: Person | None) -> Acta:
    """
    The document `document_id` (a format id, or the id of an annex record without format) filled from the
    case's records that `person` may see; `person` None is the operator on the server (every record). A case
    or a document the person may not read, or one with no record yet, is a 404 as if it did not exist.
    """
    if person is not None and not case_may_read(person=person, case=case):
        raise NotFoundError("No existe ese expediente.")
    definition = case_definition(case=case)
    spec = document_specs(definition).get(document_id)
    roles = person_role_codes(person=person, entity=case.entity) if person is not None else None
    records = _records_visible(case=case, record_ids=spec.record_ids, roles=roles) if spec else []
    if not records:
        raise NotFoundError("No existe ese documento en el expediente.")
    sources = {r.pk: _provenance(definition, r) for r in records}
    if spec.fields is None:
        fields = _annex_fields(definition=definition, records=records, sources=sources)
    else:
        fields = _format_fields(spec.fields, records=records, sources=sources)
    return Acta(
        document_id=spec.id,
        code=spec.code,
        name=spec.name,
        entity_code=case.entity.code,
        entity_name=case.entity.name,
        procedure_code=case.procedure_version.code,
        procedure_name=definition.name,
        procedure_version=definition.version,
        case_number=case.number,
        case_status=case.get_status_display(),
        fields=tuple(fields),
        signers=tuple(_signers(definition=definition, spec=spec, records=records, sources=sources)),
        records=tuple(RecordLine(r.name, sources[r.pk]) for r in records),
        evidence=tuple(_evidence(case=case, records=records, person=person, roles=roles)),
        generated_at=timezone.localtime(),
    )


def acta_render(*, case: Case, document_id: str, person: Person | None, fmt: str) -> tuple[bytes, Acta]:
    """The document as `fmt` ("pdf" or "docx") bytes, with the content it was made from."""
    if fmt not in FORMATS:
        raise InvalidInputError({"format": ["Elija pdf o docx."]})
    acta = acta_build(case=case, document_id=document_id, person=person)
    return (acta_pdf(acta) if fmt == "pdf" else acta_docx(acta)), acta


def _records_visible(*, case: Case, record_ids: Iterable[str], roles: set[str] | None) -> list[CaseRecord]:
    """As cases.selectors.case_records_visible: unrestricted, or restricted to a role the person holds."""
    rows = (
        case.records.filter(record_id__in=list(record_ids))
        .select_related("task", "created_by")
        .order_by("created_at", "pk")
    )
    return [r for r in rows if roles is None or not r.restricted_to or roles & set(r.restricted_to)]


def _provenance(definition: Definition, record: CaseRecord) -> Provenance:
    activity = record.task.activity if record.task else None
    return Provenance(
        activity=activity,
        activity_name=definition.activity(activity).name if activity else "",
        effective_date=record.effective_date,
        recorded_at=timezone.localtime(record.created_at),
        by=record.created_by.full_name,
    )


def _blank(value: Any) -> bool:
    return value is None or value == "" or value == []


def _latest(records: list[CaseRecord], key: str) -> CaseRecord | None:
    """The last record that gave `key` a value: a format filled across activities merges field by field."""
    return next((r for r in reversed(records) if not _blank(r.data.get(key))), None)


def _format_fields(
    fields: Iterable[FormatField], *, records: list[CaseRecord], sources: dict[int, Provenance]
) -> list[ActaField]:
    rows = []
    for field in (f for f in fields if f.type != FieldType.SIGNATURE):
        record = _latest(records, field.id)
        value = record.data[field.id] if record else None
        table = _table(field, value) if field.type == FieldType.TABLE and record else None
        rows.append(
            ActaField(
                number=f"{len(rows) + 1:02d}",
                label=field.label,
                text="" if table else display(field.type, value),
                table=table,
                source=sources[record.pk] if record else None,
            )
        )
    return rows


def _table(field: FormatField, rows: list[dict[str, Any]]) -> TableValue:
    return TableValue(
        columns=tuple(c.label for c in field.columns),
        rows=tuple(tuple(display(c.type, row.get(c.id)) for c in field.columns) for row in rows),
    )


def _annex_fields(
    *, definition: Definition, records: list[CaseRecord], sources: dict[int, Provenance]
) -> list[ActaField]:
    """An annex without format: the decision taken where it was recorded, and the observations written."""
    rows: list[ActaField] = []
    decided = next((r for r in reversed(records) if r.task and r.task.decision), None)
    if decided is not None:
        activity = definition.activity(decided.task.activity)
        question = activity.decision.question if activity.decision else "Decisión"
        rows.append(ActaField("01", question, decided.task.decision, None, sources[decided.pk]))
    record = _latest(records, OBSERVATIONS)
    rows.append(
        ActaField(
            number=f"{len(rows) + 1:02d}",
            label="Observaciones",
            text=display(FieldType.LONG_TEXT, record.data[OBSERVATIONS] if record else None),
            table=None,
            source=sources[record.pk] if record else None,
        )
    )
    return rows


def _signers(
    *, definition: Definition, spec: DocumentSpec, records: list[CaseRecord], sources: dict[int, Provenance]
) -> list[Signer]:
    """
    The signature fields the format declares; a format without one (the Senace Anexo 01, the MINCETUR annexes)
    is signed by the posts responsible for the activities that record it, each with who recorded it.
    """
    signature_fields = [f for f in spec.fields or () if f.type == FieldType.SIGNATURE]
    if signature_fields:
        signers = []
        for field in signature_fields:
            record = _latest(records, field.id)
            name = display(field.type, record.data[field.id]) if record else ""
            signers.append(Signer(field.label, name, sources[record.pk] if record else None))
        return signers
    activities = [a for a in definition.activities if set(a.records) & set(spec.record_ids)]
    roles = list(dict.fromkeys(role for a in activities for role in a.performer_roles))
    signers = []
    for role_id in roles:
        last = next((r for r in reversed(records) if _recorded_in_role(r, definition) == role_id), None)
        name = last.created_by.full_name if last else ""
        signers.append(Signer(_role_name(definition, role_id), name, sources[last.pk] if last else None))
    return signers


def _recorded_in_role(record: CaseRecord, definition: Definition) -> str | None:
    """
    The role a record was written in: its task's role when the activity names it (one task per role when each
    one completes), else the activity's main role.
    """
    if record.task is None:
        return None
    activity = definition.activity(record.task.activity)
    return record.task.role_code if record.task.role_code in activity.performer_roles else activity.role


def _role_name(definition: Definition, role_id: str) -> str:
    if role_id == REQUESTER:
        return "Solicitante"
    return next((r.name for r in definition.roles if r.id == role_id), role_id)


def _evidence(
    *, case: Case, records: list[CaseRecord], person: Person | None, roles: set[str] | None
) -> list[str]:
    """Files attached to the activities that recorded the document, as the person may download them."""
    tasks = {r.task_id for r in records if r.task_id}
    files = (
        Attachment.objects.filter(case=case, task_id__in=tasks).select_related("uploaded_by").order_by("pk")
    )
    return [
        f"{a.filename} (SHA-256 {a.sha256[:16]}…)"
        for a in files
        if person is None or attachment_may_read(attachment=a, person=person, roles=roles or set())
    ]


# --- values as printed --------------------------------------------------------------------------------------


def display(field_type: FieldType, value: Any) -> str:
    """A recorded value as people read it: Sí/No, dd/mm/aaaa, chosen options; BLANK when there is none."""
    if _blank(value):
        return BLANK
    if field_type == FieldType.BOOLEAN or isinstance(value, bool):
        return "Sí" if value else "No"
    if isinstance(value, list):
        return "; ".join(str(v) for v in value)
    text = str(value)
    try:
        if field_type == FieldType.DATE:
            return f"{dt.date.fromisoformat(text):%d/%m/%Y}"
        if field_type == FieldType.DATETIME:
            moment = dt.datetime.fromisoformat(text)
            moment = timezone.localtime(moment) if timezone.is_aware(moment) else moment
            return f"{moment:%d/%m/%Y %H:%M}"
        if field_type == FieldType.TIME:
            return f"{dt.time.fromisoformat(text):%H:%M}"
        if field_type == FieldType.INTEGER:
            return f"{int(text):,}"  # 35,000: as the seed's filled-in example writes it
        if field_type == FieldType.DECIMAL:
            return str(Decimal(text))
    except (ValueError, InvalidOperation):
        return text  # a value from an older version of the format: shown as it was stored
    return text
