"""``signage report``: arguments and the command (wired into signage/cli.py).

Exit status: 0 done (an empty period included: it says so on standard error), 2 a bad
argument, a database that is missing, damaged or of another schema version, or an output
file that cannot be written; the message names the file or the option and the reason.
"""

from __future__ import annotations

import argparse
import sqlite3
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from signage.analytics.adlog import (
    AGGREGATE_COLUMNS, PLAY_COLUMNS, Screen, aggregate_rows, load_plays, no_campaign, play_rows, system_zone, to_csv,
    to_jsonl,
)  # fmt: skip
from signage.analytics.anonymity import mark_expressions_off, withhold_small
from signage.analytics.formats import NO_PLAYS, period_text, to_json
from signage.analytics.formats import to_csv as report_csv
from signage.analytics.crashes import crash_losses, crash_text
from signage.analytics.dbfile import StoreError, resolve_path
from signage.analytics.facts import load_history
from signage.analytics.periods import parse_when, timezone
from signage.analytics.readonly import connect_readonly
from signage.analytics.report import build_report
from signage.analytics.report_types import screen_facts
from signage.analytics.text import to_text

FORMATS = ("table", "csv", "json", "png", "adlog", "adlog-jsonl")
PER = ("play", "hour", "day")
DEFAULT_PNG = "signage-report.png"


class ReportFailed(Exception):
    """Exit 2 with this message."""


def add_report_arguments(p: argparse.ArgumentParser) -> None:
    p.description = (
        "Per creative: plays, screen time, audience, attention rate and smile response against the "
        "baseline of the same hours of day; per rule: firings. --format adlog (CSV) or adlog-jsonl (JSON Lines): "
        "the ad log buyers ingest, one row per play, or with --per hour|day the proof of play per screen, creative "
        "and campaign line (docs/exports.md). Reads the analytics database, never writes it."
    )
    p.add_argument("--db", metavar="PATH", help="analytics database (default: analytics.db_path from the configuration)")
    p.add_argument("--since", metavar="WHEN", help="ISO date or time, or a duration back from now: 7d, 12h, 30m, 2w (default: everything)")
    p.add_argument("--until", metavar="WHEN", help="same forms (default: now)")
    p.add_argument("--tz", metavar="ZONE", help="time zone for dates without offset, hours of day and the hours and "
                   "days of --per (default: screen.timezone, else the system's)")
    p.add_argument("--format", choices=FORMATS, default="table", help="default: table")
    p.add_argument("--per", choices=PER, default=None,
                   help="adlog formats: one row per play (default), or per hour or day; png: 'day' draws the per-day view")
    p.add_argument("--playlist", metavar="FILE", action="append", default=[],
                   help="adlog formats: playlist file(s) the campaign ids are read from, repeatable (default: "
                   "player.playlist and every version in the admin's content folder)")
    p.add_argument("--out", metavar="FILE", help=f"write to FILE instead of standard output (png: default {DEFAULT_PNG})")


def _fail(message: str) -> int:
    print(f"signage report: {message}", file=sys.stderr)
    return 2


def _note(message: str) -> None:
    print(f"signage report: {message}", file=sys.stderr)


def _zone(args: argparse.Namespace, settings: Any):
    name = args.tz or settings.screen.timezone
    if args.tz is None and settings.screen.timezone:
        try:
            return timezone(name)
        except ValueError as exc:
            raise ReportFailed(f"screen.timezone: {exc}") from None
    return timezone(name) if name else system_zone()


def _open(path: Path) -> sqlite3.Connection:
    try:
        return connect_readonly(path)
    except FileNotFoundError:
        raise ReportFailed(f"no analytics database at {path} (the player creates it; see --db)") from None
    except StoreError as exc:
        hint = {"newer": " (written by a later signage: report with that release)"}.get(exc.kind, "")
        if exc.kind != "newer" and "expected" in str(exc):
            hint = " (an older database: the player upgrades it when it next starts)"
        raise ReportFailed(f"{exc}{hint}") from None


def _write(out: str | None, text: str) -> None:
    if not out:
        sys.stdout.write(text)
        return
    try:
        Path(out).write_text(text, encoding="utf-8")
    except OSError as exc:
        raise ReportFailed(f"--out {out}: cannot write it: {exc.strerror or exc}") from None


