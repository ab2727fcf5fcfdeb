"""What the rounding segments (`corridor.rounding`) cost the searches: the bundled network with
and without them, built alike and timed in turns in one process.

Usage: python benchmarks/rounding_cost.py [--rounds 4]

Prints the graph sizes, then the median time of each query on each network: a 50 x 50 and a
555 x 555 seaport matrix by distance (seeded as in bench.py), Chongqing to Umm Qasr by time and
reach from Chongqing by time. Turns alternate between the networks, so the machine's other work
disturbs both alike.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time

from _common import machine

import corridor
import corridor.network as network_module
from corridor import cache
from corridor.datasets import bundled_data_dir


def _built(rounding: bool):
    """The bundled network as the package ships it (built, then through the compiled format)."""
    root = bundled_data_dir()
    keep = network_module.round_coasts
    if not rounding:
        network_module.round_coasts = lambda lanes, land: 0
    try:
        return cache.loads(cache.dumps(network_module.build_from(root)), root)
    finally:
        network_module.round_coasts = keep


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=4)
    args = parser.parse_args()
    print(f"machine: {machine()}")
    nets = {"without": _built(False), "with": _built(True)}
    for name, net in nets.items():
        print(f"{name} rounding: {net.core.n_nodes:,} nodes, {len(net.core.head):,} edges")
    rng = random.Random(555)
    ports = sorted(
        p
        for p, place in nets["with"].places.items()
        if place.origin == "wpi" and all(n.routable(p) for n in nets.values())
    )
    small, large = rng.sample(ports, 50), rng.sample(ports, 555)
    queries = {
        "matrix 50 x 50 by distance": lambda n: corridor.matrix(n, small, small, by="distance"),
        "matrix 555 x 555 by distance": lambda n: corridor.matrix(n, large, large, by="distance"),
        "Chongqing -> Umm Qasr by time": lambda n: corridor.find_routes(n, "Chongqing", "Umm Qasr", by="time"),
        "reach from Chongqing by time": lambda n: corridor.reach(n, "Chongqing", by="time"),
    }
    repeats = {"Chongqing -> Umm Qasr by time": 20, "reach from Chongqing by time": 5}
    times: dict[tuple[str, str], list[float]] = {}
    for net in nets.values():  # warm: lazy sections, domestic networks
        for query in queries.values():
            query(net)
    for _ in range(args.rounds):
        for label, query in queries.items():
            for name, net in nets.items():
                count = repeats.get(label, 1)
                start = time.perf_counter()
                for _ in range(count):
                    query(net)
                times.setdefault((label, name), []).append((time.perf_counter() - start) / count)
    for label in queries:
        without = statistics.median(times[(label, "without")])
        with_ = statistics.median(times[(label, "with")])
        print(f"{label}: {without * 1000:.1f} ms without, {with_ * 1000:.1f} ms with ({with_ / without - 1:+.0%})")


if __name__ == "__main__":
    main()
