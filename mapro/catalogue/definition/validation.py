"""
Catalogue-wide checks of definition files: references and the shape of the activity graph.

The schema (schema.py) checks each file alone; these checks need the file as a whole (is this role
declared?) or the whole catalogue (does the called procedure exist?). Every error names file, line, field.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from .loader import DefinitionError, LoadedDefinition, LoadedProcessMap, Loc, SourceFile, discover, load_file
from .schema import (
    DATA_PATH,
    END,
    REQUESTER,
    SUBJECT_NAMES,
    SUBJECT_PLACEHOLDER,
    Activity,
    ActivityKind,
    CaseCount,
    Completion,
    Definition,
    EventMoment,
    ExpiryAction,
    FieldType,
    FormatField,
    Frequency,
    Indicator,
    IndicatorBasis,
    Supervision,
    TimeRule,
    TimeUnit,
)

CASE_START = "case_start"
# References to the modelling sources, which belong in notes, not in the texts the work screens show.
MODELLING_REFERENCE = re.compile(r"\bseeds?\b|\blíneas? \d+", re.IGNORECASE)

# The longest term a time rule may state, per unit: one year in hours, ten years in days, months or years.
# The seeds' longest are 24 hours, 30 calendar days, 10 working days and 4 years (a retention); ten years
# keeps every deadline inside the calendar and computable in milliseconds, where 100,000,000 days ran for
# ever and 10^30 overflowed. Reasons: docs/decisions/0010-definition-limits.md.
MAX_AMOUNT: dict[TimeUnit, int] = {
    TimeUnit.CLOCK_HOURS: 8_784,  # 366 days
    TimeUnit.WORKING_HOURS: 2_000,  # 250 working days of 8 hours
    TimeUnit.CALENDAR_DAYS: 3_660,
    TimeUnit.WORKING_DAYS: 2_500,  # about 250 working days a year in Peru
    TimeUnit.MONTHS: 120,
    TimeUnit.YEARS: 10,
    TimeUnit.YEAR_END: 10,  # the end of the anchor's year, or of a later one
}
UNIT_NAMES = {
    TimeUnit.CLOCK_HOURS: "horas",
    TimeUnit.WORKING_HOURS: "horas hábiles",
    TimeUnit.CALENDAR_DAYS: "días calendario",
    TimeUnit.WORKING_DAYS: "días hábiles",
    TimeUnit.MONTHS: "meses",
    TimeUnit.YEARS: "años",
    TimeUnit.YEAR_END: "cierres de año",
}


@dataclass
class Catalogue:
    """The result of reading a set of definition files: what is valid, and every error found."""

    definitions: dict[str, LoadedDefinition] = field(default_factory=dict)
    process_maps: list[LoadedProcessMap] = field(default_factory=list)
    errors: list[DefinitionError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


def load_catalogue(
    paths: Sequence[Path],
    *,
    known_codes: Iterable[str] = (),
    known_calls: Mapping[str, Iterable[str]] | None = None,
    known_definitions: Mapping[str, Definition] | None = None,
) -> Catalogue:
    """
    Read every definition under `paths` and check it, alone and against the others.

    `known_codes` are procedure codes that exist outside `paths` (already in the database, or the rest of
    the repository), so a file can be validated on its own and still call another procedure; `known_calls`
    are the procedures each of those calls, so a cycle that closes through them is found too;
    `known_definitions` are those procedures' definitions, so a call's input mapping is checked against them.
    """
    catalogue = Catalogue()
    loaded: list[LoadedDefinition] = []
    for path in discover(paths):
        result = load_file(path)
        if isinstance(result, list):
            catalogue.errors.extend(result)
        elif isinstance(result, LoadedProcessMap):
            catalogue.process_maps.append(result)
        else:
            loaded.append(result)

    seen: dict[str, Path] = {}
    for item in loaded:
        code = item.definition.code
        if code in seen:
            catalogue.errors.append(
                item.source.error(("code",), f"el código {code} ya está definido en {seen[code]}")
            )
        seen.setdefault(code, item.source.path)
    all_codes = set(seen) | set(known_codes)

    by_code = dict(known_definitions or {})
    by_code.update({item.definition.code: item.definition for item in loaded})
    for item in loaded:
        errors = definition_errors(item.source, item.definition, all_codes, by_code)
        if errors:
            catalogue.errors.extend(errors)
        elif seen[item.definition.code] == item.source.path:
            catalogue.definitions[item.definition.code] = item
    for process_map in catalogue.process_maps:
        catalogue.errors.extend(process_map_errors(process_map, all_codes, by_code))
    for item, error in call_cycle_errors(catalogue.definitions.values(), known_calls or {}):
        catalogue.errors.append(error)
        catalogue.definitions.pop(item.definition.code, None)
    catalogue.errors.sort(key=lambda e: (str(e.path), e.line))
    return catalogue


def procedure_calls(definition: Definition) -> set[str]:
    return {a.call.procedure for a in definition.activities if a.call is not None}


def call_cycle(start: str, calls: Mapping[str, Iterable[str]]) -> list[str] | None:
    """A chain of calls from `start` back to itself (`start`, …, `start`), or None; iterative."""
    parent: dict[str, str] = {}
    pending = [start]
    while pending:
        code = pending.pop()
        for callee in sorted(calls.get(code, ())):
            if callee == start:
                chain = [code]
                while chain[-1] != start:
                    chain.append(parent[chain[-1]])
                return [start, *reversed(chain[:-1]), start] if code != start else [start, start]
            if callee not in parent and callee in calls:
                parent[callee] = code
                pending.append(callee)
    return None


def call_cycle_errors(
    items: Iterable[LoadedDefinition], known_calls: Mapping[str, Iterable[str]]
) -> list[tuple[LoadedDefinition, DefinitionError]]:
    """
    Calls that come back to the caller through other procedures (A calls B, B calls A): starting a case
    would start child cases for ever. Each definition on a cycle gets an error at its call activity.
    """
    items = list(items)
    calls: dict[str, set[str]] = {code: set(callees) for code, callees in known_calls.items()}
    calls.update({item.definition.code: procedure_calls(item.definition) for item in items})
    errors = []
    for item in items:
        d = item.definition
        cycle = call_cycle(d.code, calls)
        if cycle is None:
            continue
        index = next(i for i, a in enumerate(d.activities) if a.call and a.call.procedure == cycle[1])
        message = f"llamadas en ciclo: {' → '.join(cycle)} (un procedimiento no puede volver a llamarse)"
        errors.append((item, item.source.error(("activities", index, "call", "procedure"), message)))
    return errors


def definition_errors(
    source: SourceFile,
    d: Definition,
    all_codes: set[str],
    definitions: Mapping[str, Definition] | None = None,
) -> list[DefinitionError]:
    """Errors of one definition; `definitions` (by code) lets its calls be checked against the callee."""
    checker = _Checker(source, d, all_codes, definitions or {})
    checker.run()
    return checker.errors


def indicator_measure_errors(
    indicator: Indicator, own: Definition | None, definitions: Mapping[str, Definition], all_codes: set[str]
) -> list[tuple[Loc, str]]:
    """
    What an indicator's formula refers to and does not exist: the procedure whose cases it counts, the
    decision branches, records and time rules of that procedure, or the indicator it is computed by.
    `own` is the definition holding the indicator (None in a process map: every count names its procedure).
    """
    given = [indicator.measure, indicator.same_as, indicator.not_measurable]
    if sum(item is not None for item in given) != 1:
        return [
            (
                ("measure",),
                "el indicador necesita exactamente uno de 'measure' (su fórmula como datos), 'same_as' "
                "(lo calcula otro indicador) o 'not_measurable' (por qué los casos no dan su valor)",
            )
        ]
    errors: list[tuple[Loc, str]] = []
    if indicator.same_as is not None:
        ref = indicator.same_as
        target = definitions.get(ref.procedure) or (own if own and own.code == ref.procedure else None)
        if ref.procedure not in all_codes and target is None:
            errors.append((("same_as", "procedure"), f"procedimiento desconocido: {ref.procedure}"))
        elif target is not None:
            found = next((x for x in target.indicators if x.id == ref.indicator), None)
            if found is None:
                errors.append(
                    (("same_as", "indicator"), f"{ref.procedure} no tiene el indicador {ref.indicator}")
                )
            elif found.measure is None:
                errors.append(
                    (
                        ("same_as", "indicator"),
                        f"el indicador {ref.indicator} de {ref.procedure} no tiene 'measure'",
                    )
                )
    if indicator.measure is None:
        return errors
    counts = [
        (("measure", "numerator"), indicator.measure.numerator),
        (("measure", "denominator"), indicator.measure.denominator),
        *((("measure", "also", k), count) for k, count in enumerate(indicator.measure.also)),
    ]
    for loc, count in counts:
        errors.extend(_case_count_errors(count, loc, own, definitions, all_codes))
    return errors


def _case_count_errors(
    count: CaseCount,
    loc: Loc,
    own: Definition | None,
    definitions: Mapping[str, Definition],
    all_codes: set[str],
) -> list[tuple[Loc, str]]:
    if count.procedure is None:
        if own is None:
            return [((*loc, "procedure"), "en una ficha de proceso cada conteo debe nombrar su 'procedure'")]
        target: Definition | None = own
    elif own is not None and count.procedure == own.code:
        target = own
    else:
        target = definitions.get(count.procedure)
        if target is None:
            if count.procedure not in all_codes:
                return [((*loc, "procedure"), f"procedimiento desconocido: {count.procedure}")]
            return []  # known only by code (validated alone): its details are checked with the catalogue
    errors: list[tuple[Loc, str]] = []
    activities = {a.n: a for a in target.activities}
    for j, taken in enumerate(count.branches):
        activity = activities.get(taken.activity)
        if activity is None or activity.decision is None:
            errors.append(
                ((*loc, "branches", j, "activity"), f"la actividad {taken.activity} no es una decisión")
            )
        elif taken.branch not in [b.label for b in activity.decision.branches]:
            labels = ", ".join(b.label for b in activity.decision.branches)
            errors.append(
                (
                    (*loc, "branches", j, "branch"),
                    f"la actividad {taken.activity} no tiene la rama {taken.branch} ({labels})",
                )
            )
    if count.record is not None and count.record not in {r.id for r in target.records}:
        errors.append(((*loc, "record"), f"registro desconocido: {count.record}"))
    if count.deadline is not None and count.deadline.time_rule not in {t.id for t in target.time_rules}:
        errors.append(
            ((*loc, "deadline", "time_rule"), f"regla de plazo desconocida: {count.deadline.time_rule}")
        )
    return errors


def process_map_errors(
    item: LoadedProcessMap, all_codes: set[str], definitions: Mapping[str, Definition] | None = None
) -> list[DefinitionError]:
    errors = []
    for i, process in enumerate(item.process_map.processes):
        for j, indicator in enumerate(process.indicators):
            for loc, message in indicator_measure_errors(indicator, None, definitions or {}, all_codes):
                errors.append(item.source.error(("processes", i, "indicators", j, *loc), message))
    for i, process in enumerate(item.process_map.processes):
        for j, code in enumerate(process.procedures):
            if code not in all_codes:
                loc: Loc = ("processes", i, "procedures", j)
                errors.append(item.source.error(loc, f"procedimiento desconocido: {code}"))
        for j, indicator in enumerate(process.indicators):
            for k, code in enumerate(indicator.based_on.procedures):
                if code not in all_codes:
                    loc = ("processes", i, "indicators", j, "based_on", "procedures", k)
                    errors.append(
                        item.source.error(
                            loc, f"el indicador se refiere a un procedimiento desconocido: {code}"
                        )
                    )
    return errors


class _Checker:
    def __init__(
        self,
        source: SourceFile,
        definition: Definition,
        all_codes: set[str],
        definitions: Mapping[str, Definition],
    ) -> None:
        self.source = source
        self.d = definition
        self.all_codes = all_codes
        self.definitions = definitions
        self.errors: list[DefinitionError] = []
        self.numbers = {a.n for a in definition.activities}
        self.roles = {r.id for r in definition.roles}
        self.units = {u.id for u in definition.units}
        self.events = {e.id for e in definition.events}
        self.records = {r.id for r in definition.records}
        self.formats = {f.id for f in definition.formats}
        self.time_rules = {t.id for t in definition.time_rules}
        self.fin_rows = {a.n for a in definition.activities if a.kind == ActivityKind.END_EVENT}

    def fail(self, loc: Loc, message: str) -> None:
        self.errors.append(self.source.error(loc, message))

    def run(self) -> None:
        self.check_file_name()
        self.check_unique_ids()
        self.check_roles_and_units()
        self.check_activity_references()
        self.check_events_and_time_rules()
        self.check_records_and_formats()
        self.check_flows_of_inputs_and_periodicity()
        self.check_call_inputs()
        self.check_raci()
        self.check_indicators()
        self.check_subject()
        self.check_work_texts()
        if not self.errors:  # the graph is only meaningful once every reference resolves
            self.check_graph()
            self.check_conditions_and_expiry()
            self.check_variants()

    def check_file_name(self) -> None:
        expected = self.d.code.replace(".", "_").replace("/", "_").replace(" ", "_") + ".yaml"
        if self.source.path.name != expected:
            self.fail(("code",), f"el archivo debe llamarse {expected} (código {self.d.code})")

    def check_unique_ids(self) -> None:
        collections = {
            "units": self.d.units,
            "roles": self.d.roles,
            "flows": self.d.flows,
            "events": self.d.events,
            "time_rules": self.d.time_rules,
            "records": self.d.records,
            "formats": self.d.formats,
            "indicators": self.d.indicators,
            "inputs": self.d.inputs,
        }
        for name, items in collections.items():
            self._unique([item.id for item in items], name, "id", "identificador repetido")
        self._unique([a.n for a in self.d.activities], "activities", "n", "número de actividad repetido")
        for i, fmt in enumerate(self.d.formats):
            self._unique_fields(fmt.fields, ("formats", i, "fields"))
        for i, record in enumerate(self.d.records):
            self._unique_fields(record.fields, ("records", i, "fields"))

    def _unique(self, values: list, collection: str, key: str, message: str) -> None:
        seen = set()
        for i, value in enumerate(values):
            if value in seen:
                self.fail((collection, i, key), f"{message}: {value}")
            seen.add(value)

    def _unique_fields(self, fields: list[FormatField], loc: Loc) -> None:
        seen = set()
        for i, f in enumerate(fields):
            if f.id in seen:
                self.fail((*loc, i, "id"), f"campo de formato repetido: {f.id}")
            seen.add(f.id)
            if f.type == FieldType.TABLE:
                self._unique_fields(f.columns, (*loc, i, "columns"))

    def check_roles_and_units(self) -> None:
        for i, role in enumerate(self.d.roles):
            self._known_unit(role.unit, ("roles", i, "unit"))
        for i, activity in enumerate(self.d.activities):
            self._known_performer(activity.role, ("activities", i, "role"))
            for j, role in enumerate(activity.co_roles):
                self._known_performer(role, ("activities", i, "co_roles", j))
            self._check_completion(activity, ("activities", i))
            for j, recipient in enumerate(activity.informs):
                if recipient.role is not None:
                    self._informed_role(recipient.role, ("activities", i, "informs", j, "role"))
            if activity.unit is not None:
                self._known_unit(activity.unit, ("activities", i, "unit"))
        if self.d.supervision is not None:
            self._check_supervision(self.d.supervision)

    def _check_supervision(self, supervision: Supervision) -> None:
        self._known_role(supervision.role, ("supervision", "role"))
        if supervision.reports_to_role is not None:
            self._known_role(supervision.reports_to_role, ("supervision", "reports_to_role"))
        for key in ("reports_to", "requests_from"):
            if (unit := getattr(supervision, key)) is not None:
                self._known_unit(unit, ("supervision", key))

    def _known_performer(self, role: str, loc: Loc) -> None:
        """Who does an activity: a declared role, or the case's requester (never declared)."""
        if role != REQUESTER:
            self._known_role(role, loc)

    def _check_completion(self, activity: Activity, loc: Loc) -> None:
        if activity.completion != Completion.EACH:
            return
        if not activity.co_roles:
            self.fail(
                (*loc, "completion"), "'completion: each' necesita 'co_roles' (los roles que deben cumplirla)"
            )
        elif activity.decision is not None or activity.call is not None:
            self.fail(
                (*loc, "completion"),
                "'completion: each' abre una tarea por rol: no admite 'decision' ni 'call' (¿quién decide?); "
                "use 'completion: any' o separe la decisión",
            )

    def _known_role(self, role: str, loc: Loc) -> None:
        if role not in self.roles:
            self.fail(loc, f"rol desconocido: {role} (roles declarados: {', '.join(sorted(self.roles))})")

    def _informed_role(self, role: str, loc: Loc) -> None:
        if role == REQUESTER:
            self.fail(loc, "al solicitante se le informa con 'requester: true', no como rol")
        else:
            self._known_role(role, loc)

    def _known_unit(self, unit: str, loc: Loc) -> None:
        if unit not in self.units:
            self.fail(
                loc, f"unidad desconocida: {unit} (unidades declaradas: {', '.join(sorted(self.units))})"
            )

    def _known_activity(self, ref: int | str | None, loc: Loc, *, end_allowed: bool = False) -> None:
        if ref is None or (end_allowed and ref == END):
            return
        if ref not in self.numbers:
            self.fail(loc, f"la actividad {ref} no existe")

    def _known_activities(self, refs: object, loc: Loc, *, end_allowed: bool = False) -> None:
        """A single reference, or a list of them (a parallel start): each must exist, none twice."""
        if not isinstance(refs, list):
            self._known_activity(refs, loc, end_allowed=end_allowed)
            return
        for k, ref in enumerate(refs):
            if ref in refs[:k]:
                self.fail((*loc, k), f"actividad repetida en la lista: {ref}")
            else:
                self._known_activity(ref, (*loc, k))

    def check_activity_references(self) -> None:
        if self.d.start is not None:
            self._known_activities(self.d.start, ("start",))
        if self.d.flows and self.d.start is not None:
            self.fail(("start",), "con 'flows' cada flujo indica su inicio: quite 'start'")
        for i, flow in enumerate(self.d.flows):
            self._known_activities(flow.start, ("flows", i, "start"))
        for i, activity in enumerate(self.d.activities):
            self._known_activity(activity.next, ("activities", i, "next"), end_allowed=True)
            self._known_activities(activity.parallel, ("activities", i, "parallel"))
            self._known_activities(activity.join, ("activities", i, "join"))
            if activity.decision is not None:
                for j, branch in enumerate(activity.decision.branches):
                    loc: Loc = ("activities", i, "decision", "branches", j, "goto")
                    self._known_activities(branch.goto, loc, end_allowed=True)
            if activity.call is not None and activity.call.procedure not in self.all_codes:
                self.fail(
                    ("activities", i, "call", "procedure"),
                    f"llamada a un procedimiento desconocido: {activity.call.procedure}",
                )
            if activity.call is not None and activity.call.procedure == self.d.code:
                self.fail(
                    ("activities", i, "call", "procedure"), "un procedimiento no puede llamarse a sí mismo"
                )

    def _not_fin_row(self, ref: int | None, loc: Loc, what: str) -> None:
        """A numbered "Fin del procedimiento" row (kind end_event) has no task: nothing starts or is due."""
        if ref in self.fin_rows:
            self.fail(
                loc, f"la actividad {ref} es la fila «Fin del procedimiento» (end_event), sin tarea: {what}"
            )

    def check_events_and_time_rules(self) -> None:
        for i, flow in enumerate(self.d.flows):
            for start in flow.start if isinstance(flow.start, list) else [flow.start]:
                self._not_fin_row(start, ("flows", i, "start"), "no puede ser el inicio")
        if not self.d.flows:
            for start in self.d.start_activities():
                self._not_fin_row(start, ("start",), "no puede ser el inicio")
        for i, event in enumerate(self.d.events):
            self._known_activity(event.activity, ("events", i, "activity"))
            self._not_fin_row(event.activity, ("events", i, "activity"), "no es un evento de anclaje")
        if CASE_START in self.events:
            self.fail(("events",), f"'{CASE_START}' es un evento predefinido: use otro identificador")
        for i, rule in enumerate(self.d.time_rules):
            self._known_activity(rule.activity, ("time_rules", i, "activity"))
            self._not_fin_row(rule.activity, ("time_rules", i, "activity"), "no tiene plazo")
            if rule.amount > MAX_AMOUNT[rule.unit]:
                self.fail(
                    ("time_rules", i, "amount"),
                    f"plazo de {rule.amount} {UNIT_NAMES[rule.unit]}: el máximo es {MAX_AMOUNT[rule.unit]}",
                )
            if rule.anchor != CASE_START and rule.anchor not in self.events:
                known = ", ".join(sorted(self.events | {CASE_START}))
                self.fail(
                    ("time_rules", i, "anchor"),
                    f"evento de anclaje desconocido: {rule.anchor} (eventos: {known})",
                )

    def check_records_and_formats(self) -> None:
        for i, record in enumerate(self.d.records):
            if record.format is not None and record.format not in self.formats:
                self.fail(("records", i, "format"), f"formato desconocido: {record.format}")
            for j, role in enumerate(record.restricted_to):
                self._known_role(role, ("records", i, "restricted_to", j))
        for i, activity in enumerate(self.d.activities):
            for j, record in enumerate(activity.records):
                if record not in self.records:
                    self.fail(("activities", i, "records", j), f"registro desconocido: {record}")
        used = {r.format for r in self.d.records if r.format}
        for i, fmt in enumerate(self.d.formats):
            if fmt.id not in used:
                self.fail(("formats", i, "id"), f"el formato {fmt.id} no lo produce ningún registro")
            records = {r.id for r in self.d.records if r.format == fmt.id}
            what = f"un registro del formato {fmt.id}"
            self._check_field_activities(fmt.fields, records, what, ("formats", i, "fields"))
        for i, record in enumerate(self.d.records):
            what = f"el registro {record.id}"
            self._check_field_activities(record.fields, {record.id}, what, ("records", i, "fields"))

    def _check_field_activities(
        self, fields: list[FormatField], records: set[str], what: str, loc: Loc
    ) -> None:
        """A field filled at a given activity: that activity produces the record (or one of the format)."""
        producers = {a.n for a in self.d.activities if records & set(a.records)}
        for j, f in enumerate(fields):
            if f.activity is not None and f.activity not in producers:
                shown = ", ".join(map(str, sorted(producers))) or "ninguna"
                self.fail(
                    (*loc, j, "activity"),
                    f"la actividad {f.activity} no produce {what} (lo producen: {shown})",
                )

    def check_flows_of_inputs_and_periodicity(self) -> None:
        flows = {f.id for f in self.d.flows}
        known = ", ".join(sorted(flows)) or "el procedimiento no tiene flujos"
        for i, item in enumerate(self.d.inputs):
            for j, flow in enumerate(item.flows):
                if flow not in flows:
                    self.fail(("inputs", i, "flows", j), f"flujo desconocido: {flow} ({known})")
        seen: set[str | None] = set()
        for i, periodicity in enumerate(self.d.periodicity):
            if periodicity.flow is not None and periodicity.flow not in flows:
                self.fail(("periodicity", i, "flow"), f"flujo desconocido: {periodicity.flow} ({known})")
            if periodicity.flow in seen:
                which = f"el flujo {periodicity.flow}" if periodicity.flow else "el procedimiento"
                self.fail(("periodicity", i, "flow"), f"{which} ya tiene periodicidad: una por flujo")
            seen.add(periodicity.flow)
        if len(self.d.periodicity) > 1 and None in seen:
            self.fail(("periodicity",), "con varias periodicidades, cada una indica su 'flow'")
        self.check_scheduled_part()

    def check_scheduled_part(self) -> None:
        """A calendar-started periodicity says which flow it starts; its start and preset inputs exist."""
        numbers = {a.n for a in self.d.activities}
        inputs = {item.id for item in self.d.inputs}
        for i, periodicity in enumerate(self.d.periodicity):
            scheduled = periodicity.frequency != Frequency.ON_DEMAND
            if scheduled and self.d.flows and periodicity.flow is None:
                self.fail(
                    ("periodicity", i, "flow"),
                    "el procedimiento tiene varios flujos: indique cuál se inicia según calendario",
                )
            if periodicity.start is not None and periodicity.start not in numbers:
                self.fail(("periodicity", i, "start"), f"actividad inexistente: {periodicity.start}")
            for key in periodicity.inputs:
                if key not in inputs:
                    self.fail(
                        ("periodicity", i, "inputs", key), f"el procedimiento no tiene la entrada {key}"
                    )

    def check_call_inputs(self) -> None:
        for i, activity in enumerate(self.d.activities):
            call = activity.call
            if call is not None and call.wait and activity.records:
                self.fail(
                    ("activities", i, "records"),
                    "una llamada que espera el cierre del expediente llamado no produce registros: la "
                    "solicitud que lo inicia es otra actividad (o use wait: false)",
                )
            callee = self.definitions.get(call.procedure) if call is not None else None
            if callee is None:  # no call, or a procedure known only by its code: nothing to compare
                continue
            loc: Loc = ("activities", i, "call")
            flows = {f.id for f in callee.flows}
            if call.flow is None and flows:
                self.fail(
                    (*loc, "flow"),
                    f"{callee.code} tiene varios flujos: indique cuál inicia ({', '.join(sorted(flows))})",
                )
            elif call.flow is not None and call.flow not in flows:
                known = ", ".join(sorted(flows)) or "no tiene flujos"
                self.fail((*loc, "flow"), f"flujo desconocido en {callee.code}: {call.flow} ({known})")
            callee_inputs = {item.id: item for item in callee.inputs}
            mapped = set()
            for j, mapping in enumerate(call.inputs):
                if mapping.input not in callee_inputs:
                    self.fail(
                        (*loc, "inputs", j, "input"), f"{callee.code} no tiene la entrada {mapping.input}"
                    )
                if mapping.input in mapped:
                    self.fail((*loc, "inputs", j, "input"), f"entrada asignada dos veces: {mapping.input}")
                mapped.add(mapping.input)
                if mapping.source is not None:
                    self._check_source(mapping.source, (*loc, "inputs", j, "source"))
            for item in callee.inputs:
                in_flow = not item.flows or call.flow in item.flows
                if item.mandatory and in_flow and item.id not in mapped:
                    self.fail(
                        (*loc, "inputs"),
                        f"falta la entrada obligatoria {item.id} de {callee.code} ({item.element})",
                    )

    def _check_source(self, path: str, loc: Loc) -> None:
        """`inputs.<id>`: an input of this procedure; `<record>.<field>`: a field of a record it produces."""
        head, name = path.split(".", 1)
        if head == "inputs":
            if name not in {item.id for item in self.d.inputs}:
                self.fail(loc, f"el procedimiento no tiene la entrada {name}")
            return
        produced = {r for a in self.d.activities for r in a.records}
        record = next((r for r in self.d.records if r.id == head), None)
        if record is None or head not in produced:
            self.fail(loc, f"ninguna actividad produce el registro {head}")
            return
        fields = {"observaciones"}
        if record.format is None or record.format in self.formats:
            fields = {f.id for f in self.d.record_fields(record)} or fields
        if name not in fields:
            self.fail(loc, f"el registro {head} no tiene el campo {name}")

    def check_subject(self) -> None:
        """Every placeholder of the subject template names something a case has."""
        if self.d.subject is None:
            return
        for placeholder in SUBJECT_PLACEHOLDER.findall(self.d.subject):
            if placeholder in SUBJECT_NAMES:
                continue
            if not DATA_PATH.fullmatch(placeholder):
                names = ", ".join(
                    f"{{{n}}}" for n in ["inputs.<id>", "<registro>.<campo>", *sorted(SUBJECT_NAMES)]
                )
                self.fail(("subject",), f"marcador desconocido {{{placeholder}}}: use {names}")
                continue
            self._check_source(placeholder, ("subject",))

    def check_work_texts(self) -> None:
        """What the work screens show holds the ficha's words, never references to the modelling sources."""
        for i, activity in enumerate(self.d.activities):
            texts = {("name",): activity.name, ("description",): activity.description}
            for j, variant in enumerate(activity.variants):
                texts[("variants", j, "text")] = variant.text
            if activity.decision is not None:
                texts[("decision", "question")] = activity.decision.question
                for j, branch in enumerate(activity.decision.branches):
                    texts[("decision", "branches", j, "label")] = branch.label
            for loc, text in texts.items():
                found = MODELLING_REFERENCE.search(text)
                if found:
                    self.fail(
                        ("activities", i, *loc),
                        f"«{found.group(0)}» es una nota de modelado: llévela a 'note' o a 'inconsistencies'",
                    )

    def check_raci(self) -> None:
        for i, row in enumerate(self.d.raci):
            self._known_activity(row.activity, ("raci", i, "activity"))
            for role in row.roles:
                self._known_role(role, ("raci", i, "roles", role))

    def check_indicators(self) -> None:
        for i, indicator in enumerate(self.d.indicators):
            self._known_role(indicator.responsible, ("indicators", i, "responsible"))
            self._check_basis(indicator, ("indicators", i, "based_on"))
            for loc, message in indicator_measure_errors(indicator, self.d, self.definitions, self.all_codes):
                self.fail(("indicators", i, *loc), message)

    def _check_basis(self, indicator: Indicator, loc: Loc) -> None:
        basis: IndicatorBasis = indicator.based_on
        for j, n in enumerate(basis.activities):
            self._known_activity(n, (*loc, "activities", j))
        refs = (("records", self.records), ("events", self.events), ("time_rules", self.time_rules))
        for key, known in refs:
            for j, ref in enumerate(getattr(basis, key)):
                if ref not in known:
                    self.fail((*loc, key, j), f"el indicador se refiere a algo que no existe: {ref}")
        for j, code in enumerate(basis.procedures):
            if code not in self.all_codes:
                self.fail(
                    (*loc, "procedures", j), f"el indicador se refiere a un procedimiento desconocido: {code}"
                )

    def check_graph(self) -> None:
        index = {a.n: i for i, a in enumerate(self.d.activities)}
        successors = {a.n: self.d.successors(a) for a in self.d.activities}

        reachable: set[int] = set()
        pending = list(self.d.start_activities())
        while pending:
            n = pending.pop()
            if n in reachable:
                continue
            reachable.add(n)
            pending.extend(s for s in successors[n] if s != END)
        for activity in self.d.activities:
            if activity.n not in reachable:
                self.fail(
                    ("activities", index[activity.n], "n"),
                    f"la actividad {activity.n} es inalcanzable desde el inicio",
                )

        # Nodes that can reach the end, by fixpoint over the reversed edges.
        finishing: set[int] = set()
        changed = True
        while changed:
            changed = False
            for n, targets in successors.items():
                if n not in finishing and any(t == END or t in finishing for t in targets):
                    finishing.add(n)
                    changed = True
        for n in sorted(reachable - finishing):
            self.fail(
                ("activities", index[n], "n"),
                f"bucle sin salida: desde la actividad {n} no se llega nunca al fin del procedimiento",
            )
        if not self.errors:
            _ParallelChecker(self).run()

    # conditions on case data and expiry actions ----------------------------------------------------------

    def check_conditions_and_expiry(self) -> None:
        index = {a.n: i for i, a in enumerate(self.d.activities)}
        for activity in self.d.activities:
            if activity.when is None:
                continue
            loc = ("activities", index[activity.n], "when")
            self._check_guard_shape(activity, loc)
            self._check_data_path(activity.when.data, (*loc, "data"), before=activity.n, strictly=True)
        events = {e.id: e for e in self.d.events}
        for i, rule in enumerate(self.d.time_rules):
            loc = ("time_rules", i)
            if rule.when is not None:
                event = events.get(rule.anchor)
                # Evaluated when the anchor fires: at the end of its activity that activity's records count.
                before = event.activity if event is not None else None
                strictly = event is None or event.moment == EventMoment.START
                self._check_data_path(
                    rule.when.data, (*loc, "when", "data"), before=before, strictly=strictly
                )
            if rule.on_expiry is not None:
                self._check_expiry(rule, loc)

    def check_variants(self) -> None:
        """`came_from` is an activity that leads straight here; `when` reads data recorded before it."""
        for i, activity in enumerate(self.d.activities):
            for j, variant in enumerate(activity.variants):
                loc = ("activities", i, "variants", j)
                if variant.came_from is not None and activity.n not in self._next_performed(
                    variant.came_from
                ):
                    self.fail(
                        (*loc, "came_from"),
                        f"la actividad {variant.came_from} no lleva directamente a la {activity.n}",
                    )
                if variant.when is not None:
                    path = variant.when.data
                    self._check_data_path(path, (*loc, "when", "data"), before=activity.n, strictly=True)

    def _next_performed(self, n: int) -> set[int]:
        """The activities that can open right after `n` completes: its successors, past guarded ones."""
        if n not in self.numbers:
            return set()
        found: set[int] = set()
        pending = list(self.d.successors(self.d.activity(n)))
        while pending:
            m = pending.pop()
            if m == END or m in found:
                continue
            found.add(m)
            if self.d.activity(m).when is not None:  # skipped when its condition fails
                pending.extend(self.d.successors(self.d.activity(m)))
        return found

    def _check_guard_shape(self, activity: Activity, loc: Loc) -> None:
        if activity.decision is not None or activity.parallel or activity.kind == ActivityKind.END:
            self.fail(
                loc,
                "una actividad con 'when' se omite pasando a su siguiente: no puede ser una decisión, un fin "
                "ni abrir ramas paralelas",
            )

    def _check_data_path(self, path: str, loc: Loc, *, before: int | None, strictly: bool) -> None:
        """
        `inputs.<id>` names a declared input; `<record>.<field>` a field of the record's format, recorded by
        an activity that can run before `before` (or be it, when not `strictly`).
        """
        source, _, key = path.partition(".")
        if source == "inputs":
            if key not in {i.id for i in self.d.inputs}:
                self.fail(loc, f"la entrada {key} no está declarada en 'inputs'")
            return
        record = next((r for r in self.d.records if r.id == source), None)
        if record is None:
            self.fail(loc, f"'{path}': {source} no es 'inputs' ni un registro declarado")
            return
        known = record.format is None or record.format in self.formats
        if not known or key not in {f.id for f in self.d.record_fields(record)}:
            self.fail(loc, f"'{path}': el registro {source} no tiene un formato con el campo {key}")
            return
        producers = [a.n for a in self.d.activities if source in a.records]
        if not producers:
            self.fail(loc, f"'{path}': ninguna actividad registra {source}")
        elif before is not None and not any(self._precedes(p, before, strictly=strictly) for p in producers):
            self.fail(loc, f"'{path}': ninguna actividad que registra {source} puede ocurrir antes")

    def _precedes(self, first: int, then: int, *, strictly: bool) -> bool:
        """Whether a case can run `first` and later reach `then` (or `then` is `first`, when not strictly)."""
        if first == then and not strictly:
            return True
        seen: set[int] = set()
        pending = [s for s in self.d.successors(self.d.activity(first)) if s != END]
        while pending:
            n = pending.pop()
            if n == then:
                return True
            if n not in seen:
                seen.add(n)
                pending.extend(s for s in self.d.successors(self.d.activity(n)) if s != END)
        return False

    def _check_expiry(self, rule: TimeRule, loc: Loc) -> None:
        action = rule.on_expiry
        if action.action == ExpiryAction.CLOSE:
            return
        if rule.activity is None:
            self.fail(
                (*loc, "on_expiry", "action"),
                f"la acción '{action.action}' necesita la 'activity' de la regla",
            )
            return
        activity = self.d.activity(rule.activity)
        if action.action == ExpiryAction.BRANCH:
            labels = [b.label for b in activity.decision.branches] if activity.decision else []
            if action.branch not in labels:
                self.fail(
                    (*loc, "on_expiry", "branch"),
                    f"la actividad {activity.n} no tiene la rama '{action.branch}'"
                    + (f" (ramas: {', '.join(labels)})" if labels else ""),
                )
        elif activity.decision is not None:
            self.fail(
                (*loc, "on_expiry", "action"),
                f"la actividad {activity.n} es una decisión: al vencer debe tomar una rama ('branch')",
            )


