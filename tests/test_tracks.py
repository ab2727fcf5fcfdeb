"""Tracing links along OpenStreetMap track and Natural Earth rivers, and falling back to via points."""

from __future__ import annotations

import gzip
import itertools
import json

import pytest

from corridor.datasets import Link, Place, bundled_data_dir
from corridor.geo import haversine_km, path_length_km
from corridor.geometry import link_trace
from corridor.network import load_network
from corridor.sealanes import LandMask
from corridor.tracks import (
    ALONG_RAIL,
    ALONG_RIVER,
    ALONG_VIA,
    RAIL_FILE,
    RIVERS_FILE,
    RULES,
    LineNetwork,
    LineRules,
    _read_lines,
    line_file,
    trace_link,
)


@pytest.fixture(scope="module")
def rail_lines():
    return LineNetwork(_read_lines(bundled_data_dir() / RAIL_FILE), gap_km=RULES["rail"].gap_km)


@pytest.fixture(scope="module")
def river_lines():
    return LineNetwork(_read_lines(bundled_data_dir() / RIVERS_FILE), gap_km=RULES["river"].gap_km)


def _inner_points(coords, skip_km):
    """The vertices of a drawing more than skip_km from both of its ends (past the connectors)."""
    start, end = coords[0], coords[-1]
    return [p for p in coords if haversine_km(*p, *start) > skip_km and haversine_km(*p, *end) > skip_km]


def test_rail_links_follow_osm_track(network, rail_lines):
    trace = link_trace(network, "rail-cq-qinzhou")
    link = network.links["rail-cq-qinzhou"]
    start, end = network.places[link.from_id], network.places[link.to_id]
    assert trace.along == ALONG_RAIL
    assert trace.coords[0] == (start.lon, start.lat)
    assert trace.coords[-1] == (end.lon, end.lat)
    # Far more detail than the three via points, and about as long as the published route.
    assert len(trace.coords) > 50
    assert 0.7 * link.distance_km < path_length_km(trace.coords) < 1.2 * link.distance_km
    inner = _inner_points(trace.coords, skip_km=30)
    assert len(inner) > 40
    for lon, lat in inner:
        assert rail_lines.locate(lon, lat, max_km=1.0) is not None, (lon, lat)


def _in_extract(place):
    return 95 <= place.lon <= 125 and -11 <= place.lat <= 35


def test_most_rail_links_are_traced_and_the_rest_drawn_through_their_via_points(network):
    rail = [link for link in network.links.values() if link.mode == "rail"]
    # The OpenStreetMap extract covers 95-125 E, 11 S-35 N (data/README.md); links beyond it, such
    # as the China-Europe trains, can only be drawn through their via points.
    covered = [link for link in rail if all(_in_extract(network.places[pid]) for pid in (link.from_id, link.to_id))]
    traced = [link for link in covered if link_trace(network, link.id).along == ALONG_RAIL]
    assert len(traced) >= 0.8 * len(covered)
    for link in rail:
        trace = link_trace(network, link.id)
        if trace.along == ALONG_VIA:
            start, end = network.places[link.from_id], network.places[link.to_id]
            assert trace.coords == ((start.lon, start.lat), *link.via, (end.lon, end.lat))


def test_traced_drawings_are_plausible_beside_the_published_distance(network):
    for link in network.links.values():
        trace = link_trace(network, link.id)
        if trace.along != ALONG_VIA and link.distance_km:
            drawn = path_length_km(trace.coords)
            assert 0.5 * link.distance_km < drawn < 1.4 * link.distance_km, (link.id, drawn, link.distance_km)


def test_the_yangtze_is_drawn_along_the_river(network, river_lines):
    for link_id in ("river-guoyuan-threegorges", "river-yichang-wuhan", "river-wuhan-taicang"):
        trace = link_trace(network, link_id)
        assert trace.along == ALONG_RIVER, link_id
    # Yichang to Wuhan meanders: more than twice its straight line, every vertex on the river.
    trace = link_trace(network, "river-yichang-wuhan")
    assert path_length_km(trace.coords) > 2 * haversine_km(*trace.coords[0], *trace.coords[-1])
    for lon, lat in _inner_points(trace.coords, skip_km=5):
        assert river_lines.locate(lon, lat, max_km=0.5) is not None, (lon, lat)


def test_barges_and_the_estuary_are_drawn_on_water(network):
    """Where no river line exists, the via points keep the drawing off Natural Earth land."""
    land = LandMask(bundled_data_dir())
    for link_id in ("barge-yantian-hongkong", "barge-nansha-hongkong", "river-taicang-shanghai"):
        coords = link_trace(network, link_id).coords
        assert len(coords) > 3
        for n, (a, b) in enumerate(itertools.pairwise(coords)):
            # The first and last kilometres lie at a quay, which the coarse land may cover.
            if n == len(coords) - 2:
                a, b = b, a
            skip = 3.0 if a in (coords[0], coords[-1]) else 0.0
            assert not land.crosses(a, b, skip_start_km=skip), (link_id, a, b)


