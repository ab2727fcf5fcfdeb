"""Read the maritime lane network and join seaports to it without crossing land."""

from __future__ import annotations

import itertools
import json
import math
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .datasets import Place
from .errors import DataError
from .geo import EARTH_RADIUS_KM, KM_PER_NM, haversine_km, normalize_lon

LANES_FILE = Path("sea/marnet.geojson")
CORRECTIONS_FILE = Path("sea/corrections.geojson")
SNAP_KM = 3.0
LAND_FILE = Path("land/ne_10m_land.geojson.gz")
# The islands Natural Earth 1:10m omits (GSHHG full resolution; scripts/prepare_islands.py). Optional:
# a dataset without it reads Natural Earth alone.
ISLANDS_FILE = Path("land/islands_gshhg.geojson.gz")
# The files the precomputed access table depends on (`corridor.portaccess.inputs_key`).
ACCESS_INPUTS = (LANES_FILE, CORRECTIONS_FILE, LAND_FILE, ISLANDS_FILE)

# Passage names users may give to --avoid, mapped to the tags of the lane network.
PASSAGES = {
    "malacca": "malacca",
    "hormuz": "ormuz",
    "suez": "suez",
    "panama": "panama",
    "bab-el-mandeb": "babalmandab",
    "gibraltar": "gibraltar",
    "bosporus": "bosporus",
    "dardanelles": "dardanelles",
    "sunda": "sunda",
    "northwest-passage": "northwest",
    "bering": "bering",
    "magellan": "chili",
    "cape-of-good-hope": "south_africa",
    "shatt-al-arab": "shatt_al_arab",
}
# Passages no container service uses: closed unless a query allows them.
CLOSED_BY_DEFAULT = {"northwest-passage": "ice-bound Arctic route with no container service"}
PASSAGE_ALIASES = {
    "ormuz": "hormuz",
    "strait-of-hormuz": "hormuz",
    "babalmandab": "bab-el-mandeb",
    "bab-al-mandab": "bab-el-mandeb",
    "strait-of-malacca": "malacca",
    "suez-canal": "suez",
    "panama-canal": "panama",
    "cape": "cape-of-good-hope",
    "good-hope": "cape-of-good-hope",
    "south-africa": "cape-of-good-hope",
    "chili": "magellan",
    "northwest": "northwest-passage",
}

# A port's coordinates may sit a little inland (a town centre, a quay): land within this
# distance of the port does not count as crossing.
PORT_LAND_TOLERANCE_KM = 4.0
RIVER_LAND_TOLERANCE_KM = 30.0
RIVER_HARBOURS = frozenset({"River (Natural)", "River (Basins)", "River (Tide Gates)", "Canal or Lake"})
# Lane ends this close to another lane node, without a segment between them, are joined: the
# base network has such near misses, and each forces a long detour.
NEAR_MISS_KM = 2.0
# Lane shortcuts (see find_shortcuts).
SHORTCUT_MAX_KM = 500.0
SHORTCUT_MIN_KM = 5.0
SHORTCUT_CLEARANCE_KM = 1.0
SHORTCUT_MIN_GAIN = 0.01
SHORTCUTS_PER_NODE = 5
SHORTCUT_PASSES = 4
# Open-ocean shortcuts (see find_ocean_shortcuts): great circles between lane nodes far from land.
OCEAN_MIN_KM = 500.0
OCEAN_MAX_KM = 1500.0
OCEAN_CLEARANCE_KM = 25.0
# When above 0, a node nearer land than that (off an island) may end one too, its great circle
# nearer land only this near it. Off: 50 km, tried on the calibration half and extension, gained
# little there (data/sea/CORRECTIONS.md) and made the shortcut search five times as long.
OCEAN_END_KM = 0.0
OCEAN_SHORTCUTS_PER_NODE = 3
OCEAN_STEP_KM = 100.0
OCEAN_BATCH = 20000


def passage_name(text: str) -> str | None:
    """Return the canonical passage name for user text, or None if it is not a passage."""
    key = text.strip().lower().replace(" ", "-").replace("_", "-")
    key = PASSAGE_ALIASES.get(key, key)
    return key if key in PASSAGES else None


@dataclass
class Lanes:
    """The lane network: node coordinates and undirected segments."""

    coords: list[tuple[float, float]]
    edges: list[tuple[int, int, float, str]]  # (u, v, distance_km, passage tag or "")
    index: dict[tuple[float, float], int] = field(default_factory=dict)

    def node(self, lon: float, lat: float) -> int:
        key = (round(normalize_lon(lon), 5), round(lat, 5))
        found = self.index.get(key)
        if found is None:
            found = len(self.coords)
            self.index[key] = found
            self.coords.append(key)
        return found

    def add_line(self, coords: Iterable[Iterable[float]], passage: str = "") -> None:
        prev = None
        for lon, lat, *_ in coords:
            node = self.node(lon, lat)
            if prev is not None and prev != node:
                (lon1, lat1), (lon2, lat2) = self.coords[prev], self.coords[node]
                self.edges.append((prev, node, haversine_km(lon1, lat1, lon2, lat2), passage))
            prev = node


_NUMBERS = (int, float)


def _lines(geometry: object) -> list[list[tuple[float, float]]]:
    """Return the (lon, lat) lines of a LineString or MultiLineString ([] for other types).

    Raise ValueError naming what is malformed: a dataset file is checked, never trusted.
    """
    if not isinstance(geometry, dict):
        raise ValueError("geometry is not an object")
    kind, coords = geometry.get("type"), geometry.get("coordinates")
    if kind == "LineString":
        lines = [coords]
    elif kind == "MultiLineString":
        if not isinstance(coords, list):
            raise ValueError("MultiLineString coordinates are not a list")
        lines = coords
    else:
        return []
    out = []
    for line in lines:
        if not isinstance(line, list) or len(line) < 2:
            raise ValueError("a line needs a list of at least two positions")
        points = []
        for point in line:
            # JSON numbers are int or float (bool is neither here); NaN and infinities fail the ranges.
            if not (
                type(point) is list
                and len(point) >= 2
                and type(point[0]) in _NUMBERS
                and type(point[1]) in _NUMBERS
                and -360 <= point[0] <= 360
                and -90 <= point[1] <= 90
            ):
                raise ValueError(f"{json.dumps(point)[:40]} is not a [lon, lat] position")
            points.append((float(point[0]), float(point[1])))
        out.append(points)
    return out


