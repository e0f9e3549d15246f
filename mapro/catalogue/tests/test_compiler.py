"""
The compiler on every definition of the repository catalogue: BPMN structure and DI, SVG, layout quality.

The cases are collected from the catalogue when the tests are collected, so a newly encoded procedure is
compiled, checked and drawn without anyone adding a test for it. PR.OTI.005 is also compared with a golden
BPMN file; set MAPRO_UPDATE_GOLDEN=1 to rewrite it after a deliberate change, and review the diff.
"""

from __future__ import annotations

import difflib
import functools
import itertools
import json
import os
import subprocess
from pathlib import Path

import pytest
from lxml import etree

from mapro.catalogue.compiler import compile_bpmn, process_id, render_svg
from mapro.catalogue.compiler.geometry import Box, Point
from mapro.catalogue.compiler.graph import DEFAULT_OUTCOME, NodeKind, end_activity_id, entry_id, lane_roles
from mapro.catalogue.compiler.layout import Diagram, layout
from mapro.catalogue.definition import Definition, load_catalogue
from mapro.catalogue.definition.schema import END, ActivityKind, Completion

ROOT = Path(__file__).resolve().parents[3]
GOLDEN = ROOT / "tests" / "fixtures" / "bpmn" / "PR_OTI_005.bpmn"
CATALOGUE = load_catalogue([ROOT / "procedures"])
CODES = sorted(CATALOGUE.definitions)
NS = {
    "bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL",
    "bpmndi": "http://www.omg.org/spec/BPMN/20100524/DI",
    "dc": "http://www.omg.org/spec/DD/20100524/DC",
    "di": "http://www.omg.org/spec/DD/20100524/DI",
    "svg": "http://www.w3.org/2000/svg",
}
FLOW_NODES = (
    "startEvent",
    "userTask",
    "callActivity",
    "exclusiveGateway",
    "parallelGateway",
    "inclusiveGateway",
    "endEvent",
    "boundaryEvent",
)


def definition(code: str) -> Definition:
    return CATALOGUE.definitions[code].definition


@functools.cache
def compiled(code: str) -> str:
    return compile_bpmn(definition(code))


@functools.cache
def diagram_of(code: str) -> Diagram:
    return layout(definition(code))


def bpmn_tree(code: str) -> etree._Element:
    return etree.fromstring(compiled(code).encode())


def flow_nodes(process: etree._Element) -> dict[str, etree._Element]:
    nodes = itertools.chain.from_iterable(process.findall(f"bpmn:{tag}", NS) for tag in FLOW_NODES)
    return {node.get("id"): node for node in nodes}


def test_the_catalogue_loads_and_is_not_empty() -> None:
    assert CATALOGUE.ok, "\n".join(str(e) for e in CATALOGUE.errors)
    assert "PR.OTI.005" in CODES


