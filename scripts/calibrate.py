"""Fit the mainline sea rates on the calibration half of the published table, and report both halves.

Usage: python scripts/calibrate.py [--table tests/data/calibration.csv]

The rates fitted are `cost_usd_per_teu_km` and `cost_usd_per_leg` of mode sea in
data/parameters.csv: ocean freight per TEU = per leg + per TEU-km x the lane distance, against
the SCFI spot rates (ocean freight and surcharges, terminal handling excluded), over the shortest
sea distance between the two ports (so the fit does not depend on the rates it sets). Only the rows
whose split is `calibration` are fitted, by least squares on the middle of each band (spot
rates of different weeks disagree, so a band spans them); the held-out rows are reported, never
fitted. The figures printed are copied by hand into data/parameters.csv, with the fit named as
their source. Then every row of both halves is routed and judged as the tests judge it.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from corridor.calibration import evaluate, read_rows, summary
from corridor.network import load_network
from corridor.routing import find_routes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--table", type=Path, default=Path("tests/data/calibration.csv"))
    args = parser.parse_args()
    network = load_network()
    rows = read_rows(args.table)
    points = []
    for row in rows:
        if row.split != "calibration" or row.metric != "cost_usd" or not row.constraint.startswith("modes=sea"):
            continue
        # The lane distance between the two ports: the shortest sea route, whatever ships sail it.
        (shortest,) = find_routes(network, row.origin, row.destination, by="distance", modes=["sea"])
        points.append((shortest.distance_km, (row.low + row.high) / 2, row.id))
    if len(points) >= 2:
        n = len(points)
        mean_x = sum(x for x, _, _ in points) / n
        mean_y = sum(y for _, y, _ in points) / n
        slope = sum((x - mean_x) * (y - mean_y) for x, y, _ in points) / sum((x - mean_x) ** 2 for x, _, _ in points)
        intercept = mean_y - slope * mean_x
        print(f"fitted on {', '.join(i for _, _, i in points)}: cost_usd_per_leg sea {intercept:.0f}, "
              f"cost_usd_per_teu_km sea {slope:.4f}")  # fmt: skip
    for split in ("calibration", "holdout"):
        outcomes = [evaluate(network, row) for row in rows if row.split == split]
        print(f"{split}: {summary(outcomes)}")
        for outcome in outcomes:
            if not outcome.within:
                # The bad case is a time: shown for time rows only.
                bad = f" (bad case {outcome.bad_case:,.0f})" if outcome.row.metric == "time_h" else ""
                print(
                    f"  {outcome.row.id} {outcome.row.origin}->{outcome.row.destination} {outcome.row.metric}: "
                    f"{outcome.value:,.0f}{bad} outside {outcome.row.low:,.0f}-{outcome.row.high:,.0f}"
                )


if __name__ == "__main__":
    main()
