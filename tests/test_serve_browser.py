"""The page of `corridor serve` in a real headless Chromium: type-ahead, the CLI's table, the route layers, errors
beside their fields, hostile names shown as text, and no request leaving the server.

The server runs in-process on a free loopback port; every request to another origin is recorded and aborted.
"""

from __future__ import annotations

import io as bytes_io
import itertools
import re
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest

pytest.importorskip("starlette")
pytest.importorskip("uvicorn")

from corridor.editing import add_link, add_place, init_dataset
from corridor.render import ROUTE_COLORS
from corridor.server import Settings, running

from .conftest import HOSTILE
from .test_browser import VIEWPORT, browser  # noqa: F401 - the module's Chromium fixture

pytestmark = pytest.mark.browser

# The route classes drawn on the map: one per route, whatever the number of its legs.
ROUTE_LAYERS = """() => {
    const ranks = new Set();
    for (const path of document.querySelectorAll('#map path.corridor-route')) {
        for (const name of path.classList) if (/^corridor-route-\\d+$/.test(name)) ranks.add(name);
    }
    return [...ranks].sort();
}"""


@pytest.fixture(scope="module")
def site(network) -> Iterator[str]:
    """The page and API over the bundled network, on a free loopback port."""
    with running(Settings(), network=network) as url:
        yield url


@pytest.fixture(scope="module")
def hostile_site(tmp_path_factory) -> Iterator[str]:
    """A copy of the bundled dataset with a place named in HTML, script and template syntax, joined by road."""
    root = tmp_path_factory.mktemp("hostile") / "data"
    init_dataset(root)
    add_place(
        root,
        place_id="CNHOS",
        name=HOSTILE,
        country="CN",
        lat=29.62,
        lon=106.45,
        modes=["road", "rail"],
        aliases=["<img src=x onerror=alert(2)>"],
        notes="`${alert(3)}`",
    )
    add_link(root, "CNHOS", "CNCQI", mode="road", distance_km=12.0, source="estimate: test")
    with running(Settings(data=str(root))) as url:
        yield url


@dataclass
class Page:
    """A page of the server, with everything that went wrong while it ran."""

    page: object
    base: str
    errors: list[str] = field(default_factory=list)
    outside: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)

    def pick(self, param: str, typed: str, value: str) -> None:
        """Type into a place field and pick the suggestion whose value is `value`."""
        field_input = self.page.locator(f"#f-{param}")
        field_input.fill("")
        field_input.press_sequentially(typed, delay=20)
        option = self.page.locator(f'[data-param={param}] li[data-value="{value}"]')
        option.wait_for()
        option.click()

    def find(self) -> None:
        self.page.evaluate("() => { delete document.body.dataset.answered; }")
        self.page.click("#go")

    def answer(self) -> str:
        self.page.locator("body[data-answered]").wait_for()
        return self.page.locator("#answer-text").text_content()

    def clean(self) -> None:
        assert self.errors == [], self.errors
        assert self.outside == [], self.outside
        assert self.dialogs == [], self.dialogs


@pytest.fixture
def open_page(browser):  # noqa: F811
    contexts = []

    def opener(base: str, query: str = "") -> Page:
        context = browser.new_context(viewport=VIEWPORT)
        contexts.append(context)
        page = context.new_page()
        opened = Page(page, base)
        page.on("pageerror", lambda exc: opened.errors.append(f"page error: {exc}"))

        def on_console(message) -> None:
            # The browser logs each answer of 400 and up; the API's are expected, and checked by the tests.
            if message.type in ("error", "warning") and not message.text.startswith("Failed to load resource"):
                opened.errors.append(f"console: {message.text}")

        def on_response(response) -> None:
            if response.status >= 400 and not response.url.startswith(f"{base}/api/"):
                opened.errors.append(f"{response.status} for {response.url}")

        page.on("console", on_console)
        page.on("response", on_response)

        def on_dialog(dialog) -> None:
            opened.dialogs.append(dialog.message)
            dialog.dismiss()

        page.on("dialog", on_dialog)

        def only_the_server(request_route) -> None:
            url = request_route.request.url
            if url == base or url.startswith(base + "/"):
                request_route.continue_()
            else:
                opened.outside.append(url)
                request_route.abort()

        context.route("**/*", only_the_server)
        page.goto(f"{base}/{query}")
        page.locator("body[data-ready=true]").wait_for()
        return opened

    yield opener
    for context in contexts:
        context.close()


