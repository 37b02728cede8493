"""The map of the digest's countries: Natural Earth's shapes (`data/world.txt`, made by
scripts/convert_map.py), cropped to the countries present and projected for an inline SVG."""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from typing import Callable, Mapping

from digest.core.tables import data_folder

WIDTH = 1000  # the map's width in SVG units; coordinates are whole units
STEP = 3  # the least distance between two points of a border, in units (about 2 px wide)


@dataclass(frozen=True)
class Shape:
    code: str  # ISO 3166-1 alpha-2; "" for land without one
    name: str
    rings: tuple[tuple[tuple[float, float], ...], ...]  # (longitude, latitude) in degrees


@lru_cache(maxsize=1)
def load_shapes() -> tuple[Shape, ...]:
    """Every shape of the packaged world map."""
    out = []
    text = (data_folder() / "world.txt").read_text(encoding="utf-8")
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        code, name, data = line.split("|", 2)
        rings = []
        for ring in data.split(";"):
            x = y = 0
            points = []
            for cell in ring.split():
                dx, dy = cell.split(",")
                x, y = x + int(dx), y + int(dy)
                points.append((x / 100, y / 100))
            rings.append(tuple(points))
        out.append(Shape(code, name, tuple(rings)))
    return tuple(out)


def _extent(ring) -> tuple[float, float, float, float]:
    lons = [p[0] for p in ring]
    lats = [p[1] for p in ring]
    return min(lons), min(lats), max(lons), max(lats)


def _area(e: tuple[float, float, float, float]) -> float:
    return (e[2] - e[0]) * (e[3] - e[1])


def crop(codes: set[str], shapes: tuple[Shape, ...]) -> tuple[float, float, float, float] | None:
    """The region to show: around the main body of each country present (its largest ring:
    an overseas department does not stretch the map), with a margin."""
    boxes = [max((_extent(r) for r in s.rings), key=_area) for s in shapes if s.code in codes]
    if not boxes:
        return None
    west, south = min(b[0] for b in boxes), min(b[1] for b in boxes)
    east, north = max(b[2] for b in boxes), max(b[3] for b in boxes)
    pad = max(2.0, 0.08 * max(east - west, north - south))
    return west - pad, max(-60.0, south - pad), east + pad, min(85.0, north + pad)


def _path(ring, project: Callable[[float, float], tuple[int, int]]) -> str:
    """An SVG path of a ring in whole units, relative moves, repeated points dropped."""
    points: list[tuple[int, int]] = []
    for lon, lat in ring:  # a point less than STEP units from the last one adds nothing
        p = project(lon, lat)
        if not points or abs(p[0] - points[-1][0]) + abs(p[1] - points[-1][1]) >= STEP:
            points.append(p)
    if len(points) < 3 or len(set(points)) < 3:
        return ""
    x0, y0 = points[0]
    moves, last = [], points[0]
    for x, y in points[1:]:
        moves.append(f"{x - last[0]} {y - last[1]}")
        last = (x, y)
    return f"M{x0} {y0}l" + " ".join(moves) + "z"


def choropleth(counts: Mapping[str, int], level: Callable[[int], int],
               shapes: tuple[Shape, ...] | None = None) -> dict | None:
    """The map of the countries with clippings (`counts` by code): every shape in the region
    they cover, projected (equirectangular, stretched for the region's middle latitude), each
    country present with its count and shading `level`; None when no country has a shape."""
    shapes = load_shapes() if shapes is None else shapes
    present = {code for code, n in counts.items() if n}
    box = crop(present, shapes)
    if box is None:
        return None
    west, south, east, north = box
    stretch = math.cos(math.radians((north + south) / 2))
    scale = WIDTH / ((east - west) * stretch)
    height = round((north - south) * scale)

    def project(lon: float, lat: float) -> tuple[int, int]:
        return round((lon - west) * stretch * scale), round((north - lat) * scale)

    out = []
    for s in shapes:
        parts = []
        for ring in s.rings:
            e = _extent(ring)
            if e[2] < west or e[0] > east or e[3] < south or e[1] > north:
                continue  # outside the region
            d = _path(ring, project)
            if d:
                parts.append(d)
        if not parts:
            continue
        n = counts.get(s.code, 0) if s.code else 0
        out.append({"code": s.code, "name": s.name, "d": "".join(parts), "count": n,
                    "level": level(n) if n else 0})
    out.sort(key=lambda x: x["level"])  # shaded countries drawn over their neighbours
    return {"width": WIDTH, "height": height, "shapes": out,
            "shown": sorted(x["code"] for x in out if x["count"])}
