"""Build the multimodal network of a dataset: places by mode, transfers, links, sea lanes and access.

The network is compiled once into flat arrays (`graph.Graph`) that the search core runs on and
the cache stores; `Network.graph` offers the same network as a networkx MultiDiGraph for
analysis, built on first use.
"""

from __future__ import annotations

import logging
import math
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from .costing import Metrics, Parameters
from .datasets import PARAMETERS_FILE, Dataset, Link, Place, dataset_dir, load_dataset
from .errors import DataError
from .gazetteer import Gazetteer, Target
from .geo import haversine_km
from .graph import Graph, GraphBuilder, Kind, Role, require_valid
from .registry import METRIC_NAMES
from .sealanes import Access, LandMask, attach_ports, join_near_misses, read_lanes

if TYPE_CHECKING:
    import geopandas as gpd
    import networkx as nx

    from .engine import Masks
    from .tracks import Trace

log = logging.getLogger(__name__)

NO_ACCESS = Access("", ())


def _metrics(m: Metrics) -> tuple[float, ...]:
    return tuple(getattr(m, name) for name in METRIC_NAMES)


@dataclass
class Network:
    """The compiled network with the places, links and lanes it came from."""

    core: Graph
    places: Mapping[str, Place]
    links: dict[str, Link]
    parameters: Parameters
    lane_coords: list[tuple[float, float]]
    access: dict[str, Access]
    root: Path
    sources: dict = field(default_factory=dict)
    countries: dict[str, str] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    fingerprint: str = ""
    data_sizes: dict[str, int] | None = None  # a packaged network: the data files it was built from
    gazetteer_index: dict | None = field(default=None, repr=False)  # the gazetteer's index, from a cache

    def __repr__(self) -> str:
        return (
            f"<Network {self.root}: {len(self.places):,} places ({self.core.n_nodes:,} nodes), "
            f"{len(self.links):,} links, {self.core.n_edges:,} edges>"
        )

    @cached_property
    def gazetteer(self) -> Gazetteer:
        if self.gazetteer_index is not None:
            return Gazetteer.from_data(self.places, self.gazetteer_index)
        return Gazetteer(self.places)

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


def build_network(dataset: Dataset, parameters: Parameters) -> Network:
    """Build the multimodal network: places by mode, transfers, links, sea lanes and access."""
    problems: list[str] = []
    warnings: list[str] = []
    places = dataset.places
    operational = {pid: p for pid, p in places.items() if p.operational}
    builder = GraphBuilder(list(places))

    lanes = read_lanes(dataset.root)
    land = LandMask(dataset.root)
    join_near_misses(lanes, land)
    for u, v, distance, passage in lanes.edges:
        metrics = _metrics(parameters.sea(distance))
        a, b = builder.lane(u), builder.lane(v)
        builder.add(a, b, Role.LANE, "sea", metrics, passage=passage)
        builder.add(b, a, Role.LANE, "sea", metrics, passage=passage)

    seaports = [p for p in operational.values() if "sea" in p.modes]
    access = attach_ports(seaports, lanes, land) if seaports else {}
    for pid, joined in access.items():
        if joined.problem:
            # A curated seaport must join the lanes; a world port that cannot is only unroutable by sea.
            report = problems if places[pid].origin == "curated" else warnings
            report.append(f"{places[pid].name} ({pid}) cannot reach the sea lanes: {joined.problem}")

    for place in operational.values():
        modes = [m for m in place.modes if m != "sea" or access.get(place.id, NO_ACCESS).nodes]
        for mode in modes:
            arrive, depart = builder.arrive(place.id, mode), builder.depart(place.id, mode)
            builder.add(builder.origin(place.id), depart, Role.BOARD, mode, _metrics(parameters.boarding(mode, place)))
            builder.add(arrive, builder.destination(place.id), Role.ALIGHT, mode, _metrics(Metrics()))
            builder.add(arrive, depart, Role.THROUGH, mode, _metrics(Metrics()))
        for mode in modes:
            for other in modes:
                if other != mode:
                    builder.add(
                        builder.arrive(place.id, mode), builder.depart(place.id, other), Role.TRANSFER, "transfer",
                        _metrics(parameters.transfer(place, other)),
                    )  # fmt: skip
        for lane_node, distance in access.get(place.id, NO_ACCESS).nodes:
            lane = builder.lane(lane_node)
            builder.add(builder.depart(place.id, "sea"), lane, Role.ACCESS, "sea", _metrics(parameters.sea(distance)))
            builder.add(
                lane, builder.arrive(place.id, "sea"), Role.ACCESS, "sea",
                _metrics(parameters.sea(distance, arrival=place)),
            )  # fmt: skip

    links = {}
    for link in dataset.links:
        start, end = places[link.from_id], places[link.to_id]
        if not (start.operational and end.operational):
            idle = start if not start.operational else end
            problems.append(f"link {link.id} is unused: {idle.name} ({idle.id}) is planned")
            continue
        links[link.id] = link
        for forward in (True, False) if not link.one_way else (True,):
            tail_place, head_place = (start, end) if forward else (end, start)
            tail, head = builder.depart(tail_place.id, link.mode), builder.arrive(head_place.id, link.mode)
            metrics = _metrics(parameters.link(link, start, end, forward=forward))
            builder.add(tail, head, Role.LINK, link.mode, metrics, link=link.id)

    return Network(
        core=builder.build(),
        places=dict(places),
        links=links,
        parameters=parameters,
        lane_coords=lanes.coords,
        access=access,
        root=dataset.root,
        sources=dataset.sources,
        countries=dataset.countries,
        problems=problems,
        warnings=warnings,
    )


def build_from(root: Path, params_file: Path | None = None) -> Network:
    """Read a dataset directory and build its network."""
    log.debug("building the network from the tables in %s%s", root, f" with {params_file}" if params_file else "")
    dataset = load_dataset(root)
    parameters = Parameters.from_files(root / PARAMETERS_FILE, params_file)
    network = build_network(dataset, parameters)
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

    root = dataset_dir(data)
    params_file = Path(params) if params else None
    if params_file is not None and not params_file.is_file():
        raise DataError(f"parameters file {params_file} does not exist")
    if not cache:
        return build_from(root, params_file)
    return network_cache.load_or_build(root, params_file, build_from)
