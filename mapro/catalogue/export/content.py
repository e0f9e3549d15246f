"""
The ficha de procedimiento as document content, shared by the PDF and the DOCX export.

Norma Técnica N° 001-2018-PCM/SGP fixes what a ficha shows. Both documents must say exactly the same
thing, so every lookup (role and unit names, records, time limits) and every Spanish wording is decided
here once; the renderers only lay the content out.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any

from mapro.catalogue.compiler.graph import call_summary
from mapro.catalogue.definition.schema import (
    END,
    REQUESTER,
    REQUESTER_NAME,
    Activity,
    ActivityKind,
    ActivityRef,
    CaseCount,
    Completion,
    Condition,
    DeadlineStatus,
    Definition,
    Entity,
    EventMoment,
    ExpiryAction,
    FieldType,
    FormatField,
    Frequency,
    Indicator,
    Input,
    RaciLetter,
    TimeRule,
    TimeRuleMeaning,
    TimeUnit,
    activity_numbers,
)
from mapro.catalogue.definition.validation import CASE_START

from .diagram import DiagramPart, flow_diagrams
from .scrub import scrub_text

NOT_APPLICABLE = "No aplica."
RACI_PORTRAIT_ROLES = 6

# What a section says when the ficha has nothing for it, by section key (see SECTIONS).
EMPTY = {
    "decisions": "El procedimiento no tiene decisiones: sus actividades se ejecutan en secuencia.",
    "time_rules": "La ficha no fija plazos.",
    "raci": "La ficha no incluye matriz RACI.",
    "formats": "La ficha no incluye formatos ni anexos con campos.",
    "indicators": "La ficha no define indicadores.",
    "inconsistencies": "No se registran inconsistencias en el documento fuente.",
    "annex_notes": "No hay notas de modelado.",
}

# A ficha without its approving document is a draft, whatever `status` says.
DRAFT = "BORRADOR"
DRAFT_NOTE = "Borrador: sin documento de aprobación"
ANNEX_TITLE = "Anexo: Notas de modelado"
ANNEX_INTRO = (
    "Documento de trabajo del analista de procesos: no forma parte de la ficha que se aprueba. Reúne lo que "
    "el documento fuente deja abierto o contradice y cómo se modeló."
)
# The approval block of the Norma Técnica's fichas: one row per stage, signed by hand or digitally.
SIGNATURE_STAGES = {"elaborado": "Elaborado por", "revisado": "Revisado por", "aprobado": "Aprobado por"}
# Branch observations that speak of the source document are modelling notes, not instructions.
WORKING_NOTE = re.compile(r"\bseed\b|inconsistencies", re.IGNORECASE)


WORKING_DAYS_NOTE = (
    "Los días hábiles se cuentan según el TUO de la Ley N° 27444 y el calendario de días no laborables "
    "de la entidad."
)

ENTITY_NAMES = {
    Entity.MVCS: "Ministerio de Vivienda, Construcción y Saneamiento",
    Entity.SENACE: "Servicio Nacional de Certificación Ambiental para las Inversiones Sostenibles",
    Entity.MINCETUR: "Ministerio de Comercio Exterior y Turismo",
    Entity.MINDEF: "Ministerio de Defensa",
}

KIND_LABELS = {
    ActivityKind.TASK: "Tarea",
    ActivityKind.DECISION: "Decisión",
    ActivityKind.APPROVAL: "Aprobación",
    ActivityKind.NOTIFICATION: "Comunicación",
    ActivityKind.WAIT: "Espera",
    ActivityKind.CALL: "Otro procedimiento",
    ActivityKind.END: "Fin",
    ActivityKind.END_EVENT: "Fin del procedimiento",
}

# (singular, plural): "1 día hábil", "10 días hábiles".
UNIT_LABELS = {
    TimeUnit.CLOCK_HOURS: ("hora", "horas"),
    TimeUnit.WORKING_HOURS: ("hora hábil", "horas hábiles"),
    TimeUnit.CALENDAR_DAYS: ("día calendario", "días calendario"),
    TimeUnit.WORKING_DAYS: ("día hábil", "días hábiles"),
    TimeUnit.MONTHS: ("mes", "meses"),
    TimeUnit.YEARS: ("año", "años"),
    TimeUnit.YEAR_END: ("cierre de año", "cierres de año"),
}

EXPIRY_LABELS = {
    ExpiryAction.BRANCH: "toma la rama «{branch}»",
    ExpiryAction.COMPLETE: "da por realizada la actividad",
    ExpiryAction.CLOSE: "cierra el expediente ({outcome})",
}

MEANING_LABELS = {
    TimeRuleMeaning.DEADLINE: "Plazo máximo",
    TimeRuleMeaning.VALIDITY: "Vigencia",
    TimeRuleMeaning.RESPONSE_WINDOW: "Plazo de respuesta",
}

DEADLINE_STATUS_LABELS = {
    DeadlineStatus.MET: "cumplido",
    DeadlineStatus.MISSED: "vencido",
    DeadlineStatus.PENDING: "en plazo",
    DeadlineStatus.EXPIRED: "caducado",
}

FREQUENCY_LABELS = {
    Frequency.DAILY: "Diaria",
    Frequency.WEEKLY: "Semanal",
    Frequency.BIWEEKLY: "Quincenal",
    Frequency.MONTHLY: "Mensual",
    Frequency.QUARTERLY: "Trimestral",
    Frequency.SEMIANNUAL: "Semestral",
    Frequency.ANNUAL: "Anual",
    Frequency.ON_DEMAND: "A demanda",
}

FIELD_TYPE_LABELS = {
    FieldType.TEXT: "Texto",
    FieldType.LONG_TEXT: "Texto largo",
    FieldType.INTEGER: "Número entero",
    FieldType.DECIMAL: "Número decimal",
    FieldType.BOOLEAN: "Sí / No",
    FieldType.DATE: "Fecha",
    FieldType.DATETIME: "Fecha y hora",
    FieldType.TIME: "Hora",
    FieldType.EMAIL: "Correo electrónico",
    FieldType.CHOICE: "Selección única",
    FieldType.MULTI_CHOICE: "Selección múltiple",
    FieldType.FILE: "Archivo adjunto",
    FieldType.SIGNATURE: "Firma",
    FieldType.TABLE: "Tabla",
}

RACI_LEGEND = {
    RaciLetter.R: "Responsable: ejecuta la actividad",
    RaciLetter.A: "Aprobador: rinde cuentas y aprueba",
    RaciLetter.C: "Consultado: aporta información antes de ejecutar",
    RaciLetter.I: "Informado: recibe el resultado",
}

MONTHS = ("enero febrero marzo abril mayo junio julio agosto setiembre octubre noviembre diciembre").split()  # noqa: SIM905 - one line reads better than twelve

# Section titles by key, numbered in this order in both documents.
SECTIONS = (
    ("objective", "Objetivo"),
    ("scope", "Alcance"),
    ("legal_basis", "Base legal"),
    ("definitions", "Definiciones"),
    ("inputs", "Requisitos o elementos de entrada"),
    ("outputs", "Productos o salidas"),
    ("roles", "Unidades de organización y roles"),
    ("activities", "Descripción de actividades"),
    ("decisions", "Decisiones"),
    ("time_rules", "Plazos"),
    ("raci", "Matriz RACI"),
    ("records", "Registros"),
    ("formats", "Formatos y anexos"),
    ("indicators", "Fichas de indicadores"),
    ("periodicity", "Periodicidad y supervisión"),
    ("diagram", "Diagrama de flujo"),
    ("history", "Control de cambios"),
)


# The content's fields by the section they are shown in: where a scrubbed remark came from.
SECTION_TITLES = {
    "header": "Encabezado",
    "scope": "Alcance",
    "legal_basis": "Base legal",
    "definitions": "Definiciones",
    "inputs": "Requisitos o elementos de entrada",
    "outputs": "Productos o salidas",
    "units": "Unidades de organización",
    "roles": "Roles",
    "flows": "Flujos",
    "activities": "Descripción de actividades",
    "decisions": "Decisiones",
    "time_rules": "Plazos",
    "raci": "Matriz RACI",
    "records": "Registros",
    "formats": "Formatos y anexos",
    "indicators": "Fichas de indicadores",
    "periodicity": "Periodicidad",
    "supervision": "Supervisión",
    "history": "Control de cambios",
}


@dataclass(frozen=True)
class Item:
    """A label and its value: one line of a key/value table."""

    label: str
    value: str


@dataclass(frozen=True)
class InputRow:
    element: str
    provider: str
    mandatory: str
    type: str
    choices: list[str]
    note: str | None


@dataclass(frozen=True)
class RoleRow:
    name: str
    unit: str
    responsibilities: list[str]


@dataclass(frozen=True)
class ActivityRow:
    n: int
    name: str
    kind: str
    description: str
    role: str
    unit: str
    records: list[str]
    systems: list[str]
    time_limits: list[str]
    flow: list[str]
    note: str | None


@dataclass(frozen=True)
class BranchRow:
    label: str
    target: str
    note: str | None


@dataclass(frozen=True)
class DecisionBlock:
    activity: str
    question: str
    role: str
    branches: list[BranchRow]


@dataclass(frozen=True)
class TimeRuleRow:
    text: str
    applies_to: str
    amount: str
    anchor: str
    meaning: str
    assumed: str | None
    details: list[str] = field(default_factory=list)  # condition, action on expiry, norma


@dataclass(frozen=True)
class RaciMatrix:
    roles: list[str]
    rows: list[tuple[str, list[str]]]
    legend: list[Item]
    landscape: bool
    activity_share: float  # percentage of the table width; the roles share the rest evenly

    @property
    def role_share(self) -> float:
        return (100 - self.activity_share) / len(self.roles)


@dataclass(frozen=True)
class RecordRow:
    name: str
    activities: str
    format: str
    restricted_to: str
    retention: str


@dataclass(frozen=True)
class FieldRow:
    label: str
    type: str
    required: str
    choices: str
    help: str
    depth: int


@dataclass(frozen=True)
class FormatBlock:
    title: str
    fields: list[FieldRow]


@dataclass(frozen=True)
class IndicatorBlock:
    name: str
    items: list[Item]


@dataclass(frozen=True)
class HistoryRow:
    version: str
    date: str
    description: str
    approved_by: str


@dataclass(frozen=True)
class InconsistencyRow:
    seed_line: int
    text: str
    resolution: str


@dataclass(frozen=True)
class Signature:
    """One row of the Elaborado / Revisado / Aprobado block: who signs, or blanks to fill in by hand."""

    stage: str
    name: str
    position: str
    unit: str


@dataclass(frozen=True)
class Annex:
    """The "Notas de modelado": what the process analyst needs and the approved ficha must not carry."""

    title: str
    intro: str
    source: str
    inconsistencies: list[InconsistencyRow]
    notes: list[Item]  # where (activity, input, branch, plazo, indicador) → the note
    general: list[str]  # the definition's own `notes`


@dataclass(frozen=True)
class FichaContent:
    entity: str
    code: str
    name: str
    version: str
    header: list[Item]
    objective: str
    scope: list[str]
    legal_basis: list[str]
    definitions: list[Item]
    inputs: list[InputRow]
    outputs: list[Item]
    units: list[Item]
    roles: list[RoleRow]
    flows: list[Item]
    activities: list[ActivityRow]
    decisions: list[DecisionBlock]
    time_rules: list[TimeRuleRow]
    raci: RaciMatrix | None
    records: list[RecordRow]
    formats: list[FormatBlock]
    indicators: list[IndicatorBlock]
    periodicity: list[Item]
    supervision: list[Item]
    diagram: list[DiagramPart]
    history: list[HistoryRow]
    draft: bool
    signatures: list[Signature]
    annex: Annex | None  # None unless asked for: off by default
    sections: dict[str, str]  # numbered titles by section key


def ficha_content(definition: Definition, *, annex: bool = False) -> FichaContent:
    """Everything the ficha document shows, as Spanish text, in the order of the Norma Técnica.

    The body carries only what is approved; working notes (inconsistencies, notes, assumptions) go to the
    "Notas de modelado" annex, present only when `annex` is true.
    """
    d = definition
    names = _Names(d)
    content = FichaContent(
        entity=ENTITY_NAMES[d.entity],
        code=d.code,
        name=d.name,
        version=d.version,
        header=_header(d),
        objective=d.objective,
        scope=d.scope,
        legal_basis=d.legal_basis,
        definitions=[Item(term, meaning) for term, meaning in d.definitions.items()],
        inputs=[
            InputRow(
                element=i.element,
                provider=i.provider or "—",
                mandatory=_input_mandatory(d, i),
                type=FIELD_TYPE_LABELS[i.type],
                choices=i.choices,
                note=None,
            )
            for i in d.inputs
        ],
        outputs=[Item(o.product, o.client or "—") for o in d.outputs],
        units=[Item(u.acronym or "—", u.name) for u in d.units],
        roles=[RoleRow(r.name, names.unit(r.unit), r.responsibilities) for r in d.roles],
        flows=[
            Item(
                f.name,
                _flow_start(f.start) + (f". Se activa: {f.trigger}" if f.trigger else ""),
            )
            for f in d.flows
        ],
        activities=[_activity_row(d, names, a) for a in d.activities],
        decisions=_decisions(d, names),
        time_rules=[_time_rule_row(d, names, rule) for rule in d.time_rules],
        raci=_raci(d, names),
        records=_records(d, names),
        formats=_formats(d),
        indicators=[_indicator_block(d, names, i) for i in d.indicators],
        periodicity=_periodicity(d),
        supervision=_supervision(d, names),
        diagram=flow_diagrams(d),
        history=[
            HistoryRow(h.version, _date(h.date), h.description, h.approved_by or "—") for h in d.history
        ],
        draft=d.is_draft,
        signatures=_signatures(d),
        annex=None,
        sections={key: f"{number}. {title}" for number, (key, title) in enumerate(SECTIONS, start=1)},
    )
    removed: list[Item] = []
    content = _scrubbed(content, removed, section="")
    return dataclasses.replace(content, annex=_annex(d, names, removed) if annex else None)


def _scrubbed(value: Any, removed: list[Item], *, section: str) -> Any:
    """`value` with every text scrubbed (see scrub_text); what was cut is added to `removed`."""
    if isinstance(value, str):
        kept, cut = scrub_text(value)
        removed += [Item(f"{section}: «{_snippet(kept)}»", fragment) for fragment in cut]
        return kept
    if isinstance(value, list):
        return [_scrubbed(v, removed, section=section) for v in value]
    if isinstance(value, tuple):
        return tuple(_scrubbed(v, removed, section=section) for v in value)
    if dataclasses.is_dataclass(value) and not isinstance(value, DiagramPart | type):
        changes = {}
        for f in dataclasses.fields(value):
            if f.name in ("sections", "diagram", "annex"):
                continue
            where = section or SECTION_TITLES.get(f.name, "Encabezado")
            changes[f.name] = _scrubbed(getattr(value, f.name), removed, section=where)
        return dataclasses.replace(value, **changes)
    return value


def _snippet(text: str, length: int = 60) -> str:
    return text if len(text) <= length else text[:length].rsplit(" ", 1)[0] + "…"


class _Names:
    """Names of the things a definition refers to by id.

    Validation guarantees the ids exist; a definition exported before it is validated shows an unknown id
    as the id itself rather than failing.
    """

    def __init__(self, d: Definition) -> None:
        self.roles = {r.id: r for r in d.roles}
        self.units = {u.id: u for u in d.units}
        self.records = {r.id: r.name for r in d.records}
        self.events = {e.id: e for e in d.events}
        self.activities = {a.n: a.name for a in d.activities}
        self.time_rules = {t.id: t for t in d.time_rules}

    def role(self, role_id: str) -> str:
        if role_id == REQUESTER:
            return REQUESTER_NAME
        role = self.roles.get(role_id)
        return role.name if role else role_id

    def unit(self, unit_id: str) -> str:
        unit = self.units.get(unit_id)
        if unit is None:
            return unit_id
        return f"{unit.name} ({unit.acronym})" if unit.acronym else unit.name

    def activity(self, n: int) -> str:
        return f"{n}. {self.activities[n]}" if n in self.activities else str(n)

    def target(self, ref: ActivityRef | list[int], outcome: str | None = None) -> str:
        if isinstance(ref, list) and len(ref) > 1:
            return f"{self.parallel(ref)} (a la vez, en paralelo)"
        ref = ref[0] if isinstance(ref, list) else ref
        if ref == END:
            return f"Fin del procedimiento: {outcome}" if outcome else "Fin del procedimiento"
        return f"Actividad {self.activity(int(ref))}"

    def parallel(self, numbers: list[int]) -> str:
        """'Actividades 15. Desarrollar… y 16. Monitorear…'"""
        names = [self.activity(n) for n in numbers]
        return f"Actividades {', '.join(names[:-1])} y {names[-1]}"


def _header(d: Definition) -> list[Item]:
    process = "—"
    if d.process is not None:
        process = f"{d.process.code} {d.process.name}" if d.process.name else d.process.code
    return [
        Item("Entidad", f"{ENTITY_NAMES[d.entity]} ({d.entity})"),
        Item("Código", d.code),
        Item("Nombre del procedimiento", d.name),
        Item("Versión", d.version),
        Item("Estado", _state(d)),
        Item("Dueño del procedimiento", d.owner),
        Item("Documento de aprobación", d.approved_by or "Pendiente"),
        Item("Proceso relacionado", process),
    ]


def _responsibles(names: _Names, activity: Activity) -> str:
    """The responsible role, or every responsible and how they share the activity."""
    if not activity.co_roles:
        return names.role(activity.role)
    joined = "; ".join(names.role(r) for r in activity.performer_roles)
    how = (
        "cada uno cumple su parte"
        if activity.completion == Completion.EACH
        else "la cumple cualquiera de ellos"
    )
    return f"{joined} ({how})"


def _activity_row(d: Definition, names: _Names, activity: Activity) -> ActivityRow:
    role = d.role(activity.role)
    channel = [f"Canal: {activity.channel}"] if activity.channel else []
    return ActivityRow(
        n=activity.n,
        name=activity.name,
        kind=KIND_LABELS[activity.kind],
        description=activity.description,
        role=_responsibles(names, activity),
        unit=names.unit(activity.unit or role.unit) if activity.unit or role.unit else "—",
        records=[
            names.records.get(r, r) + (" (opcional)" if r in activity.optional_records else "")
            for r in activity.records
        ],
        systems=[*activity.systems, *channel],
        time_limits=[_time_limit(names, rule) for rule in d.time_rules if rule.activity == activity.n],
        flow=[*_flow_notes(d, names, activity), *_informs_notes(names, activity)],
        note=None,
    )


def _state(d: Definition) -> str:
    if not d.approved_by:
        return DRAFT_NOTE
    return "Borrador" if d.is_draft else "Aprobado"


def _body_note(note: str | None) -> str | None:
    return None if note is None or WORKING_NOTE.search(note) else note


def _signatures(d: Definition) -> list[Signature]:
    """Every stage has at least one row: the definition's signatories, or a blank row to fill in."""
    rows = []
    for stage, title in SIGNATURE_STAGES.items():
        people = [s for s in d.signatories if s.stage == stage]
        rows += [Signature(title, p.name, p.position or "", p.unit or "") for p in people]
        if not people:
            rows.append(Signature(title, "", "", ""))
    return rows