def run_report(args: argparse.Namespace, settings: Any, campaigns: Callable[[], Any] | None = None) -> int:
    """``campaigns``: builds the campaign-id lookup of the adlog formats (signage/campaigns.py)."""
    try:
        return _run(args, settings, campaigns)
    except ReportFailed as exc:
        return _fail(str(exc))


def _run(args: argparse.Namespace, settings: Any, campaigns: Callable[[], Any] | None) -> int:
    adlog = args.format.startswith("adlog")
    if args.per is not None and not adlog and not (args.format == "png" and args.per == "day"):
        raise ReportFailed(f"--per {args.per} goes with --format adlog or adlog-jsonl (and --per day with png), "
                           f"not with --format {args.format}")
    if args.playlist and not adlog:
        raise ReportFailed("--playlist goes with --format adlog or adlog-jsonl")
    try:
        tz = _zone(args, settings)
        now = time.time()
        since = parse_when(args.since, now, tz) if args.since else None
        until = parse_when(args.until, now, tz) if args.until else now
    except ValueError as exc:
        raise ReportFailed(str(exc)) from None
    if since is not None and since >= until:
        raise ReportFailed("--since must be before --until")
    path = resolve_path(args.db or settings.analytics.db_path)
    conn = _open(path)
    try:
        if adlog:
            return _adlog(args, settings, conn, since, until, tz, campaigns)
        plays, minutes = load_history(conn, since, until)
        crashes = crash_losses(conn, since, until)
    except sqlite3.Error as exc:  # a damaged file
        raise ReportFailed(f"cannot read {path}: {exc}") from None
    finally:
        conn.close()
    report = withhold_small(build_report(plays, minutes, since, until, tz, screen=screen_facts(settings.screen)), plays, minutes, tz)
    screen = Screen.from_config(settings.screen)
    report.site = settings.screen.site or None
    report.expressions_off = settings.sensing.expressions == "off"

    if args.format == "png":
        if report.empty:
            _note(f"{period_text(report, tz)}: {NO_PLAYS}; no chart written")
            return 0
        from signage.analytics.chart import render_png_bytes
        from signage.analytics.daily import per_day, sample_sizes

        days = per_day(plays, minutes, report.since, until, tz) if args.per == "day" else None
        png = render_png_bytes(report, tz, screen=screen.id, samples=sample_sizes(plays), days=days)
        out = args.out or DEFAULT_PNG
        try:
            Path(out).write_bytes(png)
        except OSError as exc:
            raise ReportFailed(f"--out {out}: cannot write it: {exc.strerror or exc}") from None
        _note(f"chart written to {out}")
        return 0
    text = {"table": lambda: to_text(report, tz), "csv": lambda: report_csv(report), "json": lambda: to_json(report)}[
        args.format
    ]()
    if args.format == "table":
        text += crash_text(crashes)
    if report.empty and args.format != "table":
        _note(f"{period_text(report, tz)}: {NO_PLAYS}")
    _write(args.out, text)
    return 0


def _adlog(args, settings, conn, since, until, tz, campaigns) -> int:
    plays = load_plays(conn, since, until)
    screen = Screen.from_config(settings.screen)
    campaign_of, problems = campaigns() if (campaigns is not None and plays) else (no_campaign, [])
    for line in problems:
        _note(f"campaign ids: {line}")
    per = args.per or "play"
    if per == "play":
        rows, columns = play_rows(screen, plays, campaign_of), PLAY_COLUMNS
    else:
        rows, columns = aggregate_rows(screen, plays, per, tz, campaign_of), AGGREGATE_COLUMNS
        if settings.sensing.expressions == "off":
            rows = mark_expressions_off(rows)
    missing = getattr(campaign_of, "missing", {})
    if missing:
        named = [f"{name or '?'} {version or '?'}" for name, version in sorted(missing, key=str)]
        versions = ", ".join(named[:5]) + (f" and {len(named) - 5} more" if len(named) > 5 else "")
        _note(f"campaign ids left empty for plays of playlist versions not found ({versions}); "
              "name the playlist files they were played from with --playlist")
    if not plays:
        _note(f"{NO_PLAYS} (header only)")
    _write(args.out, (to_jsonl if args.format == "adlog-jsonl" else to_csv)(rows, columns))
    return 0
