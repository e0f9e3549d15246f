"""Who a mail goes to: the people holding roles (with their addresses), the head of a unit."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from django.utils import timezone

from mapro.organization.models import Delegation, Entity, RoleAssignment, Unit


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
    The unit and the role code of its head: the unit's own `head_role`, else the nearest parent's that has
    one (a unit without a head answers to the unit above it).
    """
    unit = Unit.objects.filter(entity=entity, code=unit_code).select_related("head_role").first()
    current, seen = unit, set()
    while current is not None and current.pk not in seen:
        if current.head_role_id is not None:
            return unit, current.head_role.code
        seen.add(current.pk)
        current = Unit.objects.filter(pk=current.parent_id).select_related("head_role").first()
    return unit, None
