"""Extending a dataset: init, ports add, links add and import; validated first, atomic, losing nothing."""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from corridor.datasets import (
    LINK_COLUMNS,
    PLACE_COLUMNS,
    bundled_data_dir,
    data_files,
    is_estimate,
    load_dataset,
    read_links,
    read_places,
)
from corridor.editing import (
    UNSOURCED,
    add_link,
    add_place,
    edit_place,
    import_places,
    init_dataset,
    locked,
    write_atomic,
)
from corridor.errors import DataError, WriteError
from corridor.network import load_network

from .conftest import snapshot

NEW_PORT = (
    "--id",
    "CNNEW",
    "--name",
    "New Port",
    "--country",
    "CN",
    "--lat",
    "-0.02",
    "--lon",
    "1.0",
    "--modes",
    "sea",
)


def add_args(root: Path, *overrides: str, base=NEW_PORT) -> list[str]:
    """Return `ports add` arguments for a new seaport on the tiny coast, with flags replaced."""
    args = list(base)
    changes = dict(zip(overrides[::2], overrides[1::2], strict=True))
    for i in range(0, len(args), 2):
        args[i + 1] = changes.pop(args[i], args[i + 1])
    for flag, value in changes.items():
        args += [flag, value]
    return ["ports", "add", *args, "--data", str(root)]


def assert_clean_failure(result, code: int, message: str = "") -> None:
    """Exit code as expected, nothing on stdout, one line on stderr, no traceback."""
    assert result.code == code, result.err
    assert result.out == ""
    assert "Traceback" not in result.err
    lines = result.err.strip().splitlines()
    assert len(lines) == 1, result.err
    assert message in result.err


# --------------------------------------------------------------------------- init and selection


def test_init_copies_the_bundled_dataset(tmp_path, run):
    target = tmp_path / "mine"
    result = run("init", str(target))
    assert result.code == 0, result.err
    assert "--data" in result.out and "CORRIDOR_DATA" in result.out
    bundled = bundled_data_dir()
    copied = {p.relative_to(target): p.read_bytes() for p in data_files(target)}
    assert copied == {p.relative_to(bundled): p.read_bytes() for p in data_files(bundled)}
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no staging left behind


def test_init_refuses_a_directory_that_is_not_empty_and_keeps_it(tmp_path, run):
    target = tmp_path / "busy"
    target.mkdir()
    (target / "notes.txt").write_text("mine")
    assert_clean_failure(run("init", str(target)), 1, "not empty")
    assert [p.name for p in target.iterdir()] == ["notes.txt"]
    (tmp_path / "file").write_text("x")
    assert_clean_failure(run("init", str(tmp_path / "file")), 1, "is a file")


def test_init_fills_an_empty_directory_from_another_dataset(tiny, tmp_path):
    target = tmp_path / "empty"
    target.mkdir()
    init_dataset(target, source=tiny)
    assert snapshot(target) == snapshot(tiny)
    with pytest.raises(WriteError, match="inside the dataset"):
        init_dataset(tiny / "copy", source=tiny)


def test_data_option_and_environment_select_the_dataset(tiny, tmp_path, run, monkeypatch):
    other = tmp_path / "other"
    init_dataset(other, source=tiny)
    assert run(*add_args(tiny)).code == 0
    monkeypatch.setenv("CORRIDOR_DATA", str(other))
    result = run("ports", "add", *NEW_PORT[:1], "CNENV", *NEW_PORT[2:])
    assert result.code == 0, result.err
    assert "CNENV" in load_dataset(other).places and "CNNEW" not in load_dataset(other).places
    assert "CNENV" not in load_dataset(tiny).places


def test_without_a_selected_dataset_nothing_is_written(run):
    bundled = bundled_data_dir()
    before = {p: p.stat().st_mtime_ns for p in data_files(bundled)}
    result = run("ports", "add", *NEW_PORT)
    assert_clean_failure(result, 1, "no dataset selected")
    assert "corridor init" in result.err
    assert_clean_failure(run("links", "add", "CNQZH", "CNBHY", "--mode", "rail"), 1, "corridor init")
    assert {p: p.stat().st_mtime_ns for p in data_files(bundled)} == before


def test_writing_into_an_installed_package_is_refused(tiny, tmp_path, run):
    installed = tmp_path / "lib" / "python3" / "site-packages" / "corridor" / "data"
    shutil.copytree(tiny, installed)
    before = snapshot(installed)
    for argv in (add_args(installed), ["links", "add", "CNAAA", "CNBBB", "--mode", "road", "--data", str(installed)]):
        result = run(*argv)
        assert_clean_failure(result, 1, "corridor init")
    with pytest.raises(WriteError, match="corridor init"):
        add_place(installed, place_id="CNX1", name="X", country="CN", lat=1, lon=1, modes=["rail"])
    assert snapshot(installed) == before
    assert not (installed / ".corridor.lock").exists()


# --------------------------------------------------------------------------- ports add


def test_a_new_seaport_joins_the_lanes_and_is_routable_at_once(tiny, run):
    assert run("route", "CNAAA", "CNNEW", "--data", str(tiny)).code == 1  # also caches the old graph
    result = run(*add_args(tiny))
    assert result.code == 0, result.err
    assert "added New Port (CNNEW), seaport, sea" in result.out
    last = (tiny / "ports" / "places.csv").read_text().splitlines()[-1]
    assert last.startswith("CNNEW,New Port,") and UNSOURCED in last

    route = run("route", "CNBBB", "CNNEW", "--modes", "sea", "--format", "json", "--data", str(tiny))
    assert route.code == 0, route.err
    data = route.json()
    assert data["destination"]["id"] == "CNNEW"
    assert {leg["mode"] for leg in data["legs"]} == {"sea"}
    assert load_network(tiny).access["CNNEW"].nodes


