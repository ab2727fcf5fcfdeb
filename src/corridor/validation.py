"""Check a whole dataset and report every problem at once: tables, references, sea access, reachability."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from ._fs import check_regular_file
from .datasets import (
    COUNTRIES_FILE,
    LINKS_FILE,
    PARAMETERS_FILE,
    PLACES_FILE,
    check_dataset_dir,
    iter_csv_rows,
    load_dataset,
    read_text,
)
from .errors import DataError

ERROR, WARNING = "error", "warning"
# Problem kinds. Only `reachability` is left out when a write is judged: a new dry port has no
# route to it until its link is added, and refusing it would make that order impossible.
TABLE, PARAMETERS, FILES, NETWORK, REACHABILITY = "table", "parameters", "files", "network", "reachability"


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a dataset: what, where, and whether it is an error or a warning."""

    message: str
    kind: str
    severity: str = ERROR
    place_id: str = ""


@dataclass
class Report:
    """The outcome of validating a dataset: every problem, plus counts when it could be built.

    Errors concern what users edit (the curated tables, parameters, lanes); problems of World
    Port Index ports (a read-only table, thousands of harbours, some on lakes or rivers the
    lanes do not reach) are warnings: such a port is simply not routable by sea.
    """

    root: Path
    problems: list[Problem] = field(default_factory=list)
    places: int = 0
    routable: int = 0
    links: int = 0
    network: object = field(default=None, repr=False, compare=False)

    @property
    def errors(self) -> list[str]:
        return [p.message for p in self.problems if p.severity == ERROR]

    @property
    def warnings(self) -> list[str]:
        return [p.message for p in self.problems if p.severity == WARNING]

    @property
    def ok(self) -> bool:
        return not self.errors

    def blocking(self) -> list[Problem]:
        """Return the errors that forbid writing this dataset (all but reachability)."""
        return [p for p in self.problems if p.severity == ERROR and p.kind != REACHABILITY]

    def as_dict(self) -> dict:
        return {
            "dataset": str(self.root),
            "errors": self.errors,
            "warnings": self.warnings,
            "places": self.places,
            "routable": self.routable,
            "links": self.links,
        }


def _messages(exc: Exception) -> list[str]:
    return getattr(exc, "problems", None) or [str(exc)]


def validate_dataset(root: str | os.PathLike[str], *, params: str | os.PathLike[str] | None = None) -> Report:
    """Validate a dataset directory and return a Report listing every problem found.

    Checks the tables (schema, ranges, duplicate ids, links to unknown places or to places
    without their mode), the parameters (with a user's `params` file over them), the lane and
    land files, that every seaport joins the sea lanes without crossing land, and that a route
    reaches every operational place. Never raises for bad data; a missing directory raises.
    """
    from .costing import Parameters
    from .network import build_network
    from .sealanes import LandMask, read_lanes
    from .services import read_operations

    root = Path(root)
    check_dataset_dir(root)
    report = Report(root)
    found: list[Problem] = []
    try:
        dataset = load_dataset(root)
    except DataError as exc:
        dataset = None
        found += [Problem(m, TABLE) for m in _messages(exc)]
    for table, lost in ((COUNTRIES_FILE, "no country code is checked"), (LINKS_FILE, "the dataset has no links")):
        if not os.path.lexists(root / table):
            missing = f"{root / table} is missing: {lost} (corridor init makes a complete dataset)"
            found.append(Problem(missing, FILES, WARNING))
    if dataset is not None:
        found += [Problem(m, TABLE) for m in link_lengths(dataset) + unused_figures(dataset)]
    params_file = Path(params) if params else None
    try:
        if params_file is not None and not os.path.lexists(params_file):
            raise DataError(f"parameters file {params_file} does not exist")
        if params_file is not None:
            check_regular_file(params_file, "a parameters CSV table")
        parameters = Parameters.from_files(root / PARAMETERS_FILE, params_file)
    except DataError as exc:
        parameters = None
        found += [Problem(m, PARAMETERS) for m in _messages(exc)]

    try:
        operations = read_operations(root)
    except DataError as exc:
        operations = None
        found += [Problem(m, TABLE) for m in _messages(exc)]

    if dataset is not None and dataset.sources:
        found += [Problem(m, TABLE) for m in uncited_sources(root, dataset.sources)]
    if dataset is not None and parameters is not None:
        speeds, unbounded = implausible_speeds(dataset, parameters)
        found += [Problem(m, TABLE) for m in speeds]
        found += [Problem(m, PARAMETERS, WARNING) for m in unbounded]
    found += [Problem(m, FILES) for m in line_file_problems(root)]
    if dataset is None or parameters is None or operations is None:
        # The graph cannot be built; still check the lane and land files on their own.
        for check in (read_lanes, LandMask):
            try:
                check(root)
            except DataError as exc:
                found += [Problem(m, FILES) for m in _messages(exc)]
    else:
        try:
            network = build_network(dataset, parameters, operations)
        except DataError as exc:
            found += [Problem(m, FILES) for m in _messages(exc)]
        else:
            report.network = network
            report.places = len(network.places)
            report.routable = sum(1 for pid in network.places if network.routable(pid))
            report.links = len(network.links)
            found += [Problem(m, NETWORK) for m in network.problems]
            found += [Problem(m, NETWORK, WARNING) for m in network.warnings]
            found += reachability(network, lines=place_lines(root))
            found += [Problem(m, TABLE) for m in scenario_problems(network, root)]
    # One problem can surface twice (the parameters table is read by both loaders).
    report.problems = list({p.message: p for p in reversed(found)}.values())[::-1]
    return report


