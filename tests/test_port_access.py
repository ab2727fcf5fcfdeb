"""How a port joins the lanes (`corridor.portaccess.compute_access`), on a made-up coast: straight
where clear, and round an island by the water grid where the straight joins are a detour."""

from __future__ import annotations

import gzip
import json
from types import SimpleNamespace

import pytest
import shapely

from corridor.geo import haversine_km, path_length_km
from corridor.portaccess import compute_access
from corridor.sealanes import LandMask, Lanes, find_shortcuts

# At the equator, one degree is about 111 km. The mainland's coast runs along latitude 0; an
# island 33 km wide lies 9 km off it, between the harbour and the nearest lane node.
MAINLAND = [(-3.0, -1.0), (3.0, -1.0), (3.0, 0.0), (-3.0, 0.0), (-3.0, -1.0)]
ISLAND = [(-0.15, 0.08), (0.15, 0.08), (0.15, 0.16), (-0.15, 0.16), (-0.15, 0.08)]
NEAR_NODE = (0.0, 0.3)  # 31 km north of the harbour, behind the island


def _land_file(path, rings):
    """Write rings as a gzipped GeoJSON land file (Natural Earth's layout)."""
    polygons = ({"type": "Polygon", "coordinates": [ring]} for ring in rings)
    features = [{"type": "Feature", "properties": {}, "geometry": polygon} for polygon in polygons]
    with gzip.open(path, "wt") as f:
        json.dump({"type": "FeatureCollection", "features": features}, f)


def _coast(tmp_path):
    (tmp_path / "land").mkdir()
    _land_file(tmp_path / "land" / "ne_10m_land.geojson.gz", [MAINLAND, ISLAND])
    lanes = Lanes(coords=[], edges=[])
    lanes.add_line([(-0.9, 0.3), NEAR_NODE, (0.9, 0.3)])
    return LandMask(tmp_path), lanes


def _port(ident, lon, lat):
    return SimpleNamespace(id=ident, lon=lon, lat=lat, harbor_type="Coastal (Natural)")


@pytest.fixture
def coast(tmp_path):
    return _coast(tmp_path)


def test_a_harbour_behind_an_island_joins_the_lane_round_it_not_only_far_along_the_coast(coast):
    land, lanes = coast
    harbour = (0.0, 0.02)
    (joined,) = compute_access([_port("behind", *harbour)], lanes, land).values()
    lengths = sorted(path_length_km(path) for path in joined.paths)
    # The straight joins clear the island's corners only to the lane nodes 100 km away.
    straight_to_far_nodes = haversine_km(*harbour, 0.9, 0.3)
    assert straight_to_far_nodes > 100
    assert any(length > 100 for length in lengths), "the straight joins are kept"
    # Round the island to the node behind it: about 50 km, where the straight line is 31 km.
    assert lengths[0] < 0.6 * straight_to_far_nodes
    assert lengths[0] > haversine_km(*harbour, *NEAR_NODE)
    island = shapely.Polygon(ISLAND)
    for path in joined.paths:
        assert not shapely.LineString(path).intersects(island)


def test_a_harbour_in_open_water_keeps_its_straight_joins_only(coast):
    land, lanes = coast
    harbour = (0.6, 0.05)  # clear of the island: the nearest node is straight ahead
    (joined,) = compute_access([_port("open", *harbour)], lanes, land).values()
    assert joined.paths
    assert all(len(path) == 2 for path in joined.paths)


def test_a_harbour_beside_a_long_lane_segment_joins_it_where_it_passes(coast):
    """The lane runs past the harbour between nodes 43 and 107 km away; the harbour joins the
    segment straight across, 28 km, and the build splits the segment there. Behind the island,
    where that straight line would cross land, no such join is made (the test above)."""
    from corridor.portaccess import join_ports

    land, lanes = coast
    harbour = (0.6, 0.05)
    (joined,) = compute_access([_port("open", *harbour)], lanes, land).values()
    ends = [path[-1] for path in joined.paths]
    assert (0.6, 0.3) in ends
    assert min(path_length_km(path) for path in joined.paths) == pytest.approx(haversine_km(*harbour, 0.6, 0.3))
    assert haversine_km(*harbour, 0.9, 0.3) - haversine_km(*harbour, 0.6, 0.3) > 15
    (access,) = join_ports([_port("open", *harbour)], lanes, land).values()
    node = lanes.index[(0.6, 0.3)]
    assert node in [n for n, _ in access.nodes]
    assert {frozenset(e[:2]) for e in lanes.edges} >= {
        frozenset((lanes.index[(0.0, 0.3)], node)),
        frozenset((node, lanes.index[(0.9, 0.3)])),
    }


