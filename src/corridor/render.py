"""Draw routes and the network on interactive Folium (Leaflet) maps that open offline.

Every function returns a `folium.Map` (a notebook shows it inline) and takes `m=None`: pass a
map to draw on it instead of a new one, so layers compose. A new map is self-contained: Leaflet
is inlined and its default base layer is Natural Earth land drawn from the bundled data, with
OpenStreetMap tiles offered as a second base layer for when the network is there.

All text from data (names, aliases, notes, sources) goes through `escape` before it reaches
HTML, and the Folium elements used never evaluate it as a template.
"""

from __future__ import annotations

import html
import os
from collections.abc import Mapping, Sequence
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ._text import plain_number
from .costing import METRICS
from .datasets import Place, bundled_data_dir, is_estimate
from .geo import unwrap_lons
from .geometry import leg_coords, leg_credits, link_trace
from .graph import Role
from .network import Network
from .registry import METRICS as METRIC_SPECS
from .routing import BY, Leg, Route
from .sealanes import PASSAGES

if TYPE_CHECKING:
    import folium

MODE_COLORS = {"rail": "#c0392b", "river": "#2471a3", "sea": "#117a65", "road": "#b9770e", "transfer": "#6c3483"}
MODE_LABELS = {"rail": "Rail", "river": "River and river-sea", "sea": "Sea", "road": "Road", "transfer": "Transfer"}
KIND_COLORS = {
    "seaport": "#1f3a93", "river_port": "#2471a3", "rail_terminal": "#c0392b", "dry_port": "#b9770e",
    "border": "#34495e", "lock": "#148f77", "city": "#7f8c8d",
}  # fmt: skip
KIND_LABELS = {
    "seaport": "seaport", "river_port": "river port", "rail_terminal": "rail terminal", "dry_port": "dry port",
    "border": "border crossing", "lock": "lock", "city": "city",
}  # fmt: skip
RANK_LABELS = {"distance_km": "shortest", "time_h": "fastest", "cost_usd": "cheapest", "co2_kg": "lowest-CO2"}
METRIC_NAMES = {"distance_km": "distance", "time_h": "time", "cost_usd": "cost", "co2_kg": "CO2"}

BASEMAP_FILE = Path("land/ne_50m_land_simplified.geojson")
SEA_COLOR = "#d4e6f1"
LAND_STYLE = {"stroke": False, "fillColor": "#f1ede4", "fillOpacity": 1.0}  # no stroke: no seam at +-180
CREDIT_NATURAL_EARTH = 'Land: <a href="https://www.naturalearthdata.com/">Natural Earth</a>'
CREDIT_OSM = '© <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> contributors'
CREDIT_LANES = "Sea lanes: searoute (Eurostat marnet, ORNL)"
# Attributions of the lines a drawn link follows (tracks.Trace.credit), as map HTML.
TRACE_CREDITS = {
    "Rail track © OpenStreetMap contributors (ODbL)": f"Rail track {CREDIT_OSM} (ODbL)",
    "Rivers: Natural Earth": 'Rivers: <a href="https://www.naturalearthdata.com/">Natural Earth</a>',
}
BEST_PANE, ALTERNATIVE_PANE, PLACES_PANE = "corridor-best", "corridor-alternatives", "corridor-places"
LINKS_PANE = "corridor-links"
# The network map's lanes: light and thin under the corridor's links and places.
LANE_STYLE = {"color": "#5d8aa8", "weight": 0.6, "opacity": 0.4, "className": "corridor-lanes"}
# Each route is drawn in one colour, the colour of its row in the legend (the best route first).
ROUTE_COLORS = ("#d62728", "#1f5fa8", "#e08a00", "#7b3294", "#1b9e77", "#8c564b", "#e7298a", "#525252")
# Mode is the second encoding, drawn in white over the route's colour: sea plain, rail dashed
# like a railway, river dotted, road a thin centre line. A mode without a pattern is plain.
MODE_PATTERNS: dict[str, dict[str, Any]] = {
    "rail": {"weight": 2, "dash_array": "7 6", "line_cap": "butt"},
    "river": {"weight": 2.5, "dash_array": "0.5 6", "line_cap": "round"},
    "road": {"weight": 1.5, "dash_array": None, "line_cap": "butt"},
}
# How far alternatives are drawn beside the best route, in pixels, so that a shared lane shows each.
OFFSET_PX = 7
LABEL_CSS = """
.leaflet-tooltip.corridor-label { background: rgba(255,255,255,0.9); border: 1px solid #888; border-radius: 3px;
  box-shadow: none; padding: 1px 5px; font: bold 11px/1.3 "Helvetica Neue", Arial, sans-serif; color: #111; }
.leaflet-tooltip.corridor-label.corridor-label-transfer { font-weight: normal; }
.leaflet-tooltip.corridor-label:before { display: none; }
.leaflet-container .leaflet-interactive:focus, .leaflet-container path:focus,
.leaflet-container svg:focus, .leaflet-container:focus { outline: none; }
"""

