"""Build the multimodal network of a dataset: places by mode, transfers, links, sea lanes and access.

The network is compiled once into flat arrays (`graph.Graph`) that the search core runs on and
the cache stores; `Network.graph` offers the same network as a networkx MultiDiGraph for
analysis, built on first use.
"""

from __future__ import annotations

import itertools
import logging
import math
import os
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field, fields, replace
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .costing import Metrics, Parameters
from .datasets import PARAMETERS_FILE, Dataset, Link, Place, dataset_dir, load_dataset
from .errors import DataError, UsageError
from .gazetteer import Gazetteer, Target
from .geo import KM_PER_NM, haversine_km, segments_meet
from .graph import MODE_CODE, ROLE_CODE, Graph, GraphBuilder, Kind, Role, is_transit, require_valid, transit_layer
from .registry import METRIC_NAMES, MODE_NAMES, MODES, SERVICE_MODES
from .sealanes import (
    PASSAGES,
    Access,
    LandMask,
    SeaDistances,
    attach_ports,
    join_near_misses,
    read_lanes,
    round_coasts,
)
from .services import Canal, Clearance, Operations, Service, WayCall, check_references, read_operations

if TYPE_CHECKING:
    import geopandas as gpd
    import networkx as nx

    from .engine import Masks
    from .tracks import Trace

log = logging.getLogger(__name__)
KM_PER_DEGREE = 111.0  # of latitude, about
ZONE_SEARCH_PAD_DEG = 10.0  # how far beyond a call's zone the way past it may sail

NO_ACCESS = Access("", ())
# A link through several sea passages carries them joined by this in one passage code.
PASSAGE_JOIN = "+"
# Ports and terminals this close to one another form one gateway region (see Network.region_of).
GATEWAY_REGION_KM = 150.0
# Feeders serve a feeder port from the nearest container port of the mainline network, wherever
# it is, and from up to this many of the nearest within FEEDER_REACH_KM along the lanes and no
# more than FEEDER_NEAR_RATIO times as far as the nearest.
FEEDER_MAINLINE_PORTS = 3
FEEDER_REACH_KM = 10_000.0
FEEDER_NEAR_RATIO = 1.5


# Of routes the same length, the shortest route is the faster: the distance of an edge that
# moves carries a millionth of a kilometre per hour it takes (under a metre on any route; a
# transfer, a wait or a crossing stays 0 km). Without it, the shortest route from Guiyang to
# Singapore could as well take the weekly liner from Qinzhou (11.3 days) as the mainline sailing
# on the same lanes (9.8 days, cheaper and lower in CO2).
DISTANCE_TIE_PER_H = 1e-6


def _metrics(m: Metrics) -> tuple[float, ...]:
    """An edge's weights, in METRIC_NAMES order, a move's distance with `DISTANCE_TIE_PER_H` of its time."""
    tie = DISTANCE_TIE_PER_H * m.time_h if m.distance_km > 0 else 0.0
    return tuple(m.distance_km + tie if name == "distance_km" else getattr(m, name) for name in METRIC_NAMES)


