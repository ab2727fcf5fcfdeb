"""Build the calibration extension of the sea-distance table from Pub. 151's port distances.

Usage: python scripts/sea_table_extension.py [--data DIR]

Reads the transcription in tests/data/pub151/ (every entry's printed position, `entries.csv`,
and the port distances of every entry, `pairs.csv`) and writes
tests/data/published_sea_distances_extension.csv: one row per pair of corridor seaports, never
a pair of tests/data/published_sea_distances.csv (either way round), each with the Pub. 151
line it comes from. Every row is a calibration row: lane corrections and settings may be
derived from it; the held-out half of the main table stays the only judge
(tests/test_sea_distances.py prints both).

A Pub. 151 port is the corridor seaport nearest its printed position, if one lies within
MATCH_KM; a destination is the entry of its name and country (one, or the line is left out).
Where Pub. 151 gives a pair more than once (from each end, or by two routes), the shortest is
kept. A row is kept for the test (`status` "test") unless, whatever corridor answers:

- its distance is below 99% of the great circle between Pub. 151's own two positions, which no
  sea distance can undercut: a misprint or a line read against the wrong entry ("excluded:
  below the great circle");
- the two ports lie further from Pub. 151's positions, together, than 2% of the distance, so
  that where the corridor's ports stand could decide a 5% band ("excluded: positions");
- its route note names a passage the lanes do not carry because no container ship takes it
  (`CLOSED_PASSAGES`: "via Corinth Canal"). Where Pub. 151 gives the pair by another route too,
  that line is kept instead, however much longer.
"""

from __future__ import annotations

import argparse
import csv
import re
import unicodedata
from pathlib import Path

from corridor.geo import KM_PER_NM, haversine_km
from corridor.network import load_network

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / "tests" / "data" / "pub151"
TABLE = ROOT / "tests" / "data" / "published_sea_distances.csv"
OUT = ROOT / "tests" / "data" / "published_sea_distances_extension.csv"
MATCH_KM = 5.0
POSITION_SHARE = 0.02
GREAT_CIRCLE_SHARE = 0.99
# Passages the lanes do not carry, which Pub. 151 names in a line's route note: a line by one is
# left out of the test, and a line of the same pair by another route is kept before it.
CLOSED_PASSAGES = ("corinth canal",)
TITLE = (
    "NGA Pub. 151 Distances Between Ports (2001 ed.), "
    "text transcription PUB151_raw.txt in GitHub repo kaklin/sea-routes"
)
URL = "https://github.com/kaklin/sea-routes/blob/c86d618abdfce5e714c45b05875d9dd513f8540d/PUB151_raw.txt"
COLUMNS = [
    "from_locode", "from_name", "to_locode", "to_name", "distance_nm", "source_title", "source_url", "note", "avoid",
    "status", "used_before", "split", "from_place", "to_place", "great_circle_nm", "position_km",
]  # fmt: skip


def key(name: str) -> str:
    """A name as letters only, for matching Pub. 151's spellings of one port."""
    plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z]", "", plain)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=None)
    args = parser.parse_args()
    rows = build_rows(load_network(args.data))
    with OUT.open("w", encoding="utf-8", newline="") as out:
        writer = csv.DictWriter(out, COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    tested = sum(r["status"] == "test" for r in rows)
    print(f"{len(rows)} pairs written to {OUT.relative_to(ROOT)}, {tested} for the test")


def build_rows(network) -> list[dict[str, str]]:
    """Return the extension's rows (`COLUMNS`), ordered by their two ports."""
    ports = [p for p in network.places.values() if "sea" in p.modes and network.core.in_graph(p.id)]
    entries = [e for e in csv.DictReader((SOURCE / "entries.csv").open(encoding="utf-8")) if e["kind"] == "to"]
    by_name: dict[str, list[dict]] = {}
    for entry in entries:
        by_name.setdefault(key(entry["name"]), []).append(entry)
    nearest: dict[tuple[str, str], tuple[object, float]] = {}

    def port_of(name: str, country: str, lat: float, lon: float):
        if (name, country) not in nearest:
            found = min(ports, key=lambda p: haversine_km(lon, lat, p.lon, p.lat))
            nearest[(name, country)] = (found, haversine_km(lon, lat, found.lon, found.lat))
        return nearest[(name, country)]

    known = set()
    for row in csv.DictReader(TABLE.open(encoding="utf-8")):
        for a, b in ((row["from_locode"], row["to_locode"]), (row["from_place"], row["to_place"])):
            known.add(frozenset((a or row["from_locode"], b or row["to_locode"])))
    best: dict[frozenset, dict] = {}
    closed_route: dict[frozenset, bool] = {}  # whether best's line goes by a closed passage
    for line in csv.DictReader((SOURCE / "pairs.csv").open(encoding="utf-8")):
        start = (line["entry_name"], line["entry_country"], float(line["entry_lat"]), float(line["entry_lon"]))
        first, first_km = port_of(*start)
        matches = [
            e
            for e in by_name.get(key(line["dest_name"].split(",")[0]), [])
            if key(e["country"]) == key(line["dest_country"])
        ]
        if first_km > MATCH_KM or len(matches) != 1:
            continue
        end = matches[0]
        second, second_km = port_of(end["name"], end["country"], float(end["lat"]), float(end["lon"]))
        try:
            distance = float(line["distance_nm"])
        except ValueError:
            continue  # a fraction misprinted in the source
        pair = frozenset((first.id, second.id))
        if second_km > MATCH_KM or first.id == second.id or pair in known:
            continue
        closed = next((name for name in CLOSED_PASSAGES if name in line["note"].lower()), "")
        if pair in best and (closed_route[pair], float(best[pair]["distance_nm"])) <= (bool(closed), distance):
            continue
        # As written, so that the row's own figures show why it is kept or left out.
        great_circle = round(haversine_km(start[3], start[2], float(end["lon"]), float(end["lat"])) / KM_PER_NM)
        position_km = round(first_km + second_km, 1)
        if closed:
            status = f"excluded: via the {closed.title()}, which the lanes do not carry (data/sea/CORRECTIONS.md)"
        elif distance < GREAT_CIRCLE_SHARE * great_circle:
            status = "excluded: below the great circle between Pub. 151's positions"
        elif position_km / KM_PER_NM > POSITION_SHARE * distance:
            status = "excluded: positions: the ports lie too far from Pub. 151's for the distance"
        else:
            status = "test"
        via = f" ({line['note']})" if line["note"] else ""
        best[pair] = {
            "from_locode": first.id,
            "from_name": first.name,
            "to_locode": second.id,
            "to_name": second.name,
            "distance_nm": f"{distance:g}",
            "source_title": TITLE,
            "source_url": URL,
            "note": (
                f"Pub.151 {line['entry_name']} entry -> {line['dest_name']}, {line['dest_country']}{via}; "
                f"Pub.151 central port position to central port position; text offset {line['offset']}"
            ),
            "avoid": "",
            "status": status,
            "used_before": "no",
            "split": "calibration",
            "from_place": "",
            "to_place": "",
            "great_circle_nm": f"{great_circle:.0f}",
            "position_km": f"{position_km:.1f}",
        }
        closed_route[pair] = bool(closed)
    return sorted(best.values(), key=lambda r: (r["from_locode"], r["to_locode"]))


if __name__ == "__main__":
    main()
