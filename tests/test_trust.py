"""The answers that were wrong in kind: each case, on the bundled data, against the published figure."""

from __future__ import annotations

import itertools
import json

import pytest

from corridor.errors import NoRouteError
from corridor.graph import ROLE_CODE, Role
from corridor.io import place_figures
from corridor.provenance import customs_not_charged, leg_sources
from corridor.routing import find_routes, matrix, reach

DAY = 24.0


def places_on(route):
    return {p for leg in route.legs for p in (leg.from_id, leg.to_id, *leg.via)}


def _clearance_rows():
    import csv

    from corridor.datasets import bundled_data_dir

    return list(csv.DictReader((bundled_data_dir() / "clearance.csv").open(encoding="utf-8")))


def _china_clearance(direction):
    """China's clearance figures as the build charges them: the first Chinese row of a direction
    in clearance.csv (a country figure, held at every Chinese gateway)."""
    return next(
        r
        for r in sorted(_clearance_rows(), key=lambda r: r["place_id"])
        if r["place_id"][:2] == "CN" and r["direction"] == direction
    )


def test_kunming_to_hanoi_goes_by_hekou_not_chongqing(network):
    # Published: about 700-800 km via Hekou / Lao Cai (S162); once 2,560 km through Chongqing.
    for modes in (None, ["rail"], ["road"]):
        route = find_routes(network, "Kunming", "Hanoi", modes=modes)[0]
        assert route.distance_km < 1000
        assert "CNHKM" in places_on(route)
        assert not {"CNCQI", "CNCHQ"} & places_on(route)


def test_kunming_to_qinzhou_by_time_goes_by_nanning(network):
    route = find_routes(network, "Kunming", "Qinzhou", by="time")[0]
    assert route.distance_km < 1200
    assert "CNNIN" in places_on(route)


def test_kunming_to_hong_kong_does_not_detour_through_chongqing(network):
    route = find_routes(network, "Kunming", "Hong Kong", by="distance")[0]
    assert not {"CNCQI", "CNCHQ"} & places_on(route)
    assert route.distance_km < 2400


def test_kunming_to_hong_kong_by_time_goes_by_lorry_through_guangxi(network):
    # The fastest way from Yunnan to the Pearl River Delta is the expressway by Nanning, not a
    # lorry north to Chongqing and the train back south (2,730 km, 4.7 days, before it existed).
    route = find_routes(network, "Kunming", "Hong Kong", by="time")[0]
    assert not {"CNCQI", "CNCHQ"} & places_on(route)
    assert route.distance_km < 2000
    assert route.time_h < 3.5 * DAY


def test_chengdu_to_hong_kong_takes_the_chengdu_shenzhen_train(network):
    # Published: Chengdu to Yantian in 2 days and to Kwai Tsing in 3, by the train of May 2025
    # (S40); before it was in the data the fastest way went round by Chongqing in 4.0 days.
    route = find_routes(network, "Chengdu", "Hong Kong", by="time")[0]
    assert not {"CNCQI", "CNCHQ"} & places_on(route)
    assert "CNYTN" in places_on(route)
    assert 2.5 * DAY < route.time_h < 4 * DAY


def test_hanoi_to_shenzhen_by_road_is_the_published_length(network):
    # Published: a 1,300 km road route links Hanoi and Shenzhen (S290, 2012); expressways opened
    # since may have shortened it, so the band is 15% either side.
    route = find_routes(network, "Hanoi", "Yantian", by="distance", modes=["road"])[0]
    assert "CNYYG" in places_on(route)
    assert 1300 * 0.85 < route.distance_km < 1300 * 1.15


def test_chongqing_to_europe_has_the_china_europe_train(network):
    # Published: Chongqing-Duisburg about 11,000 km in 10-16 days by train (S118, S119).
    train = find_routes(network, "Chongqing", "Duisburg", by="time", modes=["rail"])[0]
    assert set(train.modes) == {"rail"}
    assert 10_000 < train.distance_km < 12_500
    assert 10 * DAY < train.time_h < 20 * DAY
    by_water = find_routes(network, "Chongqing", "Rotterdam", by="time", modes=["river", "sea"])[0]
    assert by_water.time_h > 30 * DAY > train.time_h
    # The fastest way to Rotterdam is that train and the Rhine-Ruhr shuttle to the port (Rotterdam
    # ECT-Duisburg in just under 8 h, S195), not a feeder ship onward from Hamburg.
    fastest = find_routes(network, "Chongqing", "Rotterdam", by="time")[0]
    assert set(fastest.modes) == {"rail"} and "DEDUI" in places_on(fastest)
    assert fastest.time_h - train.time_h < DAY


def test_feeder_ports_change_ship_at_a_hub(network):
    # Basrah (Maqal) is a shallow river port: no mainline ship calls, cargo changes ship on the way.
    basrah = find_routes(network, "Chongqing", "Basrah")[0]
    assert any(leg.activity == "transshipment" for leg in basrah.legs) or "IQUQR" in places_on(basrah)
    assert not any(leg.service == "mainline" and leg.to_id == "IQBSR" for leg in basrah.legs)
    # Jakarta by rail-sea: a feeder and a transshipment, about 20 days published; no free direct sailing.
    jakarta = find_routes(network, "Chongqing", "Jakarta", by="time", modes=["rail", "sea"])[0]
    assert any(leg.activity == "transshipment" for leg in jakarta.legs)
    assert jakarta.time_h > 11 * DAY


@pytest.mark.parametrize(
    ("origin", "destination", "services"),
    [
        ("Shekou", "Manila", ("pil-scp",)),  # PIL's weekly South China-Philippines loop (S308)
        ("Shanghai", "Jakarta", ("ki8", "kci")),  # two weekly Korea-China-Indonesia loops (S311, S312)
        ("Nansha", "Ho Chi Minh City", ("wanhai-ci7",)),  # Wan Hai's CI7 (S310)
        ("Shanghai", "Ho Chi Minh City", ("sjj-sinotrans-sitc-hcm",)),  # SJJ, Sinotrans and SITC (S317)
    ],
)
def test_regional_loops_sail_direct_to_the_ports_they_call(network, origin, destination, services):
    # Intra-Asia loops call at ports the mainline passes by: cargo stays on board, with no change of
    # ship at Kaohsiung, Singapore or Cai Mep (as before these services were in the data).
    route = find_routes(network, origin, destination, by="time", modes=["sea"])[0]
    (sea,) = [leg for leg in route.legs if leg.mode == "sea"]
    assert not any(leg.activity == "transshipment" for leg in route.legs), route.summary()
    assert sea.links[0].startswith(tuple(f"service-{s}-" for s in services)), sea.links


def test_a_loop_sails_one_way_round_and_a_line_out_and_back(network):
    # PIL's SCP is a loop, Xiamen-Nansha-Shekou-Manila-Cebu-Xiamen (S308): from Manila back to
    # Shekou the ship calls at Cebu, Xiamen and Nansha first, not straight back the way it came.
    links = network.sea_links
    out, back = links["service-pil-scp-CNSHK-PHMNL"], links["service-pil-scp-PHMNL-CNSHK"]
    assert out.one_way and back.one_way
    legs = ["PHMNL", "PHCEB", "CNXMG", "CNNSA", "CNSHK"]
    around = sum(links[f"service-pil-scp-{a}-{b}"].distance_km for a, b in itertools.pairwise(legs))
    assert back.distance_km == pytest.approx(around) and back.distance_km > 2 * out.distance_km
    # Taicang-Haiphong-Ho Chi Minh City (S175) is a line: sailed out and back, so both ways.
    assert not links["service-taicang-vietnam-CNTAC-VNCLI"].one_way


@pytest.mark.parametrize("destination", ["Rotterdam", "Los Angeles", "Umm Qasr"])
def test_taicang_has_no_deep_sea_sailings(network, destination):
    for route in find_routes(network, "Chongqing", destination, by="cost", alternatives=3):
        for leg in route.legs:
            if leg.from_id == "CNTAC" and leg.mode == "sea":
                assert leg.service == "feeder" and leg.to_id in ("CNSHA", "CNNBG"), route.summary()


def test_transpacific_time_is_sailing_plus_calls(network):
    # Published: Shenzhen-Los Angeles 15-20 days port to port (S142); once 23.8 days.
    route = find_routes(network, "Yantian", "Los Angeles", by="time", modes=["sea"])[0]
    sailing = sum(leg.time_h for leg in route.legs if leg.activity != "import clearance")
    assert 15 * DAY <= sailing <= 20 * DAY