LEGEND_CSS = """
.corridor-legend { background: rgba(255,255,255,0.94); padding: 8px 10px; border-radius: 6px;
  box-shadow: 0 1px 5px rgba(0,0,0,0.35); font: 12px/1.35 "Helvetica Neue", Arial, sans-serif;
  max-width: 360px; max-height: 55vh; overflow-y: auto; color: #222; }
.corridor-legend summary { cursor: pointer; font-weight: bold; color: #555; font-size: 11px; }
.corridor-legend h4 { margin: 2px 0 4px; font-size: 13px; }
.corridor-legend .section { margin-top: 6px; }
.corridor-legend .row { display: flex; align-items: center; gap: 6px; margin: 2px 0; }
.corridor-legend .swatch { flex: none; width: 26px; height: 0; border-top: 4px solid; }
.corridor-legend svg.key { flex: none; }
.corridor-legend .dot { flex: none; width: 10px; height: 10px; border-radius: 50%; border: 2px solid #222; }
.corridor-legend .totals { color: #555; font-size: 11px; }
.corridor-legend .credits { color: #555; font-size: 10px; }
.corridor-tip, .corridor-popup { font: 12px/1.35 "Helvetica Neue", Arial, sans-serif; }
.corridor-tip table, .corridor-popup table { border-collapse: collapse; margin-top: 3px; }
.corridor-tip td, .corridor-popup td { padding: 0 6px 0 0; vertical-align: top; }
.corridor-tip td.num, .corridor-popup td.num { text-align: right; }
.corridor-port { background: #5d6d7e; border: 1px solid #fff; border-radius: 50%; opacity: 0.85; }
.corridor-cluster { background: rgba(93,109,126,0.25); border-radius: 50%; }
.corridor-cluster span { display: block; margin: 3px; height: calc(100% - 6px); border-radius: 50%;
  background: rgba(93,109,126,0.85); color: #fff; font: 11px/1 Arial, sans-serif;
  display: flex; align-items: center; justify-content: center; }
.leaflet-control-layers { font-size: 12px; }
"""


def _folium():
    try:
        import folium
    except ImportError as exc:  # pragma: no cover - folium is a dependency
        raise ImportError("maps need folium: pip install folium") from exc
    return folium


def escape(text: object) -> str:
    """Escape text for HTML and neutralise template syntax, for any string from data.

    Braces become character references, so `{{ ... }}` is never evaluated as Jinja (Folium
    renders element output as a template) nor `${...}` in a JavaScript template literal; the
    backtick is escaped for the same reason. The result shows as the original text in HTML.
    """
    out = html.escape(str(text), quote=True)
    return out.replace("{", "&#123;").replace("}", "&#125;").replace("`", "&#96;")


def metric_text(metric: str, value: float) -> str:
    """Return a metric with its unit, as every table and map shows it ('1,406 km', '2.3 d', '$1,743')."""
    spec = METRIC_SPECS.get(metric)
    if spec is None:
        raise ValueError(f"unknown metric {metric!r}")
    return spec.text(value)


def _short(place: Place) -> str:
    """Return a place's name without its parenthesised detail, escaped."""
    return escape(place.short_name)


def _label(place: Place) -> str:
    return f"{_short(place)} ({escape(place.id)})"


def _wrap_near(lon: float, reference: float) -> float:
    """Return lon shifted by whole turns to lie within 180 degrees of reference."""
    return lon + 360.0 * round((reference - lon) / 360.0)


# --------------------------------------------------------------------------- base map


@lru_cache(maxsize=2)
def _land(path: Path) -> str:
    """Return the basemap's GeoJSON text, to embed as it is (parsing 0.5 MB to dump it again is slow)."""
    from ._fs import read_regular

    return read_regular(path, "GeoJSON").decode("utf-8").strip()


def base_map(
    *, basemap: str = "natural-earth", location: Sequence[float] = (25.0, 100.0), zoom_start: int = 3
) -> folium.Map:
    """Return a new self-contained map with Natural Earth land and OpenStreetMap as base layers.

    `basemap` picks the one shown first: "natural-earth" (drawn from bundled data, works
    offline) or "openstreetmap" (online tiles). Leaflet is inlined, so the page needs no CDN.
    """
    folium = _folium()
    from . import _leaflet

    if basemap not in ("natural-earth", "openstreetmap"):
        raise ValueError(f"basemap must be 'natural-earth' or 'openstreetmap', not {basemap!r}")
    m = folium.Map(location=list(location), zoom_start=zoom_start, tiles=None, control_scale=True)
    # Without a tile layer Leaflet knows no zoom range, which marker clusters need.
    m.options.update(min_zoom=1, max_zoom=18)
    _leaflet.self_contained(m)
    m.add_child(_leaflet.Helpers())
    m.add_child(_leaflet.Style(f"#{m.get_name()} {{ background: {SEA_COLOR}; }}" + LABEL_CSS))
    land = _leaflet.GeoJsonLayer(
        _land(bundled_data_dir() / BASEMAP_FILE),
        name="Natural Earth land (offline)",
        style=LAND_STYLE,
        overlay=False,
        show=basemap == "natural-earth",
        interactive=False,
        attribution=CREDIT_NATURAL_EARTH,
        world_copies=True,
    )
    m.add_child(land)
    folium.TileLayer(
        "OpenStreetMap", name="OpenStreetMap (online)", overlay=False, show=basemap == "openstreetmap"
    ).add_to(m)
    return m


def _legend(m: folium.Map):
    """Return the map's legend panel, adding one if it has none."""
    from . import _leaflet

    for child in m._children.values():
        if isinstance(child, _leaflet.Panel) and child.css_class == "corridor-legend":
            return child
    panel = _leaflet.Panel(css_class="corridor-legend", css=LEGEND_CSS, position="bottomleft", summary="Legend")
    m.add_child(panel)
    return panel


