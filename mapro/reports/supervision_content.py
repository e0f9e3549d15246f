"""What a supervision report holds: plain data that both renderers (PDF, DOCX) lay out the same way."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

FIGURES_NOTE = (
    "Concluidos a tiempo: concluidos en el periodo sin ningún plazo incumplido. Vencidos: expedientes con un "
    "plazo que venció en el periodo sin cumplirse. En curso al cierre: iniciados antes del fin del periodo "
    "y no concluidos ni anulados a esa fecha."
)


@dataclass(frozen=True)
class Period:
    """Days `start` to `end`, both included, in Lima."""

    start: dt.date
    end: dt.date

    @property
    def text(self) -> str:
        return f"del {self.start:%d/%m/%Y} al {self.end:%d/%m/%Y}"


@dataclass(frozen=True)
class Clause:
    """A ficha's supervision clause as the report prints it."""

    procedure_codes: tuple[str, ...]
    supervisor: str  # the role's name
    frequency: str  # "Trimestral", "A demanda"
    reports_to: str  # the body the report goes to, "" when the ficha does not name it
    requests_from: str
    text: str


@dataclass(frozen=True)
class ProcedureFigures:
    """Cases of one procedure in the period; docs/reports.md says how each figure counts."""

    code: str
    name: str
    started: int
    concluded: int
    on_time: int
    overdue: int
    open_at_end: int


@dataclass(frozen=True)
class OpenItem:
    """A task open at the end of the period: what, in which case, who answers for it, and since when."""

    case_number: str
    procedure_code: str
    activity: str
    role: str
    responsible: str
    since: dt.datetime
    due_at: dt.datetime | None
    overdue: bool


@dataclass(frozen=True)
class EvidenceItem:
    """A record written or a file attached in the period."""

    case_number: str
    procedure_code: str
    activity: str
    kind: str  # "Registro" or "Archivo"
    name: str
    detail: str  # effective date of a record, SHA-256 of a file
    at: dt.datetime
    by: str


@dataclass(frozen=True)
class IndicatorLine:
    procedure_code: str
    name: str
    formula: str
    value: str  # "99.5 %", or "sin datos"
    baseline: str
    target: str
    verdict: str
    reason: str


@dataclass(frozen=True)
class AuditStatus:
    chain: str
    events: int
    anchors: int
    problems: tuple[str, ...]

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def text(self) -> str:
        if self.ok:
            anchored = f", {self.anchors} anclas coinciden" if self.anchors else ", sin anclas externas"
            return f"Verificada: {self.events} eventos íntegros y enlazados{anchored}."
        return f"NO VERIFICADA: {len(self.problems)} problema(s) en {self.events} eventos leídos."


@dataclass(frozen=True)
class SupervisionReport:
    entity_code: str
    entity_name: str
    period: Period
    clauses: tuple[Clause, ...]
    procedures: tuple[ProcedureFigures, ...]
    open_items: tuple[OpenItem, ...]
    evidence: tuple[EvidenceItem, ...]
    indicators: tuple[IndicatorLine, ...]
    indicators_note: str  # why there are none, when there are none
    audit: AuditStatus
    generated_at: dt.datetime

    @property
    def totals(self) -> ProcedureFigures:
        rows = self.procedures
        return ProcedureFigures(
            code="Total",
            name="",
            started=sum(r.started for r in rows),
            concluded=sum(r.concluded for r in rows),
            on_time=sum(r.on_time for r in rows),
            overdue=sum(r.overdue for r in rows),
            open_at_end=sum(r.open_at_end for r in rows),
        )

    @property
    def signers(self) -> tuple[str, ...]:
        """One signature per post that supervises a procedure of the report."""
        return tuple(dict.fromkeys(c.supervisor for c in self.clauses)) or ("Responsable de la supervisión",)

    @property
    def title(self) -> str:
        return "Informe de supervisión del cumplimiento de los procedimientos"

    def filename(self, fmt: str) -> str:
        return f"supervision_{self.entity_code}_{self.period.start:%Y%m%d}_{self.period.end:%Y%m%d}.{fmt}"
