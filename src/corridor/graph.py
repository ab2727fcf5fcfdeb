"""The graph's contract: node and edge types, the compiled arrays, and `check_graph()`.

The network is compiled into flat arrays: nodes numbered 0..n-1, edges 0..m-1 stored by tail
(CSR: the edges leaving node u are `indptr[u]:indptr[u + 1]`), one weight array per metric.
Node and edge meaning lives in small parallel arrays of codes; the named types below are how
the rest of the library and users see them.

A place has an origin node (where routes start), a destination node (where they end), and an
arrival and a departure node for each mode it serves. Cargo crossing a country in transit,
under bond, moves on a layer of its own (`transit_nodes`: it neither starts nor ends there and
clears none of that country's customs; one layer per territory it may have come from in transit,
`transit_layers`), and after a transit it ends in the country it enters on another
(`inbound_nodes`: it goes no further by land); each is an arrival and a departure for each land
mode at the places of the countries concerned (`network.transit_places`). Origins have no incoming edges and
destinations no outgoing ones, so a route can neither start nor end in the middle of another.
Staying on a mode at a place passes arrival to departure (`through`); changing mode is a
`transfer` from one mode's arrival to another's departure. Links join a departure to another
place's arrival; sea lanes join lane points, and `access` edges join seaports to them.
"""

from __future__ import annotations

import math
import numbers
import operator
from array import array
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from enum import Enum, IntEnum
from itertools import chain, islice, repeat

from .errors import DataError, UsageError
from .registry import GRAPH_MODES, LINK_MODES, METRIC_NAMES, SERVICE_MODES, TRANSFER


class Kind(IntEnum):
    """What a node stands for."""

    ORIGIN = 0
    DESTINATION = 1
    ARRIVE = 2
    DEPART = 3
    LANE = 4


class Role(str, Enum):
    """What an edge does."""

    BOARD = "board"  # origin -> departure of a mode: waiting for it and its charge per leg
    ALIGHT = "alight"  # arrival of a mode -> destination
    THROUGH = "through"  # arrival -> departure of the same mode at a place: staying on board
    TRANSFER = "transfer"  # arrival of one mode -> departure of another: handling and waiting
    LINK = "link"  # departure at one place -> arrival at another, along a curated link
    LANE = "lane"  # lane point -> lane point
    ACCESS = "access"  # a seaport's sea departure -> a lane point, or a lane point -> its sea arrival


ROLES: tuple[Role, ...] = tuple(Role)
ROLE_CODE = {role: code for code, role in enumerate(ROLES)}
# Mode codes: the registry's modes, then the transfer pseudo-mode.
MODE_CODES: tuple[str, ...] = (*GRAPH_MODES, TRANSFER.name)
MODE_CODE = {name: code for code, name in enumerate(MODE_CODES)}
NO_MODE = 255
NO_INDEX = -1


@dataclass(frozen=True, slots=True)
class Origin:
    """Where routes from a place start."""

    place: str


@dataclass(frozen=True, slots=True)
class Destination:
    """Where routes to a place end."""

    place: str


# The layers of arrivals and departures: ordinary, in transit, and inbound after a transit.
# Cargo in transit that came over a land border from a transit through another territory is on
# a layer of that territory's name, "transit:" and its code (`transit_layer`), so that it cannot
# go back to it (`network.layer_ends`).
LAYERS = ("", "transit", "inbound")
TRANSIT = "transit"


def transit_layer(came_from: str = "") -> str:
    """The transit layer of cargo that came in transit from territory `came_from` ("": from a
    ship or an ordinary place)."""
    return f"{TRANSIT}:{came_from}" if came_from else TRANSIT


def is_transit(layer: str) -> bool:
    """Whether a layer is one of cargo in transit (`transit_layer`)."""
    return layer == TRANSIT or layer.startswith(TRANSIT + ":")


def _slot(row: int, code: int, side: int) -> int:
    """The entry of a layers' table for a row of modes (a place's, or a transit layer's in a
    block), a mode code and a side (0 arrival, 1 departure)."""
    return (row * len(GRAPH_MODES) + code) * 2 + side


@dataclass(frozen=True, slots=True)
class Arrive:
    """A mode arriving at a place, on a layer (`LAYERS`; "" for most)."""

    place: str
    mode: str
    layer: str = ""


@dataclass(frozen=True, slots=True)
class Depart:
    """A mode departing from a place, on a layer (`LAYERS`; "" for most)."""

    place: str
    mode: str
    layer: str = ""


@dataclass(frozen=True, slots=True)
class LanePoint:
    """A vertex of the sea-lane network."""

    index: int


Node = Origin | Destination | Arrive | Depart | LanePoint


