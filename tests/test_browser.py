"""Maps in a real headless Chromium with no network: Leaflet renders a line per leg, the legend,
working layer toggles and plain-text names, without a JavaScript error or a network request."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from corridor.geometry import leg_coords
from corridor.network import load_network
from corridor.render import MODE_COLORS, MODE_LABELS, ROUTE_COLORS, compare_map, network_map, route_map, save_map
from corridor.routing import compare, find_routes

from .conftest import EVALUATED, HOSTILE

pytestmark = pytest.mark.browser

CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip
VIEWPORT = {"width": 1280, "height": 860}


def chromium_path() -> str | None:
    """Return the Chromium to drive: $CORRIDOR_CHROMIUM, else Debian's, else one on the PATH."""
    for candidate in (os.environ.get("CORRIDOR_CHROMIUM"), "/usr/bin/chromium", "/usr/bin/chromium-browser"):
        if candidate and Path(candidate).is_file():
            return candidate
    return shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    in_ci = os.environ.get("CI") == "true"
    path = chromium_path()
    if path is None:
        if in_ci:
            pytest.fail("no Chromium found: CI must install it (apt-get install chromium)")
        pytest.skip("no Chromium found (apt-get install chromium, or set CORRIDOR_CHROMIUM)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        if in_ci:
            raise
        pytest.skip("playwright is not installed (pip install -e '.[test]')")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=path, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@dataclass
class Opened:
    """A map page with everything that went wrong while it loaded and ran."""

    page: object
    errors: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)

    def evaluate(self, script: str, arg: object = None):
        return self.page.evaluate(script, arg)

    def count(self, selector: str) -> int:
        return self.page.locator(selector).count()


@pytest.fixture
def open_map(browser):
    """Open a saved map offline: every request that is not for a local file is recorded and aborted."""
    contexts = []

    def opener(path: Path, viewport: dict | None = None) -> Opened:
        context = browser.new_context(viewport=viewport or VIEWPORT, offline=True)
        contexts.append(context)
        page = context.new_page()
        opened = Opened(page)
        page.on("pageerror", lambda exc: opened.errors.append(f"page error: {exc}"))
        page.on("console", lambda msg: opened.errors.append(f"console: {msg.text}") if msg.type == "error" else None)

        def on_dialog(dialog) -> None:
            opened.dialogs.append(dialog.message)
            dialog.dismiss()

        page.on("dialog", on_dialog)

        def route(request_route) -> None:
            url = request_route.request.url
            if url.startswith("file://"):
                request_route.continue_()
            else:
                opened.requests.append(url)
                request_route.abort()

        context.route("**/*", route)
        page.goto(path.resolve().as_uri())
        page.wait_for_selector(".leaflet-container")
        page.wait_for_function("() => document.querySelectorAll('.leaflet-map-pane svg path').length > 0")
        return opened

    yield opener
    for context in contexts:
        context.close()


# In-page helpers: the folium map object, and its layers carrying a given class.
FIND_MAP = "Object.keys(window).map(k => window[k]).find(v => v instanceof L.Map)"
OPEN_TOOLTIP = f"""cls => {{
    const map = {FIND_MAP};
    let text = null;
    map.eachLayer(layer => {{
        if (text === null && layer.getTooltip && layer.getTooltip() && (layer.options.className || "").includes(cls)) {{
            layer.openTooltip(layer.getLatLng ? layer.getLatLng() : layer.getCenter());
            text = layer.getTooltip().getElement().innerText;
        }}
    }});
    return text;
}}"""
OPEN_ALL = f"""() => {{
    const map = {FIND_MAP};
    const texts = [];
    map.eachLayer(layer => {{
        const bound = (layer.getTooltip && layer.getTooltip()) || (layer.getPopup && layer.getPopup());
        if (!bound) return;
        const where = layer.getLatLng ? layer.getLatLng() : layer.getCenter();
        if (layer.getTooltip && layer.getTooltip()) {{
            layer.openTooltip(where);
            texts.push(layer.getTooltip().getElement().innerText);
        }}
        if (layer.getPopup && layer.getPopup()) {{
            layer.openPopup(where);
            texts.push(layer.getPopup().getElement().innerText);
            layer.closePopup();
        }}
    }});
    return texts;
}}"""


def screenshot_colours(path: Path) -> tuple[int, float, set[tuple[int, int, int]]]:
    """Return a PNG's number of distinct colours, the share of its commonest colour, and its colours."""
    from PIL import Image

    with Image.open(path) as image:
        rgb = image.convert("RGB")
        counts = rgb.getcolors(maxcolors=rgb.width * rgb.height)
        total = rgb.width * rgb.height
    top = max(n for n, _ in counts)
    return len(counts), top / total, {colour for _, colour in counts}


