"""Find the best route and genuinely different alternatives on one metric, and reach every place.

Every function here runs on the compiled search core (`engine.search`): a route is a search from
the origin's nodes to the destination's (through each via in turn), alternatives are searches
with places or transfers banned, reach and matrices are searches that settle everything and
total the four metrics along the way.
"""

from __future__ import annotations

import heapq
import itertools
import math
import os
import threading
from array import array
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, NamedTuple

from . import engine
from .engine import (
    INF,
    STOP_ALL,
    STOP_FIRST,
    STOP_NONE,
    STOP_STRETCH,
    Onward,
    Result,
    Rules,
    Scratch,
    calls_at,
    go_on,
    search,
    with_edges,
)
from .errors import CorridorError, NoRouteError, UsageError
from .gazetteer import Target
from .graph import MODE_CODES, ROLE_CODE, Kind, Role
from .network import Entered, Network, link_service
from .query import Plan, Query, check_flag, check_network, make_query, places, query_of, resolve
from .registry import BY, GRAPH_MODES, METRIC_NAMES, MODES, metric
from .results import Matrix, Reach, leg_repr, route_html
from .sealanes import CLOSED_BY_DEFAULT, PASSAGES, passage_name

if TYPE_CHECKING:
    import geopandas as gpd

PASSAGE_NAMES = {tag: name for name, tag in PASSAGES.items()}
# Alternatives: searches allowed beyond the best route's, per alternative asked for.
SEARCHES_PER_ALTERNATIVE = 2
# Alternatives: distinct candidates gathered per alternative asked for, to choose diverse ones from.
POOL_PER_ALTERNATIVE = 2
# Alternatives cost at most this many times the best route on its metric.
STRETCH = 3.0
# What a leg that changes mode or ship does (`Leg.activity`): the last holds a border's crossing too.
CHANGES = ("transfer", "transshipment", "border crossing and transfer")
# Gateways this close to one another are one gateway region for alternatives.
GATEWAY_REGION_KM = 150.0
TRANSFER, THROUGH, ALIGHT = ROLE_CODE[Role.TRANSFER], ROLE_CODE[Role.THROUGH], ROLE_CODE[Role.ALIGHT]
SEA_FAMILY = frozenset(name for name, spec in MODES.items() if spec.family == "sea")


def metric_name(by: str) -> str:
    """Return the edge attribute for a --by choice (cost, time, distance, co2 or the attribute)."""
    return make_query("", by=by).metric.name


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
    edges: tuple[int, ...] = ()
    via: tuple[str, ...] = ()
    links: tuple[str, ...] = ()
    passages: tuple[str, ...] = ()
    from_mode: str = ""  # for a transfer: the modes it joins
    to_mode: str = ""
    activity: str = ""  # one of CHANGES, border crossing, break of gauge, import clearance
    service: str = ""  # for a sea leg: mainline or feeder (the graph's mode)
    spread_sq: float = 0.0  # the sum of its edges' squared 90th-percentile excesses (hours squared)
    # Its cargo has cleared into the destination's customs territory and moves on inside it as
    # the territory's own: no customs on boarding or leaving a ship there (`Network.entered`).
    cleared: bool = False

    @property
    def time_p90_h(self) -> float:
        """A bad-case time of the leg alone (see Route.time_p90_h)."""
        return self.time_h + math.sqrt(self.spread_sq)

    @property
    def graph_mode(self) -> str:
        """The mode of the graph the leg travels on (`feeder` for a feeder leg, else its mode)."""
        return "feeder" if self.service == "feeder" else self.mode

    def __repr__(self) -> str:
        return leg_repr(self)


@dataclass(frozen=True)
class Route:
    """A route as the concrete edges chosen, grouped into legs, with totals per TEU x `teu`."""

    origin: str
    destination: str
    optimized_for: str
    legs: tuple[Leg, ...]
    teu: float = 1.0
    # The network it was found on, for to_geodataframe() and notebooks; not part of its value.
    network: Network | None = field(default=None, repr=False, compare=False)

    def __getstate__(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if k != "network"}  # a pickle carries no network

    def to_geodataframe(self, network: Network | None = None) -> gpd.GeoDataFrame:
        """Return one row per leg: its drawing (a LineString; a Point for a transfer), mode, places
        and the four metrics, in EPSG:4326."""
        from .frames import _need, routes_to_gdf

        return routes_to_gdf(_need(self._drawn_on(network), "Route.to_geodataframe"), self)

    def _drawn_on(self, network: Network | None) -> Network | None:
        """Return the network to draw on: the one given, if it is the one the route was found on
        (or a view of its graph: a domestic or scenario network), else refuse it, since its edge
        numbers would name other edges or none."""
        own = self.network
        if network is None or own is None or network is own:
            return network or own
        if network.fingerprint != own.fingerprint or network.core.n_edges != own.core.n_edges:
            raise UsageError("network is not the one this route was found on: pass that one, or none", "network")
        return network

    def _repr_html_(self) -> str:
        return route_html(self, self.network)

    def found_on(self, leg: Leg, network: Network | None = None) -> Network:
        """Return the network a leg's figures come from: the one the route was found on (else
        `network`), or, for a leg its cargo sails after clearing into the destination's customs
        territory (`Leg.cleared`), that territory's domestic network (`Network.domestic`)."""
        own = self.network or network
        if own is None:
            raise UsageError("this route carries no network (unpickled): pass the one it was found on", "network")
        if not leg.cleared:
            return own
        return own.domestic(own.territory(own.places[self.destination].country))

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
        return {m: getattr(self, m) for m in METRIC_NAMES}

    @property
    def time_p90_h(self) -> float:
        """A bad-case time: the typical time plus the delays' 90th-percentile excesses.

        Each edge's excess (waits, queues, clearance, congestion, transshipment) counts as an
        independent delay, so they combine as the root of the sum of their squares; the result
        is deterministic given the data.
        """
        return self.time_h + math.sqrt(sum(leg.spread_sq for leg in self.legs))

    @property
    def edges(self) -> tuple[int, ...]:
        """The numbers of the edges chosen, in order (see `Network.core.edge`)."""
        return tuple(e for leg in self.legs for e in leg.edges)

    @property
    def modes(self) -> tuple[str, ...]:
        return tuple(leg.mode for leg in self.legs if leg.mode != "transfer")

    @property
    def transfer_places(self) -> tuple[str, ...]:
        """The places where the route changes mode or ship."""
        return tuple(leg.from_id for leg in self.legs if leg.activity in CHANGES)

    def summary(self) -> str:
        """Return 'rail CNCQI-CNQZH, sea CNQZH-IQUQR' style text."""
        return ", ".join(f"{leg.mode} {leg.from_id}-{leg.to_id}" for leg in self.legs if leg.mode != "transfer")

    def __repr__(self) -> str:
        totals = ", ".join(metric(m).text(getattr(self, m)) for m in METRIC_NAMES)
        return f"<Route {self.origin}->{self.destination} by {self.optimized_for}: {self.summary()}; {totals}>"


