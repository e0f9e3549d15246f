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

from mapro.catalogue.definition.schema import (
    END,
    Activity,
    ActivityKind,
    Call,
    CallInput,
    Completion,
    Definition,
    ExpiryAction,
    TimeRule,
    TimeUnit,
)

START_ID = "StartEvent_1"
FLOWS_GATEWAY_ID = "Gateway_Start"
START_SPLIT_ID = "Split_Start"
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
    parallel: bool = False  # a gateway that splits into (or joins) branches that all run, not a choice
    inclusive: bool = False  # a join: it waits for the branches that can still reach it
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


def end_activity_id(n: int) -> str:
    """The end event of a numbered "Fin del procedimiento" row (kind end_event): no task, only the end."""
    return f"End_Activity_{n}"


def gateway_id(n: int) -> str:
    return f"Gateway_{n}"


def split_id(n: int, branch: int | None = None) -> str:
    """The parallel split after activity n, or after its decision's branch (1-based) whose goto is a list."""
    return f"Split_{n}" if branch is None else f"Split_{n}_{branch}"


def join_id(n: int) -> str:
    return f"Join_{n}"


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
            if activity.when is not None:
                self.add_guard(activity)
        for rule in self.d.time_rules:
            if rule.on_expiry is not None and rule.activity is not None:
                self.add_timer(rule)

    def add_start_flows(self, role: str) -> None:
        if not self.d.flows:
            start = self.d.start if self.d.start is not None else self.d.start_activities()[0]
            self.add_targets(START_ID, start, None, split=START_SPLIT_ID, role=role)
            return
        # One start event and a gateway that picks the flow: the process keeps a single start, and the
        # person who opens the case says which flow it follows.
        self.nodes.append(Node(FLOWS_GATEWAY_ID, NodeKind.GATEWAY, FLOWS_QUESTION, FLOWS_QUESTION, role))
        self.add_edge(START_ID, FLOWS_GATEWAY_ID)
        for flow in self.d.flows:
            condition = f"{FLOW_VARIABLE} == {flow.id!r}"
            split = f"{START_SPLIT_ID}_{flow.id}"
            self.add_targets(
                FLOWS_GATEWAY_ID,
                flow.start,
                None,
                split=split,
                role=role,
                label=flow.name,
                condition=condition,
            )

    def responsibles(self, activity: Activity) -> str:
        """The documentation's closing line: who does the activity, and how several of them share it."""
        names = [self.d.role(role).name for role in activity.performer_roles]
        if len(names) == 1:
            return f"Responsable: {names[0]}"
        how = "cada uno debe cumplirla" if _each(activity) else "la cumple cualquiera de ellos"
        return f"Responsables ({how}): {'; '.join(names)}"

    def add_activity(self, activity: Activity) -> None:
        if activity.kind == ActivityKind.END_EVENT:
            # The seed's numbered Fin row: the end event itself, so nobody has a "Fin" task to complete;
            # the case's outcome is its `outcome`, or the row's name. (The engine reads it from End_… ids.)
            name = activity.outcome or activity.name
            row = f"{task_name(activity)}\n\n{activity.description}"  # the row as the ficha numbers it
            node_id = end_activity_id(activity.n)
            # The drawing writes the row's name; the BPMN name is the outcome the case closes with.
            self.nodes.append(
                Node(node_id, NodeKind.END, name, activity.name, activity.role, activity.n, row)
            )
            return
        node_id = activity_id(activity.n)
        if activity.join:
            # An inclusive gateway: it waits for every branch that can still reach it. After a split that is
            # all of them; after a correction that reopens one branch, or branches that decide whether to
            # pass through an activity first, only those still on their way (decision 0016).
            join = Node(
                join_id(activity.n), NodeKind.GATEWAY, "", "", activity.role, parallel=True, inclusive=True
            )
            self.nodes.append(join)
            self.add_edge(join_id(activity.n), entry_id(activity))
        if _each(activity):
            self.add_each_activity(activity)
            return
        self.nodes.append(
            Node(
                id=node_id,
                kind=NodeKind.CALL if activity.call is not None else NodeKind.TASK,
                name=task_name(activity),
                caption=activity.name,
                role=activity.role,
                activity=activity.n,
                documentation=self.documentation(activity),
                called_process=process_id(activity.call.procedure) if activity.call is not None else None,
            )
        )
        self.add_exits(activity, node_id)

    def add_exits(self, activity: Activity, source: str) -> None:
        """Where the flow goes from the activity's last node (its task, or the join of its tasks)."""
        if activity.parallel:
            self.add_targets(source, activity.parallel, None, split=split_id(activity.n), role=activity.role)
            return
        if activity.decision is None:
            (target,) = self.d.successors(activity)
            self.add_edge(source, self.target_id(target, activity.outcome, source=activity.n))
            return
        gateway, question = gateway_id(activity.n), activity.decision.question
        self.nodes.append(Node(gateway, NodeKind.GATEWAY, question, question, activity.role))
        self.add_edge(source, gateway)
        for k, branch in enumerate(activity.decision.branches, 1):
            condition = f"{DECISION_VARIABLE} == {branch.label!r}"
            split = split_id(activity.n, k)
            self.add_targets(
                gateway,
                branch.goto,
                branch.outcome,
                split=split,
                role=activity.role,
                label=branch.label,
                condition=condition,
                activity=activity.n,
            )

    def add_targets(
        self,
        source: str,
        targets: int | str | list[int],
        outcome: str | None,
        *,
        split: str,
        role: str,
        label: str | None = None,
        condition: str | None = None,
        activity: int | None = None,
    ) -> None:
        """An arrow to the target; to several (a list), an arrow to a parallel split that opens them all."""
        if not isinstance(targets, list) or len(targets) == 1:
            target = targets[0] if isinstance(targets, list) else targets
            self.add_edge(
                source, self.target_id(target, outcome, source=activity), label=label, condition=condition
            )
            return
        self.nodes.append(Node(split, NodeKind.GATEWAY, "", "", role, parallel=True))
        self.add_edge(source, split, label=label, condition=condition)
        for target in targets:
            self.add_edge(split, entry_id(self.d.activity(target)))

    def add_each_activity(self, activity: Activity) -> None:
        """
        One task per role, each in its role's lane, between a parallel split and a join: the flow goes on
        when every role has done its part. Each task keeps the activity's number (`Activity_<n>__<role>`).
        """
        split, join = each_split_id(activity.n), each_join_id(activity.n)
        self.nodes.append(
            Node(split, NodeKind.GATEWAY, EACH_SPLIT_NAME, "", activity.role, activity.n, parallel=True)
        )
        documentation = f"{activity.description}\n\n{self.responsibles(activity)}"
        for role in activity.performer_roles:
            task = each_task_id(activity.n, role)
            name = f"{task_name(activity)} ({self.d.role(role).name})"
            self.nodes.append(Node(task, NodeKind.TASK, name, activity.name, role, activity.n, documentation))
            self.add_edge(split, task)
            self.add_edge(task, join)
        self.nodes.append(
            Node(join, NodeKind.GATEWAY, EACH_JOIN_NAME, "", activity.role, activity.n, parallel=True)
        )
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
        past = self.target_id(target, activity.outcome, source=activity.n)
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

    def documentation(self, activity: Activity) -> str:
        text = f"{activity.description}\n\n{self.responsibles(activity)}"
        if activity.call is not None:  # what the called case starts with, so the model says it too
            text += "\n\n" + call_summary(activity.call, {r.id: r.name for r in self.d.records})
        return text

    def target_id(self, target: int | str, outcome: str | None, *, source: int | None = None) -> str:
        """The node an arrow from activity `source` enters: the join gateway, when `source` ends a branch."""
        if target != END:
            n = int(target)
            if self.d.activity(n).kind == ActivityKind.END_EVENT:
                return end_activity_id(n)
            return join_id(n) if source in self.d.activity(n).join else entry_id(self.d.activity(n))
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
