"""Routes, reach tables, matrices, places and links as pandas DataFrames and GeoDataFrames.

Every GeoDataFrame is in EPSG:4326 (lon, lat) and uses the words of the CLI and JSON for its
columns (`distance_km`, `time_h`, `cost_usd`, `co2_kg`, `from_id` ...). pandas, geopandas and
shapely are imported here only, on first use, so that routing never loads them.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .geo import normalize_lon, unwrap_lons
from .registry import METRIC_NAMES

if TYPE_CHECKING:
    import geopandas as gpd
    import pandas as pd

    from .network import Network
    from .routing import Reached, Route

CRS = "EPSG:4326"
REACH_COLUMNS = ("id", "name", "country", "kind", "lat", "lon", *METRIC_NAMES)
MATRIX_COLUMNS = ("origin", "destination", "destination_id", "destination_name", "country", *METRIC_NAMES)
LEG_COLUMNS = ("route", "leg", "mode", "from_id", "to_id", "from_name", "to_name", *METRIC_NAMES)


def _geopandas():
    try:
        import geopandas
    except ImportError as exc:  # pragma: no cover - geopandas is a dependency
        raise ImportError("GeoDataFrames need geopandas: pip install geopandas") from exc
    return geopandas


def _pandas():
    try:
        import pandas
    except ImportError as exc:  # pragma: no cover - pandas comes with geopandas
        raise ImportError("DataFrames need pandas: pip install pandas") from exc
    return pandas


# The type of every column that holds numbers or true/false, so that a frame with no rows (a
# reach from an inland place by sea), or a column no row fills (places' handling_usd), is typed
# as it is with values, not object: its to_file layer and its pd.concat with others keep them.
NUMBERS = (
    *METRIC_NAMES, "lat", "lon", "handling_h", "handling_usd", "dwell_h", "sea_departures_per_week", "time_back_h",
    "frequency_per_week", "measured_km",
)  # fmt: skip
DTYPES = {**dict.fromkeys(NUMBERS, "float64"), "route": "int64", "leg": "int64", "routable": "bool", "one_way": "bool"}


def _frame(records: list[dict], columns: Sequence[str]) -> pd.DataFrame:
    frame = _pandas().DataFrame.from_records(records, columns=list(columns))
    typed = {name: DTYPES[name] for name in frame.columns if name in DTYPES}
    if not records:  # text columns too: typed as pandas types text (str or object), not left untyped
        typed.update({name: str for name in frame.columns if name not in DTYPES})
    return frame.astype(typed)


def _geoframe(records: list[dict], columns: Sequence[str], geometry: list) -> gpd.GeoDataFrame:
    gpd = _geopandas()
    return gpd.GeoDataFrame(_frame(records, columns), geometry=gpd.GeoSeries(geometry, crs=CRS), crs=CRS)


def _short(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 60 else f"a {type(value).__name__}"


def _need(network: Network | None, what: str) -> Network:
    if network is None:
        raise ValueError(f"{what} needs the network it was found on: pass network=")
    return network


# --------------------------------------------------------------------------- routes


def _line(coords: Sequence[tuple[float, float]]) -> Any:
    """Return a line in EPSG:4326 as RFC 7946 has it: a LineString, or a MultiLineString split
    where it crosses the antimeridian, every longitude within [-180, 180] (as `--format
    geojson` writes it), so that a file or `to_json()` holds no longitude of 241.75.

    A line whose points are all one (two places at the same spot: USCDE and USPHL) is that
    Point: a LineString of one point repeated is invalid ("Too few points")."""
    import shapely.geometry

    from .io import line_geometry

    if len({(lon, lat) for lon, lat in coords}) < 2:
        lon, lat = coords[0]
        return shapely.geometry.Point(lon if -180.0 <= lon <= 180.0 else normalize_lon(lon), lat)
    line = unwrap_lons(coords)
    if all(-180.0 <= lon <= 180.0 for lon, _ in line):  # crosses no antimeridian: as it is, and fast
        return shapely.geometry.LineString(line)
    return shapely.geometry.shape(line_geometry(line))


def routes_to_gdf(network: Network, routes: Route | Iterable[Route]) -> gpd.GeoDataFrame:
    """Return one row per leg of each route: a LineString along the leg's drawing (a Point for a
    transfer), its mode, places and the four metrics; `route` numbers the routes (0 the best).

    `routes` is one route or any iterable of them, each found on `network` (UsageError if not:
    its edge numbers would name other edges)."""
    import shapely

    from .errors import UsageError
    from .geometry import leg_coords
    from .routing import Route

    if isinstance(routes, Route):
        routes = [routes]
    if not isinstance(routes, Iterable):
        raise UsageError(f"routes must be a Route or a list of them, not {routes!r}", "routes")
    routes = list(routes)
    for route in routes:
        if not isinstance(route, Route):
            raise UsageError(f"routes: {_short(route)} is not a Route", "routes")
        route._drawn_on(network)  # refuses a route found on another network
    records, geometry = [], []
    for rank, route in enumerate(routes):
        for index, leg in enumerate(route.legs):
            coords = leg_coords(network, leg)
            if len(coords) >= 2:
                geometry.append(_line(coords))
            else:
                place = network.places[leg.from_id]
                geometry.append(shapely.Point(place.lon, place.lat))
            records.append(
                {
                    "route": rank, "leg": index, "mode": leg.mode, "from_id": leg.from_id, "to_id": leg.to_id,
                    "from_name": network.places[leg.from_id].name, "to_name": network.places[leg.to_id].name,
                    **{m: getattr(leg, m) for m in METRIC_NAMES},
                }
            )  # fmt: skip
    return _geoframe(records, LEG_COLUMNS, geometry)


# --------------------------------------------------------------------------- reach and matrices


def _place_fields(network: Network, pid: str) -> dict[str, Any]:
    place = network.places[pid]
    return {"id": pid, "name": place.name, "country": place.country, "kind": place.kind, "lat": place.lat,
            "lon": place.lon}  # fmt: skip


def reach_to_df(network: Network, reached: Sequence[Reached]) -> pd.DataFrame:
    """Return one row per place reached: id, name, country, kind, lat, lon and the four metrics."""
    records = [{**_place_fields(network, r.place_id), **{m: getattr(r, m) for m in METRIC_NAMES}} for r in reached]
    return _frame(records, REACH_COLUMNS)


def reach_to_gdf(network: Network, reached: Sequence[Reached]) -> gpd.GeoDataFrame:
    """Return `reach_to_df` with each place's Point."""
    gpd = _geopandas()
    frame = reach_to_df(network, reached)
    return gpd.GeoDataFrame(frame, geometry=gpd.points_from_xy(frame["lon"], frame["lat"], crs=CRS), crs=CRS)


