"""Every name and country example of issue 11: usual English names, UN/LOCODE and World Port
Index names, ambiguity, suggestions that offer nothing rather than nonsense, country filters."""

from __future__ import annotations

import csv
import json

import pytest

from corridor.datasets import bundled_data_dir
from corridor.errors import PlaceError, UsageError
from corridor.gazetteer import country_code, name_forms, normalize

from .test_cli import assert_one_line_error


@pytest.mark.parametrize(
    ("name", "place_id"),
    [
        # English exonyms and UN/LOCODE names (the truth: each port's UN/LOCODE).
        ("Antwerp", "BEANR"),
        ("Kolkata", "INCCU"),
        ("Calcutta", "INCCU"),
        ("Mumbai", "INBOM"),
        ("Bombay", "INBOM"),
        ("Chennai", "INMAA"),
        ("Madras", "INMAA"),
        ("Kaohsiung", "TWKHH"),
        ("Kao-Hsiung", "TWKHH"),
        ("Ho Chi Minh City", "VNCLI"),
        ("Saigon", "VNCLI"),
        ("Yangon", "MMRGN"),
        ("Rangoon", "MMRGN"),
        ("Klong Toei", "THBKK"),
        ("Alexandria", "EGALY"),
        ("Quy Nhon", "VNUIH"),
        ("Qui Nhon", "VNUIH"),
        ("Da Nang", "VNDAD"),
        ("Cam Ranh", "VNBNO"),
        ("Nagoya", "JPNGO"),
        ("Tianjin", "CNTXG"),
        ("Genoa", "ITGOA"),
        ("Antwerpen", "BEANR"),
        # UN/LOCODE also names Zhangzhou's code "Fuzhou"; the English name means the port of Fuzhou.
        ("Fuzhou", "CNFZH"),
        ("Shantou", "wpi-57860"),
        ("Xingang", "CNTXG"),
        # The World Port Index gives Krishnapatnam's UN/LOCODE (INKRI) to Kattupalli, 105 km
        # south; ports/wpi_fixes.csv rules it wrong there, and Krishnapatnam takes it back.
        ("Krishnapatnam", "INKRI"),
        ("Kattupalli Port", "wpi-49454.5"),
        ("Apapa", "NGLOS"),
        ("Bandar Imam Khomeini", "IRBKM"),
        ("Muscat", "OMSTQ"),
        ("Mangalore", "INNML"),
        ("Pipavav", "INPAV"),
        ("Ain Sokhna", "wpi-48030"),
        # Fremantle is Perth's port; the World Port Index's only "Perth" is a river quay in Scotland.
        ("Perth", "AUFRE"),
        ("Ho Chi Minh", "VNCLI"),
        ("JNPT", "INNSA"),
        ("Thoothukudi", "INTUT"),
        ("Kwangyang", "KRKAN"),
        ("Subic", "PHSFS"),
        ("Adelaide", "AUPAE"),
        ("Vostochny", "RUVYP"),
        ("Fujairah", "AEFJR"),
        ("Fukuoka", "JPHKT"),
        ("Perth, GB", "GBPER"),
    ],
)
def test_usual_names_resolve(network, name, place_id):
    assert network.gazetteer.resolve(name).place_ids == (place_id,)


def test_the_top_container_ports_resolve_by_the_names_their_ranking_prints(network):
    """Lloyd's List's one hundred container ports, by the names it prints, as a route resolves
    them: each is its port, or, where two routable ports share the name, the question lists it
    among the candidates."""
    import csv
    from pathlib import Path

    table = Path(__file__).parent / "data" / "top_container_ports.csv"
    shared = []
    for row in csv.DictReader(table.open(encoding="utf-8")):
        try:
            assert row["id"] in network.resolve(row["port"]).place_ids, row["port"]
        except PlaceError as exc:
            assert any(c.endswith(f", {row['id']})") for c in exc.candidates), str(exc)
            shared.append(row["port"])
    assert set(shared) == {"Cartagena", "Sydney", "Vancouver"}


def test_bangkok_is_its_port_and_its_dry_port(network):
    target = network.gazetteer.resolve("Bangkok")
    assert set(target.place_ids) == {"THBKK", "THLKR"}
    port, depot = network.places["THBKK"], network.places["THLKR"]
    assert port.kind == "seaport" and "sea" in port.modes and network.routable("THBKK")
    assert depot.kind == "dry_port" and "sea" not in depot.modes


def test_alexandria_is_not_a_us_river_port(network):
    target = network.gazetteer.resolve("Alexandria")
    assert network.places[target.place_ids[0]].country == "EG"
    # A US Alexandria is still there by its country.
    assert network.gazetteer.resolve("Alexandria, US").place_ids == ("USAXR",)


