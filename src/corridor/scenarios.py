"""Scenarios: dated changes to the network (closures, delays, surcharges, frequencies) read from TOML.

A scenario file holds a name, a title, its dates and sources, and tables of changes:

    name = "red-sea-2024"
    title = "Red Sea crisis: ships avoid Bab-el-Mandeb and round the Cape"
    start = 2023-12-15
    end = 2024-12-31

    [[close]]                       # nothing passes
    passages = ["bab-el-mandeb"]
    source = "SC1: container transits down 67%"

    [[delay]]                       # extra waiting or transit time, with its spread
    modes = ["sea"]
    hours = 48
    spread_h = 48
    source = "estimate: ..."

    [[surcharge]]                   # extra charge per TEU
    passages = ["cape-of-good-hope"]
    usd_per_teu = 1000
    source = "SC4: ..."

    [[frequency]]                   # departures scaled (factor) or set (per_week, links only)
    links = ["rail-kunming-boten"]
    per_week = 2
    source = "..."

Each change names what it touches by `passages`, `places`, `links` or `modes` (any of them,
lists of ids or names), may carry its own `start` and `end`, and needs a `source`: an id from
data/sources.csv or a text starting with "estimate".

`apply_scenario` is the one place where a scenario meets the network: it returns a copy of the
network whose compiled weight arrays carry the changes (a closed edge weighs infinity on every
metric, so no search uses it), plus the per-edge spread of the delays. Route, compare, reach,
matrix, pareto and criticality all run on that copy unchanged. Where a change applies:

- a passage: closing it closes every lane through it; a delay or surcharge is paid once per
  passage, half on the lane edge that joins it and half on the one that leaves it, wherever a
  route joins it (so a voyage from or to a port inside it pays half);
- a place: closing it closes every edge at it; a delay or surcharge is paid on arriving there
  by a link or from the sea lanes (as border clearance and lock queues are);
- a link: every edge of the link, each way;
- a mode: closing it closes every edge of that mode and the transfers to and from it; a delay or
  surcharge is paid once per leg of that mode, on boarding it (as a wait for a departure is);
- a frequency: the wait for a departure is half its headway, so scaling departures by a factor
  divides the waits of that mode (or place, or link) by it.

The spread of delays adds up along a route (the worst case of the delays it meets together).
"""

from __future__ import annotations

import datetime as dt
import functools
import math
import os
import re
import sys
from array import array
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .datasets import MAX_DEPARTURES_PER_WEEK, MIN_DEPARTURES_PER_WEEK, cited_ids, dataset_dir, is_estimate
from .errors import CorridorError, DataError, UsageError
from .graph import MODE_CODE, ROLE_CODE, Kind, Role
from .registry import METRIC_NAMES, MODE_NAMES, graph_modes
from .sealanes import PASSAGES, passage_name

if TYPE_CHECKING:
    from .network import Network
    from .routing import Route

SCENARIOS_DIR = Path("scenarios")
KINDS = ("close", "delay", "surcharge", "frequency")
TARGETS = ("passages", "places", "links", "modes")
FIELDS = {
    "close": (),
    "delay": ("hours", "spread_h"),
    "surcharge": ("usd_per_teu",),
    "frequency": ("factor", "per_week"),
}
COMMON = ("source", "note", "start", "end", *TARGETS)
TOP_LEVEL = ("name", "title", "summary", "start", "end", "sources", *KINDS)
NAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")
MAX_SCENARIO_BYTES = 1024 * 1024
# The largest delay and surcharge a change may give: a year's wait, and a million dollars a TEU
# (a hundred times any crisis's rate). Beyond them totals run to hundreds of digits or overflow,
# and an overflowed route reads as closed.
MAX_DELAY_H = 24.0 * 365
MAX_SURCHARGE_USD_PER_TEU = 1e6
# A frequency change sets departures, or scales them by a factor, within a link's own bounds: a
# factor of 1e-9 made a wait of billions of days.
MAXIMUM = {
    "hours": MAX_DELAY_H, "spread_h": MAX_DELAY_H, "usd_per_teu": MAX_SURCHARGE_USD_PER_TEU,
    "factor": MAX_DEPARTURES_PER_WEEK, "per_week": MAX_DEPARTURES_PER_WEEK,
}  # fmt: skip
MINIMUM = {"factor": MIN_DEPARTURES_PER_WEEK, "per_week": MIN_DEPARTURES_PER_WEEK}
HOURS_PER_WEEK = 168.0


