"""Rounding segments (`corridor.rounding`): ships round headlands and islands a sea room off the
coast, never across land, and a passage a query avoids cannot be sailed round by them."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import shapely

from corridor.datasets import bundled_data_dir
from corridor.portaccess import read_access_table
from corridor.sealanes import LandMask, read_lanes


@pytest.fixture(scope="module")
def bundled():
    root = bundled_data_dir()
    return read_access_table(root), LandMask(root), read_lanes(root)


def test_the_bundled_table_holds_current_rounding_segments(bundled):
    table, _, _ = bundled
    assert table is not None and table.rounding is not None
    assert len(table.rounding) > 4_000


def test_no_rounding_segment_comes_near_land(bundled):
    table, land, _ = bundled
    segments = shapely.linestrings(np.asarray(table.rounding, dtype=float))
    # 0.05 degrees: 5.5 km north-south, at least 2.2 km east-west below 66 N; the sea room is 25 km.
    assert len(land.near(segments, 0.05)) == 0


# Pairs of seaports whose shortest way by sea goes through a passage of the lane network.
THROUGH = [
    ("suez", "Piraeus", "Jeddah"),
    ("bab-el-mandeb", "Jeddah", "Salalah"),
    ("malacca", "Port Klang", "Colombo"),
    ("gibraltar", "Valencia", "Lisbon"),
    ("bosporus", "Constanta", "Piraeus"),
    ("panama", "Balboa", "COCTG"),  # Cartagena, Colombia
]


@pytest.mark.parametrize(("passage", "a", "b"), THROUGH, ids=[t[0] for t in THROUGH])
def test_an_avoided_passage_is_not_sailed_round_by_rounding_segments(network, bundled, passage, a, b):
    from corridor.sealanes import PASSAGES

    _, _, lanes = bundled
    tag = PASSAGES[passage]
    tagged = [(lanes.coords[u], lanes.coords[v]) for u, v, _, t in lanes.edges if t == tag]
    gate = shapely.multilinestrings([list(s) for s in tagged if abs(s[0][0] - s[1][0]) < 180])
    start, end = (network.gazetteer.resolve(x).place_ids[0] for x in (a, b))
    through = network.sea_path(start, end)
    assert through is not None
    steps = set(itertools.pairwise(through[1]))
    assert any(s in steps or s[::-1] in steps for s in tagged), "the pair does not exercise the passage"
    around = network.sea_path(start, end, avoid=[passage])
    if around is not None:  # else the passage is this pair's only way by sea
        assert around[0] > through[0] * 1.2
        line = shapely.LineString(around[1])
        # Not along the passage and not across it: away from it, or meeting it at a lane node only.
        assert not shapely.crosses(line, gate)
        touching = shapely.intersection(line, gate).geom_type in ("Point", "MultiPoint")
        assert shapely.distance(line, gate) > 0.05 or touching


ISLAND = {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 1], [0, 0]]]}


def _island_and_lanes(tmp_path):
    """Land: one square island, 1 degree a side at the equator; lanes round it 1 to 2 degrees off."""
    import gzip
    import json

    from corridor.sealanes import Lanes

    (tmp_path / "land").mkdir()
    with gzip.open(tmp_path / "land" / "ne_10m_land.geojson.gz", "wt") as f:
        json.dump(
            {"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {}, "geometry": ISLAND}]}, f
        )
    lanes = Lanes(coords=[], edges=[])
    lanes.add_line([(-1, 0.5), (-1, -2), (2, -2), (2, 0.5)])
    lanes.add_line([(-1, 0.5), (-1, 3), (2, 3), (2, 0.5)])
    return LandMask(tmp_path), lanes


def test_lanes_sweeping_wide_round_an_island_are_rounded_a_sea_room_off_it(tmp_path):
    """One square island, 1 degree a side at the equator; the lanes go round it 1 to 2 degrees off.
    The rounding segments join the two ends round its corners, the sea room off it."""
    from corridor.geo import haversine_km
    from corridor.rounding import SEA_ROOM_KM, STRETCH, find_rounding
    from corridor.sealanes import Access, SeaDistances, add_rounding

    land, lanes = _island_and_lanes(tmp_path)
    along_lanes = 2.5 * 111.2 + 3 * 111.2 + 2.5 * 111.2

    segments = find_rounding(lanes, land)
    assert segments
    square = shapely.Polygon(ISLAND["coordinates"][0])
    for a, b in segments:
        # The sea room is 25 km: 0.225 degrees here; the corners are cut by the simplification.
        assert shapely.distance(shapely.LineString([a, b]), square) > 0.15
    add_rounding(lanes, segments)
    ends = {"west": (lanes.index[(-1.0, 0.5)], 0.0), "east": (lanes.index[(2.0, 0.5)], 0.0)}  # (node, km)
    access = {k: Access(k, (node,)) for k, node in ends.items()}
    km, _ = SeaDistances(lanes, access).between("west", "east")
    room = SEA_ROOM_KM / 111.2  # degrees at the equator
    hugging = 2 * haversine_km(-1, 0.5, 0, 0) + haversine_km(0, 0, 1, 0)  # round the bare island
    boxed = 2 * haversine_km(-1, 0.5, -room, -room) + haversine_km(-room, -room, 1 + room, -room)
    assert hugging < km <= boxed * (1 + STRETCH)  # round the grown island, within its bounding box
    assert km < along_lanes * 0.5


def test_only_segments_on_a_shortest_path_between_ports_are_kept(tmp_path):
    """Of the segments round the island, those no shortest path between the two ports uses are
    dropped, and the distance between the ports stays what all of them give."""
    from corridor.rounding import find_rounding, on_port_paths
    from corridor.sealanes import Access, Lanes, SeaDistances, add_rounding

    land, lanes = _island_and_lanes(tmp_path)
    segments = find_rounding(lanes, land)
    access = {k: Access(k, ((lanes.index[p], 0.0),)) for k, p in {"west": (-1.0, 0.5), "east": (2.0, 0.5)}.items()}
    kept = on_port_paths(lanes, access, segments)
    assert 0 < len(kept) < len(segments) and set(kept) <= set(segments)

    def between(chosen) -> float:
        rounded = Lanes(list(lanes.coords), list(lanes.edges), dict(lanes.index))
        add_rounding(rounded, chosen)
        return SeaDistances(rounded, access).between("west", "east")[0]

    assert between(kept) == pytest.approx(between(segments))
    assert between(kept) < between([]) * 0.5


def test_a_shortest_path_between_ports_does_not_pass_through_a_third_port(tmp_path):
    """Two lanes that meet only at a port's two joins are not one way: the segment that links them
    is on the ports' shortest path and stays."""
    from corridor.rounding import on_port_paths
    from corridor.sealanes import Access, Lanes

    lanes = Lanes(coords=[], edges=[])
    lanes.add_line([(0, 0), (1, 0)])
    lanes.add_line([(3, 0), (4, 0)])
    ports = {"a": ((lanes.index[(0.0, 0.0)], 0.0),), "b": ((lanes.index[(4.0, 0.0)], 0.0),)}
    ports["middle"] = ((lanes.index[(1.0, 0.0)], 50.0), (lanes.index[(3.0, 0.0)], 50.0))  # joins both lanes
    access = {k: Access(k, nodes) for k, nodes in ports.items()}
    link = ((1.0, 0.0), (3.0, 0.0))  # 222 km, longer than the 100 km through the middle port
    assert on_port_paths(lanes, access, [link]) == [link]