def signature(network: Network, route: Route) -> tuple[tuple[str, str, str], ...]:
    """What makes two routes genuinely different to a shipper: modes, gateway regions and hubs.

    Each leg counts by its mode and the gateway regions it joins (`Network.region_of`: the
    terminals of a city, or neighbouring ports such as Taicang, Shanghai and Ningbo, are one),
    legs inside a region are ignored, and a change of ship at a hub counts as a step of its own.
    """
    steps = []
    for leg in route.legs:
        if leg.mode != "transfer":
            steps.append((leg.mode, leg.from_id, leg.to_id))
        elif leg.activity == "transshipment":
            steps.append(("hub", leg.from_id, leg.from_id))
    return _signature(network, steps)


def _signature(network: Network, legs: Iterable[tuple[str, str, str]]) -> tuple[tuple[str, str, str], ...]:
    where = network.region_of
    out: list[tuple[str, str, str]] = []
    for mode, start, end in legs:
        if mode != "hub" and where(start) == where(end):
            continue
        if mode == "hub" and (not out or out[-1][2] == where(start)):
            continue  # a feeder within the gateway region (Taicang to Yangshan) is the same corridor
        step = (mode, where(start), where(end))
        if out and out[-1][0] == step[0] and out[-1][2] == step[1]:
            step = (step[0], out[-1][1], step[2])
            out.pop()
        out.append(step)
    return tuple(out)


# --------------------------------------------------------------------------- one search


@dataclass(frozen=True)
class Bans:
    """Modes, arrival nodes and edges a search may not use (for alternatives)."""

    nodes: frozenset[int] = frozenset()
    edges: frozenset[int] = frozenset()
    modes: frozenset[str] = frozenset()

    def __or__(self, other: Bans) -> Bans:
        return Bans(self.nodes | other.nodes, self.edges | other.edges, self.modes | other.modes)


def _masks(plan: Plan, rules: Rules, avoided: frozenset[str], bans: Bans) -> tuple[bytes | bytearray, bytearray | None]:
    core = plan.network.core
    if bans.modes:
        rules = replace(rules, modes=rules.modes - bans.modes)
    edge_ok: bytes | bytearray = plan.network.masks.edge_mask(rules)
    if plan.vias and "sea" in rules.modes:
        edge_ok = calls_at(core, edge_ok, (pid for via in plan.vias for pid in via.place_ids))
    if avoided or bans.nodes:
        # A place closed closes the links that run through it without stopping.
        closed = {*avoided, *(core.node_place_id(n) for n in bans.nodes)} - {None}
        edge_ok = plan.network.closing_passes(edge_ok, closed)  # type: ignore[arg-type]
    edge_ok = with_edges(edge_ok, bans.edges, False)
    node_ok = None
    if avoided or bans.nodes:
        node_ok = bytearray(b"\x01") * core.n_nodes
        for pid in avoided:
            if core.in_graph(pid):
                for node in core.place_nodes(pid):
                    node_ok[node] = 0
        for node in bans.nodes:
            node_ok[node] = 0
    return edge_ok, node_ok


def _arrivals(plan: Plan, target: Target) -> list[int]:
    core = plan.network.core
    return [n for pid in target.place_ids for n in core.place_nodes(pid) if core.node_kind[n] == Kind.ARRIVE]


def best_edges(
    plan: Plan,
    *,
    bans: Bans = Bans(),
    rules: Rules | None = None,
    avoided: frozenset[str] | None = None,
    vias: tuple[Target, ...] | None = None,
) -> list[int] | None:
    """Return the edges of the best route of a plan through every via, or None when there is none.

    Each stage is one multi-source search: from the origin's nodes, then from each arrival at a
    via with its cost so far, so the route may stay on its mode there or change mode. A route
    that starts at a via has passed it: an origin place that is also the via starts the next
    stage too, at no cost, rather than leave and come back to it.
    """
    core = plan.network.core
    assert plan.end is not None
    edge_ok, node_ok = _masks(
        plan, plan.rules if rules is None else rules, plan.avoided if avoided is None else avoided, bans
    )
    weight = core.weights[plan.metric]
    sources = [(core.origin(pid), 0.0) for pid in plan.start.place_ids]
    stages: list[Result] = []
    starting = set(plan.start.place_ids)  # the origin places that are every via so far
    for via in plan.vias if vias is None else vias:
        targets = _arrivals(plan, via)
        result = search(core, weight, sources, targets=targets, stop=STOP_ALL, edge_ok=edge_ok, node_ok=node_ok)
        stages.append(result)
        starting &= set(via.place_ids)
        sources = [(t, result.dist[t]) for t in targets if result.reached(t)]
        sources += [(core.origin(pid), 0.0) for pid in plan.start.place_ids if pid in starting]
        if not sources:
            return None
    ends = [core.destination(pid) for pid in plan.end.place_ids]
    result = search(core, weight, sources, targets=ends, stop=STOP_FIRST, edge_ok=edge_ok, node_ok=node_ok)
    stages.append(result)
    reached = [(result.dist[t], t) for t in ends if result.reached(t)]
    if not reached:
        return None
    best, node = min(reached)
    edges: list[int] = []
    cleared = _search_cleared(plan, result, best, ends, edge_ok, node_ok)
    if cleared is not None:
        node, edges = cleared
    for stage in reversed(stages):
        part = stage.path(node, core.tail)
        edges[:0] = part
        node = core.tail[part[0]] if part else node
    return edges


# The metrics customs weigh on: a search on another (distance, CO2) cannot gain by them.
CLEARED_METRICS = frozenset({"time_h", "cost_usd"})


def _entry(plan: Plan) -> Entered | None:
    """Return how cargo for the plan's destination moves once cleared into its customs territory
    (`Network.entered`), or None where that changes nothing."""
    if plan.end is None:
        return None
    territory = plan.network.country_of(plan.end.place_ids)
    return plan.network.entered(territory) if territory is not None else None


