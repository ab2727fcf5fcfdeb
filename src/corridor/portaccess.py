"""Join seaports to the sea lanes along paths over water: straight where clear, else over a water grid.

A port first tries straight edges to its nearest lane nodes (most ports, in bulk), and to the
nearest points on the lane segments that pass much nearer (`_to_segments`). A port whose
straight edges all cross land, or all run far past a nearer lane node behind an island or a
spit, gets shortest paths over a grid of water cells built from the
Natural Earth 1:10m land around it, at three scales (fine near the port, coarser farther out,
each seeded from the one before), pulled tight into a few straight segments: the three cheapest,
and a fourth off the lane segment that all three may lie along (`_targets`). Every segment of a
path is checked exactly against the land; land within the port's shore tolerance does not count
(a port's position may sit on the quay or in the town).

The bundled dataset ships these paths precomputed (`sea/port_access.json`, written by
`scripts/prepare_access.py`); a port missing from that table, or whose position changed, is
joined on the fly.

Near the antimeridian the search runs on a plane that goes WRAP_DEG past +-180: the lane points
and the land just across it are shifted by 360 degrees to lie beside the port (a harbour on
Taveuni, which the 180th meridian crosses, joins the lane on its other side). The paths it
finds are handed back with every longitude within [-180, 180], as the lanes keep theirs.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import logging
import math
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .geo import haversine_km, normalize_lon, path_length_km

log = logging.getLogger(__name__)

ACCESS_TABLE_FILE = Path("sea/port_access.json")
ACCESS_TABLE_FORMAT = 1
KM_PER_DEG_LAT = 110.57
KM_PER_DEG_LON = 111.32

# (half-width of the grid around the port in km, cell size in km): fine near the port, where
# harbours and river mouths are narrow; coarser farther out, where the sea is open.
GRID_LEVELS = ((40.0, 0.25), (150.0, 1.0), (450.0, 3.0))
# A lane over Natural Earth land shows water the land data does not resolve: this far on each side
# of it counts as water (a lake's shore ports join its lane; a river port joins the river's lane).
INLAND_WATER_KM = 50.0
INLAND_OFFSET_MAX_KM = 10.0
INLAND_WATER_MIN_KM = 10.0
INLAND_LAND_MIN_DEG2 = 5.0  # about 40,000-60,000 km2: continents and the largest islands
# How far past +-180 the plane of the search runs (degrees): the widest grid (450 km) at 70 N.
WRAP_DEG = 15.0

Point = tuple[float, float]


def _shifted(geometries, dlon: float):
    """Return shapely geometries moved dlon degrees east."""
    import numpy as np
    import shapely

    shift = np.array([dlon, 0.0])
    return shapely.transform(geometries, lambda xy: xy + shift)


def _land_parts(land, bounds: tuple[float, float, float, float], *, min_area_deg2: float = 0.0) -> list:
    """Return the land inside bounds, clipped to them, of the land parts of at least min_area_deg2.

    Bounds may run up to WRAP_DEG past +-180: the land there is the land across the antimeridian,
    shifted by 360 degrees.
    """
    import shapely

    west, south, east, north = bounds
    out = []
    for shift in (0.0, 360.0, -360.0):  # a point x of the map lies at x + shift on this plane
        w, e = max(west - shift, -180.0), min(east - shift, 180.0)
        if w >= e:
            continue
        for i in land.tree.query(shapely.box(w, south, e, north)):
            if land.parts[i].area < min_area_deg2:
                continue
            part = shapely.clip_by_rect(land.parts[i], w, south, e, north)
            if not part.is_empty:
                out.append(_shifted(part, shift) if shift else part)
    return out


def land_near(land, bounds: tuple[float, float, float, float], *, min_area_deg2: float = 0.0):
    """Return the land inside bounds as one geometry (only land parts of at least min_area_deg2)."""
    import shapely

    parts = _land_parts(land, bounds, min_area_deg2=min_area_deg2)
    return shapely.union_all(parts) if parts else shapely.Polygon()


def _crossed(land, segments):
    """Return a boolean array: which segments (a shapely array) touch land, a segment that runs
    past +-180 (up to WRAP_DEG) checked there against the land across the antimeridian."""
    import numpy as np
    import shapely

    hit = np.zeros(len(segments), dtype=bool)
    if not len(segments):
        return hit
    hit[land.crossed(segments)] = True
    box = shapely.bounds(segments)
    for shift, beyond in ((360.0, box[:, 0] < -180.0), (-360.0, box[:, 2] > 180.0)):
        rows = np.nonzero(beyond)[0]
        if len(rows):
            hit[rows[land.crossed(_shifted(segments[rows], shift))]] = True
    return hit


def _on_map(point: Point) -> Point:
    """Return a point of the plane with its longitude within [-180, 180] (unchanged if it is)."""
    lon, lat = point
    return (lon if -180.0 <= lon <= 180.0 else normalize_lon(lon), lat)


def _lane_key(point: Point) -> Point:
    """Return the lane node key of a point of the plane (as `sealanes.Lanes.node` makes it)."""
    return (round(normalize_lon(point[0]), 5), round(point[1], 5))


@dataclass(frozen=True)
class WaterPath:
    """A path over water from a port to the lanes: its (lon, lat) points and length.

    The last point is a lane node, or a point on a lane segment (`edge` names the segment's
    nodes), where the segment is to be split.
    """

    coords: tuple[Point, ...]
    distance_km: float
    node: int = -1
    edge: tuple[int, int] | None = None


def file_digest(path: Path) -> str:
    """Return the sha256 of a file's bytes ('' when it cannot be read)."""
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return ""


# --------------------------------------------------------------------------- the grid


