"""
Two holders of a role complete the same task at the same instant, over real HTTP: exactly one wins.

`case_task_complete` locks the case row (SELECT … FOR NO KEY UPDATE on PostgreSQL; on SQLite every write
transaction is BEGIN IMMEDIATE, which serialises writers the same way) and re-reads the task inside that
lock, so the second request finds it completed and gets 409 with a Spanish message instead of advancing the
workflow a second time.

The requests must be separate transactions on separate connections for this to prove anything, which the
`api_url` fixture (conftest.py) provides:
- PostgreSQL: pytest-django's `live_server` (one thread and one connection per request) on the test
  database, whose rows `transactional_db` commits.
- SQLite: the test database is in memory, and `live_server` then hands its single connection to every
  request thread, so two "concurrent" requests would share one transaction. The fixture copies the database to
  a file and serves it with the same live server thread, each request on its own connection with the
  options production uses (WAL, BEGIN IMMEDIATE, busy timeout); the test itself uses that file too.
"""

from __future__ import annotations

import datetime as dt
import threading
import time

import requests
from django.contrib.auth import get_user_model
from django.core.management import call_command
from rest_framework.authtoken.models import Token

from mapro.audit.models import AuditEvent
from mapro.cases.models import Case, CaseTask, Notification
from mapro.cases.services import case_start
from mapro.catalogue.definition import Catalogue
from mapro.catalogue.selectors import catalogue_from_repository
from mapro.catalogue.services import procedure_versions_load
from mapro.catalogue.tests.sample_data import baja_inputs
from mapro.organization.models import Entity, Person, Role, RoleAssignment
from mapro.organization.services import demo_people_create

from .conftest import person

ROUNDS = 5
DEADLINES_AFTER_ACTIVITY_1 = ["suspension_4h", "respaldo_7d", "carga_pst_25d", "eliminacion_30d"]
INFORMED_OF_ACTIVITY_1 = ["oficial_seguridad", "responsable_plataforma_correo"]  # RACI "I" roles


def procedures_load(*codes: str) -> None:
    """Only the procedures a test uses (idempotent), and a demo person for each of their roles."""
    definitions = catalogue_from_repository().definitions
    procedure_versions_load(catalogue=Catalogue(definitions={code: definitions[code] for code in codes}))
    demo_people_create()


def second_holder(*, entity_code: str, role_code: str, username: str) -> Person:
    """Another person holding the role (demo data has one per role)."""
    entity = Entity.objects.get(code=entity_code)
    user = get_user_model().objects.create_user(username, password="x")
    other = Person.objects.create(user=user, entity=entity, full_name=f"{username} (segunda)")
    role = Role.objects.get(entity=entity, code=role_code)
    RoleAssignment.objects.create(person=other, role=role, starts_on=dt.date(2020, 1, 1))
    return other


def api_session(someone: Person) -> requests.Session:
    session = requests.Session()
    token, _ = Token.objects.get_or_create(user=someone.user)
    session.headers["Authorization"] = f"Token {token.key}"
    return session


# What completing each activity of PR.OTI.005 requires: the record it produces.
RECORDS = {
    1: {"correo_baja": {"fecha_envio": "2026-07-24"}},
    2: {},
    3: {
        "respaldo_pst": {
            "fecha_respaldo": "2026-07-24",
            "ubicacion_pst": "BACKUP_CORREOS/jperez.pst",
            "fecha_carga": "2026-07-24",
        }
    },
    4: {"correo_culminacion": {"fecha_envio": "2026-07-24"}},
}