def test_no_truck_crawls_past_a_border(network):
    # Border time is a crossing of its own; no road or rail link is slower than its mode allows.
    for link in network.links.values():
        if link.mode in ("road", "rail") and link.time_h and link.distance_km:
            assert link.distance_km / link.time_h >= 10, link.id
    route = find_routes(network, "Kunming", "Vientiane", by="time", modes=["road"])[0]
    assert any(leg.activity.startswith("border crossing") for leg in route.legs)


def test_breaks_of_gauge_are_charged(network):
    haiphong = find_routes(network, "Chongqing", "Haiphong", modes=["rail"])[0]
    assert any("gauge" in leg.activity for leg in haiphong.legs)
    bangkok = find_routes(network, "Chongqing", "Bangkok", modes=["rail"])[0]
    crossings = [leg for leg in bangkok.legs if leg.mode == "transfer"]
    assert any("gauge" in leg.activity for leg in crossings)
    assert sum(1 for leg in bangkok.legs if leg.mode == "rail") >= 3


def test_cargo_ending_at_a_gauge_break_pays_no_crossing(network):
    # Kunming-Vientiane: the 26 h express; the break of gauge at Thanaleng is for cargo going on.
    route = find_routes(network, "Kunming", "Vientiane", by="time", modes=["rail"])[0]
    assert not any("gauge" in leg.activity for leg in route.legs)
    assert route.time_h < 40


def test_waits_follow_the_service_boarded(network):
    # Published: Chongqing to Hong Kong in 3 days on the scheduled train and barge (S39).
    route = find_routes(network, "Chongqing", "Hong Kong", by="time", modes=["rail", "river"])[0]
    assert 2.5 * DAY <= route.time_h <= 4 * DAY
    # Hanoi by rail: 4-5 days published (S13).
    hanoi = find_routes(network, "Chongqing", "Hanoi", by="time", modes=["rail"])[0]
    assert 3 * DAY <= hanoi.time_h <= 5.5 * DAY


def test_a_more_frequent_link_lowers_the_wait(tiny, tmp_path):
    from corridor.network import load_network

    links = tiny / "links" / "links.csv"
    base = load_network(tiny)
    slow = find_routes(base, "Alpha", "Bravo Port", by="time", modes=["rail"])[0]
    text = links.read_text()
    header, *lines = text.splitlines()
    columns = header.split(",")
    rows = [dict(zip(columns, line.split(","), strict=False)) for line in lines]
    for row in rows:
        if row["id"] == "rail-a-b":
            row["frequency_per_week"], row["frequency_source"] = "70", "estimate: test"
    links.write_text("\n".join([header] + [",".join(row.get(c, "") or "" for c in columns) for row in rows]) + "\n")
    fast = find_routes(load_network(tiny), "Alpha", "Bravo Port", by="time", modes=["rail"])[0]
    assert fast.time_h < slow.time_h


def test_a_mainline_voyage_waits_for_a_ship_that_calls_at_both_ends(network, run):
    # Umm Qasr sees about two mainline sailings a week (the MSC Falcon weekly, S57), Shanghai
    # several a day: a voyage between them waits for one of Umm Qasr's, half its headway, not
    # for Shanghai's next departure anywhere. Once, it waited 3 hours.
    params = network.parameters
    umm_qasr, shanghai = network.places["IQUQR"], network.places["CNSHA"]
    rare, busy = params.sea_departures_wait_h(umm_qasr), params.sea_departures_wait_h(shanghai)
    assert rare == pytest.approx(42.0) and busy < rare
    route = find_routes(network, "CNSHA", "IQUQR", by="time", modes=["sea"])[0]
    core = network.core
    waited = sum(core.weights["time_h"][e] for e in route.edges if core.role[e] == ROLE_CODE[Role.BOARD])
    assert network.arrival_wait(route.edges) == ("IQUQR", pytest.approx(rare - busy))
    assert waited + network.arrival_waits["IQUQR"] == pytest.approx(rare)
    # Going the other way the ship is as rare: the boarding at Umm Qasr waits for it.
    back = find_routes(network, "IQUQR", "CNSHA", by="time", modes=["sea"])[0]
    assert network.arrival_wait(back.edges) is None
    # The table says so on the sea leg, the JSON gives the hours and the leg cites the figure.
    text = " ".join(run("route", "Shanghai", "Umm Qasr", "--modes", "sea", "--by", "time").out.split())
    assert "waits 1.6 d more for a ship that calls at Umm Qasr (2 sailings a week)" in text
    legs = json.loads(run("route", "CNSHA", "IQUQR", "--modes", "sea", "--by", "time", "--format", "json").out)["legs"]
    (sea,) = [leg for leg in legs if leg["mode"] == "sea"]
    assert sea["arrival_wait_h"] == pytest.approx(rare - busy, abs=0.1)
    assert any("MSC Falcon" in cited or "S57" in cited for cited in sea["sources"]["time_h"])
    shown = " ".join(run("ports", "show", "IQUQR").out.split())
    assert f"a voyage here from a busier port waits {rare - busy:.1f} h more on arriving" in shown


def test_mainline_arrival_waits_are_the_excess_over_the_busiest_ports():
    from corridor.network import mainline_arrival_waits

    assert mainline_arrival_waits({"hub": 3.0, "port": 42.0, "outpost": 84.0, "hub2": 3.0}) == {
        "port": 39.0,
        "outpost": 81.0,
    }
    assert mainline_arrival_waits({}) == {}


def test_short_sea_costs_like_the_spot_market(network):
    # SCFI Shanghai-Southeast Asia: USD 143-531 per TEU over 2023 (S67, S139, S140).
    route = find_routes(network, "Shanghai", "Singapore", by="cost", modes=["sea"])[0]
    freight = sum(leg.cost_usd for leg in route.legs if leg.activity != "import clearance")
    assert 114 <= freight <= 637


def test_sea_co2_is_the_trade_lane_figure(network):
    # GLEC trade lanes: 80-90 g CO2e per TEU-km well-to-wake (S105, S106); feeders emit more per km.
    route = find_routes(network, "Shanghai", "Rotterdam", by="time", modes=["sea"])[0]
    mainline = [leg for leg in route.legs if leg.service == "mainline"]
    grams = sum(leg.co2_kg for leg in mainline) * 1000 / sum(leg.distance_km for leg in mainline)
    assert 80 <= grams <= 90
    assert network.parameters.value("co2_g_per_tkm", "feeder") > network.parameters.value("co2_g_per_tkm", "sea")


def test_ro_ro_ships_emit_as_ro_ro_ships_not_as_feeders(network, run):
    # DEFRA: a ro-ro ferry 51.4 g CO2 per tonne-km, a short-sea container ship 29.7, a deep-sea
    # one 15.4 (S100). The two ro-ro services were charged the feeder factor.
    params = network.parameters
    roro = params.value("vessel_co2_g_per_tkm", "roro")
    assert roro > params.value("co2_g_per_tkm", "feeder") > params.value("co2_g_per_tkm", "sea")
    assert roro / params.value("co2_g_per_tkm", "sea") == pytest.approx(51.4 / 15.4, rel=0.01)
    core = network.core
    ro_ro = [e for e in range(len(core.link)) if core.link[e] >= 0 and "roro" in core.link_ids[core.link[e]]]
    assert len(ro_ro) == 4  # the two ro-ro services, each way
    for e in ro_ro:
        km = core.weights["distance_km"][e]
        assert core.weights["co2_kg"][e] == pytest.approx(km * params.payload_t_per_teu * roro / 1000)
    # What a leg on it cites for its CO2 is that row, and a mainline sailing still the sea's.
    assert params.co2_factor("feeder", "roro")[1] == ("vessel_co2_g_per_tkm", "roro")
    assert params.co2_factor("feeder", "feeder")[1] == ("co2_g_per_tkm", "feeder")
    # The cheapest way from Jebel Ali to Umm Qasr is DP World's ro-ro (S50), said as such.
    data = run("route", "Jebel Ali", "Umm Qasr", "--by", "cost", "--format", "json").json()
    (sailing,) = [leg for leg in data["legs"] if leg["mode"] == "sea"]
    assert sailing["service"] == "ro-ro"
    assert any(s.startswith("vessel_co2_g_per_tkm roro") for s in sailing["sources"]["co2_kg"])
    assert "sea (ro-ro)" in run("route", "Jebel Ali", "Umm Qasr", "--by", "cost").out


