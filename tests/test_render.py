"""Folium maps at HTML level: layers, legend, units, credits, offline pages and escaping."""

from __future__ import annotations

import itertools
import logging
import os
import re
from collections import Counter
from pathlib import Path

import folium
import pytest

from corridor import render
from corridor._leaflet import FitAround, Panel
from corridor.geometry import leg_coords
from corridor.network import load_network
from corridor.render import (
    ROUTE_COLORS,
    compare_map,
    escape,
    leg_popup,
    leg_tooltip,
    map_html,
    metric_text,
    network_map,
    route_map,
    save_map,
)
from corridor.routing import compare, find_routes

from .conftest import HOSTILE, load_script

CDN_HOSTS = ("cdn.jsdelivr.net", "code.jquery.com", "cdnjs.cloudflare.com", "unpkg.com", "netdna.bootstrapcdn.com")


def drawn_legs(network, routes):
    """The legs a map draws as lines: every leg but transfers (and legs inside one place)."""
    return [
        leg for route in routes for leg in route.legs if leg.mode != "transfer" and len(leg_coords(network, leg)) > 1
    ]


def children(m, kind):
    return [c for c in m._children.values() if isinstance(c, kind)]


def all_elements(element):
    yield element
    for child in element._children.values():
        yield from all_elements(child)


@pytest.fixture(scope="module")
def umm_qasr(network):
    routes = find_routes(network, "Chongqing", "Umm Qasr", alternatives=2)
    m = route_map(network, routes, title="Chongqing to Umm Qasr")
    return routes, m, map_html(m)


def test_escape_neutralises_html_scripts_and_templates():
    out = escape(HOSTILE + " `${x}` & 'q' \"dq\"")
    for raw in ("<", ">", "{", "}", "`", "'", '"'):
        assert raw not in out
    assert out.startswith("&lt;script&gt;alert(1)&lt;/script&gt;&#123;&#123; 7*7 &#125;&#125;")
    assert escape(42) == "42"


def test_metric_text_carries_units():
    # One format per unit, the same in tables and maps: time in days, cost in US dollars.
    assert metric_text("distance_km", 1406.2) == "1,406 km"
    assert metric_text("time_h", 36) == "1.5 d"
    assert metric_text("time_h", 72) == "3.0 d"
    assert metric_text("cost_usd", 1743.4) == "$1,743"
    assert metric_text("co2_kg", 211) == "211 kg"
    with pytest.raises(ValueError):
        metric_text("speed", 1)


def test_route_map_draws_one_line_per_leg_with_legend_and_layers(network, umm_qasr):
    routes, m, html = umm_qasr
    assert isinstance(m, folium.Map)
    assert len(routes) == 3
    classes = re.findall(r'"className": "corridor-leg corridor-leg-(\w+) corridor-route-(\d)"', html)
    legs = drawn_legs(network, routes)
    assert len(classes) == len(legs)
    assert sorted(mode for mode, _ in classes) == sorted(leg.mode for leg in legs)
    assert {int(rank) for _, rank in classes} == {0, 1, 2}
    # One toggleable layer per route, listed in the layer control; base layers to choose from.
    control = children(m, folium.LayerControl)
    # The control comes after every layer; only the view fit follows it (it measures the control).
    assert len(control) == 1 and list(m._children.values())[-2] is control[0]
    assert isinstance(list(m._children.values())[-1], FitAround)
    names = re.findall(r'^\s*("[^"\n]*") : feature_group_', html, flags=re.MULTILINE)
    assert len(names) == 3
    # Each layer's name starts with a swatch of the route's colour.
    assert "Best route (by cost): " in names[0] and ROUTE_COLORS[0] in names[0]
    assert any("Alternative 2" in n and ROUTE_COLORS[2] in n for n in names)
    assert '"Natural Earth land (offline)"' in html and '"OpenStreetMap (online)"' in html
    # The legend lists each route with its totals, units included.
    legend = children(m, Panel)
    assert len(legend) == 1
    body = legend[0].body
    for text in (
        "Best route",
        "Alternative 1",
        "Alternative 2",
        " km",
        "$",
        " kg",
        " d",
        "origin",
        "transfer",
    ):
        assert text in body, text
    assert "<title>Chongqing to Umm Qasr</title>" in html