def has_colour(colours: set[tuple[int, int, int]], hex_colour: str, tolerance: int = 40) -> bool:
    target = tuple(int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))
    return any(all(abs(c - t) <= tolerance for c, t in zip(colour, target, strict=True)) for colour in colours)


def assert_clean(opened: Opened) -> None:
    assert opened.errors == []
    assert opened.requests == []  # nothing on the page reached for the network
    assert opened.dialogs == []


def test_a_route_map_renders_offline_with_a_line_per_leg(network, open_map, tmp_path):
    routes = find_routes(network, "Chongqing", "Umm Qasr", alternatives=2)
    path = save_map(route_map(network, routes, title="Chongqing to Umm Qasr"), tmp_path / "route.html")
    opened = open_map(path)

    assert opened.count(".leaflet-container") == 1
    for rank, route in enumerate(routes):
        legs = [leg for leg in route.legs if leg.mode != "transfer" and len(leg_coords(network, leg)) > 1]
        assert opened.count(f"path.corridor-leg.corridor-route-{rank}") == len(legs)
        transfers = [leg for leg in route.legs if leg.mode == "transfer"]
        assert opened.count(f"path.corridor-transfer.corridor-route-{rank}") == len(transfers)
    assert opened.count("path.corridor-origin") >= 1 and opened.count("path.corridor-destination") >= 1
    # Natural Earth land is drawn (three copies of the world, for routes across the antimeridian).
    assert opened.count(".leaflet-overlay-pane path") >= 3

    legend = opened.page.locator(".corridor-legend")
    assert legend.is_visible()
    text = legend.inner_text()
    for expected in ("Best route (by cost)", "Alternative 1", "Alternative 2", "km", "$", " d ", "USD", "Umm Qasr"):
        assert expected in text, expected

    tooltip = opened.evaluate(OPEN_TOOLTIP, "corridor-leg-sea")
    assert tooltip is not None and "Umm Qasr" in tooltip and "km" in tooltip and "$" in tooltip

    shot = tmp_path / "route.png"
    opened.page.screenshot(path=str(shot))
    distinct, commonest, colours = screenshot_colours(shot)
    assert distinct > 50 and commonest < 0.8  # not a blank page
    assert has_colour(colours, ROUTE_COLORS[0]) and has_colour(colours, ROUTE_COLORS[1])  # each route in its colour
    assert_clean(opened)


def test_alternatives_and_the_legend_can_be_switched_off(network, open_map, tmp_path):
    routes = find_routes(network, "Chongqing", "Umm Qasr", alternatives=1)
    opened = open_map(save_map(route_map(network, routes), tmp_path / "route.html"))
    drawn = opened.count("path.corridor-route-1")
    assert drawn > 0
    opened.page.get_by_label("Alternative 1", exact=False).uncheck()
    assert opened.count("path.corridor-route-1") == 0
    assert opened.count("path.corridor-route-0") > 0
    opened.page.get_by_label("Alternative 1", exact=False).check()
    assert opened.count("path.corridor-route-1") == drawn
    # The legend folds away behind its summary, and opens again.
    heading = opened.page.locator(".corridor-legend h4")
    assert heading.is_visible()
    opened.page.locator(".corridor-legend summary").click()
    assert not heading.is_visible()
    opened.page.locator(".corridor-legend summary").click()
    assert heading.is_visible()
    assert_clean(opened)


def test_hostile_names_show_as_plain_text(hostile, open_map, tmp_path):
    net = load_network(hostile)
    routes = find_routes(net, "CNAAA", "CNBBB", alternatives=1)
    for name, m in (("route", route_map(net, routes, title=HOSTILE)), ("network", network_map(net, title=HOSTILE))):
        opened = open_map(save_map(m, tmp_path / f"{name}.html"))
        scripts = opened.count("script")
        texts = opened.evaluate(OPEN_ALL)
        assert any(HOSTILE in text for text in texts), name
        legend = opened.page.locator(".corridor-legend").inner_text()
        if name == "route":
            assert HOSTILE in legend
            assert 'Bravo & Co\'s "Port" ${alert(5)} `tick`' in legend
        assert opened.page.title() == HOSTILE
        everything = opened.evaluate("() => document.body.innerText") + "".join(texts)
        assert EVALUATED not in everything and "looplooploop" not in everything
        # Link names, in leg popups and link tooltips.
        assert "</script><script>alert(4)</script>" in "".join(texts)
        if name == "network":
            assert "{% for x in range(3) %}loop{% endfor %}" in "".join(texts)
        # Nothing was injected: no new script, no image, no bold text from the data.
        assert opened.count("script") == scripts
        assert opened.count("img[src='x']") == 0 and opened.count(".leaflet-popup b:text('bold')") == 0
        assert_clean(opened)


