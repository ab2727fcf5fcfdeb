"""Maps and charts of decisions: the trade-off front (map and chart), criticality and reach maps.

Built on `render`'s public helpers (base map, route layers, escaping, saving), so the pages are
self-contained like every other corridor map. The front chart is plain SVG (or an HTML page
around it) with no script and no CDN. Every string from data is escaped before it reaches HTML.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from .registry import METRICS

if TYPE_CHECKING:
    import folium

    from .criticality import Criticality
    from .network import Network
    from .pareto import Front

# Colours from light to dark for bands (sequential, colour-blind safe: viridis-like).
BAND_COLOURS = ("#1a9850", "#91cf60", "#d9ef8b", "#fee08b", "#fc8d59", "#d73027")
IMPACT_COLOURS = ("#fee08b", "#fdae61", "#f46d43", "#d73027", "#a50026")
CUT_OFF_COLOUR = "#3f007d"
NO_IMPACT_COLOUR = "#9e9e9e"


def _escape(text: object) -> str:
    from .render import escape

    return escape(text)


# --------------------------------------------------------------------------- the front


def front_labels(network: Network, front: Front) -> list[str]:
    from .io import corridor_name

    return [f"{i}. {corridor_name(network, r)}" for i, r in enumerate(front.routes, 1)]


def front_map(network: Network, front: Front, *, m: folium.Map | None = None, title: str = "") -> folium.Map:
    """Draw every route of a front as a layer of its own (cheapest first); return the map."""
    from .render import route_map

    return route_map(network, list(front.routes), m=m, labels=front_labels(network, front), title=title)


def _nice_ticks(low: float, high: float, count: int = 5) -> list[float]:
    if high <= low:
        high = low + 1.0
    raw = (high - low) / count
    power = 10 ** math.floor(math.log10(raw))
    step = min((s * power for s in (1, 2, 2.5, 5, 10) if s * power >= raw), default=raw)
    ticks = [math.floor(low / step) * step]
    while ticks[-1] < high - 1e-9 * step:  # the last tick at or beyond the highest value
        ticks.append(round(ticks[-1] + step, 10))
    return ticks


def front_svg(network: Network, front: Front, *, title: str = "") -> str:
    """Return an SVG chart of a front: time (days) across, cost up, CO2 as the colour of each point."""
    width, height, left, right, top, bottom = 760, 460, 80, 190, 50, 60
    routes = front.routes
    days = [r.time_h / 24 for r in routes]
    costs = [r.cost_usd for r in routes]
    co2 = [r.co2_kg for r in routes]
    xt, yt = _nice_ticks(min(days), max(days)), _nice_ticks(min(costs), max(costs))
    x0, x1, y0, y1 = xt[0], xt[-1], yt[0], yt[-1]
    plot_w, plot_h = width - left - right, height - top - bottom

    def x(value: float) -> float:
        return left + (value - x0) / ((x1 - x0) or 1) * plot_w

    def y(value: float) -> float:
        return top + plot_h - (value - y0) / ((y1 - y0) or 1) * plot_h

    low, high = min(co2), max(co2)

    def colour(value: float) -> str:
        share = 0.0 if high == low else (value - low) / (high - low)
        return BAND_COLOURS[min(len(BAND_COLOURS) - 1, int(share * len(BAND_COLOURS)))]

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
        'font-family="Helvetica, Arial, sans-serif" font-size="12" role="img">',
        f"<title>{_escape(title or 'Trade-offs')}</title>",
        f'<text x="{left}" y="24" font-size="15" font-weight="bold">{_escape(title or "Trade-offs")}</text>',
        f'<rect x="{left}" y="{top}" width="{plot_w}" height="{plot_h}" fill="#fafafa" stroke="#999"/>',
    ]
    for tick in xt:
        parts.append(f'<line x1="{x(tick):.1f}" y1="{top}" x2="{x(tick):.1f}" y2="{top + plot_h}" stroke="#e3e3e3"/>')
        parts.append(f'<text x="{x(tick):.1f}" y="{top + plot_h + 18}" text-anchor="middle">{tick:g}</text>')
    for tick in yt:
        parts.append(f'<line x1="{left}" y1="{y(tick):.1f}" x2="{left + plot_w}" y2="{y(tick):.1f}" stroke="#e3e3e3"/>')
        parts.append(f'<text x="{left - 8}" y="{y(tick) + 4:.1f}" text-anchor="end">{tick:,.0f}</text>')
    parts.append(
        f'<text x="{left + plot_w / 2}" y="{height - 18}" text-anchor="middle">time (days)</text>'
        f'<text transform="translate(20 {top + plot_h / 2}) rotate(-90)" text-anchor="middle">'
        f"cost (USD{' per TEU' if routes[0].teu == 1 else f', {routes[0].teu:g} TEU'})</text>"
    )
    for i, route in enumerate(routes, 1):
        cx, cy = x(route.time_h / 24), y(route.cost_usd)
        tip = (
            f"{i}. {front_labels(network, front)[i - 1].split('. ', 1)[1]}: "
            f"{METRICS['time_h'].text(route.time_h)}, {METRICS['cost_usd'].text(route.cost_usd)}, "
            f"{METRICS['co2_kg'].text(route.co2_kg)} CO2, {METRICS['distance_km'].text(route.distance_km)}"
        )
        parts.append(
            f'<g class="front-point"><circle cx="{cx:.1f}" cy="{cy:.1f}" r="9" fill="{colour(route.co2_kg)}" '
            f'stroke="#222" stroke-width="1.5"><title>{_escape(tip)}</title></circle>'
            f'<text x="{cx:.1f}" y="{cy + 4:.1f}" text-anchor="middle" font-weight="bold">{i}</text></g>'
        )
    legend_x = left + plot_w + 20
    parts.append(f'<text x="{legend_x}" y="{top + 4}" font-weight="bold">CO2 (kg)</text>')
    for k, band in enumerate(BAND_COLOURS):
        value = low + (high - low) * k / len(BAND_COLOURS)
        parts.append(
            f'<rect x="{legend_x}" y="{top + 14 + k * 20}" width="16" height="14" fill="{band}" stroke="#555"/>'
            f'<text x="{legend_x + 22}" y="{top + 26 + k * 20}">from {value:,.0f}</text>'
        )
    parts.append("</svg>")
    return "\n".join(parts)


def front_html(network: Network, front: Front, *, title: str = "") -> str:
    """Return a self-contained HTML page: the front's chart and its table (no script, no CDN)."""
    from .io import corridor_name

    rows = "".join(
        f"<tr><td>{i}</td><td>{_escape(corridor_name(network, r))}</td>"
        + "".join(f"<td class='num'>{_escape(METRICS[m].text(getattr(r, m)))}</td>" for m in METRICS)
        + "</tr>"
        for i, r in enumerate(front.routes, 1)
    )
    note = "" if front.exact else f"<p>Approximate front: labels bounded, {front.epsilon:.0%} tolerance.</p>"
    heads = "".join(f"<th>{_escape(m.noun)}</th>" for m in METRICS.values())
    return (
        "<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'>"
        f"<title>{_escape(title or 'Trade-offs')}</title><style>"
        "body{font:14px/1.4 Helvetica,Arial,sans-serif;margin:24px;color:#222}"
        "table{border-collapse:collapse;margin-top:12px}td,th{padding:3px 10px;border-bottom:1px solid #ddd}"
        "td.num{text-align:right}</style></head><body>"
        f"{front_svg(network, front, title=title)}{note}"
        f"<table><thead><tr><th>#</th><th>route</th>{heads}</tr></thead><tbody>{rows}</tbody></table>"
        "</body></html>\n"
    )


