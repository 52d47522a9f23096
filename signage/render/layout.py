"""The safe area: where a creative is laid out, clear of the privacy notice (pure math).

By default every creative is laid out inside the rectangle the notice band leaves free
(``content_box``); fit, fill and stretch are computed within that box and the band's strip
is the creative's background colour. A creative that asks ``full_bleed`` covers the whole
screen, and ``covered_share`` says how much of it the band hides. ``crop_share`` says how
much of a picture ``fill`` crops away. No pygame here: sizes and rectangles are tuples.
"""

from __future__ import annotations

from dataclasses import dataclass

from signage.render.geometry import FitMode, Rect, Size, place

# ``signage validate`` and ``signage preview`` warn when fill crops more than this share of a
# picture's area (docs/playlists.md, "Portrait and landscape").
CROP_WARN_SHARE = 0.20

# The screens ``signage validate`` checks besides the configured one (docs/screen.md).
COMMON_SIZES: tuple[Size, ...] = ((1920, 1080), (1280, 720), (1080, 1920), (3840, 2160))


def content_box(screen: Size, band_h: int, position: str = "bottom") -> Rect:
    """The part of a ``screen`` the notice band (``band_h`` px at the top or bottom) leaves free."""
    w, h = screen
    band_h = max(0, min(int(band_h), h - 1))  # a band can never take the whole screen
    return (0, band_h if position == "top" else 0, w, h - band_h)


def band_rect(screen: Size, band_h: int, position: str = "bottom") -> Rect:
    """Where the notice band lies on the screen."""
    w, h = screen
    band_h = max(0, min(int(band_h), h))
    return (0, 0 if position == "top" else h - band_h, w, band_h)


def place_in(src: Size, box: Rect, mode: FitMode) -> tuple[Rect, Rect]:
    """``geometry.place`` within ``box``: (crop in source pixels, target in screen pixels)."""
    bx, by, bw, bh = box
    crop, (tx, ty, tw, th) = place(src, (bw, bh), mode)
    return crop, (bx + tx, by + ty, tw, th)


def is_portrait(screen: Size) -> bool:
    """A screen taller than wide (the upright picture's size, after rotation)."""
    return screen[1] > screen[0]


def orientation(screen: Size) -> str:
    return "portrait" if is_portrait(screen) else "landscape"


def _overlap(a: Rect, b: Rect) -> int:
    w = min(a[0] + a[2], b[0] + b[2]) - max(a[0], b[0])
    h = min(a[1] + a[3], b[1] + b[3]) - max(a[1], b[1])
    return max(0, w) * max(0, h)


@dataclass(frozen=True)
class Covered:
    """What the band hides of a full-bleed picture: a share of its visible pixels, and how
    many screen rows at its top or bottom."""

    share: float
    rows: int
    side: str  # "top" | "bottom"


def covered_share(src: Size, screen: Size, mode: FitMode, band_h: int, position: str = "bottom") -> Covered:
    """The share of a full-bleed picture's visible pixels that the notice band covers."""
    _, target = place(src, screen, mode)
    band = band_rect(screen, band_h, position)
    visible = target[2] * target[3]
    hidden = _overlap(target, band)
    rows = hidden // target[2] if target[2] else 0
    return Covered(hidden / visible if visible else 0.0, rows, "top" if position == "top" else "bottom")


@dataclass(frozen=True)
class Crop:
    """What ``fill`` cuts from a picture: the share of its area, and which sides."""

    share: float
    sides: str  # "left and right" | "top and bottom" | ""


def crop_share(src: Size, box: Size, mode: FitMode) -> Crop:
    """The share of a ``src`` picture's area that ``mode`` crops away in a ``box``."""
    (cx, cy, cw, ch), _ = place(src, box, mode)
    sw, sh = src
    share = 1.0 - (cw * ch) / (sw * sh)
    sides = "left and right" if cw < sw else "top and bottom" if ch < sh else ""
    return Crop(max(0.0, share), sides)
