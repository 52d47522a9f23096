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
from dataclasses import dataclass
from pathlib import Path

os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")  # pygame's banner is not a log line

import pygame

from signage.analytics.anonymity import WITHHELD, WITHHELD_MARK
from signage.analytics.canvas import BASE, INK, Canvas as _Canvas
from signage.analytics.daily import ALL, DayView
from signage.analytics.formats import date_span, duration, signed_pct, zone_phrase
from signage.analytics.report_types import CreativeLine, Report

__all__ = ["MAX_CREATIVES", "Slide", "percent_ticks", "render_png", "render_png_bytes", "round_steps", "ticks", "title_text"]

MAX_CREATIVES = 12  # rows on the slide; the rest are in the table (signage report)
MUTED = (107, 119, 133)
GRID = (228, 231, 235)
COLOURS = {"screen": (61, 90, 128), "attention": (42, 157, 143), "smile": (233, 162, 59)}
GAIN, LOSS = (27, 127, 75), (178, 58, 58)
PAR = 0.05  # a lift within ±5% is on a par with the baseline: grey, not a win or a loss

PERCENT_STEPS = (0.20, 0.50)  # rate axes: 0 to 100% in whole, even steps
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
    if n < 1_000_000:  # in full up to a million: a column reads alike
        return f"{n:,}"
    return f"{n / 1_000_000:.3g}M"


def _minus(text: str) -> str:
    return text.replace("-", "\u2212")  # a real minus sign


@dataclass(frozen=True, slots=True)
class Slide:
    """What one chart shows: the rows (creatives, or days), their sample sizes, and who and when."""

    report: Report
    tz: object
    rows: list[CreativeLine]
    samples: dict[str, tuple[int, int]]  # row name -> (impressions, people)
    withheld: frozenset[str]
    by_day: bool = False
    screen: str = ""
    more: int = 0  # rows not shown (creatives past MAX_CREATIVES, days before the last MAX_DAYS)


def render_png(report: Report, out: str | Path, tz=None, size_px: tuple[int, int] = BASE, **kw) -> Path:
    """Write the chart (``size_px``, 16:9 by default) to ``out`` as PNG; returns its path."""
    out = Path(out)
    out.write_bytes(render_png_bytes(report, tz, size_px, **kw))
    return out


def render_png_bytes(report: Report, tz=None, size_px: tuple[int, int] = BASE, *, screen: str = "",
                     samples: dict[str, tuple[int, int]] | None = None, days: DayView | None = None) -> bytes:
    """The chart as PNG bytes: per creative, or with ``days`` (daily.per_day) per day.
    ``samples``: per creative, (impressions, people) (daily.sample_sizes); ``screen``: its id."""
    if days is not None:
        slide = Slide(report, tz, days.lines, days.samples,
                      frozenset(days.withheld), True, screen, days.days_in_period - len(days.lines))
    else:
        shown = report.creatives[:MAX_CREATIVES]
        slide = Slide(report, tz, shown, samples or {}, frozenset(report.withheld), False, screen,
                      len(report.creatives) - len(shown))
    with _lock:
        c = _Canvas(size_px)
        _draw(c, slide)
        buf = io.BytesIO()
        pygame.image.save(c.surface, buf, "chart.png")  # the name hint picks PNG
        return buf.getvalue()


# --------------------------------------------------------------------------- layout


def title_text(s: Slide) -> str:
    """'Attention by creative — 1–7 Dec 2026, local time (Europe/Paris)'."""
    what = "Attention by day" if s.by_day else "Attention by creative"
    return f"{what} \u2014 {date_span(s.report.since, s.report.until, s.tz)}, {zone_phrase(s.tz)}"


def _plural(n: int, word: str) -> str:
    return f"{n:,} {word}{'' if n == 1 else 's'}"


