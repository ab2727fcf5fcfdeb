"""Run sweeps (criticality, matrices) in this process or on a dask.distributed cluster, with one result.

A sweep is a task function `func(shared, items) -> list` over chunks of items, plus the data
every task needs (`shared`: the compiled graph, a weight array, masks). `Serial` runs the
chunks in a loop; `Dask` sends `shared` to every worker once (`Client.scatter(broadcast=True)`),
submits one task per chunk and gathers the results in the order of the items. Both call the
same task functions on the same data, so their results are identical.

Nothing here imports Dask until a `Dask` runner is made: `--workers N` starts a LocalCluster of
N worker processes (one thread each, as the search core is CPU-bound), `--scheduler ADDRESS`
connects to a running cluster, whose workers need corridor installed.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from .engine import INF, STOP_ALL, search
from .errors import CorridorError, UsageError
from .registry import METRIC_NAMES

Progress = Callable[[int, int], None]
# Chunks per worker: enough to balance uneven tasks and show progress, few enough to keep overhead low.
CHUNKS_PER_WORKER = 4
INSTALL = 'pip install "corridor[dask]"'


def _chunks(items: Sequence[Any], count: int) -> list[list[Any]]:
    size = max(1, math.ceil(len(items) / max(count, 1)))
    return [list(items[i : i + size]) for i in range(0, len(items), size)]


class Serial:
    """Run a sweep's tasks here, one after the other."""

    workers = 1

    def __enter__(self) -> Serial:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def map(self, func: Callable[[Any, list[Any]], list[Any]], shared: Any, items: Sequence[Any], *,
            progress: Progress | None = None) -> list[Any]:  # fmt: skip
        out: list[Any] = []
        chunks = _chunks(items, 4 * CHUNKS_PER_WORKER)
        for chunk in chunks:
            out += func(shared, chunk)
            if progress is not None:
                progress(len(out), len(items))
        return out

    def describe(self) -> str:
        return "in this process"


class Dask:
    """Run a sweep's tasks on dask.distributed: a new LocalCluster of `workers` processes, or `scheduler`."""

    def __init__(self, *, workers: int | None = None, scheduler: str | None = None):
        if (workers is None) == (scheduler is None):
            raise UsageError("give either workers or scheduler", "workers")
        if workers is not None and (isinstance(workers, bool) or not isinstance(workers, int) or workers < 1):
            raise UsageError(f"workers must be a whole number of at least 1, not {workers!r}", "workers")
        self.requested = workers
        self.scheduler = scheduler
        self.client: Any = None
        self.cluster: Any = None
        self.workers = workers or 0

    def __enter__(self) -> Dask:
        try:
            from dask.distributed import Client, LocalCluster
        except ImportError:
            raise CorridorError(f"running on a cluster needs dask.distributed: {INSTALL}") from None
        import logging

        logging.getLogger("distributed").setLevel(logging.ERROR)
        try:
            if self.scheduler is not None:
                self.client = Client(self.scheduler, timeout="20s")
            else:
                self.cluster = LocalCluster(
                    n_workers=self.requested, threads_per_worker=1, processes=True, dashboard_address=None,
                    silence_logs=logging.ERROR,
                )  # fmt: skip
                self.client = Client(self.cluster)
        except OSError as exc:
            self.__exit__()
            raise CorridorError(f"cannot reach the Dask scheduler {self.scheduler}: {exc}") from None
        self.workers = max(1, len(self.client.scheduler_info().get("workers", {})))
        return self

    def __exit__(self, *exc: object) -> None:
        if self.client is not None:
            self.client.close()
            self.client = None
        if self.cluster is not None:
            self.cluster.close()
            self.cluster = None

    def map(self, func: Callable[[Any, list[Any]], list[Any]], shared: Any, items: Sequence[Any], *,
            progress: Progress | None = None) -> list[Any]:  # fmt: skip
        from dask.distributed import as_completed

        client = self.client
        if client is None:
            raise RuntimeError("use the Dask runner in a with block")
        chunks = _chunks(items, self.workers * CHUNKS_PER_WORKER)
        handle = client.scatter(shared, broadcast=True)  # the compiled network goes to each worker once
        futures = [client.submit(func, handle, chunk, pure=False) for chunk in chunks]
        order = {future.key: i for i, future in enumerate(futures)}
        results: list[list[Any] | None] = [None] * len(futures)
        done = 0
        for future in as_completed(futures):
            part = future.result()
            results[order[future.key]] = part
            done += len(part)
            if progress is not None:
                progress(done, len(items))
        client.cancel(handle)
        return [x for part in results for x in (part or [])]

    def describe(self) -> str:
        where = f"scheduler {self.scheduler}" if self.scheduler else "a local cluster"
        return f"on {where} of {self.workers} worker(s)"


