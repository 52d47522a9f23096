"""A Report as text: a table for the terminal, CSV and JSON for machines."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import math
from dataclasses import asdict, fields

from signage.analytics.anonymity import EXPRESSIONS_OFF, WITHHELD
from signage.analytics.periods import local
from signage.analytics.periods import tz_label as report_tz_label
from signage.analytics.report_types import CreativeLine, Report

NO_PLAYS = "no plays in this period"


_UTC_NAMES = {"UTC", "Etc/UTC", "Etc/UCT", "Etc/Universal", "Etc/Zulu", "UCT", "Universal", "Zulu", "Etc/GMT", "GMT"}


def period_text(report: Report, tz) -> str:
    """'2026-11-18 00:00 to 2026-11-19 00:00 (UTC)', or '... local time (CET)': one zone label."""
    fmt = "%Y-%m-%d %H:%M"
    zone = report.tz_name if report.tz_name.startswith("local time") else f"({report.tz_name})"
    if report.tz_name in _UTC_NAMES:
        zone = "(UTC)"
    return f"{local(report.since, tz).strftime(fmt)} to {local(report.until, tz).strftime(fmt)} {zone}"


def zone_phrase(tz) -> str:
    """'UTC', or 'local time (Europe/Paris)': the zone a chart's dates and hours are in."""
    if tz is None:
        return report_tz_label(None)
    name = getattr(tz, "key", None) or str(tz)
    return "UTC" if name in _UTC_NAMES or tz is dt.timezone.utc else f"local time ({name})"


def date_span(since: float, until: float, tz) -> str:
    """The period for a title: '1–7 Dec 2026', '28 Nov – 4 Dec 2026', '1 Dec 2026' (whole
    days), else with the times: '1 Dec 2026, 09:00–18:00', '1 Dec 09:00 – 7 Dec 2026 18:00'."""
    a, b = local(since, tz), local(until, tz)
    whole = a.time() == dt.time() and b.time() == dt.time() and b > a
    last = (b - dt.timedelta(days=1)) if whole else b

    def day(d: dt.datetime, month: bool = True, year: bool = True) -> str:
        return f"{d.day}" + (f" {d:%b}" if month else "") + (f" {d.year}" if year else "")

    if whole:
        if a.date() == last.date():
            return day(a)
        if (a.year, a.month) == (last.year, last.month):
            return f"{a.day}\u2013{day(last)}"
        return f"{day(a, year=a.year != last.year)} \u2013 {day(last)}"
    if a.date() == b.date():
        return f"{day(a)}, {a:%H:%M}\u2013{b:%H:%M}"
    return f"{day(a, year=a.year != b.year)} {a:%H:%M} \u2013 {day(b)} {b:%H:%M}"


def duration(seconds: float) -> str:
    s = int(round(seconds))
    if s < 60:
        return f"{s}s"
    if s < 3600:
        return f"{s // 60}m {s % 60:02d}s"
    return f"{s // 3600}h {s % 3600 // 60:02d}m"


def pct(v: float | None) -> str:
    return "—" if v is None else f"{v:.0%}"


def signed_pct(v: float | None) -> str:
    if v is None:
        return "—"
    return "0%" if round(v * 100) == 0 else f"{v:+.0%}"


def _num(v):
    """Floats rounded for machines (6 decimals, no negative zero)."""
    return round(v, 6) + 0.0 if isinstance(v, float) else v


def _grid(header: list[str], rows: list[list[str]], left: tuple[int, ...] = (0,)) -> list[str]:
    """Columns aligned: those in ``left`` to the left, the others (numbers) to the right."""
    widths = [max(len(r[i]) for r in [header] + rows) for i in range(len(header))]
    out = []
    for r in [header] + rows:
        cells = [c.ljust(w) if i in left else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths))]
        out.append("  ".join(cells).rstrip())
    return out


