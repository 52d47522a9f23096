"""The audit log: what is security-relevant, with who and from where (docs/admin.md, *Audit log*).

A table in ``audit.db`` beside the credentials file (its own file: append-only, apart from
the sessions' state): time (UTC epoch seconds), event, account (or the name a failed login
tried), client address, outcome, detail. Never a password, a token or a server path: the
texts are short, printable, and cut (``clean``). A name typed into the login form that is
not a valid user name (a password typed in the wrong field, say) is logged as
``(not a user name)``.

Writing never breaks a request: if the database cannot be written, a warning is logged
(at most once a minute) and the request goes on. Rows older than
``admin.audit_retention_days`` are deleted now and then. A flood cannot fill the disk:
refusals (``THROTTLED``) are logged ``BURST`` times a minute per event and client address at
most; the rest are counted, and one row then says how many were not logged.

``CLIENT`` is the client address of the request being served (set by ``gate.admitted`` for
every request): events recorded without an explicit address take it from there.
"""

from __future__ import annotations

import contextvars
import datetime as dt
import logging
import os
import sqlite3
import threading
import time
import unicodedata
from collections.abc import Callable
from dataclasses import asdict, dataclass

from signage.admin.auth import NAME
from signage.admin.securedb import SecureDB

__all__ = ["AuditLog", "AuditRow", "CLIENT", "clean", "attempted_name", "format_rows"]

log = logging.getLogger("signage.admin.audit")

CLIENT: contextvars.ContextVar[str | None] = contextvars.ContextVar("signage_admin_client", default=None)

SCHEMA = """
CREATE TABLE IF NOT EXISTS audit (
    id INTEGER PRIMARY KEY,
    at REAL NOT NULL,
    event TEXT NOT NULL,
    account TEXT NOT NULL DEFAULT '',
    client TEXT NOT NULL DEFAULT '',
    outcome TEXT NOT NULL DEFAULT '',
    detail TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS audit_at ON audit (at);
CREATE INDEX IF NOT EXISTS audit_account ON audit (account, at);
"""

MAX_ACCOUNT = 64
MAX_DETAIL = 200
PRUNE_EVERY_S = 6 * 3600.0
WARN_EVERY_S = 60.0
THROTTLED = frozenset({"request.refused", "token.refused", "login.refused"})
BURST = 20  # rows a minute per throttled event and client address
BURST_WINDOW_S = 60.0


def clean(text: object, limit: int) -> str:
    """Printable, one line, at most ``limit`` characters (cut with '…')."""
    s = "".join(c if unicodedata.category(c)[0] != "C" else " " for c in str(text)).strip()
    return s if len(s) <= limit else s[: limit - 1] + "…"


def attempted_name(name: str) -> str:
    """What a failed login logs as its account: the name if it could be a user name."""
    return name if isinstance(name, str) and NAME.match(name) else "(not a user name)"


def _utc(ts: float) -> str:
    return dt.datetime.fromtimestamp(ts, dt.timezone.utc).strftime("%Y-%m-%d %H:%M:%SZ")


@dataclass(frozen=True)
class AuditRow:
    at: float
    event: str
    account: str
    client: str
    outcome: str
    detail: str

    @property
    def time(self) -> str:
        return _utc(self.at)

    def to_json(self) -> dict:
        return {"time": dt.datetime.fromtimestamp(self.at, dt.timezone.utc).isoformat(timespec="seconds"),
                **{k: v for k, v in asdict(self).items() if k != "at"}}


