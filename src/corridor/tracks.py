"""Trace rail and river links along real track and river lines, so maps draw them where they run.

Rail links follow OpenStreetMap track (`rail-odbl/`), river links Natural Earth river centre
lines (`rivers/`). A link is traced between its anchors (its two places and its via points):
each stretch between consecutive anchors follows the line network when both anchors lie near
it and the path found is plausible, and is drawn straight otherwise. Geometry only: distances
for costing stay the published ones.
"""

from __future__ import annotations

import itertools
import json
import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import networkx as nx

from .datasets import Link, Place, bundled_data_dir
from .errors import DataError
from .geo import EARTH_RADIUS_KM, haversine_km, path_length_km

log = logging.getLogger(__name__)

RAIL_FILE = Path("rail-odbl/rail_cn_seasia_osm.geojson.gz")
RIVERS_FILE = Path("rivers/ne_10m_rivers_corridor.geojson")

# What a traced line follows; `via` is the link's own via points, drawn straight between.
ALONG_RAIL, ALONG_RIVER, ALONG_VIA = "osm_rail", "ne_river", "via"
CREDITS = {
    ALONG_RAIL: "Rail track © OpenStreetMap contributors (ODbL)",
    ALONG_RIVER: "Rivers: Natural Earth",
}


@dataclass(frozen=True)
class LineRules:
    """How to trace one mode: which file, how close anchors must lie, what counts as plausible."""

    file: Path
    along: str
    gap_km: float  # line ends this close to another line are joined (the data has small gaps)
    snap_end_km: float  # a link's place must lie this close to a line
    snap_via_km: float  # a via point this close; a farther one is only a hint and is skipped
    max_ratio: float  # a stretch longer than this times its straight drawing is implausible
    slack_km: float  # ... plus this, for short stretches in hilly country
    simplify_deg: float  # drawing tolerance


RULES = {
    "rail": LineRules(RAIL_FILE, ALONG_RAIL, 2.0, 30.0, 20.0, 1.6, 25.0, 0.002),
    # Rivers meander: Yichang-Wuhan runs 2.2 times its straight line.
    "river": LineRules(RIVERS_FILE, ALONG_RIVER, 5.0, 10.0, 10.0, 2.6, 15.0, 0.002),
}


@dataclass(frozen=True)
class Trace:
    """The line a link is drawn along, from its `from` place to its `to` place, in (lon, lat)."""

    coords: tuple[tuple[float, float], ...]
    along: str = ALONG_VIA

    @property
    def credit(self) -> str:
        """Return the attribution the drawn line requires ('' when it follows no third-party data)."""
        return CREDITS.get(self.along, "")


def via_trace(link: Link, start: Place, end: Place) -> Trace:
    """Return the straight drawing of a link through its via points."""
    return Trace(((start.lon, start.lat), *link.via, (end.lon, end.lat)), ALONG_VIA)


def _read_lines(path: Path) -> list[list[tuple[float, float]]]:
    """Read the LineStrings and MultiLineStrings of a GeoJSON file (gzipped if it ends in .gz).

    The file is checked, never trusted: anything but a FeatureCollection of features whose
    geometry is null or a valid geometry raises DataError naming the feature. Other geometry
    types are skipped.
    """
    from ._fs import read_gzip_regular, read_regular
    from .sealanes import _lines

    what = "gzipped GeoJSON" if path.suffix == ".gz" else "GeoJSON"
    data = read_gzip_regular(path, what) if path.suffix == ".gz" else read_regular(path, what)
    try:
        collection = json.loads(data.decode("utf-8"))
    except (ValueError, RecursionError) as exc:
        raise DataError(f"{path} is not a GeoJSON FeatureCollection ({exc})") from None
    features = collection.get("features") if isinstance(collection, dict) else None
    if not isinstance(features, list):
        raise DataError(f"{path} is not a GeoJSON FeatureCollection (no list of features)")
    lines = []
    for number, feature in enumerate(features, 1):
        geometry = feature.get("geometry") if isinstance(feature, dict) else False
        if geometry is None:
            continue
        try:
            if not isinstance(geometry, dict):
                raise ValueError("is not an object with a geometry")
            lines.extend(_lines(geometry))
        except ValueError as exc:
            raise DataError(f"{path}: feature {number}: {exc}") from None
    return lines


