"""Scenarios (corridor.scenarios).

What must hold:
- every bundled scenario reads, cites only sources in data/sources.csv (or marks estimates) and
  applies to the bundled network without a problem;
- red-sea-2024 makes Chongqing-Rotterdam by sea slower and keeps it out of Bab-el-Mandeb;
- three-gorges-maintenance makes the river route from Chongqing to Shanghai slower;
- border-closure-pingxiang keeps routes out of the Friendship Pass; myanmar-border-2023 keeps
  trucks for Myanmar off the Yunnan crossings (Muse only until June 2025);
  thai-myanmar-border-2024 slows the Mae Sot road to Yangon, then closes the crossing; laos-rail-suspension keeps
  them off the China-Laos railway; hormuz-closure keeps them out of Hormuz;
- a scenario changes only what it names: outside its dates it changes nothing;
- a bad scenario file gets one line per problem, each naming the file and line.
"""

from __future__ import annotations

import datetime as dt

import pytest

from corridor import routing
from corridor.errors import DataError, NoRouteError
from corridor.graph import ROLE_CODE, Role
from corridor.pareto import pareto
from corridor.scenarios import apply_scenario, list_scenarios, load_scenario, parse_scenario

BUNDLED = ("red-sea-2024", "hormuz-closure", "three-gorges-maintenance", "laos-rail-suspension",
           "border-closure-pingxiang", "myanmar-border-2023", "thai-myanmar-border-2024")  # fmt: skip


@pytest.fixture(scope="module")
def scenario_network(network):
    cache = {}

    def get(name):
        if name not in cache:
            cache[name] = apply_scenario(network, load_scenario(name, known_sources=network.sources))
        return cache[name]

    return get


def test_bundled_scenarios_load_and_apply(network, scenario_network):
    names = {p.stem for p in list_scenarios()}
    assert set(BUNDLED) <= names
    for name in BUNDLED:
        disruption = scenario_network(name)
        assert disruption.scenario.changes
        for change in disruption.scenario.changes:
            assert change.source.lower().startswith("estimate") or any(sid in change.source for sid in network.sources)


def _passages(route):
    return {p for leg in route.legs for p in leg.passages}


def test_red_sea_makes_chongqing_rotterdam_slower_and_avoids_bab_el_mandeb(network, scenario_network):
    # By sea: the Yangtze and the sea (the China-Europe train would not meet the scenario).
    by_sea = {"by": "time", "modes": ["river", "sea"]}
    before = routing.find_routes(network, "Chongqing", "Rotterdam", **by_sea)[0]
    after = routing.find_routes(scenario_network("red-sea-2024").network, "Chongqing", "Rotterdam", **by_sea)[0]
    assert "sea" in before.modes and "sea" in after.modes
    assert "bab-el-mandeb" in _passages(before)  # the scenario has something to change
    assert "bab-el-mandeb" not in _passages(after)
    assert after.time_h > before.time_h
    # The detour round Africa adds about 12 days (SC3): the model lands within a week of that.
    assert 5 * 24 < after.time_h - before.time_h < 19 * 24


def test_a_route_round_the_cape_pays_its_surcharge_and_delay_once_however_it_joins_the_passage(
    network, scenario_network
):
    """red-sea-2024 charges USD 1,000 per TEU (SC4) and a day (estimate) for the Cape. The Cape's
    lanes meet others part way along, and the cheapest route from Shanghai used to join them there
    and pay neither; whichever way a voyage joins the passage, it pays each once."""
    disruption = scenario_network("red-sea-2024")
    for by in ("cost", "time", "distance"):
        (route,) = routing.find_routes(
            disruption.network, "Shanghai", "Rotterdam", by=by, modes=["sea"], avoid=["panama"]
        )[:1]
        assert "cape-of-good-hope" in _passages(route), by
        edges = [e for leg in route.legs for e in leg.edges]
        base, changed = network.core.weights, disruption.network.core.weights
        assert sum(changed["cost_usd"][e] - base["cost_usd"][e] for e in edges) == pytest.approx(1000), by
        assert sum(changed["time_h"][e] - base["time_h"][e] for e in edges) == pytest.approx(24), by


def test_red_sea_front_avoids_bab_el_mandeb(scenario_network):
    front = pareto(scenario_network("red-sea-2024").network, "Chongqing", "Rotterdam")
    assert front.routes
    assert all("bab-el-mandeb" not in _passages(r) for r in front.routes)