def chongqing_to_umm_qasr(opened: Page) -> str:
    opened.pick("origin", "chong", "Chongqing")
    opened.pick("destination", "umm", "IQUQR")
    opened.page.fill("#f-alternatives", "2")
    opened.find()
    return opened.answer()


def test_type_ahead_then_the_cli_table_and_three_route_layers(site, open_page, run):
    opened = open_page(site)
    suggestions = opened.page.locator("[data-param=origin] .suggestions")
    opened.page.locator("#f-origin").press_sequentially("chong", delay=20)
    # On a slow machine the keys come further apart than the page's debounce, so the list may
    # first show the suggestions for "ch" or "cho": wait for the answer to the whole text.
    opened.page.wait_for_function(
        """() => {
            const names = [...document.querySelectorAll("[data-param=origin] .suggestions li .name")];
            return names.length > 0 && names.every((n) => n.textContent.toLowerCase().includes("chong"));
        }""",
        timeout=10_000,
    )
    shown = suggestions.locator("li .name").all_text_contents()
    assert "Chongqing" in shown and all("chong" in s.lower() for s in shown)
    text = chongqing_to_umm_qasr(opened)
    cli = run("route", "Chongqing", "IQUQR", "--alternatives", "2")
    assert cli.code == 0
    assert text == cli.out  # the same table, to the character
    # What the CLI notes on stderr (a dated scenario in force today on the route) shows above it.
    notes = [line.removeprefix("corridor: note: ") for line in cli.err.splitlines() if "note: scenario" in line]
    shown_notes = opened.page.locator("#notes")
    assert (shown_notes.text_content() or "") == " | ".join(notes)
    assert shown_notes.is_visible() == bool(notes)
    assert opened.page.evaluate(ROUTE_LAYERS) == ["corridor-route-0", "corridor-route-1", "corridor-route-2"]
    assert opened.page.locator("#legend .route").count() == 3
    # The legend gives the best route's totals as the table's total line does, figure for figure.
    (total,) = [line for line in cli.out.splitlines() if line.strip().startswith("total")][:1]
    figures = re.findall(r"\$?[\d,]+(?:\.\d)? (?:km|d|kg)|\$[\d,]+", total)
    legend = opened.page.locator("#legend .route .totals").first.text_content()
    assert len(figures) == 4 and all(figure in legend for figure in figures), (figures, legend)
    assert opened.page.locator("#error-general").text_content() == ""
    # The chosen place links to what routes charge there: the text `corridor ports show` prints.
    about = opened.page.locator("[data-param=destination] .chosen a")
    assert about.get_attribute("target") == "_blank"
    shown = opened.page.evaluate("(href) => fetch(href).then((r) => r.text())", about.get_attribute("href"))
    assert shown.startswith("Umm Qasr (IQUQR)") and "import clearance" in shown and "source:" in shown
    opened.clean()


def test_the_permalink_reproduces_the_query_and_the_downloads_work(site, open_page):
    first = open_page(site)
    text = chongqing_to_umm_qasr(first)
    link = first.page.locator("#permalink").get_attribute("href")
    assert link.startswith("?") and "origin=Chongqing" in link
    again = open_page(site, link)
    assert again.answer() == text
    assert again.page.evaluate(ROUTE_LAYERS) == ["corridor-route-0", "corridor-route-1", "corridor-route-2"]
    assert again.page.locator("#f-origin").input_value() == "Chongqing"
    kinds = {"html": "text/html", "json": "application/json", "geojson": "application/json"}
    for kind, content_type in kinds.items():
        href = again.page.locator(f"#download-{kind}").get_attribute("href")
        response = again.page.request.get(site + href)
        assert response.status == 200 and response.headers["content-type"].startswith(content_type), kind
    geojson = again.page.request.get(site + again.page.locator("#download-geojson").get_attribute("href")).json()
    assert {f["properties"]["route"] for f in geojson["features"]} == {0, 1, 2}
    first.clean()
    again.clean()


