"""The CLI contract: outputs, JSON shapes, exit codes and one-line errors."""

from __future__ import annotations

import csv
import json
import math
import subprocess
import sys

import pytest

from corridor.datasets import bundled_data_dir, is_estimate
from corridor.registry import METRICS as METRIC_SPECS

METRICS = ("distance_km", "time_h", "cost_usd", "co2_kg")


def assert_one_line_error(result, code):
    assert result.code == code
    assert result.out == ""
    lines = result.err.strip().splitlines()
    assert len(lines) == 1, result.err
    assert "Traceback" not in result.err


def test_route_text_shows_legs_and_totals(run):
    result = run("route", "Chongqing", "Umm Qasr")
    assert result.code == 0
    assert "Cheapest route from" in result.out
    assert "total" in result.out
    assert "Umm Qasr (IQUQR)" in result.out


def test_route_json_follows_the_contract(run):
    result = run("route", "Chongqing", "Umm Qasr", "--format", "json", "--alternatives", "2", "--by", "time")
    assert result.code == 0
    data = result.json()
    assert set(data) >= {"origin", "destination", "optimized_for", "totals", "legs", "alternatives"}
    assert data["optimized_for"] == "time_h"
    assert data["destination"]["id"] == "IQUQR"
    assert set(data["origin"]) >= {"id", "name", "country", "lat", "lon"}
    assert len(data["alternatives"]) == 2
    for route in (data, *data["alternatives"]):
        for metric in METRICS:
            total = sum(leg[metric] for leg in route["legs"])
            assert math.isclose(route["totals"][metric], total, abs_tol=1e-6), metric
        for leg in route["legs"]:
            assert leg["mode"] in {"rail", "river", "sea", "road", "transfer"}
            assert set(leg) >= {"from", "to", "mode", *METRICS}
    # Keys are sorted, as the contract says.
    assert result.out.index('"alternatives"') < result.out.index('"destination"') < result.out.index('"legs"')


def test_a_border_without_published_fees_is_said_not_charged(run):
    # borders.csv gives no fees at Mohan-Boten or Nong Khai by road: the lorry to Laem Chabang
    # pays none there, and the answer says so in text and JSON, with that as the crossing's cost
    # source (staying on the lorry pays no departure: no leg charge is cited).
    text = run("route", "Chongqing", "Laem Chabang", "--by", "time", "--modes", "road")
    assert text.code == 0
    assert (
        "border fees not charged: Mohan-Boten by road, Vientiane-Nong Khai by road (no fee figures in the data)"
        in " ".join(text.out.split())
    )
    data = run("route", "Chongqing", "Laem Chabang", "--by", "time", "--modes", "road", "--format", "json").json()
    assert data["border_fees_not_charged"] == [
        {"place": "LABTN", "mode": "road", "crossing": "Mohan-Boten"},
        {"place": "th-nongkhai", "mode": "road", "crossing": "Vientiane-Nong Khai"},
    ]
    crossings = [leg for leg in data["legs"] if leg["activity"] == "border crossing"]
    assert [leg["cost_usd"] for leg in crossings] == [0, 0]
    assert all(leg["sources"]["cost_usd"] == ["no fee figures for this border: none charged"] for leg in crossings)
    # Hekou-Lao Cai by road has a published fee (S162): charged, cited, and nothing to say.
    hanoi = run("route", "Kunming", "Hanoi", "--by", "time", "--modes", "road", "--format", "json").json()
    assert hanoi["border_fees_not_charged"] == []
    (hekou,) = [leg for leg in hanoi["legs"] if leg["activity"] == "border crossing"]
    assert hekou["cost_usd"] == 62 and "S162" in hekou["sources"]["cost_usd"][0]
    assert "border fees not charged" not in run("route", "Kunming", "Hanoi", "--by", "time", "--modes", "road").out
    # The trade-off and the scenario comparison say it under their tables too.
    pareto = run("pareto", "Chongqing", "Laem Chabang")
    assert "border fees not charged: " in pareto.out and "Vientiane-Nong Khai by road" in " ".join(pareto.out.split())
    versus = run(
        "scenario", "compare", "Chongqing", "Laem Chabang", "--scenario", "laos-rail-suspension", "--by", "generalized"
    )
    assert "border fees not charged: Thanaleng-Nong Khai by rail" in " ".join(versus.out.split())
    # The border's own page says it too, in text and JSON.
    shown = run("ports", "show", "Mohan", "--format", "json").json()
    road = next(f for f in shown["figures"] if f["figure"] == "border (road)")
    assert road["fees_given"] is False and "no fee figures (none charged)" in road["text"]
    assert next(f for f in shown["figures"] if f["figure"] == "border (rail)")["fees_given"] is True


