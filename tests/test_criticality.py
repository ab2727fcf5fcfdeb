"""Criticality (corridor.criticality) and sweeps on Dask (corridor.distributed).

What must hold:
- from Chongqing to the seaports of Southeast Asia by time, the Chongqing-Qinzhou rail link or
  a Beibu Gulf gateway (Qinzhou, Beihai, Fangchenggang) ranks in the top five;
- closing an element never makes a destination cheaper to reach;
- pruning is safe: every element skipped as unused has no impact when it is closed after all,
  and the elements evaluated rank the same with or without pruning;
- a destination that is the closed place itself is not counted as cut off;
- on a 2-worker LocalCluster, criticality and matrices equal the serial results exactly;
- without --workers or --scheduler, nothing imports Dask.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

from corridor import routing
from corridor.criticality import criticality
from corridor.distributed import Dask, matrix
from corridor.errors import UsageError

SOUTHEAST_ASIA = ("SG", "MY", "TH", "VN", "ID", "PH", "KH", "MM", "BN")
BEIBU_GULF = {"CNQZH", "CNBIH", "CNFAN"}


def _seaports(network, countries=SOUTHEAST_ASIA):
    return sorted(
        pid
        for pid, p in network.places.items()
        if p.country in countries and "sea" in p.modes and network.routable(pid)
    )


def test_the_hub_and_the_south_china_gateways_rank_near_the_top_by_time(network):
    # Southeast Asia's small ports are fed from the region's hubs (Singapore, Port Klang, Tanjung
    # Pelepas, Kaohsiung for the Philippines ...); cargo from Chongqing reaches them by rail to a
    # South China gateway (Beibu Gulf or Pearl River).
    result = criticality(network, "Chongqing", _seaports(network), by="time")
    ranked = [impact.element.id for impact in result.impacts]
    hubs = {pid for pid, hub in network.operations.hubs.items() if hub.role == "hub"}
    assert ranked[0] in hubs | {"malacca"}, ranked[:5]
    assert {"SGSIN", "MYPKG", "MYTPP", "malacca"} & set(ranked[:5]), ranked[:5]
    gateways = BEIBU_GULF | {"CNYTN", "CNNSA", "CNSHK", "rail-cq-qinzhou", "rail-cq-yantian", "rail-guoyuan-nansha"}
    assert gateways & set(ranked[:20]), ranked[:20]
    assert all(impact.added >= 0 for impact in result.impacts)


def test_pruning_skips_only_elements_that_cannot_matter(network):
    ports = _seaports(network, ("VN", "TH"))
    pruned = criticality(network, "Chongqing", ports, by="cost")
    full = criticality(network, "Chongqing", ports, by="cost", prune=False)
    assert pruned.skipped > 0 and full.skipped == 0
    evaluated = {i.element.id: i for i in pruned.impacts}
    for impact in full.impacts:
        if impact.element.id in evaluated:
            assert impact == evaluated[impact.element.id]
        else:
            assert impact.added == 0 and impact.cut_off == 0, impact


def test_closing_a_destination_does_not_count_it_as_cut_off(network):
    result = criticality(network, "Chongqing", ["Qinzhou", "Singapore"], by="time", prune=False)
    qinzhou = next(i for i in result.impacts if i.element.id == "CNQZH")
    assert qinzhou.cut_off == 0


@pytest.mark.parametrize("weights", [[0.0, 0.0], [1.0, -1.0], [1.0, float("nan")], [1.0, "heavy"]])
def test_weights_that_rank_nothing_are_refused(network, weights):
    # Once, weights all 0 ranked every element at $0 added, in an arbitrary order.
    with pytest.raises(UsageError, match="weight"):
        criticality(network, "Chongqing", ["Singapore", "Hanoi"], weights=weights)


def test_weights_scale_the_added_total(network):
    ports = ["Singapore", "Haiphong"]
    once = criticality(network, "Chongqing", ports, by="time")
    twice = criticality(network, "Chongqing", ports, weights=[2.0, 2.0], by="time")
    for a, b in zip(once.impacts, twice.impacts, strict=True):
        assert b.added == pytest.approx(2 * a.added)


def test_a_mapping_of_destinations_gives_their_weights(network):
    # Once, a dict's weights were dropped: every destination weighed 1, and -1 went through.
    listed = criticality(network, "Chongqing", ["Singapore", "Haiphong"], weights=[40.0, 25.0], by="time")
    assert criticality(network, "Chongqing", {"Singapore": 40, "Haiphong": 25}, by="time") == listed
    with pytest.raises(UsageError, match="weights"):
        criticality(network, "Chongqing", {"Singapore": -1}, by="time")
    with pytest.raises(UsageError, match="not both"):
        criticality(network, "Chongqing", {"Singapore": 1}, weights=[2.0], by="time")


def test_a_destination_named_twice_is_refused_not_counted_twice(network):
    # Once, Singapore,40 and Singapore,10 in a --to-file ranked with "2 destinations" and weight 50.
    with pytest.raises(UsageError, match="given twice") as info:
        criticality(network, "Chongqing", ["Singapore", "Hanoi", "SGSIN"], weights=[40, 1, 10], by="time")
    assert info.value.parameter == "destinations"
    assert "Singapore and SGSIN" in str(info.value)


@pytest.mark.parametrize("weights", [[-1.0], [float("nan")], [float("inf")], ["2"], [None], 5, "2"])
def test_a_weight_that_is_no_number_from_0_up_is_a_usage_error(network, weights):
    from corridor.errors import UsageError

    with pytest.raises(UsageError, match=r"^weights") as info:
        criticality(network, "Chongqing", ["Singapore"], weights=weights, by="time")
    assert info.value.parameter == "weights"


def test_numpy_weights_are_numbers(network):
    np = pytest.importorskip("numpy")
    plain = criticality(network, "Chongqing", ["Singapore"], weights=[2.0], by="time")
    assert criticality(network, "Chongqing", ["Singapore"], weights=np.array([2]), by="time") == plain


def test_prices_and_run_of_the_wrong_kind_are_usage_errors_before_any_search(network):
    from corridor.errors import UsageError

    for keywords, parameter in (
        ({"by": "generalized", "prices": {"co2_price_usd_per_t": 100}}, "prices"),
        ({"run": 5}, "run"),
        ({"run": Dask(workers=2)}, "run"),  # not entered: no cluster to run on
    ):
        with pytest.raises(UsageError, match=f"^{parameter}") as info:
            criticality(network, "Chongqing", ["Singapore"], **keywords)
        assert info.value.parameter == parameter
    with pytest.raises(UsageError, match=r"^run"):
        matrix(network, ["Chongqing"], ["Singapore"], run=object())


@pytest.mark.parametrize(
    "call",
    [
        lambda network: criticality(network, "Chongqing", ["Singapore"], progress=5),
        lambda network: matrix(network, ["Chongqing"], ["Singapore"], progress="yes"),
        lambda network: routing.matrix(network, ["Chongqing"], ["Singapore"], progress=5),
    ],
)
def test_a_progress_that_cannot_be_called_is_a_usage_error(network, call):
    from corridor.errors import UsageError

    with pytest.raises(UsageError, match=r"^progress must be a function") as info:
        call(network)
    assert info.value.parameter == "progress"


def test_a_criticality_shows_in_a_notebook_as_one_short_line(network):
    result = criticality(network, "Chongqing", ["Singapore", "Haiphong"], by="time", prune=False)
    assert len(result.impacts) > 100
    shown = repr(result)  # not every impact with the edge numbers of each element closed
    assert "\n" not in shown and len(shown) < 500
    first = result.impacts[0].element
    assert f"{len(result.impacts):,} elements" in shown and f"{first.kind} {first.id}" in shown
    assert len(repr(result.impacts[0])) < 400


def test_two_worker_cluster_equals_serial(network):
    ports = _seaports(network, ("SG", "MY", "VN", "TH"))
    serial = criticality(network, "Chongqing", ports, by="time")
    origins = ["Chongqing", "Shanghai", "Qinzhou"]
    with Dask(workers=2) as run:
        assert run.workers == 2
        spread = criticality(network, "Chongqing", ports, by="time", run=run)
        rows = matrix(network, origins, ports[:40], by="cost", run=run)
    assert spread.impacts == serial.impacts
    assert spread.baseline == serial.baseline
    assert rows == routing.matrix(network, origins, ports[:40], by="cost")


def test_nothing_imports_dask_without_workers(tmp_path):
    code = (
        "import sys\n"
        "from corridor.cli import main\n"
        "code = main(['criticality', 'Chongqing', '--to', 'Singapore', '--format', 'json', '-q'])\n"
        "code |= main(['matrix', 'Chongqing', '--to', 'Singapore', '--by', 'generalized', '-q'])\n"
        "assert code == 0, code\n"
        "loaded = sorted(m for m in sys.modules if m.split('.')[0] in ('dask', 'distributed'))\n"
        "assert not loaded, loaded\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
