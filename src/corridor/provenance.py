"""Where every figure of a route comes from: the sources behind each leg's distance, time, cost and CO2.

Each source is the text of a source field of the data: either the id of a document in
sources.csv with a remark (`S10`, `S30;S37 (2 days, was 5)`) or a statement that the figure is
an estimate (`estimate: ...`).
"""

from __future__ import annotations

import weakref

from .graph import ROLE_CODE, Role
from .network import SEA_FAMILY, Network, clearance_direction, crosses_gate
from .registry import METRIC_NAMES
from .routing import Leg

BOARD, ALIGHT, THROUGH, TRANSFER, LINK, LANE, ACCESS = (
    ROLE_CODE[r] for r in (Role.BOARD, Role.ALIGHT, Role.THROUGH, Role.TRANSFER, Role.LINK, Role.LANE, Role.ACCESS)
)


# Per network (by id, dropped with it): (place id, mode) -> the frequency sources of the links of that mode at
# that place, in link order.
_FREQUENCIES: dict[int, dict[tuple[str, str], list[str]]] = {}


def _frequency_sources(network: Network) -> dict[tuple[str, str], list[str]]:
    """Index, by place and mode, the sources of the wait for a departure there, once per network
    (there are thousands of sea links): the frequency sources of the links whose departures set
    it, the most frequent (`Network.waits`, as the build charges it); an empty list where a link
    whose published time includes its wait sets it (no wait); no entry where the mode's default
    frequency does."""
    found = _FREQUENCIES.get(id(network))
    if found is None:
        found = {}
        params = network.parameters
        for link in (*network.links.values(), *network.sea_links.values()):
            own = link.time_includes_wait or link.frequency_per_week is not None
            for pid in (link.from_id,) if link.one_way else dict.fromkeys((link.from_id, link.to_id)):
                wait = network.waits.get((pid, link.mode))
                if own and wait is not None and params.link_wait_h(link) <= wait:
                    cited = [] if link.time_includes_wait or not link.frequency_source else [link.frequency_source]
                    found.setdefault((pid, link.mode), []).extend(cited)
        _FREQUENCIES[id(network)] = found
        weakref.finalize(network, _FREQUENCIES.pop, id(network), None)
    return found


def _calls_across(network: Network, edge: int) -> list:
    """The calls on the way one of whose gates a lane edge crosses (`network.way_call_segments`)."""
    a, b = network.coords(network.core.tail[edge]), network.coords(network.core.head[edge])
    calls = network.operations.way_calls.values()
    return [c for c in calls if any(crosses_gate(a, b, gate) for gate in c.gates)]


def _slower_than_sailing(network: Network, edge: int, sailing_h_per_km: float) -> bool:
    """Whether a lane edge takes longer than sailing it: a canal transit or a call on the way is
    charged on it (`network.canal_segments`, `network.way_call_segments`)."""
    core = network.core
    return core.weights["time_h"][edge] - core.weights["distance_km"][edge] * sailing_h_per_km > 1e-6


def calls_on_the_way(network: Network, leg: Leg) -> list:
    """The calls on the way a sea leg pays (sea/calls_on_the_way.csv), in the order it pays them:
    those whose gate a lane edge of the leg crosses and is charged for."""
    core, ops = network.core, network.operations
    if not ops.way_calls:
        return []
    sailing_h_per_km = network.parameters.sailing("sea", 1.0).time_h
    found: dict[str, object] = {}
    for e in leg.edges:
        if core.role[e] != LANE:
            continue
        if _slower_than_sailing(network, e, sailing_h_per_km):
            found.update((call.passage, call) for call in _calls_across(network, e))
    return list(found.values())


