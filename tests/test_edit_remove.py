"""Editing and removing places and links, importing links, and imports from GIS files:
validated first, every other byte kept, nothing changed on refusal."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from corridor.datasets import LINKS_FILE, PLACES_FILE, load_dataset, read_links, read_places
from corridor.network import load_network
from corridor.routing import find_routes

from .conftest import snapshot


def rows_of(path: Path) -> dict[str, dict[str, str]]:
    return {row["id"]: row for row in csv.DictReader(io.StringIO(path.read_text(encoding="utf-8")))}


def lines_of(path: Path) -> list[bytes]:
    return path.read_bytes().splitlines(keepends=True)


def refused(run, root: Path, argv, code: int, message: str):
    """Run a write that must be refused: exit code, one line (and a list) on stderr, every file unchanged."""
    before = snapshot(root)
    result = run(*argv, "--data", str(root))
    assert result.code == code, result.err
    assert result.out == "" and "Traceback" not in result.err
    assert message in result.err, result.err
    assert snapshot(root) == before
    return result


# --------------------------------------------------------------------------- ports edit


def test_ports_edit_changes_one_row_and_keeps_every_other_byte(tiny, run):
    places = tiny / PLACES_FILE
    before = lines_of(places)
    result = run("ports", "edit", "CNBBB", "--name", "Bravo Harbour", "--handling-h", "30", "--source", "S10",
                 "--alias", "Bravo", "--data", str(tiny))  # fmt: skip
    assert result.code == 0, result.err
    assert "changed Bravo Harbour (CNBBB)" in result.out
    after = lines_of(places)
    changed = [i for i, (a, b) in enumerate(zip(before, after, strict=True)) if a != b]
    assert len(after) == len(before) and len(changed) == 1
    row = rows_of(places)["CNBBB"]
    assert row["name"] == "Bravo Harbour" and row["aliases"] == "Bravo"
    assert row["handling_h"] == "30" and row["handling_source"] == "S10"
    assert row["coord_source"] == "estimate: synthetic"  # the position did not change, nor its source
    assert load_network(tiny).places["CNBBB"].handling_h == 30
    assert load_network(tiny).resolve("Bravo").place_ids == ("CNBBB",)


def test_a_moved_place_without_a_source_is_marked_unsourced_and_routes_at_once(tiny, run):
    assert run("ports", "edit", "CNCCC", "--lat", "1.4", "--data", str(tiny)).code == 0
    row = rows_of(tiny / PLACES_FILE)["CNCCC"]
    assert row["lat"] == "1.4" and row["coord_source"] == "estimate: edited by user, unsourced"
    (route,) = find_routes(load_network(tiny), "CNCCC", "CNBBB")
    assert route.destination == "CNBBB"


def test_unset_clears_a_figure_and_its_source(tiny, run):
    assert run("ports", "edit", "CNAAA", "--dwell-h", "12", "--source", "S10", "--data", str(tiny)).code == 0
    assert rows_of(tiny / PLACES_FILE)["CNAAA"]["dwell_source"] == "S10"
    assert run("ports", "edit", "CNAAA", "--unset", "dwell_h", "--data", str(tiny)).code == 0
    row = rows_of(tiny / PLACES_FILE)["CNAAA"]
    assert row["dwell_h"] == "" and row["dwell_source"] == ""


@pytest.mark.parametrize(
    ("argv", "code", "message"),
    [
        (("ports", "edit", "CNNONE", "--name", "X"), 1, "has no place with that id"),
        (("ports", "edit", "CNCCC", "--modes", "road"), 1, "rail-c-a"),  # rail is what its links use
        (("ports", "edit", "CNAAA", "--status", "planned"), 1, "rail-a-b"),
        (("ports", "edit", "CNAAA", "--lon", "-1.5"), 1, "shorter than the"),  # rail-a-b would be too short
        (("ports", "edit", "IDIII", "--lat", "-8", "--lon", "20"), 1, "cannot join the sea lanes"),
        (("ports", "edit", "CNBBB", "--lat", "95"), 1, "lat: 95 is outside"),
        (("ports", "edit", "CNBBB", "--country", "XX"), 1, "country"),
        (("ports", "edit", "CNBBB", "--alias", "CNAAA"), 1, "is the id of Alpha Port"),
        (("ports", "edit", "CNBBB", "--name", "CNAAA"), 1, "name: 'CNAAA' is the id of Alpha Port"),
        (("ports", "edit", "CNBBB", "--unset", "name"), 1, "cannot be unset"),
        (("ports", "edit", "CNBBB"), 2, "give at least one field"),
        # Sea departures of a place without sea were kept and never used.
        (
            ("ports", "edit", "CNCCC", "--sea-departures-per-week", "5"),
            1,
            "sea_departures_per_week: is set on a place that does not serve sea: unset it",
        ),
        (("ports", "edit", "CNBBB", "--lat", "north"), 2, "is not a number"),
        (("ports", "edit", "CNBBB", "--name", "Bravo Port"), 1, "nothing to change"),
    ],
)
def test_bad_place_edits_are_refused_and_change_nothing(tiny, run, argv, code, message):
    refused(run, tiny, argv, code, message)


# --------------------------------------------------------------------------- ports remove


def test_ports_remove_drops_the_row_and_the_place(tiny, run):
    before = lines_of(tiny / PLACES_FILE)
    result = run("ports", "remove", "IDIII", "--data", str(tiny))
    assert result.code == 0, result.err
    assert "removed Island Port (IDIII)" in result.out
    after = lines_of(tiny / PLACES_FILE)
    assert [line for line in before if not line.startswith(b"IDIII,")] == after
    assert "IDIII" not in read_places(tiny / PLACES_FILE)
    assert "IDIII" not in load_network(tiny).places


def test_an_id_on_two_rows_is_neither_edited_nor_removed_until_one_is_kept(tiny, run):
    # A row pasted in by hand with an id already taken: remove took out the first row (the
    # original, whatever the copy held) and edit changed it, silently choosing between the two.
    places = tiny / PLACES_FILE
    original = next(line for line in lines_of(places) if line.startswith(b"IDIII,"))
    places.write_bytes(places.read_bytes() + original.replace(b"Island Port", b"Island Port copy"))
    for argv in (("ports", "remove", "IDIII"), ("ports", "edit", "idiii", "--notes", "which one?")):
        result = refused(run, tiny, argv, 1, "has 2 rows with id")
        assert len(result.err.strip().splitlines()) == 1


def test_a_dataset_that_does_not_read_refuses_an_edit_or_removal_without_speaking_of_adding(tiny, run):
    (tiny / "parameters.csv").write_text("not,a,parameters,table\n", encoding="utf-8")
    for argv in (
        ("ports", "remove", "IDIII"),
        ("ports", "edit", "IDIII", "--notes", "x"),
        ("links", "remove", "rail-a-b"),
    ):
        result = refused(run, tiny, argv, 1, "has problems to fix before anything is written")
        assert "added" not in result.err


def test_removing_a_place_that_links_use_is_refused_with_the_list_of_links(tiny, run):
    result = refused(run, tiny, ("ports", "remove", "CNAAA"), 1, "2 link(s) use it")
    assert "rail-a-b" in result.err and "rail-c-a" in result.err and "corridor links remove" in result.err
    refused(run, tiny, ("ports", "remove", "CNNONE"), 1, "has no place with that id")


def test_removing_a_place_a_link_runs_through_is_refused(tiny, run):
    import csv

    path = tiny / LINKS_FILE
    rows = list(csv.DictReader(path.open(encoding="utf-8", newline="")))
    for row in rows:
        row["passes"] = "IDIII" if row["id"] == "rail-a-b" else ""
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    result = refused(run, tiny, ("ports", "remove", "IDIII"), 1, "1 link(s) use it")
    assert "rail-a-b" in result.err


def test_removing_what_a_table_or_a_scenario_names_is_refused_and_validate_finds_the_rest(tiny, run):
    scenarios = tiny / "scenarios"
    scenarios.mkdir(exist_ok=True)
    (scenarios / "works.toml").write_text(
        'name = "works"\ntitle = "Works"\n\n[[delay]]\nlinks = ["rail-a-b"]\nhours = 5\nsource = "estimate"\n'
        '\n[[close]]\nplaces = ["IDIII"]\nsource = "estimate"\n'
    )
    (tiny / "spreads.csv").write_text(
        "target,figure,typical,p90,typical_source,p90_source\nplace:IDIII,dwell_h,1,5,estimate,estimate\n"
    )
    refused(run, tiny, ("links", "remove", "rail-a-b"), 1, "scenarios/works.toml name it")
    refused(run, tiny, ("ports", "remove", "IDIII"), 1, "spreads.csv, scenarios/works.toml name it")
    assert "works.toml" not in run("validate", "--data", str(tiny)).out
    # A link removed by hand leaves the scenario naming it: validate says so, at its line.
    links = (tiny / LINKS_FILE).read_text().splitlines()
    (tiny / LINKS_FILE).write_text("\n".join(line for line in links if not line.startswith("rail-a-b,")) + "\n")
    result = run("validate", "--data", str(tiny))
    assert result.code == 1 and "works.toml:4: delay: no link 'rail-a-b' in the network" in result.out


def test_removing_a_place_a_scenario_names_by_name_or_alias_is_refused(tiny, run):
    # Only the id was looked for: a scenario closing "Planned Port" by name lost its place in
    # silence, and validate then found the scenario broken.
    (tiny / "scenarios").mkdir(exist_ok=True)
    (tiny / "scenarios" / "byname.toml").write_text(
        'name = "byname"\ntitle = "By name"\n\n[[close]]\nplaces = ["planned port", "Bravo Harbour"]\n'
        'source = "estimate"\n'
    )
    assert run("ports", "edit", "IDIII", "--alias", "Bravo Harbour", "--data", str(tiny)).code == 0
    refused(run, tiny, ("ports", "remove", "CNPPP"), 1, "cannot remove Planned Port (CNPPP): scenarios/byname.toml")
    refused(run, tiny, ("ports", "remove", "IDIII"), 1, "cannot remove Island Port (IDIII): scenarios/byname.toml")
    assert "byname.toml" not in run("validate", "--data", str(tiny)).out
    # A place the scenario does not name goes as before.
    assert run("ports", "add", "--id", "CNZZZ", "--name", "Zulu Depot", "--country", "CN", "--lat", "1.2",
               "--lon", "1.1", "--modes", "road", "--data", str(tiny)).code == 0  # fmt: skip
    assert run("ports", "remove", "CNZZZ", "--data", str(tiny)).code == 0


def test_a_new_country_says_which_operating_rows_now_count_for_it(tiny, run):
    # `ports edit CNQZH --country VN` moved China's export clearance to Vietnam's in silence.
    (tiny / "clearance.csv").write_text(
        "place_id,direction,h,h_p90,usd,h_source,p90_source,usd_source,includes_handling,scope\n"
        "CNBBB,import,6,12,50,estimate,estimate,estimate,no,country\n"
    )
    result = run("ports", "edit", "CNBBB", "--country", "VN", "--data", str(tiny))
    assert result.code == 0, result.err
    assert "clearance.csv have rows for CNBBB: they now count for VN, not CN" in " ".join(result.err.split())
    quiet = run("ports", "edit", "CNAAA", "--country", "VN", "--data", str(tiny))
    assert quiet.code == 0 and "now count for" not in quiet.err


# --------------------------------------------------------------------------- links edit, remove, add


def test_links_edit_changes_the_figures_and_cites_them(tiny, run):
    before = lines_of(tiny / LINKS_FILE)
    result = run("links", "edit", "rail-c-a", "--distance-km", "210", "--time-h", "9", "--source", "S10",
                 "--data", str(tiny))  # fmt: skip
    assert result.code == 0, result.err
    assert "changed rail link rail-c-a" in result.out and "210 km" in result.out
    after = lines_of(tiny / LINKS_FILE)
    assert sum(a != b for a, b in zip(before, after, strict=True)) == 1
    row = rows_of(tiny / LINKS_FILE)["rail-c-a"]
    assert (row["distance_km"], row["distance_source"], row["time_h"], row["time_source"]) == ("210", "S10", "9", "S10")
    assert run("links", "edit", "rail-c-a", "--unset", "time_h", "--data", str(tiny)).code == 0
    link = next(link for link in read_links(tiny / LINKS_FILE) if link.id == "rail-c-a")
    assert link.time_h is None and link.time_source == "" and link.distance_km == 210


@pytest.mark.parametrize(
    ("argv", "code", "message"),
    [
        (("links", "edit", "rail-a-b", "--distance-km", "100"), 1, "shorter than the"),
        (("links", "edit", "rail-a-b", "--time-h", "0.5"), 1, "km/h, outside"),
        (("links", "edit", "rail-x-y", "--time-h", "5"), 1, "has no link with that id"),
        (("links", "edit", "rail-a-b", "--current", "down"), 1, "applies to river links only"),
        (("links", "edit", "rail-a-b"), 2, "give at least one field"),
        # A place's name was capped at 200 characters; an area or a link's name of 100,000 was not.
        (("links", "edit", "rail-a-b", "--name", "N" * 100_000), 1, "name: is 100,000 characters long"),
        (("ports", "edit", "CNAAA", "--area", "A" * 100_000), 1, "area: is 100,000 characters long"),
        # A time back on a one-way link was kept and never used.
        (
            ("links", "edit", "rail-a-b", "--one-way", "yes", "--time-back-h", "25"),
            1,
            "time_back_h: is set on a one-way link, which has no way back",
        ),
        (("links", "remove", "rail-x-y"), 1, "has no link with that id"),
    ],
)
def test_bad_link_edits_are_refused_and_change_nothing(tiny, run, argv, code, message):
    refused(run, tiny, argv, code, message)


def test_links_remove_drops_the_row_and_notes_a_stranded_place(tiny, run):
    before = lines_of(tiny / LINKS_FILE)
    result = run("links", "remove", "road-c-d", "--data", str(tiny))
    assert result.code == 0, result.err
    assert "removed road link road-c-d" in result.out
    assert "Charlie River Port (CNCCD): no route joins it" in result.err
    assert [line for line in before if not line.startswith(b"road-c-d,")] == lines_of(tiny / LINKS_FILE)
    assert "road-c-d" not in load_network(tiny).links


def test_adding_a_link_twice_is_refused_with_a_pointer_to_links_edit(tiny, run):
    result = refused(run, tiny, ("links", "add", "CNBBB", "CNAAA", "--mode", "rail", "--distance-km", "420"), 1,
                     "exists already (rail-a-b)")  # fmt: skip
    assert "corridor links edit rail-a-b" in result.err
    # Two one-way services in opposite directions are two links.
    assert run("links", "add", "CNCCC", "CNCCD", "--mode", "road", "--one-way", "--data", str(tiny)).code == 1
    assert run("ports", "edit", "CNCCD", "--modes", "road,rail", "--data", str(tiny)).code == 0
    assert run("links", "add", "CNCCC", "CNCCD", "--mode", "rail", "--one-way", "--data", str(tiny)).code == 0
    assert run("links", "add", "CNCCD", "CNCCC", "--mode", "rail", "--one-way", "--data", str(tiny)).code == 0


# --------------------------------------------------------------------------- links import


LINKS_CSV = "from,to,mode,distance_km,time_h,name\nCNBBB,Charlie Terminal,rail,520,26,Bravo-Charlie\n"


def test_links_import_csv_adds_every_row_resolving_names(tiny, tmp_path, run):
    source = tmp_path / "links.csv"
    source.write_text(LINKS_CSV + "CNCCD,CNBBB,road,420,,\n")
    result = run("links", "import", str(source), "--data", str(tiny))
    assert result.code == 0, result.err
    assert "imported 2 link(s)" in result.out
    links = {link.id: link for link in read_links(tiny / LINKS_FILE)}
    assert links["rail-cnbbb-cnccc"].to_id == "CNCCC" and links["rail-cnbbb-cnccc"].distance_km == 520
    assert links["rail-cnbbb-cnccc"].distance_source == "estimate: imported from links.csv, unsourced"
    assert links["road-cnccd-cnbbb"].time_h is None
    assert "rail-cnbbb-cnccc" in load_network(tiny).links


def test_a_scenario_saved_with_a_byte_order_mark_still_holds_its_place(tiny, run):
    # --scenario reads a file Notepad saved (a BOM first); the removal's check took it for bad TOML.
    (tiny / "scenarios").mkdir(exist_ok=True)
    text = 'name = "bom"\ntitle = "BOM"\n[[close]]\nplaces = ["CNPPP"]\nsource = "estimate"\n'
    (tiny / "scenarios" / "bom.toml").write_bytes(b"\xef\xbb\xbf" + text.encode())
    refused(run, tiny, ("ports", "remove", "CNPPP"), 1, "scenarios/bom.toml name it")


def test_renaming_a_place_a_scenario_names_by_that_name_is_refused(tiny, run):
    # The rename went through and the scenario named an unknown place: validate and every
    # --scenario run then failed on it.
    (tiny / "scenarios").mkdir(exist_ok=True)
    (tiny / "scenarios" / "byname.toml").write_text(
        'name = "byname"\ntitle = "By name"\n\n[[close]]\nplaces = ["Planned Port", "Alpha"]\nsource = "estimate"\n'
    )
    message = "cannot edit CNPPP: name: scenarios/byname.toml name it by a name it would lose: edit them first"
    refused(run, tiny, ("ports", "edit", "CNPPP", "--name", "Papa Port"), 1, message)
    refused(run, tiny, ("ports", "edit", "CNAAA", "--alias", "Alfa"), 1, "scenarios/byname.toml name it")
    # A name kept in other letters, or another alias beside the one named, breaks nothing.
    assert run("ports", "edit", "CNPPP", "--name", "PLANNED PORT", "--data", str(tiny)).code == 0
    assert run("ports", "edit", "CNAAA", "--alias", "Alpha", "--alias", "Alfa", "--data", str(tiny)).code == 0
    assert "byname.toml" not in run("validate", "--data", str(tiny)).out


def test_links_import_of_two_one_way_links_says_nothing_of_a_place_reached_one_way(tiny, tmp_path, run):
    # Each link's notes looked at the links before the import alone: the way there and the way
    # back, imported together, each said "its only link is one way, so routes ... none reach it".
    for pid, lat in (("CNZZZ", "1.2"), ("CNYYY", "1.3")):
        add = ("ports", "add", "--id", pid, "--name", f"Depot {pid}", "--country", "CN", "--lat", lat, "--lon", "1.1")
        assert run(*add, "--modes", "road", "--data", str(tiny)).code == 0
    source = tmp_path / "links.csv"
    source.write_text("from,to,mode,one_way\nCNZZZ,CNCCC,road,yes\nCNCCC,CNZZZ,road,yes\nCNYYY,CNCCC,road,yes\n")
    result = run("links", "import", str(source), "--data", str(tiny))
    assert result.code == 0 and "imported 3 link(s)" in result.out, result.err
    assert "Depot CNZZZ (CNZZZ)" not in result.err
    assert "Depot CNYYY (CNYYY): its only link is one way, so routes leave it but none reach it" in result.err


def test_links_import_refuses_a_way_drawn_wide_of_its_ends(tiny, tmp_path, run):
    # A vertex in Antarctica made a 300 km road 34,000 km long, measured along it, and a stated
    # 400 km was drawn across the world on the map.
    source = tmp_path / "links.csv"
    source.write_text("from,to,mode,distance_km,via\nCNCCD,CNBBB,road,,-170 -80\nCNCCD,CNAAA,road,400,40 30\n")
    before = snapshot(tiny)
    result = run("links", "import", str(source), "--data", str(tiny))
    assert result.code == 1 and "Traceback" not in result.err
    for line, pair in ((2, "CNCCD and CNBBB"), (3, "CNCCD and CNAAA")):
        assert f"{source}:{line}: link road-cnccd-cn" in result.err and f"km between {pair}, over 5 times" in result.err
    assert snapshot(tiny) == before


def test_a_layer_named_for_a_file_without_layers_is_refused(tiny, tmp_path, run):
    # --layer on a CSV or GeoJSON file was ignored: the whole file was imported as if it named one.
    source = tmp_path / "links.csv"
    source.write_text(LINKS_CSV)
    places = tmp_path / "places.csv"
    places.write_text("id,name,country,lat,lon,modes\nCNZZZ,Zulu Depot,CN,1.2,1.1,road\n")
    for argv in (("links", "import", str(source)), ("ports", "import", str(places))):
        result = refused(run, tiny, (*argv, "--layer", "ports"), 2, "--layer 'ports': ")
        assert "has no layers" in result.err and result.err.count("\n") == 1


def test_links_import_reports_every_bad_row_and_writes_nothing(tiny, tmp_path, run):
    source = tmp_path / "links.csv"
    source.write_text(
        "from,to,mode,distance_km\n"
        "CNAAA,CNBBB,rail,410\n"  # line 2: rail-a-b exists
        "CNCCC,Atlantis,rail,100\n"  # line 3: unknown place
        "CNAAA,IDIII,rail,900\n"  # line 4: the island serves no rail
        "CNCCD,CNBBB,road,10\n"  # line 5: shorter than the great circle
    )
    before = snapshot(tiny)
    result = run("links", "import", str(source), "--data", str(tiny))
    assert result.code == 1 and "Traceback" not in result.err
    for expected in (f"{source}:2: a rail link between CNAAA and CNBBB exists already", f"{source}:3: to:",
                     f"{source}:4: Island Port (IDIII) does not serve rail", f"{source}:5: link"):  # fmt: skip
        assert expected in result.err, expected
    assert snapshot(tiny) == before


def test_links_import_refuses_a_link_passing_an_unknown_place(tiny, tmp_path, run):
    # The row was written: the links table then named an unknown place, and every route and
    # every later write refused the dataset until it was mended by hand.
    source = tmp_path / "links.csv"
    source.write_text("from,to,mode,passes\nCNCCD,CNBBB,road,CNAAA;Atlantis\n")
    refused(run, tiny, ("links", "import", str(source)), 1, f"{source}:2: passes: unknown place 'Atlantis'")
    source.write_text("from,to,mode,passes\nCNCCD,CNBBB,road,CNAAA\n")
    assert run("links", "import", str(source), "--data", str(tiny)).code == 0
    assert load_network(tiny).links["road-cnccd-cnbbb"].passes == ("CNAAA",)


# --------------------------------------------------------------------------- GIS files


@pytest.fixture
def new_places():
    import geopandas as gpd
    import shapely

    frame = gpd.GeoDataFrame(
        {
            "id": ["CNGP1", "CNGP2"],
            "name": ["Gpkg Dry Port", "Gpkg Rail Yard"],
            "country": ["CN", "CN"],
            "modes": ["rail;road", "rail"],
            "coord_source": ["estimate: a test", "estimate: a test"],
            "handling_h": [12.0, None],
        },
        geometry=[shapely.Point(1.5, 1.2), shapely.Point(2.5, 1.4)],
        crs="EPSG:4326",
    )
    return frame


def test_ports_import_reads_a_geopackage_written_with_geopandas(tiny, tmp_path, run, new_places):
    source = tmp_path / "places.gpkg"
    new_places.to_file(source, driver="GPKG", layer="places")
    result = run("ports", "import", str(source), "--data", str(tiny))
    assert result.code == 0, result.err
    assert "imported 2 place(s)" in result.out
    places = load_dataset(tiny).places
    assert (places["CNGP1"].lon, places["CNGP1"].lat) == (1.5, 1.2)
    assert places["CNGP1"].modes == ("rail", "road") and places["CNGP1"].handling_h == 12
    assert places["CNGP1"].handling_source == "estimate: imported from places.gpkg, unsourced"
    assert places["CNGP2"].handling_h is None


@pytest.mark.filterwarnings("ignore:Column names longer than 10", "ignore:Normalized/laundered field name")
def test_ports_import_reads_a_shapefile_with_its_cut_column_names(tiny, tmp_path, run, new_places):
    source = tmp_path / "places.shp"
    new_places.to_crs("EPSG:3857").to_file(source)  # another CRS: positions come back in degrees
    assert "coord_sour" in source.with_suffix(".dbf").read_bytes().decode("latin-1")  # cut to 10 characters
    result = run("ports", "import", str(source), "--data", str(tiny))
    assert result.code == 0, result.err
    places = load_dataset(tiny).places
    assert places["CNGP1"].lon == pytest.approx(1.5) and places["CNGP1"].lat == pytest.approx(1.2)
    assert places["CNGP1"].coord_source == "estimate: a test"


def test_ports_import_reads_geoparquet(tiny, tmp_path, run, new_places):
    pytest.importorskip("pyarrow")
    source = tmp_path / "places.parquet"
    new_places.to_parquet(source)
    assert run("ports", "import", str(source), "--data", str(tiny)).code == 0
    assert {"CNGP1", "CNGP2"} <= set(load_dataset(tiny).places)


def test_a_bad_gis_file_is_refused_row_by_row_and_changes_nothing(tiny, tmp_path, run, new_places):
    import shapely

    bad = new_places.copy()
    bad.loc[0, "country"] = "XX"
    bad.loc[1, "geometry"] = shapely.LineString([(0, 0), (1, 1)])
    source = tmp_path / "bad.gpkg"
    bad.to_file(source, driver="GPKG")
    result = refused(run, tiny, ("ports", "import", str(source)), 1, "cannot import")
    assert f"{source}: feature 1: country" in result.err and f"{source}: feature 2: geometry" in result.err
    extra = new_places.assign(colour="red")
    extra.to_file(tmp_path / "extra.gpkg", driver="GPKG")
    refused(run, tiny, ("ports", "import", str(tmp_path / "extra.gpkg")), 1, "unknown column(s) 'colour'")
    # Two layers: say which.
    new_places.to_file(tmp_path / "two.gpkg", layer="a", driver="GPKG")
    new_places.to_file(tmp_path / "two.gpkg", layer="b", driver="GPKG")
    refused(run, tiny, ("ports", "import", str(tmp_path / "two.gpkg")), 1, "name one with --layer")
    assert run("ports", "import", str(tmp_path / "two.gpkg"), "--layer", "b", "--data", str(tiny)).code == 0
    (tmp_path / "junk.gpkg").write_bytes(b"not a geopackage at all")
    refused(run, tiny, ("ports", "import", str(tmp_path / "junk.gpkg")), 1, "cannot be read as a GIS file")


def test_links_import_reads_a_geopackage_and_draws_through_its_line(tiny, tmp_path, run):
    import geopandas as gpd
    import shapely

    frame = gpd.GeoDataFrame(
        {"from": ["CNBBB"], "to": ["CNCCC"], "mode": ["rail"], "distance_km": [530.0], "one_way": [True]},
        geometry=[shapely.LineString([(3.5, 0.0), (3.0, 1.0), (2.0, 1.6), (1.0, 1.5)])],
        crs="EPSG:4326",
    )
    source = tmp_path / "links.gpkg"
    frame.to_file(source, driver="GPKG")
    result = run("links", "import", str(source), "--data", str(tiny))
    assert result.code == 0, result.err
    (link,) = [link for link in read_links(tiny / LINKS_FILE) if link.id == "rail-cnbbb-cnccc"]
    assert link.via == ((3.0, 1.0), (2.0, 1.6)) and link.one_way and link.distance_km == 530
