"""
Routing a task to a person (mapro.cases.routing, services/routing.py): who may assign, derivar and release,
the refusals (audited, nothing changed), the proveído in the task, the history and the assignee's mail; the
reason a decision branch asks for; of two routings at the same instant exactly one is made (over real HTTP,
each request on its own connection: PostgreSQL row locks, SQLite's BEGIN IMMEDIATE).
"""

from __future__ import annotations

import itertools
import threading

import pytest
from django.contrib.auth import get_user_model
from django.db import transaction

from mapro.audit.models import AuditEvent
from mapro.cases.models import CaseTask
from mapro.cases.services import (
    case_start,
    case_task_assign,
    case_task_claim,
    case_task_complete,
    case_task_forward,
    case_task_release,
)
from mapro.catalogue.definition import load_catalogue
from mapro.catalogue.services import procedure_version_load
from mapro.catalogue.tests.sample_data import baja_inputs
from mapro.core.errors import ConflictError, InvalidInputError, NotAllowedError, NotFoundError
from mapro.mail.models import OutboundEmail
from mapro.organization.models import Entity, Person, Role, Unit

from .conftest import person
from .test_concurrency import api_session, procedures_load, second_holder
from .test_every_branch_api import CATALOGUE

ANALYST = "analista_mesa_servicios"
ROUNDS = 3


def _events(task: CaseTask, action: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(case=task.case, action=action).order_by("seq"))


def _denials(task: CaseTask) -> int:
    return AuditEvent.objects.filter(case=task.case, action="permission.denied").count()


def _refused(call, error: type[Exception], task: CaseTask, *, audited: bool) -> Exception:
    """The call is refused with `error`; the task is as it was, and a 403 leaves one audit event."""
    before = CaseTask.objects.filter(pk=task.pk).values("assignee", "routing_note").get()
    denials = _denials(task)
    with pytest.raises(error) as caught:
        call()
    assert CaseTask.objects.filter(pk=task.pk).values("assignee", "routing_note").get() == before
    assert _denials(task) == denials + (1 if audited else 0)
    return caught.value


