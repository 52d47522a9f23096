"""A Report as a PNG chart for a slide (16:9): per creative, the screen time, then the
attention rate and the smile response, each against the baseline of the same hours.

Drawn with pygame on a plain Surface (no display, no window: SDL is not even asked for a
video driver) in FreeSans Bold, the typeface that ships inside pygame and that the screen
uses, and written with ``pygame.image.save``. Everything is laid out for 2000 x 1125 and
scaled to the size asked for, with a floor on text sizes so that 1280 x 720 stays readable.
"""

from __future__ import annotations

import datetime as dt
import io
import math
import os
import threading
from collections.abc import Callable, Sequence
from pathlib import Path

os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")  # pygame's banner is not a log line

import pygame
import pygame.freetype

from signage.analytics.formats import duration, period_text, signed_pct
from signage.analytics.report import CreativeLine, Report

__all__ = ["MAX_CREATIVES", "render_png", "render_png_bytes", "round_steps", "ticks"]

MAX_CREATIVES = 12  # rows on the slide; the rest are in the table (signage report)
BASE = (2000, 1125)  # the size the layout is drawn for; other sizes scale from it
MIN_TEXT_PX = 13  # no text smaller than this, whatever the size

WHITE = (255, 255, 255)
INK = (31, 41, 51)
MUTED = (107, 119, 133)
GRID = (228, 231, 235)
COLOURS = {"screen": (61, 90, 128), "attention": (42, 157, 143), "smile": (233, 162, 59)}
GAIN, LOSS = (27, 127, 75), (178, 58, 58)
PAR = 0.05  # a lift within ±5% is on a par with the baseline: grey, not a win or a loss

PERCENT_STEPS = (0.01, 0.02, 0.05, 0.10, 0.20, 0.25, 0.50)
MAX_INTERVALS = 4  # at most five labels on an axis

_lock = threading.Lock()  # one chart at a time: the admin service renders from a thread pool


def round_steps(top: float) -> list[float]:
    """1, 2, 5 x 10^k from well below ``top`` up to a step that reaches it in 1 interval."""
    k = math.floor(math.log10(top)) - 1
    return [m * 10.0**e for e in range(k, k + 3) for m in (1, 2, 5)]


def ticks(top: float, steps: Sequence[float] | None = None, fits: Callable[[float], bool] = lambda step: True) -> list[float]:
    """Ticks from 0 up to at least ``top`` (> 0) at one round step: the smallest of ``steps``
    (default: 1, 2, 5 x 10^k) that needs at most MAX_INTERVALS intervals and for which
    ``fits(step)`` (its labels keep clear of each other); if none fits, the largest."""
    usable = [s for s in (steps or round_steps(top)) if math.ceil(top / s - 1e-9) <= MAX_INTERVALS]
    if not usable:
        raise ValueError(f"no step reaches {top} in {MAX_INTERVALS} intervals")
    step = next((s for s in usable if fits(s)), usable[-1])
    return [round(i * step, 10) for i in range(math.ceil(top / step - 1e-9) + 1)]


def _count(n: float) -> str:
    n = int(round(n))
    if n < 10_000:
        return f"{n:,}"
    if n < 1_000_000:
        return f"{n / 1000:.3g}k"
    return f"{n / 1_000_000:.3g}M"


def _minus(text: str) -> str:
    return text.replace("-", "\u2212")  # a real minus sign


class _Canvas:
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


def render_png(report: Report, out: str | Path, tz=None, size_px: tuple[int, int] = BASE) -> Path:
    """Write the chart (``size_px``, 16:9 by default) to ``out`` as PNG; returns its path."""
    out = Path(out)
    out.write_bytes(render_png_bytes(report, tz, size_px))
    return out


def render_png_bytes(report: Report, tz=None, size_px: tuple[int, int] = BASE) -> bytes:
    """The chart as PNG bytes."""
    with _lock:
        c = _Canvas(size_px)
        _draw(c, report, tz)
        buf = io.BytesIO()
        pygame.image.save(c.surface, buf, "chart.png")  # the name hint picks PNG
        return buf.getvalue()


# --------------------------------------------------------------------------- layout


