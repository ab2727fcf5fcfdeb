"""World scale: every seaport routable, honest access to the lanes, reach, Iraq, passages."""

from __future__ import annotations

import itertools
import math

import pytest

from corridor.errors import DataError, NoRouteError, PlaceError
from corridor.geo import path_length_km
from corridor.graph import ROLE_CODE, Role
from corridor.io import place_text, route_dict, route_text
from corridor.network import load_network
from corridor.provenance import leg_sources
from corridor.routing import find_routes, matrix, reach
from corridor.sealanes import PORT_LAND_TOLERANCE_KM, LandMask

from .conftest import load_script


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
    # One place per UN/LOCODE: WPI's Qinzhou is the curated place. WPI's Shanghai, the river port
    # on the Huangpu and the Yangtze (CNSGH), lies 85 km from Yangshan (CNSHA) and is a port of its
    # own, as Klong Toei is beside Lat Krabang; the name "Shanghai" still means Yangshan.
    assert places["CNQZH"].origin == "curated" and "wpi-59970" not in places
    assert places["CNSGH"].origin == "wpi" and places["CNSHA"].origin == "curated"
    assert network.gazetteer.resolve("Shanghai").place_ids == ("CNSHA",)
    assert network.gazetteer.resolve("Waigaoqiao").place_ids == ("CNSGH",)
    curated_codes = {a.upper() for p in places.values() if p.origin == "curated" for a in (p.id, *p.aliases)}
    assert not [p.id for p in places.values() if p.origin == "wpi" and p.id.upper() in curated_codes]


def _disc(lon: float, lat: float, radius_km: float, sides: int = 90):
    """A polygon inside the circle of radius_km around a point, from spherical destinations."""
    import shapely

    lat1, lon1, d = math.radians(lat), math.radians(lon), radius_km / 6371.0088
    ring = []
    for k in range(sides):
        bearing = 2 * math.pi * k / sides
        lat2 = math.asin(math.sin(lat1) * math.cos(d) + math.cos(lat1) * math.sin(d) * math.cos(bearing))
        lon2 = lon1 + math.atan2(
            math.sin(bearing) * math.sin(d) * math.cos(lat1), math.cos(d) - math.sin(lat1) * math.sin(lat2)
        )
        ring.append((math.degrees(lon2), math.degrees(lat2)))
    return shapely.Polygon(ring)


def _inland_waters(network, land):
    """Where the lanes themselves run over a continent or large island of Natural Earth land for
    10 km or more (lakes, rivers, canals the land data does not resolve), widened by 50 km: the
    rule `portaccess` documents."""
    import numpy as np
    import shapely

    xy, core = network.lane_coords, network.core
    lane = ROLE_CODE[Role.LANE]
    ends = [
        (core.node_lane[core.tail[e]], core.node_lane[core.head[e]])
        for e in range(core.n_edges)
        if core.role[e] == lane
    ]
    lines = [shapely.LineString([xy[u], xy[v]]) for u, v in ends if u < v and abs(xy[u][0] - xy[v][0]) < 180]
    lines = [lines[i] for i in land.crossed(np.asarray(lines, dtype=object))]
    pieces = []
    for line in lines:
        for k in land.tree.query(line, predicate="intersects"):
            if land.parts[k].area >= 5.0:  # a continent or one of the largest islands
                pieces += list(shapely.get_parts(line.intersection(land.parts[k])))
    # Lanes split where ports join them: merge the pieces back before measuring them.
    merged = shapely.get_parts(shapely.line_merge(shapely.union_all(pieces)))
    return shapely.union_all(shapely.buffer([p for p in merged if p.length * 110.57 >= 10], 50 / 110.57))


def _drawn(path):
    """An access path as RFC 7946 draws it: split where it crosses the antimeridian (Port
    Beringovsky's joins the lane past 180), not a line round the world."""
    import shapely.geometry

    from corridor.io import line_geometry

    return shapely.geometry.shape(line_geometry(path))


