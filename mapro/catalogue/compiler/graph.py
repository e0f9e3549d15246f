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

from mapro.catalogue.definition.schema import END, Activity, Definition, ExpiryAction, TimeRule, TimeUnit

START_ID = "StartEvent_1"
FLOWS_GATEWAY_ID = "Gateway_Start"
DEFAULT_OUTCOME = "Fin"
START_NAME = "Inicio"
FLOWS_QUESTION = "¿Qué flujo se sigue?"

# The variables the engine reads at the gateways. The runtime writes them into the task data: `decision`
# when a person completes a decision activity, `flow` when a case of a multi-flow procedure starts.
DECISION_VARIABLE = "decision"
FLOW_VARIABLE = "flow"
# `guards`: {"<activity number>": bool}, the runtime writes it from the case data (services/conditions.py).
GUARDS_VARIABLE = "guards"
GUARD_RUNS = "Aplica"
GUARD_SKIPS = "No aplica"


class NodeKind(StrEnum):
    START = "start"
    TASK = "task"
    CALL = "call"
    GATEWAY = "gateway"
    END = "end"
    TIMER = "timer"  # an interrupting boundary timer on an activity: a time rule that acts when it runs out


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
    attached_to: str | None = None  # a boundary timer's activity
    timer: str | None = None  # its ISO 8601 duration, as close as ISO says it (the calendar computes the due)


@dataclass(frozen=True)
class Edge:
    id: str
    source: str
    target: str
    label: str | None = None
    condition: str | None = None  # a Python expression over the task data
    attachment: bool = False  # a boundary timer to its activity: drawn, not a sequence flow


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
        for activity in self.d.activities:
            if activity.when is not None:
                self.add_guard(activity)
        for rule in self.d.time_rules:
            if rule.on_expiry is not None and rule.activity is not None:
                self.add_timer(rule)

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
                documentation=f"{activity.description}\n\nResponsable: {role_name}",
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

    def add_guard(self, activity: Activity) -> None:
        """
        An exclusive gateway before a guarded activity: every flow that led to it leads to the gateway, which
        goes into the activity when its condition holds and past it (to its successor) when not.
        """
        node_id, gateway = activity_id(activity.n), f"Guard_{activity.n}"
        text = activity.when.text or activity.when.data
        question = f"¿{text.rstrip('?').lstrip('¿')}?"
        self.nodes.append(Node(gateway, NodeKind.GATEWAY, question, question, activity.role))
        incoming = [e for e in self.edges if e.target == node_id and not e.attachment]
        self.edges = [e for e in self.edges if e not in incoming]
        for edge in incoming:
            self.add_edge(edge.source, gateway, label=edge.label, condition=edge.condition)
        runs = f"{GUARDS_VARIABLE}.get({str(activity.n)!r}, False)"
        self.add_edge(gateway, node_id, label=GUARD_RUNS, condition=runs)
        (target,) = self.d.successors(activity)
        past = self.target_id(target, activity.outcome)
        self.add_edge(gateway, past, label=GUARD_SKIPS, condition=f"not {runs}")

    def add_timer(self, rule: TimeRule) -> None:
        """An acting time rule: an interrupting boundary timer on its activity, to where its action leads."""
        activity = self.d.activity(rule.activity)
        action = rule.on_expiry
        node_id = f"Timer_{rule.id}"
        caption = f"{rule.amount} {_UNIT_CAPTIONS[rule.unit]}"
        self.nodes.append(
            Node(
                id=node_id,
                kind=NodeKind.TIMER,
                name=f"Vence: {caption}",
                caption=caption,
                role=activity.role,
                documentation=f"{rule.text}\n\nAl vencer: {action.text or action.action.value}",
                attached_to=activity_id(activity.n),
                timer=_iso_duration(rule),
            )
        )
        self.add_edge(activity_id(activity.n), node_id, attachment=True)
        if action.action == ExpiryAction.CLOSE:
            targets = [self.target_id(END, action.outcome)]
        elif action.action == ExpiryAction.BRANCH:
            branch = next(b for b in activity.decision.branches if b.label == action.branch)
            goto = branch.goto if isinstance(branch.goto, list) else [branch.goto]
            targets = [self.target_id(t, branch.outcome) for t in goto]
        else:
            targets = [self.target_id(t, activity.outcome) for t in self.d.successors(activity)]
        for target in targets:
            self.add_edge(node_id, target, label=action.branch)

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
        self,
        source: str,
        target: str,
        *,
        label: str | None = None,
        condition: str | None = None,
        attachment: bool = False,
    ) -> None:
        base = f"{'Attach' if attachment else 'Flow'}_{source}_{target}"
        taken = {e.id for e in self.edges}
        edge_id, k = base, 2
        while edge_id in taken:  # two branches of one decision may lead to the same activity
            edge_id, k = f"{base}_{k}", k + 1
        self.edges.append(Edge(edge_id, source, target, label, condition, attachment))


_UNIT_CAPTIONS = {
    TimeUnit.CLOCK_HOURS: "h",
    TimeUnit.WORKING_HOURS: "h hábiles",
    TimeUnit.CALENDAR_DAYS: "días",
    TimeUnit.WORKING_DAYS: "días hábiles",
    TimeUnit.MONTHS: "meses",
    TimeUnit.YEARS: "años",
    TimeUnit.YEAR_END: "cierre de año",
}


def _iso_duration(rule: TimeRule) -> str:
    """
    The rule as an ISO 8601 duration for modelers. Working days and hours have no ISO form: they are written
    as days or hours, and the documentation gives the exact rule; mapro's calendar computes the real due.
    """
    n = rule.amount
    if rule.unit in (TimeUnit.CLOCK_HOURS, TimeUnit.WORKING_HOURS):
        return f"PT{n}H"
    if rule.unit in (TimeUnit.CALENDAR_DAYS, TimeUnit.WORKING_DAYS):
        return f"P{n}D"
    if rule.unit == TimeUnit.MONTHS:
        return f"P{n}M"
    return f"P{n}Y"
