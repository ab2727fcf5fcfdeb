"""Render routes, reach tables and places as JSON, GeoJSON, CSV and plain-text tables."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from ._table import Column, Note, plain_columns, table, terminal_width, wrap
from ._text import csv_text, plain_number
from .costing import METRICS
from .datasets import Place, cited_ids, is_estimate
from .errors import DataError, NoMatchError
from .geo import normalize_lon
from .graph import is_transit
from .network import Network, link_service
from .provenance import calls_on_the_way, customs_not_charged, fees_not_charged, leg_sources, not_charged_notes
from .registry import METRICS as METRIC_SPECS
from .routing import BY, CHANGES, Reached, Route

if TYPE_CHECKING:
    from .gazetteer import Target
    from .objectives import Prices
    from .scenarios import Disruption

DECIMALS = {name: spec.decimals for name, spec in METRIC_SPECS.items()}
METRIC_LABELS = {name: spec.best for name, spec in METRIC_SPECS.items()}
METRIC_LABELS["generalized_usd"] = "lowest generalised-cost"  # the derived objective of `objectives`
# What a route's JSON lists under `scenarios_in_force` (`scenarios.advisor`).
Advise = Callable[[Route], list[dict]]


def _round(metric: str, value: float) -> float:
    return round(value, DECIMALS[metric])


def place_dict(place: Place) -> dict:
    return {"id": place.id, "name": place.name, "country": place.country, "lat": place.lat, "lon": place.lon}


def route_dict(network: Network, route: Route, advise: Advise | None = None) -> dict:
    """Return a route as the JSON object of the CLI contract (legs sum exactly to totals).

    Each leg also says what happens on it (`activity`: transfer, transshipment, border crossing,
    break of gauge, import clearance), which ships carry it (`service`: mainline, feeder or ro-ro), its
    bad-case time `time_p90_h`, the hours a mainline voyage waits on arriving for a ship that calls
    there (`arrival_wait_h`, `Network.arrival_waits`), the `customs` cleared on it (country, direction, `time_h`,
    `cost_usd`, `at_crossing`; inside its figures: at a place where cargo leaves or boards a ship,
    or on a link that crosses a border, with `at_crossing` true and `time_h` 0 where the border
    crossing's time holds it), whether its cargo has cleared into the destination's customs
    territory before it (`cleared_before`: a coastal sailing inside it then clears none), and the
    `sources` of its figures, metric by metric. Given `advise` (`scenarios.advisor`), the route also lists the
    `scenarios_in_force` that meet it, which its figures do not apply.
    """
    legs: list[dict] = []
    for leg in route.legs:
        found_on = route.found_on(leg, network)  # the network it was found on (Network.domestic)
        entry: dict = {
            "from": leg.from_id,
            "to": leg.to_id,
            "from_name": network.places[leg.from_id].name,
            "to_name": network.places[leg.to_id].name,
            "mode": leg.mode,
            "via": list(leg.via),
            "links": [link for link in leg.links if not link.startswith(("feeder-", "service-"))],
            "passages": list(leg.passages),
            "calls_on_the_way": [call.passage for call in calls_on_the_way(found_on, leg)],
            "arrival_wait_h": _round("time_h", waited[1]) if (waited := found_on.arrival_wait(leg.edges)) else 0.0,
            "activity": leg.activity,
            "service": leg.service,
            "time_p90_h": _round("time_h", leg.time_p90_h),
            "customs": [_customs_dict(network, c, route.teu) for c in found_on.customs_charged(leg.edges)],
            "cleared_before": leg.cleared,
            "sources": leg_sources(found_on, leg),
        }
        entry.update({m: _round(m, getattr(leg, m)) for m in METRICS})
        legs.append(entry)
    totals = {m: _round(m, sum(leg[m] for leg in legs)) for m in METRICS}
    totals["time_p90_h"] = _round("time_h", route.time_p90_h)
    return {
        "origin": place_dict(network.places[route.origin]),
        "destination": place_dict(network.places[route.destination]),
        "optimized_for": route.optimized_for,
        "teu": route.teu,
        "totals": totals,
        "legs": legs,
        "customs_not_charged": [
            {"place": pid, "country": country, "direction": kind}
            for pid, country, kind in customs_not_charged(network, route)
        ],
        "border_fees_not_charged": [
            {"place": pid, "mode": mode, "crossing": network.operations.crossings[(pid, mode)].name}
            for pid, mode in fees_not_charged(network, route)
        ],
        **({"scenarios_in_force": advise(route)} if advise is not None else {}),
    }


def _customs_dict(network: Network, cleared, teu: float) -> dict:
    """One clearance a link charges, as a leg's `customs` lists it."""
    return {
        "country": cleared.country(network.places),
        "direction": cleared.direction,
        "time_h": _round("time_h", cleared.h),
        "cost_usd": _round("cost_usd", cleared.usd * teu),
        "at_crossing": cleared.at_crossing,
    }


def routes_dict(network: Network, routes: Sequence[Route], advise: Advise | None = None) -> dict:
    """Return the best route with its alternatives nested, as `route --format json` prints."""
    out = route_dict(network, routes[0], advise)
    out["alternatives"] = [route_dict(network, r, advise) for r in routes[1:]]
    return out


def compare_dict(network: Network, best: Mapping[str, Route], advise: Advise | None = None) -> dict:
    return {BY[by]: route_dict(network, route, advise) for by, route in best.items()}


def dumps(data: object, *, indent: int | None = 2) -> str:
    """Serialise with sorted keys, as every JSON output of the CLI; NaN and infinity are refused.

    They are not JSON: a figure that overflowed (a huge --teu) raises DataError instead.
    `indent=None` writes the same document compactly, several times faster (the server's answers).
    """
    separators = (",", ": ") if indent is not None else (",", ":")
    try:
        return json.dumps(
            data, sort_keys=True, indent=indent, separators=separators, ensure_ascii=False, allow_nan=False
        )
    except ValueError:
        raise DataError("a figure of the result is not a finite number, which JSON cannot hold") from None


def _as_lists(value):
    return [_as_lists(v) for v in value] if isinstance(value, (list, tuple)) else value


def line_geometry(coords: Sequence[Sequence[float]]) -> dict:
    """Return an RFC 7946 line: a LineString, or a MultiLineString split where it crosses the antimeridian."""
    import antimeridian

    # A longitude already in range stays as it is: normalising it would add rounding error.
    plain = [[lon if -180.0 <= lon <= 180.0 else normalize_lon(lon), lat] for lon, lat in coords]
    fixed = antimeridian.fix_geojson({"type": "LineString", "coordinates": plain}, great_circle=False)
    if fixed["type"] == "MultiLineString":
        # A line that starts or ends on the antimeridian itself leaves a part of one point twice
        # at the split (zero length, an invalid geometry): drop such parts.
        parts = [part for part in _as_lists(fixed["coordinates"]) if len({tuple(p) for p in part}) > 1]
        if len(parts) == 1:
            return {"type": "LineString", "coordinates": parts[0]}
        if parts:
            return {"type": "MultiLineString", "coordinates": parts}
    return {"type": fixed["type"], "coordinates": _as_lists(fixed["coordinates"])}


def route_geojson(network: Network, routes: Sequence[Route]) -> dict:
    """Return a FeatureCollection: one line (or Point, for a transfer) per leg.

    Lines follow RFC 7946: a leg crossing the antimeridian is a MultiLineString split there.
    """
    from .geometry import leg_coords

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
            properties["text"] = figures_text(leg)
            features.append({"type": "Feature", "geometry": geometry, "properties": properties})
    # Each route's totals as the CLI's table shows them: summing the legs' rounded figures can
    # come out one unit apart (a foreign member, as RFC 7946 allows).
    totals = [{"route": rank, "text": figures_text(route)} for rank, route in enumerate(routes)]
    return {"type": "FeatureCollection", "features": features, "routes": totals}


def figures_text(item: object) -> str:
    """Return a leg's or a route's four figures as text shows them: '1,406 km, 2.3 d, $1,743, 211 kg CO2'."""
    return ", ".join(_fmt(m, getattr(item, m)) for m in METRICS) + " CO2"


def reach_in_country(network: Network, rows: list[dict], country: str, origin: str) -> list[dict]:
    """Keep the reach rows of a country given by code or name (`gazetteer.country_code`); raise
    NoMatchError when none is reached, UsageError when the country is none."""
    from .gazetteer import country_code, country_label

    code = country_code(country, network.countries)
    kept = [r for r in rows if r["country"] == code]
    if not kept:
        label = country_label(network.countries, code)
        raise NoMatchError(f"no place in {label} is reachable from {origin} with these options", "country")
    return kept


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


def sort_reach_rows(
    rows: list[dict], reached: Iterable[Reached], sort: str, *, prices: Prices | None = None, teu: float = 1.0
) -> None:
    """Sort reach rows in place on the exact figure `sort` names (a metric, generalized with
    `prices`, or name or country), then the id: the rows' figures are rounded, and ordering on
    them would list places that round alike by id, not in the order `corridor.reach()` gives."""
    exact = {r.place_id: r for r in reached}

    def key(row: dict) -> tuple:
        found = exact[row["id"]]
        if sort == "generalized" and prices is not None:
            return prices.of(found.cost_usd, found.time_h, found.co2_kg, teu=teu), row["id"]
        return (getattr(found, BY[sort]) if sort in BY else row[sort]), row["id"]

    rows.sort(key=key)


MATRIX_COLUMNS = ["origin", "destination", "destination_id", *METRICS]


def matrix_rows(
    network: Network, origins: Sequence[str], destinations: Sequence[str], rows: Sequence[Sequence[Reached | None]]
) -> list[dict]:
    """Return a matrix in long format: one record per origin and destination, None totals where
    unreachable. `destination_id` is the place reached, or where none is, the place the
    destination names (`Matrix.destination_ids`; None for an area)."""
    named = getattr(rows, "destination_ids", None) or [None] * len(destinations)
    at_origin = iter(matrix_at_origin(network, origins, destinations, rows))
    records = []
    for origin, row in zip(origins, rows, strict=True):
        for destination, cell, place_id in zip(destinations, row, named, strict=True):
            record: dict = {"origin": origin, "destination": destination, "destination_id": place_id}
            if cell is not None:
                record["destination_id"] = cell.place_id
            here = next(at_origin)
            record.update({m: 0.0 if here else None if cell is None else _round(m, getattr(cell, m)) for m in METRICS})
            records.append(record)
    return records


def matrix_at_origin(
    network: Network, origins: Sequence[str], destinations: Sequence[str], rows: Sequence[Sequence[Reached | None]]
) -> list[bool]:
    """Return, pair by pair in long format, whether the destination is the origin itself (its place,
    or places of its area): there already, not out of reach, so `corridor matrix` gives it totals 0."""
    ids = _place_sets(network, [*origins, *destinations])
    return [
        cell is None and ids[_name(destination)] <= ids[_name(origin)]
        for origin, row in zip(origins, rows, strict=True)
        for destination, cell in zip(destinations, row, strict=True)
    ]


def _name(place) -> str:
    return place if isinstance(place, str) else place.label


def _place_sets(network: Network, named: Sequence) -> dict[str, frozenset[str]]:
    """Each name's places as the gazetteer resolves it (a resolved Target's own), once per name."""
    out: dict[str, frozenset[str]] = {}
    for place in named:
        key = _name(place)
        if key not in out:
            target = place if not isinstance(place, str) else network.gazetteer.resolve(place)
            out[key] = frozenset(target.place_ids)
    return out


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
    """Return rows as CSV with a header; text a spreadsheet would run as a formula is neutralised."""
    body = (
        ["" if v is None else ";".join(v) if isinstance(v, list) else v for v in (row[c] for c in columns)]
        for row in rows
    )
    return csv_text([columns, *body])


# --------------------------------------------------------------------------- text

TEXT_LIMIT = 50  # rows of a long list shown as text unless --limit or --all says otherwise


def _fmt(metric: str, value: float) -> str:
    return METRIC_SPECS[metric].text(value)


def _metric_columns() -> list[Column]:
    return [Column(METRIC_SPECS[m].noun, right=True) for m in METRICS]


def _place_label(network: Network, pid: str) -> str:
    return f"{network.places[pid].short_name} ({pid})"


def route_text(network: Network, route: Route, *, title: str, width: int | None = None) -> str:
    """Return a route as a titled table of legs with its totals; via places on their own line."""
    rows: list[list[str] | Note] = []
    for i, leg in enumerate(route.legs, 1):
        where, to = _place_label(network, leg.from_id), leg_to(leg, lambda pid: _place_label(network, pid))
        rows.append([str(i), leg_label(leg), where, to, *(_fmt(m, getattr(leg, m)) for m in METRICS)])
        rows.extend(Note(said) for said in leg_notes(network, route, leg))
    rows.append(["", "total", "", "", *(_fmt(m, getattr(route, m)) for m in METRICS)])
    rows.append(["", "bad case", "", "", "", _fmt("time_h", route.time_p90_h), "", ""])
    columns = [
        Column("#", right=True), Column("mode", wrap=True, min_width=9), Column("from", wrap=True, min_width=12),
        Column("to", wrap=True, min_width=12), *_metric_columns(),
    ]  # fmt: skip
    body = table(columns, rows, width=width)
    footer = footer_lines([*not_charged_notes(network, [route]), BAD_CASE_NOTE], width)
    return "\n".join([*wrap(title, width or terminal_width()), body, *footer])


BAD_CASE_NOTE = "bad case: the time at the 90th percentile of waits, queues, clearance and congestion"


def leg_to(leg, label: Callable[[str], str]) -> str:
    """Say what a table's "to" column says of a leg: the place it reaches, what a transfer or a
    transshipment changes between, nothing for what happens at one place (a border, a clearance)."""
    if leg.activity in CHANGES and leg.from_mode:
        return f"{leg.from_mode} to {leg.to_mode}"
    return "" if leg.mode == "transfer" else label(leg.to_id)


def leg_notes(network: Network, route: Route, leg) -> list[str]:
    """Say what a leg's row does not: the places it runs via, the passages it sails through and
    the calls it makes on the way, and the customs cleared inside its figures."""
    notes = []
    if leg.via:
        notes.append("via " + ", ".join(network.places[p].short_name for p in leg.via))
    found_on = route.found_on(leg, network)  # the network it was found on (Network.domestic)
    services = [name for name in (service_name(found_on, link) for link in leg.links) if name]
    if services:
        notes.append("on " + ", then ".join(dict.fromkeys(services)))
    calls = calls_on_the_way(found_on, leg)
    waited = found_on.arrival_wait(leg.edges)
    if waited is not None:
        place, hours = waited
        weekly = found_on.parameters.sea_departures(found_on.places[place])[0]
        notes.append(
            f"waits {_fmt('time_h', hours)} more for a ship that calls at {network.places[place].short_name} "
            f"({weekly:g} sailings a week)"
        )
    sailed = [f"through {', '.join(leg.passages)}"] if leg.passages else []
    sailed += [_calls_text(network, calls)] if calls else []
    if sailed:
        notes.append("; ".join(sailed))
    customs = found_on.customs_charged(leg.edges)
    if customs and leg.activity != "import clearance":  # that row says it already
        said = ", ".join(clearance_text(network, c, route.teu) for c in customs)
        notes.append(f"with customs{'' if leg.activity else ' on the way'}: {said}")
    if leg.cleared and leg.mode == "sea":
        territory = network.territory(network.places[route.destination].country)
        name = network.countries.get(territory, territory)
        union = territory in network.customs_unions.values()  # the EU, not a country
        notes.append(f"already cleared into {'the ' if union else ''}{name}'s customs territory: none at either end")
    return notes


def service_name(network: Network, link_id: str) -> str:
    """The name of the published service a sea link of the build sails on (`link_service`); empty for others."""
    service = link_service(network.operations, link_id)
    return (service.name or service.id) if service is not None else ""


def footer_lines(notes: Iterable[str], width: int | None) -> list[str]:
    """The lines of the notes under a table, each wrapped; an empty note is left out."""
    return [line for note in notes if note for line in wrap(note, width or terminal_width())]


def _calls_text(network: Network, calls: Sequence) -> str:
    """Say the calls on the way a leg makes: 'calls on the way at a South China hub, a Strait of
    Malacca hub and Jebel Ali'."""
    said = [
        network.places[call.ports[0]].short_name if len(call.ports) == 1 else f"a {call.name} hub" for call in calls
    ]
    listed = ", ".join(said[:-1]) + " and " + said[-1] if len(said) > 1 else said[0]
    return "calls on the way at " + listed


def clearance_text(network: Network, cleared, teu: float) -> str:
    """Say one clearance charged, as 'China export clearance 1 h, $256' (in days from one day),
    or at a border crossing whose time holds it, 'China export clearance $256 (its time is in the
    border crossing)'."""
    country = cleared.country(network.places)
    name = network.countries.get(country, country)
    cost = _fmt("cost_usd", cleared.usd * teu)
    if cleared.at_crossing:
        return f"{name} {cleared.direction} clearance {cost} (its time is in the border crossing)"
    time = _hours_text(cleared.h) if cleared.h < 24 else _fmt("time_h", cleared.h)
    return f"{name} {cleared.direction} clearance {time}, {cost}"


def leg_label(leg: Route | object) -> str:
    """Return how a leg is named in tables: its mode, its service at sea, or what happens on it."""
    activity = getattr(leg, "activity", "")
    if activity and activity != "transfer":
        return activity
    service = getattr(leg, "service", "")
    mode = getattr(leg, "mode", "")
    return f"{mode} ({service})" if service in ("feeder", "ro-ro") else mode


def _per(teu: float) -> str:
    return f", for {plain_number(teu)} TEU" if teu != 1 else ""


def routes_text(network: Network, routes: Sequence[Route], *, width: int | None = None) -> str:
    best = routes[0]
    label = METRIC_LABELS[best.optimized_for]  # generalized_usd too (route --by generalized)
    head = (
        f"{label.capitalize()} route from {network.places[best.origin].name} to "
        f"{network.places[best.destination].name}{_per(best.teu)}"
    )
    parts = [route_text(network, best, title=head, width=width)]
    for n, alt in enumerate(routes[1:], 1):
        title = f"Alternative {n}: {corridor_name(network, alt)}"
        parts.append(route_text(network, alt, title=title, width=width))
    return "\n\n".join(parts)


def corridor_name(network: Network, route: Route) -> str:
    """Return e.g. 'rail to Qinzhou Port, sea to Umm Qasr'."""
    steps = [f"{leg.mode} to {network.places[leg.to_id].name}" for leg in route.legs if leg.mode != "transfer"]
    return ", ".join(steps)


def compare_text(
    network: Network, best: Mapping[str, Route], *, origin: str, destination: str, width: int | None = None
) -> str:
    rows: list[list[str] | Note] = []
    for by, route in best.items():
        name = METRIC_SPECS[BY[by]].best
        rows.append([name, *(_fmt(m, getattr(route, m)) for m in METRICS), corridor_name(network, route)])
    teu = _per(next(iter(best.values())).teu) if best else ""
    head = f"Best routes from {origin} to {destination}, one per metric{teu}"
    columns = [Column("best"), *_metric_columns(), Column("route", wrap=True, min_width=16)]
    footer = footer_lines(not_charged_notes(network, best.values()), width)
    return "\n".join([*wrap(head, width or terminal_width()), table(columns, rows, width=width), *footer])


def reach_text(rows: Sequence[Mapping[str, object]], *, width: int | None = None) -> str:
    body: list[list[str] | Note] = [
        [str(r["id"]), str(r["name"]), str(r["country"]), *(_fmt(m, r[m]) for m in METRICS)]  # type: ignore[arg-type]
        for r in rows
    ]
    columns = [Column("id"), Column("name", wrap=True, min_width=12), Column("country", drop=1), *_metric_columns()]
    return table(columns, body, width=width)


def places_text(places: Sequence[Place], *, width: int | None = None) -> str:
    body: list[list[str] | Note] = [
        [p.id, p.name, p.country, p.kind, ",".join(p.modes), f"{p.lat:.4f}", f"{p.lon:.4f}"] for p in places
    ]
    columns = [
        Column("id"), Column("name", wrap=True, min_width=14), Column("country"), Column("kind", drop=1),
        Column("modes"), Column("lat", right=True, drop=2), Column("lon", right=True, drop=2),
    ]  # fmt: skip
    return table(columns, body, width=width)


def cite(network: Network, source: str) -> str:
    """Return a source field with the documents it cites, marking estimates."""
    return "\n".join(_citation(network, source))


def _citation(network: Network, source: str) -> list[str]:
    """Return a source field, then one line per document of sources.csv it cites."""
    if not source:
        return ["(no source given)"]
    if is_estimate(source):
        return [f"{source} [estimate]"]
    refs = [
        f"[{key}] {network.sources[key].title} <{network.sources[key].url}>"
        for key in cited_ids(source, network.sources)
    ]
    return [source, *refs]


TRANSSHIP_COLUMNS = ("transship_h", "transship_h_p90", "transship_usd")


@dataclass(frozen=True)
class PlaceFigure:
    """A figure a route charges at a place, as `ports show` gives it: its label, the figure in
    words, its source field (a document id first, or `estimate`; empty for a rule of the model)
    and the exact numbers, as JSON gives them."""

    key: str
    text: str
    source: str
    numbers: Mapping[str, float | str]

    def as_dict(self) -> dict:
        return {"figure": self.key, "text": self.text, "source": self.source, **self.numbers}


def _source_parts(joined: str, *columns: str) -> str:
    """Return the parts of a table row's joined sources (`services._sourced`: "column: source; ...")
    that cite `columns`, joined the same way."""
    parts = re.split(r"; (?=[a-z_0-9]+: )", joined) if joined else []
    return "; ".join(part for part in parts if part.split(": ", 1)[0] in columns)


def _hours_text(typical: float, p90: float | None = None) -> str:
    bad = f" (bad case {p90:g} h)" if p90 is not None and p90 != typical else ""
    return f"{typical:g} h{bad}"


def place_figures(network: Network, place: Place) -> list[PlaceFigure]:
    """Return what routes charge at a place, each figure with its source: handling, dwell and its
    bad case, and for a seaport its class of ships, mainline departures, transshipment, calls on
    the way, the published services that call there and customs clearance; for a border place,
    each crossing and break of gauge."""
    return [
        *_handling_figures(network, place),
        *_seaport_figures(network, place),
        *_service_figures(network, place),
        *_border_figures(network, place),
        *_clearance_figures(network, place),
    ]


def _handling_figures(network: Network, place: Place) -> list[PlaceFigure]:
    params = network.parameters
    handling = params.handling(place)
    time_source, cost_source = params.handling_sources(place)
    fee = f"{_fmt('cost_usd', handling.cost_usd)} per TEU per transfer"
    if time_source == cost_source:
        numbers = {"handling_h": handling.time_h, "handling_usd": handling.cost_usd}
        out = [PlaceFigure("handling", f"{handling.time_h:g} h, {fee}", time_source, numbers)]
    else:
        hours = f"{handling.time_h:g} h per transfer"
        out = [
            PlaceFigure("handling", hours, time_source, {"handling_h": handling.time_h}),
            PlaceFigure("handling fee", fee, cost_source, {"handling_usd": handling.cost_usd}),
        ]
    if place.dwell_h:
        out.append(
            PlaceFigure("dwell", f"{place.dwell_h:g} h on entry", place.dwell_source, {"dwell_h": place.dwell_h})
        )
    spread = network.operations.spreads.get(place.id)
    if spread is not None:
        text = f"{spread.p90_h:g} h at the 90th percentile (typical {spread.typical_h:g} h)"
        numbers = {"typical_h": spread.typical_h, "p90_h": spread.p90_h}
        out.append(PlaceFigure("dwell bad case", text, spread.source, numbers))
    return out


def _seaport_figures(network: Network, place: Place) -> list[PlaceFigure]:
    """A seaport that joins the lanes: its class of ships and, where mainline ships call, the
    transshipment to feeders, the departures a week and the calls on the way made there."""
    sea_class = network.sea_classes.get(place.id)
    if not sea_class:
        return []
    params, ops = network.parameters, network.operations
    hub = ops.hubs.get(place.id)
    if hub is not None:
        text, source = f"{hub.role}, called by {sea_class} ships", _source_parts(hub.source, "class")
        out = [PlaceFigure("sea class", text, source, {"sea_class": sea_class, "role": hub.role})]
    else:
        text = f"{sea_class}: {_sea_class_rule(network, place)}"
        out = [PlaceFigure("sea class", text, "", {"sea_class": sea_class})]
    if sea_class != "mainline":
        return out
    # Feeders change ship at mainline ports: at the port's own figures (sea/hubs.csv) or the defaults.
    change = params.transship(hub)
    p90 = change.time_h + params.transship_spread_h(hub)
    if hub is not None and hub.transship_h is not None:
        source = _source_parts(hub.source, *TRANSSHIP_COLUMNS)
    else:
        source = "; ".join(f"{name}: {params.source(name, 'all')}" for name in TRANSSHIP_COLUMNS)
    fee = _fmt("cost_usd", change.cost_usd)
    text = f"{_hours_text(change.time_h, p90)}, {fee} per TEU between mainline and feeder ships"
    numbers = {"transship_h": change.time_h, "transship_h_p90": p90, "transship_usd": change.cost_usd}
    out.append(PlaceFigure("transshipment", text, source, numbers))
    per_week, source = params.sea_departures(place)
    wait = params.sea_departures_wait_h(place)
    text = f"{per_week:g} a week: a wait of {wait:.1f} h on average for a mainline sailing"
    arriving = network.arrival_waits.get(place.id, 0.0)
    if arriving:  # a ship that calls here is rarer than the busiest ports' (`mainline_arrival_waits`)
        text += f"; a voyage here from a busier port waits {arriving:.1f} h more on arriving"
    numbers = {"per_week": per_week, "wait_h": wait, "arrival_wait_h": arriving}
    out.append(PlaceFigure("departures", text, source, numbers))
    for call in ops.way_calls.values():
        if place.id in call.ports:
            hours = _hours_text(call.call_h, call.call_h_p90)
            text = f"{call.name or call.passage}: mainline ships call on the way, {hours}"
            passage: dict[str, float | str] = {
                "passage": call.passage,
                "call_h": call.call_h,
                "call_h_p90": call.call_h_p90,
            }
            out.append(PlaceFigure("call on the way", text, call.source, passage))
    return out


def _service_figures(network: Network, place: Place) -> list[PlaceFigure]:
    """Each published service of sea/services.csv that calls at the place: its class, departures a
    week and calls in order; one that is not operational is listed but not routed."""
    out = []
    for service in network.operations.services:
        if place.id not in service.ports:
            continue
        calls = " - ".join(network.places[p].short_name for p in service.ports if p in network.places)
        status = "" if service.operational else f"; {service.status}, not routed"
        text = f"{service.name or service.id} ({service.vessel_class}), {service.frequency_per_week:g} a week: {calls}"
        numbers: dict[str, float | str] = {
            "service": service.id,
            "vessel_class": service.vessel_class,
            "per_week": service.frequency_per_week,
            "status": service.status,
        }
        out.append(PlaceFigure("service", text + status, service.source, numbers))
    return out


def _border_figures(network: Network, place: Place) -> list[PlaceFigure]:
    """Each crossing of a border at the place, by mode, with its break of gauge."""
    out = []
    for (pid, mode), crossing in sorted(network.operations.crossings.items()):
        if pid != place.id:
            continue
        said = []
        if crossing.crossing_h or crossing.crossing_h_p90 or not crossing.gauge_break:
            said.append(_hours_text(crossing.crossing_h, crossing.crossing_h_p90))
        if crossing.cost_given:
            said.append(f"{_fmt('cost_usd', crossing.cost_usd)} per TEU")
        elif place.kind == "border":
            said.append("no fee figures (none charged)")
        numbers: dict[str, float | str | bool] = {
            "mode": mode, "crossing_h": crossing.crossing_h, "crossing_h_p90": crossing.crossing_h_p90,
            "cost_usd": crossing.cost_usd, "fees_given": crossing.cost_given,
        }  # fmt: skip
        if crossing.gauge_break:
            said.append(f"break of gauge: {crossing.lift_h:g} h, {_fmt('cost_usd', crossing.lift_usd)} per TEU to lift")
            numbers.update(lift_h=crossing.lift_h, lift_usd=crossing.lift_usd)
        entering = crossing.entry_clearance
        if entering:
            numbers["entry_clearance"] = entering
            found = network.clearance_of(replace(place, country=entering), "import")
            country = network.countries.get(entering, entering)
            said.append(
                f"cargo entering {country} here is charged its import clearance on the way in"
                + (f" ({clearance_text(network, found, 1.0)})" if found is not None else "")
            )
        if place.kind == "border":
            said.append(
                "both countries' customs: their cost charged (clearance.csv), their hours in this time"
                + (", but for the import above" if entering else "")
            )
        text = f"{crossing.name or place.name}: {', '.join(said)}"
        out.append(PlaceFigure(f"border ({mode})", text, crossing.source, numbers))
    return out


def _clearance_figures(network: Network, place: Place) -> list[PlaceFigure]:
    """Customs clearance charged at the place (`network.clearance_at`): at a seaport its country's
    figures on leaving and boarding a ship (or its customs union's), and the transit declaration
    of cargo crossing the country (`network.transit_places`); at an inland terminal, its own
    import row, charged on the land link that enters its country (`network.customs_due`)."""
    ops = network.operations
    lookup = network.clearance_of
    out = []
    for direction in ("import", "export"):
        if "sea" in place.modes:
            found = lookup(place, direction)
            when = "on leaving a ship" if direction == "import" else "on boarding a ship"
        else:
            found = ops.clearance.get((place.id, direction)) if direction == "import" else None
            when = (
                f"for cargo entering {network.countries.get(place.country, place.country)} over a land border: its "
                "cost on the link that crosses, whose border crossing's time holds the hours (in full where the "
                "crossing's entry_clearance names the country)"
            )
        if found is None:
            continue
        text = f"{_hours_text(found.h, found.h_p90)}, {_fmt('cost_usd', found.usd)} per TEU, {when}"
        country = network.countries.get(place.country, place.country)
        if found.for_country:  # a customs union's figures (`network.clearance_lookup`)
            union = network.customs_unions[place.country]
            text += f" (the figures of {found.place_id}, for every seaport of the {union} without a row of its own)"
        elif found.place_id != place.id:
            text += f" (the figures of {found.place_id}, for every seaport of {country})"
        elif found.scope == "port":
            text += f" (this port's own; {country}'s other seaports charge the country figure)"
        if found.includes_handling:
            text += "; the port's handling included, not charged again on a transfer"
        numbers = {"h": found.h, "h_p90": found.h_p90, "usd": found.usd}
        out.append(PlaceFigure(f"{direction} clearance", text, found.source, numbers))
    core = network.core
    in_transit = core.in_graph(place.id) and any(is_transit(core.layer(n)) for n in core.place_nodes(place.id))
    if "sea" in place.modes and in_transit:
        found = network.parameters.transit(place)
        country = network.countries.get(place.country, place.country)
        text = (
            f"{_hours_text(found.h, found.h_p90)}, {_fmt('cost_usd', found.usd)} per TEU, for cargo crossing {country} "
            "in transit between a ship and land, instead of its import or export clearance"
        )
        numbers = {"h": found.h, "h_p90": found.h_p90, "usd": found.usd}
        out.append(PlaceFigure("transit clearance", text, found.source, numbers))
    return out


def _sea_class_rule(network: Network, place: Place) -> str:
    """Say why a seaport without a row in sea/hubs.csv has its class (`network.sea_class`)."""
    services = [s.id for s in network.operations.services if s.vessel_class == "mainline" and place.id in s.ports]
    if services:
        return f"called by the mainline service(s) {', '.join(services)} of sea/services.csv"
    if place.origin == "curated":
        return (
            "a seaport of the curated table or one added to it, which sails the lanes unless sea/hubs.csv says feeder"
        )
    depth = network.parameters.value("mainline_min_depth_m", "all", 11.0)
    size = (place.harbor_size or "unknown").replace("_", " ")
    deep = f"{place.depth_m:g} m" if place.depth_m is not None else "unknown depth"
    return (
        f"World Port Index harbour {size}, {deep} (mainline needs a large or medium harbour at least {depth:g} m deep)"
    )


def places_shown(network: Network, target: Target, fmt: str) -> object:
    """Return what `ports show` gives for a resolved name (and the API for `/api/places/{name}`):
    the text of each place, or its JSON object (a list of them for an area)."""
    places = [network.places[pid] for pid in target.place_ids]
    if fmt == "text":
        return "\n\n".join(place_text(network, place) for place in places)
    rows = [place_show_dict(network, place) for place in places]
    return rows if target.is_area else rows[0]


def place_show_dict(network: Network, place: Place) -> dict:
    """Return everything about a place as `ports show --format json` (and the API) give it."""
    row = place_row(place)
    row.update(
        aliases=list(place.aliases), area=place.area, status=place.status, coord_source=place.coord_source,
        codes_beside=[{"unlocode": code, "name": name} for code, name in network.gazetteer.codes_beside(place.id)],
        source=place.source, notes=place.notes, routable=network.routable(place.id),
        figures=[figure.as_dict() for figure in place_figures(network, place)],
    )  # fmt: skip
    return row


def place_text(network: Network, place: Place, *, width: int | None = None) -> str:
    """Return everything about a place, one fact a line (wrapped to `width`), each figure with its sources."""
    width = width or terminal_width()
    facts: list[tuple[str, str, str]] = [  # (key, value, source field)
        ("country", f"{place.country} {network.countries.get(place.country, '')}".rstrip(), ""),
        ("kind", f"{place.kind}{'' if place.operational else ' (planned, not routable)'}", ""),
        ("modes", ", ".join(place.modes), ""),
        ("position", f"{place.lat:.4f}, {place.lon:.4f}", place.coord_source or " "),
    ]
    if place.aliases:
        facts.append(("aliases", "; ".join(place.aliases), ""))
    beside = network.gazetteer.codes_beside(place.id)
    if beside:
        said = "; ".join(f"{code} ({name})" for code, name in beside)
        them = "it" if len(beside) == 1 else "them"
        facts.append(("other codes", f"{said}: UN/LOCODE lists {them} beside this place under its name", ""))
    if place.area:
        facts.append(("area", place.area, ""))
    # A figure's empty source is a rule of the model (a seaport's class), not a missing citation.
    facts += [(f.key, f.text, f.source or ("" if f.key == "sea class" else " ")) for f in place_figures(network, place)]
    if place.source:
        facts.append(("role", "", place.source))
    if place.notes:
        facts.append(("notes", place.notes, ""))
    access = network.access.get(place.id)
    if access is not None:
        if access.nodes:
            own = access.own_joints()
            lengths = ", ".join(METRIC_SPECS["distance_km"].text(d) for _, d, _ in own)
            past = f" (and {access.past} along the lanes past a call on the way)" if access.past else ""
            facts.append(("sea access", f"{len(own)} edge(s) to the lanes: {lengths}{past}", ""))
        else:
            facts.append(("sea access", f"none: {access.problem}", ""))
    links = [link for link in network.links.values() if place.id in (link.from_id, link.to_id)]
    for link in sorted(links, key=lambda link: link.id):
        other = link.to_id if link.from_id == place.id else link.from_id
        customs = {"cleared": "; clears customs on the way", "included": "; its time includes customs"}
        said = f"{link.mode} to {_place_label(network, other)} ({link.id}{customs.get(link.customs, '')})"
        facts.append(("link", said, ""))
    lines = [f"{place.name} ({place.id})"]
    key_width = max(13, *(len(key) + 1 for key, _, _ in facts))
    for key, value, source in facts:
        indent, hanging = f"  {key:<{key_width}}", " " * (key_width + 2)
        if source:
            cited = _citation(network, source.strip())
            value = f"{value}  source: {cited[0]}" if value else f"source: {cited[0]}"
            lines += wrap(value, width, indent=indent, hanging=hanging)
            for ref in cited[1:]:
                lines += wrap(ref, width, indent=hanging + "  ", hanging=hanging + "    ")
        else:
            lines += wrap(value, width, indent=indent, hanging=hanging)
    return "\n".join(lines)


# --------------------------------------------------------------------------- generalised cost and scenarios
# What `route --by generalized`, `compare` and `scenario compare` print, for the CLI and the server alike.


def prices_text(prices: Prices) -> str:
    """Return the prices of the generalised cost in words."""
    return (
        f"cargo ${prices.cargo_value_usd:,.0f} per TEU at {prices.holding_rate_per_day:.4%} a day = "
        f"${prices.usd_per_hour:,.2f} per hour, CO2 ${prices.co2_price_usd_per_t:,.0f} per t"
    )


def generalized_routes_dict(
    network: Network, routes: Sequence[Route], prices: Prices, advise: Advise | None = None
) -> dict:
    """Return routes as `route --by generalized --format json` prints them: each total with its generalised cost."""
    data = routes_dict(network, routes, advise)
    for entry, route in zip([data, *data["alternatives"]], routes, strict=True):
        entry["totals"]["generalized_usd"] = round(prices.route(route), 2)
    data["prices"] = prices.as_dict()
    return data


def generalized_routes_text(network: Network, routes: Sequence[Route], prices: Prices) -> str:
    """Return routes as `route --by generalized` prints them: the tables, then each generalised cost."""
    costs = ", ".join(f"${prices.route(r):,.0f}" for r in routes)
    return f"{routes_text(network, routes)}\n\ngeneralised cost ({prices_text(prices)}): {costs}"


def generalized_compare_dict(
    network: Network, best: Mapping[str, Route], prices: Prices, advise: Advise | None = None
) -> dict:
    """Return `compare --format json`: the best route per metric and by generalised cost, each with that cost."""
    metrics = {by: route for by, route in best.items() if by != "generalized"}
    data = compare_dict(network, metrics, advise)
    data["generalized_usd"] = route_dict(network, best["generalized"], advise)
    for key, route in zip(data, [*metrics.values(), best["generalized"]], strict=True):
        data[key]["totals"]["generalized_usd"] = round(prices.route(route), 2)
    data["generalized_usd"]["prices"] = prices.as_dict()
    return data


def generalized_compare_text(
    network: Network, best: Mapping[str, Route], prices: Prices, *, origin: str, destination: str
) -> str:
    """Return what `compare` prints: one row per metric and one by generalised cost, with the prices."""
    rows: list[list[str] | Note] = []
    labels = {by: METRIC_LABELS[BY[by]] for by in best if by != "generalized"}
    labels["generalized"] = "lowest generalised"
    for by, route in best.items():
        rows.append(
            [labels[by], *(_fmt(m, getattr(route, m)) for m in METRICS), f"${prices.route(route):,.0f}",
             corridor_name(network, route)]
        )  # fmt: skip
    head = f"Best routes from {origin} to {destination}, one per metric"
    body = table(
        plain_columns(
            ["best", "distance", "time", "cost", "CO2", "generalised", "route"], right=(1, 2, 3, 4, 5), wrap=(6,)
        ),
        rows,
    )
    note = f"generalised cost = cost + time x value + CO2 x price ({prices_text(prices)})"
    footer = footer_lines([*not_charged_notes(network, best.values()), note], None)
    return "\n".join([*wrap(head, terminal_width()), body, *footer])


def scenario_compare_dict(
    base: Network, disruption: Disruption, before: Route, after: Route | None, prices: Prices, why: str = ""
) -> dict:
    """Return `scenario compare --format json`: the best route without and with a scenario, and the change.

    `after` is None when the scenario leaves no route; `why` then says what blocks it.
    """
    data: dict = {"scenario": disruption.scenario.name, "title": disruption.scenario.title,
                  "optimized_for": before.optimized_for}  # fmt: skip
    data["base"] = route_dict(base, before)
    data["scenario_route"] = route_dict(disruption.network, after) if after is not None else None
    data["time_spread_h"] = round(disruption.route_spread_h(after) if after is not None else 0.0, 1)
    if after is not None:
        # The change between the totals printed beside it, so that it is their difference to the last digit.
        totals = data["base"]["totals"], data["scenario_route"]["totals"]
        data["delta"] = {m: _round(m, totals[1][m] - totals[0][m]) for m in METRICS}
        data["delta"]["generalized_usd"] = round(prices.route(after) - prices.route(before), 2)
    else:
        data["delta"] = None
        data["no_route"] = why
    return data


def scenario_compare_text(
    base: Network, disruption: Disruption, before: Route, after: Route | None, prices: Prices, *, origin: str,
    destination: str, why: str = "",
) -> str:  # fmt: skip
    """Return what `scenario compare` prints: the totals side by side, the change, and both corridors."""
    name = disruption.scenario.name
    rows: list[list[str] | Note] = []
    for m, metric in METRIC_SPECS.items():
        b = getattr(before, m)
        a = getattr(after, m) if after is not None else None
        delta = "" if a is None else (("+" if a - b >= 0 else "-") + metric.text(abs(a - b)))
        rows.append([metric.noun, metric.text(b), "no route" if a is None else metric.text(a), delta])
    gb = prices.route(before)
    ga = prices.route(after) if after is not None else None
    rows.append(["generalised", f"${gb:,.0f}", "no route" if ga is None else f"${ga:,.0f}",
                 "" if ga is None else f"{'+' if ga >= gb else '-'}${abs(ga - gb):,.0f}"])  # fmt: skip
    head = f"{origin} to {destination}: base network and scenario {name} ({disruption.scenario.title})"
    lines = [head, table(plain_columns(["", "base", name, "change"], right=(1, 2, 3)), rows)]
    lines.append(f"base:     {corridor_name(base, before)}")
    if after is not None:
        lines.append(f"{name}: {corridor_name(disruption.network, after)}")
        spread = disruption.route_spread_h(after)
        if spread:
            lines.append(f"time spread under the scenario: +/- {spread:,.0f} h (the delays' spreads added up)")
    else:
        lines.append(f"{name}: {why}")
    lines += footer_lines(not_charged_notes(base, [before, *([after] if after is not None else [])]), None)
    return "\n".join(lines)
