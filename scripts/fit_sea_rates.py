"""Fit sea freight rates per vessel class on the calibration half of the published SCFI rates.

Usage: python scripts/fit_sea_rates.py [--table tests/data/calibration.csv]

Takes the `cost_usd` rows of the calibration table whose constraint is `modes=sea` (SCFI spot
rates ex Shanghai, terminal handling excluded), measures each lane's sea distance on the
bundled lane network, and fits rate = 2 x per_call + per_teu_km x km, once for
deep-sea lanes (mainline, over 5,000 km) and once for intra-Asia lanes (feeder). Spot rates swing
two- to threefold between weeks on one lane, so the fit is robust rather than least squares: for
each per-call charge on a grid of USD 0-200 (the range of port charges carried in ocean freight;
a wider grid lets the deep-sea fit run away to a flat rate, because the calibration half holds no
Europe row), the per-TEU-km rate is the median of (rate - 2 x per_call) / km, and the pair with
the lowest mean absolute percentage error wins. Only rows whose `split` is `calibration` are
fitted; the error on the `holdout` rows is printed beside it.
The fitted figures are copied by hand into data/rates.csv.
"""

from __future__ import annotations

import argparse
import csv
from pathlib import Path

from corridor.network import load_network
from corridor.routing import find_routes

DEEP_SEA_KM = 5000.0


def robust_fit(points: list[tuple[float, float]]) -> tuple[float, float]:
    """Return (intercept, slope) of y = a + b x, a = 2 x per-call on a grid, b the median ratio."""
    best = None
    for per_call in range(0, 201, 5):
        ratios = sorted(max(y - 2 * per_call, 0.0) / x for x, y in points)
        middle = len(ratios) // 2
        slope = ratios[middle] if len(ratios) % 2 else (ratios[middle - 1] + ratios[middle]) / 2
        error = sum(abs(2 * per_call + slope * x - y) / y for x, y in points) / len(points)
        if best is None or error < best[0]:
            best = (error, 2.0 * per_call, slope)
    return best[1], best[2]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--table", type=Path, default=Path("tests/data/calibration.csv"))
    args = parser.parse_args()
    network = load_network()
    with args.table.open(newline="", encoding="utf-8") as f:
        rows = [r for r in csv.DictReader(f) if r["metric"] == "cost_usd" and r["constraint"] == "modes=sea"]
    distance = {}
    for row in rows:
        key = (row["origin"], row["destination"])
        if key not in distance:
            route = find_routes(network, row["origin"], row["destination"], by="distance", modes=["sea"])[0]
            distance[key] = route.distance_km
    for label, keep in (("mainline", lambda km: km >= DEEP_SEA_KM), ("feeder", lambda km: km < DEEP_SEA_KM)):
        chosen = [r for r in rows if keep(distance[(r["origin"], r["destination"])])]

        def points(split: str, chosen=chosen) -> list[tuple[float, float, str]]:
            return [
                (distance[(r["origin"], r["destination"])], (float(r["low"]) + float(r["high"])) / 2, r["id"])
                for r in chosen
                if r["split"] == split
            ]

        fit = points("calibration")
        intercept, slope = robust_fit([(x, y) for x, y, _ in fit])
        print(f"{label}: per_call_usd {intercept / 2:.0f}, per_teu_km_usd {slope:.4f} (fitted on {len(fit)} rows)")
        for split in ("calibration", "holdout"):
            errors = [abs(intercept + slope * x - y) / y for x, y, _ in points(split)]
            if errors:
                print(f"  {split}: {len(errors)} rows, mean absolute error {100 * sum(errors) / len(errors):.0f}%")
            for x, y, rid in points(split):
                print(f"    {rid} {x:7.0f} km  published {y:6.0f}  fitted {intercept + slope * x:6.0f}")


if __name__ == "__main__":
    main()
