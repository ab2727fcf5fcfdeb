"""Compare how many lane shortcuts are made, on the calibration half of the sea-distance table.

Usage: python scripts/shortcut_settings.py [--data data] [--settings 3:2:1 3:2:2 spanner:0.01 ...]

For each setting (coastal shortcuts per node : open-ocean shortcuts per node : passes; or
`spanner:STRETCH`, the coastal shortcuts chosen as a greedy spanner instead, below), the
lane shortcuts (`corridor.sealanes.find_shortcuts`, which also finds the open-ocean ones) are found
afresh on the bundled lanes and the near-miss joins of `sea/port_access.json`, written into a
copy of the dataset in place of the table's own, and the calibration half is scored with
`scripts/calibration_report.py`. All the shortcuts found are kept, not only those on the ports'
shortest paths, which changes no distance between the bundled ports; the ports' access paths
and the rounding segments stay those of the table, so a setting's figure can differ a little
from the one a full `scripts/prepare_access.py` run gives. Only the calibration half is read:
the held-out half judges the setting chosen. Each line also gives the time `find_shortcuts`
took, which a dataset whose lanes differ spends when its network is built.

`spanner:STRETCH` tries another way of choosing the coastal shortcuts, not the build's: of the
pairs the build looks at (clear of land, their lane path more than SHORTCUT_MIN_GAIN longer than
straight), shortest first, a pair gets its segment only if the lanes and the segments taken
before it join its nodes more than STRETCH longer than straight; no count per node. Each pair's
segment then depends only on what lies within its reach, where the build's choice (each node's
largest savings) moves with lines drawn far away. The open-ocean shortcuts follow as the build
finds them, in its passes.
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
from corridor.rounding import _lane_matrix
from corridor.sealanes import LandMask, Lanes, coastal_candidates, find_ocean_shortcuts, find_shortcuts


def spanner_shortcuts(lanes: Lanes, land: LandMask, stretch: float) -> list[tuple[int, int]]:
    """Return the coastal shortcuts as a greedy spanner with this stretch, then the open-ocean
    ones in the build's passes (see the module's docstring)."""
    import numpy as np
    from scipy.sparse.csgraph import dijkstra

    xy = np.asarray(lanes.coords, dtype=float)
    a, b, straight, _ = coastal_candidates(lanes, land)
    order = np.argsort(straight, kind="stable")
    a, b, straight = a[order], b[order], straight[order]
    base = [(u, v, d) for u, v, d, _ in lanes.edges]
    kept: list[tuple[int, int, float]] = []
    start = 0
    for top in np.arange(5.0, sealanes.SHORTCUT_MAX_KM + 5.0, 5.0):  # 5 km length classes, one search each
        end = int(np.searchsorted(straight, top, "right"))
        if end == start:
            continue
        graph = _lane_matrix(len(xy), base + kept)
        ga, gb, gs = a[start:end], b[start:end], straight[start:end]
        sources, row = np.unique(ga, return_inverse=True)
        far = np.empty(len(ga))
        limit = top * (1 + 2 * stretch) + 1.0  # the longest way a pair of this class may still keep
        for first in range(0, len(sources), 1000):  # a thousand searches at a time: bounded memory
            some = (row >= first) & (row < first + 1000)
            near = dijkstra(graph, directed=False, indices=sources[first : first + 1000], limit=limit)
            far[some] = near[row[some] - first, gb[some]]
        taken = far > gs * (1 + stretch)
        kept += zip(ga[taken].tolist(), gb[taken].tolist(), gs[taken].tolist(), strict=True)
        start = end
    found = [(u, v) for u, v, _ in kept]
    for _ in range(sealanes.SHORTCUT_PASSES):
        edges = list(lanes.edges) + [(u, v, haversine_km(*xy[u], *xy[v]), "") for u, v in found]
        more = find_ocean_shortcuts(Lanes(lanes.coords, edges), land)
        if not more:
            break
        found += more
    return found


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
        lanes = lanes_with(args.data, joins)
        started = time.perf_counter()
        if setting.startswith("spanner:"):
            stretch = float(setting.split(":")[1])
            found = spanner_shortcuts(lanes, land, stretch)
            label = f"coastal shortcuts as a spanner of stretch {stretch:g}"
        else:
            counts = [int(x) for x in setting.split(":")]
            sealanes.SHORTCUTS_PER_NODE, sealanes.OCEAN_SHORTCUTS_PER_NODE, sealanes.SHORTCUT_PASSES = counts
            found = find_shortcuts(lanes, land)
            label = f"{counts[0]} coastal and {counts[1]} open-ocean shortcuts per node, {counts[2]} pass(es)"
        seconds = time.perf_counter() - started
        summary = score_with_segments(
            args.data, table, joins + [[list(lanes.coords[u]), list(lanes.coords[v])] for u, v in found]
        )
        print(
            f"{label}: {len(found)} shortcuts in {seconds:.0f} s; {summary}",
            flush=True,
        )


if __name__ == "__main__":
    main()