@dataclass(frozen=True)
class Change:
    """One dated change of a scenario: what it does, to what, by how much, and its source."""

    kind: str  # close, delay, surcharge or frequency
    passages: tuple[str, ...] = ()  # canonical passage names (bab-el-mandeb)
    places: tuple[str, ...] = ()  # as written: resolved against a network when applied
    links: tuple[str, ...] = ()
    modes: tuple[str, ...] = ()
    hours: float = 0.0
    spread_h: float = 0.0
    usd_per_teu: float = 0.0
    factor: float | None = None
    per_week: float | None = None
    start: dt.date | None = None
    end: dt.date | None = None
    source: str = ""
    note: str = ""
    line: int = 0  # where the change's table starts in its file

    def active(self, on: dt.date | None, start: dt.date | None = None, end: dt.date | None = None) -> bool:
        """Return True when the change is in force on a date (its own dates, else the scenario's)."""
        start, end = self.start or start, self.end or end
        return on is None or ((start is None or start <= on) and (end is None or on <= end))

    def describe(self, start: dt.date | None = None, end: dt.date | None = None) -> str:
        """Return e.g. 'delay 48 h (spread 48 h): modes sea'; with its dates where they differ
        from the scenario's (`start`, `end`), a date of its own filled in from the scenario's."""
        what = "; ".join(f"{t} {', '.join(getattr(self, t))}" for t in TARGETS if getattr(self, t))
        if self.kind == "delay":
            size = f" {self.hours:g} h" + (f" (spread {self.spread_h:g} h)" if self.spread_h else "")
        elif self.kind == "surcharge":
            size = f" ${self.usd_per_teu:,.0f} per TEU"
        elif self.kind == "frequency":
            size = f" x{self.factor:g}" if self.factor is not None else f" {self.per_week:g} per week"
        else:
            size = ""
        dates = ""
        if self.start or self.end:
            dates = f" [{self.start or start or '...'} to {self.end or end or '...'}]"
        return f"{self.kind}{size}: {what}{dates}"


@dataclass(frozen=True)
class Scenario:
    """A named set of dated changes, with the file it came from."""

    name: str
    title: str
    changes: tuple[Change, ...]
    summary: str = ""
    start: dt.date | None = None
    end: dt.date | None = None
    sources: tuple[str, ...] = ()
    path: Path | None = None

    def on(self, date: dt.date | str | None) -> Scenario:
        """Return the scenario with only the changes in force on a date (all of them for None):
        a date, a datetime's day or an ISO text (2024-03-01); UsageError for anything else."""
        day = _day(date)
        return replace(self, changes=tuple(c for c in self.changes if c.active(day, self.start, self.end)))


def _day(value: object) -> dt.date | None:
    """Return the day a date argument names: a datetime (a pandas Timestamp too) is compared by its
    day, as a date cannot be compared with a datetime; an ISO text is read."""
    if value is None or type(value) is dt.date:
        return value
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return dt.date(value.year, value.month, value.day)
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise UsageError(f"on must be a date (a datetime.date or YYYY-MM-DD), not {value!r}", "on")


# --------------------------------------------------------------------------- reading


def _toml():
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - Python 3.10
        import tomli as tomllib
    return tomllib


def _table_lines(text: str) -> dict[str, list[int]]:
    """Return the line numbers of each `[[kind]]` header, in order (TOML parsers give no positions)."""
    lines: dict[str, list[int]] = {}
    for number, line in enumerate(text.splitlines(), 1):
        match = re.match(r"\s*\[\[\s*([A-Za-z_-]+)\s*\]\]", line)
        if match:
            lines.setdefault(match.group(1), []).append(number)
    return lines


@functools.lru_cache(maxsize=1)
def _lines(text: str) -> tuple[str, ...]:
    """Return a file's lines, split once for all its problems: splitting it again for each made a
    file of 1 MB with a problem in each of its tables take minutes to report them."""
    return tuple(text.splitlines())


def _key_line(text: str, key: str, after: int = 0) -> int:
    """Return the line of the first `key =` at or after a line (0 when not found)."""
    pattern = re.compile(rf"\s*{re.escape(key)}\s*=")
    lines = _lines(text)
    for number in range(max(after, 1), len(lines) + 1):
        if pattern.match(lines[number - 1]):
            return number
    return after


