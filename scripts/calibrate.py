"""Fit the mainline sea rates on the calibration half of the published table, and report both halves.

Usage: python scripts/calibrate.py [--table tests/data/calibration.csv] [--params FILE]

The rates fitted are `cost_usd_per_teu_km` and `cost_usd_per_leg` of mode sea in
data/parameters.csv: ocean freight per TEU = per leg + per TEU-km x the lane distance, against
the SCFI spot rates (ocean freight and surcharges, terminal handling excluded), over the shortest
sea distance between the two ports (so the fit does not depend on the rates it sets). Only the rows
whose split is `calibration` are fitted, on the middle of each band (spot rates of different
weeks disagree, so a band spans them); the held-out rows are reported, never fitted. The fit
minimises the squared *relative* error (`corridor.calibration.fit_rate`): spot rates and their
bands scale with the rate (a band is a factor either side, whether the lane costs USD 300 or
1,400), so a plain least squares lets the long lanes decide alone and leaves a short one
outside its band. The figures printed are copied by hand into data/parameters.csv, with the fit named as
their source. Then every row of both halves is routed and judged as the tests judge it.

`--params FILE` judges the rows with a parameters file's rows in place of the dataset's (as the
CLI's `--params`), to try a figure on both halves before it goes into data/parameters.csv.

Each half is summed up twice: all its rows, and only the rows marked `independent` (a row whose
figure built the data's link or service between its own ends only checks consistency).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from corridor.calibration import evaluate, fit_rate, read_rows, sea_rate_points, summary
from corridor.network import load_network


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--table", type=Path, default=Path("tests/data/calibration.csv"))
    parser.add_argument("--params", type=Path, help="a parameters file whose rows replace the dataset's")
    args = parser.parse_args()
    network = load_network(params=args.params)
    rows = read_rows(args.table)
    points = sea_rate_points(network, rows)
    if len(points) >= 2:
        charge, rate = fit_rate([(x, y) for x, y, _ in points])
        print(f"fitted on {', '.join(i for _, _, i in points)}: cost_usd_per_leg sea {charge:.0f}, "
              f"cost_usd_per_teu_km sea {rate:.4f}")  # fmt: skip
    for split in ("calibration", "holdout"):
        outcomes = [evaluate(network, row) for row in rows if row.split == split]
        independent = [outcome for outcome in outcomes if outcome.row.independent]
        print(f"{split}: {summary(outcomes)}; independent of the data: {summary(independent)}")
        for outcome in outcomes:
            row = outcome.row
            # A time row is met when its span from typical to bad case meets the band: say which
            # rows are met only by their bad case, and which are missed.
            by_bad_case = row.metric == "time_h" and outcome.within and not row.low <= outcome.value <= row.high
            if by_bad_case or not outcome.within:
                bad = f" (bad case {outcome.bad_case:,.0f})" if row.metric == "time_h" else ""
                verdict = "met by its bad case:" if outcome.within else "outside"
                print(
                    f"  {row.id} {row.origin}->{row.destination} {row.metric}: "
                    f"{outcome.value:,.0f}{bad} {verdict} {row.low:,.0f}-{row.high:,.0f}"
                )


if __name__ == "__main__":
    main()
