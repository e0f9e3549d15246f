"""
Two workers deliver the same outbox at the same time, each on its own database connection (committed
rows: PostgreSQL's test database, or on SQLite a file copy with the production options, as in
mapro/cases/tests/test_concurrency.py): every mail reaches the SMTP server exactly once.
"""

from __future__ import annotations

import threading

import pytest
from django.db import DEFAULT_DB_ALIAS, connections

from conftest import sqlite_file_database
from mapro.mail.models import OutboundEmail
from mapro.mail.services import email_enqueue, emails_deliver

MAILS = 30


def _deliver_in_thread(settings_dict: dict | None, results: list[int], barrier: threading.Barrier) -> None:
    if settings_dict is not None:  # SQLite: this thread's own connection to the file
        connections[DEFAULT_DB_ALIAS] = connections[DEFAULT_DB_ALIAS].__class__(
            settings_dict, DEFAULT_DB_ALIAS
        )
    try:
        barrier.wait()
        results.append(emails_deliver())
    finally:
        connections[DEFAULT_DB_ALIAS].close()


def _race(settings_dict: dict | None) -> list[int]:
    for n in range(MAILS):
        email_enqueue(
            key=f"carrera:{n}", to=[f"p{n}@example.pe"], subject=f"Carrera {n}", body="x", digest=False
        )
    results: list[int] = []
    barrier = threading.Barrier(2)
    threads = [
        threading.Thread(target=_deliver_in_thread, args=(settings_dict, results, barrier)) for _ in "ab"
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


@pytest.mark.django_db(transaction=True)
def test_two_workers_never_send_a_mail_twice(inbox, tmp_path):
    connection = connections[DEFAULT_DB_ALIAS]
    if connection.vendor == "sqlite" and connection.is_in_memory_db():
        with sqlite_file_database(tmp_path / "mail.sqlite3") as settings_dict:
            results = _race(settings_dict)
            statuses = list(OutboundEmail.objects.values_list("status", "attempts"))
    else:
        results = _race(None)
        statuses = list(OutboundEmail.objects.values_list("status", "attempts"))
    keys = [m.key for m in inbox.messages]
    assert sorted(keys) == sorted(f"carrera:{n}" for n in range(MAILS))  # each once, none lost
    assert sum(results) == MAILS and len(results) == 2
    assert statuses == [("sent", 1)] * MAILS
