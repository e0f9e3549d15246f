"""Case services on PR.OTI.005 and PR.OTI.006: routing, roles, deadlines, records, children, audit."""

import datetime as dt

import pytest
import time_machine

from mapro.audit.models import AuditEvent
from mapro.cases.models import Case, CaseTask, Deadline, Notification
from mapro.cases.selectors import case_records_visible, tasks_for_person
from mapro.cases.services import case_cancel, case_start
from mapro.cases.services import cases as case_services
from mapro.catalogue.tests.sample_data import baja_inputs
from mapro.core.errors import ConflictError, InvalidInputError, NotAllowedError
from mapro.deadlines.calendar import LIMA

from .conftest import person, task_complete

pytestmark = pytest.mark.django_db

PST = {
    "fecha_respaldo": "2026-07-24",
    "ubicacion_pst": "BACKUP_CORREOS/jperez.pst",
    "fecha_carga": "2026-07-24",
}


def open_task(case: Case) -> CaseTask:
    return case.tasks.get(status=CaseTask.Status.OPEN)


def start_baja() -> Case:
    return case_start(
        procedure_code="PR.OTI.005", requester=person("MVCS", "analista_mesa_servicios"), inputs=baja_inputs()
    )


class TestStart:
    def test_number_is_per_entity_and_year(self):
        with time_machine.travel(dt.datetime(2026, 7, 24, 16, 10, tzinfo=LIMA), tick=False):
            first, second = start_baja(), start_baja()
        assert first.number.startswith("MVCS-2026-")
        assert int(second.number[-6:]) == int(first.number[-6:]) + 1

    def test_missing_mandatory_inputs_are_refused_with_field_errors_and_nothing_written(self):
        before = Case.objects.count(), AuditEvent.objects.count()
        with pytest.raises(InvalidInputError) as error:
            case_start(
                procedure_code="PR.OTI.005",
                requester=person("MVCS", "analista_mesa_servicios"),
                inputs={"cuenta_correo": "no-es-correo"},
            )
        assert set(error.value.field_errors) == {"cuenta_correo", "motivo_baja"}
        assert (Case.objects.count(), AuditEvent.objects.count()) == before

    def test_first_task_lands_with_the_role_the_ficha_names(self):
        case = start_baja()
        task = open_task(case)
        assert (task.activity, task.role_code) == (1, "analista_mesa_servicios")
        assert task in tasks_for_person(person=person("MVCS", "analista_mesa_servicios"))
        assert task not in tasks_for_person(person=person("MVCS", "responsable_plataforma_correo"))


