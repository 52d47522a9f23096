"""Pure geometry of the screen: fitting pictures, rotating the canvas, laying out text.

No pygame here: sizes and rectangles are plain tuples, so every rule is easy to test.
"""

from __future__ import annotations

from typing import Literal

Size = tuple[int, int]
Rect = tuple[int, int, int, int]  # x, y, w, h
FitMode = Literal["fit", "fill", "stretch"]


def rotated_size(size: Size, rotation: int) -> Size:
    """The upright (logical) canvas size for a panel of ``size`` turned by ``rotation`` degrees."""
    if rotation not in (0, 90, 180, 270):
        raise ValueError(f"rotation must be 0, 90, 180 or 270, got {rotation}")
    w, h = size
    return (h, w) if rotation in (90, 270) else (w, h)


def place(src: Size, dst: Size, mode: FitMode) -> tuple[Rect, Rect]:
    """Where a ``src``-sized picture goes on a ``dst``-sized screen.

    Returns ``(crop, target)``: the part of the source to use (x, y, w, h in source pixels)
    and where it lands, scaled, on the screen (x, y, w, h in screen pixels).

    - fit: the whole picture, as large as fits, centred; the rest is letterbox.
    - fill: covers the whole screen, centred; the overflow is cropped from the source.
    - stretch: the whole picture onto the whole screen, aspect ignored.
    """
    sw, sh = src
    dw, dh = dst
    if sw <= 0 or sh <= 0 or dw <= 0 or dh <= 0:
        raise ValueError(f"sizes must be positive, got {src} onto {dst}")
    if mode == "stretch":
        return (0, 0, sw, sh), (0, 0, dw, dh)
    if mode == "fit":
        # Compare aspect ratios exactly (integers) to decide which side touches the screen.
        if sw * dh >= sh * dw:  # wider than the screen: full width, bars above and below
            w, h = dw, max(1, round(sh * dw / sw))
        else:
            w, h = max(1, round(sw * dh / sh)), dh
        return (0, 0, sw, sh), ((dw - w) // 2, (dh - h) // 2, w, h)
    if mode == "fill":
        if sw * dh >= sh * dw:  # wider: use full height, crop the sides
            cw, ch = max(1, min(sw, round(dw * sh / dh))), sh
        else:
            cw, ch = sw, max(1, min(sh, round(dh * sw / dw)))
        return ((sw - cw) // 2, (sh - ch) // 2, cw, ch), (0, 0, dw, dh)
    raise ValueError(f"fit mode must be fit, fill or stretch, got {mode!r}")


def wrap_words(words: list[str], width_of, max_width: int) -> list[str]:
    """Greedy word wrap: ``width_of(text)`` measures a line; a too-long word gets a line of its own."""
    lines: list[str] = []
    line = ""
    for word in words:
        trial = f"{line} {word}" if line else word
        if line and width_of(trial) > max_width:
            lines.append(line)
            line = word
        else:
            line = trial
    if line:
        lines.append(line)
    return lines


def parse_color(value: str) -> tuple[int, int, int]:
    """``#rrggbb`` to an (r, g, b) tuple; raises ValueError naming the value."""
    v = value.strip()
    if len(v) != 7 or v[0] != "#":
        raise ValueError(f"colour must be #rrggbb, got {value!r}")
    try:
        return int(v[1:3], 16), int(v[3:5], 16), int(v[5:7], 16)
    except ValueError:
        raise ValueError(f"colour must be #rrggbb, got {value!r}") from None


def relative_luminance(rgb: tuple[int, int, int]) -> float:
    """WCAG relative luminance of an sRGB colour (0 black .. 1 white)."""

    def lin(c: int) -> float:
        x = c / 255
        return x / 12.92 if x <= 0.04045 else ((x + 0.055) / 1.055) ** 2.4

    r, g, b = rgb
    return 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b)


def contrast_ratio(a: tuple[int, int, int], b: tuple[int, int, int]) -> float:
    """WCAG contrast ratio between two colours, 1..21."""
    la, lb = sorted((relative_luminance(a), relative_luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)
