"""
The administrator's side of schedules, once through: the admin edits a schedule (an audit event with the
values before and after, the next run moved), `mapro schedules list` shows it, `run-due` starts the due
cases once, and the definition's working-day rule skips weekends and holidays.
"""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command

from mapro.audit.models import AuditEvent
from mapro.deadlines.calendar import LIMA, WorkCalendar
from mapro.schedules.models import Schedule, ScheduleDocument, ScheduleRun
from mapro.schedules.recurrence import occurrences_between
from mapro.schedules.services import schedules_run_due, schedules_sync

NOW = dt.datetime(2027, 3, 10, 12, 0, tzinfo=LIMA)


@pytest.mark.django_db
def test_admin_edit_is_audited_and_the_commands_show_and_start_it(client, capsys):
    with time_machine.travel(NOW, tick=False):
        schedules_sync()
        schedule = Schedule.objects.get(procedure_code="S04.03.01.02", flow="conciliacion_altas_bajas")
        assert (schedule.frequency, schedule.start_activity) == ("semiannual", 11)
        assert schedule.first_run_at == dt.datetime(2027, 7, 1, 8, 30, tzinfo=LIMA)  # next semester
        admin = get_user_model().objects.create_superuser("jefe", password="x")
        client.force_login(admin)
        url = f"/admin/schedules/schedule/{schedule.pk}/change/"
        page = client.get(url)
        assert page.status_code == 200 and "Primera ejecución" in page.content.decode()
        response = client.post(
            url,
            {
                "first_run_at_0": "2027-03-15",
                "first_run_at_1": "09:00:00",
                "requester": schedule.requester_id,
                "inputs": "{}",
                "active": "on",
                "documents-TOTAL_FORMS": "0",
                "documents-INITIAL_FORMS": "0",
                "runs-TOTAL_FORMS": "0",
                "runs-INITIAL_FORMS": "0",
            },
        )
        assert response.status_code == 302, response.content.decode()[:2000]

    schedule.refresh_from_db()
    first = dt.datetime(2027, 3, 15, 9, 0, tzinfo=LIMA)
    assert (schedule.first_run_at, schedule.next_run_at) == (first, first)
    event = AuditEvent.objects.get(action="schedule.changed", object_id=str(schedule.pk))
    assert event.actor_label == "administrador jefe"
    assert event.before["first_run_at"] == "2027-07-01T08:30:00-05:00"
    assert event.after["first_run_at"] == "2027-03-15T09:00:00-05:00"

    call_command("schedules", "list", "--entity", "MINDEF", "--next", "2")
    listed = capsys.readouterr().out
    assert "S04.03.01.02  flujo conciliacion_altas_bajas desde la actividad 11" in listed
    assert "Semestral; primera ejecución 2027-03-15 09:00" in listed
    assert "próximas: 2027-03-15 09:00, 2027-09-15 09:00" in listed

    with time_machine.travel(first, tick=False):
        call_command("schedules", "run-due", "--now", "2027-03-15T09:00")
        call_command("schedules", "run-due", "--now", "2027-03-15T09:00")
    out = capsys.readouterr().out
    assert out.count("S04.03.01.02  conciliacion_altas_bajas  MINDEF-2027-") == 1
    run = ScheduleRun.objects.get(schedule=schedule)
    assert run.case.tasks.get().activity == 11  # the flow's first activity
    assert out.splitlines()[-1] == "0 expedientes iniciados; 0 ocurrencias sin expediente."


def test_working_days_skip_weekends_and_holidays_and_keep_the_month_end():
    calendar = WorkCalendar()
    first = dt.datetime(2027, 7, 26, 8, 30, tzinfo=LIMA)  # Monday; 28-29 July are national holidays
    week = occurrences_between(
        first, "daily", after=None, until=first + dt.timedelta(days=7), calendar=calendar
    )
    assert [m.day for m in week] == [26, 27, 30, 2]  # no 28, 29 (Fiestas Patrias), 31, 1 (weekend)
    end = dt.datetime(2027, 1, 31, 8, 30, tzinfo=LIMA)
    months = occurrences_between(end, "monthly", after=None, until=end + dt.timedelta(days=95))
    assert [(m.month, m.day) for m in months] == [(1, 31), (2, 28), (3, 31), (4, 30)]


@pytest.mark.django_db
def test_a_file_input_comes_from_the_document_the_administrator_gives_the_schedule(client):
    """S.04.01.02_P needs the portfolio matrix (a file) to start: without it the run fails saying where
    to give it; once uploaded in the admin (audited) every run attaches it to its case."""
    with time_machine.travel(NOW, tick=False):
        schedules_sync()
        schedule = Schedule.objects.get(procedure_code="S.04.01.02_P")
        Schedule.objects.exclude(pk=schedule.pk).update(active=False)
        first = schedule.next_run_at
    with time_machine.travel(first, tick=False):
        (failed,) = schedules_run_due(now=first)
    assert failed.status == ScheduleRun.Status.FAILED and failed.case is None
    assert "matriz_cartera" in failed.error and "«Documentos de inicio»" in failed.error

    admin = get_user_model().objects.create_superuser("jefa", password="x")
    client.force_login(admin)
    url = f"/admin/schedules/schedule/{schedule.pk}/change/"
    form = {
        "first_run_at_0": f"{schedule.first_run_at.astimezone(LIMA):%Y-%m-%d}",
        "first_run_at_1": f"{schedule.first_run_at.astimezone(LIMA):%H:%M:%S}",
        "requester": schedule.requester_id,
        "inputs": "{}",
        "active": "on",
        "documents-TOTAL_FORMS": "1",
        "documents-INITIAL_FORMS": "0",
        "runs-TOTAL_FORMS": "0",
        "runs-INITIAL_FORMS": "0",
    }
    wrong = client.post(url, {**form, "documents-0-input_id": "otro", "documents-0-file": upload()})
    assert "No es una entrada de tipo archivo del flujo. Entradas: matriz_cartera" in wrong.content.decode()
    assert not ScheduleDocument.objects.exists()
    done = client.post(url, {**form, "documents-0-input_id": "matriz_cartera", "documents-0-file": upload()})
    assert done.status_code == 302, done.content.decode()[:2000]
    event = AuditEvent.objects.get(action="schedule.documents_changed", object_id=str(schedule.pk))
    assert event.after["documents"] == {"matriz_cartera": "matriz-2027.xlsx"}

    schedule.refresh_from_db()
    later = schedule.next_run_at
    with time_machine.travel(later, tick=False):
        (run,) = schedules_run_due(now=later)
    assert run.status == ScheduleRun.Status.STARTED
    assert run.case.inputs["matriz_cartera"] == "matriz-2027.xlsx"
    assert run.case.attachments.get().filename == "matriz-2027.xlsx"


def upload() -> SimpleUploadedFile:
    return SimpleUploadedFile("matriz-2027.xlsx", b"PK matriz de cartera", content_type="application/zip")
