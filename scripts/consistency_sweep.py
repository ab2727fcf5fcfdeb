"""Check that the commands answering one question agree, on random pairs of corridor places.

Usage: python scripts/consistency_sweep.py [--pairs 40] [--seed 7] [--data DIR] [--scenarios]

For each pair it asks `route --by time|cost|co2|distance` for the best route and checks that
`compare` gives the same figure for each metric, that the first of `--alternatives 3` is that
route and none beats it, that `reach` and `matrix` reach the destination at the same time and
cost, that the `pareto` front's least cost, time and CO2 are the routes' and that the route by
generalised cost (at the dataset's prices) is on the front. `--scenarios` repeats the route,
front, reach and matrix checks on the network of each bundled scenario (8 pairs each).

It prints every disagreement and a count, and exits 1 if there is one. The test suite checks
a few fixed pairs of the same kinds (tests/test_pareto.py, tests/test_trust.py); this is the
wider net, for after a change to the search, the dedup of corridors or the weights.
"""

from __future__ import annotations

import argparse
import random
import sys

from corridor import objectives
from corridor.errors import CorridorError
from corridor.network import load_network
from corridor.pareto import pareto
from corridor.routing import compare, find_routes, matrix, reach

PLACES = (
    "Chongqing", "Chengdu", "Xi'an", "Lanzhou", "Guiyang", "Kunming", "Nanning", "Qinzhou", "Zhanjiang",
    "Hong Kong", "Shanghai", "Kaohsiung", "Busan", "Hanoi", "Haiphong", "Ho Chi Minh City", "Vientiane",
    "Bangkok", "Yangon", "Mandalay", "Penang", "Port Klang", "Singapore", "Jakarta", "Colombo", "Mumbai",
    "Jebel Ali", "Umm Qasr", "Basrah", "Baghdad", "Almaty", "Tashkent", "Duisburg", "Rotterdam", "Los Angeles",
)  # fmt: skip
METRICS = {"distance": "distance_km", "time": "time_h", "cost": "cost_usd", "co2": "co2_kg"}


def _differ(a: float | None, b: float) -> bool:
    return a is None or abs(a - b) > 1e-6 * max(1.0, abs(b))


def check_pair(network, origin: str, destination: str, *, full: bool = True) -> list[str]:
    """Return the disagreements between the commands on one pair (empty when they agree)."""
    problems = []
    best = {by: find_routes(network, origin, destination, by=by)[0] for by in METRICS}
    pair = f"{origin} -> {destination}"
    if full:
        compared = compare(network, origin, destination)
        for by, metric in METRICS.items():
            value, said = getattr(best[by], metric), getattr(compared[by], metric)
            if _differ(said, value):
                problems.append(f"{pair}: compare's {by} {said:.3f} against route's {value:.3f}")
            alternatives = find_routes(network, origin, destination, by=by, alternatives=3)
            if _differ(getattr(alternatives[0], metric), value) or any(
                getattr(r, metric) < value - 1e-6 for r in alternatives
            ):
                problems.append(f"{pair}: --alternatives 3 by {by} do not start at the best route ({value:.3f})")
    for by in ("time", "cost"):
        metric, route = METRICS[by], best[by]
        value = getattr(route, metric)
        reached = {r.place_id: r for r in reach(network, origin, by=by)}.get(route.destination)
        if _differ(getattr(reached, metric, None), value):
            problems.append(f"{pair}: reach by {by} {getattr(reached, metric, None)} against route's {value:.3f}")
        cell = matrix(network, [origin], [destination], by=by)[0][0]
        if _differ(getattr(cell, metric, None), value):
            problems.append(f"{pair}: matrix by {by} {getattr(cell, metric, None)} against route's {value:.3f}")
    front = pareto(network, origin, destination).routes
    for by in ("cost", "time", "co2"):
        metric = METRICS[by]
        least, value = min(getattr(r, metric) for r in front), getattr(best[by], metric)
        if _differ(least, value):
            problems.append(f"{pair}: the front's least {by} {least:.3f} against route's {value:.3f}")
    prices = objectives.Prices.from_parameters(network.parameters)
    generalised = prices.route(objectives.find_routes(network, origin, destination, prices=prices)[0])
    if _differ(min(prices.route(r) for r in front), generalised):
        problems.append(f"{pair}: the route by generalised cost ({generalised:.2f}) is not on the front")
    return problems


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=40)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--data", default=None)
    parser.add_argument("--scenarios", action="store_true", help="also on each bundled scenario's network")
    args = parser.parse_args()
    network = load_network(args.data)
    rng = random.Random(args.seed)
    every = [(a, b) for a in PLACES for b in PLACES if a != b]
    runs = [("base network", network, rng.sample(every, args.pairs), True)]
    if args.scenarios:
        from corridor.scenarios import apply_scenario, list_scenarios, load_scenario

        for path in list_scenarios(args.data):
            changed = apply_scenario(network, load_scenario(path, args.data)).network
            runs.append((f"scenario {path.stem}", changed, rng.sample(every, 8), False))
    problems = 0
    for label, net, pairs, full in runs:
        checked = 0
        for origin, destination in pairs:
            try:
                found = check_pair(net, origin, destination, full=full)
            except CorridorError as exc:  # no route under a scenario: nothing to compare
                print(f"{label}: {origin} -> {destination}: {exc}")
                continue
            checked += 1
            problems += len(found)
            for line in found:
                print(f"{label}: {line}")
        print(f"{label}: {checked} pairs checked", flush=True)
    print(f"{problems} disagreement(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
