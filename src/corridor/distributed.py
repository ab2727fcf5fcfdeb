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
from array import array
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .engine import INF, STOP_ALL, Onward, Scratch, go_on, search
from .errors import CorridorError, UsageError
from .registry import METRIC_NAMES

if TYPE_CHECKING:
    from .results import Matrix

Progress = Callable[[int, int], None]
# Chunks per worker: enough to balance uneven tasks and show progress, few enough to keep overhead low.
CHUNKS_PER_WORKER = 4
INSTALL = 'pip install "corridor[dask]"'


def _chunks(items: Sequence[Any], count: int) -> list[list[Any]]:
    size = max(1, math.ceil(len(items) / max(count, 1)))
    return [list(items[i : i + size]) for i in range(0, len(items), size)]


def check_run(run: object) -> Serial | Dask:
    """Return where a sweep runs: `run`, or `Serial()` for None; UsageError for anything else, or
    for a Dask runner used outside its with block (before the sweep's first search, not after)."""
    if run is None:
        return Serial()
    if not isinstance(run, (Serial, Dask)):
        raise UsageError(f"run must be Serial() or a Dask runner, not {run!r}", "run")
    if isinstance(run, Dask) and run.client is None:
        raise UsageError("run: use the Dask runner in a with block (with Dask(workers=2) as run: ...)", "run")
    return run


def check_progress(progress: object) -> None:
    """Refuse a progress callback that cannot be called, before the first search rather than after."""
    if progress is not None and not callable(progress):
        raise UsageError(f"progress must be a function of (done, total), not {progress!r}", "progress")


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

        # The workers' and scheduler's own logs (heartbeats cut at shutdown) are not the user's business.
        for name in ("distributed", "tornado"):
            logging.getLogger(name).setLevel(logging.CRITICAL)
        try:
            if self.scheduler is not None:
                self.client = Client(self.scheduler, timeout="20s")
            else:
                self.cluster = LocalCluster(
                    n_workers=self.requested, threads_per_worker=1, processes=True, dashboard_address=None,
                    silence_logs=logging.CRITICAL,
                )  # fmt: skip
                self.client = Client(self.cluster)
        except (OSError, ValueError, TypeError) as exc:  # unreachable, or not an address
            self.__exit__()
            where = f"the Dask scheduler {self.scheduler}" if self.scheduler else "a local Dask cluster"
            raise CorridorError(f"cannot start or reach {where}: {exc}") from None
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
    # Per customs territory, the search on for cargo cleared into it (`routing.onwards`).
    onwards: dict[str, Onward] = field(default_factory=dict)


Row = tuple[tuple[int, ...], frozenset[str], str | None]  # origin nodes, origin place ids, its territory


def matrix_rows(sweep: MatrixSweep, rows: list[Row]) -> list[tuple]:
    """Return the matrix rows of origins given as (origin nodes, origin place ids, the origin's
    customs territory or None): a task function. Destinations abroad are reached as `route`
    reaches them (`engine.go_on`, but for the origin's own territory, which its domestic
    network serves).

    A row is compact, for the trip back from a worker: per destination, the index of the member
    place reached (-1 for none) and the four totals, each an array.
    """
    targets = sorted({node for column in sweep.columns for _, node in column})
    out = []
    scratch = Scratch()  # each row is read before the next search
    for sources, starts, territory in rows:
        result = search(
            sweep.graph, sweep.weight, [(s, 0.0) for s in sources], targets=targets, stop=STOP_ALL,
            edge_ok=sweep.edge_ok, node_ok=sweep.node_ok, sums=METRIC_NAMES, scratch=scratch,
        )  # fmt: skip
        onward = [way for name, way in sorted(sweep.onwards.items()) if name != territory]
        result = go_on(sweep.graph, result, onward, sweep.node_ok, paths=False)
        dist, sums = result.dist, result.sums
        assert sums is not None
        member = array("i")
        totals = [array("d") for _ in METRIC_NAMES]
        for column in sweep.columns:
            best = None
            for index, (pid, node) in enumerate(column):
                if dist[node] < INF and pid not in starts and (best is None or (dist[node], pid) < best[:2]):
                    best = (dist[node], pid, node, index)
            member.append(-1 if best is None else best[3])
            for values, name in zip(totals, METRIC_NAMES, strict=True):
                values.append(0.0 if best is None else sums[name][best[2]])
        out.append((member, *totals))
    return out