def _read_collection(path: Path) -> list[dict]:
    """Return the features of a GeoJSON FeatureCollection, each a dict with dict properties."""
    from .datasets import read_text

    text = read_text(path, expected="GeoJSON")
    try:
        collection = json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise DataError(f"{path} is not a GeoJSON FeatureCollection ({exc})") from None
    features = collection.get("features") if isinstance(collection, dict) else None
    if not isinstance(features, list):
        raise DataError(f"{path} is not a GeoJSON FeatureCollection (no list of features)")
    problems = [
        f"{path}: feature {number}: not an object with object properties"
        for number, feature in enumerate(features, 1)
        if not isinstance(feature, dict) or not isinstance(feature.get("properties") or {}, dict)
    ]
    if problems:
        raise DataError(f"{path} has invalid features", problems)
    return features


def read_lanes(root: Path, *, corrections: list[dict] | None = None) -> Lanes:
    """Read the lane network of a dataset: the base network plus its corrections (the features of
    its corrections file, or `corrections` instead when given)."""
    lanes = Lanes(coords=[], edges=[])
    path = root / LANES_FILE
    problems = []
    for number, feature in enumerate(_read_collection(path), 1):
        passage = (feature.get("properties") or {}).get("passage") or ""
        try:
            lines = _lines(feature.get("geometry"))
        except ValueError as exc:
            problems.append(f"{path}: feature {number}: {exc}")
            continue
        if not isinstance(passage, str):
            problems.append(f"{path}: feature {number}: passage is not text")
            continue
        for line in lines:
            lanes.add_line(line, passage)
    if problems:
        raise DataError(f"{path} has invalid features", problems)
    if corrections is None and os.path.lexists(root / CORRECTIONS_FILE):
        corrections = _read_collection(root / CORRECTIONS_FILE)
    if corrections:
        apply_corrections(lanes, corrections, root / CORRECTIONS_FILE)
    return lanes


def _snap(lanes: Lanes, locator: LaneLocator, lon: float, lat: float) -> int | None:
    near = locator.near(lon, lat, SNAP_KM)
    return near[0][1] if near else None


def apply_corrections(lanes: Lanes, features: list[dict], path: Path) -> None:
    """Add and remove lane segments as the corrections file says, each with its reason.

    `add` lines join the network where their ends lie within SNAP_KM of a lane node; `remove`
    lines name lane nodes (each within SNAP_KM) whose consecutive segments are dropped. `shoal`
    polygons change no lane: `LandMask` reads them (`read_shoals`).

    An `add` line may carry `length_nm`, the published length of the channel it draws (a river
    whose bends the drawing cuts because Natural Earth does not resolve it): its segments are
    lengthened in proportion, so the line measures that length while it is drawn as it is. It
    may not be shorter than the line as drawn.
    """
    problems = []
    locator = LaneLocator(lanes.coords)
    removed: set[frozenset[int]] = set()
    for number, feature in enumerate(features, 1):
        props = feature.get("properties") or {}
        action = props.get("action")
        where = f"{path}: feature {number} ({props.get('id', 'no id')})"
        if not props.get("reason"):
            problems.append(f"{where}: every correction needs a reason")
        try:
            lines = _lines(feature.get("geometry"))
        except ValueError as exc:
            problems.append(f"{where}: {exc}")
            continue
        if action == "shoal":  # read as land by `LandMask` (`read_shoals`); lanes stay as they are
            continue
        passage = props.get("passage") or ""
        if action not in ("add", "remove") or not lines or not isinstance(passage, str):
            problems.append(f"{where}: needs action 'add' or 'remove' and a LineString, or 'shoal' and a Polygon")
            continue
        length_nm = props.get("length_nm")
        if length_nm is not None and not (
            action == "add"
            and len(lines) == 1
            and isinstance(length_nm, _NUMBERS)
            and not isinstance(length_nm, bool)
            and 0 < length_nm < 1e4
        ):
            problems.append(f"{where}: length_nm must be a positive number of nautical miles on one added line")
            continue
        for line in lines:
            if action == "add":
                points = list(line)
                for end in (0, -1):
                    snapped = _snap(lanes, locator, *points[end])
                    if snapped is not None:
                        points[end] = lanes.coords[snapped]
                known, first = len(lanes.coords), len(lanes.edges)
                lanes.add_line(points, passage)
                if length_nm is not None:
                    # A river is never shorter than a line drawn across its bends.
                    drawn = sum(e[2] for e in lanes.edges[first:])
                    if length_nm * KM_PER_NM < drawn * (1 - 1e-3):
                        problems.append(f"{where}: length_nm {length_nm:g} is shorter than the line as drawn "
                                        f"({drawn / KM_PER_NM:.1f} nm)")  # fmt: skip
                    elif drawn > 0:
                        scale = length_nm * KM_PER_NM / drawn
                        lanes.edges[first:] = [(u, v, d * scale, tag) for u, v, d, tag in lanes.edges[first:]]
                locator.extend(range(known, len(lanes.coords)))  # later corrections may join this one
                continue
            nodes = [_snap(lanes, locator, *p) for p in line]
            if any(n is None for n in nodes):
                problems.append(f"{where}: a point to remove is not within {SNAP_KM:g} km of a lane node")
                continue
            removed.update(frozenset(pair) for pair in itertools.pairwise(n for n in nodes if n is not None))
    if problems:
        raise DataError(f"{path} has invalid corrections", problems)
    if removed:
        lanes.edges = [e for e in lanes.edges if frozenset(e[:2]) not in removed]


