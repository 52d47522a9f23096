"""Where a line may break: at spaces (a no-break space holds), and between any two Chinese or
Japanese characters, which are written without spaces (closing punctuation stays with the
character before it). Pure functions: the notice and the text slides wrap with them."""

from __future__ import annotations

import re

_NO_LINE_START = set("，。、：；！？）」』】〉》・ー…,.:;!?)]}%") | {"\u3001", "\u3002", "\uff0c", "\uff1a"}


def _breaks_anywhere(ch: str) -> bool:
    """Chinese and Japanese lines break between any two characters (no spaces between words)."""
    o = ord(ch)
    return 0x2E80 <= o <= 0x9FFF or 0xF900 <= o <= 0xFAFF or 0xFF00 <= o <= 0xFFEF or 0x20000 <= o <= 0x3FFFF


def break_units(text: str) -> list[str]:
    """``text`` cut where a line may break: at plain spaces (a unit keeps the space before it;
    a no-break space holds) and between Chinese or Japanese characters (closing punctuation
    stays with the character before it). ``"".join(units) == text`` with spaces collapsed."""
    units: list[str] = []
    for i, word in enumerate(w for w in re.split(r"[ \t\r\n]+", text) if w):
        cur = " " if i else ""
        for ch in word:
            if cur.strip() and (_breaks_anywhere(ch) or _breaks_anywhere(cur[-1])) and ch not in _NO_LINE_START:
                units.append(cur)
                cur = ""
            cur += ch
        units.append(cur)
    return units


def wrap_text(text: str, width_of, max_width: int) -> list[str]:
    """Greedy wrap of ``text`` into lines ``width_of`` measures as no wider than ``max_width``
    (a unit wider than a line gets a line of its own)."""
    lines: list[str] = []
    line = ""
    for unit in break_units(text):
        trial = line + unit if line else unit.lstrip(" ")
        if line and width_of(trial) > max_width:
            lines.append(line)
            line = unit.lstrip(" ")
        else:
            line = trial
    if line:
        lines.append(line)
    return lines


def shorten_url(url: str, max_chars: int = 48) -> str:
    """A long URL (without its scheme) shortened for reading beside its QR code: the host, the
    first path segment, an ellipsis and the last segment, e.g. ``example.org/privacy/…/notice``;
    as it is when it has at most ``max_chars`` characters or cannot be shortened that way."""
    if len(url) <= max_chars:
        return url
    parts = url.split("/")
    if len(parts) <= 3:
        return url
    head, last = "/".join(parts[:2]), parts[-1] or parts[-2]
    short = f"{head}/…/{last}"
    if len(short) > max_chars:
        short = f"{parts[0]}/…/{last}"
    return short if len(short) < len(url) else url
