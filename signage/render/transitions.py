"""Transitions between two prepared frames: cut, crossfade, slide.

The maths are pure functions of the progress ``p`` (0 at the switch, 1 when the new
creative has taken over). ``compose`` draws one frame of a transition with two blits of
surfaces that are already at screen size and in the screen's pixel format, so a
transition costs no allocation per frame.
"""

from __future__ import annotations

import pygame

from signage.values import TransitionSpec


def progress(elapsed_s: float, duration_s: float) -> float:
    """Linear progress 0..1 of a transition ``elapsed_s`` after it began."""
    if duration_s <= 0:
        return 1.0
    return min(1.0, max(0.0, elapsed_s / duration_s))


def ease(p: float) -> float:
    """Smoothstep: starts and ends gently, 0 -> 0, 0.5 -> 0.5, 1 -> 1."""
    p = min(1.0, max(0.0, p))
    return p * p * (3.0 - 2.0 * p)


def crossfade_alpha(p: float) -> int:
    """Opacity (0..255) of the incoming frame drawn over the outgoing one (linear in ``p``)."""
    return round(255 * min(1.0, max(0.0, p)))


def slide_offsets(p: float, width: int) -> tuple[int, int]:
    """x of the outgoing and incoming frames: the new one pushes the old one off to the left."""
    x_new = round(width * (1.0 - ease(p)))
    return x_new - width, x_new


def is_done(spec: TransitionSpec, elapsed_s: float) -> bool:
    return spec.kind == "cut" or elapsed_s >= spec.duration_s


def compose(target: pygame.Surface, kind: str, p: float, old: pygame.Surface | None, new: pygame.Surface) -> None:
    """Draw the frame at progress ``p`` of a ``kind`` transition from ``old`` to ``new`` onto ``target``.

    ``old`` and ``new`` are full-screen opaque surfaces. Every pixel of ``target`` is written.
    """
    if old is None or kind == "cut" or p >= 1.0:
        target.blit(new, (0, 0))
        return
    if kind == "crossfade":
        a = crossfade_alpha(p)
        if a >= 255:  # SDL blends a surface alpha of 255 on a slow generic path (~25 ms at 1080p)
            target.blit(new, (0, 0))
            return
        target.blit(old, (0, 0))
        if a:
            new.set_alpha(a)
            target.blit(new, (0, 0))
            new.set_alpha(None)
        return
    if kind == "slide":
        x_old, x_new = slide_offsets(p, target.get_width())
        target.blit(old, (x_old, 0))
        target.blit(new, (x_new, 0))
        return
    raise ValueError(f"unknown transition {kind!r}")