def test_no_access_path_crosses_land_beyond_the_ports_shore_tolerance(network):
    import shapely

    land = LandMask(network.root)
    inland = _inland_waters(network, land)
    shapely.prepare(inland)
    checked = 0
    crossing = []
    for access in network.access.values():
        place = network.places[access.place_id]
        assert len(access.paths) == len(access.nodes)
        disc = _disc(place.lon, place.lat, access.tolerance_km)
        for (node, distance_km), path in zip(access.nodes, access.paths, strict=True):
            assert path[0] == (place.lon, place.lat) and path[-1] == network.lane_coords[node]
            assert math.isclose(distance_km, path_length_km(path), rel_tol=1e-9)
        # A port beside a call on the way also joins past it along the lanes (`access.past`):
        # those paths follow lane segments, not the port's own water.
        for _, _, path in access.own_joints():
            outside = _drawn(path).difference(disc) if len(path) > 1 else shapely.LineString()
            checked += 1
            if outside.is_empty or not len(land.tree.query(outside, predicate="intersects")):
                continue
            if len(land.tree.query(outside.difference(inland), predicate="intersects")):
                crossing.append(access.place_id)
    assert checked > 3000
    assert not crossing, crossing[:20]
    assert all(a.tolerance_km >= PORT_LAND_TOLERANCE_KM for a in network.access.values())


def _barrier_dams():
    """The dams and barrages of tests/data/barrier_dams.csv: {name: (line, whether ships pass)}.
    Natural Earth's land leaves them open water: each is a few hundred metres wide at most."""
    import csv
    from pathlib import Path

    import shapely

    table = Path(__file__).parent / "data" / "barrier_dams.csv"
    with table.open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    return {
        row["name"]: (
            shapely.LineString([tuple(map(float, point.split())) for point in row["line"].split(";")]),
            row["ships_pass"] != "none",
        )
        for row in rows
    }


def test_no_port_joins_the_lanes_across_a_dam_beyond_its_shore_tolerance(network):
    """A dam closes water Natural Earth shows open (Amsterdam once joined the IJsselmeer behind the
    Afsluitdijk). No port's own access path crosses one of the listed dams outside the port's
    shore tolerance, the rule land obeys; Cardiff's World Port Index position, to the nearest
    minute, lies on the Cardiff Bay Barrage itself, so its joins cross it within its tolerance."""
    dams = _barrier_dams()
    crossing, within = [], []
    for access in network.access.values():
        place = network.places[access.place_id]
        disc = _disc(place.lon, place.lat, access.tolerance_km)
        for _, _, path in access.own_joints():
            if len(path) < 2:
                continue
            line = _drawn(path)
            for name, (dam, _) in dams.items():
                if line.intersects(dam):
                    (crossing if line.difference(disc).intersects(dam) else within).append((access.place_id, name))
    assert not crossing, crossing
    assert {pid for pid, _ in within} <= {"GBCDF"}


def test_the_lanes_cross_only_dams_that_ships_pass_by_a_lock(network):
    """Marnet's inland routes cross the Afsluitdijk, the Houtribdijk, the Haringvliet and the
    Oosterschelde, dams that ships pass by locks (its lines are drawn straight across them, the
    Houtribdijk's midway between its locks); no lane, shortcut or correction crosses a dam that
    no ship passes (the Brouwersdam, Saemangeum, the Marina Barrage)."""
    import shapely

    core, lane = network.core, ROLE_CODE[Role.LANE]
    segments = []
    for e in range(core.n_edges):
        if core.role[e] == lane:
            a, b = network.coords(core.tail[e]), network.coords(core.head[e])
            if abs(a[0] - b[0]) < 180:
                segments.append(shapely.LineString([a, b]))
    tree = shapely.STRtree(segments)
    dams = _barrier_dams()
    crossed = {name for name, (dam, _) in dams.items() if len(tree.query(dam, predicate="intersects"))}
    assert crossed, "the lanes' known lock passages are found"
    assert all(dams[name][1] for name in crossed), crossed


