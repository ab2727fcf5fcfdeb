"""Print the customs figures the README quotes: the countries where imports are charged.

Usage: python scripts/customs_figures.py

A country's imports are charged when data/clearance.csv has an import row at one of its places
(a country row holds at each of its seaports, `corridor ports show`); the others are charged
nothing and a route says `customs not charged`.
"""

from __future__ import annotations

from corridor.network import load_network


def main() -> None:
    network = load_network()
    countries = sorted(
        {network.places[pid].country for (pid, direction) in network.operations.clearance if direction == "import"}
    )
    names = ", ".join(sorted(network.countries.get(c, c) for c in countries))
    print(f"imports charged in {len(countries)} countries: {names}")


if __name__ == "__main__":
    main()
