"""Time corridor as a planner uses it: a fresh CLI process (cold and warm cache) and API queries.

Run: python benchmarks/bench.py [--runs N]
Prints one line per measurement. The cold run builds the graph into an empty cache; warm runs
reuse it. Figures depend on the machine; the README quotes them for a 2-core machine.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def cli_seconds(argv: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "corridor", *argv], env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"corridor {' '.join(argv)} failed: {done.stderr.strip()}")
    return elapsed


def timed(fn, runs: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(runs):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def report(label: str, value: str) -> None:
    print(f"{label:<44}{value:>10}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7, help="repetitions per warm measurement (median)")
    args = parser.parse_args()

    cache = Path(tempfile.mkdtemp(prefix="corridor-bench-"))
    env = {**os.environ, "CORRIDOR_CACHE": str(cache)}
    query = ["route", "Chongqing", "Umm Qasr"]
    try:
        report("cli  route, cold cache (builds the graph)", f"{cli_seconds(query, env):.3f} s")
        warm = [cli_seconds(query, env) for _ in range(args.runs)]
        report(f"cli  route, warm cache (median of {args.runs})", f"{statistics.median(warm):.3f} s")
        alt = [cli_seconds([*query, "--alternatives", "3", "--format", "json"], env) for _ in range(args.runs)]
        report("cli  route --alternatives 3, warm", f"{statistics.median(alt):.3f} s")
        page = str(cache / "route.html")
        mapped = [cli_seconds([*query, "--alternatives", "2", "--map", page], env) for _ in range(args.runs)]
        report("cli  route --alternatives 2 --map, warm", f"{statistics.median(mapped):.3f} s")

        os.environ["CORRIDOR_CACHE"] = str(cache)
        from corridor import routing
        from corridor.network import load_network

        seconds, network = timed(load_network, args.runs)
        report("api  load_network from the cache", f"{seconds * 1000:.1f} ms")
        for origin, destination, by in (
            ("Chongqing", "Umm Qasr", "cost"),
            ("Chongqing", "Singapore", "time"),
            ("Chongqing", "Hong Kong", "time"),
        ):
            query = lambda o=origin, d=destination, b=by: routing.find_routes(network, o, d, by=b)  # noqa: E731
            seconds, _ = timed(query, args.runs)
            report(f"api  route {origin}-{destination} by {by}", f"{seconds * 1000:.1f} ms")
        seconds, _ = timed(
            lambda: routing.find_routes(network, "Chongqing", "Umm Qasr", by="time", alternatives=3), args.runs
        )
        report("api  route Chongqing-Umm Qasr, 3 alternatives", f"{seconds * 1000:.1f} ms")
        seconds, reached = timed(lambda: routing.reach(network, "Chongqing", by="cost"), args.runs)
        report(f"api  reach from Chongqing ({len(reached)} places)", f"{seconds * 1000:.1f} ms")
        seaports = sorted(p.place_id for p in reached if network.places[p.place_id].kind == "seaport")
        ports = random.Random(1).sample(seaports, 50)
        seconds, _ = timed(lambda: routing.matrix(network, ports, ports, by="distance"), 1)
        report("api  matrix 50 x 50 seaports by distance", f"{seconds:.2f} s")
    finally:
        shutil.rmtree(cache, ignore_errors=True)


if __name__ == "__main__":
    main()