@dataclass
class Network:
    """The compiled network with the places, links and lanes it came from."""

    core: Graph
    places: Mapping[str, Place]
    links: dict[str, Link]  # the curated rail, river and road links
    parameters: Parameters
    lane_coords: list[tuple[float, float]]
    access: Mapping[str, Access]
    root: Path
    sources: dict = field(default_factory=dict)
    countries: dict[str, str] = field(default_factory=dict)
    customs_unions: dict[str, str] = field(default_factory=dict)  # country -> its union (Dataset)
    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    fingerprint: str = ""
    data_digests: dict[str, str] | None = None  # a packaged network: its data files' SHA-256 (cache.data_digests)
    gazetteer_index: dict | None = field(default=None, repr=False)  # the gazetteer's index, from a cache
    operations: Operations = field(default_factory=Operations, repr=False)  # services, hubs, borders, clearance
    sea_classes: dict[str, str] = field(default_factory=dict, repr=False)  # seaport id -> mainline | feeder
    # The sea links the build makes: feeders to the nearest mainline container port and hub, and the
    # published services between their calls; and the passages each goes through.
    sea_links: Mapping[str, Link] = field(default_factory=dict, repr=False)
    passages_of: Mapping[str, tuple[str, ...]] = field(default_factory=dict, repr=False)
    # The mean wait for a departure when boarding a mode at a place: (place, mode) -> hours.
    waits: Mapping[tuple[str, str], float] = field(default_factory=dict, repr=False)
    # The country whose seaports charge no clearance in this network (see `domestic`), else "".
    cleared_inside: str = field(default="", repr=False)
    # Lane nodes from this index on are rounding corners (`corridor.rounding`): searched, not drawn.
    corners_from: int | None = field(default=None, repr=False)
    # The scenario whose changes this network's weights carry (`scenarios.apply_scenario`), else "".
    scenario_name: str = field(default="", repr=False)
    # The country of each place of the graph, by its index (`core.place_ids`), as the cache keeps
    # it so that finding a place's territory decodes no place (`place_territory`); empty for a
    # network built from its data, whose places are at hand.
    place_countries: list[str] = field(default_factory=list, repr=False)

    def place_country(self, index: int) -> str:
        """Return the country of the graph's place at `index`."""
        return self.place_countries[index] if self.place_countries else self.places[self.core.place_ids[index]].country

    def place_territory(self, index: int) -> str:
        """Return the customs territory of the graph's place at `index` (`territory`)."""
        return self.territory(self.place_country(index))

    def link(self, link_id: str) -> Link:
        """Return a link of the graph by id: a curated link or a sea link the build made."""
        found = self.links.get(link_id) or self.sea_links.get(link_id)
        if found is None:
            raise KeyError(link_id)
        return found

    def _link_ends(self, edge: int) -> tuple[Link, Place, Place, bool, bool] | None:
        """Return a curated link's edge as (link, tail place, head place, from transit, into
        transit), or None for any other edge. Only a curated link can cross a customs border by
        land: the sea links the build makes clear customs at their ports (and are not decoded from
        the cache for this)."""
        core = self.core
        if core.link[edge] < 0:
            return None
        link = self.links.get(core.link_ids[core.link[edge]])
        tail, head = core.node_place_id(core.tail[edge]), core.node_place_id(core.head[edge])
        if link is None or tail is None or head is None:
            return None
        from_transit, into_transit = is_transit(core.layer(core.tail[edge])), is_transit(core.layer(core.head[edge]))
        return link, self.places[tail], self.places[head], from_transit, into_transit

    def clearance_on(self, edge: int) -> list[Clearance]:
        """Return the clearance charged on an edge along a link that crosses a customs border
        (`link_clearance`): by itself (`Link.customs` "cleared"), through a border crossing (its
        cost), or into a country whose crossing charges its import clearance to cargo entering
        (`Crossing.entry_clearance`)."""
        ends = self._link_ends(edge)
        if ends is None:
            return []
        link, start, end, from_transit, into_transit = ends
        return link_clearance(
            link, start, end, self.operations, self.clearance_of, unions=self.customs_unions,
            from_transit=from_transit, into_transit=into_transit,
        )  # fmt: skip

    def customs_due_on(self, edge: int) -> list[tuple[Place, str]]:
        """Return (place, direction) of each clearance a link edge owes as it crosses a customs
        border (`customs_due`), whether clearance.csv has its figure or not: the place left for
        an export, the place entered for an import."""
        ends = self._link_ends(edge)
        if ends is None:
            return []
        link, start, end, from_transit, into_transit = ends
        due = customs_due(
            link, start, end, self.operations, unions=self.customs_unions, from_transit=from_transit,
            into_transit=into_transit,
        )  # fmt: skip
        return [(start if direction == "export" else end, direction) for direction, _ in due]

    def clearance_along(self, edges: Iterable[int]) -> list[Clearance]:
        """Return the clearance charged on these edges (`clearance_on`), in order."""
        return [c for e in edges for c in self.clearance_on(e)]

    def clearance_at_place(self, edge: int) -> Clearance | None:
        """Return the clearance charged on a place's edge where cargo leaves a ship or boards one
        from land (`clearance_at`, as the build charges it), or the transit declaration of cargo
        between a ship and the transit layer (`transit_places`); None elsewhere, and inside the
        country a domestic route's network leaves uncharged (`domestic`)."""
        core = self.core
        role = core.role[edge]
        if role != ALIGHT and role != TRANSFER:
            return None
        place_id = core.node_place_id(core.tail[edge])
        if place_id is None or self.territory(self.places[place_id].country) == self.cleared_inside:
            return None
        to_sea = role == TRANSFER and core.node_mode[core.head[edge]] in SEA_CODES
        from_sea = core.node_mode[core.tail[edge]] in SEA_CODES
        if is_transit(core.layer(core.tail[edge])) or is_transit(core.layer(core.head[edge])):
            # Cargo in transit (`transit_places`) declares its transit between a ship and land.
            return self.parameters.transit(self.places[place_id]) if from_sea or to_sea else None
        return clearance_at(self.clearance_of, self.places[place_id], from_sea, to_sea)

    def customs_charged(self, edges: Iterable[int]) -> list[Clearance]:
        """Return every clearance charged on these edges, in order: at places (`clearance_at_place`)
        and on links that cross a border by themselves (`clearance_on`)."""
        out: list[Clearance] = []
        for e in edges:
            at_place = self.clearance_at_place(e)
            if at_place is not None:
                out.append(at_place)
            out += self.clearance_on(e)
        return out

    @cached_property
    def arrival_waits(self) -> dict[str, float]:
        """What a mainline voyage waits on arriving at a port beyond its boarding wait: place id ->
        hours (`mainline_arrival_waits`, from the mainline ports' `waits`, as the build charges it)."""
        return mainline_arrival_waits(mainline_waits(self.waits, self.sea_classes))

    def sea_arrivals(self, edges: Iterable[int]) -> Iterator[str]:
        """Yield, in order, the ports where the mainline voyages among these edges arrive (their
        access edges from a lane point into a port)."""
        core, access = self.core, ROLE_CODE[Role.ACCESS]
        for e in edges:
            if core.role[e] == access and (place := core.node_place_id(core.head[e])) is not None:
                yield place

    def arrival_wait(self, edges: Iterable[int]) -> tuple[str, float] | None:
        """Return the port and hours of the wait charged where a mainline voyage among these edges
        arrives (`mainline_arrival_waits`), or None where none is."""
        for place in self.sea_arrivals(edges):
            if self.arrival_waits.get(place):
                return place, self.arrival_waits[place]
        return None

    @cached_property
    def passing(self) -> dict[str, list[int]]:
        """The link edges that run through each place without stopping there (`Link.passes`):
        a curated through service, or a sea service's calls on the way."""
        core = self.core
        out: dict[str, list[int]] = {}
        for e in core.edges_with_role(Role.LINK):
            for pid in self.link(core.link_ids[core.link[e]]).passes:
                out.setdefault(pid, []).append(e)
        return out

    def closing_passes(self, edge_ok: bytes | bytearray, place_ids: Iterable[str]) -> bytes | bytearray:
        """Return `edge_ok` without the links that run through these places (`passing`)."""
        from .engine import with_edges

        return with_edges(edge_ok, (e for pid in place_ids for e in self.passing.get(pid, ())), False)

    @cached_property
    def clearance_of(self):
        """The clearance charged at a place in a direction (`clearance_lookup`), made once."""
        return clearance_lookup(self.operations, self.places, self.customs_unions)

    def sea_path(
        self, start: str, end: str, *, avoid: Iterable[str] = ()
    ) -> tuple[float, list[tuple[float, float]]] | None:
        """Return the distance and the (lon, lat) line of the shortest way by sea between two
        seaports along the lanes (access included), whatever ships sail it; None if none.

        `avoid` names sea passages (as --avoid does); the Arctic passages closed by default stay closed.
        """
        from .engine import STOP_ALL, Rules, search
        from .sealanes import CLOSED_BY_DEFAULT, PASSAGES, passage_name

        core = self.core
        begin, finish = self.access.get(start), self.access.get(end)
        if begin is None or finish is None or not begin.nodes or not finish.nodes:
            return None
        closed = {PASSAGES[p] for p in CLOSED_BY_DEFAULT} | {PASSAGES[n] for a in avoid if (n := passage_name(a))}
        sea = self.masks.edge_mask(Rules(frozenset({"sea"}), frozenset(closed)))
        lanes = bytes(a & b for a, b in zip(sea, self._lane_mask, strict=True))
        sources = [(core.lane_node(n), km) for n, km in begin.nodes]
        ends = {core.lane_node(n): km for n, km in finish.nodes}
        if any(node < 0 for node, _ in sources) or any(node < 0 for node in ends):
            return None
        result = search(core, core.weights["distance_km"], sources, targets=list(ends), stop=STOP_ALL, edge_ok=lanes)
        found = [(result.dist[n] + km, n) for n, km in ends.items() if result.reached(n)]
        if not found:
            return None
        km, last = min(found)
        nodes = [core.tail[e] for e in result.path(last, core.tail)] + [last]
        first_path = {core.lane_node(n): path for n, _, path in begin.joints()}.get(nodes[0])
        last_path = {core.lane_node(n): path for n, _, path in finish.joints()}.get(last)
        place_a, place_b = self.places[start], self.places[end]
        head = list(first_path) if first_path else [(place_a.lon, place_a.lat)]
        tail = list(last_path)[::-1] if last_path else [(place_b.lon, place_b.lat)]
        line = [*head, *(self.coords(n) for n in nodes), *tail]
        return km, [p for i, p in enumerate(line) if i == 0 or p != line[i - 1]]

    def __getstate__(self) -> dict[str, Any]:
        """A pickle (for a process pool) holds the fields, every section deferred from the cache
        read, and nothing made on first use (the networkx graph, the gazetteer, the domestic
        networks): the unpickled network makes them again when asked."""
        state = {f.name: getattr(self, f.name) for f in fields(self)}
        index = state["gazetteer_index"]
        if index is not None and callable(index.get("names")):
            state["gazetteer_index"] = {**index, "names": index["names"]()}
        return state

    def __copy__(self) -> Network:
        """A shallow copy (a scenario's or a search view's network) keeps no domestic networks of
        the original's: they would hold on to its weights."""
        other = object.__new__(type(self))
        other.__dict__.update((k, v) for k, v in self.__dict__.items() if k not in KEPT_APART)
        return other

    def territory(self, country: str) -> str:
        """Return the customs territory of a country: its customs union (EU), or itself."""
        return self.customs_unions.get(country, country)

    def country_of(self, place_ids: Iterable[str]) -> str | None:
        """Return the one customs territory all these places lie in (a country, or a customs
        union such as the EU: cargo moving inside it clears no customs), None for several."""
        territories = {self.territory(self.places[p].country) for p in place_ids}
        return territories.pop() if len(territories) == 1 else None

    def domestic(self, country: str) -> Network:
        """Return the network for cargo that starts and ends in `country`, a customs territory
        (`territory`: a country, or a customs union such as the EU): the same graph without the
        import and export clearance charged at its seaports (customs clear
        goods crossing a border, not a coastal, river or rail shipment inside one territory), and
        without the rail, road and river links into other territories: cargo for
        Huangpu is not trucked into Hong Kong and shipped back up the Pearl River as if it had
        never left. A sailing may still change ship at a foreign hub, which stands for the
        domestic feeder service the data lacks (Jakarta to Belawan by Singapore).

        Made on first use for a country (one pass over the edges) and kept with this network.
        """
        if self.cleared_inside == country:
            return self
        reweigh = self.__dict__.get("_reweigh")
        if reweigh is not None:  # a search view on a derived objective: a view of the network's own
            return self._domestic_view(country, *reweigh)
        inside = {country} | {c for c, union in self.customs_unions.items() if union == country}
        if not any(self.places[pid].country in inside for pid, _ in self.operations.clearance if pid in self.places):
            return self  # no clearance is charged in that territory: nothing to take away
        cache = self.__dict__.setdefault("_domestic", {})
        kept = cache.get(country)
        if kept is not None and kept[0] is self.core:
            return kept[1]
        import copy
        from array import array
        from dataclasses import replace

        core = self.core
        land = {MODE_CODE[m] for m in MODES if m not in SEA_FAMILY}
        leaving = [
            e
            for e in core.edges_with_role(Role.LINK)
            if core.mode[e] in land and self.place_country(core.node_place[core.head[e]]) not in inside
        ]
        # Only the arrays that change are copied: a search on an unchanged one settles the same
        # tree as on this network (`routing._trees` counts on it).
        changed_metrics = {"time_h", "cost_usd"} | (set(core.weights) if leaving else set())
        weights = {m: array("d", v) if m in changed_metrics else v for m, v in core.weights.items()}
        time_h, cost = weights["time_h"], weights["cost_usd"]
        spread = array("d", core.spread)
        for e in leaving:
            for values in weights.values():
                values[e] = math.inf
        here = {i for i in range(len(core.place_ids)) if self.place_country(i) in inside}
        touched = []
        for e in itertools.chain(core.edges_with_role(Role.ALIGHT), core.edges_with_role(Role.TRANSFER)):
            if core.node_place[core.tail[e]] not in here:  # clearance is charged where cargo alights or changes mode
                continue
            found = self.clearance_at_place(e)
            if found is None:
                continue
            place = self.places[core.place_ids[core.node_place[core.tail[e]]]]
            # A transfer charges the place's handling too, which a clearance may include (`Clearance.beside`).
            handling = self.parameters.handling(place) if core.role[e] == TRANSFER else NO_HANDLING
            hours, usd = found.beside(handling.time_h, handling.cost_usd)
            time_h[e] = max(0.0, time_h[e] - hours)
            cost[e] = max(0.0, cost[e] - usd)
            spread[e] = math.sqrt(max(0.0, spread[e] ** 2 - (found.h_p90 - found.h) ** 2))
            touched.append(e)
        changed = copy.copy(self)
        changed.__dict__.pop("graph", None)  # the networkx view is built from the weights
        changed.core = replace(core, weights=weights, spread=spread)
        changed.cleared_inside = country
        changed.__dict__["_edited"] = (changed.core, frozenset((*leaving, *touched)))
        cache[country] = (core, changed)
        return changed

    def edited_edges(self) -> frozenset[int] | None:
        """Return the edges whose weights a domestic network (`domestic`) changed from its
        network's, or None for any other network (or a copy of one with other weights)."""
        kept = self.__dict__.get("_edited")
        return kept[1] if kept is not None and kept[0] is self.core else None

    def sea_landings(self) -> list[tuple[int, str]]:
        """Return the edges that take cargo off a ship at a place (`leaves_ship`), each with the
        customs territory of its place; made once and kept with this network."""
        kept = self.__dict__.get("_sea_landings")
        if kept is None or kept[0] is not self.core:
            core = self.core
            edges = itertools.chain(core.edges_with_role(Role.ALIGHT), core.edges_with_role(Role.TRANSFER))
            landings = [(e, self.place_territory(core.node_place[core.tail[e]])) for e in edges if leaves_ship(core, e)]
            kept = self.__dict__["_sea_landings"] = (core, landings)
        return kept[1]

    def _domestic_view(self, country: str, network: Network, weigh, slot: str) -> Network:
        """Return the domestic network of a search view (`objectives.searching_on`) of `network`:
        a view of `network`'s own, weighed the same way; made once per country."""
        from .objectives import searching_on

        home = network.domestic(country)
        if home is network:
            return self
        cache = self.__dict__.setdefault("_domestic", {})
        kept = cache.get(country)
        if kept is None or kept[0] is not self.core:
            kept = cache[country] = (self.core, searching_on(home, weigh(home.core), slot=slot, weigh=weigh))
        return kept[1]

    def entry_territories(self) -> dict[int, str]:
        """Return the destination nodes of the places in a territory that cargo may enter and
        sail on in (`entered`), each with its territory."""
        if self.cleared_inside:
            return {}
        table = self._entries()
        if table.get("ends") is None:  # made on first use, kept beside the seeds
            core, made = self.core, table["entered"]
            table["ends"] = {
                node: territory
                for i, node in enumerate(core.destination_node)
                if node >= 0 and (territory := self.place_territory(i)) in made
            }
        return table["ends"]

    def entered(self, territory: str) -> Entered | None:
        """Return how cargo from abroad moves on once it has cleared into `territory` (a customs
        territory, `territory`), or None where nothing changes: a territory with no seaport a
        curated land link reaches, or a network that is already a domestic one.

        Cargo cleared into a territory moves on inside it as the territory's own goods: a coastal
        sailing between two of its seaports clears no customs at either end, on its domestic
        network (`domestic`).
        """
        return None if self.cleared_inside else self._entries()["entered"].get(territory)

    def _entries(self) -> dict:
        """The `Entered` of every territory that has seeds, made once and kept with this network.
        Only a curated land link (rail, road, river) reaches a seaport's land side, so the seeds
        are found among their ends."""
        kept = self.__dict__.get("_entered")
        if kept is not None and kept["core"] is self.core:
            return kept
        core = self.core
        land = (link for link in self.links.values() if link.mode not in SEA_FAMILY)
        ends = {pid for link in land for pid in (link.from_id, link.to_id)}
        seeds: dict[str, set[int]] = {}
        for pid in sorted(ends):
            if not core.in_graph(pid):
                continue
            nodes = core.place_nodes(pid)
            if not any(core.node_kind[n] == Kind.DEPART and core.node_mode[n] in SEA_CODES for n in nodes):
                continue  # no ship to board here
            seeds.setdefault(self.place_territory(core.place_index(pid)), set()).update(
                n
                for n in nodes
                if core.node_kind[n] == Kind.ARRIVE
                and core.node_mode[n] not in SEA_CODES
                and not is_transit(core.layer(n))
            )
        made = {t: Entered(t, self, frozenset(nodes)) for t, nodes in seeds.items() if nodes}
        kept = self.__dict__["_entered"] = {"core": core, "entered": made, "ends": None}
        return kept

    @cached_property
    def place_territories(self) -> list[str]:
        """The customs territory of each place of the graph, by its index (`place_territory`)."""
        return [self.place_territory(i) for i in range(len(self.core.place_ids))]

    @cached_property
    def lock_ids(self) -> frozenset[str]:
        """The places that are river locks: passed through, never an origin or a destination."""
        return frozenset(pid for pid, place in self.places.items() if place.kind == "lock")

    @cached_property
    def _lane_mask(self) -> bytes:
        lane = ROLE_CODE[Role.LANE]
        return bytes(1 if r == lane else 0 for r in self.core.role)

    def __repr__(self) -> str:
        return (
            f"<Network {self.root}: {len(self.places):,} places ({self.core.n_nodes:,} nodes), "
            f"{len(self.links):,} links, {self.core.n_edges:,} edges>"
        )

    @cached_property
    def gazetteer(self) -> Gazetteer:
        if self.gazetteer_index is not None:
            return Gazetteer.from_data(self.places, self.gazetteer_index, root=self.root)
        return Gazetteer(self.places, root=self.root)

    @cached_property
    def graph(self) -> nx.MultiDiGraph:
        """The network as a networkx MultiDiGraph: named nodes (graph.Origin, Arrive ...), edge keys = edge numbers."""
        return self.core.to_networkx()

    @cached_property
    def masks(self) -> Masks:
        from .engine import Masks

        return Masks(self.core)

    @cached_property
    def traces(self) -> dict[str, Trace]:
        """How each link is drawn: along rail track or rivers where possible (computed on first use)."""
        from .tracks import trace_links

        return trace_links(self.links.values(), self.places, self.root)

    def places_gdf(self) -> gpd.GeoDataFrame:
        """Every place as a Point (EPSG:4326) with the columns of places.csv, `origin` and `routable`."""
        from .frames import places_to_gdf

        return places_to_gdf(self)

    def links_gdf(self) -> gpd.GeoDataFrame:
        """Every curated link as a LineString along its drawing (EPSG:4326), with the columns of links.csv."""
        from .frames import links_to_gdf

        return links_to_gdf(self)

    def area_members(self, place_id: str) -> tuple[str, ...]:
        """Return the places of a place's area (the terminals of one city), or the place alone."""
        area = self.places[place_id].area
        if not area:
            return (place_id,)
        members = self._areas.get(area)
        if members is None:
            from .gazetteer import normalize

            members = self._areas[area] = tuple(self.gazetteer.areas.get(normalize(area), ()))
        return members if place_id in members else (place_id,)

    @cached_property
    def _areas(self) -> dict[str, tuple[str, ...]]:
        return {}

    def region_of(self, place_id: str) -> str:
        """Return the gateway region of a place: its area, or the cluster of ports and terminals
        within GATEWAY_REGION_KM of one another where cargo changes mode (Taicang, Shanghai and
        Ningbo; Qinzhou, Beihai and Fangchenggang), else the place itself."""
        return self._regions.get(place_id) or self.places[place_id].area or place_id

    @cached_property
    def _regions(self) -> dict[str, str]:
        gateways = [
            pid for pid in self.core.place_ids
            if self.routable(pid) and self.places[pid].origin == "curated" and not self.places[pid].area
            and len({m for m in self.places[pid].modes}) > 1
        ]  # fmt: skip
        parent = {pid: pid for pid in gateways}

        def find(pid: str) -> str:
            while parent[pid] != pid:
                parent[pid] = parent[parent[pid]]
                pid = parent[pid]
            return pid

        for pid in gateways:
            for other in self.places_near(pid, GATEWAY_REGION_KM):
                if other in parent:
                    a, b = find(pid), find(other)
                    if a != b:
                        parent[max(a, b)] = min(a, b)
        members: dict[str, list[str]] = {}
        for pid in gateways:
            members.setdefault(find(pid), []).append(pid)
        return {pid: "+".join(sorted(group)) for group in members.values() if len(group) > 1 for pid in group}

    def places_near(self, place_id: str, km: float) -> list[str]:
        """Return the places within `km` of a place (itself included)."""
        place = self.places[place_id]
        cells = self._place_grid
        reach_lat = math.ceil(km / 111.0)
        reach_lon = math.ceil(km / (111.0 * max(math.cos(math.radians(place.lat)), 0.05)))
        x, y = math.floor(place.lon), math.floor(place.lat)
        out = []
        for cx in range(x - reach_lon, x + reach_lon + 1):
            for cy in range(y - reach_lat, y + reach_lat + 1):
                for pid, lon, lat in cells.get(((cx + 180) % 360 - 180, cy), ()):
                    if haversine_km(place.lon, place.lat, lon, lat) <= km:
                        out.append(pid)
        return out

    @cached_property
    def _place_grid(self) -> dict[tuple[int, int], list[tuple[str, float, float]]]:
        cells: dict[tuple[int, int], list[tuple[str, float, float]]] = {}
        for pid, place in self.places.items():
            if self.routable(pid):
                cells.setdefault((math.floor(place.lon), math.floor(place.lat)), []).append((pid, place.lon, place.lat))
        return cells

    def routable(self, place_id: str) -> bool:
        """Return True when the place is in the graph (operational, with at least one usable mode)."""
        return self.core.in_graph(place_id)

    def resolve(self, text: str) -> Target:
        """Resolve a place name, id, alias or area to something routable."""
        return self.gazetteer.resolve(text, usable=(p for p in self.places if self.routable(p)))

    def coords(self, node: int) -> tuple[float, float]:
        """Return (lon, lat) of a node of the compiled graph."""
        core = self.core
        if core.node_kind[node] == Kind.LANE:
            return self.lane_coords[core.node_lane[node]]
        place = self.places[core.place_ids[core.node_place[node]]]
        return (place.lon, place.lat)