def test_a_harbour_where_two_lanes_pass_close_joins_each_where_it_passes(coast):
    """Two lanes pass the harbour a kilometre apart (shortcuts converging on a port); a voyage
    along the farther one joins it where that one passes, not by way of the nearer one's nodes,
    which lie 40 km and more away."""
    from corridor.portaccess import join_ports
    from corridor.sealanes import sea_distances

    land, lanes = coast
    lanes.add_line([(-0.9, 0.31), (0.9, 0.31)])  # the second lane, 1.1 km beyond the first
    harbour = (0.6, 0.05)
    (access,) = join_ports([_port("open", *harbour)], lanes, land).values()
    ends = {lanes.coords[n] for n, _ in access.nodes}
    assert {(0.6, 0.3), (0.6, 0.31)} <= ends
    west = lanes.index[(-0.9, 0.31)]
    found = sea_distances(lanes, {"open": access}).routes({west: 0.0}, [n for n, _ in access.nodes])
    km = min(dist + dict(access.nodes)[n] for n, (dist, _) in found.items())
    assert km == pytest.approx(haversine_km(-0.9, 0.31, 0.6, 0.31) + haversine_km(*harbour, 0.6, 0.31), rel=1e-6)


def test_a_join_where_lanes_cross_splits_each_of_them_but_not_a_passage():
    """A port's join that ends where two lanes cross is a junction of both (a voyage may turn
    there); a passage's segment through the same point is not split (`test_a_passage_segment_...`)."""
    from corridor.portaccess import _split_lanes

    lanes = Lanes(coords=[], edges=[])
    lanes.add_line([(-1.0, 0.0), (1.0, 0.0)])
    lanes.add_line([(0.0, -1.0), (0.0, 1.0)])
    lanes.add_line([(-1.0, -1.0), (1.0, 1.0)], "suez")
    _split_lanes(lanes, [(0.0, 0.0)])
    centre = lanes.index[(0.0, 0.0)]
    ends = {lanes.coords[v if u == centre else u] for u, v, _, _ in lanes.edges if centre in (u, v)}
    assert ends == {(-1.0, 0.0), (1.0, 0.0), (0.0, -1.0), (0.0, 1.0)}
    assert [(lanes.coords[u], lanes.coords[v]) for u, v, _, tag in lanes.edges if tag] == [((-1.0, -1.0), (1.0, 1.0))]


def test_a_harbour_whose_nearest_joins_all_lie_on_one_segment_also_joins_another_lane(tmp_path):
    """A long lane segment runs 31 km off the harbour, so its three cheapest joins over water all
    lie on it, 5 km apart; a lane along the coast to the west, 37 km away, is joined as well, and
    no voyage west goes out to the segment and back. Without that lane, the three joins stand."""
    from corridor.portaccess import LaneTargets, water_paths

    (tmp_path / "land").mkdir()
    _land_file(tmp_path / "land" / "ne_10m_land.geojson.gz", [MAINLAND])
    land = LandMask(tmp_path)
    harbour = (0.0, 0.02)

    def joins(coast_lane: bool):
        lanes = Lanes(coords=[], edges=[])
        lanes.add_line([(-1.5, 0.3), (1.5, 0.3)])  # one segment, its nodes 167 km away
        if coast_lane:
            lanes.add_line([(-0.33, 0.03), (-1.5, 0.03)])
        paths = water_paths(land, LaneTargets(lanes), harbour, tolerance_km=1.0, edges=3)
        return lanes, paths

    _, paths = joins(coast_lane=False)
    assert [p.edge for p in paths] == [(0, 1)] * 3
    lanes, paths = joins(coast_lane=True)
    assert [p.edge for p in paths[:3]] == [(0, 1)] * 3
    assert len(paths) == 4
    assert paths[3].node == lanes.index[(-0.33, 0.03)]
    assert paths[3].distance_km == pytest.approx(haversine_km(*harbour, -0.33, 0.03), rel=0.02)
    assert paths[3].distance_km > max(p.distance_km for p in paths[:3])


