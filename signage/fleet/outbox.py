"""The outbox: proof of play and minute aggregates waiting to reach the broker (SQLite, WAL).

One table, ``outbox``: ``(id, kind, key UNIQUE, payload, created, sent_ts)``. ``scan`` reads
the analytics database (read only) from where the last scan stopped (plays by the order they
were written in, minutes by their time), turns every closed play
and minute into its message (``records.py``: small groups' expression figures withheld) and
inserts it with ``INSERT OR IGNORE`` on its key, so a rescan never adds a record twice.
``mark_sent`` is called only when the broker acknowledged the record (QoS 1 PUBACK); until
then it stays and goes again (after a reconnect, or at the next start).

Bounded: past ``max_backlog`` records waiting, the oldest *minute* records are dropped first
and the count is logged. Plays are invoiced and are never dropped: with only plays waiting the
outbox grows past the bound, and says so in the log (docs/fleet.md, "Kiosk agent").
Sent records are deleted after ``keep_sent_s`` (the collector has them).
"""

from __future__ import annotations

import logging
import os
import sqlite3
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from signage.analytics.readonly import connect_readonly
from signage.fleet.messages import encode
from signage.fleet.records import CampaignOf, minute_closed, minute_message, play_closed, play_message

log = logging.getLogger("signage.fleet")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS outbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT,      -- the order records go in
    kind TEXT NOT NULL CHECK (kind IN ('play', 'minute')),
    key TEXT NOT NULL UNIQUE,                  -- the idempotency key (the play's id, <screen>:<minute>)
    payload BLOB NOT NULL,                     -- the message, as it crosses the broker
    created REAL NOT NULL,
    sent_ts REAL                               -- NULL: not acknowledged by the broker yet
);
CREATE INDEX IF NOT EXISTS outbox_waiting ON outbox (id) WHERE sent_ts IS NULL;
CREATE TABLE IF NOT EXISTS scan_mark (kind TEXT PRIMARY KEY, mark REAL NOT NULL);
"""


@dataclass(frozen=True, slots=True)
class Record:
    id: int
    kind: str
    key: str
    payload: bytes


def default_path(analytics_db: str) -> Path:
    """``fleet-outbox.db`` beside the analytics database."""
    return Path(analytics_db).expanduser().parent / "fleet-outbox.db"


class Outbox:
    """Thread-safe (the agent's thread scans and drains; the MQTT thread marks acknowledgements)."""

    def __init__(self, path: str | os.PathLike[str], screen: str, max_backlog: int, *,
                 clock=time.time, keep_sent_s: float = 86400.0, campaign_of: CampaignOf | None = None) -> None:
        self.path = Path(path).expanduser()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.screen = screen
        self.max_backlog = max_backlog
        self.keep_sent_s = keep_sent_s
        self.campaign_of = campaign_of  # each play's campaign id, as the kiosk's export has it
        self._clock = clock
        self._lock = threading.Lock()
        self.dropped_minutes = 0
        self.refused = 0  # rows that could not be made into a message (logged)
        self._over_warned = False
        self._conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False, timeout=5.0)
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute("PRAGMA synchronous=NORMAL")
        self._conn.executescript(_SCHEMA)

    # ----------------------------------------------------------------- filling
    def scan(self, analytics_db: str | os.PathLike[str]) -> int:
        """Add the closed plays and minutes not yet in the outbox; returns how many were added.
        No analytics database yet: nothing to add."""
        try:
            src = connect_readonly(analytics_db)
        except FileNotFoundError:
            return 0
        try:
            return self._scan(src, self._clock())
        finally:
            src.close()

    def _mark(self, kind: str) -> float:
        row = self._conn.execute("SELECT mark FROM scan_mark WHERE kind = ?", (kind,)).fetchone()
        return row[0] if row else float("-inf")

    def _scan(self, src: sqlite3.Connection, now: float) -> int:
        rows: list[tuple[str, str, bytes]] = []
        with self._lock:
            play_mark, minute_mark = self._mark("play"), self._mark("minute")
        if play_mark > (src.execute("SELECT MAX(rowid) FROM plays").fetchone()[0] or 0):
            play_mark = float("-inf")  # the rows were renumbered (a VACUUM): look at all of them again
        new_play_mark = play_mark
        open_seen = False
        # By rowid, the order rows were written in (a row keeps its rowid when it is updated and
        # closed): a play whose start is earlier than one already scanned (the clock was set
        # back) is still found.
        for r in src.execute("SELECT rowid AS rid, * FROM plays WHERE rowid >= ? ORDER BY rowid", (play_mark,)):
            if not play_closed(r):
                open_seen = True  # rescanned from here until it is closed
                continue
            if not open_seen:
                new_play_mark = r["rid"]
            self._add(rows, "play", r["play_id"], lambda r=r: play_message(r, self.screen, self.campaign_of))
        new_minute_mark = minute_mark
        waiting = False
        for r in src.execute("SELECT * FROM audience_minutes WHERE minute_ts >= ? ORDER BY minute_ts", (minute_mark,)):
            if not minute_closed(r, now):
                waiting = True
                continue
            if not waiting:
                new_minute_mark = r["minute_ts"]
            self._add(rows, "minute", f"{self.screen}:{r['minute_ts']}", lambda r=r: minute_message(r, self.screen))
        with self._lock, self._conn:
            self._conn.execute("BEGIN IMMEDIATE")
            before = self._conn.total_changes
            self._conn.executemany("INSERT OR IGNORE INTO outbox (kind, key, payload, created) VALUES (?, ?, ?, ?)",
                                   [(k, key, p, now) for k, key, p in rows])
            added = self._conn.total_changes - before
            self._conn.executemany("INSERT OR REPLACE INTO scan_mark VALUES (?, ?)",
                                   [("play", new_play_mark), ("minute", new_minute_mark)])
        if added:
            self.trim()
        return added

    def _add(self, rows: list, kind: str, key: str, build) -> None:
        try:
            rows.append((kind, key, encode(build())))
        except ValueError as exc:  # a row the contract cannot carry: logged, never sent half-right
            self.refused += 1
            log.error("fleet: %s %s cannot be sent: %s", kind, key, exc)

    def trim(self) -> int:
        """Keep at most ``max_backlog`` records waiting: drop the oldest minute records first
        (logged with the count). Plays are never dropped. Returns the minute records dropped."""
        with self._lock, self._conn:
            waiting = self._waiting()
            excess = waiting - self.max_backlog
            if excess <= 0:
                self._over_warned = False
                return 0
            dropped = self._conn.execute(
                "DELETE FROM outbox WHERE id IN (SELECT id FROM outbox WHERE sent_ts IS NULL AND kind = 'minute'"
                " ORDER BY id LIMIT ?)", (excess,)).rowcount
        self.dropped_minutes += dropped
        if dropped:
            log.warning("fleet: outbox over %d records waiting: dropped the %d oldest minute aggregates "
                        "(%d dropped since start); plays are kept", self.max_backlog, dropped, self.dropped_minutes)
        if excess > dropped and not self._over_warned:
            self._over_warned = True
            log.warning("fleet: outbox holds %d plays waiting, over max_backlog %d: plays are never dropped, "
                        "the outbox grows until the broker is reachable", waiting - dropped, self.max_backlog)
        return dropped

    # ----------------------------------------------------------------- draining
    def _waiting(self) -> int:
        return self._conn.execute("SELECT COUNT(*) FROM outbox WHERE sent_ts IS NULL").fetchone()[0]

    def waiting(self) -> int:
        with self._lock:
            return self._waiting()

    def next_records(self, limit: int, exclude: set[str] | frozenset[str] = frozenset()) -> list[Record]:
        """The oldest records waiting, in order, leaving out ``exclude`` (in flight already)."""
        with self._lock:
            rows = self._conn.execute(
                "SELECT id, kind, key, payload FROM outbox WHERE sent_ts IS NULL ORDER BY id LIMIT ?",
                (limit + len(exclude),)).fetchall()
        return [Record(*r) for r in rows if r[2] not in exclude][:limit]

    def mark_sent(self, key: str, ts: float | None = None) -> bool:
        """The broker acknowledged ``key``; True when it was waiting."""
        with self._lock:
            return self._conn.execute("UPDATE outbox SET sent_ts = ? WHERE key = ? AND sent_ts IS NULL",
                                      (self._clock() if ts is None else ts, key)).rowcount == 1

    def forget_sent(self) -> int:
        """Delete records acknowledged more than ``keep_sent_s`` ago."""
        with self._lock:
            return self._conn.execute("DELETE FROM outbox WHERE sent_ts IS NOT NULL AND sent_ts < ?",
                                      (self._clock() - self.keep_sent_s,)).rowcount

    def purge(self, before_ts: float) -> int:
        """The retention purge: records created before ``before_ts`` (sent or not) are deleted."""
        with self._lock:
            return self._conn.execute("DELETE FROM outbox WHERE created < ?", (before_ts,)).rowcount

    def close(self) -> None:
        with self._lock:
            self._conn.close()