def _search_cleared(
    plan: Plan, first: Result, best: float, ends: Sequence[int], edge_ok: bytes | bytearray,
    node_ok: bytearray | None,
) -> tuple[int, list[int]] | None:  # fmt: skip
    """Search on from where a search from the origin (`first`, exact below `best`, the weight
    of its best route) has its cargo cleared into the destination's customs territory at a
    seaport (`Entered.seeds`), as the territory's own goods on its domestic network: return
    (that node, the edges from it to a destination) when that is better than `best`, else None.

    Without it, cargo that crossed into the territory by land (the Poland border on the way to
    Antwerp, the Vietnam border on the way to Shanghai) and went on by a coastal sailing would
    clear the territory's export and import again at the two seaports. A route that reaches no
    such seaport before `best` costs no second search.
    """
    entered = _entry(plan)
    if entered is None or plan.metric not in CLEARED_METRICS:
        return None
    dist = first.dist
    seeds = [(n, dist[n]) for n in entered.seeds if dist[n] < best]
    if not seeds or entered.home is plan.network:
        return None
    core = entered.home.core
    edge_ok = entered.closing(edge_ok)
    result = search(
        core, core.weights[plan.metric], seeds, targets=ends, stop=STOP_FIRST, edge_ok=edge_ok, node_ok=node_ok
    )
    reached = [(result.dist[t], t) for t in ends if result.reached(t)]
    if not reached:
        return None
    weight, node = min(reached)
    if weight >= best - 1e-9 * max(1.0, best):
        return None
    edges = result.path(node, core.tail)
    return (core.tail[edges[0]] if edges else node), edges


def _cleared_from(network: Network, entered: Entered | None, edges: Sequence[int]) -> int | None:
    """Return the position in a route's edges from which its cargo moves on as goods cleared into
    the destination's customs territory (`Network.entered`): the first edge, after the route
    first reaches one of the territory's seaports by land with nothing after it that lands the
    cargo abroad or leaves the territory by land, that the territory's domestic network charges
    less (its customs); None for a route with no such edge."""
    if entered is None:
        return None
    tail, seeds = network.core.tail, entered.seeds
    for start in (i for i, e in enumerate(edges) if tail[e] in seeds):
        rest = edges[start:]
        if not any(entered.changes_at(e) for e in rest):
            return None  # no ship boarded or left after it: nothing to clear
        if any(entered.lands_abroad(e) for e in rest):
            continue
        own, home = network.core, entered.home.core
        if any(home.weights[METRIC_NAMES[0]][e] == math.inf for e in rest):
            continue  # a land link out of the territory
        pairs = [(own.weights[m], home.weights[m]) for m in METRIC_NAMES] + [(own.spread, home.spread)]
        return next((i for i in range(start, len(edges)) if any(a[edges[i]] != b[edges[i]] for a, b in pairs)), None)
    return None


def _activity(network: Network, edge: int) -> str:
    """Return what happens on an edge that stands as a leg of its own at a place, or ''.

    Changing mode is a transfer (a transshipment between ships); passing a border, a break of
    gauge or changing feeder ships costs time on a `through` edge; clearing customs on arrival
    costs it on `alight`. A lock's queue stays inside its river leg.
    """
    core = network.core
    role = core.role[edge]
    if role == TRANSFER:
        modes = {MODE_CODES[core.node_mode[core.tail[edge]]], MODE_CODES[core.node_mode[core.head[edge]]]}
        if modes <= SEA_FAMILY:
            return "transshipment"
        # A transfer at a border place onto a mode that crosses there holds the crossing's time.
        at = core.node_place_id(core.tail[edge]) or ""
        crossed = network.operations.crossings.get((at, MODE_CODES[core.node_mode[core.head[edge]]]))
        return "border crossing and transfer" if crossed is not None and crossed.crossing_h else "transfer"
    if role not in (THROUGH, ALIGHT) or not (core.weights["time_h"][edge] or core.weights["cost_usd"][edge]):
        return ""
    place_id = core.node_place_id(core.tail[edge])
    assert place_id is not None
    if role == ALIGHT:
        return "import clearance"
    mode = MODE_CODES[core.mode[edge]]
    if mode == "feeder":
        return "transshipment"
    if network.places[place_id].kind == "lock":
        return ""
    found = network.operations.crossings.get((place_id, mode))
    if found is not None and found.gauge_break:
        return "break of gauge" if not found.crossing_h else "border crossing and break of gauge"
    return "border crossing"


def _node_mode(core, node: int) -> str:
    """The mode of an arrival or departure node; '' for an origin or destination."""
    code = core.node_mode[node]
    return MODE_CODES[code] if code < len(MODE_CODES) else ""


def _legs(
    network: Network, edges: Sequence[int], teu: float, home: Network | None = None, cleared_from: int | None = None
) -> tuple[Leg, ...]:
    """Group a route's edges into legs. From position `cleared_from` on, its cargo has cleared
    into the destination's customs territory and its figures are `home`'s (the territory's
    domestic network, `Network.entered`); the legs from there say so (`Leg.cleared`)."""
    core = network.core
    split = len(edges) if home is None or cleared_from is None else cleared_from
    on = [network if i < split else home for i in range(len(edges))]
    tail, head, node_place, place_ids = core.tail, core.head, core.node_place, core.place_ids
    legs: list[Leg] = []
    group: list[int] = []
    start = 0  # the position of the group's first edge

    def flush(activity: str = "") -> None:
        nonlocal start
        if not group:
            return
        first = group[0]
        indices = [node_place[tail[first]]] + [node_place[head[e]] for e in group]
        places: list[str] = []
        for index in indices:
            if index >= 0 and (not places or places[-1] != place_ids[index]):
                places.append(place_ids[index])
        cores = [n.core for n in on[start : start + len(group)]]  # type: ignore[union-attr]
        totals = [sum(c.weights[m][e] for c, e in zip(cores, group, strict=True)) for m in METRIC_NAMES]
        links = tuple(dict.fromkeys(core.link_ids[core.link[e]] for e in group if core.link[e] >= 0))
        passages = tuple(
            dict.fromkeys(
                PASSAGE_NAMES.get(tag, tag)
                for e in group
                if (p := core.passage[e])
                for tag in core.passages[p].split("+")
            )
        )
        graph_mode = MODE_CODES[core.mode[first]]
        standing = bool(activity)
        legs.append(
            Leg(
                from_id=places[0],
                to_id=places[-1],
                mode="transfer" if standing else MODES[graph_mode].family,
                distance_km=totals[0],
                time_h=totals[1],
                cost_usd=totals[2] * teu,
                co2_kg=totals[3] * teu,
                edges=tuple(group),
                via=tuple(places[1:-1]),
                links=links,
                passages=passages,
                from_mode=_node_mode(core, tail[first]) if standing else "",
                to_mode=_node_mode(core, head[first]) if standing else "",
                activity=activity,
                service=_ships(network, graph_mode, links)
                if not standing and MODES[graph_mode].family == "sea"
                else "",
                spread_sq=sum(c.spread[e] * c.spread[e] for c, e in zip(cores, group, strict=True)),
                cleared=start + len(group) > split,
            )
        )
        start += len(group)
        group.clear()

    mode = core.mode
    for i, e in enumerate(edges):
        activity = _activity(on[i], e)  # type: ignore[arg-type]
        if activity or (group and mode[group[-1]] != mode[e]):
            flush()
        group.append(e)
        if activity:
            flush(activity)
    flush()
    return tuple(legs)