def read_shoals(root: Path) -> list:
    """Return the shoal polygons of a dataset's corrections file (shapely Polygons).

    A `shoal` correction draws water that Natural Earth shows as sea but ships do not cross (tidal
    flats, a river's mouth bar, sand ridges). The generated segments keep off it as off land:
    lane shortcuts, near-miss joins, coast rounding and the ports' access paths. The lanes of
    the base network and the lines a correction adds are kept even where they cross one: they
    are the channels through it.
    """
    import shapely

    path = root / CORRECTIONS_FILE
    if not os.path.lexists(path):
        return []
    problems, out = [], []
    for number, feature in enumerate(_read_collection(path), 1):
        props = feature.get("properties") or {}
        if props.get("action") != "shoal":
            continue
        where = f"{path}: feature {number} ({props.get('id', 'no id')})"
        geometry = feature.get("geometry")
        try:
            if not isinstance(geometry, dict) or geometry.get("type") not in ("Polygon", "MultiPolygon"):
                raise ValueError("a shoal needs a Polygon or MultiPolygon")
            shape = shapely.geometry.shape(geometry)
            if shape.is_empty or not shape.is_valid:
                raise ValueError(f"not a valid shoal polygon ({shapely.is_valid_reason(shape)})")
            if not all(-360 <= x <= 360 and -90 <= y <= 90 for x, y in shapely.get_coordinates(shape).tolist()):
                raise ValueError("a position is not a [lon, lat]")
        except Exception as exc:  # shapely raises many kinds on malformed input; all mean the same here
            problems.append(f"{where}: {exc}"[:200])
            continue
        out.extend(shapely.get_parts(shape))
    if problems:
        raise DataError(f"{path} has invalid corrections", problems)
    return out


def check_lane_files(root: Path) -> None:
    """Raise DataError unless the lane and land files read: for writes, which do not build the graph.

    The lane files are parsed as GeoJSON; the land file (18 MB unpacked) is decompressed whole,
    which checks its checksum, and must open as a FeatureCollection. `LandMask` and
    `read_lanes` check every geometry when the network is built.
    """
    from ._fs import read_gzip_regular

    _read_collection(root / LANES_FILE)
    if os.path.lexists(root / CORRECTIONS_FILE):
        _read_collection(root / CORRECTIONS_FILE)
    path = root / LAND_FILE
    if not os.path.lexists(path):
        raise DataError(f"{path} is missing")
    head = read_gzip_regular(path, "gzipped GeoJSON")[:4096].lstrip()
    if not (head.startswith(b"{") and b'"features"' in head):
        raise DataError(f"{path} is not a GeoJSON FeatureCollection (no list of features)")


def read_land_features(root: Path, name: Path = LAND_FILE) -> list:
    """Return the features of a dataset's land file (or its islands file), checked as far as
    reading goes (not geometry)."""
    from ._fs import read_gzip_regular

    path = root / name
    if not os.path.lexists(path):
        raise DataError(f"{path} is missing")
    data = read_gzip_regular(path, "gzipped GeoJSON")
    try:
        collection = json.loads(data.decode("utf-8"))
    except (ValueError, RecursionError) as exc:
        raise DataError(f"{path} is not gzipped GeoJSON ({exc})") from None
    features = collection.get("features") if isinstance(collection, dict) else None
    if not isinstance(features, list):
        raise DataError(f"{path} is not a GeoJSON FeatureCollection (no list of features)")
    bad = next((n for n, f in enumerate(features, 1) if not isinstance(f, dict) or "geometry" not in f), None)
    if bad is not None:
        raise DataError(f"{path}: feature {bad} is not a valid land polygon (no geometry)")
    return features


class LandMask:
    """Natural Earth land polygons, the islands it omits (ISLANDS_FILE, when the dataset has it)
    and the corrections' shoals (`read_shoals`), to tell whether a straight segment crosses land.

    With `lazy=True` the (large) files are read on first use only: a build whose ports are all
    joined from the precomputed access table never reads them. `islands=False` leaves the
    islands file out (scripts/prepare_islands.py compares against Natural Earth alone).
    """

    def __init__(self, root: Path, *, lazy: bool = False, islands: bool = True):
        self.root = root
        self.islands = islands
        self._parts: list | None = None
        self._tree = None
        if not lazy:
            self._load()

    @property
    def parts(self):
        if self._parts is None:
            self._load()
        return self._parts

    @property
    def tree(self):
        if self._tree is None:
            self._load()
        return self._tree

    def _load(self) -> None:
        import shapely

        names = [LAND_FILE]
        if self.islands and os.path.lexists(self.root / ISLANDS_FILE):
            names.append(ISLANDS_FILE)
        parts = []
        for name in names:
            land = self._fast(self.root, name)
            parts += land if land is not None else self._checked(self.root, name)
        parts += read_shoals(self.root)
        shapely.prepare(parts)
        self._parts = parts
        self._tree = shapely.STRtree(parts)

    @staticmethod
    def _fast(root: Path, name: Path):
        """Parse a land file in GEOS (a few times faster than json + shape); None if anything is off."""
        import shapely

        from ._fs import read_gzip_regular

        path = root / name
        if not os.path.lexists(path):
            raise DataError(f"{path} is missing")
        data = read_gzip_regular(path, "gzipped GeoJSON")
        try:
            collection = shapely.from_geojson(data)
        except Exception:  # GEOS rejects it: read it again slowly to say which feature is wrong
            return None
        if collection.geom_type != "GeometryCollection":
            return None
        geometries = shapely.get_parts(collection)
        if not all(g.geom_type in ("Polygon", "MultiPolygon") for g in geometries):
            return None
        if not shapely.is_valid(geometries).all():
            return None
        return list(shapely.get_parts(geometries))

    @staticmethod
    def _checked(root: Path, name: Path):
        import shapely

        path = root / name
        features = read_land_features(root, name)
        parts = []
        for number, feature in enumerate(features, 1):
            try:
                geometry = shapely.geometry.shape(feature["geometry"])
                if not geometry.is_valid:
                    raise ValueError(shapely.is_valid_reason(geometry))
            except Exception as exc:  # shapely raises many kinds on malformed input; all mean the same here
                raise DataError(f"{path}: feature {number} is not a valid land polygon ({exc!r:.80})") from None
            parts.extend(shapely.get_parts(geometry))
        return parts

    def crossed(self, segments):
        """Return the indices of the segments (a shapely array) that touch land.

        The land polygons query a tree of the segments, not the other way round: each
        polygon is then tested prepared, which keeps a continent with 80,000 vertices fast.
        """
        import numpy as np
        import shapely

        if len(segments) == 0:
            return np.zeros(0, dtype=int)
        tree = shapely.STRtree(segments)
        return np.unique(tree.query(self.parts, predicate="intersects")[1])

    def near(self, segments, distance_deg: float):
        """Return the indices of the segments that come within distance_deg of land."""
        import numpy as np
        import shapely

        if len(segments) == 0:
            return np.zeros(0, dtype=int)
        tree = shapely.STRtree(segments)
        return np.unique(tree.query(self.parts, predicate="dwithin", distance=distance_deg)[1])

    def contains(self, lon: float, lat: float) -> bool:
        import shapely

        point = shapely.Point(lon, lat)
        return bool(len(self.tree.query(point, predicate="intersects")))

    def crosses(self, start: tuple[float, float], end: tuple[float, float], *, skip_start_km: float = 0.0) -> bool:
        """Return True if the segment start-end crosses land beyond `skip_start_km` from start."""
        length = haversine_km(*start, *end)
        if length <= skip_start_km:
            return False
        t0 = skip_start_km / length if length else 0.0
        lon0 = start[0] + (end[0] - start[0]) * t0
        lat0 = start[1] + (end[1] - start[1]) * t0
        import shapely

        segment = shapely.LineString([(lon0, lat0), end])
        return bool(len(self.tree.query(segment, predicate="intersects")))