def parse_scenario(text: str, *, path: str = "<scenario>", known_sources: Iterable[str] = ()) -> Scenario:
    """Parse and check a scenario's TOML text; raise DataError listing every problem as `path:line: ...`."""
    tomllib = _toml()
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        where = re.search(r"line (\d+)", str(exc))
        raise DataError(f"{path}:{where.group(1) if where else 1}: not valid TOML: {exc}") from None
    except RecursionError:  # the parser recurses once per level of [[[...]]]
        raise DataError(f"{path}:1: not valid TOML: arrays or tables nested too deeply") from None
    problems: list[str] = []
    known = set(known_sources)
    headers = _table_lines(text)

    def problem(line: int, message: str) -> None:  # a key that is missing has no line: the file's first
        problems.append(f"{path}:{line or 1}: {message}")

    for key in data:
        if key not in TOP_LEVEL:  # a key, or a [[table]] of a kind there is not
            at = _key_line(text, key) or (headers.get(key) or [0])[0] or 1
            problem(at, f"unknown key {key!r} (known: {', '.join(TOP_LEVEL)})")
    if not isinstance(data.get("summary", ""), str):
        problem(_key_line(text, "summary"), "summary must be text")
    name = data.get("name")
    if not isinstance(name, str) or not NAME_PATTERN.match(name):
        problem(_key_line(text, "name"), "name must be lower-case letters, digits and dashes (e.g. red-sea-2024)")
        name = "unnamed"
    title = data.get("title", "")
    if not isinstance(title, str) or not title.strip():
        problem(_key_line(text, "title"), "title must be a short text saying what the scenario is")
        title = ""
    start, end = (_date(data.get(k), k, lambda m, k=k: problem(_key_line(text, k), m)) for k in ("start", "end"))
    if start and end and end < start:
        problem(_key_line(text, "end"), f"end {end} is before start {start}")
    sources = data.get("sources", [])
    if not isinstance(sources, list) or not all(isinstance(s, str) for s in sources):
        problem(_key_line(text, "sources"), "sources must be a list of source ids")
        sources = []
    for source in sources:
        if known and source not in known:
            problem(_key_line(text, "sources"), f"source {source!r} is not in sources.csv")
    changes: list[Change] = []
    for kind in KINDS:
        tables = data.get(kind, [])
        if not isinstance(tables, list):
            problem(_key_line(text, kind), f"{kind} must be written as [[{kind}]] tables")
            continue
        for index, table in enumerate(tables):
            line = headers.get(kind, [])[index] if index < len(headers.get(kind, [])) else _key_line(text, kind)
            change = _change(kind, index + 1, table, line, text, known, problem)
            if change is not None:
                changes.append(change)
    if not changes and not problems:
        problem(1, "the scenario changes nothing: add [[close]], [[delay]], [[surcharge]] or [[frequency]] tables")
    if problems:
        raise DataError(f"{path} is not a valid scenario", problems)
    return Scenario(
        name=name, title=title.strip(), changes=tuple(changes), summary=str(data.get("summary", "")).strip(),
        start=start, end=end, sources=tuple(sources), path=Path(path),
    )  # fmt: skip


def _date(value: Any, key: str, problem) -> dt.date | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    problem(f"{key} must be a date written as 2024-01-31 (no quotes)")
    return None


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        return None
    return float(value)


