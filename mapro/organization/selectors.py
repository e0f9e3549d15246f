"""Who holds which role: direct assignments plus current delegations ("o quien haga sus veces")."""

import datetime as dt
from collections.abc import Iterable

from django.utils import timezone

from .models import Delegation, Entity, Person, RoleAssignment


def person_role_codes(*, person: Person, entity: Entity, on: dt.date | None = None) -> set[str]:
    """Role codes `person` may act in within `entity` on day `on` (today in Lima by default)."""
    day = on or timezone.localdate()
    direct = RoleAssignment.objects.active_on(day).filter(person=person, role__entity=entity)
    delegated = Delegation.objects.active_on(day).filter(delegate=person, role__entity=entity)
    # One query: this runs on every task a person acts on.
    return set(
        direct.values_list("role__code", flat=True).union(delegated.values_list("role__code", flat=True))
    )


def person_holds_role(*, person: Person, entity: Entity, role_code: str, on: dt.date | None = None) -> bool:
    return role_code in person_role_codes(person=person, entity=entity, on=on)


def people_ids_holding_roles(
    *, entity: Entity, role_codes: Iterable[str], on: dt.date | None = None
) -> set[int]:
    """Ids of the people holding any of `role_codes` in `entity` on day `on`, directly or by delegation."""
    day = on or timezone.localdate()
    codes = list(role_codes)
    direct = RoleAssignment.objects.active_on(day).filter(role__entity=entity, role__code__in=codes)
    delegated = Delegation.objects.active_on(day).filter(role__entity=entity, role__code__in=codes)
    return set(
        direct.values_list("person_id", flat=True).union(delegated.values_list("delegate_id", flat=True))
    )
