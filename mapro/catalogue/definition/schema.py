"""
The machine-readable ficha de procedimiento (Norma Técnica N° 001-2018-PCM/SGP).

These pydantic models are the single written-down schema of a definition file; docs/definition-format.md
explains every field for process analysts. Models forbid unknown keys so a typo is an error with its line,
never a silently ignored field. Cross-references (roles, activities, events, records, formats, procedures)
are checked by `validation.py`, which needs the whole catalogue.
"""

from __future__ import annotations

import datetime as dt
import re
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator, model_validator

# Bounds that keep a valid definition loadable and runnable (docs/decisions/0010-definition-limits.md).
MAX_ACTIVITY_NUMBER = 9_999  # the catalogue's highest is 515; a CaseTask stores it in an integer column
MAX_ACTIVITIES = 1_000  # the longest procedure has 80
MAX_SEED_LINE = 1_000_000  # the longest seed has 2,255 lines

Identifier = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$", max_length=60)]
# Every text must show something once stripped: an empty or whitespace-only name is refused here, and the
# loader refuses control and invisible characters (zero-width, bidi) before the schema runs.
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
# Texts that are also stored in a database column, bounded by its length (PostgreSQL refuses longer ones).
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Title = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300)]
Acronym = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=30)]
VersionLabel = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=20)]


ActivityNumber = Annotated[int, Field(ge=1, le=MAX_ACTIVITY_NUMBER)]
SeedLine = Annotated[int, Field(ge=1, le=MAX_SEED_LINE)]
END = "end"
ActivityRef = ActivityNumber | Literal["end"]
# Several activities that start at once (a parallel split): at least two.
ParallelTargets = Annotated[list[ActivityNumber], Field(min_length=2)]
# The person who opened the case, acting inside a step (a conformity, an authorisation): usable wherever an
# activity names its roles, never declared in `roles`.
REQUESTER = "requester"
REQUESTER_NAME = "Solicitante"  # its lane and its name wherever a role name is shown
# Where a condition or a call reads case data: `inputs.<input id>` or `<record id>.<field id>`.
DATA_PATH = re.compile(r"[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*")
DataPath = Annotated[str, Field(pattern=f"^{DATA_PATH.pattern}$", max_length=121)]
# The case subject template's placeholders: a data path, or one of these names.
SUBJECT_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")
SUBJECT_NAMES = {"requester", "started"}
Scalar = int | float | bool | str


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class Entity(StrEnum):
    MVCS = "MVCS"
    SENACE = "SENACE"
    MINCETUR = "MINCETUR"
    MINDEF = "MINDEF"


class ActivityKind(StrEnum):
    TASK = "task"
    DECISION = "decision"
    APPROVAL = "approval"
    NOTIFICATION = "notification"
    WAIT = "wait"
    CALL = "call"
    END = "end"  # work that ends a path: a task, then the end
    # The seed's numbered "Fin del procedimiento" row: the end event itself, named after the row; no task
    # (docs/decisions/0020-informs-fin-rows-describe-api.md).
    END_EVENT = "end_event"


class TimeUnit(StrEnum):
    CLOCK_HOURS = "clock_hours"
    WORKING_HOURS = "working_hours"
    CALENDAR_DAYS = "calendar_days"
    WORKING_DAYS = "working_days"
    MONTHS = "months"
    YEARS = "years"
    YEAR_END = "year_end"  # 31 December of the anchor's year ("para el año en curso"); amount 1 = that year


class Completion(StrEnum):
    """How the roles of an activity with several responsibles complete it."""

    ANY = "any"  # one task, which a holder of any of the roles completes
    EACH = "each"  # one task per role, all of them done before the flow goes on


class ExpiryAction(StrEnum):
    """What the engine does by itself when a time rule's term runs out."""

    BRANCH = "branch"  # the activity (a decision) is completed with the named branch
    COMPLETE = "complete"  # the activity is completed as if a person had done it
    CLOSE = "close"  # the case is closed with `outcome`


class TimeRuleMeaning(StrEnum):
    DEADLINE = "deadline"  # the activity must be finished by then
    VALIDITY = "validity"  # something produced stays valid for that long (a download link)
    RESPONSE_WINDOW = "response_window"  # a third party has this long to answer


