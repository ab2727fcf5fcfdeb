"""Trade-offs (corridor.pareto).

What must hold:
- on small random graphs, the label-setting front equals the non-dominated set found by brute
  force over every simple path (the truth comes from enumeration, not from the algorithm);
- with vias, every path found passes the via, and the front equals brute force over such paths;
- Chongqing-Singapore: the front holds a rail-sea and a river-sea route, and no member is
  dominated by another;
- each objective's minimum over the (undeduplicated) front equals the single-objective best route
  the search core finds on that metric;
- the label bound is honoured: a bound too small for the exact front gives an approximate front
  that says so, never a silent one.
"""

from __future__ import annotations

import itertools
import random
from array import array
from types import SimpleNamespace

import pytest

from corridor import routing
from corridor.objectives import masks
from corridor.pareto import FrontTooLarge, _Overflow, dominates, pareto, pareto_paths, unbeaten
from corridor.query import make_query


def _graph(n: int, edges: list[tuple[int, int, tuple[int, int, int]]]):
    edges = sorted(edges, key=lambda e: e[0])
    indptr = [0] * (n + 1)
    for u, _, _ in edges:
        indptr[u + 1] += 1
    for u in range(n):
        indptr[u + 1] += indptr[u]
    graph = SimpleNamespace(
        indptr=array("i", indptr), head=array("i", [v for _, v, _ in edges]), tail=array("i", [u for u, _, _ in edges])
    )
    weights = [array("d", [w[k] for _, _, w in edges]) for k in range(3)]
    return graph, weights, edges


def _simple_paths(n, edges, source, target, must=None):
    out = {}
    adjacency = {}
    for index, (u, v, _) in enumerate(edges):
        adjacency.setdefault(u, []).append((index, v))

    def walk(node, seen, path):
        if node == target:
            if must is None or any(edges[e][1] == must for e in path) or source == must:
                yield list(path)
            return
        for index, v in adjacency.get(node, ()):
            if v not in seen:
                seen.add(v)
                path.append(index)
                yield from walk(v, seen, path)
                path.pop()
                seen.discard(v)

    for path in walk(source, {source}, []):
        vector = tuple(sum(edges[e][2][k] for e in path) for k in range(3))
        out.setdefault(vector, path)
    return out


def _non_dominated(vectors):
    return {v for v in vectors if not any(all(o <= x for o, x in zip(w, v, strict=True)) and w != v for w in vectors)}


@pytest.mark.parametrize("seed", range(40))
def test_front_equals_brute_force_on_random_graphs(seed):
    rng = random.Random(seed)
    n = rng.randint(5, 9)
    edges = []
    for u in range(n):
        for v in range(n):
            if u != v and rng.random() < 0.35:
                edges.append((u, v, (rng.randint(1, 20), rng.randint(1, 20), rng.randint(1, 20))))
    graph, weights, edges = _graph(n, edges)
    truth = _non_dominated(set(_simple_paths(n, edges, 0, n - 1)))
    found, _ = pareto_paths(graph, weights, [0], [n - 1])
    assert {tuple(int(x) for x in vector) for vector, _ in found} == truth
    for vector, path in found:  # each path is real and totals its vector
        assert graph.tail[path[0]] == 0 and graph.head[path[-1]] == n - 1
        assert all(graph.head[a] == graph.tail[b] for a, b in itertools.pairwise(path))
        assert tuple(sum(w[e] for e in path) for w in weights) == vector