class TestPrOti005:
    def test_whole_case_with_its_seed_deadlines(self):
        received = dt.datetime(2026, 7, 24, 16, 10, tzinfo=LIMA)
        analyst, manager = (
            person("MVCS", "analista_mesa_servicios"),
            person("MVCS", "responsable_plataforma_correo"),
        )
        with time_machine.travel(received, tick=False):
            case = start_baja()
            task_complete(task_id=open_task(case).pk, actor=analyst)

        deadlines = {d.time_rule: d.due_at for d in case.deadlines.all()}
        assert deadlines == {
            "suspension_4h": dt.datetime(2026, 7, 24, 20, 10, tzinfo=LIMA),
            "respaldo_7d": dt.datetime(2026, 7, 31, 23, 59, 59, tzinfo=LIMA),
            "carga_pst_25d": dt.datetime(2026, 8, 18, 23, 59, 59, tzinfo=LIMA),
            "eliminacion_30d": dt.datetime(2026, 8, 23, 23, 59, 59, tzinfo=LIMA),
        }
        assert open_task(case).due_at == dt.datetime(2026, 7, 24, 20, 10, tzinfo=LIMA)

        with time_machine.travel(received + dt.timedelta(hours=5), tick=False):  # one hour late
            task_complete(task_id=open_task(case).pk, actor=manager)
        assert case.deadlines.get(time_rule="suspension_4h").status == Deadline.Status.MISSED

        with time_machine.travel(received + dt.timedelta(days=2), tick=False):
            task_complete(
                task_id=open_task(case).pk,
                actor=manager,
                data={"respaldo_pst": PST},
            )
            task_complete(task_id=open_task(case).pk, actor=manager)

        case.refresh_from_db()
        assert case.status == Case.Status.CLOSED
        assert case.outcome
        assert set(case.deadlines.values_list("status", flat=True)) == {"met", "missed"}
        # The RACI "I" roles were told: the Oficial de Seguridad of every activity.
        oficial = person("MVCS", "oficial_seguridad")
        assert Notification.objects.filter(person=oficial, case=case).count() == 4

    def test_only_the_responsible_role_acts_and_the_refusal_is_audited(self):
        case = start_baja()
        intruder = person("MVCS", "responsable_plataforma_correo")
        with pytest.raises(NotAllowedError, match="Analista de Mesa de Servicios"):
            task_complete(task_id=open_task(case).pk, actor=intruder)
        assert AuditEvent.objects.filter(action="permission.denied", case=case, actor=intruder).exists()
        assert open_task(case).activity == 1

    def test_mail_backup_is_seen_only_by_the_mail_platform_manager(self):
        analyst, manager = (
            person("MVCS", "analista_mesa_servicios"),
            person("MVCS", "responsable_plataforma_correo"),
        )
        case = start_baja()
        task_complete(task_id=open_task(case).pk, actor=analyst)
        task_complete(task_id=open_task(case).pk, actor=manager)
        task_complete(task_id=open_task(case).pk, actor=manager, data={"respaldo_pst": PST})

        assert [r.record_id for r in case_records_visible(case=case, person=manager)] == [
            "correo_baja",
            "respaldo_pst",
        ]
        assert [r.record_id for r in case_records_visible(case=case, person=analyst)] == ["correo_baja"]

    def test_a_completed_task_cannot_be_completed_again(self):
        analyst = person("MVCS", "analista_mesa_servicios")
        case = start_baja()
        task = open_task(case)
        task_complete(task_id=task.pk, actor=analyst)
        with pytest.raises(ConflictError, match="ya fue completada"):
            task_complete(task_id=task.pk, actor=analyst)

    def test_a_task_reassigned_while_the_completion_was_checked_is_refused_and_nothing_changes(
        self, monkeypatch
    ):
        analyst, manager = (
            person("MVCS", "analista_mesa_servicios"),
            person("MVCS", "responsable_plataforma_correo"),
        )
        case = start_baja()
        task = open_task(case)
        lock = case_services.case_lock

        def reassigned_then_locked(*, case):  # what a concurrent reassignment commits before the lock
            CaseTask.objects.filter(pk=task.pk).update(assignee=manager)
            return lock(case=case)

        monkeypatch.setattr(case_services, "case_lock", reassigned_then_locked)
        with pytest.raises(ConflictError, match="asignada a"):
            task_complete(task_id=task.pk, actor=analyst)
        task.refresh_from_db()
        assert (task.status, task.completed_by) == (CaseTask.Status.OPEN, None)
        assert list(case.tasks.values_list("activity", flat=True)) == [1]
        assert not AuditEvent.objects.filter(case=case, action="task.completed").exists()

    def test_a_case_keeps_its_version_when_the_definition_changes(self):
        from mapro.catalogue.models import ProcedureVersion

        case = start_baja()
        old = case.procedure_version
        ProcedureVersion.objects.filter(pk=old.pk).update(is_current=False)
        newer = ProcedureVersion.objects.create(
            code=old.code,
            entity=old.entity,
            name=old.name,
            version="2.0",
            revision=old.revision + 1,
            source_path=old.source_path,
            source_sha256="f" * 64,
            source_text=old.source_text,
            definition=old.definition,
            bpmn_xml=old.bpmn_xml,
        )
        task_complete(task_id=open_task(case).pk, actor=person("MVCS", "analista_mesa_servicios"))
        case.refresh_from_db()
        assert case.procedure_version_id == old.pk
        assert start_baja().procedure_version_id == newer.pk