class EventMoment(StrEnum):
    START = "start"  # the activity becomes available (its task is created)
    END = "end"  # the activity is completed


class Frequency(StrEnum):
    DAILY = "daily"
    WEEKLY = "weekly"
    BIWEEKLY = "biweekly"
    MONTHLY = "monthly"
    QUARTERLY = "quarterly"
    SEMIANNUAL = "semiannual"
    ANNUAL = "annual"
    ON_DEMAND = "on_demand"


class FieldType(StrEnum):
    TEXT = "text"
    LONG_TEXT = "long_text"
    INTEGER = "integer"
    DECIMAL = "decimal"
    BOOLEAN = "boolean"
    DATE = "date"
    DATETIME = "datetime"
    TIME = "time"
    EMAIL = "email"
    CHOICE = "choice"
    MULTI_CHOICE = "multi_choice"
    FILE = "file"
    SIGNATURE = "signature"
    TABLE = "table"


class RaciLetter(StrEnum):
    R = "R"
    A = "A"
    C = "C"
    I = "I"  # noqa: E741 - the RACI letter itself


# --- header ---------------------------------------------------------------------------------------------


class SeedSource(Strict):
    seed: Text = Field(description="File name of the seed document the ficha comes from")
    lines: tuple[SeedLine, SeedLine] = Field(description="First and last line of the procedure in the seed")


class Signatory(Strict):
    """One row of the ficha's approval block: who prepared, reviewed or approved it (Norma Técnica)."""

    stage: Literal["elaborado", "revisado", "aprobado"]
    name: Text
    position: Text | None = Field(default=None, description="Cargo")
    unit: Text | None = Field(default=None, description="Unidad de organización (siglas)")


class VersionEntry(Strict):
    version: Text
    date: dt.date | None = None
    description: Text
    approved_by: Text | None = None


class ProcessRef(Strict):
    code: Text
    name: Text | None = None


class Input(Strict):
    id: Identifier
    element: Text
    provider: Text | None = None
    mandatory: bool = True
    flows: list[Identifier] = Field(
        default=[], description="Flows that use this input (mandatory only there); empty = every flow"
    )
    type: FieldType = FieldType.TEXT
    choices: list[Text] = []
    domain: Text | None = Field(
        default=None,
        pattern=r"^[a-z0-9-]+(\.[a-z0-9-]+)+$",
        description="For an e-mail input: the address must be at this domain, e.g. vivienda.gob.pe",
    )
    unique_open: bool = Field(
        default=False,
        description="Flag a start whose value an open case of the procedure already has",
    )
    note: Text | None = None

    @model_validator(mode="after")
    def _choices(self) -> Input:
        if self.type in (FieldType.CHOICE, FieldType.MULTI_CHOICE) and not self.choices:
            raise ValueError("una entrada de tipo choice necesita 'choices'")
        if self.type == FieldType.TABLE:
            raise ValueError("una entrada no puede ser de tipo table: use un formato")
        if self.domain is not None and self.type != FieldType.EMAIL:
            raise ValueError("'domain' solo va en una entrada de tipo email")
        return self


class Output(Strict):
    product: Text
    client: Text | None = None


class Unit(Strict):
    id: Identifier
    name: Name
    acronym: Acronym | None = None


class Role(Strict):
    id: Identifier
    name: Name
    unit: Identifier
    responsibilities: list[Text] = []


# --- flow -----------------------------------------------------------------------------------------------


class Condition(Strict):
    """
    A test on case data recorded before it is evaluated: a case input or a field of a record already
    produced. Every bound given must hold; a value never recorded makes the condition false.
    """

    data: DataPath
    equals: Scalar | None = None
    one_of: list[Scalar] = []
    min: float | None = Field(default=None, description="Lower bound, inclusive")
    max: float | None = Field(default=None, description="Upper bound, inclusive")
    text: Text | None = Field(default=None, description="The condition as the seed words it")

    @model_validator(mode="after")
    def _tests_something(self) -> Condition:
        if self.equals is None and not self.one_of and self.min is None and self.max is None:
            raise ValueError("la condición necesita 'equals', 'one_of', 'min' o 'max'")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError("'min' es mayor que 'max'")
        return self