@dataclass(frozen=True, eq=False)
class Entered:
    """How cargo from abroad moves on once cleared into a customs territory (`Network.entered`).

    A route reaches one of the `seeds` (a land arrival at one of the territory's seaports, on
    the ordinary or inbound layer) only after its cargo has entered the territory and cleared
    its import, by land or by leaving a ship. From there it may sail on inside the territory
    without customs: its search goes on on `home`, the territory's domestic network, with the
    `landing` edges closed (leaving a ship abroad, which would take it out of the territory and
    leave its import on the way back uncharged). Both are made on first use.
    """

    territory: str
    network: Network = field(repr=False)
    seeds: frozenset[int]

    @cached_property
    def home(self) -> Network:
        return self.network.domestic(self.territory)

    @cached_property
    def landing(self) -> frozenset[int]:
        return frozenset(e for e, territory in self.network.sea_landings() if territory != self.territory)

    def closing(self, edge_ok: bytes | bytearray) -> bytes | bytearray:
        """Return an edge mask with the `landing` edges closed, kept for the last mask given (a
        network's masks are made once per set of rules, so searches in a row share it)."""
        from .engine import with_edges

        last = self.__dict__.get("_closed")
        if last is None or last[0] is not edge_ok:
            last = self.__dict__["_closed"] = (edge_ok, with_edges(edge_ok, self.landing, False))
        return last[1]

    def lands_abroad(self, edge: int) -> bool:
        """Whether an edge takes cargo off a ship at a place outside the territory."""
        core = self.network.core
        return (
            leaves_ship(core, edge) and self.network.place_territory(core.node_place[core.tail[edge]]) != self.territory
        )

    def changes_at(self, edge: int) -> bool:
        """Whether an edge takes cargo onto or off a ship at a place (where customs may clear)."""
        core = self.network.core
        return leaves_ship(core, edge) or leaves_ship(core, edge, boards=True)