def _annex(d: Definition, names: _Names, removed: list[Item]) -> Annex:
    notes = [Item(f"Entrada: {i.element}", i.note) for i in d.inputs if i.note]
    for a in d.activities:
        if a.note:
            notes.append(Item(f"Actividad {names.activity(a.n)}", a.note))
        for b in a.decision.branches if a.decision else []:
            if b.note and _body_note(b.note) is None:
                notes.append(Item(f"Actividad {names.activity(a.n)}, respuesta «{b.label}»", b.note))
    notes += [
        Item(f"Plazo: {t.text}", f"Unidad asumida: {t.unit_assumed}") for t in d.time_rules if t.unit_assumed
    ]
    notes += [
        Item(f"Indicador: {i.name}", f"Supuestos de cálculo: {i.assumed}") for i in d.indicators if i.assumed
    ]
    return Annex(
        title=ANNEX_TITLE,
        intro=ANNEX_INTRO,
        source=f"documento {d.source.seed}, líneas {d.source.lines[0]} a {d.source.lines[1]}",
        inconsistencies=[InconsistencyRow(i.seed_line, i.text, i.resolution) for i in d.inconsistencies],
        notes=[*notes, *removed],
        general=d.notes,
    )


def _informs_notes(names: _Names, activity: Activity) -> list[str]:
    """Who the activity's text says is told (`informs`), with the channel the ficha names."""
    told = []
    for r in activity.informs:
        if r.role is not None:
            who = names.roles[r.role].name if r.role in names.roles else r.role
        elif r.requester:
            who = "el solicitante"
        else:
            who = f"{r.contact} <{r.address}>" if r.address else str(r.contact)
        told.append(f"{who} ({r.channel})" if r.channel else who)
    return [f"Informa a: {'; '.join(told)}."] if told else []