@dataclass(frozen=True)
class Access:
    """How a seaport joins the lanes: the lane nodes, and the path over water to each.

    `nodes[i]` is (lane node, distance_km) and `paths[i]` the (lon, lat) points of the access
    path from the port to that node, whose length is the distance. `tolerance_km` is the port's
    shore tolerance: land within that distance of its position does not count as crossing. The
    last `past` of them are not the port's own water but its way along the lanes past a call on
    the way, which a voyage from or to it does not make (`network.spare_zone_ports`).
    """

    place_id: str
    nodes: tuple[tuple[int, float], ...]  # (lane node, distance_km)
    problem: str = ""
    paths: tuple[tuple[tuple[float, float], ...], ...] = ()
    tolerance_km: float = 4.0
    past: int = 0

    def joints(self) -> list[tuple[int, float, tuple[tuple[float, float], ...]]]:
        """Return (lane node, distance_km, path) for each access edge."""
        return [(node, km, path) for (node, km), path in zip(self.nodes, self.paths, strict=True)]

    def own_joints(self) -> list[tuple[int, float, tuple[tuple[float, float], ...]]]:
        """Return the joints over the port's own water, without its ways past a call on the way."""
        return self.joints()[: len(self.nodes) - self.past]


def shore_tolerance_km(place: Place) -> float:
    """Return how far from a port's position land may lie along its access path.

    Ports stand on the shore and their positions are given to the minute (about 2 km) or mark
    the town, so land within PORT_LAND_TOLERANCE_KM does not count. A harbour the World Port
    Index places on a river, canal or lake gets RIVER_LAND_TOLERANCE_KM: Natural Earth 1:10m land
    does not resolve such water (a lake is land in it), so the access path may cross it there.
    `portaccess.compute_access` grants it only to such a harbour that cannot join without it.
    """
    if place.harbor_type in RIVER_HARBOURS:
        return RIVER_LAND_TOLERANCE_KM
    return PORT_LAND_TOLERANCE_KM


class LaneLocator:
    """Find lane nodes near a point, using a coarse grid of one-degree cells."""

    def __init__(self, coords: list[tuple[float, float]]):
        self.coords = coords
        self.cells: dict[tuple[int, int], list[int]] = {}
        self.extend(range(len(coords)))

    def extend(self, nodes: Iterable[int]) -> None:
        """Index nodes added to the coordinates since."""
        for i in nodes:
            lon, lat = self.coords[i]
            self.cells.setdefault((math.floor(lon), math.floor(lat)), []).append(i)

    def near(self, lon: float, lat: float, max_km: float) -> list[tuple[float, int]]:
        """Return (distance_km, node) for lane nodes within max_km, nearest first."""
        dlat = max_km / 111.0 + 1
        dlon = max_km / (111.0 * max(math.cos(math.radians(lat)), 0.05)) + 1
        found = []
        for cx in range(math.floor(lon - dlon), math.floor(lon + dlon) + 1):
            wrapped = ((cx + 180) % 360) - 180
            for cy in range(math.floor(lat - dlat), math.floor(lat + dlat) + 1):
                for node in self.cells.get((wrapped, cy), ()):
                    nlon, nlat = self.coords[node]
                    d = haversine_km(lon, lat, nlon, nlat)
                    if d <= max_km:
                        found.append((d, node))
        found.sort()
        return found


def join_near_misses(lanes: Lanes, land: LandMask) -> int:
    """Join lane nodes lying within NEAR_MISS_KM of each other but unconnected, and add the lane
    shortcuts (`find_shortcuts`); return how many segments were added.

    A joining segment that would cross land is not added. The joins of the bundled lanes are
    precomputed (`sea/port_access.json`) and taken from there when it matches the lane files.
    """
    from .portaccess import read_access_table

    table = read_access_table(land.root) if getattr(land, "root", None) is not None else None
    if table is not None:
        linked = {frozenset(e[:2]) for e in lanes.edges}
        added = 0
        for a, b in table.near_misses:
            u, v = lanes.index.get((a[0], a[1])), lanes.index.get((b[0], b[1]))
            if u is not None and v is not None and frozenset((u, v)) not in linked:
                lanes.edges.append((u, v, haversine_km(*a, *b), ""))
                added += 1
        return added
    joins = find_near_misses(lanes, land, apply=True)
    shortcuts = find_shortcuts(lanes, land)
    for u, v in shortcuts:
        lanes.edges.append((u, v, haversine_km(*lanes.coords[u], *lanes.coords[v]), ""))
    return len(joins) + len(shortcuts)


