"""Properties of the loaders and validators: any input gives data or a DataError, never anything else."""

from __future__ import annotations

import contextlib
import csv
import gzip
import io
import json
import math
import re
import shutil
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from corridor.datasets import (
    ID_PATTERN,
    KINDS,
    LINK_COLUMNS,
    MODES,
    PLACE_COLUMNS,
    STATUSES,
    Place,
    _Problems,
    parse_link_row,
    parse_place_row,
    read_countries,
    read_links,
    read_parameters,
    read_places,
    read_sources,
    read_wpi,
)
from corridor.editing import UNSOURCED, add_place, default_kind, read_import
from corridor.errors import DataError
from corridor.sealanes import LandMask, read_lanes, read_shoals

from .conftest import BUNDLED, make_dataset, place, snapshot

COUNTRIES = read_countries(BUNDLED / "countries.csv")
FAST = settings(max_examples=200, deadline=None)
# The CLI and dataset fixtures are reset by hand for each example.
SLOW = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

# Cells that probe the validators' edges, mixed with arbitrary text.
TRICKY = st.sampled_from([
    "", " ", "nan", "NaN", "inf", "-inf", "1e309", "-0", "0", "0.0", "90", "90.0000001", "-90", "91", "180", "-181",
    "1_0", "0x10", "1,5", " 5 ", "1e-320", "١٢", "sea", "sea;air", ";", "rail;rail", "rail; road", "seaport", "lock",
    "planned", "closed", "yes", "no", "maybe", "down", "up", "CN", "cn", "QQ", "CNAAA", "estimate", "S1",
    "\x00", "\u2028", "'", '"', "a\nb", "\ud800", "100 20", "181 0;1 1", "1 2 3",
])  # fmt: skip
CELL = st.one_of(TRICKY, st.text(max_size=12))


def table(columns, required, rows) -> str:
    """Write rows (dicts of text) as CSV with the required columns plus those the rows use."""
    header = list(dict.fromkeys([*required, *(c for row in rows for c in row)]))
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=header, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow(row)
    return out.getvalue()


def write_text(directory: Path, name: str, text: str) -> Path:
    path = directory / name
    try:
        path.write_text(text, encoding="utf-8", newline="")
    except UnicodeEncodeError:  # lone surrogates: what a file of bad bytes decodes to
        path.write_bytes(text.encode("utf-8", "surrogatepass"))
    return path


def assert_sound_place(p: Place) -> None:
    assert ID_PATTERN.match(p.id) and p.name and p.name == p.name.strip()
    assert math.isfinite(p.lat) and math.isfinite(p.lon) and -90 <= p.lat <= 90 and -180 <= p.lon <= 180
    assert p.kind in KINDS and p.status in STATUSES and p.country in COUNTRIES
    assert p.modes and set(p.modes) <= set(MODES) and len(set(p.modes)) == len(p.modes)
    assert p.coord_source


# --------------------------------------------------------------------------- validators


@FAST
@given(st.dictionaries(st.sampled_from(PLACE_COLUMNS), CELL))
def test_the_place_validator_returns_a_sound_place_or_names_a_problem(row):
    problems = _Problems()
    found = parse_place_row(row, "here", problems, COUNTRIES)
    if found is None:
        assert problems.items and all(p.startswith("here: ") for p in problems.items)
    else:
        assert not problems.items
        assert_sound_place(found)


@FAST
@given(st.dictionaries(st.sampled_from(LINK_COLUMNS), CELL))
def test_the_link_validator_returns_a_sound_link_or_names_a_problem(row):
    problems = _Problems()
    link = parse_link_row(row, "here", problems)
    if link is None:
        assert problems.items
        return
    assert not problems.items
    assert link.mode in ("rail", "river", "road") and link.from_id and link.to_id and link.from_id != link.to_id
    for value in (link.distance_km, link.time_h, link.time_back_h, link.frequency_per_week):
        assert value is None or (math.isfinite(value) and value > 0)
    assert all(-180 <= lon <= 180 and -90 <= lat <= 90 for lon, lat in link.via)


# --------------------------------------------------------------------------- loaders

ANY_TEXT = st.one_of(st.text(), st.text(st.sampled_from(',;"\n\r abc1.-')))