def write_chart(path, text: str):
    """Write a chart atomically (a regular file or a new name); return the path."""
    from ._fs import check_output_path, write_atomic

    target = check_output_path(path, what="the chart")
    target.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(target, text.encode("utf-8"))
    return target


# --------------------------------------------------------------------------- legends


def _panel(m: folium.Map, html: str, *, summary: str = "Legend") -> None:
    from . import _leaflet
    from .render import LEGEND_CSS

    panel = _leaflet.Panel(css_class="corridor-legend", css=LEGEND_CSS, position="bottomleft", summary=summary)
    panel.sections.append(html)
    m.add_child(panel)


def _swatch_row(colour: str, text: str, *, dot: bool = False) -> str:
    shape = (
        f"<span class='dot' style='background:{colour};border-color:#333'></span>"
        if dot
        else f"<span class='swatch' style='border-color:{colour}'></span>"
    )
    return f"<div class='row'>{shape}{_escape(text)}</div>"


# --------------------------------------------------------------------------- criticality


def _impact_colour(rank: int, count: int, impact) -> str:
    if impact.cut_off:
        return CUT_OFF_COLOUR
    if impact.added <= 0:
        return NO_IMPACT_COLOUR
    share = rank / max(count, 1)  # 0 for the most critical
    return IMPACT_COLOURS[len(IMPACT_COLOURS) - 1 - min(len(IMPACT_COLOURS) - 1, int(share * len(IMPACT_COLOURS)))]