def _clearance_rows():
    return list(csv.DictReader((bundled_data_dir() / "clearance.csv").open(encoding="utf-8")))


def test_an_import_without_clearance_figures_is_said_not_charged(run):
    # Sri Lanka has no import row in data/clearance.csv: the route charges no import clearance at
    # Colombo and says so, in text and in JSON; Iraq has one, charged as its own leg.
    text = run("route", "Chongqing", "Colombo", "--modes", "river,sea")
    assert text.code == 0
    assert "customs not charged: Sri Lanka import at Colombo (no clearance figures in the data)" in text.out
    assert "import clearance" not in text.out
    data = run("route", "Chongqing", "Colombo", "--modes", "river,sea", "--format", "json").json()
    assert data["customs_not_charged"] == [{"place": "LKCMB", "country": "LK", "direction": "import"}]
    iraq = run("route", "Chongqing", "Umm Qasr", "--format", "json").json()
    assert iraq["customs_not_charged"] == []
    assert any(leg["activity"] == "import clearance" for leg in iraq["legs"])
    assert "customs not charged" not in run("route", "Chongqing", "Umm Qasr").out
    compared = run("compare", "Chongqing", "Colombo")
    assert compared.out.count("Sri Lanka import at Colombo") == 1
    # Belgium has no row either, but it is in the EU customs union, one customs territory: its
    # ports charge the union's figures (the first EU row by id), as do the EU's land borders.
    antwerp = run("route", "Chongqing", "Antwerp", "--modes", "river,sea", "--format", "json").json()
    assert antwerp["customs_not_charged"] == []
    (cleared,) = [leg for leg in antwerp["legs"] if leg["activity"] == "import clearance"]
    union = sorted(
        (r for r in _clearance_rows() if r["direction"] == "import" and r["place_id"][:2] in ("DE", "NL")),
        key=lambda r: r["place_id"],
    )[0]
    assert cleared["customs"] == [
        {"country": "BE", "direction": "import", "time_h": float(union["h"]), "cost_usd": float(union["usd"]),
         "at_crossing": False}
    ]  # fmt: skip
    assert run("compare", "Chongqing", "Antwerp").out.count("customs not charged") == 0
    # A route inside one country clears nothing, and there is nothing to say.
    assert run("route", "Chongqing", "Dalian", "--format", "json").json()["customs_not_charged"] == []
    # A link that crosses a customs border by itself: the barge or lorry to Hong Kong charges
    # China's export clearance, and Hong Kong has no import figures.
    hong_kong = run("route", "Chongqing", "Hong Kong", "--by", "time", "--format", "json").json()
    assert hong_kong["customs_not_charged"] == [{"place": "HKHKG", "country": "HK", "direction": "import"}]
    # Cargo that lands in a third country on its way passes its customs in transit: by Aqaba to
    # Baghdad, Jordan's is not charged (Iraq's is, at the Karameh crossing).
    baghdad = run("route", "Chongqing", "Baghdad", "--scenario", "hormuz-closure", "--format", "json").json()
    assert baghdad["customs_not_charged"] == [{"place": "JOAQJ", "country": "JO", "direction": "transit"}]