def _change(kind: str, number: int, table: Any, line: int, text: str, known: set[str], problem) -> Change | None:
    label = f"{kind} {number}"
    if not isinstance(table, dict):
        problem(line, f"{label}: must be a table")
        return None
    ok = True
    allowed = (*COMMON, *FIELDS[kind])
    for key in table:
        if key not in allowed:
            problem(_key_line(text, key, line), f"{label}: unknown key {key!r} (known: {', '.join(allowed)})")
            ok = False
    targets: dict[str, tuple[str, ...]] = {}
    for key in TARGETS:
        value = table.get(key, [])
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
            problem(_key_line(text, key, line), f"{label}: {key} must be a list of names")
            ok = False
            continue
        targets[key] = tuple(v.strip() for v in value)
    if not any(targets.values()) and ok:
        problem(line, f"{label}: name what it changes with passages, places, links or modes")
        ok = False
    passages = []
    for text_name in targets.get("passages", ()):
        canonical = passage_name(text_name)
        if canonical is None:
            problem(
                _key_line(text, "passages", line),
                f"{label}: {text_name!r} is not a sea passage ({', '.join(PASSAGES)})",
            )
            ok = False
        else:
            passages.append(canonical)
    modes = tuple(m.lower() for m in targets.get("modes", ()))
    for mode in modes:
        if mode not in MODE_NAMES:
            problem(_key_line(text, "modes", line), f"{label}: {mode!r} is not a mode ({', '.join(MODE_NAMES)})")
            ok = False
    values: dict[str, float | None] = {}
    for key in FIELDS[kind]:
        if key in table:
            values[key] = _number(table[key])
            if values[key] is None or values[key] < 0:  # type: ignore[operator]
                problem(_key_line(text, key, line), f"{label}: {key} must be a number of at least 0")
                ok = False
            elif values[key] > MAXIMUM.get(key, math.inf):  # type: ignore[operator]
                problem(_key_line(text, key, line), f"{label}: {key} must be at most {MAXIMUM[key]:,.0f}")
                ok = False
            elif 0 < values[key] < MINIMUM.get(key, 0.0):  # type: ignore[operator]
                problem(_key_line(text, key, line), f"{label}: {key} must be at least {MINIMUM[key]:g} (or close it)")
                ok = False
    if kind == "delay" and "hours" not in table:
        problem(line, f"{label}: give the extra time as hours = N")
        ok = False
    if kind == "surcharge" and "usd_per_teu" not in table:
        problem(line, f"{label}: give the charge as usd_per_teu = N")
        ok = False
    if kind == "frequency":
        if targets.get("passages"):  # a strait has no departures of its own: the ships through it do
            problem(_key_line(text, "passages", line), f"{label}: a passage has no departures of its own: "
                    "scale the modes, places or links that sail through it")  # fmt: skip
            ok = False
        elif ("factor" in table) == ("per_week" in table):
            problem(line, f"{label}: give either factor = N (departures scaled) or per_week = N (links only)")
            ok = False
        elif "per_week" in table and (targets.get("passages") or targets.get("places") or targets.get("modes")):
            problem(line, f"{label}: per_week sets a link's departures; for modes and places give a factor")
            ok = False
        elif not (values.get("factor") or values.get("per_week")):
            problem(line, f"{label}: departures cannot drop to zero: close it instead")
            ok = False
    source = table.get("source", "")
    if not isinstance(source, str) or not source.strip():
        problem(line, f"{label}: every change needs a source (an id from sources.csv, or 'estimate: ...')")
        ok = False
    elif not is_estimate(source) and known and not cited_ids(source, known):
        problem(_key_line(text, "source", line), f"{label}: source {source!r} cites no id of sources.csv")
        ok = False
    dates = [
        _date(table.get(k), k, lambda m, k=k: problem(_key_line(text, k, line), f"{label}: {m}"))
        for k in ("start", "end")
    ]
    if dates[0] and dates[1] and dates[1] < dates[0]:
        problem(_key_line(text, "end", line), f"{label}: end {dates[1]} is before start {dates[0]}")
        ok = False
    if not isinstance(table.get("note", ""), str):
        problem(_key_line(text, "note", line), f"{label}: note must be text")
        ok = False
    if not ok:
        return None
    return Change(
        kind=kind, passages=tuple(passages), places=targets.get("places", ()), links=targets.get("links", ()),
        modes=modes, hours=values.get("hours") or 0.0, spread_h=values.get("spread_h") or 0.0,
        usd_per_teu=values.get("usd_per_teu") or 0.0, factor=values.get("factor"), per_week=values.get("per_week"),
        start=dates[0], end=dates[1], source=str(source).strip(), note=str(table.get("note", "")).strip(), line=line,
    )  # fmt: skip


def scenario_dirs(data: str | None = None) -> list[Path]:
    """Return where named scenarios are looked up: the dataset's scenarios/, then the bundled ones."""
    from .datasets import bundled_data_dir

    dirs = [dataset_dir(data) / SCENARIOS_DIR, bundled_data_dir() / SCENARIOS_DIR]
    return list(dict.fromkeys(d for d in dirs))


def list_scenarios(data: str | None = None) -> list[Path]:
    """Return the scenario files found by name (a dataset's own hide bundled ones of the same name)."""
    found: dict[str, Path] = {}
    for folder in scenario_dirs(data):
        if folder.is_dir():
            for path in sorted(folder.glob("*.toml")):
                found.setdefault(path.stem, path)
    return [found[name] for name in sorted(found)]


def scenario_path(name_or_file: str | os.PathLike[str], data: str | None = None) -> Path:
    """Return the file of a scenario given by name (red-sea-2024) or path (a Path too); UsageError
    if there is none."""
    if isinstance(name_or_file, os.PathLike):
        name_or_file = os.fspath(name_or_file)
    if not isinstance(name_or_file, str):
        raise UsageError(f"scenario must be a scenario's name or its .toml file, not {name_or_file!r}", "scenario")
    text = name_or_file.strip()
    if not text:  # Path("") is the current directory
        raise UsageError("scenario is empty: give a scenario's name (see corridor scenario list) or its .toml file",
                         "scenario")  # fmt: skip
    if NAME_PATTERN.match(text):
        for folder in scenario_dirs(data):
            candidate = folder / f"{text}.toml"
            if candidate.is_file():
                return candidate
    path = Path(text)
    if path.suffix.lower() == ".toml" or "/" in text or path.exists():
        if not path.exists():
            raise UsageError(f"scenario file {text} does not exist", "scenario")
        return path
    names = ", ".join(p.stem for p in list_scenarios(data)) or "none"
    raise UsageError(f"scenario {text!r} is neither a bundled scenario ({names}) nor a .toml file", "scenario")


