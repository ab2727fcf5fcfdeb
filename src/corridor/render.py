"""Draw routes and the network on interactive Folium (Leaflet) maps."""

from __future__ import annotations

import html
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from .costing import METRICS
from .geo import unwrap_lons
from .geometry import leg_coords
from .network import Network
from .routing import Route

if TYPE_CHECKING:
    import folium

MODE_COLORS = {"rail": "#c0392b", "river": "#2471a3", "sea": "#117a65", "road": "#b9770e", "transfer": "#6c3483"}
UNITS = {"distance_km": "km", "time_h": "h", "cost_usd": "USD", "co2_kg": "kg CO2"}


def _folium():
    try:
        import folium
    except ImportError as exc:  # pragma: no cover - folium is a dependency
        raise ImportError("maps need folium: pip install folium") from exc
    return folium


def escape(text: object) -> str:
    """Escape text for HTML and neutralise Jinja delimiters, for any string from data."""
    out = html.escape(str(text), quote=True)
    return out.replace("{", "&#123;").replace("}", "&#125;")


def _to_leaflet(coords: Sequence[tuple[float, float]]) -> list[tuple[float, float]]:
    """Convert (lon, lat) points to Leaflet's (lat, lon), unwrapped across the antimeridian."""
    return [(lat, lon) for lon, lat in unwrap_lons(coords)]


def _leg_html(network: Network, leg, rank: int) -> str:
    a, b = network.places[leg.from_id], network.places[leg.to_id]
    rows = "".join(
        f"<tr><td>{escape(m)}</td><td style='text-align:right'>{getattr(leg, m):,.1f} {UNITS[m]}</td></tr>"
        for m in METRICS
    )
    label = "best route" if rank == 0 else f"alternative {rank}"
    return (
        f"<b>{escape(leg.mode)}</b>: {escape(a.name)} &rarr; {escape(b.name)}"
        f"<br><small>{escape(label)}</small><table>{rows}</table>"
    )


def route_map(
    network: Network,
    routes: Sequence[Route],
    *,
    m: folium.Map | None = None,
    title: str = "",
) -> folium.Map:
    """Draw routes (best first, then alternatives) as toggleable layers; return the map."""
    folium = _folium()
    if m is None:
        m = folium.Map(tiles="OpenStreetMap", control_scale=True)
    bounds: list[tuple[float, float]] = []
    for rank, route in enumerate(routes):
        name = "Best route" if rank == 0 else f"Alternative {rank}"
        layer = folium.FeatureGroup(name=escape(name), show=True)
        for leg in route.legs:
            points = _to_leaflet(leg_coords(network, leg))
            if len(points) < 2:
                continue
            folium.PolyLine(
                points,
                color=MODE_COLORS.get(leg.mode, "#333333"),
                weight=5 if rank == 0 else 3,
                opacity=0.9 if rank == 0 else 0.6,
                dash_array=None if rank == 0 else "6 6",
                tooltip=folium.Tooltip(_leg_html(network, leg, rank)),
            ).add_to(layer)
            bounds.extend(points)
        for leg in route.legs:
            if leg.mode == "transfer":
                place = network.places[leg.from_id]
                text = f"transfer at {escape(place.name)}: {leg.time_h:.1f} h, ${leg.cost_usd:,.0f}"
                folium.CircleMarker(
                    (place.lat, place.lon), radius=6, color=MODE_COLORS["transfer"], fill=True, tooltip=text
                ).add_to(layer)
        layer.add_to(m)
    for pid, label in ((routes[0].origin, "origin"), (routes[0].destination, "destination")):
        place = network.places[pid]
        folium.Marker(
            (place.lat, place.lon),
            tooltip=folium.Tooltip(f"{escape(label)}: {escape(place.name)} ({escape(place.id)})"),
        ).add_to(m)
    folium.LayerControl(collapsed=False).add_to(m)
    if bounds:
        lats = [p[0] for p in bounds]
        lons = [p[1] for p in bounds]
        m.fit_bounds([(min(lats), min(lons)), (max(lats), max(lons))])
    if title:
        m.get_root().html.add_child(folium.Element(f"<title>{escape(title)}</title>"))
    return m


def save_map(m: folium.Map, path: str | Path) -> Path:
    """Write a map to an HTML file, creating its directory."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    m.save(str(target))
    return target
