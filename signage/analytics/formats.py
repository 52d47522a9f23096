"""A Report as text: a table for the terminal, CSV and JSON for machines."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from dataclasses import asdict, fields

from signage.analytics.report import CreativeLine, Report, local

NO_PLAYS = "no plays in this period"


def period_text(report: Report, tz) -> str:
    """'2026-11-18 00:00 to 2026-11-19 00:00 (UTC)', or '... local time (CET)': one zone label."""
    fmt = "%Y-%m-%d %H:%M"
    zone = report.tz_name if report.tz_name.startswith("local time") else f"({report.tz_name})"
    return f"{local(report.since, tz).strftime(fmt)} to {local(report.until, tz).strftime(fmt)} {zone}"


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
        "",
    ]
    header = ["creative", "plays", "done", "cut", "screen time", "faces", "attention s",
              "attention", "same hours", "lift", "smiles", "same hours", "lift"]  # fmt: skip
    rows = [
        [c.creative, str(c.plays), str(c.completed), str(c.interrupted), duration(c.screen_time_s),
         f"{c.mean_faces:.1f}", f"{c.attention_s:.0f}",
         pct(c.attention_rate), pct(c.baseline_attention_rate), signed_pct(c.attention_lift),
         pct(c.smile_response), pct(c.baseline_smile), signed_pct(c.smile_lift)]  # fmt: skip
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
    return "\n".join(lines) + "\n"


CSV_FIELDS = [f.name for f in fields(CreativeLine)]


def to_csv(report: Report) -> str:
    """One row per creative (the per-creative columns of the JSON, same names)."""
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=CSV_FIELDS, lineterminator="\n")
    w.writeheader()
    for c in report.creatives:
        w.writerow({k: ("" if v is None else _num(v)) for k, v in asdict(c).items()})
    return buf.getvalue()


def _iso(ts: float) -> str:
    return dt.datetime.fromtimestamp(ts, dt.timezone.utc).isoformat().replace("+00:00", "Z")


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
        "rules": [clean(asdict(r)) for r in report.rules],
    }
    return json.dumps(doc, indent=2) + "\n"
