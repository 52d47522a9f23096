"""Plane geometry of simple polygons: pure functions, no I/O, used by the configuration's checks
of exclusion zones (signage/config/sensing.py) and by the zone rule (signage/sensing/zones.py).

A polygon is a sequence of (x, y) points, its edges running from each point to the next and
from the last back to the first."""

from __future__ import annotations

from collections.abc import Sequence

Point = tuple[float, float]

_EPS = 1e-12


def _cross(o: Point, a: Point, b: Point) -> float:
    return (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0])


def on_segment(p: Point, a: Point, b: Point, tol: float = 1e-9) -> bool:
    """p lies on the segment a-b (within ``tol``)."""
    if abs(_cross(a, b, p)) > tol * max(1.0, abs(b[0] - a[0]) + abs(b[1] - a[1])):
        return False
    return (min(a[0], b[0]) - tol <= p[0] <= max(a[0], b[0]) + tol
            and min(a[1], b[1]) - tol <= p[1] <= max(a[1], b[1]) + tol)


def segments_cross(a: Point, b: Point, c: Point, d: Point) -> bool:
    """The segments a-b and c-d share a point (crossing, touching or overlapping)."""
    d1, d2 = _cross(c, d, a), _cross(c, d, b)
    d3, d4 = _cross(a, b, c), _cross(a, b, d)
    if ((d1 > _EPS and d2 < -_EPS) or (d1 < -_EPS and d2 > _EPS)) and \
       ((d3 > _EPS and d4 < -_EPS) or (d3 < -_EPS and d4 > _EPS)):
        return True
    return on_segment(a, c, d) or on_segment(b, c, d) or on_segment(c, a, b) or on_segment(d, a, b)


def area(poly: Sequence[Point]) -> float:
    """The polygon's signed area (shoelace): positive when its points run anticlockwise in x-right, y-up."""
    n = len(poly)
    return sum(poly[i][0] * poly[(i + 1) % n][1] - poly[(i + 1) % n][0] * poly[i][1] for i in range(n)) / 2.0


def crossing_edges(poly: Sequence[Point]) -> tuple[int, int] | None:
    """The first pair of edges (by index: edge i runs from point i to point i+1) that meet
    anywhere other than at the point two neighbouring edges share, else None: a polygon
    with none is simple."""
    n = len(poly)
    edges = [(poly[i], poly[(i + 1) % n]) for i in range(n)]
    for i in range(n):
        for j in range(i + 1, n):
            neighbours = j == i + 1 or (i == 0 and j == n - 1)
            a, b = edges[i]
            c, d = edges[j]
            if neighbours:
                # They share one point; they must not fold back onto each other.
                shared, other_i, other_j = (b, a, d) if j == i + 1 else (a, b, c)
                if abs(_cross(shared, other_i, other_j)) <= _EPS and \
                        (other_i[0] - shared[0]) * (other_j[0] - shared[0]) + (other_i[1] - shared[1]) * (other_j[1] - shared[1]) > 0:
                    return i, j
                continue
            if segments_cross(a, b, c, d):
                return i, j
    return None


def contains(poly: Sequence[Point], p: Point) -> bool:
    """p is inside the polygon or on its edge (even-odd rule; a simple polygon has no holes)."""
    n = len(poly)
    inside = False
    x, y = p
    for i in range(n):
        a, b = poly[i], poly[(i + 1) % n]
        if on_segment(p, a, b):
            return True
        if (a[1] > y) != (b[1] > y):
            x_at = a[0] + (y - a[1]) * (b[0] - a[0]) / (b[1] - a[1])
            if x < x_at:
                inside = not inside
    return inside
