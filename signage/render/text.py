"""Text in every script: font fallback per character, HarfBuzz shaping, right-to-left order.

``ChainFont(px)`` looks like a ``pygame.font.Font`` (``size``, ``render``, ``get_linesize``,
``metrics``...) so the notice and the text slides use it unchanged. A line is
1. split into bidi runs in visual order (``bidi_runs``: a compact form of the Unicode bidi
   algorithm: strong letters, numbers that stay left to right inside Arabic or Hebrew,
   neutrals between runs of one direction take it, else the line's direction, the line's
   direction from its first strong letter; no explicit bidi controls, no bracket mirroring);
2. each run split by the first font of the chain that has the glyph (``glyphs``);
3. each piece shaped by SDL_ttf's HarfBuzz (the wheel's SDL_ttf 2.20 is built with it):
   ``set_script`` for Arabic/Hebrew joining, and the right-to-left direction set through
   SDL_ttf's own ``TTF_SetDirection`` (pygame 2.6 has no call for it), then back to left to
   right, under one lock that every text call of the screen takes (the direction is
   SDL_ttf's global: no other thread may draw while it is right to left). Colour emoji (CBDT bitmaps at a fixed 109 px) are scaled to the line.
"""

from __future__ import annotations

import ctypes
import glob
import os
import threading
import unicodedata

import pygame

from signage.render import glyphs

_lock = threading.RLock()
HB_LTR, HB_RTL = 4, 5


def _ttf_lib():
    """SDL_ttf as loaded by pygame (the same library: its direction is the one pygame uses)."""
    here = os.path.dirname(pygame.__file__)
    for pattern in (here + ".libs/libSDL2_ttf*", os.path.join(here, "*SDL2_ttf*")):
        for path in sorted(glob.glob(pattern)):
            try:
                lib = ctypes.CDLL(path)
                if hasattr(lib, "TTF_SetDirection"):
                    return lib
            except OSError:
                continue
    return None


_TTF = _ttf_lib()


def rtl_supported() -> bool:
    return _TTF is not None


# ----------------------------------------------------------------------------- bidi


def _kind(ch: str) -> str:
    b = unicodedata.bidirectional(ch)
    if b in ("R", "AL"):
        return "R"
    if b == "L":
        return "L"
    if b in ("EN", "AN"):
        return "N"
    if b == "NSM":
        return "M"
    return ""


def base_rtl(text: str) -> bool:
    """A line's direction: that of its first strong letter (left to right when none)."""
    for ch in text:
        k = _kind(ch)
        if k in ("R", "L"):
            return k == "R"
    return False


def bidi_runs(text: str) -> list[tuple[str, bool]]:
    """``text`` as (logical text, right_to_left) runs in visual order, left to right."""
    if not text:
        return []
    rtl = base_rtl(text)
    kinds = [_kind(c) for c in text]
    last = "R" if rtl else "L"
    for i, k in enumerate(kinds):  # numbers after a left-to-right letter are plain LTR (W7); marks follow
        if k == "M":
            kinds[i] = kinds[i - 1] if i else ""
        elif k == "N" and last == "L":
            kinds[i] = "L"
        if kinds[i] in ("L", "R"):
            last = kinds[i]
    strong = ["R" if k == "N" else k for k in kinds]  # numbers count as R for neutrals (N1)
    res = list(kinds)
    n = len(text)
    i = 0
    while i < n:
        if res[i]:
            i += 1
            continue
        j = i
        while j < n and not res[j]:
            j += 1
        before = strong[i - 1] if i else ("R" if rtl else "L")
        after = strong[j] if j < n else ("R" if rtl else "L")
        fill = before if before == after else ("R" if rtl else "L")
        for k in range(i, j):
            res[k] = fill
        i = j
    if rtl:  # levels: the line 1, left-to-right letters and numbers 2
        levels = [1 if k == "R" else 2 for k in res]
    else:  # the line 0, right-to-left letters 1, numbers among them 2
        levels = [0 if k == "L" else 1 if k == "R" else 2 for k in res]
    runs: list[list] = []
    for ch, lv in zip(text, levels):
        if runs and runs[-1][1] == lv:
            runs[-1][0] += ch
        else:
            runs.append([ch, lv])
    top = max(lv for _, lv in runs)
    low = min(lv for _, lv in runs if lv % 2) if any(lv % 2 for _, lv in runs) else top + 1
    for lv in range(top, low - 1, -1):  # L2: reverse every sequence at this level or higher
        i = 0
        while i < len(runs):
            if runs[i][1] >= lv:
                j = i
                while j < len(runs) and runs[j][1] >= lv:
                    j += 1
                runs[i:j] = runs[i:j][::-1]
                i = j
            else:
                i += 1
    return [(t, lv % 2 == 1) for t, lv in runs]


# ----------------------------------------------------------------------------- fonts


def _script(text: str) -> str | None:
    for ch in text:
        o = ord(ch)
        if 0x0600 <= o <= 0x08FF or 0xFB50 <= o <= 0xFDFF or 0xFE70 <= o <= 0xFEFF:
            return "Arab"
        if 0x0590 <= o <= 0x05FF or 0xFB1D <= o <= 0xFB4F:
            return "Hebr"
    return None