@dataclass(frozen=True)
class Edge:
    """One edge of the compiled graph, with its meaning and its four per-TEU metrics."""

    index: int
    tail: Node
    head: Node
    role: Role
    mode: str
    link: str | None
    passage: str | None
    distance_km: float
    time_h: float
    cost_usd: float
    co2_kg: float

    @property
    def place(self) -> str | None:
        """Return the place of a transfer, through, board or alight edge (None for movements)."""
        if self.role in (Role.LINK, Role.LANE, Role.ACCESS):
            return None
        return getattr(self.tail, "place", None)


@dataclass
class Graph:
    """The network as flat arrays: what the search core runs on and what the cache stores."""

    place_ids: list[str]
    passages: list[str]  # code 0 is "no passage"
    link_ids: list[str]
    node_kind: array  # B: Kind
    node_place: array  # i: index into place_ids, -1 for lane points
    node_mode: array  # B: mode code, NO_MODE for origins, destinations and lane points
    node_lane: array  # i: lane point index, -1 for place nodes
    indptr: array  # i: n + 1
    head: array  # i: m
    tail: array  # i: m
    role: array  # B: role code
    mode: array  # B: mode code (transfer edges: the transfer pseudo-mode)
    passage: array  # B: passage code
    link: array  # i: index into link_ids, -1
    weights: dict[str, array]  # metric name -> d: m
    spread: array  # d: m, how much worse than its time_h an edge gets at the 90th percentile (hours)
    origin_node: array  # i: per place, -1 when the place is not in the graph
    destination_node: array  # i: per place
    mode_nodes: array  # i: per place, per mode code, (arrive, depart); -1 when absent
    transit_nodes: array  # i: per block (`transit_block`), per transit layer (`transit_layers`), as mode_nodes
    transit_block: array  # i: per place, its block of transit_nodes; -1 for a place with no transit layer
    inbound_nodes: array  # i: as mode_nodes, the inbound layer's; -1 when absent
    rindptr: array  # i: n + 1, the reverse adjacency: edges entering node v are redges[rindptr[v]:rindptr[v + 1]]
    redges: array  # i: m, edge numbers sorted by head
    category: array  # B: per edge, an index into `categories`
    categories: list[tuple[int, int, int, int, int]]  # (role, mode, tail's mode, head's mode, passage)
    transit_layers: list[str] = field(default_factory=lambda: [TRANSIT])  # the layers of transit_nodes
    _edges_by_code: dict = field(default_factory=dict, repr=False)

    @property
    def n_nodes(self) -> int:
        return len(self.node_kind)

    @property
    def n_edges(self) -> int:
        return len(self.head)

    def __repr__(self) -> str:
        return f"<Graph {self.n_nodes:,} nodes, {self.n_edges:,} edges, {len(self.place_ids):,} places>"

    # ------------------------------------------------------------------ lookups

    def place_index(self, place_id: str) -> int:
        index = self._place_index().get(place_id)
        if index is None:
            raise KeyError(place_id)
        return index

    def _place_index(self) -> dict[str, int]:
        cached = self._edges_by_code.get("places")
        if cached is None:
            cached = {pid: i for i, pid in enumerate(self.place_ids)}
            self._edges_by_code["places"] = cached
        return cached

    def origin(self, place_id: str) -> int:
        return self.origin_node[self.place_index(place_id)]

    def destination(self, place_id: str) -> int:
        return self.destination_node[self.place_index(place_id)]

    def arrive(self, place_id: str, mode: str) -> int:
        return self.mode_nodes[(self.place_index(place_id) * len(GRAPH_MODES) + MODE_CODE[mode]) * 2]

    def depart(self, place_id: str, mode: str) -> int:
        return self.mode_nodes[(self.place_index(place_id) * len(GRAPH_MODES) + MODE_CODE[mode]) * 2 + 1]

    def place_nodes(self, place_id: str) -> list[int]:
        """Return every node of a place: origin, destination, arrivals and departures on every layer."""
        i = self.place_index(place_id)
        width = len(GRAPH_MODES) * 2
        block, transit = self.transit_block[i], width * len(self.transit_layers)
        nodes = [
            self.origin_node[i],
            self.destination_node[i],
            *self.mode_nodes[i * width : (i + 1) * width],
            *(self.transit_nodes[block * transit : (block + 1) * transit] if block >= 0 else ()),
            *self.inbound_nodes[i * width : (i + 1) * width],
        ]
        return [n for n in nodes if n >= 0]

    @property
    def transit(self) -> frozenset[int]:
        """The nodes of the transit layers (`transit_nodes`)."""
        found = self._edges_by_code.get("transit")
        if found is None:
            found = self._edges_by_code["transit"] = frozenset(self.transit_nodes) - {NO_INDEX}
        return found

    def layer(self, n: int) -> str:
        """Return the layer of a node (`LAYERS`, or a transit layer of `transit_layers`): found
        in its place's entries of the layers' tables, without indexing every node."""
        kind = self.node_kind[n]
        if kind not in (Kind.ARRIVE, Kind.DEPART):
            return ""
        place, code, side = self.node_place[n], self.node_mode[n], int(kind == Kind.DEPART)
        if self.mode_nodes[_slot(place, code, side)] == n:
            return ""
        if self.inbound_nodes[_slot(place, code, side)] == n:
            return "inbound"
        block, rows = self.transit_block[place], len(self.transit_layers)
        for row in range(rows if block >= 0 else 0):
            if self.transit_nodes[_slot(block * rows + row, code, side)] == n:
                return self.transit_layers[row]
        return ""

    def in_graph(self, place_id: str) -> bool:
        index = self._place_index().get(place_id)
        return index is not None and self.destination_node[index] >= 0

    def lane_node(self, index: int) -> int:
        """Return the node of a lane point, -1 when the lanes have no such point in the graph."""
        found = self._edges_by_code.get("lanes")
        if found is None:
            found = {self.node_lane[n]: n for n in range(self.n_nodes) if self.node_kind[n] == Kind.LANE}
            self._edges_by_code["lanes"] = found
        return found.get(index, -1)

    def passage_codes(self, tag: str) -> set[int]:
        """Return the passage codes that go through a passage tag: its own, and those of sea
        services' links through it with others (tags joined by "+")."""
        return {code for code, text in enumerate(self.passages) if text and tag in text.split("+")}

    def node(self, n: int) -> Node:
        """Return the named node for a node number."""
        kind = self.node_kind[n]
        if kind == Kind.LANE:
            return LanePoint(self.node_lane[n])
        place = self.place_ids[self.node_place[n]]
        if kind == Kind.ORIGIN:
            return Origin(place)
        if kind == Kind.DESTINATION:
            return Destination(place)
        mode = MODE_CODES[self.node_mode[n]]
        layer = self.layer(n)
        return Arrive(place, mode, layer) if kind == Kind.ARRIVE else Depart(place, mode, layer)

    def node_place_id(self, n: int) -> str | None:
        index = self.node_place[n]
        return self.place_ids[index] if index >= 0 else None

    def edge(self, e: int) -> Edge:
        """Return the named view of an edge number (0 to n_edges - 1)."""
        if isinstance(e, bool) or not isinstance(e, numbers.Integral) or not 0 <= e < self.n_edges:
            raise UsageError(f"edge must be a number from 0 to {self.n_edges - 1:,}, not {e!r}", "edge")
        e = int(e)
        link, passage = self.link[e], self.passage[e]
        return Edge(
            index=e,
            tail=self.node(self.tail[e]),
            head=self.node(self.head[e]),
            role=ROLES[self.role[e]],
            mode=MODE_CODES[self.mode[e]],
            link=self.link_ids[link] if link >= 0 else None,
            passage=self.passages[passage] if passage else None,
            **{m: self.weights[m][e] for m in METRIC_NAMES},
        )

    def edges(self) -> Iterator[Edge]:
        return (self.edge(e) for e in range(self.n_edges))

    def out_edges(self, n: int) -> range:
        return range(self.indptr[n], self.indptr[n + 1])

    def in_edges(self, n: int) -> Sequence[int]:
        """Return the numbers of the edges entering node n."""
        return self.redges[self.rindptr[n] : self.rindptr[n + 1]]

    def edges_with_role(self, role: Role) -> list[int]:
        """Return the numbers of every edge with a role (cached)."""
        code = ROLE_CODE[role]
        cached = self._edges_by_code.get(code)
        if cached is None:
            cached = [e for e, r in enumerate(self.role) if r == code]
            self._edges_by_code[code] = cached
        return cached

    def to_networkx(self):
        """Return the graph as a networkx MultiDiGraph with named nodes; the key of each edge is its number.

        Each edge carries `role`, `mode`, `link`, `passage` and the four metrics.
        """
        import networkx as nx

        graph = nx.MultiDiGraph()
        nodes = [self.node(n) for n in range(self.n_nodes)]
        graph.add_nodes_from(nodes)
        roles = [r.value for r in ROLES]
        for e in range(self.n_edges):
            link, passage = self.link[e], self.passage[e]
            graph.add_edge(
                nodes[self.tail[e]],
                nodes[self.head[e]],
                key=e,
                role=roles[self.role[e]],
                mode=MODE_CODES[self.mode[e]],
                link=self.link_ids[link] if link >= 0 else None,
                passage=self.passages[passage] if passage else None,
                **{m: self.weights[m][e] for m in METRIC_NAMES},
            )
        return graph