@pytest.mark.parametrize(
    ("start", "end"), [("NLVLI", "NLDOR"), ("GBFXT", "NLDOR"), ("NLRTM", "BEANR"), ("DEHAM", "NLAMS")]
)
def test_voyages_round_the_delta_keep_out_of_its_dammed_waters(network, start, end):
    """Dordrecht is reached by the Nieuwe Waterweg, not the Haringvliet's small-craft lock."""
    import shapely

    _, line = network.sea_path(start, end)
    path = shapely.LineString(line)
    assert not [name for name, (dam, _) in _barrier_dams().items() if path.intersects(dam)]


def test_a_river_harbour_on_water_the_land_resolves_leaves_by_it_not_across_its_isthmus(network):
    """The World Port Index files Auckland as a river harbour, whose access paths may cross land
    near the port (water Natural Earth does not resolve). Its Waitemata harbour is resolved and
    opens east to the Hauraki Gulf; the isthmus to the Manukau and the Tasman Sea is land, which
    no ship crosses. Pub. 151 gives Auckland-Wellington as 563 nm round East Cape; across the
    isthmus and down the west coast it would be about 340."""
    from corridor.geo import KM_PER_NM
    from corridor.sealanes import RIVER_LAND_TOLERANCE_KM

    access = network.access["NZAKL"]
    assert access.nodes and access.tolerance_km < RIVER_LAND_TOLERANCE_KM
    assert all(path[-1][0] > 174.77 for path in access.paths)  # every way out leads east
    km, _ = network.sea_path("NZAKL", "NZWLG")
    assert km / KM_PER_NM > 0.95 * 563
    # A harbour on a river the land does not resolve still joins across it (Antwerp, the Scheldt).
    assert network.access["BEANR"].nodes


def test_inland_places_have_no_sea_access(network):
    for pid in ("CNCQI", "CNCHQ", "CNKNM", "LATHG", "MMMDL"):
        assert "sea" not in network.places[pid].modes
        assert pid not in network.access


@pytest.mark.parametrize(("pid", "river"), [("IDPLM", "musi-palembang"), ("MYSBW", "rajang-sibu")])
def test_river_ports_join_by_the_river_drawn_to_them(network, pid, river):
    """Palembang and Sibu lie up rivers Natural Earth 1:10m land does not resolve: they join the
    lanes at the upper end of the river drawn by hand in data/sea/corrections.geojson, and sail
    down it, not across the land beside it."""
    import json

    import shapely

    from corridor.datasets import bundled_data_dir
    from corridor.geo import haversine_km

    features = json.loads((bundled_data_dir() / "sea" / "corrections.geojson").read_text())["features"]
    (drawn,) = [f for f in features if f["properties"]["id"] == river]
    line = shapely.geometry.shape(drawn["geometry"])
    access = network.access[pid]
    assert access.nodes and min(km for _, km in access.nodes) < 5
    port, singapore = network.places[pid], network.places["SGSIN"]
    km, path = network.sea_path(pid, singapore.id)
    assert km > haversine_km(port.lon, port.lat, singapore.lon, singapore.lat)
    # The first 40 km of the way out keep to the drawn river.
    near = [p for p in path if haversine_km(port.lon, port.lat, *p) < 40]
    assert len(near) >= 3
    assert all(shapely.Point(p).distance(line) < 0.01 for p in near)


def test_ho_chi_minh_city_sails_the_long_tau_at_its_published_length(network):
    """Cat Lai lies about 40 nm from buoy 0 off Vung Tau by the Sai Gon - Vung Tau fairway's
    published length (84.5 km from buoy 0 to the port of Saigon, data/sources.csv S207, S208, less
    the river above Cat Lai), and 48 nm from the pilot station by a passenger's account (S209). The
    river drawn straight across its bends measured 35 nm to Vung Tau's port, 3 nm inside buoy 0."""
    from corridor.geo import KM_PER_NM

    km, _ = network.sea_path("VNCLI", "VNVUT")
    assert 36 <= km / KM_PER_NM <= 45


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
    assert any("CNINL" in p and "lies across land" in p for p in net.problems)


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
def test_avoiding_hormuz_reaches_iraq_overland_from_aqaba_and_blocks_it_by_water(network, destination):
    around = find_routes(network, "Chongqing", destination, avoid=["hormuz"])[0]
    assert "hormuz" not in {p for leg in around.legs for p in leg.passages}
    assert {"JOAQJ", "jo-karameh"} <= {p for leg in around.legs for p in (leg.from_id, leg.to_id, *leg.via)}
    with pytest.raises(NoRouteError, match="--avoid hormuz"):
        find_routes(network, "Chongqing", destination, avoid=["hormuz"], modes=["river", "sea"])