def test_links_off_the_lines_are_drawn_straight(tiny):
    net = load_network(tiny)
    trace = link_trace(net, "rail-a-b")  # a synthetic coast in the Gulf of Guinea, far from any track
    a, b = net.places["CNAAA"], net.places["CNBBB"]
    assert trace.along == ALONG_VIA
    assert trace.coords == ((a.lon, a.lat), (b.lon, b.lat))
    assert trace.credit == ""


def _rules(**changes) -> LineRules:
    values = dict(file=RAIL_FILE, along=ALONG_RAIL, gap_km=2.0, snap_end_km=5.0, snap_via_km=5.0)
    values.update(max_ratio=1.6, slack_km=5.0, simplify_deg=0.0)
    values.update(changes)
    return LineRules(**values)


def _place(pid: str, lon: float, lat: float) -> Place:
    return Place(pid, pid, "CN", lat, lon, "rail_terminal", ("rail",))


def test_line_network_bridges_small_gaps_only():
    # Two lines along the equator with a 1.1 km gap, then a third 11 km further on.
    lines = [[(0.0, 0.0), (0.5, 0.0)], [(0.51, 0.0), (1.0, 0.0)], [(1.1, 0.0), (1.5, 0.0)]]
    lines_network = LineNetwork(lines, gap_km=2.0)
    start = lines_network.locate(0.1, 0.01, max_km=5)
    middle = lines_network.locate(0.9, 0.0, max_km=5)
    far = lines_network.locate(1.4, 0.0, max_km=5)
    path = lines_network.path(start[:2], middle[:2])
    assert path is not None and path[0] == (0.1, 0.0) and path[-1] == (0.9, 0.0)
    assert lines_network.path(start[:2], far[:2]) is None
    assert lines_network.locate(0.1, 1.0, max_km=5) is None  # 111 km off the lines


def test_a_stretch_with_no_line_falls_back_to_its_via_points():
    lines = [[(0.0, 0.0), (0.5, 0.0), (1.0, 0.0)], [(3.0, 0.0), (4.0, 0.0)]]
    lines_network = LineNetwork(lines, gap_km=2.0)
    a, b, c = _place("A", 0.0, 0.0), _place("B", 1.0, 0.0), _place("C", 4.0, 0.0)
    followed = trace_link(lines_network, _rules(), Link("ab", "A", "B", "rail", via=((0.5, 0.02),)), a, b)
    assert followed.along == ALONG_RAIL
    assert followed.coords == ((0.0, 0.0), (0.5, 0.0), (1.0, 0.0))  # the via point gave way to the track
    # From A to C the lines break between 1.0 and 3.0 E: one stretch along them, one straight.
    partial = trace_link(lines_network, _rules(), Link("ac", "A", "C", "rail", via=((1.0, 0.0), (3.0, 0.0))), a, c)
    assert partial.along == ALONG_RAIL
    assert partial.coords[0] == (0.0, 0.0) and partial.coords[-1] == (4.0, 0.0)
    assert (1.0, 0.0) in partial.coords and (3.0, 0.0) in partial.coords


def test_an_implausibly_long_path_is_not_followed():
    # The line from A to B loops 4 degrees north: far longer than the link's straight drawing.
    lines = [[(0.0, 0.0), (0.0, 2.0), (1.0, 2.0), (1.0, 0.0)]]
    a, b = _place("A", 0.0, 0.0), _place("B", 1.0, 0.0)
    trace = trace_link(LineNetwork(lines, gap_km=2.0), _rules(), Link("ab", "A", "B", "rail"), a, b)
    assert trace.along == ALONG_VIA
    assert trace.coords == ((0.0, 0.0), (1.0, 0.0))


def test_a_dataset_draws_along_its_own_track_file(tiny):
    # A track from Alpha to Bravo bowing north through the mainland, in the dataset's own rail-odbl/.
    line = {"type": "LineString", "coordinates": [[0.5, 0.01], [1.2, 0.3], [2.0, 0.4], [2.8, 0.3], [3.5, 0.01]]}
    track = {"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {}, "geometry": line}]}
    (tiny / RAIL_FILE).parent.mkdir()
    with gzip.open(tiny / RAIL_FILE, "wt", encoding="utf-8") as handle:
        json.dump(track, handle)
    assert line_file(tiny, RAIL_FILE) == tiny / RAIL_FILE
    net = load_network(tiny)
    trace = link_trace(net, "rail-a-b")
    assert trace.along == ALONG_RAIL
    assert (2.0, 0.4) in trace.coords
    assert trace.credit.startswith("Rail track © OpenStreetMap")


def test_a_dataset_without_line_files_uses_the_bundled_ones(tiny):
    assert line_file(tiny, RAIL_FILE) == bundled_data_dir() / RAIL_FILE
    assert line_file(tiny, RIVERS_FILE) == bundled_data_dir() / RIVERS_FILE
