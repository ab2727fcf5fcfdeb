"""Validating a dataset: every problem at once; errors for what users edit, warnings for world ports."""

from __future__ import annotations

import json
import re

import pytest

from corridor.datasets import load_dataset
from corridor.errors import DataError
from corridor.validation import REACHABILITY, WARNING, validate_dataset

from .conftest import make_dataset, place

LAND = [[[0.0, 0.0], [4.0, 0.0], [4.0, 2.0], [0.0, 2.0], [0.0, 0.0]]]
LANES = [([[0.5, -0.1], [2.0, -0.2], [3.5, -0.1]], {"passage": "malacca"})]
PLACES = [
    place("CNAAA", "Alpha Port", 0.5, 0.0, ["sea", "rail", "road"]),
    place("CNBBB", "Bravo Port", 3.5, 0.0, ["sea", "rail", "road"]),
    place("CNCCC", "Charlie Terminal", 1.0, 1.5, ["rail", "road"], kind="rail_terminal"),
    place("CNPPP", "Planned Port", 2.0, 0.0, ["sea"], status="planned"),
]
LINKS = [
    {"id": "rail-a-b", "from": "CNAAA", "to": "CNBBB", "mode": "rail"},
    {"id": "rail-c-a", "from": "CNCCC", "to": "CNAAA", "mode": "rail"},
]


@pytest.fixture
def clean(tmp_path):
    """A small dataset with no problem at all."""
    return make_dataset(tmp_path / "clean", places=PLACES, links=LINKS, lanes=LANES, land=LAND)


def test_a_clean_dataset_validates(clean, run):
    result = run("validate", "--data", str(clean))
    assert result.code == 0, result.out
    assert result.out.strip() == f"{clean}: 4 places (3 routable), 2 links: no problems"
    report = validate_dataset(clean)
    assert report.ok and report.problems == []


def test_every_table_problem_is_reported_at_once(tmp_path, run):
    places = [
        *PLACES,
        place("CNBAD", "Too far north", 1.0, 95.0, ["rail"]),
        place("CNAAA", "Twice", 1.0, 1.0, ["rail"]),
        place("QQQQQ", "Nowhere", 1.0, 1.0, ["rail"], country="QQ"),
    ]
    links = [
        *LINKS,
        {"id": "rail-ghost", "from": "CNAAA", "to": "CNZZZ", "mode": "rail"},
        {"id": "rail-bad", "from": "CNAAA", "to": "CNBBB", "mode": "rail", "distance_km": "-4",
         "distance_source": "estimate"},
    ]  # fmt: skip
    root = make_dataset(tmp_path / "d", places=places, links=links, lanes=LANES, land=LAND)
    parameters = root / "parameters.csv"
    parameters.write_text(parameters.read_text().replace("speed_kmh,rail,32,", "speed_kmh,rail,0,"))
    (root / "sea" / "corrections.geojson").write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"action": "add"}, "geometry": {"type": "LineString",
                                                                         "coordinates": [[1, -1], [2, -1]]}},
        {"type": "Feature", "properties": {"id": "bowtie", "action": "shoal", "reason": "a bank drawn crossed"},
         "geometry": {"type": "Polygon", "coordinates": [[[1, -1], [2, -2], [2, -1], [1, -2], [1, -1]]]}},
    ]}))  # fmt: skip

    result = run("validate", "--data", str(root))
    assert result.code == 1
    places_csv, links_csv = root / "ports" / "places.csv", root / "links" / "links.csv"
    for expected in (
        f"{places_csv}:6: lat: 95 is outside [-90, 90]",
        f"{places_csv}:7: id: duplicate id 'CNAAA' (first on line 2)",
        f"{places_csv}:8: country: 'QQ' is not a known country code",
        f"{links_csv}:4: to: unknown place 'CNZZZ'",
        f"{links_csv}:5: distance_km: -4 is outside [0.1, 20000]",
        "speed_kmh for rail is 0: it must be positive",
        "corrections.geojson: feature 1 (no id): every correction needs a reason",
        "corrections.geojson: feature 2 (bowtie): not a valid shoal polygon (Self-intersection",
    ):
        assert expected in result.out, expected
    assert result.out.startswith("8 problem(s) in ")
    assert result.err == "" or "Traceback" not in result.err


