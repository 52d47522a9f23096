"""AnalyticsStore: the analytics database open for writing (SQLite in WAL mode, its pragmas),
the writes, crash recovery and the retention purge.

Two tables hold data, and only aggregates (privacy invariant 4):

- ``plays``: proof of play, one row per play (what, why, when, how it ended) with the
  audience during the play summed up (``AudienceTotals``). A play is written open
  (outcome ``playing``) before its first frame is shown, rewritten at each checkpoint
  (its ``end_ts`` is then the checkpoint's time) and closed with its outcome; a row a
  crash left open is closed as ``crashed`` by the next start (``recover``), keeping the
  end of its last checkpoint and the time of the recovery (``recovered_ts``);
- ``audience_minutes``: the audience per wall-clock minute, whatever played; each
  checkpoint adds what was counted since the previous one (``checkpoint_ts``: up to when).

Durability (docs/proof-of-play.md): WAL; the writer's commits are not synced one by one by
default (``analytics.synchronous = "normal"``): a crash of the player loses nothing committed,
a power cut at most the kernel's writeback delay; ``"full"`` syncs each commit. Small pages
(new databases) and a bounded WAL keep the bytes written per commit low.

The schema and its migrations are in ``migrations.py``, the rows in ``rows.py``, the file
(its path, errors, moving a corrupt one aside) in ``dbfile.py``, reading for reports in
``readonly.py``. A file that SQLite finds corrupt is moved aside (renamed with a timestamp,
never deleted) and a fresh database is created in its place: ``open_store`` does it.
"""

from __future__ import annotations

import logging
import os
import sqlite3
from collections.abc import Sequence

from signage.analytics.aggregate import AudienceTotals, MinuteTotals
from signage.analytics.crashes import CrashedPlay
from signage.analytics.dbfile import StoreError, classify, move_aside, resolve_path
from signage.analytics.migrations import migrate
from signage.analytics.rows import TOTALS_COLUMNS, PlayRow

log = logging.getLogger("signage.analytics")

# Pragmas (docs/proof-of-play.md). PAGE_SIZE applies to databases created from now on (an
# existing file keeps its page size); a WAL commit writes whole pages, so small pages mean
# small commits. The WAL is checkpointed into the database every WAL_AUTOCHECKPOINT pages
# and truncated back to JOURNAL_SIZE_LIMIT bytes after that.
PAGE_SIZE = 1024
WAL_AUTOCHECKPOINT = 1000
JOURNAL_SIZE_LIMIT = 1024 * 1024


class AnalyticsStore:
    """An open analytics database. Not thread-safe: one thread (the writer's) uses it.

    Raises StoreError on open when the file is corrupt, locked, newer or unreachable.
    """

    def __init__(self, path: str | os.PathLike[str], busy_timeout_s: float = 2.0, synchronous: str = "full") -> None:
        if synchronous not in ("full", "normal"):
            raise ValueError(f"synchronous must be full or normal, got {synchronous!r}")
        self.path = resolve_path(path)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError("unavailable", f"analytics database {self.path}: cannot create its folder: {exc}") from None
        conn = None
        try:
            conn = sqlite3.connect(self.path, timeout=busy_timeout_s, isolation_level=None, check_same_thread=False)
            conn.execute(f"PRAGMA page_size={PAGE_SIZE}")  # a new file only (before its first write)
            mode = conn.execute("PRAGMA journal_mode=WAL").fetchone()[0]
            if mode.lower() != "wal":
                raise StoreError("unavailable", f"analytics database {self.path}: cannot use WAL mode (got {mode})")
            conn.execute(f"PRAGMA synchronous={synchronous.upper()}")  # full: each commit synced, a power cut keeps it
            conn.execute(f"PRAGMA wal_autocheckpoint={WAL_AUTOCHECKPOINT}")
            conn.execute(f"PRAGMA journal_size_limit={JOURNAL_SIZE_LIMIT}")
            check = conn.execute("PRAGMA quick_check").fetchone()[0]
            if check != "ok":
                raise StoreError("corrupt", f"analytics database {self.path}: integrity check failed: {check}")
            migrate(conn, self.path)
        except sqlite3.Error as exc:
            if conn is not None:
                conn.close()
            raise classify(exc, self.path) from None
        except StoreError:
            if conn is not None:
                conn.close()
            raise
        self.conn = conn

    def write(
        self, plays: Sequence[PlayRow] = (), minutes: Sequence[MinuteTotals] = (), at: float | None = None
    ) -> None:
        """Write plays (a new row, or the new state of a row already there: open, checkpointed
        or closed) and add minute totals, in one transaction (all or nothing). ``at``: the
        time the minutes are counted up to (their ``checkpoint_ts``)."""
        if not plays and not minutes:
            return
        try:
            with self.conn:
                self.conn.execute("BEGIN IMMEDIATE")
                for p in plays:  # a row already there (checkpoint, close) is updated in place
                    params = _play_params(p)
                    kept = tuple(v for c, v in zip(_PLAY_FIELDS + TOTALS_COLUMNS, params) if c in _KEPT)
                    if self.conn.execute(_UPDATE_PLAY, kept + (p.play_id, p.start_ts)).rowcount == 0:
                        self.conn.execute(_UPSERT_PLAY, params)
                self.conn.executemany(_UPSERT_MINUTE, [_minute_params(m) + (at,) for m in minutes])
        except sqlite3.Error as exc:
            raise classify(exc, self.path) from None

    def recover(self, now: float) -> list[CrashedPlay]:
        """Close every row a crash left open (``playing``) as ``crashed``: its end stays the time
        of its last checkpoint, ``recovered_ts`` is ``now``. Call it once, at start, before
        this run writes its own plays. Returns the plays closed."""
        try:
            with self.conn:
                self.conn.execute("BEGIN IMMEDIATE")
                rows = self.conn.execute(
                    "UPDATE plays SET outcome = 'crashed', recovered_ts = ? WHERE outcome = 'playing'"
                    " RETURNING creative_id, start_ts, end_ts, planned_s", (now,),
                ).fetchall()  # fmt: skip
        except sqlite3.Error as exc:
            raise classify(exc, self.path) from None
        return [CrashedPlay(c, s, e, p, now) for c, s, e, p in rows]

    def purge(self, now: float, retention_days: int) -> tuple[int, int]:
        """Delete plays that started, and minutes that began, more than ``retention_days``
        before ``now``. Returns (plays deleted, minutes deleted)."""
        cutoff = now - retention_days * 86400.0
        try:
            with self.conn:
                self.conn.execute("BEGIN IMMEDIATE")
                plays = self.conn.execute("DELETE FROM plays WHERE start_ts < ?", (cutoff,)).rowcount
                minutes = self.conn.execute("DELETE FROM audience_minutes WHERE minute_ts < ?", (cutoff,)).rowcount
        except sqlite3.Error as exc:
            raise classify(exc, self.path) from None
        return plays, minutes

    def close(self) -> None:
        try:
            self.conn.close()
        except sqlite3.Error:  # pragma: no cover - closing a broken handle
            pass


