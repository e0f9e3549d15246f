"""
Fitting the flow diagram (an SVG of any size) onto A4 pages, for both the PDF and the DOCX.

A flow with lanes grows with its activities and roles: the largest fichas draw 80 activities over 15
lanes, some 2 × 0.9 m at natural size. Shrunk onto one page its labels fall under 2 pt, so a diagram that
does not fit at a legible scale is printed as a mosaic: first the whole flow on one page, with the
tiles outlined and numbered, then one page per tile, all tiles at the same legible scale.

Each tile is the same SVG with its viewBox moved over one window. Shapes wholly outside the window are
dropped from it, or every page would draw (and embed the text of) the whole diagram.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, replace

import cairosvg
from lxml import etree

from mapro.catalogue.compiler import render_svg
from mapro.catalogue.definition.schema import END, Activity, Definition, activity_numbers

from .scrub import scrub_text

MM_PER_PX = 25.4 / 96  # CSS pixels: what an SVG user unit is when no unit is given
SVG_NS = "http://www.w3.org/2000/svg"

# Room for the drawing once the header, the section title and the caption are placed. Must agree with
# the page margins of ficha_document.css and of docx.py (A4, 15 mm sides, 32 mm top, 15 mm bottom).
PORTRAIT_AREA_MM = (180.0, 222.0)
LANDSCAPE_AREA_MM = (267.0, 138.0)

# The compiler writes labels at 11-12 px: at 70 % of natural size they print at about 6 pt, the least
# that reads on paper without a magnifier (55 %, about 4.5 pt, did not).
MIN_SCALE = 0.7
# Neighbouring tiles repeat this share of their window, so a shape cut by an edge is whole in one of them.
OVERLAP = 0.05
# Shapes are measured from their coordinates; text only from its anchor, hence the generous margin.
CLIP_MARGIN_PX = 40.0
RASTER_DPI = 200


@dataclass(frozen=True)
class DiagramPart:
    svg: str
    width_mm: float
    height_mm: float
    landscape: bool
    caption: str
    raster: bool  # the overview: unreadable as text, so both documents embed it as a picture
    heading: str | None = None  # the flow a multi-flow procedure's diagram starts with


def flow_diagrams(definition: Definition) -> list[DiagramPart]:
    """The ficha's diagram parts: one diagram per flow, so independent flows are never drawn as one."""
    d = drawn_definition(definition)
    if len(d.flows) < 2:  # one flow is the procedure itself
        return diagram_parts(render_svg(d), name=d.code)
    parts: list[DiagramPart] = []
    for number, flow in enumerate(d.flows, start=1):
        title = f"Flujo {number}: {flow.name}"
        drawn = diagram_parts(render_svg(flow_definition(d, flow.id)), name=f"{d.code}, {title}")
        parts += [replace(drawn[0], heading=title), *drawn[1:]]
    return parts


def drawn_definition(definition: Definition) -> Definition:
    """The definition with the texts the drawing shows (names, questions, answers) scrubbed."""
    return definition.model_copy(update={"activities": [_drawn(a) for a in definition.activities]})


def _drawn(activity: Activity) -> Activity:
    update: dict = {"name": scrub_text(activity.name)[0]}
    if activity.decision is not None:
        branches = [
            b.model_copy(update={"label": scrub_text(b.label)[0]}) for b in activity.decision.branches
        ]
        update["decision"] = activity.decision.model_copy(
            update={"question": scrub_text(activity.decision.question)[0], "branches": branches}
        )
    return activity.model_copy(update=update)


def flow_definition(definition: Definition, flow_id: str) -> Definition:
    """The definition cut down to one flow: the activities reachable from its start, started there."""
    d = definition
    flow = next(f for f in d.flows if f.id == flow_id)
    reached: set[int] = set()
    pending = list(activity_numbers(flow.start))
    while pending:
        n = pending.pop()
        if n == END or n in reached:
            continue
        reached.add(n)
        pending += [t for t in d.successors(d.activity(n)) if t != END]
    return d.model_copy(
        update={
            "flows": [],
            "start": flow.start,
            "activities": [a for a in d.activities if a.n in reached],
            "time_rules": [t for t in d.time_rules if t.activity is None or t.activity in reached],
        }
    )


