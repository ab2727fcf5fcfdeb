"""Print the distance along the lanes between seaports, as the sea-distance test measures it.

Usage: python scripts/sea_distance.py FROM TO [FROM TO ...] [--data DIR] [--avoid PASSAGE ...]

The shortest way over water along the lanes and the ports' access paths, whatever ships sail it
(`Network.sea_path`, as tests/test_sea_distances.py measures a published pair), in nautical miles
and kilometres. `corridor route --modes sea --by distance` answers a different question: the
shortest route ships of the data sail, with its hubs and transshipments.
"""

from __future__ import annotations

import argparse
import sys

from corridor.errors import CorridorError
from corridor.geo import KM_PER_NM
from corridor.network import load_network


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("places", nargs="+", metavar="PLACE", help="pairs of seaports: names or ids")
    parser.add_argument("--data", default=None, help="dataset directory (the bundled one by default)")
    parser.add_argument("--avoid", action="append", default=[], metavar="PASSAGE", help="a sea passage to keep out of")
    args = parser.parse_args(argv)
    if len(args.places) % 2:
        parser.error("give the places in pairs: FROM TO [FROM TO ...]")
    network = load_network(args.data)
    for start, end in zip(args.places[::2], args.places[1::2], strict=True):
        try:
            a, b = (network.gazetteer.resolve(name).place_ids[0] for name in (start, end))
            found = network.sea_path(a, b, avoid=args.avoid)
        except CorridorError as exc:
            print(f"sea_distance.py: {exc}", file=sys.stderr)
            return 1
        if found is None:
            print(f"{a} {b}: no way over water")
            continue
        print(f"{a} {b}: {found[0] / KM_PER_NM:,.1f} nm ({found[0]:,.0f} km)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
