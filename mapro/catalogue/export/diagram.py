"""
Fitting the flow diagram (an SVG of any size) onto A4 pages, for both the PDF and the DOCX.

A flow with lanes grows with the number of activities. Shrunk to one page, a large one becomes
unreadable, so below a minimum scale the diagram is cut along its long side into parts, each an SVG
whose viewBox shows one window of the whole; every part keeps the same scale so the lanes line up.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from lxml import etree

MM_PER_PX = 25.4 / 96  # CSS pixels: what an SVG user unit is when no unit is given

# Room left for the drawing on a page once the header, the section title and the caption are placed.
# Must agree with the page margins of ficha_document.css and of docx.py.
PORTRAIT_AREA_MM = (180.0, 215.0)
LANDSCAPE_AREA_MM = (267.0, 140.0)

# Below this fraction of its natural size the diagram's 11-12 px labels fall under 5 pt.
MIN_SCALE = 0.6
# Neighbouring parts repeat this share of the window so a shape cut by the edge is seen whole in one.
OVERLAP = 0.04


@dataclass(frozen=True)
class DiagramPart:
    svg: str
    width_mm: float
    height_mm: float
    landscape: bool
    number: int
    total: int


def diagram_parts(svg: str) -> list[DiagramPart]:
    """The diagram as one or more page-sized SVGs, with the size each must be drawn at."""
    root = etree.fromstring(svg.encode())
    x, y, width, height = _view_box(root)
    landscape = width > height
    area_w, area_h = LANDSCAPE_AREA_MM if landscape else PORTRAIT_AREA_MM
    natural_w, natural_h = width * MM_PER_PX, height * MM_PER_PX
    fit = min(area_w / natural_w, area_h / natural_h, 1.0)
    if fit >= MIN_SCALE:
        return [_part(root, (x, y, width, height), fit, landscape, 1, 1)]

    # Keep the whole short side on the page and cut the long side into windows.
    if landscape:
        scale = min(area_h / natural_h, 1.0)
        count = math.ceil(natural_w * scale / area_w)
    else:
        scale = min(area_w / natural_w, 1.0)
        count = math.ceil(natural_h * scale / area_h)
    long_side = width if landscape else height
    step = long_side / count
    window = min(step * (1 + OVERLAP), long_side)
    # The wider window must still fit: shrink a little rather than overflow the page.
    scale *= step / window
    parts = []
    for i in range(count):
        start = min(i * step, long_side - window)
        box = (x + start, y, window, height) if landscape else (x, y + start, width, window)
        parts.append(_part(root, box, scale, landscape, i + 1, count))
    return parts


def _part(
    root: etree._Element,
    box: tuple[float, float, float, float],
    scale: float,
    landscape: bool,
    n: int,
    total: int,
) -> DiagramPart:
    x, y, width, height = box
    part = etree.fromstring(etree.tostring(root))
    part.set("viewBox", f"{x:g} {y:g} {width:g} {height:g}")
    part.set("width", f"{width:g}")
    part.set("height", f"{height:g}")
    part.set("preserveAspectRatio", "xMinYMin meet")
    return DiagramPart(
        svg=etree.tostring(part, encoding="unicode"),
        width_mm=width * MM_PER_PX * scale,
        height_mm=height * MM_PER_PX * scale,
        landscape=landscape,
        number=n,
        total=total,
    )


def _view_box(root: etree._Element) -> tuple[float, float, float, float]:
    view_box = root.get("viewBox")
    if view_box:
        x, y, width, height = (float(v) for v in re.split(r"[\s,]+", view_box.strip()))
        return x, y, width, height
    return 0.0, 0.0, _length(root.get("width")), _length(root.get("height"))


def _length(value: str | None) -> float:
    """An SVG width or height in user units; only plain numbers and px make sense without a viewBox."""
    match = re.fullmatch(r"\s*([0-9.]+)\s*(px)?\s*", value or "")
    if match is None:
        raise ValueError(f"el diagrama no indica su tamaño (viewBox, width o height): {value!r}")
    return float(match.group(1))
