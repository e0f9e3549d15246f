"""
Compiling a definition to BPMN 2.0 XML: the executable process and its diagram, in one document.

The process is what the engine runs: a user task per activity (a call activity for kind `call`), an
exclusive gateway after each decision whose sequence flows carry Python conditions over the `decision`
variable, a parallel gateway where branches split (`parallel`, a list in `goto` or `start`) and an
inclusive gateway where they join (`join`: it waits for the branches that can still arrive; decision
0016), one end event per outcome. The lane set says which role does what; the collaboration with one
participant lets modelers draw the lanes inside a pool. The diagram interchange (BPMN DI) places every
shape and edge where `layout.py` put them, so bpmn.io and Camunda Modeler show the same drawing as the
SVG. Only the standard OMG namespaces are used: nothing here needs an engine extension.
"""

from __future__ import annotations

from lxml import etree

from mapro.catalogue.definition.schema import Definition

from .geometry import Box, TextBlock
from .graph import Edge, Node, NodeKind, process_id
from .layout import Diagram, layout

BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
BPMNDI = "http://www.omg.org/spec/BPMN/20100524/DI"
DC = "http://www.omg.org/spec/DD/20100524/DC"
DI = "http://www.omg.org/spec/DD/20100524/DI"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
TARGET_NAMESPACE = "https://mapro.gob.pe/bpmn"
EXPORTER = "mapro"

_TAGS = {
    NodeKind.START: "startEvent",
    NodeKind.TASK: "userTask",
    NodeKind.CALL: "callActivity",
    NodeKind.GATEWAY: "exclusiveGateway",
    NodeKind.END: "endEvent",
    NodeKind.TIMER: "boundaryEvent",
}

# Prefixes are fixed on the root element, never taken from a process-wide registry that other code could
# change: the output must depend on the definition alone.
NSMAP = {"bpmn": BPMN, "bpmndi": BPMNDI, "dc": DC, "di": DI, "xsi": XSI}


def compile_bpmn(definition: Definition) -> str:
    diagram = layout(definition)
    pid = process_id(definition.code)
    root = etree.Element(
        _q(BPMN, "definitions"),
        {"id": f"Definitions_{pid}", "targetNamespace": TARGET_NAMESPACE, "exporter": EXPORTER},
        nsmap=NSMAP,
    )
    collaboration = etree.SubElement(root, _q(BPMN, "collaboration"), {"id": f"Collaboration_{pid}"})
    # The pool is titled with the code alone: modelers write it sideways in a narrow band.
    participant = {"id": f"Participant_{pid}", "name": definition.code, "processRef": pid}
    etree.SubElement(collaboration, _q(BPMN, "participant"), participant)
    _process(root, definition, diagram, pid)
    _diagram(root, diagram, pid)
    etree.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + etree.tostring(root, encoding="unicode") + "\n"


def _process(root: etree._Element, definition: Definition, diagram: Diagram, pid: str) -> None:
    attrs = {"id": pid, "name": f"{definition.code} {definition.name}", "isExecutable": "true"}
    process = etree.SubElement(root, _q(BPMN, "process"), attrs)
    _text(process, "documentation", definition.objective)
    lane_set = etree.SubElement(process, _q(BPMN, "laneSet"), {"id": f"LaneSet_{pid}"})
    for lane in diagram.lanes:
        element = etree.SubElement(lane_set, _q(BPMN, "lane"), {"id": _lane_id(lane.role), "name": lane.name})
        for node in diagram.graph.nodes:
            if node.role == lane.role:
                etree.SubElement(element, _q(BPMN, "flowNodeRef")).text = node.id
    for node in diagram.graph.nodes:
        _flow_node(process, node, diagram)
    for edge in diagram.graph.edges:
        if not edge.attachment:
            _sequence_flow(process, edge)


