"""
The flow graph of a definition: the BPMN flow nodes and sequence flows a ficha turns into.

Both the BPMN writer and the layout work from this one graph, so the ids, names and conditions in the XML
and the boxes in the diagram can never disagree. Ids are deterministic (derived from activity numbers and
outcome order): compiling the same definition twice gives byte-identical BPMN, which the golden tests and
the engine (task spec names are these ids) rely on.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from enum import StrEnum

from mapro.catalogue.definition.schema import END, Activity, Completion, Definition

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
    PARALLEL = "parallel"  # a parallel gateway: every outgoing flow starts; as a join, waits for all
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


def each_task_id(n: int, role: str) -> str:
    """The task of one role of an activity each of whose roles must complete (`completion: each`)."""
    return f"Activity_{n}__{role}"


def each_split_id(n: int) -> str:
    return f"Split_Each_{n}"


def each_merge_id(n: int) -> str:
    return f"Merge_Each_{n}"


def each_join_id(n: int) -> str:
    return f"Join_Each_{n}"


def entry_id(activity: Activity) -> str:
    """Where the flow enters an activity: its task, or the split into one task per role."""
    return each_split_id(activity.n) if _each(activity) else activity_id(activity.n)


def lane_roles(activity: Activity) -> list[str]:
    """The lanes an activity draws in: its role's, and each co-role's when each role has its own task."""
    return activity.performer_roles if _each(activity) else [activity.role]


def _each(activity: Activity) -> bool:
    return activity.completion == Completion.EACH and bool(activity.co_roles)


EACH_SPLIT_NAME = "Cada responsable"
EACH_JOIN_NAME = "Todos cumplieron"


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
        for activity in self.d.activities:
            if _each(activity):
                self.merge_before_split(activity)

    def add_start_flows(self, role: str) -> None:
        if not self.d.flows:
            self.add_edge(START_ID, entry_id(self.d.activity(self.d.start_activities()[0])))
            return
        # One start event and a gateway that picks the flow: the process keeps a single start, and the
        # person who opens the case says which flow it follows.
        self.nodes.append(Node(FLOWS_GATEWAY_ID, NodeKind.GATEWAY, FLOWS_QUESTION, FLOWS_QUESTION, role))
        self.add_edge(START_ID, FLOWS_GATEWAY_ID)
        for flow in self.d.flows:
            condition = f"{FLOW_VARIABLE} == {flow.id!r}"
            start = entry_id(self.d.activity(flow.start))
            self.add_edge(FLOWS_GATEWAY_ID, start, label=flow.name, condition=condition)

    def responsibles(self, activity: Activity) -> str:
        """The documentation's closing line: who does the activity, and how several of them share it."""
        names = [self.d.role(role).name for role in activity.performer_roles]
        if len(names) == 1:
            return f"Responsable: {names[0]}"
        how = "cada uno debe cumplirla" if _each(activity) else "la cumple cualquiera de ellos"
        return f"Responsables ({how}): {'; '.join(names)}"

    def add_activity(self, activity: Activity) -> None:
        if _each(activity):
            self.add_each_activity(activity)
            return
        node_id = activity_id(activity.n)
        self.nodes.append(
            Node(
                id=node_id,
                kind=NodeKind.CALL if activity.call is not None else NodeKind.TASK,
                name=task_name(activity),
                caption=activity.name,
                role=activity.role,
                activity=activity.n,
                documentation=f"{activity.description}\n\n{self.responsibles(activity)}",
                called_process=process_id(activity.call.procedure) if activity.call is not None else None,
            )
        )
        self.add_exits(activity, node_id)

    def add_exits(self, activity: Activity, source: str) -> None:
        """Where the flow goes from the activity's last node (its task, or the join of its tasks)."""
        if activity.decision is None:
            (target,) = self.d.successors(activity)
            self.add_edge(source, self.target_id(target, activity.outcome))
            return
        gateway, question = gateway_id(activity.n), activity.decision.question
        self.nodes.append(Node(gateway, NodeKind.GATEWAY, question, question, activity.role))
        self.add_edge(source, gateway)
        for branch in activity.decision.branches:
            condition = f"{DECISION_VARIABLE} == {branch.label!r}"
            target = self.target_id(branch.goto, branch.outcome)
            self.add_edge(gateway, target, label=branch.label, condition=condition)

    def add_each_activity(self, activity: Activity) -> None:
        """
        One task per role, each in its role's lane, between a parallel split and a join: the flow goes on
        when every role has done its part. Each task keeps the activity's number (`Activity_<n>__<role>`).
        """
        split, join = each_split_id(activity.n), each_join_id(activity.n)
        self.nodes.append(Node(split, NodeKind.PARALLEL, EACH_SPLIT_NAME, "", activity.role, activity.n))
        documentation = f"{activity.description}\n\n{self.responsibles(activity)}"
        for role in activity.performer_roles:
            task = each_task_id(activity.n, role)
            name = f"{task_name(activity)} ({self.d.role(role).name})"
            self.nodes.append(Node(task, NodeKind.TASK, name, activity.name, role, activity.n, documentation))
            self.add_edge(split, task)
            self.add_edge(task, join)
        self.nodes.append(Node(join, NodeKind.PARALLEL, EACH_JOIN_NAME, "", activity.role, activity.n))
        self.add_exits(activity, join)

    def merge_before_split(self, activity: Activity) -> None:
        """
        A parallel gateway waits for every incoming flow: the split of an activity reached from several
        places (two branches, a loop) gets them through an exclusive merge, so any one of them starts it.
        """
        split = each_split_id(activity.n)
        incoming = [e for e in self.edges if e.target == split]
        if len(incoming) < 2:
            return
        merge = each_merge_id(activity.n)
        self.nodes.insert(
            self.nodes.index(self.node(split)), Node(merge, NodeKind.GATEWAY, "", "", activity.role)
        )
        for edge in incoming:
            self.edges[self.edges.index(edge)] = replace(
                edge, id=edge.id.replace(f"_{split}", f"_{merge}"), target=merge
            )
        self.add_edge(merge, split)

    def node(self, node_id: str) -> Node:
        return next(n for n in self.nodes if n.id == node_id)

    def target_id(self, target: int | str, outcome: str | None) -> str:
        if target != END:
            return entry_id(self.d.activity(int(target)))
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