def _flow_notes(d: Definition, names: _Names, activity: Activity) -> list[str]:
    """How the flow leaves an activity, when that is not simply the next number."""
    notes = [f"Inicia el flujo «{f.name}»." for f in d.flows if activity.n in activity_numbers(f.start)]
    if not d.flows and isinstance(d.start, list) and len(d.start) > 1 and activity.n in d.start:
        notes.append(f"Inicia el procedimiento junto con: {names.parallel(d.start)}.")
    if activity.join:
        notes.append(f"Espera a que terminen: {names.parallel(activity.join)}.")
    if activity.when is not None:
        notes.append(f"Solo se realiza si: {condition_text(activity.when)}; si no, el sistema la omite.")
    if activity.call is not None:
        notes.append(call_summary(activity.call, names.records))
    if activity.decision is not None:
        notes.append(f"Decisión: {activity.decision.question} (ver sección Decisiones).")
        return notes
    if activity.parallel:
        notes.append(f"Continúa a la vez (en paralelo) en: {names.parallel(activity.parallel)}.")
        return notes
    successor = d.successors(activity)[0]
    following = next((a.n for a in sorted(d.activities, key=lambda a: a.n) if a.n > activity.n), END)
    if successor == END:
        notes.append(f"{names.target(END, activity.outcome)}.")
    elif successor != following:
        notes.append(f"Continúa en: {names.target(successor)}.")
    return notes