def test_route_modes_river_sea_to_jakarta(run):
    data = run("route", "Chongqing", "Jakarta", "--modes", "river,sea", "--format", "json").json()
    assert {leg["mode"] for leg in data["legs"]} <= {"river", "sea", "transfer"}
    assert data["destination"]["id"] == "IDTPP"


def test_teu_scales_json_totals(run):
    one = run("route", "Chongqing", "Singapore", "--format", "json").json()["totals"]
    five = run("route", "Chongqing", "Singapore", "--format", "json", "--teu", "5").json()["totals"]
    assert math.isclose(five["cost_usd"], 5 * one["cost_usd"], rel_tol=1e-4)
    assert math.isclose(five["co2_kg"], 5 * one["co2_kg"], rel_tol=1e-4)
    assert five["time_h"] == one["time_h"]


def test_geojson_has_a_line_per_leg(run):
    data = run("route", "Chongqing", "Singapore", "--by", "time", "--format", "geojson").json()
    assert data["type"] == "FeatureCollection"
    lines = [f for f in data["features"] if f["geometry"]["type"] == "LineString"]
    assert {f["properties"]["mode"] for f in lines} == {"rail", "sea"}
    for feature in lines:
        assert len(feature["geometry"]["coordinates"]) >= 2
        assert all(m in feature["properties"] for m in METRICS)


def test_compare_text_and_json(run):
    text = run("compare", "Chongqing", "Hong Kong")
    assert text.code == 0
    for word in ("cheapest", "fastest", "shortest", "lowest-CO2"):
        assert word in text.out
    data = run("compare", "Chongqing", "Hong Kong", "--format", "json").json()
    assert set(data) == {*METRICS, "generalized_usd"}  # the four metrics and the generalised cost
    assert data["time_h"]["totals"]["time_h"] <= min(r["totals"]["time_h"] for r in data.values())


def test_ports_list_by_country(run):
    data = run("ports", "list", "--country", "IQ", "--format", "json").json()
    ids = {p["id"] for p in data}
    assert {"IQUQR", "IQBSR", "IQKAZ"} <= ids
    assert all(p["country"] == "IQ" for p in data)
    assert set(data[0]) == {"id", "name", "country", "lat", "lon", "kind", "modes"}
    csv_out = run("ports", "list", "--country", "iq", "--format", "csv").out
    assert csv_out.splitlines()[0] == "id,name,country,lat,lon,kind,modes"


def test_ports_show_cites_sources(run):
    result = run("ports", "show", "three gorges")
    assert result.code == 0
    assert "dwell" in result.out
    assert "S80" in result.out


def test_handling_time_and_fee_cite_their_own_sources(run, network, monkeypatch):
    """Qinzhou sets its own handling time (an estimate) but not its fee, which comes from the
    seaport parameter and its published terminal charges: each figure shows its own source, in
    `ports show` and on a route's transfer."""
    fee_source = network.parameters.source("handling_usd", "seaport")
    assert not is_estimate(fee_source)
    monkeypatch.setenv("COLUMNS", "400")
    shown = run("ports", "show", "CNQZH").out.splitlines()
    (time_line,) = [line for line in shown if line.strip().startswith("handling  ")]
    (fee_line,) = [line for line in shown if line.strip().startswith("handling fee")]
    assert "estimate" in time_line and "$" not in time_line
    assert fee_source.split(":")[0] in fee_line and "[estimate]" not in fee_line
    data = json.loads(run("route", "Chongqing", "Singapore", "--modes", "rail,sea", "--format", "json").out)
    transfers = [leg for leg in data["legs"] if leg["mode"] == "transfer" and leg["from"] == "CNQZH"]
    assert transfers
    assert fee_source in transfers[0]["sources"]["cost_usd"]
    assert fee_source not in transfers[0]["sources"]["time_h"]


