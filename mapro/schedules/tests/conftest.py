"""The catalogue and the demo people, loaded once per session (as mapro/cases/tests/conftest.py does)."""

import pytest

from mapro.catalogue.services import procedure_versions_load
from mapro.organization.services import demo_people_create


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        procedure_versions_load()
        demo_people_create()
