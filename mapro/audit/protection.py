"""
The database's own refusal of UPDATE and DELETE on the audit tables (triggers of migration 0003), its one
switch, and the check that the triggers are still there.

The switch: on SQLite the DELETE triggers let a row go only while `mapro_audit_maintenance()` answers 1.
That function exists only on connections opened by mapro (registered below) and answers 1 only inside
`audit_maintenance()`, which only the `flush` command enters (the test suite empties every table between
transactional tests with it). The switch lives in this process's memory, not in the database: a client
that has only the database (the sqlite3 shell, a stolen file opened elsewhere) has no such function, and its
DELETE fails. Whoever can run mapro's own code can flush anyway. PostgreSQL needs no switch: its flush is a
TRUNCATE, which row triggers do not see and which only the table owner may run.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from django.db import connection as default_connection

_maintenance: ContextVar[bool] = ContextVar("mapro_audit_maintenance", default=False)

# name -> table, as created by migrations/0003_append_only_triggers.py
TRIGGERS = {
    "sqlite": {
        "audit_event_no_update": "audit_auditevent",
        "audit_event_no_delete": "audit_auditevent",
        "audit_head_no_delete": "audit_auditchainhead",
        "audit_head_forward_only": "audit_auditchainhead",
    },
    "postgresql": {
        "audit_event_append_only": "audit_auditevent",
        "audit_event_truncate": "audit_auditevent",
        "audit_head_forward_only": "audit_auditchainhead",
        "audit_head_truncate": "audit_auditchainhead",
    },
}


@contextmanager
def audit_maintenance() -> Iterator[None]:
    """Let this thread's SQLite DELETEs through the audit triggers (Django's flush only)."""
    token = _maintenance.set(True)
    try:
        yield
    finally:
        _maintenance.reset(token)


def _maintenance_on() -> int:
    return 1 if _maintenance.get() else 0


def sqlite_function_register(sender: Any, connection: Any, **kwargs: Any) -> None:
    """connection_created receiver: give mapro's SQLite connections the trigger's switch function."""
    if connection.vendor == "sqlite":
        connection.connection.create_function("mapro_audit_maintenance", 0, _maintenance_on)


def protection_problems(*, connection: Any = default_connection) -> list[str]:
    """What is missing of the database's refusal (a trigger dropped or disabled), in words; [] if whole."""
    expected = TRIGGERS.get(connection.vendor)
    if expected is None:
        return [f"la base de datos {connection.vendor} no tiene disparadores de auditoría"]
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")
            enabled = {row[0] for row in cursor.fetchall()}
            disabled: set[str] = set()
        else:
            cursor.execute(
                "SELECT tgname, tgenabled FROM pg_trigger WHERE tgrelid IN "
                "('audit_auditevent'::regclass, 'audit_auditchainhead'::regclass) AND NOT tgisinternal"
            )
            rows = cursor.fetchall()
            enabled = {name for name, state in rows if state != "D"}
            disabled = {name for name, state in rows if state == "D"}
    problems = []
    for name, table in expected.items():
        if name in disabled:
            problems.append(f"la tabla {table} no está protegida: el disparador {name} está desactivado")
        elif name not in enabled:
            problems.append(f"la tabla {table} no está protegida: falta el disparador {name} (eliminado)")
    return problems