def test_an_ambiguous_name_lists_candidates_with_country_and_id(network):
    with pytest.raises(PlaceError, match="ambiguous") as info:
        network.gazetteer.resolve("Sydney")
    assert "Sydney (AU, AUSYD)" in info.value.candidates
    assert "Sydney (CA, CASYD)" in info.value.candidates


def test_a_name_five_ports_bear_is_not_taken_for_a_corridor_port_s_town(network):
    # UN/LOCODE calls Penang "Penang (Georgetown)", but Georgetown is also the name of ports in
    # Guyana, the Cayman Islands, Saint Helena, Canada and the United States: the name lists them
    # all rather than answering with the corridor's port.
    with pytest.raises(PlaceError, match="ambiguous") as info:
        network.gazetteer.resolve("Georgetown")
    assert {"Georgetown (GY, GYGEO)", "Penang (MY, MYPEN)"} <= set(info.value.candidates)
    assert network.gazetteer.resolve("Georgetown, MY").place_ids == ("MYPEN",)


@pytest.mark.parametrize("name", ["Nowhere", "Atlantis", "Xyzzy Harbour"])
def test_nonsense_suggests_nothing(network, name):
    with pytest.raises(PlaceError) as info:
        network.gazetteer.resolve(name)
    assert info.value.candidates == []
    assert "did you mean" not in str(info.value)


@pytest.mark.parametrize(
    ("typo", "meant"),
    [("Um Qasr", "IQUQR"), ("Antwerpn", "BEANR"), ("Rotterdm", "NLRTM"), ("Singapor", "SGSIN")],
)
def test_near_misses_suggest_the_port_first(network, typo, meant):
    with pytest.raises(PlaceError) as info:
        network.gazetteer.resolve(typo)
    assert info.value.candidates and f", {meant})" in info.value.candidates[0]


@pytest.mark.parametrize(("name", "code"), [("Sandakan", "MYSDK"), ("Tawau", "MYTWU"), ("Surigao", "PHSUG")])
def test_a_un_locode_name_answers_without_its_region(network, name, code):
    # UN/LOCODE writes these "Sandakan, Sabah", "Tawau, Sabah", "Surigao, Mindanao"; the World
    # Port Index names them otherwise (Pelabuhan Sandakan, Tawa, Surigao City).
    assert network.gazetteer.resolve(name).place_ids == (code,)


def test_every_un_locode_name_with_a_region_answers_or_lists_its_port(network):
    """Each bundled UN/LOCODE name of the form "Name, Region" leads, without the region, to its
    port, or to a list of the ports of that name with its port among them; a name that is already
    another port's keeps meaning that port ("Freeport" is not also Freeport, Grand Bahama)."""
    gazetteer = network.gazetteer
    own: dict[str, set[str]] = {}  # a place's own names and aliases, as the gazetteer folds them
    for place in network.places.values():
        for text in (place.name, *place.aliases):
            for form in name_forms(text):
                own.setdefault(normalize(form), set()).add(place.id)
    with (bundled_data_dir() / "ports" / "unlocode.csv").open(encoding="utf-8", newline="") as handle:
        rows = [row for row in csv.DictReader(handle) if "," in row["name"]]
    assert len(rows) > 100
    checked = 0
    for row in rows:
        name, port = row["name"].partition(",")[0].strip(), row["place"] or row["unlocode"]
        if port not in network.places or own.get(normalize(name), {port}) - {port}:
            continue  # not a bundled port, or the name is another port's own (Kasim is Sorong's)
        try:
            found = gazetteer.resolve(name).place_ids
        except PlaceError as error:
            assert "is ambiguous" in str(error), name
            found = tuple(c.rsplit(", ", 1)[-1].rstrip(")") for c in error.candidates)
        assert port in found, (name, port, found)
        checked += 1
    assert checked > 100


@pytest.mark.parametrize(
    ("name", "code"),
    [("Port Swettenham", "MYPKG"), ("Port Kelang", "MYPKG"), ("Pakhoi", "CNBIH"), ("Mina Jebel Ali", "AEJEA")],
)
def test_the_world_port_index_names_of_a_corridor_port_answer(network, name, code):
    # The corridor's own places stand for these World Port Index entries; their names lead there.
    assert network.gazetteer.resolve(name).place_ids == (code,)


def test_every_world_port_index_name_of_a_bundled_port_is_known(network):
    """No name or alternative name the World Port Index gives a bundled port is unknown: each
    answers (a name several ports share answers with the largest, or the one the English exonym
    table gives) or lists the ports it may mean."""
    gazetteer = network.gazetteer
    checked = 0
    with (bundled_data_dir() / "ports" / "wpi_ports.csv").open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            port = row["unlocode"] if row["unlocode"] in network.places else f"wpi-{row['wpi_number']}"
            if port not in network.places:
                continue
            for name in [row["name"], *(n.strip() for n in row["alt_name"].split(";") if n.strip())]:
                try:
                    gazetteer.resolve(name)
                except PlaceError as error:
                    assert "is ambiguous" in str(error), (name, port, str(error))
                checked += 1
    assert checked > 4000