def round_coasts(lanes: Lanes, land: LandMask) -> int:
    """Add the rounding segments round headlands and islands (`corridor.rounding`) to the lanes;
    return how many. After the ports have joined the lanes: a port joins the lanes, and a ship
    bound along the coast rounds the corners from there (ports joined to the corners themselves
    came out worse against the published distances).

    Taken from the precomputed table (`sea/port_access.json`, only the segments on a shortest
    path between two ports) when it matches the lane files; else all of them, found on the fly.
    """
    from .portaccess import read_access_table
    from .rounding import find_rounding

    table = read_access_table(land.root) if getattr(land, "root", None) is not None else None
    found = table.rounding if table is not None and table.rounding is not None else None
    return add_rounding(lanes, find_rounding(lanes, land) if found is None else found)


def add_rounding(lanes: Lanes, segments: Iterable[tuple[tuple[float, float], tuple[float, float]]]) -> int:
    """Add rounding segments to the lanes (their corner ends become lane nodes); return how many."""
    import numpy as np

    ends = [(lanes.node(*a), lanes.node(*b)) for a, b in segments]
    ends = [(u, v) for u, v in ends if u != v]
    if not ends:
        return 0
    xy = np.asarray(lanes.coords, dtype=float)
    u, v = np.asarray(ends).T
    km = _haversine_km(xy[u], xy[v]).tolist()
    lanes.edges.extend((a, b, d, "") for a, b, d in zip(u.tolist(), v.tolist(), km, strict=True))
    return len(ends)


def find_shortcuts(lanes: Lanes, land: LandMask) -> list[tuple[int, int]]:
    """Return straight lane shortcuts: pairs of lane nodes the lanes join only the long way round.

    The lane network zig-zags (offshore dog-legs, corners cut wide), while ships sail the shortest
    track that keeps clear of the coast. A pair of nodes at most SHORTCUT_MAX_KM apart whose
    straight segment stays SHORTCUT_CLEARANCE_KM clear of Natural Earth land, and whose shortest
    path along the lanes is more than SHORTCUT_MIN_GAIN longer, gets a direct segment. A pair whose
    shortest lane path passes a tagged passage (Malacca, Suez ...) gets none, so `--avoid` holds.
    Each node keeps its SHORTCUTS_PER_NODE best shortcuts (the largest savings). Then the open
    ocean's longer tracks (`find_ocean_shortcuts`).

    A node's largest savings often lie in one direction, so one pass leaves it joined the long
    way round in others. SHORTCUT_PASSES passes are made, each on the lanes with the shortcuts
    found before it: a pair a shortcut already serves is no longer a saving, and each node keeps
    up to its share again of the pairs still joined the long way round.
    """
    found: list[tuple[int, int]] = []
    for _ in range(SHORTCUT_PASSES):
        edges = list(lanes.edges) + [(u, v, haversine_km(*lanes.coords[u], *lanes.coords[v]), "") for u, v in found]
        more = _shortcut_pass(Lanes(lanes.coords, edges), land)
        if not more:
            break
        found += more
    return found


def coastal_candidates(lanes: Lanes, land: LandMask):
    """Return the pairs of lane nodes a coastal shortcut may join (`find_shortcuts`): from
    SHORTCUT_MIN_KM to SHORTCUT_MAX_KM apart (across the antimeridian too), their lane path more
    than SHORTCUT_MIN_GAIN longer and through no tagged passage, their straight segment
    SHORTCUT_CLEARANCE_KM clear of land; as arrays a, b, straight distance, lane path / straight."""
    import numpy as np

    xy = np.asarray(lanes.coords, dtype=float)
    reach = SHORTCUT_MAX_KM / 111.0 / np.maximum(np.cos(np.radians(np.abs(xy[:, 1]))), 0.2)
    a, b = _pairs_within(xy, np.arange(len(xy)), float(reach.max()))
    a, b, straight, gain = _gainful(lanes, xy, a, b, SHORTCUT_MIN_KM, SHORTCUT_MAX_KM)
    if not len(a):
        return a, b, straight, gain
    ends = xy[b].copy()  # a segment across the antimeridian runs on past +-180, not round the world
    ends[:, 0] += 360.0 * np.round((xy[a, 0] - ends[:, 0]) / 360.0)
    segments = _both_sides(np.stack([xy[a], ends], axis=1))
    clear = np.ones(len(a), dtype=bool)
    clear[land.near(segments, SHORTCUT_CLEARANCE_KM / 111.0)] = False
    return a[clear], b[clear], straight[clear], gain[clear]


def _shortcut_pass(lanes: Lanes, land: LandMask) -> list[tuple[int, int]]:
    """Return one pass of the coastal and open-ocean shortcuts of `find_shortcuts`."""
    import numpy as np

    if len(lanes.coords) < 2 or not lanes.edges:
        return []
    a, b, straight, gain = coastal_candidates(lanes, land)
    chosen: dict[int, int] = {}
    out = []
    for k in np.argsort(-(gain - 1) * straight).tolist():
        x, y = int(a[k]), int(b[k])
        if chosen.get(x, 0) < SHORTCUTS_PER_NODE and chosen.get(y, 0) < SHORTCUTS_PER_NODE:
            out.append((x, y))
            chosen[x] = chosen.get(x, 0) + 1
            chosen[y] = chosen.get(y, 0) + 1
    return out + find_ocean_shortcuts(lanes, land, taken=out)