def test_a_new_dry_port_and_its_rail_link_are_routable_at_once(tiny, run):
    added = run(*add_args(tiny, "--id", "CNDRY", "--name", "Inland Dry Port", "--lat", "1.5", "--lon", "2.0",
                          "--modes", "rail,road", "--kind", "dry_port", "--source", "S10 map"))  # fmt: skip
    assert added.code == 0, added.err
    assert "no route joins it" in added.err  # told to add a link next
    assert run("validate", "--data", str(tiny)).code == 1

    linked = run("links", "add", "Inland Dry Port", "bravo port", "--mode", "rail", "--distance-km", "280",
                 "--time-h", "6", "--frequency-per-week", "3", "--source", "S10 timetable",
                 "--data", str(tiny))  # fmt: skip
    assert linked.code == 0, linked.err
    assert "added rail link rail-cndry-cnbbb: CNDRY - CNBBB, 280 km" in linked.out
    link = read_links(tiny / "links" / "links.csv")[-1]
    assert (link.id, link.distance_km, link.time_h, link.frequency_per_week) == ("rail-cndry-cnbbb", 280, 6, 3)
    assert link.distance_source == link.time_source == link.frequency_source == "S10 timetable"

    route = run("route", "CNDRY", "CNBBB", "--format", "json", "--data", str(tiny)).json()
    assert [leg["mode"] for leg in route["legs"]] == ["rail"]
    assert route["legs"][0]["distance_km"] == 280
    place = read_places(tiny / "ports" / "places.csv")["CNDRY"]
    assert (place.kind, place.modes, place.coord_source) == ("dry_port", ("rail", "road"), "S10 map")


def test_figures_without_a_source_are_marked_as_unsourced_estimates(tiny):
    change = add_link(tiny, "CNAAA", "CNBBB", mode="road", distance_km=420.5, time_h=10)
    link = read_links(tiny / "links" / "links.csv")[-1]
    assert link == change.links[0]
    assert link.distance_source == link.time_source == UNSOURCED
    assert is_estimate(link.distance_source)
    place = add_place(tiny, place_id="CNMID", name="Middle", country="CN", lat=1, lon=2, modes="rail").places[0]
    assert is_estimate(place.coord_source) and place.kind == "rail_terminal"


def test_a_link_without_figures_is_measured_and_gets_a_fresh_id(tiny, run):
    first = run("links", "add", "CNAAA", "CNBBB", "--mode", "road", "--one-way", "--data", str(tiny))
    assert first.code == 0, first.err
    assert "measured" in first.err
    # The service the other way is another link; the same one again is refused (see test_edit_remove).
    second = run("links", "add", "CNBBB", "CNAAA", "--mode", "road", "--one-way", "--data", str(tiny))
    assert second.code == 0, second.err
    links = read_links(tiny / "links" / "links.csv")
    assert [(lk.id, lk.one_way, lk.distance_km) for lk in links[-2:]] == [
        ("road-cnaaa-cnbbb", True, None),
        ("road-cnbbb-cnaaa", True, None),
    ]
    third = run("links", "add", "CNAAA", "CNBBB", "--mode", "road", "--data", str(tiny))
    assert third.code == 1 and "corridor links edit road-cnaaa-cnbbb" in third.err


def test_a_row_is_appended_in_the_table_s_own_style_keeping_every_byte(tiny):
    places = tiny / "ports" / "places.csv"
    rows = list(csv.DictReader(places.open(encoding="utf-8")))
    header = ["notes", *(c for c in rows[0] if c != "notes")]  # a reordered header
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=header, lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(rows)
    old = ("\ufeff" + buffer.getvalue().removesuffix("\r\n")).encode()
    places.write_bytes(old)  # a BOM, Windows line endings and no newline at the end
    add_place(tiny, place_id="CNCRLF", name="Crlf, Depot", country="CN", lat=1, lon=1, modes=["road"], notes="n")
    now = places.read_bytes()
    assert now.startswith(old + b"\r\n") and now.endswith(b"\r\n")
    (added,) = csv.DictReader(io.StringIO(now[len(old) + 2 :].decode(), newline=""), fieldnames=header)
    assert (added["notes"], added["id"], added["name"], added["kind"]) == ("n", "CNCRLF", "Crlf, Depot", "dry_port")
    assert read_places(places)["CNCRLF"].notes == "n"


def test_a_dataset_without_a_links_table_gets_one(tiny, run):
    (tiny / "links" / "links.csv").unlink()
    result = run("links", "add", "CNAAA", "CNBBB", "--mode", "rail", "--data", str(tiny))
    assert result.code == 0, result.err
    text = (tiny / "links" / "links.csv").read_text()
    assert text.splitlines()[0] == ",".join(LINK_COLUMNS)
    assert [link.id for link in read_links(tiny / "links" / "links.csv")] == ["rail-cnaaa-cnbbb"]


def test_aliases_area_and_status_are_written(tiny):
    add_place(tiny, place_id="CNCCE", name="Charlie East", country="cn", lat=1.5, lon=1.4, modes=["road"],
              aliases=["East Gate", "Charlie E"], area="Charlie City", status="planned",
              notes="opens 2027")  # fmt: skip
    place = read_places(tiny / "ports" / "places.csv")["CNCCE"]
    assert place.aliases == ("East Gate", "Charlie E")
    assert (place.area, place.status, place.country, place.notes) == ("Charlie City", "planned", "CN", "opens 2027")
    with pytest.raises(DataError, match="separates aliases"):
        add_place(tiny, place_id="CNX2", name="X", country="CN", lat=1, lon=1, modes=["road"], aliases=["a;b"])


