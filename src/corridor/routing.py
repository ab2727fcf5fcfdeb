"""Find the best route and genuinely different alternatives on one metric, and reach every place."""

from __future__ import annotations

import heapq
import itertools
import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace

import networkx as nx

from .costing import METRICS
from .datasets import MODES
from .errors import NoRouteError, UsageError
from .gazetteer import Target
from .network import (
    AREA_IN,
    AREA_OUT,
    ARRIVE,
    DEPART,
    ENTER,
    EXIT,
    LANE,
    THROUGH,
    TRANSFER,
    Network,
    mode_node,
    node_place,
)
from .sealanes import CLOSED_BY_DEFAULT, PASSAGES, passage_name

BY = {"cost": "cost_usd", "time": "time_h", "distance": "distance_km", "co2": "co2_kg"}
EdgeRef = tuple[object, object, int]
MAX_SEARCHES = 48
PASSAGE_NAMES = {tag: name for name, tag in PASSAGES.items()}
ANYWHERE = ("anywhere",)  # an `end` that lets a search stop at every place (for reach)


def metric_name(by: str) -> str:
    """Return the edge attribute for a --by choice (cost, time, distance, co2 or the attribute)."""
    if by in BY:
        return BY[by]
    if by in METRICS:
        return by
    raise UsageError(f"--by {by!r} is not one of {', '.join(BY)}")


@dataclass(frozen=True)
class Leg:
    """Consecutive edges of one mode between two places (or one transfer at a place)."""

    from_id: str
    to_id: str
    mode: str
    distance_km: float
    time_h: float
    cost_usd: float
    co2_kg: float
    edges: tuple[EdgeRef, ...] = ()
    via: tuple[str, ...] = ()
    links: tuple[str, ...] = ()
    passages: tuple[str, ...] = ()


@dataclass(frozen=True)
class Route:
    """A route as the concrete edges chosen, grouped into legs, with totals per TEU x `teu`."""

    origin: str
    destination: str
    optimized_for: str
    legs: tuple[Leg, ...]
    teu: float = 1.0

    @property
    def distance_km(self) -> float:
        return sum(leg.distance_km for leg in self.legs)

    @property
    def time_h(self) -> float:
        return sum(leg.time_h for leg in self.legs)

    @property
    def cost_usd(self) -> float:
        return sum(leg.cost_usd for leg in self.legs)

    @property
    def co2_kg(self) -> float:
        return sum(leg.co2_kg for leg in self.legs)

    @property
    def totals(self) -> dict[str, float]:
        return {m: getattr(self, m) for m in METRICS}

    @property
    def edges(self) -> tuple[EdgeRef, ...]:
        return tuple(e for leg in self.legs for e in leg.edges)

    @property
    def modes(self) -> tuple[str, ...]:
        return tuple(leg.mode for leg in self.legs if leg.mode != "transfer")

    @property
    def transfer_places(self) -> tuple[str, ...]:
        return tuple(leg.from_id for leg in self.legs if leg.mode == "transfer")

    def summary(self) -> str:
        """Return 'rail CNCQI-CNQZH, sea CNQZH-IQUQR' style text."""
        return ", ".join(f"{leg.mode} {leg.from_id}-{leg.to_id}" for leg in self.legs if leg.mode != "transfer")


def signature(network: Network, route: Route) -> tuple[tuple[str, str, str], ...]:
    """What makes two routes genuinely different: their sequence of modes and the places joined.

    Places of one area (the terminals of a city) count as one, and legs inside an area are
    ignored, so a route from another Chongqing terminal is not an alternative of its own.
    """

    def where(pid: str) -> str:
        return network.places[pid].area or pid

    out: list[tuple[str, str, str]] = []
    for leg in route.legs:
        if leg.mode == "transfer" or where(leg.from_id) == where(leg.to_id):
            continue
        step = (leg.mode, where(leg.from_id), where(leg.to_id))
        if out and out[-1][0] == step[0] and out[-1][2] == step[1]:
            step = (step[0], out[-1][1], step[2])
            out.pop()
        out.append(step)
    return tuple(out)