class LineNetwork:
    """Polylines joined into a graph at shared vertices and across gaps of up to `gap_km`.

    Nodes are vertices; `locate` projects a point onto the nearest segment, and `path` finds the
    shortest way along the lines between two located points.
    """

    def __init__(self, lines: Iterable[Sequence[tuple[float, float]]], *, gap_km: float):
        import numpy as np
        import shapely

        pairs = [(a, b) for line in lines for a, b in itertools.pairwise(line) if a != b]
        graph = nx.Graph()
        if pairs:
            ends = np.radians(np.asarray(pairs, dtype=float))  # (n, 2 points, lon/lat)
            dlat = ends[:, 1, 1] - ends[:, 0, 1]
            dlon = ends[:, 1, 0] - ends[:, 0, 0]
            h = np.sin(dlat / 2) ** 2 + np.cos(ends[:, 0, 1]) * np.cos(ends[:, 1, 1]) * np.sin(dlon / 2) ** 2
            km = 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.minimum(h, 1.0)))
            graph.add_edges_from((a, b, {"km": d}) for (a, b), d in zip(pairs, km.tolist(), strict=True))
        self.graph = graph
        self._segments = list(graph.edges())
        if not self._segments:
            self._tree = None
            return
        # Join each dead end to the nearest vertex of another line within the gap.
        nodes = list(graph.nodes)
        ends = [n for n, degree in graph.degree() if degree == 1]
        if ends and gap_km > 0:
            tree = shapely.STRtree(shapely.points(np.asarray(nodes)))
            near_end, near_node = tree.query(
                shapely.points(np.asarray(ends)), predicate="dwithin", distance=gap_km / 111.0 * 1.5
            )
            candidates: dict[tuple[float, float], list[tuple[float, tuple[float, float]]]] = {}
            for i, j in zip(near_end.tolist(), near_node.tolist(), strict=True):
                km = haversine_km(*ends[i], *nodes[j])
                if 0 < km <= gap_km:
                    candidates.setdefault(ends[i], []).append((km, nodes[j]))
            best: dict[tuple[float, float], tuple[float, tuple[float, float]]] = {}
            for end, near in candidates.items():
                # Skip vertices the lines already join to this end nearby (its own line).
                joined = nx.single_source_dijkstra_path_length(graph, end, cutoff=3 * gap_km, weight="km")
                near = [(km, other) for km, other in near if other not in joined]
                if near:
                    best[end] = min(near)
            for end, (km, other) in best.items():
                graph.add_edge(end, other, km=km)
            self._segments = list(graph.edges())
        self._lines = shapely.linestrings(np.asarray(self._segments, dtype=float))
        self._tree = shapely.STRtree(self._lines)
        self._shapely = shapely

    def locate(self, lon: float, lat: float, max_km: float) -> tuple[tuple[float, float], int, float] | None:
        """Return (point on the lines, segment index, distance_km) nearest to a point, or None."""
        if self._tree is None:
            return None
        shapely = self._shapely
        point = shapely.Point(lon, lat)
        index = self._tree.nearest(point)
        if index is None:
            return None
        segment = self._lines[index]
        snapped = segment.interpolate(segment.project(point))
        where = (round(snapped.x, 6), round(snapped.y, 6))
        km = haversine_km(lon, lat, *where)
        return (where, int(index), km) if km <= max_km else None

    def path(
        self, start: tuple[tuple[float, float], int], end: tuple[tuple[float, float], int]
    ) -> list[tuple[float, float]] | None:
        """Return the shortest polyline along the lines between two located points, or None."""
        (p, i), (q, j) = start, end
        if i == j:
            return [p, q]
        graph = self.graph
        added = []
        try:
            for point, index in ((p, i), (q, j)):
                if point in graph:
                    continue
                u, v = self._segments[index]
                graph.add_edge(point, u, km=haversine_km(*point, *u))
                graph.add_edge(point, v, km=haversine_km(*point, *v))
                added.append(point)
            try:
                _, nodes = nx.bidirectional_dijkstra(graph, p, q, weight="km")
            except nx.NetworkXNoPath:
                return None
            return list(nodes)
        finally:
            graph.remove_nodes_from(added)