def _credit(m: folium.Map, credits: Sequence[str]) -> None:
    """Credit data sources in the legend and the attribution control (ready-made HTML)."""
    from . import _leaflet

    if not credits:
        return
    for credit in credits:
        m.add_child(_leaflet.Attribution(credit))
    _legend(m).sections.append(f"<div class='section credits'>{' · '.join(credits)}</div>")


def _finish(m: folium.Map, points: Sequence[tuple[float, float]], title: str) -> folium.Map:
    from . import _leaflet

    _leaflet.layer_control_last(m)
    fits = [(name, child) for name, child in m._children.items() if isinstance(child, _leaflet.FitAround)]
    for name, _ in fits:
        del m._children[name]
    if points:
        lats = [p[0] for p in points]
        lons = [p[1] for p in points]
        fits = [("", _leaflet.FitAround([(min(lats), min(lons)), (max(lats), max(lons))]))]
    # Last, after the legend and the layer control: the view is fitted around them once they are drawn.
    for _, fit in fits[-1:]:
        m.add_child(fit)
    root: Any = m.get_root()
    if title and not root.title:
        root.title = escape(title)
    return m


def _pane(m: folium.Map, name: str, z_index: int) -> None:
    folium = _folium()
    if not any(isinstance(c, folium.map.CustomPane) and c.name == name for c in m._children.values()):
        m.add_child(folium.map.CustomPane(name, z_index=z_index))


# --------------------------------------------------------------------------- routes


def _leg_rows(leg: Leg) -> str:
    return "".join(
        f"<tr><td>{METRIC_NAMES[m]}</td><td class='num'>{escape(metric_text(m, getattr(leg, m)))}</td></tr>"
        for m in METRICS
    )


def _transfer_text(network: Network, leg: Leg) -> str:
    """Return 'rail to sea' for a transfer leg ('' for other legs)."""
    return f"{leg.from_mode} to {leg.to_mode}" if leg.from_mode else ""


def leg_tooltip(network: Network, leg: Leg, *, teu: float = 1.0) -> str:
    """Return the tooltip HTML of a leg: mode, places and metrics with units (data escaped)."""
    a, b = network.places[leg.from_id], network.places[leg.to_id]
    per = f" for {plain_number(teu)} TEU" if teu != 1 else " per TEU"
    if leg.mode == "transfer":
        modes = _transfer_text(network, leg)
        head = f"<b>Transfer</b>{' ' + escape(modes) if modes else ''} at {_label(a)}"
    else:
        head = f"<b>{escape(MODE_LABELS.get(leg.mode, leg.mode))}</b>: {_label(a)} &rarr; {_label(b)}"
    return f"<div class='corridor-tip'>{head}<table>{_leg_rows(leg)}</table><small>cost and CO2{per}</small></div>"


def leg_popup(network: Network, leg: Leg, *, route_name: str = "", teu: float = 1.0) -> str:
    """Return the popup HTML of a leg: everything the tooltip says, plus via places, passages,
    the services used and what the drawing follows (data escaped)."""
    a, b = network.places[leg.from_id], network.places[leg.to_id]
    lines = [f"<div class='corridor-popup'><b>{escape(MODE_LABELS.get(leg.mode, leg.mode))}</b>"]
    if route_name:
        lines.append(f" <small>({escape(route_name)})</small>")
    if leg.mode == "transfer":
        modes = _transfer_text(network, leg)
        lines.append(
            f"<br>{escape(modes) + ' ' if modes else ''}at {escape(a.name)} ({escape(a.id)}, {escape(a.country)})"
        )
    else:
        lines.append(f"<br>from {escape(a.name)} ({escape(a.id)}, {escape(a.country)})")
        lines.append(f"<br>to {escape(b.name)} ({escape(b.id)}, {escape(b.country)})")
    lines.append(f"<table>{_leg_rows(leg)}</table>")
    lines.append(f"<small>cost and CO2 {'for ' + format(teu, 'g') + ' TEU' if teu != 1 else 'per TEU'}</small>")
    if leg.via:
        lines.append("<br>via " + ", ".join(_label(network.places[p]) for p in leg.via))
    if leg.passages:
        lines.append("<br>through " + ", ".join(escape(p) for p in leg.passages))
    for link_id in leg.links:
        link = network.link(link_id)
        trace = link_trace(network, link_id)
        drawn = {"osm_rail": "drawn along OpenStreetMap track", "ne_river": "drawn along the river"}.get(
            trace.along, "drawn through its via points"
        )
        lines.append(f"<br><small>{escape(link.name or link.id)} ({escape(link.id)}): {drawn}</small>")
    lines.append("</div>")
    return "".join(lines)


def _route_lines(network: Network, route: Route) -> list[list[tuple[float, float]]]:
    """Return each leg's polyline as Leaflet (lat, lon), unwrapped together along the route.

    Longitudes run on past +-180 rather than jumping back, so a route across the Pacific
    draws as one stroke; a transfer is the single point of its place.
    """
    out: list[list[tuple[float, float]]] = []
    reference: float | None = None
    for leg in route.legs:
        coords = leg_coords(network, leg)
        if not coords:
            place = network.places[leg.from_id]
            coords = [(place.lon, place.lat)]
        if reference is not None:
            shift = _wrap_near(coords[0][0], reference) - coords[0][0]
            coords = [(lon + shift, lat) for lon, lat in coords]
        coords = unwrap_lons(coords)
        reference = coords[-1][0]
        out.append([(lat, lon) for lon, lat in coords])
    return out