@pytest.mark.parametrize("code", CODES)
class TestBpmn:
    def test_is_one_executable_process_in_a_pool(self, code: str) -> None:
        root = bpmn_tree(code)
        assert root.tag == f"{{{NS['bpmn']}}}definitions"
        assert root.get("targetNamespace")
        (process,) = root.findall("bpmn:process", NS)
        assert process.get("id") == process_id(code)
        assert process.get("isExecutable") == "true"
        (participant,) = root.findall("bpmn:collaboration/bpmn:participant", NS)
        assert participant.get("processRef") == process_id(code)
        assert len(process.findall("bpmn:startEvent", NS)) == 1

    def test_sequence_flows_connect_existing_nodes_both_ways(self, code: str) -> None:
        process = bpmn_tree(code).find("bpmn:process", NS)
        nodes = flow_nodes(process)
        flows = {f.get("id"): f for f in process.findall("bpmn:sequenceFlow", NS)}
        for flow_id, flow in flows.items():
            assert flow.get("sourceRef") in nodes, flow_id
            assert flow.get("targetRef") in nodes, flow_id
            source, target = nodes[flow.get("sourceRef")], nodes[flow.get("targetRef")]
            assert flow_id in [e.text for e in source.findall("bpmn:outgoing", NS)]
            assert flow_id in [e.text for e in target.findall("bpmn:incoming", NS)]
        for node_id, node in nodes.items():
            refs = [e.text for e in node.findall("bpmn:incoming", NS) + node.findall("bpmn:outgoing", NS)]
            assert all(ref in flows for ref in refs), node_id
            if not node_id.startswith("End_"):
                assert node.findall("bpmn:outgoing", NS), f"{node_id} leads nowhere"

    def test_every_activity_is_a_task_with_its_name_and_description(self, code: str) -> None:
        d = definition(code)
        nodes = flow_nodes(bpmn_tree(code).find("bpmn:process", NS))
        for activity in d.activities:
            if activity.completion == Completion.EACH:  # one task per role, each in its lane
                for role in activity.performer_roles:
                    node = nodes[f"Activity_{activity.n}__{role}"]
                    assert node.get("name") == f"{activity.n}. {activity.name} ({d.role(role).name})"
                    documentation = node.findtext("bpmn:documentation", namespaces=NS)
                    assert all(d.role(r).name in documentation for r in activity.performer_roles)
                continue
            if activity.kind == ActivityKind.END_EVENT:  # the seed's numbered Fin row: an end, no task
                node = nodes[f"End_Activity_{activity.n}"]
                assert node.tag == f"{{{NS['bpmn']}}}endEvent"
                assert node.get("name") == (activity.outcome or activity.name)
                assert f"Activity_{activity.n}" not in nodes
                continue
            node = nodes[f"Activity_{activity.n}"]
            assert node.get("name") == f"{activity.n}. {activity.name}"
            documentation = node.findtext("bpmn:documentation", namespaces=NS)
            assert activity.description in documentation
            assert all(d.role(r).name in documentation for r in activity.performer_roles)
            if activity.kind == ActivityKind.CALL:
                assert node.tag == f"{{{NS['bpmn']}}}callActivity"
                assert node.get("calledElement") == process_id(activity.call.procedure)
            else:
                assert node.tag == f"{{{NS['bpmn']}}}userTask"

    def test_decisions_branch_with_python_conditions(self, code: str) -> None:
        process = bpmn_tree(code).find("bpmn:process", NS)
        flows = process.findall("bpmn:sequenceFlow", NS)
        for activity in definition(code).activities:
            if activity.decision is None:
                continue
            gateway = process.find(f"bpmn:exclusiveGateway[@id='Gateway_{activity.n}']", NS)
            assert gateway.get("name") == activity.decision.question
            outgoing = [f for f in flows if f.get("sourceRef") == gateway.get("id")]
            assert [f.get("name") for f in outgoing] == [b.label for b in activity.decision.branches]
            for flow, branch in zip(outgoing, activity.decision.branches, strict=True):
                condition = flow.findtext("bpmn:conditionExpression", namespaces=NS)
                assert condition == f"decision == {branch.label!r}"
                assert eval(condition, {}, {"decision": branch.label}) is True  # the compiler's own literal

    def test_one_end_event_per_outcome(self, code: str) -> None:
        process = bpmn_tree(code).find("bpmn:process", NS)
        ends = [e.get("name") for e in process.findall("bpmn:endEvent", NS)]
        d = definition(code)
        fin_rows = [a.outcome or a.name for a in d.activities if a.kind == ActivityKind.END_EVENT]
        assert sorted(ends) == sorted([*outcomes(d), *fin_rows])

    def test_one_lane_per_role_holding_its_nodes(self, code: str) -> None:
        d = definition(code)
        process = bpmn_tree(code).find("bpmn:process", NS)
        lanes = process.findall("bpmn:laneSet/bpmn:lane", NS)
        roles = list(dict.fromkeys(r for a in d.activities for r in lane_roles(a)))
        assert [lane.get("name") for lane in lanes] == [d.role(r).name for r in roles]
        placed = {
            ref.text: lane.get("name") for lane in lanes for ref in lane.findall("bpmn:flowNodeRef", NS)
        }
        assert set(placed) == set(flow_nodes(process))
        for activity in d.activities:
            if activity.completion == Completion.EACH:
                for role in activity.performer_roles:
                    assert placed[f"Activity_{activity.n}__{role}"] == d.role(role).name
            elif activity.kind == ActivityKind.END_EVENT:
                assert placed[end_activity_id(activity.n)] == d.role(activity.role).name
            else:
                assert placed[f"Activity_{activity.n}"] == d.role(activity.role).name

    def test_every_element_has_its_diagram(self, code: str) -> None:
        root = bpmn_tree(code)
        process = root.find("bpmn:process", NS)
        plane = root.find("bpmndi:BPMNDiagram/bpmndi:BPMNPlane", NS)
        shapes = {s.get("bpmnElement"): s for s in plane.findall("bpmndi:BPMNShape", NS)}
        edges = {e.get("bpmnElement"): e for e in plane.findall("bpmndi:BPMNEdge", NS)}
        for node_id in flow_nodes(process):
            bounds = shapes[node_id].find("dc:Bounds", NS)
            assert float(bounds.get("width")) > 0 and float(bounds.get("height")) > 0
        for lane in process.findall("bpmn:laneSet/bpmn:lane", NS):
            assert shapes[lane.get("id")].get("isHorizontal") == "true"
        participant = root.find("bpmn:collaboration/bpmn:participant", NS)
        assert shapes[participant.get("id")].get("isHorizontal") == "true"
        for flow in process.findall("bpmn:sequenceFlow", NS):
            assert len(edges[flow.get("id")].findall("di:waypoint", NS)) >= 2

    def test_is_deterministic(self, code: str) -> None:
        assert compile_bpmn(definition(code)) == compiled(code)


