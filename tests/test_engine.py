"""The search core against networkx on the bundled data, and the compiled core against its Python twin."""

from __future__ import annotations

import itertools
import math
import random

import networkx as nx
import pytest

from corridor import engine
from corridor.errors import NoRouteError
from corridor.graph import Arrive, Depart, Destination, LanePoint, Origin
from corridor.registry import GRAPH_MODES, METRIC_NAMES, MODES, graph_modes
from corridor.routing import find_routes, matrix, reach

# Constraint sets: (modes, avoid). The passages closed by default (the northwest passage) are
# closed in every networkx view too.
CONSTRAINTS = [
    (None, ()),
    (("rail", "sea"), ()),
    (None, ("malacca", "CNQZH")),
]
ALL_MODES = GRAPH_MODES
PASSAGE_TAGS = {"malacca": "malacca", "northwest": "northwest"}


def _view(network, modes, avoid):
    """A networkx view of the bundled graph with a query's constraints, written from their meaning.

    A transfer needs both modes it joins; any other edge its own mode; a lane through a closed
    passage is closed; a mainline ship does not stay aboard through a port (no --via here); an
    avoided place loses every node, and the links that run through it (`Link.passes`).
    """
    graph = network.graph
    allowed = set(graph_modes(modes)) if modes else set(ALL_MODES)
    closed = {"northwest"} | {PASSAGE_TAGS[a] for a in avoid if a in PASSAGE_TAGS}
    avoided = {a for a in avoid if a not in PASSAGE_TAGS}

    def node_ok(node):
        return isinstance(node, LanePoint) or node.place not in avoided

    def edge_ok(u, v, key):
        data = graph[u][v][key]
        if data["role"] == "transfer":
            return u.mode in allowed and v.mode in allowed
        if data["role"] == "through" and data["mode"] == "sea":
            return False
        if data["link"] and set(network.link(data["link"]).passes) & avoided:
            return False
        if data["mode"] not in allowed:
            return False
        return not (data["passage"] and set(data["passage"].split("+")) & closed)

    return nx.subgraph_view(graph, filter_node=node_ok, filter_edge=edge_ok)


SEA = {m for m in GRAPH_MODES if MODES[m].family == "sea"}
CUSTOMS_METRICS = ("time_h", "cost_usd")  # the metrics customs weigh on


def _territory(network, place_id):
    return network.territory(network.places[place_id].country)


def _cleared_graph(network, base, territory):
    """The graph cargo cleared into a territory moves on in, written from its meaning: `base` (a
    query's view of the network, copied) with the territory's domestic weights (no customs at
    its seaports, no land link out of it), on which no ship may be left at a place abroad; and
    the territory's seeds, the land arrivals (not in transit) at its seaports, where cargo that
    crossed into it by land may board a ship."""
    core, home = network.core, network.domestic(territory).core
    graph = base.copy()
    for u, v, e in list(graph.edges(keys=True)):
        lands = isinstance(u, Arrive) and u.mode in SEA and not (isinstance(v, Depart) and v.mode in SEA)
        if lands and _territory(network, u.place) != territory:
            graph.remove_edge(u, v, e)
            continue
        for metric in CUSTOMS_METRICS:
            if home.weights[metric][e] != core.weights[metric][e]:
                graph[u][v][e][metric] = home.weights[metric][e]
    ports = {
        n.place for n in graph if isinstance(n, Depart) and n.mode in SEA and _territory(network, n.place) == territory
    }
    seeds = [
        n
        for n in graph
        if isinstance(n, Arrive) and n.mode not in SEA and n.place in ports and not n.layer.startswith("transit")
    ]
    return graph, seeds


def _cleared_lengths(graph, seeds, lengths, metric):
    """Return networkx's lengths on a cleared graph (`_cleared_graph`) from a start joined to
    each seed by its length from the origin (`lengths`)."""
    start = "start"
    graph.add_node(start)
    for seed in seeds:
        if seed in lengths:
            graph.add_edge(start, seed, **{metric: lengths[seed]})
    try:
        return nx.single_source_dijkstra_path_length(graph, start, weight=metric)
    finally:
        graph.remove_node(start)


