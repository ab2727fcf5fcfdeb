"""Split tests/data/calibration.csv once into a calibration half and a holdout half.

Usage: python scripts/split_calibration.py [--table tests/data/calibration.csv]

Rows are grouped by metric (time, distance, cost) and shuffled with a fixed seed; alternate
rows go to `calibration` (rates and speeds may be fitted on them) and `holdout` (reported,
never fitted). The split is written to the table's `split` column.

A row keeps the half it was dealt: run the script when rows are added (with an empty `split`),
and only the new rows are shuffled, each going to the smaller half of its metric (calibration
on a tie). A fit made on the calibration half therefore never sees a row that was held out.
On a table of new rows only this is the same deal as alternating from the start.
"""

from __future__ import annotations

import argparse
import csv
import random
from collections import Counter
from pathlib import Path

SEED = 10  # issue 10, which asked for the table
METRICS = ("time_h", "distance_km", "cost_usd", "co2_kg")
HALVES = ("calibration", "holdout")


def split(rows: list[dict[str, str]], seed: int = SEED) -> None:
    """Deal each row without a `split` into calibration or holdout, keeping each metric's
    halves within one row of each other; rows already dealt keep their half."""
    rng = random.Random(seed)
    for metric in METRICS:
        group = [r for r in rows if r["metric"] == metric]
        sizes = Counter(r["split"] for r in group if r.get("split") in HALVES)
        new = [r for r in group if r.get("split") not in HALVES]
        rng.shuffle(new)
        for row in new:
            row["split"] = "calibration" if sizes["calibration"] <= sizes["holdout"] else "holdout"
            sizes[row["split"]] += 1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--table", type=Path, default=Path("tests/data/calibration.csv"))
    args = parser.parse_args()
    with args.table.open(newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        columns, rows = list(reader.fieldnames or []), list(reader)
    split(rows)
    with args.table.open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=columns, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


if __name__ == "__main__":
    main()
