"""Prepare data/ports/wpi_ports.csv from the World Port Index and UN/LOCODE.

Usage: python scripts/prepare_wpi.py WPI_CSV UNLOCODE_CSV [--out data/ports/wpi_ports.csv]

WPI_CSV is a column selection of NGA's UpdatedPub150.csv (World Port Index, public domain) with
columns wpi_number,name,alt_name,unlocode,country,...,lat,lon. UNLOCODE_CSV lists UN/LOCODE
transport nodes (unlocode,country,name,is_port,lat,lon,...). The script:

- gives every row an ISO 3166 country code (from its UN/LOCODE, else from its country name);
- fills a missing or malformed UN/LOCODE from UN/LOCODE's port entries of the same country
  with the same name (within 30 km where UN/LOCODE has coordinates), recording where each code
  came from in `unlocode_source`;
- keeps one row per UN/LOCODE (the largest harbour); other rows of the same code keep no code.
"""

from __future__ import annotations

import argparse
import csv
import math
import re
import unicodedata
from collections import Counter, defaultdict
from pathlib import Path

SIZES = {"Large": 4, "Medium": 3, "Small": 2, "Very Small": 1}
# Countries whose WPI ports all lack a UN/LOCODE, so their code cannot be learnt from the data.
COUNTRY_CODES = {
    "Gibraltar": "GI",
    "Palau": "PW",
    "Midway Islands": "UM",
    "Johnson Atoll": "UM",
    "Wake Island": "UM",
    "Norfolk Island": "NF",
}
CODE = re.compile(r"^[A-Z]{2}[A-Z0-9]{3}$")


def norm(text: str) -> str:
    text = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    return re.sub(r"[^a-z0-9]+", " ", text.casefold()).strip()


def km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    a = math.sin((p2 - p1) / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2
    return 2 * 6371.0 * math.asin(math.sqrt(a))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("wpi", type=Path)
    parser.add_argument("unlocode", type=Path)
    parser.add_argument("--out", type=Path, default=Path("data/ports/wpi_ports.csv"))
    args = parser.parse_args()

    rows = list(csv.DictReader(args.wpi.open(encoding="utf-8")))
    unlocodes = [r for r in csv.DictReader(args.unlocode.open(encoding="utf-8")) if r["is_port"] == "1"]

    by_name: dict[str, Counter] = defaultdict(Counter)
    for row in rows:
        code = row["unlocode"].strip()
        if CODE.match(code):
            by_name[row["country"]][code[:2]] += 1
    country_code = {name: counts.most_common(1)[0][0] for name, counts in by_name.items()} | COUNTRY_CODES

    index: dict[tuple[str, str], list[dict]] = defaultdict(list)
    for entry in unlocodes:
        index[(entry["country"], norm(entry["name"]))].append(entry)

    filled = 0
    for row in rows:
        code = row["unlocode"].strip()
        row["unlocode_source"] = "WPI" if CODE.match(code) else ""
        if not CODE.match(code):
            row["unlocode"] = ""
        cc = code[:2] if CODE.match(code) else country_code.get(row["country"], "")
        row["country_code"] = cc
        if row["unlocode"] or not cc:
            continue
        lat, lon = float(row["lat"]), float(row["lon"])
        for name in filter(None, (row["name"], row["alt_name"])):
            for entry in index.get((cc, norm(name)), []):
                if entry["lat"] and km(lat, lon, float(entry["lat"]), float(entry["lon"])) > 30:
                    continue
                row["unlocode"], row["unlocode_source"] = entry["unlocode"], "UNLOCODE"
                filled += 1
                break
            if row["unlocode"]:
                break

    best: dict[str, dict] = {}
    for row in rows:
        code = row["unlocode"]
        if code and (code not in best or SIZES.get(row["harbor_size"], 0) > SIZES.get(best[code]["harbor_size"], 0)):
            best[code] = row
    shared = 0
    for row in rows:
        if row["unlocode"] and best[row["unlocode"]] is not row:
            row["shares_unlocode"], row["unlocode"], row["unlocode_source"] = row["unlocode"], "", ""
            shared += 1

    columns = [*rows[0].keys()]
    for extra in ("unlocode_source", "country_code", "shares_unlocode"):
        if extra not in columns:
            columns.append(extra)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with args.out.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns, lineterminator="\n")
        writer.writeheader()
        for row in rows:
            writer.writerow({c: row.get(c, "") for c in columns})
    missing_cc = sum(1 for r in rows if not r["country_code"])
    print(f"{len(rows)} ports; {filled} codes filled from UN/LOCODE; {shared} rows share a code; "
          f"{missing_cc} without a country code")  # fmt: skip


if __name__ == "__main__":
    main()