def _draw(c: _Canvas, report: Report, tz) -> None:
    left, right = c.px(80), c.w - c.px(80)
    shown = report.creatives[:MAX_CREATIVES]
    more = len(report.creatives) - len(shown)

    # Title band: what, where, when, how much was seen.
    title_px, sub_px = c.font_px(58), c.font_px(26)
    y = c.px(56) + c.cap(title_px)
    end = c.text(left, y, "Audience report", title_px)
    if report.site:
        c.text(end, y, c.fit(f"  ·  {report.site}", title_px, right - end), title_px, MUTED)
    y += c.px(30) + c.cap(sub_px)
    period_y = y
    period_end = c.text(left, y, c.fit(period_text(report, tz), sub_px, right - left), sub_px, MUTED)
    t = report.total
    facts = [f"{t.plays:,} play{'s' if t.plays != 1 else ''}", f"{duration(t.screen_time_s)} on screen",
             f"audience {_count(t.face_s)} person-seconds", f"{len(report.creatives)} creative{'s' if len(report.creatives) != 1 else ''}"]  # fmt: skip
    if report.camera_on_fraction is not None:
        facts.append(f"camera on {report.camera_on_fraction:.0%} of the time")
    y += c.px(20) + c.cap(sub_px)
    facts_end = c.text(left, y, c.fit("   ·   ".join(facts), sub_px, right - left), sub_px)

    foot_px = c.font_px(17)
    foot_y = c.h - c.px(26)
    stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d")
    c.text(right, foot_y, f"signage  ·  anonymous aggregates only  ·  made {stamp}", foot_px, MUTED, align="right")
    if not shown:
        c.text(c.w / 2, (y + foot_y) / 2, "no plays in this period", c.font_px(34), MUTED, align="centre")
        return
    y = _legend(c, [(period_y, period_end), (y, facts_end)], right)

    # The caption above the footer; the panels fill what is between it and the title band.
    cap_px = c.font_px(20)
    line_h = round(cap_px * 1.45)
    caption = c.wrap(_caption(more), cap_px, right - left)
    cap_top = foot_y - c.cap(foot_px) - c.px(28) - line_h * len(caption)
    for i, line in enumerate(caption):
        c.text(left, cap_top + c.cap(cap_px) + i * line_h, line, cap_px, MUTED)
    _panels(c, shown, left, right, (y + c.px(56), cap_top - c.px(44)))


def _legend(c: _Canvas, lines: list[tuple[float, int]], right: int) -> float:
    """The key, right-aligned on the first of ``lines`` (baseline, where its text ends) it
    does not touch, else on a line of its own below them; returns the lowest baseline used."""
    size = c.font_px(22)
    sw, gap = c.px(22), c.px(34)
    items = [(COLOURS["attention"], "attention rate"), (COLOURS["smile"], "smile response"), (None, "same hours of day")]
    width = sum(sw + c.px(10) + c.width(label, size) for _, label in items) + gap * (len(items) - 1)
    x = right - width
    free = [baseline for baseline, end in lines if end + c.px(48) <= x]
    last = lines[-1][0]
    y = free[0] if free else last + c.px(18) + c.cap(size)
    cap = c.cap(size)
    for colour, label in items:
        if colour is None:  # the baseline marker as drawn on the bars
            mid = x + sw // 2
            c.rect(mid - c.px(3), y - cap - c.px(5), mid + c.px(3), y + c.px(5), INK)
        else:
            c.rect(x, y - cap, x + sw, y, colour)
        x = c.text(x + sw + c.px(10), y, label, size, INK) + gap
    return max(y, last)


def _caption(more: int) -> str:
    text = (
        "Attention rate: the share of the audience's time in front of the screen spent by watchers (people who looked at it). "
        "Smile response: the smiling share of the faces large enough to measure. "
        "Beside each rate bar: the rate during the creative's plays, then its lift against the same hours of day "
        "(rate / same hours \u2212 1, shown from 30 person-seconds of audience, grey within \u00b15%). "
        "Same hours of day: the same measure over everyone seen at those hours in the period, weighted like the "
        "creative's own audience. Audience: person-seconds in front of the screen during its plays (2 people for 10 s = 20)."
    )
    if more > 0:
        text += f"\n{more} more creative{'s' if more != 1 else ''}, with less screen time, in the table (signage report)."
    return text


