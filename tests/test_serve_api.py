"""The HTTP API of `corridor serve`: the CLI's answers over HTTP, its errors with the field at fault, and its limits.

Truth comes from the CLI run in-process on the same query: the API must give the same JSON and
text, and refuse bad input with the CLI's own words. Nothing here hard-codes a route's figures.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from pathlib import Path

import pytest

pytest.importorskip("starlette")
from starlette.testclient import TestClient

from corridor.editing import init_dataset, remove_link
from corridor.server import CSP, ENDPOINTS, MAX_CRITICALITY_DESTINATIONS, Settings, create_app

from .conftest import snapshot

ROUTE = {"origin": "chongqing", "destination": "umm qasr"}


@pytest.fixture(scope="module")
def client(network):
    """The API over the bundled network (loaded once per session)."""
    with TestClient(create_app(Settings(), network=network)) as test_client:
        yield test_client


def cli_args(params: dict, positional: tuple[str, ...]) -> list[str]:
    """Write API parameters as the CLI's arguments: positional ones first, then each as its flag."""
    args = [str(params[name]) for name in positional]
    for name, value in params.items():
        if name in positional or name == "format":
            continue
        for item in value if isinstance(value, list) else [value]:
            args += [f"--{name.replace('_', '-')}", str(item)]
    return args


def same_as_cli(client, run, command: list[str], path: str, params: dict, positional=("origin", "destination")):
    """Ask the API and the CLI the same question; return both outputs (the CLI's stdout has one more newline)."""
    response = client.get(path, params=params)
    assert response.status_code == 200, response.text
    fmt = params.get("format", "json")
    result = run(*command, *cli_args(params, positional), "--format", fmt)
    assert result.code == 0, result.err
    return response, result


def error_of(response, status: int, parameter: str | None) -> str:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"error", "parameter"}
    assert body["parameter"] == parameter, body
    assert "\n" not in body["error"] and body["error"]
    return body["error"]


def cli_error(result) -> str:
    """Return what the CLI said after `error: ` (usage) or `corridor: ` (a domain error), on its one line."""
    line = result.err.strip().splitlines()[-1]
    for marker in ("error: ", "corridor: "):
        if marker in line:
            return line.split(marker, 1)[1]
    return line


# --------------------------------------------------------------------------- the CLI's answers


@pytest.mark.parametrize(
    "extra",
    [
        {},
        {"alternatives": 2},
        {"by": "time", "avoid": ["malacca"], "teu": 3},
        {"by": "generalized", "alternatives": 1},
        {"modes": "rail,sea,road", "via": "qinzhou"},
    ],
)
def test_route_json_is_what_the_cli_prints(client, run, extra):
    response, result = same_as_cli(client, run, ["route"], "/api/route", {**ROUTE, **extra})
    assert response.json() == result.json()  # the same document (the API writes it without indentation)


@pytest.mark.parametrize("fmt", ["text", "geojson"])
def test_route_text_and_geojson_are_what_the_cli_prints(client, run, fmt):
    response, result = same_as_cli(client, run, ["route"], "/api/route", {**ROUTE, "alternatives": 2, "format": fmt})
    if fmt == "text":
        assert response.text == result.out  # to the character
    else:
        assert response.json() == result.json()
        routes = {f["properties"]["route"] for f in response.json()["features"]}
        assert routes == {0, 1, 2}


