"""
`verify --deep`: state changed in the database without an event, each mismatch named. One drive of
PR.OTI.005 (a closed case with records and an attachment, a cancelled one, a suspended one, an open one),
then raw SQL edits of the state, as someone with database access would make them.
"""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from mapro.audit.deep import audit_state_verify
from mapro.cases.models import Case, CaseTask
from mapro.cases.services import case_cancel, case_start
from mapro.cases.services.cases import case_attachment_add
from mapro.cases.services.lifecycle import case_suspend
from mapro.cases.tests.conftest import person
from mapro.catalogue.tests.sample_data import baja_inputs, task_complete

from .conftest import sql, unprotect

pytestmark = pytest.mark.django_db


def start() -> Case:
    return case_start(
        procedure_code="PR.OTI.005", requester=person("MVCS", "analista_mesa_servicios"), inputs=baja_inputs()
    )


def complete_next(case: Case, **kwargs) -> CaseTask:
    task = case.tasks.get(status=CaseTask.Status.OPEN)
    role = "analista_mesa_servicios" if task.activity == 1 else "responsable_plataforma_correo"
    task_complete(task_id=task.pk, actor=person("MVCS", role), **kwargs)
    return task


def mismatches() -> list[str]:
    return [str(m) for m in audit_state_verify()[2]]


def test_state_changed_without_its_event_is_named(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    analyst = person("MVCS", "analista_mesa_servicios")
    closed = start()
    first = complete_next(closed)
    complete_next(closed)
    backup = complete_next(
        closed,
        data={
            "respaldo_pst": {
                "fecha_respaldo": "2026-07-24",
                "ubicacion_pst": "BACKUP_CORREOS/jperez.pst",
                "fecha_carga": "2026-07-24",
            }
        },
    )
    complete_next(closed)
    attachment = case_attachment_add(
        case_id=closed.pk, actor=analyst, upload=SimpleUploadedFile("acta.pdf", b"%PDF-1.4 acta")
    )
    cancelled, suspended, still_open = start(), start(), start()
    case_cancel(case_id=cancelled.pk, actor=analyst, reason="Solicitud duplicada")
    case_suspend(case_id=suspended.pk, actor=analyst, reason="Falta la orden de servicio")
    open_task = still_open.tasks.get(status=CaseTask.Status.OPEN)
    assert mismatches() == []  # what mapro wrote agrees with its events

    # The attacker edits the state and leaves the events alone (no trigger guards these tables).
    sql(
        "UPDATE cases_casetask SET data = %s WHERE id = %s",
        ['{"respaldo_pst": {"observaciones": "nada"}}', backup.pk],
    )
    sql("UPDATE cases_caserecord SET data = %s WHERE task_id = %s", ['{"observaciones": "nada"}', backup.pk])
    sql("UPDATE cases_casetask SET status = 'open', completed_by_id = NULL WHERE id = %s", [first.pk])
    sql(
        "UPDATE cases_casetask SET status = 'completed', completed_by_id = %s WHERE id = %s",
        [analyst.pk, open_task.pk],
    )
    sql("UPDATE cases_case SET status = 'open', closed_at = NULL WHERE id = %s", [cancelled.pk])
    sql("UPDATE cases_case SET suspend_reason = 'otra' WHERE id = %s", [suspended.pk])
    sql("UPDATE cases_attachment SET sha256 = %s WHERE id = %s", ["0" * 64, attachment.pk])
    sql("UPDATE cases_case SET number = 'MVCS-2026-999999' WHERE id = %s", [still_open.pk])

    found = mismatches()
    expected = [
        f"expediente {closed.number}: la tarea {backup.pk} (actividad 3): los datos no son los del evento",
        f"expediente {closed.number}: la tarea {backup.pk} (actividad 3): el registro respaldo_pst no es",
        f"expediente {closed.number}: la tarea {first.pk} (actividad 1) figura pendiente, pero el evento",
        f"expediente {closed.number}: figura concluido con tareas pendientes",
        f"expediente {closed.number}: el adjunto {attachment.pk} no es el que registró su evento",
        f"expediente MVCS-2026-999999: la tarea {open_task.pk} (actividad 1) figura completada sin evento",
        "expediente MVCS-2026-999999: no tiene el evento de inicio que registra su número",
        f"expediente {cancelled.number}: figura en curso, pero el evento",
        f"expediente {suspended.number}: el motivo de suspensión no es el del evento",
    ]
    for start_of in expected:
        assert any(line.startswith(start_of) for line in found), (start_of, found)
    assert len(found) == len(expected)


def test_a_chain_deleted_whole_leaves_its_cases_without_their_events():
    """(c) without an anchor: the cases and completed tasks the chain vouched for are still there."""
    case = start()
    task = complete_next(case)
    unprotect()
    sql("DELETE FROM audit_auditevent WHERE chain = 'MVCS'")
    sql("DELETE FROM audit_auditchainhead WHERE chain = 'MVCS'")
    found = mismatches()
    assert f"expediente {case.number}: no tiene el evento de inicio que registra su número" in " ".join(found)
    assert any(
        m.startswith(f"expediente {case.number}: la tarea {task.pk} (actividad 1) figura completada sin")
        for m in found
    )