def test_network_problems_are_reported_together_with_their_cause(tmp_path, run):
    places = [
        *PLACES,
        place("CNINL", "Inland Sea Port", 2.0, 0.8, ["sea"]),  # its only lane node lies across land
        place("CNEND", "Dead End", 3.0, 1.5, ["rail"], kind="rail_terminal"),
        place("CNLON", "Lonely Depot", 2.5, 1.8, ["road"], kind="dry_port"),
    ]
    links = [*LINKS, {"id": "rail-b-end", "from": "CNBBB", "to": "CNEND", "mode": "rail", "one_way": "yes"}]
    root = make_dataset(tmp_path / "d", places=places, links=links, lanes=LANES, land=LAND)
    report = validate_dataset(root)
    path = root / "ports" / "places.csv"
    assert report.errors == [
        "Inland Sea Port (CNINL) cannot reach the sea lanes: every sea lane within 450 km lies across land more "
        "than 14 km from its position (inland, or on a river, canal or lake that Natural Earth 1:10m land does not "
        "resolve)",
        f"{path}:7: Dead End (CNEND): routes reach it but none leave it (a one-way link?)",
        f"{path}:8: Lonely Depot (CNLON): no route joins it to the other 3 places (add a link with "
        "`corridor links add`)",
    ]
    assert [p.kind for p in report.problems][1:] == [REACHABILITY, REACHABILITY]
    assert report.blocking() == report.problems[:1]  # reachability alone does not stop a write
    assert run("validate", "--data", str(root)).code == 1


def test_a_seaport_on_lanes_of_its_own_is_cut_off(tiny):
    report = validate_dataset(tiny)
    assert report.errors == [
        f"{tiny / 'ports' / 'places.csv'}:6: Island Port (IDIII): no route joins it to the other 4 places "
        "(its sea lanes do not join the rest)"
    ]


def test_world_port_problems_are_warnings(clean, run):
    (clean / "ports" / "wpi_ports.csv").write_text(
        "wpi_number,name,unlocode,country_code,lat,lon,harbor_size\n"
        "1,Delta Harbour,CNDDD,CN,-0.03,2.6,Small\n"
        "2,Lake Harbour,CNLKH,CN,1.5,2.5,Very Small\n"
        "3,Far Harbour,IDFAR,ID,-3.0,10.0,Small\n"
    )
    report = validate_dataset(clean)
    assert report.ok
    assert [(p.severity, p.place_id or p.message.split("(")[1][:5]) for p in report.problems] == [
        (WARNING, "CNLKH"),
        (WARNING, "IDFAR"),
    ]
    result = run("validate", "--data", str(clean))
    assert result.code == 0
    # Both are seaports that cannot join the lanes, listed without --warnings: the summary does
    # not send the user to --warnings for them (it once did).
    assert result.out.strip().endswith("no problems, 2 warning(s)")
    assert "Lake Harbour (CNLKH) cannot reach the sea lanes" in result.out
    listed = run("validate", "--warnings", "--data", str(clean)).out
    assert "Lake Harbour (CNLKH) cannot reach the sea lanes" in listed and "Far Harbour (IDFAR)" in listed
    data = run("validate", "--format", "json", "--data", str(clean)).json()
    assert data["errors"] == [] and len(data["warnings"]) == 2
    assert (data["places"], data["routable"], data["links"]) == (7, 4, 2)  # Lake and Far Harbour are not routable
    (clean / "countries.csv").unlink()  # a warning of another kind: counted, and left to --warnings
    result = run("validate", "--data", str(clean))
    assert result.out.strip().endswith("no problems, 3 warning(s) (1 not listed: list them with --warnings)")
    assert "countries.csv is missing" not in result.out
    assert "countries.csv is missing" in run("validate", "--warnings", "--data", str(clean)).out


def test_broken_lane_and_land_files_are_reported_with_the_tables(clean, run):
    (clean / "sea" / "marnet.geojson").write_text('{"type": "FeatureCollection", "features": [{"geometry": 5}]}')
    places = clean / "ports" / "places.csv"
    places.write_text(places.read_text() + "CNBAD,Bad,,,CN,1,1,dry_port,air,operational,,,,,estimate,,,,,\n")
    (clean / "land" / "ne_10m_land.geojson.gz").write_bytes(b"not gzip")
    result = run("validate", "--data", str(clean))
    assert result.code == 1
    assert f"{places}:6: modes: 'air'" in result.out
    assert "marnet.geojson: feature 1: geometry is not an object" in result.out
    assert "ne_10m_land.geojson.gz is not gzipped GeoJSON" in result.out


