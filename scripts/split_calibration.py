"""Split tests/data/calibration.csv once into a calibration half and a holdout half.

Usage: python scripts/split_calibration.py [--table tests/data/calibration.csv]

Rows are grouped by metric (time, distance, cost) and shuffled with a fixed seed; alternate
rows go to `calibration` (rates and speeds may be fitted on them) and `holdout` (reported,
never fitted). The split is written to the table's `split` column. Run it only when rows are
added: the seed makes the result repeatable for the same rows in the same order.
"""

from __future__ import annotations

import argparse
import csv
import random
from pathlib import Path

SEED = 10  # issue 10, which asked for the table
METRICS = ("time_h", "distance_km", "cost_usd", "co2_kg")


def split(rows: list[dict[str, str]], seed: int = SEED) -> None:
    """Set each row's `split` to calibration or holdout, half of each metric to each."""
    rng = random.Random(seed)
    for metric in METRICS:
        group = [r for r in rows if r["metric"] == metric]
        rng.shuffle(group)
        for k, row in enumerate(group):
            row["split"] = "calibration" if k % 2 == 0 else "holdout"


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
