"""Metrics of edges from the parameters table."""

from __future__ import annotations

import statistics

import pytest

from corridor.costing import Parameters, published_circuity
from corridor.datasets import Link, Place, bundled_data_dir, read_parameters
from corridor.errors import DataError


@pytest.fixture(scope="module")
def params():
    return Parameters(read_parameters(bundled_data_dir() / "parameters.csv"))


A = Place("A", "A", "CN", 30.0, 106.0, "river_port", ("river", "rail"))
B = Place("B", "B", "CN", 30.0, 110.0, "river_port", ("river", "rail"), dwell_h=5.0)


def test_waiting_is_half_the_headway(params):
    assert params.service_wait_h("sea", 7) == pytest.approx(12.0)
    assert params.service_wait_h("sea", 1) == pytest.approx(84.0)


def test_river_is_slower_upstream(params):
    link = Link("r", "A", "B", "river", distance_km=600, distance_source="estimate", current="down")
    down = params.link(link, A, B, forward=True)
    up = params.link(link, A, B, forward=False)
    assert up.time_h > down.time_h
    # Boarding here waits for the link's own service: half its headway.
    wait = params.link_wait_h(link)
    assert down.time_h == pytest.approx(600 / params.value("speed_down_kmh", "river") + wait)
    assert up.time_h == pytest.approx(600 / params.value("speed_up_kmh", "river") + wait)


def test_a_published_time_holds_both_ways_unless_a_return_time_is_given(params):
    link = Link("l", "A", "B", "rail", distance_km=100, distance_source="e", time_h=10, time_source="e")
    wait = params.link_wait_h(link)
    assert params.link(link, A, B, forward=False).time_h == pytest.approx(10 + wait)
    link = Link("l", "A", "B", "rail", distance_km=100, distance_source="e", time_h=10, time_source="e", time_back_h=20,
                time_back_source="e")  # fmt: skip
    assert params.link(link, A, B, forward=False).time_h == pytest.approx(20 + wait)
    # A door time that already includes waiting is not charged it again; a wait boarded is not charged twice.
    door = Link("d", "A", "B", "rail", distance_km=100, distance_source="e", time_h=10, time_source="e",
                time_includes_wait=True)  # fmt: skip
    assert params.link(door, A, B, forward=True).time_h == pytest.approx(10)
    assert params.link(link, A, B, forward=True, waited_h=wait).time_h == pytest.approx(10)


def test_co2_is_tonne_km_times_the_mode_factor(params):
    link = Link("l", "A", "B", "rail", distance_km=1000, distance_source="e")
    metrics = params.link(link, A, B, forward=True)
    assert metrics.co2_kg == pytest.approx(
        1000 * params.payload_t_per_teu * params.value("co2_g_per_tkm", "rail") / 1000
    )


def test_a_ro_ro_link_takes_its_vessel_class_factor_where_the_parameters_give_one(params):
    roro = Link("s", "A", "B", "feeder", distance_km=1000, distance_source="e", vessel_class="roro")
    feeder = Link("s", "A", "B", "feeder", distance_km=1000, distance_source="e", vessel_class="feeder")
    per_g = params.payload_t_per_teu  # kg over 1,000 km per g per tonne-km
    assert params.link(roro, A, B, forward=True).co2_kg == pytest.approx(
        per_g * params.value("vessel_co2_g_per_tkm", "roro")
    )
    assert params.link(feeder, A, B, forward=True).co2_kg == pytest.approx(
        per_g * params.value("co2_g_per_tkm", "feeder")
    )
    # A parameters table without the row (a dataset of one's own) charges the mode's factor.
    table = {key: row for key, row in params.table.items() if key[0] != "vessel_co2_g_per_tkm"}
    assert Parameters(table).link(roro, A, B, forward=True).co2_kg == pytest.approx(
        per_g * params.value("co2_g_per_tkm", "feeder")
    )


def test_a_link_without_a_published_distance_is_measured_along_its_via_points(params):
    link = Link("l", "A", "B", "rail", via=((108.0, 31.0),))
    metrics = params.link(link, A, B, forward=True)
    straight = params.link(Link("l", "A", "B", "rail"), A, B, forward=True)
    assert metrics.distance_km > straight.distance_km > 380


def test_each_circuity_factor_lies_within_what_the_published_links_show(network):
    """A link without a published distance is its drawn length times its mode's circuity; the
    links whose length cites a document show that ratio, and each factor lies within the middle
    half of theirs (a consistency check: the river factor is those four links' median)."""
    evidence = published_circuity(network.links.values(), network.places)
    assert set(evidence) >= {"rail", "road", "river"}
    for mode, ratios in evidence.items():
        low, _, high = statistics.quantiles([ratio for ratio, _ in ratios], n=4)
        assert low <= network.parameters.value("circuity", mode) <= high, mode


def test_a_frequency_below_the_default_adds_waiting(params):
    weekly = Link(
        "l", "A", "B", "rail", distance_km=100, distance_source="e", frequency_per_week=1, frequency_source="e"
    )
    plain = Link("l", "A", "B", "rail", distance_km=100, distance_source="e")
    extra = params.link(weekly, A, B, forward=True).time_h - params.link(plain, A, B, forward=True).time_h
    assert extra == pytest.approx(84 - params.service_wait_h("rail"))


def test_missing_parameters_are_listed(params):
    table = dict(params.table)
    del table[("speed_kmh", "sea")]
    del table[("co2_g_per_tkm", "road")]
    with pytest.raises(DataError) as info:
        Parameters(table)
    assert len(info.value.problems) == 2
