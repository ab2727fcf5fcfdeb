"""List the World Port Index ports whose UN/LOCODE, by UN/LOCODE's own table, is another place.

Usage: python scripts/audit_unlocodes.py [--data DIR] [--km 50] [--far 300]

A port's code comes from the World Port Index. Where UN/LOCODE (`ports/unlocode.csv`) puts the
same code more than `--km` away under another name, or more than `--far` away under any name,
either the index gave the port another place's code (Shelton, Washington, carries USXSI, which is
Shelter Island, New York; Florence, Oregon, carries USFNE, Florence, Alabama), or UN/LOCODE's
position is a slip (Pago Pago's latitude with the wrong sign). Each such port needs
a ruling in `ports/wpi_fixes.csv` (`unlocode` = wrong or right, with the reason); the script
prints every one with its ruling and exits 1 while any has none.
"""

from __future__ import annotations

import argparse
import csv
import sys
from pathlib import Path
from typing import NamedTuple

from corridor.datasets import WPI_FIXES_FILE, bundled_data_dir, read_wpi_fixes
from corridor.gazetteer import compact
from corridor.geo import haversine_km


class FarCode(NamedTuple):
    wpi_number: str
    name: str
    code: str
    code_name: str
    km: float
    ruling: str  # wrong, right, or "" while unreviewed


def far_codes(data: Path, min_km: float = 50.0, far_km: float = 300.0) -> list[FarCode]:
    """Return the ports of `data` whose code UN/LOCODE puts over `min_km` away under another
    name, or over `far_km` away under the same."""
    with (data / "ports" / "unlocode.csv").open(encoding="utf-8", newline="") as handle:
        entries = {r["unlocode"]: r for r in csv.DictReader(handle) if r["lat"] and r["lon"]}
    fixes_path = data / WPI_FIXES_FILE
    fixes = read_wpi_fixes(fixes_path) if fixes_path.is_file() else {}
    found = []
    with (data / "ports" / "wpi_ports.csv").open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            entry = entries.get(row["unlocode"])
            if entry is None:
                continue
            names = {compact(n) for n in (row["name"], *row["alt_name"].split(";")) if n.strip()}
            km = haversine_km(float(row["lon"]), float(row["lat"]), float(entry["lon"]), float(entry["lat"]))
            if km > far_km or (km > min_km and compact(entry["name"]) not in names):
                fix = fixes.get(row["wpi_number"])
                ruling = fix.unlocode if fix is not None else ""
                found.append(FarCode(row["wpi_number"], row["name"], row["unlocode"], entry["name"], km, ruling))
    return sorted(found, key=lambda f: -f.km)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=bundled_data_dir())
    parser.add_argument("--km", type=float, default=50.0)
    parser.add_argument("--far", type=float, default=300.0)
    args = parser.parse_args()
    found = far_codes(args.data, args.km, args.far)
    for far in found:
        print(f"{far.ruling or 'UNREVIEWED':<10} {far.km:7,.0f} km  {far.name} (WPI {far.wpi_number}) has {far.code}, "
              f"which UN/LOCODE calls {far.code_name}")  # fmt: skip
    wrong = sum(f.ruling == "wrong" for f in found)
    unreviewed = sum(not f.ruling for f in found)
    print(f"{len(found)} ports: {wrong} codes wrong (not taken), {len(found) - wrong - unreviewed} right, "
          f"{unreviewed} unreviewed")  # fmt: skip
    return 1 if unreviewed else 0


if __name__ == "__main__":
    sys.exit(main())