def test_the_legend_says_what_the_totals_leave_out(network, umm_qasr):
    # A map goes into reports without the route's text: its legend carries the same caveats,
    # customs without figures and borders without fee figures; none where all is charged.
    (hong_kong,) = find_routes(network, "Chongqing", "Hong Kong", by="time")
    body = children(route_map(network, [hong_kong]), Panel)[0].body
    assert "customs not charged: Hong Kong S.A.R. import at Hong Kong" in body
    (lorry,) = find_routes(network, "Chongqing", "Laem Chabang", by="time", modes=["road"])
    body = children(route_map(network, [lorry]), Panel)[0].body
    assert "border fees not charged: Mohan-Boten by road, Vientiane-Nong Khai by road" in body
    _, m, _ = umm_qasr
    assert "not charged" not in children(m, Panel)[0].body


def test_origin_destination_and_transfers_are_marked(network, umm_qasr):
    routes, _, html = umm_qasr
    assert html.count('"className": "corridor-origin"') >= 1
    assert html.count('"className": "corridor-destination"') >= 1
    transfers = sum(1 for route in routes for leg in route.legs if leg.mode == "transfer")
    assert html.count('"className": "corridor-transfer') == transfers


def test_the_view_fits_the_routes(network, umm_qasr):
    routes, m, _ = umm_qasr
    (fit,) = children(m, FitAround)
    (south, west), (north, east) = fit.bounds
    for route in routes:
        for leg in route.legs:
            for lon, lat in leg_coords(network, leg):
                assert south <= lat <= north and west <= lon <= east
    place = network.places["IQUQR"]
    assert west <= place.lon <= east and south <= place.lat <= north


def test_tooltips_and_popups_give_metrics_with_units_and_places(network, umm_qasr):
    routes, _, html = umm_qasr
    sea = next(leg for leg in routes[0].legs if leg.mode == "sea")
    tip = leg_tooltip(network, sea)
    for text in ("Sea", "Umm Qasr", "IQUQR", "distance", " km", "time", " d", "cost", "$", "CO2", " kg"):
        assert text in tip, text
    popup = leg_popup(network, sea, route_name="Best route")
    assert "IQUQR, IQ" in popup and "per TEU" in popup
    if sea.passages:
        assert "through " + sea.passages[0] in popup
    # Every leg's tooltip and popup reach the page (as JSON-encoded strings).
    assert html.count(".bindTooltip(") >= len(drawn_legs(network, routes))
    assert html.count(".bindPopup(") >= len(drawn_legs(network, routes))


def test_tooltips_show_the_cost_for_several_containers(network):
    (route,) = find_routes(network, "Chongqing", "Qinzhou", teu=3)
    leg = next(leg for leg in route.legs if leg.mode != "transfer")
    assert "for 3 TEU" in leg_tooltip(network, leg, teu=route.teu)
    assert "for 3 TEU" in map_html(route_map(network, [route]))


def test_rail_drawn_along_osm_track_credits_openstreetmap(network):
    (rail,) = find_routes(network, "CNCQI", "Qinzhou", modes=["rail"])
    m = route_map(network, [rail])
    (legend,) = children(m, Panel)
    assert "Rail track © <a href" in legend.body and "OpenStreetMap</a> contributors (ODbL)" in legend.body
    html = map_html(m)
    assert "addAttribution" in html and "Rail track \\u00a9" in html  # the map's own attribution too
    (sea,) = find_routes(network, "Singapore", "Colombo")
    m = route_map(network, [sea])
    assert "Rail track" not in children(m, Panel)[0].body and "Rail track" not in map_html(m)


def test_a_map_needs_no_network(umm_qasr):
    _, _, html = umm_qasr
    assert "<script src=" not in html
    assert not re.search(r"<link[^>]+href=", html)
    for host in CDN_HOSTS:
        assert host not in html, host
    assert "/* Leaflet 1.9" in html  # inlined from xstatic-leaflet
    assert "url(images/" not in html  # the control icons are data URIs
    assert "sourceMappingURL" not in html
    # OpenStreetMap tiles stay an optional base layer, not shown at first.
    assert "tile.openstreetmap.org" in html


def test_alternatives_are_drawn_below_the_best_route(umm_qasr):
    _, _, html = umm_qasr
    panes = dict(re.findall(r'createPane\(\s*"([\w-]+)"\);\s*\w+\.style\.zIndex = (\d+);', html))
    assert int(panes["corridor-best"]) > int(panes["corridor-alternatives"])