def test_three_gorges_maintenance_slows_the_river(network, scenario_network):
    query = dict(by="time", modes=["river"])
    before = routing.find_routes(network, "Chongqing", "Shanghai", **query)[0]
    after = routing.find_routes(scenario_network("three-gorges-maintenance").network, "Chongqing", "Shanghai", **query)[
        0
    ]
    assert after.time_h - before.time_h >= 300  # S81: waits of about 15 days against about a day


def _places(route):
    return {p for leg in route.legs for p in (leg.from_id, leg.to_id, *leg.via)}


def test_border_closure_keeps_routes_out_of_friendship_pass(network, scenario_network):
    base = routing.find_routes(network, "Nanning", "Hanoi", by="time", modes=["road"])[0]
    assert "CNYYG" in _places(base)  # the scenario has something to change
    changed = scenario_network("border-closure-pingxiang").network
    for modes in (["road"], ["road", "rail"], None):
        try:
            route = routing.find_routes(changed, "Nanning", "Hanoi", by="time", modes=modes)[0]
        except NoRouteError:
            continue
        assert "CNYYG" not in _places(route)


def test_myanmar_border_closure_sends_trucks_for_mandalay_round_by_thailand(network, scenario_network):
    """After 27 Oct 2023 the Yunnan road crossings took no freight (SC17, SC18): a truck from
    Chongqing to Mandalay can only enter Myanmar from Thailand, at Mae Sot-Myawaddy."""
    yunnan = {"cn-ruili", "cn-qingshuihe"}
    base = routing.find_routes(network, "Chongqing", "Mandalay", by="time", modes=["road"])[0]
    assert _places(base) & yunnan  # the scenario has something to change
    scenario = load_scenario("myanmar-border-2023", known_sources=network.sources)
    closed = scenario_network("myanmar-border-2023").network
    route = routing.find_routes(closed, "Chongqing", "Mandalay", by="time", modes=["road"])[0]
    assert not _places(route) & yunnan
    assert "th-maesot" in _places(route)
    assert route.time_h > base.time_h
    # Before the offensive the crossings were open.
    before = apply_scenario(network, scenario, on=dt.date(2023, 10, 19))
    assert not before.scenario.changes


def test_muse_is_open_again_by_june_2025_and_chinshwehaw_is_not(network):
    """Goods from China crossed at Muse by 22 Jun 2025 (SC20); China still bars exports through
    the crossings the MNDAA holds, Chinshwehaw among them (SC21)."""
    scenario = load_scenario("myanmar-border-2023", known_sources=network.sources)
    later = apply_scenario(network, scenario, on=dt.date(2025, 7, 1))
    assert [c.places for c in later.scenario.changes] == [("cn-qingshuihe",)]
    route = routing.find_routes(later.network, "Chongqing", "Mandalay", by="time", modes=["road"])[0]
    assert "cn-ruili" in _places(route) and "cn-qingshuihe" not in _places(route)


def test_a_route_through_what_a_dated_scenario_closes_is_told_so(network, run):
    """The base network knows nothing of a closure in force: the CLI says so on stderr, once per
    scenario, naming what it closes on the route; dates outside the scenario's say nothing."""
    from corridor.scenarios import advisories

    routes = routing.find_routes(network, "Chongqing", "Umm Qasr", by="cost")
    assert "hormuz" in _passages(routes[0])
    during = advisories(network, routes, on=dt.date(2026, 6, 1))
    assert [(a.scenario.name, a.met) for a in during] == [("hormuz-closure", ("closes hormuz",))]
    assert advisories(network, routes, on=dt.date(2026, 2, 1)) == []  # before the closure
    vientiane = routing.find_routes(network, "Vientiane", "Yangon", by="time", modes=["road"])
    cut = advisories(network, vientiane, on=dt.date(2024, 6, 1))
    assert [a.met for a in cut] == [("delays link road-maesot-yangon",)]  # the crossing shut later
    # What-ifs with no dates (laos-rail-suspension) never advise.
    laos = routing.find_routes(network, "Kunming", "Vientiane", by="time", modes=["rail"])
    assert all(a.scenario.start is not None for a in advisories(network, laos, on=dt.date(2030, 1, 1)))
    shown = run("route", "Chongqing", "Umm Qasr", "--format", "json")
    assert shown.code == 0 and shown.json()["legs"]  # stdout stays the answer alone
    in_force = dt.date.today() >= dt.date(2026, 3, 1)
    assert ("note: scenario hormuz-closure" in shown.err) == in_force
    applied = run("route", "Chongqing", "Umm Qasr", "--scenario", "hormuz-closure")
    assert applied.code == 0 and "note: scenario" not in applied.err
    assert "note:" not in run("route", "Chongqing", "Umm Qasr", "-q").err