def priced_legs(plan: Plan, edges: Sequence[int]) -> tuple[Leg, ...]:
    """Return a route's legs, its cargo cleared into the destination's customs territory where
    it has crossed into it by land and sails on inside it (`_cleared_from`)."""
    entered = _entry(plan)
    split = _cleared_from(plan.network, entered, edges)
    if entered is None or split is None:
        return _legs(plan.network, edges, plan.query.teu)
    return _legs(plan.network, edges, plan.query.teu, entered.home, split)


def _route(plan: Plan, edges: Sequence[int]) -> Route:
    legs = priced_legs(plan, edges)
    return Route(legs[0].from_id, legs[-1].to_id, plan.metric, legs, plan.query.teu, network=plan.network)


def _weight_of(plan: Plan, edges: Sequence[int]) -> float:
    """The weight a route's edges total on the plan's metric, as `_route` prices them."""
    weight = plan.network.core.weights[plan.metric]
    entered = _entry(plan)
    split = _cleared_from(plan.network, entered, edges)
    if entered is None or split is None:
        return sum(weight[e] for e in edges)
    home = entered.home.core.weights[plan.metric]
    return sum(weight[e] for e in edges[:split]) + sum(home[e] for e in edges[split:])


# --------------------------------------------------------------------------- alternatives


def _ban_options(plan: Plan, route: Route) -> list[Bans]:
    """Return what to ban, one at a time, to push the search onto a genuinely different corridor.

    For each transfer of the route: every transfer in its gateway region (the places within
    GATEWAY_REGION_KM, so Beihai and Fangchenggang go with Qinzhou, Shanghai with Taicang); for
    each mode the route uses: that mode (rail-sea after river-sea); and arriving at the
    destination by the mode the route arrives by. Banning regions and modes rather than single
    links skips the near-copies of a corridor that edge bans would enumerate first.
    """
    network, core = plan.network, plan.network.core
    options: list[Bans] = []
    for leg in route.legs:
        if leg.activity in CHANGES:
            region = {*network.places_near(leg.from_id, GATEWAY_REGION_KM), *network.area_members(leg.from_id)}
            edges = frozenset(
                e
                for member in region
                if core.in_graph(member)
                for node in core.place_nodes(member)
                if core.node_kind[node] == Kind.ARRIVE
                for e in core.out_edges(node)
                if core.role[e] == TRANSFER
            )
            options.append(Bans(edges=edges))
    modes = dict.fromkeys(leg.graph_mode for leg in route.legs if leg.mode != "transfer")
    if len(plan.rules.modes) > 1:
        options += [Bans(modes=frozenset({mode})) for mode in modes]
    last = [leg for leg in route.legs if leg.mode != "transfer"][-1]
    arrival = core.arrive(last.to_id, last.graph_mode)
    if arrival >= 0:
        options.append(Bans(nodes=frozenset({arrival})))
    return list(dict.fromkeys(options))


def _alternatives(
    plan: Plan, best: list[int], count: int, candidates: Iterable[tuple[float, list[int]]] | None = None
) -> list[list[int]]:
    """Find up to `count` routes whose signatures differ from the best and from each other.

    Without vias, two searches give every candidate at once: one from the origin and one back
    from the destination, so the best route changing mode at any gateway, or arriving by any
    mode, is the forward path to it, that transfer, and the backward path on ("via-node"
    alternatives). With vias, candidates come from searches that each ban one gateway region,
    mode or arrival of a route found. From the pool of distinct candidates, those changing mode
    at places not yet offered come first (a Vietnamese or Pearl River gateway after the Beibu
    Gulf), then a new sequence of modes (rail-sea after river-sea); the chosen routes are
    returned in order of the metric.
    """
    network = plan.network
    best_route = _route(plan, best)
    seen = {signature(network, best_route)}
    limit = POOL_PER_ALTERNATIVE * count
    if candidates is None:
        candidates = _by_bans(plan, best_route, limit)
    pool: list[tuple[float, list[int], Route]] = []
    for _, edges in candidates:
        route = _route(plan, edges)
        weight = _weight_of(plan, edges)  # as `_route` prices it, for cargo cleared on the way
        key = signature(network, route)
        if key in seen or _doubles_back(network, route) or _lands_between_sailings(route):
            continue
        seen.add(key)
        pool.append((weight, edges, route))
        if len(pool) >= limit:
            break

    def gateways(route: Route) -> frozenset[str]:
        return frozenset(network.places[p].area or p for p in route.transfer_places)

    offered, offered_modes = set(gateways(best_route)), {best_route.modes}
    chosen: list[tuple[float, list[int], Route]] = []
    while pool and len(chosen) < count:
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


def _doubles_back(network: Network, route: Route) -> bool:
    """Whether a route passes through a city or place it has already left (its origin's among them).

    The terminals of one city count as one place, so a shuttle between them at the start or end
    is not a return; a route that trucks out of Chongqing and comes back through it by train is.
    """
    areas: list[str] = []
    for leg in route.legs:
        for pid in (leg.from_id, *leg.via, leg.to_id):
            area = network.places[pid].area or pid
            if not areas or areas[-1] != area:
                areas.append(area)
    return len(set(areas)) < len(areas)


def _ships(network: Network, graph_mode: str, links: Sequence[str]) -> str:
    """Return which ships carry a sea leg: mainline, feeder, or ro-ro where it sails a published
    ro-ro service (`link_service`)."""
    if graph_mode == "sea":
        return "mainline"
    services = (link_service(network.operations, lid) for lid in links)
    return "ro-ro" if any(s is not None and s.vessel_class == "roro" for s in services) else graph_mode


def _lands_between_sailings(route: Route) -> bool:
    """Whether a route takes its cargo off a ship, carries it on by land or river, and puts it on
    a ship again: into Bangkok and by lorry to Laem Chabang, or into Hong Kong and by barge to
    Yantian, on the way west. No shipper is offered that as another way; a best route may
    still be one (a land bridge round a closed strait)."""
    kinds = [leg.mode in SEA_FAMILY for leg in route.legs if leg.mode != "transfer"]
    sailed = landed = False
    for at_sea in kinds:
        if at_sea and landed:
            return True
        sailed = sailed or at_sea
        landed = sailed and not at_sea
    return False


