"""Time the decision sweeps serially and on dask.distributed, and print a table for the README.

    python benchmarks/bench_decisions.py [--runs 3] [--workers 1 2] [--ports 500]

- criticality from Chongqing to `--ports` seaports (seeded sample) closing every element (links,
  sea passages and every place routes pass through, pruning off), serially and on a LocalCluster
  of `--workers` processes; and the same with pruning (the default of the command);
- a full all-ports matrix (every routable seaport to every other) on `--workers` processes, and
  serially with the search core's threads (`routing.matrix`) for comparison;
- the Pareto front Chongqing-Singapore and Chongqing-Rotterdam.

Times are medians over `--runs` wall-clock runs, after the cluster has started (its start-up is
timed once on its own). Results on the cluster are checked equal to the serial ones.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

from _common import machine, median_run

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2], help="cluster sizes to time")
    parser.add_argument("--ports", type=int, default=500)
    args = parser.parse_args()

    from corridor import engine, load_network, routing
    from corridor.criticality import criticality
    from corridor.distributed import Dask, matrix
    from corridor.pareto import pareto

    network = load_network()
    seaports = sorted(p for p, place in network.places.items() if "sea" in place.modes and network.routable(p))
    ports = sorted(random.Random(12).sample(seaports, min(args.ports, len(seaports))))
    rows: list[tuple[str, str]] = []
    print(f"machine: {machine()}; C core: {engine.compiled()}", file=sys.stderr)

    def crit(run=None, prune=False):
        return criticality(network, "Chongqing", ports, by="time", prune=prune, run=run)

    serial_all, base = median_run(lambda: crit(), args.runs)
    rows.append((f"criticality, {len(ports)} ports, every element ({base.evaluated}), serial", f"{serial_all:.2f} s"))
    serial_pruned, pruned = median_run(lambda: crit(prune=True), args.runs)
    rows.append(
        (f"criticality, {len(ports)} ports, used elements ({pruned.evaluated}), serial", f"{serial_pruned:.2f} s")
    )
    cells = None
    for workers in args.workers:
        start = time.perf_counter()
        with Dask(workers=workers) as run:
            rows.append((f"LocalCluster start-up, {workers} worker(s)", f"{time.perf_counter() - start:.2f} s"))
            spread_all, other = median_run(lambda run=run: crit(run), args.runs)
            assert other.impacts == base.impacts, "the cluster's criticality differs from the serial one"
            rows.append((f"criticality, every element, {workers} worker(s)", f"{spread_all:.2f} s"))
            if workers == max(args.workers):
                spread_matrix, cells = median_run(
                    lambda run=run: matrix(network, seaports, seaports, by="cost", run=run), 1
                )
                size = f"{len(seaports)} x {len(seaports)}"
                rows.append((f"all-ports matrix {size}, {workers} worker(s)", f"{spread_matrix:.1f} s"))
    threads_matrix, serial_cells = median_run(lambda: routing.matrix(network, seaports, seaports, by="cost"), 1)
    assert cells == serial_cells, "the cluster's matrix differs from the serial one"
    rows.append(
        (f"all-ports matrix {len(seaports)} x {len(seaports)}, in process (core threads)", f"{threads_matrix:.1f} s")
    )
    for destination in ("Singapore", "Rotterdam"):
        took, front = median_run(lambda d=destination: pareto(network, "Chongqing", d), args.runs)
        rows.append(
            (f"pareto Chongqing-{destination} ({len(front.routes)} routes, {front.labels} labels)", f"{took:.2f} s")
        )
    print(f"| sweep ({machine()}) | time |")
    print("| --- | ---: |")
    for name, value in rows:
        print(f"| {name} | {value} |")


if __name__ == "__main__":
    main()