def leaves_ship(core: Graph, edge: int, *, boards: bool = False) -> bool:
    """Whether an edge takes cargo off a ship at a place (onto land, or to its destination), or
    with `boards`, onto a ship from land; a transshipment does neither."""
    role = core.role[edge]
    if role not in (ALIGHT, TRANSFER) or core.node_place[core.tail[edge]] < 0:
        return False
    from_ship, onto_ship = core.node_mode[core.tail[edge]] in SEA_CODES, core.node_mode[core.head[edge]] in SEA_CODES
    if boards:
        return role == TRANSFER and onto_ship and not from_ship
    return from_ship and not onto_ship


def clearance_lookup(ops: Operations, places: Mapping[str, Place], unions: Mapping[str, str] | None = None):
    """Return a function (place, "import" | "export") -> the Clearance charged there, or None.

    Clearance figures are country figures (Doing Business): a country's row holds at each of
    its seaports, so cargo cannot enter by a neighbouring port and skip customs. The row whose
    `scope` says "country" is the one; else the first (by id) that does not say "port". A country
    with no row of its own in a customs union (`unions`: the EU) takes its union's, chosen the
    same way among its members' rows: the union is one customs territory, with one customs code.
    """
    unions = unions or {}
    by_country: dict[tuple[str, str], Clearance] = {}
    by_union: dict[tuple[str, str], Clearance] = {}
    for (pid, direction), row in sorted(ops.clearance.items(), key=lambda item: (item[1].scope != "country", item[0])):
        if pid in places and row.scope != "port":
            country = places[pid].country
            by_country.setdefault((country, direction), row)
            if country in unions:
                by_union.setdefault((unions[country], direction), row)

    def lookup(place: Place, direction: str) -> Clearance | None:
        found = ops.clearance.get((place.id, direction)) or by_country.get((place.country, direction))
        if found is None and (union := by_union.get((unions.get(place.country, ""), direction))) is not None:
            return replace(union, for_country=place.country)
        return found

    return lookup


def clearance_direction(from_sea: bool, to_sea: bool) -> str:
    """Return which clearance an edge leaving `from_sea` (a ship) or not for `to_sea` or not (the
    door counts as land) is charged: "import" on leaving a ship, "export" on boarding one, else ""."""
    return "import" if from_sea and not to_sea else "export" if to_sea and not from_sea else ""


def clearance_at(lookup, place: Place, from_sea: bool, to_sea: bool) -> Clearance | None:
    """Return the clearance charged at a place on an edge from a ship (`from_sea`) or not, onto a
    ship (`to_sea`) or not (where cargo alights or changes mode), or None.

    At a seaport, the country's import figure on leaving a ship and its export figure on
    boarding one (`lookup`, from `clearance_lookup`). Cargo that crosses a border by land clears
    on the link that crosses it (`link_clearance`), not at a place.
    """
    direction = clearance_direction(from_sea, to_sea)
    return lookup(place, direction) if direction else None


def crosses_unmarked(link: Link, start: Place, end: Place, ops: Operations) -> bool:
    """Whether a curated link joins two countries with no border place at either end (whose
    crossing would charge the border) and says nothing of customs (`Link.customs`). Sea services
    cross borders at their ports, where boarding and leaving a ship clear customs."""
    if link.customs or start.country == end.country or link.mode in SEA_FAMILY:
        return False
    return (start.id, link.mode) not in ops.crossings and (end.id, link.mode) not in ops.crossings


def customs_due(
    link: Link, tail: Place, head: Place, ops: Operations, *, unions: Mapping[str, str], from_transit: bool = False,
    into_transit: bool = False,
) -> list[tuple[str, bool]]:  # fmt: skip
    """Return the clearance a link owes from `tail` to `head` as it crosses a customs border, as
    (direction, in full) pairs: "export" of the country it leaves, "import" of the one it enters;
    none for a link inside one customs territory or marked customs=none.

    - A link marked customs=cleared owes both in full.
    - A link from a border crossing whose `entry_clearance` names the country it enters owes that
      country's import in full, as cargo entering by that crossing clears at its destination
      (the China-Europe and Central Asia trains into China and Uzbekistan; the lorries from
      Aqaba into Iraq, whose crossing's figures are Iraq's import).
    - Any other land link through a border crossing, or marked customs=included, owes both
      countries' clearance as a seaport charges them, but not in full: their cost, not their
      hours, which the crossing's time (or the link's published time) holds
      (`Clearance.at_crossing`). Without it a train or a lorry crossed a border paying no customs
      at all where a ship paid both countries', and cargo cleared into a country could leave it
      by land and come back for two crossings' time.

    Cargo in transit (`transit_places`) owes no export of the country it leaves (`from_transit`)
    and no import of the one it enters in transit (`into_transit`).
    """
    if unions.get(tail.country, tail.country) == unions.get(head.country, head.country) or link.customs == "none":
        return []
    cleared = link.customs == "cleared"
    entry = any(
        (crossing := ops.crossings.get((end.id, link.mode))) is not None and crossing.entry_clearance == head.country
        for end in (tail, head)
    )
    at_crossing = not cleared and link.mode in LAND_FAMILY and (
        link.customs == "included" or any((end.id, link.mode) in ops.crossings for end in (tail, head))
    )  # fmt: skip
    due: list[tuple[str, bool]] = []
    if not from_transit and (cleared or at_crossing):
        due.append(("export", cleared))
    if not into_transit and (cleared or entry or at_crossing):
        due.append(("import", cleared or entry))
    return due


def link_clearance(
    link: Link, tail: Place, head: Place, ops: Operations, clearance_of, *, unions: Mapping[str, str],
    from_transit: bool = False, into_transit: bool = False,
) -> list[Clearance]:  # fmt: skip
    """Return the clearance a link charges from `tail` to `head` (`customs_due`), where
    clearance.csv gives it (`clearance_lookup`): a row in full, or its cost alone."""
    found: list[Clearance] = []
    for direction, full in customs_due(
        link, tail, head, ops, unions=unions, from_transit=from_transit, into_transit=into_transit
    ):
        row = clearance_of(tail if direction == "export" else head, direction)
        if row is not None:
            found.append(row if full else _cost_only(row))
    return found


# A clearance charged at a border crossing whose time holds it (`_cost_only`) carries a
# millionth of an hour, of a kilometre and of a kilogram of CO2 per dollar on its edge: nothing
# anyone would see (under two seconds, half a metre and half a gram for Kazakhstan's USD 470),
# but of routes the same on the metric searched, the one that clears less wins, as a shipper
# would choose. Without it the fastest, the shortest or the lowest-CO2 train from Tashkent to
# Chongqing could as well clear Kazakhstan's export on the way (USD 470 more) as cross it in
# transit.
CUSTOMS_TIE_PER_USD = 1e-6


def _customs_metrics(row: Clearance) -> Metrics:
    """What a clearance adds to a link's edge: its hours and cost, or at a crossing its cost and
    `CUSTOMS_TIE_PER_USD` of the other metrics."""
    if not row.at_crossing:
        return Metrics(time_h=row.h, cost_usd=row.usd)
    tie = row.usd * CUSTOMS_TIE_PER_USD
    return Metrics(distance_km=tie, time_h=tie, cost_usd=row.usd, co2_kg=tie)


def _cost_only(row: Clearance) -> Clearance:
    """A clearance charged at a border crossing whose time holds it: its cost, no hours."""
    return replace(row, h=0.0, h_p90=0.0, at_crossing=True)


