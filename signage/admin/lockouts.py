"""Lock-outs that survive a restart: failures per key in a sliding window, in SQLite.

A key is ``account:NAME`` or ``client:ADDRESS`` (``account_key`` / ``client_key``). A key
with ``limit`` failures within ``window_s`` is locked for ``lock_s`` from the last one; a
success clears its failures. Two tables of ``sessions.db``: ``failures (key, at)`` and
``lockouts (key, until)``, pruned as the window and the locks pass. The clock is the wall
clock (a restart must not reset it), injectable for tests.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable

from signage.admin.auth import NAME
from signage.admin.securedb import SecureDB

__all__ = ["Lockout", "LOCKOUT_SCHEMA", "account_key", "client_key"]

LOCKOUT_SCHEMA = """
CREATE TABLE IF NOT EXISTS failures (key TEXT NOT NULL, at REAL NOT NULL);
CREATE INDEX IF NOT EXISTS failures_key ON failures (key, at);
CREATE TABLE IF NOT EXISTS lockouts (key TEXT PRIMARY KEY, until REAL NOT NULL);
"""

PRUNE_EVERY_S = 60.0


def account_key(name: str) -> str:
    """``account:NAME``; a name that cannot be a user name (any length, any character) is
    keyed by its hash, so that a guess never stores more than a few bytes."""
    if isinstance(name, str) and NAME.match(name):
        return f"account:{name}"
    return "account:#" + hashlib.sha256(str(name).encode("utf-8", "surrogatepass")).hexdigest()[:32]


def client_key(address: str) -> str:
    return "client:" + str(address)[:80]


class Lockout:
    def __init__(self, db: SecureDB, window_s: float, lock_s: float, clock: Callable[[], float] = time.time) -> None:
        self.db = db
        self.window_s = window_s
        self.lock_s = lock_s
        self._clock = clock
        self._pruned = float("-inf")

    def locked_for(self, key: str) -> float:
        """Seconds left of a lock on this key (0: not locked)."""
        rows = self.db.query("SELECT until FROM lockouts WHERE key = ?", (key,))
        return max(0.0, rows[0][0] - self._clock()) if rows else 0.0

    def failure(self, key: str, limit: int) -> bool:
        """Count a failure; True when the key is now locked (its failures then start again)."""
        now = self._clock()
        with self.db.transaction() as conn:
            if now - self._pruned >= PRUNE_EVERY_S:
                self._pruned = now
                conn.execute("DELETE FROM failures WHERE at <= ?", (now - self.window_s,))
                conn.execute("DELETE FROM lockouts WHERE until <= ?", (now,))
            conn.execute("DELETE FROM failures WHERE key = ? AND at <= ?", (key, now - self.window_s))
            conn.execute("INSERT INTO failures (key, at) VALUES (?, ?)", (key, now))
            count = conn.execute("SELECT COUNT(*) FROM failures WHERE key = ?", (key,)).fetchone()[0]
            if count < limit:
                return False
            conn.execute("INSERT INTO lockouts (key, until) VALUES (?, ?) "
                         "ON CONFLICT (key) DO UPDATE SET until = excluded.until", (key, now + self.lock_s))
            conn.execute("DELETE FROM failures WHERE key = ?", (key,))
        return True

    def success(self, key: str) -> None:
        self.db.execute("DELETE FROM failures WHERE key = ?", (key,))
