"""The graph contract: named node and edge types, and check_graph reporting every violation at once."""

from __future__ import annotations

import copy
import math
import subprocess
import sys
from array import array

import pytest

from corridor.graph import (
    GRAPH_MODES,
    MODE_CODE,
    ROLE_CODE,
    Arrive,
    Depart,
    Destination,
    GraphError,
    Kind,
    LanePoint,
    Origin,
    Role,
    check_graph,
    require_valid,
)
from corridor.network import load_network
from corridor.query import Query
from corridor.routing import find_routes

from .conftest import make_dataset, place


@pytest.fixture
def net(tiny):
    return load_network(tiny)


def broken(core, **arrays):
    """Return a copy of a compiled graph with some arrays replaced."""
    clone = copy.copy(core)
    clone._edges_by_code = {}
    for name, values in arrays.items():
        setattr(clone, name, values)
    return clone


def with_heads(core, head):
    """Return a copy of a compiled graph whose edges enter `head`, its reverse adjacency rebuilt to match."""
    redges = array("i", sorted(range(core.n_edges), key=head.__getitem__))
    rindptr = array("i", [0]) * (core.n_nodes + 1)
    for v in head:
        rindptr[v + 1] += 1
    for v in range(core.n_nodes):
        rindptr[v + 1] += rindptr[v]
    return broken(core, head=head, redges=redges, rindptr=rindptr)


def first_edge(core, role):
    return core.edges_with_role(role)[0]


def test_named_nodes_are_distinct_types(net):
    assert Origin("CNAAA") != Destination("CNAAA")
    assert Arrive("CNAAA", "sea") != Depart("CNAAA", "sea")
    assert len({Origin("X"), Destination("X"), Arrive("X", "rail"), Depart("X", "rail"), LanePoint(0)}) == 5
    core = net.core
    assert core.node(core.origin("CNAAA")) == Origin("CNAAA")
    assert core.node(core.arrive("CNAAA", "rail")) == Arrive("CNAAA", "rail")


def test_a_place_whose_id_is_area_routes_and_draws(tmp_path, run):
    """Once nodes were tuples told apart by the word "area"; a place with that id crashed GeoJSON."""
    land = [[[0.0, 0.0], [4.0, 0.0], [4.0, 2.0], [0.0, 2.0], [0.0, 0.0]]]
    places = [
        place("area", "Area Port", 0.5, 0.0, ["sea", "rail"]),
        place("CNBBB", "Bravo Port", 3.5, 0.0, ["sea", "rail"]),
    ]
    links = [{"id": "rail-x", "from": "area", "to": "CNBBB", "mode": "rail", "distance_km": 400,
              "distance_source": "estimate"}]  # fmt: skip
    root = make_dataset(tmp_path / "d", places=places, links=links, land=land)
    result = run("route", "area", "Bravo Port", "--format", "geojson", "--data", str(root))
    assert result.code == 0, result.err
    assert result.json()["features"][0]["properties"]["from"] == "area"


@pytest.mark.parametrize("bad", [-1, 10**9, "5", True, 2.0, None])
def test_an_edge_number_out_of_range_or_of_the_wrong_kind_is_a_usage_error(net, bad):
    # Once, edge(-1) quietly gave the last edge and edge(10**9) an IndexError from the arrays.
    from corridor.errors import UsageError

    with pytest.raises(UsageError, match="edge must be a number from 0 to"):
        net.core.edge(bad)
    assert net.core.edge(net.core.n_edges - 1).index == net.core.n_edges - 1


def test_check_graph_passes_on_a_built_network(net):
    assert check_graph(net.core) == []
    require_valid(net.core)


def test_check_graph_reports_every_violation_at_once(net):
    core = net.core
    weights = {m: array("d", w) for m, w in core.weights.items()}
    weights["time_h"][0] = -1.0
    weights["cost_usd"][1] = math.nan
    role = array("B", core.role)
    transfer = first_edge(core, Role.TRANSFER)
    role[transfer] = ROLE_CODE[Role.LINK]  # a "link" that never leaves its place
    mode = array("B", core.mode)
    through = first_edge(core, Role.THROUGH)
    mode[through] = MODE_CODE["road"] if core.mode[through] != MODE_CODE["road"] else MODE_CODE["rail"]
    problems = check_graph(broken(core, weights=weights, role=role, mode=mode))
    text = "\n".join(problems)
    assert len(problems) >= 4
    assert "time_h -1.0" in text and "cost_usd nan" in text
    assert "link edge" in text and "carries another mode" in text
    with pytest.raises(GraphError, match="graph contract"):
        require_valid(broken(core, weights=weights))


