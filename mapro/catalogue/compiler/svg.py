"""
A standalone SVG drawing of a procedure's diagram, for the ficha document and the web page.

It draws the same layout as the BPMN diagram interchange, in the BPMN notation people know (rounded
tasks, diamonds, circles), with the texts a reader needs: role names in the lane bands, activity numbers,
questions, branch labels and outcomes. Sizes are in CSS pixels with a viewBox, so a browser scales it and
a printer keeps its proportions; the font is DejaVu Sans, the one the layout measured.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

from mapro.catalogue.definition.schema import Definition

from .graph import NodeKind
from .layout import POOL_BAND, Diagram, EdgeShape, LaneShape, NodeShape, TextBlock, layout
from .text import FONT_FAMILY

SVG_NS = "http://www.w3.org/2000/svg"
INK = "#1f2933"
LANE_FILLS = ("#ffffff", "#f7f9fb")
BAND_FILL = "#e9eef4"
TASK_FILL, TASK_STROKE = "#eef4fb", "#2b5797"
GATEWAY_FILL, GATEWAY_STROKE = "#fff7e0", "#b7791f"
START_FILL, START_STROKE = "#effaf3", "#2f855a"
END_FILL, END_STROKE = "#fdf0f0", "#c53030"


def render_svg(definition: Definition) -> str:
    diagram = layout(definition)
    root = ET.Element(
        "svg",
        {
            "xmlns": SVG_NS,
            "version": "1.1",
            "width": _n(diagram.width),
            "height": _n(diagram.height),
            "viewBox": f"0 0 {_n(diagram.width)} {_n(diagram.height)}",
            "font-family": f"'{FONT_FAMILY}', sans-serif",
        },
    )
    ET.SubElement(root, "title").text = diagram.title
    _defs(root)
    ET.SubElement(root, "rect", _box_attrs(0, 0, diagram.width, diagram.height, fill="#ffffff"))
    _participant(root, diagram)
    for index, lane in enumerate(diagram.lanes):
        _lane(root, lane, LANE_FILLS[index % 2])
    for edge in diagram.edges:
        _edge(root, edge)
    for shape in diagram.nodes:
        _node(root, shape)
    for edge in diagram.edges:  # labels last, so no line is drawn over them
        if edge.label is not None:
            _text(root, edge.label, fill=INK, background=True)
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def _defs(root: ET.Element) -> None:
    defs = ET.SubElement(root, "defs")
    marker = ET.SubElement(
        defs,
        "marker",
        {
            "id": "arrow",
            "viewBox": "0 0 10 10",
            "refX": "10",
            "refY": "5",
            "markerWidth": "9",
            "markerHeight": "9",
            "markerUnits": "userSpaceOnUse",
            "orient": "auto",
        },
    )
    ET.SubElement(marker, "path", {"d": "M 0 0 L 10 5 L 0 10 z", "fill": INK})


def _participant(root: ET.Element, diagram: Diagram) -> None:
    box = diagram.participant
    ET.SubElement(root, "rect", _box_attrs(box.x, box.y, box.width, box.height, fill="none", stroke=INK))
    band = _box_attrs(box.x, box.y, POOL_BAND, box.height, fill=BAND_FILL, stroke=INK)
    ET.SubElement(root, "rect", band)
    cx, cy = box.x + POOL_BAND / 2, box.cy
    title = ET.SubElement(
        root,
        "text",
        {
            "x": _n(cx),
            "y": _n(cy),
            "transform": f"rotate(-90 {_n(cx)} {_n(cy)})",
            "text-anchor": "middle",
            "dominant-baseline": "central",
            "font-size": "13",
            "font-weight": "bold",
            "fill": INK,
        },
    )
    title.text = diagram.code


def _lane(root: ET.Element, lane: LaneShape, fill: str) -> None:
    box = lane.box
    ET.SubElement(root, "rect", _box_attrs(box.x, box.y, box.width, box.height, fill=fill, stroke="#9aa5b1"))
    band_width = lane.label.box.width + 20
    ET.SubElement(
        root, "rect", _box_attrs(box.x, box.y, band_width, box.height, fill=BAND_FILL, stroke="#9aa5b1")
    )
    _text(root, lane.label, fill=INK)


def _edge(root: ET.Element, edge: EdgeShape) -> None:
    points = " ".join(f"{_n(p.x)},{_n(p.y)}" for p in edge.points)
    attrs = {
        "points": points,
        "fill": "none",
        "stroke": INK,
        "stroke-width": "1.4",
        "stroke-linejoin": "round",
        "marker-end": "url(#arrow)",
    }
    if edge.edge.attachment:  # a boundary timer to its activity: a dotted tie, not a flow
        attrs.pop("marker-end")
        attrs["stroke-dasharray"] = "2 3"
    ET.SubElement(root, "polyline", attrs)


def _node(root: ET.Element, shape: NodeShape) -> None:
    kind = shape.node.kind
    if kind in (NodeKind.TASK, NodeKind.CALL):
        _task(root, shape)
    elif kind == NodeKind.GATEWAY:
        _gateway(root, shape)
    elif kind == NodeKind.TIMER:
        _timer(root, shape)
    else:
        _event(root, shape)


def _task(root: ET.Element, shape: NodeShape) -> None:
    box = shape.box
    call = shape.node.kind == NodeKind.CALL
    attrs = _box_attrs(box.x, box.y, box.width, box.height, fill=TASK_FILL, stroke=TASK_STROKE)
    # A call activity has the thick border and the "+" marker BPMN gives it.
    attrs.update({"rx": "10", "ry": "10", "stroke-width": "3.5" if call else "1.6"})
    ET.SubElement(root, "rect", attrs)
    number = ET.SubElement(
        root,
        "text",
        {
            "x": _n(box.x + 8),
            "y": _n(box.y + 15),
            "font-size": "11",
            "font-weight": "bold",
            "fill": TASK_STROKE,
        },
    )
    number.text = str(shape.node.activity)
    _text(root, shape.label, fill=INK)
    if call:
        size, x, y = 12.0, box.cx - 6, box.bottom - 15
        ET.SubElement(root, "rect", _box_attrs(x, y, size, size, fill="none", stroke=TASK_STROKE))
        cross = f"M {_n(x + 3)} {_n(y + 6)} H {_n(x + 9)} M {_n(x + 6)} {_n(y + 3)} V {_n(y + 9)}"
        ET.SubElement(root, "path", {"d": cross, "stroke": TASK_STROKE, "stroke-width": "1.5"})


def _gateway(root: ET.Element, shape: NodeShape) -> None:
    box = shape.box
    corners = ((box.cx, box.y), (box.right, box.cy), (box.cx, box.bottom), (box.x, box.cy))
    points = " ".join(f"{_n(x)},{_n(y)}" for x, y in corners)
    polygon = {"points": points, "fill": GATEWAY_FILL, "stroke": GATEWAY_STROKE, "stroke-width": "1.6"}
    ET.SubElement(root, "polygon", polygon)
    if shape.node.inclusive:  # the inclusive gateway's "O" marker
        attrs = {"cx": _n(box.cx), "cy": _n(box.cy), "r": "11", "fill": "none"}
        ET.SubElement(root, "circle", {**attrs, "stroke": GATEWAY_STROKE, "stroke-width": "3"})
        cross = ""
    elif shape.node.parallel:  # the parallel gateway's "+" marker
        d = 12
        cx, cy = _n(box.cx), _n(box.cy)
        cross = f"M {_n(box.cx - d)} {cy} H {_n(box.cx + d)} M {cx} {_n(box.cy - d)} V {_n(box.cy + d)}"
    else:  # the exclusive gateway's "X" marker
        d = 9
        cross = (
            f"M {_n(box.cx - d)} {_n(box.cy - d)} L {_n(box.cx + d)} {_n(box.cy + d)} "
            f"M {_n(box.cx + d)} {_n(box.cy - d)} L {_n(box.cx - d)} {_n(box.cy + d)}"
        )
    if cross:
        ET.SubElement(root, "path", {"d": cross, "stroke": GATEWAY_STROKE, "stroke-width": "3"})
    if shape.label.lines:
        _text(root, shape.label, fill=INK)


def _event(root: ET.Element, shape: NodeShape) -> None:
    box = shape.box
    start = shape.node.kind == NodeKind.START
    attrs = {
        "cx": _n(box.cx),
        "cy": _n(box.cy),
        "r": _n(box.width / 2),
        "fill": START_FILL if start else END_FILL,
        "stroke": START_STROKE if start else END_STROKE,
        "stroke-width": "2" if start else "4",
    }
    ET.SubElement(root, "circle", attrs)
    _text(root, shape.label, fill=INK)


def _timer(root: ET.Element, shape: NodeShape) -> None:
    """A timer event: two thin circles and a clock's hands (BPMN's intermediate timer)."""
    box = shape.box
    r = box.width / 2
    for radius in (r, r - 3):
        circle = {"cx": _n(box.cx), "cy": _n(box.cy), "r": _n(radius), "fill": "#ffffff", "stroke": INK}
        ET.SubElement(root, "circle", {**circle, "stroke-width": "1.4"})
    hands = f"M {_n(box.cx)} {_n(box.cy - r + 8)} V {_n(box.cy)} H {_n(box.cx + r - 9)}"
    ET.SubElement(root, "path", {"d": hands, "fill": "none", "stroke": INK, "stroke-width": "1.6"})
    _text(root, shape.label, fill=INK)


def _text(root: ET.Element, block: TextBlock, *, fill: str, background: bool = False) -> None:
    box = block.box
    if background:
        halo = _box_attrs(box.x - 2, box.y - 1, box.width + 4, box.height + 2, fill="#ffffff")
        halo["fill-opacity"] = "0.9"
        ET.SubElement(root, "rect", halo)
    x = {"start": box.x, "middle": box.cx, "end": box.right}[block.anchor]
    attrs = {"x": _n(x), "font-size": _n(block.size), "text-anchor": block.anchor, "fill": fill}
    if block.bold:
        attrs["font-weight"] = "bold"
    text = ET.SubElement(root, "text", attrs)
    for i, line in enumerate(block.lines):
        baseline = box.y + i * block.line_height + block.line_height / 2 + block.size * 0.36
        span = ET.SubElement(text, "tspan", {"x": _n(x), "y": _n(baseline)})
        span.text = line


def _box_attrs(
    x: float, y: float, width: float, height: float, *, fill: str, stroke: str | None = None
) -> dict[str, str]:
    attrs = {"x": _n(x), "y": _n(y), "width": _n(width), "height": _n(height), "fill": fill}
    if stroke is not None:
        attrs["stroke"] = stroke
    return attrs


def _n(value: float) -> str:
    """Numbers as short as exact enough: 12, 12.5, 12.33."""
    return f"{value:.2f}".rstrip("0").rstrip(".")