class GraphBuilder:
    """Number nodes as they are first named and collect edges; `build()` compiles them."""

    def __init__(self, place_ids: Sequence[str]):
        self.place_ids = list(place_ids)
        self.index = {pid: i for i, pid in enumerate(self.place_ids)}
        width = len(GRAPH_MODES) * 2
        self.origin_node = array("i", [NO_INDEX]) * len(self.place_ids)
        self.destination_node = array("i", [NO_INDEX]) * len(self.place_ids)
        self.mode_nodes = array("i", [NO_INDEX]) * (len(self.place_ids) * width)
        self.transit_nodes = array("i")
        self.use_transit_layers(())
        self.inbound_nodes = array("i", [NO_INDEX]) * (len(self.place_ids) * width)
        self.lane_node: dict[int, int] = {}
        self.node_kind = array("B")
        self.node_place = array("i")
        self.node_mode = array("B")
        self.node_lane = array("i")
        self.passages: list[str] = [""]
        self.passage_code: dict[str, int] = {"": 0}
        self.link_ids: list[str] = []
        self.link_code: dict[str, int] = {}
        self.edges: list[tuple[int, int, int, int, int, int, tuple[float, ...], float]] = []

    def use_transit_layers(self, names: Sequence[str]) -> None:
        """Name the transit layers (`transit_layer`), before any transit node is made."""
        if self.transit_nodes:
            raise ValueError("the transit layers are named before their first node")
        self.transit_layers = [TRANSIT, *(n for n in names if n != TRANSIT)]
        self.transit_code = {name: code for code, name in enumerate(self.transit_layers)}
        self.transit_nodes = array("i")  # a block per place that has a transit layer, made with its first node
        self.transit_block = array("i", [NO_INDEX]) * len(self.place_ids)

    def _new(self, kind: Kind, place: int, mode: int, lane: int) -> int:
        self.node_kind.append(kind)
        self.node_place.append(place)
        self.node_mode.append(mode)
        self.node_lane.append(lane)
        return len(self.node_kind) - 1

    def origin(self, place_id: str) -> int:
        i = self.index[place_id]
        if self.origin_node[i] < 0:
            self.origin_node[i] = self._new(Kind.ORIGIN, i, NO_MODE, NO_INDEX)
        return self.origin_node[i]

    def destination(self, place_id: str) -> int:
        i = self.index[place_id]
        if self.destination_node[i] < 0:
            self.destination_node[i] = self._new(Kind.DESTINATION, i, NO_MODE, NO_INDEX)
        return self.destination_node[i]

    def _mode_node(self, place_id: str, mode: str, side: int, layer: str) -> int:
        i, code = self.index[place_id], MODE_CODE[mode]
        if is_transit(layer):  # one row of modes per transit layer, in the place's block
            rows = len(self.transit_layers)
            if self.transit_block[i] < 0:
                self.transit_block[i] = len(self.transit_nodes) // _slot(rows, 0, 0)
                self.transit_nodes.extend(array("i", [NO_INDEX]) * _slot(rows, 0, 0))
            table, row = self.transit_nodes, self.transit_block[i] * rows + self.transit_code[layer]
        else:
            table, row = {"": self.mode_nodes, "inbound": self.inbound_nodes}[layer], i
        slot = _slot(row, code, side)
        if table[slot] < 0:
            table[slot] = self._new(Kind.DEPART if side else Kind.ARRIVE, i, code, NO_INDEX)
        return table[slot]

    def arrive(self, place_id: str, mode: str, layer: str = "") -> int:
        return self._mode_node(place_id, mode, 0, layer)

    def depart(self, place_id: str, mode: str, layer: str = "") -> int:
        return self._mode_node(place_id, mode, 1, layer)

    def lane(self, index: int) -> int:
        node = self.lane_node.get(index)
        if node is None:
            node = self.lane_node[index] = self._new(Kind.LANE, NO_INDEX, NO_MODE, index)
        return node

    def add(
        self,
        tail: int,
        head: int,
        role: Role,
        mode: str,
        metrics: Sequence[float],
        *,
        link: str | None = None,
        passage: str = "",
        spread: float = 0.0,
    ) -> None:
        """Add an edge; `metrics` are the four per-TEU figures in registry order, `spread` its P90 excess in hours."""
        if link is None:
            link_code = NO_INDEX
        else:
            link_code = self.link_code.get(link, len(self.link_ids))
            if link_code == len(self.link_ids):
                self.link_code[link] = link_code
                self.link_ids.append(link)
        passage_code = self.passage_code.get(passage)
        if passage_code is None:
            passage_code = self.passage_code[passage] = len(self.passages)
            self.passages.append(passage)
        self.edges.append(
            (tail, head, ROLE_CODE[role], MODE_CODE[mode], passage_code, link_code, tuple(metrics), spread)
        )

    def build(self) -> Graph:
        """Sort the edges by tail into CSR arrays."""
        if len(self.passages) > 255:
            raise DataError(f"the lanes name {len(self.passages) - 1} passages; at most 254 are supported")
        edges = sorted(self.edges, key=operator.itemgetter(0))
        n = len(self.node_kind)
        # One column per field of the edges (empty columns when there are none).
        tails, heads, roles, modes, passages, links, metrics, spreads = (
            tuple(zip(*edges, strict=True)) if edges else ((),) * 8
        )
        indptr = array("i", [0]) * (n + 1)
        for u in tails:
            indptr[u + 1] += 1
        for u in range(n):
            indptr[u + 1] += indptr[u]
        totals = tuple(zip(*metrics, strict=True)) if metrics else ((),) * len(METRIC_NAMES)
        weights = {m: array("d", column) for m, column in zip(METRIC_NAMES, totals, strict=True)}
        redges = array("i", sorted(range(len(edges)), key=heads.__getitem__))
        rindptr = array("i", [0]) * (n + 1)
        for v in heads:
            rindptr[v + 1] += 1
        for v in range(n):
            rindptr[v + 1] += rindptr[v]
        # Edges a query's rules cannot tell apart share a category (see engine.Masks).
        kinds: dict[tuple[int, int, int, int, int], int] = {}
        node_mode = self.node_mode
        ends = map(node_mode.__getitem__, tails), map(node_mode.__getitem__, heads)
        keys = zip(roles, modes, *ends, passages, strict=True)
        codes = [kinds.setdefault(key, len(kinds)) for key in keys]
        if len(kinds) > 256:
            raise DataError("the network has more than 256 kinds of edge")
        category = array("B", codes)
        return Graph(
            place_ids=self.place_ids,
            passages=self.passages,
            link_ids=self.link_ids,
            node_kind=self.node_kind,
            node_place=self.node_place,
            node_mode=self.node_mode,
            node_lane=self.node_lane,
            indptr=indptr,
            head=array("i", heads),
            tail=array("i", tails),
            role=array("B", roles),
            mode=array("B", modes),
            passage=array("B", passages),
            link=array("i", links),
            weights=weights,
            spread=array("d", spreads),
            origin_node=self.origin_node,
            destination_node=self.destination_node,
            mode_nodes=self.mode_nodes,
            transit_nodes=self.transit_nodes,
            transit_block=self.transit_block,
            inbound_nodes=self.inbound_nodes,
            rindptr=rindptr,
            redges=redges,
            category=category,
            categories=list(kinds),
            transit_layers=self.transit_layers,
        )