def test_a_voyage_does_not_call_at_a_port_on_the_way_to_cut_its_harbour(network):
    # Port Said's and Balboa's access paths cross their harbours a fraction of a kilometre
    # shorter than the lanes: the cheapest, shortest and lowest-CO2 voyages through Suez and
    # Panama called there, a day's call for $0.02, and were a day slower than the fastest.
    for start, end in (("Qinzhou", "Rotterdam"), ("Shanghai", "New York")):
        routes = {by: find_routes(network, start, end, by=by, modes=["sea"])[0] for by in ("distance", "cost", "time")}
        for by, route in routes.items():
            assert not {"EGPSD", "PABLB"} & places_on(route), (start, end, by)
        assert routes["cost"].time_h == pytest.approx(routes["time"].time_h, abs=1.0), (start, end)
    # A voyage told to go by Port Said calls there, and pays the call.
    direct = find_routes(network, "Qinzhou", "Rotterdam", by="cost", modes=["sea"])[0]
    calling = find_routes(network, "Qinzhou", "Rotterdam", by="cost", modes=["sea"], via=["Port Said"])[0]
    assert "EGPSD" in places_on(calling) and calling.time_h > direct.time_h + 12


def test_avoiding_a_place_avoids_the_services_that_run_through_it(network):
    # The Chongqing-Ningbo river-sea ships pass the Three Gorges locks, the Guoyuan-Hanoi train
    # Nanning and Pingxiang, and COSCO's YCX loop calls at Singapore on its way to Chittagong:
    # --avoid once left all three in the answer.
    legs = find_routes(network, "Chongqing", "Shanghai", avoid=["three-gorges"])[0].legs
    assert all(leg.mode != "river" for leg in legs), [leg.links for leg in legs]
    with pytest.raises(NoRouteError, match="--avoid Pingxiang"):
        find_routes(network, "Chongqing", "Hanoi", modes=["rail"], avoid=["Pingxiang", "Hekou"])
    route = find_routes(network, "Qinzhou", "Chittagong", avoid=["Singapore"])[0]
    assert all("SGSIN" not in network.link(lid).passes for leg in route.legs for lid in leg.links)
    assert "SGSIN" not in places_on(route)
    # The data says what each runs through (links.csv's passes; a service's calls on the way).
    assert {"CNNIN", "CNPIN"} <= set(network.link("rail-guoyuan-hanoi").passes)
    assert "cn-three-gorges" in network.link("river-guoyuan-ningbo").passes


def test_no_alternative_lands_its_cargo_between_two_sailings(network):
    # Qinzhou to Jebel Ali offered "sea into Bangkok, lorry to Laem Chabang, sea out" and "sea
    # east to Hong Kong, barge to Yantian, sea west" as other ways.
    routes = find_routes(network, "Qinzhou", "Jebel Ali", alternatives=3)
    assert len(routes) >= 2
    for route in routes[1:]:
        at_sea = [leg.mode == "sea" for leg in route.legs if leg.mode != "transfer"]
        first, last = at_sea.index(True), len(at_sea) - 1 - at_sea[::-1].index(True)
        assert all(at_sea[first : last + 1]), route.modes


def test_a_domestic_shipment_does_not_leave_its_country_on_the_way(network, run):
    # Chongqing to Huangpu (Guangzhou) went by lorry into Hong Kong and a feeder back up the
    # Pearl River, charged China's export clearance but never the re-import.
    route = find_routes(network, "Chongqing", "CNHUA", by="time")[0]
    assert {network.places[p].country for p in places_on(route)} == {"CN"}
    assert route.network.customs_charged(route.edges) == []
    assert reach_time(network, "Chongqing", "CNHUA") == pytest.approx(route.time_h)
    # A sailing may change ship at a foreign hub, standing for the domestic feeder the data
    # lacks: Jakarta to Belawan by Singapore or Port Klang, no customs charged.
    relayed = find_routes(network, "Jakarta", "IDBLW", by="time")[0]
    assert {network.places[p].country for p in places_on(relayed)} - {"ID"}
    assert relayed.network.customs_charged(relayed.edges) == []
    assert reach_time(network, "Jakarta", "IDBLW") == pytest.approx(relayed.time_h)
    assert run("route", "Jakarta", "IDBLW", "--by", "time").code == 0


def reach_time(network, origin, place_id):
    return next(r.time_h for r in reach(network, origin, by="time") if r.place_id == place_id)


def test_hanoi_to_vientiane_goes_by_route_8_not_through_china(network):
    # Once the only road from Hanoi to Laos ran by Hekou and Kunming: 1,745 km through China and
    # out again. The Cau Treo-Nam Phao road (Route 8) is about 800 km.
    route = find_routes(network, "Hanoi", "Vientiane", by="time")[0]
    assert "CN" not in {network.places[p].country for p in places_on(route)}
    assert route.distance_km < 900 and "vn-cautreo" in places_on(route)


def test_cargo_that_stays_in_the_eu_clears_no_customs(network, run):
    # The EU's 27 members are one customs territory (S326): Rotterdam to Hamburg by sea was
    # charged Germany's import clearance, 1.5 days and $200.
    assert network.country_of(["NLRTM", "DEHAM", "PLGDN"]) == "EU"
    for start, end in (("Rotterdam", "Hamburg"), ("Gdansk", "Hamburg")):
        route = find_routes(network, start, end, by="time")[0]
        assert route.network.customs_charged(route.edges) == [], (start, end)
        assert not [leg for leg in route.legs if leg.activity == "import clearance"], (start, end)
        assert reach_time(network, start, "DEHAM") == pytest.approx(route.time_h)
    assert "import clearance" not in run("route", "Rotterdam", "Hamburg", "--modes", "sea").out
    # Cargo from outside still clears on arrival.
    shanghai = find_routes(network, "Shanghai", "Hamburg", modes=["sea"])[0]
    assert [leg.activity for leg in shanghai.legs if leg.activity == "import clearance"] == ["import clearance"]


def _priced_abroad(network, route):
    """The route's edges priced as if its cargo cleared customs at every seaport it boards or
    leaves a ship at: each edge's weights on the network, none on the destination's domestic one."""
    core = network.core
    return {m: sum(core.weights[m][e] for e in route.edges) for m in ("time_h", "cost_usd")}


@pytest.mark.parametrize(
    ("origin", "destination", "entered", "port"),
    [
        # The train to Europe clears into the EU at Malaszewicze (Poland); Rotterdam to Antwerp
        # by sea is then a voyage inside one customs territory (S326).
        ("Chongqing", "Antwerp", "EU", "BEANR"),
        # By road into China at Youyiguan, then a coastal sailing from Yantian to Shanghai: no
        # export from China, no import into it (S326's rule holds for any one territory).
        ("Hanoi", "Shanghai", "CN", "CNSHA"),
    ],
)
def test_cargo_cleared_in_by_land_sails_on_inside_the_territory_without_customs(
    network, run, origin, destination, entered, port
):
    route = find_routes(network, origin, destination, by="time")[0]
    assert route.destination == port
    assert network.territory(network.places[port].country) == entered
    # It crosses the land border, clearing its import there, then sails inside the territory.
    cleared = [c for leg in route.legs for c in route.found_on(leg).customs_charged(leg.edges)]
    imports = [c for c in cleared if c.direction == "import"]
    assert len(imports) == 1 and imports[0].at_crossing  # once, at the land border
    assert network.territory(imports[0].country(network.places)) == entered
    sailed = [leg for leg in route.legs if leg.mode == "sea"]
    assert sailed and all(leg.cleared for leg in sailed)
    assert all(network.territory(network.places[leg.to_id].country) == entered for leg in sailed)
    assert not [leg for leg in route.legs if leg.activity == "import clearance"]
    assert all(route.found_on(leg).customs_charged(leg.edges) == [] for leg in route.legs if leg.cleared)
    # The same edges with customs at both seaports cost exactly the territory's clearance more.
    abroad = _priced_abroad(network, route)
    home, after = network.domestic(entered).core, [e for leg in route.legs if leg.cleared for e in leg.edges]
    waived = {m: sum(network.core.weights[m][e] - home.weights[m][e] for e in after) for m in abroad}
    assert waived["time_h"] > 12 and waived["cost_usd"] > 100
    assert route.time_h == pytest.approx(abroad["time_h"] - waived["time_h"])
    assert route.cost_usd == pytest.approx(abroad["cost_usd"] - waived["cost_usd"])
    # The text and the JSON say so.
    text = run("route", origin, destination, "--by", "time").out
    assert "customs territory: none at either end" in text
    data = json.loads(run("route", origin, destination, "--by", "time", "--format", "json").out)
    legs = [leg for leg in data["legs"] if leg["mode"] == "sea"]
    assert legs and all(leg["cleared_before"] and leg["customs"] == [] for leg in legs)
    assert data["totals"]["time_h"] == pytest.approx(sum(leg["time_h"] for leg in data["legs"]), abs=0.2)


