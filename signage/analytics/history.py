"""The recent past, read back from proof of play, so that caps and cooldowns last across
a restart: the player seeds its play history with these plays when it starts.

Read-only: the database is opened with ``mode=ro`` and never written here. A missing,
locked, corrupt or unreadable database gives no plays and a warning (the player plays on,
as after a first start). Every outcome but ``skipped`` counts as having played (an
interrupted play, an error, a play cut by a crash were on screen).
"""

from __future__ import annotations

import logging
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from signage.analytics.dbfile import resolve_path

log = logging.getLogger(__name__)

HOUR_S = 3600.0
# A play started at most this long before its end (the longest creative: limits.MAX_CREATIVE_S);
# the query reads starts this far before the window so that the index on start_ts serves it.
LONGEST_PLAY_S = 86400.0

_QUERY = """
    SELECT creative_id, rule_id, start_ts, end_ts FROM plays
    WHERE start_ts >= ? AND end_ts >= ? AND start_ts <= ? AND outcome != 'skipped'
    ORDER BY start_ts, end_ts
"""
_LAST_LOOP = """
    SELECT creative_id, rule_id, start_ts, end_ts FROM plays
    WHERE rule_id IS NULL AND start_ts <= ? AND outcome != 'skipped'
    ORDER BY start_ts DESC LIMIT 1
"""


@dataclass(frozen=True, slots=True)
class PastPlay:
    """A play on record: epoch seconds (UTC). ``rule_id`` None: the default loop."""

    creative_id: str
    rule_id: str | None
    start_ts: float
    end_ts: float


def recent_plays(db_path: str | Path, now_ts: float, window_s: float) -> list[PastPlay]:
    """The plays that ended in the last ``window_s`` seconds (at least an hour) before
    ``now_ts``, oldest first, and before them the last loop play (where the loop was)."""
    path = resolve_path(db_path)
    window_s = max(HOUR_S, window_s)
    if not path.is_file():
        return []
    since = now_ts - window_s
    try:
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=2.0)
        try:
            rows = conn.execute(_QUERY, (since - LONGEST_PLAY_S, since, now_ts)).fetchall()
            last_loop = conn.execute(_LAST_LOOP, (now_ts,)).fetchone()
        finally:
            conn.close()
    except sqlite3.Error as exc:
        if isinstance(exc, sqlite3.OperationalError) and "no such table" in str(exc):
            return []  # a new database, its tables being made as we look: no plays yet
        log.warning("analytics database %s: cannot read the recent plays (%s): caps and cooldowns start afresh",
                    path, exc)
        return []
    plays = [PastPlay(str(c), None if r is None else str(r), float(s), float(e)) for c, r, s, e in rows]
    if last_loop is not None and not any(p.rule_id is None for p in plays):
        c, r, s, e = last_loop
        plays.insert(0, PastPlay(str(c), None, float(s), float(e)))
    return plays
