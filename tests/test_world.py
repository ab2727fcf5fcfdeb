"""World scale: every seaport routable, honest access to the lanes, reach, Iraq, passages."""

from __future__ import annotations

import math

import pytest

from corridor.errors import NoRouteError
from corridor.network import load_network
from corridor.routing import find_routes, matrix, reach
from corridor.sealanes import PORT_LAND_TOLERANCE_KM, LandMask


def test_reach_from_chongqing_covers_the_corridor_claim(network):
    reached = reach(network, "Chongqing", by="cost")
    seaports = [r for r in reached if network.places[r.place_id].kind == "seaport"]
    assert len(seaports) >= 555
    assert len({network.places[r.place_id].country for r in seaports}) >= 127
    costs = [r.cost_usd for r in reached]
    assert costs == sorted(costs)
    assert all(network.places[r.place_id].kind != "lock" for r in reached)


def test_world_ports_are_merged_without_duplicating_curated_ones(network):
    places = network.places
    assert sum(1 for p in places.values() if p.origin == "wpi") > 3000
    # One place per UN/LOCODE: WPI's Shanghai (CNSGH) and Qinzhou are the curated places.
    assert "CNSGH" not in places and places["CNQZH"].origin == "curated"
    curated_codes = {a.upper() for p in places.values() if p.origin == "curated" for a in (p.id, *p.aliases)}
    assert not [p.id for p in places.values() if p.origin == "wpi" and p.id.upper() in curated_codes]


def test_no_access_edge_crosses_land(network):
    # Every port's way onto the lanes: the access edges of mainline ports, and the start and end
    # of every feeder of the others.
    land = LandMask(network.root)
    checked = 0
    for access in network.access.values():
        place = network.places[access.place_id]
        for node, _ in access.nodes:
            lane = network.lane_coords[node]
            assert not land.crosses((place.lon, place.lat), lane, skip_start_km=PORT_LAND_TOLERANCE_KM), place.id
            checked += 1
    assert checked > 2000


def test_inland_places_have_no_sea_access(network):
    for pid in ("CNCQI", "CNCHQ", "CNKNM", "LATHG", "MMMDL"):
        assert "sea" not in network.places[pid].modes
        assert pid not in network.access


def test_ports_that_cannot_join_the_lanes_are_named_with_a_reason(network):
    unjoined = [a for a in network.access.values() if not a.nodes]
    assert unjoined
    reported = "\n".join(network.warnings + network.problems)
    for access in unjoined:
        assert access.problem
        assert f"({access.place_id})" in reported
        # A world port is sea-only: without access it is not in the graph at all.
        if network.places[access.place_id].modes == ("sea",):
            assert not network.routable(access.place_id)
    # Every curated seaport joins.
    assert not network.problems


def test_a_seaport_in_the_middle_of_a_continent_is_not_snapped(tiny, tmp_path):
    from .conftest import make_dataset, place

    places = [
        place("CNAAA", "Alpha Port", 0.5, 0.0, ["sea"]),
        place("CNINL", "Inland Sea Port", 2.0, 1.5, ["sea"]),  # 165 km inland
    ]
    lanes = [([[0.5, -0.1], [3.5, -0.1]], {})]
    land = [[[0.0, 0.0], [4.0, 0.0], [4.0, 2.0], [0.0, 2.0], [0.0, 0.0]]]
    net = load_network(make_dataset(tmp_path / "d", places=places, lanes=lanes, land=land))
    assert not net.routable("CNINL")
    assert any("CNINL" in p and "no sea lane within" in p for p in net.problems)


def test_basrah_by_river_sea_up_the_shatt_al_arab_and_by_land(network):
    sea = find_routes(network, "Shanghai", "Basrah", by="distance", modes=["sea"])[0]
    assert sea.destination == "IQBSR"
    last = [leg for leg in sea.legs if leg.mode == "sea"][-1]
    assert "shatt-al-arab" in last.passages and last.service == "feeder"
    land = find_routes(network, "Umm Qasr", "Basrah", modes=["road"])[0]
    assert land.modes == ("road",) and land.distance_km < 100


def test_khor_al_zubair_by_sea_and_by_land(network):
    sea = find_routes(network, "Jebel Ali", "Khor al-Zubair", by="distance", modes=["sea"])[0]
    assert sea.destination == "IQKAZ"
    land = find_routes(network, "Basrah", "Khor al-Zubair", modes=["road"])[0]
    assert land.modes == ("road",)


@pytest.mark.parametrize("destination", ["Umm Qasr", "Basrah", "Khor al-Zubair"])
def test_avoiding_hormuz_blocks_iraq_and_says_so(network, destination):
    with pytest.raises(NoRouteError, match="--avoid hormuz"):
        find_routes(network, "Chongqing", destination, avoid=["hormuz"])


def test_avoiding_malacca_reroutes_through_sunda_at_a_cost(network):
    direct = find_routes(network, "Chongqing", "Umm Qasr", by="time")[0]
    around = find_routes(network, "Chongqing", "Umm Qasr", by="time", avoid=["malacca"])[0]
    passages = {p for leg in around.legs for p in leg.passages}
    assert "malacca" not in passages and "sunda" in passages
    assert "malacca" in {p for leg in direct.legs for p in leg.passages}
    assert around.distance_km > direct.distance_km + 500
    assert around.time_h > direct.time_h


def test_the_arctic_stays_closed_unless_allowed(network):
    around_africa = find_routes(network, "Singapore", "Rotterdam", by="distance", modes=["sea"], avoid=["suez"])[0]
    assert "cape-of-good-hope" in around_africa.legs[0].passages
    arctic = find_routes(
        network, "Singapore", "Rotterdam", by="distance", modes=["sea"], avoid=["suez"], allow=["northwest-passage"]
    )[0]
    assert "northwest-passage" in arctic.legs[0].passages


def test_matrix_agrees_with_single_routes(network):
    ports = ["Singapore", "Umm Qasr", "Hong Kong"]
    rows = matrix(network, ["Chongqing", "Qinzhou"], ports, by="time")
    assert len(rows) == 2 and all(len(row) == 3 for row in rows)
    for i, origin in enumerate(["Chongqing", "Qinzhou"]):
        for j, port in enumerate(ports):
            route = find_routes(network, origin, port, by="time")[0]
            assert math.isclose(rows[i][j].time_h, route.time_h, rel_tol=1e-9)
            assert math.isclose(rows[i][j].cost_usd, route.cost_usd, rel_tol=1e-9)