def test_compare_map_gives_one_layer_per_distinct_route(network):
    best = compare(network, "Chongqing", "Hong Kong")
    m = compare_map(network, best)
    html = map_html(m)
    distinct = {route.edges for route in best.values()}
    names = re.findall(r'^\s*("[^"\n]*") : feature_group_', html, flags=re.MULTILINE)
    assert len(names) == len(distinct)
    labels = " ".join(names).lower()
    for word in ("cheapest", "fastest", "shortest", "lowest-co2"):
        assert word in labels
    # Routes from different Chongqing terminals: the legend names the city they share.
    if len({route.origin for route in best.values()}) > 1:
        assert "<h4>Chongqing &rarr; Hong Kong" in children(m, Panel)[0].body


def test_routes_across_the_antimeridian_draw_as_one_stroke(network):
    routes = find_routes(network, "Chongqing", "Los Angeles")
    m = route_map(network, routes)
    lines = [e for e in all_elements(m) if isinstance(e, folium.PolyLine)]
    sea = [line for line in lines if "corridor-leg-sea" in line.options["className"]]
    assert sea
    lons = [lon for lat, lon in sea[0].locations]
    assert max(abs(b - a) for a, b in itertools.pairwise(lons)) < 90  # no jump across the map
    assert max(lons) > 180  # Los Angeles lies a turn east of -118
    (destination,) = [
        e for e in all_elements(m) if getattr(e, "options", {}).get("className") == "corridor-destination"
    ]
    assert destination.location[1] == pytest.approx(network.places["USLAX"].lon + 360, abs=1e-6)
    (fit,) = children(m, FitAround)
    assert fit.bounds[1][1] > 180


def test_data_strings_show_as_plain_text_everywhere(hostile):
    net = load_network(hostile)
    routes = find_routes(net, "CNCCC", "CNBBB", alternatives=1)
    for m in (
        route_map(net, routes, title=HOSTILE),
        network_map(net, title=HOSTILE),
        compare_map(net, {"cost": routes[0]}),
    ):
        html = map_html(m)
        for raw in (
            "<script>alert",
            "</script><script>",
            "<img src=x",
            "<b>bold</b>",
            "{{ 7*7 }}",
            "${alert(",
            "{{ config }}",
        ):
            assert raw not in html, raw
        # Jinja evaluated nothing: no 49, no loop output, and the text is there, escaped.
        assert re.findall(r".{6}7\*7", html) and all(m_.endswith("#123; 7*7") for m_ in re.findall(r".{6}7\*7", html))
        assert "looplooploop" not in html
        assert "onerror=alert(2)" not in html.replace("&lt;img src=x onerror=alert(2)&gt;", "").replace(
            "\\u0026lt;img src=x onerror=alert(2)\\u0026gt;", ""
        )
    legend = children(route_map(net, routes), Panel)[0].body
    assert "&lt;script&gt;alert(1)&lt;/script&gt;&#123;&#123; 7*7 &#125;&#125;" in legend
    assert "Bravo &amp; Co&#x27;s &quot;Port&quot; $&#123;alert(5)&#125; &#96;tick&#96;" in legend


def test_layers_compose_on_one_map(network, umm_qasr):
    routes, _, _ = umm_qasr
    m = network_map(network, world_ports=False)
    same = route_map(network, routes[:1], m=m)
    assert same is m
    assert len(children(m, folium.LayerControl)) == 1
    assert isinstance(list(m._children.values())[-2], folium.LayerControl)
    assert isinstance(list(m._children.values())[-1], FitAround)  # fitted to the route, around the controls
    (legend,) = children(m, Panel)
    assert "Rail links" in legend.body and "Best route" in legend.body
    html = map_html(m)
    assert '"Sea lanes"' in html and "corridor-leg corridor-leg-" in html


def test_the_network_drawn_on_a_route_map_keeps_the_route_in_view(network, umm_qasr):
    routes, _, _ = umm_qasr
    m = route_map(network, routes[:1])
    (before,) = children(m, FitAround)
    assert network_map(network, m=m, world_ports=False) is m
    assert children(m, FitAround) == [before]


def test_routes_draw_on_a_map_the_user_made(network, umm_qasr):
    routes, _, _ = umm_qasr
    m = folium.Map(tiles=None)
    assert route_map(network, routes, m=m) is m
    assert "corridor-leg corridor-leg-" in map_html(m)


