"""The catalogue and the demo people, loaded once per test session (tests roll back their own changes)."""

import pytest

from mapro.catalogue.services import procedure_versions_load
from mapro.catalogue.tests.sample_data import task_complete  # noqa: F401 - shared by the case tests
from mapro.organization.models import Person
from mapro.organization.services import demo_people_create, demo_username


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        procedure_versions_load()
        demo_people_create()


def person(entity_code: str, role_code: str) -> Person:
    from mapro.organization.models import Entity

    entity = Entity.objects.get(code=entity_code)
    return Person.objects.select_related("entity").get(
        user__username=demo_username(entity=entity, role_code=role_code)
    )
