"""The chart's drawing surface: a pygame Surface with text set in one face (FreeSans Bold,
inside pygame), sizes given at the scale of the base layout (2000 x 1125)."""

from __future__ import annotations

import os

os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")  # pygame's banner is not a log line

import pygame
import pygame.freetype

BASE = (2000, 1125)  # the size the layout is drawn for; other sizes scale from it
MIN_TEXT_PX = 13  # no text smaller than this, whatever the size

WHITE = (255, 255, 255)
INK = (31, 41, 51)


class Canvas:
    """A Surface with text set in one face, sizes given at the base layout's scale."""

    def __init__(self, size: tuple[int, int]) -> None:
        if not pygame.freetype.get_init():
            pygame.freetype.init()
        self.surface = pygame.Surface(size, 0, 32)
        self.surface.fill(WHITE)
        self.w, self.h = size
        self.s = min(size[0] / BASE[0], size[1] / BASE[1])
        self.face = pygame.freetype.Font(None)  # freesansbold.ttf, inside pygame
        self.face.origin = True  # positions are baselines
        self.face.pad = False

    def px(self, v: float) -> int:
        return max(1, round(v * self.s))

    def font_px(self, v: float) -> int:
        return max(MIN_TEXT_PX, round(v * self.s))

    def width(self, text: str, size: int) -> int:
        return self.face.get_rect(text, size=size).width if text else 0

    def cap(self, size: int) -> int:
        return self.face.get_rect("H", size=size).height

    def text(self, x: float, baseline: float, text: str, size: int, colour=INK, align: str = "left") -> int:
        """Draw ``text`` with its baseline at ``baseline``; returns the x where it ends."""
        w = self.width(text, size)
        x = x - w if align == "right" else x - w / 2 if align == "centre" else x
        if text:
            self.face.render_to(self.surface, (round(x), round(baseline)), text, colour, size=size)
        return round(x + w)

    def fit(self, text: str, size: int, width: float) -> str:
        """``text``, shortened with an ellipsis to fit ``width``."""
        if self.width(text, size) <= width:
            return text
        while text and self.width(text + "…", size) > width:
            text = text[:-1]
        return text.rstrip() + "…"

    def wrap(self, text: str, size: int, width: float) -> list[str]:
        lines: list[str] = []
        for paragraph in text.split("\n"):
            line = ""
            for word in paragraph.split():
                trial = f"{line} {word}".strip()
                if line and self.width(trial, size) > width:
                    lines.append(line)
                    line = word
                else:
                    line = trial
            lines.append(line)
        return lines

    def rect(self, x0: float, y0: float, x1: float, y1: float, colour) -> None:
        if x1 > x0 and y1 > y0:
            pygame.draw.rect(self.surface, colour, pygame.Rect(round(x0), round(y0), round(x1) - round(x0), round(y1) - round(y0)))