@FAST
@given(st.one_of(ANY_TEXT, st.lists(st.dictionaries(st.sampled_from(PLACE_COLUMNS), CELL), max_size=5).map(
    lambda rows: table(PLACE_COLUMNS, ("id", "name", "country", "lat", "lon", "kind", "modes"), rows))))  # fmt: skip
def test_read_places_gives_sound_places_or_a_data_error(text):
    with tempfile.TemporaryDirectory() as tmp:
        path = write_text(Path(tmp), "places.csv", text)
        try:
            places = read_places(path, COUNTRIES)
        except DataError as exc:
            assert str(exc)
            return
    for pid, p in places.items():
        assert pid == p.id
        assert_sound_place(p)
    assert len({pid.upper() for pid in places}) == len(places)


@FAST
@given(st.one_of(ANY_TEXT, st.lists(st.dictionaries(st.sampled_from(LINK_COLUMNS), CELL), max_size=5).map(
    lambda rows: table(LINK_COLUMNS, ("id", "from", "to", "mode"), rows))))  # fmt: skip
def test_read_links_gives_links_between_known_places_or_a_data_error(text):
    known = {"CNAAA", "CN", "S1", "sea", "'"}
    with tempfile.TemporaryDirectory() as tmp:
        path = write_text(Path(tmp), "links.csv", text)
        try:
            links = read_links(path, known)
        except DataError:
            return
    assert all(link.from_id in known and link.to_id in known for link in links)
    assert len({link.id for link in links}) == len(links)


@FAST
@given(ANY_TEXT, st.sampled_from(["parameters", "countries", "sources", "wpi"]))
def test_the_other_tables_give_data_or_a_data_error(text, which):
    reader = {"parameters": read_parameters, "countries": read_countries, "sources": read_sources}.get(which)
    with tempfile.TemporaryDirectory() as tmp:
        path = write_text(Path(tmp), f"{which}.csv", text)
        with contextlib.suppress(DataError):
            reader(path) if reader else read_wpi(path, COUNTRIES)


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=20,
)


def features(geometry, properties):
    return st.fixed_dictionaries({"type": st.just("Feature"), "geometry": geometry, "properties": properties})


POINTS = st.lists(st.one_of(st.floats(-400, 400), st.integers(-400, 400), JSON), max_size=3)
LINES = st.fixed_dictionaries({
    "type": st.sampled_from(["LineString", "MultiLineString", "Point", "Polygon"]),
    "coordinates": st.one_of(JSON, st.lists(POINTS, max_size=4), st.lists(st.lists(POINTS, max_size=3), max_size=3)),
})  # fmt: skip
COLLECTIONS = st.one_of(
    JSON,
    st.fixed_dictionaries({
        "type": st.just("FeatureCollection"),
        "features": st.lists(st.one_of(JSON, features(st.one_of(LINES, JSON), st.one_of(JSON, st.fixed_dictionaries(
            {"action": st.sampled_from(["add", "remove", "shoal", "x"]), "reason": st.text(max_size=5),
             "passage": st.one_of(st.text(max_size=5), JSON)})))), max_size=4),
    }),
)  # fmt: skip


@FAST
@given(COLLECTIONS, COLLECTIONS)
def test_the_lane_files_give_lanes_or_a_data_error(lanes, corrections):
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "sea").mkdir()
        (root / "sea" / "marnet.geojson").write_text(json.dumps(lanes))
        (root / "sea" / "corrections.geojson").write_text(json.dumps(corrections))
        try:
            result = read_lanes(root)
            shoals = read_shoals(root)
        except DataError:
            return
    assert all(0 <= u < len(result.coords) and 0 <= v < len(result.coords) for u, v, _, _ in result.edges)
    assert all(shoal.geom_type == "Polygon" and shoal.is_valid for shoal in shoals)


POLYGONS = st.fixed_dictionaries({
    "type": st.just("FeatureCollection"),
    "features": st.lists(features(st.one_of(JSON, st.fixed_dictionaries({
        "type": st.sampled_from(["Polygon", "MultiPolygon", "Point", "LineString"]),
        "coordinates": st.one_of(JSON, st.lists(st.lists(POINTS, max_size=5), max_size=2)),
    })), JSON), max_size=3),
})  # fmt: skip


