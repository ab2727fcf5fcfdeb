"""Text tables fit the terminal ($COLUMNS), use one format per unit and headings in words."""

from __future__ import annotations

import re

import pytest

from corridor._table import Column, Note, table

COMMANDS = [
    ("route", "Chongqing", "Umm Qasr", "--alternatives", "2"),
    ("route", "Chongqing", "Umm Qasr", "--by", "time"),
    ("compare", "Chongqing", "Hong Kong"),
    ("reach", "Chongqing"),
    ("ports", "list"),
    ("ports", "list", "--country", "CN"),
    ("ports", "show", "Qinzhou"),
    ("ports", "show", "Chongqing"),
]


@pytest.mark.parametrize("width", [80, 100])
@pytest.mark.parametrize("argv", COMMANDS, ids=lambda argv: " ".join(argv))
def test_text_output_fits_the_terminal_width(run, monkeypatch, argv, width):
    monkeypatch.setenv("COLUMNS", str(width))
    result = run(*argv)
    assert result.code == 0, result.err
    lines = result.out.splitlines()
    assert len(lines) > 3
    too_long = [line for line in lines if len(line) > width]
    assert too_long == []


def test_wrapping_keeps_every_word_of_a_name(run, monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")
    narrow = run("route", "Chongqing", "Umm Qasr").out
    monkeypatch.delenv("COLUMNS")
    wide = run("route", "Chongqing", "Umm Qasr").out  # captured output is not a terminal: no wrapping
    assert max(len(line) for line in wide.splitlines()) > 80

    def words(text):
        return sorted(w for w in text.split() if set(w) != {"-"})  # the rule under the header aside

    assert words(narrow) == words(wide)  # the same words, on more lines
    assert "Chongqing Guoyuan Port (CNCHQ)" in wide or "(CNCQI)" in wide  # a name on one line


def test_one_format_per_unit_and_headings_in_words(run, monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")
    out = run("route", "Chongqing", "Umm Qasr", "--by", "time", "--alternatives", "1").out
    assert out.startswith("Fastest route from ")
    assert "(by" not in out and "time_h" not in out
    rows = [line for line in out.splitlines() if re.match(r"\s*(\d+|total)\s", line.lstrip()) or "total" in line]
    assert rows
    for line in rows:
        # distance, time, cost, CO2: each number in its one format, at the end of the row.
        assert re.search(r"[\d,]+ km\s+[\d,]+\.\d d\s+\$[\d,]+\s+[\d,]+ kg$", line), line
    compare = run("compare", "Chongqing", "Hong Kong").out
    for word in ("cheapest", "fastest", "shortest", "lowest-CO2"):
        assert re.search(rf"^{word}\s", compare, flags=re.MULTILINE), word


def test_long_lists_are_limited_with_a_hint(run):
    listed = run("ports", "list")
    lines = listed.out.splitlines()
    assert "--all" in lines[-1] and " of " in lines[-1]
    shown = int(lines[-1].split(" of ")[0].replace(",", ""))
    assert len(lines) == shown + 3  # header, rule, rows, hint
    everything = run("ports", "list", "--all").out.splitlines()
    total = int(lines[-1].split(" of ")[1].split()[0].replace(",", ""))
    assert len(everything) == total + 3  # header, rule, rows, count
    assert len(run("ports", "list", "--format", "json").json()) == total  # machines get everything
    reach = run("reach", "Chongqing").out.splitlines()
    assert "--all" in reach[-2] and reach[-1].endswith("reachable")
    assert len(run("reach", "Chongqing", "--limit", "5").out.splitlines()) == 2 + 5 + 2


def test_columns_are_dropped_only_when_wrapping_cannot_fit():
    columns = [Column("id"), Column("name", wrap=True, min_width=10), Column("extra", drop=1), Column("n", right=True)]
    rows = [["A1", "a rather long place name", "something", "1,234"], Note("a note under the row")]
    wide = table(columns, rows, width=200)
    assert "something" in wide and "left out" not in wide
    wrapped = table(columns, rows, width=40)
    assert "something" in wrapped and all(len(line) <= 40 for line in wrapped.splitlines())
    assert "a rather long place name" not in wrapped and "rather" in wrapped  # wrapped, not cut
    narrow = table(columns, rows, width=24)
    assert "something" not in narrow and "extra left out to fit 24 columns" in narrow
    assert all(len(line) <= 24 for line in narrow.splitlines()[:-1])
