"""GeoDataFrames and DataFrames out of routes, reach, matrices and the network; short reprs; notebook views."""

from __future__ import annotations

import html
import json
import math
import pickle
import re

import geopandas as gpd
import pandas as pd
import pytest
import shapely

from corridor.geo import unwrap_lons
from corridor.geometry import leg_coords
from corridor.network import load_network
from corridor.routing import Reached, find_routes, matrix, reach

from .conftest import HOSTILE

METRICS = ["distance_km", "time_h", "cost_usd", "co2_kg"]


@pytest.fixture(scope="module")
def umm_qasr(network):
    return find_routes(network, "Chongqing", "Umm Qasr", alternatives=1)


def test_a_route_is_a_geodataframe_of_its_legs(network, umm_qasr):
    best = umm_qasr[0]
    frame = best.to_geodataframe()
    assert isinstance(frame, gpd.GeoDataFrame)
    assert frame.crs.to_epsg() == 4326
    assert len(frame) == len(best.legs)
    assert list(frame.columns) == [
        "route", "leg", "mode", "from_id", "to_id", "from_name", "to_name", *METRICS, "geometry",
    ]  # fmt: skip
    assert list(frame["mode"]) == [leg.mode for leg in best.legs]
    for (_, row), leg in zip(frame.iterrows(), best.legs, strict=True):
        coords = unwrap_lons(leg_coords(network, leg))
        if leg.mode == "transfer":
            assert row.geometry.geom_type == "Point"
        else:
            assert row.geometry.geom_type == "LineString"
            assert list(row.geometry.coords) == [tuple(c) for c in coords]  # the leg's real drawing
        for metric in METRICS:
            assert row[metric] == getattr(leg, metric)
    # The legs sum to the route's totals.
    for metric in METRICS:
        assert math.isclose(frame[metric].sum(), getattr(best, metric), rel_tol=1e-9)


def test_a_route_keeps_its_network_out_of_equality_and_pickles(umm_qasr, network):
    best = umm_qasr[0]
    copy = pickle.loads(pickle.dumps(best))
    assert copy == best and copy.network is None
    assert len(pickle.dumps(best)) < 20_000  # the network does not travel with a route
    with pytest.raises(ValueError, match="network="):
        copy.to_geodataframe()
    assert len(copy.to_geodataframe(network)) == len(best.legs)


def test_a_route_is_drawn_on_its_own_network_only(umm_qasr, network, tiny):
    from corridor.errors import UsageError

    with pytest.raises(UsageError, match="not the one this route was found on"):
        umm_qasr[0].to_geodataframe(load_network(tiny))
    assert len(umm_qasr[0].to_geodataframe(network)) == len(umm_qasr[0].legs)
    inside = find_routes(network, "Chongqing", "Shanghai")[0]  # found on China's domestic view of it
    assert inside.network is not network and len(inside.to_geodataframe(network)) == len(inside.legs)


def test_reach_is_still_a_list_and_exports_frames(network):
    reached = reach(network, "Chongqing", by="time")
    assert isinstance(reached, list) and all(isinstance(r, Reached) for r in reached)
    assert reached[:2] == list(reached)[:2]  # slices are plain lists, as before
    frame = reached.to_dataframe()
    assert isinstance(frame, pd.DataFrame) and not isinstance(frame, gpd.GeoDataFrame)
    assert list(frame.columns) == ["id", "name", "country", "kind", "lat", "lon", *METRICS]
    assert len(frame) == len(reached)
    assert list(frame["id"]) == [r.place_id for r in reached]
    assert frame["time_h"].is_monotonic_increasing
    spatial = reached.to_geodataframe()
    assert spatial.crs.to_epsg() == 4326 and len(spatial) == len(reached)
    first = network.places[reached[0].place_id]
    assert spatial.geometry.iloc[0].equals(shapely.Point(first.lon, first.lat))


def test_a_line_across_the_antimeridian_is_split_there_with_longitudes_in_range(network):
    # Shanghai to Los Angeles ended at longitude 241.75 in the frame and the files written from it.
    route = find_routes(network, "Shanghai", "Los Angeles", by="distance")[0]
    frame = route.to_geodataframe()
    assert frame.total_bounds[0] >= -180 and frame.total_bounds[2] <= 180
    assert "MultiLineString" in set(frame.geometry.geom_type)
    desire = matrix(network, ["Shanghai"], ["Los Angeles"]).to_geodataframe()
    assert desire.total_bounds[0] >= -180 and desire.total_bounds[2] <= 180
    # GeoJSON from geopandas itself is then RFC 7946: no longitude beyond 180.
    lines = [f["geometry"] for f in json.loads(frame.to_json())["features"] if "Line" in f["geometry"]["type"]]
    flat = [p for g in lines for part in (g["coordinates"] if g["type"] == "MultiLineString" else [g["coordinates"]])
            for p in part]  # fmt: skip
    assert flat and all(-180 <= lon <= 180 for lon, _ in flat)