def find_ocean_shortcuts(
    lanes: Lanes, land: LandMask, *, taken: Sequence[tuple[int, int]] = ()
) -> list[tuple[int, int]]:
    """Return long shortcuts across open ocean: the lanes cross oceans in legs of a few hundred
    kilometres that zig-zag, while ships sail great circles. A pair of lane nodes OCEAN_MIN_KM to
    OCEAN_MAX_KM apart, each at least OCEAN_CLEARANCE_KM from land, whose great circle stays that
    clear of Natural Earth land too, and whose lane path is more than SHORTCUT_MIN_GAIN longer (and
    passes no tagged passage), gets a direct segment as long as its great circle; each node keeps
    its OCEAN_SHORTCUTS_PER_NODE largest savings. `taken` are the shortcuts found before them.
    With OCEAN_END_KM above 0, a node off an island (at least SHORTCUT_CLEARANCE_KM from land)
    may end one too, its great circle that clear of land throughout and OCEAN_CLEARANCE_KM clear
    beyond OCEAN_END_KM of such an end.
    """
    import numpy as np
    import shapely

    xy = np.asarray(lanes.coords, dtype=float)
    if len(xy) < 2 or not lanes.edges:
        return []
    points = shapely.points(xy)
    ocean = np.ones(len(xy), dtype=bool)
    ocean[land.near(points, OCEAN_CLEARANCE_KM / 111.0)] = False
    usable = ocean.copy()
    if OCEAN_END_KM > 0:  # a node off an island or a coast, clear of land as the coastal shortcuts keep
        usable[:] = True
        usable[land.near(points, SHORTCUT_CLEARANCE_KM / 111.0)] = False
    nodes = np.nonzero(usable)[0]
    if len(nodes) < 2:
        return []
    reach = OCEAN_MAX_KM / 111.0 / np.maximum(np.cos(np.radians(np.abs(xy[:, 1]))), 0.3)
    qa, qb = _pairs_within(xy, nodes, reach)
    # The great circles added so far count against each node's share, with the coastal ones.
    edges = list(lanes.edges) + [(u, v, haversine_km(*xy[u], *xy[v]), "") for u, v in taken]
    a, b, straight, gain = _gainful(Lanes(lanes.coords, edges), xy, qa, qb, OCEAN_MIN_KM, OCEAN_MAX_KM)
    chosen: dict[int, int] = {}
    out: list[tuple[int, int]] = []
    order = np.argsort(-(gain - 1) * straight)

    def room(k: int) -> bool:
        return max(chosen.get(int(a[k]), 0), chosen.get(int(b[k]), 0)) < OCEAN_SHORTCUTS_PER_NODE

    # Greedily by saving; the land is checked in batches, only for pairs whose nodes have room.
    for start in range(0, len(order), OCEAN_BATCH):
        batch = [k for k in order[start : start + OCEAN_BATCH].tolist() if room(k)]
        if not batch:
            continue
        ends = (a[batch], b[batch])
        # Beyond OCEAN_END_KM of an end near land the great circle keeps OCEAN_CLEARANCE_KM clear.
        trim = [np.where(ocean[e], 0.0, OCEAN_END_KM / straight[batch]) for e in ends]
        lines = _great_circles(xy[ends[0]], xy[ends[1]], OCEAN_STEP_KM, trim=trim)
        clear = np.ones(len(batch), dtype=bool)
        clear[land.near(lines, OCEAN_CLEARANCE_KM / 111.0)] = False
        whole = ~ocean[ends[0]] | ~ocean[ends[1]]
        if whole.any():  # and the whole of it SHORTCUT_CLEARANCE_KM, as a coastal shortcut does
            index = np.nonzero(whole)[0]
            full = _great_circles(xy[ends[0][index]], xy[ends[1][index]], OCEAN_STEP_KM / 4)
            clear[index[land.near(full, SHORTCUT_CLEARANCE_KM / 111.0)]] = False
        for k, ok in zip(batch, clear.tolist(), strict=True):
            x, y = int(a[k]), int(b[k])
            if ok and room(k):
                out.append((x, y))
                chosen[x] = chosen.get(x, 0) + 1
                chosen[y] = chosen.get(y, 0) + 1
    return out


def _gainful(lanes: Lanes, xy, a, b, min_km: float, max_km: float):
    """Keep the candidate pairs (a, b) from min_km to max_km apart whose lane path is more than
    SHORTCUT_MIN_GAIN longer than the straight distance and passes no tagged passage (as arrays
    a, b, straight distance, lane path / straight)."""
    import numpy as np
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import dijkstra

    n = len(xy)
    u = np.asarray([e[0] for e in lanes.edges])
    v = np.asarray([e[1] for e in lanes.edges])
    w = np.asarray([e[2] for e in lanes.edges], dtype=float) + 1e-9
    free = np.asarray([not e[3] for e in lanes.edges])
    every = coo_matrix((w, (u, v)), shape=(n, n)).tocsr()
    unpassaged = coo_matrix((w[free], (u[free], v[free])), shape=(n, n)).tocsr()
    keep = a < b
    a, b = a[keep], b[keep]
    straight = _haversine_km(xy[a], xy[b])
    keep = (straight <= max_km) & (straight >= min_km)
    a, b, straight = a[keep], b[keep], straight[keep]
    # Lane distances between candidates, from each source at once (bounded search).
    limit = max_km * 3
    along = np.full(len(a), np.inf)
    along_free = np.full(len(a), np.inf)
    order = np.argsort(a, kind="stable")
    a, b, straight = a[order], b[order], straight[order]
    sources = np.unique(a)
    for start in range(0, len(sources), 400):
        batch = sources[start : start + 400]
        d_all = dijkstra(every, directed=False, indices=batch, limit=limit)
        d_free = dijkstra(unpassaged, directed=False, indices=batch, limit=limit)
        row = {int(s): k for k, s in enumerate(batch)}
        lo, hi = np.searchsorted(a, batch[0], "left"), np.searchsorted(a, batch[-1], "right")
        rows = np.asarray([row[int(x)] for x in a[lo:hi]])
        along[lo:hi] = d_all[rows, b[lo:hi]]
        along_free[lo:hi] = d_free[rows, b[lo:hi]]
    gain = along / straight
    keep = (gain > 1 + SHORTCUT_MIN_GAIN) & np.isfinite(along) & (along_free <= along * 1.0001)
    return a[keep], b[keep], straight[keep], gain[keep]


