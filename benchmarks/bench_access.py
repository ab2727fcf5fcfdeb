"""Time port access and name resolution: the build, one new port, and resolving names.

Run: python benchmarks/bench_access.py [--runs N]
Prints one line per measurement (medians of N runs). Figures depend on the machine; the README
quotes them for a 2-core machine.
"""

from __future__ import annotations

import argparse
import contextlib
from dataclasses import replace

from _common import median_run


def report(label: str, value: str) -> None:
    print(f"{label:<56}{value:>12}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()

    from corridor.costing import Parameters
    from corridor.datasets import PARAMETERS_FILE, bundled_data_dir, load_dataset
    from corridor.gazetteer import Gazetteer
    from corridor.network import build_network
    from corridor.portaccess import compute_access
    from corridor.sealanes import LandMask, join_near_misses, read_lanes

    root = bundled_data_dir()
    dataset = load_dataset(root)
    parameters = Parameters.from_files(root / PARAMETERS_FILE, None)
    seconds, network = median_run(lambda: build_network(dataset, parameters), max(1, args.runs // 2))
    report("build the whole network (precomputed access)", f"{seconds:.2f} s")

    seconds, land = median_run(lambda: LandMask(root), 1)
    report("read Natural Earth 1:10m land (once, for new ports)", f"{seconds:.2f} s")
    lanes = read_lanes(root)
    join_near_misses(lanes, land)
    # New ports: a coastal one (straight access) and ones whose straight edges cross land.
    probes = {
        "VNUIH": (109.24, 13.77),  # Quy Nhon at its published position
        "JPNGO": (136.87, 35.07),  # Nagoya, at the head of Ise Bay
        "AUMEL": (144.93, -37.84),  # Melbourne, inside Port Phillip
        "SGSIN": (103.77, 1.28),  # Singapore: straight
    }
    for pid, (lon, lat) in probes.items():
        place = replace(dataset.places[pid], lon=lon, lat=lat, origin="curated")
        seconds, joined = median_run(lambda p=place: compute_access([p], lanes, land), args.runs)
        kind = "grid" if any(len(path) > 2 for path in joined[pid].paths) else "straight"
        report(f"access for one new port: {pid} ({kind})", f"{seconds * 1000:.0f} ms")

    gazetteer = Gazetteer(network.places, root=root)
    seconds, _ = median_run(lambda: Gazetteer(network.places, root=root).resolve("Umm Qasr"), args.runs)
    report("resolve a corridor name (fresh gazetteer)", f"{seconds * 1000:.1f} ms")
    seconds, _ = median_run(lambda: Gazetteer(network.places, root=root).resolve("Kolkata"), args.runs)
    report("resolve a UN/LOCODE name (fresh gazetteer, reads tables)", f"{seconds * 1000:.1f} ms")

    def unknown():
        with contextlib.suppress(Exception):
            gazetteer.resolve("Antwerpn")

    seconds, _ = median_run(unknown, args.runs)
    report("suggest for a misspelt name (rapidfuzz)", f"{seconds * 1000:.1f} ms")


if __name__ == "__main__":
    main()