class TestPrOti006Backup:
    def complete(self, case: Case, decision: str | None = None) -> None:
        task_complete(task_id=open_task(case).pk, actor=self.manager, decision=decision)

    def test_activity_10_generates_the_backup_itself_and_starts_no_pr_oti_005_case(self):
        # 000:506: the backup "de acuerdo al" PR.OTI.005 is its .PST export, not a baja of the mailbox.
        self.manager = person("MVCS", "responsable_plataforma_correo")
        parent = case_start(
            procedure_code="PR.OTI.006",
            requester=self.manager,
            inputs={"identificador_requerimiento": "AIP-2026-0042"},
        )
        self.complete(parent)  # 1. reception
        self.complete(parent, "SI")  # 2. is a user of the MVCS
        self.complete(parent, "NO")  # 3. no backup exists
        self.complete(parent, "SI")  # 9. a backup can be generated -> 10. generate it

        backup = open_task(parent)
        assert backup.activity == 10
        with pytest.raises(InvalidInputError) as refused:
            case_services.case_task_complete(task_id=backup.pk, actor=self.manager)
        assert "backup_correo_pst.ubicacion_pst" in refused.value.field_errors  # where the .PST is
        self.complete(parent)  # 10. with its record
        assert not parent.children.exists()
        assert not Case.objects.filter(procedure_version__code="PR.OTI.005", parent=parent).exists()
        assert parent.records.filter(record_id="backup_correo_pst").exists()
        assert open_task(parent).activity == 4  # 10 -> 4, as the seed routes

    def test_link_validity_and_consent_window_run_from_their_events(self):
        self.manager = person("MVCS", "responsable_plataforma_correo")
        t0 = dt.datetime(2026, 7, 24, 9, 0, tzinfo=LIMA)
        with time_machine.travel(t0, tick=False):
            case = case_start(
                procedure_code="PR.OTI.006",
                requester=self.manager,
                inputs={"identificador_requerimiento": "A-1"},
            )
            self.complete(case)
            self.complete(case, "SI")
            self.complete(case, "SI")  # a backup exists -> 4
            self.complete(case)  # 4. link generated: 5 calendar days of validity start now
            self.complete(case, "NO")  # 5. not an ex collaborator -> 6: the user's conformity task reaches
            # the user now, and their 24 h run from it (the mail with the link is the manager's task of 6)
        sent = case.tasks.get(activity=6, role_code="responsable_plataforma_correo")
        with time_machine.travel(t0 + dt.timedelta(hours=2), tick=False):
            task_complete(task_id=sent.pk, actor=self.manager)

        due = {d.time_rule: d.due_at for d in case.deadlines.all()}
        assert due["vigencia_link_5d"] == dt.datetime(2026, 7, 29, 23, 59, 59, tzinfo=LIMA)
        assert due["conformidad_24h"] == dt.datetime(2026, 7, 25, 9, 0, tzinfo=LIMA)


class TestCancel:
    def test_cancel_needs_a_reason_and_cancels_open_tasks(self):
        analyst = person("MVCS", "analista_mesa_servicios")
        case = start_baja()
        with pytest.raises(InvalidInputError):
            case_cancel(case_id=case.pk, actor=analyst, reason=" ")
        case_cancel(case_id=case.pk, actor=analyst, reason="Solicitud duplicada")
        case.refresh_from_db()
        assert case.status == Case.Status.CANCELLED
        assert not case.tasks.filter(status=CaseTask.Status.OPEN).exists()


def test_validity_windows_expire_by_themselves():
    from mapro.cases.services.deadlines import deadlines_expire

    manager = person("MVCS", "responsable_plataforma_correo")
    t0 = dt.datetime(2026, 7, 24, 9, 0, tzinfo=LIMA)
    with time_machine.travel(t0, tick=False):
        case = case_start(
            procedure_code="PR.OTI.006", requester=manager, inputs={"identificador_requerimiento": "B"}
        )
        for decision in (None, "SI", "SI", None):
            task_complete(task_id=open_task(case).pk, actor=manager, decision=decision)
    link = case.deadlines.get(time_rule="vigencia_link_5d")

    assert deadlines_expire(now=link.due_at) == 0
    assert deadlines_expire(now=link.due_at + dt.timedelta(seconds=1)) == 1
    assert deadlines_expire(now=link.due_at + dt.timedelta(days=1)) == 0  # a repeated tick changes nothing
    link.refresh_from_db()
    assert link.status == Deadline.Status.EXPIRED


def test_a_notification_is_marked_read_once_and_only_by_its_person():
    from mapro.cases.services import notification_mark_read
    from mapro.core.errors import NotFoundError

    analyst = person("MVCS", "analista_mesa_servicios")
    case = start_baja()
    task_complete(task_id=open_task(case).pk, actor=analyst)
    oficial = person("MVCS", "oficial_seguridad")
    notification = Notification.objects.get(person=oficial, case=case)

    first = notification_mark_read(notification_id=notification.pk, person=oficial).read_at
    assert first is not None
    assert notification_mark_read(notification_id=notification.pk, person=oficial).read_at == first
    with pytest.raises(NotFoundError):
        notification_mark_read(notification_id=notification.pk, person=analyst)