@pytest.mark.parametrize("param", ["destination", "via", "avoid"])
def test_an_unknown_place_is_reported_beside_its_field(site, open_page, run, param):
    opened = open_page(site)
    opened.pick("origin", "chong", "Chongqing")
    opened.pick("destination", "umm", "IQUQR")
    opened.page.fill(f"#f-{param}", "atlantis")
    opened.page.click("#go")
    beside = opened.page.locator(f"#error-{param}")
    beside.wait_for(state="visible")
    message = beside.text_content()
    args = {
        "destination": ["Chongqing", "atlantis"],
        "via": ["Chongqing", "IQUQR", "--via", "atlantis"],
        "avoid": ["Chongqing", "IQUQR", "--avoid", "atlantis"],
    }[param]
    cli = run("route", *args)
    assert cli.code == 1
    assert message == cli.err.strip().removeprefix("corridor: ")
    assert "atlantis" in message
    assert "invalid" in opened.page.locator(f"#f-{param}").get_attribute("class")
    for other in ("origin", "destination", "via", "avoid", "general"):
        if other != param:
            assert opened.page.locator(f"#error-{other}").text_content() == "", other
    assert opened.page.locator("#answer-text").text_content() == ""
    opened.clean()


def test_a_bad_number_is_reported_beside_its_field(site, open_page):
    opened = open_page(site, "?origin=Chongqing&destination=IQUQR&teu=-3")
    beside = opened.page.locator("#error-teu")
    beside.wait_for(state="visible")
    assert beside.text_content() == "argument --teu: '-3' is not a positive number"
    opened.clean()


# Record the points of every route line the page draws (Leaflet's own objects are private to the page's script).
RECORD_LINES = """() => {
    window.drawnLines = [];
    const polyline = L.polyline;
    L.polyline = (points, options) => {
        if (/corridor-route-/.test((options || {}).className || "")) window.drawnLines.push(points.flat(2));
        return polyline(points, options);
    };
}"""


def test_a_leg_across_the_antimeridian_is_drawn_across_the_pacific(site, open_page):
    # Shanghai to Los Angeles by distance sails one leg the API splits at 180 degrees (a MultiLineString).
    opened = open_page(site)
    opened.page.evaluate(RECORD_LINES)
    opened.page.fill("#f-origin", "Shanghai")
    opened.page.fill("#f-destination", "Los Angeles")
    opened.page.select_option("#f-by", "distance")
    opened.find()
    opened.answer()
    drawn = opened.page.evaluate("() => window.drawnLines")
    longest = max(drawn, key=len)
    lons = longest[1::2]  # the flattened [lat, lon] pairs
    assert len(lons) > 2, drawn  # a line, not the dot of a leg drawn as nothing
    assert min(lons) < 180 < max(lons) or min(lons) < -180 < max(lons), lons
    # One continuous line across the Pacific: no step jumps to the map's other edge.
    assert max(abs(b - a) for a, b in itertools.pairwise(lons)) < 90, lons
    opened.clean()


def test_a_hostile_place_name_renders_as_text_and_runs_nothing(hostile_site, open_page, run):
    opened = open_page(hostile_site)
    opened.pick("origin", "script", "CNHOS")
    chosen = opened.page.locator("[data-param=origin] .chosen")
    assert chosen.text_content() == f"{HOSTILE}, CN · figures and sources"
    # The link to what routes charge there is built from the place's id, never from its name.
    assert chosen.locator("a").get_attribute("href") == "/api/places/CNHOS?format=text"
    opened.pick("destination", "umm", "IQUQR")
    opened.find()
    text = opened.answer()
    assert HOSTILE in text
    assert opened.page.evaluate(ROUTE_LAYERS) == ["corridor-route-0"]
    # Hover the first leg: its tooltip shows the name as text.
    opened.page.evaluate("""() => {
        const path = document.querySelector('#map path.corridor-route-0');
        path.dispatchEvent(new MouseEvent('mouseover', {bubbles: true}));
    }""")
    tooltip = opened.page.locator(".leaflet-tooltip")
    tooltip.first.wait_for()
    assert HOSTILE in tooltip.first.text_content()
    # Nothing was parsed as markup: the only scripts are the two static ones, no image was made from the alias.
    scripts = opened.page.evaluate("() => [...document.scripts].map(s => s.getAttribute('src'))")
    assert scripts == ["/static/leaflet.js", "/static/app.js"]
    assert opened.page.locator("img[src=x]").count() == 0
    assert "49" not in opened.page.locator("[data-param=origin] .chosen").text_content()  # {{ 7*7 }} not evaluated
    opened.clean()