class AuditLog:
    def __init__(self, path: str | os.PathLike[str], retention_days: float = 365,
                 clock: Callable[[], float] = time.time) -> None:
        self.db = SecureDB(path, SCHEMA)
        self.retention_days = retention_days
        self._clock = clock
        self._pruned = 0.0
        self._warned = -WARN_EVERY_S
        self._bursts: dict[tuple[str, str], list[float]] = {}  # (event, client) -> [window start, rows, not logged]
        self._burst_lock = threading.Lock()
        self._swept = float("-inf")

    def record(self, event: str, *, account: str = "", client: str | None = None, outcome: str = "",
               detail: str = "") -> bool:
        """Add a row; False (a warning logged) when it could not be written."""
        now = self._clock()
        client = client if client is not None else (CLIENT.get() or "")
        rows, admitted = self._admit(now, event, client)
        if admitted:
            rows.append((now, clean(event, 40), clean(account, MAX_ACCOUNT), clean(client, 64), clean(outcome, 40),
                         clean(detail, MAX_DETAIL)))
        return self._write(now, rows) if rows else True

    def _admit(self, now: float, event: str, client: str) -> tuple[list[tuple], bool]:
        """(the rows saying what ended bursts did not log, whether this event gets its row)."""
        summaries: list[tuple] = []
        with self._burst_lock:
            if now - self._swept >= 1.0:
                self._swept = now
                for key, burst in list(self._bursts.items()):
                    if now - burst[0] >= BURST_WINDOW_S:
                        summaries += self._end_burst(now, key)
            if event not in THROTTLED:
                return summaries, True
            key = (event, client)
            if key in self._bursts and now - self._bursts[key][0] >= BURST_WINDOW_S:
                summaries += self._end_burst(now, key)
            burst = self._bursts.setdefault(key, [now, 0, 0])
            if burst[1] >= BURST:
                burst[2] += 1
                return summaries, False
            burst[1] += 1
        return summaries, True

    def _end_burst(self, now: float, key: tuple[str, str]) -> list[tuple]:
        start, _, hidden = self._bursts.pop(key)
        if not hidden:
            return []
        return [(now, key[0], "", clean(key[1], 64), "not logged",
                 f"{int(hidden)} more like this in the minute from {_utc(start)}")]

    def _write(self, now: float, rows: list[tuple]) -> bool:
        try:
            with self.db.transaction() as conn:
                conn.executemany("INSERT INTO audit (at, event, account, client, outcome, detail) "
                                 "VALUES (?, ?, ?, ?, ?, ?)", rows)
            if now - self._pruned >= PRUNE_EVERY_S:
                self._pruned = now
                self.prune()
        except (sqlite3.Error, OSError) as exc:
            if now - self._warned >= WARN_EVERY_S:
                self._warned = now
                log.warning("audit log not written (%s): %s %s", exc.__class__.__name__, rows[-1][1], rows[-1][2])
            return False
        return True

    def prune(self) -> int:
        """Delete the rows older than the retention; how many."""
        return self.db.execute("DELETE FROM audit WHERE at < ?", (self._clock() - self.retention_days * 86400,))

    def read(self, since: float | None = None, account: str | None = None, limit: int = 100) -> list[AuditRow]:
        """The newest ``limit`` rows (since, of an account, if given), oldest first."""
        where, params = [], []
        if since is not None:
            where.append("at >= ?")
            params.append(since)
        if account is not None:
            where.append("account = ?")
            params.append(account)
        sql = ("SELECT at, event, account, client, outcome, detail FROM audit"
               + (" WHERE " + " AND ".join(where) if where else "") + " ORDER BY at DESC, id DESC LIMIT ?")
        rows = self.db.query(sql, (*params, limit))
        return [AuditRow(*r) for r in reversed(rows)]


COLUMNS = ("time", "event", "account", "client", "outcome", "detail")


def format_rows(rows: list[AuditRow]) -> str:
    """A table with aligned columns (the detail last, unpadded)."""
    table = [COLUMNS] + [(r.time, r.event, r.account or "-", r.client or "-", r.outcome or "-", r.detail)
                         for r in rows]
    widths = [max(len(line[i]) for line in table) for i in range(len(COLUMNS) - 1)]
    return "\n".join("  ".join([c.ljust(w) for c, w in zip(line, widths)] + [line[-1]]).rstrip() for line in table)
