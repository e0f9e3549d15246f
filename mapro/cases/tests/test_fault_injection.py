"""
A completion that dies half-way leaves no trace: `case_task_complete` is one transaction.

- A real process is SIGKILLed inside the completion, after the engine step and the projection rows (task,
  records, deadlines, notifications, next task, workflow state) were written and before the commit, against
  a database file (SQLite) or a database of its own (PostgreSQL) that the test prepares and drops. Nothing
  of it survives, the audit chain verifies, and the task can then be completed, once.
- In the test process, an exception at several points of the completion rolls everything back.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from django.apps import apps
from django.conf import settings
from django.core.management import call_command
from django.db import DEFAULT_DB_ALIAS, connection, connections

from mapro.audit.models import AuditEvent
from mapro.cases.models import Case, CaseTask
from mapro.cases.services import case_start, sync
from mapro.cases.services import cases as case_services
from mapro.catalogue.tests.sample_data import baja_inputs, task_complete
from mapro.core.errors import ConflictError

from .conftest import person
from .test_concurrency import DEADLINES_AFTER_ACTIVITY_1, procedures_load

# Run in a child process: completes a task and SIGKILLs itself when the completion's audit event, the last
# write of the transaction, is about to be recorded. Before dying it writes down what its own transaction
# can see, so the test knows the writes were made (and then lost).
DRIVER = """
import json, os, signal, sys

import django

django.setup()

from django.db import connection

from mapro.cases.models import CaseRecord, CaseTask, Deadline, Notification
from mapro.cases.services import cases as case_services
from mapro.organization.models import Person

task_id, actor_id, marker = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
record = case_services.audit_event_record


def killed_before_commit(**event):
    if event["action"] != "task.completed":
        return record(**event)
    task = CaseTask.objects.get(pk=task_id)
    seen = {
        "in_atomic_block": connection.in_atomic_block,
        "task_status": task.status,
        "tasks": sorted(CaseTask.objects.filter(case=task.case_id).values_list("activity", "status")),
        "records": CaseRecord.objects.filter(case=task.case_id).count(),
        "deadlines": Deadline.objects.filter(case=task.case_id).count(),
        "notifications": Notification.objects.filter(case=task.case_id).count(),
    }
    with open(marker, "w") as out:
        json.dump(seen, out)
        out.flush()
        os.fsync(out.fileno())
    os.kill(os.getpid(), signal.SIGKILL)


case_services.audit_event_record = killed_before_commit
from mapro.catalogue.tests.sample_data import task_complete  # with the records the activity requires

task_complete(task_id=task_id, actor=Person.objects.get(pk=actor_id))
sys.exit("case_task_complete returned: the process was not killed")
"""


@dataclass(frozen=True)
class DedicatedDatabase:
    vendor: str
    env: dict[str, str]  # what the child process needs to use the same database


@pytest.fixture
def dedicated_database(django_db_setup, django_db_blocker, tmp_path) -> Iterator[DedicatedDatabase]:
    """A copy of the (migrated) test database, on disk, that this thread uses until the end of the test."""
    env = {"DJANGO_SETTINGS_MODULE": "config.settings.base", "MAPRO_VAR_DIR": str(tmp_path)}
    with django_db_blocker.unblock():
        original = connections[DEFAULT_DB_ALIAS]
        if original.vendor == "sqlite":
            from config.settings.base import _database  # the SQLite options used outside tests

            path = tmp_path / "fault.sqlite3"
            original.ensure_connection()
            target = sqlite3.connect(path)
            original.connection.backup(target)
            target.close()
            settings_dict = {**original.settings_dict, "NAME": str(path), "OPTIONS": _database()["OPTIONS"]}
            env |= {"MAPRO_DB_ENGINE": "sqlite", "MAPRO_SQLITE_PATH": str(path)}
        else:
            name = f"{original.settings_dict['NAME']}_fault_{uuid.uuid4().hex[:8]}"
            original.close()  # CREATE DATABASE … TEMPLATE needs nobody connected to the template
            with original._nodb_cursor() as cursor:
                cursor.execute(f'CREATE DATABASE "{name}" TEMPLATE "{original.settings_dict["NAME"]}"')
            settings_dict = {**original.settings_dict, "NAME": name}
            env |= {
                "MAPRO_DB_ENGINE": "postgresql",
                "MAPRO_DB_NAME": name,
                "MAPRO_DB_USER": settings_dict["USER"],
                "MAPRO_DB_PASSWORD": settings_dict["PASSWORD"],
                "MAPRO_DB_HOST": settings_dict["HOST"],
                "MAPRO_DB_PORT": str(settings_dict["PORT"]),
            }
        connections[DEFAULT_DB_ALIAS] = original.__class__(settings_dict, DEFAULT_DB_ALIAS)
        try:
            yield DedicatedDatabase(vendor=original.vendor, env=env)
        finally:
            connections[DEFAULT_DB_ALIAS].close()
            connections[DEFAULT_DB_ALIAS] = original
            if original.vendor != "sqlite":
                with original._nodb_cursor() as cursor:
                    cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def database_state(*, case: Case) -> dict:
    """Every row of every cases and audit table, and the case's workflow state exactly as stored."""
    models = [*apps.get_app_config("cases").get_models(), *apps.get_app_config("audit").get_models()]
    rows = {model._meta.label: list(model.objects.order_by("pk").values()) for model in models}
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT CAST(workflow_state AS TEXT) FROM {Case._meta.db_table} WHERE id = %s", [case.pk]
        )
        (raw_state,) = cursor.fetchone()
    return {"rows": rows, "workflow_state": raw_state}