class GraphError(DataError):
    """The compiled graph breaks its contract; lists every violation."""


# Which kinds of node each role joins, tail then head.
ROLE_ENDS: dict[Role, tuple[frozenset[Kind], frozenset[Kind]]] = {
    Role.BOARD: (frozenset({Kind.ORIGIN}), frozenset({Kind.DEPART})),
    Role.ALIGHT: (frozenset({Kind.ARRIVE}), frozenset({Kind.DESTINATION})),
    Role.THROUGH: (frozenset({Kind.ARRIVE}), frozenset({Kind.DEPART})),
    Role.TRANSFER: (frozenset({Kind.ARRIVE}), frozenset({Kind.DEPART})),
    Role.LINK: (frozenset({Kind.DEPART}), frozenset({Kind.ARRIVE})),
    Role.LANE: (frozenset({Kind.LANE}), frozenset({Kind.LANE})),
    Role.ACCESS: (frozenset({Kind.DEPART, Kind.LANE}), frozenset({Kind.LANE, Kind.ARRIVE})),
}
SEA = MODE_CODE["sea"]


def check_graph(graph: Graph, *, limit: int = 50) -> list[str]:
    """Return every violation of the graph's contract (empty when it holds), at most `limit`.

    Checks the arrays' shapes and bounds (a cache file is never trusted), then each edge: the
    kinds of node its role joins, that it stays within one place or moves between two as its
    role says, its mode, and that its metrics are finite and not negative.
    """
    problems: list[str] = []

    def add(message: str) -> bool:
        problems.append(message)
        return len(problems) >= limit

    n, m = graph.n_nodes, graph.n_edges
    places = len(graph.place_ids)
    for name in ("node_place", "node_mode", "node_lane"):
        if len(getattr(graph, name)) != n:
            add(f"{name} has {len(getattr(graph, name))} entries for {n} nodes")
    for name in (
        "tail",
        "role",
        "mode",
        "passage",
        "link",
        "category",
        "spread",
        *(f"weights[{k}]" for k in METRIC_NAMES),
    ):
        values = graph.weights[name[8:-1]] if name.startswith("weights") else getattr(graph, name)
        if len(values) != m:
            add(f"{name} has {len(values)} entries for {m} edges")
    if len(graph.indptr) != n + 1 or (graph.indptr and (graph.indptr[0] != 0 or graph.indptr[-1] != m)):
        add(f"indptr does not span the {m} edges of {n} nodes")
    if len(graph.origin_node) != places or len(graph.destination_node) != places:
        add("origin_node and destination_node need one entry per place")
    for name in LAYER_TABLES:
        if len(getattr(graph, name)) != _entries(graph, name):
            add(f"{name} needs an arrival and a departure entry per place and mode (and transit layer)")
    blocks = [b for b in graph.transit_block if b >= 0]
    if len(graph.transit_block) != places or sorted(blocks) != list(range(len(blocks))):
        add("transit_block needs one entry per place, numbering the blocks of transit_nodes once each")
    if len(set(graph.transit_layers)) != len(graph.transit_layers) or not all(map(is_transit, graph.transit_layers)):
        add(f"transit_layers names a layer twice or one that is not a transit layer: {graph.transit_layers}")
    if any(code >= len(graph.categories) for code in set(graph.category)):
        add("category refers to an unknown kind of edge")
    if problems:
        return problems
    indptr = graph.indptr
    for u in range(n):
        if indptr[u] > indptr[u + 1]:
            return [f"indptr decreases at node {u}"]
    if not _stored_by_tail(graph):  # the quick check failed: find the edge the slow way
        for e, (v, u) in enumerate(zip(graph.head, graph.tail, strict=True)):
            if not (0 <= v < n and 0 <= u < n) or not indptr[u] <= e < indptr[u + 1]:
                return [f"edge {e} joins nodes outside the graph or is stored under the wrong tail"]
    rindptr, redges = graph.rindptr, graph.redges
    permutation = not m or (min(redges) >= 0 and max(redges) < m == len(set(redges)))  # each edge once
    if len(rindptr) != n + 1 or len(redges) != m or not permutation:
        return ["the reverse adjacency does not list every edge once"]
    head = graph.head
    if not _reverse_matches(graph):
        for v in range(n):
            if rindptr[v] > rindptr[v + 1] or any(head[e] != v for e in redges[rindptr[v] : rindptr[v + 1]]):
                return [f"the reverse adjacency of node {v} lists edges that do not enter it"]
    kinds, node_place, node_mode = graph.node_kind, graph.node_place, graph.node_mode
    # Nodes too are judged per distinct case first, one by one only if a case fails.
    in_range = map(operator.and_, map(places.__gt__, node_place), map((-1).__lt__, node_place))
    node_cases = zip(kinds, in_range, map(NO_INDEX.__eq__, node_place), node_mode, strict=True)
    if any(_node_problem(*case) for case in set(node_cases)):
        for x in range(n):
            kind, place, mode = kinds[x], node_place[x], node_mode[x]
            problem = _node_problem(kind, 0 <= place < places, place == NO_INDEX, mode)
            if problem == "place":
                message = f"node {x} has kind {kind} and place {place}"
            else:
                message = f"node {x} ({_describe(graph, x)}) has no mode" if problem else ""
            if message and add(message):
                return problems
    for i, pid in enumerate(graph.place_ids):
        has_origin, has_destination = graph.origin_node[i] >= 0, graph.destination_node[i] >= 0
        if has_origin != has_destination and add(f"place {pid} has an origin or a destination node, not both"):
            return problems
    for message in _mode_node_problems(graph):
        if add(message):
            return problems
    # Each edge is judged by what it joins (`_edge_problem`). Edges that agree on all of that
    # judge alike, so the distinct cases are judged first; only if one fails are the edges
    # walked one by one, to name each that breaks the contract in order.
    metrics = [graph.spread, *(graph.weights[name] for name in METRIC_NAMES)]
    if _edges_judge_alike_and_pass(graph) and all(map(_finite_and_not_negative, metrics)):
        return problems
    cases = _edge_cases(graph)
    for e, case in enumerate(cases):
        role = case[0]
        if role not in _ROLE_ENDS_BY_CODE:
            if add(f"edge {e} has an unknown role code {role}"):
                return problems
            continue
        message = _edge_problem(graph, *case)
        if not message and not 0 <= graph.spread[e] < math.inf:
            message = f"has a spread of {graph.spread[e]} h"
        if not message:
            for name in METRIC_NAMES:
                value = graph.weights[name][e]
                if not 0 <= value < math.inf:
                    message = f"has {name} {value}"
                    break
        u, v = graph.tail[e], graph.head[e]
        if message and add(f"{ROLES[role].value} edge {e} ({_describe(graph, u)} -> {_describe(graph, v)}) {message}"):
            return problems
    return problems