def test_a_routes_json_lists_the_dated_scenarios_it_meets(network, run):
    """The stderr note is lost to a program reading stdout or the API: each route's JSON carries
    the scenarios in force that meet it (each alternative its own), none once one is applied."""
    from corridor.scenarios import advisor

    advise = advisor(network, on=dt.date(2026, 6, 1))
    gulf = routing.find_routes(network, "Chongqing", "Umm Qasr", by="cost")[0]
    assert advise(gulf) == [
        {
            "scenario": "hormuz-closure",
            "title": "Strait of Hormuz closed: Gulf cargo through the Gulf of Oman ports",
            "since": "2026-03-01",
            "until": None,
            "meets": ["closes hormuz"],
        }
    ]
    assert advise(routing.find_routes(network, "Chongqing", "Singapore", by="cost")[0]) == []
    assert advisor(network, on=dt.date(2026, 2, 1))(gulf) == []  # before the closure
    shown = run("route", "Chongqing", "Umm Qasr", "--alternatives", "1", "--format", "json").json()
    in_force = dt.date.today() >= dt.date(2026, 3, 1)
    for route in (shown, *shown["alternatives"]):
        names = [a["scenario"] for a in route["scenarios_in_force"]]
        assert names == (["hormuz-closure"] if in_force and "hormuz" in _json_passages(route) else [])
    compared = run("compare", "Chongqing", "Umm Qasr", "--format", "json").json()
    assert all("scenarios_in_force" in route for route in compared.values())
    applied = run("route", "Chongqing", "Umm Qasr", "--scenario", "hormuz-closure", "--format", "json").json()
    assert applied["scenarios_in_force"] == []


def _json_passages(route: dict) -> set[str]:
    return {p for leg in route["legs"] for p in leg["passages"]}


def test_a_route_a_scenario_cuts_off_is_blamed_on_it(run, tmp_path):
    no_sea = tmp_path / "no-sea.toml"
    no_sea.write_text(
        'name = "no-sea"\ntitle = "t"\nstart = 2020-01-01\n\n[[close]]\nmodes = ["sea"]\nsource = "estimate: a test"\n'
    )
    cut = run("route", "Chongqing", "Honolulu", "--scenario", str(no_sea))
    assert cut.code == 1
    assert "no route from Chongqing to Honolulu: blocked by --scenario no-sea (with what it closes" in cut.err


def test_scenario_show_gives_a_change_its_whole_dates(run):
    """A change with only an end of its own starts when its scenario does, and says so."""
    shown = run("scenario", "show", "myanmar-border-2023")
    assert shown.code == 0 and "close: places cn-ruili [2023-10-27 to 2025-06-21]" in shown.out
    assert "close: places cn-qingshuihe\n" in shown.out  # the scenario's own dates: none of its own


def test_thai_myanmar_border_slows_the_road_to_yangon_then_closes_the_crossing(network):
    """From 20 Apr 2024 the Myawaddy-Kawkareik road is cut (SC23, SC24); from 18 Aug 2025 the
    crossing itself is shut (SC22), so trucks from Vientiane for Yangon go round by Yunnan."""
    scenario = load_scenario("thai-myanmar-border-2024", known_sources=network.sources)
    base = routing.find_routes(network, "Vientiane", "Yangon", by="time", modes=["road"])[0]
    assert "th-maesot" in _places(base)
    cut = apply_scenario(network, scenario, on=dt.date(2024, 6, 1)).network
    slow = routing.find_routes(cut, "Vientiane", "Yangon", by="time", modes=["road"])[0]
    assert "th-maesot" in _places(slow) and slow.time_h == pytest.approx(base.time_h + 48)
    shut = apply_scenario(network, scenario, on=dt.date(2025, 9, 1)).network
    round_yunnan = routing.find_routes(shut, "Vientiane", "Yangon", by="time", modes=["road"])[0]
    assert "th-maesot" not in _places(round_yunnan) and "cn-ruili" in _places(round_yunnan)
    assert not apply_scenario(network, scenario, on=dt.date(2024, 4, 19)).scenario.changes


