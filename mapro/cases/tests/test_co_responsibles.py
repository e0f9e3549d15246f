"""
Several responsibles in one activity, and the requester acting inside a step, as the seed rows write them:

- S.04.01.01_P activity 5 (seed 004:482, "Jefe/a y Coordinador/a" revisan; completion any): one task that
  either of the pair completes, and nobody else;
- S.04.03.02_P activity 202 (seed 004:1399, "Especialista en IS Especialista en SD"; completion each): one
  task per specialist, the flow goes on when both are done;
- S.04.04.02_P activity 6 (seed 004:2212, "¿Es conforme?"): the requester's conformity, theirs alone.
"""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from mapro.cases.models import Case, CaseTask
from mapro.cases.selectors import tasks_for_person
from mapro.cases.services import case_start
from mapro.cases.services import routing as routing_services
from mapro.catalogue.tests.sample_data import start_inputs
from mapro.core.errors import InvalidInputError, NotAllowedError
from mapro.organization.models import Person

from .conftest import person, task_complete
from .test_every_branch_api import CATALOGUE

pytestmark = pytest.mark.django_db


def open_tasks(case: Case) -> list[CaseTask]:
    return list(case.tasks.filter(status=CaseTask.Status.OPEN).order_by("role_code"))


def complete(task: CaseTask, actor: Person, decision: str | None = None) -> None:
    task_complete(task_id=task.pk, actor=actor, decision=decision)


def start(code: str, requester: Person, flow: str | None = None) -> Case:
    d = CATALOGUE.definitions[code].definition
    return case_start(procedure_code=code, requester=requester, inputs=start_inputs(d), flow=flow)


def api_task(actor: Person, task: CaseTask) -> dict:
    client = APIClient()
    client.force_authenticate(user=actor.user)
    case = client.get(f"/api/v1/cases/{task.case.number}/").json()
    return next(t for t in case["tasks"] if t["id"] == task.pk)


# --- any: S.04.01.01_P activity 5 --------------------------------------------------------------------------


def review_case() -> Case:
    """S.04.01.01_P up to activity 5: the initiative (requester), derived, prioritised, in the matrix."""
    requester = person("SENACE", "especialista_td")
    case = start("S.04.01.01_P", requester, flow="iniciativa")
    for actor in (requester, person("SENACE", "jefe_oti"), person("SENACE", "coordinador_oti")):
        complete(open_tasks(case)[0], actor)
    complete(open_tasks(case)[0], person("SENACE", "especialista_td"))
    return case


@pytest.fixture
def review() -> tuple[Case, CaseTask]:
    case = review_case()
    (task,) = open_tasks(case)
    assert task.activity == 5
    return case, task


@pytest.mark.parametrize("role", ["jefe_oti", "coordinador_oti"])
def test_either_responsible_of_the_pair_completes_the_review(review, role):
    case, task = review
    complete(task, person("SENACE", role), decision="Sí")
    task.refresh_from_db()
    assert task.status == CaseTask.Status.COMPLETED and task.completed_by == person("SENACE", role)
    assert [t.activity for t in open_tasks(case)] == [6]


def test_the_pair_both_see_the_review_and_a_third_role_neither_sees_nor_completes_it(review):
    _, task = review
    jefe, coordinador, third = (
        person("SENACE", r) for r in ("jefe_oti", "coordinador_oti", "especialista_td")
    )
    assert task in tasks_for_person(person=jefe) and task in tasks_for_person(person=coordinador)
    assert task not in tasks_for_person(person=third)
    with pytest.raises(NotAllowedError, match=r"Solo Jefe/a .* o Coordinador/a .* puede realizar"):
        complete(task, third, decision="Sí")
    assert api_task(jefe, task)["roles"] == ["jefe_oti", "coordinador_oti"]


