"""The exclusion-zone schematic of `signage sense SOURCE --zones`: face boxes and zones on a blank grid.

It never shows a camera image: nothing here takes a frame. ``render`` draws, from the face
boxes (pixel rectangles of a frame of ``frame_size``) and the zones alone, a picture in a
fixed palette: the grid (tenths of the frame), each zone filled and named, each face box
drawn as a rectangle with its centre (the point the zone rule decides on: signage/sensing/
zones.py), green and "counted" when outside every zone, red and "in <zone>" when inside one.
Text is drawn without anti-aliasing, so every pixel is one of ``PALETTE``'s colours.
``SchematicView`` shows it in a pygame window, or writes it as a PNG file, or both.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from signage.sensing.zones import Box, ZoneFilter, box_centre

os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
import pygame  # noqa: E402

PALETTE = {
    "background": (22, 24, 28),
    "grid": (52, 56, 64),
    "zone": (74, 40, 44),
    "zone_edge": (214, 96, 86),
    "text": (232, 232, 232),
    "counted": (86, 204, 126),
    "dropped": (236, 82, 72),
}
WIDTH = 960
_TITLE = "exclusion zones: face boxes only, no camera image"


def canvas_size(frame_size: tuple[int, int], width: int = WIDTH) -> tuple[int, int]:
    w, h = frame_size
    return width, max(1, round(width * h / w))


def _font(px: int) -> pygame.font.Font:
    if not pygame.font.get_init():
        pygame.font.init()
    return pygame.font.Font(None, px)


def _text(surface: pygame.Surface, font: pygame.font.Font, text: str, colour: str, at: tuple[int, int]) -> None:
    surface.blit(font.render(text, False, PALETTE[colour], PALETTE["background"]), at)


def draw(boxes: Sequence[Box], frame_size: tuple[int, int], zones: ZoneFilter, width: int = WIDTH) -> pygame.Surface:
    """The schematic as a pygame surface (see the module's docstring)."""
    size = canvas_size(frame_size, width)
    sx, sy = size[0] / frame_size[0], size[1] / frame_size[1]
    s = pygame.Surface(size)
    s.fill(PALETTE["background"])
    for k in range(1, 10):
        x, y = round(size[0] * k / 10), round(size[1] * k / 10)
        pygame.draw.line(s, PALETTE["grid"], (x, 0), (x, size[1]))
        pygame.draw.line(s, PALETTE["grid"], (0, y), (size[0], y))
    font, small = _font(max(14, size[1] // 24)), _font(max(12, size[1] // 32))
    for z in zones.zones:
        points = [(round(x * (size[0] - 1)), round(y * (size[1] - 1))) for x, y in z.points]
        pygame.draw.polygon(s, PALETTE["zone"], points)
        pygame.draw.polygon(s, PALETTE["zone_edge"], points, 2)
        cx, cy = (sum(p[0] for p in points) / len(points), sum(p[1] for p in points) / len(points))
        label = font.render(z.name, False, PALETTE["zone_edge"], PALETTE["zone"])
        s.blit(label, (round(cx - label.get_width() / 2), round(cy - label.get_height() / 2)))
    dropped = 0
    for box in boxes:
        zone = zones.zone_of(box, *frame_size)
        dropped += zone is not None
        colour = "counted" if zone is None else "dropped"
        x, y, w, h = box
        r = pygame.Rect(round(x * sx), round(y * sy), max(2, round(w * sx)), max(2, round(h * sy)))
        pygame.draw.rect(s, PALETTE[colour], r, 2)
        c = box_centre(box, *frame_size)
        pygame.draw.circle(s, PALETTE[colour], (round(c[0] * size[0]), round(c[1] * size[1])), 3)
        tag = small.render("counted" if zone is None else f"in {zone}", False, PALETTE[colour], PALETTE["background"])
        s.blit(tag, (r.x, r.bottom + 2 if r.bottom + 2 + tag.get_height() <= size[1] else max(0, r.y - tag.get_height() - 2)))
    summary = f"{len(boxes)} face{'s' if len(boxes) != 1 else ''}: {len(boxes) - dropped} counted, {dropped} in a zone"
    _text(s, small, f"{_TITLE}   {summary}", "text", (6, 6))
    return s


def render(boxes: Sequence[Box], frame_size: tuple[int, int], zones: ZoneFilter, width: int = WIDTH) -> np.ndarray:
    """The schematic as an H x W x 3 RGB array."""
    return pygame.surfarray.array3d(draw(boxes, frame_size, zones, width)).transpose(1, 0, 2).copy()


class SchematicView:
    """Where the schematic goes: a pygame window (``window``) and/or a PNG file (``png``),
    rewritten whole each time (a temporary file renamed over it)."""

    def __init__(self, zones: ZoneFilter, *, window: bool, png: str | Path | None) -> None:
        self.zones = zones
        self.png = Path(png) if png is not None else None
        self._window = window
        self._screen: pygame.Surface | None = None
        self.closed = False

    def show(self, boxes: Sequence[Box], frame_size: tuple[int, int]) -> None:
        surface = draw(boxes, frame_size, self.zones)
        if self.png is not None:
            tmp = self.png.with_name(f".{self.png.name}.tmp.png")
            pygame.image.save(surface, str(tmp))
            os.replace(tmp, self.png)
        if self._window:
            if self._screen is None or self._screen.get_size() != surface.get_size():
                pygame.display.init()
                pygame.display.set_caption("signage sense --zones")
                self._screen = pygame.display.set_mode(surface.get_size())
            self._screen.blit(surface, (0, 0))
            pygame.display.flip()
            for event in pygame.event.get():
                if event.type == pygame.QUIT or (event.type == pygame.KEYDOWN and event.key in (pygame.K_ESCAPE, pygame.K_q)):
                    self.closed = True

    def close(self) -> None:
        if self._screen is not None:
            pygame.display.quit()
            self._screen = None
