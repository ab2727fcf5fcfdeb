"""Render routes, reach tables and places as JSON, GeoJSON, CSV and plain-text tables."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Mapping, Sequence

from .costing import METRICS
from .datasets import Place, cited_ids, is_estimate
from .geo import normalize_lon
from .geometry import leg_coords
from .network import Network
from .routing import BY, Reached, Route

DECIMALS = {"distance_km": 1, "time_h": 1, "cost_usd": 2, "co2_kg": 1}
METRIC_LABELS = {"distance_km": "shortest", "time_h": "fastest", "cost_usd": "cheapest", "co2_kg": "lowest-CO2"}


def _round(metric: str, value: float) -> float:
    return round(value, DECIMALS[metric])


def place_dict(place: Place) -> dict:
    return {"id": place.id, "name": place.name, "country": place.country, "lat": place.lat, "lon": place.lon}


def route_dict(network: Network, route: Route) -> dict:
    """Return a route as the JSON object of the CLI contract (legs sum exactly to totals)."""
    legs = []
    for leg in route.legs:
        entry = {
            "from": leg.from_id,
            "to": leg.to_id,
            "from_name": network.places[leg.from_id].name,
            "to_name": network.places[leg.to_id].name,
            "mode": leg.mode,
            "via": list(leg.via),
            "links": list(leg.links),
            "passages": list(leg.passages),
        }
        entry.update({m: _round(m, getattr(leg, m)) for m in METRICS})
        legs.append(entry)
    totals = {m: _round(m, sum(leg[m] for leg in legs)) for m in METRICS}
    return {
        "origin": place_dict(network.places[route.origin]),
        "destination": place_dict(network.places[route.destination]),
        "optimized_for": route.optimized_for,
        "teu": route.teu,
        "totals": totals,
        "legs": legs,
    }


def routes_dict(network: Network, routes: Sequence[Route]) -> dict:
    """Return the best route with its alternatives nested, as `route --format json` prints."""
    out = route_dict(network, routes[0])
    out["alternatives"] = [route_dict(network, r) for r in routes[1:]]
    return out


def compare_dict(network: Network, best: Mapping[str, Route]) -> dict:
    return {BY[by]: route_dict(network, route) for by, route in best.items()}


def dumps(data: object) -> str:
    """Serialise with sorted keys, as every JSON output of the CLI."""
    return json.dumps(data, sort_keys=True, indent=2, ensure_ascii=False)


def _as_lists(value):
    return [_as_lists(v) for v in value] if isinstance(value, (list, tuple)) else value


def line_geometry(coords: Sequence[Sequence[float]]) -> dict:
    """Return an RFC 7946 line: a LineString, or a MultiLineString split where it crosses the antimeridian."""
    import antimeridian

    plain = [[normalize_lon(lon), lat] for lon, lat in coords]
    fixed = antimeridian.fix_geojson({"type": "LineString", "coordinates": plain}, great_circle=False)
    return {"type": fixed["type"], "coordinates": _as_lists(fixed["coordinates"])}


def route_geojson(network: Network, routes: Sequence[Route]) -> dict:
    """Return a FeatureCollection: one line (or Point, for a transfer) per leg.

    Lines follow RFC 7946: a leg crossing the antimeridian is a MultiLineString split there.
    """
    features = []
    for rank, route in enumerate(routes):
        for index, leg in enumerate(route.legs):
            coords = leg_coords(network, leg)
            if len(coords) >= 2:
                geometry = line_geometry(coords)
            else:
                place = network.places[leg.from_id]
                geometry = {"type": "Point", "coordinates": [place.lon, place.lat]}
            properties = {
                "route": rank,
                "alternative": rank > 0,
                "leg": index,
                "mode": leg.mode,
                "from": leg.from_id,
                "to": leg.to_id,
                "from_name": network.places[leg.from_id].name,
                "to_name": network.places[leg.to_id].name,
                "optimized_for": route.optimized_for,
            }
            properties.update({m: _round(m, getattr(leg, m)) for m in METRICS})
            features.append({"type": "Feature", "geometry": geometry, "properties": properties})
    return {"type": "FeatureCollection", "features": features}


def reach_rows(network: Network, reached: Iterable[Reached]) -> list[dict]:
    return [
        {
            "id": r.place_id,
            "name": network.places[r.place_id].name,
            "country": network.places[r.place_id].country,
            **{m: _round(m, getattr(r, m)) for m in METRICS},
        }
        for r in reached
    ]


def place_row(place: Place) -> dict:
    return {
        "id": place.id,
        "name": place.name,
        "country": place.country,
        "lat": place.lat,
        "lon": place.lon,
        "kind": place.kind,
        "modes": list(place.modes),
    }


def to_csv(rows: Sequence[Mapping[str, object]], columns: Sequence[str]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([";".join(v) if isinstance(v, list) else v for v in (row[c] for c in columns)])
    return buffer.getvalue()


# --------------------------------------------------------------------------- text


def _fmt(metric: str, value: float) -> str:
    if metric == "distance_km":
        return f"{value:,.0f} km"
    if metric == "time_h":
        return f"{value:,.1f} h" if value < 48 else f"{value:,.0f} h ({value / 24:.1f} d)"
    if metric == "cost_usd":
        return f"${value:,.0f}"
    return f"{value:,.0f} kg"


def table(headers: Sequence[str], rows: Sequence[Sequence[str] | str], right: Iterable[int] = ()) -> str:
    """Return a plain-text table with aligned columns; a row given as a string is a note line."""
    right = set(right)
    widths = [len(h) for h in headers]
    for row in rows:
        if not isinstance(row, str):
            widths = [max(w, len(cell)) for w, cell in zip(widths, row, strict=True)]

    def line(cells: Sequence[str]) -> str:
        parts = [c.rjust(w) if i in right else c.ljust(w) for i, (c, w) in enumerate(zip(cells, widths, strict=True))]
        return "  ".join(parts).rstrip()

    indent = " " * (widths[0] + widths[1] + 4 if len(widths) > 2 else 2)
    lines = [r if isinstance(r, str) else line(r) for r in rows]
    lines = [indent + r if isinstance(row, str) else r for r, row in zip(lines, rows, strict=True)]
    return "\n".join([line(headers), line(["-" * w for w in widths]), *lines])


def _place_label(network: Network, pid: str) -> str:
    name = network.places[pid].name
    short = name.split(" (", 1)[0]
    return f"{short} ({pid})"


def route_text(network: Network, route: Route, *, title: str) -> str:
    """Return a route as a titled table of legs with its totals; via places on their own line."""
    rows: list[list[str] | str] = []
    for i, leg in enumerate(route.legs, 1):
        where = _place_label(network, leg.from_id)
        to = "" if leg.mode == "transfer" else _place_label(network, leg.to_id)
        rows.append([str(i), leg.mode, where, to, *(_fmt(m, getattr(leg, m)) for m in METRICS)])
        notes = []
        if leg.via:
            notes.append("via " + ", ".join(network.places[p].name.split(" (", 1)[0] for p in leg.via))
        if leg.passages:
            notes.append("through " + ", ".join(leg.passages))
        rows.extend(f"  {note}" for note in notes)
    rows.append(["", "total", "", "", *(_fmt(m, getattr(route, m)) for m in METRICS)])
    body = table(["#", "mode", "from", "to", "distance", "time", "cost", "CO2"], rows, right=(0, 4, 5, 6, 7))
    return f"{title}\n{body}"


def routes_text(network: Network, routes: Sequence[Route]) -> str:
    best = routes[0]
    label = METRIC_LABELS[best.optimized_for]
    teu = f", {best.teu:g} TEU" if best.teu != 1 else ""
    head = (
        f"{label.capitalize()} route from {network.places[best.origin].name} to "
        f"{network.places[best.destination].name} (by {best.optimized_for}{teu})"
    )
    parts = [route_text(network, best, title=head)]
    for n, alt in enumerate(routes[1:], 1):
        parts.append(route_text(network, alt, title=f"Alternative {n}: {corridor_name(network, alt)}"))
    return "\n\n".join(parts)


def corridor_name(network: Network, route: Route) -> str:
    """Return e.g. 'rail to Qinzhou Port, sea to Umm Qasr'."""
    steps = [f"{leg.mode} to {network.places[leg.to_id].name}" for leg in route.legs if leg.mode != "transfer"]
    return ", ".join(steps)


def compare_text(network: Network, best: Mapping[str, Route], *, origin: str, destination: str) -> str:
    rows = []
    for by, route in best.items():
        rows.append(
            [METRIC_LABELS[BY[by]], *(_fmt(m, getattr(route, m)) for m in METRICS), corridor_name(network, route)]
        )
    head = f"Best routes from {origin} to {destination}, one per metric"
    return head + "\n" + table(["best", "distance", "time", "cost", "CO2", "route"], rows, right=(1, 2, 3, 4))


def reach_text(rows: Sequence[Mapping[str, object]]) -> str:
    body = [
        [str(r["id"]), str(r["name"]), str(r["country"]), *(_fmt(m, r[m]) for m in METRICS)]  # type: ignore[arg-type]
        for r in rows
    ]
    return table(["id", "name", "country", "distance", "time", "cost", "CO2"], body, right=(3, 4, 5, 6))


def places_text(places: Sequence[Place]) -> str:
    body = [[p.id, p.name, p.country, p.kind, ",".join(p.modes), f"{p.lat:.4f}", f"{p.lon:.4f}"] for p in places]
    return table(["id", "name", "country", "kind", "modes", "lat", "lon"], body, right=(5, 6))


def cite(network: Network, source: str) -> str:
    """Return a source field with the documents it cites, marking estimates."""
    if not source:
        return "(no source given)"
    if is_estimate(source):
        return f"{source} [estimate]"
    refs = [
        f"[{key}] {network.sources[key].title} <{network.sources[key].url}>"
        for key in cited_ids(source, network.sources)
    ]
    return source if not refs else source + "\n" + "\n".join(f"                 {r}" for r in refs)


def place_text(network: Network, place: Place) -> str:
    params = network.parameters
    handling = params.handling(place)
    lines = [
        f"{place.name} ({place.id})",
        f"  country      {place.country} {network.countries.get(place.country, '')}".rstrip(),
        f"  kind         {place.kind}{'' if place.operational else ' (planned, not routable)'}",
        f"  modes        {', '.join(place.modes)}",
        f"  position     {place.lat:.4f}, {place.lon:.4f}  source: {cite(network, place.coord_source)}",
    ]
    if place.aliases:
        lines.append(f"  aliases      {'; '.join(place.aliases)}")
    if place.area:
        lines.append(f"  area         {place.area}")
    handling_source = place.handling_source or params.source("handling_h", place.kind)
    lines.append(
        f"  handling     {handling.time_h:g} h, ${handling.cost_usd:g} per TEU per transfer"
        f"  source: {cite(network, handling_source)}"
    )
    if place.dwell_h:
        lines.append(f"  dwell        {place.dwell_h:g} h on entry  source: {cite(network, place.dwell_source)}")
    if place.source:
        lines.append(f"  role         source: {cite(network, place.source)}")
    if place.notes:
        lines.append(f"  notes        {place.notes}")
    access = network.access.get(place.id)
    if access is not None:
        if access.nodes:
            lengths = ", ".join(f"{d:.1f} km" for _, d in access.nodes)
            lines.append(f"  sea access   {len(access.nodes)} edge(s) to the lanes: {lengths}")
        else:
            lines.append(f"  sea access   none: {access.problem}")
    links = [link for link in network.links.values() if place.id in (link.from_id, link.to_id)]
    for link in sorted(links, key=lambda link: link.id):
        other = link.to_id if link.from_id == place.id else link.from_id
        lines.append(f"  link         {link.mode} to {_place_label(network, other)} ({link.id})")
    return "\n".join(lines)
