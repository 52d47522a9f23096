"""A read-only connection to the analytics database, for reports: it never creates,
migrates or writes the file, and refuses one of another schema version."""

from __future__ import annotations

import os
import sqlite3

from signage.analytics.dbfile import StoreError, classify, resolve_path
from signage.analytics.migrations import SCHEMA_VERSION, schema_version


def connect_readonly(path: str | os.PathLike[str]) -> sqlite3.Connection:
    """A read-only connection for reports (never creates, migrates or writes the file).

    Raises FileNotFoundError if there is no file, StoreError if it is not a database of
    this schema version."""
    p = resolve_path(path)
    if not p.is_file():
        raise FileNotFoundError(str(p))
    try:
        conn = sqlite3.connect(f"{p.resolve().as_uri()}?mode=ro", uri=True)
        conn.row_factory = sqlite3.Row
        version = schema_version(conn)
    except sqlite3.Error as exc:
        raise classify(exc, p) from None
    if version != SCHEMA_VERSION:
        conn.close()
        what = "not a signage analytics database" if version == 0 else f"schema version {version}, expected {SCHEMA_VERSION}"
        raise StoreError("newer" if version > SCHEMA_VERSION else "unavailable", f"analytics database {p}: {what}")
    return conn