def test_check_graph_refuses_arrays_out_of_bounds(net):
    core = net.core
    head = array("i", core.head)
    head[3] = core.n_nodes + 10
    assert any("outside the graph" in p for p in check_graph(broken(core, head=head)))
    assert any("entries" in p for p in check_graph(broken(core, tail=array("i", core.tail[:-1]))))
    indptr = array("i", core.indptr)
    indptr[-1] += 1
    assert check_graph(broken(core, indptr=indptr))


def test_an_edge_into_an_origin_breaks_the_contract(net):
    core = net.core
    head = array("i", core.head)
    lane = first_edge(core, Role.LANE)
    head[lane] = core.origin("CNAAA")
    assert any("reverse adjacency" in p for p in check_graph(broken(core, head=head)))
    # With the reverse adjacency rebuilt to match, the edge itself is refused.
    problems = check_graph(with_heads(core, head))
    assert any("wrong kinds of node" in p for p in problems)


def _corrupt(core, name, index, value):
    values = copy.copy(getattr(core, name)) if name != "distance_km" else array("d", core.weights["distance_km"])
    values[index] = value
    if name == "distance_km":
        return broken(core, weights={**core.weights, "distance_km": values})
    return broken(core, **{name: values})


def _lane_node(core):
    return next(n for n in range(core.n_nodes) if core.node_kind[n] == Kind.LANE)


# One broken code each, and what the check must say of it (the edge or node it names).
BREAKS = {
    "an infinite distance": (lambda c: ("distance_km", first_edge(c, Role.LANE), math.inf), "has distance_km inf"),
    "an infinite spread": (lambda c: ("spread", first_edge(c, Role.LINK), math.inf), "has a spread of inf h"),
    "a lane with a link": (lambda c: ("link", first_edge(c, Role.LANE), 0), "link index that does not fit"),
    "a link to no link": (lambda c: ("link", first_edge(c, Role.LINK), len(c.link_ids)), "link index that does not"),
    "a boarding in a passage": (lambda c: ("passage", first_edge(c, Role.BOARD), 1), "passage that does not fit"),
    "a lane by rail": (lambda c: ("mode", first_edge(c, Role.LANE), MODE_CODE["rail"]), "is not a sea edge"),
    "an unknown role": (lambda c: ("role", first_edge(c, Role.LANE), 200), "has an unknown role code 200"),
    "a lane of another category": (
        lambda c: ("category", first_edge(c, Role.LANE), c.category[first_edge(c, Role.BOARD)]),
        "has the wrong category",
    ),
    "a lane point at a place": (lambda c: ("node_place", _lane_node(c), 0), "has kind 4 and place 0"),
    "a node of no kind": (lambda c: ("node_kind", _lane_node(c), 9), "has kind 9 and place -1"),
    "a lane point below every place": (lambda c: ("node_place", _lane_node(c), -5), "has kind 4 and place -5"),
    "an origin beyond every place": (
        lambda c: ("node_place", c.origin("CNAAA"), len(c.place_ids)),
        "has kind 0 and place",
    ),
    "an arrival without a mode": (lambda c: ("node_mode", c.arrive("CNAAA", "rail"), 250), "has no mode"),
    "a departure at another place": (
        lambda c: ("node_place", c.depart("CNAAA", "rail"), c.place_ids.index("CNBBB")),
        "leaves its place",
    ),
}


@pytest.mark.parametrize("what", sorted(BREAKS))
def test_check_graph_names_each_kind_of_break(net, what):
    """The check judges edges and nodes per distinct case first: none of these may slip past it."""
    make, said = BREAKS[what]
    name, index, value = make(net.core)
    problems = check_graph(_corrupt(net.core, name, index, value))
    named = [p for p in problems if said in p]
    assert named, problems
    if name not in ("node_place", "node_mode", "node_kind"):  # an edge's code: the edge is named
        assert any(f"edge {index} " in p for p in named), named