def test_a_mode_given_twice_is_written_once(tiny):
    # The API's {"modes": ["road"] * 1000} wrote "road" a thousand times into places.csv.
    add_place(tiny, place_id="CNCCF", name="Charlie Far", country="CN", lat=1.5, lon=1.4, modes=["road"] * 1000)
    assert ",1.5,1.4,dry_port,road,operational," in (tiny / "ports" / "places.csv").read_text(encoding="utf-8")
    edit_place(tiny, "CNCCF", modes="rail;road;RAIL")
    assert read_places(tiny / "ports" / "places.csv")["CNCCF"].modes == ("rail", "road")


def wpi_dataset(root: Path) -> Path:
    """Give a dataset a small World Port Index table: one port on the coast, one on a lake."""
    (root / "ports" / "wpi_ports.csv").write_text(
        "wpi_number,name,unlocode,country_code,lat,lon,harbor_size\n"
        "1,Delta Harbour,CNDDD,CN,-0.03,2.6,Small\n"
        "2,Lake Harbour,CNLKH,CN,1.5,2.5,Very Small\n"
    )
    return root


def test_a_place_given_a_world_port_id_stands_in_for_that_port(tiny, run):
    wpi_dataset(tiny)
    assert load_dataset(tiny).places["CNDDD"].origin == "wpi"
    result = run(*add_args(tiny, "--id", "CNDDD", "--name", "Delta Terminal", "--lon", "2.6", "--modes", "sea,rail"))
    assert result.code == 0, result.err
    assert "replaces the World Port Index entry CNDDD" in result.err
    place = load_dataset(tiny).places["CNDDD"]
    assert (place.origin, place.name, place.modes) == ("curated", "Delta Terminal", ("sea", "rail"))


def test_a_seaport_beside_a_world_port_is_pointed_at_its_id(tiny):
    wpi_dataset(tiny)
    change = add_place(tiny, place_id="CNDD2", name="Delta Two", country="CN", lat=-0.02, lon=2.7, modes=["sea"])
    assert any("Delta Harbour (CNDDD)" in note and "give your place the id CNDDD" in note for note in change.notes)
    assert {"CNDD2", "CNDDD"} <= load_dataset(tiny).places.keys()


# --------------------------------------------------------------------------- bad input loses nothing


@pytest.mark.parametrize(
    ("overrides", "code", "message"),
    [
        (("--lat", "91"), 1, "lat: 91 is outside [-90, 90]"),
        (("--lat", "-90.5"), 1, "lat: -90.5 is outside"),
        (("--lon", "180.01"), 1, "lon: 180.01 is outside"),
        (("--lat", "nan"), 2, "not a finite number"),
        (("--lon", "inf"), 2, "not a finite number"),
        (("--lat", "north"), 2, "not a number"),
        (("--lat", "1_5"), 2, "'1_5' is not a number"),  # float() took it for 15
        (("--lon", "\u0661"), 2, "is not a number"),  # an Arabic-Indic 1, which float() takes
        (("--id", "CNAAA"), 1, "duplicate id 'CNAAA'"),
        (("--id", "cnbbb"), 1, "duplicate id 'cnbbb': Bravo Port"),
        (("--id", "Alpha"), 1, "is an alias of Alpha Port (CNAAA)"),
        (("--id", "X"), 1, "is not a valid id"),
        (("--alias", "CNBBB"), 1, "'CNBBB' is the id of Bravo Port"),
        # A name that is another place's id: `route CNBBB` would still go to Bravo Port, and
        # `route cnbbb` would ask which of the two was meant.
        (("--name", "cnbbb"), 1, "name: 'cnbbb' is the id of Bravo Port"),
        (("--modes", "sea,air"), 2, "--modes"),
        (("--modes", ""), 2, "--modes"),
        (("--kind", "airport"), 2, "--kind"),
        (("--country", "QQ"), 1, "'QQ' is not a known country code"),
        (("--country", "China"), 1, "is not an ISO 3166 alpha-2 code"),
        (("--name", ""), 1, "name: is empty"),
        (("--name", "   "), 1, "name: is empty"),
        (("--name", "Two\nlines"), 1, "name: contains a control character"),
        (("--name", "Bad byte \udcff"), 1, "name: contains an undecodable byte"),
        (("--source", "tab\there"), 1, "source: contains a control character"),
        (("--lat", "1.5", "--lon", "2.0"), 1, "lies across land"),  # the middle of the continent
        (("--lat", "0.8", "--lon", "2.0"), 1, "lies across land"),  # inland, its only lane across land
        (("--status", "planned", "--lat", "1.5", "--lon", "2.0"), 1, "lies across land"),
        (("--alias", "One;Two"), 1, "separates aliases"),
    ],
)
def test_bad_place_input_exits_cleanly_and_changes_nothing(tiny, run, overrides, code, message):
    before = snapshot(tiny)
    assert_clean_failure(run(*add_args(tiny, *overrides)), code, message)
    assert snapshot(tiny) == before


def test_undecodable_bytes_on_the_command_line_change_nothing(tiny):
    before = snapshot(tiny)
    argv = [os.fsencode(a) for a in add_args(tiny)]
    argv[argv.index(b"--name") + 1] = b"Caf\xe9 Port"  # Latin-1, not UTF-8
    done = subprocess.run([sys.executable, "-m", "corridor", *argv], capture_output=True, timeout=120)
    assert done.returncode == 1
    assert b"undecodable byte" in done.stderr and b"Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
    assert snapshot(tiny) == before


