"""Who plays when in a simulated scenario, as an SVG to put inline in a page (no script).

``timeline_svg(result)`` takes one simulation as the admin stores it (``simulation.json``:
``{"scenario", "report": {...}}``, the report of ``signage.playlist.timeline.report_json``)
or the report itself, and draws one lane per rule (the default loop and idle gaps in lanes
of their own, rules that never fired as empty lanes), a bar per play coloured by creative
and as wide as its time on screen, a time axis with ticks at the screen's wall-clock time,
the scenario's audience steps as dashed lines, and a legend of the creatives. Every name
is escaped: a rule called ``<script>`` is text. Pure: no I/O.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from xml.sax.saxutils import escape, quoteattr

__all__ = ["timeline_svg", "PALETTE"]

PALETTE = ("#1d6fb8", "#e07a1f", "#2a9d5c", "#c23b5a", "#7b52ab", "#1fa4a8", "#b8860b", "#5c6b7a",
           "#d45fa0", "#4f8f23", "#8c4a2f", "#3b4cc0")
IDLE_COLOUR = "#c9ced6"
WIDTH = 1000.0
LABEL_W = 170.0
PLOT_W = WIDTH - LABEL_W - 20.0
LANE_H = 26.0
TOP = 28.0
LOOP = "(default loop)"
IDLE = "(nothing eligible)"
STEPS_S = (10, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400)


def _when(s: str) -> dt.datetime:
    return dt.datetime.fromisoformat(s)


def _fmt_s(s: float) -> str:
    s = round(s)
    h, rest = divmod(s, 3600)
    m, sec = divmod(rest, 60)
    return "".join(f"{v} {u} " for v, u in ((h, "h"), (m, "min"), (sec, "s")) if v).strip() or "0 s"


def _audience(a: dict[str, Any] | None) -> str:
    if a is None:
        return "no audience measurement (camera off)"
    return ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in a.items())


def _tick_step(total_s: float) -> int:
    return next((s for s in STEPS_S if total_s / s <= 10), STEPS_S[-1])


def _lanes(report: dict[str, Any], timeline: list[dict[str, Any]]) -> list[str]:
    rules = list((report.get("summary") or {}).get("rules") or {})
    played = {e.get("rule") for e in timeline if e.get("creative") is not None}
    lanes = [LOOP] if None in played or not rules else []
    lanes += rules + sorted(str(r) for r in played if r is not None and r not in rules)
    if any(e.get("creative") is None for e in timeline):
        lanes.append(IDLE)
    return lanes


def _lane_of(e: dict[str, Any]) -> str:
    if e.get("creative") is None:
        return IDLE
    return LOOP if e.get("rule") is None else str(e["rule"])


def timeline_svg(result: dict[str, Any]) -> str:
    report = result.get("report", result)
    label = str(result.get("scenario") or report.get("scenario") or "")
    timeline = [e for e in report.get("timeline") or [] if e.get("start") and e.get("end")]
    start = _when(report["start"])
    end = _when(report["end"])
    truncated = bool(result.get("truncated"))
    if truncated and timeline:
        end = max(_when(e["end"]) for e in timeline)
    total = max((end - start).total_seconds(), 1e-6)
    scale = PLOT_W / total
    creatives = list((report.get("summary") or {}).get("creatives") or {})
    creatives += sorted({str(e["creative"]) for e in timeline if e.get("creative") is not None} - set(creatives))
    colour = {c: PALETTE[i % len(PALETTE)] for i, c in enumerate(creatives)}
    lanes = _lanes(report, timeline)
    row = {name: i for i, name in enumerate(lanes)}
    plot_h = LANE_H * len(lanes)
    axis_y = TOP + plot_h
    legend_y = axis_y + (56 if truncated else 40)
    per_line = 4
    height = legend_y + 22 * ((len(creatives) + per_line - 1) // per_line) + 10
    x0 = LABEL_W

    out = [f'<svg xmlns="http://www.w3.org/2000/svg" class="timeline-svg" viewBox="0 0 {WIDTH:.0f} {height:.0f}" '
           f'width="100%" font-family="system-ui, sans-serif" font-size="12" fill="#1d2733" role="img" aria-label={quoteattr("Simulated timeline: " + label)}>',
           f"<title>{escape('Who plays when: ' + label)}</title>",
]
    # lanes
    for name, i in row.items():
        y = TOP + i * LANE_H
        fired = any(_lane_of(e) == name for e in timeline)
        out.append(f'<rect class="lane" x="{x0}" y="{y:.1f}" width="{PLOT_W:.1f}" height="{LANE_H:.1f}" '
                   f'fill="{"#f3f5f8" if i % 2 == 0 else "#ffffff"}"/>')
        label = name if fired or name in (LOOP, IDLE) else f"{name} (never fired)"
        out.append(f'<text class="lane-label" x="{x0 - 8}" y="{y + LANE_H / 2 + 4:.1f}" text-anchor="end">'
                   f"{escape(label[:28] + ('…' if len(label) > 28 else ''))}<title>{escape(label)}</title></text>")
    # ticks
    step = _tick_step(total)
    first = start.replace(microsecond=0)
    offset = (-(first.hour * 3600 + first.minute * 60 + first.second)) % step
    t = offset + (first - start).total_seconds()
    while t <= total + 1e-6:
        x = x0 + t * scale
        label = (start + dt.timedelta(seconds=t)).strftime("%H:%M" if step >= 60 else "%H:%M:%S")
        out.append(f'<g class="tick"><line x1="{x:.1f}" y1="{TOP}" x2="{x:.1f}" y2="{axis_y + 5:.1f}" stroke="#d8dde3"/>'
                   f'<text x="{x:.1f}" y="{axis_y + 18:.1f}" text-anchor="middle">{label}</text></g>')
        t += step
    out.append(f'<line class="axis" x1="{x0}" y1="{axis_y:.1f}" x2="{x0 + PLOT_W:.1f}" y2="{axis_y:.1f}" stroke="#5b6673"/>')
    # bars
    for e in timeline:
        a = (_when(e["start"]) - start).total_seconds()
        b = (_when(e["end"]) - start).total_seconds()
        lane = _lane_of(e)
        y = TOP + row[lane] * LANE_H + 4
        cid = e.get("creative")
        fill = IDLE_COLOUR if cid is None else colour[str(cid)]
        tip = (f"{_when(e['start']).strftime('%H:%M:%S')} {cid or 'nothing'} for {_fmt_s(b - a)}"
               f" ({'loop' if e.get('rule') is None else 'rule ' + str(e['rule'])})"
               + ("" if e.get("ended") in (None, "completed") else f", {e['ended']}"))
        attrs = f' data-rule={quoteattr("" if e.get("rule") is None else str(e["rule"]))}'
        attrs += f' data-creative={quoteattr("" if cid is None else str(cid))} data-seconds="{b - a:.3f}"'
        out.append(f'<rect class="bar"{attrs} x="{x0 + a * scale:.2f}" y="{y:.1f}" width="{max((b - a) * scale, 0.6):.2f}" '
                   f'height="{LANE_H - 8:.1f}" fill="{fill}"><title>{escape(tip)}</title></rect>')
    # audience steps: where the scenario's step in force changes
    last = object()
    for e in timeline:
        s = e.get("step")
        if s is None or s == last:
            last = s
            continue
        last = s
        x = x0 + (_when(e["start"]) - start).total_seconds() * scale
        out.append(f'<g class="step" data-step="{int(s)}"><line x1="{x:.1f}" y1="{TOP - 10}" x2="{x:.1f}" y2="{axis_y:.1f}" '
                   f'stroke="#1d2733" stroke-dasharray="3 3"/><text x="{x + 3:.1f}" y="{TOP - 4}">step {int(s)}</text>'
                   f"<title>{escape(f'audience step {int(s)}: ' + _audience(e.get('audience')))}</title></g>")
    # legend
    for i, c in enumerate(creatives):
        x = x0 + (i % per_line) * (PLOT_W / per_line)
        y = legend_y + (i // per_line) * 22
        out.append(f'<g class="legend"><rect x="{x:.1f}" y="{y - 11:.1f}" width="14" height="14" fill="{colour[c]}"/>'
                   f'<text x="{x + 20:.1f}" y="{y:.1f}">{escape(c[:34])}<title>{escape(c)}</title></text></g>')
    if truncated:
        out.append(f'<text x="{x0}" y="{axis_y + 36:.1f}" class="note">first {len(timeline)} plays of the scenario</text>')
    out.append("</svg>")
    return "\n".join(out)
