"""Print the reach figures the README quotes: physical and served reach from an origin.

Usage: python scripts/reach_figures.py [ORIGIN]

Physical reach counts every place a container can get to by any ship; served reach (`reach
--served`) crosses the sea only on the published services of data/sea/services.csv. World
Port Index coverage counts the 3,803 ports of data/ports/wpi_ports.csv that are reached, each
found by its code or by its name and country, as tests/test_world.py does.
"""

from __future__ import annotations

import csv
import sys

from corridor.datasets import bundled_data_dir
from corridor.network import load_network
from corridor.routing import reach


def _wpi_found(network, reached: set[str]) -> tuple[int, int]:
    with (bundled_data_dir() / "ports" / "wpi_ports.csv").open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    found = 0
    for row in rows:
        pid = row["unlocode"].upper() or f"wpi-{row['wpi_number']}"
        ids = [pid] if pid in network.places else []
        for text in () if ids else (pid, f"{row['name']}, {row['country_code']}"):
            try:
                ids = list(network.gazetteer.resolve(text).place_ids)
                break
            except Exception:  # an unknown or ambiguous name: not found this way
                continue
        found += any(i in reached for i in ids)
    return found, len(rows)


def main() -> None:
    origin = sys.argv[1] if len(sys.argv) > 1 else "Chongqing"
    network = load_network()
    for label, served in (("physical", False), ("served", True)):
        places = [network.places[r.place_id] for r in reach(network, origin, by="distance", served=served)]
        ports = [p for p in places if "sea" in p.modes]
        print(
            f"{label} reach from {origin}: {len(places):,} places in {len({p.country for p in places})} countries, "
            f"{len(ports):,} seaports in {len({p.country for p in ports})} countries"
        )
        if not served:
            found, total = _wpi_found(network, {p.id for p in places})
            print(f"World Port Index ports reached: {found:,} of {total:,} ({found / total:.1%})")


if __name__ == "__main__":
    main()