@dataclass(frozen=True)
class Constraints:
    """What a query allows: modes, places and passages to avoid, edges banned."""

    modes: frozenset[str] = frozenset(MODES)
    avoid_places: frozenset[str] = frozenset()
    avoid_passages: frozenset[str] = frozenset(PASSAGES[p] for p in CLOSED_BY_DEFAULT)
    banned: frozenset = frozenset()  # arrival nodes (place, mode, "in") and ("transfer-at", place)


@dataclass
class _Search:
    """One query's fixed parts: the graph, metric and origin/destination nodes."""

    network: Network
    metric: str
    origin: Target
    destination: Target
    vias: tuple[Target, ...]
    constraints: Constraints
    teu: float
    searches: int = 0
    avoided_nodes: frozenset = field(default_factory=frozenset)

    def __post_init__(self) -> None:
        nodes = set()
        for pid in self.constraints.avoid_places:
            nodes.add(pid)
            nodes.update(mode_node(pid, m, side) for m in MODES for side in (ARRIVE, DEPART))
        self.avoided_nodes = frozenset(nodes)


def _edge_allowed(search: _Search, u: object, v: object, key: int, data: dict, start: object, end: object) -> bool:
    c = search.constraints
    role = data["role"]
    if role == ENTER:
        if u != start and not (isinstance(start, tuple) and start[0] == "area" and u in _area_members(search, start)):
            return False
    elif role == EXIT:
        if (
            v != end
            and end is not ANYWHERE
            and not (isinstance(end, tuple) and end[0] == "area" and v in _area_members(search, end))
        ):
            return False
    elif role == AREA_OUT:
        if u != start:
            return False
    elif role == AREA_IN:
        if v != end:
            return False
    elif role == TRANSFER:
        if data["from_mode"] not in c.modes or data["to_mode"] not in c.modes:
            return False
        if ("transfer-at", u[0]) in c.banned:
            return False
    if role not in (TRANSFER, AREA_OUT, AREA_IN) and data["mode"] not in c.modes:
        return False
    if u in search.avoided_nodes or v in search.avoided_nodes:
        return False
    if role == LANE and data["passage"] and data["passage"] in c.avoid_passages:
        return False
    return not (c.banned and v in c.banned)


def _area_members(search: _Search, node: tuple) -> tuple[str, ...]:
    for target in (search.origin, search.destination, *search.vias):
        if target.is_area and target.area == node[1]:
            return target.place_ids
    return ()


def _weight(search: _Search, start: object, end: object) -> Callable[[object, object, dict], float | None]:
    metric = search.metric
    c = search.constraints
    blocked = search.avoided_nodes | {n for n in c.banned if not (isinstance(n, tuple) and n[0] == "transfer-at")}
    sea_open = "sea" in c.modes
    closed = c.avoid_passages

    def weight(u: object, v: object, keyed: dict) -> float | None:
        if u in blocked or v in blocked:
            return None
        best = None
        for key, data in keyed.items():
            if data["role"] == LANE:  # most edges: a fast path with the same rules as _edge_allowed
                if not sea_open or (data["passage"] and data["passage"] in closed):
                    continue
            elif not _edge_allowed(search, u, v, key, data, start, end):
                continue
            value = data[metric]
            if best is None or value < best:
                best = value
        return best

    return weight


def _edges_of(search: _Search, nodes: Sequence[object], start: object, end: object) -> list[EdgeRef]:
    """Map a node path back to the concrete parallel edges the search used."""
    graph = search.network.graph
    out = []
    for u, v in itertools.pairwise(nodes):
        keyed = graph[u][v]
        allowed = [(d[search.metric], k) for k, d in keyed.items() if _edge_allowed(search, u, v, k, d, start, end)]
        out.append((u, v, min(allowed)[1]))
    return out


