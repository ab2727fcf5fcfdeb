"""Build the multimodal graph from a dataset, and cache it on disk keyed by its data."""

from __future__ import annotations

import gc
import hashlib
import logging
import os
import pickle
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import networkx as nx

from . import __version__
from .costing import Metrics, Parameters
from .datasets import PARAMETERS_FILE, Dataset, Link, Place, data_files, dataset_dir, load_dataset
from .errors import DataError
from .gazetteer import Gazetteer, Target
from .sealanes import Access, LandMask, attach_ports, join_near_misses, read_lanes
from .tracks import RULES, Trace, line_file, trace_links

log = logging.getLogger(__name__)

CACHE_FORMAT = 1

# Edge roles. A route starts on an `enter` edge (or `area_out`) and ends on `exit` (or `area_in`);
# at a place it either stays on its mode (`through`) or changes mode (`transfer`).
ENTER, EXIT, THROUGH, TRANSFER, LINK, LANE, ACCESS, AREA_OUT, AREA_IN = (
    "enter", "exit", "through", "transfer", "link", "lane", "access", "area_out", "area_in",
)  # fmt: skip
ARRIVE, DEPART = "in", "out"


def mode_node(place_id: str, mode: str, side: str) -> tuple[str, str, str]:
    """Return the node where a mode arrives at (`in`) or departs from (`out`) a place.

    Splitting arrivals from departures means a route cannot board a mode and leave it at the
    same place without travelling on it.
    """
    return (place_id, mode, side)


def area_node(area: str) -> tuple[str, str]:
    """Return the node standing for every place of an area."""
    return ("area", area)


def node_place(node: object) -> str | None:
    """Return the place id of a hub or mode node, None for lane and area nodes."""
    if isinstance(node, str):
        return node
    if isinstance(node, tuple) and node[0] != "area":
        return node[0]
    return None


@dataclass
class Network:
    """The built graph with the places, links and lanes it came from."""

    graph: nx.MultiDiGraph
    places: dict[str, Place]
    links: dict[str, Link]
    parameters: Parameters
    lane_coords: list[tuple[float, float]]
    access: dict[str, Access]
    root: Path
    sources: dict = field(default_factory=dict)
    countries: dict[str, str] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    traces: dict[str, Trace] = field(default_factory=dict)  # link id -> how it is drawn
    fingerprint: str = ""
    _gazetteer: Gazetteer | None = field(default=None, repr=False)

    @property
    def gazetteer(self) -> Gazetteer:
        if self._gazetteer is None:
            self._gazetteer = Gazetteer(self.places, root=self.root)
        return self._gazetteer

    def routable(self, place_id: str) -> bool:
        """Return True when the place is in the graph (operational, with at least one mode)."""
        return place_id in self.graph

    def resolve(self, text: str) -> Target:
        """Resolve a place name, id, alias or area to something routable."""
        return self.gazetteer.resolve(text, usable=(p for p in self.places if p in self.graph))

    def target_node(self, target: Target) -> object:
        return area_node(target.area) if target.is_area else target.place_ids[0]

    def coords(self, node: object) -> tuple[float, float]:
        """Return (lon, lat) of any node."""
        if isinstance(node, int):
            return self.lane_coords[node]
        pid = node_place(node)
        if pid is not None:
            place = self.places[pid]
            return (place.lon, place.lat)
        members = [p for p in self.places.values() if p.area == node[1]]
        return (members[0].lon, members[0].lat)


def _add(graph: nx.MultiDiGraph, u: object, v: object, role: str, mode: str, metrics: Metrics, **extra) -> None:
    graph.add_edge(
        u,
        v,
        role=role,
        mode=mode,
        distance_km=metrics.distance_km,
        time_h=metrics.time_h,
        cost_usd=metrics.cost_usd,
        co2_kg=metrics.co2_kg,
        **extra,
    )