def test_a_map_displays_inline_in_a_notebook(umm_qasr):
    _, m, _ = umm_qasr
    frame = m._repr_html_()
    assert "<iframe" in frame and "Leaflet 1.9" in frame


def test_the_network_map_has_a_layer_per_mode_and_stays_small(network):
    m = network_map(network)
    html = map_html(m)
    world = sum(1 for p in network.places.values() if p.origin != "curated")
    curated = sum(1 for p in network.places.values() if p.origin == "curated")
    names = re.findall(r'^\s*"([^"\n]*)" : ', html, flags=re.MULTILINE)
    for name in ("Sea lanes", "Sea passages (--avoid)", "Rail links", "River and river-sea links", "Road links",
                 f"World seaports ({world:,})", f"Corridor places ({curated})"):  # fmt: skip
        assert name in names, name
    assert html.count('"className": "corridor-link corridor-link-') == len(network.links)
    assert html.count('"className": "corridor-place"') == curated
    assert "L.markerClusterGroup" in html and "/* Leaflet.markercluster" in html
    assert "malacca" in html and "--avoid" in html
    assert len(html.encode()) < 3_000_000
    for host in CDN_HOSTS:
        assert host not in html, host


def test_lanes_never_jump_across_the_map(network):
    plain, passages = render.lane_lines(network)
    for line in [*plain, *(line for lines in passages.values() for line in lines)]:
        for (lon1, _), (lon2, _) in itertools.pairwise(line):
            assert abs(lon2 - lon1) <= 180
    assert "malacca" in passages and "suez" in passages


def test_cdn_assets_a_users_elements_need_are_kept(network, caplog):
    m = render.base_map()
    folium.Marker((0, 0), icon=folium.Icon(color="red")).add_to(m)
    with caplog.at_level(logging.WARNING, logger="corridor"):
        html = map_html(m)
    assert "leaflet.awesome-markers" in html and "code.jquery.com" in html
    assert "/* Leaflet 1.9" in html
    assert any("will not fully work offline" in r.message for r in caplog.records)


def test_save_map_creates_directories_and_leaves_no_temporary_file(tmp_path, umm_qasr):
    _, m, html = umm_qasr
    target = save_map(m, tmp_path / "deep" / "dir" / "map.html")
    assert target.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert [p.name for p in target.parent.iterdir()] == ["map.html"]
    umask = os.umask(0)
    os.umask(umask)
    assert target.stat().st_mode & 0o777 == 0o666 & ~umask  # readable as any file the user writes
    assert len(html.encode()) < 2_000_000


def test_base_map_rejects_an_unknown_basemap():
    with pytest.raises(ValueError, match="basemap"):
        render.base_map(basemap="google")
    assert "tile.openstreetmap.org" in map_html(render.base_map(basemap="openstreetmap"))


def test_a_link_tooltip_says_whether_its_distance_is_published_or_an_estimate(network):
    links = network.links
    published = render._link_tooltip(network, links["rail-wuhan-yichang"])  # S242: the Hanyi line, 293.1 km
    estimated = render._link_tooltip(network, links["road-hanoi-haiphong"])  # expressway plus an estimated approach
    assert "293 km (published)" in published
    assert "115 km (estimate)" in estimated and "(published)" not in estimated


def test_the_example_maps_are_drawn_from_todays_data(network, tmp_path):
    """maps/ holds what scripts/make_maps.py draws now: a change to the data or the drawing
    that moves a route or a figure must regenerate them (folium's random element ids aside)."""
    committed = Path(__file__).resolve().parent.parent / "maps"
    drawn = load_script("make_maps").example_maps(network)
    assert sorted(drawn) == sorted(p.name for p in committed.glob("*.html"))
    # What the data puts on a map: coordinates and figures (not folium's page around them, which
    # may change with its version).
    facts = re.compile(r"\[-?\d+\.\d+, ?-?\d+\.\d+\]|\$\d[\d,]*|(?<![\d.,])\d[\d,]*(?:\.\d+)? (?:km|d|h|kg)\b")
    for name, m in drawn.items():
        fresh = save_map(m, tmp_path / name).read_text(encoding="utf-8")
        kept = (committed / name).read_text(encoding="utf-8")
        assert Counter(facts.findall(fresh)) == Counter(facts.findall(kept)), f"maps/{name} is stale: make_maps.py"
        assert len(facts.findall(kept)) > 20
