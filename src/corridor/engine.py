"""The search core: which edges a query may use (one rule, as byte masks) and one multi-source Dijkstra.

Every query (route, alternatives, vias, reach, matrix) is a call to `search`: sources with their
starting costs, targets, and masks. The Dijkstra itself runs in the compiled `_core` module when
it is built (see `hatch_build.py`), else in the Python below; both settle the same nodes in the
same order through the same edges.
"""

from __future__ import annotations

import heapq
import math
from array import array
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass

from .graph import MODE_CODE, MODE_CODES, ROLE_CODE, Graph, Kind, Role
from .registry import METRIC_NAMES

try:
    from . import _core
except ImportError:  # built without a C compiler: the same algorithm in Python
    _core = None

STOP_NONE, STOP_FIRST, STOP_ALL, STOP_STRETCH = 0, 1, 2, 3
INF = math.inf
TRANSFER_CODE = MODE_CODE["transfer"]
THROUGH_CODE, SEA_CODE = ROLE_CODE[Role.THROUGH], MODE_CODE["sea"]


def compiled() -> bool:
    """Return True when searches run in the compiled core."""
    return _core is not None


@dataclass(frozen=True)
class Rules:
    """What a query allows, before any place or edge is banned: modes and closed passages."""

    modes: frozenset[str]
    closed_passages: frozenset[str]

    def allows(self, role: int, mode: int, from_mode: int, to_mode: int, passage: str) -> bool:
        """Decide one kind of edge: the only place where this rule is written.

        A transfer needs both its modes allowed; any other edge its own mode; a lane through a
        closed passage is closed. A mainline ship's call at a port on the way is no way round,
        as the lanes pass the port: staying aboard through a port is for a port the query goes
        by (`calls_at`), not a shortcut across its harbour that costs a day's call.
        """
        if role == THROUGH_CODE and mode == SEA_CODE:
            return False
        if role == ROLE_CODE[Role.TRANSFER]:
            return MODE_CODES[from_mode] in self.modes and MODE_CODES[to_mode] in self.modes
        if MODE_CODES[mode] not in self.modes:
            return False
        # A sea service's link may go through several passages, joined by "+".
        return not (passage and any(part in self.closed_passages for part in passage.split("+")))


class Masks:
    """Edge masks per set of rules, computed once per network through edge categories.

    Edges the rules cannot tell apart share a category (role, mode, the modes of its two
    nodes, passage; `Graph.category`), so a mask is one `bytes.translate` of the categories.
    """

    def __init__(self, graph: Graph):
        self.graph = graph
        self.codes = graph.category.tobytes()
        self._cache: dict[Rules, bytes] = {}

    def edge_mask(self, rules: Rules) -> bytes:
        mask = self._cache.get(rules)
        if mask is None:
            table = bytearray(256)
            for code, (role, mode, from_mode, to_mode, passage) in enumerate(self.graph.categories):
                table[code] = rules.allows(role, mode, from_mode, to_mode, self.graph.passages[passage])
            mask = self._cache[rules] = self.codes.translate(bytes(table))
        return mask


@dataclass
class Result:
    """A search's settled distances and the edge that reached each node (-1 for sources and the rest)."""

    dist: array
    pred: array
    settled: int
    sums: dict[str, array] | None = None
    # The nodes a search on reached better (`go_on`): node -> (that search, its graph's tail).
    onward: dict[int, tuple[Result, Sequence[int]]] | None = None

    def reached(self, node: int) -> bool:
        return self.dist[node] < INF

    def path(self, node: int, tail: Sequence[int]) -> list[int]:
        """Return the edges from a source to `node`, in order (`tail`: the graph's tail array)."""
        if self.onward is not None and node in self.onward:
            second, second_tail = self.onward[node]
            return self.path(second.source(node, second_tail), tail) + second.path(node, second_tail)
        edges = []
        e = self.pred[node]
        while e >= 0:
            edges.append(e)
            e = self.pred[tail[e]]
        edges.reverse()
        return edges

    def source(self, node: int, tail: Sequence[int]) -> int:
        """Return the source a search reached `node` from."""
        e = self.pred[node]
        while e >= 0:
            node = tail[e]
            e = self.pred[node]
        return node

    def path_back(self, node: int, head: Sequence[int]) -> list[int]:
        """For a reverse search: return the edges from `node` on to a source, in order."""
        edges = []
        e = self.pred[node]
        while e >= 0:
            edges.append(e)
            e = self.pred[head[e]]
        return edges


