"""Routing on a small synthetic network: metrics, filters, alternatives, via, avoid, TEU."""

from __future__ import annotations

import math

import pytest

from corridor.criticality import criticality
from corridor.errors import NoRouteError, PlaceError, UsageError
from corridor.network import load_network
from corridor.pareto import pareto
from corridor.query import Query
from corridor.routing import compare, find_routes, matrix, reach, signature


@pytest.fixture
def net(tiny):
    return load_network(tiny)


def edge_sum(network, route, metric):
    return sum(getattr(network.core.edge(e), metric) for e in route.edges)


def test_totals_are_the_sum_of_the_chosen_edges(net):
    route = find_routes(net, "Alpha", "Bravo Port", by="time")[0]
    for metric in ("distance_km", "time_h", "cost_usd", "co2_kg"):
        assert math.isclose(getattr(route, metric), edge_sum(net, route, metric))
        assert math.isclose(getattr(route, metric), sum(getattr(leg, metric) for leg in route.legs))


def test_each_metric_picks_its_own_mode(net):
    # Rail is published at 20 h over 400 km; the sea way is ~330 km plus waiting for a ship.
    fastest = find_routes(net, "Alpha", "Bravo Port", by="time")[0]
    shortest = find_routes(net, "Alpha", "Bravo Port", by="distance")[0]
    assert fastest.modes == ("rail",)
    assert shortest.modes == ("sea",)
    assert shortest.distance_km < fastest.distance_km
    assert fastest.time_h < shortest.time_h


def test_a_multigraph_route_never_mixes_parallel_edges(net):
    # Both parallel sea lanes join the same nodes; totals must come from one of them, not a
    # per-metric minimum across both.
    route = find_routes(net, "Alpha", "Bravo Port", by="distance", modes=["sea"])[0]
    for e in route.edges:
        edge = net.core.edge(e)
        assert e in net.graph[edge.tail][edge.head]
    assert math.isclose(route.co2_kg, edge_sum(net, route, "co2_kg"))


def test_modes_filter_is_obeyed(net):
    route = find_routes(net, "Alpha", "Bravo Port", by="time", modes=["sea"])[0]
    assert set(route.modes) == {"sea"}
    with pytest.raises(NoRouteError, match="--modes road"):
        find_routes(net, "Alpha", "Bravo Port", modes=["road"])


def test_avoiding_a_passage_takes_the_longer_lane(net):
    direct = find_routes(net, "Alpha", "Bravo Port", by="distance", modes=["sea"])[0]
    around = find_routes(net, "Alpha", "Bravo Port", by="distance", modes=["sea"], avoid=["malacca"])[0]
    assert "malacca" in direct.legs[0].passages
    assert "malacca" not in around.legs[0].passages
    assert around.distance_km > direct.distance_km + 50
    assert around.time_h > direct.time_h


def test_a_blocking_avoid_is_named(net):
    # Charlie's only way out is the rail link to Alpha.
    with pytest.raises(NoRouteError, match="blocked by --avoid Alpha"):
        find_routes(net, "Charlie Terminal", "Bravo Port", avoid=["Alpha"])


def test_the_island_is_unreachable_and_says_so(net):
    with pytest.raises(NoRouteError, match="not connected"):
        find_routes(net, "Alpha", "Island Port")
    assert "IDIII" not in {r.place_id for r in reach(net, "Alpha")}


def test_planned_places_are_not_routable(net):
    with pytest.raises(NoRouteError, match="planned"):
        find_routes(net, "Alpha", "Planned Port")


def test_an_area_starts_from_its_best_terminal(net):
    route = find_routes(net, "Charlie City", "Bravo Port", by="time")[0]
    assert route.origin == "CNCCC"
    assert route.modes == ("rail",)


def test_alternatives_are_genuinely_different(net):
    routes = find_routes(net, "Alpha", "Bravo Port", by="time", alternatives=3)
    signatures = [signature(net, r) for r in routes]
    assert len(routes) >= 2
    assert len(set(signatures)) == len(signatures)
    assert [r.time_h for r in routes] == sorted(r.time_h for r in routes)