IMPACT_LEGEND = (
    (CUT_OFF_COLOUR, "cuts destinations off"),
    *zip(
        reversed(IMPACT_COLOURS),
        ("most critical fifth", "second fifth", "third fifth", "fourth fifth", "least"),
        strict=True,
    ),
    (NO_IMPACT_COLOUR, "no loss (an equal route exists)"),
)


def criticality_features(network: Network, result: Criticality, *, top: int | None = None) -> list[dict]:
    """Return the elements evaluated as GeoJSON features, most critical first, each with its colour.

    A place is a Point; a link is its drawn line; a passage, the lane segments through it (a
    MultiLineString, segments across the antimeridian left out). Coordinates are (lon, lat).
    """
    from .geometry import edge_coords, link_trace

    impacts = result.impacts[:top] if top else result.impacts
    ranked = [i for i in impacts if i.added > 0 or i.cut_off]
    features = []
    for position, impact in enumerate(impacts, 1):
        el = impact.element
        colour = _impact_colour(ranked.index(impact) if impact in ranked else len(ranked), len(ranked), impact)
        geometry: dict[str, Any]
        if el.kind == "link":
            geometry = {"type": "LineString", "coordinates": [list(p) for p in link_trace(network, el.id).coords]}
        elif el.kind == "passage":
            segments = []
            for e in el.edges:
                pts = edge_coords(network, e)
                if len(pts) >= 2 and abs(pts[0][0] - pts[-1][0]) < 180:
                    segments.append([list(p) for p in pts])
            geometry = {"type": "MultiLineString", "coordinates": segments}
        else:
            place = network.places[el.id]
            geometry = {"type": "Point", "coordinates": [place.lon, place.lat]}
        properties = {
            "rank": position,
            "kind": el.kind,
            "id": el.id,
            "name": el.name,
            "added": impact.added,
            "cut_off": impact.cut_off,
            "affected": impact.affected,
            "worst_destination": impact.worst,
            "color": colour,
            "prominent": impact in ranked[:5],
        }
        features.append({"type": "Feature", "geometry": geometry, "properties": properties})
    return features