LAYER_TABLES = ("mode_nodes", "transit_nodes", "inbound_nodes")


def _entries(graph: Graph, table: str) -> int:
    """How many entries a layers' table has: a row of modes per place, or per transit layer in
    each block of `transit_nodes`."""
    rows = len(graph.place_ids)
    if table == "transit_nodes":
        rows = sum(b >= 0 for b in graph.transit_block) * len(graph.transit_layers)
    return rows * len(GRAPH_MODES) * 2


def _mode_node_problems(graph: Graph) -> Iterator[str]:
    """Say each entry of the layers' tables (`LAYER_TABLES`) that names a node of another place,
    mode or side, each node two entries name, each transit node a route could start or end at,
    and each inbound node a route could start at."""
    n, width = graph.n_nodes, len(GRAPH_MODES)
    named: set[int] = set()
    owner = {b: i for i, b in enumerate(graph.transit_block) if b >= 0}  # block -> place
    for name in LAYER_TABLES:
        rows = len(graph.transit_layers) if name == "transit_nodes" else 1
        for slot, node in enumerate(getattr(graph, name)):
            if node < 0:
                continue
            place, rest = divmod(slot, width * 2 * rows)
            place = owner.get(place, NO_INDEX) if name == "transit_nodes" else place
            rest %= width * 2
            mode, side = divmod(rest, 2)
            kind = Kind.DEPART if side else Kind.ARRIVE
            if not (
                node < n
                and graph.node_kind[node] == kind
                and graph.node_place[node] == place
                and graph.node_mode[node] == mode
            ):
                yield f"{name} entry {slot} does not name the {kind.name.lower()} node of its place and mode"
            elif node in named:
                yield f"node {node} is named by two entries of the layers' tables"
            named.add(node)
    board, alight = ROLE_CODE[Role.BOARD], ROLE_CODE[Role.ALIGHT]
    for node in (n for table in LAYER_TABLES[1:] for n in getattr(graph, table)):
        if not 0 <= node < n:
            continue
        transit = node in graph.transit
        if transit and any(graph.role[e] == alight for e in graph.out_edges(node)):
            yield f"transit node {node} ({_describe(graph, node)}) has an edge to a destination"
        if any(graph.role[e] == board for e in graph.in_edges(node)):
            layer = "transit" if transit else "inbound"
            yield f"{layer} node {node} ({_describe(graph, node)}) has an edge from an origin"