def test_laos_rail_suspension_keeps_routes_off_the_railway(scenario_network):
    changed = scenario_network("laos-rail-suspension").network
    route = routing.find_routes(changed, "Chongqing", "Vientiane", by="time")[0]
    links = {link for leg in route.legs for link in leg.links}
    assert not links & {"rail-kunming-boten", "rail-boten-vientiane"}


def test_hormuz_closure_keeps_routes_out_of_hormuz(scenario_network):
    changed = scenario_network("hormuz-closure").network
    route = routing.find_routes(changed, "Chongqing", "OMSOH", by="cost")[0]
    assert "hormuz" not in _passages(route)
    # Iraq is reached by land from Aqaba, over the Karameh-Trebil crossing (S287), and Umm Qasr with it.
    iraq = routing.find_routes(changed, "Chongqing", "Umm Qasr", by="cost")[0]
    assert "hormuz" not in _passages(iraq) and {"JOAQJ", "jo-karameh"} <= _places(iraq)
    base = routing.find_routes(scenario_network("hormuz-closure").base, "Chongqing", "Baghdad", by="cost")[0]
    assert "IQUQR" in _places(base) and "jo-karameh" not in _places(base)  # by Umm Qasr when Hormuz is open


def test_outside_its_dates_a_scenario_changes_nothing(network):
    scenario = load_scenario("red-sea-2024")
    quiet = apply_scenario(network, scenario, on=dt.date(2019, 6, 1))
    assert not quiet.scenario.changes
    for name, values in quiet.network.core.weights.items():
        assert list(values) == list(network.core.weights[name])


def test_a_disruption_shows_in_a_notebook_as_one_short_line(network):
    disruption = apply_scenario(network, load_scenario("red-sea-2024"))
    shown = repr(disruption)  # what a notebook prints for `apply_scenario(...)` at the end of a cell
    assert "\n" not in shown and len(shown) < 5_000  # not the 132,876 spreads of the edges
    assert "red-sea-2024" in shown and f"closed_edges={disruption.closed_edges}" in shown


def test_a_day_is_a_date_a_datetime_or_its_iso_text_and_a_scenario_file_a_path(network):
    from corridor.errors import UsageError
    from corridor.scenarios import scenario_path

    scenario = load_scenario("myanmar-border-2023", known_sources=network.sources)
    day = [c.places for c in apply_scenario(network, scenario, on=dt.date(2025, 7, 1)).scenario.changes]
    assert day == [("cn-qingshuihe",)]
    for same in (dt.datetime(2025, 7, 1, 12, 30), "2025-07-01"):
        assert [c.places for c in scenario.on(same).changes] == day
    for bad in ("1 July 2025", 20250701):
        with pytest.raises(UsageError, match="on must be a date") as info:
            apply_scenario(network, scenario, on=bad)
        assert info.value.parameter == "on"
    path = scenario_path("red-sea-2024")
    assert load_scenario(path) == load_scenario(str(path))
    for bad in (None, 5):
        with pytest.raises(UsageError, match="scenario must be"):
            load_scenario(bad)
    with pytest.raises(UsageError, match="scenario must be a Scenario"):
        apply_scenario(network, "red-sea-2024")


BAD = """\
name = "Bad Name"
title = "a scenario with problems"

[[close]]
passages = ["atlantis-strait"]
source = "estimate"

[[delay]]
places = ["Qinzhou"]
source = "estimate"

[[surcharge]]
modes = ["sea"]
usd_per_teu = -5
source = "S999: nowhere"
"""


def test_bad_scenario_gets_one_line_per_problem():
    with pytest.raises(DataError) as caught:
        parse_scenario(BAD, path="bad.toml", known_sources={"S1", "S2"})
    problems = caught.value.problems
    assert len(problems) == 5, problems
    assert all(p.startswith("bad.toml:") and p.split(":")[1].isdigit() for p in problems)
    lines = {int(p.split(":")[1]) for p in problems}
    assert {1, 5, 8, 15} <= lines  # name; the unknown passage; the delay without hours; the negative charge


