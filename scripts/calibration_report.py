"""List the calibration half of the published sea-distance table, worst error first.

Usage: python scripts/calibration_report.py [--data data] [--limit 40]

Distances are along the lanes and the ports' access paths, whatever ships sail there
(`Network.sea_path`, as tests/test_sea_distances.py measures them). A curation aid for lane
corrections (data/sea/corrections.geojson): it shows only the calibration half of
tests/data/published_sea_distances.csv, never the held-out half, so the corrections cannot be
fitted to the pairs that judge them.
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=None)
    parser.add_argument("--limit", type=int, default=40)
    args = parser.parse_args()
    results = calibration_results(load_network(args.data))
    print(summary_line(results))
    for error, row, nm, note in results[: args.limit]:
        got = f"{nm:7.0f}" if nm is not None else "   none"
        print(
            f"{error:7.1%}  {row['from_locode']}-{row['to_locode']}  {got} nm vs {float(row['distance_nm']):7.0f}  "
            f"{row['from_name'][:22]:22s} -> {row['to_name'][:22]:22s} {note}"
        )


def calibration_results(network) -> list[tuple]:
    """Return (|error|, row, nm or None, note) of every calibration pair, worst first."""
    rows = [
        r for r in csv.DictReader(TABLE.open(encoding="utf-8")) if r["split"] == "calibration" and r["status"] == "test"
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


def summary_line(results: list[tuple]) -> str:
    errors = [e for e, *_ in results if e != float("inf")]
    within = sum(e <= 0.05 for e in errors) / len(results)
    median = statistics.median(errors)
    return f"calibration half: {len(results)} pairs, median |error| {median:.2%}, within 5% {within:.1%}"


def lanes_with(data: Path, pairs):
    """Return the dataset's lanes with the given segments ((lon, lat), (lon, lat)) added."""
    from corridor.geo import haversine_km
    from corridor.sealanes import read_lanes

    lanes = read_lanes(data)
    for u, v in ((lanes.node(*a), lanes.node(*b)) for a, b in pairs):
        lanes.edges.append((u, v, haversine_km(*lanes.coords[u], *lanes.coords[v]), ""))
    return lanes


def score_with_segments(data: Path, table: dict, near_misses: list, rounding: list | None = None) -> str:
    """Score the calibration half on a copy of the dataset whose access table holds these joins
    and shortcuts (and these rounding segments, if given) in place of its own; return the
    summary line."""
    from corridor.portaccess import ACCESS_TABLE_FILE

    changed = dict(table, near_misses=near_misses)
    if rounding is not None:
        changed["rounding"] = rounding
    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / "data"
        shutil.copytree(data, copy)
        (copy / ACCESS_TABLE_FILE).write_text(json.dumps(changed), encoding="utf-8")
        report = subprocess.run(
            [sys.executable, __file__, "--data", str(copy), "--limit", "0"],
            capture_output=True, text=True, check=True,
        )  # fmt: skip
    return report.stdout.strip()


if __name__ == "__main__":
    main()