@FAST
@given(st.one_of(JSON, POLYGONS))
def test_the_land_file_gives_a_land_mask_or_a_data_error(collection):
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "land").mkdir()
        with gzip.open(root / "land" / "ne_10m_land.geojson.gz", "wt", encoding="utf-8") as handle:
            json.dump(collection, handle)
        try:
            mask = LandMask(root)
        except DataError:
            return
        mask.crosses((0.0, 0.0), (1.0, 1.0))  # a sound mask answers queries


IMPORT_FEATURES = st.fixed_dictionaries({
    "type": st.just("FeatureCollection"),
    "features": st.lists(st.one_of(JSON, features(
        st.one_of(JSON, st.fixed_dictionaries({"type": st.just("Point"), "coordinates": POINTS})),
        st.one_of(JSON, st.dictionaries(st.sampled_from([*PLACE_COLUMNS, "other"]), st.one_of(CELL, JSON))),
    )), max_size=4),
})  # fmt: skip


@FAST
@given(st.one_of(
    st.tuples(st.just("places.csv"), ANY_TEXT),
    st.tuples(st.just("places.geojson"), st.one_of(ANY_TEXT, IMPORT_FEATURES.map(json.dumps), JSON.map(json.dumps))),
    st.tuples(st.just("places.txt"), ANY_TEXT),
))  # fmt: skip
def test_an_import_file_gives_rows_or_a_data_error(named):
    name, text = named
    with tempfile.TemporaryDirectory() as tmp:
        path = write_text(Path(tmp), name, text)
        try:
            rows = read_import(path)
        except DataError:
            return
    assert rows
    for where, row in rows:
        assert where.startswith(str(path)) and row["coord_source"] and set(row) <= set(PLACE_COLUMNS)


# --------------------------------------------------------------------------- writing then reading

# Bidirectional-text controls and invisible characters are refused in every column
# (tests/test_hostile.py): a valid value holds none.
REFUSED = re.compile("[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\u00ad\u180e\u200b\u2060-\u2064\ufeff]")
ONE_LINE = (
    st.text(st.characters(blacklist_categories=("Cc", "Cs", "Zl", "Zp")), min_size=1, max_size=24)
    .map(str.strip)
    .filter(lambda s: bool(s) and not REFUSED.search(s))
)
TAKEN = {"CNAAA", "CNBBB", "CNCCC", "CNPPP"}
NEW_PLACES = st.fixed_dictionaries(
    {
        "place_id": st.from_regex(ID_PATTERN, fullmatch=True).filter(lambda s: s.upper() not in TAKEN),
        "name": ONE_LINE,
        "country": st.sampled_from(sorted(COUNTRIES)),
        "lat": st.floats(-90, 90),
        "lon": st.floats(-180, 180),
        "modes": st.lists(st.sampled_from(["rail", "road", "river"]), min_size=1, max_size=3, unique=True),
        # Any kind but a seaport: these places are inland, and a seaport without sea is refused.
        "kind": st.one_of(st.none(), st.sampled_from([k for k in KINDS if k != "seaport"])),
        "aliases": st.lists(ONE_LINE.filter(lambda a: ";" not in a and a.upper() not in TAKEN), max_size=3),
        "area": st.one_of(st.just(""), ONE_LINE),
        "status": st.sampled_from(STATUSES),
        "source": st.one_of(st.none(), ONE_LINE),
        "notes": st.one_of(st.just(""), ONE_LINE),
    }
)


@pytest.fixture
def clean(tmp_path):
    land = [[[0.0, 0.0], [4.0, 0.0], [4.0, 2.0], [0.0, 2.0], [0.0, 0.0]]]
    lanes = [([[0.5, -0.1], [2.0, -0.2], [3.5, -0.1]], {})]
    places = [
        place("CNAAA", "Alpha Port", 0.5, 0.0, ["sea", "rail", "road"]),
        place("CNBBB", "Bravo Port", 3.5, 0.0, ["sea", "rail", "road"]),
        place("CNCCC", "Charlie Terminal", 1.0, 1.5, ["rail", "road"], kind="rail_terminal"),
        place("CNPPP", "Planned Port", 2.0, 0.0, ["sea"], status="planned"),
    ]
    links = [{"id": "rail-a-b", "from": "CNAAA", "to": "CNBBB", "mode": "rail"}]
    root = make_dataset(tmp_path / "clean", places=places, links=links, lanes=lanes, land=land)
    (root / "sea" / "corrections.geojson").write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"action": "add", "reason": "a test lane joining the coast"},
         "geometry": {"type": "LineString", "coordinates": [[3.5, -0.1], [3.9, -0.5]]}},
    ]}))  # fmt: skip
    return root


