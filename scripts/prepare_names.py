"""Write data/ports/unlocode.csv: the UN/LOCODE entries of the bundled places, for their names.

Usage: python scripts/prepare_names.py [UNLOCODE_CSV] [--data data]

UNLOCODE_CSV is UN/LOCODE 2024-1's transport nodes (default /work/shared/data/ports/
unlocode_transport_nodes.csv). Only the entries whose code is the id, or an alias, of a place
of the bundled dataset are kept: the gazetteer resolves their names (and the other forms a
name gives in brackets, "Kolkata (ex Calcutta)") to those places.
"""

from __future__ import annotations

import argparse
import csv
import re
from pathlib import Path

from corridor.datasets import load_dataset

COLUMNS = ("unlocode", "country", "name", "subdivision", "function", "lat", "lon")
CODE = re.compile(r"^[A-Z]{2}[A-Z0-9]{3}$")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "source", nargs="?", type=Path, default=Path("/work/shared/data/ports/unlocode_transport_nodes.csv")
    )
    parser.add_argument("--data", type=Path, default=Path("data"))
    args = parser.parse_args()
    places = load_dataset(args.data).places
    codes = {pid.upper() for pid in places if CODE.match(pid.upper())}
    codes |= {a.upper() for p in places.values() if p.origin == "curated" for a in p.aliases if CODE.match(a.upper())}
    rows = []
    with args.source.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            if row["unlocode"].upper() in codes:
                lat, lon = row["lat"], row["lon"]
                rows.append(
                    {
                        **{c: row.get(c, "") for c in COLUMNS},
                        "lat": f"{float(lat):.4f}" if lat else "",
                        "lon": f"{float(lon):.4f}" if lon else "",
                    }
                )
    rows.sort(key=lambda r: r["unlocode"])
    out = args.data / "ports" / "unlocode.csv"
    with out.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    print(f"wrote {len(rows)} UN/LOCODE entries to {out}")


if __name__ == "__main__":
    main()