def test_a_user_parameters_file_is_validated_too(clean, tmp_path, run):
    override = tmp_path / "params.csv"
    override.write_text("name,scope,value,source\nspeed_kmh,sea,-1,estimate\nspeed_kmh,rail,,estimate\n")
    result = run("validate", "--params", str(override), "--data", str(clean))
    assert result.code == 1
    assert f"{override}:2: value: -1 is outside" in result.out and f"{override}:3: value: is required" in result.out
    # Rules on the whole table apply once its rows are sound.
    override.write_text("name,scope,value,source\ncircuity,rail,0,estimate\nspeed_kmph,rail,30,estimate\n")
    errors = validate_dataset(clean, params=override).errors
    assert "circuity for rail is 0: it must be positive" in errors
    assert any(e.startswith("unknown parameter 'speed_kmph'") for e in errors)
    assert validate_dataset(clean, params=tmp_path / "none.csv").errors == [
        f"parameters file {tmp_path / 'none.csv'} does not exist"
    ]


def test_a_missing_directory_is_an_error_not_a_report(tmp_path):
    with pytest.raises(DataError, match="corridor init"):
        validate_dataset(tmp_path / "missing")


def test_the_bundled_dataset_has_no_errors_only_world_port_warnings(network, run):
    data = run("validate", "--format", "json").json()
    assert data["errors"] == []
    assert data["places"] == len(network.places) and data["routable"] > 2000
    world = {pid for pid, p in network.places.items() if p.origin == "wpi"}
    assert data["warnings"]
    for warning in data["warnings"]:  # each names a World Port Index port
        assert world & set(re.findall(r"\(([^()]+)\)", warning)), warning


def test_a_link_shorter_than_the_great_circle_is_an_error(tiny):
    links = tiny / "links" / "links.csv"
    text = links.read_text()
    # Alpha and Bravo lie 333 km apart; a 100 km link between them cannot be.
    links.write_text(text.replace("rail-a-b,CNAAA,CNBBB,rail,400", "rail-a-b,CNAAA,CNBBB,rail,100"))
    report = validate_dataset(tiny)
    assert any("rail-a-b" in e and "great-circle" in e for e in report.errors)


def test_a_link_ten_times_as_long_as_its_ends_lie_apart_is_an_error(tiny):
    # 4,000 km for 334 (a digit too many) was routed, and at its mode's speed, so no time gave it away.
    links = tiny / "links" / "links.csv"
    links.write_text(links.read_text().replace("rail-a-b,CNAAA,CNBBB,rail,400", "rail-a-b,CNAAA,CNBBB,rail,4000"))
    report = validate_dataset(tiny)
    assert any("rail-a-b: distance_km 4000 is over 5 times the 334 km between CNAAA and CNBBB" in e
               for e in report.errors), report.errors  # fmt: skip


def test_a_figure_no_route_uses_is_an_error_of_validate_not_of_loading(tiny):
    # A time back on a one-way link, and sea departures of a place without sea, were kept and
    # never used; such a row written by hand still loads and routes.
    links = tiny / "links" / "links.csv"
    figures = "rail-a-b,CNAAA,CNBBB,rail,400,estimate,20,estimate,"
    links.write_text(links.read_text().replace(figures + ",,,,", figures + "25,estimate,,,yes"))
    places = tiny / "ports" / "places.csv"
    row = next(line for line in places.read_text().splitlines() if line.startswith("CNCCC,"))
    cells = row.split(",")
    cells[13], cells[18] = "5", "estimate"  # sea_departures_per_week, sea_departures_source
    places.write_text(places.read_text().replace(row, ",".join(cells)))
    assert load_dataset(tiny).links[0].one_way
    errors = validate_dataset(tiny).errors
    assert any("link rail-a-b: time_back_h: is set on a one-way link" in e for e in errors), errors
    assert any("(CNCCC): sea_departures_per_week: is set on a place that does not serve sea" in e for e in errors)


def test_a_scenario_whose_name_is_not_its_files_is_an_error(tiny, run):
    # aaa.toml named "red-sea-2024": `scenario list` showed red-sea-2024 twice, the notes of a
    # route called aaa's changes red-sea-2024, and `--scenario red-sea-2024` read the other file.
    (tiny / "scenarios").mkdir(exist_ok=True)
    text = '# a closure\nname = "red-sea-2024"\ntitle = "t"\n[[close]]\nplaces = ["CNBBB"]\nsource = "estimate"\n'
    (tiny / "scenarios" / "aaa.toml").write_text(text)
    (tiny / "scenarios" / "ok.toml").write_text(text.replace("red-sea-2024", "ok"))
    result = run("validate", "--data", str(tiny))
    assert result.code == 1
    assert f"{tiny / 'scenarios' / 'aaa.toml'}:2: name 'red-sea-2024' is not the file's name" in result.out
    assert "ok.toml" not in result.out


