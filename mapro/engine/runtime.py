"""
Running compiled procedures on SpiffWorkflow: the narrow interface the case services use.

- Specs are parsed once per procedure version and kept in memory (`ProcessSpecs`); the serialized
  workflow stored on a case holds routing only, without the spec, which is put back on load.
- A call activity is parsed as a waiting user task: mapro runs the called procedure as a child case
  (its own expediente, roles and deadlines) and completes the waiting task when the child closes.
- Decision gateways route on the task data key `decision`, set to the branch label chosen.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from SpiffWorkflow.bpmn.serializer.config import DEFAULT_CONFIG
from SpiffWorkflow.bpmn.serializer.default.workflow import BpmnWorkflowConverter, WorkflowConverter
from SpiffWorkflow.bpmn.serializer.workflow import VERSION, BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.util.task import TaskState

from .specs import ProcessSpecs, process_specs_load, workflow_create

SERIALIZER_VERSION: str = VERSION
DECISION_KEY = "decision"  # the branch label chosen at a decision
FLOW_KEY = "flow"  # the flow a case of a multi-flow procedure follows
ROLE_SEPARATOR = "__"  # Activity_<n>__<role>: one task per role of a `completion: each` activity
GUARDS_KEY = "guards"  # {"<activity number>": bool}: whether each guarded activity runs (guard gateways)
GUARD_PREFIX = "Guard_"


class _RoutingOnlyConverter(BpmnWorkflowConverter):
    """Serializes a workflow without its specs: mapro keeps them parsed, once per procedure version."""

    def to_dict(self, workflow: BpmnWorkflow) -> dict[str, Any]:
        dct = WorkflowConverter.to_dict(self, workflow)
        dct["subprocesses"] = self.mapping_to_dict(workflow.subprocesses)
        dct["bpmn_events"] = self.registry.convert(workflow.bpmn_events)
        return dct

    def from_dict(self, dct: dict[str, Any], spec: Any = None, subprocess_specs: Any = None) -> BpmnWorkflow:
        dct = dict(dct)  # the restore pops keys from the top level
        workflow = self.target_class(spec, subprocess_specs, deserializing=True)
        workflow.tasks = self.mapping_from_dict(dct["tasks"], UUID, workflow=workflow)
        workflow.task_tree = workflow.tasks.get(UUID(dct["root"]))
        self.set_default_attributes(workflow, dct)
        self.subprocesses_from_dict(dct["subprocesses"], workflow)
        workflow.bpmn_events = self.registry.restore(dct.pop("bpmn_events", []))
        return workflow


_serializer = BpmnWorkflowSerializer(
    BpmnWorkflowSerializer.configure({**DEFAULT_CONFIG, BpmnWorkflow: _RoutingOnlyConverter})
)


class EngineError(Exception):
    """The workflow cannot do what was asked (a bug or a corrupted state, never a user mistake)."""


@dataclass(frozen=True)
class HumanTask:
    """A READY task waiting for a person (or, for a call activity, for a child case)."""

    id: str
    spec_name: str
    activity: int
    role: str | None = None  # for an activity each of whose roles must complete it: this task's role


_specs_cache: dict[Any, ProcessSpecs] = {}


def specs_for(cache_key: Any, load: Callable[[], tuple[str, Sequence[str]]]) -> ProcessSpecs:
    """
    The parsed specs of an immutable procedure version, parsed once per process. `load` gives its BPMN
    and the BPMN of the procedures it calls, and is only called on the first use of `cache_key`.
    """
    specs = _specs_cache.get(cache_key)
    if specs is None:
        bpmn, called = load()
        specs = _specs_cache[cache_key] = process_specs_load(bpmn=bpmn, called=called)
    return specs


def workflow_start(specs: ProcessSpecs, data: dict[str, Any] | None = None) -> BpmnWorkflow:
    return workflow_create(specs=specs, data=data)


def workflow_dump(workflow: BpmnWorkflow) -> dict[str, Any]:
    """The routing state to store on the case: the serialized workflow without its specs."""
    return _serializer.to_dict(workflow)


def workflow_load(state: dict[str, Any], specs: ProcessSpecs) -> BpmnWorkflow:
    return _serializer.from_dict(state, spec=specs.process, subprocess_specs=specs.subprocesses)


def activity_number(spec_name: str) -> int | None:
    """
    `Activity_12` -> 12: the compiler names each activity's task after its number; an activity each of
    whose roles must complete it has one task per role, `Activity_12__<role>`, still activity 12.
    """
    prefix, _, rest = spec_name.partition("_")
    number = rest.partition(ROLE_SEPARATOR)[0]
    return int(number) if prefix == "Activity" and number.isdigit() else None


def task_role(spec_name: str) -> str | None:
    """`Activity_12__jefe_oti` -> 'jefe_oti'; None for the single task of an activity."""
    _, separator, role = spec_name.partition(ROLE_SEPARATOR)
    return role if separator and role else None


def ready_human_tasks(workflow: BpmnWorkflow) -> list[HumanTask]:
    tasks = []
    for task in workflow.get_tasks(state=TaskState.READY):
        name = task.task_spec.name
        number = activity_number(name)
        if number is not None:
            tasks.append(HumanTask(str(task.id), name, number, task_role(name)))
    return tasks


def workflow_complete_task(
    workflow: BpmnWorkflow,
    *,
    task_id: str,
    decision: str | None = None,
    guards: dict[str, bool] | None = None,
) -> None:
    """`guards`: the guard values evaluated on the case data as of this completion (mapro writes them)."""
    task = workflow.get_task_from_id(UUID(task_id))
    if task is None or task.state != TaskState.READY:
        raise EngineError(f"task {task_id} is not ready")
    task.set_data(**{DECISION_KEY: decision})
    if guards:
        task.set_data(**{GUARDS_KEY: guards})
    task.run()
    workflow.do_engine_steps()


@dataclass(frozen=True)
class SkippedGuard:
    """A guard gateway that ran and did not route into its activity: the activity was skipped."""

    id: str
    activity: int


def guards_skipped(workflow: BpmnWorkflow) -> list[SkippedGuard]:
    skipped = []
    for task in workflow.get_tasks(state=TaskState.COMPLETED):
        name = task.task_spec.name
        if not name.startswith(GUARD_PREFIX) or not name[len(GUARD_PREFIX) :].isdigit():
            continue
        activity = f"Activity_{name[len(GUARD_PREFIX) :]}"
        if not any(child.task_spec.name == activity for child in task.children):
            skipped.append(SkippedGuard(str(task.id), int(name[len(GUARD_PREFIX) :])))
    return skipped


def workflow_cancel(workflow: BpmnWorkflow) -> None:
    workflow.cancel()


def workflow_outcome(workflow: BpmnWorkflow) -> str | None:
    """The name of the end event reached, once the workflow is completed."""
    if not workflow.completed:
        return None
    ends = [
        t
        for t in workflow.get_tasks(state=TaskState.COMPLETED)
        if t.task_spec.name.startswith("End_") and t.task_spec.bpmn_name
    ]
    return ends[-1].task_spec.bpmn_name if ends else ""
