"""
Validating typed data against a definition: start inputs and the fields of an activity's formats.

Values arrive as JSON (API) or text (CLI `--data k=v`); each is checked against its declared type and
returned in its canonical JSON form. Errors are collected per field, in Spanish.

Every type has a bound (docs/cases.md, "Límites de los datos"; docs/decisions/0011): texts a maximum length,
numbers a magnitude, dates a window of years, tables a number of rows. NUL characters are refused everywhere
(PostgreSQL cannot store them in text or JSON).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from mapro.catalogue.definition.schema import FieldType, FormatField, Input
from mapro.core.errors import InvalidInputError

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
TRUE, FALSE = {"true", "sí", "si", "1", "yes"}, {"false", "no", "0"}


# Maximum characters of a text value, per field type; a long text is a page or two of a report.
MAX_LENGTH: dict[FieldType, int] = {
    FieldType.TEXT: 1_000,
    FieldType.LONG_TEXT: 20_000,
    FieldType.SIGNATURE: 200,
    FieldType.FILE: 255,
    FieldType.EMAIL: 254,
}
MAX_INTEGER = 2**53 - 1  # exact in every JSON reader, including JavaScript's
MAX_DECIMAL_DIGITS = 30
MAX_TABLE_ROWS = 200
YEARS = range(1900, 2101)  # dates and date-times of a record field or an input
# An effective date may go back this far before the case started (records of work done before the case
# was registered), never after today.
EFFECTIVE_DATE_BACKDATING = dt.timedelta(days=366)
NUL = "\x00"
NUL_MESSAGE = "Contiene un carácter no admitido (NUL)."


class FieldValueError(ValueError):
    pass


def _text(value: Any, *, max_length: int = MAX_LENGTH[FieldType.TEXT]) -> str:
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise FieldValueError("Debe ser un texto.")
    text = str(value).strip()
    if NUL in text:
        raise FieldValueError(NUL_MESSAGE)
    if len(text) > max_length:
        raise FieldValueError(f"Admite como máximo {max_length:,} caracteres (tiene {len(text):,}).")
    return text


def _bounded_text(field_type: FieldType) -> Callable[[Any], str]:
    return lambda value: _text(value, max_length=MAX_LENGTH[field_type])


def _integer(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise FieldValueError("Debe ser un número entero.")
    try:
        number = int(str(value).strip())
    except ValueError:
        raise FieldValueError("Debe ser un número entero.") from None
    if abs(number) > MAX_INTEGER:
        raise FieldValueError(f"Debe estar entre -{MAX_INTEGER:,} y {MAX_INTEGER:,}.")
    return number


def _decimal(value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise FieldValueError("Debe ser un número.")
    try:
        number = Decimal(str(value).strip().replace(",", "."))
    except InvalidOperation:
        raise FieldValueError("Debe ser un número.") from None
    if not number.is_finite():
        raise FieldValueError("Debe ser un número.")
    if len(number.as_tuple().digits) > MAX_DECIMAL_DIGITS or abs(number.adjusted()) > MAX_DECIMAL_DIGITS:
        raise FieldValueError(f"Admite como máximo {MAX_DECIMAL_DIGITS} dígitos.")
    return str(number)


def _boolean(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in TRUE | FALSE:
        return text in TRUE
    raise FieldValueError("Debe ser sí o no.")


def _parsed(parse: Callable[[str], Any], message: str, *, dated: bool = True) -> Callable[[Any], str]:
    def convert(value: Any) -> str:
        if not isinstance(value, str):
            raise FieldValueError(message)
        try:
            parsed = parse(value.strip())
        except ValueError:
            raise FieldValueError(message) from None
        if dated and parsed.year not in YEARS:
            raise FieldValueError(f"El año debe estar entre {YEARS.start} y {YEARS.stop - 1}.")
        return parsed.isoformat()

    return convert


def _email(value: Any) -> str:
    text = _text(value, max_length=MAX_LENGTH[FieldType.EMAIL])
    if not EMAIL.match(text):
        raise FieldValueError("Debe ser una dirección de correo electrónico válida.")
    return text


CONVERTERS: dict[FieldType, Callable[[Any], Any]] = {
    FieldType.TEXT: _bounded_text(FieldType.TEXT),
    FieldType.LONG_TEXT: _bounded_text(FieldType.LONG_TEXT),
    FieldType.SIGNATURE: _bounded_text(FieldType.SIGNATURE),
    FieldType.FILE: _bounded_text(FieldType.FILE),
    FieldType.INTEGER: _integer,
    FieldType.DECIMAL: _decimal,
    FieldType.BOOLEAN: _boolean,
    FieldType.DATE: _parsed(dt.date.fromisoformat, "Debe ser una fecha AAAA-MM-DD."),
    FieldType.DATETIME: _parsed(dt.datetime.fromisoformat, "Debe ser una fecha y hora AAAA-MM-DDTHH:MM."),
    FieldType.TIME: _parsed(dt.time.fromisoformat, "Debe ser una hora HH:MM.", dated=False),
    FieldType.EMAIL: _email,
}


def convert_value(
    field_type: FieldType, value: Any, *, choices: list[str], columns: list[FormatField]
) -> Any:
    if field_type == FieldType.CHOICE:
        if not isinstance(value, str) or value not in choices:
            raise FieldValueError(f"Elija una de las opciones: {', '.join(choices)}.")
        return value
    if field_type == FieldType.MULTI_CHOICE:
        return _choices(value, choices)
    if field_type == FieldType.TABLE:
        if not isinstance(value, list) or not all(isinstance(row, Mapping) for row in value):
            raise FieldValueError("Debe ser una lista de filas.")
        if len(value) > MAX_TABLE_ROWS:
            raise FieldValueError(f"Admite como máximo {MAX_TABLE_ROWS} filas.")
        return [_validated_row(row, columns) for row in value]
    return CONVERTERS[field_type](value)


def _choices(value: Any, choices: list[str]) -> list[str]:
    """A list of options (or, from the CLI, one text with the options separated by `;`)."""
    if isinstance(value, str):
        value = [v.strip() for v in value.split(";") if v.strip()]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise FieldValueError("Debe ser una lista de opciones (textos).")
    unknown = [v for v in value if v not in choices]
    if unknown:
        shown = ", ".join(v[:60].replace(NUL, "") for v in unknown[:5])
        raise FieldValueError(f"Opciones no válidas: {shown}. Elija entre: {', '.join(choices)}.")
    if len(set(value)) != len(value):
        raise FieldValueError("Cada opción se elige una sola vez.")
    return value


def _validated_row(row: Mapping[str, Any], columns: list[FormatField]) -> dict[str, Any]:
    errors: dict[str, list[str]] = {}
    clean = validate_fields(columns, row, errors, prefix="")
    if errors:
        raise FieldValueError("; ".join(f"{k}: {' '.join(v)}" for k, v in errors.items()))
    return clean


def _is_blank(value: Any) -> bool:
    return value is None or value == "" or value == []


def validate_fields(
    fields: Iterable[FormatField], data: Mapping[str, Any], errors: dict[str, list[str]], *, prefix: str
) -> dict[str, Any]:
    """Clean values of `fields` from `data`; problems go to `errors` under `prefix + field id`."""
    fields = list(fields)
    clean: dict[str, Any] = {}
    for name in sorted(set(data) - {f.id for f in fields}):
        errors.setdefault(f"{prefix}{_shown(name)}", []).append("Campo desconocido en este formato.")
    for field in fields:
        value = data.get(field.id)
        if _is_blank(value):
            if field.required:
                errors.setdefault(f"{prefix}{field.id}", []).append("Este campo es obligatorio.")
            continue
        try:
            clean[field.id] = convert_value(field.type, value, choices=field.choices, columns=field.columns)
        except FieldValueError as exc:
            errors.setdefault(f"{prefix}{field.id}", []).append(str(exc))
    return clean


def input_mandatory(item: Input, *, flow: str | None) -> bool:
    """An input is mandatory in the flows it names (in every flow when it names none)."""
    return item.mandatory and (not item.flows or flow in item.flows)


def fields_at(fields: Iterable[FormatField], activity: int) -> list[FormatField]:
    """The fields of a format an activity fills: its own and those not tied to an activity."""
    return [f for f in fields if f.activity is None or f.activity == activity]


def validate_inputs(
    inputs: list[Input], data: Mapping[str, Any], *, flow: str | None = None
) -> dict[str, Any]:
    """
    Start data of a case (following `flow`) against the definition's inputs; raises with every field error
    at once.
    """
    errors: dict[str, list[str]] = {}
    clean: dict[str, Any] = {}
    for name in sorted(set(data) - {i.id for i in inputs}):
        errors[_shown(name)] = ["No es una entrada de este procedimiento."]
    for item in inputs:
        value = data.get(item.id)
        if _is_blank(value):
            if input_mandatory(item, flow=flow):
                errors[item.id] = [f"Entrada obligatoria: {item.element}."]
            continue
        try:
            clean[item.id] = convert_value(item.type, value, choices=item.choices, columns=[])
            _check_domain(item, clean[item.id])
        except FieldValueError as exc:
            errors[item.id] = [str(exc)]
    if errors:
        raise InvalidInputError(errors)
    return clean


def _check_domain(item: Input, value: Any) -> None:
    """An e-mail input with `domain`: the account must be at that domain (MVCS refuses `jperez@gmail.com`)."""
    if item.domain and not str(value).lower().endswith("@" + item.domain.strip().lstrip("@").lower()):
        raise FieldValueError(f"La cuenta debe ser @{item.domain.strip().lstrip('@')}.")


def _shown(name: str) -> str:
    """An unknown key as the error names it: bounded, and without NUL (the answer is JSON for a log)."""
    return name[:100].replace(NUL, "\\0")


def validate_observations(values: Mapping[str, Any], *, prefix: str, errors: dict[str, list[str]]) -> dict:
    """A record without a format in the ficha: free observations only (a long text)."""
    for name in sorted(set(values) - {"observaciones"}):
        errors.setdefault(f"{prefix}{_shown(name)}", []).append("Este registro solo admite observaciones.")
    if _is_blank(values.get("observaciones")):
        return {}
    try:
        return {"observaciones": _text(values["observaciones"], max_length=MAX_LENGTH[FieldType.LONG_TEXT])}
    except FieldValueError as exc:
        errors.setdefault(f"{prefix}observaciones", []).append(str(exc))
        return {}


def validate_effective_date(day: dt.date | None, *, case_started: dt.date, today: dt.date) -> None:
    """The date a completion's records took effect: not after today, not long before the case began."""
    if day is None:
        return
    earliest = case_started - EFFECTIVE_DATE_BACKDATING
    if day > today:
        raise InvalidInputError({"effective_date": ["La fecha efectiva no puede ser posterior a hoy."]})
    if day < earliest:
        message = f"La fecha efectiva no puede ser anterior al {earliest:%d/%m/%Y} (un año antes del inicio)."
        raise InvalidInputError({"effective_date": [message]})