@pytest.mark.parametrize(
    ("argv", "code", "message"),
    [
        (("CNAAA", "Nowhere"), 1, "unknown place 'Nowhere'"),
        (("CNAAA", "IDIII"), 1, "Island Port (IDIII) does not serve rail"),
        (("CNAAA", "CNAAA"), 1, "to: equals from"),
        (("CNAAA", "Charlie City"), 1, "names the area Charlie City"),
        (("CNAAA", "CNBBB", "--mode", "sea"), 2, "--mode"),
        (("CNBBB", "CNCCC", "--distance-km", "50000"), 1, "distance_km: 50000 is outside"),
        (("CNBBB", "CNCCC", "--distance-km", "100"), 1, "shorter than the 324 km great-circle distance"),
        (("CNBBB", "CNCCC", "--distance-km", "3240"), 1, "distance_km 3240 is over 5 times the 324 km"),  # 324.0
        (("CNBBB", "CNCCC", "--distance-km", "-5"), 2, "not a positive number"),
        (("CNBBB", "CNCCC", "--time-h", "nan"), 2, "not a positive number"),
        (("CNBBB", "CNCCC", "--id", "rail-a-b"), 1, "link id 'rail-a-b' is taken"),
        (("CNBBB", "CNCCC", "--id", "bad id!"), 1, "id: 'bad id!' is not a valid id"),
        (("CNBBB", "CNCCC", "--name", "a\tb"), 1, "name: contains a control character"),
    ],
)
def test_bad_link_input_exits_cleanly_and_changes_nothing(tiny, run, argv, code, message):
    before = snapshot(tiny)
    mode = () if "--mode" in argv else ("--mode", "rail")
    assert_clean_failure(run("links", "add", *argv, *mode, "--data", str(tiny)), code, message)
    assert snapshot(tiny) == before


def test_a_link_to_a_planned_place_is_refused(tiny, run):
    add_place(tiny, place_id="CNSOON", name="Soon", country="CN", lat=1, lon=3, modes=["rail"], status="planned")
    before = snapshot(tiny)
    assert_clean_failure(
        run("links", "add", "CNAAA", "CNSOON", "--mode", "rail", "--data", str(tiny)), 1, "Soon (CNSOON) is planned"
    )
    assert snapshot(tiny) == before


def test_a_link_to_a_world_port_says_how_to_give_it_the_mode(tiny, run):
    wpi_dataset(tiny)
    result = run("links", "add", "CNAAA", "Delta Harbour", "--mode", "rail", "--data", str(tiny))
    assert_clean_failure(result, 1, "corridor ports add --id CNDDD ... --modes sea,rail")


@pytest.mark.parametrize(
    "command",
    [
        lambda root: add_args(root),
        lambda root: ["links", "add", "CNAAA", "CNBBB", "--mode", "road", "--data", str(root)],
        lambda root: ["ports", "import", str(Path(__file__).parent / "data" / "import_ok.csv"), "--data", str(root)],
        lambda root: ["validate", "--data", str(root)],
        lambda root: ["route", "CNAAA", "CNBBB", "--data", str(root)],
    ],
    ids=["ports-add", "links-add", "ports-import", "validate", "route"],
)
def test_a_missing_dataset_directory_exits_1(tmp_path, run, command):
    assert_clean_failure(run(*command(tmp_path / "missing")), 1, "does not exist")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "is empty"),
        (b"\x00\x01\x02binary\x00", "binary"),
        ("id,name,country,lat,lon,kind,modes\nCNAAA,S\xe3o,CN,0,0,seaport,sea\n".encode("latin-1"), "not UTF-8"),
        (b'id,name,country,lat,lon,kind,modes\n"unterminated,x', "malformed CSV"),
        (b"not,a,places,table\n1,2,3,4\n", "lacks column"),
        ("\ufeffid,name\n".encode("utf-16"), "binary"),
    ],
)
def test_a_broken_places_table_refuses_every_write_and_is_kept(tiny, run, content, message):
    (tiny / "ports" / "places.csv").write_bytes(content)
    before = snapshot(tiny)
    commands = [
        add_args(tiny),
        ["links", "add", "CNAAA", "CNBBB", "--mode", "road", "--data", str(tiny)],
        ["ports", "import", str(Path(__file__).parent / "data" / "import_ok.csv"), "--data", str(tiny)],
    ]
    for argv in commands:
        assert_clean_failure(run(*argv), 1, message)
    assert snapshot(tiny) == before


def test_a_broken_links_table_refuses_writes(tiny, run):
    links = tiny / "links" / "links.csv"
    links.write_text(links.read_text() + "rail-x,CNAAA,CNZZZ,rail\n")
    before = snapshot(tiny)
    assert_clean_failure(run(*add_args(tiny)), 1, "unknown place 'CNZZZ'")
    assert_clean_failure(run("links", "add", "CNAAA", "CNBBB", "--mode", "road", "--data", str(tiny)), 1, "CNZZZ")
    assert snapshot(tiny) == before


# --------------------------------------------------------------------------- import


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_import_csv_adds_every_row(tiny, tmp_path, run):
    source = write(tmp_path / "new.csv", (
        "id,name,country,lat,lon,modes,kind,aliases,handling_h\n"
        "CNIM1,Import One,CN,-0.02,1.5,sea,,One;Uno,12\n"
        'CNIM2,"Import Two, inland",CN,1.2,3.0,"rail,road",dry_port,,\n'
    ))  # fmt: skip
    result = run("ports", "import", str(source), "--data", str(tiny))
    assert result.code == 0, result.err
    assert "imported 2 place(s)" in result.out
    places = read_places(tiny / "ports" / "places.csv")
    one, two = places["CNIM1"], places["CNIM2"]
    assert (one.kind, one.aliases, one.handling_h) == ("seaport", ("One", "Uno"), 12)
    assert one.handling_source == one.coord_source == "estimate: imported from new.csv, unsourced"
    assert (two.name, two.modes, two.kind) == ("Import Two, inland", ("rail", "road"), "dry_port")
    assert load_network(tiny).access["CNIM1"].nodes


