"""Sea distances along the lanes against published port-to-port distances, on a held-out half.

The table (tests/data/published_sea_distances.csv) was split once, at random with a fixed seed,
into a calibration half and a held-out half (its `split` column); the rows earlier corrections
were made against (`used_before`) count as calibration. Lane corrections may be
derived from the calibration half only; the held-out half says whether they generalise. The
calibration extension (tests/data/published_sea_distances_extension.csv, more Pub. 151 pairs from
every ocean, none of the table's) is calibration too. The figures of both halves and of the
extension, and of searoute's lanes on the same pairs, are printed at the end of the test run.
"""

from __future__ import annotations

import collections
import csv
import itertools
import json
import random
import statistics
from pathlib import Path

import pytest

from corridor.calibration import pair_places, sea_pair_nm
from corridor.datasets import bundled_data_dir
from corridor.geo import KM_PER_NM

TABLE = Path(__file__).parent / "data" / "published_sea_distances.csv"
ROWS = list(csv.DictReader(TABLE.open(encoding="utf-8")))
TESTED = [r for r in ROWS if r["status"] == "test"]
EXTENSION = list(csv.DictReader(TABLE.with_name("published_sea_distances_extension.csv").open(encoding="utf-8")))
SPLIT_SEED = 20261201
TOLERANCE = 0.05
# What the held-out half must show (issue 11).
HELD_OUT_MEDIAN = 0.02
HELD_OUT_WITHIN = 0.90

# Held-out pairs a correction was found from (data/sea/CORRECTIONS.md says which): they no longer
# judge the lanes blind, so the held-out half is printed without them too.
SEEN = {("GBHRW", "NLAMS")}  # north-sea-canal

FIGURES: dict[str, dict] = {}  # printed by conftest's terminal summary