def _segment(search: _Search, start: object, end: object) -> tuple[float, list[object]] | None:
    search.searches += 1
    try:
        length, nodes = nx.bidirectional_dijkstra(search.network.graph, start, end, weight=_weight(search, start, end))
    except (nx.NetworkXNoPath, nx.NodeNotFound):
        return None
    return length, nodes


def _via_nodes(search: _Search, target: Target, side: str) -> list[object]:
    """Return the mode nodes of a via place (or area) on one side: arrivals or departures."""
    graph = search.network.graph
    nodes = (mode_node(pid, m, side) for pid in target.place_ids for m in MODES)
    return [n for n in nodes if n in graph]


def _dijkstra(
    search: _Search, sources: dict[object, float], targets: set[object], start: object, end: object
) -> tuple[dict[object, float], dict[object, EdgeRef]]:
    """Multi-source Dijkstra with initial costs, stopping once every target is settled.

    Returns the settled costs and, for each settled node, the concrete edge that reached it.
    """
    graph, metric = search.network.graph, search.metric
    dist: dict[object, float] = {}
    pred: dict[object, EdgeRef] = {}
    seen = dict(sources)
    counter = itertools.count()
    heap = [(cost, next(counter), node, None) for node, cost in sources.items()]
    heapq.heapify(heap)
    remaining = set(targets)
    while heap and remaining:
        cost, _, u, edge = heapq.heappop(heap)
        if u in dist:
            continue
        dist[u] = cost
        if edge is not None:
            pred[u] = edge
        remaining.discard(u)
        for v, keyed in graph._adj[u].items():
            if v in dist:
                continue
            for key, data in keyed.items():
                if not _edge_allowed(search, u, v, key, data, start, end):
                    continue
                candidate = cost + data[metric]
                if v not in seen or candidate < seen[v]:
                    seen[v] = candidate
                    heapq.heappush(heap, (candidate, next(counter), v, (u, v, key)))
    return dist, pred


def _trace(pred: dict[object, EdgeRef], node: object) -> tuple[object, list[EdgeRef]]:
    """Return the source a settled node was reached from, and the edges from it."""
    edges = []
    while node in pred:
        edge = pred[node]
        edges.append(edge)
        node = edge[0]
    return node, edges[::-1]


def _best_edges(search: _Search) -> list[EdgeRef] | None:
    """Return the edges of the best route through every via, or None."""
    net = search.network
    start, end = net.target_node(search.origin), net.target_node(search.destination)
    if not search.vias:
        found = _segment(search, start, end)
        return _edges_of(search, found[1], start, end) if found else None
    # Search leg by leg, each from every departure node of the previous via with its cost so
    # far. A route arrives at a via by one mode and leaves by the same (a `through` edge) or by
    # another (a `transfer` edge), which the next search starts from.
    graph = net.graph
    departures: dict[object, tuple[float, list[EdgeRef]]] = {start: (0.0, [])}
    for i, via in enumerate([*search.vias, None]):
        targets = set(_via_nodes(search, via, ARRIVE)) if via is not None else {end}
        seg_start, seg_end = (start if i == 0 else None), (end if via is None else None)
        sources = {node: cost for node, (cost, _) in departures.items()}
        search.searches += 1
        dist, pred = _dijkstra(search, sources, targets, seg_start, seg_end)
        arrivals = {}
        for y in targets & dist.keys():
            source, edges = _trace(pred, y)
            arrivals[y] = (dist[y], departures[source][1] + edges)
        if via is None:
            return arrivals[end][1] if end in arrivals else None
        departures = {}
        for y, (cost_y, edges_y) in arrivals.items():
            for z, keyed in graph._adj[y].items():
                for key, data in keyed.items():
                    if data["role"] not in (THROUGH, TRANSFER) or not _edge_allowed(
                        search, y, z, key, data, None, None
                    ):
                        continue
                    if z not in departures or cost_y + data[search.metric] < departures[z][0]:
                        departures[z] = (cost_y + data[search.metric], [*edges_y, (y, z, key)])
        if not departures:
            return None
    return None


