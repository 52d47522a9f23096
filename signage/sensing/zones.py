"""Exclusion zones: regions of the camera's view where faces are dropped before any measurement.

Pure geometry, no I/O. A zone is a simple polygon (no edge crosses another) in normalised
frame coordinates: x from 0 (left edge) to 1 (right edge), y from 0 (top) to 1 (bottom), so
one set of zones holds whatever the camera's resolution.

The rule: **a face is in a zone when the centre of its box is inside the polygon or on its
edge.** The centre is where the operator sees the face on the schematic (``signage sense
SOURCE --zones`` marks it), and it decides a face that straddles the zone's edge by where
most of it is. The other rules considered, for a zone around a till:

- the box's bottom-centre (the "feet" rule of people counters) is the chin for a face: it
  pulls the decision half a face downwards, so a cashier leaning forward over the counter,
  chin outside, would be counted while most of the face is still in the zone;
- any overlap with the zone would also drop a customer whose face merely touches its edge
  while standing at the counter, which is exactly the person the screen is for.

Draw the zone half a face wider than where staff faces go; the schematic shows the centres.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

Point = tuple[float, float]
Box = tuple[float, float, float, float]  # x, y, w, h in pixels of the frame

MAX_ZONES = 16
MAX_POINTS = 32
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


def box_centre(box: Box, width: int, height: int) -> Point:
    """The centre of a pixel box (x, y, w, h), in normalised frame coordinates."""
    x, y, w, h = box
    return (x + w / 2.0) / width, (y + h / 2.0) / height


@dataclass(frozen=True, slots=True)
class Zone:
    name: str
    points: tuple[Point, ...]


class ZoneFilter:
    """The configured zones, asked about face boxes of one frame size at a time."""

    def __init__(self, zones: Sequence[Zone]) -> None:
        self.zones = tuple(zones)

    @classmethod
    def from_config(cls, zones: Sequence) -> ZoneFilter:
        """From config entries (``name`` and ``points``; signage.config.sensing.ZoneConfig)."""
        return cls([Zone(z.name, tuple((float(x), float(y)) for x, y in z.points)) for z in zones])

    def __bool__(self) -> bool:
        return bool(self.zones)

    def zone_of(self, box: Box, width: int, height: int) -> str | None:
        """The name of the first zone holding the box's centre, else None."""
        if not self.zones:
            return None
        c = box_centre(box, width, height)
        return next((z.name for z in self.zones if contains(z.points, c)), None)

    def excludes(self, box: Box, width: int, height: int) -> bool:
        return self.zone_of(box, width, height) is not None