def test_an_unpickled_cleared_route_says_the_same_on_the_network_given(network):
    # A pickled route carries no network: its cleared legs take their figures from the domestic
    # network of the one given, as the route found on it did.
    import pickle

    from corridor.io import route_dict, route_text

    route = find_routes(network, "Hanoi", "Shanghai", by="time")[0]
    assert any(leg.cleared for leg in route.legs)
    again = pickle.loads(pickle.dumps(route))
    assert again.network is None
    assert route_dict(network, again) == route_dict(network, route)
    assert route_text(network, again, title="", width=200) == route_text(network, route, title="", width=200)


def test_every_search_reaches_cleared_cargo_as_route_does(network):
    from corridor import distributed, objectives
    from corridor.criticality import criticality

    prices = objectives.Prices.from_parameters(network.parameters)
    pairs = [("Chongqing", "Antwerp"), ("Hanoi", "Shanghai")]
    for by in ("time", "cost"):
        for origin, destination in pairs:
            route = find_routes(network, origin, destination, by=by)[0]
            reached = {r.place_id: r for r in reach(network, origin, by=by)}[route.destination]
            cell = matrix(network, [origin], [destination], by=by)[0][0]
            spread = distributed.matrix(network, [origin], [destination], by=by)[0][0]
            base = criticality(network, origin, [destination], by=by).baseline[0]
            for found in (reached, cell, spread):
                assert found.place_id == route.destination
                for metric in ("distance_km", "time_h", "cost_usd", "co2_kg"):
                    assert getattr(found, metric) == pytest.approx(getattr(route, metric)), (origin, by, metric)
            assert base == pytest.approx(getattr(route, "time_h" if by == "time" else "cost_usd"))
    # The generalised cost too: its route, its reach and its matrix agree.
    for origin, destination in pairs:
        best = objectives.find_routes(network, origin, destination, prices=prices)[0]
        reached = {r.place_id: r for r in objectives.reach(network, origin, prices=prices)}[best.destination]
        cell = distributed.matrix(network, [origin], [destination], by="generalized", prices=prices)[0][0]
        for found in (reached, cell):
            assert found.time_h == pytest.approx(best.time_h) and found.cost_usd == pytest.approx(best.cost_usd)


def test_the_trade_offs_carry_cleared_cargo_on_as_route_does(network):
    from corridor.pareto import pareto

    fastest = find_routes(network, "Hanoi", "Shanghai", by="time")[0]
    front = pareto(network, "Hanoi", "Shanghai")
    same = [r for r in front.routes if r.time_h == pytest.approx(fastest.time_h)]
    assert same and same[0].cost_usd == pytest.approx(fastest.cost_usd)
    assert [leg.cleared for leg in same[0].legs] == [leg.cleared for leg in fastest.legs]
    # No route of the front lands cargo cleared into China and charges China's customs again.
    for route in front.routes:
        charged = [c for leg in route.legs for c in route.found_on(leg).customs_charged(leg.edges)]
        imports = [c for c in charged if c.direction == "import" and c.country(network.places) == "CN"]
        assert len(imports) == 1, route.summary()


def test_cleared_cargo_never_leaves_a_ship_abroad_to_come_back_uncleared(network):
    # After clearing into the EU, a route may sail only to the territory's own ports: landing in
    # Britain and sailing back would owe the EU's import again.
    for destination in ("Antwerp", "Hamburg", "Gdansk", "Le Havre", "Genoa"):
        route = find_routes(network, "Chongqing", destination, by="time")[0]
        territory = network.territory(network.places[route.destination].country)
        for leg in route.legs:
            if leg.cleared:
                assert network.territory(network.places[leg.to_id].country) == territory, (destination, leg)


def test_import_clearance_is_charged_at_umm_qasr(network):
    route = find_routes(network, "Chongqing", "Umm Qasr")[0]
    cleared = [leg for leg in route.legs if leg.activity == "import clearance"]
    assert cleared and cleared[0].time_h > 24


# World Bank Doing Business 2019, time to import, border compliance (S167: the world's 50
# slowest importers), and cost (S292: the 52 dearest), as the ranking prints them.
PUBLISHED_IMPORTS = {"KE": (194.00, 832.50), "TZ": (402.00, 1350.00), "PH": (120.00, 689.50), "ZA": (87.00, 676.00)}


@pytest.mark.parametrize(("destination", "country"), [("Mombasa", "KE"), ("Lamu", "KE"), ("Dar es Salaam", "TZ"),
                                                      ("Manila", "PH"), ("Durban", "ZA")])  # fmt: skip
def test_imports_are_cleared_at_the_published_country_figures(network, destination, country):
    """A country's row holds at each of its seaports (Lamu as Mombasa), at the published figures."""
    route = find_routes(network, "Chongqing", destination)[0]
    (cleared,) = [leg for leg in route.legs if leg.activity == "import clearance"]
    hours, usd = PUBLISHED_IMPORTS[country]
    assert network.places[cleared.from_id].country == country
    assert (cleared.time_h, cleared.cost_usd) == (int(hours + 0.5), int(usd + 0.5))
    assert not customs_not_charged(network, route)


# Customs' own release-time surveys: Japan 59.5 h from a ship's arrival to the import permit
# (Ministry of Finance, March 2015, S300); Korea 1.4 days from port entry to leaving the bonded
# warehouse (March 2021, S301); Brazil 9.7 days from arrival to release by sea (Receita Federal,
# 2019 data, S302); Rotterdam: most containers within 36 hours (S303); Hamburg: one to two days
# before its 2017 backlog (S304); Los Angeles: 18-24 hours from entry to release (S306); Australia:
# sea cargo released on average 2.5 hours before the ship arrived (2013 time release study, S315),
# so none after it. None publishes a cost: an estimate stands in.
PUBLISHED_RELEASE_HOURS = {"JP": 59.5, "KR": 1.4 * 24, "BR": 9.7 * 24, "NL": 36, "DE": 1.5 * 24, "US": 21, "AU": 0}


RELEASE_STUDY_PORTS = [("Tokyo", "JP"), ("Kobe", "JP"), ("Busan", "KR"), ("Incheon", "KR"), ("Santos", "BR"),
                       ("Rio de Janeiro", "BR"), ("Rotterdam", "NL"), ("Hamburg", "DE"),
                       ("Bremerhaven", "DE"), ("Los Angeles", "US"), ("Savannah", "US"), ("Melbourne", "AU"),
                       ("AUSYD", "AU"), ("Brisbane", "AU")]  # fmt: skip


@pytest.mark.parametrize(("destination", "country"), RELEASE_STUDY_PORTS)
def test_imports_clear_in_the_release_times_customs_publish(network, destination, country):
    route = find_routes(network, "Chongqing", destination)[0]
    (cleared,) = [leg for leg in route.legs if leg.activity == "import clearance"]
    assert network.places[cleared.from_id].country == country
    assert cleared.time_h == int(PUBLISHED_RELEASE_HOURS[country] + 0.5)
    row = network.clearance_of(network.places[cleared.from_id], "import")
    (csv_row,) = [r for r in _clearance_rows() if (r["place_id"], r["direction"]) == (row.place_id, "import")]
    assert csv_row["h_source"].startswith(("S300", "S301", "S302", "S303", "S304", "S306", "S315"))
    assert csv_row["usd_source"].startswith("estimate")
    assert not customs_not_charged(network, route)


def test_china_clears_imports_at_its_national_time_and_qinzhou_in_its_fast_lane(network):
    """China's customs publish the country's overall import clearance time, 32.02 h in 2022
    (S305): a Chinese port without a row of its own charges it, whichever row sorts first;
    Qinzhou keeps its own six hours (S88), a row that holds for that port alone (`scope`)."""
    for origin, port in (("Busan", "Tianjin"), ("Singapore", "Qinzhou")):
        route = find_routes(network, origin, port, modes=["sea"])[0]
        (cleared,) = [leg for leg in route.legs if leg.activity == "import clearance"]
        expected = 32.02 if port == "Tianjin" else 6
        assert cleared.time_h == int(expected + 0.5), port
    qinzhou = network.operations.clearance[("CNQZH", "import")]
    assert qinzhou.scope == "port" and "S88" in qinzhou.source
    # `ports show` says which figure holds where.
    shown = {f.key: f.text for f in place_figures(network, network.places["CNQZH"])}
    assert "this port's own; China's other seaports charge the country figure" in shown["import clearance"]
    shown = {f.key: f.text for f in place_figures(network, network.places["CNTXG"])}
    assert "the figures of CNSHA, for every seaport of China" in shown["import clearance"]


