"""Print the customs and border figures the README quotes: the countries where imports are
charged, and the border crossings whose fees the data gives.

Usage: python scripts/customs_figures.py

A country's imports are charged when data/clearance.csv has an import row at one of its places
(a country row holds at each of its seaports, `corridor ports show`), or when it belongs to a
customs union one of whose members has one (data/countries.csv `customs_union`: the EU); the
others are charged nothing and a route says `customs not charged`. A border crossing's fees are charged where
data/borders.csv gives them; elsewhere none, and a route says `border fees not charged`.
"""

from __future__ import annotations

from corridor.network import load_network


def main() -> None:
    network = load_network()
    countries = sorted(
        {network.places[pid].country for (pid, direction) in network.operations.clearance if direction == "import"}
    )
    names = ", ".join(sorted(network.countries.get(c, c) for c in countries))
    print(f"imports charged in {len(countries)} countries with figures of their own: {names}")
    unions = network.customs_unions
    for union in sorted({unions[c] for c in countries if c in unions}):
        members = [c for c, u in unions.items() if u == union and c not in countries]
        print(f"and in the {len(members)} other members of the {union} customs union, with its figures")
    borders = [c for (pid, _), c in network.operations.crossings.items() if network.places[pid].kind == "border"]
    given = ", ".join(f"{c.name} by {c.mode}" for c in borders if c.cost_given)
    print(f"border crossings with fee figures: {sum(c.cost_given for c in borders)} of {len(borders)} ({given})")


if __name__ == "__main__":
    main()
