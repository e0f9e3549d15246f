"""
`Idempotency-Key` on case start and task completion: a retry gets the original answer without acting again;
the same key with another body is refused (422); a refused attempt (4xx) stores nothing but its audit
event; concurrent retries with one key, over real HTTP on SQLite and PostgreSQL, act exactly once.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
import uuid

import pytest
import requests
from django.core.management import call_command
from django.utils import timezone

from api.idempotency import HEADER, REPLAYED_HEADER
from mapro.audit.models import AuditEvent
from mapro.cases.models import Case, CaseTask
from mapro.cases.tests.test_concurrency import api_session
from mapro.catalogue.tests.sample_data import baja_inputs
from mapro.core.models import IdempotencyKey

from .support import client_of
from .test_bad_input import row_counts

ANALYST = ("MVCS", "analista_mesa_servicios")
MANAGER = ("MVCS", "responsable_plataforma_correo")
DONE_1 = {"data": {"correo_baja": {"fecha_envio": "2026-07-24"}}}  # activity 1 and its record


def key() -> str:
    return str(uuid.uuid4())


def start_body() -> dict:
    return {"procedure": "PR.OTI.005", "inputs": baja_inputs()}


def start(client, body: dict | None = None, idempotency_key: str | None = None):
    body = body or start_body()
    headers = {HEADER: idempotency_key} if idempotency_key is not None else {}
    return client.post("/api/v1/cases/", body, format="json", headers=headers)


@pytest.mark.django_db
class TestRetries:
    def test_a_retried_start_answers_the_first_case_and_opens_no_other(self):
        client, k, body = client_of(*ANALYST), key(), start_body()
        first = start(client, body, idempotency_key=k)
        assert first.status_code == 201, first.content
        before = row_counts()

        retry = start(client, body, idempotency_key=k)

        assert retry.status_code == 201
        assert retry.json() == first.json()
        assert retry.headers[REPLAYED_HEADER] == "true" and REPLAYED_HEADER not in first.headers
        assert row_counts() == before  # no case, task, deadline or audit event more
        assert Case.objects.count() == 1
        another = start(client, idempotency_key=key())  # a new key is a new case
        assert another.status_code == 201 and another.json()["number"] != first.json()["number"]

    def test_a_retried_completion_answers_the_first_completion_not_409(self):
        case = start(client_of(*ANALYST)).json()
        task_id = case["tasks"][0]["id"]
        client, k = client_of(*ANALYST), key()
        url = f"/api/v1/tasks/{task_id}/complete/"
        first = client.post(url, DONE_1, format="json", headers={HEADER: k})
        assert first.status_code == 200, first.content
        before = row_counts()

        retry = client.post(url, DONE_1, format="json", headers={HEADER: k})

        assert (retry.status_code, retry.json()) == (200, first.json())
        assert row_counts() == before
        assert AuditEvent.objects.filter(action="task.completed", object_id=str(task_id)).count() == 1
        without_key = client.post(url, {}, format="json")
        assert without_key.status_code == 409  # what a retry could not tell apart before

    def test_the_same_key_with_another_body_or_path_is_422_and_acts_not(self):
        client, k = client_of(*ANALYST), key()
        number = start(client, idempotency_key=k).json()["number"]
        task_id = Case.objects.get(number=number).tasks.get().pk
        before = row_counts()

        other_body = start(client, start_body(), k)
        other_path = client.post(
            f"/api/v1/tasks/{task_id}/complete/", start_body(), format="json", headers={HEADER: k}
        )

        for response in (other_body, other_path):
            assert response.status_code == 422, response.content
            assert "Idempotency-Key" in response.json()["detail"]
        assert row_counts() == before

    def test_keys_belong_to_their_person(self):
        k = key()
        mine = start(client_of(*ANALYST), idempotency_key=k)
        theirs = start(client_of(*MANAGER), idempotency_key=k)
        assert (mine.status_code, theirs.status_code) == (201, 201)
        assert theirs.json()["number"] != mine.json()["number"]

    def test_a_refusal_is_not_stored_and_keeps_its_audit_event(self):
        case = start(client_of(*ANALYST)).json()
        url = f"/api/v1/tasks/{case['tasks'][0]['id']}/complete/"
        k = key()
        denied_before = AuditEvent.objects.filter(action="permission.denied").count()

        refused = client_of(*MANAGER).post(url, {}, format="json", headers={HEADER: k})  # activity 1: analyst

        assert refused.status_code == 403, refused.content
        assert AuditEvent.objects.filter(action="permission.denied").count() == denied_before + 1
        assert not IdempotencyKey.objects.exists()
        invalid = client_of(*ANALYST).post(url, {"decision": "Sí"}, format="json", headers={HEADER: k})
        assert invalid.status_code == 400
        assert not IdempotencyKey.objects.exists()
        # The key is still free: the person's corrected retry acts, and is stored.
        ok = client_of(*ANALYST).post(url, DONE_1, format="json", headers={HEADER: k})
        assert ok.status_code == 200, ok.content
        assert IdempotencyKey.objects.get().status_code == 200

    @pytest.mark.parametrize("bad", ["", "con espacio", "x" * 256, "clave-ñ", "a\tb"])
    def test_a_malformed_key_is_a_field_error(self, bad):
        before = row_counts()
        response = start(client_of(*ANALYST), idempotency_key=bad)
        assert response.status_code == 400, response.content
        assert list(response.json()["field_errors"]) == [HEADER]
        assert row_counts() == before

    def test_stored_answers_are_purged_after_the_retention(self):
        client = client_of(*ANALYST)
        old, recent = key(), key()
        start(client, idempotency_key=old)
        start(client, idempotency_key=recent)
        IdempotencyKey.objects.filter(key=old).update(created_at=timezone.now() - dt.timedelta(hours=25))

        call_command("idempotency", "purge")

        assert list(IdempotencyKey.objects.values_list("key", flat=True)) == [recent]


def post_at_once(url: str, sessions: list[requests.Session], body: dict, k: str) -> list[requests.Response]:
    """The same request with the same key from every session at one instant; they must overlap."""
    barrier = threading.Barrier(len(sessions))
    results: list = [None] * len(sessions)

    def post(i: int) -> None:
        barrier.wait()
        sent = time.monotonic()
        response = sessions[i].post(url, json=body, headers={HEADER: k}, timeout=60)
        results[i] = (sent, time.monotonic(), response)

    threads = [threading.Thread(target=post, args=(i,)) for i in range(len(sessions))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert max(sent for sent, _, _ in results) < min(answered for _, answered, _ in results), "no overlap"
    return [response for _, _, response in results]


PARALLEL = 4


def test_concurrent_retries_with_one_key_act_exactly_once(api_url):
    from mapro.cases.tests.conftest import person

    analyst = person(*ANALYST)
    sessions = [api_session(analyst) for _ in range(PARALLEL)]  # one person, several connections
    for session in sessions:
        assert session.get(f"{api_url}/api/v1/tasks/", timeout=60).status_code == 200

    for _ in range(2):
        cases_before = Case.objects.count()
        started = post_at_once(f"{api_url}/api/v1/cases/", sessions, start_body(), key())
        assert [r.status_code for r in started] == [201] * PARALLEL, [r.text[:200] for r in started]
        assert len({r.text for r in started}) == 1  # every one of them got the same answer
        assert sum(r.headers.get(REPLAYED_HEADER) == "true" for r in started) == PARALLEL - 1
        assert Case.objects.count() == cases_before + 1

        task = Case.objects.get(number=started[0].json()["number"]).tasks.get()
        done = post_at_once(f"{api_url}/api/v1/tasks/{task.pk}/complete/", sessions, DONE_1, key())
        assert [r.status_code for r in done] == [200] * PARALLEL, [r.text[:200] for r in done]
        assert len({r.text for r in done}) == 1
        assert AuditEvent.objects.filter(action="task.completed", object_id=str(task.pk)).count() == 1
        assert list(task.case.tasks.values_list("activity", "status").order_by("activity")) == [
            (1, CaseTask.Status.COMPLETED),
            (2, CaseTask.Status.OPEN),
        ]
    call_command("audit", "verify")