def assert_completed_once(*, case: Case, task: CaseTask) -> None:
    tasks = sorted(case.tasks.values_list("activity", "status"))
    assert tasks == [(1, CaseTask.Status.COMPLETED), (2, CaseTask.Status.OPEN)]
    assert AuditEvent.objects.filter(case=case, action="task.completed", object_id=str(task.pk)).count() == 1
    assert sorted(case.deadlines.values_list("time_rule", flat=True)) == sorted(DEADLINES_AFTER_ACTIVITY_1)
    assert case.records.filter(task=task).count() == 1


def test_a_process_killed_before_the_commit_leaves_the_case_as_it_was(dedicated_database, tmp_path, capsys):
    procedures_load("PR.OTI.005")
    analyst = person("MVCS", "analista_mesa_servicios")
    case = case_start(procedure_code="PR.OTI.005", requester=analyst, inputs=baja_inputs())
    task = case.tasks.get(status=CaseTask.Status.OPEN)
    before = database_state(case=case)
    connections[DEFAULT_DB_ALIAS].close()  # the child must not wait on anything of ours

    marker = tmp_path / "seen-before-the-kill.json"
    (tmp_path / "driver.py").write_text(DRIVER)
    child = subprocess.run(
        [sys.executable, str(tmp_path / "driver.py"), str(task.pk), str(analyst.pk), str(marker)],
        cwd=settings.BASE_DIR,
        env={**os.environ, **dedicated_database.env},
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert child.returncode == -signal.SIGKILL, child.stderr
    # The child had made every write of the completion, uncommitted, when it died.
    seen = json.loads(marker.read_text())
    assert seen["in_atomic_block"]
    assert seen["task_status"] == CaseTask.Status.COMPLETED
    assert seen["tasks"] == [[1, CaseTask.Status.COMPLETED], [2, CaseTask.Status.OPEN]]
    assert seen["records"] == 1
    assert seen["deadlines"] == len(DEADLINES_AFTER_ACTIVITY_1)
    assert seen["notifications"] > 0

    # None of it survived: the task is still open, the workflow state is byte for byte the same, and no
    # record, deadline, notification or audit event was added (nor anything lost).
    assert database_state(case=case) == before
    if dedicated_database.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA integrity_check")
            assert cursor.fetchone() == ("ok",)
    call_command("audit", "verify")
    assert "OK" in capsys.readouterr().out

    # Completing it again works, once.
    task_complete(task_id=task.pk, actor=analyst)
    with pytest.raises(ConflictError, match="ya fue completada"):
        task_complete(task_id=task.pk, actor=analyst)
    assert_completed_once(case=case, task=task)
    call_command("audit", "verify")
    assert "OK" in capsys.readouterr().out


class Boom(Exception):
    pass


def _fail_after(original):
    def fail(*args, **kwargs):
        original(*args, **kwargs)
        raise Boom

    return fail


def _fail_at_the_completion_event(original):
    def record(**event):
        if event["action"] == "task.completed":
            raise Boom
        return original(**event)

    return record


# Where the completion fails: (module, function, how the replacement fails).
INJECTIONS = {
    "after the deadlines and notifications": (sync, "activity_completed_settle", _fail_after),
    "after the next task is created": (sync, "case_tasks_sync", _fail_after),
    "after the workflow state is saved": (case_services, "_workflow_save", _fail_after),
    "at the audit event, the last write": (
        case_services,
        "audit_event_record",
        _fail_at_the_completion_event,
    ),
}


@pytest.mark.django_db
@pytest.mark.parametrize("where", INJECTIONS)
def test_an_exception_in_the_middle_of_a_completion_changes_nothing(where, monkeypatch):
    analyst = person("MVCS", "analista_mesa_servicios")
    case = case_start(procedure_code="PR.OTI.005", requester=analyst, inputs=baja_inputs())
    task = case.tasks.get(status=CaseTask.Status.OPEN)
    before = database_state(case=case)

    module, name, failing = INJECTIONS[where]
    with monkeypatch.context() as patch:
        patch.setattr(module, name, failing(getattr(module, name)))
        with pytest.raises(Boom):
            task_complete(task_id=task.pk, actor=analyst)

    assert database_state(case=case) == before
    task_complete(task_id=task.pk, actor=analyst)
    assert_completed_once(case=case, task=task)