def scenario_problems(network, root: Path) -> list[str]:
    """Return what is wrong with the dataset's own scenarios (scenarios/*.toml): a file that does
    not read, or a change naming a place, link or passage the network lacks (a link removed
    since), found by applying each as `--scenario` would."""
    from .errors import CorridorError
    from .scenarios import _key_line, apply_scenario, load_scenario

    problems: list[str] = []
    for path in sorted((root / "scenarios").glob("*.toml")):
        try:
            scenario = load_scenario(str(path), str(root), known_sources=network.sources)
            apply_scenario(network, scenario)
        except CorridorError as exc:
            problems += _messages(exc)
            continue
        if scenario.name != path.stem:
            # --scenario NAME finds a file by its name, and notes and `scenario list` say the name inside.
            line = _key_line(path.read_text(encoding="utf-8"), "name") or 1
            problems.append(
                f"{path}:{line}: name {scenario.name!r} is not the file's name: `--scenario {path.stem}` reads it "
                f"and calls it {scenario.name}, and `--scenario {scenario.name}` does not; rename one or the other"
            )
    return problems


def line_file_problems(root: Path) -> list[str]:
    """Return what is wrong with the rail-track and river files links are drawn along.

    Routing does not read them (maps and GeoJSON do), so a broken one would otherwise only
    show when a map is drawn.
    """
    from .tracks import RULES, _read_lines, line_file

    problems = []
    for rules in RULES.values():
        path = line_file(root, rules.file)
        if path is None:
            continue
        try:
            _read_lines(path)
        except DataError as exc:
            problems += _messages(exc)
    return problems


# A cited document's id, as the tables write it inside a source cell ("S12b (about 44 h)", "SC14").
SOURCE_ID = re.compile(r"(?<![\w./-])(S\d+[a-z]?|SC\d+)\b(?![-.]\w)")  # as datasets.SOURCE_ID: not in a file name


def uncited_sources(root: Path, known) -> list[str]:
    """Return a problem for each source cell that cites an id sources.csv does not list.

    Every CSV table of the dataset is read (the World Port Index and UN/LOCODE tables aside),
    its columns whose name holds "source"; a figure must lead to the document it came from.
    """
    problems = []
    for path in sorted(root.rglob("*.csv")):
        if path.name in ("sources.csv", "wpi_ports.csv", "unlocode.csv") or path.name.startswith("."):
            continue
        try:
            rows = list(iter_csv_rows(read_text(path), path=str(path), required=()))
        except DataError:
            continue  # the table's own check reports it
        for line, row in rows:
            problems += [f"{path}:{line}: {problem}" for problem in uncited_cells(row, known, root)]
    return problems


