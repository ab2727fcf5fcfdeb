"""Time two checkouts of corridor against each other, in turns, on the same queries.

The machine's speed drifts (on the 2-core development machine by up to 2x from day to day), so
a figure from another day says little about a change; this runs both versions now, each in its
own fresh process, alternating:

    git worktree add ../before <commit>
    cc -shared -O2 -fPIC $(python3-config --includes) ../before/src/corridor/_core.c \
        -o ../before/src/corridor/_core$(python3-config --extension-suffix)
    python benchmarks/versions.py ../before/src src --rounds 3

(the second line compiles the other checkout's search core: without it that checkout searches in
Python, and the script refuses to compare the two).

Each process loads the bundled network (a checkout whose packaged network is stale builds it
once into a private cache of this run) and times, warm, the median of three 555 x 555 seaport
matrices by distance (bench.py's seeded sample), Chongqing to Umm Qasr by time, reach from
Chongqing by time, and the median of three builds of the bundled network from its raw data.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from _common import machine

CHILD = r"""
import json, random, sys, time, statistics
import corridor
from corridor.network import load_network

def timed(fn, runs):
    fn()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)

network = load_network()
rng = random.Random(555)
ports = sorted(p for p, place in network.places.items() if place.origin == "wpi" and network.routable(p))
rng.sample(ports, 50)  # bench.py draws the 50 x 50 sample first
chosen = rng.sample(ports, 555)
from corridor import engine
print(json.dumps({
    "where": corridor.__file__,
    "compiled": engine.compiled(),
    "matrix_555_s": timed(lambda: corridor.matrix(network, chosen, chosen, by="distance"), 3),
    "umm_qasr_ms": 1000 * timed(lambda: corridor.find_routes(network, "Chongqing", "Umm Qasr", by="time"), 35),
    "reach_ms": 1000 * timed(lambda: corridor.reach(network, "Chongqing", by="time"), 7),
    "build_s": timed(lambda: load_network(cache=False), 3),
}))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("before", type=Path, help="the src folder of the first checkout")
    parser.add_argument("after", type=Path, help="the src folder of the second checkout")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    print(f"machine: {machine()}")
    results: dict[str, list[dict]] = {"before": [], "after": []}
    with tempfile.TemporaryDirectory(prefix="corridor-versions-") as cache:
        for _ in range(args.rounds):
            for name in ("before", "after"):
                src = getattr(args, name).resolve()
                env = {**os.environ, "PYTHONPATH": str(src), "CORRIDOR_CACHE": str(Path(cache) / name)}
                env.pop("CORRIDOR_DATA", None)
                done = subprocess.run([sys.executable, "-c", CHILD], env=env, capture_output=True, text=True)
                if done.returncode != 0:
                    raise SystemExit(f"{name} ({src}) failed:\n{done.stderr[-1500:]}")
                figures = json.loads(done.stdout.strip().splitlines()[-1])
                results[name].append(figures)
                print(name, {k: round(v, 3) if isinstance(v, float) else v for k, v in figures.items()}, flush=True)
    if len({r["compiled"] for rows in results.values() for r in rows}) > 1:
        raise SystemExit("one checkout searches in C and the other in Python: compile both search cores")
    for key in ("matrix_555_s", "umm_qasr_ms", "reach_ms", "build_s"):
        before = [r[key] for r in results["before"]]
        after = [r[key] for r in results["after"]]
        print(
            f"{key}: before {min(before):.3g}-{max(before):.3g}, after {min(after):.3g}-{max(after):.3g}, "
            f"median ratio after/before {statistics.median(after) / statistics.median(before):.2f}"
        )


if __name__ == "__main__":
    main()