def transit_places(
    places: Mapping[str, Place], links: Iterable[Link], graph_modes: Mapping[str, list[str]], ops: Operations,
    unions: Mapping[str, str],
) -> dict[str, tuple[str, ...]]:  # fmt: skip
    """Return the layers beside the ordinary one (`graph.LAYERS`) that each place has, for cargo
    that crosses a customs territory on its way to another:

    - "transit": in a territory (a country, or its customs union) that charges clearance
      somewhere (clearance.csv) and that a land link leaves for another. Cargo enters it from a
      ship, under a transit declaration instead of the import clearance (`Parameters.transit`),
      or over a land border from an ordinary place; it leaves by a ship, declaring its transit
      again instead of the export clearance, or over a land border into the inbound layer or
      the next transit territory. Laos's cargo lands at Laem Chabang and goes on by rail to
      Vientiane; a train from Tashkent crosses China to Hanoi. It neither starts nor ends there.
    - "transit:XX" (`graph.transit_layer`): the same, for cargo that came over a land border
      from a transit through territory XX, and so cannot go back there: a train from Kunming
      crosses Laos and then Thailand to Port Klang; one from Tashkent crosses Kazakhstan and
      then China to Hanoi.
    - "inbound": in a territory a land link joins to a transit territory. Cargo that crossed
      the other in transit ends here, and goes no further by land: it cannot come back into the
      country it crossed as if it had cleared its customs (Laem Chabang to Vientiane and back
      to Nong Khai, which would skip Thailand's import clearance).

    A transit goes on through any number of territories, but back into none it has just
    crossed: going back to the one before (Laem Chabang to Vientiane and back to Nong Khai in
    transit) is what the "transit:XX" layers rule out. A longer way round back into a territory
    it crossed (Thailand, Laos, China, Myanmar and Thailand again) is not ruled out; it takes
    days of detour and crossings, so no best route goes that way (tests/test_trust.py checks).

    Only places that serve a land mode have them; elsewhere the ordinary nodes charge nothing a
    transit would not.
    """

    def territory(pid: str) -> str:
        country = places[pid].country
        return unions.get(country, country)

    charging = {territory(pid) for pid, _ in ops.clearance if pid in places}
    borders = {
        (territory(a), territory(b))
        for link in links
        if link.mode in LAND_FAMILY
        for a, b in ((link.from_id, link.to_id), (link.to_id, link.from_id))
        if territory(a) != territory(b)
    }
    crossed = {a for a, _ in borders} & charging
    entered = {b for a, b in borders if a in crossed}
    came_from = {b: sorted(a for a, c in borders if c == b and a in crossed) for b in crossed}
    out: dict[str, tuple[str, ...]] = {}
    for pid, modes in graph_modes.items():
        if any(m in LAND_FAMILY for m in modes):
            here = territory(pid)
            layers = [transit_layer(), *map(transit_layer, came_from[here])] if here in crossed else []
            if here in entered:
                layers.append("inbound")
            if layers:
                out[pid] = tuple(layers)
    return out


def layer_ends(link: Link, tail: Place, head: Place, layers_at, unions: Mapping[str, str]) -> list[tuple[str, str]]:
    """Return the (tail's, head's) layers a link joins from `tail` to `head` (`transit_places`):
    ordinary to ordinary always; for a land link, inside one territory the same layer at both
    ends; across a border, from an ordinary place into transit, and out of transit into inbound
    or into the next territory's transit, never back to the territory the transit came from."""
    out = [("", "")]
    if link.mode not in LAND_FAMILY:
        return out
    tail_layers, head_layers = layers_at(tail.id), layers_at(head.id)
    leaving, entering = unions.get(tail.country, tail.country), unions.get(head.country, head.country)
    if leaving == entering:
        return out + [(layer, layer) for layer in tail_layers if layer in head_layers]
    if transit_layer() in head_layers:
        out.append(("", transit_layer()))
    onward = transit_layer(leaving)
    for layer in tail_layers:
        if not is_transit(layer) or layer == transit_layer(entering):
            continue  # not in transit, or back to the territory it came from
        out += [(layer, into) for into in ("inbound", onward) if into in head_layers]
    return out


def _rss(*values: float) -> float:
    """Combine independent delays' 90th-percentile excesses: the root of the sum of their squares."""
    return math.sqrt(sum(v * v for v in values))


# A wait for a departure is uniform over the headway: mean half of it, 90th percentile 0.9 of it,
# so the excess over the mean is 0.8 times the mean wait.
WAIT_SPREAD = 0.8
SEA_FAMILY = frozenset(m for m, spec in MODES.items() if spec.family == "sea")
# What a network keeps made from its weights (domestic networks, `Network.entered`): a copy
# (a scenario's or a search view's) makes its own.
KEPT_APART = ("_domestic", "_entered", "_sea_landings")
SEA_CODES = frozenset(MODE_CODE[m] for m in SEA_FAMILY)
LAND_FAMILY = frozenset(m for m in MODES if m not in SEA_FAMILY)
ALIGHT, TRANSFER = ROLE_CODE[Role.ALIGHT], ROLE_CODE[Role.TRANSFER]
NO_HANDLING = Metrics()  # an edge that charges no handling beside its clearance (an arrival)


def sea_class(place: Place, operations: Operations, parameters: Parameters, mainline_ports: set[str]) -> str:
    """Return `mainline` or `feeder`: what ships call at a seaport.

    In order: the port's row in sea/hubs.csv; a call by an operational mainline service in
    sea/services.csv, or a place of the curated table; for a World Port Index port, a large or
    medium harbour at least `mainline_min_depth_m` deep; else feeder.
    """
    hub = operations.hubs.get(place.id)
    if hub is not None and hub.sea_class:
        return hub.sea_class
    if place.id in mainline_ports or place.origin == "curated":
        # A seaport of the curated table (or one a user adds) sails the lanes unless its row in
        # sea/hubs.csv says it is a feeder port.
        return "mainline"
    depth = parameters.value("mainline_min_depth_m", "all", 11.0)
    if place.harbor_size in ("large", "medium") and place.depth_m is not None and place.depth_m >= depth:
        return "mainline"
    return "feeder"