def test_ports_show_gives_what_routes_charge_at_a_place(run):
    """Issue 10 asks that `ports show` and JSON show, for every figure on a route, its source or
    'estimate'. What a route charges at a place (a border, a break of gauge, customs, a
    transshipment) is in `ports show` for that place, with the figures the route charged and the
    source its leg cites."""

    def figures(place: str) -> dict:
        shown = json.loads(run("ports", "show", place, "--format", "json").out)
        return {figure["figure"]: figure for figure in shown["figures"]}

    def charged(*argv: str) -> dict:
        legs = json.loads(run("route", *argv, "--format", "json").out)["legs"]
        return {(leg["activity"], leg["from"]): leg for leg in legs if leg["mode"] == "transfer"}

    rail = charged("Kunming", "Lat Krabang", "--modes", "rail")
    border, leg = figures("LABTN")["border (rail)"], rail[("border crossing", "LABTN")]
    assert (leg["time_h"], leg["cost_usd"]) == (border["crossing_h"], border["cost_usd"]) == (5, 30)
    assert border["source"] in leg["sources"]["time_h"] and border["source"].startswith("crossing_h: S148")
    gauge, leg = figures("LATHG")["border (rail)"], rail[("break of gauge", "LATHG")]
    assert (leg["time_h"], leg["cost_usd"]) == (gauge["crossing_h"] + gauge["lift_h"], gauge["lift_usd"])
    assert gauge["source"] in leg["sources"]["time_h"]

    cleared, leg = figures("IQUQR")["import clearance"], charged("Chongqing", "Umm Qasr")[("import clearance", "IQUQR")]
    assert (leg["time_h"], leg["cost_usd"]) == (cleared["h"], cleared["usd"]) == (131, 644)
    assert leg["sources"]["time_h"] == [cleared["source"]]

    hub, leg = (
        figures("SGSIN")["transshipment"],
        charged("Chongqing", "Jakarta", "--modes", "rail,sea", "--by", "time")[("transshipment", "SGSIN")],
    )
    assert hub["transship_h"] <= leg["time_h"] and hub["transship_usd"] <= leg["cost_usd"]
    for part in hub["source"].split("; transship"):
        assert any(part.removeprefix("_") in cited for cited in leg["sources"]["time_h"]), part
    assert not figures("SGSIN")["sea class"]["source"].startswith("transship")


def test_ports_show_lists_the_services_that_call_there(run, monkeypatch):
    """Which published services call at a port, how often and where else, each with its source;
    a service's sailing on a route cites the same source. One not known to run still is listed
    and said not to be routed."""
    shown = json.loads(run("ports", "show", "Manila", "--format", "json").out)
    services = {f["service"]: f for f in shown["figures"] if f["figure"] == "service"}
    scp = services["pil-scp"]  # PIL's weekly South China-Philippines loop (S308)
    assert (scp["per_week"], scp["vessel_class"], scp["status"]) == (1, "feeder", "operational")
    assert scp["source"].startswith("S308") and "Shenzhen Shekou - Manila - Cebu" in scp["text"]
    legs = json.loads(run("route", "Shekou", "Manila", "--modes", "sea", "--by", "time", "--format", "json").out)
    (sea,) = [leg for leg in legs["legs"] if leg["mode"] == "sea"]
    cited = sea["sources"]["time_h"]
    assert any(part.startswith("estimate: the service's speed") and "S308" in part for part in cited)
    # and the route's table names the service under its sailing
    table = run("route", "Shekou", "Manila", "--modes", "sea", "--by", "time").out
    assert "on PIL South China Philippines (SCP)" in table
    monkeypatch.setenv("COLUMNS", "400")
    irisl = [line for line in run("ports", "show", "Bandar Abbas").out.splitlines() if "IRISL" in line]
    assert irisl and "current status unknown, not routed" in irisl[0]