def leg_sources(network: Network, leg: Leg) -> dict[str, list[str]]:
    """Return, for each of the four metrics, the sources of the figures that make it up on this leg."""
    core, params, ops = network.core, network.parameters, network.operations
    found: dict[str, dict[str, None]] = {m: {} for m in METRIC_NAMES}

    def add(metric: str, *sources: str) -> None:
        for source in sources:
            if source:
                found[metric][source] = None

    def parameter(metric: str, name: str, scope: str) -> None:
        add(metric, params.source(name, scope) and f"{name} {scope}: {params.source(name, scope)}")

    def factor(mode: str, vessel_class: str = "") -> None:
        parameter("co2_kg", *params.co2_factor(mode, vessel_class)[1])
        parameter("co2_kg", "payload_t_per_teu", "all")

    lanes_done = False
    canal_of_tag = ops.canals_by_tag()
    sailing_h_per_km = params.sailing("sea", 1.0).time_h
    for e in leg.edges:
        role = core.role[e]
        # A canal's transit is charged on one lane segment inside it, a call on the way on the
        # segments across its gate.
        if role == LANE and (canal_of_tag or ops.way_calls) and _slower_than_sailing(network, e, sailing_h_per_km):
            canal = canal_of_tag.get(core.passages[core.passage[e]])
            if canal is not None:
                add("time_h", f"{canal.name or canal.passage} transit: {canal.source}")
            for call in _calls_across(network, e):
                at = f"one of {', '.join(call.ports)}" if len(call.ports) > 1 else call.ports[0]
                add("time_h", f"{call.name or call.passage}: a call on the way at {at}: {call.source}")
        if role in (LANE, ACCESS):
            # A sea leg has hundreds of lane edges, each citing the same sources: the first says it all.
            if role == LANE and lanes_done:
                continue
            lanes_done = lanes_done or role == LANE
            add("distance_km", "estimate: along the sea lanes (searoute marnet with this dataset's corrections)")
            parameter("time_h", "speed_kmh", "sea")
            arrived = core.node_place_id(core.head[e]) if role == ACCESS else None
            if arrived:
                parameter("time_h", "port_call_h", "sea")
                if network.arrival_waits.get(arrived):  # waiting for a ship that calls there
                    add("time_h", params.sea_departures(network.places[arrived])[1])
            parameter("cost_usd", "cost_usd_per_teu_km", "sea")
            factor("sea")
            continue
        mode = core.edge(e).mode
        place_id = core.node_place_id(core.tail[e]) or core.node_place_id(core.head[e])
        place = network.places[place_id] if place_id else None
        if role == LINK:
            link = network.link(core.link_ids[core.link[e]])
            add("distance_km", link.distance_source or f"estimate: measured along the link x circuity {mode}")
            add("time_h", link.time_source or params.source("speed_kmh", mode), link.frequency_source)
            parameter("cost_usd", "cost_usd_per_teu_km", mode)
            factor(mode, link.vessel_class)
            for customs in network.clearance_on(e):
                if not customs.at_crossing:  # at a border crossing its hours are the crossing's
                    add("time_h", customs.source)
                add("cost_usd", customs.source)
        elif place is not None:
            to_mode = core.edge(e).head.mode if role in (THROUGH, TRANSFER) else mode  # type: ignore[union-attr]
            # Staying aboard through a place waits and pays for no departure, except on a feeder,
            # where it means changing ship (the build's THROUGH edges).
            if role in (BOARD, TRANSFER) or (role == THROUGH and to_mode == "feeder"):
                if to_mode == "sea":
                    add("time_h", params.sea_departures(place)[1])
                else:
                    waited = _frequency_sources(network).get((place.id, to_mode))
                    if waited is None:  # the mode's default frequency sets the wait
                        parameter("time_h", "frequency_per_week", to_mode)
                    else:
                        add("time_h", *waited)
                parameter("cost_usd", "cost_usd_per_leg", to_mode)
            if role == TRANSFER:
                modes = {core.edge(e).tail.mode, core.edge(e).head.mode}  # type: ignore[union-attr]
                hub = ops.hubs.get(place.id)
                if modes == {"sea", "feeder"}:
                    add("time_h", hub.source if hub else params.source("transship_h", "all"))
                    add("cost_usd", hub.source if hub else params.source("transship_usd", "all"))
                else:
                    time_source, cost_source = params.handling_sources(place)
                    add("time_h", time_source)
                    add("cost_usd", cost_source)
            if role in (THROUGH, TRANSFER) and place.dwell_h:
                add("time_h", place.dwell_source)
            crossing = ops.crossings.get((place.id, to_mode)) if role in (THROUGH, TRANSFER) else None
            if crossing is not None:
                add("time_h", crossing.source)
                if crossing.cost_given or crossing.gauge_break:  # its fees, or its gauge change's lift
                    add("cost_usd", crossing.source)
                if not crossing.cost_given and place.kind == "border":
                    add("cost_usd", "no fee figures for this border: none charged")
            # Clearance as the build charges it (`clearance_at`): import on leaving a ship, export
            # on boarding a ship from land; none inside the country of a domestic shipment
            # (`Network.domestic`).
            cleared = network.clearance_at_place(e)
            if cleared is not None:
                add("time_h", cleared.source)
                add("cost_usd", cleared.source)
    return {metric: list(sources) for metric, sources in found.items() if sources}