def build_network(dataset: Dataset, parameters: Parameters, operations: Operations | None = None) -> Network:
    """Build the multimodal network: places by mode, transfers, links, sea lanes, services and access.

    Mainline ports join the sea lanes (mode `sea`); other seaports are served by feeders to
    their few nearest mainline ports and their nearest hub, and by the published services (mode
    `feeder`), changing ship at a hub. Borders, breaks of gauge, lock queues and customs are
    charged on the edges of cargo that passes, transfers or clears there.
    """
    from .sealanes import sea_distances

    ops = operations if operations is not None else Operations()
    problems: list[str] = list(check_references(ops, dataset.places, MODE_NAMES))
    warnings: list[str] = []
    places = dataset.places
    operational = {pid: p for pid, p in places.items() if p.operational}
    builder = GraphBuilder(list(places))

    lanes = read_lanes(dataset.root)
    land = LandMask(dataset.root, lazy=True)  # read only if a port is not in the precomputed access table
    join_near_misses(lanes, land)
    seaports = [p for p in operational.values() if "sea" in p.modes]
    access = attach_ports(seaports, lanes, land) if seaports else {}  # may split lane segments: before the lanes
    corners_from = len(lanes.coords)
    round_coasts(lanes, land)  # after the ports join: see `round_coasts`
    per_km = _metrics(parameters.sailing("sea", 1.0))  # sailing without calls is linear in distance
    canal_at = canal_segments(ops, lanes, parameters, warnings)
    # Mainline ships call at a hub on the way through some passages (sea/calls_on_the_way.csv);
    # a voyage from or to a port beside it is let past that call (before the ports join the graph).
    call_at = way_call_segments(ops, lanes, warnings)
    access = spare_zone_ports(places, lanes, access, call_at)
    for i, (u, v, distance, passage) in enumerate(lanes.edges):
        metrics = tuple(distance * x for x in per_km)
        spread = 0.0
        if i in canal_at or i in call_at:
            extra, spread = canal_at.get(i, (0.0, 0.0))
            if i in call_at:
                extra, spread = extra + call_at[i].call_h, _rss(spread, call_at[i].call_h_p90 - call_at[i].call_h)
            metrics = tuple(x + extra if name == "time_h" else x for name, x in zip(METRIC_NAMES, metrics, strict=True))
        a, b = builder.lane(u), builder.lane(v)
        builder.add(a, b, Role.LANE, "sea", metrics, passage=passage, spread=spread)
        builder.add(b, a, Role.LANE, "sea", metrics, passage=passage, spread=spread)

    for pid, joined in access.items():
        if joined.problem:
            # A curated seaport must join the lanes; a world port that cannot is only unroutable by sea.
            report = problems if places[pid].origin == "curated" else warnings
            report.append(f"{places[pid].name} ({pid}) cannot reach the sea lanes: {joined.problem}")
    joined_ports = {pid for pid, a in access.items() if a.nodes}
    mainline_ports = ops.mainline_service_ports()
    classes = {pid: sea_class(places[pid], ops, parameters, mainline_ports) for pid in joined_ports}

    # Feeders: each feeder port to its nearest container ports of the mainline network (the
    # nearest, and up to FEEDER_MAINLINE_PORTS about as near) and its nearest hub, along the
    # lanes, so that a voyage need not cross an ocean to the nearest and come back.
    # Those container ports are the ones the data names (sea/hubs.csv, mainline services, curated
    # places): a deep World Port Index harbour sails the lanes, but feeders do not relay through
    # a bulk or oil terminal.
    distances = sea_distances(lanes, access)
    synthetic: list[Link] = []
    mainline = sorted(
        pid for pid, c in classes.items()
        if c == "mainline" and (pid in ops.hubs or pid in mainline_ports or places[pid].origin == "curated")
    )  # fmt: skip
    hubs = sorted(pid for pid, hub in ops.hubs.items() if hub.role == "hub" and classes.get(pid) == "mainline")
    nearest_mainline = distances.nearest(mainline)
    near_mainline = distances.nearest_few(mainline, FEEDER_MAINLINE_PORTS, within_km=FEEDER_REACH_KM)
    nearest_hub = distances.nearest(hubs)
    passages: dict[str, tuple[str, ...]] = {}  # synthetic link id -> the sea passages it goes through
    for pid in sorted(p for p, c in classes.items() if c == "feeder"):
        ends = {}
        nearest = nearest_mainline.get(pid)
        # Another near mainline port only as near as the nearest, or a little further: a feeder
        # ship does not cross an ocean to a second relay when the first is close at hand.
        bound = FEEDER_NEAR_RATIO * nearest[1] if nearest is not None else 0.0
        near = [found for found in near_mainline.get(pid, ()) if found[1] <= bound]
        for found in (nearest, *near, nearest_hub.get(pid)):
            if found is not None:
                ends[found[0]] = found[1:]
        if not ends:
            warnings.append(f"{places[pid].name} ({pid}): no mainline port is reachable along the sea lanes")
        for other, (km, through) in ends.items():
            passages[f"feeder-{pid}-{other}"] = through
            synthetic.append(
                Link(
                    id=f"feeder-{pid}-{other}",
                    from_id=pid,
                    to_id=other,
                    mode="feeder",
                    distance_km=km,
                    distance_source="estimate: along the sea lanes to a near mainline port or the nearest hub",
                    time_h=parameters.sailing("feeder", km, calls=1).time_h + canal_h(ops, through, parameters),
                    time_source="estimate: feeder service speed plus one port call (parameters.csv)"
                    + canal_note(ops, through),
                    name=f"feeder {places[pid].name} - {places[other].name}",
                )
            )
    synthetic += _service_links(ops, places, classes, distances, parameters, warnings, passages)

    # The modes each place has in the graph: `sea` (mainline lanes) for mainline ports, `feeder`
    # for feeder ports and for the ports feeders and services reach.
    served = {end for link in synthetic for end in (link.from_id, link.to_id)}
    graph_modes: dict[str, list[str]] = {}
    for place in operational.values():
        modes = [m for m in place.modes if m != "sea"]
        if place.id in joined_ports:
            if classes[place.id] == "mainline":
                modes.append("sea")
            if classes[place.id] == "feeder" or place.id in served:
                modes.append("feeder")
        graph_modes[place.id] = modes

    links: dict[str, Link] = {}
    sea_links: dict[str, Link] = {}
    for link in [*dataset.links, *synthetic]:
        start, end = places[link.from_id], places[link.to_id]
        if not (start.operational and end.operational):
            idle = start if not start.operational else end
            problems.append(f"link {link.id} is unused: {idle.name} ({idle.id}) is planned")
            continue
        if link.mode not in graph_modes[start.id] or link.mode not in graph_modes[end.id]:
            continue  # a sea service to a port the lanes do not reach
        (sea_links if link.mode in SERVICE_MODES else links)[link.id] = link

    # Waiting: boarding a mode at a place waits for its most frequent departure; a link from there
    # adds what its own service's wait exceeds that by. Mainline ships leave as often as the port
    # sees departures.
    waits: dict[tuple[str, str], float] = {}
    every_link = {**links, **sea_links}
    for link in every_link.values():
        wait = parameters.link_wait_h(link)
        for place_id in (link.from_id,) if link.one_way else (link.from_id, link.to_id):
            key = (place_id, link.mode)
            waits[key] = min(waits.get(key, wait), wait)
    for pid in joined_ports:
        if classes[pid] == "mainline":
            waits[(pid, "sea")] = parameters.sea_departures_wait_h(places[pid])
    arrival_waits = mainline_arrival_waits(mainline_waits(waits, classes))

    def crossing(place: Place, mode: str) -> tuple[Metrics, float]:
        found = ops.crossings.get((place.id, mode))
        if found is None:
            return Metrics(), 0.0
        hours = found.crossing_h + (found.lift_h if found.gauge_break else 0.0)
        usd = found.cost_usd + (found.lift_usd if found.gauge_break else 0.0)
        return Metrics(time_h=hours, cost_usd=usd), found.crossing_h_p90 - found.crossing_h

    unions = dataset.customs_unions
    clearance_of = clearance_lookup(ops, places, unions)
    layered = transit_places(places, links.values(), graph_modes, ops, unions)
    builder.use_transit_layers(sorted({layer for layers in layered.values() for layer in layers if is_transit(layer)}))

    def layers_at(place_id: str) -> tuple[str, ...]:
        return layered.get(place_id, ())

    def clearance(place: Place, from_sea: bool, to_sea: bool, handling: Metrics = NO_HANDLING) -> tuple[Metrics, float]:
        """The clearance charged on an edge, beside the place's `handling` charged on it too."""
        found = clearance_at(clearance_of, place, from_sea, to_sea)
        if found is None:
            return Metrics(), 0.0
        hours, usd = found.beside(handling.time_h, handling.cost_usd)
        return Metrics(time_h=hours, cost_usd=usd), found.h_p90 - found.h

    def place_spread(place: Place) -> float:
        found = ops.spreads.get(place.id)
        return found.p90_h - found.typical_h if found is not None else 0.0

    for place in operational.values():
        modes = graph_modes[place.id]
        dwell = Metrics(time_h=place.dwell_h)
        for mode in modes:
            arrive, depart = builder.arrive(place.id, mode), builder.depart(place.id, mode)
            wait = waits.get((place.id, mode), 0.0)
            # Cargo that starts at a port is cleared for export before the port-to-port figures
            # begin; cargo arriving by land clears on its transfer to the ship (below).
            board = Metrics(time_h=wait, cost_usd=parameters.leg_charge_usd(mode))
            builder.add(
                builder.origin(place.id), depart, Role.BOARD, mode, _metrics(board),
                spread=_rss(WAIT_SPREAD * wait, place_spread(place)),
            )  # fmt: skip
            imported, import_spread = clearance(place, mode in SEA_FAMILY, False)
            builder.add(
                arrive, builder.destination(place.id), Role.ALIGHT, mode, _metrics(imported), spread=import_spread
            )
            crossed, crossing_spread = crossing(place, mode)
            if mode == "feeder" and classes.get(place.id) != "mainline":
                continue  # feeders change ship at hubs and mainline ports, not at the ports they serve
            if mode == "feeder":
                # Staying on a feeder past its port means changing to another feeder ship: a
                # transshipment (published services that call on are links of their own).
                hub = ops.hubs.get(place.id)
                change = _plus(
                    parameters.transship(hub), Metrics(time_h=wait, cost_usd=parameters.leg_charge_usd(mode))
                )
                change_spread = _rss(parameters.transship_spread_h(hub), WAIT_SPREAD * wait)
            else:
                change, change_spread = Metrics(), 0.0
            builder.add(
                arrive, depart, Role.THROUGH, mode, _metrics(_plus(dwell, crossed, change)),
                spread=_rss(crossing_spread, place_spread(place), change_spread),
            )  # fmt: skip
            if mode not in LAND_FAMILY:
                continue
            for layer in layers_at(place.id):
                builder.add(
                    builder.arrive(place.id, mode, layer), builder.depart(place.id, mode, layer), Role.THROUGH, mode,
                    _metrics(_plus(dwell, crossed)), spread=_rss(crossing_spread, place_spread(place)),
                )  # fmt: skip
                if layer == "inbound":  # cargo ends in the country it entered after a transit
                    builder.add(
                        builder.arrive(place.id, mode, layer), builder.destination(place.id), Role.ALIGHT, mode,
                        _metrics(imported), spread=import_spread,
                    )  # fmt: skip
        for mode in modes:
            for other in modes:
                if other == mode:
                    continue
                if {mode, other} == {"sea", "feeder"}:
                    hub = ops.hubs.get(place.id)
                    base, base_spread = parameters.transship(hub), parameters.transship_spread_h(hub)
                else:
                    base, base_spread = parameters.handling(place), 0.0
                crossed, crossing_spread = crossing(place, other)
                wait = waits.get((place.id, other), 0.0)
                fixed = _plus(base, crossed, dwell, Metrics(time_h=wait, cost_usd=parameters.leg_charge_usd(other)))
                fixed_spread = (WAIT_SPREAD * wait, base_spread, crossing_spread, place_spread(place))
                cleared, cleared_spread = clearance(place, mode in SEA_FAMILY, other in SEA_FAMILY, base)
                builder.add(
                    builder.arrive(place.id, mode), builder.depart(place.id, other), Role.TRANSFER, "transfer",
                    _metrics(_plus(fixed, cleared)), spread=_rss(*fixed_spread, cleared_spread),
                )  # fmt: skip
                at_sea = mode in SEA_FAMILY or other in SEA_FAMILY
                if (mode in SEA_FAMILY and other in SEA_FAMILY) or not layers_at(place.id):
                    continue
                # The layers of `transit_places`: between land modes as above, clearing nothing;
                # between a ship and land only in transit, a transit declaration instead of the
                # country's clearance (inbound cargo came by land and ends in this country).
                declared = parameters.transit(place) if at_sea else None
                declaration = Metrics(time_h=declared.h, cost_usd=declared.usd) if declared else Metrics()
                declaration_spread = declared.h_p90 - declared.h if declared else 0.0
                for layer in layers_at(place.id):
                    if at_sea and not is_transit(layer):
                        continue  # inbound cargo came by land
                    if mode in SEA_FAMILY and layer != transit_layer():
                        continue  # cargo landed from a ship came from no other territory in transit
                    builder.add(
                        builder.arrive(place.id, mode, "" if mode in SEA_FAMILY else layer),
                        builder.depart(place.id, other, "" if other in SEA_FAMILY else layer),
                        Role.TRANSFER, "transfer", _metrics(_plus(fixed, declaration)),
                        spread=_rss(*fixed_spread, declaration_spread),
                    )  # fmt: skip
        if "sea" in modes:
            for lane_node, distance in access[place.id].nodes:
                lane = builder.lane(lane_node)
                builder.add(
                    builder.depart(place.id, "sea"), lane, Role.ACCESS, "sea",
                    _metrics(parameters.sailing("sea", distance)),
                )  # fmt: skip
                # A ship that calls here is as rare as the port's calls (`mainline_arrival_waits`).
                waited = arrival_waits.get(place.id, 0.0)
                builder.add(
                    lane, builder.arrive(place.id, "sea"), Role.ACCESS, "sea",
                    _metrics(_plus(parameters.sailing("sea", distance, calls=1), Metrics(time_h=waited))),
                    spread=_rss(place_spread(place), WAIT_SPREAD * waited),
                )  # fmt: skip

    for link in every_link.values():
        start, end = places[link.from_id], places[link.to_id]
        if link.id in links and crosses_unmarked(link, start, end, ops):
            warnings.append(
                f"link {link.id} crosses from {start.country} to {end.country} with no border place at either "
                "end: no border crossing or clearance is charged on it (say customs=cleared, included or none)"
            )
        for forward in (True, False) if not link.one_way else (True,):
            tail_place, head_place = (start, end) if forward else (end, start)
            waited = waits.get((tail_place.id, link.mode), 0.0)
            travel = parameters.link(link, start, end, forward=forward, waited_h=waited)
            # A sea service's link carries the passages its ships go through, so --avoid closes it.
            tags = PASSAGE_JOIN.join(passages.get(link.id, ()))
            for from_layer, into_layer in layer_ends(link, tail_place, head_place, layers_at, unions):
                tail = builder.depart(tail_place.id, link.mode, from_layer)
                head = builder.arrive(head_place.id, link.mode, into_layer)
                # A link that crosses a customs border by itself clears both sides' customs on the
                # way; one into a country that clears rail cargo at its destination charges its
                # import; cargo in transit clears neither (`link_clearance`).
                customs = link_clearance(
                    link, tail_place, head_place, ops, clearance_of, unions=unions,
                    from_transit=is_transit(from_layer), into_transit=is_transit(into_layer),
                )  # fmt: skip
                figures = _metrics(_plus(travel, *(_customs_metrics(c) for c in customs)))
                spread = _rss(*(c.h_p90 - c.h for c in customs))
                builder.add(tail, head, Role.LINK, link.mode, figures, link=link.id, passage=tags, spread=spread)

    return Network(
        core=builder.build(),
        places=dict(places),
        links=links,
        sea_links=sea_links,
        passages_of=passages,
        parameters=parameters,
        lane_coords=lanes.coords,
        corners_from=corners_from,
        access=access,
        root=dataset.root,
        sources=dataset.sources,
        countries=dataset.countries,
        customs_unions=dataset.customs_unions,
        problems=problems,
        warnings=warnings,
        operations=ops,
        sea_classes=classes,
        waits=waits,
    )