def runner(*, workers: int | None = None, scheduler: str | None = None) -> Serial | Dask:
    """Return the runner a command asked for: Dask with workers or a scheduler, else in this process."""
    if workers is None and scheduler is None:
        return Serial()
    return Dask(workers=workers, scheduler=scheduler)


# --------------------------------------------------------------------------- matrices


@dataclass(frozen=True)
class MatrixSweep:
    """What every matrix row needs: the graph, the weight, the masks and the destination columns."""

    graph: Any
    weight: Any
    edge_ok: bytes | bytearray
    node_ok: bytes | bytearray | None
    columns: tuple[tuple[tuple[str, int], ...], ...]  # per destination: (place id, destination node)
    teu: float


def matrix_rows(sweep: MatrixSweep, rows: list[tuple[tuple[int, ...], frozenset[str]]]) -> list[list[Any]]:
    """Return the matrix rows of origins given as (origin nodes, origin place ids): a task function."""
    from .routing import Reached

    targets = sorted({node for column in sweep.columns for _, node in column})
    out = []
    for sources, starts in rows:
        result = search(
            sweep.graph, sweep.weight, [(s, 0.0) for s in sources], targets=targets, stop=STOP_ALL,
            edge_ok=sweep.edge_ok, node_ok=sweep.node_ok, sums=METRIC_NAMES,
        )  # fmt: skip
        dist, sums = result.dist, result.sums
        assert sums is not None
        distance, time_h, cost, co2 = (sums[m] for m in METRIC_NAMES)
        cells: list[Any] = []
        for column in sweep.columns:
            best = None
            for pid, node in column:
                if dist[node] < INF and pid not in starts and (best is None or (dist[node], pid) < best[:2]):
                    best = (dist[node], pid, node)
            if best is None:
                cells.append(None)
            else:
                node = best[2]
                cells.append(
                    Reached(best[1], distance[node], time_h[node], cost[node] * sweep.teu, co2[node] * sweep.teu)
                )
        out.append(cells)
    return out


def matrix(
    network,
    origins: Sequence,
    destinations: Sequence,
    *,
    by: str = "cost",
    prices=None,
    modes=None,
    avoid: Sequence[str] = (),
    allow: Sequence[str] = (),
    teu: float = 1.0,
    run: Serial | Dask | None = None,
    progress: Progress | None = None,
) -> list[list[Any]]:
    """Return the totals of the best route from each origin to each destination (as `routing.matrix`).

    `by` may also be "generalized" (with `prices`); `run` is where the rows are computed
    (`Serial()` by default, or a `Dask` runner entered with `with`).
    """
    from dataclasses import replace

    from .objectives import masks, weight
    from .query import make_query, resolve

    base = make_query("", modes=modes, avoid=avoid, allow=allow, teu=teu)
    ends = [resolve(network, d) for d in destinations]
    core = network.core
    columns = tuple(tuple((pid, core.destination(pid)) for pid in end.place_ids) for end in ends)
    plans = [replace(base, origin=origin).plan(network, destination=False) for origin in origins]
    edge_ok, node_ok = masks(plans[0]) if plans else (b"", None)
    sweep = MatrixSweep(core, weight(network, by, prices), edge_ok, node_ok, columns, teu)
    rows = [
        (tuple(core.origin(pid) for pid in plan.start.place_ids), frozenset(plan.start.place_ids)) for plan in plans
    ]
    run = run or Serial()
    return run.map(matrix_rows, sweep, rows, progress=progress)