class Recipient(Strict):
    """
    Someone the activity text says is told ("informa al Jefe(a)", "notifica al usuario", "remite oficio a la
    SGTD-PCM"): a role of the entity, the requester, or an outside body kept as a contact of the case.
    """

    role: Identifier | None = None
    requester: bool = False
    contact: Name | None = Field(default=None, description="An outside body or person, e.g. 'SGTD-PCM'")
    address: Text | None = Field(default=None, description="The contact's e-mail, when the seed gives it")
    channel: Text | None = Field(default=None, description="correo, oficio, memorando…")
    text: Text | None = Field(default=None, description="The words of the seed that name the recipient")

    @model_validator(mode="after")
    def _one_recipient(self) -> Recipient:
        if sum((self.role is not None, self.requester, self.contact is not None)) != 1:
            raise ValueError("indique uno solo de 'role', 'requester' o 'contact'")
        if self.address is not None and self.contact is None:
            raise ValueError("'address' solo acompaña a 'contact'")
        return self


class Branch(Strict):
    label: Name
    goto: ActivityRef | ParallelTargets = Field(
        description="The next activity, 'end', or several activities that start at once (in parallel)"
    )
    outcome: Title | None = Field(default=None, description="Name of the end reached when goto is 'end'")
    reason: Name | None = Field(
        default=None, description="The reason asked for when the branch is taken, e.g. 'Motivo del rechazo'"
    )
    note: Text | None = None


class Decision(Strict):
    question: Text
    branches: list[Branch] = Field(min_length=2)

    @field_validator("branches")
    @classmethod
    def _labels_unique(cls, branches: list[Branch]) -> list[Branch]:
        labels = [b.label for b in branches]
        duplicates = sorted({label for label in labels if labels.count(label) > 1})
        if duplicates:
            raise ValueError(f"etiqueta de rama repetida: {', '.join(duplicates)}")
        return branches


class CallInput(Strict):
    """One input of the called procedure, taken from the caller's data or given as a fixed value."""

    input: Identifier = Field(description="Input id of the called procedure")
    source: DataPath | None = Field(default=None, description="inputs.<id> or <record>.<field> of the caller")
    value: Scalar | None = None

    @model_validator(mode="after")
    def _source_or_value(self) -> CallInput:
        if (self.source is None) == (self.value is None):
            raise ValueError("indique 'source' o 'value' (uno de los dos)")
        return self


class Call(Strict):
    procedure: Text = Field(description="Code of the called procedure, e.g. PR.OTI.005")
    flow: Identifier | None = Field(default=None, description="The called procedure's flow it starts")
    inputs: list[CallInput] = Field(default=[], description="Every mandatory input of that flow, mapped")
    wait: bool = Field(default=True, description="The caller waits until the called case closes")


class InstructionVariant(Strict):
    """
    The activity's instruction for the cases that reached it one way: the seed's "si viene de la actividad 02:
    …" (`came_from`) or a case datum (`when`). The work screen shows the first that matches, else the
    description.
    """

    came_from: ActivityNumber | None = Field(
        default=None, description="The activity completed just before this one opened"
    )
    when: Condition | None = None
    text: Text
    seed_line: SeedLine | None = None

    @model_validator(mode="after")
    def _says_when(self) -> InstructionVariant:
        if self.came_from is None and self.when is None:
            raise ValueError("la variante necesita 'came_from' o 'when'")
        return self


