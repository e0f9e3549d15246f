"""
Indicators of the catalogue computed from case data, and deadline compliance (docs/indicators.md).

An indicator's formula is written once, as data, in its definition (`Indicator.measure`: a numerator and a
denominator, each a count of cases); this module evaluates it for an entity and a period. An indicator the
cases cannot give (`not_measurable`), or one with nothing to divide by, comes back "sin datos" with the
reason, never as 0. Reads only.

Public interface (the supervision report calls it): `indicator_values` and `deadline_compliance`.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Literal

from django.db.models import QuerySet

from mapro.cases.models import Case, Deadline
from mapro.cases.selectors import definition_of
from mapro.catalogue.definition import Definition
from mapro.catalogue.definition.schema import CaseCount, Frequency, Indicator, Measure
from mapro.catalogue.export.content import FREQUENCY_LABELS
from mapro.catalogue.models import ProcedureVersion
from mapro.catalogue.selectors import catalogue_from_repository
from mapro.core.errors import NotFoundError
from mapro.organization.models import Entity

from .indicator_selectors import (
    Period,
    case_count_queryset,
    case_counts_by_period,
    deadline_queryset,
    deadline_rows,
)

CUMPLE = "cumple"
DENTRO = "dentro de la desviación"
NO_CUMPLE = "no cumple"
SIN_DATOS = "sin datos"

PERCENT = re.compile(r"(-?\d+(?:[.,]\d+)?)\s*%?")
TWO_PLACES = Decimal("0.01")


@dataclass(frozen=True)
class CountValue:
    """One count of an indicator: what it counts (the ficha's words) and how many cases."""

    key: str  # numerator, denominator, also-0, also-1 …: the drill-down names it
    label: str
    count: int


@dataclass(frozen=True)
class IndicatorValue:
    procedure_code: str  # the procedure whose ficha holds the indicator (a process code for process fichas)
    indicator_id: str
    name: str
    formula: str  # the seed's words
    unit: str
    frequency: str
    level: str
    responsible: str
    start: dt.date
    end: dt.date
    value: Decimal | None  # None = sin datos (see `reason`)
    numerator: int | None
    denominator: int | None
    baseline: Decimal | None
    target: Decimal | None
    deviation: Decimal | None
    baseline_text: str
    target_text: str
    deviation_text: str
    verdict: str  # cumple | dentro de la desviación | no cumple | sin datos
    reason: str  # why the verdict (always set for "sin datos")
    percent: bool = True
    numerator_label: str = ""
    denominator_label: str = ""
    also: list[CountValue] = field(default_factory=list)
    measured: bool = True  # False: the definition says the cases cannot give it

    @property
    def counts(self) -> list[CountValue]:
        """Numerator, denominator and the counts shown beside them (for tables and drill-down links)."""
        if not self.measured:
            return []
        return [
            CountValue("numerator", self.numerator_label, self.numerator or 0),
            CountValue("denominator", self.denominator_label, self.denominator or 0),
            *self.also,
        ]

    @property
    def frequency_label(self) -> str:
        return FREQUENCY_LABELS.get(Frequency(self.frequency), self.frequency)

    @property
    def value_text(self) -> str:
        if self.value is None:
            return SIN_DATOS
        return f"{self.value} %" if self.percent else str(self.value)


@dataclass(frozen=True)
class ComplianceRow:
    key: str  # procedure code or role id
    label: str
    met: int
    missed: int
    pending: int
    expired: int
    start: dt.date
    end: dt.date

    @property
    def total(self) -> int:
        return self.met + self.missed + self.pending + self.expired

    @property
    def compliance(self) -> Decimal | None:
        """Met / (met + missed), in %: pending deadlines are not yet decided, expired windows are not owed."""
        settled = self.met + self.missed
        if not settled:
            return None
        return (Decimal(100) * self.met / settled).quantize(TWO_PLACES, ROUND_HALF_UP)


# --- where the indicators are -----------------------------------------------------------------------------


@dataclass(frozen=True)
class IndicatorSource:
    """An indicator with the ficha it belongs to and the procedure whose definition resolves its counts."""

    holder_code: str  # the procedure or process whose ficha holds it
    indicator: Indicator
    definition: Definition | None  # the holder procedure's current definition; None for a process ficha
    covers: tuple[str, ...]  # procedures whose cases it reads


def _current_definitions(entity: Entity, codes: Collection[str] | None) -> list[Definition]:
    versions = ProcedureVersion.objects.filter(entity=entity, is_current=True).only("pk", "source_sha256")
    if codes is not None:
        versions = versions.filter(code__in=list(codes))
    definitions = [definition_of(v.pk, v.source_sha256) for v in versions]
    return sorted(definitions, key=lambda d: d.code)


def indicator_sources(
    *, entity: Entity, procedure_codes: Collection[str] | None = None
) -> list[IndicatorSource]:
    """
    Every indicator of the entity's catalogue: those of its procedure fichas (current versions), then those
    of its process fichas. An indicator computed by another (`same_as`, the same seed ficha written on the
    process ficha too) is left out: it is listed once, where its formula is.
    """
    sources = [
        IndicatorSource(d.code, indicator, d, (d.code,))
        for d in _current_definitions(entity, procedure_codes)
        for indicator in d.indicators
        if indicator.same_as is None
    ]
    for loaded in catalogue_from_repository().process_maps:
        if loaded.process_map.entity != entity.code:
            continue
        for process in loaded.process_map.processes:
            for indicator in process.indicators:
                if indicator.same_as is not None:
                    continue
                covers = tuple(_process_indicator_procedures(indicator, process.procedures))
                if procedure_codes is not None and not set(covers) & set(procedure_codes):
                    continue
                sources.append(IndicatorSource(process.code, indicator, None, covers))
    return sources


def _process_indicator_procedures(indicator: Indicator, process_procedures: list[str]) -> list[str]:
    if indicator.measure is not None:
        counts = [indicator.measure.numerator, indicator.measure.denominator]
        return sorted({c.procedure for c in counts if c.procedure})
    return indicator.based_on.procedures or process_procedures


def indicator_source(*, entity: Entity, procedure_code: str, indicator_id: str) -> IndicatorSource:
    for source in indicator_sources(entity=entity):
        if source.holder_code == procedure_code and source.indicator.id == indicator_id:
            return source
    raise NotFoundError(f"No existe el indicador {indicator_id} de {procedure_code} en {entity.code}.")


# --- values -----------------------------------------------------------------------------------------------


def indicator_values(
    *,
    entity: Entity,
    start: dt.date,
    end: dt.date,
    procedure_codes: Collection[str] | None = None,
) -> list[IndicatorValue]:
    """Every indicator of the entity's fichas (optionally of some procedures) for the days start..end."""
    period = Period(start, end)
    sources = indicator_sources(entity=entity, procedure_codes=procedure_codes)
    return [_values(entity, source, [period])[0] for source in sources]


def indicator_series(
    *, entity: Entity, procedure_code: str, indicator_id: str, end: dt.date, count: int = 12
) -> list[IndicatorValue]:
    """The indicator over its last `count` periods of its frequency (a monthly one: months) up to `end`."""
    source = indicator_source(entity=entity, procedure_code=procedure_code, indicator_id=indicator_id)
    return _values(entity, source, periods_ending(end, source.indicator.frequency, count))


def periods_ending(end: dt.date, frequency: str, count: int) -> list[Period]:
    """
    The `count` calendar periods of a frequency, the last one holding `end` (cut at `end`): days, weeks
    (Monday to Sunday), fortnights (1-15, 16-end), months, quarters, semesters, years. An indicator measured
    on demand is shown by month.
    """
    periods: list[Period] = []
    day = end
    for _ in range(count):
        start, stop = _period_around(day, frequency)
        periods.append(Period(start, min(stop, end)))
        day = start - dt.timedelta(days=1)
    return periods[::-1]


def _period_around(day: dt.date, frequency: str) -> tuple[dt.date, dt.date]:
    if frequency == "daily":
        return day, day
    if frequency == "weekly":
        start = day - dt.timedelta(days=day.weekday())
        return start, start + dt.timedelta(days=6)
    if frequency == "biweekly":
        if day.day <= 15:
            return day.replace(day=1), day.replace(day=15)
        return day.replace(day=16), _month_end(day)
    months = {"quarterly": 3, "semiannual": 6, "annual": 12}.get(frequency, 1)
    first_month = (day.month - 1) // months * months + 1
    start = dt.date(day.year, first_month, 1)
    last = dt.date(day.year, first_month + months - 1, 1)
    return start, _month_end(last)


def _month_end(day: dt.date) -> dt.date:
    following = (day.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    return following - dt.timedelta(days=1)


def indicator_cases(
    *, entity: Entity, start: dt.date, end: dt.date, procedure_code: str, indicator_id: str, key: str
) -> QuerySet[Case]:
    """The cases one count of an indicator takes (`key`: numerator, denominator, also-N): the drill-down."""
    source = indicator_source(entity=entity, procedure_code=procedure_code, indicator_id=indicator_id)
    count = _count_by_key(source.indicator, key)
    return case_count_queryset(
        entity=entity, code=_count_procedure(source, count), count=count, period=Period(start, end)
    ).order_by("started_at", "pk")


def _count_by_key(indicator: Indicator, key: str) -> CaseCount:
    measure = indicator.measure
    if measure is None:
        raise NotFoundError(f"El indicador {indicator.id} no se calcula con casos.")
    if key in ("numerator", "denominator"):
        return getattr(measure, key)
    if key.startswith("also-") and key[5:].isdigit() and int(key[5:]) < len(measure.also):
        return measure.also[int(key[5:])]
    raise NotFoundError(f"El indicador {indicator.id} no tiene el conteo {key}.")


def _count_procedure(source: IndicatorSource, count: CaseCount) -> str:
    return count.procedure or source.holder_code


def _values(entity: Entity, source: IndicatorSource, periods: list[Period]) -> list[IndicatorValue]:
    """The indicator for each period; each count is one query for all the periods together."""
    measure = source.indicator.measure
    if measure is None:
        return [_value(source, period, {}) for period in periods]
    counts = {
        key: case_counts_by_period(
            entity=entity, code=_count_procedure(source, count), count=count, periods=periods
        )
        for key, count in _keyed_counts(measure)
    }
    return [
        _value(source, period, {key: n[i] for key, n in counts.items()}) for i, period in enumerate(periods)
    ]


def _keyed_counts(measure: Measure) -> list[tuple[str, CaseCount]]:
    return [
        ("numerator", measure.numerator),
        ("denominator", measure.denominator),
        *((f"also-{i}", count) for i, count in enumerate(measure.also)),
    ]


def _value(source: IndicatorSource, period: Period, counts: dict[str, int]) -> IndicatorValue:
    """The value and verdict of one period from its counts (by key: numerator, denominator, also-N)."""
    indicator = source.indicator
    responsible = indicator.responsible
    if source.definition is not None:
        responsible = next(
            (r.name for r in source.definition.roles if r.id == indicator.responsible), responsible
        )
    common = {
        "procedure_code": source.holder_code,
        "indicator_id": indicator.id,
        "name": indicator.name,
        "formula": indicator.formula,
        "unit": indicator.unit,
        "frequency": indicator.frequency.value,
        "level": indicator.level,
        "responsible": responsible,
        "start": period.start,
        "end": period.end,
        "baseline": parse_amount(indicator.baseline),
        "target": parse_amount(indicator.target),
        "deviation": parse_amount(indicator.deviation),
        "baseline_text": indicator.baseline or "",
        "target_text": indicator.target,
        "deviation_text": indicator.deviation or "",
    }
    measure = indicator.measure
    if measure is None:
        reason = indicator.not_measurable or "El indicador no tiene fórmula sobre los casos."
        return IndicatorValue(
            **common,
            value=None,
            numerator=None,
            denominator=None,
            verdict=SIN_DATOS,
            reason=reason,
            measured=False,
        )

    numerator, denominator = counts["numerator"], counts["denominator"]
    also = [CountValue(f"also-{i}", c.label, counts[f"also-{i}"]) for i, c in enumerate(measure.also)]
    labels = {
        "percent": measure.percent,
        "numerator_label": measure.numerator.label,
        "denominator_label": measure.denominator.label,
        "also": also,
    }
    if denominator == 0:
        reason = (
            f"No hay casos en el periodo para el denominador («{measure.denominator.label}» = 0): "
            "el indicador no se puede calcular."
        )
        return IndicatorValue(
            **common,
            **labels,
            value=None,
            numerator=numerator,
            denominator=0,
            verdict=SIN_DATOS,
            reason=reason,
        )
    scale = Decimal(100) if measure.percent else Decimal(1)
    value = (scale * numerator / denominator).quantize(TWO_PLACES, ROUND_HALF_UP)
    verdict, reason = judge(value, common["baseline"], common["target"], common["deviation"])
    return IndicatorValue(
        **common,
        **labels,
        value=value,
        numerator=numerator,
        denominator=denominator,
        verdict=verdict,
        reason=reason,
    )


def parse_amount(text: str | None) -> Decimal | None:
    """'99%' → 99; '1 %' → 1; '0,5' → 0.5; text without a number → None."""
    if not text:
        return None
    match = PERCENT.search(text)
    if match is None:
        return None
    try:
        return Decimal(match.group(1).replace(",", "."))
    except InvalidOperation:
        return None


def judge(
    value: Decimal, baseline: Decimal | None, target: Decimal | None, deviation: Decimal | None
) -> tuple[str, str]:
    """
    The verdict against the target: reached → cumple; short of it by no more than the deviation → dentro de
    la desviación; else no cumple. The direction is up, unless the baseline is above the target (a value to
    bring down).
    """
    if target is None:
        return SIN_DATOS, "La ficha no da una meta numérica para comparar el valor."
    downward = baseline is not None and baseline > target
    gap = (value - target) if downward else (target - value)
    if gap <= 0:
        return CUMPLE, f"Alcanza la meta ({target})."
    if deviation is not None and gap <= deviation:
        return DENTRO, f"A {gap} de la meta ({target}), dentro de la desviación admitida ({deviation})."
    return NO_CUMPLE, f"A {gap} de la meta ({target})" + (
        f", fuera de la desviación admitida ({deviation})." if deviation is not None else "."
    )


# --- deadline compliance ----------------------------------------------------------------------------------


def deadline_compliance(
    *,
    entity: Entity,
    start: dt.date,
    end: dt.date,
    by: Literal["procedure", "role"] = "procedure",
    procedure_codes: Collection[str] | None = None,
) -> list[ComplianceRow]:
    """
    Deadlines of the entity's cases falling due in start..end, per procedure or per role: met, missed,
    pending (not yet settled) and expired (validity windows that ran out), and met / (met + missed) in %.
    A deadline without a task (a case-wide rule) counts for the role responsible of its activity.
    """
    period = Period(start, end)
    definitions = _Definitions()
    tally: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    labels: dict[str, str] = {}
    for row in deadline_rows(entity=entity, period=period, procedure_codes=procedure_codes):
        definition = definitions.get(row.version_id)
        if by == "procedure":
            key, label = row.code, f"{row.code} {definition.name}"
        else:
            key = _deadline_role(row.role_code, row.activity, definition)
            label = _role_name(definition, key)
        labels.setdefault(key, label)
        tally[key][row.status] += row.count
    return [
        ComplianceRow(
            key=key,
            label=labels[key],
            met=tally[key][Deadline.Status.MET],
            missed=tally[key][Deadline.Status.MISSED],
            pending=tally[key][Deadline.Status.PENDING],
            expired=tally[key][Deadline.Status.EXPIRED],
            start=start,
            end=end,
        )
        for key in sorted(tally)
    ]


def deadline_compliance_rows(
    *, entity: Entity, start: dt.date, end: dt.date, by: Literal["procedure", "role"], key: str
) -> list[Deadline]:
    """The deadline rows behind one line of `deadline_compliance` (drill-down), by due time."""
    deadlines = deadline_queryset(
        entity=entity, period=Period(start, end), code=key if by == "procedure" else None
    )
    if by == "procedure":
        return list(deadlines)
    definitions = _Definitions()
    return [
        d
        for d in deadlines
        if _deadline_role(
            d.task.role_code if d.task else None, d.activity, definitions.get(d.case.procedure_version_id)
        )
        == key
    ]


class _Definitions:
    """Parsed definitions by version id, read once per call (and kept by `definition_of` across calls)."""

    def __init__(self) -> None:
        self._keys = dict(ProcedureVersion.objects.values_list("pk", "source_sha256"))

    def get(self, version_id: int) -> Definition:
        return definition_of(version_id, self._keys[version_id])


def _deadline_role(role_code: str | None, activity_n: int | None, definition: Definition) -> str:
    if role_code:
        return role_code
    activity = next((a for a in definition.activities if a.n == activity_n), None)
    return activity.role if activity is not None else "—"


def _role_name(definition: Definition, role_id: str) -> str:
    if role_id == "requester" or role_id in {r.id for r in definition.roles}:
        return definition.role(role_id).name
    return role_id