@pytest.mark.parametrize("code", CODES)
def test_svg_is_well_formed_and_names_every_activity(code: str) -> None:
    root = etree.fromstring(render_svg(definition(code)).encode())
    assert root.tag == f"{{{NS['svg']}}}svg"
    # Names are wrapped over several lines (tspans); compare them without the line breaks.
    texts = {"".join("".join(t.itertext()).split()) for t in root.iter(f"{{{NS['svg']}}}text")}
    for activity in definition(code).activities:
        if activity.kind == ActivityKind.END_EVENT:  # a Fin row is drawn as its end event, by its name
            assert "".join(activity.name.split()) in texts, activity.n
            continue
        assert "".join(activity.name.split()) in texts, activity.n
        assert str(activity.n) in texts
    for role in {a.role for a in definition(code).activities}:
        assert "".join(definition(code).role(role).name.split()) in texts


@pytest.mark.parametrize("code", CODES)
class TestLayout:
    """What a reader needs from the drawing: nothing hidden under anything else."""

    def test_no_two_shapes_or_labels_overlap(self, code: str) -> None:
        diagram = diagram_of(code)
        things = [(s.node.id, s.box) for s in diagram.nodes]
        things += [(s.node.id, s.label.box) for s in diagram.nodes if s.node.kind not in TASKS]
        things += [(e.edge.id, e.label.box) for e in diagram.edges if e.label is not None]
        for (a, box_a), (b, box_b) in itertools.combinations(things, 2):
            assert a == b or not box_a.overlaps(box_b), f"{a} overlaps {b}"

    def test_arrows_are_orthogonal_and_cross_no_other_shape(self, code: str) -> None:
        diagram = diagram_of(code)
        for edge in diagram.edges:
            for p, q in itertools.pairwise(edge.points):
                assert p.x == q.x or p.y == q.y, f"{edge.edge.id} has a slanted segment"
                for shape in diagram.nodes:
                    if shape.node.id in (edge.edge.source, edge.edge.target):
                        continue
                    assert not crosses(p, q, shape.box), f"{edge.edge.id} crosses {shape.node.id}"
                    if shape.node.kind not in TASKS:
                        assert not crosses(p, q, shape.label.box), f"{edge.edge.id} crosses a label"

    def test_arrows_to_different_places_never_share_a_stretch(self, code: str) -> None:
        diagram = diagram_of(code)
        for a, b in itertools.combinations(diagram.edges, 2):
            if a.edge.target == b.edge.target or a.edge.source == b.edge.source:
                continue  # arrows that merge into one target may share their last stretch
            for (p1, q1), (p2, q2) in itertools.product(
                itertools.pairwise(a.points), itertools.pairwise(b.points)
            ):
                assert not collinear_overlap(p1, q1, p2, q2), f"{a.edge.id} runs on {b.edge.id}"

    def test_everything_lies_inside_its_lane(self, code: str) -> None:
        diagram = diagram_of(code)
        lanes = {lane.role: lane.box for lane in diagram.lanes}
        for shape in diagram.nodes:
            assert shape.box.inside(lanes[shape.node.role]), shape.node.id
        assert all_inside(diagram)


TASKS = (NodeKind.TASK, NodeKind.CALL)


def crosses(p: Point, q: Point, box: Box, margin: float = 1.0) -> bool:
    x1, x2 = sorted((p.x, q.x))
    y1, y2 = sorted((p.y, q.y))
    return max(x1, box.x + margin) <= min(x2, box.right - margin) and max(y1, box.y + margin) <= min(
        y2, box.bottom - margin
    )


def collinear_overlap(p1: Point, q1: Point, p2: Point, q2: Point) -> bool:
    if p1.x == q1.x == p2.x == q2.x:
        return _shared(p1.y, q1.y, p2.y, q2.y) > 1
    if p1.y == q1.y == p2.y == q2.y:
        return _shared(p1.x, q1.x, p2.x, q2.x) > 1
    return False


def _shared(a1: float, a2: float, b1: float, b2: float) -> float:
    return min(max(a1, a2), max(b1, b2)) - max(min(a1, a2), min(b1, b2))