def load_scenario(
    name_or_file: str | os.PathLike[str], data: str | None = None, *, known_sources: Iterable[str] = ()
) -> Scenario:
    """Read and check a scenario by name or path."""
    from ._fs import read_regular

    path = scenario_path(name_or_file, data)
    try:
        raw = read_regular(path, "a scenario TOML file", limit=MAX_SCENARIO_BYTES)
    except OSError as exc:
        raise DataError(f"cannot read the scenario {path}: {exc.strerror or exc}") from None
    try:
        text = raw.decode("utf-8").removeprefix("\ufeff")  # the byte-order mark Notepad writes: not TOML
    except UnicodeDecodeError:
        raise DataError(f"{path}:1: the scenario is not UTF-8 text") from None
    return parse_scenario(text, path=str(path), known_sources=known_sources)


# --------------------------------------------------------------------------- advisories


@dataclass(frozen=True)
class Advisory:
    """A dated scenario in force on a day whose changes meet a route the base network found."""

    scenario: Scenario
    met: tuple[str, ...]  # e.g. "closes hormuz", "delays link road-maesot-yangon"

    def text(self) -> str:
        s = self.scenario
        since = f"since {s.start}" + (f" until {s.end}" if s.end else ", no end date known")
        return (
            f"scenario {s.name} ({s.title}), in force {since}, {'; '.join(self.met)} on this route: "
            f"`corridor scenario show {s.name}` gives its sources, --scenario {s.name} routes with it"
        )

    def as_dict(self) -> dict:
        """The advisory as a route's `scenarios_in_force` lists it in JSON."""
        s = self.scenario
        return {
            "scenario": s.name,
            "title": s.title,
            "since": s.start.isoformat() if s.start else None,
            "until": s.end.isoformat() if s.end else None,
            "meets": list(self.met),
        }


VERBS = {"close": "closes", "delay": "delays", "surcharge": "adds a surcharge at"}


def dated_scenarios(network: Network, data: str | None = None) -> list[Scenario]:
    """Return a dataset's scenarios that have a start date (events, not what-ifs); one that cannot
    be read is left out (`corridor scenario list` reports it)."""
    out = []
    for path in list_scenarios(data):
        try:
            scenario = load_scenario(str(path), data, known_sources=network.sources)
        except CorridorError:
            continue
        if scenario.start is not None:
            out.append(scenario)
    return out


def advisories(
    network: Network,
    routes: Iterable[Route],
    *,
    on: dt.date,
    data: str | None = None,
    scenarios: Iterable[Scenario] | None = None,
) -> list[Advisory]:
    """Return the dated scenarios in force on a day whose closures, delays or surcharges meet any
    of the routes: what a planner should know before trusting an answer the base network gave.
    `scenarios` are those to look at (`dated_scenarios` of `data` if not given)."""
    legs = [leg for route in routes for leg in route.legs]
    places = {p for leg in legs for p in (leg.from_id, leg.to_id, *leg.via)}
    links = {link for leg in legs for link in leg.links}
    passages = {p for leg in legs for p in leg.passages}
    modes = {leg.mode for leg in legs}
    out = []
    for scenario in dated_scenarios(network, data) if scenarios is None else scenarios:
        met: list[str] = []
        for change in scenario.on(on).changes:
            verb = VERBS.get(change.kind)
            if verb is None:
                continue
            hit = [f"{verb} {p}" for p in change.passages if p in passages]
            hit += [f"{verb} link {lid}" for lid in change.links if lid in links]
            hit += [f"{verb} {m}" for m in change.modes if graph_modes([m]) & modes]
            for text in change.places:
                try:
                    target = network.gazetteer.resolve(text)
                except CorridorError:
                    continue
                hit += [f"{verb} {network.places[p].name} ({p})" for p in target.place_ids if p in places]
            met += [h for h in hit if h not in met]
        if met:
            out.append(Advisory(scenario, tuple(met)))
    return out


def advisor(
    network: Network, *, on: dt.date, data: str | None = None, scenarios: Iterable[Scenario] | None = None
) -> Callable[[Route], list[dict]]:
    """Return what a route's JSON says under `scenarios_in_force`: the advisories of that route
    alone (each alternative meets its own), the dataset's dated scenarios read once."""
    events = dated_scenarios(network, data) if scenarios is None else list(scenarios)
    return lambda route: [a.as_dict() for a in advisories(network, [route], on=on, scenarios=events)]


