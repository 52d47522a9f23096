"""Synthetic camera streams for counting passers-by: real photos of faces moved across a
background at set speeds, missed for a while (not drawn: turned away, hidden), crossing,
and cut from one view to another. Made in memory at run time, never written anywhere.

Speeds are in face widths per second, a face being about 0.45 of its photo's width (GENKI-4K's
close portraits): someone walking across the view at 1.4 m/s moves about 9 widths of a 16 cm
face a second, whatever their distance; 3 widths/s is a slow or oblique walk.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import cv2
import numpy as np

# The analyzer's box of a GENKI-4K face pasted on a view is 0.42-0.45 of its photo's width.
FACE_OF_PHOTO = 0.45


@dataclass
class Mover:
    """One photo of a face moving along a row of the view.

    ``speed_w`` face widths per second (negative: right to left). A mover faster than
    1 width/s crosses the whole view, from half outside one edge to half outside the other;
    a slower one sways about the view's centre for ``duration`` seconds. ``gap`` = (when, as
    a fraction of its time in view; how many seconds) it is not drawn (it goes on moving)."""

    photo: np.ndarray
    width_px: int
    speed_w: float
    gap: tuple[float, float] | None = None
    duration: float | None = None
    row: float | None = None  # the face's centre, as a fraction of the view's height
    delay: float = 0.0  # seconds into the scene before it comes in

    def patch(self) -> np.ndarray:
        h, w = self.photo.shape[:2]
        return cv2.resize(self.photo, (self.width_px, round(h * self.width_px / w)), interpolation=cv2.INTER_AREA)

    def velocity(self) -> float:
        return self.speed_w * FACE_OF_PHOTO * self.width_px

    def crosses(self) -> bool:
        return abs(self.speed_w) > 1.0

    def seconds(self, width: int) -> float:
        if self.duration is not None or not self.crosses():
            return self.duration or 4.0
        return width / abs(self.velocity())

    def centre_x(self, t: float, width: int) -> float:
        v = self.velocity()
        if not self.crosses():
            return width / 2 + v * (t - self.seconds(width) / 2)
        return v * t if v > 0 else width + v * t

    def drawn(self, t: float, width: int) -> bool:
        if t < self.delay or t >= self.delay + self.seconds(width):
            return False
        t -= self.delay
        if self.gap is None:
            return True
        start = self.gap[0] * self.seconds(width)
        return not start <= t < start + self.gap[1]


def cover(img: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """``img`` scaled to fill ``size`` (w, h), centre-cropped."""
    w, h = size
    s = max(w / img.shape[1], h / img.shape[0])
    big = cv2.resize(img, (max(w, round(img.shape[1] * s)), max(h, round(img.shape[0] * s))))
    y, x = (big.shape[0] - h) // 2, (big.shape[1] - w) // 2
    return np.ascontiguousarray(big[y:y + h, x:x + w])


def paste(canvas: np.ndarray, patch: np.ndarray, cx: float, cy: float) -> None:
    """``patch`` drawn centred at (cx, cy), clipped by the canvas' edges."""
    ph, pw = patch.shape[:2]
    x0, y0 = round(cx - pw / 2), round(cy - ph / 2)
    H, W = canvas.shape[:2]
    xa, ya, xb, yb = max(0, x0), max(0, y0), min(W, x0 + pw), min(H, y0 + ph)
    if xa < xb and ya < yb:
        canvas[ya:yb, xa:xb] = patch[ya - y0:yb - y0, xa - x0:xb - x0]


Scene = tuple[np.ndarray, Sequence[Mover], float | None]  # background, movers, seconds (None: the movers')


def render(scenes: Sequence[Scene], fps: float, size: tuple[int, int]) -> Iterator[np.ndarray]:
    """The frames of one stream: each scene in turn, at ``fps``. Two scenes with the same
    background are one view (people come and go); a new background is a cut. A stream that
    is one empty scene pans slowly over its background."""
    w, h = size
    pan = len(scenes) == 1 and not scenes[0][1]
    for bg, movers, seconds in scenes:
        base = cover(bg, (round(w * 1.2), h))  # room for a slow pan when nobody is there
        patches = [m.patch() for m in movers]
        length = seconds if seconds is not None else max(m.delay + m.seconds(w) for m in movers)
        n = round(length * fps)
        for k in range(n):
            t = k / fps
            x = round((base.shape[1] - w) * k / max(1, n - 1)) if pan else 0
            frame = base[:, x:x + w].copy()
            for i, (m, p) in enumerate(zip(movers, patches)):
                if m.drawn(t, w):
                    paste(frame, p, m.centre_x(t - m.delay, w), h * (m.row if m.row is not None else 0.4 + 0.05 * i))
            yield frame
