"""Criticality: which link, gateway, border crossing, lock or sea passage matters most to an origin.

Each element is closed in turn and the best routes from the origin to every destination are
found again: one multi-source search per closure serves all destinations. An element's impact
is the total added over the destinations still reached (each destination's increase times its
weight) and the destinations it cuts off.

An element no best route uses cannot matter: closing edges off the baseline search tree leaves
every best route in place. So one baseline search gives the elements worth closing, and the
rest are skipped (`Criticality.skipped` counts them); `prune=False` closes every element.

Elements: every curated link (both directions), every sea passage (all its lanes), and every
place other than the origin where routes pass through or change mode: gateways (ports and
terminals), border crossings and locks. Closing a place closes every edge at it; a destination
that is the closed place itself is not counted as cut off.
"""

from __future__ import annotations

import numbers
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from .distributed import Dask, Progress, Serial, _weight_on, check_progress, check_run
from .engine import INF, STOP_ALL, Onward, go_on, search, with_edges
from .errors import UsageError
from .graph import ROLE_CODE, Role
from .registry import MAX_TEU

PLACE_KINDS = {"border": "border", "lock": "lock"}  # any other kind of place is a gateway
RANKS = ("cutoff", "added")


@dataclass(frozen=True)
class Element:
    """Something that can close: a link, a sea passage or a place."""

    kind: str  # link, passage, gateway, border, lock
    id: str
    name: str
    # The graph's edge and node numbers: hundreds for a passage, and of no use to read in a repr.
    edges: tuple[int, ...] = field(default=(), repr=False)  # closed edges (links, passages)
    nodes: tuple[int, ...] = field(default=(), repr=False)  # closed nodes (places)


@dataclass(frozen=True)
class Impact:
    """What closing one element does to the routes from the origin."""

    element: Element
    added: float  # weighted increase summed over the destinations still reached
    cut_off: int  # destinations reached before and not after
    cut_off_weight: float
    affected: int  # destinations whose best route got worse (cut off included)
    worst: str  # the destination whose best route got worse by the most ("" if none)
    worst_added: float


@dataclass
class Criticality:
    """The elements ranked by impact, with the baseline they are measured against."""

    origin: str
    objective: str  # the metric or generalized_usd
    destinations: list[tuple[str, float]]  # (name as given, weight)
    baseline: list[float]  # per destination: the best value (inf where unreachable)
    impacts: list[Impact]
    evaluated: int
    skipped: int
    rank: str

    def __repr__(self) -> str:
        """One short line (a notebook shows it for the call at the end of a cell): the query, how
        many elements are ranked, and the first three; `impacts` holds them all."""
        head = ", ".join(f"{i.element.kind} {i.element.id}" for i in self.impacts[:3])
        more = ", ..." if len(self.impacts) > 3 else ""
        return (
            f"<Criticality from {self.origin} to {len(self.destinations):,} destinations by {self.objective}: "
            f"{len(self.impacts):,} elements ranked by {self.rank}: [{head}{more}]>"
        )


@dataclass(frozen=True)
class Sweep:
    """What every closure needs: sent to each worker once."""

    graph: Any
    weight: Any
    edge_ok: bytes | bytearray
    node_ok: bytes | bytearray | None
    sources: tuple[tuple[int, float], ...]
    columns: tuple[tuple[int, ...], ...]  # per destination: its destination nodes
    # The searches on for cargo cleared into a destination's territory (`routing.onwards`).
    onwards: tuple[Onward, ...] = ()


def _values(sweep: Sweep, dist) -> list[float]:
    return [min((dist[n] for n in column), default=INF) for column in sweep.columns]


def closure_values(sweep: Sweep, closures: list[tuple[tuple[int, ...], tuple[int, ...]]]) -> list[list[float]]:
    """Return, for each (edges, nodes) closed, the best value to every destination: a task function."""
    targets = sorted({n for column in sweep.columns for n in column})
    out = []
    for edges, nodes in closures:
        edge_ok = with_edges(sweep.edge_ok, edges, False)
        node_ok = sweep.node_ok
        if nodes:
            node_ok = bytearray(node_ok) if node_ok is not None else bytearray(b"\x01") * sweep.graph.n_nodes
            for n in nodes:
                node_ok[n] = 0
        result = search(
            sweep.graph, sweep.weight, sweep.sources, targets=targets, stop=STOP_ALL, edge_ok=edge_ok, node_ok=node_ok
        )
        onward = [replace(way, edge_ok=with_edges(way.edge_ok, edges, False)) for way in sweep.onwards]
        result = go_on(sweep.graph, result, onward, node_ok, paths=False)
        out.append(_values(sweep, result.dist))
    return out