# --------------------------------------------------------------------------- applying


@dataclass
class Disruption:
    """A scenario applied to a network: the changed network, and what changed."""

    scenario: Scenario
    network: Network  # the same places and edges; changed weights
    base: Network
    spread_h: array = field(repr=False)  # per edge: the spread of the delays on it (kept out of the repr)
    closed_edges: int = 0
    closed_places: frozenset[str] = frozenset()
    notes: list[str] = field(default_factory=list)

    def route_spread_h(self, route: Route) -> float:
        """Return the spread of a route's time: the sum of the spreads of the delays it meets."""
        return sum(self.spread_h[e] for e in route.edges)

    def check_open(self, place_ids: Iterable[str], what: str) -> None:
        """Raise NoRouteError when every one of the places is closed by the scenario."""
        from .errors import NoRouteError

        ids = list(place_ids)
        if ids and all(p in self.closed_places for p in ids):
            raise NoRouteError(f"the {what} {', '.join(ids)} is closed in scenario {self.scenario.name}")


def _crossings(core, code: int) -> dict[int, float]:
    """Return the lane edges that cross into or out of a passage, each with half its charge.

    A passage's lanes may meet others part way along (the Cape's do), so the first edge of the
    passage is not the only way in: a route could join it further on and pay nothing. Every lane
    edge from outside the passage onto one of its nodes pays half, and every one from its nodes
    back out the other half: a voyage through it pays once whichever way it joins, and one that
    starts or ends at a port inside it pays half.
    """
    from .graph import ROLE_CODE, Role

    lane = ROLE_CODE[Role.LANE]
    passage, tail, head, role = core.passage, core.tail, core.head, core.role
    inside = {n for e in range(core.n_edges) if passage[e] == code and role[e] == lane for n in (tail[e], head[e])}
    out: dict[int, float] = {}
    for e in range(core.n_edges):
        if role[e] == lane and passage[e] != code and (tail[e] in inside) != (head[e] in inside):
            out[e] = 0.5
    return out