def customs_not_charged(network: Network, route) -> list[tuple[str, str, str]]:
    """Return (place id, country, "import" or "transit") of each customs entry the route's cargo
    makes that the data has no figure for (data/clearance.csv, `clearance_lookup`), so the
    totals leave it out.

    Cargo for abroad enters customs where it leaves a ship in a country other than its origin's,
    or on a link that crosses a customs border and owes the import of the country it enters
    (`Network.customs_due_on`: the barges to Hong Kong, a train or a lorry through a border
    crossing): an import in the destination's customs territory, a transit in a third one
    (Aqaba on the way to Iraq). A country with an import figure is charged it there, one without
    is charged nothing, and this says so. A route inside one country clears nothing.
    """
    network = route.network or network  # the network it was found on (Network.domestic)
    places = network.places
    territory = network.territory
    home = territory(places[route.origin].country)
    destination = places[route.destination].country
    if territory(destination) == home:
        return []
    moving = [leg for leg in route.legs if not leg.activity]
    out: list[tuple[str, str, str]] = []

    def entered(place) -> None:
        if network.clearance_of(place, "import") is None:
            kind = "import" if territory(place.country) == territory(destination) else "transit"
            out.append((place.id, place.country, kind))

    for leg, later in zip(moving, [*moving[1:], None], strict=True):
        for e in leg.edges:
            for place, direction in network.customs_due_on(e):
                if direction == "import":
                    entered(place)
        place = places[leg.to_id]
        onto_ship = later is not None and later.mode in SEA_FAMILY
        leaves_ship = clearance_direction(leg.mode in SEA_FAMILY, onto_ship) == "import"
        if leaves_ship and territory(place.country) != home:
            entered(place)
    return list(dict.fromkeys(out))


def not_charged_text(network: Network, entries: list[tuple[str, str, str]]) -> str:
    """Say customs entries without a figure (`customs_not_charged`): 'customs not charged:
    Belgium import at Antwerpen (no clearance figures in the data)'; empty if none."""
    if not entries:
        return ""
    said = ", ".join(
        f"{network.countries.get(country, country)} {kind} at {network.places[pid].short_name}"
        for pid, country, kind in entries
    )
    return f"customs not charged: {said} (no clearance figures in the data)"


def fees_not_charged(network: Network, route) -> list[tuple[str, str]]:
    """Return (place id, mode) of each border the route crosses whose fees the data does not
    give (borders.csv `cost_usd` empty), so the totals charge none there; in route order.

    The crossing's time is charged wherever the row gives it; a place that only changes gauge
    (not a border) charges its lift and has no fees to speak of.
    """
    network = route.network or network
    core, crossings = network.core, network.operations.crossings
    out: list[tuple[str, str]] = []
    for leg in route.legs:
        for e in leg.edges:
            if core.role[e] not in (THROUGH, TRANSFER):
                continue
            place_id = core.node_place_id(core.tail[e])
            if place_id is None:
                continue
            mode = core.edge(e).head.mode  # type: ignore[union-attr]
            crossing = crossings.get((place_id, mode))
            if crossing is not None and not crossing.cost_given and network.places[place_id].kind == "border":
                out.append((place_id, mode))
    return list(dict.fromkeys(out))


def not_charged_notes(network: Network, routes) -> list[str]:
    """Say what any of these routes crosses without a figure, once each, in order: customs
    entries without clearance figures (`customs_not_charged`) and borders without published
    fees (`fees_not_charged`); a note each, none if there is nothing to say."""
    routes = list(routes)
    customs = dict.fromkeys(item for route in routes for item in customs_not_charged(network, route))
    fees = dict.fromkeys(item for route in routes for item in fees_not_charged(network, route))
    return [note for note in (not_charged_text(network, list(customs)), fees_text(network, list(fees))) if note]


def fees_text(network: Network, entries: list[tuple[str, str]]) -> str:
    """Say borders crossed without a fee figure (`fees_not_charged`): 'border fees not charged:
    Mohan-Boten by road (no fee figures in the data)'; empty if none."""
    if not entries:
        return ""
    ops = network.operations
    said = ", ".join(f"{ops.crossings[key].name or network.places[key[0]].short_name} by {key[1]}" for key in entries)
    return f"border fees not charged: {said} (no fee figures in the data)"