def test_check_graph_refuses_a_transit_layer_that_breaks_its_contract(network):
    # The bundled network has transit and inbound layers (network.transit_places); the tiny one none.
    core = network.core
    assert core.transit and check_graph(core) == []
    # transit_nodes has a block per place with transit layers (transit_block), a row of modes per
    # layer in it; mode_nodes a row per place.
    width, rows = len(GRAPH_MODES) * 2, len(core.transit_layers)
    owner = {block: place for place, block in enumerate(core.transit_block) if block >= 0}
    assert len(core.transit_nodes) == len(owner) * rows * width and core.transit_layers[0] == "transit"
    assert 0 < len(owner) < len(core.place_ids) / 4  # only the places of territories cargo crosses

    def ordinary(slot):  # the entry of mode_nodes for the same place, mode and side
        block, rest = divmod(slot, width * rows)
        return owner[block] * width + rest % width

    slot = next(i for i, n in enumerate(core.transit_nodes) if n >= 0 and core.mode_nodes[ordinary(i)] >= 0)
    assert slot % 2 == 0  # an arrival, its departure next
    node, same = core.transit_nodes[slot], core.mode_nodes[ordinary(slot)]
    assert core.node(node).layer.startswith("transit") and core.node(same).layer == ""
    assert (core.node(node).place, core.node(node).mode) == (core.node(same).place, core.node(same).mode)
    assert node in core.place_nodes(core.node_place_id(node))
    table = array("i", core.transit_nodes)
    table[slot] = same  # the ordinary node of the same place and mode
    assert any("named by two entries" in p for p in check_graph(broken(core, transit_nodes=table)))
    table[slot] = core.origin(core.node_place_id(node))
    assert any("does not name the" in p for p in check_graph(broken(core, transit_nodes=table)))
    assert any("transit layer" in p for p in check_graph(broken(core, transit_nodes=core.transit_nodes[:-1])))
    blocks = array("i", core.transit_block)
    blocks[blocks.index(0)] = 1  # two places claim one block
    assert any("transit_block" in p for p in check_graph(broken(core, transit_block=blocks)))
    # A route may neither start nor end in transit.
    board = next(e for e in core.edges_with_role(Role.BOARD) if core.head[e] == core.mode_nodes[ordinary(slot) | 1])
    head = array("i", core.head)
    head[board] = core.transit_nodes[slot | 1]
    problems = check_graph(with_heads(core, head))
    assert any("has an edge from an origin" in p for p in problems), problems


def test_edges_have_a_named_view(net):
    (route,) = find_routes(net, "Alpha", "Bravo Port", by="time")
    edges = [net.core.edge(e) for e in route.edges]
    assert edges[0].role == Role.BOARD and edges[-1].role == Role.ALIGHT
    assert any(e.role == Role.LINK and e.link == "rail-a-b" for e in edges)
    assert sum(e.time_h for e in edges) == pytest.approx(route.time_h)


def test_the_networkx_graph_mirrors_the_arrays(net):
    graph = net.graph
    assert graph.number_of_nodes() == net.core.n_nodes
    assert graph.number_of_edges() == net.core.n_edges
    edge = net.core.edge(first_edge(net.core, Role.LINK))
    data = graph[edge.tail][edge.head][edge.index]
    assert data["role"] == "link" and data["time_h"] == edge.time_h


def test_query_errors_name_the_parameter():
    for kwargs, word in (
        ({"teu": 0}, "teu must be a positive number"),
        ({"teu": math.inf}, "teu must be a positive number"),
        ({"by": "speed"}, "by must be one of"),
        ({"modes": ("air",)}, "modes: air is not one of"),
        ({"alternatives": -1}, "alternatives must be a whole number"),
        ({"allow": ("nowhere",)}, "allow 'nowhere' is not a sea passage"),
    ):
        with pytest.raises(ValueError, match=word) as caught:
            Query("A", "B", **kwargs)
        assert caught.value.parameter == word.split()[0].rstrip(":")


def test_the_cli_words_library_errors_as_flags(run, tiny):
    result = run("route", "Alpha", "Bravo Port", "--allow", "nowhere", "--data", str(tiny))
    assert result.code == 2
    assert result.err.strip() == (
        "corridor route: error: --allow 'nowhere' is not a sea passage (malacca, hormuz, suez, panama, "
        "bab-el-mandeb, gibraltar, bosporus, dardanelles, sunda, northwest-passage, bering, magellan, "
        "cape-of-good-hope, shatt-al-arab)"
    )


def test_importing_corridor_is_cheap():
    code = (
        "import sys, corridor\n"
        "heavy = [m for m in ('networkx', 'numpy', 'shapely', 'folium', 'geopandas', 'corridor.routing')"
        " if m in sys.modules]\n"
        "assert not heavy, heavy\n"
        "assert callable(corridor.find_routes) and 'corridor.routing' in sys.modules\n"
        "assert set(corridor.__all__) >= {'load_network', 'find_routes', 'compare', 'reach', 'matrix'}\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