@pytest.mark.parametrize("seed", range(15))
def test_front_through_a_via_equals_brute_force(seed):
    rng = random.Random(1000 + seed)
    n = 7
    edges = [
        (u, v, (rng.randint(1, 9), rng.randint(1, 9), rng.randint(1, 9)))
        for u in range(n)
        for v in range(n)
        if u != v and rng.random() < 0.4
    ]
    graph, weights, edges = _graph(n, edges)
    via = 3
    # Brute force: simple paths 0 -> via, then via -> n-1 (the search allows a revisit across stages).
    first = _simple_paths(n, edges, 0, via)
    second = _simple_paths(n, edges, via, n - 1)
    combined = {tuple(a[k] + b[k] for k in range(3)) for a in first for b in second}
    truth = _non_dominated(combined)
    found, _ = pareto_paths(graph, weights, [0], [n - 1], stages=[[via]])
    assert {tuple(int(x) for x in v) for v, _ in found} == truth
    for _, path in found:
        assert via in {graph.head[e] for e in path}


def test_the_label_bound_raises_rather_than_cut_silently():
    rng = random.Random(7)
    n = 9
    edges = [
        (u, v, (rng.randint(1, 30), rng.randint(1, 30), rng.randint(1, 30)))
        for u in range(n)
        for v in range(n)
        if u != v
    ]
    graph, weights, _ = _graph(n, edges)
    with pytest.raises(_Overflow):
        pareto_paths(graph, weights, [0], [n - 1], max_per_node=1)


def test_chongqing_singapore_front_holds_rail_sea_and_river_sea(network):
    front = pareto(network, "Chongqing", "Singapore")
    modes = {route.modes for route in front.routes}
    assert ("rail", "sea") in modes
    assert ("river", "sea") in modes
    for a in front.routes:
        for b in front.routes:
            assert not dominates(a, b), (a, b)
    assert front.exact
    costs = [r.cost_usd for r in front.routes]
    assert costs == sorted(costs)
    # One route a corridor, but for the fastest, the lowest-CO2 and the best by generalised cost,
    # which stay whatever their corridor.
    from corridor.objectives import Prices

    prices = Prices.from_parameters(network.parameters)
    extremes = {min(front.routes, key=key) for key in (lambda r: r.time_h, lambda r: r.co2_kg, prices.route)}
    rest = [r for r in front.routes if r not in extremes]
    assert len({routing.signature(network, r) for r in rest}) == len(rest)


@pytest.mark.parametrize(
    ("origin", "destination"),
    [("Qinzhou", "Chongqing"), ("Hanoi", "Kaohsiung"), ("Zhanjiang", "Ho Chi Minh City"), ("Duisburg", "Basrah")],
)
def test_the_fronts_least_time_cost_and_co2_are_the_best_routes(network, origin, destination):
    # Each of these fronts once showed, for one objective, a route worse than `route --by` finds,
    # because a faster or cleaner route of the same corridor gave way to its cheaper twin
    # (Qinzhou to Chongqing: rail to Tuanjiecun, 50.0 h, hid behind rail to Xiaonanya, 55.3 h).
    _assert_the_extremes_are_the_best_routes(network, pareto(network, origin, destination), origin, destination)


def _assert_the_extremes_are_the_best_routes(network, front, origin, destination):
    for name, by in (("cost_usd", "cost"), ("time_h", "time"), ("co2_kg", "co2")):
        best = routing.find_routes(network, origin, destination, by=by)[0]
        assert min(getattr(r, name) for r in front.routes) == pytest.approx(getattr(best, name), rel=1e-9), by


def test_the_route_by_generalised_cost_is_on_the_front(network):
    from corridor import objectives

    # Zhanjiang to Umm Qasr: the best by generalised cost (a sailing 39 h faster for $38 more) hid
    # behind its corridor's cheapest route.
    prices = objectives.Prices.from_parameters(network.parameters)
    best = objectives.find_routes(network, "Zhanjiang", "Umm Qasr", prices=prices)[0]
    front = pareto(network, "Zhanjiang", "Umm Qasr")
    assert min(prices.route(r) for r in front.routes) == pytest.approx(prices.route(best), rel=1e-9)


