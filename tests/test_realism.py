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
    # A lorry all the way (by Guiyang, Nanning and Shenzhen, at the lorry speed of S56) is about as fast.
    fastest = find_routes(network, "Chongqing", "Hong Kong", by="time", modes=["rail", "river", "road"])[0]
    assert fastest.destination == "HKHKG"
    assert 2 * DAY < fastest.time_h < 4 * DAY
    by_train = find_routes(network, "Chongqing", "Hong Kong", by="time", modes=["rail", "river"])[0]
    assert [leg.mode for leg in non_transfer(by_train)] == ["rail", "river"]
    assert non_transfer(by_train)[0].to_id == "CNYTN"
    assert 2 * DAY < by_train.time_h < 7 * DAY
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


def test_an_alternative_never_comes_back_through_a_city_it_has_left(network):
    # An alternative that trucks out of Chongqing to Kunming and takes a train back through
    # Chongqing to Europe is the best route with a detour, not another corridor.
    for destination in ("Rotterdam", "Los Angeles", "Hong Kong"):
        for route in find_routes(network, "Chongqing", destination, by="time", alternatives=2):
            areas = []
            for leg in route.legs:
                for pid in (leg.from_id, *leg.via, leg.to_id):
                    area = network.places[pid].area or pid
                    if not areas or areas[-1] != area:
                        areas.append(area)
            assert len(areas) == len(set(areas)), (destination, areas)


def test_lorries_to_guangxi_take_the_road_by_guiyang(network):
    # The expressway south from Chongqing runs by Zunyi and Guiyang to Nanning (about 1,000 km
    # by road for 790 km in a straight line), not round by Kunming (1,700 km).
    route = find_routes(network, "Chongqing", "Nanning", by="time", modes=["road"])[0]
    assert "CNKNM" not in {pid for leg in route.legs for pid in (leg.from_id, *leg.via, leg.to_id)}
    assert route.distance_km < 1_200


def test_a_china_europe_train_reaches_gdansk_without_sailing_back(network):
    # DCT Gdansk's train runs on from Malaszewicze in one or two days (S324); the way to Gdansk
    # is not by rail to Hamburg and a sailing back east across the Baltic.
    route = find_routes(network, "Chongqing", "Gdansk", by="time")[0]
    assert [leg.mode for leg in non_transfer(route)] == ["rail", "rail"] or set(route.modes) == {"rail"}
    assert non_transfer(route)[-1].from_id == "PLMAA"


def test_a_feeder_port_is_not_served_across_an_ocean_and_back(network):
    # Papeete lies 6,600 km from Los Angeles; a feeder only from its single nearest container port
    # (Sydney) made the voyage 18,400 km, out across the Pacific and back.
    from corridor.geo import haversine_km

    la, papeete = network.places["USLAX"], network.places["PFPPT"]
    route = find_routes(network, "USLAX", "PFPPT", by="distance")[0]
    assert route.distance_km < 1.5 * haversine_km(la.lon, la.lat, papeete.lon, papeete.lat)


@pytest.mark.parametrize(("start", "end"), [("BRPNG", "AOLAD"), ("ARBUE", "CLSAI"), ("NZAKL", "SGSIN")])
def test_a_feeder_ship_does_not_cross_an_ocean_when_a_relay_is_close_at_hand(network, start, end):
    # Paranagua has Santos a few hundred km away: a feeder of 6,649 km from there to Luanda, or
    # from Buenos Aires round Cape Horn past San Antonio to Callao, is no service a carrier runs.
    for by in ("cost", "time"):
        route = find_routes(network, start, end, by=by)[0]
        feeders = [leg for leg in route.legs if leg.service == "feeder"]
        assert all(leg.distance_km < 5_000 for leg in feeders), route