def _two_way(plan: Plan) -> tuple[list[int], Iterator[tuple[float, list[int]]]] | None:
    """Return the best route and, lazily, the best route through each gateway, cheapest first.

    One search from the origin (on past the best route, up to STRETCH times its weight) and one
    back from the destination give the best route changing mode at any transfer, or arriving by
    any mode: the forward path to it, that edge, and the backward path on ("via-node"
    alternatives). A candidate that visits a node twice (a loop) is skipped, as is a second
    transfer at the same gateway (area and modes) as an earlier one. None when there is no route.
    """
    network, core = plan.network, plan.network.core
    assert plan.end is not None
    edge_ok, node_ok = _masks(plan, plan.rules, plan.avoided, Bans())
    weight = core.weights[plan.metric]
    starts = [(core.origin(pid), 0.0) for pid in plan.start.place_ids]
    targets = [core.destination(pid) for pid in plan.end.place_ids]
    ahead = search(
        core, weight, starts, targets=targets, stop=STOP_STRETCH, stretch=STRETCH, edge_ok=edge_ok, node_ok=node_ok
    )
    reached = [(ahead.dist[t], t) for t in targets if ahead.reached(t)]
    if not reached:
        return None
    best_weight, end = min(reached)
    tail, head = core.tail, core.head
    best = ahead.path(end, tail)
    cleared = _search_cleared(plan, ahead, best_weight, targets, edge_ok, node_ok)
    if cleared is not None:
        seed, rest = cleared
        best = ahead.path(seed, tail) + rest
    ends = [(t, 0.0) for t in targets]
    behind = search(core, weight, ends, limit=best_weight * STRETCH, edge_ok=edge_ok, node_ok=node_ok, reverse=True)
    fdist, bdist, bound = ahead.dist, behind.dist, best_weight * STRETCH
    options: list[tuple[float, int, int]] = []  # (weight, edge or node, kind: 0 transfer, 1 arrival)
    for e in core.edges_with_role(Role.TRANSFER):
        if edge_ok[e] and fdist[tail[e]] + weight[e] + bdist[head[e]] <= bound:
            options.append((fdist[tail[e]] + weight[e] + bdist[head[e]], e, 0))
    for pid in plan.end.place_ids:
        for node in core.place_nodes(pid):
            if core.node_kind[node] == Kind.ARRIVE and fdist[node] + bdist[node] <= bound:
                options.append((fdist[node] + bdist[node], node, 1))
    options.sort()

    def candidates() -> Iterator[tuple[float, list[int]]]:
        gateways: set[tuple[str, int, int]] = set()
        for total, item, kind in options:
            if kind == 0:
                place = core.node_place_id(tail[item])
                assert place is not None
                gateway = (network.area_members(place)[0], core.node_mode[tail[item]], core.node_mode[head[item]])
                if gateway in gateways:
                    continue
                gateways.add(gateway)
                edges = [*ahead.path(tail[item], tail), item, *behind.path_back(head[item], head)]
            else:
                edges = [*ahead.path(item, tail), *behind.path_back(item, head)]
            nodes = [tail[e] for e in edges]
            if len(set(nodes)) == len(nodes):
                yield total, edges

    return best, candidates()


def _by_bans(plan: Plan, best: Route, limit: int) -> Iterator[tuple[float, list[int]]]:
    """Yield (weight, edges) of routes found by banning, one at a time, a gateway region, mode or arrival."""
    budget = SEARCHES_PER_ALTERNATIVE * limit
    heap: list[tuple[float, int, Bans, list[int], Route]] = []
    tried: set[Bans] = set()
    counter = itertools.count()
    searches = 0

    def expand(route: Route, bans: Bans) -> None:
        nonlocal searches
        for option in _ban_options(plan, route):
            child = bans | option
            if child in tried or searches >= budget:
                continue
            tried.add(child)
            searches += 1
            found = best_edges(plan, bans=child)
            if found:
                heapq.heappush(heap, (_weight_of(plan, found), next(counter), child, found, _route(plan, found)))

    expand(best, Bans())
    while heap:
        weight, _, bans, edges, route = heapq.heappop(heap)
        yield weight, edges
        expand(route, bans)


# --------------------------------------------------------------------------- diagnosis


def _not_through(plan: Plan, via: Target) -> str:
    """Return why no route passes a via that a route reaches and another leaves, else ""."""
    try:
        legs = [replace(plan.query, destination=via, via=()), replace(plan.query, origin=via, via=())]
        if any(best_edges(q.plan(plan.network)) is None for q in legs):
            return ""
    except CorridorError:
        return ""
    seaport = any("sea" in plan.network.places[pid].modes for pid in via.place_ids)
    ships = " (cargo changes ships only at a transshipment hub)" if seaport else ""
    return f": a route reaches it and another leaves it, but none goes on through it{ships}; route the two legs apart"


def _diagnose(plan: Plan) -> str:
    """Say which constraint blocks a route, by relaxing each in turn."""
    query = plan.query
    o, d = plan.start.label, plan.end.label  # type: ignore[union-attr]
    everything = Rules(frozenset(GRAPH_MODES), frozenset())
    if best_edges(plan, rules=everything, avoided=frozenset(), vias=()) is None:
        scenario = plan.network.scenario_name
        if scenario:
            closes = "with what it closes, they are not connected"
            return f"no route from {o} to {d}: blocked by --scenario {scenario} ({closes})"
        return f"no route from {o} to {d}: they are not connected in the network"
    culprits = []
    rules = plan.rules
    all_modes = replace(rules, modes=frozenset(GRAPH_MODES))
    if query.modes is not None and rules.modes != all_modes.modes and best_edges(plan, rules=all_modes) is not None:
        culprits.append(f"--modes {','.join(query.modes)}")
    for text in query.avoid:
        passage = passage_name(text)
        if passage is not None:
            opened = replace(rules, closed_passages=rules.closed_passages - {PASSAGES[passage]})
            found = best_edges(plan, rules=opened)
        else:
            ids = set(plan.network.gazetteer.resolve(text).place_ids)
            found = best_edges(plan, avoided=plan.avoided - ids)
        if found is not None:
            culprits.append(f"--avoid {text}")
    for via in plan.vias:
        if best_edges(plan, vias=tuple(v for v in plan.vias if v != via)) is not None:
            culprits.append(f"--via {via.label}{_not_through(plan, via)}")
    for name, why in CLOSED_BY_DEFAULT.items():
        if PASSAGES[name] in rules.closed_passages:
            opened = replace(rules, closed_passages=rules.closed_passages - {PASSAGES[name]})
            if best_edges(plan, rules=opened) is not None:
                culprits.append(f"the {name} being closed ({why}; --allow {name} opens it)")
    if culprits:
        return f"no route from {o} to {d}: blocked by {' or '.join(culprits)}"
    return f"no route from {o} to {d} with these constraints together"


