"""Demo organisation: a person for every role of every procedure, so any case can be run end to end."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db import transaction

from .models import Entity, Person, Role, RoleAssignment

DEMO_PASSWORD = "mapro-demo-2026"
ADMIN_USERNAME = "admin"
ADMIN_PASSWORD = "mapro-admin-2026"


@dataclass(frozen=True)
class DemoLogin:
    entity: str
    role: str
    username: str


def demo_username(*, entity: Entity, role_code: str) -> str:
    return f"{entity.code.lower()}.{role_code}"[:150]


@transaction.atomic
def demo_people_create(*, since: dt.date = dt.date(2020, 1, 1)) -> list[DemoLogin]:
    """Idempotent: one person per (entity, role), holding that role; plus the admin superuser."""
    user_model = get_user_model()
    if not user_model.objects.filter(username=ADMIN_USERNAME).exists():
        user_model.objects.create_superuser(ADMIN_USERNAME, "admin@mapro.local", ADMIN_PASSWORD)
    logins = []
    for role in Role.objects.select_related("entity").order_by("entity__code", "name"):
        username = demo_username(entity=role.entity, role_code=role.code)
        user, created = user_model.objects.get_or_create(
            username=username,
            defaults={"email": f"{username}@demo.mapro.local", "first_name": role.name[:150]},
        )
        if created:
            user.set_password(DEMO_PASSWORD)
            user.save(update_fields=["password"])
        person, _ = Person.objects.get_or_create(
            user=user,
            defaults={"entity": role.entity, "full_name": f"{role.name} (demo)", "email": user.email},
        )
        RoleAssignment.objects.get_or_create(person=person, role=role, defaults={"starts_on": since})
        logins.append(DemoLogin(entity=role.entity.code, role=role.name, username=username))
    return logins
