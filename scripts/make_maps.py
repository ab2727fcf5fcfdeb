"""Regenerate the example maps in maps/ from the bundled dataset.

Usage: python scripts/make_maps.py [--out maps]

Writes, each a self-contained page that opens offline:

- chongqing-umm-qasr.html: the cheapest route to Iraq with two alternatives;
- chongqing-hong-kong.html: the best route for each metric (cheapest, fastest, ...);
- chongqing-singapore.html: the fastest route with two alternatives;
- network.html: the whole network, a layer per mode, the world's seaports clustered.

`tests/test_render.py` checks that the maps in maps/ are what this script draws from the bundled
data today, so a change to the data or the drawing that moves them must regenerate them.
"""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

from corridor.network import load_network
from corridor.render import compare_map, network_map, route_map, save_map
from corridor.routing import compare, find_routes


def example_maps(network) -> dict:
    """The example maps by file name, as folium maps of the given network."""
    return {
        "chongqing-umm-qasr.html": route_map(
            network,
            find_routes(network, "Chongqing", "Umm Qasr", by="cost", alternatives=2),
            title="Chongqing to Umm Qasr: the cheapest route and two alternatives",
        ),
        "chongqing-hong-kong.html": compare_map(
            network,
            compare(network, "Chongqing", "Hong Kong"),
            title="Chongqing to Hong Kong: the best route for each metric",
        ),
        "chongqing-singapore.html": route_map(
            network,
            find_routes(network, "Chongqing", "Singapore", by="time", alternatives=2),
            title="Chongqing to Singapore: the fastest route and two alternatives",
        ),
        "network.html": network_map(network),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent.parent / "maps")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING, format="make_maps: %(message)s")
    for name, m in example_maps(load_network()).items():
        path = save_map(m, args.out / name)
        print(f"{path}: {path.stat().st_size / 1e6:.2f} MB")


if __name__ == "__main__":
    main()