def criticality_map(network: Network, result: Criticality, *, top: int | None = None, title: str = "") -> folium.Map:
    """Colour the elements evaluated by criticality: dark where closing them costs most; return the map."""
    import folium

    from . import _leaflet
    from .render import base_map, metric_text

    m = base_map()
    layers = {kind: folium.FeatureGroup(name=_escape(f"{kind}s"), show=True) for kind in ("link", "passage")}
    places = folium.FeatureGroup(name=_escape("places (gateways, borders, locks)"), show=True)
    points: list[tuple[float, float]] = []

    def describe(props: Mapping[str, Any]) -> str:
        added = props["added"]
        added_text = metric_text(result.objective, added) if result.objective in METRICS else f"{added:,.0f} USD"
        lines = [
            f"<b>#{props['rank']} {_escape(props['kind'])}: {_escape(props['name'])}</b> ({_escape(props['id'])})",
            f"added if closed: {_escape(added_text)}",
            f"destinations cut off: {props['cut_off']}; affected: {props['affected']}",
        ]
        if props["worst_destination"]:
            lines.append(f"worst hit: {_escape(props['worst_destination'])}")
        return "<div class='corridor-popup'>" + "<br>".join(lines) + "</div>"

    for feature in criticality_features(network, result, top=top):
        props, geometry = feature["properties"], feature["geometry"]
        html = describe(props)
        kind = props["kind"]
        if geometry["type"] == "Point":
            lon, lat = geometry["coordinates"]
            marker = folium.CircleMarker(
                (lat, lon), radius=8 if props["prominent"] else 5, color="#222222", weight=1,
                fill=True, fill_color=props["color"], fill_opacity=0.95,
                class_name=f"corridor-critical corridor-{kind}",
            )  # fmt: skip
            marker.add_child(_leaflet.BindTooltip(html))
            marker.add_to(places)
            points.append((lat, lon))
            continue
        lines = [geometry["coordinates"]] if geometry["type"] == "LineString" else geometry["coordinates"]
        for line in lines:
            segment = [(lat, lon) for lon, lat in line]
            polyline = folium.PolyLine(
                segment,
                color=props["color"],
                weight=6 if props["prominent"] else 4,
                opacity=0.9,
                class_name=f"corridor-critical corridor-{kind}",
            )
            polyline.add_child(_leaflet.BindTooltip(html))
            polyline.add_to(layers[kind])
            points.extend(segment)
    for layer in (*layers.values(), places):
        layer.add_to(m)
    rows = [_swatch_row(colour, text) for colour, text in IMPACT_LEGEND]
    heading = f"<h4>Criticality from {_escape(result.origin)}</h4>"
    detail = (
        f"<div class='totals'>{result.evaluated} element(s) closed in turn, ranked by "
        f"{'destinations cut off, then added total' if result.rank == 'cutoff' else 'added total'}</div>"
    )
    _panel(m, f"<div class='section'>{heading}{''.join(rows)}{detail}</div>")
    if points:
        lats = [p[0] for p in points]
        lons = [p[1] for p in points]
        m.fit_bounds([(min(lats), min(lons)), (max(lats), max(lons))], padding=(20, 20))
    _leaflet.layer_control_last(m)
    root: Any = m.get_root()
    root.title = _escape(title or f"Criticality from {result.origin}")
    return m


# --------------------------------------------------------------------------- reach


def bands(values: Sequence[float], count: int = 6) -> list[float]:
    """Return the upper bounds of `count` bands holding about as many values each, in round numbers."""
    ordered = sorted(v for v in values if math.isfinite(v))
    if not ordered:
        return [math.inf]
    bounds: list[float] = []
    for k in range(1, count):
        value = ordered[min(len(ordered) - 1, int(len(ordered) * k / count))]
        digits = max(0, 1 - math.floor(math.log10(abs(value))) if value else 0)
        rounded = round(value, digits) if value >= 1 else value
        rounded = float(f"{rounded:.2g}") if value >= 10 else rounded
        if not bounds or rounded > bounds[-1]:
            bounds.append(rounded)
    bounds.append(math.inf)
    return bounds


def band_of(value: float, bounds: Sequence[float]) -> int:
    for i, bound in enumerate(bounds):
        if value < bound:
            return i
    return len(bounds) - 1