def to_table(report: Report, tz) -> str:
    head = f"signage report: {period_text(report, tz)}"
    if report.empty:
        return f"{head}\n{NO_PLAYS}\n"
    t = report.total
    cam = "" if report.camera_on_fraction is None else f", camera on {report.camera_on_fraction:.0%} of them"
    lines = [
        head,
        f"{t.plays} plays, {duration(t.screen_time_s)} on screen; baseline: {report.baseline_minutes} audience minutes{cam}",
        *([paused_line(report)] if report.pauses or report.paused_s else []),
        "",
    ]
    header = ["creative", "plays", "done", "cut", "screen time", "faces", "attention s",
              "attention", "same hours", "lift", "smiles", "same hours", "lift"]  # fmt: skip
    rows = [
        [c.creative, str(c.plays), str(c.completed), str(c.interrupted), duration(c.screen_time_s),
         f"{c.mean_faces:.1f}", f"{c.attention_s:.0f}",
         pct(c.attention_rate), pct(c.baseline_attention_rate), signed_pct(c.attention_lift),
         smiles(c, report), off_or(report, c.baseline_smile, pct), off_or(report, c.smile_lift, signed_pct)]  # fmt: skip
        for c in report.creatives + [t]
    ]
    lines += _grid(header, rows)
    lines.insert(len(lines) - 1, "-" * len(lines[-2]))
    skipped = [c for c in report.creatives if c.skipped or c.errors]
    if skipped:
        lines += ["", "not shown: " + ", ".join(f"{c.creative} ({c.skipped} skipped, {c.errors} errors)" for c in skipped)]
    lines += ["", "rule firings:"]
    rule_rows = [
        [r.rule or "(default loop)", str(r.firings), str(r.completed), str(r.interrupted), duration(r.screen_time_s),
         ", ".join(r.creatives)]  # fmt: skip
        for r in report.rules
    ]
    lines += ["  " + x for x in _grid(["rule", "firings", "done", "cut", "screen time", "creatives"], rule_rows, (0, 5))]
    lines += [
        "",
        "faces: mean people in front while it played; attention s: watcher-seconds; attention: watcher-seconds /",
        "face-seconds; smiles: smiling share of measured faces; same hours: everyone seen at the same hours of day;",
        "lift: creative / same hours - 1, shown from 30 person-seconds of audience (less says nothing).",
    ]
    if report.withheld:
        lines.append(f"{TABLE_WITHHELD}: smile figures withheld, {WITHHELD} (privacy: small groups stay anonymous).")
    if report.expressions_off:
        lines.append("off: expressions off on this screen (sensing.expressions = \"off\"): no smile or surprise is computed.")
    return "\n".join(lines) + "\n"


def paused_line(report: Report) -> str:
    """Pauses asked by passers-by (docs/objection.md): nothing was measured then."""
    n = report.pauses
    return (f"audience measurement paused {n} time{'' if n == 1 else 's'} by passers-by, "
            f"{duration(report.paused_s)} in all (nothing measured, no audience rule)")


TABLE_WITHHELD = "<3"  # in the table, in place of a smile figure of fewer than 3 people


def off_or(report: Report, v: float | None, fmt) -> str:
    """A smile figure, or "off" in its place when expressions are off on this screen."""
    return "off" if v is None and report.expressions_off else fmt(v)


def smiles(c: CreativeLine, report: Report) -> str:
    if c.smile_response is None and report.expressions_off:
        return "off"
    return TABLE_WITHHELD if c.creative in report.withheld else pct(c.smile_response)


CSV_FIELDS = [f.name for f in fields(CreativeLine)] + ["expressions_withheld"]


def to_csv(report: Report) -> str:
    """One row per creative (the per-creative columns of the JSON, same names)."""
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=CSV_FIELDS, lineterminator="\n")
    w.writeheader()
    for c in report.creatives:
        row = {k: ("" if v is None else _num(v)) for k, v in asdict(c).items()}
        why = WITHHELD if c.creative in report.withheld else ""
        if c.smile_response is None and report.expressions_off:
            why = EXPRESSIONS_OFF
        w.writerow({**row, "expressions_withheld": why})
    return buf.getvalue()


def _iso(ts: float) -> str:
    """ISO 8601 UTC, rounded to the second."""
    return dt.datetime.fromtimestamp(math.floor(ts + 0.5), dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def to_json(report: Report) -> str:
    def clean(d: dict) -> dict:
        return {k: _num(v) for k, v in d.items()}

    doc = {
        "period": {"since": _iso(report.since), "until": _iso(report.until), "hours_in": report.tz_name},
        "plays": report.total.plays,
        "message": NO_PLAYS if report.empty else None,
        "total": clean(asdict(report.total)),
        "baseline": clean(
            {
                "minutes": report.baseline_minutes,
                "attention_rate": report.baseline_attention_rate,
                "smile": report.baseline_smile,
                "camera_on_fraction": report.camera_on_fraction,
            }
        ),
        "creatives": [clean(asdict(c)) for c in report.creatives],
        "expressions_withheld": {"creatives": report.withheld, "reason": WITHHELD} if report.withheld else None,
        "expressions": "off" if report.expressions_off else "on",
        "rules": [clean(asdict(r)) for r in report.rules],
        "paused": clean({"pauses": report.pauses, "paused_s": report.paused_s}),
    }
    return json.dumps(doc, indent=2) + "\n"
