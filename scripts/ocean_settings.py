"""Compare settings of the open-ocean shortcuts on the calibration half of the sea-distance table.

Usage: python scripts/ocean_settings.py [--data data] [--settings 1500:50 1500:25 ...]

For each setting (reach in km : clearance from land in km, and optionally : the shortest
shortcut in km, 500 unless given), the open-ocean shortcuts
(`corridor.sealanes.find_ocean_shortcuts`) are found afresh on the bundled lanes and the coastal
shortcuts of `sea/port_access.json`, written into a copy of the dataset in place of the table's
own, and the calibration half is scored with `scripts/calibration_report.py`. The ports' access
paths and the rounding segments stay those of the table, so a setting's figure can differ a
little from the one a full `scripts/prepare_access.py` run gives. Only the calibration half is
read: the held-out half judges the setting chosen.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from calibration_report import lanes_with, score_with_segments

import corridor.sealanes as sealanes
from corridor.geo import haversine_km
from corridor.portaccess import ACCESS_TABLE_FILE
from corridor.sealanes import LandMask, find_ocean_shortcuts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path("data"))
    parser.add_argument(
        "--settings",
        nargs="+",
        default=["1500:50", "2500:50", "2500:100", "1500:25", "1500:15", "1500:10", "1500:25:300"],
    )
    args = parser.parse_args()
    table = json.loads((args.data / ACCESS_TABLE_FILE).read_text(encoding="utf-8"))
    # The table's joins and coastal shortcuts, without the open-ocean ones it holds.
    coastal_max = sealanes.OCEAN_MIN_KM
    base = [pair for pair in table["near_misses"] if haversine_km(*pair[0], *pair[1]) < coastal_max]
    for setting in args.settings:
        reach, clearance, *rest = (float(x) for x in setting.split(":"))
        sealanes.OCEAN_MAX_KM, sealanes.OCEAN_CLEARANCE_KM = reach, clearance
        sealanes.OCEAN_MIN_KM = rest[0] if rest else coastal_max
        lanes, land = lanes_with(args.data, base), LandMask(args.data)
        found = find_ocean_shortcuts(lanes, land)
        summary = score_with_segments(
            args.data, table, base + [[list(lanes.coords[u]), list(lanes.coords[v])] for u, v in found]
        )
        print(
            f"reach {sealanes.OCEAN_MIN_KM:g}-{reach:g} km, clearance {clearance:g} km: {len(found)} shortcuts; "
            f"{summary}"
        )


if __name__ == "__main__":
    main()