def _flow_start(start: int | list[int]) -> str:
    numbers = activity_numbers(start)
    if len(numbers) == 1:
        return f"Inicia en la actividad {numbers[0]}"
    listed = ", ".join(str(n) for n in numbers[:-1])
    return f"Inicia a la vez (en paralelo) en las actividades {listed} y {numbers[-1]}"


def _input_mandatory(d: Definition, item: Input) -> str:
    if not item.mandatory or not item.flows:
        return _yes_no(item.mandatory)
    names = {f.id: f.name for f in d.flows}
    return "Sí, en el flujo: " + "; ".join(names.get(flow, flow) for flow in item.flows)


def _amount(rule: TimeRule) -> str:
    if rule.unit == TimeUnit.YEAR_END:
        if rule.amount == 1:
            return "hasta el 31 de diciembre del año en curso"
        return f"hasta el 31 de diciembre, {rule.amount - 1} año(s) después"
    singular, plural = UNIT_LABELS[rule.unit]
    return f"{rule.amount} {singular if rule.amount == 1 else plural}"


def _anchor(names: _Names, anchor: str) -> str:
    if anchor == CASE_START:
        return "el inicio del procedimiento"
    event = names.events.get(anchor)
    if event is None:
        return anchor
    if event.moment == EventMoment.START:
        return f"{event.name} (al iniciar la actividad {event.activity})"
    if re.search(rf"\bactividad 0?{event.activity}\b", event.name, re.IGNORECASE):
        return event.name  # "Recepción del correo de la actividad 1" already says where
    return f"{event.name} (al terminar la actividad {event.activity})"