def test_bracketed_forms_of_a_name():
    assert name_forms("Kolkata (ex Calcutta)") == ["Kolkata (ex Calcutta)", "Kolkata", "Calcutta"]
    assert name_forms("Mina Zayed/Abu Dhabi") == ["Mina Zayed/Abu Dhabi", "Mina Zayed"]
    assert "Nagoya" in name_forms("Nagoya Ko")


@pytest.mark.parametrize(
    ("text", "code"),
    [("VN", "VN"), ("vn", "VN"), ("Vietnam", "VN"), ("Viet Nam", "VN"), ("Iraq", "IQ"), ("South Korea", "KR")],
)
def test_countries_by_code_or_name(network, text, code):
    assert country_code(text, network.countries) == code


def test_an_unknown_country_is_a_usage_error():
    with pytest.raises(UsageError, match="not a known country"):
        country_code("Atlantis", {})


def test_ports_list_takes_a_country_name(run):
    by_name = run("ports", "list", "--country", "Vietnam", "--format", "json").json()
    by_code = run("ports", "list", "--country", "VN", "--format", "json").json()
    assert by_name == by_code and by_name
    assert {row["country"] for row in by_name} == {"VN"}


def test_a_country_filter_matching_nothing_is_an_error(run):
    result = run("ports", "list", "--country", "Vietnam", "--kind", "lock")
    assert_one_line_error(result, 1)
    assert "no places match" in result.err and "Vietnam" in result.err
    assert_one_line_error(run("ports", "list", "--country", "Narnia"), 2)


def test_reach_takes_a_country_name_and_says_when_nothing_matches(run):
    rows = run("reach", "Chongqing", "--country", "Vietnam", "--format", "json").json()
    assert rows and {row["country"] for row in rows} == {"VN"}
    result = run("reach", "Chongqing", "--country", "Vietnam", "--modes", "river")
    assert_one_line_error(result, 1)
    assert "Vietnam (VN)" in result.err
    assert_one_line_error(run("reach", "Chongqing", "--country", "Atlantis"), 2)


@pytest.mark.parametrize("name", ["Antwerp", "Kolkata", "Mumbai", "Chennai", "Kaohsiung", "Qui Nhon", "Da Nang"])
def test_the_named_ports_are_routable_from_chongqing(run, name):
    result = run("route", "Chongqing", name, "--format", "json")
    assert result.code == 0, result.err


@pytest.mark.parametrize(
    ("text", "place_id"),
    [
        # UN/LOCODE lists another entry beside a port under its name: its code and name lead there.
        ("INVTZ", "INNRP"),
        ("Visakhapatnam", "INNRP"),
        ("JOAQB", "JOAQJ"),
        ("SYLTK", "SYALD"),
        ("Latakia", "SYALD"),
        ("Matosinhos", "PTLEI"),
        # ... and so do the right codes of ports whose own code the World Port Index got wrong.
        ("FRVFM", "wpi-39000"),
        ("Villefranche-sur-Mer", "wpi-39000"),
        ("GRNAF", "wpi-42050"),
        ("Garston", "wpi-34648"),
        ("INKTP", "wpi-49454.5"),
    ],
)
def test_codes_unlocode_lists_beside_a_port_lead_to_it(network, text, place_id):
    assert network.gazetteer.resolve(text).place_ids == (place_id,)


@pytest.mark.parametrize("text", ["VNVPH", "Van Phong", "FRHRF", "Harfleur"])
def test_a_port_of_another_name_nearby_is_not_taken_for_it(network, text):
    # UN/LOCODE puts Van Phong (VNVPH) 5 km from Haiphong and Harfleur (FRHRF) 9 km from
    # Honfleur, under names of their own: they lead to neither.
    with pytest.raises(PlaceError):
        network.gazetteer.resolve(text)


def test_ports_show_says_which_other_codes_lead_to_a_place(run):
    result = run("ports", "show", "INVTZ")
    assert result.code == 0, result.err
    assert result.out.startswith("Vishakhapatnam (INNRP)")
    assert "INVTZ (Visakhapatnam): UN/LOCODE lists it beside this place under its name" in result.out
    shown = json.loads(run("ports", "show", "Garston", "--format", "json").out)
    assert shown["codes_beside"] == [{"unlocode": "GBCSN", "name": "Garston"}, {"unlocode": "GBGTN", "name": "Garston"}]