def _shoal_coast(tmp_path, *, shoal: bool):
    """The made-up coast with the island drawn as a `shoal` correction instead of as land."""
    (tmp_path / "land").mkdir()
    (tmp_path / "sea").mkdir()
    _land_file(tmp_path / "land" / "ne_10m_land.geojson.gz", [MAINLAND])
    corrections = [
        {
            "type": "Feature",
            "properties": {"id": "bank", "action": "shoal", "reason": "a sand bank", "source": "estimate"},
            "geometry": {"type": "Polygon", "coordinates": [ISLAND]},
        }
    ]
    (tmp_path / "sea" / "corrections.geojson").write_text(
        json.dumps({"type": "FeatureCollection", "features": corrections if shoal else []})
    )
    return LandMask(tmp_path)


@pytest.mark.parametrize("shoal", [True, False])
def test_a_shoal_in_the_corrections_is_kept_off_as_land_is(tmp_path, shoal):
    land = _shoal_coast(tmp_path, shoal=shoal)
    bank = shapely.Polygon(ISLAND)
    # A port behind the bank joins the lane round it, not straight across.
    lanes = Lanes(coords=[], edges=[])
    lanes.add_line([(-0.9, 0.3), NEAR_NODE, (0.9, 0.3)])
    harbour = (0.0, 0.02)
    (joined,) = compute_access([_port("behind", *harbour)], lanes, land).values()
    crossing = [path for path in joined.paths if shapely.LineString(path).intersects(bank)]
    assert bool(crossing) is not shoal
    # A lane that goes round the bank gets no shortcut across it.
    lanes = Lanes(coords=[], edges=[])
    lanes.add_line([(-0.4, 0.12), (-0.4, 0.5), (0.4, 0.5), (0.4, 0.12)])
    across = {frozenset((lanes.node(-0.4, 0.12), lanes.node(0.4, 0.12)))}
    made = {frozenset(pair) for pair in find_shortcuts(lanes, land)}
    assert bool(made & across) is not shoal


def test_a_lane_across_the_antimeridian_is_not_joined_half_way_round_the_world(coast):
    """On the plane, a segment from 179.5 E to 179.5 W runs through every longitude; the harbour at
    2 E must not join it there, which would split the Pacific crossing in two."""
    from corridor.portaccess import join_ports

    land, lanes = coast
    lanes.add_line([(179.5, 0.3), (-179.5, 0.3)])
    crossing = frozenset((lanes.index[(179.5, 0.3)], lanes.index[(-179.5, 0.3)]))
    (access,) = join_ports([_port("east", 2.0, 0.05)], lanes, land).values()
    assert access.nodes
    assert all(abs(lanes.coords[n][0]) < 2 for n, _ in access.nodes)
    assert crossing in {frozenset(e[:2]) for e in lanes.edges}


# An island just east of the antimeridian (Natural Earth keeps every longitude within +-180).
ISLAND_ACROSS = [(-179.98, -0.05), (-179.93, -0.05), (-179.93, 0.1), (-179.98, 0.1), (-179.98, -0.05)]


@pytest.fixture
def antimeridian(tmp_path):
    """The land about the 180th meridian, and a lane east of it that starts beside the island."""
    (tmp_path / "land").mkdir()
    _land_file(tmp_path / "land" / "ne_10m_land.geojson.gz", [MAINLAND, ISLAND_ACROSS])
    lanes = Lanes(coords=[], edges=[])
    lanes.add_line([(-179.88, 0.03), (-179.0, 0.03)])
    return LandMask(tmp_path), lanes


def _unwrapped(path):
    """A path's points with longitudes shifted to run on past +-180, as it sails."""
    from corridor.geo import unwrap_lons

    return shapely.LineString(unwrap_lons(path))


