"""What an acta holds once filled: plain data that both renderers (pdf.py, docx.py) lay out the same way."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

BLANK = "—"  # a field with no recorded value: printed blank, never filled in by the document


@dataclass(frozen=True)
class Provenance:
    """Which activity recorded a value, on which effective date, when it was written and by whom."""

    activity: int | None
    activity_name: str
    effective_date: dt.date
    recorded_at: dt.datetime
    by: str

    @property
    def text(self) -> str:
        where = f"Actividad {self.activity}" if self.activity else "Expediente"
        return f"{where} · {self.effective_date:%d/%m/%Y} · {self.by}"


@dataclass(frozen=True)
class TableValue:
    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]


@dataclass(frozen=True)
class ActaField:
    number: str  # "01", as the seed's formats number their rows
    label: str
    text: str  # the value as printed; BLANK when nothing was recorded
    table: TableValue | None
    source: Provenance | None


@dataclass(frozen=True)
class Signer:
    title: str  # the signature field's label, or the post (role) that recorded the document
    name: str  # the recorded signature or the person who recorded it; "" while nobody has
    source: Provenance | None


@dataclass(frozen=True)
class RecordLine:
    name: str
    source: Provenance


@dataclass(frozen=True)
class Acta:
    document_id: str
    code: str | None
    name: str
    entity_code: str
    entity_name: str
    procedure_code: str
    procedure_name: str
    procedure_version: str
    case_number: str
    case_status: str
    fields: tuple[ActaField, ...]
    signers: tuple[Signer, ...]
    records: tuple[RecordLine, ...]
    evidence: tuple[str, ...]
    generated_at: dt.datetime

    @property
    def title(self) -> str:
        return f"{self.code} — {self.name}" if self.code else self.name

    def filename(self, fmt: str) -> str:
        return f"{self.case_number}_{self.document_id}.{fmt}"