def test_matrix_is_still_a_list_of_rows_and_exports_frames(tiny):
    net = load_network(tiny)
    rows = matrix(net, ["Alpha", "Charlie City"], ["Bravo Port", "Island Port"], by="time")
    assert isinstance(rows, list) and len(rows) == 2 and all(len(row) == 2 for row in rows)
    assert rows[0][1] is None  # the island joins nothing
    frame = rows.to_dataframe()
    assert len(frame) == 4
    assert list(frame.columns) == ["origin", "destination", "destination_id", "destination_name", "country", *METRICS]
    assert list(frame["origin"]) == ["Alpha", "Alpha", "Charlie City", "Charlie City"]
    island = frame[frame["destination"] == "Island Port"]
    assert island["time_h"].isna().all() and (island["destination_id"] == "IDIII").all()
    assert (island["destination_name"] == "Island Port").all()
    bravo = frame[frame["destination"] == "Bravo Port"]
    assert (bravo["destination_id"] == "CNBBB").all() and (bravo["time_h"] > 0).all()
    spatial = rows.to_geodataframe()
    assert spatial.crs.to_epsg() == 4326 and len(spatial) == 4
    assert spatial.geometry.isna().sum() == 2
    line = spatial.geometry.iloc[0]
    assert list(line.coords)[-1] == (3.5, 0.0)  # to Bravo Port
    assert line.coords[0] == (0.5, 0.0)  # from Alpha


def test_places_and_links_as_geodataframes(network):
    places = network.places_gdf()
    assert places.crs.to_epsg() == 4326
    assert len(places) == len(network.places)
    assert {"id", "name", "country", "kind", "modes", "aliases", "origin", "routable", "geometry"} <= set(places)
    assert set(places.geometry.geom_type) == {"Point"}
    qinzhou = places.set_index("id").loc["CNQZH"]
    assert (qinzhou.geometry.x, qinzhou.geometry.y) == (network.places["CNQZH"].lon, network.places["CNQZH"].lat)
    assert "sea" in qinzhou["modes"].split(";")
    assert places["routable"].sum() == sum(network.routable(pid) for pid in network.places)
    links = network.links_gdf()
    assert links.crs.to_epsg() == 4326 and len(links) == len(network.links)
    assert {"id", "from", "to", "mode", "distance_km", "measured_km", "geometry"} <= set(links)
    assert set(links.geometry.geom_type) == {"LineString"}
    assert (links["measured_km"] > 0).all()


def test_reprs_are_short(network, umm_qasr):
    reached = reach(network, "Chongqing")
    rows = matrix(network, ["Chongqing"], ["Singapore", "Umm Qasr"])
    for value in (network, umm_qasr[0], umm_qasr[0].legs[0], reached, rows, network.places["CNQZH"],
                  next(iter(network.links.values()))):  # fmt: skip
        assert len(repr(value)) < 600, type(value)
    assert "2 pairs with a route" in repr(rows) or "pairs with a route" in repr(rows)


def test_notebook_view_says_which_imports_are_charged_no_clearance(network):
    (to_colombo,) = find_routes(network, "Chongqing", "Colombo", modes=["river", "sea"])
    assert "<p>customs not charged: Sri Lanka import at Colombo" in to_colombo._repr_html_()
    (to_umm_qasr,) = find_routes(network, "Chongqing", "Umm Qasr")
    shown = to_umm_qasr._repr_html_()
    assert "customs not charged" not in shown
    # The clearance inside a transfer is named under its row, as the text view does; Iraq's
    # import clearance is a row of its own, with its figures.
    assert "<i>with customs: China export clearance" in shown
    cleared = "<td>import clearance</td><td>Umm Qasr (IQUQR)</td><td></td><td>0 km</td><td>5.5 d</td><td>$644</td>"
    assert cleared in shown


