"""Which fonts the screen can draw with, and which of them has a glyph for a character.

The chain: pygame's bundled FreeSans Bold first, then the Noto fonts installed on the system
(Debian's fonts-noto-core, fonts-noto-cjk, fonts-noto-color-emoji), then DejaVu and other
symbol or emoji fonts. A character is drawn with the first font of the chain that has it.
Coverage is read through FreeType (``pygame.freetype``: ``get_metrics`` is None for a glyph
the font lacks) and cached per (font, character). No network, no fontconfig needed: the font
folders are scanned once.
"""

from __future__ import annotations

import os
import threading
import unicodedata

import pygame
import pygame.freetype

FONT_DIRS = ("/usr/share/fonts", "/usr/local/share/fonts")
# File names in the order they are tried after the bundled font (first match of each wins).
PREFERRED = (
    "NotoSans-Bold.ttf", "NotoSansArabic-Bold.ttf", "NotoSansHebrew-Bold.ttf",
    "NotoSansDevanagari-Bold.ttf", "NotoSansThai-Bold.ttf", "NotoSansCJK-Bold.ttc",
    "NotoSansCJKsc-Bold.otf", "NotoSansSymbols-Bold.ttf", "NotoSansSymbols2-Regular.ttf",
)
# Colour emoji before DejaVu: an emoji is drawn in colour where Noto Color Emoji is installed,
# else in DejaVu's or Symbola's black and white, never as an empty box.
LATE = ("NotoColorEmoji.ttf", "NotoEmoji-Bold.ttf", "NotoEmoji-Regular.ttf", "DejaVuSans-Bold.ttf",
        "DejaVuSans.ttf", "Symbola.ttf", "Symbola_hint.ttf")

_lock = threading.Lock()
_chain: list[str] | None = None
_faces: dict[str, pygame.freetype.Font | None] = {}
_has: dict[tuple[str, str], bool] = {}


def bundled() -> str:
    """pygame's bundled FreeSans Bold."""
    return os.path.join(os.path.dirname(pygame.__file__), pygame.font.get_default_font())


def _scan(dirs) -> dict[str, str]:
    found: dict[str, str] = {}
    for d in dirs:
        for root, _, files in os.walk(d):
            for name in files:
                if name.lower().endswith((".ttf", ".otf", ".ttc")):
                    found.setdefault(name, os.path.join(root, name))
    return found


def discover(dirs=FONT_DIRS) -> list[str]:
    """The fallback chain as font file paths: bundled, preferred Noto, other Noto Sans Bold, late."""
    found = _scan(dirs)
    chain = [bundled()] + [found[n] for n in PREFERRED if n in found]
    others = sorted(n for n in found if n.startswith("NotoSans") and n.endswith("-Bold.ttf")
                    and n not in PREFERRED and "Mono" not in n and "Display" not in n)
    chain += [found[n] for n in others] + [found[n] for n in LATE if n in found]
    return chain


def chain() -> list[str]:
    global _chain
    with _lock:
        if _chain is None:
            _chain = discover()
        return list(_chain)


def reset(paths: list[str] | None = None) -> None:
    """Forget the discovered chain (tests: ``paths`` replaces it)."""
    global _chain
    with _lock:
        _chain = list(paths) if paths is not None else None
        _has.clear()


def _face(path: str) -> pygame.freetype.Font | None:
    if path not in _faces:
        try:
            if not pygame.freetype.get_init():
                pygame.freetype.init()
            f = pygame.freetype.Font(path, 0)
            _faces[path] = f if f.scalable or f.get_sizes() else None
        except (OSError, pygame.error):
            _faces[path] = None
    return _faces[path]


def has_glyph(path: str, ch: str) -> bool:
    key = (path, ch)
    got = _has.get(key)
    if got is None:
        with _lock:
            f = _face(path)
            if f is None:
                got = False
            else:
                size = 12 if f.scalable else f.get_sizes()[0][0]
                try:
                    got = f.get_metrics(ch, size=size)[0] is not None
                except (pygame.error, ValueError):
                    got = False
        _has[key] = got
    return got


def invisible(ch: str) -> bool:
    """Spaces and format characters (joiners, variation selectors): no glyph of their own needed."""
    return ch.isspace() or unicodedata.category(ch) in ("Cf", "Cc")


def font_for(ch: str, fonts: list[str] | None = None) -> str | None:
    """The first font of the chain with a glyph for ``ch`` (None: no font here draws it);
    for an emoji, the colour emoji font comes first."""
    fonts = fonts if fonts is not None else chain()
    if is_emoji(ch):
        fonts = sorted(fonts, key=lambda p: not p.endswith("NotoColorEmoji.ttf"))
    for path in fonts:
        if has_glyph(path, ch):
            return path
    return None


def is_emoji(ch: str) -> bool:
    o = ord(ch)
    return 0x1F000 <= o <= 0x1FAFF or 0x2600 <= o <= 0x27BF or 0x2B00 <= o <= 0x2BFF


def package_for(ch: str) -> str:
    """The Debian package whose fonts draw ``ch`` (for the glyph check's hint)."""
    o = ord(ch)
    if is_emoji(ch):
        return "fonts-noto-color-emoji"
    if 0x2E80 <= o <= 0x9FFF or 0xAC00 <= o <= 0xD7AF or 0xF900 <= o <= 0xFAFF or 0xFF00 <= o <= 0xFFEF or 0x20000 <= o <= 0x3FFFF:
        return "fonts-noto-cjk"
    return "fonts-noto-core"


def missing(text: str, fonts: list[str] | None = None) -> list[str]:
    """The distinct characters of ``text`` no font of the chain can draw, in order of appearance."""
    out: list[str] = []
    for ch in dict.fromkeys(text or ""):
        if not invisible(ch) and font_for(ch, fonts) is None:
            out.append(ch)
    return out


def describe(field: str, ch: str) -> str:
    """One warning line: the field, the code point and the character, and what to install."""
    return f"{field}: U+{ord(ch):04X} {ch} has no font here (install {package_for(ch)})"
