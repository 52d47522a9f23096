"""A Report as a PNG chart for a slide (16:9): screen time, attention rate and smile
response per creative, each rate against the baseline of the same hours.

matplotlib is imported here only (Agg backend, no display needed).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from signage.analytics.formats import duration, period_text, signed_pct
from signage.analytics.report import CreativeLine, Report

MAX_CREATIVES = 12
MIN_ROWS = 5
INK = "#1f2933"
MUTED = "#6b7785"
GRID = "#e4e7eb"
BASELINE = "#1f2933"
COLOURS = {"screen": "#3d5a80", "attention": "#2a9d8f", "smile": "#e9a23b"}


def _short(name: str, n: int = 24) -> str:
    return name if len(name) <= n else name[: n - 1] + "…"


def render_png(report: Report, out: str | Path, tz=None, size_px: tuple[int, int] = (2000, 1125)) -> Path:
    """Write the chart (16:9, ``size_px``) to ``out``; returns its path."""
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    shown = report.creatives[:MAX_CREATIVES]
    names = [_short(c.creative) for c in shown]
    ys = list(range(len(shown)))[::-1]  # the first creative on top

    plt.rcParams.update({"font.family": "DejaVu Sans", "font.size": 11, "text.color": INK, "axes.labelcolor": INK})
    dpi = 150
    fig = plt.figure(figsize=(size_px[0] / dpi, size_px[1] / dpi), dpi=dpi)
    top = 0.80
    bottom = 0.16 if len(shown) > 3 else 0.24
    grid = fig.add_gridspec(1, 3, left=0.16, right=0.97, top=top, bottom=bottom, wspace=0.10, width_ratios=[1.3, 1, 1])
    axes = [fig.add_subplot(grid[0, i]) for i in range(3)]

    t = report.total
    fig.text(0.03, 0.935, "Audience report", fontsize=24, fontweight="bold", color=INK)
    fig.text(
        0.03, 0.885,
        f"{period_text(report, tz)}   ·   {t.plays:,} plays   ·   {duration(t.screen_time_s)} on screen"
        f"   ·   {len(report.creatives)} creatives",
        fontsize=12.5, color=MUTED,
    )  # fmt: skip

    # 1. screen time, with the play count
    hours = max(c.screen_time_s for c in shown) >= 3 * 3600
    unit, scale = ("hours", 3600.0) if hours else ("minutes", 60.0)
    _bars(axes[0], ys, [c.screen_time_s / scale for c in shown], COLOURS["screen"])
    for y, c in zip(ys, shown):
        axes[0].annotate(
            f" {duration(c.screen_time_s)} · {c.plays:,} play{'s' if c.plays != 1 else ''}", (c.screen_time_s / scale, y),
            va="center", fontsize=10, color=INK,
        )  # fmt: skip
    _frame(axes[0], f"Screen time ({unit})", 1.75)
    axes[0].set_yticks(ys, names, fontsize=11.5)

    # 2 and 3. rates against the same hours
    _rates(axes[1], ys, shown, "attention_rate", "baseline_attention_rate", "attention_lift", COLOURS["attention"])
    _frame(axes[1], "Attention rate", 1.0, percent=True)
    _rates(axes[2], ys, shown, "smile_response", "baseline_smile", "smile_lift", COLOURS["smile"])
    _frame(axes[2], "Smile response", 1.0, percent=True)
    for ax in axes[1:]:
        ax.set_yticks(ys, [""] * len(ys))
        ax.tick_params(axis="y", length=0)

    legend = [
        Patch(color=COLOURS["attention"], label="attention rate during its plays"),
        Patch(color=COLOURS["smile"], label="smile response during its plays"),
        Line2D([], [], color=BASELINE, marker="|", markersize=16, markeredgewidth=2.5, linestyle="none",
               label="baseline: same hours of day"),  # fmt: skip
    ]
    fig.legend(handles=legend, loc="upper right", bbox_to_anchor=(0.97, 0.955), ncol=3, frameon=False, fontsize=10.5)
    more = len(report.creatives) - len(shown)
    note = (
        "Attention rate: share of the audience's time in front of the screen spent by watchers (people who looked at it). "
        "Smile response: smiling share of measured faces.\n"
        "Same hours: the same measure over everyone seen at the same hours of day in the period, weighted like the creative's "
        "own audience; the figure beside each bar is the lift against it."
        + (f"  {more} more creatives in the table." if more > 0 else "")
    )
    fig.text(0.03, 0.045, note, fontsize=9, color=MUTED, linespacing=1.5)
    stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d")
    fig.text(0.97, 0.012, f"signage · anonymous aggregates · {stamp}", fontsize=9, color=MUTED, ha="right")
    out = Path(out)
    fig.savefig(out, dpi=dpi, facecolor="white")
    plt.close(fig)
    return out


def _bars(ax, ys, values, colour) -> None:
    ax.barh(ys, values, height=0.62, color=colour, zorder=2)


def _rates(ax, ys, shown: list[CreativeLine], value: str, base: str, lift: str, colour: str) -> None:
    vals = [getattr(c, value) for c in shown]
    _bars(ax, ys, [v or 0.0 for v in vals], colour)
    top = max([v for v in vals if v is not None] + [getattr(c, base) or 0.0 for c in shown] + [0.05])
    for y, c, v in zip(ys, shown, vals):
        b = getattr(c, base)
        if b is not None:
            ax.plot([b, b], [y - 0.42, y + 0.42], color=BASELINE, linewidth=2.5, zorder=3, solid_capstyle="butt")
        text = "no audience" if v is None else f"{v:.0%}"
        gain = getattr(c, lift)
        x = max(v or 0.0, b or 0.0) + top * 0.03
        ax.annotate(
            text, (x, y), xytext=(0, 1 if gain is not None else 0), textcoords="offset points",
            va="bottom" if gain is not None else "center", fontsize=10.5,
            color=INK if v is not None else MUTED, fontweight="bold" if v is not None else "normal",
        )  # fmt: skip
        if gain is not None:
            # within ±5% of the baseline: on a par (grey), not a win or a loss
            colour_gain = "#1b7f4b" if gain >= 0.05 else "#b23a3a" if gain <= -0.05 else MUTED
            ax.annotate(
                f"{signed_pct(gain)} vs same hours", (x, y), xytext=(0, -1), textcoords="offset points",
                va="top", fontsize=8.5, color=colour_gain,
            )  # fmt: skip
    ax.set_xlim(0, top * 1.75)  # room for the labels; ticks only where a rate can be (0..100%)
    from matplotlib.ticker import MaxNLocator

    ticks = MaxNLocator(nbins=5).tick_values(0, min(1.0, top))
    ax.set_xticks([t for t in ticks if 0 <= t <= min(1.0, top * 1.1) + 1e-9])


def _frame(ax, title: str, headroom: float, percent: bool = False) -> None:
    from matplotlib.ticker import PercentFormatter

    ax.set_title(title, loc="left", fontsize=14, fontweight="bold", color=INK, pad=12)
    for side in ("top", "right", "left"):
        ax.spines[side].set_visible(False)
    ax.spines["bottom"].set_color(GRID)
    ax.grid(axis="x", color=GRID, zorder=0)
    ax.tick_params(axis="x", colors=MUTED, labelsize=9.5)
    ax.tick_params(axis="y", length=0)
    lo, hi = ax.get_xlim()
    if not percent:
        ax.set_xlim(0, hi * headroom)
    else:
        ax.xaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    rows = len(ax.patches)
    pad = max(0.0, (MIN_ROWS - rows) / 2)  # few creatives: bars keep a slide-like thickness
    ax.set_ylim(-0.7 - pad, rows - 0.3 + pad)