def elements(network, *, skip_places: Sequence[str] = ()) -> list[Element]:
    """Return every element that can close: links, sea passages, and places routes pass through."""
    from .routing import PASSAGE_NAMES
    from .sealanes import CLOSED_BY_DEFAULT, PASSAGES

    core = network.core
    closed_anyway = {PASSAGES[name] for name in CLOSED_BY_DEFAULT}
    out: list[Element] = []
    by_link: dict[int, list[int]] = {}
    by_passage: dict[str, list[int]] = {}
    for e in range(core.n_edges):
        if core.link[e] >= 0 and core.link_ids[core.link[e]] in network.links:
            by_link.setdefault(core.link[e], []).append(e)
        if core.passage[e]:
            for tag in core.passages[core.passage[e]].split("+"):
                by_passage.setdefault(tag, []).append(e)
    for code, edges in sorted(by_link.items()):
        lid = core.link_ids[code]
        link = network.links.get(lid)
        name = f"{link.mode} {_short(network, link.from_id)} - {_short(network, link.to_id)}" if link else lid
        out.append(Element("link", lid, name, edges=tuple(edges)))
    for tag, edges in sorted(by_passage.items()):
        if tag in closed_anyway:
            continue
        out.append(Element("passage", PASSAGE_NAMES.get(tag, tag), PASSAGE_NAMES.get(tag, tag), edges=tuple(edges)))
    through = {ROLE_CODE[Role.THROUGH], ROLE_CODE[Role.TRANSFER]}
    skip = set(skip_places)
    passable = set()
    for e in range(core.n_edges):
        if core.role[e] in through:
            passable.add(core.node_place[core.tail[e]])
    for index in sorted(passable):
        pid = core.place_ids[index]
        if pid in skip or not core.in_graph(pid):
            continue
        place = network.places[pid]
        kind = PLACE_KINDS.get(place.kind, "gateway")
        # Closing a place closes the links that run through it without stopping (`Link.passes`).
        passing = tuple(network.passing.get(pid, ()))
        out.append(Element(kind, pid, _short(network, pid), edges=passing, nodes=tuple(core.place_nodes(pid))))
    return out


def _named(place) -> str:
    """A destination as the caller gave it: its name, or a resolved Target's label."""
    return place if isinstance(place, str) else place.label


def _short(network, pid: str) -> str:
    return network.places[pid].short_name


def _weights(weights: object) -> list[float]:
    """Return destination weights as floats, each a number from 0 to MAX_TEU as the CLI's
    --to-file takes them: a negative or NaN weight would rank the elements by nonsense."""
    if isinstance(weights, (str, bytes)) or not isinstance(weights, Iterable):
        raise UsageError(f"weights must be a list of numbers, one per destination, not {weights!r}", "weights")
    out = list(weights)
    for value in out:
        if isinstance(value, bool) or not isinstance(value, numbers.Real) or not 0 <= float(value) <= MAX_TEU:
            raise UsageError(f"weights: {value!r} is not a number from 0 to {MAX_TEU:,.0f}", "weights")
    return [float(value) for value in out]


