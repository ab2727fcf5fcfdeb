"""Check how many lane nodes a port joins, on the calibration half of the sea-distance table.

Usage: python scripts/access_settings.py [--data data] [--edges 3:12 6:24 10:40]

A setting `E:C` lets every port join up to E of its C nearest lane nodes by straight edges
(`corridor.portaccess.ACCESS_EDGES`, `ACCESS_CANDIDATES`; the defaults are 3 and 12). Each
setting is tried in a process of its own: every port's access is worked out afresh (the access
table's paths are not read; its lane shortcuts and rounding segments are kept), the network is
built without the cache and the calibration half is scored as `scripts/calibration_report.py`
scores it. The default setting reproduces the figure the tests print. Only the calibration half
is read: the held-out half judges the setting chosen. Each setting takes about eight minutes.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path


def score(data: Path, edges: int, candidates: int) -> str:
    """Score the calibration half with ports joining up to `edges` of `candidates` lane nodes."""
    from calibration_report import calibration_results, summary_line

    import corridor.portaccess as portaccess
    from corridor.network import load_network

    portaccess.ACCESS_EDGES, portaccess.ACCESS_CANDIDATES = edges, candidates
    portaccess.AccessTable.lookup = lambda self, place_id, lon, lat: None  # every port afresh
    return summary_line(calibration_results(load_network(data, cache=False)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path("data"))
    parser.add_argument("--edges", nargs="*", default=["3:12", "6:24", "10:40"])
    parser.add_argument("--one", help=argparse.SUPPRESS)  # E:C, in the worker process
    args = parser.parse_args()
    if args.one:
        edges, candidates = (int(x) for x in args.one.split(":"))
        print(score(args.data, edges, candidates))
        return
    for setting in args.edges:
        started = time.perf_counter()
        run = subprocess.run(
            [sys.executable, __file__, "--data", str(args.data), "--one", setting],
            capture_output=True, text=True, check=True,
        )  # fmt: skip
        edges, candidates = setting.split(":")
        print(f"up to {edges} of the {candidates} nearest lane nodes: {run.stdout.strip()} "
              f"({time.perf_counter() - started:.0f} s)", flush=True)  # fmt: skip


if __name__ == "__main__":
    main()