def test_every_doing_business_row_quotes_the_figure_it_holds(network):
    """A clearance row citing the World Bank's rankings holds the figure its source text quotes."""
    import csv
    import re

    with (network.root / "clearance.csv").open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    checked = 0
    for row in rows:
        for column, unit, pattern in (("h", "h", r"([\d,.]+) h$"), ("usd", "usd", r"USD ([\d,.]+)")):
            source = row[f"{column}_source"]
            if source.startswith(("S167", "S168", "S169", "S292")) and (found := re.search(pattern, source)):
                quoted = float(found.group(1).replace(",", ""))
                assert float(row[column]) == int(quoted + 0.5), (row["place_id"], row["direction"], unit, source)
                checked += 1
    assert checked >= 60


def test_a_transfer_charges_handling_once_where_the_clearance_holds_it(network):
    """The World Bank's border compliance holds the port's own handling: the transfer to a ship at
    Shanghai charges the larger of its handling and China's export clearance, not both. Qinzhou's
    import row (a customs time and a documents fee) holds none: the transfer there charges both."""
    value = network.parameters.value
    route = find_routes(network, "Chongqing", "Umm Qasr")[0]
    (shanghai,) = [leg for leg in route.legs if leg.activity == "transfer" and leg.from_id == "CNSHA"]
    export = network.clearance_of(network.places["CNSHA"], "export")
    handling = network.parameters.handling(network.places["CNSHA"])
    assert export.includes_handling and export.usd > handling.cost_usd
    assert shanghai.cost_usd == pytest.approx(value("cost_usd_per_leg", "sea") + export.usd)
    back = find_routes(network, "Singapore", "Chongqing", modes=["sea", "rail"])[0]
    (qinzhou,) = [leg for leg in back.legs if leg.activity == "transfer" and leg.from_id == "CNQZH"]
    imported = network.operations.clearance[("CNQZH", "import")]
    assert not imported.includes_handling
    assert qinzhou.cost_usd == pytest.approx(value("cost_usd_per_leg", "rail") + handling.cost_usd + imported.usd)


def test_every_figure_of_a_route_has_a_source(network, run):
    result = run("route", "Chongqing", "Umm Qasr", "--format", "json")
    data = json.loads(result.out)
    assert "time_p90_h" in data["totals"] and data["totals"]["time_p90_h"] >= data["totals"]["time_h"]
    for leg in data["legs"]:
        for metric in ("distance_km", "time_h", "cost_usd", "co2_kg"):
            if leg[metric]:
                assert leg["sources"].get(metric), (leg["from"], leg["to"], metric)


def test_served_reach_is_the_corridor_services_only(network):
    physical = {r.place_id for r in reach(network, "Chongqing")}
    served = {r.place_id for r in reach(network, "Chongqing", served=True)}
    assert served < physical
    assert "SGSIN" in served  # the daily Beibu Gulf-Singapore liner
    assert len(served) < len(physical) / 10
    # The operational mainline service of sea/services.csv counts: MSC Falcon calls at Abu
    # Dhabi and Doha, which nothing else in the table serves (S57). Ports no listed service calls
    # at are not reached by the lanes.
    assert {"AEAUH", "QADOH", "IQUQR"} <= served
    falcon = network.operations.mainline_service_ports()
    assert "AEAUH" in falcon and "USLAX" not in falcon and "USLAX" not in served
    # Jebel Ali was reached only on the monthly Beibu Gulf ro-ro, with two weeks of waiting.
    jebel_ali = next(r for r in reach(network, "Chongqing", by="time", served=True) if r.place_id == "AEJEA")
    assert jebel_ali.time_h < 25 * 24


def test_served_reach_by_generalized_cost_keeps_to_the_services(network, run):
    # `reach --served --by generalized` once reached every port a ship could (3,751 places).
    served = {r.place_id for r in reach(network, "Chongqing", served=True)}
    data = run("reach", "Chongqing", "--served", "--by", "generalized", "--format", "json").json()
    assert {row["id"] for row in data} == served


def test_alternatives_differ_in_gateway_region(network):
    # Barge to Taicang, to Shanghai or to Ningbo, then the same sailing: one corridor, offered once.
    routes = find_routes(network, "Chongqing", "Umm Qasr", by="cost", alternatives=3)
    yangtze_estuary = {"CNTAC", "CNSHA", "CNNBG"}
    estuary = [r.modes for r in routes if set(r.transfer_places) & yangtze_estuary]
    assert len(estuary) == len(set(estuary))


def test_cargo_that_stays_in_one_country_clears_no_customs(network, run):
    # Customs clear goods that cross a border. Chongqing to Dalian by rail to a Chinese port and a
    # coastal sailing stays in China; Chongqing to Busan through the same gateway is an export.
    rows = _clearance_rows()
    export = _china_clearance("export")
    home = find_routes(network, "Chongqing", "Dalian", by="time")[0]
    abroad = find_routes(network, "Chongqing", "Busan", by="time")[0]
    assert not [leg for leg in home.legs if leg.activity == "import clearance"]
    gate_home = next(leg for leg in home.legs if leg.activity == "transfer")
    gate_abroad = next(leg for leg in abroad.legs if leg.activity == "transfer")
    assert gate_home.from_id == gate_abroad.from_id
    assert network.places[gate_home.from_id].country == "CN"
    # China's export figures hold the port's handling (includes_handling): the gateway abroad
    # charges the larger of the two, at home the handling alone.
    assert export["includes_handling"] == "yes"
    handling = network.parameters.handling(network.places[gate_home.from_id])
    larger_usd, larger_h = max(float(export["usd"]), handling.cost_usd), max(float(export["h"]), handling.time_h)
    assert gate_abroad.cost_usd - gate_home.cost_usd == pytest.approx(larger_usd - handling.cost_usd)
    assert gate_abroad.time_h - gate_home.time_h == pytest.approx(larger_h - handling.time_h)
    # Umm Qasr's import clearance stays; a domestic route cites no clearance source.
    assert [leg for leg in find_routes(network, "Chongqing", "Umm Qasr")[0].legs if leg.activity == "import clearance"]

    # A route cites the clearance row it is charged (China's export row, for Busan) and,
    # staying in China, none.
    def cited(destination):
        data = json.loads(run("route", "Chongqing", destination, "--by", "time", "--format", "json").out)
        return " | ".join(s for leg in data["legs"] for sources in leg["sources"].values() for s in sources)

    assert export["usd_source"] in cited("Busan")
    home_cited = cited("Dalian")
    assert not [r["place_id"] for r in rows if r["place_id"][:2] == "CN" and r["usd_source"] in home_cited]


def test_reach_and_matrix_charge_a_domestic_shipment_as_route_does(network):
    from corridor.routing import matrix

    for by in ("time", "cost"):
        reached = {r.place_id: r for r in reach(network, "Chongqing", by=by)}
        grid = matrix(network, ["Chongqing"], ["Dalian", "Busan", "Umm Qasr"], by=by)
        for column, destination in enumerate(("Dalian", "Busan", "Umm Qasr")):
            route = find_routes(network, "Chongqing", destination, by=by)[0]
            cell = grid[0][column]
            assert cell is not None and cell.place_id == route.destination
            for metric in ("time_h", "cost_usd"):
                expected = getattr(route, metric)
                assert getattr(cell, metric) == pytest.approx(expected), (destination, by, metric)
                assert getattr(reached[route.destination], metric) == pytest.approx(expected), (destination, by, metric)


def test_a_generalized_cost_route_charges_a_domestic_shipment_as_route_does(network):
    from corridor.objectives import Prices
    from corridor.objectives import find_routes as generalized_routes

    prices = Prices.from_parameters(network.parameters)
    by_time = find_routes(network, "Chongqing", "Dalian", by="time")[0]
    best = generalized_routes(network, "Chongqing", "Dalian", prices=prices)[0]
    assert not [leg for leg in best.legs if leg.activity == "import clearance"]
    assert (
        prices.of(best.cost_usd, best.time_h, best.co2_kg)
        <= prices.of(by_time.cost_usd, by_time.time_h, by_time.co2_kg) + 1e-6
    )
    gates = {leg.from_id: leg for leg in best.legs if leg.activity == "transfer"}
    for leg in by_time.legs:
        if leg.activity == "transfer" and leg.from_id in gates:
            assert gates[leg.from_id].cost_usd == pytest.approx(leg.cost_usd)


