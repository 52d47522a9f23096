"""Reports for the admin pages and API: the same report as ``signage report``, from the
analytics database opened read-only, as rows, JSON and the PNG chart."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

from signage.analytics.anonymity import withhold_small
from signage.analytics.formats import duration, pct, period_text, signed_pct, smiles, to_json
from signage.analytics.adlog import load_plays
from signage.analytics.facts import PlayFacts, load_history
from signage.analytics.periods import parse_when, timezone
from signage.analytics.report import build_report
from signage.analytics.report_types import Report
from signage.analytics.dbfile import StoreError, resolve_path
from signage.analytics.readonly import connect_readonly

__all__ = ["ReportUnavailable", "chart_png", "load_report", "report_json", "report_rows"]


Keep = Callable[[str | None, str | None, str | None, str], bool]


class ReportUnavailable(Exception):
    """No report can be made (no database, a bad period ...); the message says why."""


def load_report(db_path: str, since: str | None, until: str | None, tz_name: str | None,
                keep: Keep | None = None) -> tuple[Report, Any]:
    """The report of the period; with ``keep`` (playlist, playlist_version, rule_id, creative_id)
    only the plays it keeps are counted (the audience baseline stays the screen's)."""
    try:
        tz = timezone(tz_name or None)
        now = time.time()
        lo = parse_when(since, now, tz) if since else None
        hi = parse_when(until, now, tz) if until else now
    except ValueError as exc:
        raise ReportUnavailable(str(exc)) from None
    if lo is not None and lo >= hi:
        raise ReportUnavailable("'since' must be before 'until'")
    path = resolve_path(db_path)
    try:
        conn = connect_readonly(path)
    except FileNotFoundError:
        raise ReportUnavailable("no analytics database yet (the player creates it)") from None
    except StoreError as exc:
        raise ReportUnavailable(str(exc).replace(str(path), "the analytics database")) from None
    try:
        plays, minutes = load_history(conn, lo, hi)
        if keep is not None:
            plays = [PlayFacts(p.creative_id, p.rule_id, p.outcome, p.start_ts, p.end_ts, p.audience)
                     for p in load_plays(conn, lo, hi) if p.outcome != "playing"
                     and keep(p.playlist, p.playlist_version, p.rule_id, p.creative_id)]
    except Exception:  # noqa: BLE001 - sqlite3.Error: a damaged file
        raise ReportUnavailable("the analytics database cannot be read") from None
    finally:
        conn.close()
    return withhold_small(build_report(plays, minutes, lo, hi, tz), plays, minutes, tz), tz


def report_json(report: Report) -> dict[str, Any]:
    return json.loads(to_json(report))


def report_rows(report: Report, tz: Any) -> dict[str, Any]:
    """What the reports page shows: the period and one row per creative and per rule."""
    return {
        "period": period_text(report, tz),
        "empty": report.empty,
        "creatives": [{"creative": c.creative, "plays": c.plays, "completed": c.completed, "interrupted": c.interrupted,
                       "screen_time": duration(c.screen_time_s), "faces": f"{c.mean_faces:.1f}",
                       "attention_s": f"{c.attention_s:.0f}", "attention": pct(c.attention_rate),
                       "baseline_attention": pct(c.baseline_attention_rate), "attention_lift": signed_pct(c.attention_lift),
                       "smiles": smiles(c, report), "baseline_smile": pct(c.baseline_smile),
                       "smile_lift": signed_pct(c.smile_lift)} for c in report.creatives],
        "rules": [{"rule": r.rule or "(default loop)", "firings": r.firings, "screen_time": duration(r.screen_time_s),
                   "creatives": ", ".join(r.creatives)} for r in report.rules],
    }


def chart_png(report: Report, tz: Any) -> bytes:
    """The slide-ready chart ``signage report --format png`` makes."""
    from signage.analytics.chart import render_png_bytes

    return render_png_bytes(report, tz)