@pytest.mark.parametrize(
    ("view", "fill", "api"),
    [
        ("compare", {"origin": "Chongqing", "destination": "IQUQR"}, "/api/compare?origin=Chongqing&destination=IQUQR"),
        ("reach", {"origin": "Chongqing", "country": "VN"}, "/api/reach?origin=Chongqing&country=VN&limit=50"),
        ("pareto", {"origin": "Chongqing", "destination": "SGSIN"}, "/api/pareto?origin=Chongqing&destination=SGSIN"),
        (
            "scenario",
            {"origin": "Chongqing", "destination": "NLRTM", "scenario": "red-sea-2024"},
            "/api/scenarios/red-sea-2024/compare?origin=Chongqing&destination=NLRTM",
        ),
        (
            "criticality",
            {"origin": "Chongqing", "to": "SGSIN\nIQUQR", "top": "5"},
            "/api/criticality?origin=Chongqing&to=SGSIN&to=IQUQR&top=5",
        ),
    ],
)
def test_each_view_asks_the_api_and_shows_its_table(site, open_page, view, fill, api):
    opened = open_page(site)
    opened.page.click(f"#views button[data-view={view}]")
    for name, value in fill.items():
        target = opened.page.locator(f"#f-{name}")
        if name == "scenario":
            target.select_option(value)
        else:
            target.fill(value)
    opened.find()
    text = opened.answer()
    expected = opened.page.request.get(f"{site}{api}&format=text").text()
    assert text == expected
    if view in ("compare", "pareto", "scenario"):
        assert len(opened.page.evaluate(ROUTE_LAYERS)) >= 1
    if view == "criticality":  # the elements ranked, coloured on the map
        assert opened.page.locator("#map .corridor-critical").count() >= 1
        assert "cuts destinations off" in opened.page.locator("#legend").inner_text()
    if view == "reach":  # the map shows every place reached, not only the rows of the table
        reached = opened.page.request.get(f"{site}/api/reach?origin=Chongqing&country=VN&format=json").json()
        opened.page.locator("#legend").get_by_text("places reached").wait_for()
        assert f"{len(reached):,} places reached" in opened.page.locator("#legend").inner_text()
    opened.clean()


def test_a_screenshot_of_the_page_is_not_blank(site, open_page):
    from PIL import Image, ImageStat

    opened = open_page(site)
    chongqing_to_umm_qasr(opened)
    opened.page.wait_for_timeout(300)  # the map's fit animation
    image = Image.open(bytes_io.BytesIO(opened.page.screenshot())).convert("RGB")
    spread = ImageStat.Stat(image.convert("L")).stddev[0]
    assert spread > 20, spread
    assert len(image.getcolors(1 << 20) or []) > 200
    # The best route's colour is on the map.
    red = tuple(int(ROUTE_COLORS[0][i : i + 2], 16) for i in (1, 3, 5))
    map_box = opened.page.locator("#map").bounding_box()
    crop = image.crop(
        (
            int(map_box["x"]),
            int(map_box["y"]),
            int(map_box["x"] + map_box["width"]),
            int(map_box["y"] + map_box["height"]),
        )
    )
    near = sum(
        count for count, rgb in crop.getcolors(1 << 20) if max(abs(a - b) for a, b in zip(rgb, red, strict=True)) < 30
    )
    assert near > 300, near
    opened.clean()