def route_label(network: Network, route: Route) -> str:
    """Return a short description of a route: 'rail to Qinzhou Port, sea to Umm Qasr' (plain text)."""
    steps: list[str] = []
    for leg in route.legs:
        if leg.mode == "transfer":
            continue
        name = network.places[leg.to_id].short_name
        step = f"{leg.mode} to {name}"
        if steps and steps[-1] == step:
            continue
        steps.append(step)
    return ", ".join(steps)


def _totals_text(route: Route) -> str:
    return " · ".join(metric_text(m, getattr(route, m)) for m in METRICS)


def _route_color(rank: int) -> str:
    return ROUTE_COLORS[rank % len(ROUTE_COLORS)]


def _offset(rank: int) -> int:
    """Return how many pixels beside the best route an alternative is drawn: +7, -7, +14, -14 ..."""
    if rank == 0:
        return 0
    step = (rank + 1) // 2
    return OFFSET_PX * step * (1 if rank % 2 else -1)


def _add_route(
    m: folium.Map,
    network: Network,
    route: Route,
    *,
    rank: int,
    label: str,
    points: list[tuple[float, float]],
    labelled: set[str],
) -> tuple[list[str], tuple[float, float], tuple[float, float]]:
    """Draw one route as a layer in its colour, each leg's mode as a white pattern over it;
    return the credits it needs and its first and last points. Transfer places not yet in
    `labelled` get a label."""
    folium = _folium()
    from . import _leaflet

    best = rank == 0
    color = _route_color(rank)
    pane = BEST_PANE if best else ALTERNATIVE_PANE
    summary = route_label(network, route)
    swatch = f"<span style='display:inline-block;width:18px;border-top:4px solid {color};margin-right:4px'></span>"
    layer = folium.FeatureGroup(name=swatch + escape(f"{label}: {summary}"), show=True)
    credits: list[str] = []
    lines = _route_lines(network, route)
    offset = _offset(rank)
    for leg, line in zip(route.legs, lines, strict=True):
        if leg.mode == "transfer":
            place = network.places[leg.from_id]
            marker = folium.CircleMarker(
                line[0], radius=6, color=color, weight=3, fill=True, fill_color="#ffffff",
                fill_opacity=1.0, class_name=f"corridor-transfer corridor-route-{rank}",
            )  # fmt: skip
            marker.options["pane"] = pane
            if place.id not in labelled:
                labelled.add(place.id)
                marker.add_child(_label_tooltip(_short(place), "transfer", "top"))
            else:
                marker.add_child(_leaflet.BindTooltip(leg_tooltip(network, leg, teu=route.teu)))
            marker.add_child(_leaflet.BindPopup(leg_popup(network, leg, route_name=label, teu=route.teu)))
            marker.add_to(layer)
            points.append(line[0])
            continue
        if len(line) < 2:
            continue
        polyline = folium.PolyLine(
            line,
            color=color,
            weight=6 if best else 4,
            opacity=1.0 if best else 0.9,
            class_name=f"corridor-leg corridor-leg-{leg.mode} corridor-route-{rank}",
        )
        polyline.options["pane"] = pane
        if offset:
            polyline.options["offset"] = offset
        polyline.add_child(_leaflet.BindTooltip(leg_tooltip(network, leg, teu=route.teu)))
        polyline.add_child(_leaflet.BindPopup(leg_popup(network, leg, route_name=label, teu=route.teu)))
        polyline.add_to(layer)
        pattern = MODE_PATTERNS.get(leg.mode)
        if pattern is not None:
            over = folium.PolyLine(
                line, color="#ffffff", weight=pattern["weight"] * (1 if best else 0.8), opacity=0.95,
                dash_array=pattern["dash_array"], line_cap=pattern["line_cap"], interactive=False,
                class_name=f"corridor-mode corridor-mode-{leg.mode} corridor-route-{rank}",
            )  # fmt: skip
            over.options["pane"] = pane
            if offset:
                over.options["offset"] = offset
            over.add_to(layer)
        points.extend(line)
        for credit in leg_credits(network, leg):
            if credit not in credits:
                credits.append(credit)
        # Places a leg passes through (a rail junction, a lock) are marked small.
        for pid in leg.via:
            place = network.places[pid]
            where = (place.lat, _wrap_near(place.lon, line[0][1]))
            via = folium.CircleMarker(
                where, radius=3, color=color, weight=2, fill=True, fill_color="#ffffff", fill_opacity=1.0,
                class_name=f"corridor-via corridor-route-{rank}",
            )  # fmt: skip
            via.options["pane"] = pane
            via.add_child(_leaflet.BindTooltip(f"{escape(MODE_LABELS.get(leg.mode, leg.mode))} via {_label(place)}"))
            via.add_to(layer)
    layer.add_to(m)
    return credits, lines[0][0], lines[-1][-1]