def uncited_cells(row: dict[str, str], known, root: Path) -> list[str]:
    """Return a problem for each source cell of a row that cites an id sources.csv does not list."""
    problems = []
    for column, value in row.items():
        if not column or "source" not in column or not value:
            continue
        missing = sorted({m for m in SOURCE_ID.findall(value) if m not in known})
        if missing:
            problems.append(f"{column}: cites {', '.join(missing)}, which {root / 'sources.csv'} does not list")
    return problems


def unused_figure_problem(item) -> str | None:
    """Return the problem of a figure no route uses: a time back on a one-way link (a Link), or
    sea departures of a place that does not serve sea (a Place); else None."""
    if getattr(item, "one_way", False) and item.time_back_h is not None:
        return "time_back_h: is set on a one-way link, which has no way back: unset one or the other"
    if getattr(item, "sea_departures_per_week", None) is not None and "sea" not in item.modes:
        return "sea_departures_per_week: is set on a place that does not serve sea: unset it"
    return None


def unused_figures(dataset) -> list[str]:
    """Return a problem for each figure of the dataset that no route uses (`unused_figure_problem`)."""
    found = [
        (f"{dataset.root / PLACES_FILE}: {p.name} ({p.id})", unused_figure_problem(p)) for p in dataset.places.values()
    ]
    found += [(f"{dataset.root / LINKS_FILE}: link {link.id}", unused_figure_problem(link)) for link in dataset.links]
    return [f"{where}: {problem}" for where, problem in found if problem]


def link_lengths(dataset) -> list[str]:
    """Return a problem for each link whose stated distance is shorter than the great circle, or
    over five times its drawn length.

    A route cannot be shorter than the straight line between its ends: such a figure is a typo
    or a link between the wrong places, as is one of 14,060 km for 1,406.
    """
    where = f"{dataset.root / LINKS_FILE}: "
    found = (
        link_length_problem(link, dataset.places[link.from_id], dataset.places[link.to_id], where=where)
        for link in dataset.links
    )
    return [problem for problem in found if problem]


# A stated distance this many times the link's drawn length, and this much longer, is a typo (an
# extra digit) or a link between the wrong places: the bundled links stay under 6 times and 350 km.
# So is a drawing through via points that long against the great circle (the bundled: 2.2 times).
MAX_DETOUR_FACTOR = 5.0
MAX_DETOUR_KM = 100.0


def link_length_problem(link, start, end, *, where: str = "") -> str | None:
    """Return the problem of a link whose stated distance is shorter than the great circle, or
    implausibly longer than its drawn length (the great circle through its via points), or whose
    via points draw it implausibly longer than the great circle, else None."""
    from .costing import drawn_length_km
    from .geo import haversine_km

    straight = haversine_km(start.lon, start.lat, end.lon, end.lat)
    drawn = drawn_length_km(link, start, end)
    if drawn > straight * MAX_DETOUR_FACTOR and drawn > straight + MAX_DETOUR_KM:
        # A way drawn wide of its ends (a vertex in the wrong hemisphere, lon and lat swapped) is
        # what a link without a distance is measured along, and what the map shows.
        return (
            f"{where}link {link.id}: its via points draw {drawn:,.0f} km between {start.id} and {end.id}, over "
            f"{MAX_DETOUR_FACTOR:g} times the {straight:,.0f} km between them: check the points"
        )
    if link.distance_km is None:
        return None
    if link.distance_km < straight * 0.99:
        return (
            f"{where}link {link.id}: distance_km {link.distance_km:g} is shorter than "
            f"the {straight:.0f} km great-circle distance between {start.id} and {end.id}"
        )
    if link.distance_km > drawn * MAX_DETOUR_FACTOR and link.distance_km > drawn + MAX_DETOUR_KM:
        return (
            f"{where}link {link.id}: distance_km {link.distance_km:g} is over {MAX_DETOUR_FACTOR:g} times the "
            f"{drawn:.0f} km between {start.id} and {end.id}{' along its via points' if link.via else ''}: "
            "check the figure, or draw the way with via points"
        )
    return None