def mainline_waits(waits: Mapping[tuple[str, str], float], classes: Mapping[str, str]) -> dict[str, float]:
    """Return each mainline port's wait for a mainline departure (place id -> hours)."""
    return {pid: waits[(pid, "sea")] for pid, kind in classes.items() if kind == "mainline" and (pid, "sea") in waits}


def mainline_arrival_waits(waits: Mapping[str, float]) -> dict[str, float]:
    """Return, for each mainline port, the hours a voyage to it waits beyond its boarding wait,
    from each mainline port's wait for a departure (`waits`: place id -> hours).

    A mainline voyage sails on a ship that calls at both its ports, so it waits for the rarer of
    the two ports' departures, not only for its origin's: Shanghai sees several sailings a day,
    Umm Qasr two a week, and a voyage between them waits for one of those two. Boarding charges
    the origin's wait (`waits`); arriving charges what the port's wait exceeds the busiest
    ports' by, so a voyage to or from a hub waits the rarer port's wait, and one between two
    rare ports the sum of theirs less the hubs' (a ship that calls at both is rarer still).
    """
    if not waits:
        return {}
    floor = min(waits.values())
    return {place: hours - floor for place, hours in waits.items() if hours > floor}


def _plus(*parts: Metrics) -> Metrics:
    return Metrics(**{m: sum(getattr(p, m) for p in parts) for m in METRIC_NAMES})


def canal_extra_h(canal: Canal, parameters: Parameters, mode: str = "sea", speed_kmh: float | None = None) -> float:
    """Hours a canal's transit takes beyond sailing its length at the mode's (or `speed_kmh`) service speed."""
    return max(canal.transit_h - parameters.sailing(mode, canal.length_km, speed_kmh=speed_kmh).time_h, 0.0)


def canals_through(ops: Operations, tags: Iterable[str]) -> list[Canal]:
    """The canals a sailing through these passage tags goes through."""
    by_tag = ops.canals_by_tag()
    return [by_tag[t] for t in sorted(set(tags)) if t in by_tag]


def canal_h(ops: Operations, tags: Iterable[str], parameters: Parameters, speed_kmh: float | None = None) -> float:
    """Hours a feeder sailing through these passages spends in canals beyond sailing their length."""
    return sum(canal_extra_h(c, parameters, "feeder", speed_kmh) for c in canals_through(ops, tags))


def canal_note(ops: Operations, tags: Iterable[str]) -> str:
    """The sources of those canal transits, to follow a sailing's time source."""
    return "".join(f"; {c.name or c.passage} transit: {c.source}" for c in canals_through(ops, tags))


def canal_segments(
    ops: Operations, lanes, parameters: Parameters, warnings: list[str]
) -> dict[int, tuple[float, float]]:
    """Return {lane segment index: (extra hours, P90 excess)}: each canal's transit beyond sailing,
    charged on the segment tagged with its passage nearest its point, so a voyage pays it once."""
    import numpy as np
    import shapely

    out: dict[int, tuple[float, float]] = {}
    for canal in ops.canals.values():
        tag = PASSAGES[canal.passage]
        tagged = [i for i, edge in enumerate(lanes.edges) if edge[3] == tag]
        if not tagged:
            warnings.append(f"canal {canal.passage}: no sea lane is tagged {tag}; its transit time is not charged")
            continue
        segments = shapely.linestrings(
            [[lanes.coords[lanes.edges[i][0]], lanes.coords[lanes.edges[i][1]]] for i in tagged]
        )
        nearest = tagged[int(np.argmin(shapely.distance(shapely.Point(canal.lon, canal.lat), segments)))]
        out[nearest] = (canal_extra_h(canal, parameters), canal.transit_h_p90 - canal.transit_h)
    return out


def way_call_segments(ops: Operations, lanes, warnings: list[str]) -> dict[int, WayCall]:
    """Return {lane segment index: the call on the way charged on it}: every segment that crosses
    one of the call's gates, so a mainline voyage past it pays it once, whichever lane it takes."""
    import numpy as np

    if not ops.way_calls:
        return {}
    xy = np.asarray(lanes.coords, dtype=float)
    ends = np.asarray([(u, v) for u, v, _, _ in lanes.edges], dtype=np.int64).reshape(-1, 2)
    low, high = np.minimum(xy[ends[:, 0]], xy[ends[:, 1]]), np.maximum(xy[ends[:, 0]], xy[ends[:, 1]])
    out: dict[int, WayCall] = {}
    for call in ops.way_calls.values():
        for k, line in enumerate(call.gates, 1):
            gate = np.asarray(line, dtype=float)
            near = np.nonzero(np.all(low <= gate.max(axis=0), axis=1) & np.all(high >= gate.min(axis=0), axis=1))[0]
            crossing = [int(i) for i in near if crosses_gate(xy[ends[i, 0]], xy[ends[i, 1]], line)]
            if not crossing:
                which = f"gate {k}" if len(call.gates) > 1 else "gate"
                warnings.append(f"call on the way {call.passage}: no sea lane crosses its {which}; it charges nothing")
            out.update((i, call) for i in crossing)
    return out


def crosses_gate(a, b, gate) -> bool:
    """Whether the lane segment from a to b (lon, lat) crosses a call's gate; one across the
    antimeridian, which would run round the world in degrees, crosses none. Plain arithmetic, so
    that telling a route's calls (`provenance.calls_on_the_way`) loads no geometry library."""
    return abs(a[0] - b[0]) <= 180 and segments_meet(a, b, gate[0], gate[1])


