"""Draw added lane lines from waypoints: ends joined to lane nodes, kept off Natural Earth land.

Usage: python scripts/draw_lanes.py [--spec scripts/drawn_lanes.json] [--data data] [--write]

A curation aid for the `add` lines of data/sea/corrections.geojson. Each entry of the spec names
a correction (its id in the corrections file) and gives:

- `points`: waypoints as [lon, lat]. An end within 5 km of a lane node (of the lanes with the
  corrections before this one) is moved onto it, so the line joins the network there; an end
  farther than that stays where it is, a spur that the ports near it join.
- `step_km`: the line is cut into segments no longer than this, so that the lane shortcuts
  (`corridor.sealanes.find_shortcuts`) have points to join across open water.
- `offset_km` (optional): every point between the ends is moved to lie this far from the nearest
  Natural Earth 1:10m land, along the line from that land: a track that follows the coast.
- `clearance_km`: the least distance every segment must keep from land (islands included).
- `rungs_km` (optional): a line that follows a coast far from the lanes is joined to them by
  rungs: from a point of the line every `rung_every_km` (300 unless given) and from both ends,
  a straight segment to the nearest lane node within `rungs_km` whose segment keeps the
  clearance. Without them the ports that join the line, nearer than the lanes, could leave it
  only by the lane shortcuts the build keeps, which join what lies on the ports' shortest paths.

It prints each line's length and least clearance, and fails (exit 1) if a segment comes closer
to land than its clearance. With `--write` the lines replace the features of the same id in
corrections.geojson (keeping their reason and source) or are appended with the spec's.
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import sys
from pathlib import Path

import numpy as np
import shapely
import shapely.ops

from corridor.geo import haversine_km
from corridor.sealanes import CORRECTIONS_FILE, LandMask, read_lanes

ROOT = Path(__file__).resolve().parent.parent
JOIN_KM = 5.0
KM_PER_DEG = 111.0


def _nearest(coords: np.ndarray, point: tuple[float, float]) -> tuple[tuple[float, float], float]:
    scale = math.cos(math.radians(point[1]))
    index = int(np.hypot((coords[:, 0] - point[0]) * scale, coords[:, 1] - point[1]).argmin())
    found = (float(coords[index, 0]), float(coords[index, 1]))
    return found, haversine_km(*point, *found)


def _between(a: tuple[float, float], b: tuple[float, float], t: float) -> tuple[float, float]:
    return (round(a[0] + (b[0] - a[0]) * t, 5), round(a[1] + (b[1] - a[1]) * t, 5))


def _land_near(land: LandMask, geometry, degrees: float):
    return land.tree.geometries.take(land.tree.query(geometry, predicate="dwithin", distance=degrees))


def _offset(land: LandMask, point: tuple[float, float], km: float) -> tuple[float, float]:
    """Move a point to lie km from the nearest land, along the line from that land."""
    for _ in range(3):
        here = shapely.Point(point)
        near = _land_near(land, here, 2.0)
        if not len(near):
            return point
        inside = any(part.contains(here) for part in near)
        shore = min(
            (shapely.ops.nearest_points(part.boundary if inside else part, here)[0] for part in near),
            key=lambda q: q.distance(here),
        )
        scale = math.cos(math.radians(point[1]))
        dx, dy = (here.x - shore.x) * scale, here.y - shore.y
        norm = math.hypot(dx, dy) or 1e-9
        if inside:
            dx, dy = -dx, -dy
        reach = km / KM_PER_DEG
        point = (round(shore.x + dx / norm * reach / scale, 5), round(shore.y + dy / norm * reach, 5))
    return point


def _clearance_km(land: LandMask, a: tuple[float, float], b: tuple[float, float]) -> float:
    segment = shapely.LineString([a, b])
    near = _land_near(land, segment, 0.5)
    degrees = min((segment.distance(part) for part in near), default=0.5)
    return degrees * KM_PER_DEG * math.cos(math.radians((a[1] + b[1]) / 2))


def _rungs(coords: np.ndarray, land: LandMask, line: list, entry: dict) -> list[tuple]:
    """Return the rungs (point of the line, lane node) that join a drawn line to the lanes."""
    every = entry.get("rung_every_km", 300)
    chosen = [0]
    run = 0.0
    for k, (a, b) in enumerate(itertools.pairwise(line), 1):
        run += haversine_km(*a, *b)
        if run >= every:
            chosen.append(k)
            run = 0.0
    chosen.append(len(line) - 1)
    rungs = []
    for k in dict.fromkeys(chosen):
        point = tuple(line[k])
        scale = math.cos(math.radians(point[1]))
        km = np.hypot((coords[:, 0] - point[0]) * scale, coords[:, 1] - point[1]) * KM_PER_DEG
        if km.min() <= JOIN_KM:
            continue  # joined there already
        for index in np.argsort(km)[:20]:
            if km[index] > entry["rungs_km"]:
                break
            node = (float(coords[index, 0]), float(coords[index, 1]))
            if _clearance_km(land, point, node) >= entry["clearance_km"]:
                rungs.append((point, node))
                break
    return rungs


def draw(spec: dict, lanes, land: LandMask) -> tuple[list[dict], list[str]]:
    """Return the drawn features and the problems (segments too near land)."""
    coords = np.array(lanes.coords)
    features, problems = [], []
    for name, entry in spec.items():
        points = [tuple(p) for p in entry["points"]]
        for end in (0, -1):
            found, km = _nearest(coords, points[end])
            if km <= JOIN_KM:
                points[end] = found
            else:
                print(f"{name}: end {end} is a spur ({km:.0f} km from the nearest lane node)")
        line = [points[0]]
        for a, b in itertools.pairwise(points):
            parts = max(1, math.ceil(haversine_km(*a, *b) / entry["step_km"]))
            line += [_between(a, b, k / parts) for k in range(1, parts + 1)]
        if entry.get("offset_km"):
            line[1:-1] = [_offset(land, p, entry["offset_km"]) for p in line[1:-1]]
        clear = [_clearance_km(land, a, b) for a, b in itertools.pairwise(line)]
        length = sum(haversine_km(*a, *b) for a, b in itertools.pairwise(line))
        worst = int(np.argmin(clear))
        near = f"{clear[worst]:.1f} km near {line[worst]}"
        print(f"{name}: {len(line)} points, {length:,.0f} km, least clearance {near}")
        if clear[worst] < entry["clearance_km"]:
            problems.append(f"{name}: {near}, under {entry['clearance_km']} km from land")
        rungs = _rungs(coords, land, line, entry) if entry.get("rungs_km") else []
        if rungs:
            lengths = ", ".join(f"{haversine_km(*a, *b):.0f}" for a, b in rungs)
            print(f"{name}: {len(rungs)} rungs to the lanes, {lengths} km")
        coords = np.vstack([coords, np.array(line)])  # later lines may join this one
        properties = {
            "id": name,
            "action": "add",
            "reason": entry.get("reason", ""),
            "source": entry.get("source", "estimate"),
        }
        geometry = (
            {"type": "MultiLineString", "coordinates": [[list(p) for p in part] for part in [line, *rungs]]}
            if rungs
            else {"type": "LineString", "coordinates": [list(p) for p in line]}
        )
        features.append({"type": "Feature", "properties": properties, "geometry": geometry})
    return features, problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--spec", type=Path, default=ROOT / "scripts" / "drawn_lanes.json")
    parser.add_argument("--data", type=Path, default=ROOT / "data")
    parser.add_argument("--write", action="store_true", help="put the lines into the corrections file")
    args = parser.parse_args(argv)
    spec = json.loads(args.spec.read_text())
    path = args.data / CORRECTIONS_FILE
    collection = json.loads(path.read_text())
    drawn_ids = set(spec)
    # The lanes the lines join: the base network and every correction that is not one of these.
    kept = [f for f in collection["features"] if f["properties"]["id"] not in drawn_ids]
    lanes = read_lanes(args.data, corrections=kept)
    features, problems = draw(spec, lanes, LandMask(args.data))
    for problem in problems:
        print(f"draw_lanes.py: {problem}", file=sys.stderr)
    if problems:
        return 1
    if args.write:
        old = {f["properties"]["id"]: f for f in collection["features"]}
        for feature in features:
            if feature["properties"]["id"] in old:
                props = old[feature["properties"]["id"]]["properties"]
                feature["properties"].update(reason=props["reason"], source=props["source"])
        collection["features"] = kept + features
        path.write_text(json.dumps(collection, indent=1, ensure_ascii=False) + "\n")
        print(f"wrote {len(features)} lines to {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
