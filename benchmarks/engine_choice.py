"""Why the search core is a small C module: the candidates measured on the bundled network.

Run: python benchmarks/engine_choice.py [--runs 20]

For each candidate: its import time in a fresh process (the CLI pays it on every route) and
the time of one full single-source search over the compiled network (every node settled, by
time), the unit of work of reach, matrices, alternatives and criticality. scipy and rustworkx
are measured when installed (`pip install scipy rustworkx`); they are not dependencies.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

from _common import warm_median

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))


def import_seconds(module: str) -> float | None:
    code = f"import time; t = time.perf_counter(); import {module}; print(time.perf_counter() - t)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    return float(done.stdout) if done.returncode == 0 else None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()

    from corridor import engine
    from corridor.network import load_network

    network = load_network()
    core = network.core
    weight = core.weights["time_h"]
    mask = network.masks.edge_mask(engine.Rules(frozenset(("rail", "river", "sea", "road")), frozenset()))
    source = [(core.origin("CNCQI"), 0.0)]
    print(f"network: {core.n_nodes:,} nodes, {core.n_edges:,} edges")

    rows = []
    if engine.compiled():
        compiled = warm_median(lambda: engine.search(core, weight, source, edge_ok=mask), args.runs)
        rows.append(("corridor._core (C, this package)", import_seconds("corridor._core"), compiled))
    saved = engine._core
    engine._core = None
    try:
        python = warm_median(lambda: engine.search(core, weight, source, edge_ok=mask), max(3, args.runs // 5))
    finally:
        engine._core = saved
    rows.append(("Python twin (corridor.engine)", import_seconds("heapq"), python))

    try:
        from scipy.sparse import csr_matrix
        from scipy.sparse.csgraph import dijkstra
    except ImportError:
        print("scipy not installed: skipped")
    else:
        kept = [e for e in range(core.n_edges) if mask[e]]
        # csgraph keeps the cheapest of parallel edges, as a shortest path does.
        matrix = csr_matrix(
            ([weight[e] + 1e-12 for e in kept], ([core.tail[e] for e in kept], [core.head[e] for e in kept])),
            shape=(core.n_nodes, core.n_nodes),
        )
        seconds = warm_median(lambda: dijkstra(matrix, indices=source[0][0]), args.runs)
        rows.append(("scipy.sparse.csgraph.dijkstra", import_seconds("scipy.sparse.csgraph"), seconds))

    try:
        import rustworkx as rx
    except ImportError:
        print("rustworkx not installed: skipped")
    else:
        graph = rx.PyDiGraph()
        graph.add_nodes_from(range(core.n_nodes))
        graph.add_edges_from([(core.tail[e], core.head[e], weight[e]) for e in range(core.n_edges) if mask[e]])
        seconds = warm_median(
            lambda: rx.dijkstra_shortest_path_lengths(graph, source[0][0], edge_cost_fn=float), max(3, args.runs // 5)
        )
        rows.append(("rustworkx (edge cost via a Python callback)", import_seconds("rustworkx"), seconds))

    print(f"{'core':48} {'import':>10} {'full search':>12}")
    for name, imported, seconds in rows:
        shown = f"{imported * 1000:.0f} ms" if imported is not None else "-"
        print(f"{name:48} {shown:>10} {seconds * 1000:>9.2f} ms")


if __name__ == "__main__":
    main()