class _Obstacle:
    """Land around one port, less the disc of its shore tolerance, prepared for exact tests."""

    def __init__(self, land, port: Point, bounds: tuple[float, float, float, float], tolerance_km: float, inland=None):
        import shapely

        self.shapely = shapely
        geometry = land_near(land, bounds)
        if tolerance_km > 0 and not geometry.is_empty:
            geometry = geometry.difference(_disc(port, tolerance_km * 0.98))
        if inland is not None and not inland.is_empty and not geometry.is_empty:
            geometry = geometry.difference(inland)
        shapely.prepare(geometry)
        self.geometry = geometry
        self.empty = geometry.is_empty

    def hits(self, geometries):
        """Return a boolean array: which geometries touch the land (beyond the tolerance)."""
        import numpy as np

        if self.empty:
            return np.zeros(len(geometries), dtype=bool)
        return self.shapely.intersects(self.geometry, geometries)

    def clear(self, a: Point, b: Point) -> bool:
        if self.empty:
            return True
        return not self.shapely.intersects(self.geometry, self.shapely.LineString([a, b]))


def _disc(center: Point, radius_km: float, sides: int = 48):
    """Return a polygon inside the circle of radius_km around a (lon, lat) point."""
    import shapely

    lon, lat = center
    scale = max(math.cos(math.radians(lat)), 0.05)
    ring = [
        (
            lon + radius_km * math.cos(2 * math.pi * k / sides) / (KM_PER_DEG_LON * scale),
            lat + radius_km * math.sin(2 * math.pi * k / sides) / KM_PER_DEG_LAT,
        )
        for k in range(sides)
    ]
    return shapely.Polygon(ring)


@dataclass
class _Level:
    """One grid: its geometry, which cells are water, and the search over it."""

    west: float
    south: float
    dlon: float
    dlat: float
    rows: int
    cols: int
    wet: Any  # bool array rows x cols
    dist: Any = None  # float array over cells (inf where unreached)
    pred: Any = None  # int array over cells (-9999 none; < -9999 a seed: -10000 - index into `seed_from`)
    seed_from: Any = None  # per seed: the cell of the previous level it came from

    def centre(self, cell: int) -> Point:
        r, c = divmod(cell, self.cols)
        return (self.west + (c + 0.5) * self.dlon, self.south + (r + 0.5) * self.dlat)

    def cell_of(self, lon, lat):
        import numpy as np

        c = np.floor((np.asarray(lon) - self.west) / self.dlon).astype(int)
        r = np.floor((np.asarray(lat) - self.south) / self.dlat).astype(int)
        inside = (r >= 0) & (r < self.rows) & (c >= 0) & (c < self.cols)
        return r, c, inside


def _make_level(
    land, port: Point, half_km: float, step_km: float, tolerance_km: float, targets=None
) -> tuple[_Level, _Obstacle]:
    import numpy as np
    import shapely

    lon0, lat0 = port
    scale = max(math.cos(math.radians(lat0)), 0.05)
    dlat = step_km / KM_PER_DEG_LAT
    dlon = step_km / (KM_PER_DEG_LON * scale)
    n = max(math.ceil(2 * half_km / step_km), 3)
    west = max(lon0 - n / 2 * dlon, -180.0 - WRAP_DEG)
    south = max(lat0 - n / 2 * dlat, -89.99)
    cols = min(n, int((180.0 + WRAP_DEG - west) / dlon))
    rows = min(n, int((89.99 - south) / dlat))
    bounds = (west, south, west + cols * dlon, south + rows * dlat)
    inland = targets.inland_waters(bounds, land) if targets is not None else None
    obstacle = _Obstacle(land, port, bounds, tolerance_km, inland)
    xs = west + np.arange(cols) * dlon
    ys = south + np.arange(rows) * dlat
    xx, yy = np.meshgrid(xs, ys)
    if obstacle.empty:
        wet = np.ones((rows, cols), dtype=bool)
    else:
        # A cell is water when its whole square is clear of land: a move between two such
        # neighbouring cells (centre to centre) then never touches land either.
        boxes = shapely.box(xx.ravel(), yy.ravel(), xx.ravel() + dlon, yy.ravel() + dlat)
        wet = ~obstacle.hits(boxes).reshape(rows, cols)
    return _Level(west, south, dlon, dlat, rows, cols, wet), obstacle


def _search(level: _Level, seeds, scale: float) -> None:
    """Shortest distances (km) over the level's water cells from seed cells.

    `seeds` are arrays (cells, costs, origins): a search starts at each seed cell at its cost;
    `origins` remember where each seed came from (a cell of the previous level, or -1).
    """
    import numpy as np
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import dijkstra

    rows, cols = level.rows, level.cols
    wet = level.wet.ravel()
    size = rows * cols
    idx = np.arange(size).reshape(rows, cols)
    dx = level.dlon * KM_PER_DEG_LON * scale
    dy = level.dlat * KM_PER_DEG_LAT
    heads, tails, weights = [], [], []
    for dr, dc in ((0, 1), (1, 0), (1, 1), (1, -1)):
        a = idx[0 : rows - dr, max(0, -dc) : cols - max(0, dc)]
        b = idx[dr:rows, max(0, dc) : cols - max(0, -dc)]
        a, b = a.ravel(), b.ravel()
        both = wet[a] & wet[b]
        heads.append(a[both])
        tails.append(b[both])
        weights.append(np.full(int(both.sum()), math.hypot(dr * dy, dc * dx)))
    # One extra node, the super-source, joined to each seed at its starting cost.
    cells, costs, origins = seeds
    source = size
    heads.append(np.full(len(cells), source))
    tails.append(cells)
    weights.append(costs + 1e-9)  # csgraph drops explicit zeros
    head, tail, weight = np.concatenate(heads), np.concatenate(tails), np.concatenate(weights)
    graph = coo_matrix((weight, (head, tail)), shape=(size + 1, size + 1)).tocsr()
    dist, pred = dijkstra(graph, directed=False, indices=source, return_predecessors=True)
    level.dist = dist[:size]
    pred = pred[:size].copy()
    rank = np.full(size, -1)
    rank[cells] = np.arange(len(cells))
    at_seed = np.nonzero(pred == source)[0]
    pred[at_seed] = -10000 - rank[at_seed]
    level.pred = pred
    level.seed_from = np.asarray(origins, dtype=int)