def _time_limit(names: _Names, rule: TimeRule) -> str:
    """The short form used in the activities table: '7 días calendario desde: <event>'."""
    meaning = "" if rule.meaning == TimeRuleMeaning.DEADLINE else f"{MEANING_LABELS[rule.meaning]}: "
    event = names.events.get(rule.anchor)
    anchor = event.name if event else _anchor(names, rule.anchor)
    return f"{meaning}{_amount(rule)} desde: {anchor}"


def _time_rule_row(d: Definition, names: _Names, rule: TimeRule) -> TimeRuleRow:
    return TimeRuleRow(
        text=rule.text,
        applies_to=(
            f"Actividad {names.activity(rule.activity)}" if rule.activity else "Todo el procedimiento"
        ),
        amount=_amount(rule),
        anchor=_capitalised(_anchor(names, rule.anchor)),
        meaning=MEANING_LABELS[rule.meaning],
        assumed=None,
        details=_time_rule_details(rule),
    )


def _time_rule_details(rule: TimeRule) -> list[str]:
    details = []
    if rule.when is not None:
        details.append(f"Solo si: {condition_text(rule.when)}.")
    if rule.on_expiry is not None:
        action = EXPIRY_LABELS[rule.on_expiry.action].format(
            branch=rule.on_expiry.branch, outcome=rule.on_expiry.outcome or "sin resultado indicado"
        )
        details.append(
            f"Al vencer, el sistema {action}" + (f": {rule.on_expiry.text}" if rule.on_expiry.text else ".")
        )
    if rule.legal_basis:
        details.append(f"Base legal: {rule.legal_basis}")
    return details