def _legs(network: Network, edges: Iterable[EdgeRef], teu: float) -> tuple[Leg, ...]:
    graph = network.graph
    legs: list[Leg] = []
    group: list[tuple[EdgeRef, dict]] = []

    def flush() -> None:
        if not group:
            return
        places = [p for (u, v, _), _d in group for p in (node_place(u), node_place(v)) if p is not None]
        places = [p for i, p in enumerate(places) if i == 0 or p != places[i - 1]]
        mode = group[0][1]["mode"]
        totals = {m: sum(d[m] for _, d in group) for m in METRICS}
        links = tuple(dict.fromkeys(d["link"] for _, d in group if d.get("link")))
        passages = tuple(dict.fromkeys(PASSAGE_NAMES[d["passage"]] for _, d in group if d.get("passage")))
        legs.append(
            Leg(
                from_id=places[0],
                to_id=places[-1],
                mode=mode,
                distance_km=totals["distance_km"],
                time_h=totals["time_h"],
                cost_usd=totals["cost_usd"] * teu,
                co2_kg=totals["co2_kg"] * teu,
                edges=tuple(e for e, _ in group),
                via=tuple(places[1:-1]),
                links=links,
                passages=passages,
            )
        )
        group.clear()

    for u, v, key in edges:
        data = graph[u][v][key]
        if data["role"] in (AREA_OUT, AREA_IN):
            continue
        if data["role"] == TRANSFER or (group and group[-1][1]["mode"] != data["mode"]):
            flush()
        group.append(((u, v, key), data))
        if data["role"] == TRANSFER:
            flush()
    flush()
    return tuple(legs)


def _route(search: _Search, edges: list[EdgeRef]) -> Route:
    legs = _legs(search.network, edges, search.teu)
    return Route(
        origin=legs[0].from_id,
        destination=legs[-1].to_id,
        optimized_for=search.metric,
        legs=legs,
        teu=search.teu,
    )


def _weight_of(search: _Search, edges: Iterable[EdgeRef]) -> float:
    graph = search.network.graph
    return sum(graph[u][v][k][search.metric] for u, v, k in edges)


def _ban_options(search: _Search, edges: Sequence[EdgeRef]) -> list[object]:
    """Return what to ban, one at a time, to push the search onto a different corridor.

    For each leg: arriving at its end place by its mode; for each transfer: transferring there.
    Banning whole arrivals rather than single links skips the near-copies of a corridor (the
    same line from another terminal, a parallel link) that edge bans would enumerate first.
    """
    options: list[object] = []
    for leg in _legs(search.network, edges, 1.0):
        if leg.mode == "transfer":
            options.append(("transfer-at", leg.from_id))
        else:
            options.append(mode_node(leg.to_id, leg.mode, ARRIVE))
    return list(dict.fromkeys(options))


def _with_bans(search: _Search, bans: frozenset) -> _Search:
    return replace(search, constraints=replace(search.constraints, banned=bans))


