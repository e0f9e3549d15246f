"""
Deadlines that depend on case data and deadlines that act, on the catalogue's own procedures and seed lines:
the QC term by number of interfaces (002:623, 799), the 24-hour auto-close (004:2212), guarded activities
(004:1803, 1807), the year-end validity (004:1878), decreed non-working days and PR.OTI.006's legal frame.

Every expected due time is computed by hand in the comments (America/Lima; holidays of the `holidays`
package: 23, 28 and 29 July, 6 August, 25 December; decreed: 26 December 2025, DS 042-2025-PCM).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine
from django.db import transaction

from mapro.audit.models import AuditEvent
from mapro.cases.models import Case, CaseTask, Deadline
from mapro.cases.performers import activity_for_role
from mapro.cases.selectors import case_definition, tasks_for_person
from mapro.cases.services import case_resume, case_start, case_suspend, case_task_complete
from mapro.cases.services.cases import case_close_by_system
from mapro.cases.services.conditions import MISSING, case_data_value, condition_holds
from mapro.cases.services.deadlines import deadlines_expire
from mapro.cases.services.locking import case_lock
from mapro.catalogue.definition.schema import REQUESTER, Condition
from mapro.catalogue.tests.sample_data import decision_reason, record_data, start_inputs
from mapro.deadlines.calendar import LIMA
from mapro.deadlines.models import NonWorkingDay
from mapro.deadlines.services import deadline_compute

from .conftest import person
from .test_every_branch_api import CATALOGUE, shortest

pytestmark = pytest.mark.django_db


def lima(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=LIMA)


def end_of(y: int, m: int, d: int) -> dt.datetime:
    return lima(y, m, d, 23, 59, 59)


def start(code: str, *, flow: str | None = None, **inputs: Any) -> Case:
    d = CATALOGUE.definitions[code].definition
    first = next(f.start for f in d.flows if f.id == flow) if flow else d.start_activities()[0]
    role = d.activity(first).role
    return case_start(
        procedure_code=code,
        requester=person(d.entity.value, role if role != REQUESTER else d.roles[0].id),
        inputs={**start_inputs(d), **inputs},
        flow=flow,
    )


def complete(case: Case, n: int, label: str | None = None, **records: dict) -> None:
    """Complete activity n: each of its open tasks (one per role of an `each` activity), by its role."""
    d = case_definition(case=case)
    tasks = list(case.tasks.filter(status=CaseTask.Status.OPEN, activity=n))
    assert tasks, f"la actividad {n} no está abierta: {open_activities(case)}"
    for task in tasks:
        produced = activity_for_role(definition=d, activity=d.activity(n), role=task.role_code).records
        data = {k: v for k, v in {**record_data(d, n), **records}.items() if k in produced}
        actor = case.requester if task.role_code == REQUESTER else person(d.entity.value, task.role_code)
        reason = decision_reason(d, n, label)
        case_task_complete(task_id=task.pk, actor=actor, decision=label, data=data, reason=reason)


def open_activities(case: Case) -> list[int]:
    return list(case.tasks.filter(status=CaseTask.Status.OPEN).values_list("activity", flat=True))


def drive_to(case: Case, n: int) -> None:
    """Complete the shortest way from the case's first task to activity n (left open)."""
    d = case_definition(case=case)
    first = case.tasks.get(status=CaseTask.Status.OPEN).activity
    for step, label in shortest(d, [first], lambda a: a == n)[:-1]:
        while step not in open_activities(case):  # a join: finish the other parallel branches first
            other = d.activity(next(a for a in open_activities(case) if a != step))
            complete(case, other.n, other.decision.branches[0].label if other.decision else None)
        complete(case, step, label)


class TestConditions:
    def test_a_path_reads_the_inputs_or_the_latest_record_and_never_recorded_is_false(self):
        case = start("S04.02.00.02")
        case.records.create(
            record_id="plan_pruebas", name="Plan", data={"numero_interfaces": 3}, **self._row(case)
        )
        case.records.create(
            record_id="plan_pruebas", name="Plan", data={"numero_interfaces": "9"}, **self._row(case)
        )
        assert case_data_value(case=case, path="plan_pruebas.numero_interfaces") == "9"  # the latest
        assert case_data_value(case=case, path="plan_pruebas.calendario_pruebas") is MISSING
        assert case_data_value(case=case, path="inputs.nada") is MISSING
        more_than_8 = Condition(data="plan_pruebas.numero_interfaces", min=9)
        assert condition_holds(more_than_8, case=case)  # "9" recorded as text is the number 9
        assert not condition_holds(Condition(data="plan_pruebas.numero_interfaces", max=8), case=case)
        assert not condition_holds(Condition(data="acta_qa.numero", min=0), case=case)  # never recorded
        assert condition_holds(Condition(data="plan_pruebas.numero_interfaces", one_of=[4, 9]), case=case)

    @staticmethod
    def _row(case: Case) -> dict:
        return {"effective_date": dt.date(2026, 7, 24), "created_by": case.requester}


