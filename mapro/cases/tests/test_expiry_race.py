"""
The 24-hour auto-close of S.04.04.02_P (seed 004:2212) racing the requester answering at the same instant:
exactly one wins. Only the ticket's requester may give the conformity (activity 6, role requester); their
completion goes over real HTTP (its own connection, `api_url`), the expiry runs in the test's own connection;
both take the case lock, so the loser finds the task completed (409) or the window settled (nothing to do).
"""

from __future__ import annotations

import datetime as dt
import threading
import time

from django.core.management import call_command

from mapro.audit.models import AuditEvent
from mapro.cases.models import Case, CaseTask, Deadline
from mapro.cases.services import case_start
from mapro.cases.services.deadlines import deadlines_expire
from mapro.catalogue.tests.sample_data import record_data, start_inputs

from .conftest import person, task_complete
from .test_concurrency import api_session, procedures_load
from .test_every_branch_api import CATALOGUE

ROUNDS = 4
DELAYS = (0.0, 0.05)
CLOSED_BY_SYSTEM = "Ticket cerrado automáticamente por el sistema sin respuesta del solicitante"
CONFORMING = "Requerimiento atendido / incidencia resuelta por la Mesa de ayuda (ticket cerrado)"


def at_conformity() -> tuple[Case, CaseTask]:
    """A ticket whose requester was just asked for conformity (activity 6 open, the 24 h window running)."""
    server = person("SENACE", "servidor")
    specialist = person("SENACE", "especialista_mesa_ayuda")
    inputs = start_inputs(CATALOGUE.definitions["S.04.04.02_P"].definition)
    case = case_start(procedure_code="S.04.04.02_P", requester=server, inputs=inputs)
    for decision, actor in ((None, server), ("Sí", specialist), ("Sí", specialist)):
        task = case.tasks.get(status=CaseTask.Status.OPEN)
        task_complete(task_id=task.pk, actor=actor, decision=decision)
    task = case.tasks.get(status=CaseTask.Status.OPEN)
    assert task.activity == 5, task.activity
    task_complete(task_id=task.pk, actor=specialist)
    return case, case.tasks.get(status=CaseTask.Status.OPEN, activity=6)


def test_the_expiry_and_a_person_answering_at_once_never_both_win(api_url):
    procedures_load("S.04.04.02_P")
    requester = person("SENACE", "servidor")  # who opens each ticket (at_conformity), so who answers it
    session = api_session(requester)
    conformity = record_data(CATALOGUE.definitions["S.04.04.02_P"].definition, 6)  # the record it requires
    assert session.get(f"{api_url}/api/v1/tasks/", timeout=60).status_code == 200  # warm up
    winners = set()
    for round_ in range(ROUNDS):
        case, task = at_conformity()
        window = case.deadlines.get(time_rule="cierre_automatico_24h")
        barrier = threading.Barrier(2)
        answer: dict = {}

        def person_answers(task_id: int = task.pk, barrier=barrier, answer=answer) -> None:
            barrier.wait()
            url = f"{api_url}/api/v1/tasks/{task_id}/complete/"
            answer["response"] = session.post(url, json={"decision": "Sí", "data": conformity}, timeout=60)

        thread = threading.Thread(target=person_answers)
        thread.start()
        barrier.wait()
        time.sleep(DELAYS[round_ % len(DELAYS)])  # sometimes the expiry first, sometimes the person
        settled = deadlines_expire(now=window.due_at + dt.timedelta(seconds=1))
        thread.join()

        response = answer["response"]
        case.refresh_from_db()
        task.refresh_from_db()
        window.refresh_from_db()
        if response.status_code == 200:  # the requester won: the window settled as met, nothing acted
            winners.add("person")
            assert settled == 0
            assert task.completed_by_id == requester.pk
            assert window.status == Deadline.Status.MET
            assert (task.decision, case.outcome) == ("Sí", CONFORMING)
        else:  # the system won: the requester is told the task is already done
            winners.add("system")
            assert response.status_code == 409, response.text
            assert settled == 1 and window.status == Deadline.Status.EXPIRED
            assert (task.completed_by, task.decision) == (None, "Sin respuesta del solicitante")
            assert case.outcome == CLOSED_BY_SYSTEM
        assert case.status == Case.Status.CLOSED
        completions = AuditEvent.objects.filter(case=case, action="task.completed", object_id=str(task.pk))
        assert completions.count() == 1
    print("winners:", sorted(winners))  # which side wins each round is up to the scheduler; never both
    call_command("audit", "verify")