def band_label(metric: str, low: float, high: float) -> str:
    """Label one band of `metric` (a METRICS key): 'under X', 'X to Y' or 'X and more'."""

    def text(v: float) -> str:
        if metric == "time_h":
            return f"{v / 24:,.1f} d"
        return METRICS[metric].text(v)

    if math.isinf(high):
        return f"{text(low)} and more"
    return f"{text(low)} to {text(high)}" if low else f"under {text(high)}"


def reach_by_country(
    rows: Sequence[Mapping[str, Any]], metric: str, countries: Mapping[str, str] | None = None
) -> list[dict]:
    """Return one record per country: places reached and the lowest, median and highest value of `metric`."""
    groups: dict[str, list[float]] = {}
    for row in rows:
        groups.setdefault(str(row["country"]), []).append(float(row[metric]))
    out = []
    for country, values in groups.items():
        out.append(
            {
                "country": country,
                "name": (countries or {}).get(country, ""),
                "places": len(values),
                f"min_{metric}": round(min(values), 2),
                f"median_{metric}": round(statistics.median(values), 2),
                f"max_{metric}": round(max(values), 2),
            }
        )
    out.sort(key=lambda r: (r[f"min_{metric}"], r["country"]))
    return out


def reach_map(
    network: Network, rows: Sequence[Mapping[str, Any]], *, metric: str, origin: str, title: str = ""
) -> folium.Map:
    """Draw every place reached, coloured by band of `metric`, with a legend and a table by country."""
    import folium

    from . import _leaflet
    from .render import base_map, metric_text

    m = base_map()
    bounds = bands([float(r[metric]) for r in rows], len(BAND_COLOURS))
    groups = [
        folium.FeatureGroup(name=_escape(band_label(metric, bounds[i - 1] if i else 0.0, bound)), show=True)
        for i, bound in enumerate(bounds)
    ]
    for row in rows:
        value = float(row[metric])
        band = band_of(value, bounds)
        place = network.places[str(row["id"])]
        marker = folium.CircleMarker(
            (place.lat, place.lon), radius=5, color="#333333", weight=1, fill=True,
            fill_color=BAND_COLOURS[band], fill_opacity=0.9, class_name="corridor-reached",
        )  # fmt: skip
        tip = f"<b>{_escape(row['name'])}</b> ({_escape(row['id'])}, {_escape(row['country'])})<br>" + "<br>".join(
            _escape(metric_text(m_, float(row[m_]))) for m_ in METRICS
        )
        marker.add_child(_leaflet.BindTooltip(tip))
        marker.add_to(groups[band])
    for group in groups:
        group.add_to(m)
    legend_rows = [
        _swatch_row(BAND_COLOURS[i], band_label(metric, bounds[i - 1] if i else 0.0, bound), dot=True)
        for i, bound in enumerate(bounds)
    ]
    table = reach_by_country(rows, metric, network.countries)
    cells = "".join(
        f"<tr><td>{_escape(r['country'])}</td><td>{_escape(r['name'])}</td><td class='num'>{r['places']}</td>"
        f"<td class='num'>{_escape(band_label(metric, 0.0, r[f'min_{metric}']).replace('under ', ''))}</td></tr>"
        for r in table
    )
    noun = METRICS[metric].noun
    _panel(
        m,
        f"<div class='section'><h4>Reach from {_escape(origin)}, by {_escape(noun)}</h4>{''.join(legend_rows)}"
        f"<div class='totals'>{len(rows)} places in {len(table)} countries</div></div>"
        f"<div class='section'><details><summary>By country (closest first)</summary>"
        f"<table class='corridor-countries'><tr><th>cc</th><th>country</th><th>places</th><th>nearest</th></tr>"
        f"{cells}</table></details></div>",
    )
    if rows:
        lats = [network.places[str(r["id"])].lat for r in rows]
        lons = [network.places[str(r["id"])].lon for r in rows]
        m.fit_bounds([(min(lats), min(lons)), (max(lats), max(lons))], padding=(20, 20))
    _leaflet.layer_control_last(m)
    root: Any = m.get_root()
    root.title = _escape(title or f"Reach from {origin}")
    return m