def test_avoiding_malacca_reroutes_through_sunda_at_a_cost(network):
    direct = find_routes(network, "Chongqing", "Umm Qasr", by="time")[0]
    around = find_routes(network, "Chongqing", "Umm Qasr", by="time", avoid=["malacca"])[0]
    passages = {p for leg in around.legs for p in leg.passages}
    assert "malacca" not in passages and "sunda" in passages
    assert "malacca" in {p for leg in direct.legs for p in leg.passages}
    assert around.distance_km > direct.distance_km + 500
    assert around.time_h > direct.time_h


def _hours_inside(network, route, box) -> float:
    """Hours a route's sea legs spend on lane segments with both ends inside a (west, south, east, north) box."""
    core, west, south, east, north = network.core, *box
    lane = ROLE_CODE[Role.LANE]
    hours = 0.0
    for leg in route.legs:
        for e in leg.edges:
            if core.role[e] != lane:
                continue
            ends = [network.lane_coords[core.node_lane[n]] for n in (core.tail[e], core.head[e])]
            if all(west <= x <= east and south <= y <= north for x, y in ends):
                hours += core.weights["time_h"][e]
    return hours


def test_a_canal_transit_takes_its_published_time_not_its_length_at_sea_speed(network):
    """The Suez Canal takes 11-16 hours in convoy at about 8 knots (S196), where its 193 km at 16 kn
    would take 6.5; the Panama Canal about 10.5 hours through its locks (S199; 8-10 hours, S200),
    where its 80 km at 16 kn would take 2.7."""
    suez = find_routes(network, "Shanghai", "Rotterdam", by="time", modes=["sea"])[0]
    assert "suez" in suez.legs[0].passages
    assert 11 <= _hours_inside(network, suez, (32.2, 29.65, 32.7, 31.45)) <= 16
    panama = find_routes(network, "Shanghai", "New York", by="time", modes=["sea"])[0]
    assert "panama" in panama.legs[0].passages
    assert 8 <= _hours_inside(network, panama, (-80.0, 8.9, -79.5, 9.4)) <= 12
    # Missing the day's convoy or waiting for a slot is the bad case, not the typical time.
    assert suez.time_p90_h >= suez.time_h + 20


def _overhead_h(network, leg) -> float:
    """A sea leg's hours beyond sailing its distance at the mainline service speed."""
    return leg.time_h - network.parameters.sailing("sea", leg.distance_km).time_h