def test_notebook_view_says_what_the_text_view_says_under_each_leg(network):
    """Via places, passages, calls on the way, border activities and the bad case, as in `corridor route`."""
    from corridor.io import route_text

    (route,) = find_routes(network, "Chongqing", "Umm Qasr", by="time")
    (by_rail,) = find_routes(network, "Chongqing", "Rotterdam", by="time", modes=["rail"])
    for found in (route, by_rail):
        shown, text = found._repr_html_(), route_text(network, found, title="", width=400)
        notes = re.findall(r"<i>(.*?)</i>", shown)
        assert notes and all(html.unescape(note) in text for note in notes)
        assert f"<td>bad case</td><td></td><td></td><td></td><td>{found.time_p90_h / 24:.1f} d</td>" in shown
    rail_notes = re.findall(r"<i>(.*?)</i>", by_rail._repr_html_())
    assert any(note.startswith("via ") for note in rail_notes)
    assert "<td>border crossing and break of gauge</td>" in by_rail._repr_html_()
    assert any(note.startswith("through malacca") for note in re.findall(r"<i>(.*?)</i>", route._repr_html_()))


def test_notebook_views_escape_names(hostile):
    net = load_network(hostile)
    (route,) = find_routes(net, "CNAAA", "CNBBB")
    page = route._repr_html_()
    assert "<script>" not in page and "&lt;script&gt;" in page
    assert "<table" in page and "total" in page
    assert "<script>" not in reach(net, "CNAAA")._repr_html_()
    assert HOSTILE not in page


HEAVY = ("geopandas", "folium", "scipy", "numpy", "shapely", "pandas", "pyogrio", "pyarrow")


