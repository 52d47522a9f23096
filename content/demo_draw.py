"""Drawing helpers for make_demo_content.py: the palette, flat shapes, and the page layout.

A ``Page`` is one picture's canvas, landscape (the shape of a 1080p screen's safe area) or
portrait, with its ``keep`` rectangle: the words, prices and logo go inside it, so that fit
or fill on the common screens never cuts them (tests/test_demo_content.py checks it).
``Column`` stacks words in a column: measured first, then drawn where the page puts it.
Every rectangle of words drawn is kept in ``WORDS`` (the test reads it).
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

import pygame
import pygame.gfxdraw

LANDSCAPE = (1920, 880)   # the safe area of a 1080p screen (1920x881) with the default notice
PORTRAIT = (1080, 1512)   # the safe area of a portrait 1080x1920 screen (1080x1513)
# The keep margins (px from each edge). Landscape: fill on a 4:3 screen's safe area
# (1024x552) crops 144 px of each side (the words keep 76 px more); portrait: fill in an English-only notice's area
# (1080x1688) crops 56 px of each side, in a 720x1280 one 16 px of the top and bottom.
MARGIN = {LANDSCAPE: (220, 52), PORTRAIT: (84, 56)}

# The café's palette
ESPRESSO = (43, 29, 22)
ROAST = (92, 58, 38)
CARAMEL = (196, 132, 72)
CREAM = (246, 236, 218)
FOAM = (255, 250, 240)
GOLD = (240, 186, 76)
SAGE = (120, 150, 112)
BERRY = (176, 62, 80)
NIGHT = (28, 32, 64)
DUSK = (70, 52, 110)

WORDS: list[pygame.Rect] = []  # every rectangle of words (and the logo) drawn, for the test

_fonts: dict[int, pygame.font.Font] = {}


def font(size: int) -> pygame.font.Font:
    if size not in _fonts:
        _fonts[size] = pygame.font.Font(None, size)  # pygame's bundled default font
    return _fonts[size]


# ----------------------------------------------------------------------------- shapes


def vgradient(surface: pygame.Surface, top, bottom, steps: int = 12) -> None:
    """A vertical gradient in a few flat bands (flat colours keep the PNG small)."""
    w, h = surface.get_size()
    for i in range(steps):
        y0, y1 = h * i // steps, h * (i + 1) // steps
        surface.fill(band_color(top, bottom, y0, h, steps), (0, y0, w, y1 - y0))


def band_color(top, bottom, y: int, h: int, steps: int = 12) -> tuple[int, ...]:
    """The colour ``vgradient`` gives at height ``y`` of a surface ``h`` tall."""
    i = min(steps - 1, max(0, y) * steps // h)
    t = i / (steps - 1)
    return tuple(round(a + (b - a) * t) for a, b in zip(top, bottom))


def disc(surface: pygame.Surface, color, center, radius: float) -> None:
    x, y = (round(v) for v in center)
    pygame.gfxdraw.filled_circle(surface, x, y, round(radius), color)
    pygame.gfxdraw.aacircle(surface, x, y, round(radius), color)


def ellipse(surface: pygame.Surface, color, center, rx: float, ry: float) -> None:
    x, y = (round(v) for v in center)
    pygame.gfxdraw.filled_ellipse(surface, x, y, int(rx), int(ry), color)
    pygame.gfxdraw.aaellipse(surface, x, y, int(rx), int(ry), color)


def polygon(surface: pygame.Surface, color, points) -> None:
    pts = [(round(x), round(y)) for x, y in points]
    pygame.gfxdraw.filled_polygon(surface, pts, color)
    pygame.gfxdraw.aapolygon(surface, pts, color)


def text(surface: pygame.Surface, s: str, size: int, color, pos, anchor: str = "topleft") -> pygame.Rect:
    img = font(size).render(s, True, color)
    rect = img.get_rect(**{anchor: (round(pos[0]), round(pos[1]))})
    surface.blit(img, rect)
    WORDS.append(rect)
    return rect


def badge_size(s: str, size: int) -> tuple[int, int]:
    w, h = font(size).size(s)
    return w + size, h + size // 2


def badge(surface: pygame.Surface, s: str, size: int, fg, bg, center) -> pygame.Rect:
    img = font(size).render(s, True, fg)
    pad_x, pad_y = size // 2, size // 4
    rect = img.get_rect(center=(round(center[0]), round(center[1]))).inflate(pad_x * 2, pad_y * 2)
    pygame.draw.rect(surface, bg, rect, border_radius=rect.height // 2)
    surface.blit(img, img.get_rect(center=rect.center))
    WORDS.append(rect)
    return rect


def bean(surface: pygame.Surface, center, size: int, angle: float, color, crease) -> None:
    """A coffee bean: an ellipse with a curved crease, turned by ``angle`` radians."""
    cx, cy = center
    rx, ry = size, int(size * 0.68)
    ca, sa = math.cos(angle), math.sin(angle)
    pts = [(cx + rx * math.cos(t) * ca - ry * math.sin(t) * sa, cy + rx * math.cos(t) * sa + ry * math.sin(t) * ca)
           for t in (i * 2 * math.pi / 48 for i in range(48))]
    polygon(surface, color, pts)
    crease_pts = []
    for i in range(13):
        u = -0.8 + 1.6 * i / 12
        x, y = u * rx, math.sin(u * 2.4) * ry * 0.22
        crease_pts.append((cx + x * ca - y * sa, cy + x * sa + y * ca))
    pygame.draw.lines(surface, crease, False, [(round(x), round(y)) for x, y in crease_pts], max(2, size // 9))


def crescent(surface: pygame.Surface, color, center, radius: int) -> None:
    """A crescent moon: a disc less a disc beside it (drawn 4 times larger, then scaled down)."""
    big = pygame.Surface((radius * 8, radius * 8), pygame.SRCALPHA)
    pygame.draw.circle(big, color, (radius * 4, radius * 4), radius * 4)
    pygame.draw.circle(big, (0, 0, 0, 0), (radius * 4 + radius * 2, radius * 4 - radius * 7 // 5), radius * 37 // 10)
    small = pygame.transform.smoothscale(big, (radius * 2, radius * 2))
    surface.blit(small, small.get_rect(center=(round(center[0]), round(center[1]))))


def scatter_beans(surface: pygame.Surface, rng: random.Random, n: int, area: pygame.Rect, colors, size=(26, 48)) -> None:
    for _ in range(n):
        c = rng.choice(colors)
        crease = tuple(max(0, v - 40) for v in c)
        bean(surface, (rng.uniform(area.left, area.right), rng.uniform(area.top, area.bottom)), rng.randint(*size),
             rng.uniform(0, math.pi), c, crease)


def cup(surface: pygame.Surface, center, scale: float, body=FOAM, coffee=ROAST, saucer=CARAMEL, steam=True, phase=0.0) -> None:
    """A cup on a saucer, seen from the side, with optional steam (about 530 x 560 px at scale 1)."""
    cx, cy = center
    s = scale
    ellipse(surface, saucer, (cx, cy + 150 * s), 240 * s, 38 * s)
    top_w, bot_w, h = 190 * s, 130 * s, 220 * s  # body: a trapezoid with a round bottom
    polygon(surface, body, [(cx - top_w, cy - h / 2), (cx + top_w, cy - h / 2), (cx + bot_w, cy + h / 2 + 20 * s),
                            (cx - bot_w, cy + h / 2 + 20 * s)])
    ellipse(surface, body, (cx, cy + h / 2 + 20 * s), bot_w, 30 * s)
    pygame.draw.circle(surface, body, (round(cx + top_w + 20 * s), round(cy)), round(62 * s), round(26 * s))  # handle
    ellipse(surface, body, (cx, cy - h / 2), top_w, 34 * s)  # rim and coffee
    ellipse(surface, coffee, (cx, cy - h / 2 + 3 * s), top_w - 16 * s, 24 * s)
    ellipse(surface, CARAMEL, (cx - 30 * s, cy - h / 2 + 3 * s), 50 * s, 9 * s)
    if steam:
        for k in (-1, 0, 1):
            pts = []
            for i in range(30):
                t = i / 29
                x = cx + k * 70 * s + math.sin(t * 5 + k + phase) * 18 * s
                y = cy - h / 2 - 50 * s - t * 210 * s
                pts.append((round(x), round(y)))
            pygame.draw.lines(surface, CREAM, False, pts, max(3, round(10 * s)))


def cup_in(surface: pygame.Surface, box: pygame.Rect, most: float, **kw) -> None:
    """A cup as large as fits in ``box`` (at most scale ``most``), centred in it."""
    steam = kw.get("steam", True)
    s = min(most, box.w / 540, box.h / (580 if steam else 380))
    cup(surface, (box.centerx - 22 * s, box.centery + (91 if steam else 0) * s), s, **kw)


def croissant(surface: pygame.Surface, center, scale: float) -> None:
    """An abstract croissant: overlapping crescents of shrinking lobes (about 570 x 260 px at scale 1)."""
    cx, cy = center
    lobes = [(-2, 70, 0.55), (-1, 95, 0.8), (0, 120, 1.0), (1, 95, 0.8), (2, 70, 0.55)]
    for k, r, _depth in sorted(lobes, key=lambda l: -abs(l[0])):
        x = cx + k * 105 * scale
        y = cy + abs(k) ** 1.6 * 34 * scale
        ellipse(surface, (214, 150, 70), (x, y), r * scale, r * 0.78 * scale)
        ellipse(surface, (236, 180, 96), (x - 12 * scale, y - 14 * scale), r * 0.7 * scale, r * 0.5 * scale)
        if k:
            pygame.draw.arc(surface, (168, 106, 44),
                            pygame.Rect(round(x - r * scale), round(y - r * 0.78 * scale), round(2 * r * scale), round(1.56 * r * scale)),
                            0.6 if k < 0 else 1.8, 1.3 if k < 0 else 2.6, max(3, round(6 * scale)))


# ----------------------------------------------------------------------------- layout


@dataclass
class Page:
    """One picture: its size, and the ``keep`` rectangle its words stay inside."""

    size: tuple[int, int]

    @property
    def portrait(self) -> bool:
        return self.size[1] > self.size[0]

    @property
    def keep(self) -> pygame.Rect:
        mx, my = MARGIN[self.size]
        return pygame.Rect(mx, my, self.size[0] - 2 * mx, self.size[1] - 2 * my)

    def canvas(self, top, bottom) -> pygame.Surface:
        s = pygame.Surface(self.size)
        vgradient(s, top, bottom)
        return s

    def brand(self, surface: pygame.Surface, color=CREAM, accent=GOLD) -> pygame.Rect:
        """The café's name with its little sun, at the top left of the keep rectangle."""
        k = self.keep
        cx, cy = k.left + 56, k.top + 56
        disc(surface, accent, (cx, cy), 30)
        for i in range(12):
            a = i * math.pi / 6
            pygame.draw.line(surface, accent, (cx + math.cos(a) * 42, cy + math.sin(a) * 42),
                             (cx + math.cos(a) * 56, cy + math.sin(a) * 56), 6)
        WORDS.append(pygame.Rect(k.left, k.top, 112, 112))
        return text(surface, "Café Lumière", 84, color, (k.left + 136, cy), "midleft").union((k.left, k.top, 112, 112))

    def split(self, words_w: int = 1040, art_h: int = 560) -> tuple[pygame.Rect, pygame.Rect]:
        """(where the words go, where the picture goes) under the brand: side by side in
        landscape (the words ``words_w`` wide), stacked in portrait (the picture ``art_h`` tall)."""
        k = self.keep
        top = k.top + 140  # under the brand
        if self.portrait:
            return pygame.Rect(k.left, top, k.w, k.bottom - art_h - top), pygame.Rect(k.left, k.bottom - art_h, k.w, art_h)
        return pygame.Rect(k.left, top, words_w, k.bottom - top), pygame.Rect(k.left + words_w, k.top, k.w - words_w, k.h)


