"""Who a mail goes to: the people holding roles (with their addresses), the head of a unit; keys taken."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from django.utils import timezone

from mapro.organization.models import Delegation, Entity, Role, RoleAssignment, Unit

from .models import OutboundEmail


@dataclass(frozen=True)
class Addressee:
    person_id: int
    name: str
    email: str


def role_holders(
    *, entity: Entity, role_codes: Iterable[str], on: dt.date | None = None
) -> dict[str, list[Addressee]]:
    """Per role code, the people holding it that day (directly or by an encargatura), in one query."""
    day = on or timezone.localdate()
    codes = sorted(set(role_codes))
    if not codes:
        return {}
    fields = ("role__code", "person_id", "person__full_name", "person__email")
    direct = RoleAssignment.objects.active_on(day).filter(role__entity=entity, role__code__in=codes)
    delegated = Delegation.objects.active_on(day).filter(role__entity=entity, role__code__in=codes)
    rows = direct.values_list(*fields).union(
        delegated.values_list("role__code", "delegate_id", "delegate__full_name", "delegate__email")
    )
    holders: dict[str, list[Addressee]] = defaultdict(list)
    for code, person_id, name, email in sorted(rows):
        holders[code].append(Addressee(person_id, name, email))
    return holders


def unit_head_role(*, entity: Entity, unit_code: str) -> tuple[Unit | None, str | None]:
    """
    The unit and the role code of its head: the unit's `head_role` (set in the admin); else the role the
    definitions name after the unit's head (`jefe_<unit>`, `director_<unit>`, `director_general_<unit>`:
    e.g. `director_oti`, "Director(a) de la Oficina de Tecnología de la Información"); else the same for
    the unit above it.
    """
    unit = Unit.objects.filter(entity=entity, code=unit_code).select_related("head_role").first()
    current, seen = unit, set()
    while current is not None and current.pk not in seen:
        if current.head_role_id is not None:
            return unit, current.head_role.code
        if named := _head_named_after(current):
            return unit, named
        seen.add(current.pk)
        current = Unit.objects.filter(pk=current.parent_id).select_related("head_role").first()
    return unit, None


def _head_named_after(unit: Unit) -> str | None:
    candidates = [f"jefe_{unit.code}", f"director_{unit.code}", f"director_general_{unit.code}"]
    roles = Role.objects.filter(entity_id=unit.entity_id, code__in=candidates)
    codes = set(roles.values_list("code", flat=True))
    return next((code for code in candidates if code in codes), None)


def email_key_taken(key: str) -> bool:
    """Whether a mail with this key was already enqueued (its effect already happened)."""
    return OutboundEmail.objects.filter(key=key).exists()