@pytest.mark.parametrize(
    "argv",
    [["-c", "import corridor.cli"], ["-m", "corridor", "route", "Chongqing", "Umm Qasr", "--alternatives", "1"]],
    ids=["import", "route"],
)
def test_the_cli_route_path_imports_no_heavy_library(argv):
    import subprocess
    import sys

    # Warm first: a network built for the cache (not the packaged one) needs shapely, once.
    subprocess.run([sys.executable, *argv], capture_output=True, timeout=300)
    done = subprocess.run([sys.executable, "-X", "importtime", *argv], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    imported = {line.split("|")[-1].strip().split(".")[0] for line in done.stderr.splitlines() if "|" in line}
    assert "corridor" in imported
    assert imported.isdisjoint(HEAVY), sorted(imported & set(HEAVY))


def read_any(path):
    return gpd.read_parquet(path) if path.suffix == ".parquet" else gpd.read_file(path)


@pytest.mark.parametrize("fmt", ["gpkg", "parquet"])
def test_the_cli_writes_geopackage_and_geoparquet(run, tmp_path, fmt):
    if fmt == "parquet":
        pytest.importorskip("pyarrow")
    route = tmp_path / f"route.{fmt}"
    result = run("route", "Chongqing", "Umm Qasr", "--alternatives", "1", "--format", fmt, "--out", str(route))
    assert result.code == 0, result.err
    assert result.out.strip() == str(route)
    legs = read_any(route)
    routes = run("route", "Chongqing", "Umm Qasr", "--alternatives", "1", "--format", "json").json()
    assert len(legs) == len(routes["legs"]) + len(routes["alternatives"][0]["legs"])
    assert legs.crs.to_epsg() == 4326 and set(legs["route"]) == {0, 1}
    reach_file = tmp_path / f"reach.{fmt}"
    assert run("reach", "Chongqing", "--country", "VN", "--format", fmt, "--out", str(reach_file)).code == 0
    reached = read_any(reach_file)
    listed = run("reach", "Chongqing", "--country", "VN", "--format", "json").json()
    assert list(reached["id"]) == [r["id"] for r in listed]
    assert set(reached.geometry.geom_type) == {"Point"}
    grid = tmp_path / f"matrix.{fmt}"
    assert run("matrix", "Chongqing", "Qinzhou", "--to", "Singapore", "--to", "Manila", "--format", fmt,
               "--out", str(grid)).code == 0  # fmt: skip
    assert len(read_any(grid)) == 4
    ports = tmp_path / f"ports.{fmt}"
    assert run("ports", "list", "--country", "IQ", "--format", fmt, "--out", str(ports)).code == 0
    iraq = read_any(ports)
    assert set(iraq["country"]) == {"IQ"} and {"IQUQR", "IQBSR"} <= set(iraq["id"])
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no staging left behind


def test_the_cli_matrix_file_gives_a_destination_that_is_its_origin_totals_of_0_as_its_csv_does(run, tmp_path):
    # The GeoPackage of `corridor matrix` left such a pair with empty totals, as for a pair out of
    # reach, where the CSV and JSON of the same command (and the README) give it 0.
    argv = ("matrix", "Chongqing", "--to", "Chongqing", "--to", "CNCQI", "--to", "Singapore", "--modes", "rail,road")
    grid = tmp_path / "matrix.gpkg"
    assert run(*argv, "--out", str(grid)).code == 0
    written = read_any(grid)
    listed = run(*argv, "--format", "json").json()
    assert [r["cost_usd"] for r in listed] == [0.0, 0.0, None]  # Singapore: no route by rail and road
    for metric in ("distance_km", "time_h", "cost_usd", "co2_kg"):
        assert list(written[metric].iloc[:2]) == [0.0, 0.0]
        assert math.isnan(written[metric].iloc[2])


def test_file_formats_need_an_out_file_outside_the_dataset(run, tiny, tmp_path):
    result = run("reach", "Alpha", "--format", "gpkg", "--data", str(tiny))
    assert result.code == 2 and "--out" in result.err and result.out == ""
    inside = run("reach", "Alpha", "--format", "gpkg", "--out", str(tiny / "r.gpkg"), "--data", str(tiny))
    assert inside.code == 1 and "inside the dataset" in inside.err
    text = tmp_path / "reach.csv"
    assert run("reach", "Alpha", "--format", "csv", "--out", str(text), "--data", str(tiny)).code == 0
    assert text.read_text().startswith("id,name,country,")


def test_a_frame_with_no_rows_or_an_empty_column_is_typed_as_one_with_values(network, tmp_path):
    from corridor.frames import routes_to_gdf

    full, empty = reach(network, "Chongqing"), reach(network, "Chongqing", modes="sea")  # inland: nothing by sea
    assert full and not empty
    for make in ("to_dataframe", "to_geodataframe"):
        assert dict(getattr(empty, make)().dtypes) == dict(getattr(full, make)().dtypes)
    no_legs = routes_to_gdf(network, [])
    assert (
        no_legs.dtypes.to_dict() == find_routes(network, "Chongqing", "Umm Qasr")[0].to_geodataframe().dtypes.to_dict()
    )
    places = network.places_gdf()
    assert places["handling_usd"].dtype == "float64"  # no bundled place sets it: NaN, not an object column of None
    path = tmp_path / "reach.gpkg"
    empty.to_geodataframe().to_file(path, driver="GPKG")
    assert gpd.read_file(path)["cost_usd"].dtype == "float64"


def test_routes_to_gdf_takes_any_iterable_of_routes_of_its_network_only(umm_qasr, network, tiny):
    from corridor.errors import UsageError
    from corridor.frames import routes_to_gdf

    listed = routes_to_gdf(network, umm_qasr)
    assert routes_to_gdf(network, iter(umm_qasr)).equals(listed)
    assert routes_to_gdf(network, (route for route in umm_qasr)).equals(listed)
    for bad in (None, [None], [umm_qasr]):
        with pytest.raises(UsageError, match=r"^routes") as info:
            routes_to_gdf(network, bad)
        assert info.value.parameter == "routes"
    with pytest.raises(UsageError, match="not the one this route was found on"):
        routes_to_gdf(load_network(tiny), umm_qasr)


def test_a_desire_line_between_two_places_at_one_spot_is_a_valid_point(network):
    camden, philadelphia = network.places["USCDE"], network.places["USPHL"]
    assert (camden.lon, camden.lat) == (philadelphia.lon, philadelphia.lat)  # the two ports share a position
    frame = matrix(network, ["USCDE"], ["USPHL", "Singapore"]).to_geodataframe()
    assert frame["cost_usd"].notna().all()
    assert frame.geometry.is_valid.all()
    assert frame.geometry.iloc[0].equals(shapely.Point(philadelphia.lon, philadelphia.lat))
    assert frame.geometry.iloc[1].geom_type == "LineString"


def test_only_a_line_across_the_antimeridian_goes_through_the_splitter(network, monkeypatch):
    import corridor.io

    split = []
    real = corridor.io.line_geometry
    monkeypatch.setattr(corridor.io, "line_geometry", lambda coords: split.append(coords) or real(coords))
    frame = matrix(network, ["Chongqing"], ["Singapore", "Los Angeles", "Umm Qasr"]).to_geodataframe()
    assert len(split) == 1  # Los Angeles only: the splitter costs a 1,000,000-row matrix a minute
    assert list(frame.geometry.geom_type) == ["LineString", "MultiLineString", "LineString"]
    singapore = frame.geometry.iloc[0]
    assert singapore.equals_exact(shapely.geometry.shape(real(list(singapore.coords))), 0)  # the same line