def _alternatives(search: _Search, best: list[EdgeRef], count: int) -> list[list[EdgeRef]]:
    """Find up to `count` routes whose signatures differ from the best and from each other.

    Each found route spawns searches that each ban one of its arrivals or transfer places (on
    top of the bans that produced it), cheapest candidates first. From a pool of distinct
    candidates, those changing mode at places not yet offered come first (a Vietnamese or
    Pearl River gateway after the Beibu Gulf, rather than three neighbouring Beibu Gulf ports),
    and among those a new sequence of modes (rail-sea after river-sea); the chosen routes are
    returned in order of the metric.
    """
    network = search.network

    def gateways(route: Route) -> frozenset[str]:
        return frozenset(network.places[p].area or p for p in route.transfer_places)

    best_route = _route(search, best)
    seen = {signature(network, best_route)}
    pool: list[tuple[float, list[EdgeRef], Route]] = []
    heap: list[tuple[float, int, frozenset, list[EdgeRef]]] = []
    tried: set[frozenset] = set()
    counter = itertools.count()

    def expand(edges: list[EdgeRef], bans: frozenset) -> None:
        for option in _ban_options(search, edges):
            child = bans | {option}
            if child in tried or search.searches >= MAX_SEARCHES:
                continue
            tried.add(child)
            found = _best_edges(_with_bans(search, child))
            search.searches += 1
            if found:
                heapq.heappush(heap, (_weight_of(search, found), next(counter), child, found))

    expand(best, frozenset())
    while heap and len(pool) < 2 * count:
        weight, _, bans, edges = heapq.heappop(heap)
        route = _route(search, edges)
        if signature(network, route) not in seen:
            seen.add(signature(network, route))
            pool.append((weight, edges, route))
        expand(edges, bans)

    offered, offered_modes = set(gateways(best_route)), {best_route.modes}
    chosen: list[tuple[float, list[EdgeRef], Route]] = []
    while pool and len(chosen) < count:
        # The candidate sharing the fewest transfer places with those offered, then one with a
        # new sequence of modes, then the best.
        pick = min(
            range(len(pool)),
            key=lambda i: (len(gateways(pool[i][2]) & offered), pool[i][2].modes in offered_modes, i),
        )
        weight, edges, route = pool.pop(pick)
        offered |= gateways(route)
        offered_modes.add(route.modes)
        chosen.append((weight, edges, route))
    chosen.sort(key=lambda item: item[0])
    return [edges for _, edges, _ in chosen]


def _passage_tags(texts: Iterable[str], option: str) -> set[str]:
    tags = set()
    for text in texts:
        name = passage_name(text)
        if name is None:
            raise UsageError(f"{option} {text!r} is not a sea passage ({', '.join(PASSAGES)})")
        tags.add(PASSAGES[name])
    return tags


def _constraints(
    network: Network, modes: Iterable[str] | None, avoid: Iterable[str], allow: Iterable[str] = ()
) -> Constraints:
    chosen = frozenset(modes) if modes else frozenset(MODES)
    unknown = sorted(chosen - set(MODES))
    if unknown:
        raise UsageError(f"--modes: {', '.join(unknown)} is not one of {', '.join(MODES)}")
    places, passages = set(), set()
    for text in avoid:
        passage = passage_name(text)
        if passage is not None:
            passages.add(PASSAGES[passage])
            continue
        target = network.gazetteer.resolve(text)
        places.update(target.place_ids)
    closed = {PASSAGES[p] for p in CLOSED_BY_DEFAULT} - _passage_tags(allow, "--allow")
    return Constraints(modes=chosen, avoid_places=frozenset(places), avoid_passages=frozenset(passages | closed))


def _resolve(network: Network, text: str | Target) -> Target:
    if isinstance(text, Target):
        return text
    target = network.gazetteer.resolve(text)
    usable = tuple(p for p in target.place_ids if network.routable(p))
    if not usable:
        place = network.places[target.place_ids[0]]
        access = network.access.get(place.id)
        if not place.operational:
            why = "is planned, not operational"
        elif access is not None and access.problem:
            why = f"cannot reach the sea lanes: {access.problem} (see `corridor validate`)"
        else:
            why = "has no connection to the network"
        raise NoRouteError(f"{place.name} ({place.id}) {why}")
    return replace(target, place_ids=usable)