def test_import_geojson_adds_every_feature_and_they_route(tiny, tmp_path, run):
    features = [
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [2.2, -0.02]},
         "properties": {"id": "CNGJ1", "name": "Geo Port", "country": "CN", "modes": ["sea", "road"],
                        "source": "survey 2024"}},
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [2.2, 1.0, 35.0]},
         "properties": {"id": "CNGJ2", "name": "Geo Depot", "country": "CN", "modes": "road", "kind": "dry_port",
                        "dwell_h": 4, "dwell_source": "estimate: customs"}},
    ]  # fmt: skip
    source = write(tmp_path / "new.geojson", json.dumps({"type": "FeatureCollection", "features": features}, indent=1))
    result = run("ports", "import", str(source), "--data", str(tiny))
    assert result.code == 0, result.err
    places = read_places(tiny / "ports" / "places.csv")
    assert (places["CNGJ1"].lon, places["CNGJ1"].lat, places["CNGJ1"].coord_source) == (2.2, -0.02, "survey 2024")
    assert places["CNGJ2"].dwell_h == 4
    assert run("route", "CNAAA", "CNGJ1", "--modes", "sea", "--data", str(tiny)).code == 0


def test_import_geojson_with_a_legacy_crs_member_is_reprojected(tiny, tmp_path, run):
    # GeoJSON before RFC 7946 could name its CRS: Web Mercator metres were taken for degrees and refused.
    point = {"type": "Feature", "geometry": {"type": "Point", "coordinates": [244902.9, -2226.4]},
             "properties": {"id": "CNGJ3", "name": "Mercator Port", "country": "CN", "modes": "sea"}}  # fmt: skip
    crs = {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::3857"}}
    document = {"type": "FeatureCollection", "crs": crs, "features": [point]}
    source = write(tmp_path / "merc.geojson", json.dumps(document))
    result = run("ports", "import", str(source), "--data", str(tiny))
    assert result.code == 0, result.err
    place = read_places(tiny / "ports" / "places.csv")["CNGJ3"]
    assert (round(place.lon, 4), round(place.lat, 4)) == (2.2, -0.02)  # 6,378,137 m times 2.2 degrees in radians
    crs["properties"]["name"] = "EPSG:99999"
    source.write_text(json.dumps(document), encoding="utf-8")
    result, _ = refused_import(run, tiny, source)
    assert "crs: 'EPSG:99999' is no CRS pyproj knows" in result.err
    document["crs"] = {"type": "name", "properties": "EPSG:3857"}  # not an object: refused, no traceback
    source.write_text(json.dumps(document), encoding="utf-8")
    result, _ = refused_import(run, tiny, source)
    assert "crs: name the CRS as" in result.err


def refused_import(run, tiny, source):
    """Import `source` into `tiny`, which must refuse it and write nothing; return the result and its problem lines."""
    before = snapshot(tiny)
    result = run("ports", "import", str(source), "--data", str(tiny))
    assert result.code == 1 and result.out == "" and "Traceback" not in result.err
    assert snapshot(tiny) == before
    return result, [line.strip() for line in result.err.splitlines()[1:]]


def test_import_reports_every_bad_row_with_its_line_and_column_and_writes_nothing(tiny, tmp_path, run):
    source = write(tmp_path / "bad.csv", (
        "id,name,country,lat,lon,modes\n"
        "CNOK1,Fine,CN,1.0,1.0,rail\n"
        "CNOK2,,CN,1.0,1.0,rail\n"
        "CNOK3,Too far north,CN,91,1.0,rail\n"
        "CNOK4,Not a number,CN,1.0,east,rail\n"
        "CNOK8,Other digits,CN,\u0661,1.0,rail\n"
        "CNOK5,Flying,CN,1.0,1.0,air\n"
        "CNOK1,Twice,CN,1.0,1.0,rail\n"
        "CNOK6,Nowhere,QQ,1.0,1.0,rail\n"
        "CNAAA,Taken,CN,1.0,1.0,rail\n"
        "CNOK7,Inland sea port,CN,1.5,2.0,sea\n"
    ))  # fmt: skip
    result, listed = refused_import(run, tiny, source)
    assert listed == [
        f"{source}:3: name: is empty",
        f"{source}:4: lat: 91 is outside [-90, 90]",
        f"{source}:5: lon: 'east' is not a number",
        f"{source}:6: lat: '\u0661' is not a number",  # stored as written, which other tools do not read
        f"{source}:7: modes: 'air' is not one of rail, river, sea, road",
        f"{source}:8: id: duplicate id 'CNOK1' (first at {source}:2)",
        f"{source}:9: country: 'QQ' is not a known country code",
        f"{source}:10: id: duplicate id 'CNAAA': Alpha Port (CN) has it",
        f"{source}:11: lat/lon: Inland sea port (CNOK7) is a seaport but cannot join the sea lanes: every sea "
        "lane within 450 km lies across land more than 14 km from its position (inland, or on a river, canal or "
        "lake that Natural Earth 1:10m land does not resolve); check the position (a seaport is on a coast) or "
        "leave sea out of its modes",
    ]
    assert result.err.startswith(f"corridor: cannot import {source}: 9 problems")


def test_import_refuses_a_name_or_alias_that_is_the_id_of_another_row_of_the_import(tiny, tmp_path, run):
    # Names and aliases were checked against the dataset's ids only: `route CNNEW2` would have
    # gone to the second row while the first was named for it.
    source = write(tmp_path / "crossed.csv", (
        "id,name,country,lat,lon,modes,aliases\n"
        "CNNEW1,CNNEW2,CN,1.0,1.0,rail,\n"
        "CNNEW2,Second,CN,1.1,1.1,rail,cnnew1\n"
        "CNNEW3,Third,CN,1.2,1.2,rail,Third stop\n"
    ))  # fmt: skip
    assert refused_import(run, tiny, source)[1] == [
        f"{source}:2: name: 'CNNEW2' is the id of the place at {source}:3",
        f"{source}:3: aliases: 'cnnew1' is the id of the place at {source}:2",
    ]


def test_import_geojson_problems_name_the_line_of_each_feature(tiny, tmp_path):
    source = write(tmp_path / "bad.geojson", (
        '{"type": "FeatureCollection", "features": [\n'
        '  {"type": "Feature", "geometry": {"type": "Point", "coordinates": [1, 1]},\n'
        '   "properties": {"id": "CNOK1", "name": "Fine", "country": "CN", "modes": ["rail"]}},\n'
        '  {"type": "Feature", "geometry": {"type": "Point", "coordinates": [1, 95]},\n'
        '   "properties": {"id": "CNOK2", "name": "North", "country": "CN", "modes": ["rail"]}},\n'
        '  {"type": "Feature", "geometry": null, "properties": {"id": "CNOK3", "colour": "red"}},\n'
        '  {"type": "Feature", "geometry": {"type": "Point", "coordinates": [1, 1]},\n'
        '   "properties": {"id": "CNOK4", "name": "Where", "country": "CN", "modes": ["rail"], "lat": 2}},\n'
        "  [1, 2]\n"
        "]}\n"
    ))  # fmt: skip
    before = snapshot(tiny)
    with pytest.raises(DataError) as info:
        import_places(tiny, source)
    assert info.value.problems == [
        f"{source}:4: feature 2: lat: 95 is outside [-90, 90]",
        f"{source}:6: feature 3: geometry: must be a Point with coordinates [lon, lat]",
        f"{source}:6: feature 3: colour: unknown property (names: {', '.join(PLACE_COLUMNS)})",
        f"{source}:7: feature 4: lat: give the position as the Point geometry, not as a property",
        f"{source}:9: feature 5: is not a GeoJSON Feature",
    ]
    assert snapshot(tiny) == before


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("empty.csv", b"", "is empty"),
        ("blank.geojson", b"  \n ", "is empty"),
        ("header.csv", b"id,name,country,lat,lon,modes\n", "has no places to import"),
        ("binary.csv", bytes(range(256)), "binary"),
        (
            "latin1.csv",
            "id,name,country,lat,lon,modes\nBRSSZ,Santos S\xe3o,BR,-23.9,-46.3,sea\n".encode("latin-1"),
            "not UTF-8",
        ),
        ("utf16.csv", "id,name,country,lat,lon,modes\n".encode("utf-16"), "binary"),
        (
            "columns.csv",
            b"id,name,country,latitude,longitude,modes\nX1,Y,CN,1,1,rail\n",
            "unknown column(s) 'latitude'",
        ),
        ("missing.csv", b"id,name,country,lat,modes\nX1,Y,CN,1,rail\n", "lacks column(s) lon"),
        ("quote.csv", b'id,name,country,lat,lon,modes\nX1,"open,CN,1,1,rail\n', "malformed CSV"),
        ("twice.csv", b"id,name,country,lat,lon,modes,name\nX1,A,CN,1,1,rail,B\n", "'name' appear more than once"),
        ("broken.geojson", b'{"type": "FeatureCollection", "features": [\n{"a": 1,}\n]}', "broken.geojson:2:"),
        ("list.geojson", b"[1, 2, 3]", "no list of features"),
        ("deep.geojson", b"[" * 100_000 + b"]" * 100_000, "not a GeoJSON FeatureCollection"),
        (
            "huge.geojson",
            b'{"type": "FeatureCollection", "features": [{"type": "Feature", "geometry": {"type": '
            b'"Point", "coordinates": [1e400, 1]}, "properties": {"id": "X1", "name": "Y", "country": "CN", '
            b'"modes": "rail"}}]}',
            "lon: 'inf' is not a finite number",
        ),
    ],
)
def test_import_of_a_bad_file_exits_1_and_changes_nothing(tiny, tmp_path, run, name, content, message):
    source = tmp_path / name
    source.write_bytes(content)
    before = snapshot(tiny)
    assert_clean_failure(run("ports", "import", str(source), "--data", str(tiny)), 1, message)
    assert snapshot(tiny) == before


