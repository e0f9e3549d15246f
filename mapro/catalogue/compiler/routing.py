"""
Orthogonal routing of sequence flows on the layout grid, before any coordinate is known.

The grid has columns (ranks) separated by vertical gaps, and rows separated by horizontal channels. Boxes
sit only in the cells where a row crosses a column, so a route whose vertical runs lie in gaps and whose
horizontal runs lie in channels, or in a row across empty cells, cannot cross a box. Each route is written
as points whose coordinates are references (this node's left side, track k of gap 3, ...). Tracks are
then handed out so that runs sharing a gap or a channel lie side by side instead of on top of each other;
only then does the layout know how wide each gap and how high each channel must be.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from functools import cmp_to_key
from typing import Literal

from .graph import Edge, FlowGraph, NodeKind

Side = Literal["left", "center", "right", "top", "middle", "bottom"]


@dataclass(frozen=True)
class XRef:
    """A horizontal position: a side of a node, or a track of a gap (gap g lies left of column g)."""

    node: str | None = None
    side: Side = "center"
    gap: int = 0


@dataclass(frozen=True)
class YRef:
    """A vertical position: a side of a node, or a track of a channel (channel h lies above row h)."""

    node: str | None = None
    side: Side = "middle"
    channel: int = 0


RoutePoint = tuple[XRef, YRef]


@dataclass(frozen=True)
class Cell:
    column: int
    row: int


@dataclass
class Tracks:
    """Which track of which gap or channel each route uses, and how many tracks each one needs."""

    of_edge: dict[tuple[str, str, int], int]  # (edge id, "gap" | "channel", index) -> track
    gap_count: dict[int, int]
    channel_count: dict[int, int]


class Router:
    def __init__(self, graph: FlowGraph, cells: dict[str, Cell], back_edges: set[str]) -> None:
        self.graph = graph
        self.cells = cells
        self.back_edges = back_edges
        self.occupied = {(c.row, c.column) for c in cells.values()}
        self.exits = self._gateway_exits()

    def routes(self) -> dict[str, list[RoutePoint]]:
        return {edge.id: self.route(edge) for edge in self.graph.edges}

    def _gateway_exits(self) -> dict[str, Side]:
        """
        Which vertex of its gateway each branch leaves from. Branches going up leave from the top, down
        from the bottom, and one branch to the gateway's own row from the right, so that no two branches
        share their first stretch and each branch label sits on a line of its own.
        """
        exits: dict[str, Side] = {}
        for node in self.graph.nodes:
            if node.kind != NodeKind.GATEWAY:
                continue
            source = self.cells[node.id]
            outgoing = self.graph.outgoing(node.id)
            for edge in outgoing:
                target = self.cells[edge.target]
                loop_up = edge.id in self.back_edges and target.row <= source.row
                if loop_up or target.row < source.row:
                    exits[edge.id] = "top"
                else:
                    exits[edge.id] = "bottom"
            # The right vertex goes to the branch that can run straight along the row, else to the first
            # branch that stays in the row; the others pass below.
            level = [
                e for e in outgoing if exits[e.id] == "bottom" and self.cells[e.target].row == source.row
            ]
            straight = [e for e in level if self._straight_along_row(source, self.cells[e.target])]
            if straight or level:
                exits[(straight or level)[0].id] = "right"
        return exits

    def _straight_along_row(self, s: Cell, t: Cell) -> bool:
        return s.row == t.row and self.row_free(s.row, s.column + 1, t.column - 1)

    def route(self, edge: Edge) -> list[RoutePoint]:
        side = self.exits.get(edge.id, "right")
        if side == "right":
            return self._route_from_right(edge)
        return self._route_from_vertex(edge, side)

    def _route_from_right(self, edge: Edge) -> list[RoutePoint]:
        s, t = self.cells[edge.source], self.cells[edge.target]
        start = (XRef(edge.source, "right"), YRef(edge.source))
        end = (XRef(edge.target, "left"), YRef(edge.target))
        ys, yt = YRef(edge.source), YRef(edge.target)
        if edge.id not in self.back_edges:
            between = (s.column + 1, t.column - 1)
            if s.row == t.row and self.row_free(s.row, *between):
                return [start, end]
            if t.column == s.column + 1 or self.row_free(s.row, *between):
                return [start, (XRef(gap=t.column), ys), (XRef(gap=t.column), yt), end]
            if self.row_free(t.row, *between):
                return [start, (XRef(gap=s.column + 1), ys), (XRef(gap=s.column + 1), yt), end]
        channel = YRef(channel=s.row + 1 if t.row > s.row else s.row)
        out, into = XRef(gap=s.column + 1), XRef(gap=t.column)
        return [start, (out, ys), (out, channel), (into, channel), (into, yt), end]

    def _route_from_vertex(self, edge: Edge, side: Side) -> list[RoutePoint]:
        s, t = self.cells[edge.source], self.cells[edge.target]
        centre = XRef(edge.source, "center")
        start = (centre, YRef(edge.source, side))
        end = (XRef(edge.target, "left"), YRef(edge.target))
        yt = YRef(edge.target)
        if edge.id not in self.back_edges and self._straight_down_then_right(s, t):
            return [start, (centre, yt), end]
        channel = YRef(channel=s.row if side == "top" else s.row + 1)
        into = XRef(gap=t.column)
        return [start, (centre, channel), (into, channel), (into, yt), end]

    def _straight_down_then_right(self, s: Cell, t: Cell) -> bool:
        step = 1 if t.row > s.row else -1
        rows = range(s.row + step, t.row + step, step)
        column_clear = all((row, s.column) not in self.occupied for row in rows)
        return column_clear and self.row_free(t.row, s.column + 1, t.column - 1)

    def row_free(self, row: int, first: int, last: int) -> bool:
        return all((row, column) not in self.occupied for column in range(first, last + 1))

    def tracks(self, routes: dict[str, list[RoutePoint]]) -> Tracks:
        gaps: dict[tuple[int, str], list[_Run]] = defaultdict(list)
        channels: dict[tuple[int, str], list[_Run]] = defaultdict(list)
        for edge_id, points in routes.items():
            for i in range(1, len(points) - 2):
                (x0, y0), (x1, y1), (x2, y2), (x3, y3) = points[i - 1 : i + 3]
                if x1 == x2 and x1.node is None:
                    sides = (_side(self.grid_x(x0), self.grid_x(x1)), _side(self.grid_x(x3), self.grid_x(x2)))
                    # Lines that end in the same activity share their last vertical, as one merging line.
                    last = i + 2 == len(points) - 1
                    group = f"into {x3.node}" if last else edge_id
                    run = _Run.of(self.grid_y(y1), self.grid_y(y2), sides, edge_id)
                    gaps[(x1.gap, group)].append(run)
                elif y1 == y2 and y1.node is None:
                    sides = (_side(self.grid_y(y0), self.grid_y(y1)), _side(self.grid_y(y3), self.grid_y(y2)))
                    channels[(y1.channel, edge_id)].append(
                        _Run.of(self.grid_x(x1), self.grid_x(x2), sides, edge_id)
                    )
        of_edge: dict[tuple[str, str, int], int] = {}
        gap_count = {g: _assign(runs, of_edge, "gap", g) for g, runs in _merged(gaps).items()}
        channel_count = {h: _assign(runs, of_edge, "channel", h) for h, runs in _merged(channels).items()}
        return Tracks(of_edge, gap_count, channel_count)

    def grid_x(self, x: XRef) -> float:
        """Position along the grid in half-cells: gap g at 2g, column c between 2c+0.5 and 2c+1.5."""
        if x.node is None:
            return 2.0 * x.gap
        offset = {"left": 0.5, "center": 1.0, "right": 1.5}[x.side]
        return 2.0 * self.cells[x.node].column + offset

    def grid_y(self, y: YRef) -> float:
        if y.node is None:
            return 2.0 * y.channel
        offset = {"top": 0.5, "middle": 1.0, "bottom": 1.5}[y.side]
        return 2.0 * self.cells[y.node].row + offset


@dataclass(frozen=True)
class _Run:
    """
    A stretch of one or more routes inside one gap (vertical) or channel (horizontal), from `lo` to `hi` in
    half-cells, with its stubs: where a route leaves the stretch, and towards which side (-1 left or up,
    +1 right or down).
    """

    lo: float
    hi: float
    stubs: tuple[tuple[float, int], ...]
    edges: tuple[str, ...]

    @classmethod
    def of(cls, start: float, end: float, sides: tuple[int, int], edge: str) -> _Run:
        return cls(min(start, end), max(start, end), ((start, sides[0]), (end, sides[1])), (edge,))

    def overlaps(self, other: _Run) -> bool:
        return not (self.hi < other.lo or other.hi < self.lo)


def _merged(groups: dict[tuple[int, str], list[_Run]]) -> dict[int, list[_Run]]:
    """One run per group: the union of its members' stretches, with all their stubs."""
    merged: dict[int, list[_Run]] = defaultdict(list)
    for (index, _), runs in groups.items():
        stubs = tuple(dict.fromkeys(stub for run in runs for stub in run.stubs))
        edges = tuple(edge for run in runs for edge in run.edges)
        merged[index].append(_Run(min(r.lo for r in runs), max(r.hi for r in runs), stubs, edges))
    return merged


