"""Precompute how every seaport of the bundled dataset joins the sea lanes: data/sea/port_access.json.

Usage: python scripts/prepare_access.py [--data data] [--workers 2]

Each port gets its access paths over water (straight where clear, else the shortest path over a
grid of water cells from Natural Earth 1:10m land; see `corridor.portaccess`), keyed by its id
and position; the file also holds the lane segments the build adds: joins of near-miss lane ends,
lane shortcuts (`corridor.sealanes.find_shortcuts`) and the rounding segments round headlands
and islands (`corridor.rounding`), of both only those that lie on a shortest path between two
ports. The build takes a port's paths from here while its position and the lane, correction and
land files are the ones they were made from, and works out any other port on the fly. Rerun
after changing any of those.
"""

from __future__ import annotations

import argparse
import time
from multiprocessing import Pool
from pathlib import Path

from corridor.datasets import load_dataset
from corridor.portaccess import compute_access, write_access_table
from corridor.rounding import find_rounding, held_on_port_paths, on_port_paths
from corridor.sealanes import (
    LandMask,
    add_rounding,
    attach_ports,
    find_near_misses,
    find_shortcuts,
    haversine_km,
    join_near_misses,
    read_lanes,
)

_STATE: dict = {}


def _work(chunk):
    return compute_access(chunk, _STATE["lanes"], _STATE["land"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path("data"))
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    started = time.perf_counter()
    dataset = load_dataset(args.data)
    lanes, land = read_lanes(args.data), LandMask(args.data)
    joins = find_near_misses(lanes, land, apply=True)
    shortcuts = find_shortcuts(lanes, land)
    for u, v in shortcuts:
        lanes.edges.append((u, v, haversine_km(*lanes.coords[u], *lanes.coords[v]), ""))
    near = [(lanes.coords[u], lanes.coords[v]) for u, v in joins + shortcuts]
    ports = sorted((p for p in dataset.places.values() if "sea" in p.modes), key=lambda p: p.id)
    _STATE.update(lanes=lanes, land=land)
    chunks = [ports[i :: args.workers * 8] for i in range(args.workers * 8)]
    joined = {}
    with Pool(args.workers) as pool:
        for part in pool.imap_unordered(_work, chunks):
            joined.update(part)
    entries = {}
    for place in ports:
        j = joined[place.id]
        entry = {"lon": place.lon, "lat": place.lat, "tolerance_km": j.tolerance_km, "paths": []}
        for path in j.paths:
            *inner, end = path[1:]
            entry["paths"].append([list(p) for p in inner] + [[round(end[0], 5), round(end[1], 5)]])
        if j.problem:
            entry["problem"] = j.problem
        entries[place.id] = entry
    path = write_access_table(args.data, near, entries)
    # The rounding segments, on the lanes as the build has them when it adds them: joined, and
    # split where the ports' access paths end; only those on a shortest path between two ports.
    built = read_lanes(args.data)
    join_near_misses(built, land)
    access = attach_ports([p for p in ports if p.operational], built, land)
    found = find_rounding(built, land)
    rounding = on_port_paths(built, access, found)
    # Then the shortcuts, on the lanes with the rounding segments kept: only those on a shortest
    # path between two ports, or split where a port's access path ends.
    add_rounding(built, rounding)
    kept = held_on_port_paths(built, access, [(lanes.coords[u], lanes.coords[v]) for u, v in shortcuts])
    near = [(lanes.coords[u], lanes.coords[v]) for u, v in joins] + kept
    path = write_access_table(args.data, near, entries, rounding)
    failed = sum(1 for e in entries.values() if not e["paths"])
    print(
        f"wrote {path}: {len(entries)} ports, {failed} cannot join, {len(joins)} lane joins, "
        f"{len(kept)} shortcuts ({len(shortcuts)} before those off the ports' shortest paths were dropped), "
        f"{len(rounding)} rounding segments ({len(found)} before), "
        f"{time.perf_counter() - started:.0f} s"
    )


if __name__ == "__main__":
    main()
