"""Print the evidence for each mode's circuity factor (data/parameters.csv).

Usage: python scripts/circuity.py [DATA_DIR]

A link without a published distance is measured along its via points and multiplied by its
mode's `circuity`. The links whose distance cites a document show what that factor should be:
their published length over their length along their via points. Links shorter than 20 km
(bridges, terminal spurs) are left out.
"""

from __future__ import annotations

import statistics
import sys

from corridor.costing import published_circuity
from corridor.network import load_network


def main() -> None:
    network = load_network(sys.argv[1] if len(sys.argv) > 1 else None)
    params = network.parameters
    evidence = published_circuity(network.links.values(), network.places)
    print("mode    links  median  quartiles    factor used")
    for mode, ratios in sorted(evidence.items()):
        values = [ratio for ratio, _ in ratios]
        low, mid, high = statistics.quantiles(values, n=4) if len(values) > 1 else (values[0],) * 3
        used = params.value("circuity", mode, float("nan"))
        print(f"{mode:7s} {len(values):5d}  {mid:6.2f}  {low:4.2f}-{high:4.2f}    {used:g}")
        for ratio, link_id in ratios:
            print(f"          {ratio:5.2f}  {link_id}")


if __name__ == "__main__":
    main()