def _describe(graph: Graph, node: int) -> str:
    """Name a node for a message, even one whose codes are broken."""
    try:
        return str(graph.node(node))
    except (IndexError, ValueError):
        return f"kind {graph.node_kind[node]}, place {graph.node_place[node]}, mode {graph.node_mode[node]}"


def _node_problem(kind: int, in_range: bool, unplaced: bool, mode: int) -> str:
    """Return "place" when a node's kind and place disagree (`in_range`: its place is one of the
    graph's; `unplaced`: it is NO_INDEX), "mode" when an arrival or departure has no mode, else ""."""
    is_place = kind in (Kind.ORIGIN, Kind.DESTINATION, Kind.ARRIVE, Kind.DEPART)
    if kind > Kind.LANE or (is_place and not in_range) or (kind == Kind.LANE and not unplaced):
        return "place"
    if kind in (Kind.ARRIVE, Kind.DEPART) and mode >= len(GRAPH_MODES):
        return "mode"
    return ""


def _expanded(pointers: Sequence[int], n: int) -> array:
    """Return, for CSR pointers that do not decrease, the row of each entry in turn."""
    counts = map(operator.sub, islice(pointers, 1, None), pointers)
    return array("i", chain.from_iterable(map(repeat, range(n), counts)))


def _stored_by_tail(graph: Graph) -> bool:
    """True when every edge joins two nodes of the graph and lies in its tail's CSR range
    (indptr known not to decrease, from 0 to the number of edges)."""
    n, indptr = graph.n_nodes, graph.indptr
    if graph.n_edges and not (
        min(graph.head) >= 0 and max(graph.head) < n and min(graph.tail) >= 0 and max(graph.tail) < n
    ):
        return False
    return _expanded(indptr, n) == array("i", graph.tail)


