"""Check the coastal settings again on the calibration half of the sea-distance table: the sea
room of the coast rounding and the land clearance of the coastal lane shortcuts.

Usage: python scripts/coast_settings.py [--data data] [--room 15 20 25 30] [--clearance 1 3 5]

Each setting is tried with the other at its default (`corridor.rounding.SEA_ROOM_KM`,
`corridor.sealanes.SHORTCUT_CLEARANCE_KM`). The lane shortcuts (`find_shortcuts`, in its passes)
and the rounding segments (`find_rounding`, on the lanes as the build has them: joined, and split
where the ports' access paths end) are found afresh and all kept, written into a copy of the
dataset in place of the access table's own, and the calibration half is scored with
`scripts/calibration_report.py`. Keeping all the segments changes no distance between the bundled
ports, so the default settings give the figure the tests print. The ports' access paths stay
those of the table. Only the calibration half is read: the held-out half judges the setting
chosen. Each setting takes a few minutes (the shortcuts take the most).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from calibration_report import score_with_segments

import corridor.rounding as rounding
import corridor.sealanes as sealanes
from corridor.datasets import load_dataset
from corridor.portaccess import ACCESS_TABLE_FILE


def shortcuts(data: Path, land) -> list:
    """The near-miss joins and every lane shortcut, as [[lon, lat], [lon, lat]] pairs."""
    lanes = sealanes.read_lanes(data)
    found = sealanes.find_near_misses(lanes, land, apply=True) + sealanes.find_shortcuts(lanes, land)
    return [[list(lanes.coords[u]), list(lanes.coords[v])] for u, v in found]


def rounding_segments(data: Path, land) -> list:
    """Every rounding segment, on the lanes as the build has them when it adds them."""
    ports = [p for p in load_dataset(data).places.values() if "sea" in p.modes and p.operational]
    built = sealanes.read_lanes(data)
    sealanes.join_near_misses(built, land)
    sealanes.attach_ports(ports, built, land)
    return [[list(a), list(b)] for a, b in rounding.find_rounding(built, land)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path("data"))
    parser.add_argument("--room", type=float, nargs="*", default=[15.0, 20.0, 25.0, 30.0])
    parser.add_argument("--clearance", type=float, nargs="*", default=[1.0, 3.0, 5.0])
    args = parser.parse_args()
    table = json.loads((args.data / ACCESS_TABLE_FILE).read_text(encoding="utf-8"))
    land = sealanes.LandMask(args.data)
    default_room, default_clearance = rounding.SEA_ROOM_KM, sealanes.SHORTCUT_CLEARANCE_KM
    base_shortcuts = shortcuts(args.data, land)
    for room in args.room:
        started = time.perf_counter()
        rounding.SEA_ROOM_KM = room
        segments = rounding_segments(args.data, land)
        summary = score_with_segments(args.data, table, base_shortcuts, segments)
        print(f"sea room {room:g} km: {len(segments)} rounding segments; {summary} "
              f"({time.perf_counter() - started:.0f} s)", flush=True)  # fmt: skip
    rounding.SEA_ROOM_KM = default_room
    base_rounding = rounding_segments(args.data, land) if args.clearance else []
    for clearance in args.clearance:
        started = time.perf_counter()
        sealanes.SHORTCUT_CLEARANCE_KM = clearance
        found = base_shortcuts if clearance == default_clearance else shortcuts(args.data, land)
        summary = score_with_segments(args.data, table, found, base_rounding)
        print(f"shortcut clearance {clearance:g} km: {len(found)} joins and shortcuts; {summary} "
              f"({time.perf_counter() - started:.0f} s)", flush=True)  # fmt: skip
    sealanes.SHORTCUT_CLEARANCE_KM = default_clearance


if __name__ == "__main__":
    main()
