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
