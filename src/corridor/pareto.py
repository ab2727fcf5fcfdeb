"""Trade-offs: every route not dominated on cost, time and CO2, by exact multi-objective label setting.

`pareto_paths` is Martins' label-setting algorithm on the compiled graph: a label is a vector of
totals (cost, time, CO2) at a node with the edge and label it came from; labels leave a heap in
lexicographic order, and one becomes permanent unless a permanent label at its node, or at a
destination, dominates it (is no worse on every objective; an equal vector counts as
dominating, so each vector is kept once). As every weight is non-negative, the permanent labels
at the destination are then exactly the non-dominated routes' vectors.

Vias are stages: a label permanent at an arrival of via i continues as a label of stage i + 1, and
only final-stage labels at the destination count.

The bound on labels. A front can grow large (on a graph of n nodes, the number of non-dominated
paths is not polynomial in general), so the search keeps at most `MAX_LABELS_PER_NODE`
permanent labels at any node and `MAX_LABELS` labels in all. When either bound is hit, the
search starts again with epsilon-dominance: a label is dropped when another is within a factor
(1 + epsilon) of it on every objective, for epsilon in `EPSILONS` (1%, then 5%). That front is
no longer guaranteed exact, and `Front.exact` says so along with the epsilon used; if even the
last epsilon overflows, `FrontTooLarge` asks for a narrower query (modes, avoid).

Totals are float sums, so two paths of one cost can differ by a rounding error; a path that
another beats on one objective and matches within that noise (a relative 1e-9) on the rest is
dropped. Routes are then deduplicated by corridor (`routing.signature`: the sequence of modes and the
places where they change); of several routes of one corridor the cheapest is kept, and so is
the route best on each other objective and, on a front of all three, the best by generalised
cost at the dataset's prices, so that the front's least time and least CO2 are the ones `route
--by time` and `--by co2` find, and `--by generalized`'s route is on it (Qinzhou to Chongqing:
rail to Xiaonanya is the cheapest, rail to Tuanjiecun five hours faster, one corridor in the
regions' terms). The routes
kept are a subset of a non-dominated set, so none of them dominates another.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeVar

from .engine import INF
from .errors import CorridorError, NoRouteError, UsageError, check_cancelled
from .graph import Kind

if TYPE_CHECKING:
    from .network import Network
    from .objectives import Prices
    from .routing import Route

OBJECTIVES: tuple[str, ...] = ("cost_usd", "time_h", "co2_kg")
MAX_LABELS_PER_NODE = 64
MAX_LABELS = 1_000_000
# A search given up by its caller (a web request past its time limit) stops at its next check.
CHECK_EVERY = 4096
EPSILONS: tuple[float, ...] = (0.0, 0.01, 0.05)
OPTIMIZED_FOR = "pareto"
_T = TypeVar("_T")


class FrontTooLarge(CorridorError):
    """The front outgrew the label bounds even with the largest epsilon."""


class _Overflow(Exception):
    pass


@dataclass(frozen=True)
class Cleared:
    """How a front's labels go on as cargo cleared into the destination's customs territory
    (`routing.onwards`): from its `seeds`, on its domestic `weights` (one array per objective),
    without its `closed` edges (leaving a ship abroad)."""

    seeds: frozenset[int]
    weights: Sequence[Sequence[float]]
    closed: frozenset[int]


@dataclass(frozen=True)
class Front:
    """The non-dominated routes between two places, and how they were found."""

    routes: tuple[Route, ...]
    objectives: tuple[str, ...]
    exact: bool  # False when a label bound forced epsilon-dominance
    epsilon: float
    labels: int  # labels made permanent by the search that gave the front
    paths: int  # non-dominated paths before deduplication by corridor


def _dominated(vector: tuple[float, ...], others: Iterable[tuple[float, ...]], epsilon: float) -> bool:
    if epsilon:
        factor = 1.0 + epsilon
        return any(all(o <= v * factor for o, v in zip(other, vector, strict=True)) for other in others)
    return any(all(o <= v for o, v in zip(other, vector, strict=True)) for other in others)


# Totals within this relative difference are the same figure summed in another order.
_NOISE = 1e-9


def _beats(a: tuple[float, ...], b: tuple[float, ...]) -> bool:
    """Return True when vector a is no worse than b on every objective and better on one by more
    than rounding noise."""
    slack = [_NOISE * max(1.0, abs(y)) for y in b]
    return all(x <= y + d for x, y, d in zip(a, b, slack, strict=True)) and any(
        x < y - d for x, y, d in zip(a, b, slack, strict=True)
    )


def _same(a: tuple[float, ...], b: tuple[float, ...]) -> bool:
    """Return True when two vectors differ by no more than rounding noise on every objective."""
    return all(abs(x - y) <= _NOISE * max(1.0, abs(y)) for x, y in zip(a, b, strict=True))


def unbeaten(paths: list[tuple[tuple[float, ...], _T]]) -> list[tuple[tuple[float, ...], _T]]:
    """Return the (vector, path) pairs that no other pair beats (`_beats`), in their order."""
    return [(v, e) for v, e in paths if not any(_beats(w, v) for w, _ in paths)]


def _prices(network: Network, objectives: Sequence[str]) -> Prices | None:
    """Return the dataset's prices when a front trades off all three metrics, else None (a front
    of fewer has no generalised cost)."""
    from .objectives import Prices

    return Prices.from_parameters(network.parameters) if set(OBJECTIVES) <= set(objectives) else None


def _best_on_each(vectors: Sequence[tuple[float, ...]], objectives: Sequence[str], prices: Prices | None) -> set[int]:
    """Return the positions of the vectors best on each objective and, given prices, by
    generalised cost (the first of a tie)."""
    if not vectors:
        return set()
    best = {min(range(len(vectors)), key=lambda i: vectors[i][j]) for j in range(len(objectives))}
    if prices is not None:
        at = [objectives.index(name) for name in OBJECTIVES]
        best.add(min(range(len(vectors)), key=lambda i: prices.of(*(vectors[i][j] for j in at))))
    return best


def pareto_paths(
    graph,
    weights: Sequence[Sequence[float]],
    sources: Sequence[int],
    targets: Iterable[int],
    *,
    stages: Sequence[Iterable[int]] = (),
    edge_ok: bytes | bytearray | None = None,
    node_ok: bytes | bytearray | None = None,
    epsilon: float = 0.0,
    max_per_node: int = MAX_LABELS_PER_NODE,
    max_labels: int = MAX_LABELS,
    cleared_state: Cleared | None = None,
) -> tuple[list[tuple[tuple[float, ...], list[int]]], int]:
    """Return the non-dominated (vector, edges) paths from any source to any target, and the labels settled.

    `graph` needs `indptr`, `head` and `tail` arrays (a `graph.Graph`); `weights` holds one array
    per objective, one value per edge (an infinite value closes the edge). `stages` are the node
    sets of the vias, passed in order. With `cleared_state`, a label of the last stage at one of its
    `seeds` may also go on as cargo cleared into the destination's customs territory (a state of
    its own, as a via's stage is): on its `weights` and without its `closed` edges
    (`routing.priced_legs` prices such a path the same). Raises _Overflow when a bound is hit.
    """
    indptr, head = graph.indptr, graph.head
    stage_sets = [set(s) for s in stages]
    last = len(stage_sets)
    goal = set(targets)
    k = len(weights)
    columns = [list(w) for w in weights]
    # The cleared state: where a label may enter it, its weights, and the edges it may not take.
    seeds, closed = (cleared_state.seeds, cleared_state.closed) if cleared_state else (frozenset(), frozenset())
    cleared_columns = [list(w) for w in cleared_state.weights] if cleared_state else columns
    # Labels: parallel lists; a label's parent is a label number, its edge -1 for a source or a stage change.
    vectors: list[tuple[float, ...]] = []
    parent: list[int] = []
    via_edge: list[int] = []
    where: list[int] = []  # node * (stages + 1) + stage
    permanent: dict[int, list[tuple[float, ...]]] = {}
    found: list[int] = []
    front: list[tuple[float, ...]] = []
    heap: list[tuple[tuple[float, ...], int]] = []
    zero = (0.0,) * k
    for s in dict.fromkeys(sources):
        if node_ok is not None and not node_ok[s]:
            continue
        vectors.append(zero)
        parent.append(-1)
        via_edge.append(-1)
        where.append(s * (last + 2))
        heap.append((zero, len(vectors) - 1))
    heapq.heapify(heap)
    settled = 0
    width = last + 2  # the stages, then the last stage cleared
    popped = 0
    while heap:
        popped += 1
        if not popped % CHECK_EVERY:
            check_cancelled()
        vector, label = heapq.heappop(heap)
        key = where[label]
        node, stage = divmod(key, width)
        cleared = stage > last
        here = permanent.setdefault(key, [])
        if _dominated(vector, here, epsilon) or (front and _dominated(vector, front, epsilon)):
            continue
        if len(here) >= max_per_node:
            raise _Overflow
        here.append(vector)
        settled += 1
        if stage >= last and node in goal:
            found.append(label)
            front.append(vector)
            continue
        if (stage < last and node in stage_sets[stage]) or (stage == last and node in seeds):
            vectors.append(vector)
            parent.append(label)
            via_edge.append(-1)
            where.append(node * width + stage + 1)
            heapq.heappush(heap, (vector, len(vectors) - 1))
        on = cleared_columns if cleared else columns
        for e in range(indptr[node], indptr[node + 1]):
            if edge_ok is not None and not edge_ok[e]:
                continue
            if cleared and e in closed:
                continue
            v = head[e]
            if node_ok is not None and not node_ok[v]:
                continue
            new = tuple(vector[i] + on[i][e] for i in range(k))
            if new[0] == INF:
                continue
            target_key = v * width + stage
            if _dominated(new, permanent.get(target_key, ()), epsilon) or (front and _dominated(new, front, epsilon)):
                continue
            vectors.append(new)
            parent.append(label)
            via_edge.append(e)
            where.append(target_key)
            if len(vectors) > max_labels:
                raise _Overflow
            heapq.heappush(heap, (new, len(vectors) - 1))
    paths = []
    for label in found:
        edges = []
        walk = label
        while walk >= 0:
            if via_edge[walk] >= 0:
                edges.append(via_edge[walk])
            walk = parent[walk]
        edges.reverse()
        paths.append((vectors[label], edges))
    return paths, settled


def _objectives(objectives: object) -> tuple[str, ...]:
    """Return the metrics a front trades off, by name (cost_usd) or as --by says it (cost), each
    once; UsageError for none, or for a name that is no metric."""
    from .registry import BY, METRICS

    names = (objectives,) if isinstance(objectives, str) else objectives
    if not isinstance(names, Iterable):
        raise UsageError(f"objectives must be metric names, not {objectives!r}", "objectives")
    out: list[str] = []
    for name in names:
        metric = BY.get(name, name) if isinstance(name, str) else None
        if metric not in METRICS:
            raise UsageError(
                f"objectives must be metric names ({', '.join(METRICS)} or {', '.join(BY)}), not {name!r}", "objectives"
            )
        out += [metric] if metric not in out else []
    if not out:
        raise UsageError("objectives: give at least one metric to trade off", "objectives")
    return tuple(out)


def pareto(
    network: Network,
    origin,
    destination,
    *,
    modes: Iterable[str] | None = None,
    via: Sequence = (),
    avoid: Sequence[str] = (),
    allow: Sequence[str] = (),
    teu: float = 1.0,
    objectives: Sequence[str] = OBJECTIVES,
    max_per_node: int = MAX_LABELS_PER_NODE,
    max_labels: int = MAX_LABELS,
) -> Front:
    """Return every route from origin to destination not dominated on cost, time and CO2, one per
    corridor, and the best on each objective and by generalised cost whatever its corridor.

    Routes come cheapest first. Raises NoRouteError when there is none, FrontTooLarge when the
    front outgrows the label bounds even with epsilon-dominance (see the module's docstring).
    """
    from .objectives import masks
    from .query import make_query
    from .routing import Route as RouteType
    from .routing import _entry, find_routes, priced_legs, signature

    objectives = _objectives(objectives)
    for name, value in (("max_per_node", max_per_node), ("max_labels", max_labels)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise UsageError(f"{name} must be a whole number of at least 1, not {value!r}", name)
    query = make_query(origin, destination, modes=modes, via=via, avoid=avoid, allow=allow, teu=teu)
    plan = query.plan(network)
    given, network = network, plan.network  # `Network.domestic` for cargo that stays in one country
    core = network.core
    edge_ok, node_ok = masks(plan)
    sources = [core.origin(pid) for pid in plan.start.place_ids]
    assert plan.end is not None
    targets = [core.destination(pid) for pid in plan.end.place_ids]
    stages = [
        [n for pid in v.place_ids for n in core.place_nodes(pid) if core.node_kind[n] == Kind.ARRIVE] for v in plan.vias
    ]
    # A route that starts at a via has passed it (as `routing.best_edges` has it): the origin
    # places that are every via so far are in each stage, so a label there moves on at no cost.
    starting = set(plan.start.place_ids)
    for stage, target in zip(stages, plan.vias, strict=True):
        starting &= set(target.place_ids)
        stage += [core.origin(pid) for pid in plan.start.place_ids if pid in starting]
    weights = [core.weights[name] for name in objectives]
    cleared = None
    entered = _entry(plan)
    if entered is not None and entered.home is not network:
        home = entered.home.core
        cleared = Cleared(entered.seeds, [home.weights[name] for name in objectives], entered.landing)
    for epsilon in EPSILONS:
        try:
            paths, settled = pareto_paths(
                core, weights, sources, targets, stages=stages, edge_ok=edge_ok, node_ok=node_ok, epsilon=epsilon,
                max_per_node=max_per_node, max_labels=max_labels, cleared_state=cleared,
            )  # fmt: skip
            break
        except _Overflow:
            continue
    else:
        raise FrontTooLarge(
            f"the trade-offs from {plan.start.label} to {plan.end.label} outgrow {max_per_node} labels per node "
            f"even at {EPSILONS[-1]:.0%} tolerance: narrow the query with --modes or --avoid"
        )
    if not paths:
        find_routes(network, query)  # raises NoRouteError naming the constraint that blocks the route
        raise NoRouteError(f"no route from {plan.start.label} to {plan.end.label}")
    # Epsilon pruning may leave dominated vectors, and sums of floats may keep a path whose cost is
    # a rounding error below another's while it is a day slower: drop every path another beats.
    paths = unbeaten(paths)
    paths.sort(key=lambda item: item[0])
    prices = _prices(network, objectives)
    best = _best_on_each([v for v, _ in paths], objectives, prices)
    routes: list[RouteType] = []
    seen = set()
    for i, (_vector, edges) in enumerate(paths):
        legs = priced_legs(plan, edges)
        route = RouteType(legs[0].from_id, legs[-1].to_id, OPTIMIZED_FOR, legs, teu, network=network)
        key = signature(network, route)
        if key in seen and i not in best:
            continue
        seen.add(key)
        routes.append(route)
    if epsilon:
        routes = _with_exact_extremes(given, query, objectives, prices, routes)
    return Front(tuple(routes), tuple(objectives), epsilon == 0.0, epsilon, settled, len(paths))


def _with_exact_extremes(
    network: Network, query, objectives: Sequence[str], prices: Prices | None, routes: list[Route]
) -> list[Route]:
    """Return an approximate front with the best route on each objective (and, given prices, by
    generalised cost) that epsilon-dominance dropped, and without the routes they beat: the
    front's extremes are exact however coarse its middle."""
    from dataclasses import replace

    from . import objectives as generalised
    from .registry import METRICS
    from .routing import Route as RouteType
    from .routing import find_routes

    found = [find_routes(network, replace(query, by=METRICS[name].by))[0] for name in objectives]
    if prices is not None:
        q = query
        found += generalised.find_routes(
            network, q.origin, q.destination, prices=prices, modes=q.modes, via=q.via, avoid=q.avoid, allow=q.allow,
            teu=q.teu,
        )[:1]  # fmt: skip
    pairs = [(tuple(getattr(r, m) for m in objectives), r) for r in routes]
    for route in found:
        vector = tuple(getattr(route, m) for m in objectives)
        if not any(_same(vector, v) for v, _ in pairs):  # a route the front holds, summed in another order
            ends = (route.legs[0].from_id, route.legs[-1].to_id)
            pairs.append((vector, RouteType(*ends, OPTIMIZED_FOR, route.legs, route.teu, network=route.network)))
    return [r for _, r in sorted(unbeaten(pairs), key=lambda pair: pair[0])]


def dominates(a: Route, b: Route, objectives: Sequence[str] = OBJECTIVES) -> bool:
    """Return True when route a is no worse than b on every objective and better on one."""
    values_a = [getattr(a, m) for m in objectives]
    values_b = [getattr(b, m) for m in objectives]
    return all(x <= y for x, y in zip(values_a, values_b, strict=True)) and values_a != values_b


def front_dict(network: Network, origin: str, destination: str, front: Front) -> dict:
    """Return a front as `corridor pareto --format json` prints it."""
    from . import io

    routes = [io.route_dict(network, r) for r in front.routes]
    return {
        "origin": io.place_dict(network.places[front.routes[0].origin]) if front.routes else origin,
        "destination": io.place_dict(network.places[front.routes[0].destination]) if front.routes else destination,
        "objectives": list(front.objectives),
        "exact": front.exact,
        "epsilon": front.epsilon,
        "routes": routes,
    }


def front_text(network: Network, front: Front, *, origin: str, destination: str) -> str:
    """Return a front as a table, cheapest first, with each route's corridor."""
    from ._table import plain_columns as columns
    from ._table import table
    from .io import corridor_name, footer_lines
    from .provenance import not_charged_notes
    from .registry import METRIC_NAMES, METRICS

    rows = [
        [str(i), *(METRICS[m].text(getattr(r, m)) for m in METRIC_NAMES), corridor_name(network, r)]
        for i, r in enumerate(front.routes, 1)
    ]
    head = (
        f"Trade-offs from {origin} to {destination}: {len(front.routes)} route(s) not dominated on "
        f"{', '.join(METRICS[m].noun for m in front.objectives)}"
    )
    if not front.exact:
        head += f" (approximate: labels bounded, {front.epsilon:.0%} tolerance)"
    body = table(columns(["#", "distance", "time", "cost", "CO2", "route"], right=(0, 1, 2, 3, 4), wrap=(5,)), rows)
    # What some routes' totals leave out, so that the trade-off is read with it.
    return "\n".join([head, body, *footer_lines(not_charged_notes(network, front.routes), None)])
