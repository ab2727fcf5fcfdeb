"""Compare how many mainline container ports serve each feeder port, on random pairs of world ports.

Usage: python scripts/feeder_detours.py [--data DIR] [--settings 1:1.5 3:1.5 3:inf] [--pairs 300] [--seed 7]

A feeder port reaches the mainline network by feeders to its nearest container port of that
network, to up to `FEEDER_MAINLINE_PORTS` nearest (the nearest among them) no more than
`FEEDER_NEAR_RATIO` times as far as the nearest (`corridor.network`; 3 and 1.5), and to its
nearest hub. A setting is PORTS:RATIO. For each setting the network is built afresh, and
`--pairs` pairs of routable World Port Index ports (seeded sample, no more than 6,000 km apart
by sea) are routed by distance over the sea modes; each route is compared with the shortest way
by sea between the two ports along the lanes (`Network.sea_path`), which no ship's route can
undercut. The script prints, per setting, the median of that ratio, how many routes exceed 1.5
and 2 times it, the build time, and the feeder links longer than 5,000 km from a port that has a
relay within 1,000 km (feeders across an ocean when one is close at hand; links to the nearest
hub count too). It reads no published figure: it says how far the feeder model sends cargo out
of its way.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from pathlib import Path

import corridor.network as network_module
from corridor.datasets import dataset_dir
from corridor.errors import CorridorError
from corridor.routing import find_routes


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=None, help="dataset directory (the bundled one by default)")
    parser.add_argument(
        "--settings",
        nargs="+",
        default=["1:1.5", "3:1.5", "3:inf"],
        metavar="PORTS:RATIO",
        help="FEEDER_MAINLINE_PORTS and FEEDER_NEAR_RATIO",
    )
    parser.add_argument("--pairs", type=int, default=300)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    root = Path(dataset_dir(args.data))
    pairs: list[tuple[str, str, float]] = []
    for setting in args.settings:
        count, ratio = setting.split(":")
        network_module.FEEDER_MAINLINE_PORTS, network_module.FEEDER_NEAR_RATIO = int(count), float(ratio)
        started = time.perf_counter()
        network = network_module.build_from(root)
        built = time.perf_counter() - started
        if not pairs:
            ports = sorted(
                p for p, place in network.places.items()
                if place.origin != "curated" and "sea" in place.modes and network.routable(p)
            )  # fmt: skip
            rng = random.Random(args.seed)
            while len(pairs) < args.pairs:
                a, b = rng.sample(ports, 2)
                found = network.sea_path(a, b)
                if found is not None and found[0] <= 6000:
                    pairs.append((a, b, found[0]))
        ratios = []
        for a, b, km in pairs:
            try:
                ratios.append(find_routes(network, a, b, by="distance", modes=["sea"])[0].distance_km / km)
            except CorridorError:
                ratios.append(float("inf"))
        feeders = [link for link in network.sea_links.values() if link.id.startswith("feeder-")]
        nearest: dict[str, float] = {}
        for link in feeders:
            nearest[link.from_id] = min(nearest.get(link.from_id, float("inf")), link.distance_km)
        across = sum(link.distance_km > 5000 and nearest[link.from_id] < 1000 for link in feeders)
        print(
            f"up to {count} nearest within {ratio}x the nearest: "
            f"median {statistics.median(ratios):.3f} of the way by sea; "
            f"over 1.5 times: {sum(r > 1.5 for r in ratios)}, over 2 times: {sum(r > 2 for r in ratios)} "
            f"of {len(ratios)} pairs; {len(feeders):,} feeder links, {across} over 5,000 km from a port with a "
            f"relay within 1,000 km; network built in {built:.1f} s"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
