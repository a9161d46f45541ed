"""Charts drawn on the server as SVG: bars for statistics, and visit positions around a child's home in metres.
Nothing is loaded from elsewhere unless a tile service is configured, and then only its tiles."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Final

import msgspec
from markupsafe import Markup, escape

from backend.rules.geo import offset_m

BAR_COLOUR: Final = "#0b5cad"
LABEL_PX: Final = 170
SIZE: Final = 360
CENTRE: Final = SIZE / 2
RADIUS_PX: Final = 150
EQUATOR_M: Final = 40075016.686
MAX_ZOOM: Final = 19


class Position(msgspec.Struct, frozen=True):
    """A visit's place (WGS-84) and how it is labelled and marked on the plot."""

    label: str
    lat: float
    lon: float
    flagged: bool


def bars(title: str, rows: Sequence[tuple[str, float | str]]) -> Markup:
    """A horizontal bar chart with each value written beside its bar (readable without colour); a value that is not a
    number (a statistics cell shown as `<5`) is written without a bar."""
    height, label_w, bar_w = 22, LABEL_PX + 6, 130
    top = max((v for _, v in rows if not isinstance(v, str)), default=0) or 1
    parts = [f'<svg class="chart" role="img" viewBox="0 0 {label_w + bar_w + 50} {height * len(rows) + 8}" '
             f'xmlns="http://www.w3.org/2000/svg"><title>{escape(title)}</title>']
    for i, (label, value) in enumerate(rows):
        y = 4 + i * height
        width = 0 if isinstance(value, str) else bar_w * value / top
        parts.append(f'<text x="{label_w - 6}" y="{y + 16}" text-anchor="end">{escape(fit(label))}'
                     f'<title>{escape(label)}</title></text>'
                     f'<rect x="{label_w}" y="{y + 3}" width="{width:.1f}" height="{height - 8}" fill="{BAR_COLOUR}"/>'
                     f'<text x="{label_w + width + 6:.1f}" y="{y + 16}">{escape(_number(value))}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))


def fit(label: str, room: float = 0) -> str:
    """The label shortened with an ellipsis to what fits beside the bars (a CJK character ~12 px, others ~7 px at
    12 px type); the whole label stays in the chart's text as its title."""
    room = room or LABEL_PX
    used = 0.0
    for i, char in enumerate(label):
        used += 12 if ord(char) > 0x2E7F else 7
        if used > room:
            return label[: max(i - 1, 0)] + "…"
    return label


def _number(value: float | str) -> str:
    if isinstance(value, str):
        return value
    return str(int(value)) if float(value).is_integer() else f"{value:.1f}"


def nice_step(extent: float) -> float:
    """A round grid step (1, 2 or 5 times a power of ten) giving three to six lines across `extent` metres."""
    raw = extent / 3
    power = 10.0 ** math.floor(math.log10(raw))
    return next(float(m * power) for m in (1, 2, 5, 10) if m * power >= raw)


def positions_plot(title: str, home_label: str, home: tuple[float, float], visits: Sequence[Position],
                   tile_url: str | None = None) -> Markup:
    """Visits (dots; a flagged one as a square) around the home (a cross), north up, distances in metres."""
    offsets = [offset_m(home, (v.lat, v.lon)) for v in visits]
    extent = max([50.0] + [max(abs(e), abs(n)) * 1.15 for e, n in offsets])
    scale = RADIUS_PX / extent
    parts = [f'<svg class="plot" role="img" viewBox="0 0 {SIZE} {SIZE}" xmlns="http://www.w3.org/2000/svg">'
             f'<title>{escape(title)}</title><rect width="{SIZE}" height="{SIZE}" fill="#fff"/>']
    if tile_url:
        parts.append(_tiles(tile_url, home, extent, scale))
    parts.append(_grid(extent, scale))
    parts.append(f'<path d="M{CENTRE - 8} {CENTRE}h16M{CENTRE} {CENTRE - 8}v16" stroke="#b00020" stroke-width="3"/>'
                 f'<text x="{CENTRE + 10}" y="{CENTRE - 10}" class="home">{escape(home_label)}</text>')
    for visit, (east, north) in zip(visits, offsets, strict=True):
        x, y = CENTRE + east * scale, CENTRE - north * scale
        mark = (f'<rect x="{x - 5:.1f}" y="{y - 5:.1f}" width="10" height="10" fill="#b35900"/>' if visit.flagged
                else f'<circle cx="{x:.1f}" cy="{y:.1f}" r="5" fill="{BAR_COLOUR}"/>')
        distance = math.hypot(east, north)
        parts.append(f'<g>{mark}<title>{escape(visit.label)} · {distance:.0f} m</title></g>')
    parts.append("</svg>")
    return Markup("".join(parts))


def _grid(extent: float, scale: float) -> str:
    step = nice_step(extent)
    lines = []
    k = 1
    while k * step <= extent:
        for sign in (1, -1):
            at = CENTRE + sign * k * step * scale
            lines.append(f'<path d="M{at:.1f} 0V{SIZE}M0 {at:.1f}H{SIZE}" stroke="#d0d5dd"/>')
        lines.append(f'<text x="{CENTRE + k * step * scale + 2:.1f}" y="{SIZE - 4}" class="tick">{k * step:g} m</text>')
        k += 1
    lines.append(f'<text x="{CENTRE - 4}" y="14" class="tick">N</text>')
    return "".join(lines)


def zoom_for(extent: float, lat: float) -> int:
    """The closest zoom whose tile is at least `extent` metres wide at this latitude (3×3 tiles then cover the plot)."""
    width = EQUATOR_M * math.cos(math.radians(lat))
    return max(0, min(MAX_ZOOM, math.floor(math.log2(width / extent))))


def tile_corner(x: int, y: int, zoom: int) -> tuple[float, float]:
    """The north-west corner (lat, lon) of a Web Mercator tile."""
    n = 2**zoom
    lat = math.degrees(math.atan(math.sinh(math.pi * (1 - 2 * y / n))))
    return lat, x / n * 360.0 - 180.0


def _tiles(tile_url: str, home: tuple[float, float], extent: float, scale: float) -> str:
    zoom = zoom_for(extent, home[0])
    n = 2**zoom
    tx = int((home[1] + 180.0) / 360.0 * n)
    ty = int((1 - math.asinh(math.tan(math.radians(home[0]))) / math.pi) / 2 * n)
    images = ['<clipPath id="plot-area"><rect width="360" height="360"/></clipPath><g clip-path="url(#plot-area)">']
    for x in range(tx - 1, tx + 2):
        for y in range(ty - 1, ty + 2):
            west, north = offset_m(home, tile_corner(x, y, zoom))
            east, south = offset_m(home, tile_corner(x + 1, y + 1, zoom))
            href = tile_url.replace("{z}", str(zoom)).replace("{x}", str(x)).replace("{y}", str(y))
            images.append(f'<image href="{escape(href)}" x="{CENTRE + west * scale:.1f}" y="{CENTRE - north * scale:.1f}" '
                          f'width="{(east - west) * scale:.1f}" height="{(north - south) * scale:.1f}" opacity="0.6"/>')
    images.append("</g>")
    return "".join(images)
