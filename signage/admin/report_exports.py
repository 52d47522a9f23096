"""The proof-of-play exports (docs/exports.md: the ad log, or per hour or day; CSV or JSON
Lines) for the admin's reports, optionally of one version and one campaign line.

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
from signage.campaigns import build_index, candidates
from signage.content_store import ContentStore
from signage.playlist.loader import PlaylistError, load_playlist

__all__ = ["export", "FORMATS", "PER"]

FORMATS = {"csv": ("text/csv", to_csv), "jsonl": ("application/x-ndjson", to_jsonl)}
PER = ("play", "hour", "day")


def version_digest(store: ContentStore, version_id: str, settings: Any) -> str:
    try:
        v = store.get(version_id)
        return load_playlist(v.playlist, settings.playlist).digest
    except PlaylistError:
        raise ReportUnavailable(f"version {version_id}: its playlist cannot be read") from None
    except Exception as exc:  # noqa: BLE001 - StoreError: no such version
        raise ReportUnavailable(str(exc)) from None


def export(settings: Any, store: ContentStore, *, fmt: str, per: str, since: str | None, until: str | None,
           tz_name: str | None, version: str | None = None, campaign: str | None = None) -> tuple[str, str]:
    """(media type, text) of the export; ``ReportUnavailable`` says why there is none."""
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
    digest = version_digest(store, version, settings) if version else None
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
    if digest is not None:
        plays = [p for p in plays if p.playlist_version == digest]
    index, _ = build_index(candidates([], settings.player.playlist, store.root, store.root / "none.yaml"),
                           settings.playlist)
    if campaign:
        plays = [p for p in plays if index(p.playlist, p.playlist_version, p.rule_id, p.creative_id) == campaign]
    screen = Screen.from_config(settings.screen)
    if per == "play":
        rows, columns = play_rows(screen, plays, index), PLAY_COLUMNS
    else:
        rows, columns = aggregate_rows(screen, plays, per, tz, index), AGGREGATE_COLUMNS
    media, write = FORMATS[fmt]
    return media, write(rows, columns)
