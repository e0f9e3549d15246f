"""
Conditions on case data: the one place that reads a data path and tests a `Condition` of a definition.

A data path names a case input (`inputs.<id>`) or a field of a record (`<record id>.<field id>`); a record
read is the latest CaseRecord of that id in the case (a decision taken twice counts as last taken). Time
rules with `when`, guarded activities (`Activity.when`) and the inputs a call passes on all read case data
through here, so they can never disagree about what a path means.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from mapro.catalogue.definition.schema import Condition, Definition

from ..models import Case, CaseRecord

INPUTS = "inputs"
MISSING: Any = object()  # never recorded: distinct from a recorded None or empty value


def latest_records(*, case: Case) -> dict[str, dict[str, Any]]:
    """The data of the latest CaseRecord of each record id of the case (one query)."""
    latest: dict[str, dict[str, Any]] = {}
    for record_id, data in case.records.order_by("created_at", "pk").values_list("record_id", "data"):
        latest[record_id] = data or {}
    return latest


def case_data_value(*, case: Case, path: str, records: Mapping[str, Mapping[str, Any]] | None = None) -> Any:
    """
    The value at `path` in the case's data, or `MISSING` when it was never recorded. `records` (latest data
    per record id, from `latest_records`) saves the query when the caller reads several paths.
    """
    source, _, key = path.partition(".")
    if source == INPUTS:
        return (case.inputs or {}).get(key, MISSING)
    if records is None:
        row = case.records.filter(record_id=source).order_by("-created_at", "-pk").first()
        data = row.data if isinstance(row, CaseRecord) else None
    else:
        data = records.get(source)
    if not isinstance(data, Mapping):
        return MISSING
    return data.get(key, MISSING)


def condition_holds(
    condition: Condition, *, case: Case, records: Mapping[str, Mapping[str, Any]] | None = None
) -> bool:
    """Every bound the condition gives holds on the recorded value; a value never recorded makes it false."""
    value = case_data_value(case=case, path=condition.data, records=records)
    return value_satisfies(condition, value)


def value_satisfies(condition: Condition, value: Any) -> bool:
    if value is MISSING or value is None or value == "":
        return False
    if condition.equals is not None and not _same(value, condition.equals):
        return False
    if condition.one_of and not any(_same(value, option) for option in condition.one_of):
        return False
    if condition.min is not None or condition.max is not None:
        number = _number(value)
        if number is None:
            return False
        if condition.min is not None and number < condition.min:
            return False
        if condition.max is not None and number > condition.max:
            return False
    return True


def _same(value: Any, expected: Any) -> bool:
    """Equal as written; a number recorded as text ("4") equals the number 4; text ignores case and blanks."""
    if isinstance(expected, bool) or isinstance(value, bool):
        as_text = isinstance(value, str) and value.strip().lower() == str(expected).lower()
        return value is expected or as_text
    if isinstance(expected, int | float):
        number = _number(value)
        return number is not None and number == expected
    if isinstance(value, str) and isinstance(expected, str):
        return value.strip().casefold() == expected.strip().casefold()
    return value == expected


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value.strip().replace(",", "."))
        except ValueError:
            return None
    return None


def guards_evaluate(
    definition: Definition, *, case: Case, records: Mapping[str, Mapping[str, Any]] | None = None
) -> dict[str, bool]:
    """
    Whether each guarded activity runs, keyed by its number as text: the workflow data the compiled guard
    gateways read (`guards.get("115", False)`). Empty when the definition has no guard (no query).
    """
    guarded = [a for a in definition.activities if a.when is not None]
    if not guarded:
        return {}
    if records is None:
        records = latest_records(case=case)
    return {str(a.n): condition_holds(a.when, case=case, records=records) for a in guarded}
