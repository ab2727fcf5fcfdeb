"""The bundled ILSTC network behaves like the corridor's published services."""

from __future__ import annotations

import pytest

from corridor.routing import find_routes, reach, signature

BEIBU_GULF = {"CNQZH", "CNBIH", "CNFAN"}
PEARL_RIVER = {"CNYTN", "CNSHK", "CNNSA", "HKHKG"}
DAY = 24.0


def non_transfer(route):
    return [leg for leg in route.legs if leg.mode != "transfer"]


def test_fastest_to_singapore_is_rail_to_a_south_china_gateway_then_sea(network):
    fastest = find_routes(network, "Chongqing", "Singapore", by="time")[0]
    first, second = non_transfer(fastest)
    assert (first.mode, second.mode) == ("rail", "sea")
    assert first.to_id in BEIBU_GULF | PEARL_RIVER
    assert second.to_id == "SGSIN"
    # Published: 8-10 days rail-sea (S9, S133), Singapore's customs included.
    assert 7 * DAY < fastest.time_h < 12 * DAY
    # The Beibu Gulf way: the daily liner of six days (S9) after two days by rail.
    beibu = find_routes(network, "Chongqing", "Singapore", by="time", via=["Qinzhou"])[0]
    assert 7 * DAY < beibu.time_h < 14 * DAY


def test_the_all_water_yangtze_route_to_singapore_is_far_slower(network):
    fastest = find_routes(network, "Chongqing", "Singapore", by="time")[0]
    water = find_routes(network, "Chongqing", "Singapore", by="time", modes=["river", "sea"])[0]
    assert [leg.mode for leg in non_transfer(water)] == ["river", "sea"]
    assert water.time_h > 1.5 * fastest.time_h


def test_hong_kong_fastest_is_days_by_rail_and_barge_or_lorry(network):
    # Published: rail to Yantian in 2 days, then 6-8 h by barge to Kwai Tsing (S30, S37); a
    # cross-boundary lorry from Yantian is the faster last leg by a few hours, the barge the cheaper.
    fastest = find_routes(network, "Chongqing", "Hong Kong", by="time")[0]
    assert [leg.mode for leg in non_transfer(fastest)] in (["rail", "river"], ["rail", "road"])
    assert non_transfer(fastest)[0].to_id == "CNYTN"
    assert fastest.destination == "HKHKG"
    assert 2 * DAY < fastest.time_h < 7 * DAY
    by_rail_and_barge = find_routes(network, "Chongqing", "Hong Kong", by="cost", modes=["rail", "river"])[0]
    assert [leg.mode for leg in non_transfer(by_rail_and_barge)] == ["rail", "river"]
    assert by_rail_and_barge.cost_usd <= fastest.cost_usd


@pytest.mark.parametrize(("destination", "arrival"), [("Hanoi", "VNYEV"), ("Vientiane", "LATHG")])
def test_hanoi_and_vientiane_take_days_by_rail(network, destination, arrival):
    route = find_routes(network, "Chongqing", destination, by="time", modes=["rail"])[0]
    assert set(route.modes) == {"rail"}
    assert route.destination == arrival
    # Published: 4-5 days (Guoyuan-Hanoi train; Chongqing-Vientiane via the China-Laos Railway).
    assert 3 * DAY < route.time_h < 7 * DAY


def corridor(route):
    return [(leg.mode, leg.to_id) for leg in non_transfer(route)]


def test_umm_qasr_has_rail_sea_and_river_sea(network):
    routes = find_routes(network, "Chongqing", "Umm Qasr", by="cost", alternatives=4)
    assert len({signature(network, r) for r in routes}) == len(routes)
    first_modes = [non_transfer(r)[0].mode for r in routes]
    assert "rail" in first_modes and "river" in first_modes
    river_sea = routes[first_modes.index("river")]
    rail_sea = routes[first_modes.index("rail")]
    # The Yangtze is cheaper per km but much slower, and passes the Three Gorges locks.
    assert river_sea.time_h > rail_sea.time_h + 5 * DAY
    assert "cn-three-gorges" in non_transfer(river_sea)[0].via
    assert 15 * DAY < rail_sea.time_h < 45 * DAY


def test_basrah_is_reachable(network):
    route = find_routes(network, "Chongqing", "Basrah", by="cost")[0]
    assert route.destination == "IQBSR"
    assert "IQBSR" in {r.place_id for r in reach(network, "Chongqing")}


def test_avoiding_the_three_gorges_moves_river_freight_off_the_yangtze(network):
    water = find_routes(network, "Chongqing", "Shanghai", by="cost", modes=["river"])[0]
    assert "cn-three-gorges" in water.legs[0].via
    route = find_routes(network, "Chongqing", "Shanghai", by="cost", avoid=["three-gorges"])[0]
    assert all("cn-three-gorges" not in leg.via for leg in route.legs)


def test_urumqi_is_a_place_on_the_xinjiang_lines_at_their_published_lengths(network):
    # Lanzhou-Urumqi 1,904 km (S189), Urumqi-Alashankou 460 km (S192), Urumqi-Horgos 668 km
    # (S193): the China-Europe and Central Asia trains pass through it, and it is an origin.
    assert network.resolve("Urumqi").place_ids == ("cn-urumqi",)
    to_almaty = find_routes(network, "Urumqi", "Almaty", by="time")[0]
    assert next(leg.to_id for leg in to_almaty.legs if leg.mode == "rail") == "CNHRS"
    assert to_almaty.legs[0].distance_km == pytest.approx(668)
    to_duisburg = find_routes(network, "Chongqing", "Duisburg", by="time")[0]
    assert "cn-urumqi" in to_duisburg.legs[0].via and "CNLAZ" in to_duisburg.legs[0].via
