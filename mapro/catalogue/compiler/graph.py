"""
The flow graph of a definition: the BPMN flow nodes and sequence flows a ficha turns into.

Both the BPMN writer and the layout work from this one graph, so the ids, names and conditions in the XML
and the boxes in the diagram can never disagree. Ids are deterministic (derived from activity numbers and
outcome order): compiling the same definition twice gives byte-identical BPMN, which the golden tests and
the engine (task spec names are these ids) rely on.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from mapro.catalogue.definition.schema import END, Activity, Call, CallInput, Definition

START_ID = "StartEvent_1"
FLOWS_GATEWAY_ID = "Gateway_Start"
DEFAULT_OUTCOME = "Fin"
START_NAME = "Inicio"
FLOWS_QUESTION = "¿Qué flujo se sigue?"

# The variables the engine reads at the gateways. The runtime writes them into the task data: `decision`
# when a person completes a decision activity, `flow` when a case of a multi-flow procedure starts.
DECISION_VARIABLE = "decision"
FLOW_VARIABLE = "flow"


class NodeKind(StrEnum):
    START = "start"
    TASK = "task"
    CALL = "call"
    GATEWAY = "gateway"
    END = "end"


@dataclass(frozen=True)
class Node:
    id: str
    kind: NodeKind
    name: str  # the BPMN name; a task's carries its activity number
    caption: str  # what the drawing writes in or next to the shape
    role: str  # the role id whose lane holds the node
    activity: int | None = None
    documentation: str | None = None
    called_process: str | None = None


@dataclass(frozen=True)
class Edge:
    id: str
    source: str
    target: str
    label: str | None = None
    condition: str | None = None  # a Python expression over the task data


@dataclass(frozen=True)
class FlowGraph:
    nodes: tuple[Node, ...]
    edges: tuple[Edge, ...]

    def node(self, node_id: str) -> Node:
        return next(n for n in self.nodes if n.id == node_id)

    def outgoing(self, node_id: str) -> list[Edge]:
        return [e for e in self.edges if e.source == node_id]


def process_id(code: str) -> str:
    """The BPMN process id of a procedure: an XML NCName, stable across versions of the procedure."""
    return "Process_" + re.sub(r"[^A-Za-z0-9_]", "_", code)


def activity_id(n: int) -> str:
    return f"Activity_{n}"


def gateway_id(n: int) -> str:
    return f"Gateway_{n}"


def task_name(activity: Activity) -> str:
    """The activity as people cite it: with its number, as the ficha numbers it."""
    return f"{activity.n}. {activity.name}"


def flow_graph(definition: Definition) -> FlowGraph:
    builder = _Builder(definition)
    builder.build()
    return FlowGraph(nodes=tuple(builder.nodes), edges=tuple(builder.edges))


class _Builder:
    def __init__(self, definition: Definition) -> None:
        self.d = definition
        self.nodes: list[Node] = []
        self.edges: list[Edge] = []
        self.end_ids: dict[str, str] = {}  # outcome name -> end event id, in order of first use

    def build(self) -> None:
        first_role = self.d.activity(self.d.start_activities()[0]).role
        self.nodes.append(Node(START_ID, NodeKind.START, START_NAME, START_NAME, first_role))
        self.add_start_flows(first_role)
        for activity in self.d.activities:
            self.add_activity(activity)

    def add_start_flows(self, role: str) -> None:
        if not self.d.flows:
            self.add_edge(START_ID, activity_id(self.d.start_activities()[0]))
            return
        # One start event and a gateway that picks the flow: the process keeps a single start, and the
        # person who opens the case says which flow it follows.
        self.nodes.append(Node(FLOWS_GATEWAY_ID, NodeKind.GATEWAY, FLOWS_QUESTION, FLOWS_QUESTION, role))
        self.add_edge(START_ID, FLOWS_GATEWAY_ID)
        for flow in self.d.flows:
            condition = f"{FLOW_VARIABLE} == {flow.id!r}"
            self.add_edge(FLOWS_GATEWAY_ID, activity_id(flow.start), label=flow.name, condition=condition)

    def add_activity(self, activity: Activity) -> None:
        node_id = activity_id(activity.n)
        role_name = self.d.role(activity.role).name
        self.nodes.append(
            Node(
                id=node_id,
                kind=NodeKind.CALL if activity.call is not None else NodeKind.TASK,
                name=task_name(activity),
                caption=activity.name,
                role=activity.role,
                activity=activity.n,
                documentation=self.documentation(activity, role_name),
                called_process=process_id(activity.call.procedure) if activity.call is not None else None,
            )
        )
        if activity.decision is None:
            (target,) = self.d.successors(activity)
            self.add_edge(node_id, self.target_id(target, activity.outcome))
            return
        gateway, question = gateway_id(activity.n), activity.decision.question
        self.nodes.append(Node(gateway, NodeKind.GATEWAY, question, question, activity.role))
        self.add_edge(node_id, gateway)
        for branch in activity.decision.branches:
            condition = f"{DECISION_VARIABLE} == {branch.label!r}"
            target = self.target_id(branch.goto, branch.outcome)
            self.add_edge(gateway, target, label=branch.label, condition=condition)

    def documentation(self, activity: Activity, role_name: str) -> str:
        text = f"{activity.description}\n\nResponsable: {role_name}"
        if activity.call is not None:  # what the called case starts with, so the model says it too
            text += "\n\n" + call_summary(activity.call, {r.id: r.name for r in self.d.records})
        return text

    def target_id(self, target: int | str, outcome: str | None) -> str:
        if target != END:
            return activity_id(int(target))
        name = outcome or DEFAULT_OUTCOME
        if name not in self.end_ids:
            self.end_ids[name] = f"End_{len(self.end_ids) + 1}"
            # An end event sits in the lane of the first activity that reaches it.
            self.nodes.append(Node(self.end_ids[name], NodeKind.END, name, name, self.last_role()))
        return self.end_ids[name]

    def last_role(self) -> str:
        return next(n.role for n in reversed(self.nodes) if n.kind in (NodeKind.TASK, NodeKind.CALL))

    def add_edge(
        self, source: str, target: str, *, label: str | None = None, condition: str | None = None
    ) -> None:
        base = f"Flow_{source}_{target}"
        taken = {e.id for e in self.edges}
        edge_id, k = base, 2
        while edge_id in taken:  # two branches of one decision may lead to the same activity
            edge_id, k = f"{base}_{k}", k + 1
        self.edges.append(Edge(edge_id, source, target, label, condition))


def call_summary(call: Call, records: dict[str, str]) -> str:
    """The call in words: the procedure, its flow, whether the caller waits, and each input it passes."""
    wait = "y espera su conclusión" if call.wait else "sin esperar su conclusión"
    flow = f" (flujo {call.flow})" if call.flow else ""
    text = f"Ejecuta el procedimiento {call.procedure}{flow} {wait}."
    if call.inputs:
        text += " Le pasa: " + "; ".join(_call_input(mapping, records) for mapping in call.inputs) + "."
    return text


def _call_input(mapping: CallInput, records: dict[str, str]) -> str:
    if mapping.source is None:
        return f"{mapping.input} = {mapping.value}"
    head, name = mapping.source.split(".", 1)
    origin = f"la entrada {name}" if head == "inputs" else f"el campo {name} de «{records.get(head, head)}»"
    return f"{mapping.input} ← {origin}"