def _draw(c: _Canvas, s: Slide) -> None:
    left, right = c.px(80), c.w - c.px(80)
    report = s.report

    # Title band: what and when; where; how much was seen.
    title_px, sub_px = c.font_px(50), c.font_px(26)
    y = c.px(52) + c.cap(title_px)
    c.text(left, y, c.fit(title_text(s), title_px, right - left), title_px)
    y += c.px(28) + c.cap(sub_px)
    where = [x for x in (report.site, f"screen {s.screen}" if s.screen else "") if x]
    where_y = y
    where_end = c.text(left, y, c.fit("  ·  ".join(where) or "screen not named", sub_px, right - left), sub_px, MUTED)
    t = report.total
    facts = [_plural(t.plays, "play"), f"{duration(t.screen_time_s)} on screen"]
    if s.samples:
        impressions, people = s.samples.get(ALL, (0, 0))
        facts += [_plural(impressions, "impression"), _plural(people, "person") if people == 1 else f"{people:,} people"]
    facts.append(_plural(len(report.creatives), "creative"))
    if report.camera_on_fraction is not None:
        facts.append(f"camera on {report.camera_on_fraction:.0%} of the time")
    y += c.px(18) + c.cap(sub_px)
    facts_end = c.text(left, y, c.fit("   ·   ".join(facts), sub_px, right - left), sub_px)

    foot_px = c.font_px(17)
    foot_y = c.h - c.px(26)
    stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d")
    c.text(right, foot_y, f"signage  ·  anonymous aggregates only  ·  made {stamp}", foot_px, MUTED, align="right")
    if not s.rows:
        c.text(c.w / 2, (y + foot_y) / 2, "no plays in this period", c.font_px(34), MUTED, align="centre")
        return
    y = _legend(c, [(where_y, where_end), (y, facts_end)], right)

    # The caption above the footer; the panels fill what is between it and the title band.
    cap_px = c.font_px(19)
    line_h = round(cap_px * 1.45)
    caption = c.wrap(_caption(s), cap_px, right - left)
    cap_top = foot_y - c.cap(foot_px) - c.px(26) - line_h * len(caption)
    for i, line in enumerate(caption):
        c.text(left, cap_top + c.cap(cap_px) + i * line_h, line, cap_px, MUTED)
    _panels(c, s, left, right, (y + c.px(52), cap_top - c.px(40)))


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


def _caption(s: Slide) -> str:
    during = "that day" if s.by_day else "during the creative's plays"
    text = (
        f"Beside each rate bar: first the rate {during}, then, in colour, its lift against the same hours of day "
        "(rate / same hours \u2212 1; shown from 30 person-seconds of audience; grey within \u00b15%). "
        "Attention rate: the share of the audience's time in front of the screen spent looking at it. "
        "Smile response: the smiling share of the faces large enough to measure. "
        "Same hours of day: the same measure over everyone seen at those hours in the period. "
        "Impressions: people in view for at least 1 s, per play, added up over plays. "
        "People: distinct people, each counted once, when they came into view. "
        f"Smile figures of fewer than 3 people are withheld (privacy), shown as \u201c{WITHHELD_MARK} {WITHHELD}\u201d."
    )
    if s.more > 0 and s.by_day:
        text += f"\nThe period has {s.more + len(s.rows)} days: the last {len(s.rows)} are shown."
    elif s.more > 0:
        text += f"\n{s.more} more creative{'s' if s.more != 1 else ''}, with less screen time, in the table (signage report)."
    return text


def _panels(c: _Canvas, s: Slide, left: int, right: int, region: tuple[float, float]) -> None:
    shown = s.rows
    name_px, sample_px, head_px = c.font_px(26), c.font_px(20), c.font_px(26)
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

    # Columns: the names, three numbers (what each row rests on), then three panels.
    numbers = [("Plays", [f"{line.plays:,}" for line in shown])]
    if s.samples:  # the caller counted them (daily.sample_sizes)
        numbers += [("Impressions", [_count(s.samples.get(line.creative, (0, 0))[0]) for line in shown]),
                    ("People", [_count(s.samples.get(line.creative, (0, 0))[1]) for line in shown])]  # fmt: skip
    num_w = [max(c.width(h, head_px), max(c.width(v, value_px) for v in col)) for h, col in numbers]
    names_w = c.px(250)
    gap = c.px(44)
    num_right, x = [], left + names_w
    for w in num_w:
        x += c.px(30) + w
        num_right.append(x)
    x += gap
    widths = [0.75, 1.1, 1.1]
    unit = (right - x - 2 * gap) / sum(widths)
    spans = []
    for w in widths:
        spans.append((x, x + w * unit))
        x += w * unit + gap

    head_y = rows_top - c.px(34)
    c.text(left, head_y, "Day" if s.by_day else "Creative", head_px, MUTED)
    for (head, values), xr in zip(numbers, num_right):
        c.text(xr, head_y, head, head_px, MUTED, align="right")
        for i, v in enumerate(values):
            c.text(xr, rows_top + (i + 0.5) * row_h + c.cap(name_px) / 2, v, value_px, align="right")
    for i, line in enumerate(shown):
        base = rows_top + (i + 0.5) * row_h + c.cap(name_px) / 2
        note = " · ".join(f"{k} {what}" for k, what in ((line.skipped, "skipped"), (line.errors, "failed")) if k)
        note_w = c.width(f"  {note}", sample_px) if note else 0
        end = c.text(left, base, c.fit(line.creative, name_px, names_w - note_w), name_px)
        if note:
            c.text(end, base, f"  {note}", sample_px, MUTED)

    # 1. Screen time, in the unit its longest bar reads best in.
    longest = max(line.screen_time_s for line in shown)
    name, scale = ("hours", 3600.0) if longest >= 3 * 3600 else ("minutes", 60.0) if longest >= 120 else ("seconds", 1.0)
    _panel(c, spans[0], f"Screen time ({name})", rows_top, rows_bottom, row_h, bar_h, head_px, tick_px,
           values=[line.screen_time_s / scale for line in shown], baselines=None, colour=COLOURS["screen"],
           labels=[[(duration(line.screen_time_s), value_px, INK)] for line in shown],
           marks_for=lambda top, fits: ticks(top, None, fits), tick_text=lambda v: f"{v:g}")  # fmt: skip

    # 2 and 3. The rates, 0 to 100%, each against the same hours, on axes of the same length.
    rates = []
    for span, title, rate, base, lift, colour, private in (
        (spans[1], "Attention rate (%)", "attention_rate", "baseline_attention_rate", "attention_lift", COLOURS["attention"], False),
        (spans[2], "Smile response (%)", "smile_response", "baseline_smile", "smile_lift", COLOURS["smile"], True),
    ):
        values = [getattr(line, rate) for line in shown]
        labels = []
        for line, v in zip(shown, values):
            if v is None:
                why = (f"{WITHHELD_MARK} {WITHHELD}" if private and line.creative in s.withheld
                       else "expressions off" if private and s.report.expressions_off
                       else "no plays" if not line.plays else "no audience")
                labels.append([(why, lift_px, MUTED)])
                continue
            parts = [(f"{v:.0%}", value_px, INK)]
            gain = getattr(line, lift)
            if gain is not None:
                tone = GAIN if gain >= PAR else LOSS if gain <= -PAR else MUTED
                parts.append((_minus(signed_pct(gain)), lift_px, tone))
            labels.append(parts)
        rates.append((span, title, values, [getattr(line, base) for line in shown], colour, labels))
    reserve = max(_reserve(c, values, labels) for _, _, values, _, _, labels in rates)
    for span, title, values, baselines, colour, labels in rates:
        _panel(c, span, title, rows_top, rows_bottom, row_h, bar_h, head_px, tick_px,
               values=values, baselines=baselines, colour=colour, labels=labels, reserve=reserve,
               marks_for=percent_ticks, tick_text=lambda v: f"{v * 100:.0f}", axis_to=1.0)  # fmt: skip