# --------------------------------------------------------------------------- the API


def find_routes(
    network: Network,
    origin: str | Target | Query,
    destination: str | Target | None = None,
    *,
    by: str = "cost",
    modes: str | Iterable[str] | None = None,
    via: str | Target | Sequence[str | Target] = (),
    avoid: str | Sequence[str] = (),
    allow: str | Sequence[str] = (),
    alternatives: int = 0,
    teu: float = 1.0,
) -> list[Route]:
    """Return the best route from origin to destination on one metric, then its alternatives.

    `by` is cost, time, distance or co2. `avoid` takes place names and sea passages
    (malacca, hormuz, suez, ...); `allow` opens passages closed by default (the Arctic
    northwest-passage). Alternatives differ in their sequence of modes and transfer places,
    not just in a lane wiggle. Cost and CO2 are scaled by `teu`. A `Query` may be passed
    instead of the keyword arguments (not beside them: UsageError). Raises NoRouteError naming
    the constraint that blocks the route.
    """
    query = query_of(
        origin, destination, by=by, modes=modes, via=via, avoid=avoid, allow=allow, teu=teu, alternatives=alternatives
    )
    plan = query.plan(network)
    if query.alternatives and not plan.vias:
        found = _two_way(plan)
        if found is None:
            raise NoRouteError(_diagnose(plan))
        best, candidates = found
        routes = [best, *_alternatives(plan, best, query.alternatives, candidates)]
    else:
        best_found = best_edges(plan)
        if best_found is None:
            raise NoRouteError(_diagnose(plan))
        routes = [best_found]
        if query.alternatives:
            routes += _alternatives(plan, best_found, query.alternatives)
    return [_route(plan, edges) for edges in routes]


def compare(
    network: Network,
    origin: str | Target | Query,
    destination: str | Target | None = None,
    *,
    modes: Iterable[str] | None = None,
    via: Sequence[str | Target] = (),
    avoid: Sequence[str] = (),
    allow: Sequence[str] = (),
    teu: float = 1.0,
) -> dict[str, Route]:
    """Return the best route for each metric (cost, time, distance, co2). A `Query` may be
    passed instead of the keyword arguments, as to `find_routes`; its own metric is not used."""
    query = query_of(origin, destination, modes=modes, via=via, avoid=avoid, allow=allow, teu=teu)
    return {by: find_routes(network, replace(query, by=by, alternatives=0))[0] for by in BY}


class Reached(NamedTuple):
    """A place reachable from an origin, with the totals of its best route (a light tuple: matrices hold many)."""

    place_id: str
    distance_km: float
    time_h: float
    cost_usd: float
    co2_kg: float


def _tree(plan: Plan, targets: Sequence[int] = (), bans: Bans = Bans(), scratch: Scratch | None = None) -> Result:
    """Search from the plan's origin, settling every target (everything when none are given)."""
    core = plan.network.core
    edge_ok, node_ok = _masks(plan, plan.rules, plan.avoided, bans)
    sources = [(core.origin(pid), 0.0) for pid in plan.start.place_ids]
    return search(
        core, core.weights[plan.metric], sources, targets=targets, stop=STOP_ALL if targets else STOP_NONE,
        edge_ok=edge_ok, node_ok=node_ok, sums=METRIC_NAMES, scratch=scratch,
    )  # fmt: skip


def _home(plan: Plan) -> Plan | None:
    """Return the plan on the origin's domestic network (`Network.domestic`), for the places a
    one-country origin reaches without leaving it; None for an origin across borders, or from
    a country that charges no clearance."""
    country = plan.network.country_of(plan.start.place_ids)
    home = plan.network.domestic(country) if country is not None else plan.network
    return replace(plan, network=home) if home is not plan.network else None


def _inside(network: Network, country: str | None) -> list[int]:
    """Return the destination nodes of the places in a country (none for None)."""
    if country is None:
        return []
    core = network.core
    territories = network.place_territories
    return [n for i, n in enumerate(core.destination_node) if n >= 0 and territories[i] == country]


def _trees(
    plan: Plan, inside: Sequence[int], targets: Sequence[int] = (), bans: Bans = Bans(), scratch: Scratch | None = None
):
    """Search from a plan's origin for places abroad and, for the `inside` nodes (places in the
    origin's own country), as on its domestic network: return (result, home result or None).

    Where the searched metric is one the domestic network leaves as it is (distance and CO2 in
    a country with no land link abroad), the domestic search would settle the same tree: one
    search totals the domestic time and cost beside the others instead of searching twice.
    `scratch` is for the first search's arrays.
    """
    home = _home(plan) if inside else None
    if home is None:
        return _tree(plan, targets, bans, scratch), None
    core, home_core = plan.network.core, home.network.core
    if home_core.weights[plan.metric] is not core.weights[plan.metric]:
        return _tree(plan, targets, bans, scratch), _tree(home, inside, bans)
    extra = {f"home:{m}": home_core.weights[m] for m in METRIC_NAMES if home_core.weights[m] is not core.weights[m]}
    view = replace(core, weights={**core.weights, **extra})
    edge_ok, node_ok = _masks(plan, plan.rules, plan.avoided, bans)
    sources = [(core.origin(pid), 0.0) for pid in plan.start.place_ids]
    result = search(
        view, core.weights[plan.metric], sources, targets=targets, stop=STOP_ALL if targets else STOP_NONE,
        edge_ok=edge_ok, node_ok=node_ok, sums=(*METRIC_NAMES, *extra), scratch=scratch,
    )  # fmt: skip
    assert result.sums is not None
    home_sums = {m: result.sums.pop(f"home:{m}", result.sums[m]) for m in METRIC_NAMES}
    return result, Result(result.dist, result.pred, result.settled, home_sums)


def _by_territory(network: Network, nodes: Iterable[int], but: str | None = None) -> dict[str, list[int]]:
    """Group destination nodes by the customs territory of their place, among the territories
    cargo may enter and sail on in (`Network.entered`), leaving out `but` (the origin's, whose
    places a search reaches on its domestic network)."""
    where = network.entry_territories()
    out: dict[str, list[int]] = {}
    for node in nodes:
        territory = where.get(node)
        if territory is not None and territory != but:
            out.setdefault(territory, []).append(node)
    return out


