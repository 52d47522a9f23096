"""Where the face detector looks, and how its boxes are put together: pure functions on
images and detector boxes, no model, no landmark. Used by the analyzer alone.

- Padding: the full-range detector is made for faces at a distance; a face that fills the
  image (a close-up photo, someone right at the camera) or is cut by its edge is often
  missed. The same pixels placed in the middle of a larger, plain canvas put the face at a
  scale the detector knows, with room around a cut face (the detector alone, on 1,000 of
  GENKI-4K's close-up portraits: no face in 3.7% of them whole, in 0.1% padded). The canvas
  is built small (the detector reads 192x192 anyway) and the boxes are mapped back.
- Tiles: overlapping windows of the image, each read by the detector at a larger scale,
  so that faces too small for the whole image are found.
- Duplicates: a face found in the whole image, in the padded canvas and in tiles is one
  face; its detections are grouped, best score first.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Protocol

import cv2
import numpy as np

from signage.sensing.roi import box_iou, overlap_of_smaller

Box = tuple[float, float, float, float]
Window = tuple[int, int, int, int]  # x, y, w, h in image pixels

# The canvas is this many times the image's longer side, the image in its middle.
PAD_FACTOR = 2.0
# ... built at most this many pixels a side (the detector reads 192x192).
PAD_CANVAS_PX = 384
# A face found in the padded canvas is kept only when at least this share of the image's
# shorter side: smaller ones, a few pixels in the canvas, the whole image finds better (a
# 30 px face in 640x480 was boxed 57 px wide there, and followed twice).
PAD_MIN_FACE = 0.2
# The canvas' fill: black found the most GENKI faces (0.1% none, against 0.5% for mid-grey
# and 0.4% for the image's replicated border, at 2x).
PAD_FILL = 0


class Detected(Protocol):
    box: Box
    score: float
    right_eye: tuple[float, float]
    left_eye: tuple[float, float]


@dataclasses.dataclass(frozen=True, slots=True)
class Canvas:
    """Where the image sits in a padded canvas: canvas = image * scale + (ox, oy)."""

    scale: float
    ox: float
    oy: float

    def large_in_image(self, dets: list, width: int, height: int) -> list:
        """The detections of the canvas, in image pixels, large enough to be trusted there."""
        out = [self.to_image(d) for d in dets]
        return [d for d in out if d.box[2] >= PAD_MIN_FACE * min(width, height)]

    def to_image(self, d: Detected) -> Detected:
        """A detection in canvas pixels, in image pixels."""
        x, y, w, h = d.box
        s = self.scale
        return dataclasses.replace(
            d,
            box=((x - self.ox) / s, (y - self.oy) / s, w / s, h / s),
            right_eye=((d.right_eye[0] - self.ox) / s, (d.right_eye[1] - self.oy) / s),
            left_eye=((d.left_eye[0] - self.ox) / s, (d.left_eye[1] - self.oy) / s),
        )


def padded(image: np.ndarray, factor: float = PAD_FACTOR, max_px: int = PAD_CANVAS_PX) -> tuple[np.ndarray, Canvas]:
    """The image, scaled down if need be, in the middle of a square plain canvas
    ``factor`` times its longer side (at most ``max_px`` a side)."""
    h, w = image.shape[:2]
    side = factor * max(w, h)
    scale = min(1.0, max_px / side)
    sw, sh = max(1, round(w * scale)), max(1, round(h * scale))
    n = max(sw, sh, round(side * scale))
    small = image if (sw, sh) == (w, h) else cv2.resize(image, (sw, sh), interpolation=cv2.INTER_AREA)
    ox, oy = (n - sw) // 2, (n - sh) // 2
    canvas = np.full((n, n, image.shape[2]), PAD_FILL, image.dtype)
    canvas[oy : oy + sh, ox : ox + sw] = small
    # the exact scale of each axis is sw / w and sh / h; they differ by under half a pixel
    return canvas, Canvas(sw / w, float(ox), float(oy))


def tile_windows(width: int, height: int, grid: int, overlap: float = 0.4) -> list[Window]:
    """Overlapping square windows (x, y, w, h) covering the image, about 1/grid of its
    shorter side times 1.5, neighbours sharing at least ``overlap`` of a window, so that a
    face cut by one window is whole in a neighbour."""
    if grid <= 1:
        return []
    side = min(width, height, int(round(min(width, height) / grid * 1.5)))
    step = side * (1.0 - overlap)
    nx = max(1, math.ceil((width - side) / step) + 1) if width > side else 1
    ny = max(1, math.ceil((height - side) / step) + 1) if height > side else 1
    xs = np.linspace(0, width - side, nx).astype(int) if nx > 1 else [0]
    ys = np.linspace(0, height - side, ny).astype(int) if ny > 1 else [0]
    return [(int(x), int(y), side, side) for y in ys for x in xs]


# On a stream, "auto" tiles: the coarsest grid whose tile (1.5 / grid of the frame's shorter
# side) is at most this wide, as 2x2 gives at 640x480 (360 px) and 1280x720 (540 px); at
# 1920x1080 that is 3x3 (540 px, where 2x2 gives 810 px: a 45 px face is 11 px of the
# detector's 192 px input, and the 1080p Solvay stream finds 15 of its 29 faces against 27).
STREAM_TILE_PX = 540
STREAM_MAX_GRID = 4
# A stream reads its padded frame and tiles in turn, a whole turn in at most this many of the
# detector runs that read them: a large grid reads more than one place on such a run.
STREAM_TURN_RUNS = 8


def stream_grid(width: int, height: int, setting: int | str = "auto") -> int:
    """The stream's tile grid for a ``width`` x ``height`` frame: the setting itself, or for
    "auto" the coarsest grid (at least 2, at most STREAM_MAX_GRID) whose tiles are at most
    STREAM_TILE_PX a side."""
    if setting != "auto":
        return int(setting)
    return min(STREAM_MAX_GRID, max(2, math.ceil(min(width, height) * 1.5 / STREAM_TILE_PX)))


def places_per_run(places: int, turn_runs: int = STREAM_TURN_RUNS) -> int:
    """How many of a stream's ``places`` (padded frame, tiles) one run reads, so that a whole
    turn takes at most ``turn_runs`` runs (one place a run for a small grid)."""
    return max(1, math.ceil(places / max(1, turn_runs))) if places else 0


def same_face(a: Box, b: Box, iou: float = 0.3) -> bool:
    """Two detector boxes of one face: they overlap well, or one is nested in the other."""
    return box_iou(a, b) >= iou or overlap_of_smaller(a, b) >= 0.6


def group_duplicates(dets: list, iou: float = 0.3) -> list[list]:
    """Detections of one face (from the whole image, the padded canvas and tiles) in
    groups, each led by its best-scoring detection and sorted by score."""
    groups: list[list] = []
    for d in sorted(dets, key=lambda d: d.score, reverse=True):
        for g in groups:
            if same_face(d.box, g[0].box, iou):
                g.append(d)
                break
        else:
            groups.append([d])
    return groups


def suppress_duplicates(dets: list, iou: float = 0.3) -> list:
    """Non-maximum suppression: keep the best-scoring of overlapping detections."""
    return [g[0] for g in group_duplicates(dets, iou)]
