"""Building the graph and caching it on disk, keyed by the data it was built from."""

from __future__ import annotations

import os

import pytest

from corridor.errors import DataError
from corridor.graph import Arrive, Depart, Destination, Origin, check_graph
from corridor.network import load_network


def test_cache_is_reused_and_rebuilt_when_data_change(tiny, tmp_path, monkeypatch):
    monkeypatch.setenv("CORRIDOR_CACHE", str(tmp_path / "cache"))
    first = load_network(tiny)
    cached = list((tmp_path / "cache").glob("network-*"))
    assert len(cached) == 1
    again = load_network(tiny)
    assert again.fingerprint == first.fingerprint
    assert again is not first  # read back from disk

    places = tiny / "ports" / "places.csv"
    places.write_text(places.read_text().replace("Bravo Port", "Bravo Harbour"))
    os.utime(places, ns=(places.stat().st_atime_ns, places.stat().st_mtime_ns + 10**9))
    changed = load_network(tiny)
    assert changed.fingerprint != first.fingerprint
    assert changed.places["CNBBB"].name == "Bravo Harbour"
    assert len(list((tmp_path / "cache").glob("network-*"))) == 1  # the stale one is replaced


def test_a_corrupt_cache_is_rebuilt(tiny, tmp_path, monkeypatch):
    monkeypatch.setenv("CORRIDOR_CACHE", str(tmp_path / "cache"))
    load_network(tiny)
    (cached,) = (tmp_path / "cache").glob("network-*")
    cached.write_bytes(b"not a network")
    assert load_network(tiny).places["CNAAA"].name == "Alpha Port"


def test_an_unwritable_cache_directory_does_not_stop_routing(tiny, tmp_path, monkeypatch):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    monkeypatch.setenv("CORRIDOR_CACHE", str(blocker / "cache"))
    assert load_network(tiny).routable("CNAAA")


def test_graph_structure(tiny):
    net = load_network(tiny)
    graph = net.graph
    # A route starts at a place's origin and boards a mode; each mode has arrival and departure nodes.
    assert graph.has_edge(Origin("CNAAA"), Depart("CNAAA", "rail"))
    assert graph.has_edge(Arrive("CNAAA", "rail"), Depart("CNAAA", "sea"))
    assert graph.has_edge(Arrive("CNAAA", "rail"), Destination("CNAAA"))
    # No edge boards a mode and leaves it again at the same place; nothing enters an origin.
    assert not graph.has_edge(Depart("CNAAA", "rail"), Depart("CNAAA", "sea"))
    assert not any(graph.in_degree(n) for n in graph if isinstance(n, Origin))
    assert not any(graph.out_degree(n) for n in graph if isinstance(n, Destination))
    lanes = [d for _, _, d in graph.edges(data=True) if d["role"] == "lane"]
    assert lanes and all(d["mode"] == "sea" for d in lanes)
    # Planned places stay in the dataset but out of the graph.
    assert "CNPPP" in net.places and not net.routable("CNPPP")


def test_the_bundled_graph_keeps_its_contract(network):
    assert check_graph(network.core) == []


def test_every_edge_carries_the_four_metrics(network):
    for _, _, data in network.graph.edges(data=True):
        for metric in ("distance_km", "time_h", "cost_usd", "co2_kg"):
            assert data[metric] >= 0


def test_a_parameters_override_changes_the_metrics(tiny, tmp_path):
    override = tmp_path / "params.csv"
    override.write_text("name,scope,value,source\ncost_usd_per_teu_km,rail,1.0,estimate: test\n")
    base = load_network(tiny)
    costly = load_network(tiny, params=override)
    rail = Depart("CNAAA", "rail"), Arrive("CNBBB", "rail")
    (costly_edge,) = costly.graph[rail[0]][rail[1]].values()
    (base_edge,) = base.graph[rail[0]][rail[1]].values()
    assert costly_edge["cost_usd"] == pytest.approx(400.0)
    assert base_edge["cost_usd"] < 400.0


def test_a_bad_parameters_override_is_refused(tiny, tmp_path):
    override = tmp_path / "params.csv"
    override.write_text("name,scope,value,source\nspeed_kmph,rail,10,estimate\n")
    with pytest.raises(DataError, match="unknown parameter 'speed_kmph'"):
        load_network(tiny, params=override)
    with pytest.raises(DataError, match="does not exist"):
        load_network(tiny, params=tmp_path / "missing.csv")


def test_a_network_read_from_the_cache_pickles_and_routes_the_same(tiny):
    import pickle

    from corridor.routing import find_routes, reach

    load_network(tiny)  # builds the cache
    network = load_network(tiny)  # read from it: places made lazily, sections deferred
    before = find_routes(network, "Alpha", "Bravo Port", alternatives=2)
    copy = pickle.loads(pickle.dumps(network))
    assert find_routes(copy, "Alpha", "Bravo Port", alternatives=2) == before
    assert reach(copy, "Alpha") == reach(network, "Alpha")
    assert dict(copy.places) == dict(network.places) and dict(copy.access) == dict(network.access)
    assert copy.gazetteer.names == network.gazetteer.names
    assert network.graph.number_of_edges() == network.core.n_edges
    again = pickle.loads(pickle.dumps(network))
    assert "graph" not in again.__dict__  # what is made on first use is made again, not carried
    assert again.graph.number_of_edges() == network.core.n_edges


@pytest.mark.parametrize(
    ("keywords", "parameter"),
    [({"data": 5}, "data"), ({"data": b"data"}, "data"), ({"params": 1.5}, "params"), ({"cache": "no"}, "cache")],
)
def test_load_network_refuses_a_path_or_switch_of_the_wrong_type(keywords, parameter):
    from corridor.errors import UsageError

    with pytest.raises(UsageError) as info:
        load_network(**keywords)
    assert info.value.parameter == parameter and str(info.value).startswith(parameter)
