"""The map of the digest's countries: Natural Earth's shapes (`data/world.txt`, made by
scripts/convert_map.py), cropped to the countries present and projected for an inline SVG."""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cached_property, lru_cache
from itertools import accumulate
from typing import Callable, Mapping

from digest.core.tables import data_folder

WIDTH = 1000  # the map's width in SVG units; coordinates are whole units
STEP = 3  # the least distance between two points of a border, in units (about 2 px wide)


@dataclass(frozen=True)
class Ring:
    """One closed line of a shape: longitudes and latitudes in hundredths of a degree."""

    xs: tuple[int, ...]
    ys: tuple[int, ...]

    @cached_property
    def extent(self) -> tuple[float, float, float, float]:
        """West, south, east, north, in degrees."""
        return min(self.xs) / 100, min(self.ys) / 100, max(self.xs) / 100, max(self.ys) / 100


@dataclass(frozen=True)
class Shape:
    code: str  # ISO 3166-1 alpha-2; "" for land without one
    name: str
    rings: tuple[Ring, ...]


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
            steps = list(map(int, ring.replace(",", " ").split()))
            rings.append(Ring(tuple(accumulate(steps[0::2])), tuple(accumulate(steps[1::2]))))
        out.append(Shape(code, name, tuple(rings)))
    return tuple(out)


def _area(e: tuple[float, float, float, float]) -> float:
    return (e[2] - e[0]) * (e[3] - e[1])


def crop(codes: set[str], shapes: tuple[Shape, ...]) -> tuple[float, float, float, float] | None:
    """The region to show: around the main body of each country present (its largest ring:
    an overseas department does not stretch the map), with a margin."""
    boxes = [max((r.extent for r in s.rings), key=_area) for s in shapes if s.code in codes]
    if not boxes:
        return None
    west, south = min(b[0] for b in boxes), min(b[1] for b in boxes)
    east, north = max(b[2] for b in boxes), max(b[3] for b in boxes)
    pad = max(2.0, 0.08 * max(east - west, north - south))
    return west - pad, max(-60.0, south - pad), east + pad, min(85.0, north + pad)


def _path(ring: Ring, west: float, north: float, fx: float, fy: float) -> str:
    """An SVG path of a ring in whole units (x = (lon - west) * fx, y = (north - lat) * fy,
    in hundredths of a degree), relative moves, points closer than STEP dropped."""
    px = [round((x - west) * fx) for x in ring.xs]
    py = [round((north - y) * fy) for y in ring.ys]
    kept_x, kept_y = [px[0]], [py[0]]
    for x, y in zip(px, py):
        if abs(x - kept_x[-1]) + abs(y - kept_y[-1]) >= STEP:
            kept_x.append(x)
            kept_y.append(y)
    if len(kept_x) < 3 or len(set(zip(kept_x, kept_y))) < 3:
        return ""
    moves = [f"{kept_x[i] - kept_x[i - 1]} {kept_y[i] - kept_y[i - 1]}"
             for i in range(1, len(kept_x))]
    return f"M{kept_x[0]} {kept_y[0]}l" + " ".join(moves) + "z"


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

    fx, fy = stretch * scale / 100, scale / 100  # (per hundredth of a degree)
    out = []
    for s in shapes:
        parts = []
        for ring in s.rings:
            e = ring.extent
            if e[2] < west or e[0] > east or e[3] < south or e[1] > north:
                continue  # outside the region
            if (e[2] - e[0]) * fx * 100 < STEP and (e[3] - e[1]) * fy * 100 < STEP:
                continue  # an island too small to see at this scale
            d = _path(ring, west * 100, north * 100, fx, fy)
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