def test_the_network_map_renders_offline(network, open_map, tmp_path):
    path = save_map(network_map(network), tmp_path / "network.html")
    opened = open_map(path)
    curated = sum(1 for p in network.places.values() if p.origin == "curated")
    assert opened.count("path.corridor-place") == curated
    assert opened.count("path.corridor-link") == len(network.links)
    assert opened.count(".corridor-cluster") > 10  # world seaports, clustered
    assert opened.count("path.corridor-lanes") >= 1
    assert opened.page.locator(".corridor-legend").is_visible()
    assert opened.page.locator(".leaflet-control-layers").is_visible()
    tooltip = opened.evaluate(OPEN_TOOLTIP, "corridor-link-rail")
    assert tooltip is not None and "km" in tooltip
    shot = tmp_path / "network.png"
    opened.page.screenshot(path=str(shot))
    distinct, commonest, colours = screenshot_colours(shot)
    assert distinct > 50 and commonest < 0.8
    assert has_colour(colours, MODE_COLORS["rail"])
    assert_clean(opened)


# --------------------------------------------------------------------------- report-ready route maps

# Points along each drawn route (as the browser drew them, offsets included), in page pixels,
# with what the page shows on top at each: the route's own line, or something else.
ROUTE_SAMPLES = """rank => {
    const paths = [...document.querySelectorAll(`path.corridor-leg.corridor-route-${rank}`)];
    const out = [];
    for (const path of paths) {
        const length = path.getTotalLength();
        const matrix = path.getScreenCTM();
        const count = Math.max(2, Math.min(60, Math.floor(length / 6)));
        for (let i = 1; i < count; i++) {
            const p = path.getPointAtLength(length * i / count);
            const x = matrix.a * p.x + matrix.c * p.y + matrix.e, y = matrix.b * p.x + matrix.d * p.y + matrix.f;
            if (x < 0 || y < 0 || x >= window.innerWidth || y >= window.innerHeight) {
                out.push([x, y, "outside"]);
                continue;
            }
            const top = document.elementFromPoint(x, y);
            const own = top && top.classList && top.classList.contains(`corridor-route-${rank}`);
            out.push([x, y, own ? "own" : (top ? (top.getAttribute("class") || top.tagName) : "none")]);
        }
    }
    return out;
}"""
RECT = """selector => {
    const r = document.querySelector(selector).getBoundingClientRect();
    return [r.left, r.top, r.right, r.bottom];
}"""


def visible_share(opened: Opened, rank: int) -> float:
    samples = opened.evaluate(ROUTE_SAMPLES, rank)
    assert samples, f"route {rank} draws nothing"
    return sum(1 for *_, top in samples if top == "own") / len(samples)


@pytest.fixture(scope="module")
def umm_qasr_map(network, tmp_path_factory):
    routes = find_routes(network, "Chongqing", "Umm Qasr", alternatives=2)
    path = tmp_path_factory.mktemp("maps") / "umm-qasr.html"
    return routes, save_map(route_map(network, routes, title="Chongqing to Umm Qasr"), path)


@pytest.mark.parametrize("viewport", [VIEWPORT, {"width": 800, "height": 600}], ids=["1280x860", "800x600"])
def test_every_route_is_visible_and_clear_of_the_legend(umm_qasr_map, open_map, viewport, tmp_path):
    routes, path = umm_qasr_map
    opened = open_map(path, viewport)
    legend = opened.evaluate(RECT, ".corridor-legend")
    layers = opened.evaluate(RECT, ".leaflet-control-layers")
    for rank in range(len(routes)):
        # Alternatives sharing the best route's lanes are drawn beside it, so each shows along most of its length.
        assert visible_share(opened, rank) > 0.6, rank
        for x, y, top in opened.evaluate(ROUTE_SAMPLES, rank):
            assert top != "outside", (rank, x, y)  # the view holds every route
            for left, upper, right, lower in (legend, layers):
                assert not (left <= x <= right and upper <= y <= lower), (rank, x, y)  # and no control covers it
    small = viewport["width"] < 1000
    assert opened.page.locator(".corridor-legend details").evaluate("d => d.open") is (not small)
    if small:  # folded: a button-sized box, the layer control collapsed to its icon
        assert legend[2] - legend[0] < 200 and legend[3] - legend[1] < 60
        assert opened.count(".leaflet-control-layers-expanded") == 0
    shot = tmp_path / f"route-{viewport['width']}.png"
    opened.page.screenshot(path=str(shot))
    distinct, commonest, _ = screenshot_colours(shot)
    assert distinct > 50 and commonest < 0.8
    assert_clean(opened)