def test_a_link_across_a_border_with_no_border_place_is_a_warning_until_it_says_customs(tmp_path):
    places = [*PLACES, place("VNDDD", "Delta Terminal", 2.5, 1.5, ["rail"], kind="rail_terminal", country="VN")]
    crossing = {"id": "rail-c-d", "from": "CNCCC", "to": "VNDDD", "mode": "rail"}
    root = make_dataset(tmp_path / "d", places=places, links=[*LINKS, crossing], lanes=LANES, land=LAND)
    report = validate_dataset(root)
    assert report.errors == []
    assert [w for w in report.warnings if "rail-c-d" in w] == [
        "link rail-c-d crosses from CN to VN with no border place at either end: no border crossing or clearance "
        "is charged on it (say customs=cleared, included or none)"
    ]
    for customs in ("cleared", "included", "none"):
        extra = {"time_h": "10", "time_source": "estimate"} if customs == "included" else {}
        root = make_dataset(
            tmp_path / customs, places=places, links=[*LINKS, {**crossing, "customs": customs, **extra}],
            lanes=LANES, land=LAND,
        )  # fmt: skip
        assert not [w for w in validate_dataset(root).warnings if "rail-c-d" in w]


def test_the_operating_tables_are_validated_with_the_rest(clean, run):
    # A route reads borders.csv, clearance.csv, hubs.csv, services.csv and spreads.csv: validate does too.
    (clean / "borders.csv").write_text(
        "place_id,mode,name,crossing_h,crossing_h_p90,crossing_source,p90_source,gauge_break\n"
        "CNCCC,rail,Charlie border,-5,24,estimate,estimate,no\n"
    )
    report = validate_dataset(clean)
    assert any("borders.csv" in e and "crossing_h" in e for e in report.errors), report.errors
    result = run("validate", "--data", str(clean))
    assert result.code == 1 and "crossing_h" in result.out + result.err


def test_the_places_a_link_runs_through_are_known_places_other_than_its_ends(tmp_path):
    through = {"id": "rail-c-b", "from": "CNCCC", "to": "CNBBB", "mode": "rail", "passes": "CNAAA;CNZZZ"}
    root = make_dataset(tmp_path / "a", places=PLACES, links=[*LINKS, through], lanes=LANES, land=LAND)
    errors = validate_dataset(root).errors
    assert any("passes" in e and "unknown place 'CNZZZ'" in e for e in errors), errors
    looped = {**through, "passes": "CNBBB"}
    root = make_dataset(tmp_path / "b", places=PLACES, links=[*LINKS, looped], lanes=LANES, land=LAND)
    errors = validate_dataset(root).errors
    assert any("passes" in e and "names an end of the link" in e for e in errors), errors
    fine = {**through, "passes": "CNAAA"}
    root = make_dataset(tmp_path / "c", places=PLACES, links=[*LINKS, fine], lanes=LANES, land=LAND)
    assert validate_dataset(root).errors == []


def test_a_crossing_charges_entry_clearance_only_of_a_country_with_an_import_figure(clean):
    header = "place_id,mode,name,crossing_h,crossing_h_p90,crossing_source,p90_source,gauge_break,entry_clearance\n"
    (clean / "borders.csv").write_text(header + "CNCCC,rail,Charlie border,5,24,estimate,estimate,no,China\n")
    errors = validate_dataset(clean).errors
    assert any("borders.csv:2" in e and "'China' is not a two-letter country code" in e for e in errors), errors
    # A country code whose import clearance the data does not give would charge nothing.
    (clean / "borders.csv").write_text(header + "CNCCC,rail,Charlie border,5,24,estimate,estimate,no,CN\n")
    errors = validate_dataset(clean).errors
    assert any("CNCCC: entry_clearance CN has no import row in clearance.csv" in e for e in errors), errors
    (clean / "clearance.csv").write_text(
        "place_id,direction,h,h_p90,usd,h_source,p90_source,usd_source,includes_handling,scope\n"
        "CNAAA,import,6,12,50,estimate,estimate,estimate,no,country\n"
    )
    assert validate_dataset(clean).errors == []


