"""Prepare data/land/ne_50m_land_simplified.geojson, the offline basemap drawn under every map.

Usage: python scripts/prepare_basemap.py NE_50M_LAND_GEOJSON [--out data/land/ne_50m_land_simplified.geojson]

NE_50M_LAND_GEOJSON is Natural Earth's 1:50m land polygons as GeoJSON (public domain; the
conversion by martynafford/natural-earth-geojson is CC0). The script simplifies each polygon
(Douglas-Peucker, topology preserved, TOLERANCE_DEG), drops islets smaller than MIN_AREA_DEG2,
rounds coordinates to DECIMALS places and writes one MultiPolygon feature. Every map embeds
the result, so it is kept to about half a megabyte: coastlines stay within about 2 km.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import shapely
from shapely.geometry import mapping, shape

TOLERANCE_DEG = 0.02
MIN_AREA_DEG2 = 0.002
DECIMALS = 2


def _rounded(coords):
    if isinstance(coords[0], (int, float)):
        return [round(coords[0], DECIMALS), round(coords[1], DECIMALS)]
    return [_rounded(c) for c in coords]


def simplify_land(collection: dict) -> dict:
    """Return a FeatureCollection of one simplified MultiPolygon from land polygon features."""
    parts = []
    for feature in collection["features"]:
        simplified = shapely.simplify(shape(feature["geometry"]), TOLERANCE_DEG, preserve_topology=True)
        parts.extend(p for p in shapely.get_parts(simplified) if not p.is_empty and p.area >= MIN_AREA_DEG2)
    geometry = mapping(shapely.MultiPolygon(parts))
    geometry = {"type": "MultiPolygon", "coordinates": _rounded(geometry["coordinates"])}
    properties = {
        "source": "Natural Earth 1:50m land (public domain), simplified by corridor's scripts/prepare_basemap.py",
        "tolerance_deg": TOLERANCE_DEG,
    }
    return {
        "type": "FeatureCollection",
        "features": [{"type": "Feature", "properties": properties, "geometry": geometry}],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source", type=Path, help="Natural Earth 1:50m land GeoJSON")
    parser.add_argument("--out", type=Path, default=Path("data/land/ne_50m_land_simplified.geojson"))
    args = parser.parse_args()
    collection = json.loads(args.source.read_text(encoding="utf-8"))
    result = simplify_land(collection)
    args.out.write_text(json.dumps(result, separators=(",", ":")) + "\n", encoding="utf-8")
    polygons = len(result["features"][0]["geometry"]["coordinates"])
    print(f"{args.out}: {polygons} polygons, {args.out.stat().st_size / 1024:.0f} KB")


if __name__ == "__main__":
    main()
