"""
The start form of a procedure: its inputs (mandatory ones first), for several flows the flow, and, for who may
register on someone's behalf (mapro/cases/registrars.py), the requester: themself, another person of the
entity or an outside contact. "Iniciar de todos modos" appears once a start is flagged as a duplicate.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.http import QueryDict
from django.utils.datastructures import MultiValueDict
from django.utils.safestring import mark_safe

from mapro.catalogue.definition import Definition
from mapro.catalogue.definition.schema import FieldType, Input

from .fields import FieldSpec, read_fields

FLOW_KEY = "flow"
REQUESTER_MODE = "solicitante"
MYSELF, COLLEAGUE, OUTSIDE = "yo", "persona", "externo"
REQUESTER_MODES = {
    MYSELF: "Yo mismo/a",
    COLLEAGUE: "Otra persona de la entidad",
    OUTSIDE: "Contacto externo (sin usuario en el sistema)",
}
CONFIRM_DUPLICATE = "confirm_duplicate"


@dataclass
class RequesterFields:
    """Who the case is for; the keys are those of the start service's field errors."""

    mode: str
    colleague: FieldSpec
    name: FieldSpec
    email: FieldSpec
    phone: FieldSpec
    people: list[tuple[str, str]]  # (value the picker offers: "Nombre (usuario)", unit)
    modes: dict[str, str] = field(default_factory=lambda: dict(REQUESTER_MODES))

    @property
    def fields(self) -> list[FieldSpec]:
        return [self.colleague, self.name, self.email, self.phone]

    @property
    def contact_fields(self) -> list[tuple[FieldSpec, str, str]]:
        """(field, input type, further attributes) of the outside contact; the phone opens the dial pad."""
        return [
            (self.name, "text", mark_safe('autocomplete="name"')),
            (self.email, "email", mark_safe('autocomplete="email" autocapitalize="none"')),
            (self.phone, "text", mark_safe('autocomplete="tel" inputmode="tel"')),
        ]


@dataclass
class StartForm:
    inputs: list[FieldSpec]
    flow: FieldSpec | None
    requester: RequesterFields | None = None
    confirm: FieldSpec | None = None  # "Iniciar de todos modos", once the start was flagged as a duplicate
    errors: list[str] = field(default_factory=list)
    duplicates: list[str] = field(default_factory=list)  # numbers of the open cases the start duplicates

    @property
    def fields(self) -> list[FieldSpec]:
        own = [*self.inputs, *([self.flow] if self.flow else [])]
        return [*own, *(self.requester.fields if self.requester else []), self.confirm_field]

    @property
    def confirm_field(self) -> FieldSpec:
        if self.confirm is None:
            self.confirm = FieldSpec(
                name=CONFIRM_DUPLICATE, key=CONFIRM_DUPLICATE, label="Iniciar de todos modos", type="boolean"
            )
        return self.confirm

    @property
    def confirm_shown(self) -> bool:
        return bool(self.confirm and (self.confirm.errors or self.confirm.value))

    @property
    def has_files(self) -> bool:
        return any(spec.type == FieldType.FILE for spec in self.inputs)


def requester_fields(people: list[Any], *, actor: Any) -> RequesterFields:
    """The requester's part of the form, for who may register on someone's behalf; `people`: the picker's."""

    def text(name: str, key: str, label: str, help_text: str | None = None, kind: str = "text") -> FieldSpec:
        return FieldSpec(name=name, key=key, label=label, type=kind, help=help_text)

    return RequesterFields(
        mode=MYSELF,
        colleague=text(
            "solicitante_persona",
            "requester",
            "Persona de la entidad",
            "Escriba su nombre o usuario y elíjala de la lista.",
        ),
        name=text("contacto_nombre", "requester_contact.name", "Nombre y apellidos"),
        email=text(
            "contacto_correo",
            "requester_contact.email",
            "Correo electrónico",
            "Por él se le informa del expediente.",
            kind="email",
        ),
        phone=text("contacto_telefono", "requester_contact.phone", "Teléfono"),
        people=[
            (f"{p.full_name} ({p.user.username})", p.unit.name if p.unit else "")
            for p in people
            if p.pk != actor.pk
        ],
    )


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
    form.confirm_field.value = post.get(CONFIRM_DUPLICATE, "") == "sí"
    return inputs, flow


@dataclass(frozen=True)
class RequesterChoice:
    """What the form asks the start service: a person of the entity (as typed) or an outside contact."""

    on_behalf_of: str | None = None
    contact: dict[str, str] | None = None


def read_requester(form: StartForm, post: QueryDict) -> RequesterChoice:
    """The requester part as posted (ignored for who may not register on behalf: it is not shown)."""
    fields = form.requester
    if fields is None:
        return RequesterChoice()
    fields.mode = post.get(REQUESTER_MODE, MYSELF)
    for spec in fields.fields:
        spec.value = post.get(spec.name, "").strip()
    if fields.mode == COLLEAGUE:
        return RequesterChoice(on_behalf_of=fields.colleague.value)
    if fields.mode == OUTSIDE:
        values = (fields.name.value, fields.email.value, fields.phone.value)
        return RequesterChoice(contact=dict(zip(("name", "email", "phone"), values, strict=True)))
    fields.mode = MYSELF
    return RequesterChoice()
