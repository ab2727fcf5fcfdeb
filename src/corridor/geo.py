"""Great-circle distances, coordinate checks and longitude handling."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

EARTH_RADIUS_KM = 6371.0088
KM_PER_NM = 1.852


def haversine_km(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """Return the great-circle distance between two points in kilometres."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp = p2 - p1
    dl = math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(a)))


def path_length_km(coords: Iterable[Sequence[float]]) -> float:
    """Return the length of a (lon, lat) polyline in kilometres."""
    total = 0.0
    prev = None
    for lon, lat in coords:
        if prev is not None:
            total += haversine_km(prev[0], prev[1], lon, lat)
        prev = (lon, lat)
    return total


def normalize_lon(lon: float) -> float:
    """Return a longitude in [-180, 180)."""
    return ((lon + 180.0) % 360.0) - 180.0


def unwrap_lons(coords: Sequence[Sequence[float]]) -> list[tuple[float, float]]:
    """Shift longitudes so consecutive points never jump by more than 180 degrees.

    A line crossing the antimeridian then draws as one continuous stroke
    (Leaflet accepts longitudes beyond +-180).
    """
    out: list[tuple[float, float]] = []
    offset = 0.0
    prev = None
    for lon, lat in coords:
        if prev is not None:
            step = lon + offset - prev
            if step > 180:
                offset -= 360
            elif step < -180:
                offset += 360
        out.append((lon + offset, lat))
        prev = lon + offset
    return out


def valid_lat_lon(lat: float, lon: float) -> bool:
    """Return True when lat/lon are finite and inside their ranges."""
    return math.isfinite(lat) and math.isfinite(lon) and -90.0 <= lat <= 90.0 and -180.0 <= lon <= 180.0


def segments_meet(a: Sequence[float], b: Sequence[float], c: Sequence[float], d: Sequence[float]) -> bool:
    """Whether the plane segments a-b and c-d share a point (touching counts), in any units."""

    def side(p: Sequence[float], q: Sequence[float], r: Sequence[float]) -> float:
        return (q[0] - p[0]) * (r[1] - p[1]) - (q[1] - p[1]) * (r[0] - p[0])

    def within(p: Sequence[float], q: Sequence[float], r: Sequence[float]) -> bool:
        # r lies in the box of p-q (used once r is known to lie on the line through them)
        return min(p[0], q[0]) <= r[0] <= max(p[0], q[0]) and min(p[1], q[1]) <= r[1] <= max(p[1], q[1])

    d1, d2, d3, d4 = side(c, d, a), side(c, d, b), side(a, b, c), side(a, b, d)
    if ((d1 > 0 and d2 < 0) or (d1 < 0 and d2 > 0)) and ((d3 > 0 and d4 < 0) or (d3 < 0 and d4 > 0)):
        return True
    return (
        (d1 == 0 and within(c, d, a))
        or (d2 == 0 and within(c, d, b))
        or (d3 == 0 and within(a, b, c))
        or (d4 == 0 and within(a, b, d))
    )
