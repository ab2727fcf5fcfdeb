"""List the calibration half of the published sea-distance table, worst error first.

Usage: python scripts/calibration_report.py [--data data] [--limit 40] [--extension | --both]

Distances are along the lanes and the ports' access paths, whatever ships sail there
(`Network.sea_path`, as tests/test_sea_distances.py measures them). A curation aid for lane
corrections (data/sea/corrections.geojson): it shows only the calibration half of
tests/data/published_sea_distances.csv, never the held-out half, so the corrections cannot be
fitted to the pairs that judge them. `--extension` lists the calibration extension instead
(tests/data/published_sea_distances_extension.csv, `scripts/sea_table_extension.py`: 5,982 more
Pub. 151 pairs from every ocean, all calibration rows), `--both` the two together.
"""

from __future__ import annotations

import argparse
import csv
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from corridor.calibration import sea_pair_nm
from corridor.errors import CorridorError
from corridor.network import load_network

TABLE = Path(__file__).resolve().parent.parent / "tests" / "data" / "published_sea_distances.csv"
EXTENSION = TABLE.with_name("published_sea_distances_extension.csv")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=None)
    parser.add_argument("--limit", type=int, default=40)
    which = parser.add_mutually_exclusive_group()
    which.add_argument("--extension", action="store_true", help="the calibration extension instead")
    which.add_argument("--both", action="store_true", help="the calibration half and the extension together")
    args = parser.parse_args()
    tables = (EXTENSION,) if args.extension else (TABLE, EXTENSION) if args.both else (TABLE,)
    label = "calibration extension" if args.extension else "calibration, both" if args.both else "calibration half"
    results = calibration_results(load_network(args.data), tables)
    print(summary_line(results, label))
    for error, row, nm, note in results[: args.limit]:
        got = f"{nm:7.0f}" if nm is not None else "   none"
        print(
            f"{error:7.1%}  {row['from_locode']}-{row['to_locode']}  {got} nm vs {float(row['distance_nm']):7.0f}  "
            f"{row['from_name'][:22]:22s} -> {row['to_name'][:22]:22s} {note}"
        )


def calibration_results(network, tables: tuple[Path, ...] = (TABLE,)) -> list[tuple]:
    """Return (|error|, row, nm or None, note) of every calibration pair of the tables, worst first."""
    rows = [
        r
        for table in tables
        for r in csv.DictReader(table.open(encoding="utf-8"))
        if r["split"] == "calibration" and r["status"] == "test"
    ]
    results = []
    for row in rows:
        try:
            nm = sea_pair_nm(network, row)
        except CorridorError as exc:  # a code the gazetteer cannot place is listed with its reason
            results.append((float("inf"), row, None, str(exc)))
            continue
        if nm is None:
            results.append((float("inf"), row, None, "no path over water"))
            continue
        published = float(row["distance_nm"])
        results.append((abs(nm - published) / published, row, nm, ""))
    results.sort(key=lambda item: -item[0])
    return results


def summary_line(results: list[tuple], label: str = "calibration half") -> str:
    errors = [e for e, *_ in results if e != float("inf")]
    within = sum(e <= 0.05 for e in errors) / len(results)
    median = statistics.median(errors)
    return f"{label}: {len(results)} pairs, median |error| {median:.2%}, within 5% {within:.1%}"


def lanes_with(data: Path, pairs):
    """Return the dataset's lanes with the given segments ((lon, lat), (lon, lat)) added."""
    from corridor.geo import haversine_km
    from corridor.sealanes import read_lanes

    lanes = read_lanes(data)
    for u, v in ((lanes.node(*a), lanes.node(*b)) for a, b in pairs):
        lanes.edges.append((u, v, haversine_km(*lanes.coords[u], *lanes.coords[v]), ""))
    return lanes


def score_with_segments(
    data: Path, table: dict, near_misses: list, rounding: list | None = None, flags: tuple[str, ...] = ()
) -> str:
    """Score the calibration half (or what `flags` of this script name: "--both") on a copy of
    the dataset whose access table holds these joins and shortcuts (and these rounding segments,
    if given) in place of its own; return the summary line."""
    from corridor.portaccess import ACCESS_TABLE_FILE

    changed = dict(table, near_misses=near_misses)
    if rounding is not None:
        changed["rounding"] = rounding
    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / "data"
        shutil.copytree(data, copy)
        (copy / ACCESS_TABLE_FILE).write_text(json.dumps(changed), encoding="utf-8")
        report = subprocess.run(
            [sys.executable, __file__, "--data", str(copy), "--limit", "0", *flags],
            capture_output=True, text=True, check=True,
        )  # fmt: skip
    return report.stdout.strip()


if __name__ == "__main__":
    main()