@settings(SLOW, max_examples=60)
@given(NEW_PLACES)
def test_a_place_written_then_read_is_the_same_place(clean, fields):
    places = clean / "ports" / "places.csv"
    original = places.read_bytes()
    try:
        change = add_place(clean, **fields)
        (read,) = change.places
        expected = Place(
            id=fields["place_id"], name=fields["name"], country=fields["country"], lat=fields["lat"],
            lon=fields["lon"], kind=fields["kind"] or default_kind(fields["modes"]), modes=tuple(fields["modes"]),
            aliases=tuple(fields["aliases"]), area=fields["area"], status=fields["status"],
            coord_source=fields["source"] or UNSOURCED, source=fields["source"] or UNSOURCED, notes=fields["notes"],
        )  # fmt: skip
        assert read == expected
        assert read_places(places, COUNTRIES)[fields["place_id"]] == expected
        assert places.read_bytes().startswith(original)  # earlier rows are kept byte for byte
    finally:
        places.write_bytes(original)


# --------------------------------------------------------------------------- random bytes through the CLI

DATASET_FILES = [
    "ports/places.csv",
    "ports/wpi_ports.csv",
    "links/links.csv",
    "parameters.csv",
    "sources.csv",
    "countries.csv",
    "sea/marnet.geojson",
    "sea/corrections.geojson",
    "land/ne_10m_land.geojson.gz",
]
JUNK = st.one_of(
    st.binary(max_size=2048),
    st.sampled_from([b"", b"\x00", b"\xff\xfe", b"\x1f\x8b\x08\x00junk", b"{}", b"[]", b"null", b'"', b"\n\n"]),
)


@pytest.mark.parametrize("name", DATASET_FILES)
@SLOW
@given(junk=JUNK)
def test_random_bytes_as_a_dataset_file_exit_1_without_a_traceback_and_lose_nothing(clean, run, name, junk):
    (clean / "ports" / "wpi_ports.csv").write_text(
        "wpi_number,name,unlocode,country_code,lat,lon,harbor_size\n1,Delta Harbour,CNDDD,CN,-0.03,2.6,Small\n"
    )
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "d"
        shutil.copytree(clean, root)
        (root / name).write_bytes(junk)
        before = snapshot(root)
        commands = [
            ("validate", "--data", str(root)),
            ("route", "CNAAA", "CNBBB", "--data", str(root)),
            ("ports", "add", "--id", "CNNEW", "--name", "New", "--country", "CN", "--lat", "-0.02", "--lon", "1.0",
             "--modes", "sea", "--data", str(root)),
            ("links", "add", "CNAAA", "CNBBB", "--mode", "road", "--data", str(root)),
        ]  # fmt: skip
        for argv in commands:
            result = run(*argv)  # an uncaught exception fails the test here
            assert result.code == 1, (argv, result.out, result.err)
            assert "Traceback" not in result.err
            if argv[0] == "validate":
                assert result.out.splitlines()[0].endswith(f"problem(s) in {root}:")
            else:
                assert result.out == "" and result.err.startswith("corridor: ")
        assert snapshot(root) == before


@SLOW
@given(junk=st.binary(min_size=1, max_size=4096))
def test_random_bytes_as_an_import_file_exit_1_and_lose_nothing(clean, run, tmp_path, junk):
    assume(not junk.strip().startswith(b"id,"))
    before = snapshot(clean)
    for suffix in (".csv", ".geojson", ""):
        source = tmp_path / f"junk{suffix}"
        source.write_bytes(junk)
        result = run("ports", "import", str(source), "--data", str(clean))
        assert result.code == 1 and result.out == "" and "Traceback" not in result.err
    assert snapshot(clean) == before