def test_a_mainline_voyage_through_the_strait_of_malacca_calls_at_a_strait_hub_once(network):
    """Asia-Europe and Asia-Middle East rotations call at Singapore, Tanjung Pelepas or Port Klang
    on the way (S203-S205, S57, S66): a voyage from Qinzhou to Colombo spends a port call of
    0.9-1.2 days (S93) more than its sailing at the strait (its bad case three days more), and the
    sources say why. A voyage that starts or ends at a strait hub makes no second call there; a
    transpacific one makes none."""
    through = find_routes(network, "Qinzhou", "Colombo", by="time", modes=["sea"])[0]
    (sailed,) = [leg for leg in through.legs if leg.mode == "sea"]
    strait_h = _hours_inside(network, through, (100.5, 1.5, 102.5, 3.5))
    sailing_h = network.parameters.sailing("sea", 400).time_h  # at most some 400 km of lanes in that box
    assert 0.9 * 24 <= strait_h <= 1.2 * 24 + sailing_h
    assert _overhead_h(network, sailed) >= 2 * 24  # the call on the way and the call at Colombo
    assert any("Strait of Malacca: a call on the way" in s for s in leg_sources(network, sailed)["time_h"])
    # Its bad case waits for a berth there too: three days of congestion as at a hub, where
    # Singapore saw delays of up to seven days in 2024 (S146).
    assert 3 * 24 <= through.time_p90_h - through.time_h <= 7 * 24
    for origin, destination in [("Singapore", "Colombo"), ("Colombo", "Tanjung Pelepas"), ("Port Klang", "Singapore")]:
        route = find_routes(network, origin, destination, by="time", modes=["sea"])[0]
        (leg,) = [leg for leg in route.legs if leg.mode == "sea"]
        assert _overhead_h(network, leg) < 2 * 24, (origin, destination)  # the arrival call and a wait, no more
        assert not any("Strait of Malacca" in s for s in leg_sources(network, leg)["time_h"])
        # ... though the voyage sails through the strait, past its gate
        assert "malacca" in leg.passages or destination == "Singapore"
    transpacific = find_routes(network, "Shanghai", "Los Angeles", by="time", modes=["sea"])[0]
    assert _overhead_h(network, transpacific.legs[0]) < 2 * 24
    # `ports show` lists a hub's own access over water, and its ways past the call apart.
    singapore = network.access["SGSIN"]
    assert singapore.past > 0 and all(km < 50 for _, km, _ in singapore.own_joints())
    shown = place_text(network, network.places["SGSIN"], width=120)
    assert f"{len(singapore.own_joints())} edge(s) to the lanes" in shown
    assert f"(and {singapore.past} along the lanes past a call on the way)" in shown


def test_a_mainline_voyage_into_the_gulf_calls_at_jebel_ali_on_the_way(network):
    """Mainline loops into the Gulf call at Jebel Ali before the ports beyond it (MSC Falcon,
    S57; the Beibu Gulf-Middle East line, S27, S91; S263, S264): Shanghai to Dammam makes that
    call as well as the one at the Strait of Malacca, and its sources say why. A voyage that
    starts or ends at Jebel Ali, or at a port of the strait such as Bandar Abbas, makes none."""
    route = find_routes(network, "Shanghai", "Dammam", by="time", modes=["sea"])[0]
    sailed = route.legs[0]
    cited = leg_sources(network, sailed)["time_h"]
    # The table and JSON say which calls the leg makes, in the order it makes them.
    assert route_dict(network, route)["legs"][0]["calls_on_the_way"] == ["south-china", "malacca", "hormuz"]
    shown = route_text(network, route, title="", width=200)
    said = "calls on the way at a South China hub, a Strait of Malacca hub and Jebel Ali"
    assert f"through malacca, hormuz; {said}" in shown
    assert any(s.startswith("Strait of Hormuz: a call on the way at AEJEA: ") for s in cited), cited
    assert any("Strait of Malacca" in s for s in cited)
    assert _overhead_h(network, sailed) >= 4 * 24  # three calls on the way and the call at Dammam
    for origin, destination in [("Jebel Ali", "Dammam"), ("Singapore", "Jebel Ali"), ("Singapore", "Bandar Abbas")]:
        route = find_routes(network, origin, destination, by="time", modes=["sea"])[0]
        assert not any("Strait of Hormuz" in s for s in leg_sources(network, route.legs[0])["time_h"])
        assert "hormuz" not in route_dict(network, route)["legs"][0]["calls_on_the_way"], (origin, destination)