START = 0  # the virtual node before the first activities (activity numbers start at 1)


@dataclass(frozen=True)
class _Edge:
    """One way out of an activity (or of the start): its target, the field that names it, and whether it
    is one branch of a parallel split (a list in `parallel`, `goto` or `start`)."""

    source: int
    target: int | str
    loc: Loc
    split: bool


class _ParallelChecker:
    """
    Parallel splits and joins (docs/definition-format.md, "Parallel work"). A branch is what can be reached
    from one of a split's first activities before the join: every activity of it must be dominated by that
    first activity (no path from the start reaches it without going through the branch), so a branch never
    loops back before the split or into another branch, and two branches never meet except at a join. A
    branch leaves only towards an activity whose `join` lists where it comes from; it may not end the
    procedure while another branch waits at a join; and only its split, its own retries or a correction
    from after the join lead to its first activity, or the join would wait for ever for the other branches.
    """

    def __init__(self, checker: _Checker) -> None:
        self.c = checker
        self.d = checker.d
        self.index = {a.n: i for i, a in enumerate(self.d.activities)}
        self.edges = self._edges()
        self.dominators = self._dominators()
        self.joins = {a.n: set(a.join) for a in self.d.activities if a.join}

    def _edges(self) -> dict[int, list[_Edge]]:
        edges: dict[int, list[_Edge]] = {START: []}
        starts: list[tuple[object, Loc]] = [
            (f.start, ("flows", i, "start")) for i, f in enumerate(self.d.flows)
        ]
        if not self.d.flows:
            starts.append((self.d.start_activities() if self.d.start is None else self.d.start, ("start",)))
        for refs, loc in starts:
            edges[START].extend(_targets(START, refs, loc))
        for i, a in enumerate(self.d.activities):
            loc: Loc = ("activities", i)
            if a.decision is not None:
                out = []
                for j, branch in enumerate(a.decision.branches):
                    out.extend(_targets(a.n, branch.goto, (*loc, "decision", "branches", j, "goto")))
            elif a.parallel:
                out = _targets(a.n, a.parallel, (*loc, "parallel"))
            else:
                (target,) = self.d.successors(a)
                out = [_Edge(a.n, target, (*loc, "next" if a.next is not None else "n"), False)]
            edges[a.n] = out
        return edges

    def _dominators(self) -> dict[int, set[int]]:
        """For each activity, the nodes every path from the start to it goes through (itself included)."""
        predecessors: dict[int, set[int]] = {n: set() for n in self.edges}
        for source, out in self.edges.items():
            for edge in out:
                if edge.target != END:
                    predecessors[int(edge.target)].add(source)
        nodes = set(self.edges)
        dom = {n: set(nodes) for n in nodes}
        dom[START] = {START}
        changed = True
        while changed:
            changed = False
            for n in sorted(nodes - {START}):
                preds = [dom[p] for p in predecessors[n]]
                new = {n} | (set.intersection(*preds) if preds else set())
                if new != dom[n]:
                    dom[n], changed = new, True
        return dom

    def run(self) -> None:
        firsts: set[int] = set()
        for out in self.edges.values():
            splits = [e for e in out if e.split]
            firsts.update(int(e.target) for e in splits)
            for loc in dict.fromkeys(e.loc for e in splits):
                self._check_split([e for e in splits if e.loc == loc])
        in_branches = self._reachable(firsts)
        for n in self.joins:
            for k, m in enumerate(self.d.activity(n).join):
                loc: Loc = ("activities", self.index[n], "join", k)
                if n not in self.d.successors(self.d.activity(m)):
                    self.c.fail(
                        loc,
                        f"la actividad {m} no continúa en la actividad {n}: 'join' nombra las últimas "
                        "actividades de cada rama paralela que se une aquí",
                    )
                elif m not in in_branches:
                    message = f"la actividad {m} no está en una rama paralela que llegue aquí"
                    self.c.fail(loc, f"{message}: la unión esperaría para siempre")

    def _check_split(self, branches: list[_Edge]) -> None:
        ends: list[_Edge] = []
        joins: set[int] = set()
        regions = {int(first.target): self._branch(int(first.target), ends, joins) for first in branches}
        after = self._reachable(joins)
        for b, region in regions.items():
            self._check_entries(b, region, after)
        if joins:
            for edge in ends:
                self.c.fail(
                    edge.loc,
                    f"la actividad {edge.source} termina el procedimiento dentro de una rama paralela que "
                    "otra rama espera en una unión ('join'): la unión esperaría para siempre",
                )

    def _branch(self, b: int, ends: list[_Edge], joins: set[int]) -> set[int]:
        """The activities of the branch that starts at b; collects where it ends and the joins it reaches."""
        region, pending = {b}, [b]
        while pending:
            u = pending.pop()
            for edge in self.edges[u]:
                if edge.target == END:
                    ends.append(edge)
                    continue
                v = int(edge.target)
                if b in self.dominators[v]:
                    if v not in region:
                        region.add(v)
                        pending.append(v)
                elif u in self.joins.get(v, ()):
                    joins.add(v)
                elif v in self.joins:
                    message = (
                        f"la actividad {u} llega a la unión de la actividad {v} sin figurar en su 'join'"
                    )
                    self.c.fail(edge.loc, message)
                else:
                    self.c.fail(
                        edge.loc,
                        f"la rama paralela que empieza en la actividad {b} sigue de la actividad {u} a la "
                        f"{v}, fuera de su rama: una rama solo vuelve a actividades propias o llega a una "
                        "unión ('join')",
                    )
        return region

    def _reachable(self, sources: set[int]) -> set[int]:
        seen, pending = set(sources), list(sources)
        while pending:
            for edge in self.edges[pending.pop()]:
                if edge.target != END and int(edge.target) not in seen:
                    seen.add(int(edge.target))
                    pending.append(int(edge.target))
        return seen

    def _check_entries(self, b: int, region: set[int], after: set[int]) -> None:
        """
        A branch's first activity is entered by a split, by its own branch (a retry), or from after the join
        (a correction that reopens that branch alone: the join then waits only for branches still running).
        """
        for source, out in self.edges.items():
            for edge in out:
                if edge.target == b and not edge.split and source not in region | after:
                    where = "el inicio" if source == START else f"la actividad {source}"
                    self.c.fail(
                        edge.loc,
                        f"{where} lleva a la actividad {b}, primera de una rama paralela, sin abrir las "
                        "demás ramas: la unión las esperaría para siempre; indique todas en una lista",
                    )


def _targets(source: int, refs: object, loc: Loc) -> list[_Edge]:
    if isinstance(refs, list):
        return [_Edge(source, ref, (*loc, k), len(refs) > 1) for k, ref in enumerate(refs)]
    return [_Edge(source, refs, loc, False)]
