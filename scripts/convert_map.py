#!/usr/bin/env python3
"""Convert Natural Earth's country shapes into the package's map data, once:
`convert_map.py countries-50m.json src/digest/data/world.txt` (`make map-data` fetches the
npm package world-atlas and runs this).

world-atlas (ISC licence) is Natural Earth's 1:50m Admin 0 countries (public domain) as
TopoJSON. Each country's rings are decoded from the shared arcs, simplified (Douglas-Peucker,
0.05°, arc by arc so that neighbours keep one border), and written as whole hundredths of a
degree, each point as the change from the one before. Countries are keyed by ISO 3166-1
alpha-2 (from the numeric id, through pycountry; Kosovo by name, as XK); shapes without a
country code (Northern Cyprus, Somaliland) are kept as land without a key. The parts of
Russia and Fiji east of the antimeridian are given longitudes past 180° so that each
country is one piece on the map.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import pycountry

TOLERANCE = 0.05  # degrees
BY_NAME = {"Kosovo": "XK"}
WRAP = {"RU": 0.0, "FJ": 0.0}  # points west of this longitude go east of 180°


def decode_arcs(topo: dict) -> list[list[tuple[float, float]]]:
    (sx, sy), (tx, ty) = topo["transform"]["scale"], topo["transform"]["translate"]
    arcs = []
    for arc in topo["arcs"]:
        x = y = 0
        points = []
        for dx, dy in arc:
            x, y = x + dx, y + dy
            points.append((x * sx + tx, y * sy + ty))
        arcs.append(points)
    return arcs


def simplify(points: list[tuple[float, float]], tolerance: float) -> list[tuple[float, float]]:
    """Douglas-Peucker, keeping both ends (an arc's ends are shared with its neighbours)."""
    if len(points) < 3:
        return points
    keep = [False] * len(points)
    keep[0] = keep[-1] = True
    stack = [(0, len(points) - 1)]
    while stack:
        first, last = stack.pop()
        (x1, y1), (x2, y2) = points[first], points[last]
        dx, dy = x2 - x1, y2 - y1
        length = (dx * dx + dy * dy) ** 0.5
        far, index = 0.0, None
        for i in range(first + 1, last):
            px, py = points[i]
            d = abs(dy * px - dx * py + x2 * y1 - y2 * x1) / length if length else \
                ((px - x1) ** 2 + (py - y1) ** 2) ** 0.5
            if d > far:
                far, index = d, i
        if index is not None and far > tolerance:
            keep[index] = True
            stack.extend(((first, index), (index, last)))
    return [p for p, k in zip(points, keep) if k]


def ring(indexes: list[int], arcs: list[list[tuple[float, float]]]) -> list[tuple[float, float]]:
    out: list[tuple[float, float]] = []
    for i in indexes:
        part = arcs[i] if i >= 0 else arcs[~i][::-1]
        out.extend(part if not out else part[1:])
    return out


def code_of(geometry: dict) -> str:
    name = geometry.get("properties", {}).get("name", "")
    if name in BY_NAME:
        return BY_NAME[name]
    found = pycountry.countries.get(numeric=geometry.get("id") or "000")
    return found.alpha_2 if found else ""


def encode(points: list[tuple[float, float]]) -> str:
    cells, last = [], (0, 0)
    for lon, lat in points:
        x, y = round(lon * 100), round(lat * 100)
        if (x, y) == last and cells:
            continue
        cells.append(f"{x - last[0]},{y - last[1]}")
        last = (x, y)
    return " ".join(cells)


def convert(topo: dict) -> list[str]:
    arcs = [simplify(a, TOLERANCE) for a in decode_arcs(topo)]
    lines = []
    for geometry in topo["objects"]["countries"]["geometries"]:
        polygons = {"Polygon": [geometry.get("arcs", [])],
                    "MultiPolygon": geometry.get("arcs", [])}.get(geometry["type"], [])
        code = code_of(geometry)
        name = geometry.get("properties", {}).get("name", "")
        rings = []
        for polygon in polygons:
            for indexes in polygon:
                points = ring(indexes, arcs)
                if code in WRAP:  # east of 180°: past it, not at the far west
                    points = [(lon + 360 if lon < WRAP[code] else lon, lat)
                              for lon, lat in points]
                if len(points) >= 4:
                    rings.append(encode(points))
        if rings:
            lines.append(f"{code}|{name}|{';'.join(rings)}")
    return sorted(lines)


HEADER = """# The world's countries for the digest's map, from Natural Earth's 1:50m Admin 0 countries
# (public domain: https://www.naturalearthdata.com/about/terms-of-use/), as the npm package
# world-atlas 2.0.2 gives them (ISC licence, Copyright 2013-2019 Michael Bostock).
# Boundaries are Natural Earth's: de facto, as on the ground. Made by scripts/convert_map.py.
#   CODE (ISO 3166-1 alpha-2, empty for land with none) | name | rings, `;` between: points as
#   whole hundredths of a degree (longitude,latitude), each the change from the one before
"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("topojson", type=Path)
    parser.add_argument("out", type=Path)
    args = parser.parse_args()
    topo = json.loads(args.topojson.read_text(encoding="utf-8"))
    lines = convert(topo)
    args.out.write_text(HEADER + "\n".join(lines) + "\n", encoding="utf-8")
    print(f"{args.out}: {len(lines)} shapes, {args.out.stat().st_size // 1024} KiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
