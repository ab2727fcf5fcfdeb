"""Rounding points: where a ship rounds a headland or an island, a sea room off the coast.

The lane network runs offshore and rounds coasts wide, so a coastal or regional passage along it
is longer than the track a ship sails (NGA Pub. 151 measures such tracks). This module adds, to
the lanes, the corners of the coastline grown by SEA_ROOM_KM, with straight segments between the
corners (and lane nodes) that see each other without coming nearer to land than that: a reduced
visibility graph, the classic shortest-path-around-obstacles structure. A route then rounds a cape
SEA_ROOM_KM off it rather than where the lanes happen to run.

- Corners are the convex vertices of Natural Earth 1:10m land grown by SEA_ROOM_KM (grown in
  5-degree latitude bands, each with its own east-west scale, so the room is in kilometres at any
  latitude) and simplified by SIMPLIFY_KM; only those within NEAR_LANES_KM of a lane node and
  below MAX_LATITUDE (no new Arctic tracks) are kept.
- A segment joins two corners, or a corner and a lane node, at most MAX_SEGMENT_KM apart, when it
  is tangent at each corner (the only segments a shortest path around obstacles uses) and touches
  no grown land.
- Segments are kept shortest first, each only if the network so far has no way between its ends
  within STRETCH of its length (a greedy spanner: distances stay within STRETCH, the graph small).
- The precomputed table (`scripts/prepare_access.py`) then keeps only the segments on a shortest
  path between two ports (`on_port_paths`): the rest change no distance between ports and slow
  every search. Computed on the fly for a user's lanes, all are kept (the same distances). The
  table keeps the lane shortcuts (`sealanes.find_shortcuts`) the same way
  (`held_on_port_paths`).
- Passages stay gates: no corner lies, and no segment passes, within GATE_KM of a lane segment
  tagged with a passage (Malacca, Suez, the Cape ...), and a passage whose ends the new segments
  join more than BYPASS_SLACK shorter than the lanes alone gets a wider gate, so `--avoid` holds.

SEA_ROOM_KM, SIMPLIFY_KM and STRETCH were chosen on the calibration half of
tests/data/published_sea_distances.csv only (see data/sea/CORRECTIONS.md).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from .geo import EARTH_RADIUS_KM
from .sealanes import _haversine_km

SEA_ROOM_KM = 25.0
SIMPLIFY_KM = 12.0
NEAR_LANES_KM = 200.0
MAX_SEGMENT_KM = 400.0
MIN_SEGMENT_KM = 2.0
MAX_LATITUDE = 66.0
GATE_KM = 60.0
STRETCH = 0.02
BYPASS_SLACK = 0.02
BYPASS_FACTOR = 3.0
BAND_DEG = 5.0
KM_PER_DEG = EARTH_RADIUS_KM * math.pi / 180.0

Point = tuple[float, float]


def _grown_land(land, bounds: tuple[float, float, float, float]) -> list:
    """Return the land polygons within `bounds` (west, south, east, north) grown by SEA_ROOM_KM
    and simplified, merged where they touch.

    Each polygon is cut into latitude bands; a band is scaled east-west by the cosine of its
    middle latitude, grown and simplified in kilometres there, and scaled back.
    """
    import numpy as np
    import shapely

    west, south, east, north = bounds
    grown = []
    for top in np.arange(-90.0, 90.0, BAND_DEG):
        if top + BAND_DEG < south or top > north:
            continue
        box = shapely.box(west, top, east, top + BAND_DEG)
        hits = land.tree.query(box, predicate="intersects")
        if not len(hits):
            continue
        parts = shapely.clip_by_rect(np.asarray(land.parts, dtype=object)[hits], west, top, east, top + BAND_DEG)
        parts = parts[~shapely.is_empty(parts)]
        scale = max(math.cos(math.radians(top + BAND_DEG / 2)), 0.05)
        flat = shapely.transform(parts, lambda xy, s=scale: xy * np.array([s, 1.0]))
        flat = shapely.buffer(flat, SEA_ROOM_KM / KM_PER_DEG, quad_segs=2)
        flat = shapely.simplify(flat, SIMPLIFY_KM / KM_PER_DEG)
        grown.extend(shapely.transform(flat, lambda xy, s=scale: xy / np.array([s, 1.0])).tolist())
    merged = shapely.get_parts(shapely.make_valid(shapely.union_all(np.asarray(grown, dtype=object))))
    return [shapely.orient_polygons(p) for p in merged if p.geom_type == "Polygon" and not p.is_empty]


def _corners(polygons: Sequence) -> tuple:
    """Return the convex vertices of the polygons' outer rings, with each one's two neighbours."""
    import numpy as np

    at, before, after = [], [], []
    for polygon in polygons:
        ring = np.asarray(polygon.exterior.coords)[:-1]
        if len(ring) < 3:
            continue
        prev, nxt = np.roll(ring, 1, axis=0), np.roll(ring, -1, axis=0)
        turn = (ring[:, 0] - prev[:, 0]) * (nxt[:, 1] - ring[:, 1]) - (ring[:, 1] - prev[:, 1]) * (
            nxt[:, 0] - ring[:, 0]
        )
        convex = turn > 0  # rings are counter-clockwise: a left turn is a convex corner
        at.append(ring[convex])
        before.append(prev[convex])
        after.append(nxt[convex])
    if not at:
        empty = np.zeros((0, 2))
        return empty, empty, empty
    return np.concatenate(at), np.concatenate(before), np.concatenate(after)


def _tangent(corner, before, after, toward):
    """Whether a segment from each corner toward a point leaves both of its neighbours on one side."""
    d = toward - corner
    s1 = d[:, 0] * (before[:, 1] - corner[:, 1]) - d[:, 1] * (before[:, 0] - corner[:, 0])
    s2 = d[:, 0] * (after[:, 1] - corner[:, 1]) - d[:, 1] * (after[:, 0] - corner[:, 0])
    return s1 * s2 >= 0


def _gates(lanes, radius_km: float, tags: set[str] | None = None):
    """Return polygons around the lane segments tagged with a passage (all, or `tags`)."""
    import numpy as np
    import shapely

    segments = [
        (lanes.coords[u], lanes.coords[v])
        for u, v, _, tag in lanes.edges
        if tag and (tags is None or tag in tags) and abs(lanes.coords[u][0] - lanes.coords[v][0]) < 180
    ]
    if not segments:
        return np.zeros(0, dtype=object)
    return shapely.buffer(shapely.linestrings(np.asarray(segments)), radius_km / KM_PER_DEG)


def _lane_matrix(n: int, edges, one_way=()):
    """Return the sparse matrix of undirected edges (u, v, km) and directed ones (`one_way`): the
    shortest of parallel edges (a sparse matrix would add them up), zero lengths a hair positive."""
    import numpy as np
    from scipy.sparse import csr_matrix

    e = np.asarray([(u, v, d) for u, v, d in edges], dtype=float).reshape(-1, 3)
    d = np.asarray([(u, v, d) for u, v, d in one_way], dtype=float).reshape(-1, 3)
    u = np.r_[e[:, 0], e[:, 1], d[:, 0]].astype(int)
    v = np.r_[e[:, 1], e[:, 0], d[:, 1]].astype(int)
    w = np.r_[e[:, 2], e[:, 2], d[:, 2]] + 1e-9
    order = np.lexsort((w, v, u))
    u, v, w = u[order], v[order], w[order]
    first = np.r_[True, (u[1:] != u[:-1]) | (v[1:] != v[:-1])] if len(u) else np.zeros(0, dtype=bool)
    return csr_matrix((w[first], (u[first], v[first])), shape=(n, n))


def _candidates(lanes, land, gate_km: float, gate_tags: dict[str, float]):
    """Return the corner points and the visible, tangent segments (i, j, km) between corners
    (indices below len(corners)) and lane nodes (len(corners) + lane node)."""
    import numpy as np
    import shapely

    lane_xy = np.asarray(lanes.coords, dtype=float).reshape(-1, 2)
    # The land that matters: near the lanes (a small dataset's lanes span a small region).
    margin = (NEAR_LANES_KM + MAX_SEGMENT_KM + SEA_ROOM_KM) / KM_PER_DEG / math.cos(math.radians(MAX_LATITUDE))
    west, south = lane_xy.min(axis=0) - margin
    east, north = lane_xy.max(axis=0) + margin
    polygons = _grown_land(land, (max(west, -180.0), max(south, -90.0), min(east, 180.0), min(north, 90.0)))
    corner, before, after = _corners(polygons)
    if not len(corner):
        return corner, np.zeros(0, dtype=int), np.zeros(0, dtype=int), np.zeros(0)
    keep = np.abs(corner[:, 1]) < MAX_LATITUDE
    # Near the lanes.
    lane_tree = shapely.STRtree(shapely.points(lane_xy))
    (ci, li), _ = lane_tree.query_nearest(shapely.points(corner), return_distance=True)
    near = np.zeros(len(corner), dtype=bool)
    near[ci[_haversine_km(corner[ci], lane_xy[li]) <= NEAR_LANES_KM]] = True
    keep &= near
    # Outside the passage gates.
    gates = list(_gates(lanes, gate_km))
    for tag, radius in gate_tags.items():
        gates.extend(_gates(lanes, radius, {tag}))
    gate_tree = shapely.STRtree(gates)
    inside = gate_tree.query(shapely.points(corner), predicate="intersects")[0] if gates else []
    keep[inside] = False
    corner, before, after = corner[keep], before[keep], after[keep]
    k = len(corner)
    points = np.concatenate([corner, lane_xy])
    tree = shapely.STRtree(shapely.points(points))
    reach = MAX_SEGMENT_KM / KM_PER_DEG / math.cos(math.radians(MAX_LATITUDE))
    i, j = tree.query(shapely.points(corner), predicate="dwithin", distance=reach)
    keep = (i != j) & ((j >= k) | (i < j)) & (np.abs(points[i, 0] - points[j, 0]) < 180)
    i, j = i[keep], j[keep]
    km = _haversine_km(points[i], points[j])
    keep = (km <= MAX_SEGMENT_KM) & (km >= MIN_SEGMENT_KM)
    i, j, km = i[keep], j[keep], km[keep]
    keep = _tangent(corner[i], before[i], after[i], points[j])
    both = j < k
    keep[both] &= _tangent(corner[j[both]], before[j[both]], after[j[both]], points[i[both]])
    i, j, km = i[keep], j[keep], km[keep]
    # Visible: the segment touches neither grown land (shrunk by a hair, so that segments along
    # its edge count) nor a gate.
    obstacles = [g for g in shapely.get_parts(shapely.buffer(polygons, -0.05 / KM_PER_DEG)) if not g.is_empty]
    obstacles += gates
    shapely.prepare(obstacles)
    obstacle_tree = shapely.STRtree(obstacles)
    segments = shapely.linestrings(np.stack([points[i], points[j]], axis=1))
    hit = np.zeros(len(i), dtype=bool)
    for start in range(0, len(segments), 100_000):
        found = obstacle_tree.query(segments[start : start + 100_000], predicate="intersects")[0]
        hit[start + np.unique(found)] = True
    return corner, i[~hit], j[~hit], km[~hit]


def _spanner(n: int, base: list, candidates: list) -> list:
    """Keep candidate segments (km, u, v) shortest first, each only if the graph so far has no
    way between its ends within STRETCH (in 10 km length classes: one search per class)."""
    import numpy as np
    from scipy.sparse.csgraph import dijkstra

    kept: list = []
    ordered = sorted(candidates)
    start = 0
    for top in np.arange(10.0, MAX_SEGMENT_KM + 10.0, 10.0):
        end = start
        while end < len(ordered) and ordered[end][0] <= top:
            end += 1
        group = ordered[start:end]
        start = end
        if not group:
            continue
        graph = _lane_matrix(n, base + [(u, v, km) for km, u, v in kept])
        sources = np.unique([u for _, u, _ in group])
        row = {int(s): r for r, s in enumerate(sources)}
        far = dijkstra(graph, directed=False, indices=sources, limit=top * (1 + STRETCH) + 1.0)
        kept.extend((km, u, v) for km, u, v in group if far[row[u], v] > km * (1 + STRETCH))
    return kept


def _bypassed(n: int, base: list, lanes, added: list) -> set[str]:
    """Return the passage tags whose segments' ends the added segments join, without the passage,
    much shorter than the lanes do and not far beyond the way through it: a way round the gate.
    (Rounding Africa more tightly shortens the way round Suez, but is not a way round Suez.)"""
    import numpy as np
    from scipy.sparse.csgraph import dijkstra

    tags = sorted({tag for *_, tag in lanes.edges if tag})
    out = set()
    for tag in tags:
        untagged = [(u, v, d) for u, v, d, t in lanes.edges if t != tag]
        ends = sorted({x for u, v, _, t in lanes.edges if t == tag for x in (u, v)})
        through = dijkstra(_lane_matrix(n, base), directed=False, indices=ends)[:, ends]
        before = dijkstra(_lane_matrix(n, untagged), directed=False, indices=ends)[:, ends]
        after = dijkstra(_lane_matrix(n, untagged + added), directed=False, indices=ends)[:, ends]
        shorter = np.isfinite(after) & (after < before * (1 - BYPASS_SLACK) - 1.0) & (after < through * BYPASS_FACTOR)
        if shorter.any():
            out.add(tag)
    return out


def find_rounding(lanes, land) -> list[tuple[Point, Point]]:
    """Return the rounding segments to add to the lanes, as pairs of (lon, lat) ends (lane node
    positions as the lanes round them, corners rounded to 5 decimals)."""
    import numpy as np

    if not lanes.coords or not lanes.edges:
        return []
    base = [(u, v, d) for u, v, d, _ in lanes.edges]
    n_lanes = len(lanes.coords)
    gate_tags: dict[str, float] = {}
    for _ in range(4):
        corner, i, j, km = _candidates(lanes, land, GATE_KM, gate_tags)
        k = len(corner)
        # Node numbers: lane nodes keep theirs; corners come after them.
        number = np.where(i < k, n_lanes + i, i - k), np.where(j < k, n_lanes + j, j - k)
        n = n_lanes + k
        kept = _spanner(n, base, list(zip(km.tolist(), number[0].tolist(), number[1].tolist(), strict=True)))
        added = [(u, v, d) for d, u, v in kept]
        leaks = _bypassed(n, base, lanes, added)
        if not leaks:
            break
        for tag in leaks:
            gate_tags[tag] = gate_tags.get(tag, GATE_KM) * 2
    else:
        return []  # the gates never closed: better no rounding than a passage `--avoid` cannot avoid

    def position(node: int) -> Point:
        if node < n_lanes:
            return lanes.coords[node]
        lon, lat = corner[node - n_lanes]
        return (round(float(lon), 5), round(float(lat), 5))

    return [(position(u), position(v)) for _, u, v in kept]


def on_port_paths(lanes, access: dict, segments: Sequence[tuple[Point, Point]]) -> list[tuple[Point, Point]]:
    """Return the rounding segments that lie on a shortest path between two ports, with the
    passages open or all closed; the rest change no distance between the ports and only slow
    every search down (three quarters of them on the bundled data).

    `lanes` are the lanes as the build has them before the segments are added (ports joined),
    `access` the ports' joins ({place id: `sealanes.Access`}). A port added later joins the lanes
    without the dropped segments near it: its distances are those of the lanes before rounding
    at worst.
    """
    import numpy as np
    from scipy.sparse.csgraph import dijkstra

    from .sealanes import Lanes

    grown = Lanes(list(lanes.coords), [], dict(lanes.index))  # the corners become nodes of a copy
    ends = [(grown.node(*a), grown.node(*b)) for a, b in segments]
    ports = [a for a in access.values() if a.nodes]
    if not ports or not ends:
        return []
    # A port is two nodes: one ships leave from, one they arrive at; no path passes through a port.
    m, k = len(grown.coords), len(ports)
    joins = [(m + i, node, km) for i, a in enumerate(ports) for node, km in a.nodes]
    joins += [(node, m + k + i, km) for i, a in enumerate(ports) for node, km in a.nodes]
    xy = np.asarray(grown.coords, dtype=float)
    u, v = np.asarray(ends, dtype=int).T
    rounding = list(zip(u.tolist(), v.tolist(), _haversine_km(xy[u], xy[v]).tolist(), strict=True))
    n = m + 2 * k
    key = np.minimum(u, v) * n + np.maximum(u, v)
    used = np.zeros(len(ends), dtype=bool)
    arrivals = np.arange(m + k, n)
    for closed in (False, True):
        lane_edges = [(a, b, d) for a, b, d, tag in lanes.edges if not (closed and tag)]
        graph = _lane_matrix(n, lane_edges + rounding, joins)
        for start in range(m, m + k, 100):
            sources = np.arange(start, min(start + 100, m + k))
            _, pred = dijkstra(graph, indices=sources, return_predecessors=True)
            on_paths = [_tree_edges(row, arrivals, n) for row in pred]
            used |= np.isin(key, np.concatenate(on_paths))
    return [segment for segment, keep in zip(segments, used.tolist(), strict=True) if keep]


def held_on_port_paths(lanes, access: dict, segments: Sequence[tuple[Point, Point]]) -> list[tuple[Point, Point]]:
    """Return the segments the lanes already hold (the lane shortcuts) that lie on a shortest path
    between two ports, as `on_port_paths` finds them, and those a port's access path ends on (the
    build split them there, so that port joins the lanes through them).

    `lanes` are the lanes as the build has them with the segments and the ports joined. On the
    bundled data six shortcuts in ten change no distance between ports and are dropped.
    """
    from .sealanes import Lanes

    whole = {frozenset((lanes.coords[u], lanes.coords[v])): i for i, (u, v, _, _) in enumerate(lanes.edges)}
    found = [whole.get(frozenset(segment)) for segment in segments]
    held = [segment for segment, i in zip(segments, found, strict=True) if i is not None]
    dropped = {i for i in found if i is not None}
    rest = Lanes(lanes.coords, [e for i, e in enumerate(lanes.edges) if i not in dropped], lanes.index)
    kept = set(on_port_paths(rest, access, held))
    return [segment for segment, i in zip(segments, found, strict=True) if i is None or segment in kept]


def _tree_edges(pred, terminals, n: int):
    """Return the edges (as min * n + max) of a shortest-path tree's paths to the terminals."""
    import numpy as np

    seen = np.zeros(n, dtype=bool)
    front = terminals[pred[terminals] >= 0]
    found = []
    while front.size:
        seen[front] = True
        parent = pred[front]
        found.append(np.minimum(parent, front) * n + np.maximum(parent, front))
        front = np.unique(parent[~seen[parent]])
        front = front[pred[front] >= 0]  # a source has no parent
    return np.concatenate(found) if found else np.zeros(0, dtype=np.int64)
