"""Find via points for a barge or coastal link that keep its drawing on water.

Usage: python scripts/water_path.py "LON LAT" "LON LAT" [...] [--step 0.005] [--margin 0.3] [--clearance 0.3]
       [--keep-clear KM]

A curation aid for `via` in data/links/links.csv (drawing only: link distances stay the
published ones) and for the waypoints of scripts/drawn_lanes.json. Rasterises Natural Earth
1:10m land (data/land/) around the points, finds the shortest 8-connected path over water cells
(keeping a clearance from the shore) through each point in turn, keeps only the points needed
for straight segments over water, and prints the via points in links.csv form (`lon lat;lon lat`).

With `--keep-clear KM` the straight segments also keep KM from the land polygons themselves,
not only from the grid's cells: each segment runs from its point to the farthest later point of
the grid path it reaches without coming nearer the land than KM (measured in a local
equirectangular frame). An end that lies nearer the land than KM (a lane node on the shore) is
let off within 1.6 x KM of it. This is how the lines over land replaced in data/sea were drawn
(`python scripts/draw_lanes.py` then checks and reports each line's least clearance).
"""

from __future__ import annotations

import argparse
import heapq
import itertools
import math
from pathlib import Path

import numpy as np
import shapely

from corridor.portaccess import pull_tight
from corridor.sealanes import LandMask


def water_grid(land: LandMask, bounds: tuple[float, float, float, float], step: float, clearance_km: float):
    """Return the grid's lons, lats and which cells are water at least clearance_km from land."""
    west, south, east, north = bounds
    lons = np.arange(west, east + step / 2, step)
    lats = np.arange(south, north + step / 2, step)
    xx, yy = np.meshgrid(lons, lats)
    wet = np.ones(xx.shape, dtype=bool)
    box = shapely.box(west, south, east, north)
    for index in land.tree.query(box):
        part = land.parts[index]
        if clearance_km > 0:
            part = shapely.buffer(shapely.clip_by_rect(part, *bounds), clearance_km / 111.0)
        wet &= ~shapely.contains_xy(part, xx, yy)
    return lons, lats, wet


def nearest_wet(wet, row: int, col: int) -> tuple[int, int]:
    rows, cols = np.nonzero(wet)
    k = int(np.argmin((rows - row) ** 2 + (cols - col) ** 2))
    return int(rows[k]), int(cols[k])


def grid_path(wet, start: tuple[int, int], goal: tuple[int, int]) -> list[tuple[int, int]]:
    """Return the shortest 8-connected path over wet cells (Dijkstra), or raise."""
    steps = [(dr, dc, math.hypot(dr, dc)) for dr in (-1, 0, 1) for dc in (-1, 0, 1) if dr or dc]
    best = {start: 0.0}
    came: dict[tuple[int, int], tuple[int, int]] = {}
    heap = [(0.0, start)]
    while heap:
        cost, cell = heapq.heappop(heap)
        if cell == goal:
            path = [cell]
            while cell in came:
                cell = came[cell]
                path.append(cell)
            return path[::-1]
        if cost > best[cell]:
            continue
        r, c = cell
        for dr, dc, d in steps:
            nr, nc = r + dr, c + dc
            inside = 0 <= nr < wet.shape[0] and 0 <= nc < wet.shape[1]
            if inside and wet[nr, nc] and cost + d < best.get((nr, nc), math.inf):
                best[(nr, nc)] = cost + d
                came[(nr, nc)] = cell
                heapq.heappush(heap, (cost + d, (nr, nc)))
    raise SystemExit(f"no water path between grid cells {start} and {goal}: widen the box or refine --step")


def keep_clear(route: list, land: LandMask, bounds: tuple[float, float, float, float], km: float) -> list:
    """Return the points of `route` (its ends included) that straight segments need to keep km
    from the land, greedily: from each kept point, the farthest later point reachable."""
    from shapely import affinity

    start, end = route[0], route[-1]
    scale = math.cos(math.radians((start[1] + end[1]) / 2))
    box = shapely.box(*bounds).buffer(0.5)
    parts = [shapely.clip_by_rect(land.parts[i], *box.bounds) for i in land.tree.query(box)]
    ground = shapely.union_all([affinity.scale(p, xfact=scale, yfact=1, origin=(0, 0)) for p in parts])
    near = ground.buffer(km / 111.0)
    shapely.prepare(near)

    def flat(p):
        return shapely.Point(p[0] * scale, p[1])

    free = [flat(p).buffer(1.6 * km / 111.0) for p in (start, end) if ground.distance(flat(p)) * 111.0 < km]
    excused = shapely.union_all(free) if free else shapely.Point(0, 0).buffer(0)

    def clear(p, q) -> bool:
        segment = shapely.LineString([(p[0] * scale, p[1]), (q[0] * scale, q[1])]).difference(excused)
        return segment.is_empty or not near.intersects(segment)

    kept, i = [start], 0
    while i < len(route) - 1:
        j = len(route) - 1
        while j > i + 1 and not clear(route[i], route[j]):
            j -= 1
        kept.append(route[j])
        i = j
    return kept


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("points", nargs="+", help='"LON LAT" of the start, any waypoints and the end')
    parser.add_argument("--step", type=float, default=0.005, help="grid cell in degrees (default 0.005)")
    parser.add_argument("--margin", type=float, default=0.3, help="degrees around the points")
    parser.add_argument("--clearance", type=float, default=0.3, help="km to keep from land (default 0.3)")
    parser.add_argument(
        "--keep-clear",
        type=float,
        metavar="KM",
        help="straight segments keep KM from the land polygons too (see above)",
    )
    parser.add_argument("--data", type=Path, default=Path("data"))
    args = parser.parse_args()
    points = [tuple(float(v) for v in text.split()) for text in args.points]
    land = LandMask(args.data)
    west = min(p[0] for p in points) - args.margin
    east = max(p[0] for p in points) + args.margin
    south = min(p[1] for p in points) - args.margin
    north = max(p[1] for p in points) + args.margin
    lons, lats, wet = water_grid(land, (west, south, east, north), args.step, args.clearance)

    def cell(lon: float, lat: float) -> tuple[int, int]:
        row = round((lat - south) / args.step)
        col = round((lon - west) / args.step)
        return nearest_wet(wet, row, col)

    route: list[tuple[float, float]] = []
    for a, b in itertools.pairwise(points):
        for r, c in grid_path(wet, cell(*a), cell(*b)):
            route.append((float(lons[c]), float(lats[r])))
    if args.keep_clear is not None:
        kept = keep_clear([points[0], *route, points[-1]], land, (west, south, east, north), args.keep_clear)
        print(";".join(f"{x:.4f} {y:.4f}" for x, y in kept[1:-1]))
        return
    line = shapely.LineString(pull_tight(route, land))
    vias = [f"{x:.3f} {y:.3f}" for x, y in list(line.coords)[1:-1]]
    print(";".join(vias))


if __name__ == "__main__":
    main()