def _diagnose(search: _Search, avoid_texts: Sequence[str], modes_given: bool) -> str:
    """Say which constraint blocks a route, by relaxing each in turn."""
    o, d = search.origin.label, search.destination.label
    relaxed = _with_bans(search, frozenset())
    free = replace(relaxed, constraints=Constraints(), vias=())
    if _best_edges(free) is None:
        return f"no route from {o} to {d}: they are not connected in the network"
    culprits = []
    c = search.constraints
    if modes_given and c.modes != frozenset(MODES):
        trial = replace(relaxed, constraints=replace(c, modes=frozenset(MODES)))
        if _best_edges(trial) is not None:
            culprits.append(f"--modes {','.join(sorted(c.modes))}")
    for text in avoid_texts:
        passage = passage_name(text)
        if passage is not None:
            trial = replace(relaxed, constraints=replace(c, avoid_passages=c.avoid_passages - {PASSAGES[passage]}))
        else:
            ids = set(search.network.gazetteer.resolve(text).place_ids)
            trial = replace(relaxed, constraints=replace(c, avoid_places=c.avoid_places - ids))
        if _best_edges(trial) is not None:
            culprits.append(f"--avoid {text}")
    for via in search.vias:
        trial = replace(relaxed, vias=tuple(v for v in search.vias if v != via))
        if _best_edges(trial) is not None:
            culprits.append(f"--via {via.label}")
    for name, why in CLOSED_BY_DEFAULT.items():
        if PASSAGES[name] in c.avoid_passages:
            trial = replace(relaxed, constraints=replace(c, avoid_passages=c.avoid_passages - {PASSAGES[name]}))
            if _best_edges(trial) is not None:
                culprits.append(f"the {name} being closed ({why}; --allow {name} opens it)")
    if culprits:
        return f"no route from {o} to {d}: blocked by {' or '.join(culprits)}"
    return f"no route from {o} to {d} with these constraints together"


def find_routes(
    network: Network,
    origin: str | Target,
    destination: str | Target,
    *,
    by: str = "cost",
    modes: Iterable[str] | None = None,
    via: Sequence[str | Target] = (),
    avoid: Sequence[str] = (),
    allow: Sequence[str] = (),
    alternatives: int = 0,
    teu: float = 1.0,
) -> list[Route]:
    """Return the best route from origin to destination on one metric, then its alternatives.

    `by` is cost, time, distance or co2. `avoid` takes place names and sea passages
    (malacca, hormuz, suez, ...); `allow` opens passages closed by default (the Arctic
    northwest-passage). Alternatives differ in their sequence of modes and
    transfer places, not just in a lane wiggle. Cost and CO2 are scaled by `teu`.
    Raises NoRouteError naming the constraint that blocks the route.
    """
    if not (teu > 0 and math.isfinite(teu)):
        raise UsageError(f"--teu must be a positive number, not {teu}")
    if alternatives < 0:
        raise UsageError("--alternatives must be 0 or more")
    metric = metric_name(by)
    start, end = _resolve(network, origin), _resolve(network, destination)
    vias = tuple(_resolve(network, v) for v in via)
    constraints = _constraints(network, modes, avoid, allow)
    for target, what in ((start, "origin"), (end, "destination"), *((v, "--via") for v in vias)):
        if set(target.place_ids) <= constraints.avoid_places:
            raise UsageError(f"the {what} {target.label} is also in --avoid")
    if set(start.place_ids) & set(end.place_ids):
        raise UsageError(f"origin and destination are the same place ({start.label})")
    search = _Search(network, metric, start, end, vias, constraints, teu)
    best = _best_edges(search)
    if best is None:
        raise NoRouteError(_diagnose(search, avoid, modes is not None))
    routes = [best]
    if alternatives:
        routes += _alternatives(search, best, alternatives)
    return [_route(search, edges) for edges in routes]