def complete_at_once(
    url: str, sessions: list[requests.Session], body: dict | None = None
) -> list[tuple[float, float, requests.Response]]:
    """POST the same completion from every session at the same instant."""
    barrier = threading.Barrier(len(sessions))
    results: list = [None] * len(sessions)

    def post(i: int) -> None:
        barrier.wait()
        sent = time.monotonic()
        response = sessions[i].post(url, json=body or {}, timeout=60)
        results[i] = (sent, time.monotonic(), response)

    threads = [threading.Thread(target=post, args=(i,)) for i in range(len(sessions))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def test_two_holders_complete_the_same_task_at_once_and_only_one_advances_the_case(api_url):
    procedures_load("PR.OTI.005")
    first = person("MVCS", "analista_mesa_servicios")
    second = second_holder(entity_code="MVCS", role_code="analista_mesa_servicios", username="mvcs.analista2")
    sessions = [api_session(first), api_session(second)]
    for session in sessions:  # warm up: authentication, URL resolution, spec parsing in the server
        assert session.get(f"{api_url}/api/v1/tasks/", timeout=60).status_code == 200

    informed = sorted(person("MVCS", role).pk for role in INFORMED_OF_ACTIVITY_1)

    for _ in range(ROUNDS):
        case = case_start(procedure_code="PR.OTI.005", requester=first, inputs=baja_inputs())
        task = case.tasks.get(status=CaseTask.Status.OPEN)

        body = {"data": RECORDS[task.activity]}
        results = complete_at_once(f"{api_url}/api/v1/tasks/{task.pk}/complete/", sessions, body)

        (sent_a, answered_a, _), (sent_b, answered_b, _) = results
        assert sent_a < answered_b and sent_b < answered_a, "the two requests did not overlap"
        by_status = {response.status_code: response for _, _, response in results}
        assert sorted(by_status) == [200, 409], [r.text for _, _, r in results]
        assert "La tarea ya fue completada por" in by_status[409].json()["detail"]
        winner = by_status[200].json()
        assert [t["activity"] for t in winner["open_tasks"]] == [2]

        # Advanced exactly once: one completion, one audit event of it, the next task created once.
        task.refresh_from_db()
        assert task.status == CaseTask.Status.COMPLETED
        assert task.completed_by in (first, second)
        tasks = list(case.tasks.order_by("activity").values_list("activity", "status"))
        assert tasks == [(1, CaseTask.Status.COMPLETED), (2, CaseTask.Status.OPEN)]
        completions = AuditEvent.objects.filter(case=case, action="task.completed")
        assert list(completions.values_list("object_id", "actor")) == [(str(task.pk), task.completed_by_id)]
        # The time rules anchored on activity 1 opened once; its RACI "I" roles were told once each, and the
        # outside address the row names (infraestructura@vivienda.gob.pe) once.
        rules = list(case.deadlines.values_list("time_rule", flat=True))
        assert sorted(rules) == sorted(DEADLINES_AFTER_ACTIVITY_1), rules
        notices = Notification.objects.filter(case=case, task=task)
        told = list(notices.filter(person__isnull=False).values_list("person", flat=True))
        assert sorted(told) == informed, told
        assert list(notices.filter(person__isnull=True).values_list("kind", "address")) == [
            ("contact", "infraestructura@vivienda.gob.pe")
        ]
        case.refresh_from_db()
        assert case.status == Case.Status.OPEN

    call_command("audit", "verify")  # the chain stayed whole under the contention


def test_clients_on_different_cases_of_one_entity_never_fail_each_other(api_url):
    """
    Clients start cases and complete tasks of their own cases of one entity in lock-step, staggered so
    that starts and completions always run together: every request succeeds (no deadlock, no lock wait
    timeout) and every case closes with one audited completion per task.

    Case steps of one entity share rows besides the case (the entity, the procedure version, the entity's
    audit chain head): locking any of them in a different order from the others would deadlock here.
    """
    procedures_load("PR.OTI.005")
    tokens = {
        role: Token.objects.get_or_create(user=person("MVCS", role).user)[0].key
        for role in ("analista_mesa_servicios", "responsable_plataforma_correo")
    }
    clients, rounds = 5, 2
    pipeline = ["start", 1, 2, 3, 4] * rounds  # activity numbers of PR.OTI.005, in order
    barrier = threading.Barrier(clients)
    failures: list[str] = []
    numbers: list[str] = []

    def client(i: int) -> None:
        sessions = {}
        for role, key in tokens.items():
            sessions[role] = requests.Session()
            sessions[role].headers["Authorization"] = f"Token {key}"
        work = [None] * i + pipeline + [None] * (clients - 1 - i)
        case, broken = None, False
        for op in work:
            barrier.wait(timeout=120)
            if op is None or broken:
                continue
            if op == "start":
                response = sessions["analista_mesa_servicios"].post(
                    f"{api_url}/api/v1/cases/",
                    json={"procedure": "PR.OTI.005", "inputs": baja_inputs()},
                    timeout=60,
                )
                expected = 201
            else:
                (task,) = case["open_tasks"] if "open_tasks" in case else case["tasks"]
                role = "analista_mesa_servicios" if op == 1 else "responsable_plataforma_correo"
                response = sessions[role].post(
                    f"{api_url}/api/v1/tasks/{task['id']}/complete/", json={"data": RECORDS[op]}, timeout=60
                )
                expected = 200
            if response.status_code != expected:
                failures.append(f"client {i}, {op}: {response.status_code} {response.text[:200]}")
                broken = True
                continue
            case = response.json()  # a case start answers with the case, a completion with its progress
            if op == 4:
                numbers.append(case["case"]["number"])

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert failures == []
    assert len(numbers) == clients * rounds
    for case in Case.objects.filter(number__in=numbers):
        assert case.status == Case.Status.CLOSED
        assert AuditEvent.objects.filter(case=case, action="task.completed").count() == 4
    call_command("audit", "verify")