def _cells_back(levels: Sequence[_Level], depth: int, cell: int) -> list[Point]:
    """Return the cell centres from the port's first cell to `cell` of level `depth`.

    Each level's chain starts at a seed cell, whose square holds the centre of the previous
    level's cell it came from, so the step between levels stays inside one water cell.
    """
    out: list[Point] = []
    while True:
        level = levels[depth]
        chain = []
        while True:
            chain.append(level.centre(cell))
            p = int(level.pred[cell])
            if p <= -10000:
                origin = int(level.seed_from[-10000 - p])
                break
            cell = p
        out = chain[::-1] + out
        if origin < 0:
            return out
        depth -= 1
        cell = origin


def _pull_tight(points: Sequence[Point], obstacle: _Obstacle) -> list[Point]:
    """Keep as few points as possible: from each kept point jump to the farthest one still in
    straight sight over water. Every step of the input is clear of land, so the output is too."""
    kept = [points[0]]
    i = 0
    last = len(points) - 1
    while i < last:
        lo, hi = i + 1, last
        if obstacle.clear(points[i], points[hi]):
            lo = hi
        else:
            # points[lo] is in sight; find a later one in sight by bisection (sight is not
            # monotone along a path, but each step taken is checked, so it is always clear).
            hi -= 1
            while lo < hi:
                mid = (lo + hi + 1) // 2
                if obstacle.clear(points[i], points[mid]):
                    lo = mid
                else:
                    hi = mid - 1
        kept.append(points[lo])
        i = lo
    return kept


def pull_tight(points: Sequence[Point], land) -> list[Point]:
    """Keep as few points of a path over water as possible (see `_pull_tight`), against all the
    land (a `sealanes.LandMask`) within the path's bounding box."""
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    return _pull_tight(points, _Obstacle(land, points[0], (min(xs), min(ys), max(xs), max(ys)), 0.0))


