"""List the lane segments that thread a narrow gap: within a distance of land but not across it.

Usage: python scripts/narrow_lanes.py [--data data] [--km 0.45]

A curation aid for `data/sea/corrections.geojson` that reads no published distance. A lane of
the base network (with the dataset's corrections applied, `corridor.sealanes.read_lanes`) that
passes within `--km` of Natural Earth 1:10m land without touching it runs through a gap the
scale of a river, a canal or a strait a few hundred metres wide. Most are real fairways (the
Bosporus, the Kanmon Strait, the Elbe); a few are passages no container ship takes, such as the
Euripus at Chalkis (38 m at its sliding bridge) or the Menai Strait (its Swellies), which the
corrections remove with their reasons. Lanes that touch land are not listed: Natural Earth does
not resolve the rivers and canals they follow, and it closes some straits at their narrowest, so
such a strait shows by the lanes of its approaches (the Euripus's from the south, the Menai
Strait's from Bangor). Each line gives the segment, its length and its
passage tag; segments are listed west to east.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from corridor.datasets import bundled_data_dir
from corridor.sealanes import LandMask, read_lanes

KM_PER_DEGREE = 111.32


def narrow_segments(root: Path, km: float) -> list[tuple[tuple[float, float], tuple[float, float], float, str]]:
    """Return (start, end, length_km, passage) of each lane segment within km of land, not touching it."""
    import numpy as np
    import shapely

    lanes = read_lanes(root)
    land = LandMask(root)
    lines = np.array([shapely.LineString([lanes.coords[u], lanes.coords[v]]) for u, v, _, _ in lanes.edges])
    near = set(land.near(lines, km / KM_PER_DEGREE).tolist()) - set(land.crossed(lines).tolist())
    edges = [edge for i, edge in enumerate(lanes.edges) if i in near]
    found = [(lanes.coords[u], lanes.coords[v], length, tag) for u, v, length, tag in edges]
    return sorted(found, key=lambda s: (min(s[0][0], s[1][0]), s[0][1]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=None)
    parser.add_argument("--km", type=float, default=0.45)
    args = parser.parse_args()
    found = narrow_segments(args.data or bundled_data_dir(), args.km)
    print(f"{len(found)} lane segments pass within {args.km:g} km of Natural Earth 1:10m land without touching it")
    for (x1, y1), (x2, y2), length, tag in found:
        print(f"  {x1:9.4f} {y1:8.4f} -> {x2:9.4f} {y2:8.4f}  {length:7.1f} km  {tag}")


if __name__ == "__main__":
    main()