class Activity(Strict):
    n: ActivityNumber
    name: Title
    description: Text
    kind: ActivityKind = ActivityKind.TASK
    role: Identifier = Field(description="The responsible role (its lane); 'requester' for the requester")
    co_roles: list[Identifier] = Field(default=[], description="Further roles the ficha names as responsible")
    completion: Completion = Field(
        default=Completion.ANY, description="With co_roles: any one of them completes it, or each must"
    )
    unit: Identifier | None = Field(default=None, description="Defaults to the role's unit")
    records: list[Identifier] = []
    optional_records: list[Identifier] = Field(
        default=[], description="Records of `records` the activity may complete without"
    )
    systems: list[Text] = []
    channel: Text | None = None
    informs: list[Recipient] = Field(default=[], description="Who the activity text says is told")
    when: Condition | None = Field(
        default=None, description="Guard: the activity only runs when this holds; otherwise it is skipped"
    )
    next: ActivityRef | None = Field(
        default=None, description="Next activity; omitted means n+1, or the end after the last one"
    )
    parallel: list[ActivityNumber] = Field(
        default=[], description="Activities that all start when this one is done (parallel split)"
    )
    join: list[ActivityNumber] = Field(
        default=[], description="Activities that must all be done before this one starts (parallel join)"
    )
    decision: Decision | None = None
    call: Call | None = None
    outcome: Title | None = Field(default=None, description="Outcome name when kind is end")
    variants: list[InstructionVariant] = Field(
        default=[], description="The instruction for this case when the seed's text depends on the path taken"
    )
    seed_line: SeedLine | None = None
    note: Text | None = None

    @model_validator(mode="after")
    def _kind_shape(self) -> Activity:
        if self.kind == ActivityKind.DECISION and self.decision is None:
            raise ValueError("una actividad de tipo decision necesita 'decision'")
        if self.kind == ActivityKind.CALL and self.call is None:
            raise ValueError("una actividad de tipo call necesita 'call'")
        if self.kind != ActivityKind.CALL and self.call is not None:
            raise ValueError("'call' solo se usa en actividades de tipo call")
        if self.decision is not None and self.next is not None:
            raise ValueError("una actividad con 'decision' no lleva 'next': las ramas indican el destino")
        if self.parallel and (self.next is not None or self.decision is not None):
            raise ValueError("una actividad con 'parallel' no lleva 'next' ni 'decision'")
        if len(self.parallel) == 1 or len(self.join) == 1:
            raise ValueError("'parallel' y 'join' nombran al menos dos actividades")
        if self.co_roles and self.role in self.co_roles:
            raise ValueError("'co_roles' repite el rol de 'role'")
        if not set(self.optional_records) <= set(self.records):
            raise ValueError("'optional_records' solo nombra registros de 'records'")
        if self.kind == ActivityKind.END_EVENT and (
            self.records or self.informs or self.co_roles or self.parallel or self.join or self.when
        ):
            raise ValueError(
                "una actividad de tipo end_event es la fila «Fin del procedimiento»: no lleva 'records', "
                "'informs', 'co_roles', 'parallel', 'join' ni 'when'"
            )
        if self.kind in (ActivityKind.END, ActivityKind.END_EVENT) and (
            self.next not in (None, END) or self.decision is not None
        ):
            raise ValueError(
                "una actividad de tipo end termina el procedimiento: no lleva 'next' ni 'decision'"
            )
        return self

    @property
    def performer_roles(self) -> list[str]:
        """Every role the ficha names as responsible: `role` first, then `co_roles`."""
        return [self.role, *self.co_roles]


class Flow(Strict):
    """An independent flow inside one procedure (e.g. apagado / encendido / backup of continuity)."""

    id: Identifier
    name: Text
    start: ActivityNumber | ParallelTargets = Field(
        description="First activity, or several that start at once (in parallel)"
    )
    trigger: Text | None = None


class Event(Strict):
    """A named moment a time rule can be anchored to."""

    id: Identifier
    name: Text
    activity: ActivityNumber
    moment: EventMoment = EventMoment.END


class TimeRule(Strict):
    id: Identifier
    text: Text = Field(description="The rule as written in the seed")
    activity: ActivityNumber | None = Field(
        default=None, description="Activity the rule applies to; none = the case"
    )
    amount: int = Field(ge=1, description="Bounded per unit by validation.MAX_AMOUNT")
    unit: TimeUnit
    anchor: Identifier = Field(description="An event id, or 'case_start'")
    meaning: TimeRuleMeaning = TimeRuleMeaning.DEADLINE
    unit_assumed: Text | None = Field(
        default=None, description="Why this unit was chosen when the ficha does not name it"
    )
    when: Condition | None = Field(
        default=None, description="The rule applies only when this holds on the case data (at its anchor)"
    )
    on_expiry: OnExpiry | None = Field(default=None, description="What the engine does when the term ends")
    legal_basis: Text | None = Field(default=None, description="The norma that sets the term")
    seed_line: SeedLine | None = None