def test_every_search_charges_a_domestic_shipment_as_route_does(network):
    from corridor import distributed, objectives, routing
    from corridor.criticality import criticality

    origins, ends = ["Chongqing", "Qinzhou"], ["Dalian", "Busan", "Umm Qasr"]
    assert distributed.matrix(network, origins, ends, by="time") == routing.matrix(network, origins, ends, by="time")
    by_time = find_routes(network, "Chongqing", "Dalian", by="time")[0]
    assert criticality(network, "Chongqing", ["Dalian"], by="time").baseline[0] == pytest.approx(by_time.time_h)
    prices = objectives.Prices.from_parameters(network.parameters)
    best = objectives.find_routes(network, "Chongqing", "Dalian", prices=prices)[0]
    reached = {r.place_id: r for r in objectives.reach(network, "Chongqing", prices=prices)}
    assert reached[best.destination].cost_usd == pytest.approx(best.cost_usd)
    assert reached[best.destination].time_h == pytest.approx(best.time_h)


@pytest.mark.parametrize("destination", ["Duisburg", "Hamburg", "Almaty", "Hanoi", "Bangkok", "Yangon", "Port Klang"])
def test_a_route_that_crosses_a_border_leaves_it_on_the_other_side(network, destination):
    # Duisburg once came by sea to Hamburg, then by rail east to the Belarus border at
    # Malaszewicze (a break of gauge, 2.6 days) and back west: 2,380 km for a 365 km trip.
    for by in ("cost", "time", "distance", "co2"):
        route = find_routes(network, "Chongqing", destination, by=by)[0]
        moves = [leg for leg in route.legs if leg.distance_km > 0]
        for leg in route.legs:
            if "border crossing" not in leg.activity:
                continue
            before = next(m for m in reversed(moves) if m.to_id == leg.from_id)
            after = next(m for m in moves if m.from_id == leg.from_id)
            sides = {network.places[before.from_id].country, network.places[after.to_id].country}
            assert len(sides) == 2, (destination, by, before.from_id, leg.from_id, after.to_id)


def test_a_scenario_delays_a_domestic_shipment_too(network):
    # The domestic network of a scenario's network is made from the scenario's weights, not the
    # base network's (a copy keeps none of the original's domestic networks).
    from corridor.scenarios import apply_scenario, parse_scenario

    home_before = network.domestic("CN")
    text = 'name = "x"\ntitle = "t"\n[[delay]]\nplaces = ["Dalian"]\nhours = 48\nsource = "estimate"\n'
    delayed = apply_scenario(network, parse_scenario(text, path="x.toml")).network
    assert "_domestic" not in delayed.__dict__
    before = find_routes(network, "Chongqing", "Dalian", by="time")[0]
    after = find_routes(delayed, "Chongqing", "Dalian", by="time")[0]
    assert not [leg for leg in after.legs if leg.activity == "import clearance"]
    assert after.time_h == pytest.approx(before.time_h + 48)
    assert network.domestic("CN") is home_before


def test_cargo_barged_to_hong_kong_clears_chinese_export_on_the_barge(network, run):
    # The Yantian-Kwai Tsing barge crosses the customs border between the mainland and Hong Kong
    # by itself: cargo on it leaves China, as it does on a sailing straight from Yantian.
    import csv

    from corridor.datasets import bundled_data_dir

    links = {r["id"]: r for r in csv.DictReader((bundled_data_dir() / "links" / "links.csv").open(encoding="utf-8"))}
    barge = links["barge-yantian-hongkong"]
    export, imported = _china_clearance("export"), _china_clearance("import")
    out = find_routes(network, "Chongqing", "Hong Kong", by="time", modes=["rail", "river"])[0]
    leg = next(leg for leg in out.legs if leg.links == ("barge-yantian-hongkong",))
    bare = network.parameters.link(
        network.links["barge-yantian-hongkong"], network.places["CNYTN"], network.places["HKHKG"], forward=True,
        waited_h=network.waits.get(("CNYTN", "river"), 0.0),
    )  # fmt: skip
    assert bare.time_h >= float(barge["time_h"])  # the published 6-8 h, and no customs
    assert leg.time_h == pytest.approx(bare.time_h + float(export["h"]))
    assert leg.cost_usd == pytest.approx(bare.cost_usd + float(export["usd"]))
    # Back from Hong Kong, the barge clears China's import.
    back = find_routes(network, "Hong Kong", "Chongqing", by="time", modes=["rail", "river"])[0]
    leg_back = next(leg for leg in back.legs if leg.links == ("barge-yantian-hongkong",))
    assert leg_back.time_h >= float(imported["h"]) + float(barge["time_back_h"])

    # The route says so, and cites the clearance row.
    text = run("route", "Chongqing", "Hong Kong", "--by", "time", "--modes", "rail,river")
    assert "with customs on the way: China export clearance" in text.out
    assert "(barge-yantian-hongkong; clears customs on the way)" in run("ports", "show", "CNYTN").out
    data = json.loads(
        run("route", "Chongqing", "Hong Kong", "--by", "time", "--modes", "rail,river", "--format", "json").out
    )
    river = next(leg for leg in data["legs"] if leg["mode"] == "river")
    assert river["customs"] == [
        {"country": "CN", "direction": "export", "time_h": float(export["h"]), "cost_usd": float(export["usd"]),
         "at_crossing": False}
    ]  # fmt: skip
    assert all(leg["customs"] == [] for leg in data["legs"] if leg is not river)
    assert any(export["h_source"] in cited for cited in river["sources"]["time_h"])
    assert any(export["usd_source"] in cited for cited in river["sources"]["cost_usd"])


def test_customs_cleared_at_a_transfer_is_named_under_it(run):
    """Iraq's import clearance at Umm Qasr, on the way to Basrah by lorry, lies inside the
    sea-to-road transfer: the text names it under that row and the JSON lists it in the leg's
    customs, with the figures of clearance.csv; so is China's export where the cargo boards."""
    iraq = next(r for r in _clearance_rows() if r["place_id"] == "IQUQR" and r["direction"] == "import")
    data = run("route", "Chongqing", "Basrah", "--format", "json").json()
    transfers = [leg for leg in data["legs"] if leg["activity"] == "transfer"]
    landing = next(leg for leg in transfers if leg["from"] == "IQUQR")
    assert landing["customs"] == [
        {"country": "IQ", "direction": "import", "time_h": float(iraq["h"]), "cost_usd": float(iraq["usd"]),
         "at_crossing": False}
    ]  # fmt: skip
    assert landing["time_h"] >= float(iraq["h"]) and landing["cost_usd"] >= float(iraq["usd"])
    boarding = transfers[0]
    assert [(c["country"], c["direction"]) for c in boarding["customs"]] == [("CN", "export")]
    text = run("route", "Chongqing", "Basrah").out
    assert f"with customs: Iraq import clearance {float(iraq['h']) / 24:.1f} d, ${float(iraq['usd']):,.0f}" in text
    # The destination's own import clearance leg lists it too; a domestic route clears none.
    umm_qasr = run("route", "Chongqing", "Umm Qasr", "--format", "json").json()
    cleared = [leg["customs"] for leg in umm_qasr["legs"] if leg["activity"] == "import clearance"]
    assert [[c["country"] for c in customs] for customs in cleared] == [["IQ"]]
    dalian = run("route", "Chongqing", "Dalian", "--by", "time", "--format", "json").json()
    assert all(leg["customs"] == [] for leg in dalian["legs"])
    assert "with customs" not in run("route", "Chongqing", "Dalian", "--by", "time").out


def test_rail_cargo_into_uzbekistan_clears_its_import_on_the_way_in(network, run):
    # clearance.csv: Tashkent's import row, "rail cargo clears at destination" (Doing Business);
    # borders.csv: the Saryagash-Keles crossing holds only transit formalities for cargo entering
    # Uzbekistan (entry_clearance UZ), so the link that enters charges the row in full.
    row = next(r for r in _clearance_rows() if r["place_id"] == "UZTAS" and r["direction"] == "import")
    route = find_routes(network, "Chongqing", "Tashkent", modes=["rail"])[0]
    full = [c for c in network.customs_charged(route.edges) if not c.at_crossing]
    assert [(c.place_id, c.direction, c.h, c.usd) for c in full] == [
        ("UZTAS", "import", float(row["h"]), pytest.approx(float(row["usd"])))
    ]
    assert not [leg for leg in route.legs if leg.activity == "import clearance"]
    data = json.loads(run("route", "Chongqing", "Tashkent", "--modes", "rail", "--format", "json").out)
    leg = next(leg for leg in data["legs"] if any(c["country"] == "UZ" for c in leg["customs"]))
    assert leg["mode"] == "rail" and any(row["h_source"] in cited for cited in leg["sources"]["time_h"])
    # Cargo crossing at a border place clears there: Hanoi to Nanning by rail ends with no
    # clearance leg, and neither does a rail journey inside China.
    for start, end in (("Hanoi", "Nanning"), ("Chongqing", "Kunming")):
        route = find_routes(network, start, end, modes=["rail"])[0]
        assert not [leg for leg in route.legs if leg.activity == "import clearance"], (start, end)


