"""Who holds which role: direct assignments plus current delegations ("o quien haga sus veces")."""

import datetime as dt

from django.db.models import QuerySet
from django.utils import timezone

from .models import Delegation, Entity, Person, RoleAssignment


def person_role_codes(*, person: Person, entity: Entity, on: dt.date | None = None) -> set[str]:
    """Role codes `person` may act in within `entity` on day `on` (today in Lima by default)."""
    day = on or timezone.localdate()
    direct = RoleAssignment.objects.active_on(day).filter(person=person, role__entity=entity)
    delegated = Delegation.objects.active_on(day).filter(delegate=person, role__entity=entity)
    return set(direct.values_list("role__code", flat=True)) | set(
        delegated.values_list("role__code", flat=True)
    )


def person_holds_role(*, person: Person, entity: Entity, role_code: str, on: dt.date | None = None) -> bool:
    return role_code in person_role_codes(person=person, entity=entity, on=on)


def people_holding_role(*, entity: Entity, role_code: str, on: dt.date | None = None) -> QuerySet[Person]:
    day = on or timezone.localdate()
    direct = RoleAssignment.objects.active_on(day).filter(role__entity=entity, role__code=role_code)
    delegated = Delegation.objects.active_on(day).filter(role__entity=entity, role__code=role_code)
    ids = set(direct.values_list("person_id", flat=True)) | set(
        delegated.values_list("delegate_id", flat=True)
    )
    return Person.objects.filter(pk__in=ids)
