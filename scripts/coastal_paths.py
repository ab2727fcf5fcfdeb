"""Score direct coastal paths between near ports against the lanes, on the calibration half.

Usage: python scripts/coastal_paths.py [--data data] [--below 400] [--clearance 1 5] [--held-out]

For each tested pair of the sea-distance table published at under `--below` nm, the shortest
path over water between the two ports is found on a grid of Natural Earth 1:10m land (cells of
0.02 degrees, keeping `--clearance` km from land; `scripts/water_path.py`), once as the grid
runs and once pulled tight against the land. Each path is scaled by its median ratio to the
published distance on the calibration half, and three rules are scored by the pairs within 5%:
the scaled path alone, the shorter of the lanes and the scaled path, and the scaled path only
where the lanes are longer than it by a threshold. The lanes' own figure is the network's
(`corridor.calibration.sea_pair_nm`). Only the calibration half is read unless `--held-out` is
given; data/sea/CORRECTIONS.md says what the run showed and why the rule was not adopted.
"""

from __future__ import annotations

import argparse
import csv
import statistics
from pathlib import Path

from water_path import grid_path, nearest_wet, water_grid

from corridor.calibration import pair_places, sea_pair_nm
from corridor.geo import KM_PER_NM, path_length_km
from corridor.network import load_network
from corridor.portaccess import pull_tight
from corridor.sealanes import LandMask

TABLE = Path(__file__).resolve().parent.parent / "tests" / "data" / "published_sea_distances.csv"
STEP_DEG = 0.02
TOLERANCE = 0.05
THRESHOLDS = (1.05, 1.1, 1.2, 1.3)


def water_nm(land: LandMask, a, b, published_nm: float, clearance_km: float) -> tuple[float, float] | None:
    """The water path between two places as the grid runs and pulled tight (nm), or None."""
    margin = max(0.6, published_nm / 120)
    west, east = min(a.lon, b.lon) - margin, max(a.lon, b.lon) + margin
    south, north = min(a.lat, b.lat) - margin, max(a.lat, b.lat) + margin
    lons, lats, wet = water_grid(land, (west, south, east, north), STEP_DEG, clearance_km)

    def cell(lon: float, lat: float) -> tuple[int, int]:
        row = min(max(round((lat - south) / STEP_DEG), 0), wet.shape[0] - 1)
        col = min(max(round((lon - west) / STEP_DEG), 0), wet.shape[1] - 1)
        return nearest_wet(wet, row, col)

    try:
        cells = grid_path(wet, cell(a.lon, a.lat), cell(b.lon, b.lat))
    except SystemExit:  # no water path inside the box
        return None
    points = [(a.lon, a.lat), *((float(lons[c]), float(lats[r])) for r, c in cells), (b.lon, b.lat)]
    return path_length_km(points) / KM_PER_NM, path_length_km(pull_tight(points, land)) / KM_PER_NM


def within(value: float | None, published: float) -> bool:
    return value is not None and abs(value - published) / published <= TOLERANCE


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path("data"))
    parser.add_argument("--below", type=float, default=400.0, help="published distance under this (nm)")
    parser.add_argument("--clearance", type=float, nargs="*", default=[1.0, 5.0])
    parser.add_argument("--held-out", action="store_true", help="score the held-out half too")
    args = parser.parse_args()
    network = load_network()
    land = LandMask(args.data)
    rows = [
        r
        for r in csv.DictReader(TABLE.open(encoding="utf-8"))
        if r["status"] == "test" and float(r["distance_nm"]) < args.below
    ]
    halves = ["calibration"] + (["held-out"] if args.held_out else [])
    rows = [r for r in rows if r["split"] in halves]
    measured = []
    for row in rows:
        a, b = (network.places[pid] for pid in pair_places(network, row))
        published = float(row["distance_nm"])
        paths = {c: water_nm(land, a, b, published, c) for c in args.clearance}
        measured.append((row, published, sea_pair_nm(network, row), paths))
    for clearance in args.clearance:
        for kind, index in (("as the grid runs", 0), ("pulled tight", 1)):
            fit = [
                p / paths[clearance][index]
                for row, p, _, paths in measured
                if row["split"] == "calibration" and paths[clearance]
            ]
            scale = statistics.median(fit)
            print(f"clearance {clearance:g} km, {kind}: scale {scale:.3f} (the calibration half's median ratio)")
            for half in halves:
                # (published, lanes, scaled path) per pair; the path stands in for the lanes where
                # none was found, so a rule can only change a pair the grid joins.
                part = [
                    (p, lanes, lanes if paths[clearance] is None else scale * paths[clearance][index])
                    for row, p, lanes, paths in measured
                    if row["split"] == half
                ]
                figures = ", ".join(
                    f"{name} {sum(within(rule(lanes, path), p) for p, lanes, path in part)}"
                    for name, rule in rules().items()
                )
                print(f"  {half} ({len(part)} pairs), within 5%: {figures}")


def rules() -> dict:
    """The rules scored: each takes the lanes' figure and the scaled path (nm) and gives the estimate."""
    found = {
        "lanes": lambda lanes, path: lanes,
        "scaled path": lambda lanes, path: path,
        "shorter of both": lambda lanes, path: lanes if lanes is None else min(lanes, path),
    }
    for t in THRESHOLDS:
        found[f"path where lanes > {t:g}x"] = lambda lanes, path, t=t: (
            path if lanes is not None and lanes > t * path else lanes
        )
    return found


if __name__ == "__main__":
    main()