class TestQualityControlByInterfaces:
    """S04.02.00.01 activity 19 (seed 002:623) and S04.02.00.02 activity 11 (002:799): the plan's number of
    interfaces picks the QC term of the QA closure (activities 23 and 15)."""

    @pytest.mark.parametrize(
        ("code", "plan", "closure"), [("S04.02.00.01", 19, 23), ("S04.02.00.02", 11, 15)]
    )
    def test_only_the_rule_of_the_recorded_number_opens_across_a_weekend_and_holidays(
        self, code, plan, closure
    ):
        case = start(code)
        drive_to(case, plan)
        # Plan completed Friday 24 July 2026, 10:00. Working days from Monday 27 (Saturday 25, Sunday 26,
        # Tuesday 28 and Wednesday 29 July are not): 27 (1), 30 (2), 31 (3); 3 August (4); 4, 5, 7
        # (6 August is a holiday), 10, 11, 12 (10).
        expected = {
            1: ("control_calidad_1_a_4_interfaces", end_of(2026, 7, 31)),
            4: ("control_calidad_1_a_4_interfaces", end_of(2026, 7, 31)),  # a shared bound: the lower range
            5: ("control_calidad_4_a_8_interfaces", end_of(2026, 8, 3)),
            8: ("control_calidad_4_a_8_interfaces", end_of(2026, 8, 3)),
            9: ("control_calidad_8_a_mas_interfaces", end_of(2026, 8, 12)),
        }
        for interfaces, (rule, due) in expected.items():
            with transaction.atomic(), time_machine.travel(lima(2026, 7, 24, 10, 0), tick=False):
                complete(case, plan, plan_pruebas={"numero_interfaces": interfaces})
                opened = list(case.deadlines.values_list("time_rule", "due_at", "activity"))
                assert opened == [(rule, due, closure)], interfaces
                transaction.set_rollback(True)  # the next number on the same case, as it was

    def test_a_decreed_non_working_day_is_skipped(self):
        # DS 042-2025-PCM ships with the product (migration deadlines 0002), editable in the admin.
        decreed = NonWorkingDay.objects.get(date=dt.date(2025, 12, 26), entity=None)
        assert decreed.legal_source == "DS 042-2025-PCM" and decreed.scope == NonWorkingDay.Scope.DECREED
        with time_machine.travel(lima(2025, 12, 22, 9, 0), tick=False):
            case = start("S04.02.00.02")
            drive_to(case, 11)
        # Plan completed Wednesday 24 December 2025: 25 (Navidad), 26 (decreed), 27 and 28 (weekend) are
        # not working days; 29 (1), 30 (2), 31 (3).
        with time_machine.travel(lima(2025, 12, 24, 16, 0), tick=False):
            complete(case, 11, plan_pruebas={"numero_interfaces": 2})
        assert case.deadlines.get().due_at == end_of(2025, 12, 31)
        decreed.delete()  # an administrator removes the row: the same term ends a working day earlier
        anchor = lima(2025, 12, 24, 16, 0)
        due = deadline_compute(entity=case.entity, anchor=anchor, amount=3, unit="working_days")
        assert due == end_of(2025, 12, 30)