def search(
    graph: Graph,
    weight: array,
    sources: Iterable[tuple[int, float]],
    *,
    targets: Collection[int] = (),
    stop: int = STOP_NONE,
    edge_ok: bytes | bytearray | None = None,
    node_ok: bytes | bytearray | None = None,
    limit: float = INF,
    stretch: float = INF,
    sums: Sequence[str] = (),
    reverse: bool = False,
    scratch: Scratch | None = None,
) -> Result:
    """Run one multi-source Dijkstra on `weight` (an array with one value per edge).

    `sources` are (node, starting cost) pairs. `stop` is STOP_FIRST (stop when the first target
    is settled: the best of several), STOP_ALL (when every target is), STOP_STRETCH (settle on
    up to `stretch` times the first target's cost), or STOP_NONE (settle everything reachable,
    up to `limit`). Edges whose `edge_ok` byte is 0 and nodes whose
    `node_ok` byte is 0 are not used. `sums` names metrics to total along the search tree for
    every settled node (for reach and matrices); with STOP_ALL, for the targets and the nodes on
    their paths only. Only settled nodes keep a distance; with STOP_FIRST and STOP_ALL, a dead
    end (a node with no edge on) that is not a target is not settled, as no route to a target
    passes through it.
    `reverse` searches against the edges' direction: from destinations back towards origins;
    a node's `pred` is then the edge leaving it towards the sources. With `scratch`, the result
    is written into its arrays (the compiled core clears them first): read it before the next
    search with the same scratch.
    """
    n = graph.n_nodes
    if scratch is not None and _core is not None:
        dist, pred, totals = scratch.arrays(n, sums)
    else:
        dist = array("d", bytes(8 * n))
        pred = array("i", bytes(4 * n))
        totals = {name: array("d", bytes(8 * n)) for name in sums}
    sources = list(sources)
    targets = list(targets)
    if reverse:
        indptr, order, ahead, behind = graph.rindptr, graph.redges, graph.tail, graph.head
    else:
        indptr, order, ahead, behind = graph.indptr, None, graph.head, graph.tail
    if _core is not None:
        settled = _core.dijkstra(
            indptr, order, ahead, behind, weight, edge_ok, node_ok, sources, targets, stop, limit, stretch, dist, pred,
            tuple(graph.weights[s] for s in sums) if sums else None, tuple(totals.values()) if sums else None,
        )  # fmt: skip
    else:
        adjacency = (indptr, order, ahead, behind)
        summed = {s: graph.weights[s] for s in sums}
        settled = _dijkstra(
            adjacency, weight, edge_ok, node_ok, sources, targets, stop, limit, stretch, dist, pred, summed, totals
        )
    return Result(dist, pred, settled, totals or None)


@dataclass(frozen=True)
class Onward:
    """A search on from where a first search left its cargo (`go_on`): on `graph` and `weight`
    (a customs territory's domestic network, for cargo cleared into it), from the `seeds` the
    first search reached, for its `targets`, with the edges `edge_ok` allows."""

    territory: str
    graph: Graph
    weight: array
    seeds: frozenset[int]
    targets: tuple[int, ...]
    edge_ok: bytes | bytearray


