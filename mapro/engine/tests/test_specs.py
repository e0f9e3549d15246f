"""
Every procedure of the repository catalogue, compiled, loaded and actually run in SpiffWorkflow.

For each activity the tests find a path to it in the definition (the flow chosen at the start, the branch
label chosen at each decision), then drive a real workflow along that path, completing each ready task
as a person would, until the activity's task is READY. The same is done for every decision branch (loops
included: the activity a loop goes back to must become READY again) and for every end outcome (the
workflow completes at the end event named after it). A call activity is one waiting task, completed like
the others here, as the case runtime does when the called case closes.
"""

from __future__ import annotations

import functools
from collections import deque
from dataclasses import dataclass
from pathlib import Path as FilePath

import pytest
from SpiffWorkflow.bpmn.serializer.workflow import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.task import Task
from SpiffWorkflow.util.task import TaskState

from mapro.catalogue.compiler import compile_bpmn, process_id
from mapro.catalogue.compiler.graph import DECISION_VARIABLE, DEFAULT_OUTCOME, FLOW_VARIABLE, GUARDS_VARIABLE
from mapro.catalogue.definition import Definition, load_catalogue
from mapro.catalogue.definition.schema import END, ActivityKind, activity_numbers
from mapro.engine.runtime import activity_number
from mapro.engine.specs import BpmnLoadError, ProcessSpecs, process_specs_load, workflow_create

ROOT = FilePath(__file__).resolve().parents[3]
CATALOGUE = load_catalogue([ROOT / "procedures"])
CODES = sorted(CATALOGUE.definitions)
CALLING = [code for code in CODES if any(a.call for a in CATALOGUE.definitions[code].definition.activities)]


@dataclass(frozen=True)
class Step:
    activity: int
    label: str | None = None  # the branch taken when the activity has a decision


@dataclass(frozen=True)
class Path:
    flow: str | None
    steps: tuple[Step, ...]

    def then(self, step: Step) -> Path:
        return Path(self.flow, (*self.steps, step))


def definition(code: str) -> Definition:
    return CATALOGUE.definitions[code].definition


@functools.cache
def specs(code: str) -> ProcessSpecs:
    d = definition(code)
    return process_specs_load(bpmn=compile_bpmn(d), called=called_bpmn(d))


def called_bpmn(d: Definition) -> list[str]:
    called = sorted({a.call.procedure for a in d.activities if a.call is not None})
    return [compile_bpmn(definition(code)) for code in called]


def shortest_paths(d: Definition) -> dict[int, Path]:
    """Breadth-first from each start in turn (each flow, in order): the first path found to each activity."""
    paths: dict[int, Path] = {}
    starts = [(flow.id, n) for flow in d.flows for n in activity_numbers(flow.start)]
    starts = starts or [(None, n) for n in d.start_activities()]
    for flow, start in starts:
        pending = deque([(start, Path(flow, ()))])
        while pending:
            n, path = pending.popleft()
            if n in paths:
                continue
            paths[n] = path
            for label, target in branches(d, n):
                if not is_end(d, target):
                    pending.append((int(target), path.then(Step(n, label))))
    return paths


def is_end(d: Definition, target: int | str) -> bool:
    """The end of the procedure, or a seed's numbered Fin row (an end event, never a task)."""
    return target == END or d.activity(int(target)).kind == ActivityKind.END_EVENT


def end_name(d: Definition, target: int | str, outcome: str | None) -> str:
    if target == END:
        return outcome or DEFAULT_OUTCOME
    fin_row = d.activity(int(target))
    return fin_row.outcome or fin_row.name


def finish(workflow: BpmnWorkflow, d: Definition) -> BpmnWorkflow:
    """Complete what other parallel branches still have open, going forward, so the workflow can end."""
    for _ in range(200):
        open_tasks = [
            t for t in workflow.get_tasks(state=TaskState.READY) if activity_number(t.task_spec.name)
        ]
        if not open_tasks:
            break
        run_task(workflow, open_tasks[0], forward_label(d, activity_number(open_tasks[0].task_spec.name)))
    return workflow


def branches(d: Definition, n: int) -> list[tuple[str | None, int | str]]:
    """(label, target) of every way out of n; a branch to several activities at once gives one per target."""
    activity = d.activity(n)
    if activity.decision is not None:
        return [(b.label, t) for b in activity.decision.branches for t in activity_numbers(b.goto)]
    return [(None, target) for target in d.successors(activity)]