def _label_tooltip(text: str, role: str, direction: str):
    """Return a permanent label (ready-made HTML) for a marker: origin, destination or transfer."""
    from . import _leaflet

    offset = {"left": [-10, 0], "right": [10, 0], "top": [0, -8], "bottom": [0, 8]}[direction]
    return _leaflet.BindTooltip(
        text, permanent=True, direction=direction, offset=offset, sticky=False,
        className=f"corridor-label corridor-label-{role}", interactive=False,
    )  # fmt: skip


def _end_marker(
    m: folium.Map,
    network: Network,
    pid: str,
    where: tuple[float, float],
    role: str,
    direction: str,
    *,
    label: bool,
    text: str,
) -> None:
    folium = _folium()
    from . import _leaflet

    place = network.places[pid]
    marker = folium.CircleMarker(
        where, radius=9, color="#111111", weight=3, fill=True,
        fill_color="#ffffff" if role == "origin" else "#111111", fill_opacity=1.0,
        class_name=f"corridor-{role}",
    )  # fmt: skip
    marker.options["pane"] = BEST_PANE
    if label:
        marker.add_child(_label_tooltip(text, role, direction))
    else:
        marker.add_child(_leaflet.BindTooltip(f"<b>{escape(role.capitalize())}</b>: {_label(place)}"))
    popup = (
        f"<div class='corridor-popup'><b>{escape(role.capitalize())}</b><br>{escape(place.name)}"
        f"<br>{escape(place.id)}, {escape(network.countries.get(place.country, place.country))}"
        f"<br>{escape(KIND_LABELS.get(place.kind, place.kind))}: {escape(', '.join(place.modes))}</div>"
    )
    marker.add_child(_leaflet.BindPopup(popup))
    m.add_child(marker)


def route_map(
    network: Network,
    routes: Sequence[Route],
    *,
    m: folium.Map | None = None,
    labels: Sequence[str] | None = None,
    title: str = "",
) -> folium.Map:
    """Draw routes (best first, then alternatives) as layers the user can toggle; return the map.

    Each route has one colour, its colour in the legend; each leg follows its real geometry,
    its mode drawn as a white pattern over the route's colour (explained once in the legend),
    with a tooltip and a popup giving its metrics. Alternatives are drawn a few pixels beside
    the best route, which is drawn on top. Origin, destination and transfer places are marked
    and labelled; the legend lists each route with its totals; the view fits the routes clear
    of the legend and the controls. `labels` names the routes (default: 'Best route (by cost)',
    'Alternative 1', ...).
    """
    if not routes:
        raise ValueError("route_map needs at least one route")
    if labels is None:
        labels = [f"Best route (by {BY_NAMES.get(routes[0].optimized_for, routes[0].optimized_for)})"] + [
            f"Alternative {n}" for n in range(1, len(routes))
        ]
    if len(labels) != len(routes):
        raise ValueError(f"got {len(labels)} labels for {len(routes)} routes")
    if m is None:
        m = base_map()
    _helpers(m)
    _pane(m, ALTERNATIVE_PANE, 440)
    _pane(m, BEST_PANE, 450)
    points: list[tuple[float, float]] = []
    credits: list[str] = []
    ends: dict[tuple[str, str], list[tuple[float, float]]] = {}
    rows = []
    labelled: set[str] = {pid for route in routes for pid in (route.origin, route.destination)}
    for rank, route in enumerate(routes):
        # The best route's pane lies above the alternatives', so it is drawn on top of them.
        found, start, end = _add_route(m, network, route, rank=rank, label=labels[rank], points=points,
                                       labelled=labelled)  # fmt: skip
        credits.extend(c for c in found if c not in credits)
        for key, where in (((route.origin, "origin"), start), ((route.destination, "destination"), end)):
            spots = ends.setdefault(key, [])
            if not any(abs(where[1] - s[1]) < 1e-6 for s in spots):
                spots.append(where)
        style = f"border-color:{_route_color(rank)};border-top-width:{5 if rank == 0 else 4}px"
        rows.append(
            f"<div class='row'><span class='swatch' style='{style}'>"
            f"</span><span><b>{escape(labels[rank])}</b>: {escape(route_label(network, route))}"
            f"<br><span class='totals'>{escape(_totals_text(route))}</span></span></div>"
        )
    start_at = next(iter(ends.get((routes[0].origin, "origin"), [(0.0, 0.0)])))
    end_at = next(iter(ends.get((routes[0].destination, "destination"), [(0.0, 0.0)])))
    said: set[str] = set()
    for (pid, role), spots in ends.items():
        place = network.places[pid]
        # A terminal of a city is labelled with the city ('Chongqing'); its popup names the terminal.
        short = place.short_name
        text = escape(place.area) if place.area and short.startswith(place.area) else _short(place)
        other = end_at if role == "origin" else start_at
        for where in spots:
            # Labels face away from the other end of the route, along the route's main direction.
            if abs(where[0] - other[0]) > abs(where[1] - other[1]):
                direction = "top" if where[0] >= other[0] else "bottom"
            else:
                direction = "right" if where[1] >= other[1] else "left"
            _end_marker(m, network, pid, where, role, direction, label=text not in said, text=text)
            said.add(text)
    starts, ends_at = (
        _ends_name(network, [r.origin for r in routes]),
        _ends_name(network, [r.destination for r in routes]),
    )
    heading = f"{starts} &rarr; {ends_at}"
    first = routes[0]
    per = f"for {plain_number(first.teu)} TEU" if first.teu != 1 else "per TEU"
    from .provenance import not_charged_notes

    # What the totals leave out (customs without figures, borders without fee figures), as
    # the route's text says under its table: a map goes into reports without that text.
    caveats = "".join(f"<div class='totals'>{escape(note)}</div>" for note in not_charged_notes(network, routes))
    legend = _legend(m)
    legend.sections.append(
        f"<div class='section'><h4>{heading}</h4>{''.join(rows)}"
        f"<div class='totals'>totals: distance · time in days · cost in USD · CO2 ({per})</div>{caveats}</div>"
    )
    modes = list(dict.fromkeys(leg.mode for route in routes for leg in route.legs))
    legend.sections.append(_mode_key(modes) + _marker_key())
    _credit(m, [TRACE_CREDITS.get(c, escape(c)) for c in credits] + ([CREDIT_LANES] if "sea" in modes else []))
    return _finish(m, points, title)