def test_route_map_is_the_cli_map_page(client, tmp_path, run):
    response = client.get("/api/route", params={**ROUTE, "format": "html"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "attachment" in response.headers["content-disposition"]
    page = response.text
    assert "L.map(" in page and "Umm Qasr" in page
    assert '<script src="http' not in page and '<link rel="stylesheet" href="http' not in page  # all inline


@pytest.mark.parametrize("fmt", ["json", "text"])
def test_compare_is_what_the_cli_prints(client, run, fmt):
    response, result = same_as_cli(client, run, ["compare"], "/api/compare", {**ROUTE, "teu": 2, "format": fmt})
    assert response.text == result.out if fmt == "text" else response.json() == result.json()


@pytest.mark.parametrize("fmt", ["json", "csv"])
def test_reach_is_what_the_cli_prints(client, run, fmt):
    params = {"origin": "chongqing", "by": "time", "country": "VN", "limit": 7, "format": fmt}
    response, result = same_as_cli(client, run, ["reach"], "/api/reach", params, positional=("origin",))
    assert response.text == result.out if fmt == "csv" else response.json() == result.json()
    if fmt == "json":
        rows = response.json()
        assert 0 < len(rows) <= 7 and {r["country"] for r in rows} == {"VN"}
        assert [r["time_h"] for r in rows] == sorted(r["time_h"] for r in rows)


@pytest.mark.parametrize("by", ["time", "cost"])
def test_reach_lists_places_in_the_order_of_their_exact_figures(client, run, network, by):
    # The JSON rounds time to 0.1 h and cost to the cent: places that round alike stay in the
    # library's order (on the exact figures), not in the order of their ids.
    from corridor.routing import reach

    exact = [r.place_id for r in reach(network, "Chongqing", by=by)]
    answer = client.get("/api/reach", params={"origin": "chongqing", "by": by}).json()
    assert [r["id"] for r in answer] == exact
    assert [r["id"] for r in run("reach", "chongqing", "--by", by, "--format", "json").json()] == exact


def test_a_route_through_a_disruption_in_force_carries_the_clis_note(client, run):
    """The notes the CLI prints on stderr come as one header line; the body stays the CLI's."""
    import datetime as dt

    reply = client.get("/api/route", params={"origin": "Chongqing", "destination": "Umm Qasr"})
    cli = run("route", "Chongqing", "Umm Qasr", "--format", "json")
    assert reply.status_code == 200 and reply.json() == cli.json()
    notes = [line.removeprefix("corridor: note: ") for line in cli.err.splitlines() if "note: scenario" in line]
    assert reply.headers.get("x-corridor-note", "") == " | ".join(notes)
    assert bool(notes) == (dt.date.today() >= dt.date(2026, 3, 1))  # hormuz-closure, from 1 Mar 2026
    compared = client.get("/api/compare", params={"origin": "Chongqing", "destination": "Umm Qasr"})
    assert ("hormuz-closure" in compared.headers.get("x-corridor-note", "")) == bool(notes)
    red_sea = {"origin": "Chongqing", "destination": "Rotterdam", "scenario": "red-sea-2024"}
    applied = client.get("/api/route", params=red_sea)
    assert applied.status_code == 200 and "x-corridor-note" not in applied.headers

    reply = client.get("/api/matrix", params={"origins": "Chongqing,Kunming", "destinations": "Umm Qasr"})
    assert reply.status_code == 404 and reply.json()["parameter"] == "origins"
    assert "own origins= parameter" in reply.json()["error"]
    pairs = [("origins", "Chongqing"), ("origins", "Kunming"), ("destinations", "Umm Qasr")]
    both = client.get("/api/matrix", params=pairs)
    assert both.status_code == 200 and len(both.json()) == 2


def test_reach_takes_a_country_as_the_cli_does(client, run):
    """A country name works as its code; one not known, or with nothing reached, is an error, not []."""
    by_name = client.get("/api/reach", params={"origin": "chongqing", "country": "Viet Nam"})
    by_code = client.get("/api/reach", params={"origin": "chongqing", "country": "VN"})
    assert by_name.status_code == 200 and by_name.json() == by_code.json() != []
    unknown = client.get("/api/reach", params={"origin": "chongqing", "country": "ZZ"})
    assert unknown.status_code == 400 and unknown.json()["parameter"] == "country"
    cli = run("reach", "chongqing", "--country", "ZZ")
    assert cli.code == 2 and cli.err.strip().endswith(unknown.json()["error"])
    none = client.get("/api/reach", params={"origin": "chongqing", "country": "Australia", "modes": "rail"})
    assert none.status_code == 404 and none.json()["parameter"] == "country"
    assert none.json()["error"].startswith("no place in Australia (AU) is reachable from chongqing")
    named = client.get("/api/places", params={"q": "ha", "country": "Vietnam", "limit": 50}).json()
    assert named and all(r["country"] == "VN" for r in named)
    assert client.get("/api/places", params={"q": "ha", "country": "Atlantis"}).status_code == 400


def test_an_error_is_one_line_whatever_the_request_put_in_it(client):
    # A line break is a separator in a place's name, so "umm<LF>qasr" names Umm Qasr; the error
    # that repeats the origin as typed is still one line (error_of checks).
    typed = {"origin": "umm\nqasr", "country": "Australia", "modes": "rail"}
    message = error_of(client.get("/api/reach", params=typed), 404, "country")
    assert "umm" in message and "qasr" in message


def test_reach_text_lists_as_many_rows_as_asked(client):
    text = client.get("/api/reach", params={"origin": "chongqing", "format": "text", "limit": 5}).text
    lines = text.splitlines()
    assert lines[0].split()[:2] == ["id", "name"]
    assert len(lines) == 2 + 5 + 2  # header, rule, rows, the 'shown' line and the summary
    assert "places in" in lines[-1] and "reachable" in lines[-1]


def test_reach_as_geojson_puts_every_place_reached_on_the_map_in_bands(client, network):
    params = {"origin": "chongqing", "by": "time", "country": "VN"}
    rows = client.get("/api/reach", params=params).json()
    collection = client.get("/api/reach", params={**params, "format": "geojson", "limit": 3}).json()
    assert collection["type"] == "FeatureCollection" and collection["metric"] == "time_h"
    features = collection["features"]
    assert [f["properties"]["id"] for f in features] == [r["id"] for r in rows][:3]  # limit holds, order kept
    whole = client.get("/api/reach", params={**params, "format": "geojson"}).json()
    everything = whole["features"]
    assert [f["properties"]["id"] for f in everything] == [r["id"] for r in rows]
    for feature in everything:
        place = network.places[feature["properties"]["id"]]
        assert feature["geometry"] == {"type": "Point", "coordinates": [place.lon, place.lat]}
    # Bands follow the metric: a longer time is never in a lower band; each band has a colour and a label.
    ordered = sorted(everything, key=lambda f: f["properties"]["time_h"])
    assert [f["properties"]["band"] for f in ordered] == sorted(f["properties"]["band"] for f in ordered)
    bands = whole["bands"]
    assert 2 <= len(bands) <= 6 and all(b["color"].startswith("#") and b["label"] for b in bands)
    assert max(f["properties"]["band"] for f in everything) < len(bands)
    # The bands follow the metric asked for (`by`), as `reach --map` colours, not the order of the rows.
    by_distance = client.get("/api/reach", params={**params, "format": "geojson", "sort": "distance"}).json()
    assert by_distance["metric"] == "time_h"


def test_matrix_get_and_post_are_what_the_cli_prints(client, run):
    origins, destinations = ["chongqing", "chengdu"], ["umm qasr", "singapore", "hamburg"]
    response = client.get("/api/matrix", params={"origins": origins, "destinations": destinations, "by": "time"})
    assert response.status_code == 200, response.text
    args = [*origins, *(x for d in destinations for x in ("--to", d))]
    result = run("matrix", *args, "--by", "time", "--format", "json")
    assert response.json() == result.json()
    posted = client.post("/api/matrix", json={"origins": origins, "destinations": destinations, "by": "time"})
    assert posted.status_code == 200, posted.text
    assert posted.json() == result.json()
    # `modes`, a comma-separated list, may come as a JSON list (it was "give it once").
    body = {"origins": origins, "destinations": destinations, "modes": ["rail", "sea"]}
    listed = client.post("/api/matrix", json=body)
    assert listed.status_code == 200, listed.text
    assert listed.json() == client.post("/api/matrix", json={**body, "modes": "rail,sea"}).json()
    assert listed.json() == run("matrix", *args, "--modes", "rail,sea", "--format", "json").json()
    csv_text = client.get("/api/matrix", params={"origins": origins, "destinations": destinations, "format": "csv"})
    assert csv_text.text == run("matrix", *args, "--format", "csv").out


def test_pareto_is_what_the_cli_prints(client, run):
    params = {"origin": "chongqing", "destination": "singapore"}
    response, result = same_as_cli(client, run, ["pareto"], "/api/pareto", params)
    assert response.json() == result.json()
    geo = client.get("/api/pareto", params={**params, "format": "geojson"}).json()
    assert {f["properties"]["route"] for f in geo["features"]} == set(range(len(result.json()["routes"])))


def test_criticality_is_what_the_cli_prints_and_bounded(client, run):
    params = {"origin": "chongqing", "to": ["singapore", "umm qasr"], "top": 5}
    response, result = same_as_cli(client, run, ["criticality"], "/api/criticality", params, positional=("origin",))
    assert response.json() == result.json()
    many = {"origin": "chongqing", "to": ["singapore"] * (MAX_CRITICALITY_DESTINATIONS + 1)}
    error_of(client.get("/api/criticality", params=many), 400, "to")
    error_of(client.get("/api/criticality", params={"origin": "chongqing"}), 400, "to")


def test_criticality_as_geojson_draws_the_elements_the_table_ranks(client, network):
    params = {"origin": "chongqing", "to": ["singapore", "umm qasr"], "top": 8}
    ranked = client.get("/api/criticality", params=params).json()["elements"]
    collection = client.get("/api/criticality", params={**params, "format": "geojson"}).json()
    features = collection["features"]
    drawn = [(f["properties"]["rank"], f["properties"]["id"]) for f in features]
    assert drawn == [(e["rank"], e["id"]) for e in ranked]
    legend = {entry["color"] for entry in collection["legend"]}
    shapes = {"passage": "MultiLineString", "link": "LineString"}
    for feature in features:
        props, geometry = feature["properties"], feature["geometry"]
        assert props["color"] in legend
        assert geometry["type"] == shapes.get(props["kind"], "Point"), props
        if geometry["type"] == "Point":
            place = network.places[props["id"]]
            assert geometry["coordinates"] == [place.lon, place.lat]
        else:
            lines = geometry["coordinates"] if geometry["type"] == "MultiLineString" else [geometry["coordinates"]]
            assert lines and all(len(line) >= 2 for line in lines)
            assert all(-180 <= lon <= 180 and -90 <= lat <= 90 for line in lines for lon, lat in line)
    # An element whose closure cuts a destination off has the cut-off colour, the legend's first entry.
    for feature in features:
        if feature["properties"]["cut_off"]:
            assert feature["properties"]["color"] == collection["legend"][0]["color"]


def test_scenarios_are_those_the_cli_lists_and_shows(client, run):
    listed = client.get("/api/scenarios").json()
    cli = run("scenario", "list", "--format", "json").json()
    assert [r["name"] for r in listed] == [r["name"] for r in cli]
    assert all("file" not in r for r in listed)  # where files lie on the server is not said
    name = listed[0]["name"]
    shown = client.get(f"/api/scenarios/{name}").json()
    expected = run("scenario", "show", name, "--format", "json").json()
    expected.pop("file")
    assert shown == expected


@pytest.mark.parametrize("fmt", ["json", "text"])
def test_scenario_compare_is_what_the_cli_prints(client, run, fmt):
    params = {"origin": "chongqing", "destination": "rotterdam", "by": "time", "format": fmt}
    response = client.get("/api/scenarios/red-sea-2024/compare", params=params)
    assert response.status_code == 200, response.text
    result = run(
        "scenario", "compare", "chongqing", "rotterdam", "--scenario", "red-sea-2024", "--by", "time", "--format", fmt
    )
    assert response.text == result.out if fmt == "text" else response.json() == result.json()


@pytest.mark.parametrize("name", ["nope", "..", "red-sea-2024.toml", "%2e%2e%2fsources.csv", "..%2F..%2Fsources"])
def test_a_scenario_is_named_never_a_path(client, name):
    response = client.get(f"/api/scenarios/{name}")
    assert response.status_code == 404, response.text
    assert "changes" not in response.text


def test_route_takes_a_scenario_by_name(client):
    base = client.get("/api/route", params={"origin": "chongqing", "destination": "rotterdam", "by": "time"}).json()
    closed = client.get(
        "/api/route",
        params={"origin": "chongqing", "destination": "rotterdam", "by": "time", "scenario": "red-sea-2024"},
    ).json()
    assert closed["totals"]["time_h"] >= base["totals"]["time_h"]  # a closure never makes a route faster
    assert "bab-el-mandeb" not in {p for leg in closed["legs"] for p in leg["passages"]}
    error_of(client.get("/api/route", params={**ROUTE, "scenario": "../sources"}), 404, "scenario")
    error_of(client.get("/api/route", params={**ROUTE, "on": "2024-01-01"}), 400, "on")


# --------------------------------------------------------------------------- places


def test_places_suggest_ids_names_aliases_and_areas(client, network):
    from corridor.gazetteer import normalize

    found = client.get("/api/places", params={"q": "chong"}).json()
    assert found and len(found) <= 10
    assert found[0]["kind"] == "area" and found[0]["name"] == "Chongqing"
    assert set(found[0]["places"]) == {p.id for p in network.places.values() if p.area == "Chongqing"}
    for row in found:
        texts = [row["name"]] if row["kind"] == "area" else [row["id"], row["name"], *network.places[row["id"]].aliases]
        assert any("chong" in normalize(t) for t in texts), row
        assert network.gazetteer.resolve(row["value"])  # what the page puts in the field names it
    exact = client.get("/api/places", params={"q": "IQUQR"}).json()
    assert exact[0]["id"] == "IQUQR" and exact[0]["country"] == "IQ"
    assert client.get("/api/places", params={"q": "umm", "limit": 3}).json().__len__() <= 3
    only = client.get("/api/places", params={"q": "ha", "country": "vn", "limit": 50}).json()
    assert only and all(r["country"] == "VN" for r in only)


@pytest.mark.parametrize("name", ["Umm Qasr", "LATHG", "Chongqing"])
def test_a_place_answers_what_ports_show_says(client, run, name):
    """`/api/places/{name}` is `corridor ports show`: the place (or an area's places) with every
    figure a route charges there and its source."""
    response = client.get(f"/api/places/{name}")
    assert response.status_code == 200, response.text
    assert response.json() == run("ports", "show", name, "--format", "json").json()
    text = client.get(f"/api/places/{name}", params={"format": "text", "width": 100}).text
    assert "handling" in text and "source:" in text


def test_a_place_whose_name_holds_a_slash_is_found_by_its_name(client, run, network):
    # Sent as one path segment (the slash as %2F), as a client quotes a name: the place, as
    # `corridor ports show NAME` shows it, not a 404 for a page that does not exist.
    from urllib.parse import quote

    named = [
        p for p in network.places.values() if "/" in p.name and network.gazetteer.resolve(p.name).place_ids == (p.id,)
    ]
    assert named, "no place's name holds a slash"
    name = named[0].name
    response = client.get("/api/places/" + quote(name, safe=""))
    assert response.status_code == 200, response.text
    assert response.json() == run("ports", "show", name, "--format", "json").json()


def test_a_place_that_is_unknown_is_a_404(client):
    assert "unknown place 'Atlantis'" in error_of(client.get("/api/places/Atlantis"), 404, "name")
    assert "Georgetown" in error_of(client.get("/api/places/Georgetown"), 404, "name")  # ambiguous: it lists them
    error_of(client.get("/api/places/IQUQR", params={"format": "csv"}), 400, "format")


def test_places_needs_q(client):
    error_of(client.get("/api/places"), 400, "q")
    error_of(client.get("/api/places", params={"q": " - "}), 400, "q")
    error_of(client.get("/api/places", params={"q": "umm", "limit": "x"}), 400, "limit")


# --------------------------------------------------------------------------- errors, in the CLI's words


@pytest.mark.parametrize(
    ("params", "parameter"),
    [
        ({"teu": "-1"}, "teu"),
        ({"teu": "abc"}, "teu"),
        ({"teu": "nan"}, "teu"),
        ({"alternatives": "21"}, "alternatives"),
        ({"by": "speed"}, "by"),
        ({"modes": "rail,teleport"}, "modes"),
        ({"allow": "atlantis-strait"}, "allow"),
        ({"cargo_value_usd": "-5", "by": "generalized"}, "cargo_value_usd"),
        ({"teu": "2e6"}, "teu"),
        ({"holding_rate_per_day": "2", "by": "generalized"}, "holding_rate_per_day"),
        ({"cargo_value_usd": "1"}, "cargo_value_usd"),  # once 200, the price ignored: by cost does not use it
        ({"co2_price_usd_per_t": "5", "by": "time"}, "co2_price_usd_per_t"),
    ],
)
def test_bad_input_is_400_naming_the_parameter_in_the_cli_words(client, run, params, parameter):
    message = error_of(client.get("/api/route", params={**ROUTE, **params}), 400, parameter)
    result = run("route", *cli_args({**ROUTE, **params}, ("origin", "destination")))
    assert result.code == 2
    assert message == cli_error(result).removesuffix(" (see corridor route --help)")


@pytest.mark.parametrize(
    ("path", "params", "parameter"),
    [
        ("/api/route", {**ROUTE, "avoid": "suez", "allow": "suez"}, "avoid"),
        ("/api/reach", {"origin": "chongqing", "country": ""}, "country"),
        ("/api/route", {**ROUTE, "avoid": ""}, "avoid"),
        ("/api/route", {**ROUTE, "via": " "}, "via"),
        ("/api/reach", {"origin": "chongqing", "cargo_value_usd": "1"}, "cargo_value_usd"),
    ],
)
def test_what_the_cli_refuses_as_empty_or_contradictory_is_400_in_its_words(client, run, path, params, parameter):
    message = error_of(client.get(path, params=params), 400, parameter)
    command = path.removeprefix("/api/")
    result = run(command, *cli_args(params, ("origin", "destination") if command == "route" else ("origin",)))
    assert result.code == 2
    assert message == cli_error(result)


def test_missing_or_unknown_parameters_are_400(client):
    error_of(client.get("/api/route", params={"origin": "chongqing"}), 400, "destination")
    error_of(client.get("/api/route", params={**ROUTE, "color": "red"}), 400, "color")
    error_of(client.get("/api/route", params={**ROUTE, "format": "pdf"}), 400, "format")
    error_of(client.get("/api/route", params={"origin": ["a", "b"], "destination": "c"}), 400, "origin")
    # A bad width is refused though a JSON answer does not read it (argparse checks every argument).
    assert "not a whole number" in error_of(client.get("/api/route", params={**ROUTE, "width": "wide"}), 400, "width")
    narrow = {**ROUTE, "width": "5", "format": "json"}
    assert "outside 40-" in error_of(client.get("/api/route", params=narrow), 400, "width")
    # Sent empty, a number is no request for its default (`teu=` never was; `alternatives=` once was).
    for name, path, params in (("teu", "/api/route", ROUTE), ("alternatives", "/api/route", ROUTE),
                               ("limit", "/api/reach", {"origin": "chongqing"})):  # fmt: skip
        assert "is empty" in error_of(client.get(path, params={**params, name: ""}), 400, name)


@pytest.mark.parametrize(
    ("path", "params", "name"),
    [
        ("/api/route", ROUTE, "scenario"),  # once the route on the network without any scenario
        ("/api/route", ROUTE, "format"),
        ("/api/scenarios/red-sea-2024/compare", ROUTE, "on"),  # once every change of the scenario
        ("/api/route", {**ROUTE, "by": "generalized"}, "cargo_value_usd"),  # once the default price
        ("/api/compare", ROUTE, "holding_rate_per_day"),
        ("/api/compare", ROUTE, "co2_price_usd_per_t"),
        ("/api/places", {"q": "umm"}, "mode"),
        ("/api/places", {"q": "umm"}, "country"),  # as /api/reach refuses it
    ],
)
def test_a_parameter_sent_empty_is_refused_not_taken_as_left_out(client, path, params, name):
    # The CLI refuses `--scenario ""` or `--on ""`; an empty value in a request is as likely a
    # mistake of the client (a variable never filled), never silently the answer without it.
    assert "empty" in error_of(client.get(path, params={**params, name: ""}), 400, name)
    if path == "/api/route":
        body = {"origins": ["chongqing"], "destinations": ["umm qasr"], name: ""}
        if name == "cargo_value_usd":
            body["by"] = "generalized"
        error_of(client.post("/api/matrix", json=body), 400, name)  # a JSON body alike


@pytest.mark.parametrize("field", ["origin", "destination", "via", "avoid"])
def test_an_unknown_place_is_404_beside_its_field_in_the_cli_words(client, run, field):
    params = {**ROUTE, field: "atlantis"}
    message = error_of(client.get("/api/route", params=params), 404, field)
    result = run("route", *cli_args(params, ("origin", "destination")))
    assert result.code == 1
    assert message == cli_error(result)
    assert "atlantis" in message


def test_an_impossible_route_is_422_naming_what_blocks_it(client, run):
    for params, parameter in (({"modes": "rail"}, "modes"), ({"avoid": ["hormuz", "Aqaba"]}, "avoid")):
        message = error_of(client.get("/api/route", params={**ROUTE, **params}), 422, parameter)
        result = run("route", *cli_args({**ROUTE, **params}, ("origin", "destination")))
        assert result.code == 1 and message == cli_error(result)
    error_of(client.get("/api/route", params={**ROUTE, "avoid": "umm qasr"}), 400, "avoid")


def test_every_error_code_of_the_read_endpoints(client):
    error_of(client.get("/api/compare", params={"origin": "atlantis", "destination": "umm qasr"}), 404, "origin")
    error_of(client.get("/api/reach", params={"origin": "chongqing", "sort": "colour"}), 400, "sort")
    error_of(
        client.get("/api/matrix", params={"origins": "chongqing", "destinations": "atlantis"}), 404, "destinations"
    )
    error_of(client.get("/api/matrix", params={"origins": "chongqing"}), 400, "destinations")
    error_of(
        client.get("/api/pareto", params={"origin": "chongqing", "destination": "umm qasr", "modes": "rail"}),
        422,
        "modes",
    )
    error_of(client.get("/api/criticality", params={"origin": "chongqing", "to": "atlantis"}), 404, "to")
    error_of(client.get("/api/criticality", params={"origin": "chongqing", "to": "chongqing"}), 400, "to")
    unreachable = {"origin": "chongqing", "to": "umm qasr", "modes": "rail"}  # nothing to rank: the field `to`
    error_of(client.get("/api/criticality", params=unreachable), 422, "to")
    error_of(client.get("/api/scenarios/red-sea-2024/compare", params={"origin": "chongqing"}), 400, "destination")


def test_methods_and_pages_that_do_not_exist(client):
    error_of(client.post("/api/route", json=ROUTE), 405, None)
    error_of(client.delete("/api/places?q=umm"), 405, None)
    error_of(client.get("/api/nothing"), 404, None)
    error_of(client.get("/api/ports"), 405, None)


def test_no_edit_without_allow_edits(client):
    body = {"id": "CNZZZ", "name": "Nowhere", "country": "CN", "lat": 30, "lon": 110, "modes": ["road"]}
    message = error_of(client.post("/api/ports", json=body), 403, None)
    assert "--allow-edits" in message


# --------------------------------------------------------------------------- limits and safety


def test_a_body_too_large_is_413(network):
    app = create_app(Settings(max_body_bytes=1000), network=network)
    with TestClient(app) as small:
        body = {"origins": ["chongqing"], "destinations": ["singapore"] * 200}
        error_of(small.post("/api/matrix", json=body), 413, None)

        def chunks():  # no Content-Length: counted as it arrives
            yield b'{"origins": ["chongqing"], "destinations": ['
            for _ in range(200):
                yield b'"singapore",'
            yield b'"hamburg"]}'

        error_of(small.post("/api/matrix", content=chunks(), headers={"content-type": "application/json"}), 413, None)


def test_post_bodies_are_json_objects(client):
    error_of(client.post("/api/matrix", content=b"origins=x", headers={"content-type": "text/plain"}), 415, None)
    error_of(client.post("/api/matrix", content=b"{oops", headers={"content-type": "application/json"}), 400, None)
    error_of(client.post("/api/matrix", json=["chongqing"]), 400, None)
    error_of(client.post("/api/matrix", json={"origins": [{"x": 1}]}), 400, "origins")


def test_a_parameter_given_twice_in_a_body_is_refused_as_in_a_query(client):
    # ?by=cost&by=time is refused; so is the same in a JSON body, rather than one of them taken
    # (and, for a list, the places of the other dropped unsaid).
    error_of(client.get("/api/matrix", params=[("origins", "chongqing"), ("destinations", "singapore"),
                                               ("by", "cost"), ("by", "time")]), 400, "by")  # fmt: skip
    for body, parameter in (
        (b'{"origins": ["chongqing"], "destinations": ["singapore"], "by": "cost", "by": "time"}', "by"),
        (b'{"origins": ["chongqing"], "destinations": ["singapore"], "origins": ["kunming"]}', "origins"),
    ):
        error_of(client.post("/api/matrix", content=body, headers={"content-type": "application/json"}), 400, parameter)


def test_a_parameter_name_that_is_no_text_is_400_not_500(client, editable):
    # JSON may spell a lone surrogate (\ud800), which no UTF-8 answer can hold: an unknown
    # parameter or field so named is refused like any other unknown one, in the API's JSON shape.
    body = b'{"origins": ["chongqing"], "destinations": ["singapore"], "\\ud800": 1}'
    answer = client.post("/api/matrix", content=body, headers={"content-type": "application/json"})
    assert answer.status_code == 400, answer.text
    assert set(answer.json()) == {"error", "parameter"} and answer.json()["parameter"]
    place = b'{"id": "CNZQW", "name": "Z", "country": "CN", "lat": 29.6, "lon": 106.4, "modes": "rail", "\\ud800": 1}'
    with TestClient(create_app(Settings(data=str(editable), allow_edits=True))) as editor:
        before = snapshot(editable)
        answer = editor.post("/api/ports", content=place, headers={"content-type": "application/json"})
        assert answer.status_code == 400, answer.text
        assert set(answer.json()) == {"error", "parameter"} and answer.json()["parameter"]
        assert snapshot(editable) == before
    assert client.get("/api/meta").status_code == 200


def test_review_of_2026_12_05_refusals(client):
    # A body nested too deeply for the parser, an empty `modes` (which would allow every mode),
    # more vias than any route takes, a width too narrow for a table, and a teu that criticality
    # (ranked per TEU) does not take: each a 400 naming what is wrong, never a 500 or a silent default.
    deep = b"[" * 100_000 + b"]" * 100_000
    error_of(client.post("/api/matrix", content=deep, headers={"content-type": "application/json"}), 400, None)
    error_of(client.get("/api/route", params={**ROUTE, "modes": ""}), 400, "modes")
    error_of(client.get("/api/route", params={**ROUTE, "via": ["singapore"] * 11}), 400, "via")
    error_of(client.get("/api/places/Chongqing", params={"format": "text", "width": "10"}), 400, "width")
    response = client.get("/api/criticality", params={"origin": "chongqing", "to": "singapore", "teu": "5"})
    assert response.status_code == 400 and "teu" in response.text
    body = {"origins": ["chongqing"], "destinations": ["umm qasr"]}
    error_of(client.post("/api/matrix?by=time", json=body), 400, None)


def test_a_long_query_string_is_refused(client):
    response = client.get("/api/matrix", params={"origins": ["chongqing"] * 3000, "destinations": "singapore"})
    error_of(response, 414, None)


def test_a_long_name_is_answered_at_once_and_frees_its_slot(network):
    # A name of 200,000 spaces (the body limit allows five times more) is no place: a 404 beside its field,
    # at once, not a search slot held long past the time limit while the name is taken apart.
    body = {"origins": ["a" + " " * 200_000 + "x"], "destinations": ["singapore"]}
    with TestClient(create_app(Settings(time_limit_s=10, threads=1), network=network)) as single:
        error_of(single.post("/api/matrix", json=body), 404, "origins")
        assert single.get("/api/route", params=ROUTE).status_code == 200


def test_a_request_past_the_time_limit_is_503(network):
    with TestClient(create_app(Settings(time_limit_s=0.001), network=network)) as hurried:
        message = error_of(
            hurried.get("/api/pareto", params={"origin": "chongqing", "destination": "umm qasr"}), 503, None
        )
        assert "limit" in message


@pytest.fixture
def held_searches(monkeypatch):
    """Hold every pareto search until the returned event is set (two minutes at most)."""
    import corridor.pareto

    release = threading.Event()
    search = corridor.pareto.pareto

    def held(*args, **kwargs):
        release.wait(120)
        return search(*args, **kwargs)

    monkeypatch.setattr(corridor.pareto, "pareto", held)
    return release


def test_a_search_past_the_time_limit_keeps_its_slot_until_it_ends(network, held_searches):
    # The answer is a 503 at once, but the search runs on in its thread: it keeps the server's one
    # slot, so the next search waits (and is a 503 too) rather than running beside it, while the
    # type-ahead, which searches nothing, still answers. The search is held until released, so
    # that it outlasts the limit however fast the machine, and the type-ahead does not race a
    # busy search for the interpreter on a slow one.
    import time

    release = held_searches
    with TestClient(create_app(Settings(time_limit_s=1.0, threads=1), network=network)) as hurried:
        slow = {"origin": "chongqing", "destination": "rotterdam"}
        error_of(hurried.get("/api/pareto", params=slow), 503, None)
        error_of(hurried.get("/api/route", params=ROUTE), 503, None)
        assert hurried.get("/api/places", params={"q": "umm"}).status_code == 200
        release.set()
        deadline = time.monotonic() + 60
        while hurried.get("/api/route", params=ROUTE).status_code != 200:
            assert time.monotonic() < deadline, "the slot was never given back"
            time.sleep(0.5)


def test_an_abandoned_trade_offs_search_stops_at_its_next_check(network, held_searches, monkeypatch):
    # Answered 503, a trade-offs search ran on to its end (about a minute for some, with vias),
    # holding the slot; it now stops within CHECK_EVERY labels. Held until the 503 is answered,
    # so that it starts abandoned however fast the machine.
    import queue

    import corridor.pareto

    ended: queue.Queue[str] = queue.Queue()
    search = corridor.pareto.pareto_paths

    def watched(*args, **kwargs):
        try:
            found = search(*args, **kwargs)
        except BaseException as exc:
            ended.put(type(exc).__name__)
            raise
        ended.put("answered")
        return found

    monkeypatch.setattr(corridor.pareto, "pareto_paths", watched)
    with TestClient(create_app(Settings(time_limit_s=1.0, threads=1), network=network)) as hurried:
        error_of(hurried.get("/api/pareto", params={"origin": "chongqing", "destination": "rotterdam"}), 503, None)
        held_searches.set()
        assert ended.get(timeout=120) == "Cancelled"
        assert hurried.get("/api/route", params=ROUTE).status_code == 200


def test_type_ahead_answers_while_more_searches_wait_than_there_are_threads(network, held_searches):
    # Fifty searches wait for the server's one slot (each held until released below): more than
    # the worker threads a process has. The type-ahead, which searches nothing, answers all the
    # same, while they wait, not once they are answered; then every search is answered.
    import time

    release = held_searches
    app = create_app(Settings(threads=1, time_limit_s=120), network=network)
    arrived: list[str] = []

    async def counted(scope, receive, send):
        if scope["type"] == "http":
            arrived.append(scope["path"])
        await app(scope, receive, send)

    codes: dict[str, list[int]] = {"searches": [], "type-ahead": []}

    def ask(kind: str, path: str, params: dict) -> None:
        codes[kind].append(busy.get(path, params=params).status_code)

    with TestClient(counted) as busy:
        query = {"origin": "chongqing", "destination": "chengdu"}
        searches = [threading.Thread(target=ask, args=("searches", "/api/pareto", query)) for _ in range(50)]
        typed = threading.Thread(target=ask, args=("type-ahead", "/api/places", {"q": "umm"}))
        try:
            for thread in searches:
                thread.start()
            deadline = time.monotonic() + 60
            while len(arrived) < len(searches) and time.monotonic() < deadline:
                time.sleep(0.05)
            time.sleep(0.5)  # each on its way to a thread or the slot
            typed.start()
            typed.join(30)
            while_waiting = list(codes["type-ahead"])
        finally:
            release.set()
            for thread in [*searches, typed]:
                if thread.ident is not None:  # started
                    thread.join()
    assert while_waiting == [200], "the type-ahead waited for the searches"
    assert codes["searches"] == [200] * len(searches)


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/static/app.js",
        "/api/meta",
        "/api/route?origin=chongqing&destination=umm%20qasr",
        "/api/nothing",
        "/api/route?origin=atlantis&destination=umm%20qasr",
        "/api/openapi.json",
    ],
)
def test_every_answer_carries_the_security_headers(client, path):
    response = client.get(path)
    csp = response.headers["content-security-policy"]
    assert csp == CSP
    directives = dict(d.strip().split(" ", 1) for d in csp.split(";"))
    assert directives["default-src"] == "'self'" and directives["script-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'"
    assert "unsafe" not in csp and "http" not in csp and "*" not in csp
    assert response.headers["x-content-type-options"] == "nosniff"
    assert "access-control-allow-origin" not in response.headers  # CORS is off


def test_the_page_has_no_inline_script_or_style(client):
    page = client.get("/").text
    assert "<script>" not in page and "<style" not in page and " on" + "click=" not in page
    assert 'style="' not in page
    for src in ("/static/leaflet.js", "/static/app.js", "/static/app.css", "/static/leaflet.css"):
        assert src in page
        assert client.get(src).status_code == 200
    script = client.get("/static/app.js").text
    for sink in (".innerHTML", ".outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function"):
        assert sink not in script, sink


@pytest.mark.parametrize(
    "path",
    [
        "/static/../server.py",
        "/static/%2e%2e/server.py",
        "/static/server.py",
        "/static/_web/app.js",
        "/static/",
        "/static/images/../../cli.py",
        "/etc/passwd",
        "/static//etc/passwd",
        "/static/app.js/..",
        "/static/APP.JS",
    ],
)
def test_static_files_come_from_a_fixed_list_only(client, path):
    response = client.get(path)
    assert response.status_code == 404, path
    assert "import" not in response.text


def test_static_files_are_revalidated_cheaply(client):
    first = client.get("/static/app.js")
    again = client.get("/static/app.js", headers={"if-none-match": first.headers["etag"]})
    assert again.status_code == 304 and again.content == b""


def test_a_foreign_host_header_is_refused(network):
    with TestClient(
        create_app(Settings(allowed_hosts=("127.0.0.1", "localhost")), network=network),
        base_url="http://127.0.0.1:8000",
    ) as local:
        assert local.get("/api/meta").status_code == 200
        assert local.get("/api/meta", headers={"host": "localhost:8000"}).status_code == 200
        error_of(local.get("/api/meta", headers={"host": "attacker.example"}), 400, None)
        # Two Host headers, the foreign one first: refused, not checked on one and used on the other.
        twice = [("host", "attacker.example"), ("host", "127.0.0.1:8000")]
        error_of(local.get("/api/meta/", headers=twice, follow_redirects=False), 400, None)


def test_a_path_with_a_slash_too_many_is_a_404_never_a_redirect_to_the_host_sent(network):
    # Served on every interface (--host 0.0.0.0), any Host header is answered: a redirect built
    # from it (Location: http://attacker.example/api/meta) would send the client elsewhere.
    with TestClient(create_app(Settings(allowed_hosts=None), network=network)) as anywhere:
        for path in ("/api/meta/", "/api/scenarios/", "/static/app.js/", "/api/route/"):
            answer = anywhere.get(path, headers={"host": "attacker.example"}, follow_redirects=False)
            error_of(answer, 404, None)
            assert "location" not in answer.headers


def test_cors_only_for_the_named_origin(network):
    with TestClient(create_app(Settings(cors="https://tms.example"), network=network)) as shared:
        allowed = shared.get("/api/places", params={"q": "umm"}, headers={"origin": "https://tms.example"})
        assert allowed.headers["access-control-allow-origin"] == "https://tms.example"
        other = shared.get("/api/places", params={"q": "umm"}, headers={"origin": "https://evil.example"})
        assert "access-control-allow-origin" not in other.headers


def test_a_refused_cors_preflight_is_an_error_in_the_apis_shape(network):
    with TestClient(create_app(Settings(cors="https://tms.example"), network=network)) as shared:
        ask = {"access-control-request-method": "POST", "access-control-request-headers": "content-type"}
        allowed = shared.options("/api/matrix", headers={"origin": "https://tms.example", **ask})
        assert allowed.status_code == 200
        assert allowed.headers["access-control-allow-origin"] == "https://tms.example"
        for origin, extra in (
            ("https://evil.example", {}),
            ("https://tms.example", {"access-control-request-method": "DELETE"}),
            ("https://tms.example", {"access-control-request-headers": "x-secret"}),
        ):
            refused = shared.options("/api/matrix", headers={"origin": origin, **ask, **extra})
            error_of(refused, 400, None)
            if origin != "https://tms.example":
                assert "access-control-allow-origin" not in refused.headers


def test_cors_takes_an_origin_not_a_page(run):
    # A browser sends its origin (scheme, host, port) alone: a path could never match, so CORS would be off unsaid.
    result = run("serve", "--cors", "https://good.example/path")
    assert result.code == 2 and "give an origin" in result.err and result.out == ""


def test_concurrent_requests_answer_as_serial_ones(client):
    queries = [
        {"origin": o, "destination": d, "by": by}
        for o, d in (("chongqing", "umm qasr"), ("chengdu", "singapore"), ("kunming", "hamburg"))
        for by in ("cost", "time")
    ]
    serial = [client.get("/api/route", params=q).text for q in queries]
    answers: dict[int, str] = {}

    def ask(i: int) -> None:
        answers[i] = client.get("/api/route", params=queries[i % len(queries)]).text

    threads = [threading.Thread(target=ask, args=(i,)) for i in range(3 * len(queries))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(answers[i] == serial[i % len(queries)] for i in range(len(threads)))


# --------------------------------------------------------------------------- OpenAPI


def test_openapi_documents_every_endpoint_and_parameter(client):
    document = client.get("/api/openapi.json").json()
    assert document["openapi"].startswith("3.")
    paths = document["paths"]
    assert {e.path for e in ENDPOINTS} | {"/api/ports"} == set(paths)
    for endpoint in ENDPOINTS:
        operation = paths[endpoint.path]["get"]
        assert "400" in operation["responses"]
        for param in operation["parameters"]:
            if param["in"] != "query":
                continue
            # Every documented parameter is one the endpoint takes (an unknown one would be refused).
            url = endpoint.path.replace("{name}", "red-sea-2024")
            response = client.get(url, params={param["name"]: "x"})
            assert "unrecognized parameter" not in response.text, (endpoint.path, param["name"])
    assert set(paths["/api/matrix"]) == {"get", "post"}
    assert "403" in paths["/api/ports"]["post"]["responses"]


def test_openapi_says_what_a_path_names_and_what_a_post_may_answer(client):
    paths = client.get("/api/openapi.json").json()["paths"]

    def named(path: str) -> str:
        (param,) = [p for p in paths[path]["get"]["parameters"] if p["in"] == "path"]
        return param["description"]

    assert "place" in named("/api/places/{name}") and "scenario" not in named("/api/places/{name}")
    assert "scenario" in named("/api/scenarios/{name}") and "scenario" in named("/api/scenarios/{name}/compare")
    # Each refusal of a POST body the server gives is one the document lists for it.
    for content, kind in ((b"origins=x", "text/plain"), (b"x" * 2_000_000, "application/json")):
        refused = client.post("/api/matrix", content=content, headers={"content-type": kind})
        assert refused.status_code in (413, 415)
        assert str(refused.status_code) in paths["/api/matrix"]["post"]["responses"]


def test_openapi_marks_required_exactly_the_parameters_the_server_requires(client):
    # A client generated from the document must not leave out origins, destinations or to, which
    # the server refuses to go without; nor be told that any other parameter is needed.
    paths = client.get("/api/openapi.json").json()["paths"]
    given = {"origin": "chongqing", "destination": "umm qasr", "q": "umm", "origins": "chongqing",
             "destinations": "umm qasr", "to": "umm qasr"}  # fmt: skip
    for endpoint in ENDPOINTS:
        url = endpoint.path.replace("{name}", "red-sea-2024" if "scenarios" in endpoint.path else "IQUQR")
        query = [p for p in paths[endpoint.path]["get"]["parameters"] if p["in"] == "query"]
        required = {p["name"] for p in query if p["required"]}
        params = {name: given[name] for name in required}
        assert client.get(url, params=params).status_code == 200, (endpoint.path, params)
        for name in required:
            left_out = {k: v for k, v in params.items() if k != name}
            error_of(client.get(url, params=left_out), 400, name)
    body = paths["/api/matrix"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert sorted(body["required"]) == ["destinations", "origins"]
    # Each answer the server gives is one the document lists: an edit the dataset cannot take is a
    # 409. A matrix is no 422: a place no route can use has empty totals, as in the CLI's matrix.
    assert "422" not in paths["/api/matrix"]["get"]["responses"]
    assert {"409", "503"} <= set(paths["/api/ports"]["post"]["responses"])
    rows = client.get("/api/matrix", params={"origins": "ROBRA", "destinations": "umm qasr"}).json()
    assert [(r["origin"], r["destination_id"], r["distance_km"]) for r in rows] == [("ROBRA", "IQUQR", None)]


# --------------------------------------------------------------------------- edits


@pytest.fixture
def editable(tmp_path):
    root = tmp_path / "data"
    init_dataset(root)
    return root


def test_an_edit_with_allow_edits_goes_through_the_cli_writer(editable):
    with TestClient(create_app(Settings(data=str(editable), allow_edits=True))) as editor:
        body = {
            "id": "CNZQW",
            "name": "Zhongqiao Dry Port",
            "country": "CN",
            "lat": 29.6,
            "lon": 106.4,
            "modes": ["road", "rail"],
            "aliases": ["Zhongqiao"],
        }
        response = editor.post("/api/ports", json=body)
        assert response.status_code == 201, response.text
        added = response.json()
        assert added["place"]["id"] == "CNZQW" and added["place"]["kind"] == "rail_terminal"
        assert added["message"].startswith("added Zhongqiao Dry Port (CNZQW)")
        assert str(editable) not in response.text  # where the server keeps its files is not said
        assert "CNZQW," in (editable / "ports" / "places.csv").read_text(encoding="utf-8")
        # The server reloads the changed dataset: the place is found at once.
        found = editor.get("/api/places", params={"q": "zhongqiao"}).json()
        assert [r["id"] for r in found] == ["CNZQW"]
        before = snapshot(editable)
        for bad, field in (
            ({**body, "id": "CNZQX", "lat": 123}, "lat"),
            ({**body, "id": "CNZQX", "modes": "jet"}, "modes"),
            ({**body, "id": "CNZQW"}, "id"),
            ({**body, "id": "CNZQX", "kind": "castle"}, "kind"),
            ({k: v for k, v in body.items() if k != "name"}, "name"),
            ({**body, "id": "CNZQX", "name": None}, "name"),  # null is left out, as everywhere
        ):
            error_of(editor.post("/api/ports", json=bad), 400, field)
        error_of(
            editor.post("/api/ports", content=b"id=x", headers={"content-type": "application/x-www-form-urlencoded"}),
            415,
            None,
        )
        assert snapshot(editable) == before  # a refused write changes nothing


def test_an_edit_the_dataset_cannot_take_is_409_and_changes_nothing(editable):
    (editable / ".corridor.lock").mkdir()  # the writers' lock is not a file: no writer may proceed
    before = snapshot(editable)
    body = {"id": "CNZQW", "name": "Zhongqiao Dry Port", "country": "CN", "lat": 29.6, "lon": 106.4, "modes": "rail"}
    with TestClient(create_app(Settings(data=str(editable), allow_edits=True))) as editor:
        message = error_of(editor.post("/api/ports", json=body), 409, None)
    assert "not a lock file" in message
    assert str(editable) not in message and str(editable.parent) not in message  # where the server keeps it
    assert snapshot(editable) == before


def test_a_broken_scenario_is_listed_with_its_problem_not_the_servers_paths(editable):
    (editable / "scenarios" / "broken.toml").write_text('name = "broken"\nstart = "someday"\n', encoding="utf-8")
    with TestClient(create_app(Settings(data=str(editable)))) as reader:
        listed = reader.get("/api/scenarios")
    assert listed.status_code == 200
    (broken,) = [row for row in listed.json() if row["name"] == "broken"]
    assert broken["problem"] and "scenarios/broken.toml" in broken["problem"]
    assert str(editable) not in listed.text and str(editable.parent) not in listed.text


def test_edits_waiting_for_the_datasets_lock_are_answered_as_they_end(editable):
    # Another command holds the dataset's lock, moving, for longer than the server's time limit,
    # while two edits come. Whatever each answer, it is true: 201 and the place is there, or an
    # error and it never is (not a 503 "took too long" while the place is written once the lock
    # is free).
    import time

    from corridor.editing import locked

    places = editable / "ports" / "places.csv"
    held = threading.Event()

    def writing() -> None:
        with locked(editable) as lock:
            held.set()
            for _ in range(20):
                time.sleep(0.1)
                lock.progress("importing")

    place = {"name": "Zhongqiao Dry Port", "country": "CN", "lat": 29.6, "lon": 106.4, "modes": "rail"}
    answers: dict[str, int] = {}
    with TestClient(create_app(Settings(data=str(editable), allow_edits=True, time_limit_s=0.5))) as editor:

        def edit(pid: str) -> None:
            answers[pid] = editor.post("/api/ports", json={"id": pid, **place, "name": pid}).status_code

        other = threading.Thread(target=writing)
        other.start()
        assert held.wait(10)
        edits = [threading.Thread(target=edit, args=(pid,)) for pid in ("CNZQW", "CNZQX")]
        for thread in edits:
            thread.start()
        for thread in [other, *edits]:
            thread.join()
        time.sleep(3)  # an edit going on behind its answer would land meanwhile
    text = places.read_text(encoding="utf-8")
    assert {pid: f"{pid}," in text for pid in answers} == {pid: code == 201 for pid, code in answers.items()}, answers
    assert 201 in answers.values()  # the lock freed, an edit went through


def test_a_dataset_broken_under_a_running_server_is_500_in_one_line(editable):
    with TestClient(create_app(Settings(data=str(editable)))) as reader:
        assert reader.get("/api/route", params=ROUTE).status_code == 200
        places = editable / "ports" / "places.csv"
        header = places.read_text(encoding="utf-8").splitlines()[0]
        places.write_text(header.replace("lat", "latitude") + "\n", encoding="utf-8")  # edited by hand, wrongly
        reader.app.state.service.invalidate()
        message = error_of(reader.get("/api/route", params=ROUTE), 500, None)
    assert message.startswith("the server's dataset has a problem:") and "\n" not in message
    # Which file is wrong, named from the dataset's root: where the server keeps it is not said.
    assert "ports/places.csv" in message and str(editable) not in message, message


def test_the_cli_refuses_to_edit_the_bundled_dataset(run):
    result = run("serve", "--allow-edits", "--port", "0")
    assert result.code == 1
    assert len(result.err.strip().splitlines()) == 1 and "corridor init" in result.err


# --------------------------------------------------------------------------- the command


def test_import_corridor_and_the_route_path_do_not_import_the_server():
    code = (
        "import sys, corridor, corridor.cli\n"
        "corridor.cli.main(['route', 'chongqing', 'umm qasr', '--format', 'json'])\n"
        "assert not {'starlette', 'uvicorn', 'anyio', 'corridor.server'} & set(sys.modules), sorted(sys.modules)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr


def test_serve_without_the_extra_says_how_to_install_it():
    code = "import sys; sys.modules['starlette'] = None; from corridor.cli import main; sys.exit(main(['serve']))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 1
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert "pip install 'corridor[serve]'" in done.stderr


def _serve(*args: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "corridor", "serve", *args], stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True
    )


def test_serve_warns_when_listening_beyond_this_machine():
    process = _serve("--host", "0.0.0.0", "--port", "0")
    try:
        first = process.stderr.readline()
    finally:
        process.terminate()
        process.wait(timeout=30)
    assert first.startswith("corridor: warning: listening on 0.0.0.0:")
    assert "anyone who can reach this machine" in first


def test_serve_on_a_port_in_use_fails_in_one_line(run):
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run("serve", "--port", str(port))
    assert result.code == 1
    assert len(result.err.strip().splitlines()) == 1 and f"127.0.0.1:{port}" in result.err


def test_the_openapi_document_is_valid_json_with_the_bundled_page(client):
    assert json.loads(client.get("/api/openapi.json").text)["info"]["title"] == "corridor"
    assert Path(client.app.state.service.root).is_dir()


def test_an_edit_reaches_routes_too(editable):
    """A link removed with the CLI while the server runs is no longer routed over once the server sees the change."""
    import time

    query = {"origin": "CNCQI", "destination": "CNCHQ", "modes": "road", "by": "distance"}
    with TestClient(create_app(Settings(data=str(editable)))) as reader:
        before = reader.get("/api/route", params=query).json()
        used = [link for leg in before["legs"] for link in leg["links"]]
        assert used, before
        remove_link(str(editable), used[0])
        time.sleep(2.2)  # the server looks at the dataset's files every 2 s
        after = reader.get("/api/route", params=query)
    assert after.status_code in (200, 422), after.text
    if after.status_code == 200:
        assert used[0] not in [link for leg in after.json()["legs"] for link in leg["links"]]
        assert after.json()["totals"]["distance_km"] >= before["totals"]["distance_km"]
