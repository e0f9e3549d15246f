"""
Validating typed data against a definition: start inputs and the fields of an activity's formats.

Values arrive as JSON (API) or text (CLI `--data k=v`); each is checked against its declared type and
returned in its canonical JSON form. Errors are collected per field, in Spanish.
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


class FieldValueError(ValueError):
    pass


def _text(value: Any) -> str:
    if not isinstance(value, str | int | float):
        raise FieldValueError("Debe ser un texto.")
    return str(value).strip()


def _integer(value: Any) -> int:
    if isinstance(value, bool):
        raise FieldValueError("Debe ser un número entero.")
    try:
        return int(str(value).strip())
    except ValueError:
        raise FieldValueError("Debe ser un número entero.") from None


def _decimal(value: Any) -> str:
    try:
        return str(Decimal(str(value).strip().replace(",", ".")))
    except InvalidOperation:
        raise FieldValueError("Debe ser un número.") from None


def _boolean(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in TRUE | FALSE:
        return text in TRUE
    raise FieldValueError("Debe ser sí o no.")


def _parsed(parse: Callable[[str], Any], message: str) -> Callable[[Any], str]:
    def convert(value: Any) -> str:
        try:
            return parse(str(value).strip()).isoformat()
        except ValueError:
            raise FieldValueError(message) from None

    return convert


def _email(value: Any) -> str:
    text = _text(value)
    if not EMAIL.match(text):
        raise FieldValueError("Debe ser una dirección de correo electrónico válida.")
    return text


CONVERTERS: dict[FieldType, Callable[[Any], Any]] = {
    FieldType.TEXT: _text,
    FieldType.LONG_TEXT: _text,
    FieldType.SIGNATURE: _text,
    FieldType.FILE: _text,
    FieldType.INTEGER: _integer,
    FieldType.DECIMAL: _decimal,
    FieldType.BOOLEAN: _boolean,
    FieldType.DATE: _parsed(dt.date.fromisoformat, "Debe ser una fecha AAAA-MM-DD."),
    FieldType.DATETIME: _parsed(dt.datetime.fromisoformat, "Debe ser una fecha y hora AAAA-MM-DDTHH:MM."),
    FieldType.TIME: _parsed(dt.time.fromisoformat, "Debe ser una hora HH:MM."),
    FieldType.EMAIL: _email,
}


def convert_value(
    field_type: FieldType, value: Any, *, choices: list[str], columns: list[FormatField]
) -> Any:
    if field_type == FieldType.CHOICE:
        if value not in choices:
            raise FieldValueError(f"Elija una de las opciones: {', '.join(choices)}.")
        return value
    if field_type == FieldType.MULTI_CHOICE:
        values = value if isinstance(value, list) else [v.strip() for v in str(value).split(";") if v.strip()]
        unknown = [v for v in values if v not in choices]
        if unknown:
            raise FieldValueError(f"Opciones no válidas: {', '.join(unknown)}.")
        return values
    if field_type == FieldType.TABLE:
        if not isinstance(value, list) or not all(isinstance(row, Mapping) for row in value):
            raise FieldValueError("Debe ser una lista de filas.")
        return [_validated_row(row, columns) for row in value]
    return CONVERTERS[field_type](value)


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
    for name in set(data) - {f.id for f in fields}:
        errors.setdefault(f"{prefix}{name}", []).append("Campo desconocido en este formato.")
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


def validate_inputs(inputs: list[Input], data: Mapping[str, Any]) -> dict[str, Any]:
    """Start data of a case against the definition's inputs; raises with every field error at once."""
    errors: dict[str, list[str]] = {}
    clean: dict[str, Any] = {}
    for name in set(data) - {i.id for i in inputs}:
        errors[name] = ["No es una entrada de este procedimiento."]
    for item in inputs:
        value = data.get(item.id)
        if _is_blank(value):
            if item.mandatory:
                errors[item.id] = [f"Entrada obligatoria: {item.element}."]
            continue
        try:
            clean[item.id] = convert_value(item.type, value, choices=item.choices, columns=[])
        except FieldValueError as exc:
            errors[item.id] = [str(exc)]
    if errors:
        raise InvalidInputError(errors)
    return clean