BY_NAMES = {metric: by for by, metric in BY.items()}


def _helpers(m: folium.Map) -> None:
    """Give a map (perhaps made elsewhere) the page helpers the elements here rely on."""
    from . import _leaflet

    if not any(isinstance(c, _leaflet.Helpers) for c in m._children.values()):
        m.add_child(_leaflet.Helpers())


def _ends_name(network: Network, place_ids: Sequence[str]) -> str:
    """Return the escaped name of where routes start (or end): the place, or the area of several."""
    places = [network.places[pid] for pid in dict.fromkeys(place_ids)]
    areas = {p.area for p in places}
    if len(places) > 1 and len(areas) == 1 and "" not in areas:
        return escape(areas.pop())
    return " / ".join(_short(p) for p in places)


def _pattern_key(mode: str) -> str:
    """Return a small SVG showing how a mode is drawn over a route's colour."""
    pattern = MODE_PATTERNS.get(mode)
    over = ""
    if pattern is not None:
        dash = f" stroke-dasharray='{pattern['dash_array']}'" if pattern["dash_array"] else ""
        over = (
            f"<line x1='2' y1='6' x2='32' y2='6' stroke='#fff' stroke-width='{pattern['weight']}'"
            f" stroke-linecap='{pattern['line_cap']}'{dash}/>"
        )
    return (
        "<svg class='key' width='34' height='12' aria-hidden='true'>"
        f"<line x1='2' y1='6' x2='32' y2='6' stroke='#666' stroke-width='6'/>{over}</svg>"
    )


def _mode_key(modes: Sequence[str]) -> str:
    rows = [
        f"<div class='row'>{_pattern_key(mode)}{escape(MODE_LABELS.get(mode, mode))}</div>"
        for mode in modes
        if mode != "transfer"
    ]
    return f"<div class='section'><b>Modes</b>, drawn over each route's colour{''.join(rows)}</div>"


def _marker_key() -> str:
    return (
        "<div class='section'>"
        "<div class='row'><span class='dot' style='background:#fff'></span>origin</div>"
        "<div class='row'><span class='dot' style='background:#111'></span>destination</div>"
        "<div class='row'><span class='dot' style='background:#fff;border-color:#666'></span>"
        "transfer (change of mode)</div></div>"
    )


def compare_map(
    network: Network, best: Mapping[str, Route], *, m: folium.Map | None = None, title: str = ""
) -> folium.Map:
    """Draw the best route for each metric (as `routing.compare` returns them); return the map.

    Metrics whose best routes are the same route share one layer ('Cheapest, lowest-CO2').
    """
    groups: dict[tuple, list[str]] = {}
    routes: dict[tuple, Route] = {}
    for by, route in best.items():
        key = route.edges
        groups.setdefault(key, []).append(RANK_LABELS[BY.get(by, by)])
        routes.setdefault(key, route)
    # The route best on most metrics is drawn as the best route: solid, on top, first in the legend.
    keys = sorted(groups, key=lambda key: -len(groups[key]))
    labels = [", ".join(groups[key]) for key in keys]
    labels = [label[:1].upper() + label[1:] for label in labels]
    return route_map(network, [routes[key] for key in keys], m=m, labels=labels, title=title)


# --------------------------------------------------------------------------- the network


def _split_antimeridian(a: tuple[float, float], b: tuple[float, float]) -> list[list[tuple[float, float]]]:
    """Return a segment as one or two pieces that never jump across the map at +-180."""
    (lon1, lat1), (lon2, lat2) = a, b
    if abs(lon2 - lon1) <= 180:
        return [[a, b]]
    edge = 180.0 if lon1 > 0 else -180.0
    lon2_unwrapped = lon2 + (360.0 if lon1 > 0 else -360.0)
    t = (edge - lon1) / (lon2_unwrapped - lon1)
    lat = lat1 + t * (lat2 - lat1)
    return [[a, (edge, lat)], [(-edge, lat), b]]