def onwards(
    network: Network, nodes: Mapping[str, Sequence[int]], weigh: Callable[[Network], array],
    edge_ok: bytes | bytearray,
) -> list[Onward]:  # fmt: skip
    """Return the searches on (`engine.go_on`) that reach destination `nodes` (by territory,
    `_by_territory`) as `route` reaches them: cargo cleared into a territory by land sails on
    inside it without customs (`_search_cleared`), on its domestic network weighed by `weigh`."""
    out = []
    for territory, targets in sorted(nodes.items()):
        entered = network.entered(territory)
        if entered is not None and entered.home is not network:
            closed = entered.closing(edge_ok)
            out.append(Onward(territory, entered.home.core, weigh(entered.home), entered.seeds, tuple(targets), closed))
    return out


def _go_on(
    network: Network, metric: str, first: Result, nodes: Mapping[str, Sequence[int]], edge_ok: bytes | bytearray,
    node_ok: bytearray | None,
) -> Result:  # fmt: skip
    """Return a search's result on a metric with the destination `nodes` reached as `route`
    reaches them (`onwards`)."""
    if metric not in CLEARED_METRICS:
        return first
    ways = onwards(network, nodes, lambda home: home.core.weights[metric], edge_ok)
    return go_on(network.core, first, ways, node_ok, paths=False)


def _cells(result: Result, starts: set[str], teu: float) -> Callable[[Sequence[tuple[str, int]]], Reached | None]:
    """Return what a matrix cell holds for a column of (place, destination node) pairs: the
    totals of the best member reached that is not an origin, or None (a matrix has many)."""
    dist, sums = result.dist, result.sums
    assert sums is not None
    km, hours, usd, co2 = (sums[m] for m in METRIC_NAMES)
    make = tuple.__new__

    def cell(column: Sequence[tuple[str, int]]) -> Reached | None:
        if len(column) == 1:
            pid, node = column[0]
        else:
            reached = [(dist[node], pid, node) for pid, node in column if dist[node] < INF and pid not in starts]
            if not reached:
                return None
            _, pid, node = min(reached)
        if dist[node] < INF and pid not in starts:
            return make(Reached, (pid, km[node], hours[node], usd[node] * teu, co2[node] * teu))
        return None

    return cell


def _reached(result: Result, node: int, place_id: str, teu: float) -> Reached:
    sums = result.sums
    assert sums is not None
    return Reached(
        place_id, sums["distance_km"][node], sums["time_h"][node], sums["cost_usd"][node] * teu,
        sums["co2_kg"][node] * teu,
    )  # fmt: skip


def _served_bans(network: Network) -> Bans:
    """Close the sea but for the published services: no feeders to the nearest hub (the links
    the build makes), and the mainline lanes only to and from the ports an operational mainline
    service of sea/services.csv calls at. The lanes join any two such ports, as if cargo could
    change between two services' ports without a hub; with one such service (MSC Falcon) it
    cannot."""
    core = network.core
    generated = [e for e in core.edges_with_role(Role.LINK) if core.link_ids[core.link[e]].startswith("feeder-")]
    called = network.operations.mainline_service_ports()
    unserved = [
        e
        for e in core.edges_with_role(Role.ACCESS)
        if (core.node_place_id(core.tail[e]) or core.node_place_id(core.head[e])) not in called
    ]
    return Bans(edges=frozenset(generated + unserved))


def reach(
    network: Network,
    origin: str | Target | Query,
    *,
    by: str = "cost",
    modes: Iterable[str] | None = None,
    avoid: Sequence[str] = (),
    allow: Sequence[str] = (),
    teu: float = 1.0,
    served: bool = False,
) -> Reach:
    """Return every place reachable from origin with the totals of its best route on `by`.

    Locks are not destinations and are left out, as are the origin's own places. The result is
    a list of `Reached`, best first, with `.to_dataframe()` and `.to_geodataframe()`. With
    `served`, the sea is crossed only on the published services of sea/services.csv: the places
    the corridor's own services reach, rather than every port a ship could (`_served_bans`).
    A `Query` may be passed instead of the keyword arguments, with no destination, via or
    alternatives (a reach has none).
    """
    query = query_of(origin, by=by, modes=modes, avoid=avoid, allow=allow, teu=teu)
    unused = [name for name in ("destination", "via", "alternatives") if getattr(query, name)]
    if unused:
        raise UsageError(f"{', '.join(unused)}: a reach has none; give a Query without", unused[0])
    plan = query.plan(network, destination=False)
    bans = _served_bans(network) if check_flag(served, "served") else Bans()
    core = network.core
    # Places in the origin's own country are reached as `route` reaches them: without customs.
    country = network.country_of(plan.start.place_ids)
    result, home_result = _trees(plan, _inside(network, country), bans=bans)
    # Places abroad are reached as `route` reaches them: cargo cleared into their territory by
    # land sails on inside it without customs.
    if plan.metric in CLEARED_METRICS:
        edge_ok, node_ok = _masks(plan, plan.rules, plan.avoided, bans)
        ends = _by_territory(network, (n for n in core.destination_node if n >= 0), country)
        result = _go_on(network, plan.metric, result, ends, edge_ok, node_ok)
    out = []
    locks, territories = network.lock_ids, network.place_territories
    for index, pid in enumerate(core.place_ids):
        node = core.destination_node[index]
        found = home_result if home_result is not None and territories[index] == country else result
        if node < 0 or not found.reached(node) or pid in plan.start.place_ids or pid in locks:
            continue
        out.append(_reached(found, node, pid, plan.query.teu))
    out.sort(key=lambda r: (getattr(r, plan.metric), r.place_id))
    return Reach(out, network=network, origin=plan.start.label, by=plan.metric)


