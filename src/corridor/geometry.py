"""Coordinates of the edges and legs of a route, for GeoJSON and maps."""

from __future__ import annotations

from .network import LINK, Network, node_place
from .routing import EdgeRef, Leg, Route


def edge_coords(network: Network, edge: EdgeRef) -> list[tuple[float, float]]:
    """Return the (lon, lat) points an edge is drawn through (empty for edges inside a place)."""
    u, v, key = edge
    a, b = network.coords(u), network.coords(v)
    if a == b:
        return []
    data = network.graph[u][v][key]
    if data["role"] == LINK:
        link = network.links[data["link"]]
        via = list(link.via) if node_place(u) == link.from_id else list(reversed(link.via))
        return [a, *via, b]
    return [a, b]


def leg_coords(network: Network, leg: Leg) -> list[tuple[float, float]]:
    """Return the polyline of a leg, from its first place to its last."""
    points: list[tuple[float, float]] = []
    for edge in leg.edges:
        for point in edge_coords(network, edge):
            if not points or points[-1] != point:
                points.append(point)
    return points


def route_coords(network: Network, route: Route) -> list[list[tuple[float, float]]]:
    """Return one polyline per leg of a route (transfers have a single point)."""
    return [leg_coords(network, leg) for leg in route.legs]