@pytest.mark.parametrize(("passage", "at_least"), [("malacca", 3), ("hormuz", 3), ("south-china", 2)])
def test_published_rotations_through_a_gate_call_at_one_of_its_hubs(network, passage, at_least):
    """The rule of sea/calls_on_the_way.csv, checked against the published rotations of
    sea/services.csv: every mainline service whose ships sail through one of a call's gates calls
    at a port the row names."""
    import shapely

    call = network.operations.way_calls[passage]
    gate = shapely.MultiLineString(call.gates)
    through = []
    for service in network.operations.services:
        if service.vessel_class != "mainline":
            continue
        for a, b in itertools.pairwise(service.ports):
            found = network.sea_path(a, b) if a in network.access and b in network.access else None
            if found is not None and shapely.LineString(found[1]).intersects(gate):
                through.append(service.id)
                assert set(service.ports) & set(call.ports), service.id
                break
    assert len(through) >= at_least, through


def test_a_voyage_south_from_north_of_taiwan_calls_in_south_china(network):
    """Loops from north of Taiwan call at Xiamen or a Pearl River port on their way south (MSC
    Falcon, S57; AE1 and AE55, S203; FAL1, S204; APL, S205; WAX, S66). The gates across the Taiwan
    Strait, the Luzon Strait and the Philippine straits leave no way round the call, so the fastest
    voyage still sails the shortest lanes; voyages from South China or Taiwan make none."""
    from corridor.provenance import calls_on_the_way

    for origin in ["Shanghai", "Busan", "Yokohama", "Kobe", "Tianjin"]:
        for destination in ["Singapore", "Laem Chabang", "Port Klang", "Jebel Ali", "Rotterdam"]:
            fastest = find_routes(network, origin, destination, by="time", modes=["sea"])[0]
            shortest = find_routes(network, origin, destination, by="distance", modes=["sea"])[0]
            calls = [c.passage for leg in fastest.legs for c in calls_on_the_way(network, leg)]
            assert "south-china" in calls, (origin, destination, calls)
            assert fastest.distance_km <= 1.01 * shortest.distance_km, (origin, destination)
    for origin in ["Hong Kong", "Xiamen", "Kaohsiung", "Qinzhou"]:
        route = find_routes(network, origin, "Singapore", by="time", modes=["sea"])[0]
        assert not any(c.passage == "south-china" for leg in route.legs for c in calls_on_the_way(network, leg))


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


def _world_port_coverage(network, reached: set[str]) -> tuple[int, int, list[str]]:
    """Count the World Port Index ports routable: its own place, or the curated place that stands for it."""
    import csv

    rows = list(csv.DictReader((network.root / "ports" / "wpi_ports.csv").open(encoding="utf-8")))
    found, missing = 0, []
    for row in rows:
        pid = row["unlocode"].upper() or f"wpi-{row['wpi_number']}"
        place = network.places.get(pid)
        ids = [pid] if place is not None else []
        if not ids:
            for text in (pid, f"{row['name']}, {row['country_code']}"):
                try:
                    ids = list(network.gazetteer.resolve(text).place_ids)
                    break
                except Exception:
                    continue
        if any(i in reached for i in ids):
            found += 1
        else:
            missing.append(pid)
    return found, len(rows), missing


def test_world_ports_and_the_top_100_container_ports_are_routable_from_chongqing(network):
    import csv
    from pathlib import Path

    reached = {r.place_id for r in reach(network, "Chongqing", by="distance")}
    found, total, missing = _world_port_coverage(network, reached)
    assert total == 3803
    assert found / total >= 0.97, (found, total, missing[:30])
    table = Path(__file__).parent / "data" / "top_container_ports.csv"
    top = list(csv.DictReader(table.open(encoding="utf-8")))
    assert len(top) == 100 and all(r["source_url"].startswith("http") for r in top)
    assert [r["id"] for r in top if r["id"] not in reached] == []


@pytest.mark.parametrize(("name", "place_id"), [("Yokohama", "JPYOK"), ("Tokyo", "JPTYO"), ("Nagoya", "JPNGO"),
    ("Antwerp", "BEANR"), ("Savannah", "USSAV"), ("Santos", "BRSSZ"), ("Melbourne", "AUMEL"), ("Houston", "USHOU"),
    ("Philadelphia", "USPHL"), ("Qui Nhon", "VNUIH"), ("Da Nang", "VNDAD"), ("Cam Ranh", "VNBNO")])  # fmt: skip
