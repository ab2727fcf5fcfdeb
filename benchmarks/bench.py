"""Measure corridor beside its peers (searoute, scgraph) on this machine, and print the ratios.

Run from a source checkout with the test extras installed (they bring the peers):

    python benchmarks/bench.py [--runs 7] [--quick] [--venv DIR] [--markdown FILE]

Every row of the performance budget is measured in the same run as its peer:

- first route after `pip install`: a wheel is built and installed into a fresh virtual
  environment (or `--venv DIR` names one), and `corridor route Chongqing "Umm Qasr"` runs in a
  fresh process with an empty cache; searoute answers Qinzhou to Umm Qasr in a fresh process;
- warm CLI route: the same from a source checkout whose cache is built; scgraph in a fresh
  process, loading its graph (made from searoute's lanes, saved as graph JSON) and routing;
  and the same route on a copy of the bundled dataset, read from the user's cache;
- in-process queries, alternatives, reach, matrices (50 x 50 and 555 x 555 seaports, seeded)
  against scgraph's shortest path and distance matrix on the same lanes;
- peak memory of a warm CLI route against searoute's fresh process;
- building a user dataset from raw data, and validating it.

Times are medians over `--runs`; fresh processes are timed by their CPU time (user + system,
from the kernel's accounting of the child), which a busy machine disturbs less than the wall
clock; wall times are printed beside them. Ratios divide corridor's figure by the peer's.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _common import machine, warm_median

ROOT = Path(__file__).resolve().parent.parent
QINZHOU, UMM_QASR = (108.62, 21.70), (47.94, 30.03)  # (lon, lat)
ROTTERDAM = (4.05, 51.95)


def run_process(argv: list[str], env: dict[str, str]) -> tuple[float, float, int]:
    """Run a command; return (CPU seconds, wall seconds, peak RSS in MiB)."""
    start = time.perf_counter()
    child = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - start
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} failed: {child.stderr.read().decode(errors='replace')[-800:]}")
    child.stderr.close()
    return usage.ru_utime + usage.ru_stime, wall, usage.ru_maxrss // 1024


def processes(argv: list[str], env: dict[str, str], runs: int, fresh_cache: Path | None = None):
    cpu, wall, rss = [], [], []
    for _ in range(runs):
        if fresh_cache is not None:
            shutil.rmtree(fresh_cache, ignore_errors=True)
        c, w, r = run_process(argv, env)
        cpu.append(c)
        wall.append(w)
        rss.append(r)
    return statistics.median(cpu), statistics.median(wall), max(rss)


class Report:
    def __init__(self) -> None:
        self.rows: list[tuple[str, str, str, str, str]] = []

    def add(self, what: str, ours: str, peer: str = "", ratio: str = "", goal: str = "") -> None:
        self.rows.append((what, ours, peer, ratio, goal))
        line = f"{what}: {ours}"
        if peer:
            line += f" | peer {peer}"
        if ratio:
            line += f" | ratio {ratio}"
        if goal:
            line += f" | goal {goal}"
        print(line, flush=True)

    def markdown(self) -> str:
        lines = ["| what | corridor | peer | ratio | goal |", "|---|---|---|---|---|"]
        lines += [f"| {' | '.join(row)} |" for row in self.rows]
        return "\n".join(lines)


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.2f} ms" if seconds < 0.01 else f"{seconds * 1000:.0f} ms"


def install_wheel(target: Path) -> Path:
    """Build corridor's wheel and install it into a new virtual environment; return its python."""
    dist = target / "dist"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(dist), str(ROOT)], check=True)
    subprocess.run([sys.executable, "-m", "venv", str(target / "venv")], check=True)
    python = target / "venv" / "bin" / "python"
    (wheel,) = dist.glob("corridor-*.whl")
    subprocess.run([str(python), "-m", "pip", "install", "-q", str(wheel)], check=True)
    return python


