"""
The catalogue and demo people once per session (as in mapro/cases/tests; both loads are idempotent), and
the attacker's tools: raw SQL on the audit tables, with the triggers out of the way as the tables' owner
can put them (rolled back with each test).
"""

from collections.abc import Sequence
from pathlib import Path

import pytest
from django.db import connection, transaction

from mapro.audit.anchors import anchors_read
from mapro.audit.keys import audit_keys
from mapro.audit.models import AuditEvent
from mapro.audit.protection import TRIGGERS
from mapro.audit.services import audit_event_record, event_hash
from mapro.audit.verification import audit_verify_all
from mapro.catalogue.services import procedure_versions_load
from mapro.organization.services import demo_people_create


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        procedure_versions_load()
        demo_people_create()


def sql(statement: str, params: Sequence = ()) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        return cursor.fetchall() if cursor.description else []


def unprotect() -> None:
    """What the owner of the tables (or of the SQLite file) can do first: drop or disable the triggers."""
    if connection.vendor == "sqlite":
        for name in TRIGGERS["sqlite"]:
            sql(f"DROP TRIGGER {name}")
    else:
        sql("SET CONSTRAINTS ALL IMMEDIATE")  # ALTER TABLE waits for no deferred foreign-key check
        sql("ALTER TABLE audit_auditevent DISABLE TRIGGER USER")
        sql("ALTER TABLE audit_auditchainhead DISABLE TRIGGER USER")
        sql("SET CONSTRAINTS ALL DEFERRED")


def chain_write(chain: str, count: int) -> None:
    with transaction.atomic():
        for n in range(count):
            audit_event_record(chain=chain, action="prueba", object_type="prueba", object_id=str(n))


def forge(chain: str, seq: int, **changes) -> str:
    """Rewrite event `seq` as an attacker who knows the hash algorithm (not the key): returns its new hash."""
    event = AuditEvent.objects.get(chain=chain, seq=seq)
    for name, value in changes.items():
        setattr(event, name, value)
    event.hash = event_hash(event)
    sql(
        "UPDATE audit_auditevent SET summary = %s, prev_hash = %s, hash = %s WHERE chain = %s AND seq = %s",
        [event.summary, event.prev_hash, event.hash, chain, seq],
    )
    return event.hash


def problems(anchor_dir: Path | None = None, chain: str | None = None) -> list[str]:
    """verify's problems (of `chain` only, if given), against the anchors of `anchor_dir` if given."""
    anchors, anchor_problems = (
        anchors_read(directory=anchor_dir, keys=audit_keys()) if anchor_dir else ([], [])
    )
    report = audit_verify_all(anchors=anchors, anchor_problems=anchor_problems)
    found = [str(p) for p in report.problems]
    return [p for p in found if p.startswith(f"cadena {chain}")] if chain else found
