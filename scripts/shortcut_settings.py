"""Compare how many lane shortcuts are made, on the calibration half of the sea-distance table.

Usage: python scripts/shortcut_settings.py [--data data] [--settings 3:2:1 3:2:2 ...]

For each setting (coastal shortcuts per node : open-ocean shortcuts per node : passes), the
lane shortcuts (`corridor.sealanes.find_shortcuts`, which also finds the open-ocean ones) are found
afresh on the bundled lanes and the near-miss joins of `sea/port_access.json`, written into a
copy of the dataset in place of the table's own, and the calibration half is scored with
`scripts/calibration_report.py`. All the shortcuts found are kept, not only those on the ports'
shortest paths, which changes no distance between the bundled ports; the ports' access paths
and the rounding segments stay those of the table, so a setting's figure can differ a little
from the one a full `scripts/prepare_access.py` run gives. Only the calibration half is read:
the held-out half judges the setting chosen. Each line also gives the time `find_shortcuts`
took, which a dataset whose lanes differ spends when its network is built.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from calibration_report import lanes_with, score_with_segments

import corridor.sealanes as sealanes
from corridor.geo import haversine_km
from corridor.portaccess import ACCESS_TABLE_FILE
from corridor.sealanes import LandMask, find_shortcuts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path("data"))
    parser.add_argument("--settings", nargs="+", default=["3:2:1", "5:2:1", "3:2:2", "3:2:3", "4:3:2"])
    args = parser.parse_args()
    table = json.loads((args.data / ACCESS_TABLE_FILE).read_text(encoding="utf-8"))
    # The table's near-miss joins, without the shortcuts it also holds.
    joins = [pair for pair in table["near_misses"] if haversine_km(*pair[0], *pair[1]) <= sealanes.NEAR_MISS_KM]
    land = LandMask(args.data)
    for setting in args.settings:
        counts = [int(x) for x in setting.split(":")]
        sealanes.SHORTCUTS_PER_NODE, sealanes.OCEAN_SHORTCUTS_PER_NODE, sealanes.SHORTCUT_PASSES = counts
        lanes = lanes_with(args.data, joins)
        started = time.perf_counter()
        found = find_shortcuts(lanes, land)
        seconds = time.perf_counter() - started
        summary = score_with_segments(
            args.data, table, joins + [[list(lanes.coords[u]), list(lanes.coords[v])] for u, v in found]
        )
        print(
            f"{counts[0]} coastal and {counts[1]} open-ocean shortcuts per node, {counts[2]} pass(es): "
            f"{len(found)} shortcuts in {seconds:.0f} s; {summary}",
            flush=True,
        )


if __name__ == "__main__":
    main()