def test_the_table_is_large_cited_and_split_once_with_its_seed():
    assert len(TESTED) >= 150
    for row in ROWS:
        assert row["source_title"] and row["source_url"].startswith("http"), row
        assert row["status"] == "test" or row["status"].startswith("excluded: "), row
        assert row["split"] in ("calibration", "held-out"), row
    # The rows the earlier corrections were made against are calibration rows by history; the
    # others were split at random, once, with the seed.
    fresh = [r for r in ROWS if r["used_before"] != "yes"]
    keys = sorted({(r["from_locode"], r["to_locode"], r["distance_nm"]) for r in fresh})
    random.Random(SPLIT_SEED).shuffle(keys)
    expected = {k: ("calibration" if i < len(keys) // 2 else "held-out") for i, k in enumerate(keys)}
    assert all(r["split"] == expected[(r["from_locode"], r["to_locode"], r["distance_nm"])] for r in fresh)
    assert all(r["split"] == "calibration" for r in ROWS if r["used_before"] == "yes")
    halves = {r["split"] for r in TESTED}
    assert halves == {"calibration", "held-out"}


def test_the_extension_is_calibration_only_cited_and_built_by_its_rule(network):
    # The extension adds Pub. 151 pairs the table does not hold, every one a calibration row, so
    # the held-out half stays the judge; its rows come from scripts/sea_table_extension.py's rule
    # (nearest seaport to Pub. 151's position, great circle and position checks), not by hand.
    from .conftest import load_script

    table_pairs = {frozenset((r["from_locode"], r["to_locode"])) for r in ROWS}
    table_pairs |= {frozenset((r["from_place"] or r["from_locode"], r["to_place"] or r["to_locode"])) for r in ROWS}
    assert len([r for r in EXTENSION if r["status"] == "test"]) >= 1000
    for row in EXTENSION:
        assert row["split"] == "calibration" and row["used_before"] == "no", row
        assert row["source_url"].startswith("https://") and row["note"].startswith("Pub.151 "), row
        assert frozenset((row["from_locode"], row["to_locode"])) not in table_pairs, row
        published, great_circle = float(row["distance_nm"]), float(row["great_circle_nm"])
        if row["status"] == "test":
            assert published >= 0.99 * great_circle and float(row["position_km"]) / KM_PER_NM <= 0.02 * published
        else:
            assert row["status"].startswith("excluded: "), row
    rebuilt = load_script("sea_table_extension").build_rows(network)
    assert rebuilt == EXTENSION


def _searoute_nm(network, rows) -> list[float | None]:
    """Searoute's distance for the same pairs, from the same port positions (nm)."""
    import searoute

    out: list[float | None] = []
    for row in rows:
        a, b = (network.places[pid] for pid in pair_places(network, row))
        restrictions = ["northwest"] + [p for p in row["avoid"].split(";") if p]
        try:
            line = searoute.searoute([a.lon, a.lat], [b.lon, b.lat], units="naut", restrictions=restrictions)
            out.append(float(line["properties"]["length"]))
        except Exception:  # searoute raises on pairs it cannot join; count them as misses
            out.append(None)
    return out


def _score(rows, computed) -> dict:
    errors = []
    missing = 0
    for row, nm in zip(rows, computed, strict=True):
        if nm is None:
            missing += 1
            continue
        errors.append(abs(nm - float(row["distance_nm"])) / float(row["distance_nm"]))
    within = sum(e <= TOLERANCE for e in errors) / len(rows)  # a pair with no route counts as outside
    return {
        "pairs": len(rows),
        "no_route": missing,
        "median": statistics.median(errors + [float("inf")] * missing),
        "within_5pct": within,
    }


@pytest.fixture(scope="module")
def figures(network):
    pytest.importorskip("searoute", reason="pip install -e '.[test]' brings searoute, the reference lanes")
    out = {}
    for half in ("calibration", "held-out"):
        rows = [r for r in TESTED if r["split"] == half]
        out[half] = {
            "corridor": _score(rows, [sea_pair_nm(network, row) for row in rows]),
            "searoute": _score(rows, _searoute_nm(network, rows)),
        }
    blind = [r for r in TESTED if r["split"] == "held-out" and (r["from_locode"], r["to_locode"]) not in SEEN]
    out["held-out, unseen"] = {"corridor": _score(blind, [sea_pair_nm(network, row) for row in blind])}
    extension = [r for r in EXTENSION if r["status"] == "test"]
    out["calibration extension"] = {
        "corridor": _score(extension, [sea_pair_nm(network, row) for row in extension]),
        "searoute": _score(extension, _searoute_nm(network, extension)),
    }
    FIGURES.update(out)
    return out


def test_held_out_sea_distances_beat_searoutes_lanes(figures):
    held = figures["held-out"]
    corridor, searoute = held["corridor"], held["searoute"]
    assert corridor["median"] <= searoute["median"], held
    assert corridor["within_5pct"] >= searoute["within_5pct"], held
    # The held-out half behaves like the calibration half: the corrections generalise.
    assert corridor["median"] <= figures["calibration"]["corridor"]["median"] * 1.25, figures


@pytest.mark.xfail(
    strict=True,
    reason="issue 11's goal is not reached yet: held-out median 1.11%, 89.9% within 5% (README, World scale)",
)
def test_held_out_sea_distances_meet_the_issue_goal(figures):
    corridor = figures["held-out"]["corridor"]
    assert corridor["median"] <= HELD_OUT_MEDIAN and corridor["within_5pct"] >= HELD_OUT_WITHIN, corridor


def test_the_pairs_seen_are_held_out_rows(figures):
    held = {(r["from_locode"], r["to_locode"]) for r in TESTED if r["split"] == "held-out"}
    assert held >= SEEN
    assert figures["held-out, unseen"]["corridor"]["pairs"] == figures["held-out"]["corridor"]["pairs"] - len(SEEN)


def test_calibration_half_is_reported_too(figures):
    calibration = figures["calibration"]
    assert calibration["corridor"]["pairs"] > 0
    assert calibration["corridor"]["median"] <= calibration["searoute"]["median"]


def test_every_lane_correction_is_explained():
    root = bundled_data_dir() / "sea"
    features = json.loads((root / "corrections.geojson").read_text())["features"]
    listed = (root / "CORRECTIONS.md").read_text()
    assert features
    for feature in features:
        props = feature["properties"]
        assert props["action"] in ("add", "remove", "shoal")
        assert len(props["reason"]) > 30
        assert props["source"]
        assert f"`{props['id']}`" in listed, f"{props['id']} is missing from CORRECTIONS.md"


@pytest.mark.parametrize(
    ("start", "end", "lon", "lat"),
    [
        ("JPHIJ", "JPYOK", 134.651, 34.241),  # the Naruto Strait: 500 m navigable, currents over 10 kn
        ("GRPIR", "GRVOL", 23.589, 38.463),  # the Euripus at Chalkis: 38 m at its sliding bridge
        ("GBMLF", "GBLIV", -4.190, 53.218),  # the Menai Strait's Swellies, under bridges of 27-31 m
        ("MYJHB", "MYTPP", 103.769, 1.453),  # the Johor-Singapore Causeway, a rubble dam since 1924
        ("DEHAM", "NLAMS", 5.25, 52.75),  # the IJsselmeer, behind the Afsluitdijk: Amsterdam is reached by IJmuiden
    ],
    ids=["naruto", "euripus", "menai", "johor-causeway", "ijsselmeer"],
)
def test_no_sea_route_threads_a_strait_container_ships_do_not_take(network, start, end, lon, lat):
    """Natural Earth shows these waters as sea and the lanes ran through them; ships go round
    (data/sea/CORRECTIONS.md gives each reason and source)."""
    from shapely.geometry import LineString, Point

    from corridor.geo import haversine_km

    _, line = network.sea_path(start, end)
    nearest = LineString(line).interpolate(LineString(line).project(Point(lon, lat)))
    assert haversine_km(nearest.x, nearest.y, lon, lat) > 5.0


def test_no_sea_distance_is_shorter_than_the_great_circle(network):
    """No ship sails shorter than the geodesic between its ports: the shortcuts the build adds,
    straight or across open ocean, must never make a pair shorter than that."""
    from corridor.geo import haversine_km

    for row in TESTED:
        a, b = (network.places[pid] for pid in pair_places(network, row))
        found = network.sea_path(a.id, b.id, avoid=[p for p in row["avoid"].split(";") if p])
        if found is not None:
            assert found[0] >= haversine_km(a.lon, a.lat, b.lon, b.lat) * 0.999, (row["from_locode"], row["to_locode"])


def test_no_published_distance_undercuts_the_great_circle_between_its_places(network):
    """A published distance can fall short of the great circle between the table's places only by
    what the source's own positions explain (a few per cent); more means the row names the wrong
    place. Pub. 151 files Zhanjiang as ZHENJIANG, so Singapore-Zhenjiang (1,333 nm) is measured to
    Zhanjiang: to Zhenjiang on the Yangtze the great circle alone is 2,058 nm. Pub. 151's
    Harwich-Antwerp, 97 nm against a great circle of 124 nm, which no track can meet, is excluded
    with that reason; every tested row is checked."""
    from corridor.geo import haversine_km

    short = set()
    for row in ROWS:
        a, b = (network.places[pid] for pid in pair_places(network, row))
        if float(row["distance_nm"]) * KM_PER_NM < 0.95 * haversine_km(a.lon, a.lat, b.lon, b.lat):
            excluded = row["status"].startswith("excluded: below the great circle")
            short.add((row["from_locode"], row["to_locode"], excluded))
    assert short == {("GBHRW", "BEANR", True)}


def test_a_source_entry_measured_from_elsewhere_is_excluded():
    """Pub. 151's SINES entry prints a position on the Tagus above Lisbon (38°56'N; Sines lies at
    37°57'N) and gives Lisboa 20 nm: its distances are not Sines's (its Cadiz, 266 nm, exceeds its
    own Lisboa-Cadiz, 253 nm, though Sines lies on the way south). Both its rows are excluded,
    whichever half they fell in; no other row is measured from or to that entry."""
    sines = [row for row in ROWS if "PTSIE" in (row["from_locode"], row["to_locode"])]
    assert {row["split"] for row in sines} == {"calibration", "held-out"}
    assert all("SINES entry is not measured from Sines" in row["status"] for row in sines)
    assert all(row not in TESTED for row in sines)


def test_open_ocean_shortcuts_keep_far_from_land():
    """The long lane segments the build adds across open ocean follow great circles that keep
    clear of Natural Earth land (the rule allows none within 25 km; a segment within 10 km
    would be a ship sailing over an island or a cape)."""
    import numpy as np

    from corridor.geo import haversine_km
    from corridor.portaccess import read_access_table
    from corridor.sealanes import OCEAN_MIN_KM, LandMask, _great_circles

    root = bundled_data_dir()
    table = read_access_table(root)
    assert table is not None
    long = [(a, b) for a, b in table.near_misses if haversine_km(*a, *b) >= OCEAN_MIN_KM]
    assert len(long) > 1000  # the open-ocean tier is there
    assert any(abs(a[0] - b[0]) > 180 for a, b in long)  # across the antimeridian too
    lines = _great_circles(np.asarray([a for a, _ in long]), np.asarray([b for _, b in long]), 50.0)
    near = LandMask(root).near(lines, 10 / 111.0)
    assert len(near) == 0, [long[i] for i in near[:5]]


def test_no_segment_the_build_adds_crosses_a_shoal():
    """The bundled shoals (tidal flats, mouth bars) are drawn where the calibration half showed
    shortcuts across them: no shortcut, near-miss join or rounding segment of the bundled table
    touches one now, while the lanes drawn through them as channels are kept."""
    import shapely

    from corridor.portaccess import read_access_table
    from corridor.sealanes import _both_sides, read_lanes, read_shoals

    root = bundled_data_dir()
    shoals = read_shoals(root)
    assert len(shoals) >= 5
    table = read_access_table(root)
    assert table is not None
    segments = [*table.near_misses, *(table.rounding or [])]
    # A segment across the antimeridian is drawn on both sides of it, not round the world.
    added = _both_sides([[a, (b[0] + 360 * round((a[0] - b[0]) / 360), b[1])] for a, b in segments])
    tree = shapely.STRtree(added)
    assert not any(len(tree.query(shoal, predicate="intersects")) for shoal in shoals)
    # The base lane out of the Yangtze by the North Passage crosses its mouth bar, and is kept.
    lanes = read_lanes(root)
    kept = shapely.STRtree(shapely.linestrings([[lanes.coords[u], lanes.coords[v]] for u, v, _, _ in lanes.edges]))
    (mouth_bar,) = [shoal for shoal in shoals if shoal.contains(shapely.Point(122.1, 31.3))]
    assert len(kept.query(mouth_bar, predicate="intersects"))


class _OpenSea:
    """A land mask with no land: every segment is clear."""

    def near(self, geometries, distance_deg):
        import numpy as np

        return np.zeros(0, dtype=int)


def test_a_second_shortcut_pass_joins_what_the_first_left_the_long_way_round(monkeypatch):
    """With one shortcut per node, one pass leaves pairs of a zig-zag coast joined the long way
    round; the second pass, on the lanes with the first pass's shortcuts, joins more of them,
    never the same pair twice, and gives no node more than one shortcut per pass. Distances are
    measured here with networkx, apart from the code under test."""
    import networkx as nx

    import corridor.sealanes as sealanes
    from corridor.geo import haversine_km
    from corridor.sealanes import Lanes, find_shortcuts

    lanes = Lanes(coords=[], edges=[])
    lanes.add_line([(float(x), float(x % 2)) for x in range(7)])  # legs of 1 degree, up and down
    monkeypatch.setattr(sealanes, "SHORTCUTS_PER_NODE", 1)
    monkeypatch.setattr(sealanes, "OCEAN_SHORTCUTS_PER_NODE", 0)

    def long_way_round(shortcuts) -> int:
        graph = nx.Graph()
        graph.add_weighted_edges_from((u, v, d) for u, v, d, _ in lanes.edges)
        graph.add_weighted_edges_from((u, v, haversine_km(*lanes.coords[u], *lanes.coords[v])) for u, v in shortcuts)
        along = dict(nx.all_pairs_dijkstra_path_length(graph))
        pairs = itertools.combinations(range(len(lanes.coords)), 2)
        straight = {(u, v): haversine_km(*lanes.coords[u], *lanes.coords[v]) for u, v in pairs}
        return sum(along[u][v] > 1.01 * s for (u, v), s in straight.items() if s <= sealanes.SHORTCUT_MAX_KM)

    monkeypatch.setattr(sealanes, "SHORTCUT_PASSES", 1)
    one = find_shortcuts(lanes, _OpenSea())
    monkeypatch.setattr(sealanes, "SHORTCUT_PASSES", 2)
    two = find_shortcuts(lanes, _OpenSea())
    assert two[: len(one)] == one and len(two) > len(one)
    assert len({frozenset(pair) for pair in two}) == len(two)
    assert long_way_round(two) < long_way_round(one) < long_way_round([])
    per_node = collections.Counter(node for pair in two for node in pair)
    assert max(per_node.values()) == 2


class _Islands:
    """A land mask of a few boxes, checked as the real one checks Natural Earth's polygons."""

    def __init__(self, *boxes):
        import numpy as np
        import shapely

        self.parts = np.asarray([shapely.box(*b) for b in boxes], dtype=object)

    def near(self, geometries, distance_deg):
        from corridor.sealanes import LandMask

        return LandMask.near(self, geometries, distance_deg)


@pytest.mark.parametrize(
    ("line", "straight_km"),
    [
        ([(179.0, -17.0), (180.0, -20.0), (-179.0, -17.0)], 213),  # a coastal shortcut
        ([(175.0, -15.0), (180.0, -25.0), (-175.0, -15.0)], 1074),  # an open-ocean great circle
    ],
)
def test_shortcuts_cross_the_antimeridian_and_keep_clear_of_land_on_both_sides(line, straight_km):
    """A lane that dog-legs across the antimeridian (the base network crosses 180 degrees at a few
    points only) gets its shortcut, as long as its great circle; an island just east or just west
    of the meridian on the way keeps it out, as anywhere else."""
    from corridor.geo import haversine_km
    from corridor.sealanes import Lanes, find_shortcuts

    lanes = Lanes(coords=[], edges=[])
    lanes.add_line(line)
    (first, last) = (lanes.node(*line[0]), lanes.node(*line[-1]))
    assert haversine_km(*lanes.coords[first], *lanes.coords[last]) == pytest.approx(straight_km, abs=1)
    found = find_shortcuts(lanes, _Islands((0, 0, 1, 1)))
    assert {frozenset(pair) for pair in found} == {frozenset((first, last))}
    lat = line[0][1]
    for island in ((179.8, lat - 0.2, 180, lat + 0.2), (-180, lat - 0.2, -179.8, lat + 0.2)):
        assert find_shortcuts(lanes, _Islands(island)) == []


def test_an_island_port_s_lane_node_gets_its_great_circle_across_the_ocean(monkeypatch):
    """A lane node off an island (nearer land than the open-ocean clearance) may end a great
    circle: the lanes from Guam to Yap ran by a node 300 km off the way. The great circle keeps the
    open-ocean clearance beyond OCEAN_END_KM of such an end, so an islet on the way still keeps it
    out, and the end itself keeps the coastal shortcuts' clearance. The rule is off in the
    bundled data (OCEAN_END_KM = 0: it took the shortcut search from 10 minutes to an hour); on
    here as a dataset's preparation would set it."""
    import corridor.sealanes as sealanes
    from corridor.sealanes import Lanes, find_shortcuts

    monkeypatch.setattr(sealanes, "OCEAN_END_KM", 50.0)

    lanes = Lanes(coords=[], edges=[])
    lanes.add_line([(144.5, 13.45), (140.0, 10.0), (138.3, 9.5)])  # off Guam, a node far south, off Yap
    guam, yap = (144.6, 13.2, 144.9, 13.6), (138.0, 9.4, 138.2, 9.6)  # each 10-20 km from its node
    assert find_shortcuts(lanes, _Islands(guam, yap)) == [(0, 2)]
    assert find_shortcuts(lanes, _Islands(guam, yap, (141.3, 11.4, 141.4, 11.5))) == []  # an islet on the way
    assert find_shortcuts(lanes, _Islands((144.45, 13.2, 144.9, 13.6), yap)) == []  # a node on the shore
    monkeypatch.setattr(sealanes, "OCEAN_END_KM", 0.0)  # the rule before: open-ocean nodes only
    assert find_shortcuts(lanes, _Islands(guam, yap)) == []


def test_the_drawn_lanes_are_what_their_script_draws_clear_of_land(tmp_path):
    # The lanes drawn from waypoints (scripts/drawn_lanes.json) are in the corrections file as
    # scripts/draw_lanes.py draws them: joined to lane nodes, every segment clear of land by the
    # distance its entry asks.
    import shutil

    from .conftest import load_script

    script = load_script("draw_lanes")
    sea = bundled_data_dir() / "sea"
    shutil.copytree(sea, tmp_path / "sea")
    shutil.copytree(bundled_data_dir() / "land", tmp_path / "land")
    assert script.main(["--data", str(tmp_path), "--write"]) == 0
    assert (tmp_path / "sea" / "corrections.geojson").read_bytes() == (sea / "corrections.geojson").read_bytes()
