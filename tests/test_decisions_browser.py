"""The decision maps in a real headless Chromium with no network.

What must hold: the criticality map, the reach map and the trade-off map render offline with
their legends, without a JavaScript error or a network request, and every name from data (HTML,
script and template syntax) shows as plain text; the front's HTML chart runs no script.
"""

from __future__ import annotations

import pytest

from corridor.criticality import criticality
from corridor.decision_maps import criticality_map, front_html, front_map, reach_map
from corridor.io import reach_rows
from corridor.network import load_network
from corridor.pareto import pareto
from corridor.render import save_map
from corridor.routing import reach

from .conftest import EVALUATED, HOSTILE
from .test_browser import OPEN_ALL, assert_clean, browser, open_map  # noqa: F401 - fixtures

pytestmark = pytest.mark.browser


def test_decision_maps_render_offline_with_names_as_plain_text(hostile, open_map, tmp_path):  # noqa: F811
    net = load_network(hostile)
    result = criticality(net, "CNCCC", ["CNBBB", "CNAAA"], by="time", prune=False)
    rows = reach_rows(net, reach(net, "CNCCC", by="time"))
    front = pareto(net, "CNCCC", "CNBBB")
    maps = {
        "criticality": criticality_map(net, result, title=HOSTILE),
        "reach": reach_map(net, rows, metric="time_h", origin=HOSTILE, title=HOSTILE),
        "pareto": front_map(net, front, title=HOSTILE),
    }
    for name, m in maps.items():
        opened = open_map(save_map(m, tmp_path / f"{name}.html"))
        scripts = opened.count("script")
        texts = opened.evaluate(OPEN_ALL)
        legend = opened.page.locator(".corridor-legend").first.inner_text()
        assert legend.strip(), name
        everything = "".join(texts) + legend + opened.page.title()
        assert HOSTILE in everything, name
        assert EVALUATED not in everything  # the template {{ 7*7 }} was never evaluated
        assert opened.count("script") == scripts
        assert_clean(opened)


def test_front_chart_page_runs_no_script(hostile, browser, tmp_path):  # noqa: F811
    net = load_network(hostile)
    page_file = tmp_path / "front.html"
    page_file.write_text(front_html(net, pareto(net, "CNCCC", "CNBBB"), title=HOSTILE), encoding="utf-8")
    context = browser.new_context(offline=True)
    page = context.new_page()
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.goto(page_file.resolve().as_uri())
    assert page.locator("script").count() == 0
    assert page.locator("svg circle").count() >= 1
    assert HOSTILE in page.title()
    assert dialogs == []
    context.close()