def test_import_of_something_that_is_not_a_file_exits_1(tiny, tmp_path, run):
    assert_clean_failure(run("ports", "import", str(tmp_path / "none.csv"), "--data", str(tiny)), 1, "does not exist")
    assert_clean_failure(run("ports", "import", str(tmp_path), "--data", str(tiny)), 1, "is a directory, not a file")


# --------------------------------------------------------------------------- the writer


def test_write_atomic_replaces_the_file_keeping_its_mode(tmp_path):
    target = tmp_path / "table.csv"
    target.write_text("old\n")
    target.chmod(0o640)
    write_atomic(target, b"new\n")
    assert target.read_bytes() == b"new\n"
    assert target.stat().st_mode & 0o777 == 0o640
    assert [p.name for p in tmp_path.iterdir()] == ["table.csv"]


def test_write_atomic_writes_through_a_link_and_keeps_it(tmp_path):
    shared = tmp_path / "shared"
    shared.mkdir()
    (shared / "table.csv").write_text("old\n")
    dataset = tmp_path / "dataset"
    dataset.mkdir()
    (dataset / "table.csv").symlink_to(shared / "table.csv")
    write_atomic(dataset / "table.csv", b"new\n")
    assert (dataset / "table.csv").is_symlink()
    assert (shared / "table.csv").read_bytes() == b"new\n"
    assert sorted(p.name for p in dataset.iterdir()) == ["table.csv"]
    assert sorted(p.name for p in shared.iterdir()) == ["table.csv"]