def test_the_ports_issue_11_names_join_the_lanes(network, name, place_id):
    assert network.gazetteer.resolve(name).place_ids == (place_id,)
    assert network.access[place_id].nodes, network.access[place_id].problem
    route = find_routes(network, "Chongqing", place_id, by="distance")[0]
    assert route.destination == place_id


def test_ports_add_joins_quy_nhon_at_its_published_position(run, tmp_path):
    """Issue 11: adding Quy Nhon at 13.77 N 109.24 E was refused; it joins the lanes over water now."""
    target = tmp_path / "data"
    assert run("init", str(target)).code == 0
    result = run(
        "ports", "add", "--data", str(target), "--id", "VNUIH", "--name", "Quy Nhon", "--country", "VN",
        "--lat", "13.77", "--lon", "109.24", "--modes", "sea", "--source", "estimate: published position",
    )  # fmt: skip
    assert result.code == 0, result.err
    network = load_network(target)
    assert network.places["VNUIH"].origin == "curated" and network.access["VNUIH"].nodes


def test_validate_lists_every_port_that_cannot_join_with_its_reason(run, network):
    unjoined = [a for a in network.access.values() if not a.nodes]
    result = run("validate")
    assert result.code == 0, result.err
    assert f"{len(unjoined)} seaport(s) cannot join the sea lanes:" in result.out
    for access in unjoined:
        line = next(x for x in result.out.splitlines() if f"({access.place_id}) cannot reach the sea lanes" in x)
        assert access.problem in line


def test_a_world_port_index_position_error_is_corrected_with_its_source(network):
    # The World Port Index puts Wakkanai two whole degrees south, in the hills of central
    # Hokkaido; ports/wpi_fixes.csv moves it to the port (S321), and it joins the lanes there.
    wakkanai = network.places["JPWKJ"]
    assert (round(wakkanai.lat, 3), round(wakkanai.lon, 3)) == (45.415, 141.683)
    assert (
        wakkanai.coord_source.startswith("S321: ")
        and "World Port Index gives 43.4167, 141.683" in wakkanai.coord_source
    )
    assert network.access["JPWKJ"].nodes
    assert find_routes(network, "Shanghai", "Wakkanai", by="distance")[0].destination == "JPWKJ"
    # The index files Chiwan (Mawan), code CNCWN, on Hainan's north coast; the name and the code
    # mean western Shenzhen's terminals, where UN/LOCODE puts it, and mainline ships call there.
    chiwan = network.places[network.gazetteer.resolve("Chiwan").place_ids[0]]
    assert chiwan.id == "CNCWN" and (round(chiwan.lat, 2), round(chiwan.lon, 2)) == (22.48, 113.88)
    (sailing,) = find_routes(network, "Shanghai", "Chiwan", by="time", modes=["sea"])
    assert [leg.mode for leg in sailing.legs if not leg.activity] == ["sea"]


def test_every_world_port_index_code_that_unlocode_puts_elsewhere_is_ruled_on():
    # Where UN/LOCODE puts a port's code far away under another name, ports/wpi_fixes.csv says
    # whether the code names another place (not taken) or UN/LOCODE's position is the slip.
    from corridor.datasets import bundled_data_dir

    found = load_script("audit_unlocodes").far_codes(bundled_data_dir())
    assert len(found) >= 30
    assert [f"{f.name} ({f.code})" for f in found if not f.ruling] == []
    assert {f.code for f in found if f.ruling == "wrong"} >= {"USXSI", "INSKK", "PLNWA", "GRNPK"}