def test_a_harbour_joins_the_lane_just_across_the_antimeridian(antimeridian):
    """A harbour 2 km east of 180 joins the lane node 14 km away at 179.9 E, not only the lane on
    its own side 26 km off; the path keeps its longitudes within +-180 and is as long as it sails."""
    from corridor.portaccess import join_ports

    land, lanes = antimeridian
    lanes.add_line([(179.0, 0.3), (179.9, 0.3)])
    harbour = (-179.98, 0.25)
    (joined,) = compute_access([_port("east", *harbour)], lanes, land).values()
    shortest = min(joined.paths, key=path_length_km)
    assert shortest[-1] == (179.9, 0.3)
    assert path_length_km(shortest) == pytest.approx(haversine_km(*harbour, 179.9, 0.3))
    assert path_length_km(shortest) < 15
    assert all(-180 <= lon <= 180 for path in joined.paths for lon, _ in path)
    assert all(_unwrapped(path).length < 2 for path in joined.paths), "no path runs round the world"
    (access,) = join_ports([_port("east", *harbour)], lanes, land).values()
    assert lanes.index[(179.9, 0.3)] in [n for n, _ in access.nodes]


def test_land_across_the_antimeridian_is_kept_off(antimeridian):
    """The straight line from a harbour at 179.97 E to the lane at 179.88 W runs over the island
    across the meridian (and so does the one to its far end): the harbour joins that lane round
    the island, never over it."""
    land, lanes = antimeridian
    harbour = (179.97, 0.02)
    (joined,) = compute_access([_port("west", *harbour)], lanes, land).values()
    island = shapely.Polygon([(lon + 360, lat) for lon, lat in ISLAND_ACROSS])
    assert _unwrapped([harbour, (-179.88, 0.03)]).intersects(island)
    across = [path for path in joined.paths if path[-1][0] < 0]
    assert across and min(map(path_length_km, across)) < 40
    for path in joined.paths:
        assert all(-180 <= lon <= 180 for lon, _ in path)
        assert _unwrapped(path).length < 2
        assert not _unwrapped(path).intersects(island)


def test_a_lane_across_the_antimeridian_is_joined_where_it_passes(coast):
    """A harbour 22 km off a lane from 179.5 E to 179.5 W joins it where it passes, at 179.9 E,
    and the build splits the Pacific crossing there, its two parts as long as it was."""
    from corridor.portaccess import join_ports

    land, lanes = coast
    lanes.add_line([(179.5, 0.3), (-179.5, 0.3)])
    crossing = sum(d for _, _, d, _ in lanes.edges[-1:])
    (access,) = join_ports([_port("near", 179.9, 0.1)], lanes, land).values()
    node = lanes.index[(179.9, 0.3)]
    assert node in [n for n, _ in access.nodes]
    assert min(km for _, km in access.nodes) == pytest.approx(haversine_km(179.9, 0.1, 179.9, 0.3))
    parts = [e for e in lanes.edges if node in e[:2]]
    assert {frozenset(e[:2]) for e in parts} == {
        frozenset((lanes.index[(179.5, 0.3)], node)),
        frozenset((node, lanes.index[(-179.5, 0.3)])),
    }
    assert sum(d for _, _, d, _ in parts) == pytest.approx(crossing)


def test_a_passage_segment_is_not_joined_part_way_along(tmp_path):
    """A canal's or strait's segment is joined only at its nodes: a port joined part way along one
    would let a voyage leave the lanes there and skip the passage's transit, toll or call."""
    land, _ = _coast(tmp_path)
    lanes = Lanes(coords=[], edges=[])
    lanes.add_line([(-0.9, 0.3), NEAR_NODE, (0.9, 0.3)], "suez")
    (joined,) = compute_access([_port("canal", 0.6, 0.05)], lanes, land).values()
    assert joined.paths
    assert {path[-1] for path in joined.paths} <= {(-0.9, 0.3), NEAR_NODE, (0.9, 0.3)}


