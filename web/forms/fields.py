"""
Typed fields of a definition rendered as HTML inputs, and read back from a request.

Validation is not repeated here: the raw values go to the services, whose Spanish messages
(mapro/cases/services/forms.py) come back as `InvalidInputError.field_errors` and are shown on the field
they name (`FieldSpec.key`). Forms are rendered with `novalidate` so the browser's own (English) messages
never replace them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.http import QueryDict
from django.utils.datastructures import MultiValueDict

from mapro.cases.services.forms import MAX_TABLE_ROWS
from mapro.catalogue.definition.schema import FieldType, FormatField

YES, NO = "sí", "no"
TABLE_EMPTY_ROWS = 2


@dataclass
class FieldSpec:
    name: str  # the HTML name
    key: str  # the key the services use in field_errors
    label: str
    type: str
    required: bool = True
    choices: list[str] = field(default_factory=list)
    columns: list[FieldSpec] = field(default_factory=list)
    help: str | None = None
    value: Any = None
    errors: list[str] = field(default_factory=list)
    rows: list[list[FieldSpec]] = field(default_factory=list)  # table fields: one list of cells per row

    @property
    def html_type(self) -> str:
        return {
            FieldType.INTEGER: "number",
            FieldType.DATE: "date",
            FieldType.DATETIME: "datetime-local",
            FieldType.TIME: "time",
            FieldType.EMAIL: "email",
        }.get(FieldType(self.type), "text")

    @property
    def input_mode(self) -> str:
        return {FieldType.DECIMAL: "decimal", FieldType.INTEGER: "numeric"}.get(FieldType(self.type), "")

    @property
    def widget(self) -> str:
        kind = FieldType(self.type)
        if kind == FieldType.LONG_TEXT:
            return "textarea"
        if kind == FieldType.CHOICE:
            return "radios" if len(self.choices) <= 4 else "select"
        if kind in (FieldType.MULTI_CHOICE, FieldType.BOOLEAN, FieldType.FILE, FieldType.TABLE):
            return kind.value
        return "input"

    @property
    def html_id(self) -> str:
        return "f-" + self.name.replace("__", "-")


def spec_from_format_field(fmt_field: FormatField, *, prefix: str, key_prefix: str) -> FieldSpec:
    spec = FieldSpec(
        name=f"{prefix}{fmt_field.id}",
        key=f"{key_prefix}{fmt_field.id}",
        label=fmt_field.label,
        type=fmt_field.type.value,
        required=fmt_field.required,
        choices=list(fmt_field.choices),
        help=fmt_field.help,
    )
    if fmt_field.type == FieldType.TABLE:
        spec.columns = [
            spec_from_format_field(column, prefix=f"{spec.name}__", key_prefix="")
            for column in fmt_field.columns
        ]
        table_rows(spec, count=TABLE_EMPTY_ROWS)
    return spec


def table_rows(spec: FieldSpec, *, count: int, values: list[dict[str, Any]] | None = None) -> None:
    """(Re)build the cells of a table field: `count` rows, filled from `values` when given."""
    values = values or []
    spec.rows = []
    for i in range(count):
        row = []
        for column in spec.columns:
            cell = FieldSpec(
                name=f"{spec.name}__{i}__{column.key}",
                key=column.key,
                label=column.label,
                type=column.type,
                required=column.required,
                choices=column.choices,
                help=column.help,
                value=values[i].get(column.key) if i < len(values) else None,
            )
            row.append(cell)
        spec.rows.append(row)


def _blank(value: Any) -> bool:
    return value is None or value == "" or value == []


def read_value(spec: FieldSpec, post: QueryDict, files: MultiValueDict) -> Any:
    """The raw value of one field from a submitted form (a file field gives its upload's name)."""
    kind = FieldType(spec.type)
    if kind == FieldType.MULTI_CHOICE:
        return post.getlist(spec.name)
    if kind == FieldType.FILE:
        upload = files.get(spec.name)
        return upload.name if upload is not None else post.get(f"{spec.name}__kept", "").strip()
    if kind == FieldType.BOOLEAN:
        return {YES: True, NO: False}.get(post.get(spec.name, ""), "")
    if kind == FieldType.TABLE:
        count = _row_count(post.get(f"{spec.name}__rows", ""))
        rows = []
        for i in range(count):
            row = {
                column.key: read_value(
                    FieldSpec(
                        name=f"{spec.name}__{i}__{column.key}", key=column.key, label="", type=column.type
                    ),
                    post,
                    files,
                )
                for column in spec.columns
            }
            if not all(_blank(v) for v in row.values()):
                rows.append({k: v for k, v in row.items() if not _blank(v)})
        table_rows(spec, count=max(len(rows) + 1, TABLE_EMPTY_ROWS), values=rows)
        return rows
    return post.get(spec.name, "").strip()


def _row_count(raw: str) -> int:
    """The table's row count as the page posted it; anything but a small number is no rows (not a 500)."""
    raw = raw.strip()
    return min(int(raw), MAX_TABLE_ROWS) if raw.isascii() and raw.isdigit() and len(raw) <= 6 else 0


def read_fields(specs: list[FieldSpec], post: QueryDict, files: MultiValueDict) -> dict[str, Any]:
    """Raw values by field id (blank ones left out); each spec keeps its value to re-render the form."""
    values = {}
    for spec in specs:
        spec.value = read_value(spec, post, files)
        if not _blank(spec.value):
            values[spec.key.rsplit(".", 1)[-1]] = spec.value
    return values