def _records(
    network: Network,
    origins: Sequence[str],
    destinations: Sequence[str],
    rows: Sequence[Sequence[Reached | None]],
    named: Sequence[str | None] = (),
) -> list[dict]:
    named = list(named) or [None] * len(destinations)
    records = []
    for origin, row in zip(origins, rows, strict=True):
        for destination, cell, place_id in zip(destinations, row, named, strict=True):
            record: dict[str, Any] = {"origin": str(origin), "destination": str(destination)}
            if cell is None:
                # No route: the place the destination names, where it names one (not an area).
                place = network.places[place_id] if place_id is not None else None
                record.update(
                    destination_id=place_id,
                    destination_name=place.name if place else None,
                    country=place.country if place else None,
                )
                record.update({m: math.nan for m in METRIC_NAMES})
            else:
                place = network.places[cell.place_id]
                record.update(destination_id=cell.place_id, destination_name=place.name, country=place.country)
                record.update({m: getattr(cell, m) for m in METRIC_NAMES})
            records.append(record)
    return records


def matrix_to_df(
    network: Network,
    origins: Sequence[str],
    destinations: Sequence[str],
    rows: Sequence[Sequence[Reached | None]],
    named: Sequence[str | None] = (),
) -> pd.DataFrame:
    """Return a matrix in long format: one row per origin and destination, NaN totals where
    unreachable; there `destination_id` is the place the destination names (`named`), if one."""
    return _frame(_records(network, origins, destinations, rows, named), MATRIX_COLUMNS)


def matrix_to_gdf(
    network: Network,
    origins: Sequence[str],
    destinations: Sequence[str],
    rows: Sequence[Sequence[Reached | None]],
    origin_points: Sequence[tuple[float, float]],
    named: Sequence[str | None] = (),
) -> gpd.GeoDataFrame:
    """Return `matrix_to_df` with a straight line from each origin to the place reached (a desire
    line, not the route's path; `find_routes` gives that), None where unreachable."""

    records = _records(network, origins, destinations, rows, named)
    cells = (cell for row in rows for cell in row)
    geometry: list[Any] = []
    for record, cell, start in zip(records, cells, (p for p in origin_points for _ in destinations), strict=True):
        if cell is None:
            geometry.append(None)
            continue
        place = network.places[record["destination_id"]]
        geometry.append(_line([start, (place.lon, place.lat)]))
    return _geoframe(records, MATRIX_COLUMNS, geometry)


# --------------------------------------------------------------------------- the network


PLACE_FIELDS = (
    "id", "name", "aliases", "area", "country", "kind", "modes", "status", "handling_h", "handling_usd", "dwell_h",
    "sea_departures_per_week", "coord_source", "source", "handling_source", "dwell_source", "sea_departures_source",
    "notes",
)  # fmt: skip
LINK_FIELDS = (
    "id", "from", "to", "mode", "distance_km", "distance_source", "time_h", "time_source", "time_back_h",
    "time_back_source", "frequency_per_week", "frequency_source", "one_way", "current", "name", "notes",
)  # fmt: skip


def _listed(value: tuple[str, ...]) -> str:
    return ";".join(value)