def all_inside(diagram: Diagram) -> bool:
    frame = diagram.participant
    labels = [e.label.box for e in diagram.edges if e.label is not None]
    points = [Box(p.x, p.y, 0, 0) for e in diagram.edges for p in e.points]
    return all(box.inside(frame) for box in labels + points)


def outcomes(d: Definition) -> set[str]:
    """The distinct ends of a procedure, named as the compiler names them."""
    names = set()
    for activity in d.activities:
        if activity.kind == ActivityKind.END_EVENT:
            continue  # a Fin row is its own end event (one per row, named after it)
        if activity.decision is not None:
            names |= {b.outcome or DEFAULT_OUTCOME for b in activity.decision.branches if b.goto == END}
        elif d.successors(activity) == [END]:
            names.add(activity.outcome or DEFAULT_OUTCOME)
    for rule in d.time_rules:  # an expiry that closes the case ends it under its own outcome
        if rule.on_expiry is not None and rule.on_expiry.action == "close" and rule.activity is not None:
            names.add(rule.on_expiry.outcome or DEFAULT_OUTCOME)
    return names


def test_pr_oti_005_matches_its_golden_bpmn() -> None:
    compiled = compile_bpmn(definition("PR.OTI.005"))
    if os.environ.get("MAPRO_UPDATE_GOLDEN"):
        GOLDEN.parent.mkdir(parents=True, exist_ok=True)
        GOLDEN.write_text(compiled, encoding="utf-8")
    golden = GOLDEN.read_text(encoding="utf-8")
    diff = "".join(
        difflib.unified_diff(
            golden.splitlines(keepends=True), compiled.splitlines(keepends=True), str(GOLDEN), "compiled"
        )
    )
    assert not diff, f"the compiled BPMN differs from the golden file:\n{diff}"


TRICKY_LABEL = "Sí, \"urgente\" o 'no' \\ fin"


def with_tricky_label(d: Definition) -> Definition:
    """The definition with its first decision's first branch relabelled with quotes and a backslash."""
    data = d.model_dump()
    decision = next(a for a in data["activities"] if a["decision"] is not None)["decision"]
    decision["branches"][0]["label"] = TRICKY_LABEL
    return Definition.model_validate(data)


def test_branch_labels_with_quotes_make_exact_python_conditions() -> None:
    code = next(c for c in CODES if any(a.decision for a in definition(c).activities))
    root = etree.fromstring(compile_bpmn(with_tricky_label(definition(code))).encode())
    conditions = [e.text for e in root.iter(f"{{{NS['bpmn']}}}conditionExpression")]
    (condition,) = [c for c in conditions if "urgente" in c]
    assert eval(condition, {}, {"decision": TRICKY_LABEL}) is True
    assert eval(condition, {}, {"decision": "Sí"}) is False


def _parallel_codes() -> list[str]:
    return [c for c in CODES if any(a.parallel or a.join for a in definition(c).activities)] + [
        c for c in CODES if any(isinstance(f.start, list) for f in definition(c).flows)
    ]


@pytest.mark.parametrize("code", sorted(set(_parallel_codes())))
def test_parallel_splits_and_joins_are_gateways(code: str) -> None:
    """`parallel` and list targets split at a parallel gateway; `join` waits at an inclusive one before n."""
    d = definition(code)
    process = bpmn_tree(code).find("bpmn:process", NS)
    flows = process.findall("bpmn:sequenceFlow", NS)

    def targets(source: str) -> set[str]:
        return {f.get("targetRef") for f in flows if f.get("sourceRef") == source}

    def sources(target: str) -> set[str]:
        return {f.get("sourceRef") for f in flows if f.get("targetRef") == target}

    def entry(n: int) -> str:  # an activity each of whose roles completes it starts at its own split
        return entry_id(d.activity(n))

    def exit(n: int) -> str:
        activity = d.activity(n)
        if activity.decision:
            return f"Gateway_{n}"
        return f"Join_Each_{n}" if entry(n) != f"Activity_{n}" else f"Activity_{n}"

    for activity in d.activities:
        if activity.parallel:
            assert process.find(f"bpmn:parallelGateway[@id='Split_{activity.n}']", NS) is not None
            assert targets(exit(activity.n)) == {f"Split_{activity.n}"}
            assert targets(f"Split_{activity.n}") == {entry(n) for n in activity.parallel}
        for k, branch in enumerate(activity.decision.branches if activity.decision else [], 1):
            if isinstance(branch.goto, list):
                split = f"Split_{activity.n}_{k}"
                assert process.find(f"bpmn:parallelGateway[@id='{split}']", NS) is not None
                assert targets(split) == {entry(n) for n in branch.goto}
        if activity.join:
            join = f"Join_{activity.n}"
            assert process.find(f"bpmn:inclusiveGateway[@id='{join}']", NS) is not None
            guarded = activity.when is not None  # the guard follows the join
            assert targets(join) == {f"Guard_{activity.n}" if guarded else entry(activity.n)}
            expected = {exit(n) for n in activity.join}
            assert sources(join) == expected
    for flow in d.flows:
        if isinstance(flow.start, list):
            split = f"Split_Start_{flow.id}"
            assert targets(split) == {f"Activity_{n}" for n in flow.start}