def test_a_co_responsible_may_claim_and_be_assigned_the_task(review):
    _, task = review
    jefe, coordinador = person("SENACE", "jefe_oti"), person("SENACE", "coordinador_oti")
    routing_services.case_task_assign(task_id=task.pk, actor=jefe, assignee=coordinador)
    with pytest.raises(NotAllowedError):  # assigned: the other responsible asks for it back
        complete(task, jefe, decision="Sí")
    complete(task, coordinador, decision="Sí")


# --- each: S.04.03.02_P activity 202 -----------------------------------------------------------------------


def test_each_specialist_has_a_task_and_the_flow_waits_for_both():
    jefe, is_, sd = (person("SENACE", r) for r in ("jefe_oti", "especialista_is", "especialista_sd"))
    case = start("S.04.03.02_P", jefe, flow="seguridad_perimetral")
    complete(open_tasks(case)[0], jefe)  # 201: the platforms assigned
    tasks = open_tasks(case)
    assert [(t.activity, t.role_code, t.roles) for t in tasks] == [
        (202, "especialista_is", ["especialista_is"]),
        (202, "especialista_sd", ["especialista_sd"]),
    ]
    is_task, sd_task = tasks
    assert is_task in tasks_for_person(person=is_) and is_task not in tasks_for_person(person=sd)
    with pytest.raises(NotAllowedError):  # each one's part is their own
        complete(sd_task, is_)

    complete(is_task, is_)
    assert [(t.activity, t.role_code) for t in open_tasks(case)] == [(202, "especialista_sd")]

    complete(sd_task, sd)
    assert {t.activity for t in open_tasks(case)} == {203}


# --- requester: S.04.04.02_P activity 6 --------------------------------------------------------------------


@pytest.fixture
def conformity() -> tuple[Case, CaseTask, Person]:
    """S.04.04.02_P: the request (1), by Helpdesk (2: Sí), solvable (4: Sí), attended (5), then 6."""
    requester, especialista = person("SENACE", "servidor"), person("SENACE", "especialista_mesa_ayuda")
    case = start("S.04.04.02_P", requester)
    complete(open_tasks(case)[0], requester)
    for decision in ("Sí", "Sí", None):
        complete(open_tasks(case)[0], especialista, decision=decision)
    (task,) = open_tasks(case)
    assert (task.activity, task.role_code) == (6, "requester")
    return case, task, requester


def test_only_the_requester_gives_the_conformity(conformity):
    case, task, requester = conformity
    # The seed row's Especialista too (who reads the case, being involved), and the owner of the procedure.
    for role in ("especialista_mesa_ayuda", "jefe_oti"):
        with pytest.raises(NotAllowedError, match="Solo quien presentó la solicitud"):
            complete(task, person("SENACE", role), decision="Sí")
    complete(task, requester, decision="Sí")
    case.refresh_from_db()
    assert case.status == Case.Status.CLOSED


def test_the_conformity_is_in_the_requesters_inbox_and_no_one_elses(conformity):
    _, task, requester = conformity
    assert task in tasks_for_person(person=requester)
    assert task not in tasks_for_person(person=person("SENACE", "especialista_mesa_ayuda"))
    assert api_task(requester, task)["roles"] == ["requester"]
    client = APIClient()
    client.force_authenticate(user=requester.user)
    inbox = client.get("/api/v1/tasks/").json()
    assert any(row["id"] == task.pk and row["roles"] == ["requester"] for row in inbox)


def test_nobody_assigns_the_requesters_task_to_someone_else(conformity):
    _, task, requester = conformity
    especialista = person("SENACE", "especialista_mesa_ayuda")
    with pytest.raises(NotAllowedError):
        routing_services.case_task_assign(task_id=task.pk, actor=especialista, assignee=especialista)
    with pytest.raises(InvalidInputError) as error:
        routing_services.case_task_assign(task_id=task.pk, actor=requester, assignee=especialista)
    assert "no tiene el rol" in error.value.field_errors["assignee"][0]