class TestAutoClose:
    """S.04.04.02_P activity 6 (seed 004:2212): "si el solicitante no responde, el sistema cierra el ticket
    luego de 24 horas"."""

    def at_conformity(self, t0: dt.datetime) -> Case:
        with time_machine.travel(t0, tick=False):
            case = start("S.04.04.02_P")
            drive_to(case, 5)
            complete(case, 5)  # the conformity is asked: 24 clock hours from now
        return case

    def test_the_window_closes_the_ticket_by_itself_after_24_hours(self):
        t0 = lima(2026, 7, 24, 17, 0)
        case = self.at_conformity(t0)
        window = case.deadlines.get(time_rule="cierre_automatico_24h")
        assert window.due_at == lima(2026, 7, 25, 17, 0)  # clock hours: Saturday counts
        assert deadlines_expire(now=lima(2026, 7, 25, 16, 59)) == 0
        with time_machine.travel(lima(2026, 7, 25, 17, 0, 30), tick=False):
            assert deadlines_expire(now=lima(2026, 7, 25, 17, 0, 30)) == 1
            assert deadlines_expire(now=lima(2026, 7, 25, 18, 0)) == 0  # a repeated tick changes nothing

        case.refresh_from_db()
        assert case.status == Case.Status.CLOSED
        assert case.outcome == "Ticket cerrado automáticamente por el sistema sin respuesta del solicitante"
        task = case.tasks.get(activity=6)
        assert (task.status, task.decision, task.completed_by) == (
            CaseTask.Status.COMPLETED,
            "Sin respuesta del solicitante",
            None,
        )
        window.refresh_from_db()
        assert window.status == Deadline.Status.EXPIRED
        completed = AuditEvent.objects.get(case=case, action="task.completed", object_id=str(task.pk))
        assert (completed.actor, completed.actor_label) == (None, "sistema")
        assert AuditEvent.objects.filter(case=case, action="deadline.expired").count() == 1

    def test_an_answer_in_time_disarms_the_window_and_a_new_one_runs_from_the_new_request(self):
        t0 = lima(2026, 7, 24, 9, 0)
        case = self.at_conformity(t0)
        with time_machine.travel(t0 + dt.timedelta(hours=1), tick=False):
            complete(case, 6, "No")  # not conforming: back to 5
        with time_machine.travel(t0 + dt.timedelta(hours=3), tick=False):
            complete(case, 5)  # asked again: a new window until t0 + 27 h
        first, second = case.deadlines.order_by("anchor_at")
        assert first.status == Deadline.Status.MET
        assert second.due_at == t0 + dt.timedelta(hours=27)

        assert deadlines_expire(now=t0 + dt.timedelta(hours=26)) == 0  # the first no longer acts
        assert case.tasks.get(status=CaseTask.Status.OPEN).activity == 6
        assert deadlines_expire(now=t0 + dt.timedelta(hours=27, seconds=1)) == 1
        case.refresh_from_db()
        assert case.status == Case.Status.CLOSED


class TestGuardedActivity:
    """S.04.04.01.02_P (seed 004:1807): the UPS is switched on only after a move of the data centre."""

    def test_skipped_when_the_condition_is_false(self):
        case = start("S.04.04.01.02_P", flow="encendido", traslado_mudanza=False)
        complete(case, 216)
        skipped = case.tasks.get(activity=217)
        assert skipped.status == CaseTask.Status.SKIPPED
        assert skipped.completed_by is None
        assert list(case.tasks.filter(status=CaseTask.Status.OPEN).values_list("activity", flat=True)) == [
            218
        ]
        event = AuditEvent.objects.get(case=case, action="task.skipped")
        assert (event.object_id, event.actor_label) == (str(skipped.pk), "sistema")
        specialist = person("SENACE", "especialista_is")
        assert skipped not in tasks_for_person(person=specialist)  # never in an inbox

    def test_run_when_the_condition_holds(self):
        case = start("S.04.04.01.02_P", flow="encendido", traslado_mudanza=True)
        complete(case, 216)
        assert list(case.tasks.filter(status=CaseTask.Status.OPEN).values_list("activity", flat=True)) == [
            217
        ]
        assert not case.tasks.filter(status=CaseTask.Status.SKIPPED).exists()
        complete(case, 217)
        assert case.tasks.get(status=CaseTask.Status.OPEN).activity == 218


def test_the_oti_team_is_designated_for_the_current_year_only():
    """S.04.04.01.02_P activity 401 (seed 004:1878): "el equipo OTI designado es para el año en curso"."""
    with time_machine.travel(lima(2026, 3, 10, 11, 0), tick=False):
        case = start("S.04.04.01.02_P", flow="prevencion_desastres")
        complete(case, 401)
    validity = case.deadlines.get(time_rule="vigencia_equipo_oti")
    assert validity.due_at == end_of(2026, 12, 31)
    assert deadlines_expire(now=end_of(2026, 12, 31)) == 0
    assert deadlines_expire(now=lima(2027, 1, 1, 0, 0)) == 1


