"""List the best routes whose cargo is on land in a customs territory, leaves it and is on land
there again: the check behind the transit and inbound layers (README, "Borders, gauges and
clearance").

Usage: python scripts/territory_revisits.py

From each of a set of origins around the corridor to every place in the territories a land link
joins (China, Hong Kong, the EU, Southeast Asia, Central Asia, Iraq and Jordan), by cost and by
time. A sailing that changes ship at a foreign hub is not a revisit: only the places where the
cargo is on rail, road or river count. Prints each revisit and the count.
"""

from __future__ import annotations

from corridor.errors import CorridorError
from corridor.network import LAND_FAMILY, load_network
from corridor.routing import find_routes

ORIGINS = ("SGSIN", "NLRTM", "CNSHA", "UZTAS", "LATHG", "VNYEV", "MYPKG", "THLCH", "KZALA", "AEJEA", "USLAX",
           "IQUQR", "CNCQI", "CNKMG")  # fmt: skip
TERRITORIES = ("CN", "TH", "VN", "MY", "LA", "KZ", "UZ", "MM", "EU", "IQ", "JO", "HK", "SG")


def land_territories(network, route) -> list[str]:
    """The customs territories the route's cargo is on land in, in order, each once in a row."""
    seq = [network.territory(network.places[route.origin].country)]
    stops = [pid for leg in route.legs if leg.mode in LAND_FAMILY for pid in (leg.from_id, leg.to_id)]
    for pid in [*stops, route.destination]:
        territory = network.territory(network.places[pid].country)
        if territory != seq[-1]:
            seq.append(territory)
    return seq


def main() -> None:
    network = load_network()
    places = [
        p.id
        for p in network.places.values()
        if p.operational and network.territory(p.country) in TERRITORIES and network.core.in_graph(p.id)
    ]
    transit = network.core.transit
    routes = revisits = bonded = 0
    for origin in (o for o in ORIGINS if o in network.places):
        for destination in places:
            if destination == origin:
                continue
            for by in ("cost", "time"):
                try:
                    route = find_routes(network, origin, destination, by=by)[0]
                except CorridorError:
                    continue
                routes += 1
                seq = land_territories(network, route)
                if len(seq) != len(set(seq)):
                    revisits += 1
                    core = network.core
                    in_transit = any(core.tail[e] in transit or core.head[e] in transit for e in route.edges)
                    bonded += in_transit
                    legs = ", ".join(f"{leg.mode} to {leg.to_id}" for leg in route.legs if leg.mode != "transfer")
                    said = " (in transit)" if in_transit else ""
                    print(f"{origin} -> {destination} by {by}{said}: {' > '.join(seq)}: {legs}")
    print(f"{revisits} of {routes} routes revisit a territory, {bonded} of them through the transit layers")


if __name__ == "__main__":
    main()