def _panels(c: _Canvas, shown: list[CreativeLine], left: int, right: int, region: tuple[float, float]) -> None:
    name_px, sample_px, head_px = c.font_px(26), c.font_px(20), c.font_px(28)
    value_px, lift_px, tick_px = c.font_px(24), c.font_px(21), c.font_px(20)
    n = len(shown)
    head_h = c.cap(head_px) + c.px(34)
    axis_h = c.px(16) + c.cap(tick_px) + c.px(4)
    room = region[1] - region[0]
    row_h = min(c.px(112), (room - head_h - axis_h) / n)
    block_h = head_h + row_h * n + axis_h
    top = region[0] + max(0.0, room - block_h) * 0.4
    rows_top = top + head_h
    rows_bottom = rows_top + row_h * n
    bar_h = min(row_h * 0.58, c.px(56))

    # Columns: the names, two numbers (what each row rests on), then three panels.
    num_w = [max(c.width(h, head_px), max(c.width(v, value_px) for v in col)) for h, col in (
        ("Plays", [f"{line.plays:,}" for line in shown]), ("Audience", [_count(line.face_s) for line in shown]))]  # fmt: skip
    names_w = c.px(290)
    gap = c.px(56)
    num_right = [left + names_w + c.px(28) + num_w[0]]
    num_right.append(num_right[0] + c.px(36) + num_w[1])
    x = num_right[1] + gap
    widths = [0.9, 1.15, 1.15]
    unit = (right - x - 2 * gap) / sum(widths)
    spans = []
    for w in widths:
        spans.append((x, x + w * unit))
        x += w * unit + gap

    head_y = rows_top - c.px(34)
    c.text(left, head_y, "Creative", head_px, MUTED)
    c.text(num_right[0], head_y, "Plays", head_px, MUTED, align="right")
    c.text(num_right[1], head_y, "Audience", head_px, MUTED, align="right")
    for i, line in enumerate(shown):
        base = rows_top + (i + 0.5) * row_h + c.cap(name_px) / 2
        note = " · ".join(f"{k} {what}" for k, what in ((line.skipped, "skipped"), (line.errors, "failed")) if k)
        note_w = c.width(f"  {note}", sample_px) if note else 0
        end = c.text(left, base, c.fit(line.creative, name_px, names_w - note_w), name_px)
        if note:
            c.text(end, base, f"  {note}", sample_px, MUTED)
        c.text(num_right[0], base, f"{line.plays:,}", value_px, align="right")
        c.text(num_right[1], base, _count(line.face_s), value_px, align="right")

    # 1. Screen time, in the unit its longest bar reads best in.
    longest = max(line.screen_time_s for line in shown)
    name, scale = ("hours", 3600.0) if longest >= 3 * 3600 else ("minutes", 60.0) if longest >= 120 else ("seconds", 1.0)
    labels = [duration(line.screen_time_s) for line in shown]
    _panel(c, spans[0], f"Screen time ({name})", rows_top, rows_bottom, row_h, bar_h, head_px, tick_px,
           values=[line.screen_time_s / scale for line in shown], baselines=None, colour=COLOURS["screen"],
           labels=[[(text, value_px, INK)] for text in labels],
           steps=None, tick_text=lambda v: f"{v:g}")  # fmt: skip

    # 2 and 3. The rates, each against the same hours.
    for span, title, rate, base, lift, colour in (
        (spans[1], "Attention rate", "attention_rate", "baseline_attention_rate", "attention_lift", COLOURS["attention"]),
        (spans[2], "Smile response", "smile_response", "baseline_smile", "smile_lift", COLOURS["smile"]),
    ):
        values = [getattr(line, rate) for line in shown]
        labels = []
        for line, v in zip(shown, values):
            if v is None:
                labels.append([("no audience", lift_px, MUTED)])
                continue
            parts = [(f"{v:.0%}", value_px, INK)]
            gain = getattr(line, lift)
            if gain is not None:
                tone = GAIN if gain >= PAR else LOSS if gain <= -PAR else MUTED
                parts.append((_minus(signed_pct(gain)), lift_px, tone))
            labels.append(parts)
        _panel(c, span, title, rows_top, rows_bottom, row_h, bar_h, head_px, tick_px,
               values=values, baselines=[getattr(line, base) for line in shown], colour=colour, labels=labels,
               steps=PERCENT_STEPS, tick_text=lambda v: f"{v * 100:.0f}%", cap=1.0)  # fmt: skip


def _panel(c: _Canvas, span, title, rows_top, rows_bottom, row_h, bar_h, head_px, tick_px, *, values, baselines,
           colour, labels, steps, tick_text, cap: float | None = None) -> None:
    """One panel: its title, a horizontal bar per row with its labels, round ticks below."""
    x0, x1 = span
    c.text(x0, rows_top - c.px(34), title, head_px)
    label_gap, part_gap = c.px(12), c.px(12)
    reserve = max(sum(c.width(t, s) for t, s, _ in parts) + part_gap * (len(parts) - 1) for parts in labels)
    bar_w = max(c.px(60), x1 - x0 - reserve - label_gap)
    top = max([v for v in values if v is not None] + [b for b in (baselines or []) if b is not None] + [0.0])
    if top <= 0:
        top = cap or 1.0

    def fits(step: float) -> bool:  # neighbouring labels keep a clear gap
        n = math.ceil(top / step - 1e-9)
        widest = max(c.width(tick_text(i * step), tick_px) for i in range(n + 1))
        return bar_w / n >= widest + c.px(14)

    marks = ticks(min(top, cap) if cap else top, steps, fits)
    axis_max = marks[-1]

    def at(v: float) -> float:
        return x0 + bar_w * min(v, axis_max) / axis_max

    # Grid and ticks under everything.
    for m in marks:
        gx = round(at(m))
        c.rect(gx, rows_top - c.px(8), gx + max(1, c.px(2)), rows_bottom, GRID)
        c.text(gx, rows_bottom + c.px(16) + c.cap(tick_px), tick_text(m), tick_px, MUTED, align="centre")
    c.rect(x0, rows_bottom, at(axis_max) + max(1, c.px(2)), rows_bottom + max(1, c.px(2)), GRID)

    for i, (v, parts) in enumerate(zip(values, labels)):
        mid = rows_top + (i + 0.5) * row_h
        end = x0
        if v is not None:
            end = at(v)
            c.rect(x0, mid - bar_h / 2, end, mid + bar_h / 2, colour)
        b = baselines[i] if baselines else None
        if b is not None:
            bx = at(b)
            c.rect(bx - c.px(3), mid - bar_h / 2 - c.px(7), bx + c.px(3), mid + bar_h / 2 + c.px(7), INK)
            end = max(end, bx + c.px(3))
        x = end + label_gap if v is not None else x0 + c.px(4)
        for text, size, tone in parts:
            x = c.text(x, mid + c.cap(size) / 2, text, size, tone) + part_gap
