"""The one typeface of the screen: FreeSans Bold, the font that ships inside pygame.

Fonts are cached by pixel size; pygame's font module is used from one thread at a time
(calls hold the GIL), so the cache is shared by the render loop and the preparer.
"""

from __future__ import annotations

import threading

import pygame

_lock = threading.Lock()
_cache: dict[int, pygame.font.Font] = {}


def font(px: int) -> pygame.font.Font:
    """pygame's bundled default font (freesansbold.ttf) at ``px`` pixels."""
    px = max(6, int(px))
    with _lock:
        f = _cache.get(px)
        if f is None:
            if not pygame.font.get_init():
                pygame.font.init()
            f = _cache[px] = pygame.font.Font(None, px)
        return f


def cap_height(px: int) -> int:
    """Height in pixels of a capital letter drawn at ``px`` (measured on the glyph)."""
    f = font(px)
    return f.metrics("H")[0][3]  # (minx, maxx, miny, maxy, advance): maxy above the baseline


def px_for_cap(cap: int) -> int:
    """The smallest font px whose capitals are at least ``cap`` pixels tall."""
    cap = max(4, int(cap))
    px = max(6, cap * 2)
    while cap_height(px) < cap:
        px += 1
    while px > 6 and cap_height(px - 1) >= cap:
        px -= 1
    return px
