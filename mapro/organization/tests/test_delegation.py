"""Delegation ("o quien haga sus veces") gives the role for its dates only; configuration is audited."""

import datetime as dt

import pytest
from django.contrib.auth import get_user_model

from mapro.audit.models import AuditEvent
from mapro.organization.models import Delegation, Entity, Person, Role, RoleAssignment
from mapro.organization.selectors import people_ids_holding_roles, person_holds_role, person_role_codes

pytestmark = pytest.mark.django_db

JULY_1, JULY_31 = dt.date(2026, 7, 1), dt.date(2026, 7, 31)


@pytest.fixture
def entity() -> Entity:
    # An entity of its own: other test modules may have loaded the catalogue's entities for the session.
    return Entity.objects.create(code="PRUEBA", name="Entidad de prueba")


def make_person(entity: Entity, username: str) -> Person:
    user = get_user_model().objects.create_user(username, password="x")
    return Person.objects.create(user=user, entity=entity, full_name=username.title())


def test_a_delegate_holds_the_role_only_between_its_dates(entity):
    role = Role.objects.create(
        entity=entity, code="oficial_seguridad", name="Oficial de Seguridad de la Información"
    )
    holder, deputy = make_person(entity, "titular"), make_person(entity, "encargado")
    RoleAssignment.objects.create(person=holder, role=role, starts_on=dt.date(2020, 1, 1))
    Delegation.objects.create(
        role=role, delegator=holder, delegate=deputy, starts_on=JULY_1, ends_on=JULY_31, reason="Vacaciones"
    )

    assert person_holds_role(person=deputy, entity=entity, role_code=role.code, on=JULY_1)
    assert person_holds_role(person=deputy, entity=entity, role_code=role.code, on=JULY_31)
    assert not person_holds_role(person=deputy, entity=entity, role_code=role.code, on=dt.date(2026, 8, 1))
    assert not person_holds_role(person=deputy, entity=entity, role_code=role.code, on=dt.date(2026, 6, 30))
    holders = people_ids_holding_roles(entity=entity, role_codes=[role.code], on=dt.date(2026, 7, 15))
    assert holders == {holder.pk, deputy.pk}


def test_an_ended_assignment_no_longer_gives_the_role(entity):
    role = Role.objects.create(
        entity=entity, code="analista_mesa_servicios", name="Analista de Mesa de Servicios"
    )
    person = make_person(entity, "analista")
    RoleAssignment.objects.create(
        person=person, role=role, starts_on=dt.date(2025, 1, 1), ends_on=dt.date(2025, 12, 31)
    )

    assert person_role_codes(person=person, entity=entity, on=dt.date(2025, 6, 1)) == {role.code}
    assert person_role_codes(person=person, entity=entity, on=dt.date(2026, 1, 1)) == set()


def test_configuration_changes_are_audit_events_with_before_and_after(entity):
    role = Role.objects.create(entity=entity, code="director_oti", name="Director(a) de la OTI")
    role.name = "Director(a) de la Oficina de Tecnología de la Información"
    role.save()
    role_events = AuditEvent.objects.filter(chain="PRUEBA", object_type="organization.Role").order_by("seq")

    assert [e.action for e in role_events] == ["config.created", "config.changed"]
    assert role_events[1].before["name"] == "Director(a) de la OTI"
    assert role_events[1].after["name"] == role.name