def apply_scenario(network: Network, scenario: Scenario, *, on: dt.date | str | None = None) -> Disruption:
    """Return the network with a scenario's changes (those in force `on` a date, or all) in its weights.

    Raises DataError listing every place, link or passage the network does not have, as
    `file:line: ...`.
    """
    from .graph import MODE_CODES
    from .query import check_network

    check_network(network)
    if not isinstance(scenario, Scenario):
        raise UsageError(f"scenario must be a Scenario (load_scenario(name)), not {scenario!r}", "scenario")
    active = scenario.on(on)
    core = network.core
    m = core.n_edges
    time_h = array("d", core.weights["time_h"])
    cost = array("d", core.weights["cost_usd"])
    spread = array("d", bytes(8 * m))
    closed = bytearray(m)
    problems: list[str] = []
    notes: list[str] = []
    closed_places: set[str] = set()
    where = str(scenario.path or scenario.name)
    link_code = {lid: i for i, lid in enumerate(core.link_ids)}
    role_code = {r: ROLE_CODE[r] for r in Role}
    arrive_roles = {role_code[Role.LINK], role_code[Role.ACCESS]}
    board_roles = {role_code[Role.BOARD], role_code[Role.TRANSFER]}

    def place_ids(change: Change) -> list[str]:
        out: list[str] = []
        for text in change.places:
            try:
                target = network.gazetteer.resolve(text)
            except Exception as exc:  # PlaceError: says which names come close
                problems.append(f"{where}:{change.line}: {change.kind}: place {text!r}: {exc}")
                continue
            out += [p for p in target.place_ids if core.in_graph(p)]
        return out

    def links(change: Change) -> list[int]:
        out = []
        for lid in change.links:
            if lid not in link_code:
                problems.append(f"{where}:{change.line}: {change.kind}: no link {lid!r} in the network")
            else:
                out.append(link_code[lid])
        return out

    def passage_codes(change: Change) -> list[int]:
        out = []
        for name in change.passages:
            tag = PASSAGES[name]
            if tag not in core.passages:
                problems.append(f"{where}:{change.line}: {change.kind}: the lanes have no passage {name!r}")
            else:
                out.append(core.passages.index(tag))
        return out

    def through_links(change: Change) -> list[int]:
        """The sea services' links through a change's passages (each goes through once)."""
        codes = {c for name in change.passages for c in core.passage_codes(PASSAGES[name])}
        codes -= {core.passages.index(PASSAGES[name]) for name in change.passages if PASSAGES[name] in core.passages}
        return [e for code in codes for e in edges_by("passage").get(code, ())]

    def place_node_set(pids: Iterable[str]) -> set[int]:
        return {n for pid in pids for n in core.place_nodes(pid)}

    # Each change looks its edges up in these, built once: a scan of every edge per change made a
    # scenario of a few thousand changes take minutes.
    @functools.cache
    def edges_by(array_name: str) -> dict[int, list[int]]:
        """The edges of each value of one of the graph's edge arrays (passage, link)."""
        out: dict[int, list[int]] = {}
        for e, value in enumerate(getattr(core, array_name)):
            out.setdefault(value, []).append(e)
        return out

    @functools.cache
    def mode_edges(mc: int, closing: bool) -> list[int]:
        if closing:
            return [
                e for e in range(m)
                if core.mode[e] == mc or core.node_mode[core.tail[e]] == mc or core.node_mode[core.head[e]] == mc
            ]  # fmt: skip
        return [e for e in range(m) if core.role[e] in board_roles and core.node_mode[core.head[e]] == mc]

    @functools.cache
    def crossings(code: int) -> dict[int, float]:
        return _crossings(core, code)  # a passage's delay and its surcharge cross the same edges

    def selected(change: Change, *, closing: bool) -> dict[int, float]:
        """Return the edges a change applies to, each with the share of it it takes (see the
        module's docstring)."""
        shares: dict[int, float] = {}
        for code in passage_codes(change):
            if closing:
                shares.update((e, 1.0) for e in edges_by("passage").get(code, ()))
            else:
                for e, share in crossings(code).items():
                    shares[e] = shares.get(e, 0.0) + share
        edges: list[int] = through_links(change)
        pids = place_ids(change)
        if pids:
            nodes = place_node_set(pids)
            if closing:
                closed_places.update(pids)
                edges += [e for n in nodes for e in (*core.out_edges(n), *core.in_edges(n))]
            else:
                arrivals = [n for n in nodes if core.node_kind[n] == Kind.ARRIVE]
                edges += [e for n in arrivals for e in core.in_edges(n) if core.role[e] in arrive_roles]
        for code in links(change):
            edges += edges_by("link").get(code, [])
        for mode in sorted(graph_modes(change.modes)):  # `sea` is mainline ships and feeders, as in --modes
            edges += mode_edges(MODE_CODE[mode], closing)
        shares.update((e, 1.0) for e in edges if e not in shares)
        return shares

    params = network.parameters
    for change in active.changes:
        if change.kind == "close":
            for e in selected(change, closing=True):
                closed[e] = 1
        elif change.kind == "delay":
            for e, share in selected(change, closing=False).items():
                time_h[e] += change.hours * share
                spread[e] += change.spread_h * share
        elif change.kind == "surcharge":
            for e, share in selected(change, closing=False).items():
                cost[e] += change.usd_per_teu * share
        else:
            _frequency(network, change, time_h, problems, where, link_code, place_ids, params, MODE_CODES)
    if problems:
        raise DataError(f"{where}: the scenario names what the network does not have", problems)
    weights = {}
    for name in METRIC_NAMES:
        source = {"time_h": time_h, "cost_usd": cost}.get(name, core.weights[name])
        values = array("d", source)
        for e in range(m):
            if closed[e]:
                values[e] = math.inf
        weights[name] = values
    import copy

    changed = copy.copy(network)
    changed.core = replace(core, weights=weights)
    changed.__dict__.pop("graph", None)  # the networkx view is built from the weights
    changed.scenario_name = scenario.name  # a route it blocks is blamed on it (routing._diagnose)
    return Disruption(
        scenario=active, network=changed, base=network, spread_h=spread, closed_edges=sum(closed),
        closed_places=frozenset(closed_places), notes=notes,
    )  # fmt: skip