def run(code: str, path: Path) -> BpmnWorkflow:
    """A new workflow driven along `path`: each step's task must be READY when its turn comes."""
    data = {FLOW_VARIABLE: path.flow} if path.flow is not None else {}
    # Every guarded activity runs (what the runtime writes when each guard's condition holds).
    data[GUARDS_VARIABLE] = {str(a.n): True for a in definition(code).activities if a.when is not None}
    workflow = workflow_create(specs=specs(code), data=data)
    for step in path.steps:
        complete(workflow, step, definition(code))
    return workflow


def complete(workflow: BpmnWorkflow, step: Step, d: Definition) -> None:
    """
    Complete the step's tasks (one per role of an activity each role must complete). When it waits at a
    join, the other parallel branches are done first (each decision on them going forward), as their people
    would: a path follows one branch only.
    """
    task = reached(workflow, step.activity, d)
    assert task is not None, f"la actividad {step.activity} no está lista: {ready_names(workflow)}"
    for task in ready_tasks(workflow, step.activity):
        run_task(workflow, task, step.label)


def ready_tasks(workflow: BpmnWorkflow, n: int) -> list[Task]:
    tasks = workflow.get_tasks(state=TaskState.READY)
    return [t for t in tasks if activity_number(t.task_spec.name) == n]


def reached(workflow: BpmnWorkflow, n: int, d: Definition) -> Task | None:
    """n's READY task, once the other parallel branches it waits for are done; None if it never comes."""
    for _ in range(100):
        task = ready(workflow, n)
        others = [
            t
            for t in workflow.get_tasks(state=TaskState.READY)
            if activity_number(t.task_spec.name) is not None
        ]
        if task is not None or not others:
            return task
        other = activity_number(others[0].task_spec.name)
        run_task(workflow, others[0], forward_label(d, other))
    return None


def run_task(workflow: BpmnWorkflow, task: Task, label: str | None) -> None:
    if label is not None:
        task.set_data(**{DECISION_VARIABLE: label})
    task.run()
    workflow.do_engine_steps()


def forward_label(d: Definition, n: int) -> str | None:
    """The branch of n's decision that goes furthest ahead (not back, not to the end)."""
    decision = d.activity(n).decision
    if decision is None:
        return None
    ahead = [
        (max((t for t in activity_numbers(b.goto) if t != END), default=0), b.label)
        for b in decision.branches
    ]
    return max(ahead)[1]


def ready(workflow: BpmnWorkflow, n: int) -> Task | None:
    return next(iter(ready_tasks(workflow, n)), None)


def ready_names(workflow: BpmnWorkflow) -> list[str]:
    return [t.task_spec.name for t in workflow.get_tasks(state=TaskState.READY)]


def outcomes_of(workflow: BpmnWorkflow) -> set[str]:
    """The ends reached: one, or one per parallel branch that ends on its own."""
    ends = [t for t in workflow.get_tasks(state=TaskState.COMPLETED) if t.task_spec.name.startswith("End_")]
    assert ends
    return {t.task_spec.bpmn_name for t in ends}


@pytest.mark.parametrize("code", CODES)
def test_compiled_bpmn_loads_in_spiffworkflow(code: str) -> None:
    loaded = specs(code)
    assert loaded.process.name == process_id(code)
    calls = {f"Activity_{a.n}": process_id(a.call.procedure) for a in definition(code).activities if a.call}
    assert loaded.calls == calls
    numbers = {activity_number(name) for name in loaded.process.task_specs}
    tasks = {a.n for a in definition(code).activities if a.kind != ActivityKind.END_EVENT}  # Fin rows: ends
    assert tasks <= numbers


@pytest.mark.parametrize("code", CODES)
def test_every_activity_is_reached_by_a_run(code: str) -> None:
    d = definition(code)
    paths = shortest_paths(d)
    assert set(paths) == {a.n for a in d.activities if a.kind != ActivityKind.END_EVENT}
    for n, path in paths.items():
        workflow = run(code, path)
        assert reached(workflow, n, d) is not None, f"actividad {n}: listas {ready_names(workflow)}"