def lane_lines(network: Network, *, tolerance_deg: float = 0.05) -> tuple[list, dict[str, list]]:
    """Return the sea lanes as merged, simplified (lon, lat) lines, and the lines of each passage.

    Passages are keyed by the name `--avoid` takes (malacca, hormuz, ...). The rounding segments
    round headlands (`corridor.rounding`) are left out: a web of them would hide the lanes, and a
    route drawn along them shows where it rounds a coast.
    """
    import shapely

    tag_names = {tag: name for name, tag in PASSAGES.items()}
    seen: set[tuple[int, int]] = set()
    plain: list[list[tuple[float, float]]] = []
    passages: dict[str, list[list[tuple[float, float]]]] = {}
    core = network.core
    corners = network.corners_from
    for e in core.edges_with_role(Role.LANE):
        u, v = core.node_lane[core.tail[e]], core.node_lane[core.head[e]]
        key = (u, v) if u < v else (v, u)
        if key in seen or (corners is not None and key[1] >= corners):
            continue
        seen.add(key)
        pieces = _split_antimeridian(network.lane_coords[u], network.lane_coords[v])
        tag = core.passages[core.passage[e]]
        if tag:
            passages.setdefault(tag_names.get(tag, tag), []).extend(pieces)
        else:
            plain.extend(pieces)

    def merged(segments: list) -> list[list[tuple[float, float]]]:
        if not segments:
            return []
        lines = shapely.line_merge(shapely.MultiLineString(segments))
        lines = shapely.simplify(lines, tolerance_deg)
        return [[(round(x, 2), round(y, 2)) for x, y in part.coords] for part in shapely.get_parts(lines)]

    return merged(plain), {name: merged(segments) for name, segments in sorted(passages.items())}


def _place_popup(network: Network, place: Place) -> str:
    country = network.countries.get(place.country, place.country)
    rows = [
        ("id", place.id),
        ("country", f"{country} ({place.country})" if country != place.country else place.country),
        ("kind", KIND_LABELS.get(place.kind, place.kind)),
        ("modes", ", ".join(place.modes)),
        ("position", f"{place.lat:.4f}, {place.lon:.4f}"),
    ]
    if place.aliases:
        rows.append(("also", "; ".join(place.aliases)))
    if place.area:
        rows.append(("area", place.area))
    if not place.operational:
        rows.append(("status", f"{place.status} (not routable)"))
    handling = network.parameters.handling(place)
    rows.append(("handling", f"{handling.time_h:g} h, {handling.cost_usd:g} USD per TEU per transfer"))
    if place.dwell_h:
        rows.append(("dwell", f"{place.dwell_h:g} h on entry"))
    if place.notes:
        rows.append(("notes", place.notes))
    if place.source:
        rows.append(("source", place.source))
    body = "".join(f"<tr><td>{escape(k)}</td><td>{escape(v)}</td></tr>" for k, v in rows)
    return f"<div class='corridor-popup'><b>{escape(place.name)}</b><table>{body}</table></div>"


def _link_tooltip(network: Network, link) -> str:
    a, b = network.places[link.from_id], network.places[link.to_id]
    arrow = "&rarr;" if link.one_way else "&harr;"
    name = f"<b>{escape(link.name)}</b><br>" if link.name else ""
    if link.distance_km is None:
        distance = f"{network.parameters.link_distance_km(link, a, b):,.0f} km (measured)"
    elif not link.distance_source or is_estimate(link.distance_source):
        distance = f"{link.distance_km:,.0f} km (estimate)"
    else:
        distance = f"{link.distance_km:,.0f} km (published)"
    per_week = f", {link.frequency_per_week:g} a week" if link.frequency_per_week else ""
    return (
        f"<div class='corridor-tip'>{name}{escape(MODE_LABELS.get(link.mode, link.mode))}: {_label(a)} {arrow} "
        f"{_label(b)}<br>{escape(distance)}{escape(per_week)} <small>({escape(link.id)})</small></div>"
    )