def test_front_minima_equal_the_single_metric_best_routes(network):
    plan = make_query("Chongqing", "Singapore").plan(network)
    core = network.core
    edge_ok, node_ok = masks(plan)
    names = ("cost_usd", "time_h", "co2_kg")
    found, _ = pareto_paths(
        core, [core.weights[m] for m in names], [core.origin(p) for p in plan.start.place_ids],
        [core.destination(p) for p in plan.end.place_ids], edge_ok=edge_ok, node_ok=node_ok,
    )  # fmt: skip
    for k, (name, by) in enumerate(zip(names, ("cost", "time", "co2"), strict=True)):
        best = routing.find_routes(network, "Chongqing", "Singapore", by=by)[0]
        assert min(v[k] for v, _ in found) == pytest.approx(getattr(best, name), rel=1e-9)


def test_a_small_label_bound_gives_an_approximate_front_that_says_so(network):
    front = pareto(network, "Chongqing", "Singapore", max_per_node=16)
    assert not front.exact and front.epsilon > 0
    assert front.routes
    for a in front.routes:
        for b in front.routes:
            assert not dominates(a, b)
    # Its extremes are exact all the same: the best route on each objective and by generalised cost.
    _assert_the_extremes_are_the_best_routes(network, front, "Chongqing", "Singapore")
    from corridor import objectives

    prices = objectives.Prices.from_parameters(network.parameters)
    best = objectives.find_routes(network, "Chongqing", "Singapore", prices=prices)[0]
    assert min(prices.route(r) for r in front.routes) == pytest.approx(prices.route(best), rel=1e-9)
    assert {r.optimized_for for r in front.routes} == {"pareto"}
    with pytest.raises(FrontTooLarge, match="narrow the query"):
        pareto(network, "Chongqing", "Singapore", max_per_node=2)


def test_a_via_that_is_the_origin_leaves_the_front_as_it_is(network):
    front = pareto(network, "Chongqing", "Singapore")
    assert pareto(network, "Chongqing", "Singapore", via="Chongqing").routes == front.routes
    # a via among the origin's terminals is passed by starting there, or by going through it
    cheapest = min(pareto(network, "Chongqing", "Singapore", via="CNCHQ").routes, key=lambda r: r.cost_usd)
    assert cheapest.edges == routing.find_routes(network, "Chongqing", "Singapore", via="CNCHQ")[0].edges


def test_objectives_are_metric_names_or_their_by_names_and_bounds_positive(network):
    from corridor.errors import UsageError

    front = pareto(network, "Chongqing", "Singapore", objectives=("cost_usd", "time_h"))
    assert pareto(network, "Chongqing", "Singapore", objectives=["cost", "time", "time"]).routes == front.routes
    assert front.objectives == ("cost_usd", "time_h")
    for objectives in ("speed", [], ["cost", None], 5):
        with pytest.raises(UsageError, match=r"^objectives") as info:
            pareto(network, "Chongqing", "Singapore", objectives=objectives)
        assert info.value.parameter == "objectives"
    for name, value in (("max_per_node", 0), ("max_per_node", None), ("max_labels", -1)):
        with pytest.raises(UsageError, match=f"^{name} must be a whole number") as info:
            pareto(network, "Chongqing", "Singapore", **{name: value})
        assert info.value.parameter == name


def test_a_path_a_rounding_error_cheaper_but_a_day_slower_leaves_the_front():
    # Two paths over the same sea distance, summed in another order: the slow one's cost is a
    # rounding error lower, which must not keep it beside (or, by corridor, instead of) the fast one.
    fast = ((1825.377347203073, 126.43, 114.94), [1])
    slow = ((1825.3773472030728, 150.43, 114.94), [2])
    cheap = ((1025.04, 280.35, 80.0), [3])
    twin = ((1025.04, 280.35, 80.0), [4])
    assert unbeaten([slow, fast, cheap, twin]) == [fast, cheap, twin]
    # A real difference, however small in money, is a trade-off and stays.
    dearer_by_a_cent = ((1825.387347203073, 100.0, 114.94), [5])
    assert unbeaten([fast, dearer_by_a_cent]) == [fast, dearer_by_a_cent]
