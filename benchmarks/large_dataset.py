"""Time writes to a dataset of 200,000 imported places: each must take seconds, not minutes.

Run: python benchmarks/large_dataset.py [--places N] [--full]
Makes a copy of the bundled dataset with N extra places (default 200,000) appended to its
places table, then times, each in a fresh process: a seaport added (its sea access is checked
against the lanes and land), a dry port added, a rail link added, 100 places imported, and two
writers started at once (both must land; the second waits for the first). With --full it also
times `corridor validate`, the full check that every write used to run. Prints one line per
measurement; the README and the hardening report quote them for the 2-core machine.
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def corridor(*argv: str, env: dict[str, str]) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "corridor", *argv], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def timed(*argv: str, env: dict[str, str]) -> float:
    start = time.perf_counter()
    process = corridor(*argv, env=env)
    _, err = process.communicate()
    elapsed = time.perf_counter() - start
    if process.returncode != 0:
        raise SystemExit(f"corridor {' '.join(argv)} failed: {err.strip()}")
    return elapsed


def report(label: str, seconds: float) -> None:
    print(f"{label:<58}{seconds:>8.2f} s", flush=True)


def grow(root: Path, count: int) -> None:
    """Append `count` inland places (dry ports served by road and rail) to the places table."""
    rng = random.Random(20240901)
    places = root / "ports" / "places.csv"
    with places.open(encoding="utf-8") as handle:
        header = next(csv.reader(handle))
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    for n in range(count):
        row = {
            "id": f"IMP{n:07d}",
            "name": f"Imported depot {n}",
            "country": "CN",
            "lat": f"{rng.uniform(24.0, 34.0):.5f}",
            "lon": f"{rng.uniform(100.0, 112.0):.5f}",
            "kind": "dry_port",
            "modes": "road;rail",
            "status": "operational",
            "coord_source": "estimate: benchmark",
            "source": "estimate: benchmark",
        }
        writer.writerow([row.get(column, "") for column in header])
    with places.open("a", encoding="utf-8") as handle:
        handle.write(buffer.getvalue())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--places", type=int, default=200_000, help="places to add to the dataset (default 200,000)")
    parser.add_argument("--full", action="store_true", help="also time `corridor validate` on the large dataset")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="corridor-large-"))
    env = {**os.environ, "CORRIDOR_CACHE": str(work / "cache")}
    root = work / "data"
    try:
        init = [sys.executable, "-m", "corridor", "init", str(root), "-q"]
        subprocess.run(init, env=env, check=True, capture_output=True)
        grow(root, args.places)
        size = (root / "ports" / "places.csv").stat().st_size / 1e6
        print(f"dataset: bundled + {args.places:,} places, places.csv {size:.1f} MB", flush=True)
        data = ("--data", str(root), "-q")
        report(
            "ports add: a seaport (sea access checked)",
            timed("ports", "add", "--id", "CNLYG", "--name", "Lianyungang Port", "--country", "CN", "--lat", "34.74",
                  "--lon", "119.45", "--modes", "sea,rail", *data, env=env),
        )  # fmt: skip
        report(
            "ports add: a dry port",
            timed("ports", "add", "--id", "CNXAX", "--name", "Xi'an International Port", "--country", "CN",
                  "--lat", "34.42", "--lon", "109.03", "--modes", "rail,road", "--kind", "dry_port", *data, env=env),
        )  # fmt: skip
        report(
            "links add: a rail link",
            timed("links", "add", "CNXAX", "CNLYG", "--mode", "rail", "--distance-km", "1100", "--time-h", "36",
                  *data, env=env),
        )  # fmt: skip
        batch = work / "batch.csv"
        with batch.open("w", encoding="utf-8") as handle:
            handle.write("id,name,country,lat,lon,modes\n")
            handle.writelines(f"BAT{n:04d},Batch depot {n},CN,{30 + n / 100:.2f},105.5,road\n" for n in range(100))
        report("ports import: 100 places", timed("ports", "import", str(batch), *data, env=env))

        start = time.perf_counter()
        both = [
            corridor("ports", "add", "--id", f"TWO{n}", "--name", f"Concurrent depot {n}", "--country", "CN",
                     "--lat", "30.1", "--lon", f"{104 + n:.1f}", "--modes", "road", *data, env=env)
            for n in range(2)
        ]  # fmt: skip
        for process in both:
            _, err = process.communicate()
            if process.returncode != 0:
                raise SystemExit(f"a concurrent writer failed: {err.strip()}")
        report("two ports add at once, both landed", time.perf_counter() - start)
        if args.full:
            start = time.perf_counter()
            subprocess.run([sys.executable, "-m", "corridor", "validate", *data], env=env, capture_output=True)
            report("validate: the full check (builds the whole network)", time.perf_counter() - start)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