def matrix(
    network: Network,
    origins: str | Target | Sequence[str | Target],
    destinations: str | Target | Sequence[str | Target],
    *,
    by: str = "cost",
    modes: Iterable[str] | None = None,
    avoid: Sequence[str] = (),
    allow: Sequence[str] = (),
    teu: float = 1.0,
    progress: Callable[[int, int], None] | None = None,
) -> Matrix:
    """Return the totals of the best route from each origin to each destination on `by`.

    Row i, column j holds the best route's totals from origins[i] to destinations[j], or None
    where no route exists (or the two are the same place: there is no route to take, and the
    table `corridor matrix` prints gives such a pair totals of 0). A place no route can use
    (planned, or cut off from the sea lanes) has an empty row or column, and why in the result's
    `unroutable`; an unknown name is refused. One search per origin serves every
    destination and stops once they are all settled; an area destination takes its best member.
    `progress`, if given, is called with (origins done, origins) after each origin. The result
    is a list of rows with `.to_dataframe()` (long format) and `.to_geodataframe()`.
    """
    from .distributed import check_progress

    check_network(network)
    check_progress(progress)
    base = make_query("", by=by, modes=modes, avoid=avoid, allow=allow, teu=teu)
    origins, destinations = places(origins, "origins"), places(destinations, "destinations")
    found = matrix_places(network, base, origins, destinations)
    ends, plans = found.ends, found.plans
    core = network.core
    columns = [[(pid, core.destination(pid)) for pid in end.place_ids] for end in ends]
    targets = sorted({node for column in columns for _, node in column})
    usable = [plan for plan in plans if plan is not None]
    if not usable:  # every origin is a place no route can use: nothing to search from
        if progress is not None:
            progress(len(plans), len(plans))
        return matrix_of(network, [[None] * len(ends) for _ in plans], found, origins, destinations, base.metric.name)

    # A destination in its origin's own country is reached as `route` reaches it: without customs
    # (an area destination counts when all its places are in that country, as `route` decides).
    column_country = [network.country_of(pid for pid, _ in column) for column in columns]
    inside_of: dict[str | None, list[int]] = {None: []}
    masks = _masks(usable[0], usable[0].rules, usable[0].avoided, Bans())
    # The destinations by territory that cargo cleared in by land may sail on in (`_go_on`).
    abroad_of = _by_territory(network, targets) if base.metric.name in CLEARED_METRICS else None
    local = threading.local()  # each thread's searches reuse one set of arrays

    def row(plan: Plan | None) -> list[Reached | None]:
        if plan is None:  # a place no route can use (`matrix_places`)
            return [None] * len(columns)
        country = network.country_of(plan.start.place_ids)
        if country not in inside_of:  # computed once per country (threads may race: same value)
            inside_of[country] = sorted(
                {n for c, col in zip(column_country, columns, strict=True) if c == country for _, n in col}
            )
        if not hasattr(local, "scratch"):
            local.scratch = Scratch()
        result, home_result = _trees(plan, inside_of[country], targets, scratch=local.scratch)
        # Destinations abroad are reached as `route` reaches them (`_go_on`).
        if abroad_of is not None:
            nodes = {t: found for t, found in abroad_of.items() if t != country}
            result = _go_on(network, base.metric.name, result, nodes, *masks)
        starts = set(plan.start.place_ids)
        abroad = _cells(result, starts, base.teu)
        home = abroad if home_result is None else _cells(home_result, starts, base.teu)
        return [
            (home if here == country else abroad)(column) for column, here in zip(columns, column_country, strict=True)
        ]

    rows: list[list[Reached | None]] = []
    # The compiled core lets other threads run while it searches: one per core on big matrices.
    workers = min(os.cpu_count() or 1, 8) if engine.compiled() and len(plans) >= 16 else 1
    from concurrent.futures import ThreadPoolExecutor  # only for matrices

    with ThreadPoolExecutor(max_workers=workers) as pool:
        for done, cells in enumerate(pool.map(row, plans) if workers > 1 else map(row, plans), 1):
            rows.append(cells)
            if progress is not None:
                progress(done, len(plans))
    return matrix_of(network, rows, found, origins, destinations, base.metric.name)


@dataclass(frozen=True)
class MatrixPlaces:
    """A matrix's origins and destinations resolved (`matrix_places`)."""

    plans: list[Plan | None]  # per origin; None for a place no route can use
    ends: list[Target]  # per destination; no places for one no route can use
    named: list[str | None]  # the place each destination names (None for an area)
    points: list[tuple[float, float]]  # where each origin is
    unroutable: dict[str, str]  # the name of each place no route can use, and why


def matrix_places(network: Network, base: Query, origins: Sequence, destinations: Sequence) -> MatrixPlaces:
    """Resolve a matrix's places. A place the network knows but no route can use (planned, or a
    port that cannot reach the sea lanes) keeps its row or column, empty as a pair no route joins
    is, and says why in `unroutable`: a matrix of the world's ports is not refused for one of
    them. An unknown name is refused, as `route` refuses it."""
    unroutable: dict[str, str] = {}

    def kept(text, exc: NoRouteError) -> Target:
        named = text if isinstance(text, Target) else network.gazetteer.resolve(text)
        unroutable.setdefault(named.label, str(exc))
        return named

    plans: list[Plan | None] = []
    points = []
    for origin in origins:
        try:
            plan = replace(base, origin=origin).plan(network, destination=False)
        except NoRouteError as exc:
            plans.append(None)
            points.append(_centre(network, kept(origin, exc).place_ids))
            continue
        plans.append(plan)
        points.append(_centre(network, plan.start.place_ids))
    ends, named = [], []
    for destination in destinations:
        try:
            end = resolve(network, destination, "destinations")
        except NoRouteError as exc:
            target = kept(destination, exc)
            ends.append(Target(target.label, (), target.area))
            named.append(named_place(target))
            continue
        ends.append(end)
        named.append(named_place(end))
    return MatrixPlaces(plans, ends, named, points, unroutable)


def matrix_of(
    network: Network,
    rows: list[list[Reached | None]],
    found: MatrixPlaces,
    origins: Sequence[str | Target],
    destinations: Sequence[str | Target],
    by: str,
) -> Matrix:
    """Return a matrix's rows as a `Matrix` that knows where its origins are, which place each
    destination names and which places no route can use."""
    return Matrix(rows, network=network, origins=[_name(o) for o in origins], destinations=[_name(d) for d in
                  destinations], by=by, origin_points=found.points, destination_ids=found.named,
                  unroutable=found.unroutable)  # fmt: skip


def named_place(target: Target) -> str | None:
    """Return the one place a resolved destination names, or None for an area of several."""
    return target.place_ids[0] if len(target.place_ids) == 1 and not target.is_area else None


def _name(place: str | Target) -> str:
    return place.label if isinstance(place, Target) else str(place)


def _centre(network: Network, place_ids: Sequence[str]) -> tuple[float, float]:
    """Return where an origin is: its place, or the mean position of an area's places."""
    places = [network.places[pid] for pid in place_ids]
    return sum(p.lon for p in places) / len(places), sum(p.lat for p in places) / len(places)


__all__ = [
    "BY", "Leg", "Query", "Reached", "Route", "compare", "find_routes", "matrix", "metric", "metric_name",
    "reach", "signature",
]  # fmt: skip