def _seeds_from(prev: _Level, level: _Level):
    """Map every cell the previous level reached onto this level's water cells (cheapest wins)."""
    import numpy as np

    reached = np.nonzero(np.isfinite(prev.dist))[0]
    px = prev.west + (reached % prev.cols + 0.5) * prev.dlon
    py = prev.south + (reached // prev.cols + 0.5) * prev.dlat
    r, c, inside = level.cell_of(px, py)
    keep = inside.copy()
    keep[inside] = level.wet[r[inside], c[inside]]
    reached, r, c = reached[keep], r[keep], c[keep]
    cells = r * level.cols + c
    cx = level.west + (c + 0.5) * level.dlon
    cy = level.south + (r + 0.5) * level.dlat
    scale = max(math.cos(math.radians(float(np.mean(py)) if len(py) else 0.0)), 0.05)
    step = np.hypot((cx - px[keep]) * KM_PER_DEG_LON * scale, (cy - py[keep]) * KM_PER_DEG_LAT)
    cost = prev.dist[reached] + step
    order = np.lexsort((cost, cells))
    cells, cost, reached = cells[order], cost[order], reached[order]
    first = np.ones(len(cells), dtype=bool)
    first[1:] = cells[1:] != cells[:-1]
    return cells[first], cost[first], reached[first]


def water_paths(
    land,
    targets: LaneTargets,
    port: Point,
    *,
    tolerance_km: float,
    edges: int = 2,
    levels: Sequence[tuple[float, float]] = GRID_LEVELS,
) -> list[WaterPath]:
    """Return up to `edges` shortest paths over water from a port to the lanes (shortest first).

    Empty when no lane within the largest grid can be reached without crossing land beyond
    `tolerance_km` from the port.
    """
    import numpy as np

    scale = max(math.cos(math.radians(port[1])), 0.05)
    built: list[_Level] = []
    for depth, (half_km, step_km) in enumerate(levels):
        level, obstacle = _make_level(land, port, half_km, step_km, tolerance_km, targets)
        if depth == 0:
            r, c, inside = level.cell_of(port[0], port[1])
            if not inside or not level.wet[r, c]:
                return []
            start = int(r) * level.cols + int(c)
            seeds = (np.asarray([start]), np.asarray([haversine_km(*port, *level.centre(start))]), np.asarray([-1]))
        else:
            seeds = _seeds_from(built[-1], level)
            if not len(seeds[0]):
                return []
        _search(level, seeds, scale)
        built.append(level)
        bounds = (level.west, level.south, level.west + level.cols * level.dlon, level.south + level.rows * level.dlat)
        xy, refs = targets.within(bounds, step_km)
        segment = [(a, b) if kind == "edge" else None for kind, a, b in refs]
        found = _targets(level, obstacle, xy, edges, spread_km=max(5.0, 4 * step_km), segment=segment)
        if found:
            paths = []
            for index, cell in found:
                end = (float(xy[index, 0]), float(xy[index, 1]))
                points = [port, *_cells_back(built, depth, cell), end]
                pulled = _pull_tight(points, obstacle)
                kind, a, b = refs[index]
                paths.append(
                    WaterPath(
                        (*map(_on_map, pulled[:-1]), _lane_key(end)),
                        path_length_km(pulled),
                        node=a if kind == "node" else -1,
                        edge=(a, b) if kind == "edge" else None,
                    )
                )
            paths.sort(key=lambda p: p.distance_km)
            return paths
    return []


def _lane_nodes(xy):
    """Return the lane nodes as (ids, points on the plane): every node, and those within WRAP_DEG
    of +-180 once more, shifted by 360 degrees across it."""
    import numpy as np

    ids = np.arange(len(xy))
    east, west = xy[:, 0] > 180.0 - WRAP_DEG, xy[:, 0] < WRAP_DEG - 180.0
    points = np.concatenate([xy, xy[east] - (360.0, 0.0), xy[west] + (360.0, 0.0)])
    return np.concatenate([ids, ids[east], ids[west]]), points


def _lane_segments(lanes, xy, *, untagged: bool = False):
    """Return the lane segments as rows (u, v) and their ends (a, b) on the plane, not a passage's
    if `untagged`. A segment across the antimeridian runs on past +-180 (from 179.5 E to 179.5 W is
    from 179.5 to 180.5, not round the world), and a segment within WRAP_DEG of +-180 is there once
    more, shifted by 360 degrees across it."""
    import numpy as np

    pairs = np.asarray(
        [(u, v) for u, v, _, passage in lanes.edges if not (untagged and passage)], dtype=np.int64
    ).reshape(-1, 2)
    a, b = xy[pairs[:, 0]], xy[pairs[:, 1]].copy()
    across = np.abs(b[:, 0] - a[:, 0]) > 180.0
    b[across, 0] += np.where(b[across, 0] < a[across, 0], 360.0, -360.0)
    east = np.maximum(a[:, 0], b[:, 0]) > 180.0 - WRAP_DEG
    west = np.minimum(a[:, 0], b[:, 0]) < WRAP_DEG - 180.0
    shift = (360.0, 0.0)
    return (
        np.concatenate([pairs, pairs[east], pairs[west]]),
        np.concatenate([a, a[east] - shift, a[west] + shift]),
        np.concatenate([b, b[east] - shift, b[west] + shift]),
    )


class LaneTargets:
    """Where a port may join the lanes: lane nodes, and points along lane segments (on the plane
    that runs WRAP_DEG past +-180; ids are the lanes' own)."""

    def __init__(self, lanes):
        import numpy as np
        import shapely

        self.lanes = lanes
        xy = np.asarray(lanes.coords, dtype=float)
        self.node_ids, self.xy = _lane_nodes(xy)
        self.pairs, self.a, self.b = _lane_segments(lanes, xy)
        self.segments = shapely.linestrings(np.stack([self.a, self.b], axis=1))
        self.segment_tree = shapely.STRtree(self.segments)
        self.node_tree = shapely.STRtree(shapely.points(self.xy))

    def inland_waters(self, bounds: tuple[float, float, float, float], land):
        """Return the water the lanes reveal inside bounds: a band of INLAND_WATER_KM on each side of
        every lane segment that runs over Natural Earth land (a lake, river or canal that land data
        renders as land: the Great Lakes, the St. Lawrence, the Elbe ...)."""
        import shapely

        box = shapely.box(*bounds)
        segs = self.segment_tree.query(box)
        if not len(segs):
            return None
        over_land = _crossed(land, self.segments[segs])
        if not over_land.any():
            return None
        lines = self.segments[segs[over_land]]
        # Only long stretches over a continent or a large island: a lane clipping a headland or
        # crossing a small island is coarse, not a sign of a lake or river.
        pieces = shapely.get_parts(
            shapely.intersection(lines, land_near(land, bounds, min_area_deg2=INLAND_LAND_MIN_DEG2))
        )
        pieces = pieces[shapely.length(pieces) * KM_PER_DEG_LAT >= INLAND_WATER_MIN_KM]
        if not len(pieces):
            return None
        return shapely.union_all(shapely.buffer(pieces, INLAND_WATER_KM / KM_PER_DEG_LAT))

    def within(self, bounds: tuple[float, float, float, float], spacing_km: float):
        """Return (points, refs) inside bounds: every lane node, and points every `spacing_km`
        along each lane segment; refs are ("node", id, -1) or ("edge", u, v)."""
        import numpy as np
        import shapely

        box = shapely.box(*bounds)
        west, south, east, north = bounds
        nodes = self.node_tree.query(box)
        points = [self.xy[nodes]]
        refs: list[tuple[str, int, int]] = [("node", int(n), -1) for n in self.node_ids[nodes]]
        segs = self.segment_tree.query(box)
        if len(segs):
            u, v = self.pairs[segs, 0], self.pairs[segs, 1]
            a, b = self.a[segs], self.b[segs]
            length = _haversine_rows(a, b)
            counts = np.maximum(np.ceil(length / spacing_km).astype(int), 1)
            seg_index = np.repeat(np.arange(len(segs)), counts - 1)
            step = np.arange(len(seg_index)) - np.repeat(np.cumsum(counts - 1) - (counts - 1), counts - 1)
            t = (step + 1) / np.repeat(counts, counts - 1)
            sample = a[seg_index] + (b[seg_index] - a[seg_index]) * t[:, None]
            sample = np.round(sample, 5)  # lane nodes are kept to 5 decimals
            inside = (sample[:, 0] >= west) & (sample[:, 0] <= east) & (sample[:, 1] >= south) & (sample[:, 1] <= north)
            points.append(sample[inside])
            refs += [("edge", int(u[k]), int(v[k])) for k in seg_index[inside].tolist()]
        return np.concatenate(points) if points else np.zeros((0, 2)), refs


def _haversine_rows(a, b):
    import numpy as np

    from .geo import EARTH_RADIUS_KM

    lon1, lat1, lon2, lat2 = (np.radians(x) for x in (a[:, 0], a[:, 1], b[:, 0], b[:, 1]))
    h = np.sin((lat2 - lat1) / 2) ** 2 + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.minimum(1.0, np.sqrt(h)))