def _cells(sweep: MatrixSweep, row: tuple) -> list[Any]:
    """Return a compact row as `routing.Reached` cells (None where no route)."""
    from .routing import Reached

    member, distance, time_h, cost, co2 = row
    teu = sweep.teu
    return [
        None if index < 0 else Reached(column[index][0], distance[j], time_h[j], cost[j] * teu, co2[j] * teu)
        for j, (index, column) in enumerate(zip(member, sweep.columns, strict=True))
    ]


def _weight_on(home, weighed, by: str, prices):
    """The weight a search on `by` runs on over a domestic network (`objectives.weight`), given
    its network's (`weighed`): a generalised cost is weighed again only where it changed."""
    from .objectives import GENERALIZED, Prices, objective_name, weight

    if objective_name(by) == GENERALIZED:
        return (prices or Prices.from_parameters(home.parameters)).weight_on(home, weighed)
    return weight(home, by, prices)


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
) -> Matrix:
    """Return the totals of the best route from each origin to each destination (as `routing.matrix`).

    `by` may also be "generalized" (with `prices`); `run` is where the rows are computed
    (`Serial()` by default, or a `Dask` runner entered with `with`).
    """
    from .objectives import GENERALIZED, masks, objective_name, weight
    from .query import check_network, make_query, places
    from .routing import _by_territory, matrix_of, matrix_places, onwards

    check_network(network)
    base = make_query("", modes=modes, avoid=avoid, allow=allow, teu=teu)
    origins, destinations = places(origins, "origins"), places(destinations, "destinations")
    found = matrix_places(network, base, origins, destinations)
    ends, plans = found.ends, found.plans
    core = network.core
    columns = tuple(tuple((pid, core.destination(pid)) for pid in end.place_ids) for end in ends)
    usable = [plan for plan in plans if plan is not None]
    # A generalised cost is not one of the route's totals: the matrix names no metric to show.
    shown = "" if by == "generalized" else make_query("", by=by).metric.name
    if not usable:  # every origin is a place no route can use: nothing to search from
        return matrix_of(network, [[None] * len(ends) for _ in plans], found, origins, destinations, shown)
    edge_ok, node_ok = masks(usable[0])
    weighed = weight(network, by, prices)
    onward: dict[str, Onward] = {}
    if objective_name(by) in ("time_h", "cost_usd", GENERALIZED):  # what customs weigh on
        targets = {node for column in columns for _, node in column}
        nodes = _by_territory(network, targets)
        ways = onwards(network, nodes, lambda home: _weight_on(home, weighed, by, prices), edge_ok)
        onward = {way.territory: way for way in ways}
    sweep = MatrixSweep(core, weighed, edge_ok, node_ok, columns, teu, onward)
    # A place no route can use searches from nowhere: its row is empty (`routing.matrix_places`).
    starts = [plan.start.place_ids if plan is not None else () for plan in plans]
    rows: list[Row] = [
        (tuple(core.origin(pid) for pid in ids), frozenset(ids), network.country_of(ids) if ids else None)
        for ids in starts
    ]
    run = check_run(run)
    check_progress(progress)
    cells = [_cells(sweep, row) for row in run.map(matrix_rows, sweep, rows, progress=progress)]
    # A destination in its origin's own country is reached as `route` reaches it: without customs,
    # on that country's domestic network (one more sweep per such country).
    by_country: dict[str, list[int]] = {}
    for i, ids in enumerate(starts):
        if ids and (country := network.country_of(ids)) is not None:
            by_country.setdefault(country, []).append(i)
    for country, members in sorted(by_country.items()):
        home = network.domestic(country)
        inside = [j for j, end in enumerate(ends) if end.place_ids and network.country_of(end.place_ids) == country]
        if home is network or not inside:
            continue
        home_sweep = MatrixSweep(home.core, weight(home, by, prices), edge_ok, node_ok, columns, teu)
        for i, row in zip(members, run.map(matrix_rows, home_sweep, [rows[i] for i in members]), strict=True):
            at_home = _cells(home_sweep, row)
            for j in inside:
                cells[i][j] = at_home[j]
    return matrix_of(network, cells, found, origins, destinations, shown)
