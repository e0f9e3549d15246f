"""
Parallel branches run as the seeds write them, through the REST API, as the named roles.

- S04.02.00.01 (seed 002:613-621): after 14 "Continuar en paralelo con la actividad 15 y 16", 15 (Analista
  programador) and 16 (Responsable del análisis de sistemas) are open at once, each in its own person's
  inbox; completing 16 first leaves 15 as it was (same task, same deadline) and does not open 17; 17 opens
  when 15 is done. Each branch keeps its own deadline.
- S.04.02.03_P (seed 004:1026-1041): "Sí" of 2 opens 4 (BD) and 10 (código fuente) at once; a retry inside
  the BD branch (4 "No" → 5 → 6 → 4) never redoes or reopens the other branch; 14 waits for 9 and 13.
- S.04.04.01.03_P (seed 004:2129-2134): 2, 3 and 4 answer on their own; one "No" sends the installation
  (5) once, after all three answered, and 6 after it; all "Sí" goes straight to 6.
- S.04.03.02_P (seed 004:1419-1422): the flow starts with 301, 302 and 303 at once; 304 "No" for one of them
  reopens that one alone and 304 waits for it only.
- S.04.04.01.02_P (seed 004:1788-1803): after 105, 106 → 112 (Especialista en SD) runs beside the servers'
  branch 107 … 114, so 111 and 112 are open together; 115 waits for both; 113 "No" → 110 leaves 112 done.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from django.conf import settings
from rest_framework.test import APIClient

from mapro.cases.models import Case, CaseTask, Deadline
from mapro.catalogue.definition import load_catalogue
from mapro.catalogue.services import procedure_version_load
from mapro.catalogue.tests.sample_data import decision_reason, record_data, start_inputs
from mapro.deadlines.calendar import due_at
from mapro.deadlines.services import entity_calendar

from .conftest import person
from .test_every_branch_api import CATALOGUE, shortest

pytestmark = pytest.mark.django_db


def client_of(entity: str, role: str) -> APIClient:
    client = APIClient()
    client.force_authenticate(user=person(entity, role).user)
    return client


class Run:
    """A case of one procedure, driven task by task through the API."""

    def __init__(self, code: str, *, flow: str | None = None) -> None:
        self.d = CATALOGUE.definitions[code].definition
        self.entity = self.d.entity.value
        first = self.d.activity(self.d.start_activities()[0])
        payload = {"procedure": code, "inputs": start_inputs(self.d)}
        if flow:
            payload["flow"] = flow
            start = next(f for f in self.d.flows if f.id == flow).start
            first = self.d.activity(start[0] if isinstance(start, list) else start)
        response = client_of(self.entity, first.role).post("/api/v1/cases/", payload, format="json")
        assert response.status_code == 201, response.json()
        self.number = response.json()["number"]
        self.open = [t for t in response.json()["tasks"] if t["status"] == "open"]

    def opened(self) -> dict[int, dict]:
        return {t["activity"]: t for t in self.open}

    def complete(self, n: int, decision: str | None = None) -> dict[int, dict]:
        (task,) = [t for t in self.open if t["activity"] == n]
        client = client_of(self.entity, task["role_code"])
        payload = {"decision": decision, "data": record_data(self.d, n)}
        if reason := decision_reason(self.d, n, decision):
            payload["reason"] = reason
        response = client.post(f"/api/v1/tasks/{task['id']}/complete/", payload, format="json")
        assert response.status_code == 200, response.json()
        self.open = response.json()["open_tasks"]
        return self.opened()

    def to(self, goal: int) -> None:
        """Complete the tasks of the shortest path to `goal` (its decisions as the path takes them)."""
        steps = shortest(self.d, [self.d.start_activities()[0]], lambda n: n == goal)
        for n, label in steps[:-1]:
            self.complete(n, label)
        assert goal in self.opened()


def inbox(entity: str, role: str) -> set[tuple[str, int]]:
    rows = client_of(entity, role).get("/api/v1/tasks/").json()
    return {(t["case"], t["activity"]) for t in rows}


def with_branch_deadlines(tmp_path: Path) -> None:
    """S04.02.00.01 with a deadline on each branch from when it opens: 10 working days for 15, 2 for 16."""
    source = Path(settings.PROCEDURES_DIR) / "mindef" / "S04_02_00_01.yaml"
    text = source.read_text(encoding="utf-8").replace(
        "events:\n",
        "events:\n"
        "  - {id: desarrollo_abierto, name: Inicio del desarrollo, activity: 15, moment: start}\n"
        "  - {id: monitoreo_abierto, name: Inicio del monitoreo, activity: 16, moment: start}\n",
        1,
    )
    text = text.replace(
        "time_rules:\n",
        "time_rules:\n"
        "  - {id: plazo_desarrollo, text: Desarrollo, activity: 15, amount: 10, unit: working_days,"
        " anchor: desarrollo_abierto}\n"
        "  - {id: plazo_monitoreo, text: Monitoreo, activity: 16, amount: 2, unit: working_days,"
        " anchor: monitoreo_abierto}\n",
        1,
    )
    path = tmp_path / "S04_02_00_01.yaml"
    path.write_text(text, encoding="utf-8")
    catalogue = load_catalogue([path], known_codes=CATALOGUE.definitions)
    assert catalogue.ok, catalogue.errors
    assert procedure_version_load(loaded=catalogue.definitions["S04.02.00.01"]) is not None
    CATALOGUE.definitions["S04.02.00.01"] = catalogue.definitions["S04.02.00.01"]


@pytest.fixture
def branch_deadlines(tmp_path):
    original = CATALOGUE.definitions["S04.02.00.01"]
    with_branch_deadlines(tmp_path)
    yield
    CATALOGUE.definitions["S04.02.00.01"] = original


def test_s04_02_00_01_development_and_monitoring_run_at_once_and_17_waits_for_both(branch_deadlines):
    run = Run("S04.02.00.01")
    run.to(14)
    opened = run.complete(14)

    # 002:613 "Continuar en paralelo con la actividad 15 y 16": both open, each for its own role.
    assert set(opened) == {15, 16}
    assert opened[15]["role_code"] == "analista_programador"
    assert opened[16]["role_code"] == "analista_sistemas"
    assert (run.number, 15) in inbox("MINDEF", "analista_programador")
    assert (run.number, 16) in inbox("MINDEF", "analista_sistemas")
    assert (run.number, 15) not in inbox("MINDEF", "analista_sistemas")
    case = Case.objects.get(number=run.number)
    calendar = entity_calendar(entity=case.entity)
    for n, rule, days in ((15, "plazo_desarrollo", 10), (16, "plazo_monitoreo", 2)):
        # Each branch has its own deadline, from when it opened.
        deadline = Deadline.objects.get(case=case, time_rule=rule)
        assert deadline.due_at == due_at(deadline.anchor_at, days, "working_days", calendar)
        assert CaseTask.objects.get(pk=opened[n]["id"]).due_at == deadline.due_at
    task_15 = CaseTask.objects.get(pk=opened[15]["id"])

    # The monitoring (16) ends first: 15 stays open as it was, and 17 does not start.
    opened = run.complete(16)
    assert set(opened) == {15}
    assert opened[15]["id"] == task_15.pk
    assert CaseTask.objects.get(pk=task_15.pk).due_at == task_15.due_at
    assert Deadline.objects.get(case=case, time_rule="plazo_monitoreo").status == Deadline.Status.MET
    assert Deadline.objects.get(case=case, time_rule="plazo_desarrollo").status == Deadline.Status.PENDING

    # 15 done: 17 (Solicitar el control de calidad) opens, once.
    opened = run.complete(15)
    assert set(opened) == {17}
    assert opened[17]["role_code"] == "analista_programador"
    assert not case.tasks.filter(status=CaseTask.Status.CANCELLED).exists()
    assert case.tasks.filter(activity=17).count() == 1


def test_s04_02_00_01_the_other_order_reaches_17_too():
    run = Run("S04.02.00.01")
    run.to(14)
    run.complete(14)
    assert set(run.complete(15)) == {16}
    assert set(run.complete(16)) == {17}


def test_s_04_02_03_p_a_retry_in_the_bd_branch_never_redoes_the_source_code_branch():
    run = Run("S.04.02.03_P")
    run.complete(1)
    opened = run.complete(2, "Sí")  # 004:1026 "Continúa en las actividades 4 y 10 (paralelas)"
    assert set(opened) == {4, 10}
    assert opened[4]["role_code"] == "especialista_bd" and opened[10]["role_code"] == "especialista_is"
    assert set(run.complete(10, "Sí")) == {4, 12}
    task_12 = run.opened()[12]["id"]
    # 004:1031-1033: the BD branch is observed, corrected and reviewed again; 12 waits untouched.
    assert set(run.complete(4, "No")) == {5, 12}
    assert set(run.complete(5)) == {6, 12}
    assert set(run.complete(6)) == {4, 12}
    assert run.opened()[12]["id"] == task_12
    assert set(run.complete(4, "Sí")) == {7, 12}
    assert set(run.complete(7, "Sí")) == {9, 12}
    assert set(run.complete(9)) == {12}  # 14 waits for the source code branch
    assert set(run.complete(12, "Sí")) == {13}
    assert set(run.complete(13)) == {14}
    case = Case.objects.get(number=run.number)
    assert case.tasks.filter(activity=10).count() == 1 and case.tasks.filter(activity=12).count() == 1
    assert case.tasks.filter(activity=4).count() == 2


@pytest.mark.parametrize(
    ("answers", "then"),
    [
        ({2: "Sí", 3: "No", 4: "Sí"}, 5),  # one review not conforming: install, once
        ({2: "Sí", 3: "Sí", 4: "Sí"}, 6),  # all conforming: straight to the e-mail to the Jefe(a)
    ],
)
def test_s_04_04_01_03_p_each_review_answers_and_the_installation_waits_for_all(answers, then):
    run = Run("S.04.04.01.03_P", flow="implementacion_monitoreo")
    assert set(run.complete(1)) == {2, 3, 4}  # 004:2129 "Continúa en las actividades 2,3, 4 (paralelas)"
    assert set(run.complete(3, answers[3])) == {2, 4}
    assert set(run.complete(2, answers[2])) == {4}
    assert set(run.complete(4, answers[4])) == {then}
    if then == 5:
        assert set(run.complete(5)) == {6}
    case = Case.objects.get(number=run.number)
    assert [t.decision for t in case.tasks.filter(activity__in=[2, 3, 4]).order_by("activity")] == [
        answers[2],
        answers[3],
        answers[4],
    ]


def test_s_04_03_02_p_a_correction_reopens_only_the_activity_to_correct():
    run = Run("S.04.03.02_P", flow="aseguramiento_red")
    assert set(run.opened()) == {301, 302, 303}  # 004:1421 "Las actividades 1, 2 y 3 son paralelas"
    assert set(run.complete(303, "No")) == {301, 302, 303}  # "Corrige y regresa a la actividad 3"
    assert set(run.complete(303, "Sí")) == {301, 302}
    assert set(run.complete(301)) == {302}
    assert set(run.complete(302)) == {304}
    # 004:1422 "No: Corrige y regresa a cada actividad (1,2 o 3)": only 302 again, and 304 waits for it.
    assert set(run.complete(304, "No - cambios de organización, segmentación o accesos entre redes")) == {302}
    assert set(run.complete(302)) == {304}
    case = Case.objects.get(number=run.number)
    assert case.tasks.filter(activity=301).count() == 1 and case.tasks.filter(activity=303).count() == 2


def test_s_04_04_01_02_p_the_telephone_branch_runs_beside_the_servers_and_115_waits_for_both():
    run = Run("S.04.04.01.02_P", flow="apagado")
    run.complete(101)
    run.complete(102, "Sí")
    run.complete(103, "Sí")
    run.complete(104)
    # 004:1788 "Continúa en actividades 5, 6 (paralelas)", read as 6 and 7 (inconsistency recorded).
    assert set(run.complete(105)) == {106, 107}
    assert set(run.complete(106)) == {107, 112}  # 004:1789 "Continúa en la actividad 12"
    assert run.opened()[112]["role_code"] == "especialista_sd"
    assert set(run.complete(107)) == {108, 112}
    assert set(run.complete(108)) == {109, 112}
    assert set(run.complete(109)) == {110, 112}
    assert set(run.complete(110, "Sí")) == {111, 112}  # 004:1799 "Se ejecutan tareas 11 y 12 en paralelo"
    assert set(run.complete(112)) == {111}  # 004:1800 "Continúa en la actividad 15": 115 waits for 114
    assert set(run.complete(111)) == {113}
    assert set(run.complete(113, "No")) == {110}  # back to 110 (004:1801): the telephone branch stays done
    assert set(run.complete(110, "Sí")) == {111}
    assert set(run.complete(111)) == {113}
    assert set(run.complete(113, "Sí")) == {114}
    assert set(run.complete(114)) == {115}
    case = Case.objects.get(number=run.number)
    assert case.tasks.filter(activity=112).count() == 1 and case.tasks.filter(activity=115).count() == 1
