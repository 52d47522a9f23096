"""One small SQLite file of the admin service's security state, opened the same way for
sessions, lock-outs and the audit log.

The file is made on first use with mode 0600 (in a 0700 folder; SQLite gives its ``-wal``
and ``-shm`` files the same mode), in WAL mode with a busy timeout, so that the service and
the CLI (``signage admin user remove``, ``sessions --end``) can write it at the same time.
One connection per process and file, used under a lock (the service's threads share it).
"""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

__all__ = ["SecureDB", "db_beside"]

BUSY_TIMEOUT_S = 5.0


def db_beside(credentials_file: str | os.PathLike[str], name: str) -> Path:
    """``<the credentials file's folder>/<name>``: where the security databases live."""
    return Path(credentials_file).expanduser().parent / name


class SecureDB:
    """A private SQLite file with a schema (``CREATE ... IF NOT EXISTS`` statements)."""

    def __init__(self, path: str | os.PathLike[str], schema: str) -> None:
        self.path = Path(path).expanduser()
        self._schema = schema
        self._conn: sqlite3.Connection | None = None
        self._lock = threading.RLock()

    def _open(self) -> sqlite3.Connection:
        if self._conn is None:
            self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            os.close(os.open(self.path, os.O_WRONLY | os.O_CREAT, 0o600))  # before SQLite makes it 0644
            conn = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_S, isolation_level=None, check_same_thread=False)
            try:
                conn.execute(f"PRAGMA busy_timeout={int(BUSY_TIMEOUT_S * 1000)}")
                conn.execute("PRAGMA journal_mode=WAL")
                conn.execute("PRAGMA synchronous=NORMAL")
                conn.executescript(self._schema)
            except sqlite3.Error:
                conn.close()
                raise
            self._conn = conn
        return self._conn

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """The connection, inside ``BEGIN IMMEDIATE`` ... ``COMMIT`` (rolled back on error)."""
        with self._lock:
            conn = self._open()
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")

    def query(self, sql: str, params: tuple = ()) -> list[tuple]:
        with self._lock:
            return self._open().execute(sql, params).fetchall()

    def execute(self, sql: str, params: tuple = ()) -> int:
        """One statement in autocommit; the number of rows it changed."""
        with self._lock:
            return self._open().execute(sql, params).rowcount

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None
