"""Coordinates of the edges and legs of a route, for GeoJSON and maps, along their real geometry.

Sea edges follow the lane network and the ports' access paths over water; rail and river links
follow the track and river lines they are traced along (`tracks`, computed on first use); other
links their via points. Coordinates are (lon, lat); unwrapping across the antimeridian is left
to the consumer.
"""

from __future__ import annotations

from .graph import ROLE_CODE, Role
from .network import Network
from .routing import Leg, Route
from .tracks import Trace, via_trace

Coords = list[tuple[float, float]]
LINK = ROLE_CODE[Role.LINK]
ACCESS = ROLE_CODE[Role.ACCESS]


def link_trace(network: Network, link_id: str) -> Trace:
    """Return how a link is drawn, from its `from` place to its `to` place.

    A sea link the build made (a feeder, a published service) is drawn along the lanes.
    """
    trace = network.traces.get(link_id)
    if trace is not None:
        return trace
    link = network.link(link_id)
    if link_id in network.sea_links:
        found = network.sea_path(link.from_id, link.to_id)
        if found is not None:
            return Trace(tuple(found[1]), "lanes")
    return via_trace(link, network.places[link.from_id], network.places[link.to_id])


def edge_coords(network: Network, edge: int) -> Coords:
    """Return the (lon, lat) points an edge is drawn through (empty for edges inside a place)."""
    core = network.core
    u, v = core.tail[edge], core.head[edge]
    a, b = network.coords(u), network.coords(v)
    if a == b:
        return []
    if core.role[edge] == ACCESS:
        # Drawn along its path over water, from the port to the lane node (reversed on arrival).
        arriving = core.node_place_id(u) is None
        joined = network.access.get(core.node_place_id(v if arriving else u) or "")
        lane = core.node_lane[u if arriving else v]
        for node, _, path in joined.joints() if joined is not None else ():
            if node == lane:
                return list(path)[::-1] if arriving else list(path)
        return [a, b]
    if core.role[edge] == LINK:
        link = network.link(core.link_ids[core.link[edge]])
        coords = list(link_trace(network, link.id).coords)
        return coords if core.node_place_id(u) == link.from_id else coords[::-1]
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