def test_a_train_into_china_clears_china_import_on_the_way_in_and_only_that_way(network, run):
    # borders.csv: the China-Central Asia crossings hold only transit formalities for cargo
    # entering China (entry_clearance CN); it clears China's import customs inland. Once, a train
    # from Tashkent reached Chongqing 4.7 days sooner than the train the other way, which pays
    # Uzbekistan's import clearance at Tashkent.
    china = next(
        r
        for r in _clearance_rows()
        if r["place_id"][:2] == "CN" and r["direction"] == "import" and r["scope"] == "country"
    )
    inbound = find_routes(network, "Tashkent", "Chongqing", by="time")[0]
    charged = network.customs_charged(inbound.edges)
    assert [(network.places[c.place_id].country, c.direction, c.h, c.usd) for c in charged] == [
        ("CN", "import", float(china["h"]), pytest.approx(float(china["usd"])))
    ]
    assert {"CNHRS", "CNAKL"} & places_on(inbound)
    outbound = find_routes(network, "Chongqing", "Tashkent", by="time")[0]
    in_full = [c for c in network.customs_charged(outbound.edges) if not c.at_crossing]
    assert [(network.places[c.place_id].country, c.direction) for c in in_full] == [("UZ", "import")]
    # Both ways pay one country's import clearance; apart from it, the two trains take the same time.
    uzbekistan = next(r for r in _clearance_rows() if r["place_id"] == "UZTAS" and r["direction"] == "import")
    apart = (inbound.time_h - float(china["h"])) - (outbound.time_h - float(uzbekistan["h"]))
    assert abs(apart) < 6, (inbound.time_h, outbound.time_h)
    # The leg that enters China says so, with the figure's source.
    text = run("route", "Tashkent", "Chongqing", "--by", "time").out
    assert f"with customs on the way: China import clearance {float(china['h']) / 24:.1f} d" in text
    data = run("route", "Tashkent", "Chongqing", "--by", "time", "--format", "json").json()
    (entering,) = [leg for leg in data["legs"] if leg["customs"]]
    assert entering["customs"][0]["country"] == "CN" and entering["mode"] == "rail"
    assert any(china["h_source"][:40] in cited for cited in entering["sources"]["time_h"])
    # The crossing says so where it is shown.
    shown = run("ports", "show", "Horgos", "--format", "json").json()
    (border,) = [f for f in shown["figures"] if f["figure"] == "border (rail)"]
    assert border["entry_clearance"] == "CN" and "cargo entering China here" in border["text"]
    # Trucks over the Vietnamese border, whose crossing's time holds both sides' customs, are
    # charged their cost only, no hours.
    hanoi = find_routes(network, "Hanoi", "Nanning", modes=["road"])[0]
    charged = network.customs_charged(hanoi.edges)
    assert [(c.country(network.places), c.direction) for c in charged] == [("VN", "export"), ("CN", "import")]
    assert all(c.at_crossing and c.h == 0 for c in charged)


def _land_territories(network, route):
    """The customs territories a route's cargo is on land in, in order, each once in a row."""
    seq = [network.territory(network.places[route.origin].country)]
    for leg in route.legs:
        if leg.mode in ("rail", "road", "river"):
            for pid in (leg.from_id, leg.to_id):
                territory = network.territory(network.places[pid].country)
                if territory != seq[-1]:
                    seq.append(territory)
    return seq


def test_cargo_crossing_a_country_in_transit_clears_none_of_its_customs(network, run):
    # Laos's sea freight lands at Thai ports and goes on under bond: at the Lao gate customs check
    # the seal only (S327). Once, a container for Vientiane paid Thailand's import clearance at
    # Laem Chabang (3.2 days), one from Vientiane its export, and a train from Tashkent to Hanoi
    # China's import as it entered China.
    def charged(origin, destination, **options):
        route = find_routes(network, origin, destination, **options)[0]
        return route, [(network.places[c.place_id].country, c.direction) for c in network.customs_charged(route.edges)]

    declared = network.parameters.transit(network.places["THLCH"])
    for origin, destination in (("Rotterdam", "Vientiane"), ("Vientiane", "Rotterdam")):
        route, customs = charged(origin, destination)
        assert ("TH", "transit") in customs, customs
        assert not [c for c in customs if c[0] == "TH" and c[1] != "transit"], customs
        assert "THLCH" in places_on(route) or "THBKK" in places_on(route)
    route, customs = charged("Tashkent", "Hanoi", by="time")
    assert {"CNHRS", "CNAKL"} & places_on(route) and not [c for c in customs if c[0] == "CN"], customs
    # Cargo that ends in the country it enters still clears its import there.
    assert ("TH", "import") in charged("Rotterdam", "Laem Chabang")[1]
    assert ("CN", "import") in charged("Tashkent", "Chongqing", by="time")[1]
    # The route says the declaration, with its figures and source.
    text = run("route", "Rotterdam", "Vientiane").out
    assert f"with customs: Thailand transit clearance {declared.h:g} h, ${declared.usd:,.0f}" in text
    data = run("route", "Rotterdam", "Vientiane", "--format", "json").json()
    (gate,) = [leg for leg in data["legs"] if any(c["direction"] == "transit" for c in leg["customs"])]
    assert gate["customs"][0]["direction"] == "transit" and gate["customs"][0]["country"] == "TH"
    # Vientiane is in Laos, where the cargo ends: Laos's import is charged as it enters.
    assert [(c["country"], c["direction"]) for leg in data["legs"] for c in leg["customs"]] == [
        ("TH", "transit"),
        ("LA", "import"),
    ]
    assert any("S327" in cited for cited in gate["sources"]["time_h"])
    # Matrix and reach charge it as route does.
    route = find_routes(network, "Rotterdam", "Vientiane", by="time")[0]
    (cell,) = matrix(network, ["Rotterdam"], ["Vientiane"], by="time")[0]
    assert cell.time_h == pytest.approx(route.time_h)
    reached = {r.place_id: r for r in reach(network, "Rotterdam", by="time")}
    assert reached[route.destination].time_h == pytest.approx(route.time_h)


@pytest.mark.parametrize(
    ("origin", "destination", "crossed"),
    [
        ("Kunming", "Port Klang", {"LA", "TH"}),
        ("Port Klang", "Kunming", {"TH", "LA"}),
        ("Tashkent", "Hanoi", {"KZ", "CN"}),
    ],
)
def test_cargo_crosses_several_countries_in_a_row_in_transit(network, origin, destination, crossed):
    # A train from Kunming to Port Klang crosses Laos and then Thailand under bond, as the
    # China-Laos-Thailand-Malaysia trains do. Once, cargo could cross only one country in transit:
    # it cleared Laos's import and export on the way ($364), and a train from Tashkent to Hanoi
    # Kazakhstan's export ($470).
    route = find_routes(network, origin, destination, by="cost", modes=["rail", "road"])[0]
    seq = _land_territories(network, route)
    assert crossed <= set(seq[1:-1]) and len(seq) == len(set(seq)), seq
    charged = {(c.country(network.places), c.direction) for c in network.customs_charged(route.edges)}
    ends = {network.places[route.origin].country, network.places[route.destination].country}
    assert not [c for c in charged if c[0] in crossed], charged
    assert {country for country, _ in charged} <= ends, charged


def test_a_transit_does_not_go_back_to_the_country_it_came_from(network):
    # Cargo landed at Laem Chabang in transit and taken to Vientiane cannot come back into
    # Thailand, in transit or to end there, as if cleared: the crossing's 4 hours would stand for
    # Thailand's 76-hour import clearance at the port.
    core = network.core
    for e in range(core.n_edges):
        if core.role[e] != ROLE_CODE[Role.LINK]:
            continue
        tail, head = core.node(core.tail[e]), core.node(core.head[e])
        if tail.layer.startswith("transit:"):
            came_from = tail.layer.split(":", 1)[1]
            entered = network.territory(network.places[head.place].country)
            assert entered != came_from, (tail, head)