def _simplify(coords: list[tuple[float, float]], tolerance: float) -> list[tuple[float, float]]:
    import shapely

    if len(coords) < 3:
        return coords
    line = shapely.simplify(shapely.LineString(coords), tolerance)
    return [(round(x, 5), round(y, 5)) for x, y in line.coords]


def trace_link(network: LineNetwork, rules: LineRules, link: Link, start: Place, end: Place) -> Trace:
    """Trace one link along a line network, stretch by stretch between its anchors."""
    anchors = [(start.lon, start.lat), *link.via, (end.lon, end.lat)]
    located = []  # (anchor index, where on the lines or None)
    for n, (lon, lat) in enumerate(anchors):
        is_end = n in (0, len(anchors) - 1)
        found = network.locate(lon, lat, rules.snap_end_km if is_end else rules.snap_via_km)
        if found is None and not is_end:
            continue  # a via point off the lines is only a hint: the lines replace it
        located.append((n, found))
    coords: list[tuple[float, float]] = []
    followed = False

    def extend(points: Iterable[tuple[float, float]]) -> None:
        for point in points:
            if not coords or coords[-1] != point:
                coords.append(point)

    for (i, found_a), (j, found_b) in itertools.pairwise(located):
        straight = anchors[i : j + 1]  # the stretch drawn straight, through any skipped via points
        stretch = None
        # Follow the lines only where they join this stretch's anchors: the connectors from the
        # anchors to the lines must be short beside the stretch, and the path plausible.
        length = path_length_km(straight)
        if found_a is not None and found_b is not None and found_a[2] + found_b[2] <= 0.5 * length:
            stretch = network.path(found_a[:2], found_b[:2])
            if stretch is not None and path_length_km(stretch) > rules.max_ratio * length + rules.slack_km:
                stretch = None
        if stretch is None:
            extend(straight)
            continue
        followed = True
        # Connect the link's own places to the lines; via points were only hints.
        head = [anchors[i]] if i == 0 else []
        tail = [anchors[j]] if j == len(anchors) - 1 else []
        extend([*head, *_simplify(stretch, rules.simplify_deg), *tail])
    if not followed:
        return via_trace(link, start, end)
    return Trace(tuple(coords), rules.along)


def line_file(root: Path, relative: Path) -> Path | None:
    """Return a dataset's line file, else the bundled one, else None (links are drawn straight)."""
    import os

    for base in (root, bundled_data_dir()):
        if os.path.exists(base / relative):  # a directory or FIFO there is refused when read, not passed over
            return base / relative
    return None


def _bbox(lines: Sequence[Sequence[tuple[float, float]]]) -> tuple[float, float, float, float]:
    lons = [p[0] for line in lines for p in line]
    lats = [p[1] for line in lines for p in line]
    return min(lons), min(lats), max(lons), max(lats)


def trace_links(links: Iterable[Link], places: Mapping[str, Place], root: Path) -> dict[str, Trace]:
    """Return the drawing of every link: traced along track or river where possible, else straight."""
    traces: dict[str, Trace] = {}
    by_mode: dict[str, list[Link]] = {}
    for link in links:
        traces[link.id] = via_trace(link, places[link.from_id], places[link.to_id])
        if link.mode in RULES:
            by_mode.setdefault(link.mode, []).append(link)
    for mode, todo in by_mode.items():
        rules = RULES[mode]
        path = line_file(root, rules.file)
        if path is None:
            continue
        lines = _read_lines(path)
        if not lines:
            continue
        # Build the line network only when some link could touch it.
        west, south, east, north = _bbox(lines)
        margin = rules.snap_end_km / 100.0
        todo = [
            link
            for link in todo
            if any(
                west - margin <= p.lon <= east + margin and south - margin <= p.lat <= north + margin
                for p in (places[link.from_id], places[link.to_id])
            )
        ]
        if not todo:
            continue
        network = LineNetwork(lines, gap_km=rules.gap_km)
        for link in todo:
            traces[link.id] = trace_link(network, rules, link, places[link.from_id], places[link.to_id])
        log.debug("traced %d %s links along %s", len(todo), mode, path)
    return traces
