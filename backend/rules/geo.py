"""Positions: GCJ-02 and BD-09 to WGS-84 (the published conversion formulas), and distances."""

from __future__ import annotations

import math
from typing import Final

from events.base import Geo
from events.vocabulary import Crs

_A: Final = 6378245.0  # Krasovsky 1940 semi-major axis, as used by GCJ-02
_EE: Final = 0.00669342162296594323
_X_PI: Final = math.pi * 3000.0 / 180.0
EARTH_RADIUS_M: Final = 6371008.8


def out_of_china(lat: float, lon: float) -> bool:
    """GCJ-02 offsets apply only inside China's rough bounding box."""
    return not (72.004 <= lon <= 137.8347 and 0.8293 <= lat <= 55.8271)


def _transform_lat(x: float, y: float) -> float:
    ret = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * math.sqrt(abs(x))
    ret += (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    ret += (20.0 * math.sin(y * math.pi) + 40.0 * math.sin(y / 3.0 * math.pi)) * 2.0 / 3.0
    ret += (160.0 * math.sin(y / 12.0 * math.pi) + 320 * math.sin(y * math.pi / 30.0)) * 2.0 / 3.0
    return ret


def _transform_lon(x: float, y: float) -> float:
    ret = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * math.sqrt(abs(x))
    ret += (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    ret += (20.0 * math.sin(x * math.pi) + 40.0 * math.sin(x / 3.0 * math.pi)) * 2.0 / 3.0
    ret += (150.0 * math.sin(x / 12.0 * math.pi) + 300.0 * math.sin(x / 30.0 * math.pi)) * 2.0 / 3.0
    return ret


def _gcj_offset(lat: float, lon: float) -> tuple[float, float]:
    d_lat = _transform_lat(lon - 105.0, lat - 35.0)
    d_lon = _transform_lon(lon - 105.0, lat - 35.0)
    rad = lat / 180.0 * math.pi
    magic = 1 - _EE * math.sin(rad) ** 2
    sqrt_magic = math.sqrt(magic)
    d_lat = (d_lat * 180.0) / ((_A * (1 - _EE)) / (magic * sqrt_magic) * math.pi)
    d_lon = (d_lon * 180.0) / (_A / sqrt_magic * math.cos(rad) * math.pi)
    return d_lat, d_lon


def wgs84_to_gcj02(lat: float, lon: float) -> tuple[float, float]:
    if out_of_china(lat, lon):
        return lat, lon
    d_lat, d_lon = _gcj_offset(lat, lon)
    return lat + d_lat, lon + d_lon


def gcj02_to_wgs84(lat: float, lon: float, iterations: int = 5) -> tuple[float, float]:
    """Inverse of the GCJ-02 offset by fixed-point iteration (well under a metre after a few steps)."""
    if out_of_china(lat, lon):
        return lat, lon
    w_lat, w_lon = lat, lon
    for _ in range(iterations):
        g_lat, g_lon = wgs84_to_gcj02(w_lat, w_lon)
        w_lat, w_lon = w_lat - (g_lat - lat), w_lon - (g_lon - lon)
    return w_lat, w_lon


def bd09_to_gcj02(lat: float, lon: float) -> tuple[float, float]:
    x, y = lon - 0.0065, lat - 0.006
    z = math.sqrt(x * x + y * y) - 0.00002 * math.sin(y * _X_PI)
    theta = math.atan2(y, x) - 0.000003 * math.cos(x * _X_PI)
    return z * math.sin(theta), z * math.cos(theta)


_GCJ02: Final = Crs.GCJ02.value  # plain strings: an enum member looked up per call costs more than the rest
_BD09: Final = Crs.BD09.value


def to_wgs84(geo: Geo) -> tuple[float, float]:
    """The position in WGS-84, whatever system the device reported it in."""
    if geo.crs == _GCJ02:
        return gcj02_to_wgs84(geo.lat, geo.lon)
    if geo.crs == _BD09:
        return gcj02_to_wgs84(*bd09_to_gcj02(geo.lat, geo.lon))
    return geo.lat, geo.lon


def distance_m(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Great-circle (haversine) distance in metres between two WGS-84 points."""
    lat1, lon1, lat2, lon2 = map(math.radians, (a[0], a[1], b[0], b[1]))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(math.sqrt(h))


def offset_m(origin: tuple[float, float], point: tuple[float, float]) -> tuple[float, float]:
    """(east, north) in metres from `origin` to `point` (WGS-84), on the plane tangent at the origin: what a plot of
    positions around a home needs; exact enough over the few kilometres a visit is from a home."""
    lat0 = math.radians(origin[0])
    east = math.radians(point[1] - origin[1]) * EARTH_RADIUS_M * math.cos(lat0)
    north = math.radians(point[0] - origin[0]) * EARTH_RADIUS_M
    return east, north