def test_a_clearance_row_holds_for_its_port_or_its_country_and_nothing_else(clean):
    (clean / "clearance.csv").write_text(
        "place_id,direction,h,h_p90,usd,h_source,p90_source,usd_source,includes_handling,scope\n"
        "CNCCC,import,6,12,50,estimate,estimate,estimate,no,everywhere\n"
    )
    errors = validate_dataset(clean).errors
    assert any("clearance.csv:2" in e and "'everywhere' is not port or country" in e for e in errors), errors
    # One row per country and direction holds for the country.
    (clean / "clearance.csv").write_text(
        "place_id,direction,h,h_p90,usd,h_source,p90_source,usd_source,includes_handling,scope\n"
        "CNCCC,import,6,12,50,estimate,estimate,estimate,no,country\n"
        "CNAAA,import,8,12,50,estimate,estimate,estimate,no,country\n"
    )
    errors = validate_dataset(clean).errors
    assert any("CNAAA, CNCCC: each says scope country for CN import" in e for e in errors), errors


def test_a_canal_row_names_a_known_passage_and_a_bad_case_no_better_than_typical(clean):
    (clean / "sea").mkdir(exist_ok=True)
    (clean / "sea" / "canals.csv").write_text(
        "passage,name,transit_h,transit_h_p90,length_km,lon,lat,transit_source,p90_source,length_source\n"
        "kiel,Kiel Canal,8,12,98,9.5,54.1,estimate,estimate,estimate\n"
        "suez,Suez Canal,13.5,10,193,32.35,30.7,,estimate,estimate\n"
    )
    errors = validate_dataset(clean).errors
    assert any("canals.csv:2" in e and "'kiel' is not a sea passage" in e for e in errors), errors
    assert any("canals.csv:3" in e and "transit_h_p90" in e and "below the typical" in e for e in errors), errors
    assert any("canals.csv:3" in e and "transit_source" in e for e in errors), errors


def test_a_call_on_the_way_names_itself_its_hubs_and_its_gates(clean):
    (clean / "sea").mkdir(exist_ok=True)
    header = (
        "passage,name,call_h,call_h_p90,ports,zone_km,lon1,lat1,lon2,lat2,other_gates,"
        "call_source,p90_source,ports_source,zone_source,gate_source\n"
    )
    (clean / "sea" / "calls_on_the_way.csv").write_text(
        header
        + "Kiel Canal,Kiel,24,24,CNAAA,100,9,54,10,54,,estimate,estimate,estimate,estimate,estimate\n"
        + "malacca,Strait,24,12,,100,102.2,2.9,101,1.9,,estimate,estimate,,estimate,estimate\n"
        + "sunda,Sunda,24,24,CNAAA,100,106,-5,,-6,,estimate,estimate,estimate,estimate,estimate\n"
        + "north-sea,North Sea,24,24,CNAAA,100,1,51,2,51,1 52 2;3 52 4 95,"
        + "estimate,estimate,estimate,estimate,estimate\n"
    )
    errors = validate_dataset(clean).errors
    assert any("calls_on_the_way.csv:2" in e and "'Kiel Canal' is neither a sea passage" in e for e in errors), errors
    assert any("calls_on_the_way.csv:3" in e and "call_h_p90" in e and "below the typical" in e for e in errors), errors
    assert any("calls_on_the_way.csv:3" in e and "ports" in e and "is empty" in e for e in errors), errors
    assert any("calls_on_the_way.csv:4" in e and "lon2" in e for e in errors), errors
    assert any("calls_on_the_way.csv:5" in e and "'1 52 2' is not four numbers" in e for e in errors), errors
    assert any("calls_on_the_way.csv:5" in e and "'3 52 4 95' is not a line" in e for e in errors), errors
    # Well-formed rows, one named on its own with two gates, naming a place the dataset lacks.
    (clean / "sea" / "calls_on_the_way.csv").write_text(
        header
        + "bosporus,Bosporus,24,24,NOWHERE,100,29,41,29.1,41.1,,estimate,estimate,estimate,estimate,estimate\n"
        + "north-sea,North Sea,24,24,NOWHERE,100,1,51,2,51,1 52 2 52,estimate,estimate,estimate,estimate,estimate\n"
    )
    errors = validate_dataset(clean).errors
    assert any("calls_on_the_way.csv" in e and "bosporus: NOWHERE: unknown place" in e for e in errors), errors
    assert any("calls_on_the_way.csv" in e and "north-sea: NOWHERE: unknown place" in e for e in errors), errors
    assert not any("other_gates" in e or "passage" in e.split(": ", 2)[-1] for e in errors), errors
