"""The decision commands on the command line: pareto, criticality, scenario, and what they add to others.

What must hold:
- every new command has --help, text and JSON output, and the CLI's exit codes: 0 success,
  1 a problem with the request or data (unknown place, bad scenario file), 2 bad usage;
- a bad scenario file gives one line per problem on stderr, each with its file and line;
- `--by generalized` minimises cost + time value + CO2 price: with a carbon price far above the
  rest it picks the lowest-CO2 route, with no time value and no carbon price the cheapest;
- compare shows the generalised cost; scenario compare shows base and scenario with the deltas;
- pareto --map draws a layer per route and --plot writes an SVG with a point per route, text
  from data escaped; criticality --map and reach --map write self-contained pages;
- matrix on 2 workers prints what the serial matrix prints.
"""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
import xml.etree.ElementTree as ET

import pytest

from corridor.decision_maps import front_svg
from corridor.pareto import pareto

NEW_COMMANDS = (("pareto",), ("criticality",), ("scenario", "list"), ("scenario", "show"), ("scenario", "compare"))


@pytest.mark.parametrize("command", NEW_COMMANDS)
def test_help(run, command):
    result = run(*command, "--help")
    assert result.code == 0 and "usage:" in result.out


def test_pareto_text_and_json(run):
    text = run("pareto", "Chongqing", "Singapore")
    assert text.code == 0 and "not dominated" in text.out
    data = run("pareto", "Chongqing", "Singapore", "--format", "json").json()
    assert data["origin"]["id"] == "CNCQI" or data["origin"]["name"].startswith("Chongqing")
    assert data["destination"]["id"] == "SGSIN"
    assert len(data["routes"]) >= 2
    for route in data["routes"]:
        assert set(route) >= {"origin", "destination", "optimized_for", "totals", "legs"}
        assert route["totals"]["cost_usd"] == pytest.approx(sum(leg["cost_usd"] for leg in route["legs"]), abs=0.05)


def test_pareto_exit_codes(run, tmp_path):
    assert run("pareto", "Chongqing", "Atlantis").code == 1
    assert run("pareto", "Chongqing").code == 2
    bad = run("pareto", "Chongqing", "Singapore", "--plot", str(tmp_path / "front.png"))
    assert bad.code == 2 and bad.err.count("\n") == 1


def test_pareto_map_and_plot(run, tmp_path):
    page, chart = tmp_path / "front.html", tmp_path / "front.svg"
    result = run("pareto", "Chongqing", "Singapore", "--map", str(page), "--plot", str(chart), "-q")
    assert result.code == 0
    routes = len(result.out.strip().splitlines()) - 3
    html = page.read_text(encoding="utf-8")
    assert "<script src=" not in html and html.count("corridor-route-0") >= 1
    assert f"corridor-route-{routes - 1}" in html
    svg = ET.fromstring(chart.read_text(encoding="utf-8"))
    circles = svg.findall(".//{http://www.w3.org/2000/svg}circle")
    assert len(circles) == routes
    page2 = tmp_path / "front-page.html"
    assert run("pareto", "Chongqing", "Singapore", "--plot", str(page2), "-q").code == 0
    assert "<svg" in page2.read_text(encoding="utf-8") and "<script" not in page2.read_text(encoding="utf-8")


def test_front_chart_escapes_text(network):
    front = pareto(network, "Chongqing", "Hanoi")
    svg = front_svg(network, front, title="<script>alert(1)</script> {{ x }}")
    assert "<script>" not in svg and "{{" not in svg
    ET.fromstring(svg)


def test_generalized_follows_its_prices(run):
    common = ("route", "Chongqing", "Singapore", "--format", "json", "--by")
    co2 = run(*common, "co2").json()
    cheapest = run(*common, "cost").json()
    green = run(*common, "generalized", "--co2-price-usd-per-t", "1000000", "--cargo-value-usd", "0").json()
    thrifty = run(*common, "generalized", "--co2-price-usd-per-t", "0", "--cargo-value-usd", "0").json()
    assert green["optimized_for"] == "generalized_usd"
    assert green["totals"]["co2_kg"] == pytest.approx(co2["totals"]["co2_kg"])
    assert thrifty["totals"]["cost_usd"] == pytest.approx(cheapest["totals"]["cost_usd"])
    assert thrifty["totals"]["generalized_usd"] == pytest.approx(thrifty["totals"]["cost_usd"], abs=0.01)