class OnExpiry(Strict):
    action: ExpiryAction
    branch: Name | None = Field(default=None, description="Branch label taken, for action 'branch'")
    outcome: Title | None = Field(default=None, description="The case's outcome, for action 'close'")
    text: Text | None = Field(default=None, description="The seed's words ('el sistema cierra el ticket')")

    @model_validator(mode="after")
    def _shape(self) -> OnExpiry:
        if (self.action == ExpiryAction.BRANCH) != (self.branch is not None):
            raise ValueError("'branch' va con la acción 'branch', y solo con ella")
        if self.outcome is not None and self.action != ExpiryAction.CLOSE:
            raise ValueError("'outcome' solo va con la acción 'close'")
        return self


class FormatField(Strict):
    id: Identifier
    label: Text
    type: FieldType = FieldType.TEXT
    required: bool = True
    choices: list[Text] = []
    columns: list[FormatField] = Field(default=[], description="Columns of a table field")
    help: Text | None = None
    activity: ActivityNumber | None = Field(
        default=None,
        description="For a format filled across activities: the one that fills (and requires) this field",
    )

    @model_validator(mode="after")
    def _choices_and_columns(self) -> FormatField:
        if self.type in (FieldType.CHOICE, FieldType.MULTI_CHOICE) and not self.choices:
            raise ValueError("un campo de tipo choice necesita 'choices'")
        if self.type == FieldType.TABLE and not self.columns:
            raise ValueError("un campo de tipo table necesita 'columns'")
        return self


class Format(Strict):
    id: Identifier
    code: Text | None = Field(default=None, description="As written in the seed, e.g. 'Anexo 01'")
    name: Text
    fields: list[FormatField] = Field(min_length=1)
    seed_line: SeedLine | None = None


class Record(Strict):
    """A document or evidence an activity produces (registro)."""

    id: Identifier
    name: Title
    format: Identifier | None = None
    fields: list[FormatField] = Field(
        default=[], description="The data the document carries when the seed gives it no format"
    )
    restricted_to: list[Identifier] = Field(default=[], description="Only these roles may see it")
    retention: Text | None = None

    @model_validator(mode="after")
    def _format_or_fields(self) -> Record:
        if self.format is not None and self.fields:
            raise ValueError("un registro lleva 'format' (un formato de la ficha) o 'fields', no ambos")
        return self


class RaciRow(Strict):
    activity: ActivityNumber
    roles: dict[Identifier, RaciLetter]


class IndicatorBasis(Strict):
    activities: list[ActivityNumber] = []
    records: list[Identifier] = []
    events: list[Identifier] = []
    time_rules: list[Identifier] = []
    procedures: list[Text] = Field(default=[], description="Procedures whose cases the indicator counts")


class BranchTaken(Strict):
    activity: ActivityNumber
    branch: Text = Field(description="The label of the decision's branch, as written in the definition")


class DeadlineStatus(StrEnum):
    MET = "met"
    MISSED = "missed"
    PENDING = "pending"
    EXPIRED = "expired"


class DeadlineFilter(Strict):
    time_rule: Identifier
    status: list[DeadlineStatus] = Field(min_length=1)


class CaseCount(Strict):
    """
    A count of cases, written as data: one procedure's cases whose start (or closure) falls in the period,
    narrowed by what happened in them. Every condition given must hold; `branches` holds when any holds.
    """

    label: Text = Field(description="What is counted, in the ficha's words, e.g. 'Tickets recibidos'")
    procedure: Text | None = Field(default=None, description="Whose cases; none = the definition's own")
    dated_by: Literal["started", "closed"] = Field(
        default="started", description="Which date of the case must fall in the period"
    )
    closed: bool = Field(default=False, description="Only cases concluded by the end of the period")
    branches: list[BranchTaken] = Field(default=[], description="Cases that took any of these branches")
    record: Identifier | None = Field(default=None, description="Cases holding this record")
    deadline: DeadlineFilter | None = None