def _reserve(c: _Canvas, values, labels) -> int:
    """Room the labels beside the bars take (rows with no bar write theirs in the bar's place)."""
    part_gap = c.px(12)
    return max((sum(c.width(t, sz) for t, sz, _ in parts) + part_gap * (len(parts) - 1)
                for v, parts in zip(values, labels) if v is not None), default=0)  # fmt: skip


def percent_ticks(top: float, fits: Callable[[float], bool]) -> list[float]:
    """A rate axis is always 0 to 100%: every 20% (whole, even steps), or every 50% when
    the labels of 20% steps would touch."""
    return next(([round(i * step, 10) for i in range(round(1 / step) + 1)] for step in PERCENT_STEPS if fits(step)),
                [0.0, 0.5, 1.0])  # fmt: skip


def _panel(c: _Canvas, span, title, rows_top, rows_bottom, row_h, bar_h, head_px, tick_px, *, values, baselines,
           colour, labels, marks_for, tick_text, axis_to: float | None = None, reserve: int | None = None) -> None:
    """One panel: its title, a horizontal bar per row with its labels, round ticks below.
    A row with no value (None) has no bar and no baseline marker: its label says why."""
    x0, x1 = span
    c.text(x0, rows_top - c.px(34), title, head_px)
    label_gap, part_gap = c.px(12), c.px(12)
    reserve = _reserve(c, values, labels) if reserve is None else reserve
    bar_w = max(c.px(60), x1 - x0 - reserve - label_gap)
    top = max([v for v in values if v is not None] + [b for b in (baselines or []) if b is not None] + [0.0])
    axis_floor = axis_to or 0.0  # a rate axis reaches 100% whatever the bars

    def fits(step: float) -> bool:  # neighbouring labels keep a clear gap
        n = math.ceil(max(top, axis_floor) / step - 1e-9)
        widest = max(c.width(tick_text(i * step), tick_px) for i in range(n + 1))
        return bar_w / n >= widest + c.px(14)

    marks = marks_for(top if top > 0 else 1.0, fits)
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
        if v is None:
            x = x0 + c.px(4)
        else:
            end = at(v)
            c.rect(x0, mid - bar_h / 2, end, mid + bar_h / 2, colour)
            b = baselines[i] if baselines else None
            if b is not None:
                bx = at(b)
                c.rect(bx - c.px(3), mid - bar_h / 2 - c.px(7), bx + c.px(3), mid + bar_h / 2 + c.px(7), INK)
                end = max(end, bx + c.px(3))
            x = end + label_gap
        for text, size, tone in parts:
            x = c.text(x, mid + c.cap(size) / 2, text, size, tone) + part_gap