def _frequency(network, change, time_h, problems, where, link_code, place_ids, params, mode_codes) -> None:
    """Scale or set departures: the wait for one is half the headway (as the network charges it).

    Boarding a mode at a place waits `network.waits[(place, mode)]`, and a link adds what its
    own service's wait exceeds that by; departures scaled by a factor scale both waits by its
    inverse, and a link's own frequency set anew changes its wait to half the new headway.
    """
    core = network.core
    m = core.n_edges
    board_roles = {ROLE_CODE[Role.BOARD], ROLE_CODE[Role.TRANSFER]}
    link_role = ROLE_CODE[Role.LINK]
    waits = network.waits

    def extra_wait(link, wait: float, e: int) -> float:
        departure = core.place_ids[core.node_place[core.tail[e]]]
        return max(0.0, wait - waits.get((departure, link.mode), 0.0))

    if change.per_week is not None:  # links only: replace the link's own frequency
        for lid in change.links:
            if lid not in link_code or lid not in network.links:
                problems.append(f"{where}:{change.line}: frequency: no link {lid!r} in the network")
                continue
            link = network.links[lid]
            old_wait = params.link_wait_h(link)
            new_wait = params.service_wait_h(link.mode, change.per_week)
            code = link_code[lid]
            for e in range(m):
                if core.link[e] == code:
                    time_h[e] += extra_wait(link, new_wait, e) - extra_wait(link, old_wait, e)
        return
    assert change.factor is not None
    scale = 1.0 / change.factor - 1.0
    modes = {MODE_CODE[mode] for mode in graph_modes(change.modes)}
    place_index = {core.place_index(p) for p in place_ids(change)}
    access_role, sea, arrivals = ROLE_CODE[Role.ACCESS], MODE_CODE["sea"], network.arrival_waits
    for e in range(m):
        role = core.role[e]
        if role in board_roles:
            depart = core.head[e]
            mc = core.node_mode[depart]
            index = core.node_place[depart]
            if mc in modes or index in place_index:
                time_h[e] += waits.get((core.place_ids[index], mode_codes[mc]), 0.0) * scale
        elif role == link_role and core.link[e] >= 0:
            lid = core.link_ids[core.link[e]]
            link = network.links.get(lid) or network.sea_links.get(lid)
            if link is not None and (MODE_CODE[link.mode] in modes or lid in change.links):
                time_h[e] += extra_wait(link, params.link_wait_h(link), e) * scale
        elif role == access_role and (index := core.node_place[core.head[e]]) >= 0:
            # A mainline voyage's arrival waits for a ship that calls there beyond the busiest
            # ports' wait (`network.mainline_arrival_waits`): all ports' departures scaled scale
            # that excess, one port's scale its whole wait (never below none).
            pid = core.place_ids[index]
            excess = arrivals.get(pid, 0.0)
            if sea in modes:
                time_h[e] += excess * scale
            elif index in place_index:
                time_h[e] += max(-excess, waits.get((pid, "sea"), 0.0) * scale)
    for lid in change.links:  # a factor on a link: its own frequency scaled
        if lid not in link_code or lid not in network.links:
            problems.append(f"{where}:{change.line}: frequency: no link {lid!r} in the network")


def describe(scenario: Scenario) -> Iterator[str]:
    """Yield the lines `corridor scenario show` prints."""
    dates = f"{scenario.start or '...'} to {scenario.end or '...'}"
    yield f"{scenario.name}: {scenario.title}"
    yield f"  dates    {dates}"
    if scenario.summary:
        yield f"  summary  {scenario.summary}"
    if scenario.sources:
        yield f"  sources  {', '.join(scenario.sources)}"
    for change in scenario.changes:
        yield f"  - {change.describe(scenario.start, scenario.end)}"
        yield f"      source: {change.source}"
        if change.note:
            yield f"      note: {change.note}"


def as_dict(scenario: Scenario) -> dict:
    """Return a scenario as JSON-ready data."""

    def date(value: dt.date | None) -> str | None:
        return value.isoformat() if value else None

    return {
        "name": scenario.name,
        "title": scenario.title,
        "summary": scenario.summary,
        "start": date(scenario.start),
        "end": date(scenario.end),
        "sources": list(scenario.sources),
        "file": str(scenario.path) if scenario.path else None,
        "changes": [
            {
                "kind": c.kind,
                **{t: list(getattr(c, t)) for t in TARGETS},
                "hours": c.hours,
                "spread_h": c.spread_h,
                "usd_per_teu": c.usd_per_teu,
                "factor": c.factor,
                "per_week": c.per_week,
                "start": date(c.start),
                "end": date(c.end),
                "source": c.source,
                "note": c.note,
            }
            for c in scenario.changes
        ],
    }


def compare_scenario(
    network: Network, origin: str, destination: str, disruption: Disruption, *, by: str = "cost", **query: Any
) -> tuple[Route | None, Route | None]:
    """Return the best route without and with a scenario (None where there is none)."""
    from . import routing
    from .errors import NoRouteError

    out: list[Route | None] = []
    for net in (network, disruption.network):
        try:
            out.append(routing.find_routes(net, origin, destination, by=by, **query)[0])
        except NoRouteError:
            out.append(None)
    return out[0], out[1]


__all__ = [
    "Change", "Disruption", "Scenario", "apply_scenario", "as_dict", "compare_scenario", "describe",
    "list_scenarios", "load_scenario", "parse_scenario", "scenario_path",
]  # fmt: skip