def _great_circles(starts, ends, step_km: float, *, trim=None):
    """Return each start-end great circle as a line of points about step_km apart, for land
    checks (`_both_sides`: one that crosses the antimeridian is there on both sides of it).
    `trim`, two arrays of fractions, leaves out that much of each line at its start and its end."""
    import numpy as np

    def unit(p):
        lon, lat = np.radians(p[:, 0]), np.radians(p[:, 1])
        return np.stack([np.cos(lat) * np.cos(lon), np.cos(lat) * np.sin(lon), np.sin(lat)], axis=1)

    v1, v2 = unit(np.asarray(starts, dtype=float)), unit(np.asarray(ends, dtype=float))
    omega = np.arccos(np.clip(np.sum(v1 * v2, axis=1), -1.0, 1.0))
    out = []
    for i in range(len(v1)):
        k = max(2, int(omega[i] * EARTH_RADIUS_KM // step_km) + 2)
        first, last = (0.0, 1.0) if trim is None else (float(trim[0][i]), 1.0 - float(trim[1][i]))
        f = np.linspace(first, max(first, last), k)[:, None]
        sin = np.sin(omega[i]) or 1.0
        p = (np.sin((1 - f) * omega[i]) * v1[i] + np.sin(f * omega[i]) * v2[i]) / sin
        lon, lat = np.arctan2(p[:, 1], p[:, 0]), np.degrees(np.arcsin(np.clip(p[:, 2], -1, 1)))
        out.append(np.stack([np.degrees(np.unwrap(lon)), lat], axis=1))
    return _both_sides(out)


def _both_sides(lines: Iterable) -> Any:
    """Return (lon, lat) lines as a shapely array for land checks. A line whose longitudes run
    on past +-180 (so that it crosses the antimeridian without going round the world) is there
    twice, as drawn and shifted by 360 degrees, so the land on both sides of the meridian is met."""
    import numpy as np
    import shapely

    out = []
    for line in lines:
        xy = np.asarray(line, dtype=float)
        shift = 360.0 if xy[:, 0].min() < -180.0 else -360.0 if xy[:, 0].max() > 180.0 else 0.0
        if shift:
            moved = xy + np.asarray([shift, 0.0])
            out.append(shapely.multilinestrings([xy, moved]))
        else:
            out.append(shapely.LineString(xy))
    return np.asarray(out, dtype=object)


def _pairs_within(xy, nodes, distance) -> tuple[Any, Any]:
    """Return (a, b) arrays of the pairs among `nodes` (indices of xy) within `distance` degrees
    of each other on the plane (a scalar, or one per node of xy), those across the antimeridian
    included: a node near +-180 is looked for once more, shifted by 360 degrees."""
    import numpy as np
    import shapely

    nodes = np.asarray(nodes)
    if not len(nodes):
        return nodes, nodes
    reach = np.broadcast_to(np.asarray(distance, dtype=float), (len(xy),))[nodes]
    tree = shapely.STRtree(shapely.points(xy[nodes]))
    qa, qb = tree.query(shapely.points(xy[nodes]), predicate="dwithin", distance=reach)
    near = np.nonzero(np.abs(xy[nodes, 0]) > 180.0 - reach)[0]
    if len(near):
        moved = xy[nodes[near]] - [[360.0, 0.0]] * np.sign(xy[nodes[near], :1])
        wa, wb = tree.query(shapely.points(moved), predicate="dwithin", distance=reach[near])
        qa, qb = np.concatenate([qa, near[wa]]), np.concatenate([qb, wb])
    return nodes[qa], nodes[qb]


def find_near_misses(lanes: Lanes, land: LandMask, *, apply: bool = False) -> list[tuple[int, int]]:
    """Return the pairs of unconnected lane nodes within NEAR_MISS_KM whose join stays at sea."""
    import numpy as np
    import shapely

    if len(lanes.coords) < 2:
        return []
    xy = np.asarray(lanes.coords, dtype=float)
    tree = shapely.STRtree(shapely.points(xy))
    a, b = tree.query(shapely.points(xy), predicate="dwithin", distance=NEAR_MISS_KM / 111.0 * 2)
    keep = a < b
    a, b = a[keep], b[keep]
    distance = _haversine_km(xy[a], xy[b])
    keep = distance <= NEAR_MISS_KM
    a, b, distance = a[keep], b[keep], distance[keep]
    linked = {frozenset(e[:2]) for e in lanes.edges}
    fresh = [i for i in range(len(a)) if frozenset((int(a[i]), int(b[i]))) not in linked]
    if not fresh:
        return []
    segments = shapely.linestrings(np.stack([xy[a[fresh]], xy[b[fresh]]], axis=1))
    blocked = set(land.crossed(segments).tolist())
    joins = []
    for k, i in enumerate(fresh):
        if k not in blocked:
            joins.append((int(a[i]), int(b[i])))
            if apply:
                lanes.edges.append((int(a[i]), int(b[i]), float(distance[i]), ""))
    return joins


def attach_ports(places: Iterable[Place], lanes: Lanes, land: LandMask) -> dict[str, Access]:
    """Join each seaport to the lanes along paths over water; name why when it cannot.

    A port takes the paths precomputed for its id and position when the dataset has them, else
    straight edges to its nearest lane nodes when they stay at sea, else the shortest paths
    over a water grid to lane nodes or to points on lane segments (such a segment is split
    there, which is why `lanes` may gain nodes and edges). See `portaccess`.
    """
    from .portaccess import join_ports

    ports = [p for p in places if "sea" in p.modes]
    if ports and not lanes.coords:
        return {p.id: Access(p.id, (), "the dataset has no sea lanes") for p in ports}
    return join_ports(ports, lanes, land) if ports else {}


def _haversine_km(a, b):
    import numpy as np

    lon1, lat1, lon2, lat2 = (np.radians(v) for v in (a[:, 0], a[:, 1], b[:, 0], b[:, 1]))
    h = np.sin((lat2 - lat1) / 2) ** 2 + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.minimum(1.0, np.sqrt(h)))


@dataclass
class _LaneAdjacency:
    """The lanes as the arrays the search core reads: node i is lane node i, both directions of each segment."""

    indptr: Any
    head: Any
    tail: Any
    weights: dict
    n_nodes: int
    passage: list  # the passage tag of each edge ("" for none)


class SeaDistances:
    """Distances between seaports along the lanes (their access edges included), for feeders and services."""

    def __init__(self, lanes: Lanes, access: dict[str, Access]):
        from array import array

        n = len(lanes.coords)
        pairs = sorted((u, v, d, tag) for a, b, d, tag in lanes.edges for u, v in ((a, b), (b, a)))
        indptr = array("i", [0]) * (n + 1)
        for u, _, _, _ in pairs:
            indptr[u + 1] += 1
        for u in range(n):
            indptr[u + 1] += indptr[u]
        self._graph = _LaneAdjacency(
            indptr=indptr,
            head=array("i", (v for _, v, _, _ in pairs)),
            tail=array("i", (u for u, _, _, _ in pairs)),
            weights={"distance_km": array("d", (d for _, _, d, _ in pairs))},
            n_nodes=n,
            passage=[tag for _, _, _, tag in pairs],
        )
        self.access = {pid: a for pid, a in access.items() if a.nodes}
        self._between: dict[tuple[str, str], tuple[float, tuple[str, ...]] | None] = {}

    def _search(self, starts: dict[int, float], targets: Sequence[int] = (), *, limit: float = math.inf):
        from .engine import STOP_ALL, STOP_NONE, search

        graph = self._graph
        sources = sorted(starts.items())
        stop = STOP_ALL if targets else STOP_NONE
        return search(graph, graph.weights["distance_km"], sources, targets=targets, stop=stop, limit=limit)  # type: ignore[arg-type]

    def _passages(self, result, node: int) -> tuple[str, ...]:
        """Return the passages the path a search found to `node` goes through."""
        tags = []
        edge = result.pred[node]
        while edge >= 0:
            tag = self._graph.passage[edge]
            if tag and tag not in tags:
                tags.append(tag)
            edge = result.pred[self._graph.tail[edge]]
        return tuple(sorted(tags))

    def routes(self, starts: dict[int, float], targets: Sequence[int]) -> dict[int, tuple[float, list[int]]]:
        """Return, for each target reached, its distance from the starts (each start's own distance
        added) and the lane nodes from the start it was reached from to it."""
        result = self._search(starts, targets)
        tail = self._graph.tail
        out = {}
        for target in targets:
            if result.reached(target):
                nodes = [tail[e] for e in result.path(target, tail)] + [target]
                out[target] = (result.dist[target], nodes)
        return out

    def nearest(self, ports: list[str]) -> dict[str, tuple[str, float, tuple[str, ...]]]:
        """Return, for every other seaport, the nearest of `ports` along the lanes, the distance to
        it and the passages on the way."""
        starts: dict[int, tuple[float, str]] = {}
        for pid in ports:
            for node, km in self.access.get(pid, Access(pid, ())).nodes:
                if km < starts.get(node, (math.inf, ""))[0]:
                    starts[node] = (km, pid)
        if not starts:
            return {}
        result = self._search({node: km for node, (km, _) in starts.items()})
        tail = self._graph.tail
        root: dict[int, str] = {}

        def root_of(node: int) -> str:
            chain = []
            while node not in root:
                edge = result.pred[node]
                if edge < 0:
                    root[node] = starts[node][1]
                    break
                chain.append(node)
                node = tail[edge]
            found = root[node]
            for visited in chain:
                root[visited] = found
            return found

        chosen = set(ports)
        out: dict[str, tuple[str, float, tuple[str, ...]]] = {}
        for pid, joined in self.access.items():
            if pid in chosen:
                continue
            best = min(
                ((result.dist[node] + km, node) for node, km in joined.nodes if result.reached(node)), default=None
            )
            if best is not None:
                out[pid] = (root_of(best[1]), best[0], self._passages(result, best[1]))
        return out

    def nearest_few(
        self, ports: list[str], count: int, *, within_km: float = math.inf
    ) -> dict[str, list[tuple[str, float, tuple[str, ...]]]]:
        """Return, for every other seaport, the `count` nearest of `ports` along the lanes within
        `within_km`, nearest first, each with the distance to it and the passages on the way (one
        search per port, none searching further than `within_km`)."""
        import numpy as np

        sources = [pid for pid in ports if pid in self.access]
        others = list(self.access)
        if not sources or not others:
            return {}
        # Every seaport's join nodes in one flat array, grouped by port, for one gather per search.
        nodes = np.array([node for pid in others for node, _ in self.access[pid].nodes], dtype=np.int64)
        km = np.array([d for pid in others for _, d in self.access[pid].nodes])
        groups = np.cumsum([0] + [len(self.access[pid].nodes) for pid in others[:-1]])
        table = np.empty((len(sources), len(others)))
        results = []
        for row, pid in enumerate(sources):
            first: dict[int, float] = {}
            for node, d in self.access[pid].nodes:
                first[node] = min(d, first.get(node, math.inf))
            result = self._search(first, limit=within_km)
            results.append(result)
            table[row] = np.minimum.reduceat(np.frombuffer(result.dist, dtype=np.float64)[nodes] + km, groups)
        index = {pid: i for i, pid in enumerate(others)}
        for row, pid in enumerate(sources):
            table[row, index[pid]] = math.inf  # a port is not its own nearest
        order = np.argsort(table, axis=0, kind="stable")[:count]
        out: dict[str, list[tuple[str, float, tuple[str, ...]]]] = {}
        for column, other in enumerate(others):
            chosen = []
            for row in order[:, column]:
                distance = float(table[row, column])
                if not math.isfinite(distance):
                    break
                joined = self.access[other].nodes
                result = results[row]
                node = min(joined, key=lambda item: result.dist[item[0]] + item[1])[0]
                chosen.append((sources[row], distance, self._passages(result, node)))
            if chosen:
                out[other] = chosen
        return out

    def between(self, a: str, b: str) -> tuple[float, tuple[str, ...]] | None:
        """Return the distance from port a to port b along the lanes and the passages on the way
        (None when they do not join)."""
        key = (a, b) if a <= b else (b, a)
        if key not in self._between:
            if a not in self.access or b not in self.access:
                self._between[key] = None
            else:
                ends: dict[int, float] = {}
                for node, km in self.access[b].nodes:
                    ends[node] = min(km, ends.get(node, math.inf))
                starts: dict[int, float] = {}
                for node, km in self.access[a].nodes:
                    starts[node] = min(km, starts.get(node, math.inf))
                result = self._search(starts, list(ends))
                found = [(result.dist[node] + km, node) for node, km in ends.items() if result.reached(node)]
                if found:
                    km, node = min(found)
                    self._between[key] = (km, self._passages(result, node))
                else:
                    self._between[key] = None
        return self._between[key]


def sea_distances(lanes: Lanes, access: dict[str, Access]) -> SeaDistances:
    """Return the lane distances between the seaports that join the lanes."""
    return SeaDistances(lanes, access)