def scgraph_files(work: Path) -> Path:
    """Save scgraph's graph of searoute's lanes as graph JSON (what a fresh process loads).

    Done in a child process: the measurements of fresh processes come first, from a parent
    that has imported nothing large (a forked child's peak memory starts from its parent's).
    """
    path = work / "marnet.graphjson"
    code = (
        "import sys, searoute; from pathlib import Path; from scgraph.geograph import GeoGraph; "
        "lanes = Path(searoute.__file__).parent / 'data' / 'marnet_searoute.geojson'; "
        "GeoGraph.load_from_geojson(str(lanes), silent=True).save_as_graphjson(sys.argv[1])"
    )
    subprocess.run([sys.executable, "-c", code, str(path)], check=True)
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7, help="runs per measurement (median)")
    parser.add_argument("--quick", action="store_true", help="skip the wheel install and the 555 x 555 matrix")
    parser.add_argument("--venv", metavar="DIR", help="an environment where the corridor wheel is installed")
    parser.add_argument("--markdown", metavar="FILE", help="also write the table as Markdown")
    args = parser.parse_args()
    runs = args.runs
    sys.path.insert(0, str(ROOT / "src"))

    print(f"machine: {machine()}")
    report = Report()
    work = Path(tempfile.mkdtemp(prefix="corridor-bench-"))
    # Bytecode is written as on any ordinary machine (a sandbox may switch it off, which would
    # time the compilation of every module on each run).
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["CORRIDOR_CACHE"] = str(work / "cache")
    env.pop("CORRIDOR_DATA", None)
    route = ["route", "Chongqing", "Umm Qasr"]
    try:
        # ------------------------------------------------------------ peers in fresh processes
        searoute_code = (
            f"import searoute as sr; print(sr.searoute({list(QINZHOU)}, {list(UMM_QASR)}).properties['length'])"
        )
        sr_cpu, sr_wall, sr_rss = processes([sys.executable, "-c", searoute_code], env, runs)
        graphjson = scgraph_files(work)
        scgraph_code = (
            "from scgraph.geograph import GeoGraph; "
            f"g = GeoGraph.load_from_graphjson({str(graphjson)!r}); "
            f"print(g.get_shortest_path({{'latitude': {QINZHOU[1]}, 'longitude': {QINZHOU[0]}}}, "
            f"{{'latitude': {UMM_QASR[1]}, 'longitude': {UMM_QASR[0]}}})['length'])"
        )
        sc_cpu, sc_wall, _ = processes([sys.executable, "-c", scgraph_code], env, runs)

        # ------------------------------------------------------------ first route after install
        python = None
        if args.venv:
            python = Path(args.venv) / "bin" / "python"
        elif not args.quick:
            print("building and installing the wheel ...", flush=True)
            python = install_wheel(work / "wheel")
        if python is not None:
            first = processes([str(python), "-m", "corridor", *route], env, runs, fresh_cache=work / "cache")
            report.add(
                "first route after `pip install` (empty cache)",
                f"{first[0]:.2f} s CPU ({first[1]:.2f} s wall)",
                f"searoute fresh process {sr_cpu:.2f} s CPU ({sr_wall:.2f} s wall)",
                f"{first[0] / sr_cpu:.2f}",
                "<= 1.0",
            )

        # ------------------------------------------------------------ warm CLI route (source checkout)
        source_env = {**env, "PYTHONPATH": str(ROOT / "src")}
        subprocess.run([sys.executable, "-m", "corridor", *route], env=source_env, check=True, capture_output=True)
        warm = processes([sys.executable, "-m", "corridor", *route], source_env, runs)
        report.add(
            "warm CLI route (source checkout, cached network)",
            f"{warm[0]:.2f} s CPU ({warm[1]:.2f} s wall)",
            f"searoute {sr_cpu:.2f} s CPU; scgraph {sc_cpu:.2f} s CPU ({sc_wall:.2f} s wall)",
            f"{warm[0] / sr_cpu:.2f} of searoute",
            "<= 0.6",
        )
        report.add(
            "peak memory, warm CLI route",
            f"{warm[2]} MiB",
            f"searoute {sr_rss} MiB",
            f"{warm[2] / sr_rss:.2f}",
            "<= 70 MiB",
        )

        # ------------------------------------------------------------ a dataset of one's own
        # Timed before this process loads anything big: a child's peak memory counts what it
        # shares with its parent until it starts the command.
        from corridor.datasets import bundled_data_dir

        data = work / "mine"
        shutil.copytree(bundled_data_dir(), data, ignore=shutil.ignore_patterns(".*"))
        own_route = [sys.executable, "-m", "corridor", *route, "--data", str(data)]
        subprocess.run(own_route, env=source_env, check=True, capture_output=True)  # builds and caches it
        own = processes(own_route, source_env, runs)
        report.add(
            "warm CLI route on a dataset of one's own (bundled copy, the user's cache)",
            f"{own[0]:.2f} s CPU ({own[1]:.2f} s wall), {own[2]} MiB",
            f"searoute {sr_cpu:.2f} s CPU, {sr_rss} MiB",
            f"{own[0] / sr_cpu:.2f} of searoute",
            "<= 0.6",
        )

        # ------------------------------------------------------------ in process
        from scgraph.geograph import GeoGraph

        import corridor
        from corridor import engine
        from corridor.network import load_network

        print(f"corridor {corridor.__version__}, search core: {'compiled C' if engine.compiled() else 'Python'}")
        graph = GeoGraph.load_from_graphjson(str(graphjson))
        network = load_network()
        a = {"latitude": QINZHOU[1], "longitude": QINZHOU[0]}
        b = {"latitude": UMM_QASR[1], "longitude": UMM_QASR[0]}
        peer_query = warm_median(lambda: graph.get_shortest_path(a, b), runs * 5)
        for place, goal in (("Umm Qasr", "<= 3 ms"), ("Rotterdam", "<= 5 ms")):
            one = warm_median(
                lambda place=place: corridor.find_routes(network, "Chongqing", place, by="time"), runs * 5
            )
            report.add(
                f"in-process Chongqing -> {place} by time",
                ms(one),
                f"scgraph sea-only Qinzhou -> Umm Qasr {ms(peer_query)}" if place == "Umm Qasr" else "",
                f"{one / peer_query:.1f}" if place == "Umm Qasr" else "",
                goal,
            )
        one = warm_median(lambda: corridor.find_routes(network, "Chongqing", "Umm Qasr"), runs * 5)
        alternatives = warm_median(
            lambda: corridor.find_routes(network, "Chongqing", "Umm Qasr", alternatives=3), runs * 3
        )
        report.add(
            "`--alternatives 3`, Chongqing -> Umm Qasr by cost, in process",
            ms(alternatives),
            f"one query {ms(one)}",
            f"{alternatives / one:.1f} x one query",
            "<= 10x one query",
        )
        reach = warm_median(lambda: corridor.reach(network, "Chongqing", by="time"), runs)
        count = len(corridor.reach(network, "Chongqing", by="time"))
        report.add(f"reach from Chongqing, {count:,} places", ms(reach), goal="<= 30 ms")

        rng = random.Random(555)
        ports = sorted(p for p, place in network.places.items() if place.origin == "wpi" and network.routable(p))
        for size, goal in ((50, "<= 0.2 s"), (555, "<= 2 s")):
            if size == 555 and args.quick:
                continue
            chosen = rng.sample(ports, size)
            points = [{"latitude": network.places[p].lat, "longitude": network.places[p].lon} for p in chosen]
            ours = warm_median(lambda chosen=chosen: corridor.matrix(network, chosen, chosen, by="distance"), 3)
            # scgraph keeps the shortest-path trees it grew: clear them, or a repeat costs nothing.
            peer = warm_median(
                lambda points=points: (graph.graph_object.reset_cache(), graph.distance_matrix(points)),
                3,
            )
            report.add(
                f"matrix {size} x {size} seaports, by distance",
                f"{ours:.2f} s",
                f"scgraph distance_matrix {peer:.2f} s",
                f"{ours / peer:.2f}",
                goal,
            )

        # ------------------------------------------------------------ building a user dataset
        build = warm_median(lambda: load_network(data, cache=False), max(3, runs // 2))
        report.add("build a user dataset from raw data (bundled copy)", f"{build:.2f} s", goal="<= 2 s")
        validate = processes([sys.executable, "-m", "corridor", "validate", "--data", str(data)], source_env, 1)
        report.add("`corridor validate` of that dataset", f"{validate[1]:.2f} s wall ({validate[0]:.2f} s CPU)")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    if args.markdown:
        Path(args.markdown).write_text(f"Machine: {machine()}\n\n{report.markdown()}\n")


if __name__ == "__main__":
    main()