def compare(
    network: Network,
    origin: str | Target,
    destination: str | Target,
    *,
    modes: Iterable[str] | None = None,
    via: Sequence[str | Target] = (),
    avoid: Sequence[str] = (),
    allow: Sequence[str] = (),
    teu: float = 1.0,
) -> dict[str, Route]:
    """Return the best route for each metric (cost, time, distance, co2)."""
    options = {"modes": modes, "via": via, "avoid": avoid, "allow": allow, "teu": teu}
    return {by: find_routes(network, origin, destination, by=by, **options)[0] for by in BY}


@dataclass(frozen=True)
class Reached:
    """A place reachable from an origin, with the totals of its best route."""

    place_id: str
    distance_km: float
    time_h: float
    cost_usd: float
    co2_kg: float


def _tree_totals(search: _Search, source: object) -> dict[str, tuple[float, ...]]:
    """Return the totals (METRICS order, per TEU) of the best route to every reachable place."""
    graph = search.network.graph
    places = {pid for pid in search.network.places if pid in graph}
    dist, pred = _dijkstra(search, {source: 0.0}, places, source, ANYWHERE)
    adjacency = graph._adj  # raw dicts: this loop runs once per node of the graph
    totals: dict[object, tuple[float, float, float, float]] = {source: (0.0, 0.0, 0.0, 0.0)}
    for node in dist:  # in the order settled, so every parent comes first
        if node == source:
            continue
        u, v, key = pred[node]
        data = adjacency[u][v][key]
        d, t, c, e = totals[u]
        totals[node] = (d + data["distance_km"], t + data["time_h"], c + data["cost_usd"], e + data["co2_kg"])
    return {node: values for node, values in totals.items() if isinstance(node, str)}


def _reached(pid: str, values: tuple[float, ...], teu: float) -> Reached:
    distance, time_h, cost, co2 = values
    return Reached(pid, distance, time_h, cost * teu, co2 * teu)


def reach(
    network: Network,
    origin: str | Target,
    *,
    by: str = "cost",
    modes: Iterable[str] | None = None,
    avoid: Sequence[str] = (),
    allow: Sequence[str] = (),
    teu: float = 1.0,
) -> list[Reached]:
    """Return every place reachable from origin with the totals of its best route on `by`.

    Locks are not destinations and are left out, as are the origin's own places.
    """
    metric = metric_name(by)
    start = _resolve(network, origin)
    search = _Search(
        network, metric, start, Target("anywhere", ()), (), _constraints(network, modes, avoid, allow), teu
    )
    totals = _tree_totals(search, network.target_node(start))
    out = [
        _reached(pid, values, teu)
        for pid, values in totals.items()
        if pid not in start.place_ids and network.places[pid].kind != "lock"
    ]
    out.sort(key=lambda r: (getattr(r, metric), r.place_id))
    return out


def matrix(
    network: Network,
    origins: Sequence[str | Target],
    destinations: Sequence[str | Target],
    *,
    by: str = "cost",
    modes: Iterable[str] | None = None,
    avoid: Sequence[str] = (),
    allow: Sequence[str] = (),
    teu: float = 1.0,
) -> list[list[Reached | None]]:
    """Return the totals of the best route from each origin to each destination on `by`.

    Row i, column j holds the best route's totals from origins[i] to destinations[j], or None
    where no route exists (or the two are the same place). One search per origin serves every
    destination; an area destination takes its best member.
    """
    metric = metric_name(by)
    index = METRICS.index(metric)
    constraints = _constraints(network, modes, avoid, allow)
    ends = [_resolve(network, d) for d in destinations]
    rows: list[list[Reached | None]] = []
    for origin in origins:
        start = _resolve(network, origin)
        search = _Search(network, metric, start, Target("anywhere", ()), (), constraints, teu)
        totals = _tree_totals(search, network.target_node(start))
        row: list[Reached | None] = []
        for end in ends:
            found = [(totals[p][index], p) for p in end.place_ids if p in totals and p not in start.place_ids]
            row.append(_reached(min(found)[1], totals[min(found)[1]], teu) if found else None)
        rows.append(row)
    return rows