def condition_text(condition: Condition) -> str:
    """'de 1 a 4 interfaces (plan_pruebas.numero_interfaces entre 1 y 4)'."""
    if condition.min is not None and condition.max is not None:
        test = f"entre {_number(condition.min)} y {_number(condition.max)}"
    elif condition.min is not None:
        test = f"≥ {_number(condition.min)}"
    elif condition.max is not None:
        test = f"≤ {_number(condition.max)}"
    elif condition.one_of:
        test = "en " + ", ".join(_scalar(v) for v in condition.one_of)
    else:
        test = f"= {_scalar(condition.equals)}"
    where = f"{condition.data} {test}"
    return f"{condition.text} ({where})" if condition.text else where


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def _scalar(value: object) -> str:
    if isinstance(value, bool):
        return "sí" if value else "no"
    return str(value)


def _decisions(d: Definition, names: _Names) -> list[DecisionBlock]:
    blocks = []
    for activity in d.activities:
        if activity.decision is None:
            continue
        blocks.append(
            DecisionBlock(
                activity=f"Actividad {names.activity(activity.n)}",
                question=activity.decision.question,
                role=_responsibles(names, activity),
                branches=[
                    BranchRow(b.label, names.target(b.goto, b.outcome), _body_note(b.note))
                    for b in activity.decision.branches
                ],
            )
        )
    return blocks