def go_on(
    graph: Graph, first: Result, onwards: Iterable[Onward], node_ok: bytes | bytearray | None = None, *,
    paths: bool = True,
) -> Result:  # fmt: skip
    """Return a search's result (`first`, on `graph`, with its totals) with the targets each
    `Onward` reaches better: the same result when none does, else a copy with their distances
    and totals, and (with `paths`) the searches that reached them, for `Result.path`.

    Each onward search starts from its seeds at their distances in `first`, those below its
    farthest target's (where `first` settled them, as it settles every node nearer than a
    target), and stops past that target. A target it reaches better takes its totals after the
    seed and, before it, the totals along `first`'s path to the seed.
    """
    dist, sums = first.dist, first.sums or {}
    merged: Result | None = None
    scratch = None if paths else Scratch()  # each search on is read before the next
    for onward in onwards:
        reached = [dist[n] for n in onward.targets if dist[n] < INF]
        if not reached:
            continue
        bound = max(reached)
        seeds = [(n, dist[n]) for n in onward.seeds if dist[n] < bound]
        if not seeds:
            continue
        second = search(
            onward.graph, onward.weight, seeds, targets=onward.targets, stop=STOP_ALL, limit=bound,
            edge_ok=onward.edge_ok, node_ok=node_ok, sums=tuple(sums), scratch=scratch,
        )  # fmt: skip
        better = [n for n in onward.targets if second.dist[n] < dist[n] - 1e-9 * max(1.0, dist[n])]
        if not better:
            continue
        if merged is None:
            totals = {m: array("d", v) for m, v in sums.items()} if first.sums is not None else None
            merged = Result(
                array("d", dist), first.pred, first.settled, totals, dict(first.onward or {}) if paths else None
            )
        before: dict[int, list[float]] = {}  # a seed's totals along `first`'s path to it
        for n in better:
            merged.dist[n] = second.dist[n]
            if merged.onward is not None:
                merged.onward[n] = (second, onward.graph.tail)
            if merged.sums is None:
                continue
            seed = second.source(n, onward.graph.tail)
            if seed not in before:
                path = first.path(seed, graph.tail)
                before[seed] = [sum(graph.weights[m][e] for e in path) for m in sums]
            assert second.sums is not None
            for m, start in zip(sums, before[seed], strict=True):
                merged.sums[m][n] = start + second.sums[m][n]
    return first if merged is None else merged


class Scratch:
    """Arrays for one thread's searches to reuse, when a caller runs many (a matrix, a row per
    origin) and reads each result before the next: a search of the bundled network would
    otherwise spend a fifth of its time getting fresh memory for its distances and totals."""

    def __init__(self) -> None:
        self._shape: tuple[int, tuple[str, ...]] = (-1, ())
        self._arrays: tuple[array, array, dict[str, array]] = (array("d"), array("i"), {})

    def arrays(self, n: int, sums: Sequence[str]) -> tuple[array, array, dict[str, array]]:
        """Return (dist, pred, totals by name: a dict of its own) for a graph of n nodes."""
        if self._shape != (n, tuple(sums)):
            self._shape = (n, tuple(sums))
            totals = {s: array("d", bytes(8 * n)) for s in sums}
            self._arrays = array("d", bytes(8 * n)), array("i", bytes(4 * n)), totals
        dist, pred, totals = self._arrays
        return dist, pred, dict(totals)