def test_ports_show_says_why_a_port_sails_the_lanes(run, monkeypatch):
    """A seaport's class of ships is shown with its reason: a row of sea/hubs.csv (cited), a
    published mainline service, or the World Port Index rule (harbour size and depth)."""
    monkeypatch.setenv("COLUMNS", "400")
    falcon = run("ports", "show", "QADOH").out
    assert "sea class" in falcon and "msc-falcon" in falcon
    small = [line for line in run("ports", "show", "Banjul").out.splitlines() if "sea class" in line]
    assert small and "World Port Index harbour" in small[0]
    hub = json.loads(run("ports", "show", "Jebel Ali", "--format", "json").out)
    shown = {figure["figure"]: figure for figure in hub["figures"]}
    assert shown["sea class"]["sea_class"] == "mainline" and shown["sea class"]["role"] == "hub"
    assert shown["call on the way"]["passage"] == "hormuz" and shown["call on the way"]["call_h"] == 24


@pytest.mark.parametrize("name", ["umm qasr", "UMM QASR", "IQUQR", "iquqr", "Basra", "Hong Kong", "hanoi", "Singapore"])
def test_names_resolve_case_insensitively(run, name):
    assert run("ports", "show", name).code == 0


def test_unknown_place_exits_1_with_candidates(run):
    result = run("route", "Chongqing", "Um Qasr")
    assert_one_line_error(result, 1)
    assert "Umm Qasr" in result.err


def test_no_route_exits_1_naming_the_constraint(run):
    result = run("route", "Chongqing", "Umm Qasr", "--avoid", "hormuz", "--modes", "river,sea")
    assert_one_line_error(result, 1)
    assert "--avoid hormuz" in result.err


def test_impossible_modes_exit_1(run):
    result = run("route", "Chongqing", "Singapore", "--modes", "road")
    assert_one_line_error(result, 1)
    assert "--modes road" in result.err


@pytest.mark.parametrize("fmt", ["text", "json", "csv"])
def test_a_reach_that_reaches_nothing_exits_1_naming_the_constraint(run, tmp_path, fmt):
    # Once, `reach CNCQI --modes river` printed an empty table (and wrote an empty map) with exit 0.
    result = run("reach", "CNCQI", "--modes", "river", "--format", fmt, "--map", str(tmp_path / "r.html"))
    assert_one_line_error(result, 1)
    assert "nothing is reachable from Chongqing Tuanjiecun" in result.err and "--modes river" in result.err
    assert not (tmp_path / "r.html").exists()


@pytest.mark.parametrize(
    "argv",
    [
        ("route", "Chongqing"),
        ("route", "Chongqing", "Umm Qasr", "--by", "fastest"),
        ("route", "Chongqing", "Umm Qasr", "--teu", "-3"),
        ("route", "Chongqing", "Umm Qasr", "--teu", "nan"),
        ("route", "Chongqing", "Umm Qasr", "--alternatives", "many"),
        ("route", "Chongqing", "Umm Qasr", "--modes", "air"),
        ("route", "Chongqing", "Umm Qasr", "--format", "xml"),
        ("route", "Chongqing", "Chongqing"),
        ("route", "Chongqing", "Umm Qasr", "--avoid", "Umm Qasr"),
        ("teleport",),
        (),
    ],
)
def test_bad_usage_exits_2(run, argv):
    assert_one_line_error(run(*argv), 2)


def test_bad_dataset_directory_exits_1(run, tmp_path):
    result = run("route", "Chongqing", "Umm Qasr", "--data", str(tmp_path / "missing"))
    assert_one_line_error(result, 1)
    assert "does not exist" in result.err