def _channel(length_nm):
    """A lane along the coast and a river channel drawn to it, with or without its `length_nm`."""
    from pathlib import Path

    from corridor.sealanes import apply_corrections

    lanes = Lanes(coords=[], edges=[])
    lanes.add_line([(-0.9, 0.3), NEAR_NODE, (0.9, 0.3)])
    props = {"id": "river", "action": "add", "reason": "a river drawn straight across its bends", "source": "x"}
    if length_nm is not None:
        props["length_nm"] = length_nm
    river = {"type": "Feature", "properties": props, "geometry": {"type": "LineString", "coordinates": [
        [0.9, 0.3], [1.2, 0.6], [1.5, 0.6]]}}  # fmt: skip
    apply_corrections(lanes, [river], Path("corrections.geojson"))
    return lanes


def test_a_channel_drawn_across_its_bends_measures_its_published_length():
    from corridor.geo import KM_PER_NM

    drawn, long = _channel(None), _channel(60)
    coast = sum(d for u, v, d, _ in drawn.edges[:2])
    assert sum(d for _, _, d, _ in drawn.edges[2:]) == pytest.approx(
        haversine_km(0.9, 0.3, 1.2, 0.6) + haversine_km(1.2, 0.6, 1.5, 0.6)
    )
    assert sum(d for _, _, d, _ in long.edges[2:]) == pytest.approx(60 * KM_PER_NM)
    assert sum(d for u, v, d, _ in long.edges[:2]) == coast  # the other lanes keep their lengths
    assert long.coords == drawn.coords  # and the drawing stays as it was


def test_a_channel_split_where_a_port_joins_it_keeps_its_length():
    from corridor.geo import KM_PER_NM
    from corridor.portaccess import _split_lanes

    lanes = _channel(60)
    _split_lanes(lanes, [(1.05, 0.45)])  # half way along the channel's first segment
    assert len(lanes.edges) == 5
    assert sum(d for _, _, d, _ in lanes.edges[2:]) == pytest.approx(60 * KM_PER_NM)


@pytest.mark.parametrize("length_nm", [0, -3, "40", True, 1e9])
def test_a_channel_length_that_is_not_a_positive_number_is_a_data_error(length_nm):
    from corridor.errors import DataError

    with pytest.raises(DataError) as caught:
        _channel(length_nm)
    assert "length_nm must be a positive number" in str(caught.value.problems)


def test_a_channel_is_never_shorter_than_its_drawing():
    """The drawing cuts the river's bends, so the river is at least as long: a shorter length_nm
    (the line is drawn 43.5 nm) would let voyages undercut the straight line."""
    from corridor.errors import DataError

    with pytest.raises(DataError) as caught:
        _channel(20)
    assert "length_nm 20 is shorter than the line as drawn (" in str(caught.value.problems)


def test_an_island_natural_earth_omits_is_land_where_the_dataset_has_the_islands_file(tmp_path):
    """`land/islands_gshhg.geojson.gz` (scripts/prepare_islands.py) holds islands Natural Earth
    1:10m leaves out; where a dataset has it, access paths keep off them as off any land, and the
    precomputed table depends on it. Without it, Natural Earth alone is the land."""
    from corridor.portaccess import inputs_key
    from corridor.sealanes import ISLANDS_FILE

    (tmp_path / "land").mkdir()
    _land_file(tmp_path / "land" / "ne_10m_land.geojson.gz", [MAINLAND])
    lanes = Lanes(coords=[], edges=[])
    lanes.add_line([(-0.9, 0.3), NEAR_NODE, (0.9, 0.3)])
    harbour = _port("behind", 0.0, 0.02)
    island = shapely.Polygon(ISLAND)

    def crossings(land):
        (joined,) = compute_access([harbour], lanes, land).values()
        return [path for path in joined.paths if shapely.LineString(path).intersects(island)]

    without = inputs_key(tmp_path)
    assert str(ISLANDS_FILE) not in without
    assert crossings(LandMask(tmp_path)), "Natural Earth alone: the straight join runs over the island"

    _land_file(tmp_path / ISLANDS_FILE, [ISLAND])
    assert LandMask(tmp_path).contains(0.0, 0.12) and not LandMask(tmp_path, islands=False).contains(0.0, 0.12)
    assert not crossings(LandMask(tmp_path))
    assert crossings(LandMask(tmp_path, islands=False))
    assert inputs_key(tmp_path)[str(ISLANDS_FILE)] and inputs_key(tmp_path).items() > without.items()