@pytest.mark.parametrize(
    ("body", "says"),
    [
        # found by a hostile pass: each was accepted (or named line 0) and then did nothing or misled
        ('[[frequency]]\npassages = ["malacca"]\nfactor = 0.1\nsource = "estimate"\n',
         "bad.toml:4: frequency 1: a passage has no departures of its own"),
        ('[[close]]\npassages = ["suez"]\nsource = "estimate"\nstart = 2025-02-01\nend = 2025-01-01\n',
         "bad.toml:7: close 1: end 2025-01-01 is before start 2025-02-01"),
        ('[[close]]\npassages = ["suez"]\nsource = "estimate"\nnote = 5\n', "bad.toml:6: close 1: note must be text"),
        ('summary = [1, 2]\n[[close]]\npassages = ["suez"]\nsource = "estimate"\n', "bad.toml:3: summary must be text"),
        ('[[close]]\npassages = ["suez"]\nsource = "estimate"\n[[shut]]\npassages = ["suez"]\n',
         "bad.toml:6: unknown key 'shut'"),
    ],
)  # fmt: skip
def test_a_change_that_would_mislead_is_refused_at_its_line(body, says):
    with pytest.raises(DataError) as caught:
        parse_scenario('name = "x"\ntitle = "t"\n' + body, path="bad.toml")
    assert any(p.startswith(says) for p in caught.value.problems), caught.value.problems


def test_a_large_bad_scenario_names_every_problem_at_its_line():
    # The file's text was split into lines again for each problem: a file of 1 MB with a
    # misspelt key in each of its 18,000 tables took 90 s to report them (0.5 s now).
    table = '[[delay]]\nplaces = ["Qinzhou"]\nhours = 1\nsourc = "estimate"\n'
    with pytest.raises(DataError) as caught:
        parse_scenario('name = "x"\ntitle = "t"\n' + table * 8000, path="bad.toml")
    problems = caught.value.problems
    assert len(problems) == 16000
    assert problems[0].startswith("bad.toml:6: delay 1: unknown key 'sourc'")
    assert problems[-2].startswith(f"bad.toml:{2 + 4 * 8000}: delay 8000: unknown key 'sourc'")


def test_a_scenario_applied_to_no_network_is_a_usage_error(network):
    from corridor.errors import UsageError

    with pytest.raises(UsageError, match="network must be a Network"):
        apply_scenario(None, load_scenario("red-sea-2024"))


def test_toml_syntax_error_names_the_line():
    with pytest.raises(DataError, match=r"bad\.toml:3: not valid TOML"):
        parse_scenario('name = "x"\ntitle = "t"\n[[close]\n', path="bad.toml")


def test_arrays_nested_too_deeply_are_one_problem_not_a_recursion_error(tiny, run):
    # tomllib recurses once per "[": a title of 100,000 of them raised RecursionError, a
    # traceback from `scenario show` and, from a dataset's scenarios/, from every route and validate.
    deep = 'name = "deep"\ntitle = ' + "[" * 100_000 + "]" * 100_000 + "\n"
    with pytest.raises(DataError, match=r"^deep\.toml:1: not valid TOML: arrays or tables nested too deeply$"):
        parse_scenario(deep, path="deep.toml")
    (tiny / "scenarios").mkdir(exist_ok=True)
    (tiny / "scenarios" / "deep.toml").write_text(deep, encoding="utf-8")
    shown = run("scenario", "show", str(tiny / "scenarios" / "deep.toml"))
    assert shown.code == 1 and shown.err.count("\n") == 1 and "nested too deeply" in shown.err
    checked = run("validate", "--data", str(tiny))
    assert checked.code == 1 and "Traceback" not in checked.err and "deep.toml:1: not valid TOML" in checked.out
    removed = run("ports", "remove", "CNPPP", "--data", str(tiny))
    assert removed.code == 0 and "Traceback" not in removed.err


def test_names_the_network_lacks_are_reported_with_their_line(network):
    text = 'name = "x"\ntitle = "t"\n\n[[close]]\nlinks = ["rail-nowhere"]\nsource = "estimate"\n'
    with pytest.raises(DataError) as caught:
        apply_scenario(network, parse_scenario(text, path="x.toml"))
    assert caught.value.problems == ["x.toml:4: close: no link 'rail-nowhere' in the network"]