def link_speed_problems(link, start, end, parameters, *, where: str) -> list[str]:
    """Return a problem for each direction of `link` whose average speed is outside its mode's range.

    The speed is the link's distance (published, else measured) over its published time;
    `where` starts each message (a file, or nothing).
    """
    bounds = parameters.speed_range(link.mode)
    if bounds is None:
        return []
    low, high = bounds
    distance = parameters.link_distance_km(link, start, end)
    problems = []
    for column, hours in (("time_h", link.time_h), ("time_back_h", link.time_back_h)):
        if not hours:
            continue
        speed = distance / hours
        if not low <= speed <= high:
            problems.append(
                f"{where}link {link.id}: {column}: {distance:,.0f} km in {hours:g} h is {speed:,.1f} km/h, outside "
                f"the plausible {low:g}-{high:g} km/h for {link.mode} (min_speed_kmh and max_speed_kmh in "
                f"{PARAMETERS_FILE}): check the distance and the time"
            )
    return problems


def implausible_speeds(dataset, parameters) -> tuple[list[str], list[str]]:
    """Return (problems, warnings) about speeds: links outside their mode's plausible range, and
    modes with no range to check against (`Parameters` itself refuses a mode speed outside it)."""

    problems, warnings = [], []
    for mode in ("rail", "road", "river"):
        bounds = parameters.speed_range(mode)
        if bounds is None:
            warnings.append(
                f"{dataset.root / PARAMETERS_FILE}: no plausible speed range for {mode}: add min_speed_kmh and "
                f"max_speed_kmh rows for it (see the bundled dataset) so impossible links are caught"
            )
            continue
        low, high = bounds
        if low >= high:
            problems.append(
                f"{dataset.root / PARAMETERS_FILE}: min_speed_kmh {low:g} for {mode} is not below "
                f"max_speed_kmh {high:g}"
            )
    where = f"{dataset.root / LINKS_FILE}: "
    for link in dataset.links:
        problems += link_speed_problems(
            link, dataset.places[link.from_id], dataset.places[link.to_id], parameters, where=where
        )
    return problems, warnings


def place_lines(root: Path) -> dict[str, int]:
    """Return the line of each id in the places table, for messages (empty when unreadable)."""
    path = root / PLACES_FILE
    try:
        return {row["id"]: line for line, row in iter_csv_rows(read_text(path), path=str(path), required=("id",))}
    except DataError:
        return {}


def reachability(network, *, lines: dict[str, int] | None = None) -> list[Problem]:
    """Return a problem for each routable place cut off from the main part of the network.

    The main part is the largest set of places that can all reach one another. A place outside
    it either has no route to or from it at all, or is only entered or only left (a one-way
    link). Each place counts as one node here (its origin and destination joined), so routes
    may pass through it.
    """
    import networkx as nx

    from .graph import Kind

    core = network.core
    lines = lines or {}
    hubs = [pid for pid in network.places if network.routable(pid)]
    if len(hubs) < 2:
        return []
    kind, place_of = core.node_kind, core.node_place

    def hub(node: int) -> object:
        return core.place_ids[place_of[node]] if kind[node] in (Kind.ORIGIN, Kind.DESTINATION) else node

    view = nx.DiGraph()
    view.add_nodes_from(hubs)
    view.add_edges_from((hub(u), hub(v)) for u, v in zip(core.tail, core.head, strict=True))
    components = nx.strongly_connected_components(view)
    main = max(components, key=lambda c: sum(1 for n in c if isinstance(n, str)))
    size = sum(1 for n in main if isinstance(n, str))
    anchor = next(n for n in main if isinstance(n, str))
    reached, leaving = nx.descendants(view, anchor), nx.ancestors(view, anchor)
    problems = []
    for pid in hubs:
        if pid in main:
            continue
        place = network.places[pid]
        if pid in reached:
            why = "routes reach it but none leave it (a one-way link?)"
        elif pid in leaving:
            why = "routes leave it but none reach it (a one-way link?)"
        else:
            why = f"no route joins it to the other {size} places"
            if "sea" in place.modes and network.access.get(pid) and network.access[pid].nodes:
                why += " (its sea lanes do not join the rest)"
            else:
                why += " (add a link with `corridor links add`)"
        curated = place.origin == "curated"
        where = f"{network.root / PLACES_FILE}:{lines[pid]}: " if curated and pid in lines else ""
        problems.append(
            Problem(f"{where}{place.name} ({pid}): {why}", REACHABILITY, ERROR if curated else WARNING, place_id=pid)
        )
    return problems
