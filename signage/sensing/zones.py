"""Exclusion zones: regions of the camera's view where faces are dropped before any measurement.

Pure geometry, no I/O (the polygon functions themselves are in signage/polygons.py, which the
configuration's checks share). A zone is a simple polygon (no edge crosses another) in normalised
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

from signage.polygons import Point, area, contains, crossing_edges, on_segment, segments_cross

__all__ = ["Box", "Point", "Zone", "ZoneFilter", "area", "box_centre", "contains", "crossing_edges", "on_segment",
           "segments_cross"]

Box = tuple[float, float, float, float]  # x, y, w, h in pixels of the frame


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