def _side(neighbour: float, here: float) -> int:
    return -1 if neighbour < here else 1


def _cost_before(a: _Run, b: _Run) -> int:
    """
    What putting `a` on a lower track than `b` (left of it, or above it) costs: each stub of `a` that
    turns towards `b` across `b`'s run is a crossing, and so is each stub of `b` turning back across `a`.
    A stub that meets the other run at its very end would lie on top of the other's stub, which is worse
    than a crossing.
    """

    def hits(position: float, run: _Run) -> int:
        if run.lo < position < run.hi:
            return 1
        return 5 if position in (run.lo, run.hi) else 0

    cost = sum(hits(position, b) for position, side in a.stubs if side > 0)
    return cost + sum(hits(position, a) for position, side in b.stubs if side < 0)


def _assign(runs: list[_Run], of_edge: dict[tuple[str, str, int], int], kind: str, index: int) -> int:
    """
    Orders the runs so that few cross, then gives each the track just past every earlier run it overlaps:
    overlapping runs keep the chosen order and never share a track; runs far apart do share one.
    """

    def compare(a: _Run, b: _Run) -> int:
        return (_cost_before(a, b) - _cost_before(b, a)) or (-1 if a.edges < b.edges else 1)

    placed: list[tuple[_Run, int]] = []
    for run in sorted(runs, key=cmp_to_key(compare)):
        track = 1 + max((t for other, t in placed if other.overlaps(run)), default=-1)
        placed.append((run, track))
        for edge in run.edges:
            of_edge[(edge, kind, index)] = track
    return 1 + max((t for _, t in placed), default=-1)