class Measure(Strict):
    """The formula of an indicator as data: numerator / denominator, both counts of cases."""

    numerator: CaseCount
    denominator: CaseCount
    percent: bool = True
    also: list[CaseCount] = Field(default=[], description="Counts shown beside the value, not in it")


class IndicatorRef(Strict):
    procedure: Text
    indicator: Identifier


class Indicator(Strict):
    id: Identifier
    name: Text
    objective: Text | None = None
    formula: Text
    unit: Text
    frequency: Frequency
    baseline: Text | None = None
    target: Text
    deviation: Text | None = None
    responsible: Identifier
    source: Text
    level: Literal["procedimiento", "proceso"] = "procedimiento"
    based_on: IndicatorBasis
    assumed: Text | None = Field(default=None, description="What the seed leaves open and how it was read")
    # How the value is computed: exactly one of these, checked by the validator (a version stored before
    # they existed still loads; docs/indicators.md).
    measure: Measure | None = Field(default=None, description="The formula as counts of cases")
    same_as: IndicatorRef | None = Field(default=None, description="Computed by another ficha's indicator")
    not_measurable: Text | None = Field(default=None, description="Why the cases cannot give the value")

    @model_validator(mode="after")
    def _refers_to_something(self) -> Indicator:
        basis = self.based_on
        if not (basis.activities or basis.records or basis.events or basis.time_rules or basis.procedures):
            raise ValueError("el indicador no se refiere a nada: 'based_on' está vacío")
        return self


class Periodicity(Strict):
    flow: Identifier | None = Field(default=None, description="The flow it schedules; none = the procedure")
    frequency: Frequency
    text: Text
    month: int | None = Field(
        default=None, ge=1, le=12, description="Month of the first run, if the seed fixes it"
    )
    day: int | None = Field(
        default=None, ge=1, le=31, description="Day of the first run, if the seed fixes it"
    )
    start: ActivityNumber | None = Field(
        default=None, description="Activity where the scheduled part starts; none = the flow's start"
    )
    working_days: bool = Field(default=False, description="Runs only on the entity's working days")
    inputs: dict[Identifier, Text] = Field(default={}, description="Start data every scheduled case gets")
    seed_line: SeedLine | None = None


class Supervision(Strict):
    """
    The ficha's supervision clause: who supervises, how often a report is due and to which body it goes.
    mapro builds that report from the cases (mapro/reports/supervision.py, docs/reports.md).
    """

    role: Identifier = Field(description="Who supervises and presents the report")
    text: Text
    frequency: Frequency | None = Field(default=None, description="The report's period; none = on demand")
    reports_to: Identifier | None = Field(default=None, description="Unit the report is presented to")
    reports_to_role: Identifier | None = Field(
        default=None, description="Role of the body that receives the report (its holders get it)"
    )
    requests_from: Identifier | None = Field(
        default=None, description="Unit asked for the report of actions the supervisor relies on"
    )
    seed_line: SeedLine | None = None


class Inconsistency(Strict):
    seed_line: SeedLine
    text: Text = Field(description="What the seed says that contradicts itself")
    resolution: Text = Field(description="What this definition does about it")