def test_generalized_on_reach_and_matrix(run):
    rows = run("reach", "Chongqing", "--by", "generalized", "--format", "json", "--limit", "20").json()
    values = [r["generalized_usd"] for r in rows]
    assert values == sorted(values)
    # The CSV of the same reach has the column too (it was left out), with the same figures.
    table = run("reach", "Chongqing", "--by", "generalized", "--format", "csv", "--limit", "20").out
    assert [float(r["generalized_usd"]) for r in csv.DictReader(io.StringIO(table))] == values
    out = run("matrix", "Chongqing", "--to", "Singapore", "--by", "generalized", "--format", "json").json()
    assert out[0]["destination_id"] == "SGSIN"


def test_a_generalised_matrix_writes_its_desire_lines_as_the_others_do(run, tmp_path):
    # It once ended in a traceback: the matrix knew no origin positions to draw from.
    import geopandas

    for by in ("generalized", "cost"):
        out = tmp_path / f"{by}.gpkg"
        result = run("matrix", "Chongqing", "--to", "Singapore", "--to", "Pevek", "--by", by, "--format", "gpkg",
                     "--out", str(out))  # fmt: skip
        assert result.code == 0, result.err
        frame = geopandas.read_file(out)
        assert list(frame["destination_id"]) == ["SGSIN", "RUPWE"]  # Pevek: no route (Arctic closed)
        assert frame.geometry.iloc[0].coords[-1] == pytest.approx((103.8, 1.3), abs=0.5)
        assert frame.geometry.iloc[1] is None and frame["cost_usd"].isna().iloc[1]


def test_compare_shows_the_generalised_cost(run):
    text = run("compare", "Chongqing", "Singapore")
    assert "generalised" in text.out
    data = run("compare", "Chongqing", "Singapore", "--format", "json").json()
    assert data["generalized_usd"]["optimized_for"] == "generalized_usd"
    best = data["generalized_usd"]["totals"]["generalized_usd"]
    assert all(best <= route["totals"]["generalized_usd"] + 0.01 for route in data.values())


def test_scenario_list_show_compare(run):
    listed = run("scenario", "list", "--format", "json").json()
    assert {"red-sea-2024", "hormuz-closure", "three-gorges-maintenance", "laos-rail-suspension",
            "border-closure-pingxiang"} <= {s["name"] for s in listed}  # fmt: skip
    assert all(s["problem"] is None for s in listed)
    shown = run("scenario", "show", "red-sea-2024")
    assert shown.code == 0 and "bab-el-mandeb" in shown.out and "source:" in shown.out
    data = run("scenario", "compare", "Chongqing", "Rotterdam", "--scenario", "red-sea-2024", "--by", "time",
               "--modes", "river,sea", "--format", "json").json()  # fmt: skip
    assert data["delta"]["time_h"] > 0
    # Each change is the difference of the totals beside it, rounded as they are (0.1 km, 0.1 h,
    # a cent, 0.1 kg): it was the exact routes' difference to 2 decimals (distance 6,128.27 km
    # against totals 6,128.2 km apart).
    for metric, decimals in (("distance_km", 1), ("time_h", 1), ("cost_usd", 2), ("co2_kg", 1)):
        change = data["scenario_route"]["totals"][metric] - data["base"]["totals"][metric]
        assert data["delta"][metric] == round(change, decimals), metric
    text = run("scenario", "compare", "Chongqing", "Rotterdam", "--scenario", "red-sea-2024")
    assert text.code == 0 and "change" in text.out and "red-sea-2024" in text.out
    assert run("scenario", "compare", "Chongqing", "Rotterdam").code == 2  # --scenario is required


def test_scenario_on_other_commands(run):
    by_sea = ("--by", "time", "--modes", "river,sea", "--format", "json")
    base = run("route", "Chongqing", "Rotterdam", *by_sea).json()
    red = run("route", "Chongqing", "Rotterdam", *by_sea, "--scenario", "red-sea-2024")
    assert red.code == 0 and "scenario red-sea-2024" in red.err
    assert red.json()["totals"]["time_h"] > base["totals"]["time_h"]
    for argv in (("reach", "Chongqing", "--limit", "3"), ("matrix", "Chongqing", "--to", "Rotterdam"),
                 ("pareto", "Chongqing", "Rotterdam"), ("compare", "Chongqing", "Rotterdam")):  # fmt: skip
        assert run(*argv, "--scenario", "red-sea-2024", "-q").code == 0, argv
    assert run("route", "Chongqing", "Rotterdam", "--scenario", "no-such-scenario").code == 2