def test_shortcuts_the_lanes_hold_are_kept_on_port_paths_or_where_a_port_joins_them():
    """Of the shortcuts already in the lanes, the one between the two ports' lanes stays, one
    that no port's path uses goes, and one a port's access path ends on (split there) stays."""
    from corridor.rounding import held_on_port_paths
    from corridor.sealanes import Access, Lanes

    lanes = Lanes(coords=[], edges=[])
    lanes.add_line([(0, 0), (1, 1), (2, 0)])  # a dog-leg the ports' voyage would follow
    lanes.add_line([(2, 0), (5, 0)])
    lanes.add_line([(0, 0), (2, 0)])  # the shortcut across it
    lanes.add_line([(5, 0), (5, 1), (5, 2)])
    lanes.add_line([(5, 0), (5, 2)])  # a shortcut off every port's path
    ports = {"a": ((lanes.index[(0.0, 0.0)], 0.0),), "b": ((lanes.index[(5.0, 0.0)], 0.0),)}
    access = {k: Access(k, nodes) for k, nodes in ports.items()}
    across, beyond = ((0.0, 0.0), (2.0, 0.0)), ((5.0, 0.0), (5.0, 2.0))
    assert held_on_port_paths(lanes, access, [across, beyond]) == [across]
    # A port joins the lanes part way along the second shortcut: the build split it, so it stays.
    u, v = lanes.index[(5.0, 0.0)], lanes.index[(5.0, 2.0)]
    split = Lanes(list(lanes.coords), [e for e in lanes.edges if {e[0], e[1]} != {u, v}], dict(lanes.index))
    split.add_line([(5.0, 0.0), (5.0, 1.5), (5.0, 2.0)])
    assert held_on_port_paths(split, access, [across, beyond]) == [across, beyond]
