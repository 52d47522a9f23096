"""``signage report``: arguments and the command (wired into signage/cli.py)."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from signage.analytics.formats import NO_PLAYS, period_text, to_csv, to_json, to_table
from signage.analytics.report import build_report, crash_text, load_history, parse_when, timezone
from signage.analytics.crashes import crash_losses
from signage.analytics.store import StoreError, connect_readonly, resolve_path
from signage.config import AnalyticsConfig

FORMATS = ("table", "csv", "json", "png")
DEFAULT_PNG = "signage-report.png"


def add_report_arguments(p: argparse.ArgumentParser) -> None:
    p.description = (
        "Per creative: plays, screen time, audience, attention rate and smile response against the "
        "baseline of the same hours of day; per rule: firings. Reads the analytics database, never writes it."
    )
    p.add_argument("--db", metavar="PATH", help="analytics database (default: analytics.db_path from the configuration)")
    p.add_argument("--since", metavar="WHEN", help="ISO date or time, or a duration back from now: 7d, 12h, 30m, 2w (default: everything)")
    p.add_argument("--until", metavar="WHEN", help="same forms (default: now)")
    p.add_argument("--tz", metavar="ZONE", help="time zone for dates without offset and for hours of day (default: local time)")
    p.add_argument("--format", choices=FORMATS, default="table", help="default: table")
    p.add_argument("--out", metavar="FILE", help=f"write to FILE instead of standard output (png: default {DEFAULT_PNG})")


def _fail(message: str) -> int:
    print(f"signage report: {message}", file=sys.stderr)
    return 2


def run_report(args: argparse.Namespace, config: AnalyticsConfig) -> int:
    try:
        tz = timezone(args.tz)
        now = time.time()
        since = parse_when(args.since, now, tz) if args.since else None
        until = parse_when(args.until, now, tz) if args.until else now
    except ValueError as exc:
        return _fail(str(exc))
    if since is not None and since >= until:
        return _fail("--since must be before --until")
    path = resolve_path(args.db or config.db_path)
    try:
        conn = connect_readonly(path)
    except FileNotFoundError:
        return _fail(f"no analytics database at {path} (the player creates it; see --db)")
    except StoreError as exc:
        return _fail(str(exc))
    try:
        plays, minutes = load_history(conn, since, until)
        crashes = crash_losses(conn, since, until)
    except Exception as exc:  # sqlite3.Error: a damaged file
        return _fail(f"cannot read {path}: {exc}")
    finally:
        conn.close()
    report = build_report(plays, minutes, since, until, tz)

    if args.format == "png":
        if report.empty:
            print(f"signage report: {period_text(report, tz)}: {NO_PLAYS}; no chart written", file=sys.stderr)
            return 0
        from signage.analytics.chart import render_png

        out = render_png(report, args.out or DEFAULT_PNG, tz)
        print(f"signage report: chart written to {out}", file=sys.stderr)
        return 0
    text = {"table": lambda: to_table(report, tz), "csv": lambda: to_csv(report), "json": lambda: to_json(report)}[
        args.format
    ]()
    if args.format == "table":
        text += crash_text(crashes)
    if report.empty and args.format != "table":
        print(f"signage report: {period_text(report, tz)}: {NO_PLAYS}", file=sys.stderr)
    if args.out:
        Path(args.out).write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    return 0
