"""
Registering a case on someone's behalf (docs/permissions.md, "Registrar a nombre de otra persona";
docs/decisions/0028-register-on-behalf.md).

The mesa de ayuda starts a case for a requester: a person of the entity, or an outside contact (a citizen, a
contractor: a Person without login, reused by e-mail). Who may do it is mapro/cases/registrars.py.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.db.models.functions import Lower

from mapro.core.errors import InvalidInputError
from mapro.core.text import fold
from mapro.organization.models import Entity, Person

from .forms import EMAIL, NUL

PHONE = re.compile(r"^[0-9+()\-\s]{6,40}$")
MAX_NAME = 200


@dataclass(frozen=True)
class RequesterContact:
    """An outside requester as the mesa de ayuda writes them down: checked, not yet stored."""

    name: str
    email: str
    phone: str


def requester_of_entity(*, entity: Entity, username: str) -> Person:
    """A person of the entity with a login, by username; a field error otherwise (no other entity's)."""
    person = (
        Person.objects.select_related("entity", "user")
        .filter(entity=entity, user__username=str(username).strip(), user__is_active=True)
        .first()
    )
    if person is None:
        raise InvalidInputError(
            {"requester": [f"No hay en {entity.code} una persona con el usuario «{username}»."]}
        )
    return person


def contact_check(data: Mapping[str, Any]) -> RequesterContact:
    """An outside contact's name, e-mail and phone: every problem at once, nothing written."""
    errors: dict[str, list[str]] = {}
    values = {key: str(data.get(key) or "").strip() for key in ("name", "email", "phone")}
    for key in sorted(set(data) - set(values)):
        errors[f"requester_contact.{key[:60]}"] = [
            "Campo desconocido: el contacto lleva name, email y phone."
        ]
    if any(NUL in value for value in values.values()):
        errors["requester_contact"] = ["Contiene un carácter no admitido (NUL)."]
    if not values["name"]:
        errors["requester_contact.name"] = ["Indique el nombre del solicitante."]
    elif len(values["name"]) > MAX_NAME:
        errors["requester_contact.name"] = [f"Admite como máximo {MAX_NAME} caracteres."]
    if not EMAIL.match(values["email"]) or len(values["email"]) > 254:
        errors["requester_contact.email"] = ["Indique un correo electrónico válido: por él se le informa."]
    if values["phone"] and not PHONE.match(values["phone"]):
        errors["requester_contact.phone"] = ["Debe ser un número de teléfono (dígitos, espacios, + - ( ))."]
    if errors:
        raise InvalidInputError(errors)
    return RequesterContact(name=values["name"], email=values["email"].lower(), phone=values["phone"])


def contact_person(*, entity: Entity, contact: RequesterContact) -> Person:
    """
    The outside requester: the entity's outside contact with that e-mail (case-insensitive), its name and
    phone brought up to date, or a new one. Call inside the start's transaction: on error nothing is kept.
    """
    person = (
        Person.objects.filter(entity=entity, user__isnull=True)
        .annotate(email_lower=Lower("email"))
        .filter(email_lower=contact.email)
        .order_by("pk")
        .first()
    )
    if person is None:
        return Person.objects.create(
            entity=entity, user=None, full_name=contact.name, email=contact.email, phone=contact.phone
        )
    changed = {"full_name": contact.name, "phone": contact.phone or person.phone}
    if any(getattr(person, key) != value for key, value in changed.items()):
        for key, value in changed.items():
            setattr(person, key, value)
        person.save(update_fields=[*changed, "updated_at"])
    return person


def requester_candidates(*, entity: Entity, query: str = "", limit: int = 500) -> list[Person]:
    """People of the entity with a login, by name, for the start form's picker (accent-insensitive)."""
    people = Person.objects.filter(entity=entity, user__isnull=False, user__is_active=True).select_related(
        "user", "unit"
    )
    rows = list(people.order_by("full_name")[: limit * 4 if query else limit])
    if query:
        needle = fold(query)
        rows = [p for p in rows if needle in fold(p.full_name) or needle in p.user.username.lower()]
    return rows[:limit]


def requester_by_label(*, entity: Entity, text: str) -> Person:
    """
    The person a start names as requester: a username (the API), "Nombre (usuario)" as the web picker offers
    it, or a name only one person of the entity has. An ambiguous or unknown name is a field error.
    """
    text = str(text).strip()
    if not text:
        raise InvalidInputError({"requester": ["Elija la persona de la entidad que pide el trámite."]})
    if match := re.search(r"\(([^()\s]+)\)\s*$", text):
        return requester_of_entity(entity=entity, username=match.group(1))
    people = Person.objects.filter(entity=entity, user__isnull=False, user__is_active=True)
    by_username = people.filter(user__username=text).first()
    if by_username is not None:
        return by_username
    needle = fold(text)
    named = [p for p in people.only("pk", "full_name", "entity") if fold(p.full_name) == needle]
    if len(named) == 1:
        return named[0]
    message = (
        "Hay varias personas con ese nombre: elija una de la lista (nombre y usuario)."
        if named
        else f"No hay en {entity.code} una persona con ese nombre o usuario: elija una de la lista."
    )
    raise InvalidInputError({"requester": [message]})