_fonts: dict[tuple[str, int, str | None], pygame.font.Font] = {}


def _font(path: str, px: int, script: str | None) -> pygame.font.Font:
    key = (path, px, script)
    f = _fonts.get(key)
    if f is None:
        if not pygame.font.get_init():
            pygame.font.init()
        # pygame opens its bundled font at 0.6875 of the size asked: the others match it
        f = pygame.font.Font(None, px) if path == glyphs.bundled() else pygame.font.Font(path, max(1, int(px * 0.6875)))
        if script:
            f.set_script(script)
        _fonts[key] = f
    return f


def pieces(text: str, fonts: list[str] | None = None) -> list[tuple[str, str, bool]]:
    """(text, font path, right_to_left) pieces in visual order. A character no font has keeps
    the bundled font (the glyph check names it); format characters join the current piece."""
    fonts = fonts if fonts is not None else glyphs.chain()
    out: list[tuple[str, str, bool]] = []
    for run, rtl in bidi_runs(text):
        parts: list[list] = []
        word: dict[str, str] = {}  # an Arabic or Hebrew word: one font with all its letters (joined)
        for w in run.split():
            if _script(w):  # FreeSans has a few Arabic letters but no joining: a script's own font first
                order = fonts[1:] + fonts[:1]
                path = next((p for p in order if all(glyphs.invisible(c) or glyphs.has_glyph(p, c) for c in w)), None)
                if path:
                    word.update((c, path) for c in w)
        for ch in run:
            if glyphs.invisible(ch) and parts and not parts[-1][1].endswith("NotoColorEmoji.ttf") and (
                    ch.isspace() or glyphs.has_glyph(parts[-1][1], ch)):
                parts[-1][0] += ch
                continue
            if glyphs.invisible(ch) and not ch.isspace():
                continue  # a joiner or variation selector the font lacks: drawn as nothing
            path = word.get(ch) if _script(ch) and ch in word else None
            path = path or glyphs.font_for(ch, fonts) or fonts[0]
            if parts and parts[-1][1] == path:
                parts[-1][0] += ch
            else:
                parts.append([ch, path])
        if rtl:
            parts.reverse()
        out += [(t, p, rtl) for t, p in parts]
    return out


class ChainFont:
    """A font of ``px`` pixels drawing every script the installed fonts cover (see module doc)."""

    def __init__(self, px: int) -> None:
        self.px = px
        with _lock:
            self.primary = _font(glyphs.bundled(), px, None)
        self._sizes: dict[str, tuple[int, int]] = {}

    # the pygame.font.Font calls the screen uses
    def get_linesize(self) -> int:
        return self.primary.get_linesize()

    def get_height(self) -> int:
        return self.primary.get_height()

    def get_ascent(self) -> int:
        return self.primary.get_ascent()

    def get_descent(self) -> int:
        return self.primary.get_descent()

    def metrics(self, text: str):
        return self.primary.metrics(text)

    def _piece(self, text: str, path: str, rtl: bool, color=None):
        """(width, surface or None) of one piece, shaped in its direction."""
        with _lock:
            f = _font(path, self.px, _script(text))
            emoji = path.endswith("NotoColorEmoji.ttf")
            if rtl and _TTF is not None:
                _TTF.TTF_SetDirection(HB_RTL)
            try:
                if color is None and not emoji:
                    return f.size(text)[0], None
                surf = f.render(text, True, color or (255, 255, 255))
            finally:
                if rtl and _TTF is not None:
                    _TTF.TTF_SetDirection(HB_LTR)
        if emoji:  # a fixed-size colour bitmap: scaled to the line's height
            h = self.primary.get_height()
            w = max(1, round(surf.get_width() * h / max(1, surf.get_height())))
            surf = pygame.transform.smoothscale(surf.convert_alpha() if pygame.display.get_surface() else surf, (w, h))
        return surf.get_width(), surf

    def size(self, text: str) -> tuple[int, int]:
        got = self._sizes.get(text)
        if got is None:
            if all(ord(c) < 0x250 for c in text):  # Latin: one font, one call
                with _lock:  # (never while another thread has SDL_ttf turned right to left)
                    got = self.primary.size(text)
            else:
                w = sum(self._piece(t, p, r)[0] for t, p, r in pieces(text))
                got = (w, self.primary.get_height())
            if len(self._sizes) > 4096:
                self._sizes.clear()
            self._sizes[text] = got
        return got

    def render(self, text: str, antialias: bool, color, background=None) -> pygame.Surface:
        if all(ord(c) < 0x250 for c in text):
            with _lock:
                return self.primary.render(text, antialias, color, background)
        parts = [(self._piece(t, p, r, color)[1], p) for t, p, r in pieces(text)]
        h = self.primary.get_height()
        w = sum(s.get_width() for s, _ in parts)
        line = pygame.Surface((max(1, w), h), pygame.SRCALPHA)
        if background is not None:
            line.fill(background)
        x, asc = 0, self.primary.get_ascent()
        for s, path in parts:
            with _lock:
                y = 0 if path.endswith("NotoColorEmoji.ttf") else asc - _font(path, self.px, None).get_ascent()
            line.blit(s, (x, y))
            x += s.get_width()
        return line