def _raci(d: Definition, names: _Names) -> RaciMatrix | None:
    if not d.raci:
        return None
    # Only the roles the matrix names get a column: the others would be empty columns on a narrow page.
    used = {role for row in d.raci for role in row.roles}
    role_ids = [r.id for r in d.roles if r.id in used]
    rows = [
        (names.activity(row.activity), [str(row.roles.get(role, "")) for role in role_ids]) for row in d.raci
    ]
    letters = {letter for row in d.raci for letter in row.roles.values()}
    legend = [Item(str(letter), text) for letter, text in RACI_LEGEND.items() if letter in letters]
    # Role names head the columns: past six roles they only stay legible on a landscape page, where
    # each role keeps at least about 20 mm and the activity column takes the rest.
    landscape = len(role_ids) > RACI_PORTRAIT_ROLES
    activity_share = max(25, 100 - (9 if landscape else 11) * len(role_ids))
    return RaciMatrix(
        roles=[names.role(r) for r in role_ids],
        rows=rows,
        legend=legend,
        landscape=landscape,
        activity_share=activity_share,
    )


def _records(d: Definition, names: _Names) -> list[RecordRow]:
    formats = {f.id: f for f in d.formats}
    rows = []
    for record in d.records:
        producers = [str(a.n) for a in d.activities if record.id in a.records]
        fmt = formats.get(record.format) if record.format else None
        rows.append(
            RecordRow(
                name=record.name,
                activities=", ".join(producers) or "—",
                format=_format_title(fmt.code, fmt.name) if fmt else "—",
                restricted_to=", ".join(names.role(r) for r in record.restricted_to) or "—",
                retention=record.retention or "—",
            )
        )
    return rows


def _format_title(code: str | None, name: str) -> str:
    return f"{code} — {name}" if code else name


def _formats(d: Definition) -> list[FormatBlock]:
    return [FormatBlock(_format_title(f.code, f.name), _field_rows(f.fields, depth=0)) for f in d.formats]


def _field_rows(fields: list[FormatField], *, depth: int) -> list[FieldRow]:
    rows = []
    for f in fields:
        rows.append(
            FieldRow(
                label=f.label,
                type=FIELD_TYPE_LABELS[f.type],
                required=_yes_no(f.required) + (f", en la actividad {f.activity}" if f.activity else ""),
                choices="; ".join(f.choices) or "—",
                help=f.help or "",
                depth=depth,
            )
        )
        rows.extend(_field_rows(f.columns, depth=depth + 1))
    return rows


def _indicator_block(d: Definition, names: _Names, indicator: Indicator) -> IndicatorBlock:
    basis = indicator.based_on
    based_on = [
        *(f"Actividad {names.activity(n)}" for n in basis.activities),
        *(f"Registro: {names.records.get(r, r)}" for r in basis.records),
        *(f"Evento: {names.events[e].name if e in names.events else e}" for e in basis.events),
        *(f"Plazo: {names.time_rules[t].text if t in names.time_rules else t}" for t in basis.time_rules),
        *(f"Procedimiento {code}" for code in basis.procedures),
    ]
    items = [
        Item("Nombre del indicador", indicator.name),
        Item("Objetivo del indicador", indicator.objective or "—"),
        Item("Fórmula de cálculo", indicator.formula),
        Item("Unidad de medida", indicator.unit),
        Item("Frecuencia de medición", FREQUENCY_LABELS[indicator.frequency]),
        Item("Línea base", indicator.baseline or "—"),
        Item("Meta", indicator.target),
        Item("Desviación aceptable", indicator.deviation or "—"),
        Item("Responsable del indicador", names.role(indicator.responsible)),
        Item("Fuente de datos", indicator.source),
        Item("Nivel", indicator.level.capitalize()),
        Item("Datos en que se basa", "\n".join(based_on)),
        Item("Cálculo con los expedientes", indicator_measure_text(indicator)),
    ]
    return IndicatorBlock(name=indicator.name, items=items)