def _reverse_matches(graph: Graph) -> bool:
    """True when the reverse adjacency lists, for each node in turn, edges that enter it."""
    n, m, rindptr = graph.n_nodes, graph.n_edges, graph.rindptr
    if rindptr[0] != 0 or rindptr[n] != m or any(map(operator.gt, rindptr, islice(rindptr, 1, None))):
        return False
    return _expanded(rindptr, n) == array("i", map(graph.head.__getitem__, graph.redges))


def _finite_and_not_negative(values: Sequence[float]) -> bool:
    """True when no value is negative, infinite or NaN (a NaN or an infinity makes the sum one)."""
    return not values or (min(values) >= 0 and math.isfinite(sum(values)))


def _edges_judge_alike_and_pass(graph: Graph) -> bool:
    """True when every edge passes `_edge_problem`, judged per distinct case: each edge's role,
    mode, node modes and passage are its category's (compared as bytes), and the cases that
    remain (category, node kinds, one place or two, has a link) are few."""
    tail, head = graph.tail, graph.head
    try:
        category = bytes(graph.category)
        columns = list(zip(*graph.categories, strict=True)) if graph.categories else [()] * 5
        tables = [bytes(column) + bytes(256 - len(column)) for column in columns]
        mu, mv = (bytes(map(graph.node_mode.__getitem__, ends)) for ends in (tail, head))
    except (ValueError, TypeError, IndexError):  # a code beyond a byte, a node beyond the graph
        return False
    own = (bytes(graph.role), bytes(graph.mode), mu, mv, bytes(graph.passage))
    if any(category.translate(table) != values for table, values in zip(tables, own, strict=True)):
        return False
    if graph.link and max(graph.link) >= len(graph.link_ids):
        return False
    cases = set(zip(category, *_joins(graph), strict=True))
    for code, ku, kv, same_place, has_link in cases:
        role, mode, from_mode, to_mode, passage = graph.categories[code]
        if _edge_problem(graph, role, mode, ku, kv, from_mode, to_mode, same_place, has_link, True, passage, code):
            return False
    return True


