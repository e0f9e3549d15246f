"""The start form of a procedure: its inputs (mandatory ones first) and, for several flows, the flow."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.http import QueryDict
from django.utils.datastructures import MultiValueDict

from mapro.catalogue.definition import Definition
from mapro.catalogue.definition.schema import FieldType, Input

from .fields import FieldSpec, read_fields

FLOW_KEY = "flow"


@dataclass
class StartForm:
    inputs: list[FieldSpec]
    flow: FieldSpec | None
    errors: list[str] = field(default_factory=list)

    @property
    def fields(self) -> list[FieldSpec]:
        return [*self.inputs, *([self.flow] if self.flow else [])]

    @property
    def has_files(self) -> bool:
        return any(spec.type == FieldType.FILE for spec in self.inputs)


def start_form(definition: Definition) -> StartForm:
    inputs = sorted(definition.inputs, key=lambda item: not item.mandatory)
    specs = [
        FieldSpec(
            name=f"in__{item.id}",
            key=item.id,
            label=item.element,
            type=item.type.value,
            required=item.mandatory and not item.flows,
            choices=list(item.choices),
            help=_input_help(item, definition),
        )
        for item in inputs
    ]
    flow = None
    if definition.flows:
        flow = FieldSpec(
            name=FLOW_KEY,
            key=FLOW_KEY,
            label="Flujo que sigue el expediente",
            type=FieldType.CHOICE.value,
            choices=[f.id for f in definition.flows],
        )
        flow.choice_labels = {f.id: f.name for f in definition.flows}  # type: ignore[attr-defined]
    return StartForm(inputs=specs, flow=flow)


def _input_help(item: Input, definition: Definition) -> str | None:
    """Who provides the input and, for an input of some flows, where it is mandatory."""
    parts = [f"Lo proporciona: {item.provider}"] if item.provider else []
    if item.flows and item.mandatory:
        names = [f.name for f in definition.flows if f.id in item.flows]
        parts.append(f"Obligatoria en el flujo: {'; '.join(names)}.")
    return " ".join(parts) or None


def read_start_form(
    form: StartForm, post: QueryDict, files: MultiValueDict
) -> tuple[dict[str, Any], str | None]:
    inputs = read_fields(form.inputs, post, files)
    flow = None
    if form.flow is not None:
        form.flow.value = post.get(FLOW_KEY, "")
        flow = form.flow.value or None
    return inputs, flow