def places_to_gdf(network: Network) -> gpd.GeoDataFrame:
    """Return every place as a Point with the columns of places.csv (lists joined by ';'), plus
    `origin` (curated or wpi) and `routable` (in the graph)."""
    gpd = _geopandas()
    records = []
    for place in network.places.values():
        record = {name: getattr(place, name) for name in PLACE_FIELDS}
        record.update(aliases=_listed(place.aliases), modes=_listed(place.modes), origin=place.origin)
        record["routable"] = network.routable(place.id)
        record["lon"], record["lat"] = place.lon, place.lat
        records.append(record)
    frame = _frame(records, [*PLACE_FIELDS, "origin", "routable", "lon", "lat"])
    geometry = gpd.points_from_xy(frame.pop("lon"), frame.pop("lat"), crs=CRS)
    return gpd.GeoDataFrame(frame, geometry=geometry, crs=CRS)


def links_to_gdf(network: Network) -> gpd.GeoDataFrame:
    """Return every curated link as a LineString along its drawing (rail track, river or via points),
    with the columns of links.csv and `measured_km`, the distance routing uses."""

    from .geometry import link_trace

    records, geometry = [], []
    for link in network.links.values():
        record = {name: getattr(link, {"from": "from_id", "to": "to_id"}.get(name, name)) for name in LINK_FIELDS}
        a, b = network.places[link.from_id], network.places[link.to_id]
        record["measured_km"] = network.parameters.link_distance_km(link, a, b)
        record["drawn_along"] = link_trace(network, link.id).along
        records.append(record)
        geometry.append(_line(link_trace(network, link.id).coords))
    return _geoframe(records, [*LINK_FIELDS, "measured_km", "drawn_along"], geometry)


__all__ = [
    "CRS", "links_to_gdf", "matrix_to_df", "matrix_to_gdf", "places_to_gdf", "reach_to_df", "reach_to_gdf",
    "routes_to_gdf",
]  # fmt: skip


# --------------------------------------------------------------------------- files

FILE_FORMATS = {"gpkg": "GeoPackage", "parquet": "GeoParquet"}


def write_frame(frame: Any, path: str | Path, fmt: str, *, layer: str = "corridor") -> Path:
    """Write a (Geo)DataFrame to a GeoPackage or GeoParquet file atomically; return the path.

    The file is written in a private folder beside `path` and renamed over it, so a failed
    write leaves the old file and nothing else. Any failure, the folder's included (a
    read-only or pseudo file system) and the writer library's (GDAL's error when the disk or
    the file-size limit runs out), is a WriteError. GeoParquet needs pyarrow.
    """
    import os
    import shutil

    from ._fs import check_output_path
    from .errors import DataError, WriteError

    if fmt not in FILE_FORMATS:
        raise ValueError(f"fmt must be one of {', '.join(FILE_FORMATS)}, not {fmt!r}")
    target = check_output_path(path, what=f"the {FILE_FORMATS[fmt]} file")
    if fmt == "parquet":
        try:
            import pyarrow  # noqa: F401
        except ImportError:
            raise DataError("GeoParquet needs pyarrow: pip install pyarrow") from None
    failures = _write_failures(fmt)
    kept = "it is unchanged" if os.path.lexists(target) else "nothing was written"
    staging = None
    try:
        staging = _staging_dir(target)
        written = staging / target.name
        _write_file(frame, written, fmt, layer)
        os.replace(written, target)
    except failures as exc:
        raise WriteError(f"cannot write {path}: {_reason(exc)}; {kept}") from None
    finally:
        if staging is not None:
            shutil.rmtree(staging, ignore_errors=True)
    return target


# Longest reason a writer library's message gives on the one line of a refusal.
_REASON_CHARS = 160


def _write_failures(fmt: str) -> tuple[type[BaseException], ...]:
    """Return the exceptions a failed write of `fmt` raises: OSError, and the writer library's own
    (pyogrio's are RuntimeErrors, pyarrow's ArrowException), which say the disk refused too."""
    if fmt == "gpkg":
        from pyogrio.errors import DataLayerError, DataSourceError

        return OSError, DataSourceError, DataLayerError
    from pyarrow.lib import ArrowException

    return OSError, ArrowException


def _reason(exc: BaseException) -> str:
    """Return why a write failed, on one line: the system's words, else the library's first line, cut short."""
    text = getattr(exc, "strerror", None) or (str(exc).strip().splitlines() or [type(exc).__name__])[0]
    return text if len(text) <= _REASON_CHARS else text[: _REASON_CHARS - 3] + "..."


def _staging_dir(target: Path) -> Path:
    """Make the private folder a file is written in before it is renamed over `target` (its folder
    made first), having swept those that killed writers left."""
    import tempfile

    from ._fs import sweep_temps, temp_prefix

    target.parent.mkdir(parents=True, exist_ok=True)
    sweep_temps(target.parent, target.name)
    return Path(tempfile.mkdtemp(dir=target.parent, prefix=temp_prefix(target), suffix=".tmp"))


def _write_file(frame: Any, written: Path, fmt: str, layer: str) -> None:
    if fmt == "gpkg":
        import warnings

        with warnings.catch_warnings():
            # GDAL warns when the name does not end in .gpkg; the file is a GeoPackage all the same.
            warnings.filterwarnings("ignore", message="The filename extension should be", category=RuntimeWarning)
            frame.to_file(written, driver="GPKG", layer=layer, engine="pyogrio")
    else:
        frame.to_parquet(written)
