"""Sessions on the server: a row per login in ``sessions.db``, checked on every request.

The cookie carries only a random id, signed (``auth.SessionSigner``); the row is keyed by
the id's SHA-256 (the database alone opens no session) and holds the user, when it was
made, last seen (to ``TOUCH_EVERY_S``), when it expires, when and why it ended, the client
address of the login, and a keyed fingerprint of the user's password hash at login (never
the hash). A cookie is accepted only while its row exists, has not ended nor expired, its
user still exists in the credentials file, and that user's fingerprint is unchanged: so
removing a user, setting a new password or logging out ends the session at once, and a
restart changes nothing of it. A session found dead for a user's removal or new password
is marked ended (``user removed`` / ``password changed``) and audited once.
"""

from __future__ import annotations

import contextlib
import hashlib
import secrets
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from signage.admin.audit import CLIENT, AuditLog
from signage.admin.auth import Credentials, Session, SessionSigner
from signage.admin.securedb import SecureDB

__all__ = ["Sessions", "SessionRow", "SESSION_SCHEMA"]

SESSION_SCHEMA = """
CREATE TABLE IF NOT EXISTS sessions (
    id TEXT PRIMARY KEY,
    user TEXT NOT NULL,
    created REAL NOT NULL,
    last_seen REAL NOT NULL,
    expires REAL NOT NULL,
    ended REAL,
    reason TEXT,
    fingerprint TEXT NOT NULL,
    address TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS sessions_user ON sessions (user);
"""

TOUCH_EVERY_S = 30.0  # last_seen is written at most this often per session
PRUNE_EVERY_S = 3600.0
KEEP_DEAD_S = 86400.0  # ended or expired rows are deleted after this long


def _row_id(sid: str) -> str:
    return hashlib.sha256(sid.encode("utf-8", "replace")).hexdigest()


@dataclass(frozen=True)
class SessionRow:
    user: str
    created: float
    last_seen: float
    expires: float
    address: str


@dataclass(eq=False)
class Sessions:
    """Issue, check and end sessions; the CSRF tokens bound to them (as the signer makes them)."""

    db: SecureDB
    signer: SessionSigner
    credentials: Credentials
    audit: AuditLog | None
    lifetime_s: float
    clock: Callable[[], float] = time.time
    _pruned: float = field(default=float("-inf"), init=False)

    def _fingerprint(self, user: str) -> str | None:
        stored = self.credentials.password_hash(user)
        return None if stored is None else self.signer.fingerprint(stored)

    def _record(self, event: str, user: str, detail: str = "", client: str | None = None) -> None:
        if self.audit is not None:
            self.audit.record(event, account=user, client=client, detail=detail)

    def issue(self, user: str, client: str | None = None) -> tuple[str, Session]:
        """A new session for a user whose password was just checked: (cookie, session)."""
        now = self.clock()
        self.prune_now_and_then(now)
        sid = secrets.token_urlsafe(24)
        s = Session(user=user, sid=sid, expires=now + self.lifetime_s)
        self.db.execute("INSERT INTO sessions (id, user, created, last_seen, expires, fingerprint, address) "
                        "VALUES (?, ?, ?, ?, ?, ?, ?)",
                        (_row_id(sid), user, now, now, s.expires, self._fingerprint(user) or "",
                         client if client is not None else (CLIENT.get() or "")))
        return self.signer.sign(sid), s

    def verify(self, cookie: str | None) -> Session | None:
        """The live session of a cookie, or None (see the module's docstring)."""
        sid = self.signer.unsign(cookie)
        if sid is None:
            return None
        rows = self.db.query("SELECT user, last_seen, expires, ended, fingerprint FROM sessions WHERE id = ?",
                             (_row_id(sid),))
        if not rows:
            return None
        user, last_seen, expires, ended, fingerprint = rows[0]
        now = self.clock()
        if ended is not None or expires <= now:
            return None
        current = self._fingerprint(user)
        if current is None or current != fingerprint:
            self._end(sid, user, "user removed" if current is None else "password changed")
            return None
        if now - last_seen >= TOUCH_EVERY_S:
            with contextlib.suppress(sqlite3.Error):  # last seen is information, not a check: never a refusal
                self.db.execute("UPDATE sessions SET last_seen = ? WHERE id = ?", (now, _row_id(sid)))
        return Session(user=user, sid=sid, expires=expires)

    def _end(self, sid: str, user: str, reason: str) -> None:
        changed = self.db.execute("UPDATE sessions SET ended = ?, reason = ? WHERE id = ? AND ended IS NULL",
                                  (self.clock(), reason, _row_id(sid)))
        if changed:  # the first to see it records it: a request checked twice logs once
            self._record("logout" if reason == "logout" else "session.ended", user, reason)

    def revoke(self, session: Session) -> None:
        """Logout: the session ends for good."""
        self._end(session.sid, session.user, "logout")

    def end_user(self, user: str, reason: str) -> int:
        """End every live session of a user (the CLI: user removed, new password, ``sessions --end``)."""
        n = self.db.execute("UPDATE sessions SET ended = ?, reason = ? WHERE user = ? AND ended IS NULL "
                            "AND expires > ?", (self.clock(), reason, user, self.clock()))
        if n:
            self._record("session.ended", user, f"{reason} ({n} session{'s' if n > 1 else ''})")
        return n

    def active(self) -> list[SessionRow]:
        """The live sessions (not ended, not expired, user and password unchanged), oldest first."""
        rows = self.db.query("SELECT user, created, last_seen, expires, address, fingerprint FROM sessions "
                             "WHERE ended IS NULL AND expires > ? ORDER BY created", (self.clock(),))
        current = {user: self._fingerprint(user) for user in {r[0] for r in rows}}
        return [SessionRow(*r[:5]) for r in rows if current[r[0]] is not None and current[r[0]] == r[5]]

    def prune_now_and_then(self, now: float) -> None:
        if now - self._pruned >= PRUNE_EVERY_S:
            self._pruned = now
            self.db.execute("DELETE FROM sessions WHERE expires < ? OR ended < ?", (now - KEEP_DEAD_S, now - KEEP_DEAD_S))

    # the CSRF tokens, bound to a session id (or the login page's pre-session cookie)
    def csrf_token(self, binding: str) -> str:
        return self.signer.csrf_token(binding)

    def check_csrf(self, binding: str | None, token: str | None) -> bool:
        """Whether a form's token is right; a wrong one is audited (the form route refuses it, 403)."""
        ok = self.signer.check_csrf(binding, token)
        if not ok and self.audit is not None:
            self.audit.record("request.refused", outcome="403", detail="a form without its valid CSRF token")
        return ok