def indicator_measure_text(indicator: Indicator) -> str:
    """How mapro computes the indicator from the cases (its `measure`), in words, one count per line."""
    if indicator.same_as is not None:
        return f"Se calcula con el indicador {indicator.same_as.indicator} de {indicator.same_as.procedure}."
    if indicator.measure is None:
        return f"No se calcula con los expedientes: {indicator.not_measurable or 'sin fórmula'}"
    m = indicator.measure
    lines = [
        f"Valor = numerador ÷ denominador{' × 100' if m.percent else ''}.",
        f"Numerador: {case_count_text(m.numerator)}",
        f"Denominador: {case_count_text(m.denominator)}",
        *(f"Se informa además: {case_count_text(c)}" for c in m.also),
    ]
    return "\n".join(lines)


def case_count_text(count: CaseCount) -> str:
    """'Tickets recibidos: expedientes iniciados en el periodo …' from a count of the definition."""
    whose = f" de {count.procedure}" if count.procedure else ""
    parts = [
        f"expedientes{whose} {'iniciados' if count.dated_by == 'started' else 'concluidos'} en el periodo"
    ]
    if count.closed and count.dated_by == "started":
        parts.append("concluidos al terminar el periodo")
    if count.branches:
        taken = " o ".join(f"la rama «{b.branch}» de la actividad {b.activity}" for b in count.branches)
        parts.append(f"que tomaron {taken}")
    if count.record:
        parts.append(f"con el registro {count.record}")
    if count.deadline:
        states = ", ".join(DEADLINE_STATUS_LABELS[s] for s in count.deadline.status)
        parts.append(f"con el plazo {count.deadline.time_rule} {states}")
    return f"{count.label}: {', '.join(parts)} (no cuentan los anulados)."


def _periodicity(d: Definition) -> list[Item]:
    if not d.periodicity:
        return [Item("Periodicidad", "No periódico: se ejecuta cada vez que se presenta su entrada.")]
    flows = {f.id: f.name for f in d.flows}
    items = []
    for p in d.periodicity:
        label = f"Periodicidad ({flows[p.flow]})" if p.flow in flows else "Periodicidad"
        items += [Item(label, FREQUENCY_LABELS[p.frequency]), Item("Detalle", p.text)]
        if p.month is not None or p.day is not None:
            when = " de ".join(
                part for part in (str(p.day) if p.day else "", MONTHS[p.month - 1] if p.month else "") if part
            )
            items.append(Item("Fecha de ejecución", when))
        if p.start is not None:
            items.append(Item("Parte programada", f"Desde la actividad {p.start}"))
        if p.working_days:
            items.append(Item("Días de ejecución", "Solo días hábiles de la entidad"))
    return items


def _supervision(d: Definition, names: _Names) -> list[Item]:
    s = d.supervision
    if s is None:
        return []
    items = [Item("Responsable de la supervisión", names.role(s.role))]
    if s.frequency is not None:
        items.append(Item("Frecuencia", FREQUENCY_LABELS[s.frequency]))
    if s.requests_from is not None:
        items.append(Item("Informe de acciones a cargo de", names.unit(s.requests_from)))
    if s.reports_to is not None or s.reports_to_role is not None:
        body = [names.unit(s.reports_to)] if s.reports_to else []
        body += [names.role(s.reports_to_role)] if s.reports_to_role else []
        items.append(Item("Se presenta a", " — ".join(body)))
    items.append(Item("Supervisión", s.text))
    return items


def _capitalised(text: str) -> str:
    return text[:1].upper() + text[1:]


def _yes_no(value: bool) -> str:
    return "Sí" if value else "No"


def _date(value: dt.date | None) -> str:
    return value.strftime("%d/%m/%Y") if value else "—"