def test_fewer_sailings_at_a_port_lengthen_the_voyages_to_it(network):
    # A mainline voyage waits for a ship that calls at both ends (`mainline_arrival_waits`):
    # half Umm Qasr's sailings doubles the headway of the ships that call there, 42 h more to
    # wait on every voyage to it; halving every port's sailings scales only the excess over the
    # busiest ports' wait on arriving (the boarding charges the rest).
    text = 'name = "x"\ntitle = "t"\n[[frequency]]\n{}\nfactor = 0.5\nsource = "estimate"\n'
    route = routing.find_routes(network, "CNSHA", "IQUQR", by="time", modes=["sea"])[0]
    (arrival,) = [e for e in route.edges if network.core.role[e] == ROLE_CODE[Role.ACCESS] and
                  network.core.node_place_id(network.core.head[e]) == "IQUQR"]  # fmt: skip
    before = network.core.weights["time_h"][arrival]
    wait = network.parameters.sea_departures_wait_h(network.places["IQUQR"])
    one = apply_scenario(network, parse_scenario(text.format('places = ["IQUQR"]'), path="x.toml")).network
    assert one.core.weights["time_h"][arrival] == pytest.approx(before + wait)
    every = apply_scenario(network, parse_scenario(text.format('modes = ["sea"]'), path="x.toml")).network
    assert every.core.weights["time_h"][arrival] == pytest.approx(before + network.arrival_waits["IQUQR"])


@pytest.mark.parametrize("kind", ["close", "delay", "surcharge"])
def test_a_change_on_sea_reaches_feeders_and_services_as_modes_sea_does(network, kind):
    # Once, `modes = ["sea"]` in a scenario touched mainline ships only: closing the sea left
    # Qinzhou-Singapore on the Beibu Gulf liner, and a delay or a surcharge moved cargo onto it.
    figure = {"close": "", "delay": "hours = 500\n", "surcharge": "usd_per_teu = 50000\n"}[kind]
    text = f'name = "x"\ntitle = "t"\n[[{kind}]]\nmodes = ["sea"]\n{figure}source = "estimate"\n'
    changed = apply_scenario(network, parse_scenario(text, path="x.toml")).network
    by = "time" if kind == "delay" else "cost"  # what would switch to an untouched ship
    before = routing.find_routes(network, "Qinzhou", "Singapore", by=by, modes=["sea"])[0]
    # The Beibu Gulf-Singapore liner (a feeder-class service) sails it too: a change on sea reaches it.
    assert any(link.mode == "feeder" and {link.from_id, link.to_id} == {"CNQZH", "SGSIN"}
               for link in network.sea_links.values())  # fmt: skip
    if kind == "close":
        with pytest.raises(NoRouteError):
            routing.find_routes(changed, "Qinzhou", "Singapore", by=by, modes=["sea"])
        return
    after = routing.find_routes(changed, "Qinzhou", "Singapore", by=by, modes=["sea"])[0]
    if kind == "delay":
        assert after.time_h >= before.time_h + 500 - 1e-6
    else:
        assert after.cost_usd >= before.cost_usd + 50000 - 1e-6


def test_a_frequency_factor_lengthens_the_wait(network):
    text = 'name = "x"\ntitle = "t"\n[[frequency]]\nmodes = ["rail"]\nfactor = 0.5\nsource = "estimate"\n'
    slower = apply_scenario(network, parse_scenario(text, path="x.toml")).network
    before = routing.find_routes(network, "Chongqing", "Qinzhou", by="time", modes=["rail"])[0]
    after = routing.find_routes(slower, "Chongqing", "Qinzhou", by="time", modes=["rail"])[0]
    # Half the departures: the mean wait for the train boarded (half its headway) doubles.
    assert before.legs[0].links == ("rail-cq-qinzhou",)
    wait = network.parameters.link_wait_h(network.links["rail-cq-qinzhou"])
    assert wait > 0
    assert after.time_h == pytest.approx(before.time_h + wait, rel=1e-6)


def test_a_scenario_of_many_changes_adds_them_up(network):
    # Each change scanned every edge of the network, several times: 1,500 delays at one place
    # (a file well under the 1 MB a scenario may be) took 55 s, and a file of 1 MB six minutes;
    # each change now looks its edges up in indexes built once (600 here: 20 s before, 1 s now).
    change = '[[delay]]\nplaces = ["Qinzhou"]\nlinks = ["river-yichang-wuhan"]\nmodes = ["rail"]\nhours = {}\n'
    change += 'source = "estimate"\n'
    many = 'name = "x"\ntitle = "t"\n' + change.format(1) * 600
    changed = apply_scenario(network, parse_scenario(many, path="x.toml")).network
    once = apply_scenario(network, parse_scenario('name = "x"\ntitle = "t"\n' + change.format(600), path="x.toml"))
    assert list(changed.core.weights["time_h"]) == pytest.approx(list(once.network.core.weights["time_h"]))
    assert changed.core.weights["time_h"] != network.core.weights["time_h"]