class Column:
    """Words stacked top to bottom within a width, wrapped at spaces when a line is too wide."""

    def __init__(self, width: int) -> None:
        self.width = width
        self.items: list[tuple[int, int, object]] = []  # (gap above, height, draw(surface, x, y))

    def _add(self, gap: int, height: int, draw) -> Column:
        self.items.append((gap, height, draw))
        return self

    def line(self, s: str, size: int, color, gap: int = 0) -> Column:
        """A line of words; set up to 10% smaller if that keeps it on one line, else wrapped."""
        if font(size).size(s)[0] > self.width >= font(size * 9 // 10).size(s)[0]:
            while font(size).size(s)[0] > self.width:
                size -= 2
        for i, part in enumerate(wrap(s, size, self.width)):
            self._add(gap if i == 0 else 0, font(size).get_linesize(),
                      lambda surf, x, y, part=part: text(surf, part, size, color, (x, y)))
        return self

    def badge(self, s: str, size: int, fg, bg, gap: int = 0) -> Column:
        w, h = badge_size(s, size)
        return self._add(gap, h, lambda surf, x, y: badge(surf, s, size, fg, bg, (x + w / 2, y + h / 2)))

    def row(self, left: str, right: str, size: int, color, right_color, gap: int = 0, width: int | None = None,
            rule=None) -> Column:
        """A line with a price at its right (``width`` wide), and a thin rule under it."""
        w = min(width or self.width, self.width)

        def draw(surf, x, y):
            if rule:
                pygame.draw.line(surf, rule, (x, y + size * 1.27), (x + w, y + size * 1.27), 2)
            text(surf, left, size, color, (x, y))
            text(surf, right, size, right_color, (x + w, y), "topright")
        return self._add(gap, font(size).get_linesize(), draw)

    def beside(self, words: tuple[str, int, object], pill: tuple[str, int, object, object], gap: int = 0,
               pill_first: bool = False) -> Column:
        """Words and a badge side by side when they fit the width, else the badge under the words."""
        s, size, color = words
        ps, psize, fg, bg = pill
        tw, th = font(size).size(s)
        bw, bh = badge_size(ps, psize)
        if tw + 40 + bw > self.width:
            return self.line(s, size, color, gap).badge(ps, psize, fg, bg, 24) if not pill_first else \
                self.badge(ps, psize, fg, bg, gap).line(s, size, color, 16)
        h = max(th, bh)

        def draw(surf, x, y):
            if pill_first:
                badge(surf, ps, psize, fg, bg, (x + bw / 2, y + h / 2))
                text(surf, s, size, color, (x + bw + 40, y + h / 2), "midleft")
            else:
                text(surf, s, size, color, (x, y + h / 2), "midleft")
                badge(surf, ps, psize, fg, bg, (x + tw + 40 + bw / 2, y + h / 2))
        return self._add(gap, h, draw)

    def height(self) -> int:
        return sum(g + h for g, h, _ in self.items)

    def draw(self, surface: pygame.Surface, box: pygame.Rect) -> None:
        """Draw the column at ``box``'s left, centred in its height (at its top if taller)."""
        y = box.top + max(0, (box.h - self.height()) // 2)
        for gap, h, draw in self.items:
            y += gap
            draw(surface, box.left, y)
            y += h


def wrap(s: str, size: int, width: int) -> list[str]:
    """``s`` in lines no wider than ``width`` at ``size`` (a single word too wide stays whole);
    a separating middle dot at a line's end is left out."""
    lines: list[str] = []
    for word in s.split(" "):
        if lines and font(size).size(f"{lines[-1]} {word}")[0] <= width:
            lines[-1] = f"{lines[-1]} {word}"
        else:
            lines.append(word)
    return [line.removesuffix(" ·") for line in lines if line != "·"]