_PLAY_FIELDS = (
    "play_id", "creative_id", "playlist", "playlist_version", "rule_id", "reason",
    "start_ts", "end_ts", "planned_s", "outcome",
)  # fmt: skip
# A play row is written whole each time (open, at each checkpoint, closed): an upsert on
# play_id, when it is new or its start moved (the first frame came after the decision)...
_UPDATED = [c for c in _PLAY_FIELDS + TOTALS_COLUMNS if c != "play_id"]
_UPSERT_PLAY = (
    f"INSERT INTO plays ({', '.join(_PLAY_FIELDS + TOTALS_COLUMNS)}) "
    f"VALUES ({', '.join('?' * (len(_PLAY_FIELDS) + len(TOTALS_COLUMNS)))}) "
    "ON CONFLICT (play_id) DO UPDATE SET " + ", ".join(f"{c} = excluded.{c}" for c in _UPDATED)
)
# ... but SQLite rewrites an index whose column is SET, even to its own value: a checkpoint or
# a close of a row whose start has not moved is a plain UPDATE of the other columns (one page).
_KEPT = tuple(c for c in _PLAY_FIELDS + TOTALS_COLUMNS if c not in ("play_id", "start_ts"))
_UPDATE_PLAY = f"UPDATE plays SET {', '.join(f'{c} = ?' for c in _KEPT)} WHERE play_id = ? AND start_ts = ?"
_MINUTE_FIELDS = ("minute_ts", "span_s") + TOTALS_COLUMNS
_UPSERT_MINUTE = (
    f"INSERT INTO audience_minutes ({', '.join(_MINUTE_FIELDS)}, checkpoint_ts) "
    f"VALUES ({', '.join('?' * (len(_MINUTE_FIELDS) + 1))}) "
    "ON CONFLICT (minute_ts) DO UPDATE SET "
    + ", ".join(
        f"{c} = MAX({c}, excluded.{c})" if c in ("max_faces", "passers_by") else f"{c} = {c} + excluded.{c}"
        for c in _MINUTE_FIELDS[1:]
    )
    + ", checkpoint_ts = MAX(COALESCE(checkpoint_ts, excluded.checkpoint_ts), excluded.checkpoint_ts)"
)


def _totals_params(t: AudienceTotals) -> tuple:
    return tuple(getattr(t, c) for c in TOTALS_COLUMNS)


def _play_params(p: PlayRow) -> tuple:
    return tuple(getattr(p, f) for f in _PLAY_FIELDS) + _totals_params(p.audience)


def _minute_params(m: MinuteTotals) -> tuple:
    return (m.minute_ts, m.totals.span_s) + _totals_params(m.totals)


def open_store(path: str | os.PathLike[str], busy_timeout_s: float = 2.0, synchronous: str = "full") -> AnalyticsStore:
    """Open (creating or migrating) the database; a corrupt file is moved aside with a log
    line naming both paths, and a fresh database is created. Other StoreErrors propagate."""
    try:
        return AnalyticsStore(path, busy_timeout_s, synchronous)
    except StoreError as exc:
        if exc.kind != "corrupt":
            raise
        p = resolve_path(path)
        moved = move_aside(p)
        log.error("analytics: %s; moved it to %s (kept, not deleted) and started a fresh database", exc, moved)
        return AnalyticsStore(p, busy_timeout_s, synchronous)