def network_map(
    network: Network,
    *,
    m: folium.Map | None = None,
    world_ports: bool = True,
    lanes: bool = True,
    title: str = "corridor: the New International Land-Sea Trade Corridor",
) -> folium.Map:
    """Draw the whole network: a layer per mode, the corridor places, the world seaports clustered.

    Sea lanes are merged and simplified so the page stays small; curated links follow their
    traced geometry. A new map's view fits the curated corridor places; drawn on a given map,
    the network leaves its view as it was.
    """
    folium = _folium()
    from . import _leaflet

    fit = m is None
    if m is None:
        m = base_map()
    legend = _legend(m)
    credits: list[str] = []
    key_rows: list[tuple[str, str, bool | str]] = []
    if lanes:
        plain, passages = lane_lines(network)
        sea = _leaflet.GeoJsonLayer(
            {"type": "Feature", "properties": {}, "geometry": {"type": "MultiLineString", "coordinates": plain}},
            name=escape("Sea lanes"),
            style=LANE_STYLE,
            interactive=False,
            world_copies=True,  # a lane running off the map at 180 degrees goes on in the next copy
        )
        m.add_child(sea)
        key_rows.append((str(LANE_STYLE["color"]), "Sea lanes", False))
        if passages:
            layer = folium.FeatureGroup(name=escape("Sea passages (--avoid)"), show=True)
            for name, lines in passages.items():
                for line in lines:
                    polyline = folium.PolyLine(
                        [(lat, lon) for lon, lat in line], color="#7d3c98", weight=4, opacity=0.8,
                        class_name="corridor-passage",
                    )  # fmt: skip
                    polyline.add_child(
                        _leaflet.BindTooltip(f"<b>{escape(name)}</b><br>avoid with <code>--avoid {escape(name)}</code>")
                    )
                    polyline.add_to(layer)
            layer.add_to(m)
            key_rows.append(("#7d3c98", "Sea passages you can avoid", True))
        credits.append(CREDIT_LANES)
    modes = [mode for mode in ("rail", "river", "road") if any(link.mode == mode for link in network.links.values())]
    _helpers(m)
    _pane(m, LINKS_PANE, 430)  # above the lanes and passages (400), below the places
    for mode in modes:
        layer = folium.FeatureGroup(name=escape(f"{MODE_LABELS[mode]} links"), show=True)
        for link in sorted(network.links.values(), key=lambda link: link.id):
            if link.mode != mode:
                continue
            trace = link_trace(network, link.id)
            line = [(lat, lon) for lon, lat in unwrap_lons(trace.coords)]
            polyline = folium.PolyLine(
                line, color=MODE_COLORS[mode], weight=3, opacity=0.9, class_name=f"corridor-link corridor-link-{mode}"
            )
            polyline.options["pane"] = LINKS_PANE
            polyline.add_child(_leaflet.BindTooltip(_link_tooltip(network, link)))
            polyline.add_to(layer)
            if trace.credit and TRACE_CREDITS.get(trace.credit) not in credits:
                credits.append(TRACE_CREDITS.get(trace.credit, escape(trace.credit)))
        layer.add_to(m)
        key_rows.append((mode, f"{MODE_LABELS[mode]} links", False))

    curated = [p for p in network.places.values() if p.origin == "curated"]
    if world_ports:
        world = sorted((p for p in network.places.values() if p.origin != "curated"), key=lambda p: p.id)
        rows: list[list] = []
        notes: dict[str, int] = {}
        for place in world:
            size = place.harbor_size.replace("_", " ")
            note = (
                f"{escape(network.countries.get(place.country, place.country))}"
                f"{'<br>' + escape(size) + ' harbour' if size else ''}<br><small>World Port Index</small>"
                f"{'' if network.routable(place.id) else '<br><i>not joined to the sea lanes</i>'}"
            )
            label = f"{escape(place.name)} ({escape(place.id)})"
            rows.append([round(place.lat, 3), round(place.lon, 3), label, notes.setdefault(note, len(notes))])
        if rows:
            m.add_child(
                _leaflet.PointCluster(
                    rows,
                    list(notes),
                    name=escape(f"World seaports ({len(rows):,})"),
                    icon_class="corridor-port",
                    cluster_class="corridor-cluster",
                )
            )
            key_rows.append(("#5d6d7e", f"World seaports ({len(rows):,}), clustered", "port"))
    if curated:
        _pane(m, PLACES_PANE, 620)  # above the clustered world ports (markers are at 600)
        layer = folium.FeatureGroup(name=escape(f"Corridor places ({len(curated)})"), show=True)
        for place in sorted(curated, key=lambda p: p.id):
            color = KIND_COLORS.get(place.kind, "#333333")
            marker = folium.CircleMarker(
                (place.lat, place.lon), radius=7, color="#111111", weight=2, fill=True, fill_color=color,
                fill_opacity=0.95 if place.operational else 0.25, dash_array=None if place.operational else "3 3",
                class_name="corridor-place",
            )  # fmt: skip
            marker.options["pane"] = PLACES_PANE
            marker.add_child(_leaflet.BindTooltip(f"<b>{_short(place)}</b> ({escape(place.id)})"))
            marker.add_child(_leaflet.BindPopup(_place_popup(network, place)))
            marker.add_to(layer)
        layer.add_to(m)
    rows_html = []
    for color, text, kind in key_rows:
        color = MODE_COLORS.get(color, color)
        if kind == "port":
            mark = f"<span class='dot' style='background:{color};border-color:#fff;width:8px;height:8px'></span>"
        else:
            mark = f"<span class='swatch' style='border-color:{color}'></span>"
        rows_html.append(f"<div class='row'>{mark}{escape(text)}</div>")
    kinds = sorted({p.kind for p in curated}, key=list(KIND_COLORS).index)
    rows_html += [
        f"<div class='row'><span class='dot' style='background:{KIND_COLORS[k]}'></span>"
        f"corridor {escape(KIND_LABELS.get(k, k))}</div>"
        for k in kinds
    ]
    legend.sections.append(f"<div class='section'><h4>{escape(title)}</h4>{''.join(rows_html)}</div>")
    _credit(m, credits)
    points = [(p.lat, p.lon) for p in curated] or [(p.lat, p.lon) for p in network.places.values()]
    return _finish(m, points if fit else [], title)


# --------------------------------------------------------------------------- files


def map_html(m: folium.Map) -> str:
    """Return the page of a map as HTML text."""
    return m.get_root().render()


def save_map(m: folium.Map, path: str | os.PathLike[str]) -> Path:
    """Write a map to an HTML file atomically, creating its directory; return the path.

    The path must be a regular file or a new name (see `corridor._fs.check_output_path`): a
    directory, FIFO, device or read-only file is refused, and a failed write leaves the old file.
    """
    from ._fs import check_output_path, sweep_temps, write_atomic

    target = check_output_path(path, what="the map")
    target.parent.mkdir(parents=True, exist_ok=True)
    sweep_temps(target.parent, target.name)  # what a killed writer of this map left
    write_atomic(target, map_html(m).encode("utf-8"))
    return target