def test_via_forces_the_stop_and_charges_the_transfer(net):
    plain = find_routes(net, "Charlie Terminal", "Bravo Port", by="time")[0]
    assert plain.modes == ("rail",)
    via = find_routes(net, "Charlie Terminal", "Bravo Port", by="distance", via=["Alpha"], modes=["rail", "sea"])[0]
    assert "CNAAA" in [leg.from_id for leg in via.legs] or "CNAAA" in via.legs[0].via
    assert via.modes == ("rail", "sea")
    assert "transfer" in [leg.mode for leg in via.legs]


def test_teu_scales_cost_and_co2_only(net):
    one = find_routes(net, "Alpha", "Bravo Port", by="cost")[0]
    ten = find_routes(net, "Alpha", "Bravo Port", by="cost", teu=10)[0]
    assert math.isclose(ten.cost_usd, 10 * one.cost_usd)
    assert math.isclose(ten.co2_kg, 10 * one.co2_kg)
    assert math.isclose(ten.distance_km, one.distance_km)
    assert math.isclose(ten.time_h, one.time_h)


def test_compare_gives_one_route_per_metric(net):
    best = compare(net, "Alpha", "Bravo Port")
    assert set(best) == {"cost", "time", "distance", "co2"}
    assert best["time"].time_h <= min(r.time_h for r in best.values())
    assert best["distance"].distance_km <= min(r.distance_km for r in best.values())


def test_reach_totals_match_a_route_query(net):
    rows = {r.place_id: r for r in reach(net, "Alpha", by="time")}
    route = find_routes(net, "Alpha", "Bravo Port", by="time")[0]
    assert math.isclose(rows["CNBBB"].time_h, route.time_h)
    assert math.isclose(rows["CNBBB"].cost_usd, route.cost_usd)


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"by": "speed"}, UsageError),
        ({"teu": 0}, UsageError),
        ({"teu": float("nan")}, UsageError),
        ({"modes": ["air"]}, UsageError),
        ({"avoid": ["Bravo Port"]}, UsageError),
        ({"avoid": ["Nowhere At All"]}, PlaceError),
        ({"teu": 1e308}, UsageError),  # the CLI's bound: totals stay finite
        ({"avoid": "malacca", "allow": ["malacca"]}, UsageError),
        ({"via": [" "]}, UsageError),
    ],
)
def test_bad_requests_raise_clear_errors(net, kwargs, error):
    with pytest.raises(error):
        find_routes(net, "Alpha", "Bravo Port", **kwargs)


def test_unknown_place_offers_candidates(net):
    with pytest.raises(PlaceError) as info:
        find_routes(net, "Alpah", "Bravo Port")
    assert any("Alpha Port" in c for c in info.value.candidates)


def test_a_query_takes_no_keywords_beside_it(net):
    query = Query("Alpha", "Bravo Port")
    assert find_routes(net, query, avoid=[], modes=None) == find_routes(net, query)  # the defaults, however spelt
    for given in ({"by": "time"}, {"alternatives": 2}, {"avoid": ("malacca",)}, {"destination": "Charlie City"}):
        with pytest.raises(UsageError, match=next(iter(given))) as info:
            find_routes(net, query, **given)
        assert info.value.parameter == next(iter(given))


def test_a_single_name_stands_for_a_list_of_one(net):
    assert find_routes(net, "Alpha", "Bravo Port", avoid="malacca") == find_routes(
        net, "Alpha", "Bravo Port", avoid=["malacca"]
    )
    assert find_routes(net, "Alpha", "Bravo Port", modes="sea")[0].modes == ("sea",)
    assert find_routes(net, "Charlie City", "Bravo Port", via="Alpha")[0].legs
    (row,) = matrix(net, "Alpha", "Bravo Port")
    assert len(row) == 1 and row[0] is not None and row[0].place_id == "CNBBB"
    assert [name for name, _ in criticality(net, "Alpha", "Bravo Port").destinations] == ["Bravo Port"]


@pytest.mark.parametrize("origin", [None, 5, ["Alpha"]])
def test_an_origin_that_is_no_name_is_a_usage_error(net, origin):
    with pytest.raises(UsageError, match="origin must be a place name") as info:
        find_routes(net, origin, "Bravo Port")
    assert info.value.parameter == "origin"