def test_python_dash_m_runs_in_a_fresh_process():
    done = subprocess.run(
        [sys.executable, "-m", "corridor", "route", "Chongqing", "Nowhere"], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 1
    assert done.stderr.strip().startswith("corridor: unknown place")
    assert "Traceback" not in done.stderr


def test_validate_the_bundled_dataset(run):
    result = run("validate")
    assert result.code == 0, result.out
    assert "no problems" in result.out


def test_route_and_compare_write_maps(run, tmp_path):
    route_map = tmp_path / "maps" / "route.html"
    result = run("route", "Chongqing", "Umm Qasr", "--alternatives", "1", "--map", str(route_map), "-q")
    assert result.code == 0 and "Cheapest route" in result.out
    assert "corridor-leg corridor-leg-" in route_map.read_text(encoding="utf-8")
    compare_map = tmp_path / "compare.html"
    result = run("compare", "Chongqing", "Hong Kong", "--map", str(compare_map), "-q")
    assert result.code == 0 and "fastest" in result.out
    assert "heapest" in compare_map.read_text(encoding="utf-8")


def test_map_draws_the_network_and_prints_where(run, tmp_path, monkeypatch):
    out = tmp_path / "network.html"
    result = run("map", "--out", str(out))
    assert result.code == 0
    assert result.out.strip() == str(out)
    assert "map written to" in result.err
    assert '"Rail links"' in out.read_text(encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    assert run("map", "-q").code == 0
    assert (tmp_path / "maps" / "network.html").is_file()  # the default


def test_out_makes_a_new_folder_as_map_does(run, tmp_path):
    out = tmp_path / "reports" / "gulf" / "route.json"
    result = run("route", "Chongqing", "Umm Qasr", "--format", "json", "--out", str(out), "-q")
    assert result.code == 0 and result.out.strip() == str(out)
    assert json.loads(out.read_text(encoding="utf-8"))["destination"]["id"] == "IQUQR"
    blocker = tmp_path / "file"
    blocker.write_text("x")
    under_a_file = str(blocker / "r.json")
    assert_one_line_error(run("route", "Chongqing", "Umm Qasr", "--format", "json", "--out", under_a_file), 1)
    assert blocker.read_text() == "x"


def test_out_dash_is_standard_output_and_no_file_named_dash(run, tmp_path, monkeypatch):
    # Once, --out - wrote a file named "-" in the working folder and printed its name.
    monkeypatch.chdir(tmp_path)
    result = run("route", "Chongqing", "Umm Qasr", "--format", "json", "--out", "-")
    assert result.code == 0 and json.loads(result.out)["destination"]["id"] == "IQUQR"
    # A file format or a map cannot go to standard output: a one-line error, no file written.
    assert_one_line_error(run("route", "Chongqing", "Hanoi", "--format", "gpkg", "--out", "-"), 2)
    assert_one_line_error(run("route", "Chongqing", "Hanoi", "--map", "-"), 2)
    assert_one_line_error(run("map", "--out", "-"), 2)
    assert not list(tmp_path.iterdir())


def test_a_map_that_cannot_be_written_is_a_one_line_error(run, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    assert_one_line_error(run("map", "--out", str(blocker / "network.html")), 1)
    assert_one_line_error(run("route", "Chongqing", "Hong Kong", "--map", str(blocker / "r.html")), 1)
    assert_one_line_error(run("map", "--out"), 2)


def test_out_extension_sets_the_format_and_never_contradicts_it(run, tmp_path):
    # Once, `--out route.geojson` without --format wrote the text table into a .geojson file.
    geojson = tmp_path / "route.geojson"
    assert run("route", "Chongqing", "Hanoi", "--out", str(geojson), "-q").code == 0
    assert json.loads(geojson.read_text(encoding="utf-8"))["type"] == "FeatureCollection"
    table = tmp_path / "reach.csv"
    assert run("reach", "Chongqing", "--limit", "3", "--out", str(table), "-q").code == 0
    assert next(csv.reader(table.open(encoding="utf-8")))[:2] == ["id", "name"]
    # A .json file holds GeoJSON when asked for it, and JSON by default.
    assert run("route", "Chongqing", "Hanoi", "--format", "geojson", "--out", str(tmp_path / "r.json")).code == 0
    assert "legs" in json.loads(run("route", "Chongqing", "Hanoi", "--out", "-", "--format", "json").out)
    # An explicit --format that the extension contradicts, or an extension the command cannot write:
    # a one-line usage error and no file.
    contradicted = run("route", "Chongqing", "Hanoi", "--format", "text", "--out", str(tmp_path / "t.geojson"))
    assert_one_line_error(contradicted, 2)
    assert_one_line_error(run("reach", "Chongqing", "--out", str(tmp_path / "r.geojson")), 2)
    assert not (tmp_path / "t.geojson").exists() and not (tmp_path / "r.geojson").exists()


def test_out_extension_never_writes_html_nor_asks_for_a_format_the_command_lacks(run, tmp_path):
    # `--out route.html` wrote the text table into an .html file (a browser shows it as one
    # jumbled paragraph): no --out writes HTML, so it is refused, pointing at --map.
    page = tmp_path / "route.html"
    refused = run("route", "Chongqing", "Hanoi", "--out", str(page))
    assert_one_line_error(refused, 2)
    assert "--map FILE.html" in refused.err
    assert_one_line_error(run("matrix", "Chongqing", "--to", "Hanoi", "--out", str(tmp_path / "m.htm")), 2)
    assert not page.exists() and not (tmp_path / "m.htm").exists()
    # A contradicted extension was answered "give --format geojson" by reach, which has no such format.
    refused = run("reach", "Chongqing", "--format", "json", "--out", str(tmp_path / "r.geojson"))
    assert_one_line_error(refused, 2)
    assert "--format geojson" not in refused.err and "--format takes text, json, csv" in refused.err


def test_matrix_csv_is_long_format_with_the_routes_totals(run, network):
    from corridor.routing import find_routes

    result = run("matrix", "Chongqing", "Qinzhou", "--to", "Singapore", "--to", "Umm Qasr", "--by", "time")
    assert result.code == 0, result.err
    lines = result.out.splitlines()
    assert lines[0] == "origin,destination,destination_id,distance_km,time_h,cost_usd,co2_kg"
    rows = [line.split(",") for line in lines[1:]]
    assert [(r[0], r[1]) for r in rows] == [
        ("Chongqing", "Singapore"), ("Chongqing", "Umm Qasr"), ("Qinzhou", "Singapore"), ("Qinzhou", "Umm Qasr"),
    ]  # fmt: skip
    for origin, destination, destination_id, *totals in rows:
        (route,) = find_routes(network, origin, destination, by="time")
        assert destination_id == route.destination
        for metric, text in zip(METRICS, totals, strict=True):
            rounding = 10 ** -METRIC_SPECS[metric].decimals / 2
            assert float(text) == pytest.approx(getattr(route, metric), abs=rounding + 1e-9)


def test_matrix_leaves_unreachable_pairs_empty_and_reads_place_files(run, tiny, tmp_path):
    origins = tmp_path / "origins.txt"
    origins.write_text("# where we start\nAlpha\n\nCharlie City\n")
    destinations = tmp_path / "destinations.txt"
    destinations.write_text("Bravo Port\nIsland Port\n")
    result = run(
        "matrix", "--origins-file", str(origins), "--destinations-file", str(destinations), "--data", str(tiny),
        "--format", "json",
    )  # fmt: skip
    assert result.code == 0, result.err
    records = result.json()
    assert len(records) == 4
    island = [r for r in records if r["destination"] == "Island Port"]
    assert island and all(r[m] is None for r in island for m in METRICS)
    # No route, but the row still says which place the destination named.
    assert {r["destination_id"] for r in island} == {"IDIII"}
    bravo = [r for r in records if r["destination"] == "Bravo Port"]
    assert all(r["time_h"] > 0 and r["destination_id"] == "CNBBB" for r in bravo)
    csv_result = run("matrix", "Alpha", "--to", "Island Port", "--data", str(tiny))
    assert csv_result.out.splitlines()[1] == "Alpha,Island Port,IDIII,,,,"


def test_matrix_gives_a_destination_that_is_its_origin_totals_of_0_not_no_route(run, tiny):
    # Once, `matrix CNCQI --to CNCQI` gave empty totals, as for a place no route reaches.
    result = run("matrix", "Alpha", "Charlie City", "--to", "CNAAA", "--to", "CNCCC", "--to", "Island Port",
                 "--data", str(tiny))  # fmt: skip
    assert result.code == 0, result.err
    rows = result.out.splitlines()[1:]
    assert "Alpha,CNAAA,CNAAA,0.0,0.0,0.0,0.0" in rows
    assert "Charlie City,CNCCC,CNCCC,0.0,0.0,0.0,0.0" in rows  # a place of the origin's area
    assert "Alpha,Island Port,IDIII,,,," in rows  # out of reach stays empty
    assert next(r for r in rows if r.startswith("Alpha,CNCCC,")).split(",")[3] not in ("", "0.0")


def test_matrix_gives_a_place_no_route_can_use_empty_totals_and_says_why(run, tiny, network):
    # A matrix of many places stopped at the first that no route can use (planned, or a port
    # that cannot reach the sea lanes: 86 of the World Port Index), with no table at all.
    result = run("matrix", "Alpha", "Planned Port", "--to", "Bravo Port", "--to", "CNPPP", "--data", str(tiny))
    assert result.code == 0, result.err
    rows = result.out.splitlines()[1:]
    assert rows[1:] == [
        "Alpha,CNPPP,CNPPP,,,,",
        "Planned Port,Bravo Port,CNBBB,,,,",
        "Planned Port,CNPPP,CNPPP,0.0,0.0,0.0,0.0",
    ]
    assert rows[0].startswith("Alpha,Bravo Port,CNBBB,") and rows[0].split(",")[3] not in ("", "0.0")
    # One place, though named twice (its name and its id).
    note = "corridor: note: a place no route can use has empty totals: Planned Port (CNPPP) is planned, not operational"
    assert result.err.strip().splitlines() == [note]
    # The same from the library, on the Dask-ready path too, and on the bundled world ports.
    from corridor import routing
    from corridor.distributed import matrix as swept

    for found in (routing.matrix(network, ["Chongqing", "AQMCM"], ["Singapore", "ROBRA"]),
                  swept(network, ["Chongqing", "AQMCM"], ["Singapore", "ROBRA"], by="time")):  # fmt: skip
        assert found[0][0] is not None and [found[0][1], *found[1]] == [None, None, None]
        assert found.destination_ids == ["SGSIN", "ROBRA"] and set(found.unroutable) == {"Mcmurdo Station", "Braila"}
    # Every origin such a place: nothing to search from (the sweep once failed on its empty masks).
    assert routing.matrix(network, ["AQMCM"], ["Singapore"]) == [[None]] == swept(network, ["AQMCM"], ["SGSIN"])


def test_matrix_refuses_bad_input_in_one_line(run, tiny, tmp_path):
    assert_one_line_error(run("matrix", "--to", "Bravo Port", "--data", str(tiny)), 2)
    assert_one_line_error(run("matrix", "Alpha", "--data", str(tiny)), 2)
    listed = tmp_path / "places.txt"
    listed.write_text("Alpha\nAtlantis\n")
    result = run("matrix", "--origins-file", str(listed), "--to", "Bravo Port", "--data", str(tiny))
    assert_one_line_error(result, 1)
    assert "Atlantis" in result.err
    assert_one_line_error(run("matrix", "--origins-file", str(tmp_path), "--to", "Bravo", "--data", str(tiny)), 2)


def test_a_command_parsed_alone_takes_what_it_takes_among_all():
    # A run builds only its own command's parser (`build_parser(only=...)`): each one alone
    # must have every option and argument it has in the full parser.
    from corridor.cli import COMMAND_PARSERS, build_parser

    def options(parser, name):
        (sub,) = [a for a in parser._actions if a.dest == "command"]
        found, todo = set(), [(name, sub.choices[name])]
        while todo:
            path, command = todo.pop()
            for action in command._actions:
                found.add((path, action.dest, tuple(action.option_strings), str(action.choices)))
                if action.dest.endswith("_command"):
                    todo += [(f"{path} {n}", p) for n, p in action.choices.items()]
        return found

    full = build_parser()
    for name in COMMAND_PARSERS:
        alone = build_parser(name)
        assert next(a for a in alone._actions if a.dest == "command").choices.keys() == {name}
        assert options(alone, name) == options(full, name), name