@pytest.mark.parametrize(
    ("name", "place_id"),
    [
        ("Shelton", "wpi-17650"),
        ("Sikka", "wpi-48613"),
        ("Nowy Port", "wpi-28720"),
        ("Pago Pago", "ASPPG"),
        # A code ruled wrong goes back to the port that lost it to the wrong one.
        ("Puerto Morelos", "MXPMS"),
        ("MXPMS", "MXPMS"),
        ("Puerto Morro Redondo", "wpi-15975"),
        # The index's Jiangyin, on the Yangtze, carries Fujian's Jiangyin (CNJGY); UN/LOCODE lists
        # its own code beside it under its name (CNJIA, Jiangyin Pt), and that leads there.
        ("Jiangyin", "wpi-59985"),
        ("CNJIA", "wpi-59985"),
    ],
)
def test_a_port_keeps_its_name_whatever_the_ruling_on_its_code(network, name, place_id):
    assert network.gazetteer.resolve(name).place_ids[0] == place_id
    if place_id == "MXPMS":
        morelos = network.places["MXPMS"]
        assert (round(morelos.lat), round(morelos.lon)) == (21, -87)  # on the Caribbean, not in Baja California
        assert "takes UN/LOCODE MXPMS, which the index gives to Puerto Morro Redondo" in morelos.notes


@pytest.mark.parametrize(
    "text", ["USXSI", "Shelter Island", "Sikkim", "INSKK", "Nowe Warpno", "Navpaktos", "USFNE", "CNJGY"]
)
def test_a_code_the_index_gives_the_wrong_port_leads_nowhere(network, text):
    # The index gives Shelton (Puget Sound) the code of Shelter Island, New York, and Sikka (Gulf
    # of Kutch) that of Sikkim: asked for by that code or UN/LOCODE's name, no port answers.
    with pytest.raises(PlaceError):
        network.gazetteer.resolve(text)
    assert "USXSI" in network.places["wpi-17650"].notes and "Shelter Island" in network.places["wpi-17650"].notes


def test_a_code_ruling_is_refused_without_its_reason(tmp_path):
    import shutil

    from corridor.datasets import bundled_data_dir, read_wpi

    ports = tmp_path / "ports"
    ports.mkdir()
    shutil.copy(bundled_data_dir() / "ports" / "wpi_ports.csv", ports)
    header = "wpi_number,name,lat,lon,unlocode,source,reason\n"
    (ports / "wpi_fixes.csv").write_text(header + "17650,Shelton,,,maybe,S70,\n", encoding="utf-8")
    with pytest.raises(DataError) as caught:
        read_wpi(ports / "wpi_ports.csv")
    assert any("'maybe' is not one of wrong, right" in p for p in caught.value.problems), caught.value.problems
    (ports / "wpi_fixes.csv").write_text(header + "17650,Shelton,,,wrong,S70,\n", encoding="utf-8")
    with pytest.raises(DataError) as caught:
        read_wpi(ports / "wpi_ports.csv")
    assert any("reason: is empty" in p for p in caught.value.problems), caught.value.problems
    # Krishnapatnam (no. 49455) has no code of its own in the index to rule on.
    (ports / "wpi_fixes.csv").write_text(header + "49455,Krishnapatnam,,,wrong,S70,a reason\n", encoding="utf-8")
    with pytest.raises(DataError) as caught:
        read_wpi(ports / "wpi_ports.csv")
    assert any("rules on the code of no. 49455, which has none" in p for p in caught.value.problems)


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ("99999999,Nowhere,45.0,141.0,S321,typo", "99999999: no such World Port Index port"),
        ("61260,Wakkanai,45.4,141.7,,typo", "source: is empty"),
        ("61260,Wakkanai,95.4,141.7,S321,typo", "lat"),
    ],
)
def test_a_bad_world_port_index_correction_is_refused(tmp_path, row, message):
    import shutil

    from corridor.datasets import bundled_data_dir, read_wpi

    ports = tmp_path / "ports"
    ports.mkdir()
    shutil.copy(bundled_data_dir() / "ports" / "wpi_ports.csv", ports)
    (ports / "wpi_fixes.csv").write_text("wpi_number,name,lat,lon,source,reason\n" + row + "\n", encoding="utf-8")
    with pytest.raises(DataError) as caught:
        read_wpi(ports / "wpi_ports.csv")
    assert any(message in problem for problem in caught.value.problems), caught.value.problems