def spare_zone_ports(
    places: Mapping[str, Place], lanes, access: dict[str, Access], charged: Mapping[int, WayCall]
) -> dict[str, Access]:
    """Return the ports' access with a way past each call on the way for the ports of its zone.

    A voyage that starts or ends at a port within `zone_km` of the call's hubs, its gates or its
    passage's lanes makes no other call there. Such a port gets, for each charged segment, an
    access path to each of its ends that sails along the lanes to the other end and over the
    segment: the same distance as crossing it, without the call. That path passes no tagged
    passage (an access path carries no passage tag for --avoid to see). (Distances to the zone are in
    degrees of latitude, about 111 km each, which narrows it a little east-west away from the
    equator.)
    """
    import numpy as np
    import shapely

    from .sealanes import Lanes

    out = dict(access)
    for call in dict.fromkeys(charged.values()):
        gate = [i for i, c in charged.items() if c is call]
        tag = PASSAGES.get(call.passage)  # a call named on its own has no tagged lanes
        tagged = [(a, b) for a, b, _, t in lanes.edges if tag and t == tag]
        near = [shapely.LineString([lanes.coords[a], lanes.coords[b]]) for a, b in tagged]
        near += [shapely.LineString(line) for line in call.gates]
        near += [shapely.Point(places[p].lon, places[p].lat) for p in call.ports if p in places]
        zone = shapely.buffer(shapely.GeometryCollection(near), call.zone_km / KM_PER_DEGREE)
        shapely.prepare(zone)
        # The way past sails no tagged passage, so that --avoid still sees every passage it crosses,
        # and stays near the zone (a search over the world's lanes would cost a build 0.3 s).
        gate = [i for i in gate if not lanes.edges[i][3]]
        skipped = set(gate)
        west, south, east, north = zone.bounds
        xy = np.asarray(lanes.coords, dtype=float)
        pad = ZONE_SEARCH_PAD_DEG
        lon_ok = (xy[:, 0] >= west - pad) & (xy[:, 0] <= east + pad)
        nearby = (lon_ok & (xy[:, 1] >= south - pad) & (xy[:, 1] <= north + pad)).tolist()
        kept = [e for k, e in enumerate(lanes.edges) if k not in skipped and not e[3] and nearby[e[0]] and nearby[e[1]]]
        others = SeaDistances(Lanes(lanes.coords, kept), {})
        ends = sorted({n for i in gate for n in lanes.edges[i][:2]})
        seaports = [pid for pid, joined in access.items() if joined.nodes]
        inside = shapely.contains_xy(
            zone, [places[p].lon for p in seaports], [places[p].lat for p in seaports]
        ).tolist()
        for pid in (p for p, within in zip(seaports, inside, strict=True) if within):
            joints = out[pid].joints()
            first = {node: (km, path) for node, km, path in sorted(joints, key=lambda j: -j[1])}  # shortest wins
            found = others.routes({node: km for node, (km, _) in first.items()}, ends)
            past: dict[int, tuple[float, tuple]] = {}
            for i in gate:
                u, v, length, _ = lanes.edges[i]
                for near_end, far_end in ((u, v), (v, u)):
                    if near_end not in found or far_end in first:
                        continue  # a node the port joins over its own water keeps that path
                    km, nodes = found[near_end]
                    if past.get(far_end, (math.inf,))[0] > km + length:
                        lane_part = (tuple(lanes.coords[n]) for n in (*nodes[1:], far_end))
                        past[far_end] = (km + length, (*first[nodes[0]][1], *lane_part))
            if past:
                joined = out[pid]
                added = sorted(past.items(), key=lambda item: item[1][0])
                out[pid] = replace(
                    joined,
                    nodes=(*joined.nodes, *((n, km) for n, (km, _) in added)),
                    paths=(*joined.paths, *(p for _, (_, p) in added)),
                    past=joined.past + len(added),
                )
    return out


def service_link_id(service_id: str, a: str, b: str) -> str:
    """The id of the link the build makes for a published service's sailing from port a to port b."""
    return f"service-{service_id}-{a}-{b}"


def link_service(ops: Operations, link_id: str) -> Service | None:
    """Return the published service (sea/services.csv) a sea link of the build sails on, or None.

    Read from the services table alone: the build's feeder links are a section of the cache
    that a route does not otherwise decode (7,000 links, tens of milliseconds and megabytes)."""
    if not link_id.startswith("service-"):
        return None
    for service in ops.services:
        if any(link_id == service_link_id(service.id, a, b) for a in service.ports for b in service.ports):
            return service
    return None


def _service_links(
    ops: Operations,
    places: Mapping[str, Place],
    classes: dict[str, str],
    distances: SeaDistances,
    parameters: Parameters,
    warnings: list[str],
    passages: dict[str, tuple[str, ...]],
) -> list[Link]:
    """Return a link for each pair of ports of each published feeder or ro-ro service.

    Cargo boards at one call and leaves at a later one, staying on board between: the distance
    is along the lanes from call to call, the time the service's published transit where it
    gives one, else sailing at its speed plus a port call at each call on the way. A loop (its
    ports end where they start) sails one way round, so cargo rides it forward, past its first
    port if need be, and each such link goes one way; a line that does not close is sailed out
    and back, so its links go both ways. Of two ways round between the same ports (a loop that
    calls twice at one), the shorter is kept. River-sea services are the river links of
    links.csv; mainline services sail the lanes.
    """
    out: list[Link] = []
    for service in ops.services:
        if not service.operational or service.vessel_class not in ("feeder", "roro"):
            continue
        ports = [p for p in service.ports if p in classes]
        missing = [p for p in service.ports if p not in classes]
        if missing:
            warnings.append(f"sea service {service.id}: {', '.join(missing)} cannot be reached by sea and is left out")
        loop = len(ports) > 2 and ports[0] == ports[-1]
        calls = ports[:-1] if loop else ports
        n = len(calls)
        legs = [distances.between(a, b) for a, b in itertools.pairwise(calls + calls[:1] if loop else calls)]
        speed = service.speed_kn * KM_PER_NM if service.speed_kn else None
        pairs = (
            [(i, j) for i in range(n) for j in range(i + 1, i + n)]
            if loop
            else list(itertools.combinations(range(n), 2))
        )
        # (a, b) -> (km, calls, passages, the calls on the way)
        best: dict[tuple[str, str], tuple[float, int, tuple[str, ...], tuple[str, ...]]] = {}
        for i, j in pairs:
            a, b = calls[i], calls[j % n]
            parts = [legs[k % n] for k in range(i, j)] if loop else legs[i:j]
            if a == b or any(part is None for part in parts):
                continue
            km = sum(part[0] for part in parts if part is not None)
            tags = tuple(sorted({tag for part in parts if part is not None for tag in part[1]}))
            between = tuple(dict.fromkeys(calls[k % n] for k in range(i + 1, j)) if loop else calls[i + 1 : j])
            if (a, b) not in best or km < best[(a, b)][0]:
                best[(a, b)] = (km, j - i, tags, tuple(p for p in between if p not in (a, b)))
        for (a, b), (km, stops, tags, between) in best.items():
            link_id = service_link_id(service.id, a, b)
            passages[link_id] = tags
            published = service.transit_h if (a, b) == (service.transit_from, service.transit_to) else None
            if published is None and not loop and (b, a) == (service.transit_from, service.transit_to):
                published = service.transit_h  # a line is sailed back the same way
            hours = published or (
                parameters.sailing("feeder", km, calls=stops, speed_kmh=speed).time_h
                + canal_h(ops, tags, parameters, speed)
            )
            out.append(
                Link(
                    id=link_id,
                    from_id=a,
                    to_id=b,
                    mode="feeder",
                    distance_km=km,
                    distance_source="estimate: along the sea lanes between the service's calls",
                    time_h=hours,
                    time_source=service.source
                    if published
                    else f"estimate: the service's speed plus {stops} port call(s); {service.source}"
                    + canal_note(ops, tags),
                    frequency_per_week=service.frequency_per_week,
                    frequency_source=service.source,
                    one_way=loop,
                    name=f"{service.name or service.id}: {places[a].name} - {places[b].name}",
                    vessel_class=service.vessel_class,
                    passes=between,
                )
            )
    return out


def build_from(root: Path, params_file: Path | None = None) -> Network:
    """Read a dataset directory and build its network."""
    log.debug("building the network from the tables in %s%s", root, f" with {params_file}" if params_file else "")
    dataset = load_dataset(root)
    parameters = Parameters.from_files(root / PARAMETERS_FILE, params_file)
    network = build_network(dataset, parameters, read_operations(root))
    require_valid(network.core)
    return network


def load_network(
    data: str | os.PathLike[str] | None = None,
    *,
    params: str | os.PathLike[str] | None = None,
    cache: bool = True,
) -> Network:
    """Return the network of a dataset (bundled by default), from the cache when it is current.

    `params` names a user's parameters file whose rows replace the dataset's. The bundled
    dataset's network ships compiled with the package; another dataset's is built once and
    kept in the user's cache (see `corridor.cache`), rebuilt when any of its files changes.
    """
    from . import cache as network_cache
    from .query import check_flag

    for name, value in (("data", data), ("params", params)):
        if value is not None and not isinstance(value, (str, os.PathLike)):
            raise UsageError(f"{name} must be a path (a str or a Path), not {value!r}", name)
    cache = check_flag(cache, "cache")
    root = dataset_dir(data)
    params_file = Path(params) if params else None
    if params_file is not None and not params_file.is_file():
        raise DataError(f"parameters file {params_file} does not exist")
    if not cache:
        return build_from(root, params_file)
    return network_cache.load_or_build(root, params_file, build_from)