def criticality(
    network,
    origin,
    destinations: Sequence,
    *,
    weights: Sequence[float] | None = None,
    by: str = "cost",
    prices=None,
    modes=None,
    avoid: Sequence[str] = (),
    allow: Sequence[str] = (),
    prune: bool = True,
    rank: str = "cutoff",
    run: Serial | Dask | None = None,
    progress: Progress | None = None,
) -> Criticality:
    """Close each element in turn and rank them by what the origin's best routes lose.

    `destinations` are place names (or Targets), `weights` one number per destination (1 each by
    default); a mapping of names to weights gives both. `by` is cost, time, distance, co2 or
    generalized (with `prices`). `rank` "cutoff" ranks by weighted destinations cut off, then by
    added total; "added" the other way round.
    `run` is where the closures are searched (`Serial()` by default, or an entered `Dask`).
    """
    from .objectives import GENERALIZED, masks, objective_name, weight
    from .query import check_flag, make_query, places, resolve
    from .routing import _by_territory, onwards

    if isinstance(destinations, Mapping):  # {"Singapore": 40, "Haiphong": 25}: names and their weights
        if weights is not None:
            raise UsageError("give the weights in the destinations' mapping or as weights, not both", "weights")
        weights = list(destinations.values())
        destinations = list(destinations)
    destinations = places(destinations, "destinations")  # one name is one destination
    if rank not in RANKS:
        raise UsageError(f"rank must be one of {', '.join(RANKS)}, not {rank!r}", "rank")
    prune = check_flag(prune, "prune")
    run = check_run(run)
    check_progress(progress)
    weights = [1.0] * len(destinations) if weights is None else _weights(weights)
    if len(weights) != len(destinations):
        raise UsageError(f"got {len(weights)} weights for {len(destinations)} destinations", "weights")
    if not destinations:
        raise UsageError("give at least one destination", "destinations")
    if not any(weights):
        raise UsageError("every destination has weight 0: give one a weight above 0 to rank by", "weights")
    plan = make_query(origin, modes=modes, avoid=avoid, allow=allow).plan(network, destination=False)
    ends = [resolve(network, d, "destinations") for d in destinations]
    seen: dict[frozenset, int] = {}
    for number, end in enumerate(ends):
        first = seen.setdefault(frozenset(end.place_ids), number)
        if first != number:  # counted twice, it would be cut off twice and its weight added up unseen
            raise UsageError(
                f"destination {end.label} is given twice ({_named(destinations[first])} and "
                f"{_named(destinations[number])}): "
                "give each destination once, with its whole weight",
                "destinations",
            )
    country = network.country_of(p for t in (plan.start, *ends) for p in t.place_ids)
    if country is not None:  # every shipment stays in one country: no customs, as `route` charges it
        network = network.domestic(country)
        plan = replace(plan, network=network)
    core = network.core
    starts = set(plan.start.place_ids)
    for end in ends:
        if set(end.place_ids) <= starts:
            raise UsageError(
                f"destination {end.label} is the origin itself: give places to reach from it", "destinations"
            )
    columns = tuple(tuple(core.destination(pid) for pid in end.place_ids if pid not in starts) for end in ends)
    edge_ok, node_ok = masks(plan)
    targets = sorted({n for column in columns for n in column})
    weighed = weight(network, by, prices)
    ways: list[Onward] = []
    if country is None and objective_name(by) in ("time_h", "cost_usd", GENERALIZED):  # what customs weigh on
        # Destinations abroad are reached as `route` reaches them: cargo cleared into their
        # territory by land sails on inside it without customs.
        nodes = _by_territory(network, targets, network.country_of(plan.start.place_ids))
        ways = onwards(network, nodes, lambda home: _weight_on(home, weighed, by, prices), edge_ok)
    sweep = Sweep(
        core, weighed, edge_ok, node_ok, tuple((core.origin(pid), 0.0) for pid in plan.start.place_ids), columns,
        tuple(ways),
    )  # fmt: skip
    base = search(core, sweep.weight, sweep.sources, targets=targets, stop=STOP_ALL, edge_ok=edge_ok, node_ok=node_ok)
    base = go_on(core, base, sweep.onwards, node_ok)
    baseline = _values(sweep, base.dist)
    if all(value == INF for value in baseline):
        from .errors import NoRouteError

        which = ends[0].label if len(ends) == 1 else f"any of the {len(ends)} destinations"
        raise NoRouteError(
            f"no route from {plan.start.label} to {which} with these constraints: nothing to rank "
            f"(corridor route says what blocks one)"
        )
    used_edges: set[int] = set()
    for column, value in zip(columns, baseline, strict=True):
        if value < INF:
            node = min(column, key=lambda n: base.dist[n])
            used_edges.update(base.path(node, core.tail))
    used_nodes = {core.tail[e] for e in used_edges} | {core.head[e] for e in used_edges}
    candidates = elements(network, skip_places=sorted(starts))
    if prune:
        chosen = [
            el for el in candidates
            if (el.edges and used_edges.intersection(el.edges)) or (el.nodes and used_nodes.intersection(el.nodes))
        ]  # fmt: skip
    else:
        chosen = candidates
    results = run.map(closure_values, sweep, [(el.edges, el.nodes) for el in chosen], progress=progress)
    impacts = []
    names = [end.label for end in ends]
    for element, values in zip(chosen, results, strict=True):
        closed_places = {element.id} if element.nodes else set()
        added = cut_weight = worst_added = 0.0
        cut = affected = 0
        worst = ""
        for i, (before, after) in enumerate(zip(baseline, values, strict=True)):
            if before == INF or set(ends[i].place_ids) <= closed_places:
                continue
            if after == INF:
                cut += 1
                cut_weight += weights[i]
                affected += 1
                continue
            increase = after - before
            if increase > 1e-9:
                affected += 1
                added += increase * weights[i]
                if increase > worst_added:
                    worst, worst_added = names[i], increase
        impacts.append(Impact(element, added, cut, cut_weight, affected, worst, worst_added))
    if rank == "cutoff":
        impacts.sort(key=lambda m: (-m.cut_off_weight, -m.added, m.element.kind, m.element.id))
    else:
        impacts.sort(key=lambda m: (-m.added, -m.cut_off_weight, m.element.kind, m.element.id))
    return Criticality(
        origin=plan.start.label, objective=objective_name(by),
        destinations=[(str(d), float(w)) for d, w in zip(names, weights, strict=True)], baseline=baseline,
        impacts=impacts, evaluated=len(chosen), skipped=len(candidates) - len(chosen), rank=rank,
    )  # fmt: skip