@pytest.mark.parametrize("code", CODES)
def test_every_branch_leads_where_the_ficha_says(code: str) -> None:
    d = definition(code)
    paths = shortest_paths(d)
    for activity in (a for a in d.activities if a.decision is not None):
        for branch in activity.decision.branches:
            workflow = run(code, paths[activity.n].then(Step(activity.n, branch.label)))
            where = f"actividad {activity.n}, rama {branch.label!r}"
            if not isinstance(branch.goto, list) and is_end(d, branch.goto):
                assert finish(workflow, d).is_completed(), where
                assert end_name(d, branch.goto, branch.outcome) in outcomes_of(workflow), where
            else:  # every branch of a parallel start is open at once
                first, *others = activity_numbers(branch.goto)
                assert all(ready(workflow, int(n)) is not None for n in others), where
                assert reached(workflow, int(first), d) is not None, where


@pytest.mark.parametrize("code", CODES)
def test_every_outcome_is_reached_by_a_completed_run(code: str) -> None:
    d = definition(code)
    paths = shortest_paths(d)
    reached: set[str] = set()
    for activity in (a for a in d.activities if a.kind != ActivityKind.END_EVENT):
        for label, target in branches(d, activity.n):
            if not is_end(d, target):
                continue
            workflow = finish(run(code, paths[activity.n].then(Step(activity.n, label))), d)
            assert workflow.is_completed(), f"actividad {activity.n}"
            reached |= outcomes_of(workflow)
    assert reached, "ningún camino termina el procedimiento"
    ends = specs(code).process.task_specs.values()
    assert reached == {spec.bpmn_name for spec in ends if spec.name.startswith("End_")}


@pytest.mark.parametrize("code", CALLING)
def test_a_call_activity_waits_as_one_task_and_survives_serialization(code: str) -> None:
    d = definition(code)
    paths = shortest_paths(d)
    serializer = BpmnWorkflowSerializer()
    for activity in (a for a in d.activities if a.call is not None):
        workflow = run(code, paths[activity.n])
        assert ready(workflow, activity.n) is not None
        assert workflow.subprocesses == {}, "the called procedure must not run inside the caller"
        workflow = serializer.deserialize_json(serializer.serialize_json(workflow))
        complete(workflow, Step(activity.n), d)  # what the runtime does when the called case closes
        ((_, target),) = branches(d, activity.n)
        assert workflow.is_completed() if is_end(d, target) else reached(workflow, int(target), d) is not None


@pytest.mark.parametrize("code", CALLING)
def test_a_missing_called_procedure_is_a_load_error(code: str) -> None:
    with pytest.raises(BpmnLoadError, match="Faltan los procedimientos llamados"):
        process_specs_load(bpmn=compile_bpmn(definition(code)))


def test_broken_bpmn_is_a_load_error() -> None:
    with pytest.raises(BpmnLoadError):
        process_specs_load(bpmn="<bpmn:definitions")
    with pytest.raises(BpmnLoadError):
        # A sequence flow to a node that does not exist.
        process_specs_load(bpmn=compile_bpmn(definition(CODES[0])).replace('targetRef="', 'targetRef="X', 1))


def test_a_branch_label_with_quotes_routes_in_the_engine() -> None:
    label = "Sí, \"urgente\" o 'no' \\ fin"
    code = next(c for c in CODES if any(a.decision for a in definition(c).activities))
    data = definition(code).model_dump()
    activity = next(a for a in data["activities"] if a["decision"] is not None)
    activity["decision"]["branches"][0]["label"] = label
    d = Definition.model_validate(data)
    loaded = process_specs_load(bpmn=compile_bpmn(d), called=called_bpmn(d))
    path = shortest_paths(d)[activity["n"]]
    workflow = workflow_create(specs=loaded, data={FLOW_VARIABLE: path.flow} if path.flow else None)
    for step in (*path.steps, Step(activity["n"], label)):
        complete(workflow, step, d)
    target = activity["decision"]["branches"][0]["goto"]
    assert workflow.is_completed() if is_end(d, target) else ready(workflow, int(target)) is not None


def test_each_roles_task_keeps_its_activity_number() -> None:
    """`completion: each` compiles one task per role, `Activity_<n>__<role>`: still activity n."""
    from mapro.engine.runtime import task_role

    assert activity_number("Activity_202__especialista_sd") == 202
    assert task_role("Activity_202__especialista_sd") == "especialista_sd"
    assert (activity_number("Activity_6"), task_role("Activity_6")) == (6, None)
    assert activity_number("Split_Each_6") is None