def _flow_node(process: etree._Element, node: Node, diagram: Diagram) -> None:
    attrs = {"id": node.id}
    if node.name:  # a parallel gateway has nothing to ask: it carries no name
        attrs["name"] = node.name
    if node.called_process is not None:
        attrs["calledElement"] = node.called_process
    if node.attached_to is not None:  # an acting time rule: interrupting, it takes the activity's place
        attrs.update(attachedToRef=node.attached_to, cancelActivity="true")
    tag = "inclusiveGateway" if node.inclusive else "parallelGateway" if node.parallel else _TAGS[node.kind]
    element = etree.SubElement(process, _q(BPMN, tag), attrs)
    if node.documentation:
        _text(element, "documentation", node.documentation)
    for edge in diagram.graph.edges:
        if edge.target == node.id and not edge.attachment:
            etree.SubElement(element, _q(BPMN, "incoming")).text = edge.id
    for edge in diagram.graph.outgoing(node.id):
        if not edge.attachment:
            etree.SubElement(element, _q(BPMN, "outgoing")).text = edge.id
    if node.timer is not None:
        timer = etree.SubElement(element, _q(BPMN, "timerEventDefinition"), {"id": f"{node.id}_definition"})
        duration = etree.SubElement(
            timer, _q(BPMN, "timeDuration"), {_q(XSI, "type"): "bpmn:tFormalExpression"}
        )
        duration.text = repr(node.timer)  # a Python string literal, as SpiffWorkflow reads timer expressions


def _sequence_flow(process: etree._Element, edge: Edge) -> None:
    attrs = {"id": edge.id, "sourceRef": edge.source, "targetRef": edge.target}
    if edge.label:
        attrs["name"] = edge.label
    element = etree.SubElement(process, _q(BPMN, "sequenceFlow"), attrs)
    if edge.condition is not None:
        condition = etree.SubElement(
            element, _q(BPMN, "conditionExpression"), {_q(XSI, "type"): "bpmn:tFormalExpression"}
        )
        condition.text = edge.condition


def _diagram(root: etree._Element, diagram: Diagram, pid: str) -> None:
    bpmn_diagram = etree.SubElement(root, _q(BPMNDI, "BPMNDiagram"), {"id": f"Diagram_{pid}"})
    plane = etree.SubElement(
        bpmn_diagram, _q(BPMNDI, "BPMNPlane"), {"id": f"Plane_{pid}", "bpmnElement": f"Collaboration_{pid}"}
    )
    _shape(plane, f"Participant_{pid}", diagram.participant, horizontal=True)
    for lane in diagram.lanes:
        _shape(plane, _lane_id(lane.role), lane.box, horizontal=True)
    for shape in diagram.nodes:
        outside = shape.node.kind not in (NodeKind.TASK, NodeKind.CALL)
        exclusive = shape.node.kind == NodeKind.GATEWAY and not shape.node.parallel
        label = shape.label if outside and shape.label.lines else None
        _shape(plane, shape.node.id, shape.box, label=label, marker=exclusive)
    for edge in diagram.edges:
        if edge.edge.attachment:
            continue  # the timer sits on its activity: no edge between them in the interchange
        element = etree.SubElement(
            plane, _q(BPMNDI, "BPMNEdge"), {"id": f"{edge.edge.id}_di", "bpmnElement": edge.edge.id}
        )
        for point in edge.points:
            etree.SubElement(element, _q(DI, "waypoint"), {"x": _n(point.x), "y": _n(point.y)})
        if edge.label is not None:
            _label(element, edge.label)


def _shape(
    plane: etree._Element,
    element_id: str,
    box: Box,
    *,
    horizontal: bool = False,
    marker: bool = False,
    label: TextBlock | None = None,
) -> None:
    attrs = {"id": f"{element_id}_di", "bpmnElement": element_id}
    if horizontal:
        attrs["isHorizontal"] = "true"
    if marker:  # modelers draw the exclusive gateway's "X" only when asked to
        attrs["isMarkerVisible"] = "true"
    shape = etree.SubElement(plane, _q(BPMNDI, "BPMNShape"), attrs)
    _bounds(shape, box)
    if label is not None:
        _label(shape, label)


def _label(parent: etree._Element, label: TextBlock) -> None:
    _bounds(etree.SubElement(parent, _q(BPMNDI, "BPMNLabel")), label.box)


def _bounds(parent: etree._Element, box: Box) -> None:
    attrs = {"x": _n(box.x), "y": _n(box.y), "width": _n(box.width), "height": _n(box.height)}
    etree.SubElement(parent, _q(DC, "Bounds"), attrs)


def _text(parent: etree._Element, tag: str, text: str) -> None:
    etree.SubElement(parent, _q(BPMN, tag)).text = text


def _lane_id(role: str) -> str:
    return f"Lane_{role}"


def _q(namespace: str, tag: str) -> str:
    return f"{{{namespace}}}{tag}"


def _n(value: float) -> str:
    """Whole pixels: modelers snap to them, and the golden files stay readable."""
    return str(round(value))