@pytest.fixture(scope="module")
def sample(network):
    """25 origins and 20 destinations among routable places: 500 pairs, seeded."""
    rng = random.Random(20261201)
    places = sorted(p for p in network.places if network.routable(p) and network.places[p].kind != "lock")
    curated = [p for p in places if network.places[p].origin == "curated"]
    origins = rng.sample(curated, 12) + rng.sample(places, 13)
    destinations = rng.sample(curated, 8) + rng.sample(places, 12)
    return origins, destinations


@pytest.mark.slow
@pytest.mark.parametrize(("modes", "avoid"), CONSTRAINTS)
def test_routes_and_matrices_equal_networkx_dijkstra(network, sample, modes, avoid):
    # Cargo that stays in one customs territory (a country, or the EU) is routed on its domestic
    # network (no customs at its ports, no land link out of it): networkx searches the graph of
    # whichever network the pair is routed on.
    # Cargo that crosses into its destination's territory by land and boards a ship there sails on
    # as the territory's own: networkx searches on from those seaports on the cleared graph.
    countries = {network.country_of([p]) for p in sample[0]} & {network.country_of([p]) for p in sample[1]}
    graphs = {"": nx.MultiDiGraph(_view(network, modes, avoid))}  # plain copies: searches on a view are slow
    graphs.update({c: nx.MultiDiGraph(_view(network.domestic(c), modes, avoid)) for c in sorted(countries)})
    entered = {network.country_of([p]) for p in sample[1]} - {None}
    cleared = {t: _cleared_graph(network, graphs[""], t) for t in sorted(entered) if network.entered(t)}
    assert cleared, "the sample's destinations lie in no territory cargo may enter and sail on in"
    for metric in METRIC_NAMES:
        _compare(network, graphs, cleared, sample, metric, modes, avoid)


def _compare(network, graphs, cleared, sample, metric, modes, avoid):
    origins, destinations = sample
    back: dict = {}
    by = metric.split("_")[0]
    rows = matrix(network, origins, destinations, by=by, modes=modes, avoid=list(avoid))
    compared = unreachable = 0
    for origin, row in zip(origins, rows, strict=True):
        if origin in avoid:
            continue
        home = network.country_of([origin])
        lengths = {
            c: nx.single_source_dijkstra_path_length(graphs[c], Origin(origin), weight=metric)
            for c in ("", home)
            if c in graphs
        }
        for destination, cell in zip(destinations, row, strict=True):
            if destination in avoid or destination == origin:
                continue
            domestic = network.country_of([destination]) == home
            expected = lengths[home if domestic else ""].get(Destination(destination))
            territory = network.country_of([destination])
            if not domestic and territory in cleared and metric in CUSTOMS_METRICS:
                graph, seeds = cleared[territory]
                if (destination, metric) not in back:  # lengths to it on the cleared graph
                    back[destination, metric] = nx.single_source_dijkstra_path_length(
                        graph.reverse(copy=False), Destination(destination), weight=metric
                    )
                to = back[destination, metric]
                on = min((lengths[""][s] + to[s] for s in seeds if s in lengths[""] and s in to), default=math.inf)
                expected = on if expected is None else min(expected, on)
            if expected == math.inf:  # the domestic graph's links into other countries weigh infinity
                expected = None
            try:
                (route,) = find_routes(network, origin, destination, by=by, modes=modes, avoid=list(avoid))
            except NoRouteError:
                assert expected is None, (origin, destination)
                assert cell is None
                unreachable += 1
                continue
            assert expected is not None, (origin, destination)
            assert getattr(route, metric) == pytest.approx(expected, rel=1e-9, abs=1e-9), (origin, destination)
            assert getattr(cell, metric) == pytest.approx(expected, rel=1e-9, abs=1e-9), (origin, destination)
            compared += 1
    assert compared + unreachable >= 450
    assert compared > 100