def diagram_parts(svg: str, *, name: str) -> list[DiagramPart]:
    """The diagram as page-sized SVGs, each with the size it must be drawn at and its caption."""
    root = etree.fromstring(svg.encode())
    box = _view_box(root)
    x, y, width, height = box
    landscape = width > height
    area_w, area_h = LANDSCAPE_AREA_MM if landscape else PORTRAIT_AREA_MM
    natural_w, natural_h = width * MM_PER_PX, height * MM_PER_PX
    fit = min(area_w / natural_w, area_h / natural_h, 1.0)
    if fit >= MIN_SCALE:
        return [_part(root, box, fit, landscape, f"Diagrama de flujo de {name}", raster=False)]

    # As few pages as at the minimum scale, then the largest scale that still fills only those pages.
    columns = math.ceil(natural_w * MIN_SCALE / area_w)
    rows = math.ceil(natural_h * MIN_SCALE / area_h)
    columns, rows = _fewest_tiles(width, height, columns, rows, (area_w, area_h))
    window_w, window_h = _window(width, columns), _window(height, rows)
    step_w, step_h = width / columns, height / rows
    scale = min(area_w / (window_w * MM_PER_PX), area_h / (window_h * MM_PER_PX), 1.0)

    tiles = []
    for row in range(rows):
        for column in range(columns):
            window = (
                x + min(column * step_w, width - window_w),
                y + min(row * step_h, height - window_h),
                window_w,
                window_h,
            )
            # A window over lane backgrounds and passing lines only adds a blank page: the overview
            # shows those lines; leave the window out of the mosaic.
            if _draws_in(root, window):
                tiles.append((row, column, window))
    total = len(tiles)
    overview = _overview(root, [window for _, _, window in tiles])
    parts = [
        _part(
            overview,
            box,
            fit,
            landscape,
            f"Diagrama de flujo de {name}: vista general. Cada recuadro numerado se amplía en la parte "
            f"del mismo número (partes 1 a {total}).",
            raster=True,
        )
    ]
    for number, (row, column, window) in enumerate(tiles, start=1):
        caption = (
            f"Diagrama de flujo de {name}, parte {number} de {total} "
            f"(fila {row + 1} de {rows}, columna {column + 1} de {columns})"
        )
        parts.append(_part(_clipped(root, window), window, scale, landscape, caption, raster=False))
    return parts


def _window(length: float, count: int) -> float:
    """A tile's side: its share of the diagram plus the overlap with its neighbour."""
    return min(length / count * (1 + OVERLAP), length) if count > 1 else length


def _fewest_tiles(
    width: float, height: float, columns: int, rows: int, area: tuple[float, float]
) -> tuple[int, int]:
    """Fewer rows (or columns) when the tiles' scale, set by the other side, leaves the page half empty.

    A wide flow cut into 4 × 2 tiles is printed at the scale its tiles' width allows; if the whole height
    fits one page at that scale, one row of 4 tiles shows the same labels at the same size on half the pages.
    """
    area_w, area_h = area

    def scale(c: int, r: int) -> float:
        return min(area_w / (_window(width, c) * MM_PER_PX), area_h / (_window(height, r) * MM_PER_PX), 1.0)

    best = scale(columns, rows)
    while rows > 1 and scale(columns, rows - 1) >= best:
        rows -= 1
    while columns > 1 and scale(columns - 1, rows) >= best:
        columns -= 1
    return columns, rows


def diagram_png(part: DiagramPart, *, dpi: int = RASTER_DPI) -> bytes:
    """The part as a PNG of the size it is printed at (Word cannot show SVG alone)."""
    return cairosvg.svg2png(bytestring=part.svg.encode(), output_width=round(part.width_mm / 25.4 * dpi))


def _part(
    root: etree._Element,
    box: tuple[float, float, float, float],
    scale: float,
    landscape: bool,
    caption: str,
    *,
    raster: bool,
) -> DiagramPart:
    x, y, width, height = box
    part = etree.fromstring(etree.tostring(root))
    part.set("viewBox", f"{x:.2f} {y:.2f} {width:.2f} {height:.2f}")
    part.set("width", f"{width:.2f}")
    part.set("height", f"{height:.2f}")
    return DiagramPart(
        svg=etree.tostring(part, encoding="unicode"),
        width_mm=width * MM_PER_PX * scale,
        height_mm=height * MM_PER_PX * scale,
        landscape=landscape,
        caption=caption,
        raster=raster,
    )


def _overview(root: etree._Element, tiles: list[tuple[float, float, float, float]]) -> etree._Element:
    """The whole diagram with each tile outlined and numbered, drawn over everything else."""
    overview = etree.fromstring(etree.tostring(root))
    # Outlines and numbers sized for the page, whatever the diagram's own size.
    weight = max(tiles[0][2], tiles[0][3]) / 200
    for number, (x, y, width, height) in enumerate(tiles, start=1):
        inset = weight * 2
        etree.SubElement(
            overview,
            f"{{{SVG_NS}}}rect",
            x=f"{x + inset:.1f}",
            y=f"{y + inset:.1f}",
            width=f"{width - 2 * inset:.1f}",
            height=f"{height - 2 * inset:.1f}",
            fill="none",
            stroke="#c53030",
            attrib={
                "stroke-width": f"{weight:.1f}",
                "stroke-dasharray": f"{weight * 4:.1f} {weight * 2:.1f}",
            },
        )
        label = etree.SubElement(
            overview,
            f"{{{SVG_NS}}}text",
            x=f"{x + width / 2:.1f}",
            y=f"{y + height / 2:.1f}",
            fill="#c53030",
            attrib={
                "font-size": f"{weight * 14:.1f}",
                "font-weight": "bold",
                "text-anchor": "middle",
                "dominant-baseline": "central",
                "fill-opacity": "0.55",
            },
        )
        label.text = str(number)
    return overview