@pytest.mark.parametrize(
    ("call", "parameter"),
    [
        (lambda net: find_routes(net, "Alpha", "Bravo Port", modes=5), "modes"),
        (lambda net: find_routes(net, "Alpha", "Bravo Port", modes=[None]), "modes"),
        (lambda net: find_routes(net, "Alpha", "Bravo Port", avoid=5), "avoid"),
        (lambda net: find_routes(net, "Alpha", "Bravo Port", avoid=[None]), "avoid"),
        (lambda net: find_routes(net, "Alpha", "Bravo Port", allow=[5]), "allow"),
        (lambda net: find_routes(net, "Alpha", "Bravo Port", via=5), "via"),
        (lambda net: find_routes(net, "Alpha", "Bravo Port", via=b"Charlie City"), "via"),
        (lambda net: matrix(net, None, ["Bravo Port"]), "origins"),
        (lambda net: matrix(net, ["Alpha"], 5), "destinations"),
        (lambda net: matrix(net, ["Alpha"], [None]), "destinations"),
        (lambda net: criticality(net, "Alpha", None), "destinations"),
        (lambda net: criticality(net, "Alpha", [5]), "destinations"),
    ],
)
def test_a_filter_or_place_list_of_the_wrong_type_is_a_usage_error_naming_it(net, call, parameter):
    with pytest.raises(UsageError) as info:
        call(net)
    assert info.value.parameter == parameter
    assert str(info.value).startswith(parameter) and "\n" not in str(info.value)


def test_a_via_of_none_is_no_via_as_an_avoid_of_none_is_no_avoid(net):
    assert find_routes(net, "Alpha", "Bravo Port", via=None) == find_routes(net, "Alpha", "Bravo Port")


@pytest.mark.parametrize(
    "call",
    [
        lambda net: find_routes(net, "Alpha", None),
        lambda net: find_routes(net, Query("Alpha")),
        lambda net: compare(net, "Alpha", None),
        lambda net: pareto(net, "Alpha", None),
    ],
)
def test_a_route_without_a_destination_says_so(net, call):
    with pytest.raises(UsageError, match="destination is missing") as info:
        call(net)
    assert info.value.parameter == "destination"
    assert reach(net, "Alpha")  # a reach needs none


@pytest.mark.parametrize("by", [["cost"], {"time": 1}])
def test_a_metric_that_is_no_name_is_a_usage_error(net, by):
    with pytest.raises(UsageError, match="by must be one of") as info:
        find_routes(net, "Alpha", "Bravo Port", by=by)
    assert info.value.parameter == "by"


def test_numpy_numbers_are_numbers_and_come_back_as_plain_floats(net):
    np = pytest.importorskip("numpy")
    plain = find_routes(net, "Alpha", "Bravo Port", teu=3, alternatives=1)
    for teu, alternatives in ((np.int64(3), np.int64(1)), (np.float32(3.0), np.int32(1)), (np.float64(3.0), 1)):
        routes = find_routes(net, "Alpha", "Bravo Port", teu=teu, alternatives=alternatives)
        assert routes == plain
        assert type(routes[0].cost_usd) is float and type(routes[0].teu) is float
    assert matrix(net, ["Alpha"], ["Bravo Port"], teu=np.int64(3))[0][0].cost_usd == plain[0].cost_usd
    with pytest.raises(UsageError, match="teu must be a positive number"):
        find_routes(net, "Alpha", "Bravo Port", teu=np.float64("nan"))
    with pytest.raises(UsageError, match="alternatives must be a whole number"):
        find_routes(net, "Alpha", "Bravo Port", alternatives=np.float64(1.0))


@pytest.mark.parametrize("by", ["cost", "time"])
def test_a_via_that_is_the_origin_is_passed_at_the_start_not_by_a_detour(net, by):
    direct = find_routes(net, "Alpha", "Bravo Port", by=by)
    assert find_routes(net, "Alpha", "Bravo Port", by=by, via="Alpha") == direct
    assert find_routes(net, "Alpha", "Bravo Port", by=by, via=["Alpha", "Alpha"]) == direct
    assert compare(net, "Alpha", "Bravo Port", via="Alpha")[by] == direct[0]