@pytest.mark.parametrize("code", sorted(set(_parallel_codes())))
def test_parallel_gateways_are_drawn_with_their_markers(code: str) -> None:
    svg = etree.fromstring(render_svg(definition(code)).encode())
    diagram = diagram_of(code)
    joins = [s for s in diagram.nodes if s.node.inclusive]
    splits = [s for s in diagram.nodes if s.node.parallel and not s.node.inclusive]
    circles = svg.findall("svg:circle", NS)
    for shape in joins:  # the "O" inside the diamond
        assert any(c.get("r") == "11" and float(c.get("cx")) == round(shape.box.cx, 2) for c in circles)
    paths = [p.get("d") for p in svg.findall("svg:path", NS)]
    for shape in splits:  # the "+" inside the diamond: a horizontal and a vertical stroke through the centre
        left = f"{shape.box.cx - 12:.2f}".rstrip("0").rstrip(".")
        assert any(d.startswith(f"M {left} ") and " V " in d for d in paths), shape.node.id


def test_every_compiled_bpmn_loads_in_bpmn_moddle(tmp_path: Path) -> None:
    """bpmn-moddle (bpmn.io, the catalogue page's viewer) reads each compiled file without a warning."""
    for code in CODES:
        (tmp_path / f"{process_id(code)}.bpmn").write_text(compiled(code), encoding="utf-8")
    script = Path(__file__).with_name("bpmn_moddle_check.mjs")
    files = sorted(str(p) for p in tmp_path.glob("*.bpmn"))
    result = subprocess.run(
        ["node", str(script), *files], capture_output=True, text=True, cwd=ROOT, check=True
    )
    reports = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(reports) == len(CODES)
    assert [r for r in reports if r["warnings"]] == []


def test_an_acting_deadline_is_an_interrupting_boundary_timer_leading_where_its_action_goes() -> None:
    process = bpmn_tree("S.04.04.02_P").find("bpmn:process", NS)
    (timer,) = process.findall("bpmn:boundaryEvent", NS)
    assert (timer.get("attachedToRef"), timer.get("cancelActivity")) == ("Activity_6", "true")
    assert timer.findtext("bpmn:timerEventDefinition/bpmn:timeDuration", namespaces=NS) == "'PT24H'"
    (flow,) = [f for f in process.findall("bpmn:sequenceFlow", NS) if f.get("sourceRef") == timer.get("id")]
    end = process.find(f"bpmn:endEvent[@id='{flow.get('targetRef')}']", NS)
    assert end.get("name") == "Ticket cerrado automáticamente por el sistema sin respuesta del solicitante"
    assert flow.get("name") == "Sin respuesta del solicitante"


def test_a_guarded_activity_sits_behind_a_gateway_with_conditional_flows() -> None:
    process = bpmn_tree("S.04.04.01.02_P").find("bpmn:process", NS)
    gateway = process.find("bpmn:exclusiveGateway[@id='Guard_115']", NS)
    assert gateway.get("name") == "¿Solo aplica para traslado y/o mudanza del Centro de Datos?"
    flows = {
        f.get("targetRef"): f
        for f in process.findall("bpmn:sequenceFlow", NS)
        if f.get("sourceRef") == "Guard_115"
    }
    assert sorted(flows) == ["Activity_115", "Activity_116"]
    runs = flows["Activity_115"].findtext("bpmn:conditionExpression", namespaces=NS)
    skips = flows["Activity_116"].findtext("bpmn:conditionExpression", namespaces=NS)
    assert (flows["Activity_115"].get("name"), flows["Activity_116"].get("name")) == ("Aplica", "No aplica")
    for guards, expected in (({"115": True}, True), ({"115": False}, False), ({}, False)):
        assert eval(runs, {}, {"guards": guards}) is expected
        assert eval(skips, {}, {"guards": guards}) is not expected
    into = [
        f.get("sourceRef")
        for f in process.findall("bpmn:sequenceFlow", NS)
        if f.get("targetRef") == "Activity_115"
    ]
    assert into == ["Guard_115"]