def test_bad_scenario_file_one_line_per_problem(run, tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text('name = "bad"\ntitle = "t"\n\n[[delay]]\nplaces = ["Qinzhou"]\n\n[[close]]\nsource = "estimate"\n')
    result = run("scenario", "show", str(bad))
    assert result.code == 1
    lines = result.err.strip().splitlines()
    problems = [line.strip() for line in lines[1:]]
    assert len(problems) == 3, lines
    assert all(p.startswith(f"{bad}:") for p in problems)
    syntax = tmp_path / "syntax.toml"
    syntax.write_text('name = "x"\n[[close]\n')
    result = run("route", "Chongqing", "Singapore", "--scenario", str(syntax))
    assert result.code == 1 and f"{syntax}:2:" in result.err and "Traceback" not in result.err


def test_criticality_text_json_csv_map(run, tmp_path):
    args = ("criticality", "Chongqing", "--to", "Singapore", "--to", "Haiphong", "--to", "Laem Chabang", "--by", "time")
    text = run(*args, "--top", "5")
    assert text.code == 0 and "closed in turn" in text.out
    data = run(*args, "--format", "json").json()
    assert data["optimized_for"] == "time_h" and data["elements"]
    assert [e["rank"] for e in data["elements"]] == list(range(1, len(data["elements"]) + 1))
    csv_out = run(*args, "--format", "csv").out.splitlines()
    assert csv_out[0].startswith("rank,kind,id,name")
    page = tmp_path / "critical.html"
    assert run(*args, "--map", str(page), "-q").code == 0
    html = page.read_text(encoding="utf-8")
    assert "corridor-critical" in html and "<script src=" not in html
    weights = tmp_path / "ports.txt"
    weights.write_text("# port, weight\nSingapore, 3\nHaiphong\n")
    weighted = run("criticality", "Chongqing", "--to-file", str(weights), "--format", "json").json()
    assert [d["weight"] for d in weighted["destinations"]] == [3.0, 1.0]
    assert run("criticality", "Chongqing").code == 2
    assert run("criticality", "Chongqing", "--to", "Atlantis").code == 1
    assert run("criticality", "Chongqing", "--to", "Singapore", "--workers", "0").code == 2


def test_reach_map_and_by_country(run, tmp_path):
    page = tmp_path / "reach.html"
    result = run("reach", "Chongqing", "--by", "time", "--map", str(page), "--by-country", "--format", "json")
    assert result.code == 0
    table = result.json()
    assert {"country", "places", "min_time_h", "median_time_h", "max_time_h"} <= set(table[0])
    assert all(r["min_time_h"] <= r["median_time_h"] <= r["max_time_h"] for r in table)
    html = page.read_text(encoding="utf-8")
    assert "corridor-reached" in html and "By country" in html


def test_matrix_on_two_workers_prints_what_serial_prints(run):
    argv = ("matrix", "Chongqing", "Shanghai", "--to", "Singapore", "--to", "Rotterdam", "--to", "Haiphong")
    serial = run(*argv)
    spread = run(*argv, "--workers", "2", "-q")
    assert serial.code == spread.code == 0
    assert serial.out == spread.out
    assert json.loads(run(*argv, "--format", "json").out)


def test_scenario_dates_and_cluster_errors(run):
    assert run("route", "Chongqing", "Rotterdam", "--on", "2024-03-01").code == 2  # --on needs --scenario
    assert run("route", "Chongqing", "Rotterdam", "--scenario", "red-sea-2024", "--on", "March").code == 2
    quiet = run("route", "Chongqing", "Rotterdam", "--by", "time", "--scenario", "red-sea-2024", "--on", "2019-01-01")
    plain = run("route", "Chongqing", "Rotterdam", "--by", "time")
    assert quiet.code == 0 and quiet.out == plain.out  # no change of the scenario is in force in 2019
    bad = run("criticality", "Chongqing", "--to", "Singapore", "--scheduler", "not an address")
    assert bad.code == 1 and "Traceback" not in bad.err
    assert len(bad.err.strip().splitlines()) == 1


def test_workers_leave_no_noise_on_stderr():
    argv = [sys.executable, "-m", "corridor", "criticality", "Chongqing", "--to", "Singapore", "--workers", "2", "-q"]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stderr == "", done.stderr  # the cluster's own logs (heartbeats at shutdown) stay quiet