def build_network(dataset: Dataset, parameters: Parameters) -> Network:
    """Build the multimodal graph: places by mode, transfers, links, sea lanes and access."""
    graph = nx.MultiDiGraph()
    problems: list[str] = []
    warnings: list[str] = []
    places = dataset.places
    operational = {pid: p for pid, p in places.items() if p.operational}

    lanes = read_lanes(dataset.root)
    land = LandMask(dataset.root, lazy=True)  # read only if a port is not in the precomputed access table
    join_near_misses(lanes, land)
    seaports = [p for p in operational.values() if "sea" in p.modes]
    access = attach_ports(seaports, lanes, land) if seaports else {}  # may split lane segments: before the lanes
    for u, v, distance, passage in lanes.edges:
        metrics = parameters.sea(distance)
        _add(graph, u, v, LANE, "sea", metrics, passage=passage)
        _add(graph, v, u, LANE, "sea", metrics, passage=passage)

    for pid, joined in access.items():
        if joined.problem:
            # A curated seaport must join the lanes; a world port that cannot is only unroutable by sea.
            report = problems if places[pid].origin == "curated" else warnings
            report.append(f"{places[pid].name} ({pid}) cannot reach the sea lanes: {joined.problem}")

    for place in operational.values():
        modes = [m for m in place.modes if m != "sea" or access.get(place.id, Access(place.id, ())).nodes]
        for mode in modes:
            arrive, depart = mode_node(place.id, mode, ARRIVE), mode_node(place.id, mode, DEPART)
            _add(graph, place.id, depart, ENTER, mode, parameters.boarding(mode, place))
            _add(graph, arrive, place.id, EXIT, mode, Metrics())
            _add(graph, arrive, depart, THROUGH, mode, Metrics())
            for other in modes:
                if other != mode:
                    _add(
                        graph, arrive, mode_node(place.id, other, DEPART), TRANSFER, "transfer",
                        parameters.transfer(place, other), from_mode=mode, to_mode=other,
                    )  # fmt: skip
        for lane_node, distance in access.get(place.id, Access(place.id, ())).nodes:
            _add(
                graph,
                mode_node(place.id, "sea", DEPART),
                lane_node,
                ACCESS,
                "sea",
                parameters.sea(distance),
                place=place.id,
            )
            _add(
                graph, lane_node, mode_node(place.id, "sea", ARRIVE), ACCESS, "sea",
                parameters.sea(distance, arrival=place), place=place.id,
            )  # fmt: skip

    links = {}
    for link in dataset.links:
        start, end = places[link.from_id], places[link.to_id]
        if not (start.operational and end.operational):
            idle = start if not start.operational else end
            problems.append(f"link {link.id} is unused: {idle.name} ({idle.id}) is planned")
            continue
        links[link.id] = link
        for forward in (True, False) if not link.one_way else (True,):
            a, b = (start, end) if forward else (end, start)
            u, v = mode_node(a.id, link.mode, DEPART), mode_node(b.id, link.mode, ARRIVE)
            _add(graph, u, v, LINK, link.mode, parameters.link(link, start, end, forward=forward), link=link.id)

    areas: dict[str, list[str]] = {}
    for place in operational.values():
        if place.area and place.id in graph:
            areas.setdefault(place.area, []).append(place.id)
    for area, members in areas.items():
        for pid in members:
            _add(graph, area_node(area), pid, AREA_OUT, "transfer", Metrics())
            _add(graph, pid, area_node(area), AREA_IN, "transfer", Metrics())

    return Network(
        graph=graph,
        places=dict(places),
        links=links,
        parameters=parameters,
        lane_coords=lanes.coords,
        access=access,
        root=dataset.root,
        sources=dataset.sources,
        countries=dataset.countries,
        problems=problems,
        warnings=warnings,
        traces=trace_links(links.values(), places, dataset.root),
    )


# --------------------------------------------------------------------------- cache


def cache_dir() -> Path:
    """Return the directory for cached graphs ($CORRIDOR_CACHE, else the user cache)."""
    explicit = os.environ.get("CORRIDOR_CACHE")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "corridor"


def fingerprint(root: Path, params_file: Path | None) -> str:
    """Hash what the graph is built from: code version, and each data file's name, size, mtime and inode."""
    digest = hashlib.sha256()
    digest.update(f"{CACHE_FORMAT}|{__version__}|{sys.version_info[:2]}".encode())
    # The package's own modules too: an edited build (in a source checkout) must not reuse a graph.
    files = sorted(Path(__file__).parent.glob("*.py")) + data_files(root)
    # Links are traced along the bundled track and rivers when the dataset has none of its own.
    files += [path for rules in RULES.values() if (path := line_file(root, rules.file)) and path not in files]
    if params_file is not None:
        files.append(params_file)
    for path in files:
        stat = path.stat()
        # The inode too: an atomic write (temp file + rename) always gives the file a new one.
        digest.update(f"|{path}|{stat.st_size}|{stat.st_mtime_ns}|{stat.st_ino}".encode())
    return digest.hexdigest()


def _unpickle(handle) -> object:
    """Load a pickle with the cyclic garbage collector paused.

    The graph is ~100,000 small dicts and tuples; without the pause the collector runs over
    them again and again while they are created, which triples the load time.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        return pickle.load(handle)
    finally:
        if enabled:
            gc.enable()


def _cache_path(root: Path, key: str) -> Path:
    tag = hashlib.sha256(str(root.resolve()).encode()).hexdigest()[:12]
    return cache_dir() / f"network-{tag}-{key[:24]}.pickle"


def _write_cache(path: Path, network: Network) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".pickle")
        with os.fdopen(fd, "wb") as handle:
            pickle.dump(network, handle, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, path)
        for stale in path.parent.glob(path.name.rsplit("-", 1)[0] + "-*.pickle"):
            if stale != path:
                stale.unlink(missing_ok=True)
    except OSError as exc:
        log.debug("cannot write the graph cache %s: %s", path, exc)


def load_network(
    data: str | os.PathLike[str] | None = None,
    *,
    params: str | os.PathLike[str] | None = None,
    cache: bool = True,
) -> Network:
    """Return the network of a dataset (bundled by default), from the cache when it is current.

    `params` names a user's parameters file whose rows replace the dataset's.
    """
    root = dataset_dir(data)
    params_file = Path(params) if params else None
    if params_file is not None and not params_file.is_file():
        raise DataError(f"parameters file {params_file} does not exist")
    key = fingerprint(root, params_file)
    path = _cache_path(root, key)
    if cache and path.is_file():
        try:
            with path.open("rb") as handle:
                network = _unpickle(handle)
            if isinstance(network, Network) and network.fingerprint == key:
                return network
        except Exception as exc:  # a torn or foreign cache file is rebuilt, never trusted
            log.debug("ignoring unreadable cache %s: %s", path, exc)
    log.info("building the network from %s", root)
    dataset = load_dataset(root)
    parameters = Parameters.from_files(root / PARAMETERS_FILE, params_file)
    network = build_network(dataset, parameters)
    network.fingerprint = key
    if cache:
        _write_cache(path, network)
    return network
