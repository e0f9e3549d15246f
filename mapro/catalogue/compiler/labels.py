"""
Placing branch labels where they can be read: near the start of their line, clear of boxes and of each other.

The first sideways stretch of a branch line usually has room, since the layout widened gaps and channels
for it. When it has not (three branches of one decision leaving through one vertex, two branches to the
same activity), the label slides along the stretch, flips below the line, or moves to the next stretch:
the first candidate clear of every box and every label already placed wins.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from itertools import pairwise

from .geometry import Box, Point, TextBlock
from .graph import Edge
from .text import block_width, wrap

LABEL_TEXT, LABEL_LINE = 11.0, 13.0
EDGE_LABEL_WIDTH = 110
OFFSET = 4  # from the line and from the bend


def place_edge_labels(
    edges: Sequence[Edge], points: dict[str, list[Point]], obstacles: list[Box], area: Box
) -> dict[str, TextBlock]:
    placed: dict[str, TextBlock] = {}
    taken = list(obstacles)
    for edge in edges:
        if not edge.label:
            continue
        lines = tuple(wrap(edge.label, EDGE_LABEL_WIDTH, LABEL_TEXT))
        width, height = block_width(list(lines), LABEL_TEXT), len(lines) * LABEL_LINE
        candidates = list(_candidates(points[edge.id], width, height))
        fits = (box for box, _ in candidates if box.inside(area) and not any(box.overlaps(t) for t in taken))
        box = next(fits, candidates[0][0])
        anchor = next(a for b, a in candidates if b == box)
        placed[edge.id] = TextBlock(lines, box, LABEL_TEXT, LABEL_LINE, anchor)
        taken.append(box)
    return placed


def _candidates(points: list[Point], width: float, height: float) -> Iterator[tuple[Box, str]]:
    """Along each sideways stretch in route order: above the line, then below, sliding off the bend."""
    runs = [(a, b) for a, b in pairwise(points) if a.y == b.y and a.x != b.x]
    for a, b in runs:
        direction = 1 if b.x > a.x else -1
        length = abs(b.x - a.x)
        shift = 0.0
        while shift == 0.0 or shift + width + 2 * OFFSET <= length:
            x = a.x + direction * (OFFSET + shift)
            left = x if direction > 0 else x - width
            anchor = "start" if direction > 0 else "end"
            yield Box(left, a.y - OFFSET - height, width, height), anchor
            yield Box(left, a.y + OFFSET, width, height), anchor
            shift += width / 2 + OFFSET
    a, b = runs[0] if runs else (points[0], points[1])
    for level in range(1, 4):  # stacked above the first stretch, the last resort
        left = a.x + OFFSET if b.x >= a.x else a.x - OFFSET - width
        top = a.y - OFFSET - height - level * (height + 2)
        yield Box(left, top, width, height), "start" if b.x >= a.x else "end"
