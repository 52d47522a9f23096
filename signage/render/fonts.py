"""The screen's type: FreeSans Bold (inside pygame) first, then the installed Noto fonts for
every other script (signage/render/text.py: fallback per character, shaping, right to left).

Fonts are cached by pixel size; pygame's font module is used from one thread at a time
(calls hold the GIL), so the cache is shared by the render loop and the preparer.
"""

from __future__ import annotations

import threading

from signage.render.text import ChainFont

_lock = threading.Lock()
_cache: dict[int, ChainFont] = {}


def font(px: int) -> ChainFont:
    """The font chain at ``px`` pixels (measured and drawn like a ``pygame.font.Font``)."""
    px = max(6, int(px))
    with _lock:
        f = _cache.get(px)
        if f is None:
            f = _cache[px] = ChainFont(px)
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
