"""Drawing geometry of routes: edges and legs along the lanes and traced links, GeoJSON, credits."""

from __future__ import annotations

import itertools

import pytest

from corridor.geometry import edge_coords, leg_coords, leg_credits, link_trace, route_coords
from corridor.io import route_geojson
from corridor.routing import find_routes


def test_an_edge_traversed_backwards_is_drawn_backwards(network):
    (route,) = find_routes(network, "Qinzhou", "CNCQI", by="time", modes=["rail"])
    rail = [leg for leg in route.legs if leg.mode == "rail"]
    coords = leg_coords(network, rail[0])
    start = network.places[rail[0].from_id]
    assert coords[0] == (start.lon, start.lat)
    link_edge = next(e for e in rail[0].edges if network.core.edge(e).role == "link")
    forward = list(link_trace(network, network.core.edge(link_edge).link).coords)
    assert edge_coords(network, link_edge) == forward[::-1]


def test_route_coords_chain_leg_to_leg(network):
    (route,) = find_routes(network, "Chongqing", "Umm Qasr", by="time")
    lines = [line for line in route_coords(network, route) if line]
    for before, after in itertools.pairwise(lines):
        assert before[-1] == after[0]
    sea = [leg for leg in route.legs if leg.mode == "sea"]
    assert len(leg_coords(network, sea[0])) > 20  # along the lanes, not a straight line


def test_leg_credits_name_openstreetmap_for_rail_along_track(network):
    (route,) = find_routes(network, "CNCQI", "Qinzhou", modes=["rail"])
    rail = next(leg for leg in route.legs if leg.mode == "rail")
    assert any("OpenStreetMap" in credit for credit in leg_credits(network, rail))


def test_geojson_legs_follow_real_geometry(network):
    (route,) = find_routes(network, "CNCQI", "Qinzhou", modes=["rail"])
    features = route_geojson(network, [route])["features"]
    rail = [f for f in features if f["properties"]["mode"] == "rail"]
    assert rail and len(rail[0]["geometry"]["coordinates"]) > 50


def test_a_link_without_a_trace_is_drawn_through_its_via_points(network):
    import copy

    bare = copy.copy(network)
    bare.traces = {}
    link = network.links["rail-cq-qinzhou"]
    start, end = network.places[link.from_id], network.places[link.to_id]
    assert link_trace(bare, link.id).coords == ((start.lon, start.lat), *link.via, (end.lon, end.lat))


def test_geojson_lines_are_split_at_the_antimeridian(network):
    """RFC 7946: a line crossing the antimeridian is cut there, every longitude within +-180."""
    (route,) = find_routes(network, "Shanghai", "Los Angeles", by="distance", modes=["sea"])
    features = route_geojson(network, [route])["features"]
    sea = [f for f in features if f["properties"]["mode"] == "sea"]
    assert sea and sea[0]["geometry"]["type"] == "MultiLineString"
    parts = sea[0]["geometry"]["coordinates"]
    assert len(parts) >= 2
    for part in parts:
        assert all(-180 <= lon <= 180 and -90 <= lat <= 90 for lon, lat in part)
        assert all(abs(a[0] - b[0]) < 180 for a, b in itertools.pairwise(part))
    ends = {round(part[i][0]) for part in parts for i in (0, -1)}
    assert {180, -180} <= ends


@pytest.mark.parametrize(
    "coords",
    [
        [(-180.0, -16.8), (179.5, -16.9), (179.0, -17.0)],  # a port on the antimeridian, sailing west
        [(180.0, -16.8), (-179.5, -16.9), (-179.0, -17.0)],
        [(179.0, -17.0), (179.5, -16.9), (-180.0, -16.8)],
    ],
)
def test_a_line_from_a_point_on_the_antimeridian_has_no_zero_length_part(coords):
    # Once, a port at longitude -180 gave a MultiLineString whose first part was one point twice.
    import shapely.geometry

    from corridor.io import line_geometry

    geometry = line_geometry(coords)
    parts = geometry["coordinates"] if geometry["type"] == "MultiLineString" else [geometry["coordinates"]]
    assert all(len({tuple(p) for p in part}) >= 2 for part in parts)
    assert shapely.geometry.shape(geometry).is_valid
    assert all(abs(a[0] - b[0]) < 180 for part in parts for a, b in itertools.pairwise(part))


def test_geojson_lines_that_stay_on_one_side_are_plain_linestrings(network):
    (route,) = find_routes(network, "Singapore", "Hong Kong", by="distance", modes=["sea"])
    (feature,) = [f for f in route_geojson(network, [route])["features"] if f["properties"]["mode"] == "sea"]
    assert feature["geometry"]["type"] == "LineString"


def test_access_edges_are_drawn_along_their_path_over_water(network):
    from corridor.geometry import edge_coords
    from corridor.graph import ROLE_CODE, Role

    access = network.access["JPNGO"]  # Nagoya, at the head of Ise Bay
    assert access.nodes
    node, _, path = access.joints()[0]
    assert len(path) > 2  # the bay bends: not a straight line
    core = network.core
    depart, lane = core.depart("JPNGO", "sea"), core.lane_node(node)
    (edge,) = [e for e in core.out_edges(depart) if core.role[e] == ROLE_CODE[Role.ACCESS] and core.head[e] == lane]
    assert edge_coords(network, edge) == list(path)
    (back,) = [
        e
        for e in core.out_edges(lane)
        if core.role[e] == ROLE_CODE[Role.ACCESS] and core.node_place_id(core.head[e]) == "JPNGO"
    ]
    assert edge_coords(network, back) == list(path)[::-1]


def test_segments_meet_agrees_with_shapely():
    """The plain-arithmetic test that tells which calls on the way a lane segment crosses agrees
    with shapely's on random segments, touching and collinear ones included (grid points)."""
    import random

    import shapely

    from corridor.geo import segments_meet

    rng = random.Random(20261203)
    checked = 0
    for _ in range(5000):
        a, b, c, d = [(float(rng.randint(-3, 3)), float(rng.randint(-3, 3))) for _ in range(4)]
        if a == b or c == d:
            continue
        want = shapely.LineString([a, b]).intersects(shapely.LineString([c, d]))
        assert segments_meet(a, b, c, d) == want, (a, b, c, d)
        checked += 1
    assert checked > 4000
