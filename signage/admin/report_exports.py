"""The proof-of-play exports (docs/exports.md: the ad log, or per hour or day; CSV or JSON
Lines) for the admin's reports, optionally of one version and one campaign line, and for an
advertiser of their own versions only (report_scope.py).

A play belongs to a version when it was played from that version's playlist (the play row's
``playlist_version`` is the loader's digest of the file and its creatives); its campaign is
read from the very version it was played from (``signage.campaigns``), never guessed.
Aggregates withhold expressions of small groups as ``signage report`` does (adlog.py).
"""

from __future__ import annotations

import time
from typing import Any

from signage.admin.reports import ReportUnavailable
from signage.analytics.adlog import (
    AGGREGATE_COLUMNS, PLAY_COLUMNS, Screen, aggregate_rows, load_plays, play_rows, to_csv, to_jsonl,
)  # fmt: skip
from signage.analytics.dbfile import StoreError, resolve_path
from signage.analytics.periods import parse_when, timezone
from signage.analytics.readonly import connect_readonly
from signage.admin.access import Account
from signage.admin.report_scope import scope_for
from signage.content_store import ContentStore

__all__ = ["export", "FORMATS", "PER"]

FORMATS = {"csv": ("text/csv", to_csv), "jsonl": ("application/x-ndjson", to_jsonl)}
PER = ("play", "hour", "day")


def export(settings: Any, store: ContentStore, *, fmt: str, per: str, since: str | None, until: str | None,
           tz_name: str | None, account: Account, version: str | None = None,
           campaign: str | None = None) -> tuple[str, str]:
    """(media type, text) of the export of the plays the account may see (report_scope.py);
    ``ReportUnavailable`` says why there is none."""
    if fmt not in FORMATS:
        raise ReportUnavailable(f"format: 'csv' or 'jsonl', not {fmt!r}")
    if per not in PER:
        raise ReportUnavailable(f"per: 'play', 'hour' or 'day', not {per!r}")
    try:
        tz = timezone(tz_name or settings.screen.timezone or "UTC")
        now = time.time()
        lo = parse_when(since, now, tz) if since else None
        hi = parse_when(until, now, tz) if until else now
    except ValueError as exc:
        raise ReportUnavailable(str(exc)) from None
    scope = scope_for(settings, store, account, version, campaign, with_index=True)
    path = resolve_path(settings.analytics.db_path)
    try:
        conn = connect_readonly(path)
    except FileNotFoundError:
        raise ReportUnavailable("no analytics database yet (the player creates it)") from None
    except StoreError as exc:
        raise ReportUnavailable(str(exc).replace(str(path), "the analytics database")) from None
    try:
        plays = load_plays(conn, lo, hi)
    except Exception:  # noqa: BLE001 - sqlite3.Error: a damaged file
        raise ReportUnavailable("the analytics database cannot be read") from None
    finally:
        conn.close()
    plays = [p for p in plays if scope.keeps(p.playlist, p.playlist_version, p.rule_id, p.creative_id)]
    index = scope.index
    screen = Screen.from_config(settings.screen)
    if per == "play":
        rows, columns = play_rows(screen, plays, index), PLAY_COLUMNS
    else:
        rows, columns = aggregate_rows(screen, plays, per, tz, index), AGGREGATE_COLUMNS
    media, write = FORMATS[fmt]
    return media, write(rows, columns)