def _joins(graph: Graph) -> tuple[Iterator, Iterator, Iterator, Iterator]:
    """Per edge: the kinds of its two nodes, whether they are one place, whether it has a link."""
    tail, head, kind, place = graph.tail, graph.head, graph.node_kind, graph.node_place
    same_place = map(operator.eq, map(place.__getitem__, tail), map(place.__getitem__, head))
    return map(kind.__getitem__, tail), map(kind.__getitem__, head), same_place, map((-1).__lt__, graph.link)


def _edge_cases(graph: Graph) -> list[tuple]:
    """Return, per edge, what `_edge_problem` judges it by."""
    ku, kv, same_place, has_link = _joins(graph)
    mu, mv = (map(graph.node_mode.__getitem__, ends) for ends in (graph.tail, graph.head))
    link_known = map(len(graph.link_ids).__gt__, graph.link)
    return list(
        zip(graph.role, graph.mode, ku, kv, mu, mv, same_place, has_link, link_known, graph.passage, graph.category,
            strict=True)
    )  # fmt: skip


def _edge_problem(
    graph: Graph, role: int, mode: int, ku: int, kv: int, mu: int, mv: int, same_place: bool, has_link: bool,
    link_known: bool, passage: int, category: int,
) -> str:  # fmt: skip
    """Return how an edge breaks the contract ("" if it does not), from its role and mode, the
    kinds and modes of its two nodes, whether they are one place, its link and passage codes."""
    ends = _ROLE_ENDS_BY_CODE.get(role)
    if ends is None:
        return f"has an unknown role code {role}"
    tails, heads = ends
    if ku not in tails or kv not in heads:
        return "joins the wrong kinds of node"
    if role not in _MOVING and not same_place:
        return "leaves its place"
    if role == ROLE_CODE[Role.TRANSFER] and (mu == mv or mode != _TRANSFER_CODE):
        return "does not change mode"
    if (role in (ROLE_CODE[Role.BOARD], ROLE_CODE[Role.THROUGH]) and mode != mv) or (
        role in (ROLE_CODE[Role.ALIGHT], ROLE_CODE[Role.THROUGH]) and mode != mu
    ):
        return "carries another mode than its node"
    if role == ROLE_CODE[Role.LINK] and (same_place or not mu == mv == mode or mode not in _LINK_MODE_CODES):
        return "is not a link of one link mode between two places"
    if role in (ROLE_CODE[Role.LANE], ROLE_CODE[Role.ACCESS]) and mode != SEA:
        return "is not a sea edge"
    if role == ROLE_CODE[Role.ACCESS] and (ku == Kind.LANE) == (kv == Kind.LANE):
        return "does not join a place to the lanes"
    if role == ROLE_CODE[Role.ACCESS] and (mu if ku != Kind.LANE else mv) != SEA:
        return "joins the lanes to a place's non-sea node"
    if has_link != (role == ROLE_CODE[Role.LINK]) or not link_known:
        return "has a link index that does not fit its role"
    if passage >= len(graph.passages) or (passage and role not in (ROLE_CODE[Role.LANE], ROLE_CODE[Role.LINK])):
        return "has a passage that does not fit its role"
    if category >= len(graph.categories) or graph.categories[category] != (role, mode, mu, mv, passage):
        return "has the wrong category"
    return ""


_ROLE_ENDS_BY_CODE = {ROLE_CODE[role]: ends for role, ends in ROLE_ENDS.items()}
_MOVING = {ROLE_CODE[r] for r in (Role.LINK, Role.LANE, Role.ACCESS)}
_TRANSFER_CODE = MODE_CODE[TRANSFER.name]
_LINK_MODE_CODES = {MODE_CODE[m] for m in (*LINK_MODES, *SERVICE_MODES)}


def require_valid(graph: Graph) -> None:
    """Raise GraphError listing every violation of the contract, if any."""
    problems = check_graph(graph)
    if problems:
        raise GraphError("the network breaks the graph contract", problems)