def _targets(
    level: _Level, obstacle: _Obstacle, node_xy, edges: int, *, spread_km: float, segment: Sequence
) -> list[tuple[int, int]]:
    """Return up to `edges` (target, entry cell) pairs the search reached, cheapest first, each
    at least `spread_km` from those before (two neighbouring points of one lane add nothing).

    When they all lie along one lane segment (`segment[target]` names a point's segment, None
    for a lane node), the cheapest target off it is added too: a lane drawn or a shortcut found
    close to a port would otherwise take all its joins and leave it one way only.

    A target is entered from a reached water cell of the 3 x 3 block around it, by a straight
    step checked exactly against the land.
    """
    import numpy as np
    import shapely

    r, c, inside = level.cell_of(node_xy[:, 0], node_xy[:, 1])
    nodes = np.nonzero(inside)[0]
    if not len(nodes):
        return []
    options = []
    for dr in (-1, 0, 1):
        for dc in (-1, 0, 1):
            rr, cc = r[nodes] + dr, c[nodes] + dc
            ok = (rr >= 0) & (rr < level.rows) & (cc >= 0) & (cc < level.cols)
            cell = np.where(ok, rr * level.cols + cc, 0)
            reach = ok & np.isfinite(level.dist[cell])
            options.append((nodes[reach], cell[reach]))
    node_ids = np.concatenate([o[0] for o in options])
    cells = np.concatenate([o[1] for o in options])
    if not len(node_ids):
        return []
    cx = level.west + (cells % level.cols + 0.5) * level.dlon
    cy = level.south + (cells // level.cols + 0.5) * level.dlat
    steps = shapely.linestrings(np.stack([np.stack([cx, cy], 1), node_xy[node_ids]], axis=1))
    clear = ~obstacle.hits(steps)
    scale = max(math.cos(math.radians(float(node_xy[node_ids[0], 1]))), 0.05)
    step_km = np.hypot(
        (node_xy[node_ids, 0] - cx) * KM_PER_DEG_LON * scale, (node_xy[node_ids, 1] - cy) * KM_PER_DEG_LAT
    )
    cost = level.dist[cells] + step_km
    best: dict[int, tuple[float, int]] = {}
    for node, cell, value, ok in zip(node_ids.tolist(), cells.tolist(), cost.tolist(), clear.tolist(), strict=True):
        if ok and (node not in best or value < best[node][0]):
            best[node] = (value, cell)
    ranked = sorted(best.items(), key=lambda item: item[1][0])
    chosen: list[tuple[int, int]] = []

    def apart(node: int) -> bool:
        x, y = node_xy[node]
        return all(haversine_km(x, y, *node_xy[other]) >= spread_km for other, _ in chosen)

    for node, (_, reached) in ranked:
        if apart(node):
            chosen.append((node, reached))
            if len(chosen) == edges:
                break
    if len(chosen) < 2:
        return chosen
    on = {segment[node] for node, _ in chosen}
    if len(on) != 1 or None in on:
        return chosen
    for node, (_, reached) in ranked:
        if segment[node] not in on and apart(node):
            chosen.append((node, reached))
            break
    return chosen


# --------------------------------------------------------------------------- the precomputed table


def inputs_key(root: Path) -> dict[str, str]:
    """Return what the precomputed paths depend on: a digest of the lane, correction and land
    files (the islands file only where the dataset has one, so a table made without it still
    holds for a dataset without it)."""
    from .sealanes import ACCESS_INPUTS, ISLANDS_FILE

    return {
        str(name): file_digest(root / name)
        for name in ACCESS_INPUTS
        if name != ISLANDS_FILE or os.path.lexists(root / name)
    }


@dataclass
class AccessTable:
    """Precomputed access paths and lane joins, valid for the input files they were made from."""

    near_misses: list[tuple[Point, Point]]
    ports: dict[str, dict]  # place id -> {"lon", "lat", "paths": [[[lon, lat], ...], ...], "problem"}
    rounding: list[tuple[Point, Point]] | None = None  # rounding segments (`corridor.rounding`); None: not in the file

    def lookup(self, place_id: str, lon: float, lat: float) -> dict | None:
        entry = self.ports.get(place_id)
        if entry is None or (round(entry["lon"], 6), round(entry["lat"], 6)) != (round(lon, 6), round(lat, 6)):
            return None
        return entry


# Tables read, by their file's and their inputs' (path, mtime, size): a build reads the table
# three times (lane joins, ports, rounding) and parses it once.
_READ: dict[tuple, AccessTable | None] = {}


def read_access_table(root: Path) -> AccessTable | None:
    """Return the dataset's precomputed access table, or None when absent or made from other inputs."""
    from .sealanes import ACCESS_INPUTS

    path = root / ACCESS_TABLE_FILE
    if not path.is_file():
        return None
    stamps: list[tuple[str, int | None, int | None]] = []
    for file in (path, *(root / name for name in ACCESS_INPUTS)):
        try:
            st = file.stat()
            stamps.append((str(file), st.st_mtime_ns, st.st_size))
        except OSError:
            stamps.append((str(file), None, None))
    key = tuple(stamps)
    if key not in _READ:
        if len(_READ) >= 4:
            _READ.clear()
        _READ[key] = _read_access_table(root, path)
    return _READ[key]


def _segments(rows) -> list[tuple[Point, Point]]:
    """Check a table's list of segments ([[lon, lat], [lon, lat]] each); ValueError if malformed."""
    import numpy as np

    values = np.asarray(rows, dtype=float)
    if values.size and (values.ndim != 3 or values.shape[1:] != (2, 2) or not np.isfinite(values).all()):
        raise ValueError("a segment is not two [lon, lat] positions")
    return [((a[0], a[1]), (b[0], b[1])) for a, b in values.tolist()]


def _read_access_table(root: Path, path: Path) -> AccessTable | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if data.get("format") != ACCESS_TABLE_FORMAT:
            return None
        if data.get("inputs") != inputs_key(root):
            log.info("%s was made from other lane or land files; joining ports on the fly", path)
            return None
        near = _segments(data["near_misses"])
        rounding = _segments(data["rounding"]) if "rounding" in data else None
        ports = {str(k): v for k, v in data["ports"].items()}
        for entry in ports.values():
            float(entry["lon"]), float(entry["lat"])
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        log.info("ignoring %s: %s", path, exc)
        return None
    return AccessTable(near_misses=near, ports=ports, rounding=rounding)


def write_access_table(
    root: Path,
    near_misses: Iterable[tuple[Point, Point]],
    ports: Mapping[str, dict],
    rounding: Iterable[tuple[Point, Point]] = (),
) -> Path:
    """Write the precomputed access table: one port per line, so changes diff well."""
    path = root / ACCESS_TABLE_FILE
    head = {"format": ACCESS_TABLE_FORMAT, "inputs": inputs_key(root)}
    lines = ["{", f'"format": {ACCESS_TABLE_FORMAT},', f'"inputs": {json.dumps(head["inputs"], sort_keys=True)},']
    lines.append('"near_misses": ' + json.dumps([[list(a), list(b)] for a, b in near_misses]) + ",")
    lines.append('"rounding": ' + json.dumps([[list(a), list(b)] for a, b in rounding]) + ",")
    lines.append('"ports": {')
    items = sorted(ports.items())
    for i, (pid, entry) in enumerate(items):
        comma = "," if i < len(items) - 1 else ""
        lines.append(f"{json.dumps(pid)}: {json.dumps(entry, sort_keys=True, separators=(',', ':'))}{comma}")
    lines.append("}}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


# --------------------------------------------------------------------------- joining ports

# Straight access: the nearest lane nodes within ACCESS_MAX_KM, up to ACCESS_EDGES of them.
ACCESS_MAX_KM = 120.0
ACCESS_CANDIDATES = 12
ACCESS_EDGES = 3
# A port also joins the nearest point on a lane segment when that is this much nearer than its
# straight joins to nodes (`_to_segments`), on up to SEGMENT_JOINS segments whose points are at
# least SEGMENT_JOIN_APART_KM apart.
SEGMENT_JOIN_GAIN_KM = 2.0
SEGMENT_JOINS = 3
SEGMENT_JOIN_APART_KM = 0.1
# A river harbour's join over resolved water is kept unless it is this much longer than its join
# across the land near it (compute_access): a detour means the water it follows is not its own.
RIVER_DETOUR = 1.2
RIVER_DETOUR_KM = 5.0
# A port whose shortest straight join is longer than this many times its nearest lane node's
# distance, plus STRAIGHT_DETOUR_KM, also gets the joins the water grid finds (compute_access).
STRAIGHT_DETOUR = 2.0
STRAIGHT_DETOUR_KM = 10.0


@dataclass(frozen=True)
class _Joined:
    """A port's access before its ends are lane node ids: paths ending on a lane node or segment."""

    paths: tuple[tuple[Point, ...], ...]
    tolerance_km: float
    problem: str = ""


def join_ports(ports: Sequence, lanes, land) -> dict:
    """Join seaports to the lanes (see `sealanes.attach_ports`); return {place id: Access}."""
    from .sealanes import shore_tolerance_km

    table = read_access_table(land.root) if getattr(land, "root", None) is not None else None
    joined: dict[str, _Joined] = {}
    todo = []
    for place in ports:
        tolerance = shore_tolerance_km(place)
        entry = table.lookup(place.id, place.lon, place.lat) if table is not None else None
        if entry is not None:
            tolerance = entry.get("tolerance_km", tolerance)
            start = (place.lon, place.lat)
            paths = tuple((start, *(tuple(p) for p in path)) for path in entry.get("paths", ()))
            joined[place.id] = _Joined(paths, tolerance, entry.get("problem", ""))
        else:
            todo.append(place)
    if todo:
        joined.update(compute_access(todo, lanes, land))
    return _to_access(joined, lanes)


def compute_access(ports: Sequence, lanes, land) -> dict[str, _Joined]:
    """Work out each port's access paths: straight edges where clear, else over the water grid.

    Every port joins with the coastal shore tolerance (widened by how far inland its position
    lies). A harbour on a river, canal or lake also joins with the river tolerance, which lets
    its paths cross land near it (water Natural Earth 1:10m land does not resolve), and keeps
    that join only where the coastal one fails or is a detour (its shortest path longer than
    RIVER_DETOUR times the other's plus RIVER_DETOUR_KM): a harbour whose water is resolved,
    such as Auckland's Waitemata, leaves by it and not across land the river tolerance would
    let it cut (Auckland's isthmus to the Manukau, a way to the Tasman Sea no ship sails).
    """
    from .sealanes import PORT_LAND_TOLERANCE_KM, shore_tolerance_km

    coastal = {
        p.id: PORT_LAND_TOLERANCE_KM + offset for p, offset in zip(ports, _inland_offsets(ports, land), strict=True)
    }
    out = _join(ports, lanes, land, coastal)
    river = {p.id: shore_tolerance_km(p) for p in ports if shore_tolerance_km(p) > coastal[p.id]}
    if river:
        for pid, wide in _join([p for p in ports if p.id in river], lanes, land, river).items():
            if wide.paths and _detour(out[pid], wide):
                out[pid] = wide
    return out


def _detour(coastal: _Joined, wide: _Joined) -> bool:
    """Whether a port's coastal join fails or is a detour against its join at the river tolerance."""
    if not coastal.paths:
        return True
    shortest = min(path_length_km(p) for p in coastal.paths)
    return shortest > RIVER_DETOUR * min(path_length_km(p) for p in wide.paths) + RIVER_DETOUR_KM


def _join(ports: Sequence, lanes, land, tolerances: Mapping[str, float]) -> dict[str, _Joined]:
    """Join ports at the given shore tolerances: straight edges where clear, else over the grid."""
    straight, nearest_km = _straight(ports, lanes, land, tolerances)
    out: dict[str, _Joined] = {}
    targets = None
    for place in ports:
        tolerance = tolerances[place.id]
        paths = straight.get(place.id, [])
        # A harbour behind an island or a spit: its straight joins all run far past a nearer lane
        # node they cannot reach, so the channel round the island is looked for on the grid too.
        detour = bool(paths) and min(map(path_length_km, paths)) > (
            STRAIGHT_DETOUR * nearest_km[place.id] + STRAIGHT_DETOUR_KM
        )
        if paths and not detour:
            out[place.id] = _Joined(tuple(paths), tolerance)
            continue
        if targets is None:
            targets = LaneTargets(lanes)
        found = water_paths(land, targets, (place.lon, place.lat), tolerance_km=tolerance, edges=ACCESS_EDGES)
        if paths:
            ends = {path[-1] for path in paths}
            extra = [p.coords for p in found if p.coords[-1] not in ends]
            out[place.id] = _Joined((*paths, *extra), tolerance)
        elif found:
            out[place.id] = _Joined(tuple(p.coords for p in found), tolerance)
        else:
            out[place.id] = _Joined((), tolerance, _why_not(place, targets, tolerance))
    return out


def _why_not(place, targets: LaneTargets, tolerance: float) -> str:
    """Say why a port cannot join the lanes: none near, or every one across land."""
    import shapely

    reach = max(h for h, _ in GRID_LEVELS)
    scale = max(math.cos(math.radians(place.lat)), 0.05)
    dlon, dlat = reach / (KM_PER_DEG_LON * scale), reach / KM_PER_DEG_LAT
    box = shapely.box(place.lon - dlon, place.lat - dlat, place.lon + dlon, place.lat + dlat)
    if not len(targets.node_tree.query(box)) and not len(targets.segment_tree.query(box)):
        return f"no sea lane within {reach:.0f} km"
    return (
        f"every sea lane within {reach:.0f} km lies across land more than {round(tolerance, 1):g} km from its position "
        "(inland, or on a river, canal or lake that Natural Earth 1:10m land does not resolve)"
    )


def _inland_offsets(ports: Sequence, land) -> list[float]:
    """Return how far inland each port's recorded position lies (km, at most INLAND_OFFSET_MAX_KM).

    World Port Index positions are given to the minute and often mark the town: a position that
    Natural Earth puts on land has its shore tolerance widened by its distance from the water.
    """
    import numpy as np
    import shapely

    if not ports:
        return []
    points = shapely.points([(p.lon, p.lat) for p in ports])
    inside, parts = land.tree.query(points, predicate="intersects")
    out = np.zeros(len(ports))
    for i, k in zip(inside.tolist(), parts.tolist(), strict=True):
        lat = ports[i].lat
        degrees = shapely.distance(points[i], shapely.boundary(land.parts[k]))
        scale = max(math.cos(math.radians(lat)), 0.05)
        out[i] = max(out[i], min(degrees * KM_PER_DEG_LAT * scale, INLAND_OFFSET_MAX_KM))
    return out.tolist()


def _straight(
    ports: Sequence, lanes, land, tolerances: Mapping[str, float]
) -> tuple[dict[str, list[tuple[Point, Point]]], dict[str, float]]:
    """Return straight access paths (port, lane node) that stay at sea, up to ACCESS_EDGES a port,
    and each port's distance to its nearest lane node within ACCESS_MAX_KM, whether clear or not.

    Candidates and land crossings are computed in bulk (shapely and numpy), so thousands of
    ports take about a second.
    """
    import numpy as np
    import shapely

    if not ports:
        return {}, {}
    # The nodes near +-180 are there twice, once on each side (`_lane_nodes`): `wi` is a node on
    # that plane, `ni` its lane node.
    node_ids, node_xy = _lane_nodes(np.asarray(lanes.coords, dtype=float))
    port_xy = np.asarray([(p.lon, p.lat) for p in ports], dtype=float)
    tolerance = np.asarray([tolerances[p.id] for p in ports], dtype=float)
    reach_deg = ACCESS_MAX_KM / 111.0 / np.maximum(np.cos(np.radians(np.abs(port_xy[:, 1]))), 0.05)
    tree = shapely.STRtree(shapely.points(node_xy))
    pi, wi = tree.query(shapely.points(port_xy), predicate="dwithin", distance=float(reach_deg.max()))
    within = np.abs(node_xy[wi, 1] - port_xy[pi, 1]) <= ACCESS_MAX_KM / 111.0 + 0.01
    pi, wi = pi[within], wi[within]
    distance = _haversine_rows(port_xy[pi], node_xy[wi])
    keep = distance <= ACCESS_MAX_KM
    pi, wi, distance = pi[keep], wi[keep], distance[keep]
    order = np.lexsort((distance, pi))
    pi, wi, distance = pi[order], wi[order], distance[order]
    ni = node_ids[wi]
    first = np.searchsorted(pi, pi, side="left")
    heads = first == np.arange(len(pi))  # each port's nearest node, clear or not
    nearest_km = {ports[p].id: d for p, d in zip(pi[heads].tolist(), distance[heads].tolist(), strict=True)}
    keep = (np.arange(len(pi)) - first) < ACCESS_CANDIDATES
    pi, wi, ni, distance = pi[keep], wi[keep], ni[keep], distance[keep]
    # Which candidate edges cross land beyond the port's tolerance.
    t0 = np.clip(tolerance[pi] / np.maximum(distance, 1e-9), 0.0, 1.0)
    start = port_xy[pi] + (node_xy[wi] - port_xy[pi]) * t0[:, None]
    segments = shapely.linestrings(np.stack([start, node_xy[wi]], axis=1))
    crossing = _crossed(land, segments)
    crossing[distance <= tolerance[pi]] = False
    chosen: dict[str, list[tuple[Point, Point]]] = {}
    for p, n, crosses in zip(pi.tolist(), ni.tolist(), crossing.tolist(), strict=True):
        if crosses:
            continue
        paths = chosen.setdefault(ports[p].id, [])
        if len(paths) < ACCESS_EDGES:
            paths.append(((ports[p].lon, ports[p].lat), tuple(lanes.coords[n])))
    for pid, path in _to_segments(ports, lanes, land, tolerance, chosen):
        chosen[pid].append(path)
    return chosen, nearest_km


def _to_segments(ports: Sequence, lanes, land, tolerance, chosen: Mapping[str, list]) -> list[tuple[str, tuple]]:
    """Return straight joins to the nearest points on lane segments for each port whose straight
    joins (`chosen`) all end farther away than such a point by SEGMENT_JOIN_GAIN_KM, where they
    stay at sea: a lane that runs past a harbour's mouth between two distant nodes (the channel
    into the Bay of All Saints past Salvador) is joined where it passes, not at a node beyond the
    port that every voyage would sail to and back from. Up to SEGMENT_JOINS segments a port,
    nearest first: where lanes converge on a port (the shortcuts off Zeebrugge, a few hundred
    metres apart) a voyage along any of them joins it where it passes, not only one along the
    nearest. Where the nearest is behind land, none is joined this way: the port's joins are
    found round the land as before (`_join` looks for them over the water grid when the straight
    ones are a detour), not to a farther lane past it. The build splits each segment there
    (`_to_access`)."""
    import numpy as np
    import shapely

    todo = [i for i, p in enumerate(ports) if chosen.get(p.id)]
    if not todo or not lanes.edges:
        return []
    xy = np.asarray(lanes.coords, dtype=float)
    # Not a passage's segment (a canal, a strait): a port joined part way along one would let a
    # voyage leave the lanes there and skip the passage's transit, toll or call (Port Said joined
    # 50 km down the Suez Canal).
    _, a, b = _lane_segments(lanes, xy, untagged=True)
    # Only the segments whose box comes within the search distance of the ports' box (one port on
    # `ports add`: a few of the whole network's).
    at = np.asarray([(ports[i].lon, ports[i].lat) for i in todo])
    reach = ACCESS_MAX_KM / 111.0
    low, high = np.minimum(a, b), np.maximum(a, b)
    near = np.all((high >= at.min(axis=0) - reach) & (low <= at.max(axis=0) + reach), axis=1)
    if not near.any():
        return []
    segments = shapely.linestrings(np.stack([a[near], b[near]], axis=1))
    points = shapely.points(at)
    # Every segment that comes nearer to the port than its nearest straight join to a node, less
    # the gain: no other can pass the gain test below.
    nearest_join = np.asarray([min(haversine_km(*path[0], *path[-1]) for path in chosen[ports[i].id]) for i in todo])
    within = (nearest_join - SEGMENT_JOIN_GAIN_KM) / KM_PER_DEG_LAT / np.maximum(np.cos(np.radians(at[:, 1])), 0.05)
    k, s = shapely.STRtree(segments).query(points, predicate="dwithin", distance=float(max(within.max(), 0.0)))
    keep = shapely.distance(points[k], segments[s]) <= within[k]
    k, s = k[keep], s[keep]
    ends = shapely.get_coordinates(
        shapely.line_interpolate_point(segments[s], shapely.line_locate_point(segments[s], points[k]))
    )
    km = _haversine_rows(at[k], ends)
    order = np.lexsort((km, k))
    out = []
    rows = zip(k[order].tolist(), ends[order].tolist(), km[order].tolist(), strict=True)
    for i, group in itertools.groupby(rows, key=lambda row: row[0]):
        place = ports[todo[i]]
        start, skip = (place.lon, place.lat), float(tolerance[todo[i]])
        mine: list[Point] = []
        for _, (lon, lat), d in group:
            if len(mine) >= SEGMENT_JOINS or nearest_join[i] - d < SEGMENT_JOIN_GAIN_KM:
                break  # the rest lie farther off
            end = (round(lon, 5), round(lat, 5))
            if any(haversine_km(*end, *other) < SEGMENT_JOIN_APART_KM for other in mine):
                continue  # where segments cross or meet: one join there is a join to all of them
            if d > skip:
                t0 = skip / d
                clear_of = (start[0] + (end[0] - start[0]) * t0, start[1] + (end[1] - start[1]) * t0)
                if _crossed(land, shapely.linestrings([[clear_of, end]]))[0]:
                    if not mine:
                        break  # the nearest lane lies behind land: the others join round it (`_join`)
                    continue
            mine.append(end)
            out.append((place.id, (start, _lane_key(end))))
    return out


def _to_access(joined: Mapping[str, _Joined], lanes) -> dict:
    """Turn paths into Access values: find each path's lane node, splitting lane segments where a
    path ends on one, and measure each path."""
    from .sealanes import Access

    ends = {path[-1] for j in joined.values() for path in j.paths}
    unknown = [end for end in ends if (round(end[0], 5), round(end[1], 5)) not in lanes.index]
    if unknown:
        _split_lanes(lanes, unknown)
    out = {}
    for pid, j in joined.items():
        nodes: list[tuple[int, float]] = []
        paths: list[tuple[tuple[float, float], ...]] = []
        for path in j.paths:
            node = lanes.index.get((round(path[-1][0], 5), round(path[-1][1], 5)))
            if node is None or any(node == n for n, _ in nodes):
                continue
            nodes.append((node, path_length_km(path)))
            paths.append(tuple(path))
        problem = j.problem if nodes else (j.problem or "its access paths no longer end on a sea lane")
        out[pid] = Access(pid, tuple(nodes), problem, tuple(paths), j.tolerance_km)
    return out


def _split_lanes(lanes, points: Iterable[Point]) -> None:
    """Insert nodes at points lying on lane segments, splitting each segment there."""
    import numpy as np
    import shapely

    points = list(points)
    if not lanes.edges or not points:
        return
    # A segment across the antimeridian runs on past +-180 (`_lane_segments`), not round the world
    # on the plane, where a point on another segment would seem to lie on it too.
    # A point where untagged segments cross splits each of them: a voyage along any joins it there.
    rows, a, b = _lane_segments(lanes, np.asarray(lanes.coords, dtype=float))
    pairs = rows.tolist()
    tagged = {frozenset((u, v)) for u, v, _, passage in lanes.edges if passage}
    tree = shapely.STRtree(shapely.linestrings(np.stack([a, b], axis=1)))
    on_edge: dict[frozenset, list[Point]] = {}
    for point in points:
        found = [frozenset(pairs[i]) for i in tree.query(shapely.Point(point), predicate="dwithin", distance=2e-5)]
        free = [key for key in dict.fromkeys(found) if key not in tagged]
        for key in free or found[:1]:
            on_edge.setdefault(key, []).append(point)
    edges = []
    for u, v, distance, passage in lanes.edges:
        inner = on_edge.get(frozenset((u, v)))
        if not inner:
            edges.append((u, v, distance, passage))
            continue
        start = lanes.coords[u]
        chain = [
            u,
            *(lanes.node(*p) for p in sorted(inner, key=lambda p: haversine_km(start[0], start[1], p[0], p[1]))),
            v,
        ]
        # A segment may be longer than drawn (a correction's `length_nm`): its parts keep its scale.
        drawn = haversine_km(*start, *lanes.coords[v])
        scale = distance / drawn if drawn > 0 and abs(distance - drawn) > 1e-6 * drawn else 1.0
        for a, b in itertools.pairwise(chain):
            if a != b:
                edges.append((a, b, haversine_km(*lanes.coords[a], *lanes.coords[b]) * scale, passage))
    lanes.edges = edges