def test_cargo_after_a_transit_does_not_come_back_to_skip_customs(network):
    # Cargo in transit crosses a country and ends in the next one: landed at Laem Chabang under
    # bond it cannot cross to Vientiane and come back to Nong Khai as if cleared, which would skip
    # Thailand's import clearance (1.2 days of crossings against 3.2 days), in transit or not,
    # nor cross Laos and China in transit and come back into Laos or Vietnam.
    countries = ("TH", "MY", "LA", "VN", "MM", "KZ", "UZ")
    inland = [
        p.id
        for p in network.places.values()
        if p.operational and p.country in countries and network.core.in_graph(p.id) and "sea" not in p.modes
    ]
    assert {"th-nongkhai", "THPDB", "LATHG"} <= set(inland)
    for origin in ("Singapore", "Rotterdam", "Laem Chabang", "Haiphong", "Port Klang", "Yangon"):
        for destination in inland:
            for by in ("cost", "time"):
                route = find_routes(network, origin, destination, by=by)[0]
                seq = _land_territories(network, route)
                assert len(seq) == len(set(seq)), (origin, destination, by, seq)
    route = find_routes(network, "Singapore", "th-nongkhai")[0]
    customs = [(network.places[c.place_id].country, c.direction) for c in network.customs_charged(route.edges)]
    assert ("TH", "import") in customs and "LATHG" not in places_on(route)


def test_a_land_border_charges_the_customs_cost_a_port_would(network, run):
    # A country's customs cost the same whether its cargo crosses the border by train or lands
    # from a ship (the Doing Business figures are the country's border compliance). Once, a
    # train from Chongqing to Haiphong crossed into Vietnam paying no customs at all, while the
    # same cargo by sea from Qinzhou paid China's export and Vietnam's import clearance.
    def cleared(route):
        return sorted((c.country(network.places), c.direction, c.usd) for c in network.customs_charged(route.edges))

    by_rail = find_routes(network, "Chongqing", "Haiphong", modes=["rail"])[0]
    by_sea = find_routes(network, "Chongqing", "Haiphong", modes=["rail", "sea"], avoid=["Pingxiang", "Hekou"])[0]
    assert {"CNPIN", "CNHKM"} & places_on(by_rail) and not {"CNPIN", "CNHKM"} & places_on(by_sea)
    assert cleared(by_rail) == cleared(by_sea) == [("CN", "export", 256.0), ("VN", "import", 373.0)]
    # The hours are the crossing's own (borders.csv: customs of both countries included), not
    # charged again: the train's clearance carries its cost alone.
    assert all(c.at_crossing and c.h == 0 for c in network.customs_charged(by_rail.edges))
    data = run("route", "Chongqing", "Haiphong", "--modes", "rail", "--format", "json").json()
    charged = [c for leg in data["legs"] for c in leg["customs"]]
    assert [(c["country"], c["direction"], c["time_h"], c["at_crossing"]) for c in charged] == [
        ("CN", "export", 0, True),
        ("VN", "import", 0, True),
    ]
    text = run("route", "Chongqing", "Haiphong", "--modes", "rail").out
    assert "Vietnam import clearance $373 (its time is in the border crossing)" in " ".join(text.split())
    shown = " ".join(run("ports", "show", "Pingxiang").out.split())
    assert "both countries' customs: their cost charged (clearance.csv), their hours in this time" in shown


@pytest.mark.parametrize("origin", ["Singapore", "Rotterdam", "Jebel Ali", "Los Angeles", "Umm Qasr"])
def test_cargo_cleared_into_a_country_does_not_leave_by_land_and_come_back(network, origin):
    # Once, the cheapest route from these ports to Hekou landed at Qinzhou, cleared China's
    # import, took the train over Pingxiang into Vietnam and came back into China at Hekou: two
    # crossings' time, and no customs on either border.
    route = find_routes(network, origin, "Hekou")[0]
    seq = _land_territories(network, route)
    assert len(seq) == len(set(seq)), seq


@pytest.mark.parametrize("by", ["cost", "time", "distance", "co2"])
def test_of_equal_routes_the_one_that_clears_less_wins(network, by):
    # Tashkent to Chongqing crosses Kazakhstan: in transit, or cleared into it and out of it at
    # the crossings (whose time holds the customs, so the two are the same on every metric but
    # cost). Once, the fastest, shortest and lowest-CO2 trains paid Kazakhstan's export (USD 470).
    route = find_routes(network, "Tashkent", "Chongqing", by=by)[0]
    charged = [(c.country(network.places), c.direction) for c in network.customs_charged(route.edges)]
    assert charged == [("CN", "import")], charged


@pytest.mark.parametrize(
    ("origin", "destination"), [("Duisburg", "Tashkent"), ("Hamburg", "Almaty"), ("Tashkent", "Rotterdam")]
)
@pytest.mark.parametrize("by", ["cost", "time", "distance", "co2"])
def test_a_train_between_europe_and_central_asia_does_not_enter_china(network, origin, destination, by):
    # The only 1,520 mm line from Brest towards Kazakhstan ended at the Alashankou border place, on
    # the Chinese side: Duisburg to Tashkent went into China and out again there, with two breaks
    # of gauge and China's import and export clearance (22.5 days, $4,423). Trains between Europe
    # and Almaty leave the line to Dostyk at Aktogay (S330).
    route = find_routes(network, origin, destination, by=by)[0]
    assert not [p for p in places_on(route) if network.places[p].country == "CN"], places_on(route)
    charged = [(c.country(network.places), c.direction) for c in network.customs_charged(route.edges)]
    assert not [c for c in charged if c[0] == "CN"], charged
    gauges = [leg for leg in route.legs if "break of gauge" in leg.activity]
    assert len(gauges) <= 1, [leg.from_id for leg in gauges]


def test_of_routes_the_same_length_the_shortest_is_the_faster(network):
    # Guiyang to Singapore: the weekly liner from Qinzhou and the mainline sailing run the same
    # lanes, 3,450 km. Once, the shortest route took the liner (11.3 days, $1,395, 552 kg) and not
    # the mainline sailing (9.8 days, $1,383, 355 kg) that the fastest route takes.
    # By rail and sea: the fastest of all goes by lorry to Yantian.
    shortest = find_routes(network, "Guiyang", "Singapore", by="distance", modes=["rail", "sea"])[0]
    fastest = find_routes(network, "Guiyang", "Singapore", by="time", modes=["rail", "sea"])[0]
    assert shortest.distance_km == pytest.approx(fastest.distance_km, abs=0.01)
    assert shortest.time_h == pytest.approx(fastest.time_h)


def test_a_wait_cites_the_departures_that_set_it_not_every_service_there(network):
    # The wait for a feeder at Singapore is half the headway of the most frequent one, the daily
    # Beibu Gulf-Singapore liner (S26); each link charges the rest of its own wait. Once, the
    # transfer cited every service leaving Singapore (COSCO's weekly YCX, S28, and MSC's Bengal,
    # S176) and the default feeder frequency as well.
    route = find_routes(network, "Chongqing", "Jakarta", by="co2")[0]
    (change,) = [leg for leg in route.legs if leg.mode == "transfer" and leg.from_id == "SGSIN"]
    cited = " ".join(leg_sources(network, change)["time_h"])
    assert "S26" in cited and "S28" not in cited and "S176" not in cited, cited
    assert "frequency_per_week feeder" not in cited, cited


def test_a_transfer_that_holds_a_border_crossing_says_so(network, run):
    # Chongqing to Bangkok by distance changes from the train to a lorry at Nong Khai, where the
    # road crossing's 4 hours are in the transfer; the train's leg before says Thailand's import
    # hours are "in the border crossing". Once, that leg was labelled a plain transfer.
    route = find_routes(network, "Chongqing", "Bangkok", by="distance")[0]
    (change,) = [leg for leg in route.legs if leg.from_id == "th-nongkhai" and leg.mode == "transfer"]
    crossing = network.operations.crossings[("th-nongkhai", change.to_mode)]
    assert change.activity == "border crossing and transfer" and change.time_h >= crossing.crossing_h
    assert "th-nongkhai" in route.transfer_places
    text = " ".join(run("route", "Chongqing", "Bangkok", "--by", "distance").out.split())
    assert "border crossing and transfer Nong Khai border (th-nongkhai) rail to road" in text