def test_a_place_added_to_a_linked_table_goes_into_the_linked_file(tiny, tmp_path):
    # A dataset whose places table is a link to a shared file: the new row is in the shared
    # file, and the dataset still links to it.
    table = tiny / "ports" / "places.csv"
    shared = tmp_path / "shared-places.csv"
    shutil.copy(table, shared)
    table.unlink()
    table.symlink_to(shared)
    add_place(tiny, place_id="XXLNK", name="Linked Town", country="CN", lat=30.0, lon=104.0, modes="road", kind="city")
    assert table.is_symlink()
    assert "XXLNK,Linked Town" in shared.read_text()


def test_a_failing_write_keeps_the_old_file_and_no_temporary(tmp_path, monkeypatch):
    target = tmp_path / "table.csv"
    target.write_text("old\n")

    def full_disk(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", full_disk)
    with pytest.raises(WriteError, match="No space left on device"):
        write_atomic(target, b"new\n")
    assert target.read_bytes() == b"old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["table.csv"]


def test_a_read_only_table_is_not_replaced_by_a_write(tiny, run):
    # A rename in a writable directory replaces a file whatever its mode: a table made
    # read-only to protect it must be refused, not rewritten (and stay read-only).
    tables = [tiny / "ports" / "places.csv", tiny / "links" / "links.csv"]
    for table in tables:
        table.chmod(0o444)
    before = snapshot(tiny)
    commands = [
        add_args(tiny, "--id", "CNROX"),
        ["ports", "edit", "CNCCD", "--notes", "changed", "--data", str(tiny)],
        ["links", "add", "CNCCD", "CNAAA", "--mode", "road", "--data", str(tiny)],
        ["links", "edit", "rail-a-b", "--frequency-per-week", "3", "--data", str(tiny)],
        ["links", "remove", "road-c-d", "--data", str(tiny)],
    ]
    for argv in commands:
        assert_clean_failure(run(*argv), 1, "is read-only")
    assert snapshot(tiny) == before
    assert [table.stat().st_mode & 0o777 for table in tables] == [0o444, 0o444]


def test_a_writer_that_cannot_get_the_lock_gives_up_with_a_message(tiny):
    with locked(tiny), pytest.raises(WriteError, match="another corridor command"), locked(tiny, timeout_s=0.1):
        pass


def corridor_process(*argv: str, hooks: Path | None = None, pause: str = "") -> subprocess.Popen:
    """Start `python -m corridor` with the write test hooks (see corridor.editing._test_hook)."""
    env = dict(os.environ)
    if hooks is not None:
        env["CORRIDOR_TEST_HOOK_DIR"] = str(hooks)
        env["CORRIDOR_TEST_PAUSE"] = pause
    return subprocess.Popen(
        [sys.executable, "-m", "corridor", *argv], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def wait_for(marker: Path, process: subprocess.Popen, *, limit_s: float = 120) -> None:
    """Wait until a writer reaches a stage; fail (not hang) if it ends or stalls first."""
    deadline = time.monotonic() + limit_s
    while not marker.exists():
        if process.poll() is not None:
            pytest.fail(f"the writer ended ({process.returncode}) before {marker.name}: {process.stderr.read()}")
        if time.monotonic() > deadline:
            process.kill()
            pytest.fail(f"the writer never reached {marker.name}")
        time.sleep(0.01)


def test_two_writers_at_once_both_land(tiny, tmp_path):
    hooks_a, hooks_b = tmp_path / "a", tmp_path / "b"
    hooks_a.mkdir()
    hooks_b.mkdir()
    # A holds the lock, having read the table, and waits; B starts and must queue behind it.
    a = corridor_process(*add_args(tiny, "--id", "CNONE", "--lon", "1.0"), hooks=hooks_a, pause="read")
    wait_for(hooks_a / "read", a)
    b = corridor_process(*add_args(tiny, "--id", "CNTWO", "--lon", "3.0"), hooks=hooks_b)
    wait_for(hooks_b / "lock-wait", b)
    assert b.poll() is None  # it cannot finish while A holds the lock
    (hooks_a / "read.release").touch()
    for process in (a, b):
        _, err = process.communicate(timeout=120)
        assert process.returncode == 0, err
        assert "Traceback" not in err
    assert {"CNONE", "CNTWO"} <= load_dataset(tiny).places.keys()
    assert not (hooks_a / "lock-wait").exists()  # A never waited


def test_many_writers_racing_all_land(tiny):
    ids = [f"CNRC{i}" for i in range(4)]
    processes = [
        corridor_process(*add_args(tiny, "--id", pid, "--lon", f"{0.8 + 0.6 * i:.1f}")) for i, pid in enumerate(ids)
    ]
    for process in processes:
        _, err = process.communicate(timeout=180)
        assert process.returncode == 0, err
    assert set(ids) <= load_dataset(tiny).places.keys()


@pytest.mark.parametrize(
    ("stage", "lands"), [("read", False), ("partial", False), ("written", False), ("replaced", True)]
)
def test_a_writer_killed_at_any_stage_leaves_the_old_file_or_the_new_one(tiny, tmp_path, stage, lands):
    places = tiny / "ports" / "places.csv"
    old = places.read_bytes()
    writer = corridor_process(*add_args(tiny), hooks=tmp_path, pause=stage)
    wait_for(tmp_path / stage, writer)
    temporaries = list(places.parent.glob(".places.csv.*.tmp"))
    if stage == "partial":  # half the new table is on disk, beside the real one
        (temporary,) = temporaries
        torn = temporary.read_bytes()
        assert torn and old.startswith(torn) and len(torn) < len(old)
    os.kill(writer.pid, signal.SIGKILL)
    writer.communicate(timeout=60)
    assert writer.returncode == -signal.SIGKILL

    now = places.read_bytes()
    if lands:
        assert now.startswith(old) and now.decode().splitlines()[-1].startswith("CNNEW,New Port,")
    else:
        assert now == old
    assert ("CNNEW" in load_dataset(tiny).places) is lands
    # The next write works, takes the lock the dead writer held, and clears what it left.
    again = corridor_process(*add_args(tiny, "--id", "CNAFTER"))
    _, err = again.communicate(timeout=120)
    assert again.returncode == 0, err
    assert not list(places.parent.glob(".places.csv.*.tmp"))
    assert "CNAFTER" in load_dataset(tiny).places


# --------------------------------------------------------------------------- the real dataset


def test_extending_a_copy_of_the_bundled_dataset_end_to_end(tmp_path, run):
    mine = tmp_path / "mine"
    assert run("init", str(mine)).code == 0
    port = run("ports", "add", "--id", "CNLYG", "--name", "Lianyungang Port", "--country", "CN", "--lat", "34.74",
               "--lon", "119.45", "--modes", "sea,rail", "--source", "UNLOCODE", "--data", str(mine))  # fmt: skip
    assert port.code == 0, port.err
    assert "replaces the World Port Index entry CNLYG" in port.err
    dry = run("ports", "add", "--id", "CNXAX", "--name", "Xi'an International Port", "--country", "CN",
              "--lat", "34.42", "--lon", "109.03", "--modes", "rail,road", "--kind", "dry_port",
              "--data", str(mine))  # fmt: skip
    assert dry.code == 0, dry.err
    link = run("links", "add", "CNXAX", "Lianyungang Port", "--mode", "rail", "--distance-km", "1100", "--time-h", "36",
               "--data", str(mine))  # fmt: skip
    assert link.code == 0, link.err
    route = run("route", "Xi'an International Port", "lianyungang port", "--format", "json", "--data", str(mine))
    route = route.json()
    assert [leg["mode"] for leg in route["legs"]] == ["rail"]
    assert route["totals"]["distance_km"] == 1100
    checked = run("validate", "--data", str(mine))
    assert checked.code == 0, checked.out
    assert "no problems" in checked.out


def test_a_link_across_a_border_says_what_it_does_about_customs(tiny, run):
    # Tiny's places are Chinese; a Vietnamese terminal makes a link across a border with no
    # border place at either end, which charges no clearance unless it says how.
    add_place(tiny, place_id="VNDDD", name="Delta Terminal", country="VN", lat=1.5, lon=2.5, modes=["rail"])
    result = run("links", "add", "CNCCC", "VNDDD", "--mode", "rail", "--data", str(tiny))
    assert result.code == 0, result.err
    assert "crosses from CN to VN with no border place at either end" in result.err
    assert "--customs cleared" in result.err
    result = run("links", "edit", "rail-cnccc-vnddd", "--customs", "cleared", "--data", str(tiny))
    assert result.code == 0, result.err
    assert "no border place" not in result.err
    rows = list(csv.DictReader((tiny / "links" / "links.csv").open(encoding="utf-8")))
    assert [r["customs"] for r in rows if r["id"] == "rail-cnccc-vnddd"] == ["cleared"]
    assert load_network(tiny).links["rail-cnccc-vnddd"].customs == "cleared"
    # Inside one country nothing is said; a value outside the three is refused by the parser.
    result = run("links", "add", "CNAAA", "CNCCC", "--mode", "road", "--customs", "none", "--data", str(tiny))
    assert result.code == 0 and "no border place" not in result.err
    before = snapshot(tiny)
    assert_clean_failure(run("links", "edit", "rail-cnccc-vnddd", "--customs", "maybe", "--data", str(tiny)), 2)
    assert snapshot(tiny) == before


def test_no_write_makes_a_link_clear_customs_inside_one_country(tiny, tmp_path, run):
    # Such a link makes the dataset refuse to load (validate, every route): each write that would
    # make one is refused, whether it gives the link or moves one of its ends into the other's country.
    add_place(tiny, place_id="VNDDD", name="Delta Terminal", country="VN", lat=1.5, lon=2.5, modes=["rail"])
    add_link(tiny, "CNCCC", "VNDDD", mode="rail", customs="cleared")
    (tmp_path / "cleared.csv").write_text("from,to,mode,customs\nCNAAA,CNCCC,road,cleared\n", encoding="utf-8")
    before = snapshot(tiny)
    for argv in (
        ("links", "add", "CNAAA", "CNCCC", "--mode", "road", "--customs", "cleared"),
        ("links", "edit", "rail-c-a", "--customs", "cleared"),
        ("links", "import", str(tmp_path / "cleared.csv")),
        ("ports", "edit", "VNDDD", "--country", "CN"),
    ):
        assert_clean_failure(run(*argv, "--data", str(tiny)), 1, "customs: is cleared, but both ends are in CN")
        assert snapshot(tiny) == before
    assert load_network(tiny).links["rail-c-a"].customs == ""
