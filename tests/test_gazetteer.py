"""Resolving ids, names, aliases and areas to places."""

from __future__ import annotations

import pytest

from corridor.datasets import Place
from corridor.errors import PlaceError
from corridor.gazetteer import Gazetteer, normalize


def p(pid, name, country="CN", aliases=(), area=""):
    return Place(pid, name, country, 0.0, 0.0, "seaport", ("sea",), aliases=tuple(aliases), area=area)


@pytest.fixture
def gaz():
    places = [
        p("CNCQI", "Chongqing Tuanjiecun", aliases=["Tuanjiecun"], area="Chongqing"),
        p("CNCHQ", "Chongqing Guoyuan Port", aliases=["Guoyuan"], area="Chongqing"),
        p("IQUQR", "Umm Qasr", "IQ", aliases=["Umm Qasr Port"]),
        p("CAVIC", "Victoria", "CA"),
        p("SCVIC", "Victoria", "SC"),
        p("IQKAZ", "Khor al-Zubair", "IQ"),
    ]
    return Gazetteer({x.id: x for x in places})


def test_normalize_folds_case_accents_and_punctuation():
    assert normalize("  Khor  al-Zubair ") == "khor al zubair"
    assert normalize("Hồ Chí Minh") == "ho chi minh"


@pytest.mark.parametrize(
    ("text", "ids"),
    [
        ("iquqr", ("IQUQR",)),
        ("UMM QASR", ("IQUQR",)),
        ("umm qasr port", ("IQUQR",)),
        ("khor al zubair", ("IQKAZ",)),
        ("Guoyuan", ("CNCHQ",)),
        ("chongqing", ("CNCQI", "CNCHQ")),
        ("Victoria, SC", ("SCVIC",)),
        ("Victoria (CA)", ("CAVIC",)),
    ],
)
def test_resolve(gaz, text, ids):
    assert gaz.resolve(text).place_ids == ids


def test_an_area_resolves_to_all_its_places(gaz):
    target = gaz.resolve("Chongqing")
    assert target.is_area and target.label == "Chongqing"


def test_ambiguous_names_list_every_candidate(gaz):
    with pytest.raises(PlaceError, match="ambiguous") as info:
        gaz.resolve("Victoria")
    assert info.value.candidates == ["Victoria (CA, CAVIC)", "Victoria (SC, SCVIC)"]


def test_unknown_names_suggest_the_closest(gaz):
    with pytest.raises(PlaceError, match="unknown place") as info:
        gaz.resolve("Um Qasr")
    assert info.value.candidates[0] == "Umm Qasr (IQ, IQUQR)"
    with pytest.raises(PlaceError, match="empty"):
        gaz.resolve("   ")
