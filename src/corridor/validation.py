"""Check a whole dataset and report every problem at once: tables, references, sea access, reachability."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from .datasets import PARAMETERS_FILE, PLACES_FILE, iter_csv_rows, load_dataset, read_text
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


def _messages(exc: DataError) -> list[str]:
    return exc.problems or [str(exc)]


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

    root = Path(root)
    if not root.is_dir():
        raise DataError(f"dataset directory {root} does not exist (create one with `corridor init {root}`)")
    report = Report(root)
    found: list[Problem] = []
    try:
        dataset = load_dataset(root)
    except DataError as exc:
        dataset = None
        found += [Problem(m, TABLE) for m in _messages(exc)]
    if dataset is not None:
        found += [Problem(m, TABLE) for m in short_links(dataset)]
    params_file = Path(params) if params else None
    try:
        if params_file is not None and not params_file.is_file():
            raise DataError(f"parameters file {params_file} does not exist")
        parameters = Parameters.from_files(root / PARAMETERS_FILE, params_file)
    except DataError as exc:
        parameters = None
        found += [Problem(m, PARAMETERS) for m in _messages(exc)]

    if dataset is None or parameters is None:
        # The graph cannot be built; still check the lane and land files on their own.
        for check in (read_lanes, LandMask):
            try:
                check(root)
            except DataError as exc:
                found += [Problem(m, FILES) for m in _messages(exc)]
    else:
        try:
            network = build_network(dataset, parameters)
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
    # One problem can surface twice (the parameters table is read by both loaders).
    report.problems = list({p.message: p for p in reversed(found)}.values())[::-1]
    return report


def short_links(dataset) -> list[str]:
    """Return a problem for each link whose stated distance is shorter than the great circle.

    A route cannot be shorter than the straight line between its ends: such a figure is a typo
    or a link between the wrong places.
    """
    from .datasets import LINKS_FILE
    from .geo import haversine_km

    problems = []
    for link in dataset.links:
        if link.distance_km is None:
            continue
        a, b = dataset.places[link.from_id], dataset.places[link.to_id]
        straight = haversine_km(a.lon, a.lat, b.lon, b.lat)
        if link.distance_km < straight * 0.99:
            problems.append(
                f"{dataset.root / LINKS_FILE}: link {link.id}: distance_km {link.distance_km:g} is shorter than "
                f"the {straight:.0f} km great-circle distance between {a.id} and {b.id}"
            )
    return problems


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