def _dijkstra(
    adjacency, weight, edge_ok, node_ok, sources, targets, stop, limit, stretch, dist, pred, sums, totals
) -> int:
    """The compiled core's algorithm in Python: same heap order, same relaxation, same results."""
    indptr, order, head, tail = adjacency
    n = len(indptr) - 1
    best = [INF] * n
    done = bytearray(n)
    heap: list[tuple[float, int]] = []
    for node, cost in sources:
        if not 0 <= node < n:
            raise IndexError(f"source {node} is not a node")
        if (node_ok is not None and not node_ok[node]) or not cost < best[node]:
            continue
        best[node] = cost
        heap.append((cost, node))
    heapq.heapify(heap)
    is_target = set(targets)
    remaining = len(is_target)
    came = [-1] * n
    pop, push = heapq.heappop, heapq.heappush
    weights = [(weight_of, totals[s]) for s, weight_of in sums.items()] if sums else []
    settled = 0
    while heap:
        cost, u = pop(heap)
        if done[u] or cost > best[u]:
            continue
        if cost > limit:
            break
        done[u] = 1
        settled += 1
        dist[u] = cost
        e = came[u]
        pred[u] = e
        if weights and stop != STOP_ALL and e >= 0:
            t = tail[e]
            for w, out in weights:
                out[u] = out[t] + w[e]
        if u in is_target:
            remaining -= 1
            if stop == STOP_FIRST or (stop == STOP_ALL and remaining == 0):
                break
            if stop == STOP_STRETCH and cost * stretch < limit:
                limit = cost * stretch
        for k in range(indptr[u], indptr[u + 1]):
            e = order[k] if order is not None else k
            if edge_ok is not None and not edge_ok[e]:
                continue
            v = head[e]
            if done[v] or (node_ok is not None and not node_ok[v]):
                continue
            if (stop in (STOP_FIRST, STOP_ALL)) and indptr[v] == indptr[v + 1] and v not in is_target:
                continue
            candidate = cost + weight[e]
            if candidate < best[v]:
                best[v] = candidate
                came[v] = e
                push(heap, (candidate, v))
    if weights and stop == STOP_ALL:
        _total_paths(weights, sorted(u for u in is_target if done[u]), came, tail)
    for u in range(n):
        if not done[u]:
            dist[u] = INF
            pred[u] = -1
    return settled


def _total_paths(weights, targets: Sequence[int], came: Sequence[int], tail) -> None:
    """Total `weights` at each target and the nodes on its path, each node once, from the
    first node already totalled (or a source) down."""
    totalled = set()
    for target in targets:
        chain = []
        u = target
        while u not in totalled and came[u] >= 0:
            totalled.add(u)
            chain.append(u)
            u = tail[came[u]]
        for v in reversed(chain):
            e = came[v]
            for w, out in weights:
                out[v] = out[tail[e]] + w[e]


def path_totals(graph: Graph, edges: Iterable[int]) -> dict[str, float]:
    """Return the four metrics summed over a list of edges."""
    edges = list(edges)
    return {m: sum(graph.weights[m][e] for e in edges) for m in METRIC_NAMES}


def calls_at(graph: Graph, edge_ok: bytes | bytearray, place_ids: Iterable[str]) -> bytes | bytearray:
    """Return `edge_ok` that also lets a mainline ship call at these places on its way (the
    `through` edges on sea that `Rules.allows` closes): for the ports a route goes by (--via)."""
    calls = [
        e
        for pid in place_ids
        if graph.in_graph(pid)
        for node in graph.place_nodes(pid)
        if graph.node_kind[node] == Kind.ARRIVE and graph.node_mode[node] == SEA_CODE
        for e in graph.out_edges(node)
        if graph.role[e] == THROUGH_CODE and graph.mode[e] == SEA_CODE
    ]
    return with_edges(edge_ok, calls, True)


def with_edges(edge_ok: bytes | bytearray, edges: Iterable[int], allowed: bool) -> bytes | bytearray:
    """Return a copy of an edge mask with these edges opened (`allowed`) or closed; the mask
    itself (often a cached one, shared) when there are none."""
    edges = list(edges)
    if not edges:
        return edge_ok
    out = bytearray(edge_ok)
    for e in edges:
        out[e] = allowed
    return out


def place_arrivals(graph: Graph, place_ids: Iterable[str]) -> list[int]:
    """Return the arrival nodes of places (every mode they are reached by)."""
    out = []
    for pid in place_ids:
        out += [n for n in graph.place_nodes(pid) if graph.node_kind[n] == Kind.ARRIVE]
    return out