def test_reach_equals_networkx_from_an_area(network):
    """An area origin starts from all its terminals at once: networkx's multi-source Dijkstra."""
    members = [p for p, place in network.places.items() if place.area == "Chongqing" and network.routable(p)]
    # Places in China are reached on the domestic network (no customs), the rest on the network.
    abroad = nx.MultiDiGraph(_view(network, None, ()))
    lengths = {
        name: nx.multi_source_dijkstra_path_length(graph, [Origin(p) for p in members], weight="time_h")
        for name, graph in (("abroad", abroad), ("home", _view(network.domestic("CN"), None, ())))
    }
    reached = {r.place_id: r.time_h for r in reach(network, "Chongqing", by="time")}
    expected = {
        node.place: value
        for name, found in lengths.items()
        for node, value in found.items()
        if isinstance(node, Destination)
        and node.place not in members
        and network.places[node.place].kind != "lock"
        and (network.places[node.place].country == "CN") == (name == "home")
    }
    # Places abroad that cargo reaches better by crossing into their territory by land and
    # sailing on inside it (Rotterdam to Antwerp after the train to Europe).
    gained = 0
    for territory in sorted({_territory(network, p) for p in expected} - {"CN"}):
        if network.entered(territory) is None:
            continue
        on = _cleared_lengths(*_cleared_graph(network, abroad, territory), lengths["abroad"], "time_h")
        for node, value in on.items():
            if isinstance(node, Destination) and node.place in expected and value < expected[node.place]:
                expected[node.place] = value
                gained += 1
    assert gained > 0  # the EU's ports among them
    assert reached.keys() == expected.keys()
    for pid, value in expected.items():
        assert reached[pid] == pytest.approx(value, rel=1e-9, abs=1e-9)


def test_route_nodes_follow_the_graph_contract(network):
    (route,) = find_routes(network, "Chongqing", "Umm Qasr", by="time")
    edges = [network.core.edge(e) for e in route.edges]
    assert isinstance(edges[0].tail, Origin) and isinstance(edges[-1].head, Destination)
    for a, b in itertools.pairwise(edges):
        assert a.head == b.tail
    assert {type(e.tail) for e in edges} <= {Origin, Arrive, Depart, LanePoint}


@pytest.mark.skipif(not engine.compiled(), reason="the C core is not built")
def test_the_compiled_core_and_its_python_twin_agree(network, monkeypatch):
    core = network.core
    rng = random.Random(7)
    masks = network.masks
    rules = [
        engine.Rules(frozenset(ALL_MODES), frozenset({"northwest"})),
        engine.Rules(graph_modes({"rail", "sea"}), frozenset({"malacca", "northwest"})),
    ]
    origins = [core.origin_node[i] for i in range(len(core.place_ids)) if core.origin_node[i] >= 0]
    cases = []
    for _ in range(12):
        node_ok = bytearray(b"\x01") * core.n_nodes
        for banned in rng.sample(range(core.n_nodes), 50):
            node_ok[banned] = 0
        sources = [(o, rng.random() * 10) for o in rng.sample(origins, 2)]
        targets = rng.sample(range(core.n_nodes), 3)
        cases.append(
            (rng.choice(METRIC_NAMES), sources, targets, rng.choice([0, 1, 2, 3]), rng.choice(rules), node_ok,
             rng.random() < 0.5)
        )  # fmt: skip
    results = []
    for compiled in (True, False):
        if not compiled:
            monkeypatch.setattr(engine, "_core", None)
        results.append(
            [
                engine.search(
                    core,
                    core.weights[metric],
                    sources,
                    targets=targets,
                    stop=stop,
                    edge_ok=masks.edge_mask(rule),
                    node_ok=node_ok,
                    stretch=1.3,
                    sums=METRIC_NAMES,
                    reverse=reverse,
                )
                for metric, sources, targets, stop, rule, node_ok, reverse in cases
            ]
        )
    for fast, slow in zip(*results, strict=True):
        assert fast.settled == slow.settled
        assert list(fast.dist) == list(slow.dist)
        assert list(fast.pred) == list(slow.pred)
        assert {k: list(v) for k, v in fast.sums.items()} == {k: list(v) for k, v in slow.sums.items()}