def _unit(objective: str) -> str:
    from .registry import METRICS

    return METRICS[objective].unit if objective in METRICS else "USD"


def impact_rows(result: Criticality, top: int | None = None) -> list[dict]:
    """Return the ranked impacts as flat records (JSON and CSV)."""
    rows = []
    for position, impact in enumerate(result.impacts[:top] if top else result.impacts, 1):
        el = impact.element
        rows.append(
            {
                "rank": position,
                "kind": el.kind,
                "id": el.id,
                "name": el.name,
                f"added_{result.objective}": round(impact.added, 2),
                "cut_off": impact.cut_off,
                "cut_off_weight": impact.cut_off_weight,
                "affected": impact.affected,
                "worst_destination": impact.worst or None,
                f"worst_added_{result.objective}": round(impact.worst_added, 2),
            }
        )
    return rows


def criticality_dict(result: Criticality, top: int | None = None) -> dict:
    return {
        "origin": result.origin,
        "optimized_for": result.objective,
        "rank_by": result.rank,
        "destinations": [
            {"name": name, "weight": w, f"baseline_{result.objective}": (None if b == INF else round(b, 2))}
            for (name, w), b in zip(result.destinations, result.baseline, strict=True)
        ],
        "evaluated": result.evaluated,
        "skipped_unused": result.skipped,
        "elements": impact_rows(result, top),
    }


def criticality_text(result: Criticality, top: int | None = None) -> str:
    from ._table import plain_columns as columns
    from ._table import table
    from .registry import METRICS

    objective = result.objective
    metric = METRICS.get(objective)

    def fmt(value: float) -> str:
        return metric.text(value) if metric else f"${value:,.0f}"

    rows = []
    for row, impact in zip(impact_rows(result, top), result.impacts, strict=False):
        rows.append(
            [
                str(row["rank"]), impact.element.kind, f"{impact.element.name} ({impact.element.id})"
                if impact.element.name != impact.element.id else impact.element.id,
                fmt(impact.added), str(impact.cut_off), str(impact.affected),
                f"{impact.worst} +{fmt(impact.worst_added)}" if impact.worst else "",
            ]
        )  # fmt: skip
    reached = sum(1 for b in result.baseline if b < INF)
    noun = metric.noun if metric else "generalised cost"
    head = (
        f"Criticality from {result.origin} to {len(result.destinations)} destination(s) "
        f"({reached} reached), by {noun}: "
        f"{result.evaluated} element(s) closed in turn, {result.skipped} skipped as no best route uses them"
    )
    weighted = any(w != 1.0 for _, w in result.destinations)
    added = f"added {noun} x weight" if weighted else f"added {noun}"
    body = table(
        columns(["#", "kind", "element", added, "cut off", "affected", "worst hit"], right=(0, 3, 4, 5), wrap=(2, 6)),
        rows,
    )
    return f"{head}\n{body}"
