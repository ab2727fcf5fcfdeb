"""Write data/ports/unlocode.csv: the UN/LOCODE entries of the bundled places, for their names.

Usage: python scripts/prepare_names.py [UNLOCODE_CSV] [--data data]

UNLOCODE_CSV is UN/LOCODE 2024-1's transport nodes (default /work/shared/data/ports/
unlocode_transport_nodes.csv). Two kinds of entry are kept, and the gazetteer resolves their
names (and the other forms a name gives in brackets, "Kolkata (ex Calcutta)") to their places:

- an entry whose code is the id, or an alias, of a place of the bundled dataset, or that the
  World Port Index gives a port (`scripts/audit_unlocodes.py` compares the two);
- another port entry that UN/LOCODE puts beside a place of the same country under the place's
  name, or an alias, spelt alike: within 10 km and alike to 90% (rapidfuzz's ratio of the
  names without spaces, punctuation and a trailing "Pt", UN/LOCODE's mark of a port entry), or
  within 5 km and alike to 80%. The place answers
  that code and name too (column `place`): INVTZ, Visakhapatnam, is the index's
  Vishakhapatnam (INNRP); JOAQB, 'Aqaba, is Aqaba (JOAQJ); FRVFM, Villefranche-sur-Mer, is
  the index's Villefranche, whose own code the index got wrong (`ports/wpi_fixes.csv`).
  Nearer or more alike ports of other names (Van Phong is not Haiphong; Harfleur is not
  Honfleur) are left out by those two thresholds, chosen by reading the matches between 70% and
  90% alike.
"""

from __future__ import annotations

import argparse
import csv
import math
import re
from pathlib import Path

import numpy as np
from rapidfuzz import fuzz
from scipy.spatial import cKDTree

from corridor.datasets import Place, load_dataset
from corridor.gazetteer import compact
from corridor.geo import haversine_km

COLUMNS = ("unlocode", "country", "name", "subdivision", "function", "lat", "lon", "place")
CODE = re.compile(r"^[A-Z]{2}[A-Z0-9]{3}$")
# (km, likeness): an entry this near a place and this alike to one of its names stands for it.
ALIKE = ((10.0, 90.0), (5.0, 80.0))


def _key(text: str) -> str:
    """A name compacted (`gazetteer.compact`), without the "Pt" UN/LOCODE ends a port entry with."""
    return compact(re.sub(r"\s+pt\.?$", "", text, flags=re.IGNORECASE))


def _unit(lat: float, lon: float) -> tuple[float, float, float]:
    la, lo = math.radians(lat), math.radians(lon)
    return (math.cos(la) * math.cos(lo), math.cos(la) * math.sin(lo), math.sin(la))


def place_of(entry: dict, places: list[Place], tree: cKDTree) -> str:
    """Return the id of the place a UN/LOCODE port entry stands for by position and name, or ""."""
    lat, lon = float(entry["lat"]), float(entry["lon"])
    name = _key(entry["name"])
    best = ("", 0.0)
    for i in tree.query_ball_point(_unit(lat, lon), r=max(km for km, _ in ALIKE) / 6371.0):
        place = places[i]
        if place.country != entry["country"]:
            continue
        km = haversine_km(lon, lat, place.lon, place.lat)
        alike = max(fuzz.ratio(name, _key(text)) for text in (place.name, *place.aliases))
        if any(km <= near and alike >= like for near, like in ALIKE) and alike > best[1]:
            best = (place.id, alike)
    return best[0]


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
    # The codes the World Port Index gives, those ports/wpi_fixes.csv rules wrong among them, for
    # scripts/audit_unlocodes.py; a code that is no place's leads nowhere.
    with (args.data / "ports" / "wpi_ports.csv").open(encoding="utf-8", newline="") as handle:
        codes |= {row["unlocode"].upper() for row in csv.DictReader(handle) if row["unlocode"]}
    listed = list(places.values())
    tree = cKDTree(np.array([_unit(p.lat, p.lon) for p in listed]))
    rows = []
    beside = 0
    with args.source.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            lat, lon = row["lat"], row["lon"]
            place = ""
            if row["unlocode"].upper() not in codes:
                if row.get("is_port") != "1" or not lat or not lon:
                    continue
                place = place_of(row, listed, tree)
                if not place:
                    continue
                beside += 1
            rows.append(
                {
                    **{c: row.get(c, "") for c in COLUMNS},
                    "lat": f"{float(lat):.4f}" if lat else "",
                    "lon": f"{float(lon):.4f}" if lon else "",
                    "place": place,
                }
            )
    rows.sort(key=lambda r: r["unlocode"])
    out = args.data / "ports" / "unlocode.csv"
    with out.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    print(f"wrote {len(rows)} UN/LOCODE entries to {out}, {beside} of them other ports' codes beside a place")


if __name__ == "__main__":
    main()