class Definition(Strict):
    schema_version: Literal[1] = 1
    code: Text = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._\-/ ]*$", max_length=80)
    name: Title
    entity: Entity
    version: VersionLabel
    status: Literal["aprobado", "borrador"] = "aprobado"
    approved_by: Text | None = None
    signatories: list[Signatory] = Field(
        default=[], description="Elaborado / Revisado / Aprobado por; the ficha leaves blank lines to sign"
    )
    history: list[VersionEntry] = Field(min_length=1)
    source: SeedSource
    process: ProcessRef | None = None
    owner: Text
    objective: Text
    scope: list[Text] = Field(min_length=1)
    legal_basis: list[Text] = []
    definitions: dict[Text, Text] = {}
    subject: Text | None = Field(
        default=None,
        max_length=300,
        description="What a case is about: {inputs.<id>}, {<record>.<field>}, {requester}, {started}",
    )
    inputs: list[Input] = []
    outputs: list[Output] = []
    units: list[Unit] = Field(min_length=1)
    roles: list[Role] = Field(min_length=1)
    flows: list[Flow] = []
    start: ActivityNumber | ParallelTargets | None = Field(
        default=None, description="First activity (or several, in parallel); defaults to the lowest number"
    )
    activities: list[Activity] = Field(min_length=1, max_length=MAX_ACTIVITIES)
    events: list[Event] = []
    time_rules: list[TimeRule] = []
    records: list[Record] = []
    formats: list[Format] = []
    raci: list[RaciRow] = []
    indicators: list[Indicator] = []
    periodicity: list[Periodicity] = Field(default=[], description="One per flow when flows differ")
    supervision: Supervision | None = None
    inconsistencies: list[Inconsistency] = []
    notes: list[Text] = []

    @field_validator("periodicity", mode="before")
    @classmethod
    def _periodicity_list(cls, value: object) -> object:
        """A procedure with one periodicity may write it as a mapping instead of a one-item list."""
        return [value] if isinstance(value, dict) else value

    def activity(self, n: int) -> Activity:
        return next(a for a in self.activities if a.n == n)

    def role(self, role_id: str) -> Role:
        """A declared role, or the requester (never declared: its unit is the one of the case's entity)."""
        if role_id == REQUESTER:
            return Role.model_construct(id=REQUESTER, name=REQUESTER_NAME, unit="", responsibilities=[])
        return next(r for r in self.roles if r.id == role_id)

    @property
    def is_draft(self) -> bool:
        """A ficha is approved only by a document: without one it is a draft even if marked "aprobado"."""
        return self.status != "aprobado" or not self.approved_by

    def record(self, record_id: str) -> Record:
        return next(r for r in self.records if r.id == record_id)

    def record_fields(self, record: Record) -> list[FormatField]:
        """The data a record carries: its seed format's fields, or its own `fields` (none: observations)."""
        if record.format is not None:
            return next(f for f in self.formats if f.id == record.format).fields
        return record.fields

    def unit(self, unit_id: str) -> Unit:
        return next(u for u in self.units if u.id == unit_id)

    def start_activities(self) -> list[int]:
        """Every activity a case can begin with (all flows; all branches of a parallel start)."""
        if self.flows:
            return [n for flow in self.flows for n in activity_numbers(flow.start)]
        if self.start is None:
            return [min(a.n for a in self.activities)]
        return activity_numbers(self.start)

    def successors(self, activity: Activity) -> list[ActivityRef]:
        """Where the flow can go after `activity`: branch targets, parallel branches, `next`, or n+1."""
        if activity.decision is not None:
            return [
                target for branch in activity.decision.branches for target in activity_numbers(branch.goto)
            ]
        if activity.parallel:
            return list(activity.parallel)
        if activity.kind in (ActivityKind.END, ActivityKind.END_EVENT):
            return [END]
        if activity.next is not None:
            return [activity.next]
        following = sorted(a.n for a in self.activities if a.n > activity.n)
        return [following[0] if following else END]


def activity_numbers(target: ActivityRef | list[int]) -> list:
    """A target as a list: one activity (or `end`), or the several a parallel split opens."""
    return list(target) if isinstance(target, list) else [target]


# --- process fichas (Senace section 7) ------------------------------------------------------------------


class ProcessFicha(Strict):
    code: Text
    name: Text
    level: int = Field(ge=0, le=3)
    parent: Text | None = None
    type: Text
    owner: Text
    objective: Text
    inputs: list[Text] = []
    suppliers: list[Text] = []
    outputs: list[Text] = []
    clients: list[Text] = []
    resources: list[Text] = []
    controls: list[Text] = []
    indicators_text: Text | None = None
    indicators: list[Indicator] = []
    procedures: list[Text] = Field(default=[], description="Codes of the procedures that implement it")
    seed_line: SeedLine | None = None


class ProcessMap(Strict):
    """A file holding an entity's process fichas (one per process), e.g. Senace section 7."""

    schema_version: Literal[1] = 1
    kind: Literal["process_map"]
    entity: Entity
    source: SeedSource
    processes: list[ProcessFicha] = Field(min_length=1)
    inconsistencies: list[Inconsistency] = []
    notes: list[Text] = []


FormatField.model_rebuild()
TimeRule.model_rebuild()