@pytest.mark.django_db
def test_who_may_assign_derivar_and_release_a_task():
    analyst, director, officer = (person("MVCS", r) for r in (ANALYST, "director_oti", "oficial_seguridad"))
    colleague = second_holder(entity_code="MVCS", role_code=ANALYST, username="mvcs.analista2")
    entity = Entity.objects.get(code="MVCS")
    user = get_user_model().objects.create_user("mvcs.sinrol", password="x")
    stranger = Person.objects.create(user=user, entity=entity, full_name="Sin rol")
    case = case_start(procedure_code="PR.OTI.005", requester=analyst, inputs=baja_inputs())
    task = case.tasks.get(activity=1)

    # Who may not read the case does not see the task; who reads it without a say in its routing (the
    # Oficial de Seguridad, RACI "I") is refused, audited, naming who routes it.
    _refused(lambda: case_task_claim(task_id=task.pk, actor=stranger), NotFoundError, task, audited=False)
    denied = _refused(
        lambda: case_task_assign(task_id=task.pk, actor=officer, assignee=analyst),
        NotAllowedError,
        task,
        audited=True,
    )
    assert "Director(a) de la Oficina de Tecnología de la Información" in str(denied)
    assert "asigna o deriva esta tarea" in str(denied)

    # The head (the procedure's owner) assigns to a named analyst with a proveído: kept in the task, the
    # history and the mail to the analyst.
    case_task_assign(task_id=task.pk, actor=director, assignee=analyst, note="Atender hoy: cese del 30/11.")
    task.refresh_from_db()
    assert (task.assignee, task.routing_note) == (analyst, "Atender hoy: cese del 30/11.")
    (assigned,) = _events(task, "task.assigned")
    assert (assigned.actor, assigned.before, assigned.after) == (
        director,
        {"assignee": None},
        {"assignee": analyst.pk, "note": "Atender hoy: cese del 30/11."},
    )
    assert assigned.summary.endswith(f"actividad 1 asignada a {analyst}")
    mail = OutboundEmail.objects.get(key__startswith=f"task:{task.pk}:person:{analyst.pk}:routing:")
    assert "Proveído: Atender hoy: cese del 30/11." in mail.body
    assert str(director) in mail.body

    # A colleague of the role may not take it from the analyst: they ask the analyst or the head.
    denied = _refused(
        lambda: case_task_claim(task_id=task.pk, actor=colleague), NotAllowedError, task, audited=True
    )
    assert f"asignada a {analyst}; pídale que se la derive" in str(denied)
    # The head who does not hold the role may route it, not take it.
    _refused(lambda: case_task_claim(task_id=task.pk, actor=director), NotAllowedError, task, audited=True)

    # The analyst derives it to the colleague: a proveído is required; only to a holder of the role.
    error = _refused(
        lambda: case_task_forward(task_id=task.pk, actor=analyst, assignee=colleague, note="  "),
        InvalidInputError,
        task,
        audited=False,
    )
    assert list(error.field_errors) == ["note"]
    error = _refused(
        lambda: case_task_forward(task_id=task.pk, actor=analyst, assignee=officer, note="Véalo"),
        InvalidInputError,
        task,
        audited=False,
    )
    assert error.field_errors == {"assignee": [f"{officer} no tiene el rol de esta actividad."]}
    case_task_forward(task_id=task.pk, actor=analyst, assignee=colleague, note="Tengo licencia mañana.")
    task.refresh_from_db()
    assert (task.assignee, task.routing_note) == (colleague, "Tengo licencia mañana.")
    (forwarded,) = _events(task, "task.forwarded")
    assert forwarded.after == {"assignee": colleague.pk, "note": "Tengo licencia mañana."}

    # Only the assignee (or a head) releases it; released, it is the role's again and the note goes.
    _refused(lambda: case_task_release(task_id=task.pk, actor=analyst), NotAllowedError, task, audited=True)
    case_task_release(task_id=task.pk, actor=colleague)
    task.refresh_from_db()
    assert (task.assignee, task.routing_note) == (None, "")
    assert _events(task, "task.released")[0].before == {"assignee": colleague.pk}
    _refused(lambda: case_task_release(task_id=task.pk, actor=colleague), ConflictError, task, audited=False)

    # Taking a free task of one's role; again is no change and no second event.
    case_task_claim(task_id=task.pk, actor=analyst)
    case_task_claim(task_id=task.pk, actor=analyst)
    assert len(_events(task, "task.assigned")) == 2
    assert not OutboundEmail.objects.filter(key__startswith=f"task:{task.pk}:person:{analyst.pk}:routing:")[
        1:
    ]

    # The head of the unit of the activity routes too: the Mesa de Servicios' head, once the admin names
    # it (here the Oficial de Seguridad's post, so that the head reads the case).
    Unit.objects.filter(entity=entity, code="mesa_servicios").update(
        head_role=Role.objects.get(entity=entity, code="oficial_seguridad")
    )
    case_task_assign(task_id=task.pk, actor=officer, assignee=colleague)
    task.refresh_from_db()
    assert task.assignee == colleague
    assert _events(task, "task.assigned")[-1].summary.endswith(f"reasignada a {colleague}")

    # A completed task is routed no more.
    case_task_complete(task_id=task.pk, actor=colleague, data={"correo_baja": {"fecha_envio": "2026-07-24"}})
    _refused(
        lambda: case_task_assign(task_id=task.pk, actor=director, assignee=analyst),
        ConflictError,
        task,
        audited=False,
    )


def reason_definition(tmp_path):
    """PR.OTI.006 with a reason on activity 2's "NO" (until the content engineers add real ones)."""
    original = CATALOGUE.definitions["PR.OTI.006"]
    text = original.source.text
    anchor = (
        '        - label: "NO"\n          goto: 11\n'
        "          note: En la actividad 11 se responde indicando que no es"
    )
    assert text.count(anchor) == 1
    text = text.replace(
        anchor, anchor.replace("goto: 11\n", "goto: 11\n          reason: Motivo del descarte\n")
    )
    path = tmp_path / "PR_OTI_006.yaml"
    path.write_text(text, encoding="utf-8")
    catalogue = load_catalogue([path], known_codes=CATALOGUE.definitions)
    assert catalogue.ok, catalogue.errors
    with (
        transaction.atomic()
    ):  # as the loading command does (the live server's tests have no test transaction)
        procedure_version_load(loaded=catalogue.definitions["PR.OTI.006"])
    return catalogue.definitions["PR.OTI.006"].definition


