"""The analytics database file: where it is (``resolve_path``), what an SQLite error means
for it (``StoreError`` and its kind, ``classify``), and a corrupt file moved aside, renamed
with a timestamp and never deleted (``move_aside``)."""

from __future__ import annotations

import datetime as dt
import os
import sqlite3
from pathlib import Path


class StoreError(Exception):
    """The database cannot be used. ``kind``: corrupt, busy (locked), newer (schema from a
    later release), unavailable (disk error, no such folder, read-only...)."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind


_CORRUPT_CODES = {sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB}
_BUSY_CODES = {sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED}


def classify(exc: sqlite3.Error, path: Path) -> StoreError:
    """Turn an sqlite3 error into a StoreError with a kind the writer can act on."""
    code = getattr(exc, "sqlite_errorcode", None)
    primary = code & 0xFF if isinstance(code, int) else None
    text = str(exc)
    if primary in _CORRUPT_CODES or "malformed" in text or "not a database" in text:
        kind = "corrupt"
    elif primary in _BUSY_CODES or "locked" in text:
        kind = "busy"
    else:
        kind = "unavailable"
    return StoreError(kind, f"analytics database {path}: {text}")


def resolve_path(db_path: str | os.PathLike[str]) -> Path:
    return Path(os.path.expandvars(os.path.expanduser(str(db_path))))




def move_aside(path: Path, now: dt.datetime | None = None) -> Path:
    """Rename a database file (and its -wal/-shm companions) to ``NAME.corrupt-YYYYmmddTHHMMSSZ``.
    Nothing is deleted; returns the new path of the main file."""
    stamp = (now or dt.datetime.now(dt.timezone.utc)).strftime("%Y%m%dT%H%M%SZ")
    target = path.with_name(f"{path.name}.corrupt-{stamp}")
    n = 1
    while target.exists():
        n += 1
        target = path.with_name(f"{path.name}.corrupt-{stamp}-{n}")
    for suffix in ("", "-wal", "-shm"):
        src = Path(str(path) + suffix)
        if src.exists():
            src.rename(Path(str(target) + suffix))
    return target
