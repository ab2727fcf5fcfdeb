"""Reading and validating dataset tables: every problem reported, with line and column."""

from __future__ import annotations

import pytest

from corridor.datasets import (
    LINK_COLUMNS,
    PLACE_COLUMNS,
    bundled_data_dir,
    cited_ids,
    dataset_dir,
    is_estimate,
    load_dataset,
    read_links,
    read_places,
)
from corridor.errors import DataError

from .conftest import place, write_csv


def test_the_bundled_dataset_loads_and_every_figure_has_a_source():
    dataset = load_dataset(bundled_data_dir())
    assert len(dataset.places) >= 45
    for p in dataset.places.values():
        assert p.coord_source, p.id
        if p.handling_h is not None or p.handling_usd is not None:
            assert p.handling_source, p.id
        if p.dwell_h:
            assert p.dwell_source, p.id
    for link in dataset.links:
        for value, source in (
            (link.distance_km, link.distance_source),
            (link.time_h, link.time_source),
            (link.time_back_h, link.time_back_source),
            (link.frequency_per_week, link.frequency_source),
        ):
            if value is not None:
                assert source, link.id
    for parameter in dataset.parameters.values():
        assert parameter.source, parameter


def test_every_source_field_is_an_estimate_or_starts_with_a_known_document():
    dataset = load_dataset(bundled_data_dir())
    fields = []
    for p in dataset.places.values():
        fields += [p.coord_source, p.source, p.handling_source, p.dwell_source, p.sea_departures_source]
    for link in dataset.links:
        fields += [link.distance_source, link.time_source, link.time_back_source, link.frequency_source]
    fields += [parameter.source for parameter in dataset.parameters.values()]
    for text in filter(None, fields):
        if is_estimate(text):
            continue
        first = text.split(" ", 1)[0].split(";", 1)[0].split(":", 1)[0]
        assert first in dataset.sources, f"{text!r} neither starts with a source id nor is marked as an estimate"
        assert cited_ids(text, dataset.sources), text


def test_every_node_of_the_corridor_is_present():
    places = load_dataset(bundled_data_dir()).places
    for pid in ("CNCQI", "CNCHQ", "CNQZH", "CNBIH", "CNFAN", "CNNIN", "CNPIN", "VNYEV", "VNHPH", "CNKNM", "LABTN",
                "LATHG", "THLKR", "THLCH", "CNYTN", "CNSHK", "HKHKG", "CNNSA", "CNNHN", "CNYCG", "CNTAC", "CNSHA",
                "SGSIN", "MYPKG", "MYTPP", "IDTPP", "VNCLI", "PHMNL", "MMRGN", "LKCMB", "AEJEA", "IQUQR", "IQKAZ",
                "IQBSR"):  # fmt: skip
        assert pid in places


def test_estimates_are_marked():
    assert is_estimate("estimate: terminal location")
    assert is_estimate("Estimate")
    assert not is_estimate("S10")


def write_places(path, rows):
    write_csv(path, PLACE_COLUMNS, rows)
    return path


def test_every_bad_row_is_reported_with_line_and_column(tmp_path):
    path = write_places(
        tmp_path / "places.csv",
        [
            place("CNAAA", "Good", 1.0, 1.0, ["sea"]),
            place("CNBBB", "", 1.0, 1.0, ["sea"]),
            place("CNCCC", "Bad lat", 1.0, 91.0, ["sea"]),
            place("CNDDD", "NaN lon", "nan", 1.0, ["sea"]),
            place("CNEEE", "Bad mode", 1.0, 1.0, ["air"]),
            place("CNAAA", "Duplicate", 1.0, 1.0, ["sea"]),
            place("CNFFF", "Bad country", 1.0, 1.0, ["sea"], country="XX1"),
            place("CNGGG", "No source", 1.0, 1.0, ["sea"], coord_source=""),
        ],
    )
    with pytest.raises(DataError) as info:
        read_places(path, {"CN": "China"})
    problems = "\n".join(info.value.problems)
    assert f"{path}:3: name: is empty" in problems
    assert f"{path}:4: lat:" in problems
    assert f"{path}:5: lon: 'nan' is not a finite number" in problems
    assert f"{path}:6: modes: 'air'" in problems
    assert f"{path}:7: id: duplicate id 'CNAAA' (first on line 2)" in problems
    assert f"{path}:8: country:" in problems
    assert f"{path}:9: coord_source:" in problems
    assert len(info.value.problems) == 7


def test_unknown_country_codes_are_refused(tmp_path):
    path = write_places(tmp_path / "places.csv", [place("QQAAA", "Nowhere", 1.0, 1.0, ["sea"], country="QQ")])
    with pytest.raises(DataError, match="not a known country"):
        read_places(path, {"CN": "China"})


def test_links_to_unknown_places_are_refused(tmp_path):
    path = tmp_path / "links.csv"
    write_csv(path, LINK_COLUMNS, [{"id": "l1", "from": "CNAAA", "to": "CNZZZ", "mode": "rail"}])
    with pytest.raises(DataError) as info:
        read_links(path, {"CNAAA"})
    assert "unknown place 'CNZZZ'" in info.value.problems[0]


def test_a_link_figure_without_a_source_is_refused(tmp_path):
    path = tmp_path / "links.csv"
    write_csv(path, LINK_COLUMNS, [{"id": "l1", "from": "A", "to": "B", "mode": "rail", "distance_km": "10"}])
    with pytest.raises(DataError, match="distance_source"):
        read_links(path)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "is empty"),
        (b"\x00\x01\x02binary", "binary"),
        (b"id,name\n\xff\xfe bad", "not UTF-8"),
        (b"id,name,country\n", "lacks column"),
        (b'id,name,country,lat,lon,kind,modes\n"unterminated,x', "malformed CSV"),
    ],
)
def test_unreadable_files_give_one_clear_error(tmp_path, content, message):
    path = tmp_path / "places.csv"
    path.write_bytes(content)
    with pytest.raises(DataError, match=message):
        read_places(path)


def test_dataset_dir_explains_a_missing_or_foreign_directory(tmp_path, monkeypatch):
    with pytest.raises(DataError, match="does not exist"):
        dataset_dir(tmp_path / "nope")
    with pytest.raises(DataError, match="is not a corridor dataset"):
        dataset_dir(tmp_path)
    monkeypatch.setenv("CORRIDOR_DATA", str(tmp_path / "env"))
    with pytest.raises(DataError, match="env"):
        dataset_dir()


@pytest.mark.parametrize(
    ("customs", "time_h", "message"),
    [("maybe", "", "'maybe' is not cleared, included, none or empty"), ("included", "", "gives no published time")],
)
def test_a_link_s_customs_is_one_of_three_and_included_needs_a_time(tmp_path, customs, time_h, message):
    path = tmp_path / "links.csv"
    row = {"id": "l1", "from": "A", "to": "B", "mode": "rail", "customs": customs}
    if time_h:
        row.update(time_h=time_h, time_source="estimate")
    write_csv(path, LINK_COLUMNS, [row])
    with pytest.raises(DataError) as info:
        read_links(path)
    assert any(message in problem for problem in info.value.problems), info.value.problems