@pytest.mark.django_db
def test_a_branch_with_a_reason_needs_it_and_keeps_it(tmp_path):
    from mapro.catalogue.tests.sample_data import record_data, start_inputs

    d = reason_definition(tmp_path)
    manager = person("MVCS", "responsable_plataforma_correo")
    case = case_start(procedure_code="PR.OTI.006", requester=manager, inputs=start_inputs(d))
    first = case.tasks.get(activity=1)
    case_task_complete(task_id=first.pk, actor=manager, data=record_data(d, 1))
    task = case.tasks.get(activity=2)

    for decision, reason, message in [
        ("NO", "  ", "Motivo del descarte: escríbalo para elegir «NO»."),
        ("SI", "Porque sí", "La opción «SI» no pide motivo."),
    ]:
        with pytest.raises(InvalidInputError) as error:
            case_task_complete(task_id=task.pk, actor=manager, decision=decision, reason=reason)
        assert error.value.field_errors == {"reason": [message]}
        task.refresh_from_db()
        assert task.status == CaseTask.Status.OPEN

    case_task_complete(task_id=task.pk, actor=manager, decision="NO", reason="No es ni fue usuario del MVCS.")
    task.refresh_from_db()
    assert (task.decision, task.decision_reason) == ("NO", "No es ni fue usuario del MVCS.")
    (event,) = AuditEvent.objects.filter(case=case, action="task.completed", object_id=str(task.pk))
    assert event.after["reason"] == "No es ni fue usuario del MVCS."


def _at_once(*calls):
    barrier = threading.Barrier(len(calls))
    responses: list = [None] * len(calls)

    def run(i: int) -> None:
        barrier.wait()
        responses[i] = calls[i]()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return responses


def test_of_two_routings_at_the_same_instant_exactly_one_is_made(api_url):
    """
    Two analysts take the same free task, or one takes it while another gives it to a third: whatever the
    timing, one routing is made and the other is refused: 409 when both decided on the free task (the
    assignment changed under the lock), 403 when the second came after the first was committed.
    """
    procedures_load("PR.OTI.005")
    analyst = person("MVCS", ANALYST)
    second = second_holder(entity_code="MVCS", role_code=ANALYST, username="mvcs.analista2")
    second_holder(entity_code="MVCS", role_code=ANALYST, username="mvcs.analista3")
    sessions = {"analista": api_session(analyst), "analista2": api_session(second)}
    for session in sessions.values():  # warm up the server
        assert session.get(f"{api_url}/api/v1/tasks/", timeout=60).status_code == 200
    pairs = [
        (("analista", "claim", {}), ("analista2", "claim", {})),
        (
            ("analista", "assign", {"assignee": "mvcs.analista3", "note": "Para usted."}),
            ("analista2", "claim", {}),
        ),
    ]
    losers = []
    for (first, second_call), _ in itertools.product(pairs, range(ROUNDS)):
        case = case_start(procedure_code="PR.OTI.005", requester=analyst, inputs=baja_inputs())
        task = case.tasks.get()
        calls = [
            lambda who=who, action=action, body=body, pk=task.pk: sessions[who].post(
                f"{api_url}/api/v1/tasks/{pk}/{action}/", json=body, timeout=60
            )
            for who, action, body in (first, second_call)
        ]
        responses = _at_once(*calls)
        (winner,) = [r for r in responses if r.status_code == 200]
        (loser,) = [r for r in responses if r.status_code != 200]
        assert loser.status_code in (403, 409), loser.text
        expected = "acaba de ser asignada" if loser.status_code == 409 else "pídale que se la derive"
        assert expected in loser.json()["detail"]
        losers.append(loser.status_code)
        task.refresh_from_db()
        assert task.assignee.user.username == winner.json()["assignee"]
        assert AuditEvent.objects.filter(case=case, action="task.assigned").count() == 1
    print(
        f"\nenrutamientos simultáneos: {len(losers)} pares; el segundo recibió 409 {losers.count(409)} "
        f"veces y 403 {losers.count(403)}"
    )