@pytest.mark.parametrize(
    "call",
    [
        lambda net: find_routes(None, "Alpha", "Bravo Port"),
        lambda net: find_routes("Alpha", "Bravo Port", "Charlie City"),  # the network left out
        lambda net: reach(str(net.root), "Alpha"),
        lambda net: matrix(None, [], []),
        lambda net: criticality([net], "Alpha", ["Bravo Port"]),
    ],
)
def test_a_network_that_is_no_network_is_a_usage_error(net, call):
    with pytest.raises(UsageError, match="network must be a Network") as info:
        call(net)
    assert info.value.parameter == "network"


def test_compare_and_reach_take_a_query_as_find_routes_does(net):
    query = Query("Alpha", "Bravo Port", modes=("sea",), teu=2)
    assert compare(net, query) == compare(net, "Alpha", "Bravo Port", modes=("sea",), teu=2)
    assert compare(net, query)["cost"] == find_routes(net, query)[0]
    assert reach(net, Query("Alpha", by="time", teu=2)) == reach(net, "Alpha", by="time", teu=2)
    with pytest.raises(UsageError, match="destination: a reach has none") as info:
        reach(net, query)
    assert info.value.parameter == "destination"
    with pytest.raises(UsageError, match="teu: given beside a Query"):
        compare(net, query, teu=3)


@pytest.mark.parametrize(
    ("call", "parameter"),
    [
        (lambda net: reach(net, "Alpha", served="no"), "served"),
        (lambda net: reach(net, "Alpha", served=None), "served"),
        (lambda net: criticality(net, "Alpha", ["Bravo Port"], prune="false"), "prune"),
    ],
)
def test_a_switch_given_as_text_is_refused_not_taken_as_true(net, call, parameter):
    with pytest.raises(UsageError, match=f"{parameter} must be True or False") as info:
        call(net)
    assert info.value.parameter == parameter


def test_a_numpy_bool_is_a_switch(net):
    np = pytest.importorskip("numpy")
    assert reach(net, "Alpha", served=np.bool_(False)) == reach(net, "Alpha")


def test_a_target_is_checked_as_a_name_is(net):
    from corridor.gazetteer import Target

    planned = next(pid for pid in net.places if not net.routable(pid))
    with pytest.raises(NoRouteError, match="planned, not operational"):
        find_routes(net, Target("x", (planned,)), "Bravo Port")
    found = matrix(net, ["Alpha"], [Target("x", (planned,))])  # a matrix keeps it, with empty totals
    assert found == [[None]] and "planned, not operational" in found.unroutable["x"]
    for place_ids, says in (((), "names no place"), (("NOPE",), "does not have: NOPE")):
        with pytest.raises(PlaceError, match=says):
            reach(net, Target("x", place_ids))
    with_planned = Target("Alpha+", (*net.gazetteer.resolve("Alpha").place_ids, planned))
    assert find_routes(net, with_planned, "Bravo Port") == find_routes(net, "Alpha", "Bravo Port")


def test_a_via_no_route_goes_on_through_says_why(network, run):
    # Jakarta is reached by sea from Bangkok and left by sea for Nanning, but it is no
    # transshipment hub: no ship's cargo changes ships there, so no one route passes it.
    assert find_routes(network, "Bangkok", "Jakarta") and find_routes(network, "Jakarta", "Nanning")
    why = r"none goes on through it \(cargo changes ships only at a transshipment hub\)"
    with pytest.raises(NoRouteError, match=why):
        find_routes(network, "Bangkok", "Nanning", via="Jakarta")
    result = run("route", "Bangkok", "Nanning", "--via", "Jakarta")
    assert result.code == 1 and "Traceback" not in result.err
    assert result.err.count("\n") == 1 and "route the two legs apart" in result.err
    # A via whose legs do not both exist gets no such note.
    with pytest.raises(NoRouteError) as blocked:
        find_routes(network, "Chongqing", "Hanoi", via="Jakarta", modes=["rail"])
    assert "goes on through" not in str(blocked.value)
