"""
Loading compiled BPMN into SpiffWorkflow: the process specs of a procedure, and new workflows from them.

Called procedures. A `call` activity starts another procedure as a case of its own: the called case pins
its own procedure version, has its own lock, deadlines and audit trail, and may outlive the step
(`call.wait: false`). So the engine does not embed the called process in the caller's workflow. The parser
reads bpmn:callActivity as one waiting task: a SpiffWorkflow UserTask, which `do_engine_steps()` never runs
by itself, so it rests READY (the same reading as `runtime.py`, so workflows from either are alike). The
case runtime recognises it (`ProcessSpecs.calls`), starts the called case, and completes the waiting task
when that case closes, or at once when the caller does not wait. The serialized workflow thus holds the
caller's routing only, and the stock BpmnWorkflowSerializer handles it (UserTask is a standard spec).

The called procedures' BPMN is still required and parsed: a call to a process nobody supplied is an
error when the procedure is loaded, not when a case reaches the step.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from lxml import etree
from SpiffWorkflow.bpmn.parser.BpmnParser import BpmnParser, BpmnValidator
from SpiffWorkflow.bpmn.parser.TaskParser import TaskParser
from SpiffWorkflow.bpmn.parser.util import full_tag
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.bpmn.specs.bpmn_process_spec import BpmnProcessSpec
from SpiffWorkflow.bpmn.specs.defaults import UserTask
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.util.task import TaskState

from mapro.core.errors import ApplicationError

_NS = {"bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL"}


class BpmnLoadError(ApplicationError):
    """Compiled BPMN that SpiffWorkflow cannot load: a compiler bug or a missing called procedure."""


class _Parser(BpmnParser):
    # A call activity waits for the called case instead of running the called process inline.
    OVERRIDE_PARSER_CLASSES = {full_tag("callActivity"): (TaskParser, UserTask)}


@dataclass(frozen=True)
class ProcessSpecs:
    """Everything needed to start a workflow of one procedure version."""

    process: BpmnProcessSpec
    subprocesses: dict[str, BpmnProcessSpec]  # embedded subprocesses; call activities are not among them
    calls: dict[str, str]  # task spec name of each call activity -> process id of the called procedure


def process_specs_load(*, bpmn: str, called: Sequence[str] = ()) -> ProcessSpecs:
    """
    Parses a procedure's compiled BPMN, validated against the BPMN 2.0 schema, with the BPMN of every
    procedure it calls. The document must hold exactly one executable process: the one compiled.
    """
    parser = _Parser(validator=BpmnValidator())
    try:
        main = _without_boundary_timers(etree.fromstring(bpmn.encode()))
        parser.add_bpmn_xml(main, filename="procedure")
        for index, document in enumerate(called):
            parser.add_bpmn_xml(etree.fromstring(document.encode()), filename=f"called-{index}")
        (process_id,) = main.xpath("//bpmn:process[@isExecutable='true']/@id", namespaces=_NS)
        calls = _calls(main)
        missing = sorted(set(calls.values()) - set(parser.get_process_ids()))
        if missing:
            raise BpmnLoadError(f"Faltan los procedimientos llamados: {', '.join(missing)}")
        for called_id in set(calls.values()):
            parser.get_spec(called_id)  # parse now, so a broken called document fails here
        return ProcessSpecs(
            process=parser.get_spec(process_id),
            subprocesses=parser.get_subprocess_specs(process_id),
            calls=calls,
        )
    except (ValidationException, etree.XMLSyntaxError, ValueError) as error:
        raise BpmnLoadError(f"El BPMN compilado no se puede cargar: {error}") from error


def _without_boundary_timers(document: etree._Element) -> etree._Element:
    """
    The document without its boundary timers, their flows, and the ends only they reach. A boundary timer
    draws a time rule that acts when it runs out; its due time is the calendar's (días hábiles, holidays,
    decreed days), which no BPMN timer expresses, and mapro's deadline tick performs the action
    (cases/services/deadlines.py). Left in, SpiffWorkflow would run a second clock on its own.
    """
    timers = document.xpath("//bpmn:process//bpmn:boundaryEvent[bpmn:timerEventDefinition]", namespaces=_NS)
    if not timers:
        return document
    ids = {timer.get("id") for timer in timers}
    for timer in timers:
        timer.getparent().remove(timer)
    for flow in document.xpath("//bpmn:process//bpmn:sequenceFlow", namespaces=_NS):
        if flow.get("sourceRef") in ids:
            target = flow.get("targetRef")
            flow.getparent().remove(flow)
            for ref in document.xpath(f"//bpmn:process//*[@id='{target}']/bpmn:incoming", namespaces=_NS):
                if ref.text == flow.get("id"):
                    ref.getparent().remove(ref)
            _orphan_end_remove(document, target)
    for ref in document.xpath("//bpmn:process//bpmn:flowNodeRef", namespaces=_NS):
        if ref.text in ids:
            ref.getparent().remove(ref)
    return document


def _orphan_end_remove(document: etree._Element, node_id: str) -> None:
    """An end event only a boundary timer reached is left with no way in: it goes too."""
    (node,) = document.xpath(f"//bpmn:process//*[@id='{node_id}']", namespaces=_NS) or (None,)
    if node is None or etree.QName(node).localname != "endEvent":
        return
    if node.xpath("bpmn:incoming", namespaces=_NS):
        return
    node.getparent().remove(node)
    for ref in document.xpath("//bpmn:process//bpmn:flowNodeRef", namespaces=_NS):
        if ref.text == node_id:
            ref.getparent().remove(ref)


def _calls(document: etree._Element) -> dict[str, str]:
    activities = document.xpath("//bpmn:process[@isExecutable='true']//bpmn:callActivity", namespaces=_NS)
    return {activity.get("id"): activity.get("calledElement") for activity in activities}


def workflow_create(*, specs: ProcessSpecs, data: Mapping[str, Any] | None = None) -> BpmnWorkflow:
    """
    A new workflow, run to its first wait state. `data` seeds the start: for a procedure with several
    flows it must hold `flow`, the id of the flow the case follows, which the start gateway reads.
    """
    workflow = BpmnWorkflow(specs.process, specs.subprocesses)
    if data:
        for task in workflow.get_tasks(state=TaskState.READY):
            task.set_data(**data)
    workflow.do_engine_steps()
    return workflow