def test_settling_every_target_totals_each_along_its_own_path(network):
    # With STOP_ALL the totals are made at the targets after the search, and dead ends that are
    # not targets are left unsettled: each target must still get its distance from a search that
    # settles everything, and totals equal to its path's edges added up one by one.
    core = network.core
    rng = random.Random(11)
    destinations = [n for n in core.destination_node if n >= 0]
    scratch = engine.Scratch()
    for metric in METRIC_NAMES:
        sources = [(core.origin(pid), 0.0) for pid in ("CNCQI", "CNQZH")]
        targets = rng.sample(destinations, 40)
        full = engine.search(core, core.weights[metric], sources)
        some = engine.search(
            core, core.weights[metric], sources, targets=targets, stop=engine.STOP_ALL, sums=METRIC_NAMES,
            scratch=scratch,
        )  # fmt: skip
        assert some.settled < full.settled
        for t in targets:
            assert some.dist[t] == full.dist[t]
            if some.reached(t):
                along = engine.path_totals(core, some.path(t, core.tail))
                for name in METRIC_NAMES:
                    assert some.sums[name][t] == pytest.approx(along[name], rel=1e-12, abs=1e-9), (metric, t, name)


def test_a_reused_scratch_gives_what_fresh_arrays_give(network):
    core = network.core
    rng = random.Random(5)
    origins = [n for n in core.origin_node if n >= 0]
    destinations = [n for n in core.destination_node if n >= 0]
    scratch = engine.Scratch()
    for stop in (engine.STOP_ALL, engine.STOP_NONE, engine.STOP_ALL):
        sources = [(rng.choice(origins), 0.0)]
        targets = rng.sample(destinations, 30) if stop == engine.STOP_ALL else []
        fresh = engine.search(core, core.weights["time_h"], sources, targets=targets, stop=stop, sums=METRIC_NAMES)
        again = engine.search(
            core, core.weights["time_h"], sources, targets=targets, stop=stop, sums=METRIC_NAMES, scratch=scratch
        )
        assert list(again.dist) == list(fresh.dist)
        assert list(again.pred) == list(fresh.pred)
        assert {k: list(v) for k, v in again.sums.items()} == {k: list(v) for k, v in fresh.sums.items()}


def test_the_compiled_core_refuses_arrays_that_do_not_fit(network):
    if not engine.compiled():
        pytest.skip("the C core is not built")
    from array import array

    core = network.core
    short = array("d", [1.0]) * 3
    with pytest.raises(ValueError, match="weight"):
        engine.search(core, short, [(core.origin("CNCQI"), 0.0)])
    bad_head = array("i", core.head)
    bad_head[core.indptr[core.origin("CNCQI")]] = core.n_nodes + 5
    broken = type(core)(**{**core.__dict__, "head": bad_head})
    with pytest.raises(ValueError, match="outside the graph"):
        engine.search(broken, core.weights["time_h"], [(core.origin("CNCQI"), 0.0)])
    # A damaged tail array is caught where totals are made along the targets' paths.
    origin = core.origin("CNCQI")
    bad_tail = array("i", core.tail)
    for e in range(core.indptr[origin], core.indptr[origin + 1]):  # every route from it starts on one
        bad_tail[e] = -7
    broken = type(core)(**{**core.__dict__, "tail": bad_tail})
    target = core.destination("CNQZH")
    for stop in (engine.STOP_ALL, engine.STOP_NONE):
        with pytest.raises(ValueError, match="comes from outside the graph"):
            engine.search(broken, core.weights["time_h"], [(origin, 0.0)], targets=[target], stop=stop, sums=["time_h"])
