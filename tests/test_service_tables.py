"""The calibration table and the service, hub, border, clearance and rate tables are well formed.

The engine does not read these tables yet; these tests keep them usable: every place they name
exists in the bundled network, every figure cites a document of sources.csv or says it is an
estimate, and every band holds the figure it was made from.
"""

from __future__ import annotations

import csv
from collections import Counter

import pytest

from corridor.datasets import MODES, bundled_data_dir, cited_ids, is_estimate, read_sources

DATA = bundled_data_dir()
CALIBRATION = DATA.parent / "tests" / "data" / "calibration.csv"
SOURCES = read_sources(DATA / "sources.csv")
# Published units and their factor to the metric's unit (per TEU for rates: an FEU is two TEU).
UNITS = {"h": 1, "d": 24, "km": 1, "nm": 1.852, "USD/TEU": 1, "USD/FEU": 0.5, "CNY/TEU": 1 / 6.9}
METRICS = {"time_h", "distance_km", "cost_usd"}


def rows(path):
    with path.open(newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def assert_cites(text, where):
    """A source field is an estimate, or starts with a known document and cites only known ones."""
    assert text, f"{where}: no source"
    if is_estimate(text):
        return
    first = text.split(" ", 1)[0].split(";", 1)[0].split(":", 1)[0]
    assert first in SOURCES, f"{where}: {text!r} neither starts with a known document nor is an estimate"
    assert cited_ids(text, SOURCES), where


@pytest.fixture(scope="module")
def calibration():
    return rows(CALIBRATION)


def test_the_calibration_table_has_forty_published_figures_in_two_halves(calibration):
    assert len(calibration) >= 40
    assert len({r["id"] for r in calibration}) == len(calibration)
    halves = Counter((r["metric"], r["split"]) for r in calibration)
    for metric in {r["metric"] for r in calibration}:
        assert metric in METRICS
        assert halves[(metric, "calibration")] and halves[(metric, "holdout")], metric
        assert abs(halves[(metric, "calibration")] - halves[(metric, "holdout")]) <= 1, metric


def test_every_calibration_band_holds_its_published_figure(calibration):
    for r in calibration:
        low, high = float(r["low"]), float(r["high"])
        assert 0 < low <= high, r["id"]
        published = [float(v) * UNITS[r["unit"]] for part in r["published_value"].split(";") for v in part.split("-")]
        assert all(low <= v <= high for v in published), (r["id"], published, low, high)


def test_every_calibration_row_names_known_places_constraints_and_sources(network, calibration):
    for r in calibration:
        for column in ("origin", "destination"):
            assert r[column] in network.places, (r["id"], r[column])
        for item in filter(None, r["constraint"].split(";")):
            key, _, value = item.partition("=")
            assert key in {"modes", "via", "avoid"} and value, (r["id"], item)
            if key == "modes":
                assert set(value.split(",")) <= set(MODES), (r["id"], value)
            if key == "via":
                assert value in network.places, (r["id"], value)
        for sid in r["source"].split(";"):
            assert sid in SOURCES, (r["id"], sid)
        assert r["independent"] in {"yes", "no"}, r["id"]


def test_hubs_and_services_name_routable_seaports(network):
    hubs = rows(DATA / "sea" / "hubs.csv")
    assert {"SGSIN", "MYPKG", "MYTPP", "LKCMB", "AEJEA", "OMSLL", "CNSHA", "HKHKG", "TWKHH", "KRPUS", "EGPSD",
            "ESALG", "NLRTM", "CNQZH"} <= {h["id"] for h in hubs}  # fmt: skip
    for h in hubs:
        assert h["role"] in {"hub", "gateway", "port"}, h["id"]
        assert h["class"] in {"mainline", "feeder"} and h["class_source"], h["id"]
        assert network.routable(h["id"]) and "sea" in network.places[h["id"]].modes, h["id"]
        if h["role"] == "port":  # a port's class only; it changes ship at the default figures
            continue
        assert float(h["transship_h"]) <= float(h["transship_h_p90"]), h["id"]
        for column in ("transship_source", "p90_source", "usd_source"):
            assert_cites(h[column], f"hubs {h['id']} {column}")
    for s in rows(DATA / "sea" / "services.csv"):
        ports = s["ports"].split(";")
        assert len(ports) >= 2, s["id"]
        for pid in ports:
            assert pid in network.places, (s["id"], pid)
            assert {"sea", "river"} & set(network.places[pid].modes), (s["id"], pid)
        assert s["vessel_class"] in {"mainline", "feeder", "river_sea", "roro"}, s["id"]
        assert float(s["frequency_per_week"]) > 0, s["id"]
        if s["transit_h"]:
            assert {s["transit_from"], s["transit_to"]} <= set(ports), s["id"]
            assert_cites(s["transit_source"], f"services {s['id']}")
        for column in ("source", "frequency_source", "speed_source"):
            assert_cites(s[column], f"services {s['id']} {column}")


def test_border_crossings_sit_on_their_links_and_gauge_breaks_carry_a_lift(network):
    borders = rows(DATA / "borders.csv")
    crossings = {"CNPIN", "CNYYG", "CNHKM", "LABTN", "th-nongkhai", "cn-ruili", "THPDB", "CNAKL", "CNHRS", "CNERC",
                 "PLMAA"}  # fmt: skip
    assert crossings <= {b["place_id"] for b in borders}
    linked = {pid for link in network.links.values() for pid in (link.from_id, link.to_id)}
    for b in borders:
        where = f"borders {b['place_id']} {b['mode']}"
        place = network.places[b["place_id"]]
        assert b["mode"] in place.modes, where
        assert b["place_id"] in linked, where
        if b["place_id"] in crossings:
            assert place.kind == "border", where
        assert float(b["crossing_h"]) <= float(b["crossing_h_p90"]), where
        assert_cites(b["crossing_source"], where)
        assert_cites(b["p90_source"], where)
        if b["cost_usd"]:
            assert_cites(b["cost_source"], where)
        assert b["gauge_break"] in {"yes", "no"}, where
        if b["gauge_break"] == "yes":
            assert b["gauge_from_mm"] != b["gauge_to_mm"], where
            assert float(b["lift_h"]) > 0 and b["lift_usd"], where
            assert_cites(b["lift_source"], where)
            assert_cites(b["gauge_source"], where)


def test_clearance_and_rates_cite_every_figure(network):
    for c in rows(DATA / "clearance.csv"):
        where = f"clearance {c['place_id']} {c['direction']}"
        assert c["place_id"] in network.places and c["direction"] in {"import", "export"}, where
        assert float(c["h"]) <= float(c["h_p90"]), where
        for column in ("h_source", "p90_source", "usd_source"):
            assert_cites(c[column], where)
    rates = rows(DATA / "rates.csv")
    for r in rates:
        assert_cites(r["source"], f"rates {r['name']} {r['class']}")
        if r["low"] and r["high"]:
            assert float(r["low"]) <= float(r["value"]) <= float(r["high"]), r
    conventions = {r["convention"] for r in rates if r["name"] == "co2_g_per_teu_km"}
    assert conventions == {"WTW"}, "every emission factor in one convention"


def test_canals_and_calls_on_the_way_cite_every_figure(network):
    for c in rows(DATA / "sea" / "canals.csv"):
        for column in ("transit_source", "p90_source", "length_source", "position_source"):
            assert_cites(c[column], f"canals {c['passage']} {column}")
    for c in rows(DATA / "sea" / "calls_on_the_way.csv"):
        assert all(p in network.places for p in c["ports"].split(";")), c["passage"]
        for column in ("call_source", "p90_source", "ports_source", "zone_source", "gate_source"):
            assert_cites(c[column], f"calls on the way {c['passage']} {column}")
