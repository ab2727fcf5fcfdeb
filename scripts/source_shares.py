"""Count the sourced and estimated figures of the bundled dataset, table by table.

Usage: python scripts/source_shares.py [DATA_DIR]

A figure counts as sourced when its source field starts with a document id of sources.csv, and
as an estimate when the field starts with "estimate". Curated places count their coordinates,
handling, dwell and sea departures; links their distance, time, return time and frequency; the
other tables every figure column that has a source column beside it. World Port Index ports
(read-only) are left out.
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path

from corridor.datasets import bundled_data_dir, is_estimate

# table: [(figure column, source column), ...]
TABLES = {
    "ports/places.csv": [
        ("lat", "coord_source"),
        ("handling_h", "handling_source"),
        ("handling_usd", "handling_source"),
        ("dwell_h", "dwell_source"),
        ("sea_departures_per_week", "sea_departures_source"),
    ],
    "links/links.csv": [
        ("distance_km", "distance_source"),
        ("time_h", "time_source"),
        ("time_back_h", "time_back_source"),
        ("frequency_per_week", "frequency_source"),
    ],
    "parameters.csv": [("value", "source")],
    "rates.csv": [("value", "source")],
    "sea/hubs.csv": [
        ("transship_h", "transship_source"),
        ("transship_h_p90", "p90_source"),
        ("transship_usd", "usd_source"),
    ],
    "sea/services.csv": [
        ("frequency_per_week", "frequency_source"),
        ("service_speed_kn", "speed_source"),
        ("transit_h", "transit_source"),
    ],
    "borders.csv": [
        ("crossing_h", "crossing_source"),
        ("crossing_h_p90", "p90_source"),
        ("cost_usd", "cost_source"),
        ("lift_h", "lift_source"),
    ],
    "clearance.csv": [("h", "h_source"), ("h_p90", "p90_source"), ("usd", "usd_source")],
    "spreads.csv": [("typical", "typical_source"), ("p90", "p90_source")],
    "sea/canals.csv": [
        ("transit_h", "transit_source"),
        ("transit_h_p90", "p90_source"),
        ("length_km", "length_source"),
        ("lon", "position_source"),
    ],
    "sea/calls_on_the_way.csv": [
        ("call_h", "call_source"),
        ("call_h_p90", "p90_source"),
        ("ports", "ports_source"),
        ("zone_km", "zone_source"),
        ("lon1", "gate_source"),
    ],
}


def count(path: Path, pairs: list[tuple[str, str]]) -> tuple[int, int]:
    """Return (sourced, estimated) figures of one table."""
    sourced = estimated = 0
    with path.open(newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            for figure, source in pairs:
                if row.get(figure, "") == "":
                    continue
                if is_estimate(row.get(source, "")):
                    estimated += 1
                else:
                    sourced += 1
    return sourced, estimated


def main() -> None:
    root = Path(sys.argv[1]) if len(sys.argv) > 1 else bundled_data_dir()
    total_sourced = total_estimated = 0
    for name, pairs in TABLES.items():
        if not (root / name).is_file():
            continue
        sourced, estimated = count(root / name, pairs)
        total_sourced += sourced
        total_estimated += estimated
        share = 100 * sourced / (sourced + estimated) if sourced + estimated else 0
        print(f"{name:24} {sourced:4} sourced {estimated:4} estimated  {share:3.0f}% sourced")
    share = 100 * total_sourced / (total_sourced + total_estimated)
    print(f"{'all':24} {total_sourced:4} sourced {total_estimated:4} estimated  {share:3.0f}% sourced")


if __name__ == "__main__":
    main()
