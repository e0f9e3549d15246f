"""
Automatic layout of a procedure's flow graph: lanes, columns, boxes, orthogonal arrows, label places.

The BPMN diagram interchange (DI) and the SVG drawing both come from this one layout, so the diagram a
process analyst opens in Camunda Modeler is the one printed with the ficha. The method is the usual
layered one, kept simple enough to read:
- one horizontal lane per responsible role, in the order the roles first appear among the activities;
- loops are found by a depth-first search from the start; without them the graph is acyclic and each node
  goes to the column of its longest path from the start (the flow reads left to right);
- inside its lane a node keeps the row of its predecessor when it can, so a chain of steps stays straight;
- arrows are routed on the grid (see routing.py); loops run in the channels above or below the rows.
Sizes come from the text: a task grows taller for a long name, a column wider for a long question.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from itertools import pairwise

from mapro.catalogue.definition.schema import Definition

from .geometry import Box, Point, TextBlock
from .graph import FLOWS_GATEWAY_ID, START_ID, Edge, FlowGraph, Node, NodeKind, flow_graph, lane_roles
from .labels import EDGE_LABEL_WIDTH, LABEL_LINE, LABEL_TEXT, place_edge_labels
from .routing import Cell, RoutePoint, Router, Tracks, XRef, YRef
from .text import block_width, wrap

TASK_WIDTH = 130
TASK_MIN_HEIGHT = 80
TASK_TEXT, TASK_LINE = 12.0, 15.0
TASK_NUMBER_BAND = 18  # room above the name for the activity number
GATEWAY_SIZE = 50
EVENT_SIZE = 36
GATEWAY_LABEL_WIDTH = 120
EVENT_LABEL_WIDTH = 110
LANE_TEXT, LANE_LINE = 12.0, 15.0
POOL_BAND = 30  # the participant's own title band, left of the lanes
LANE_BAND = 150  # the lane's title band, where the role name is written
MARGIN = 20
MIN_GAP = 44
MIN_CHANNEL = 30
TRACK = 14
MIN_ROW_HALF = TASK_MIN_HEIGHT / 2


@dataclass(frozen=True)
class NodeShape:
    node: Node
    box: Box
    label: TextBlock  # inside a task; outside a gateway or an event


@dataclass(frozen=True)
class EdgeShape:
    edge: Edge
    points: tuple[Point, ...]
    label: TextBlock | None


@dataclass(frozen=True)
class LaneShape:
    role: str
    name: str
    box: Box
    label: TextBlock


@dataclass(frozen=True)
class Diagram:
    graph: FlowGraph
    code: str
    title: str
    participant: Box
    lanes: tuple[LaneShape, ...]
    nodes: tuple[NodeShape, ...]
    edges: tuple[EdgeShape, ...]
    width: float
    height: float

    def shape(self, node_id: str) -> NodeShape:
        return next(s for s in self.nodes if s.node.id == node_id)


def layout(definition: Definition) -> Diagram:
    return _Layout(definition).run()


# --- graph ordering -------------------------------------------------------------------------------------


def back_edges(graph: FlowGraph) -> set[str]:
    """Edges closing a loop: those that reach a node still open in a depth-first search from the start."""
    outgoing: dict[str, list[Edge]] = defaultdict(list)
    for edge in graph.edges:
        outgoing[edge.source].append(edge)
    found: set[str] = set()
    state: dict[str, str] = {}  # "open" while on the DFS path, "done" after
    roots = [START_ID] + [n.id for n in graph.nodes if n.id != START_ID]
    for root in roots:
        if root in state:
            continue
        state[root] = "open"
        stack = [(root, iter(outgoing[root]))]
        while stack:
            node, pending = stack[-1]
            edge = next(pending, None)
            if edge is None:
                state[node] = "done"
                stack.pop()
            elif state.get(edge.target) == "open":
                found.add(edge.id)
            elif edge.target not in state:
                state[edge.target] = "open"
                stack.append((edge.target, iter(outgoing[edge.target])))
    return found


def ranks(graph: FlowGraph, back: set[str]) -> dict[str, int]:
    """Longest path from the start over the acyclic graph left once loops are set aside (Kahn order)."""
    forward = [e for e in graph.edges if e.id not in back]
    incoming = {n.id: 0 for n in graph.nodes}
    for edge in forward:
        incoming[edge.target] += 1
    rank = {n.id: 0 for n in graph.nodes}
    ready = [n.id for n in graph.nodes if incoming[n.id] == 0]
    while ready:
        node = ready.pop(0)
        for edge in forward:
            if edge.source != node:
                continue
            rank[edge.target] = max(rank[edge.target], rank[node] + 1)
            incoming[edge.target] -= 1
            if incoming[edge.target] == 0:
                ready.append(edge.target)
    return rank


# --- the layout -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Extent:
    """How far a node (with its outside label) reaches from its centre, and its label lines."""

    left: float
    right: float
    top: float
    bottom: float
    lines: tuple[str, ...]
    height: float = 0.0  # a task's height; other shapes have fixed sizes


class _Layout:
    def __init__(self, definition: Definition) -> None:
        self.d = definition
        self.graph = flow_graph(definition)
        self.back = back_edges(self.graph)
        self.rank = ranks(self.graph, self.back)
        self.roles = list(dict.fromkeys(r for a in definition.activities for r in lane_roles(a)))
        self.cells, self.lane_rows = self._cells()
        self.extents = {n.id: _extent(n) for n in self.graph.nodes}
        self.columns = max(self.rank.values()) + 1
        self.rows = sum(self.lane_rows)

    def run(self) -> Diagram:
        router = Router(self.graph, self.cells, self.back)
        routes = router.routes()
        tracks = router.tracks(routes)
        self._size_grid(routes, tracks)
        self._place_grid()
        shapes = {n.id: self._node_shape(n) for n in self.graph.nodes}
        points = {e.id: self._points(e, routes[e.id], tracks, shapes) for e in self.graph.edges}
        bottom = self.channel_top[self.rows] + self.channel_height[self.rows]
        participant = Box(MARGIN, MARGIN, self.content_right - MARGIN, bottom - MARGIN)
        content = Box(
            self.gap_left[0], participant.y, participant.right - self.gap_left[0], participant.height
        )
        obstacles = [s.box for s in shapes.values()] + [
            s.label.box for s in shapes.values() if s.node.kind not in (NodeKind.TASK, NodeKind.CALL)
        ]
        labels = place_edge_labels(self.graph.edges, points, obstacles, content)
        edges = tuple(EdgeShape(e, tuple(points[e.id]), labels.get(e.id)) for e in self.graph.edges)
        return Diagram(
            graph=self.graph,
            code=self.d.code,
            title=f"{self.d.code} {self.d.name}",
            participant=participant,
            lanes=self._lanes(participant),
            nodes=tuple(shapes.values()),
            edges=edges,
            width=participant.right + MARGIN,
            height=participant.bottom + MARGIN,
        )

    # rows and columns ----------------------------------------------------------------------------------

    def _cells(self) -> tuple[dict[str, Cell], list[int]]:
        """
        Column = rank. Rows inside a lane: a node keeps its predecessor's row when that cell is free, else
        takes the first free row. Each flow of a multi-flow procedure gets rows of its own below the rows of
        the flows before it, so every flow reads as one band and flows never interleave.
        """
        flow = self._flow_of_nodes()
        order = {n.id: i for i, n in enumerate(self.graph.nodes)}
        local: dict[str, int] = {}
        taken: set[tuple[str, int, int]] = set()
        base: dict[str, int] = {}
        current_flow = -1
        for node in sorted(self.graph.nodes, key=lambda n: (flow[n.id], self.rank[n.id], order[n.id])):
            if flow[node.id] != current_flow:
                current_flow = flow[node.id]
                base = {
                    role: 1
                    + max((r for n, r in local.items() if self.graph.node(n).role == role), default=-1)
                    for role in self.roles
                }
            column = self.rank[node.id]
            row = self._preferred_row(node, local, flow, base[node.role])
            if (node.role, row, column) in taken:
                row = next(r for r in range(base[node.role], 10_000) if (node.role, r, column) not in taken)
            taken.add((node.role, row, column))
            local[node.id] = row
        lane_rows = [
            1 + max(r for n, r in local.items() if self.graph.node(n).role == role) for role in self.roles
        ]
        first_row = {role: sum(lane_rows[:i]) for i, role in enumerate(self.roles)}
        cells = {
            n.id: Cell(column=self.rank[n.id], row=first_row[n.role] + local[n.id]) for n in self.graph.nodes
        }
        return cells, lane_rows

    def _flow_of_nodes(self) -> dict[str, int]:
        """The first flow (in the order the ficha lists them) from whose start each node is reached."""
        flow = {n.id: 0 for n in self.graph.nodes}
        starts = [e.target for e in self.graph.outgoing(FLOWS_GATEWAY_ID)]
        seen: set[str] = set()
        for index, start in enumerate(starts):
            pending = [start]
            while pending:
                node = pending.pop()
                if node in seen:
                    continue
                seen.add(node)
                flow[node] = index
                pending.extend(e.target for e in self.graph.outgoing(node))
        return flow

    def _preferred_row(self, node: Node, local: dict[str, int], flow: dict[str, int], base: int) -> int:
        for edge in self.graph.edges:
            if edge.target != node.id or edge.id in self.back or edge.source not in local:
                continue
            if self.graph.node(edge.source).role == node.role and flow[edge.source] == flow[node.id]:
                return local[edge.source]
        return base

    def _size_grid(self, routes: dict[str, list[RoutePoint]], tracks: Tracks) -> None:
        self.col_left = [0.0] * self.columns
        self.col_right = [0.0] * self.columns
        self.row_top = [MIN_ROW_HALF] * self.rows
        self.row_bottom = [MIN_ROW_HALF] * self.rows
        for node_id, cell in self.cells.items():
            ext = self.extents[node_id]
            self.col_left[cell.column] = max(self.col_left[cell.column], ext.left)
            self.col_right[cell.column] = max(self.col_right[cell.column], ext.right)
            self.row_top[cell.row] = max(self.row_top[cell.row], ext.top)
            self.row_bottom[cell.row] = max(self.row_bottom[cell.row], ext.bottom)
        self.gap_width = [
            max(MIN_GAP, (tracks.gap_count.get(g, 0) + 1) * TRACK) for g in range(self.columns + 1)
        ]
        self.channel_height = [
            max(MIN_CHANNEL, (tracks.channel_count.get(h, 0) + 1) * TRACK) for h in range(self.rows + 1)
        ]
        self._room_for_edge_labels(routes)
        self._room_for_lane_labels()

    def _room_for_edge_labels(self, routes: dict[str, list[RoutePoint]]) -> None:
        """A branch label is written where its line first runs sideways: make that stretch long enough."""
        for edge in self.graph.edges:
            if not edge.label:
                continue
            lines = wrap(edge.label, EDGE_LABEL_WIDTH, LABEL_TEXT)
            width, height = block_width(lines, LABEL_TEXT) + 12, len(lines) * LABEL_LINE + 4
            (x1, y1), _ = _first_run(routes[edge.id])
            column = self.cells[edge.source].column
            if x1.side == "right":
                self.gap_width[column + 1] = max(self.gap_width[column + 1], width)
            else:
                beyond = width - self.col_right[column]
                self.gap_width[column + 1] = max(self.gap_width[column + 1], beyond)
            if y1.node is None:
                self.channel_height[y1.channel] = max(self.channel_height[y1.channel], height + 2 * TRACK)

    def _room_for_lane_labels(self) -> None:
        first = 0
        for role, count in zip(self.roles, self.lane_rows, strict=True):
            lines = wrap(self.d.role(role).name, LANE_BAND - 20, LANE_TEXT, bold=True)
            need = len(lines) * LANE_LINE + 20
            last = first + count - 1
            have = sum(self.row_top[first : last + 1]) + sum(self.row_bottom[first : last + 1])
            have += sum(self.channel_height[first + 1 : last + 1]) + MIN_CHANNEL
            if need > have:
                self.row_bottom[last] += need - have
            first += count

    def _place_grid(self) -> None:
        x = MARGIN + POOL_BAND + LANE_BAND
        self.gap_left, self.col_center = [], []
        for c in range(self.columns):
            self.gap_left.append(x)
            x += self.gap_width[c]
            self.col_center.append(x + self.col_left[c])
            x += self.col_left[c] + self.col_right[c]
        self.gap_left.append(x)
        self.content_right = x + self.gap_width[self.columns]
        y = float(MARGIN)
        self.channel_top, self.row_center = [], []
        for r in range(self.rows):
            self.channel_top.append(y)
            y += self.channel_height[r] + self.row_top[r]
            self.row_center.append(y)
            y += self.row_bottom[r]
        self.channel_top.append(y)

    # shapes ------------------------------------------------------------------------------------------

    def _node_shape(self, node: Node) -> NodeShape:
        cell, ext = self.cells[node.id], self.extents[node.id]
        cx, cy = self.col_center[cell.column], self.row_center[cell.row]
        if node.kind in (NodeKind.TASK, NodeKind.CALL):
            box = Box(cx - TASK_WIDTH / 2, cy - ext.height / 2, TASK_WIDTH, ext.height)
            text_h = len(ext.lines) * TASK_LINE
            inner_top = box.y + TASK_NUMBER_BAND + (box.height - TASK_NUMBER_BAND - text_h) / 2 - 2
            inner = Box(box.x + 6, inner_top, TASK_WIDTH - 12, text_h)
            return NodeShape(node, box, TextBlock(ext.lines, inner, TASK_TEXT, TASK_LINE, "middle"))
        if node.kind == NodeKind.GATEWAY:
            half = GATEWAY_SIZE / 2
            box = Box(cx - half, cy - half, GATEWAY_SIZE, GATEWAY_SIZE)
            width, height = block_width(list(ext.lines), LABEL_TEXT), len(ext.lines) * LABEL_LINE
            label = Box(cx - 10 - width, cy - 22 - height, width, height)
            return NodeShape(node, box, TextBlock(ext.lines, label, LABEL_TEXT, LABEL_LINE, "end"))
        half = EVENT_SIZE / 2
        box = Box(cx - half, cy - half, EVENT_SIZE, EVENT_SIZE)
        width, height = block_width(list(ext.lines), LABEL_TEXT), len(ext.lines) * LABEL_LINE
        label = Box(cx - width / 2, cy + half + 4, width, height)
        return NodeShape(node, box, TextBlock(ext.lines, label, LABEL_TEXT, LABEL_LINE, "middle"))

    def _points(
        self, edge: Edge, route: list[RoutePoint], tracks: Tracks, shapes: dict[str, NodeShape]
    ) -> list[Point]:
        return _simplify([self._point(x, y, edge.id, tracks, shapes) for x, y in route])

    def _point(self, x: XRef, y: YRef, edge_id: str, tracks: Tracks, shapes: dict[str, NodeShape]) -> Point:
        return Point(self._x(x, edge_id, tracks, shapes), self._y(y, edge_id, tracks, shapes))

    def _x(self, x: XRef, edge_id: str, tracks: Tracks, shapes: dict[str, NodeShape]) -> float:
        if x.node is not None:
            box = shapes[x.node].box
            return {"left": box.x, "center": box.cx, "right": box.right}[x.side]
        track = tracks.of_edge[(edge_id, "gap", x.gap)]
        return self.gap_left[x.gap] + _track_offset(self.gap_width[x.gap], tracks.gap_count[x.gap], track)

    def _y(self, y: YRef, edge_id: str, tracks: Tracks, shapes: dict[str, NodeShape]) -> float:
        if y.node is not None:
            box = shapes[y.node].box
            return {"top": box.y, "middle": box.cy, "bottom": box.bottom}[y.side]
        h = y.channel
        count = tracks.channel_count[h]
        # Between two lanes the lane border runs through the middle of the channel: an even number of
        # slots keeps every track off that border line.
        slots = count + 1 if self._lane_border_at(h) and count % 2 else count
        offset = _track_offset(self.channel_height[h], slots, tracks.of_edge[(edge_id, "channel", h)])
        return self.channel_top[h] + offset

    def _lane_border_at(self, channel: int) -> bool:
        borders = {sum(self.lane_rows[: i + 1]) for i in range(len(self.lane_rows) - 1)}
        return channel in borders

    def _lanes(self, participant: Box) -> tuple[LaneShape, ...]:
        lanes, first = [], 0
        x = participant.x + POOL_BAND
        for i, (role, count) in enumerate(zip(self.roles, self.lane_rows, strict=True)):
            top = participant.y if i == 0 else self._channel_middle(first)
            last = first + count
            bottom = participant.bottom if last == self.rows else self._channel_middle(last)
            box = Box(x, top, participant.right - x, bottom - top)
            name = self.d.role(role).name
            lines = tuple(wrap(name, LANE_BAND - 20, LANE_TEXT, bold=True))
            height = len(lines) * LANE_LINE
            text = Box(x + 10, box.cy - height / 2, LANE_BAND - 20, height)
            label = TextBlock(lines, text, LANE_TEXT, LANE_LINE, "start", bold=True)
            lanes.append(LaneShape(role, name, box, label))
            first = last
        return tuple(lanes)

    def _channel_middle(self, h: int) -> float:
        return self.channel_top[h] + self.channel_height[h] / 2


def _extent(node: Node) -> _Extent:
    if node.kind in (NodeKind.TASK, NodeKind.CALL):
        lines = tuple(wrap(node.caption, TASK_WIDTH - 14, TASK_TEXT))
        height = max(TASK_MIN_HEIGHT, TASK_NUMBER_BAND + len(lines) * TASK_LINE + 12)
        half = TASK_WIDTH / 2
        return _Extent(half, half, height / 2, height / 2, lines, height)
    if node.kind == NodeKind.GATEWAY:
        # A parallel gateway asks nothing: no label, so it takes no room above it.
        lines = tuple(wrap(node.caption, GATEWAY_LABEL_WIDTH, LABEL_TEXT)) if node.caption else ()
        if not lines:
            return _Extent(GATEWAY_SIZE / 2, GATEWAY_SIZE / 2, GATEWAY_SIZE / 2, GATEWAY_SIZE / 2, lines)
        label_w, label_h = block_width(list(lines), LABEL_TEXT), len(lines) * LABEL_LINE
        half = GATEWAY_SIZE / 2
        return _Extent(max(half, label_w + 12), half, 24 + label_h, half, lines)
    lines = tuple(wrap(node.caption, EVENT_LABEL_WIDTH, LABEL_TEXT))
    label_w, label_h = block_width(list(lines), LABEL_TEXT), len(lines) * LABEL_LINE
    half = EVENT_SIZE / 2
    return _Extent(max(half, label_w / 2 + 4), max(half, label_w / 2 + 4), half, half + 6 + label_h, lines)


def _first_run(route: list[RoutePoint]) -> tuple[RoutePoint, RoutePoint]:
    """The first sideways stretch of a route, where its label goes."""
    for a, b in pairwise(route):
        if a[1] == b[1]:
            return a, b
    return route[0], route[1]


def _track_offset(size: float, count: int, track: int) -> float:
    return size * (track + 1) / (max(count, 1) + 1)


def _simplify(points: list[Point]) -> list[Point]:
    """Drop repeated points and the middle of three points on one line."""
    unique = [p for i, p in enumerate(points) if i == 0 or p != points[i - 1]]
    kept = [unique[0]]
    for i in range(1, len(unique) - 1):
        a, b, c = kept[-1], unique[i], unique[i + 1]
        if (a.x == b.x == c.x) or (a.y == b.y == c.y):
            continue
        kept.append(b)
    kept.append(unique[-1])
    return kept