def _clipped(root: etree._Element, window: tuple[float, float, float, float]) -> etree._Element:
    """A copy of the diagram without the top-level shapes that lie wholly outside `window`."""
    x, y, width, height = window
    left, top = x - CLIP_MARGIN_PX, y - CLIP_MARGIN_PX
    right, bottom = x + width + CLIP_MARGIN_PX, y + height + CLIP_MARGIN_PX
    copy = etree.fromstring(etree.tostring(root))
    for element in list(copy):
        bounds = _bounds(element)
        if bounds is None:
            continue  # not measurable: keep it
        x0, y0, x1, y1 = bounds
        if x1 < left or x0 > right or y1 < top or y0 > bottom:
            copy.remove(element)
    return copy


def _draws_in(root: etree._Element, window: tuple[float, float, float, float]) -> bool:
    """Whether `window` shows a label, an event or a gateway, not only lanes and lines passing through."""
    x, y, width, height = window
    for element in root:
        if not isinstance(element.tag, str) or etree.QName(element).localname in ("rect", "polyline"):
            continue
        bounds = _bounds(element)
        if bounds is None:
            continue
        x0, y0, x1, y1 = bounds
        if x0 < x + width and x1 > x and y0 < y + height and y1 > y:
            return True
    return False


def _bounds(element: etree._Element) -> tuple[float, float, float, float] | None:
    """Bounding box of a plain shape in user units; None for anything transformed or unknown."""
    if not isinstance(element.tag, str) or element.get("transform"):
        return None
    tag = etree.QName(element).localname
    if tag == "rect":
        x, y = _float(element, "x"), _float(element, "y")
        return x, y, x + _float(element, "width"), y + _float(element, "height")
    if tag == "circle":
        cx, cy, r = _float(element, "cx"), _float(element, "cy"), _float(element, "r")
        return cx - r, cy - r, cx + r, cy + r
    if tag in ("polyline", "polygon"):
        return _extent(_numbers(element.get("points", "")))
    if tag == "path":
        return _path_bounds(element.get("d", ""))
    if tag == "text":
        return _text_bounds(element)
    return None


def _text_bounds(element: etree._Element) -> tuple[float, float, float, float] | None:
    size = _float(element, "font-size", 12.0)
    anchor = element.get("text-anchor", "start")
    lines = [(span, span.text or "") for span in element] or [(element, element.text or "")]
    boxes = []
    for node, text in lines:
        if node.get("x") is None or node.get("y") is None:
            return None
        x, y = _float(node, "x"), _float(node, "y")
        length = len(text) * size * 0.62
        start = {"start": x, "middle": x - length / 2, "end": x - length}.get(anchor, x)
        boxes.append((start, y - size, start + length, y + size * 0.3))
    if not boxes:
        return None
    return (
        min(b[0] for b in boxes),
        min(b[1] for b in boxes),
        max(b[2] for b in boxes),
        max(b[3] for b in boxes),
    )


def _path_bounds(d: str) -> tuple[float, float, float, float] | None:
    """Absolute M, L, H, V and Z paths (the only ones the compiler writes); None for anything else."""
    xs: list[float] = []
    ys: list[float] = []
    for command, args in re.findall(r"([A-Za-z])([^A-Za-z]*)", d):
        values = [float(v) for v in re.findall(r"-?[0-9.]+(?:e-?[0-9]+)?", args)]
        if command in "ML":
            xs.extend(values[0::2])
            ys.extend(values[1::2])
        elif command == "H":
            xs.extend(values)
        elif command == "V":
            ys.extend(values)
        elif command not in "Zz":
            return None
    if not xs or not ys:
        return None
    return min(xs), min(ys), max(xs), max(ys)


def _extent(values: list[float]) -> tuple[float, float, float, float] | None:
    xs, ys = values[0::2], values[1::2]
    if not xs or not ys:
        return None
    return min(xs), min(ys), max(xs), max(ys)


def _numbers(text: str) -> list[float]:
    return [float(v) for v in re.findall(r"-?[0-9.]+(?:e-?[0-9]+)?", text)]


def _float(element: etree._Element, name: str, default: float = 0.0) -> float:
    value = element.get(name)
    if value is None:
        return default
    match = re.match(r"\s*(-?[0-9.]+)", value)
    return float(match.group(1)) if match else default


def _view_box(root: etree._Element) -> tuple[float, float, float, float]:
    view_box = root.get("viewBox")
    if view_box:
        x, y, width, height = _numbers(view_box)
        return x, y, width, height
    return 0.0, 0.0, _length(root.get("width")), _length(root.get("height"))


def _length(value: str | None) -> float:
    """An SVG width or height in user units; only plain numbers and px make sense without a viewBox."""
    match = re.fullmatch(r"\s*([0-9.]+)\s*(px)?\s*", value or "")
    if match is None:
        raise ValueError(f"el diagrama no indica su tamaño (viewBox, width o height): {value!r}")
    return float(match.group(1))
