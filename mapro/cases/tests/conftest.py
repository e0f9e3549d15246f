"""The catalogue and the demo people, loaded once per test session (tests roll back their own changes)."""

import pytest

from mapro.catalogue.services import procedure_versions_load
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


def task_complete(*, task_id: int, actor: Person, data: dict | None = None, **kwargs):
    """
    Complete a task as a person would: with the records its activity requires (sample values, unless the
    test gives its own `data`).
    """
    from mapro.cases.models import CaseTask
    from mapro.cases.selectors import case_definition
    from mapro.cases.services import case_task_complete
    from mapro.catalogue.tests.sample_data import record_data

    if data is None:
        task = CaseTask.objects.select_related("case").get(pk=task_id)
        data = record_data(case_definition(case=task.case), task.activity)
    return case_task_complete(task_id=task_id, actor=actor, data=data, **kwargs)
