"""Look for two faults in the sea lanes: segments over land, and voyages that start by turning back.

Usage:
  python scripts/lane_checks.py over-land [--data DIR] [--top N]
  python scripts/lane_checks.py turn-backs [--data DIR] [--longer-than PCT] [--turn DEG] [--leg-km KM]

`over-land` reads the lanes as the build starts from them (the base network with the corrections,
`read_lanes`; not the shortcuts, rounding segments and access paths the build adds, which keep
off land by construction) and prints every segment that touches the land mask the build uses
(`LandMask`: Natural Earth 1:10m land, the islands file and the drawn shoals), with about how far
it runs over it. Lakes inside the land polygons (the Great Lakes) count as land, and a channel
drawn through a shoal touches it on purpose, so not every segment listed is a fault: an open-sea
lane across an island is.

`turn-backs` routes the published pairs of the calibration half and of the extension (as
tests/test_sea_distances.py measures them) and prints those that come out more than PCT percent
long and whose path turns back by more than DEG degrees between two legs of KM or more: most often
a port whose only joins to the lanes lie beyond a headland or an island, so that its voyages the
other way go out and come back (how Bantry, Ayios Nikolaos, Porto Ponte Romano and Malakal were
found; data/sea/CORRECTIONS.md). The held-out half is left out, so that it stays a blind test.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
from pathlib import Path

from calibration_report import EXTENSION, TABLE, calibration_results

from corridor.calibration import pair_places
from corridor.datasets import bundled_data_dir
from corridor.errors import CorridorError
from corridor.geo import KM_PER_NM, haversine_km, path_length_km
from corridor.network import load_network
from corridor.sealanes import LandMask, read_lanes


def _over_km(geometry) -> float:
    """Return the length in km of the lines of a lon/lat geometry (a segment's part over land)."""
    import shapely

    return sum(path_length_km(part.coords) for part in shapely.get_parts(geometry) if part.geom_type == "LineString")


def over_land(root: Path, top: int) -> int:
    import numpy as np
    import shapely

    lanes = read_lanes(root)
    land = LandMask(root)
    ends = [
        (lanes.coords[u], lanes.coords[v], km)
        for u, v, km, _ in lanes.edges
        if abs(lanes.coords[u][0] - lanes.coords[v][0]) <= 180  # the antimeridian's segments run on past +-180
    ]
    segments = np.array([shapely.LineString([a, b]) for a, b, _ in ends], dtype=object)
    found = []
    for index in land.crossed(segments):
        segment = segments[index]
        hit = land.tree.geometries.take(land.tree.query(segment, predicate="intersects"))
        over = sum(_over_km(polygon.intersection(segment)) for polygon in hit)
        found.append((over, *ends[index]))
    found.sort(reverse=True)
    print(f"{len(found):,} of {len(segments):,} lane segments touch the land mask")
    for low, high in ((0, 2), (2, 20), (20, math.inf)):
        print(f"  over land {low}-{high} km: {sum(low <= f[0] < high for f in found):,}")
    for over, a, b, km in found[:top]:
        print(f"{a[0]:.3f},{a[1]:.3f} -> {b[0]:.3f},{b[1]:.3f}: {km:,.0f} km long, about {over:,.1f} km over land")
    return 0


def _bearing(a, b) -> float:
    lat1, lat2 = math.radians(a[1]), math.radians(b[1])
    dlon = math.radians(b[0] - a[0])
    x = math.sin(dlon) * math.cos(lat2)
    y = math.cos(lat1) * math.sin(lat2) - math.sin(lat1) * math.cos(lat2) * math.cos(dlon)
    return math.degrees(math.atan2(x, y))


def _turn_back(line, turn: float, leg_km: float) -> tuple[float, tuple[float, float]] | None:
    """Return (change of bearing, corner) of the first corner of a line where it turns back by more
    than `turn` degrees between two legs of `leg_km` or more; None if it does not."""
    for before, corner, after in zip(line, line[1:], line[2:], strict=False):
        if haversine_km(*before, *corner) < leg_km or haversine_km(*corner, *after) < leg_km:
            continue
        change = abs((_bearing(corner, after) - _bearing(before, corner) + 180) % 360 - 180)
        if change > turn:
            return change, corner
    return None


def turn_backs(data: str | None, longer_than: float, turn: float, leg_km: float) -> int:
    network = load_network(data)
    count = 0
    for _, row, nm, _ in calibration_results(network, (TABLE, EXTENSION)):
        published = float(row["distance_nm"])
        error = (nm - published) / published if nm is not None else 0.0
        if error * 100 <= longer_than:
            continue
        km, line = network.sea_path(*pair_places(network, row), avoid=[a for a in row["avoid"].split(";") if a])
        found = _turn_back(line, turn, leg_km)
        if found is not None:
            count += 1
            change, corner = found
            print(
                f"{row['from_locode']}-{row['to_locode']}: {km / KM_PER_NM:,.0f} nm against {published:,.0f} "
                f"({error:+.1%}), turns back {change:.0f} degrees at {corner[0]:.2f},{corner[1]:.2f}"
            )
    print(f"{count} pairs more than {longer_than:g}% long turn back")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="check", required=True)
    land = sub.add_parser("over-land", help="lane segments that touch land")
    land.add_argument("--data", default=None, help="dataset directory (the bundled one by default)")
    land.add_argument("--top", type=int, default=20, help="how many to list, longest over land first")
    back = sub.add_parser("turn-backs", help="long pairs whose path turns back")
    back.add_argument("--data", default=None, help="dataset directory (the bundled one by default)")
    back.add_argument(
        "--longer-than", type=float, default=5.0, metavar="PCT", help="percent over the published distance"
    )
    back.add_argument("--turn", type=float, default=150.0, metavar="DEG", help="least change of bearing at a corner")
    back.add_argument("--leg-km", type=float, default=8.0, metavar="KM", help="least length of both legs at the corner")
    args = parser.parse_args(argv)
    try:
        if args.check == "over-land":
            return over_land(Path(args.data) if args.data else bundled_data_dir(), args.top)
        return turn_backs(args.data, args.longer_than, args.turn, args.leg_km)
    except CorridorError as exc:
        print(f"lane_checks.py: {exc}", file=sys.stderr)
        return 1
    except BrokenPipeError:  # the reader went away (`| head`): stop quietly, the output cut short
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1


if __name__ == "__main__":
    raise SystemExit(main())
