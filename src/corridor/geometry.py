"""Coordinates of the edges and legs of a route, for GeoJSON and maps, along their real geometry.

Sea edges follow the lane network and the ports' access paths over water; rail and river links
follow the track and river lines they were traced along when the network was built (`tracks`);
other links their via points.
Coordinates are (lon, lat); unwrapping across the antimeridian is left to the consumer.
"""

from __future__ import annotations

from .network import ACCESS, LINK, Network, node_place
from .routing import EdgeRef, Leg, Route
from .tracks import Trace, via_trace

Coords = list[tuple[float, float]]


def link_trace(network: Network, link_id: str) -> Trace:
    """Return how a link is drawn, from its `from` place to its `to` place."""
    trace = network.traces.get(link_id)
    if trace is None:
        link = network.links[link_id]
        trace = via_trace(link, network.places[link.from_id], network.places[link.to_id])
    return trace


def edge_coords(network: Network, edge: EdgeRef) -> Coords:
    """Return the (lon, lat) points an edge is drawn through (empty for edges inside a place)."""
    u, v, key = edge
    a, b = network.coords(u), network.coords(v)
    if a == b:
        return []
    data = network.graph[u][v][key]
    if data["role"] == ACCESS:
        # Drawn along its path over water, from the port to the lane node (reversed on arrival).
        joined = network.access.get(data["place"])
        lane = v if isinstance(v, int) else u
        for node, _, path in joined.joints() if joined is not None else ():
            if node == lane:
                coords = list(path)
                return coords if isinstance(v, int) else coords[::-1]
        return [a, b]
    if data["role"] == LINK:
        link = network.links[data["link"]]
        coords = list(link_trace(network, link.id).coords)
        return coords if node_place(u) == link.from_id else coords[::-1]
    return [a, b]


def leg_coords(network: Network, leg: Leg) -> Coords:
    """Return the polyline of a leg, from its first place to its last."""
    points: Coords = []
    for edge in leg.edges:
        for point in edge_coords(network, edge):
            if not points or points[-1] != point:
                points.append(point)
    return points


def route_coords(network: Network, route: Route) -> list[Coords]:
    """Return one polyline per leg of a route (transfers have a single point)."""
    return [leg_coords(network, leg) for leg in route.legs]


def leg_credits(network: Network, leg: Leg) -> tuple[str, ...]:
    """Return the attributions the drawing of a leg requires (e.g. OpenStreetMap for rail track)."""
    credits = []
    for link_id in leg.links:
        credit = link_trace(network, link_id).credit
        if credit and credit not in credits:
            credits.append(credit)
    return tuple(credits)