def test_pr_oti_006_runs_inside_the_legal_term_of_access_to_public_information():
    """TUO Ley 27806: 10 días hábiles from the working day after receipt; a later date notified within 2."""
    with time_machine.travel(lima(2026, 7, 24, 9, 0), tick=False):  # received Friday 24 July 2026
        case = start("PR.OTI.006")
    rules = {d.time_rule: d for d in case.deadlines.all()}
    # 27 (1), 30 (2), 31 (3), 3 Aug (4), 4 (5), 5 (6), 7 (7), 10 (8), 11 (9), 12 (10): see above.
    legal = rules["plazo_aip_10dh"]
    assert (legal.activity, legal.meaning, legal.due_at) == (None, "deadline", end_of(2026, 8, 12))
    notice = rules["aviso_prorroga_aip_2dh"]
    assert (notice.meaning, notice.due_at) == ("validity", end_of(2026, 7, 30))  # 27 (1), 30 (2)
    case.refresh_from_db()
    # The notice's window is a validity (nobody is late when it ends): the case, and each of its steps, is
    # due at the legal term of the whole case (mapro/cases/due.py), as the header, the task and the inbox say.
    assert case.due_at == end_of(2026, 8, 12)
    assert case.tasks.get(activity=1).due_at == end_of(2026, 8, 12)

    with time_machine.travel(lima(2026, 8, 3, 10, 0), tick=False):  # not a user of the MVCS: 2 -> 11
        complete(case, 1)
        complete(case, 2, "NO")
        complete(case, 11)
    case.refresh_from_db()
    legal.refresh_from_db()
    assert case.status == Case.Status.CLOSED
    assert legal.status == Deadline.Status.MET


ACTING = [
    (code, rule.id)
    for code, loaded in sorted(CATALOGUE.definitions.items())
    for rule in loaded.definition.time_rules
    if rule.on_expiry is not None and rule.activity is not None
]


@pytest.mark.parametrize(("code", "rule_id"), ACTING)
def test_every_expiry_action_of_the_catalogue_acts_by_itself(code, rule_id):
    """Each acting rule: the case waits at its activity, the term runs out, the tick does as the rule says."""
    d = CATALOGUE.definitions[code].definition
    rule = next(r for r in d.time_rules if r.id == rule_id)
    case = start(code)
    drive_to(case, rule.activity)
    deadline = case.deadlines.get(time_rule=rule_id, status=Deadline.Status.PENDING)
    assert deadlines_expire(now=deadline.due_at + dt.timedelta(seconds=1)) >= 1
    case.refresh_from_db()
    task = case.tasks.filter(activity=rule.activity).latest("pk")
    action = rule.on_expiry
    if action.action == "close":
        assert (case.status, case.outcome) == (Case.Status.CLOSED, action.outcome)
        assert task.status == CaseTask.Status.CANCELLED
        return
    assert (task.status, task.completed_by) == (CaseTask.Status.COMPLETED, None)
    targets = d.successors(d.activity(rule.activity))
    if action.action == "branch":
        assert task.decision == action.branch
        branch = next(b for b in d.activity(rule.activity).decision.branches if b.label == action.branch)
        targets = branch.goto if isinstance(branch.goto, list) else [branch.goto]
        if targets == ["end"]:
            assert (case.status, case.outcome) == (Case.Status.CLOSED, branch.outcome)
            return
    assert sorted(open_activities(case)) == sorted(t for t in targets if t != "end")


def test_the_close_action_ends_the_case_cancels_its_tasks_and_settles_its_terms():
    """`on_expiry: close` (no catalogue rule uses it yet): what the tick runs, on PR.OTI.006."""
    with time_machine.travel(lima(2026, 7, 24, 9, 0), tick=False):
        case = start("PR.OTI.006")
    with time_machine.travel(lima(2026, 7, 27, 9, 0), tick=False), transaction.atomic():
        case_close_by_system(
            case=case_lock(case=case), outcome="Cerrado al vencer", summary="cierre de prueba"
        )
    case.refresh_from_db()
    assert (case.status, case.outcome, case.due_at) == (Case.Status.CLOSED, "Cerrado al vencer", None)
    assert case.closed_at == lima(2026, 7, 27, 9, 0)
    assert list(case.tasks.values_list("status", flat=True)) == [CaseTask.Status.CANCELLED]
    assert case.deadlines.get(time_rule="plazo_aip_10dh").status == Deadline.Status.MET
    event = AuditEvent.objects.get(case=case, action="case.closed")
    assert (event.actor, event.actor_label) == (None, "sistema")


def test_a_suspended_case_acts_only_after_it_resumes():
    t0 = lima(2026, 7, 24, 9, 0)
    with time_machine.travel(t0, tick=False):
        case = start("S.04.04.02_P")
        drive_to(case, 6)
    owner = person("SENACE", "jefe_oti")
    case_suspend(case_id=case.pk, actor=owner, reason="Consulta al proveedor")
    assert deadlines_expire(now=t0 + dt.timedelta(hours=25)) == 0
    assert case.tasks.get(activity=6).status == CaseTask.Status.OPEN
    case_resume(case_id=case.pk, actor=owner)
    assert deadlines_expire(now=t0 + dt.timedelta(hours=25)) == 1
    case.refresh_from_db()
    assert case.outcome == "Ticket cerrado automáticamente por el sistema sin respuesta del solicitante"