def test_without_offsets_an_alternative_would_hide_under_the_best_route(umm_qasr_map, open_map):
    """The visibility check above is able to fail: drawn in place, the shared lanes hide alternative 1."""
    _, path = umm_qasr_map
    opened = open_map(path)
    flatten = "{ if (l instanceof L.Polyline && l.options.offset) { l.options.offset = 0; l.redraw(); } }"
    opened.evaluate(f"() => {{ const map = {FIND_MAP}; map.eachLayer(l => {flatten}); }}")
    assert visible_share(opened, 1) < 0.6


def test_origin_destination_and_transfers_are_labelled(umm_qasr_map, network, open_map):
    routes, path = umm_qasr_map
    opened = open_map(path)
    labels = [t.strip() for t in opened.page.locator(".leaflet-tooltip.corridor-label").all_inner_texts()]
    assert opened.page.locator(".corridor-label-origin").first.is_visible()
    assert "Chongqing" in labels
    assert any("Umm Qasr" in label for label in labels)
    for route in routes:
        for pid in route.transfer_places:
            assert network.places[pid].name.split(" (")[0] in labels, pid
    # The legend explains each mode's pattern once, whatever the number of routes.
    keys = [t.strip() for t in opened.page.locator(".corridor-legend .row:has(svg.key)").all_inner_texts()]
    modes = {leg.mode for route in routes for leg in route.legs} - {"transfer"}
    assert sorted(keys) == sorted(MODE_LABELS[mode] for mode in modes)


def test_a_click_on_a_route_leaves_no_focus_rectangle(umm_qasr_map, open_map):
    _, path = umm_qasr_map
    opened = open_map(path)
    own = [(x, y) for x, y, top in opened.evaluate(ROUTE_SAMPLES, 0) if top == "own"]
    x, y = own[len(own) // 2]  # mid-route, away from the markers at its ends
    opened.page.mouse.click(x, y)
    opened.page.wait_for_selector(".leaflet-popup")
    outline = opened.evaluate("() => { const s = getComputedStyle(document.activeElement); "
                              "return [document.activeElement.tagName, s.outlineStyle, s.outlineWidth]; }")  # fmt: skip
    assert outline[1] == "none" or outline[2] == "0px", outline
    assert_clean(opened)


def test_on_compare_the_route_best_on_most_metrics_is_solid_and_on_top(network, open_map, tmp_path):
    best = compare(network, "Chongqing", "Hong Kong")
    m = compare_map(network, best)
    opened = open_map(save_map(m, tmp_path / "compare.html"))
    counts = {}
    for route in best.values():
        counts[route.edges] = counts.get(route.edges, 0) + 1
    widest = max(counts.values())
    first = opened.page.locator(".corridor-legend .row b").first.inner_text()
    assert first.count(",") + 1 == widest  # the route winning most metrics is listed first ...
    dashes = opened.evaluate("() => [...document.querySelectorAll('path.corridor-leg.corridor-route-0')]"
                             ".map(p => p.getAttribute('stroke-dasharray'))")  # fmt: skip
    assert dashes and all(d in (None, "none") for d in dashes)  # ... and drawn solid
    assert visible_share(opened, 0) > 0.6
    assert_clean(opened)


def test_the_network_map_keeps_lanes_light_and_continuous_across_180(network, open_map, tmp_path):
    opened = open_map(save_map(network_map(network), tmp_path / "network.html"))
    lanes = opened.page.locator("path.corridor-lanes").first
    assert float(lanes.get_attribute("stroke-width")) < 1 and float(lanes.get_attribute("stroke-opacity")) <= 0.5
    assert opened.count("path.corridor-lanes") == 3  # the world and a copy each side: lanes run on past 180
    # Links and places are drawn above the lanes.
    order = opened.evaluate(
        "() => ['corridor-lanes', 'corridor-link', 'corridor-place'].map(c => "
        "+getComputedStyle(document.querySelector('path.' + c).closest('.leaflet-pane')).zIndex)"
    )
    assert order[0] < order[1] < order[2], order
    assert_clean(opened)
