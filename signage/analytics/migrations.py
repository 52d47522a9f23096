"""The analytics schema and its migrations: ``MIGRATIONS[n]`` takes a database from version
n to n + 1 (SQL, or the name of a Python step such as ``crash_safe``); ``migrate`` applies
the missing ones in one transaction at open and refuses a newer schema.

Integrals (person-seconds) are stored, and the means and ratios are generated columns
computed from them, so rows add up exactly and the readable columns cannot disagree
with the sums. Times are epoch seconds (UTC) with generated ISO-8601 UTC twins.
"""

from __future__ import annotations

import logging
import sqlite3
from pathlib import Path

from signage.analytics.dbfile import StoreError

log = logging.getLogger("signage.analytics")


def _ratio(num: str, den: str) -> str:
    return f"CASE WHEN {den} > 0 THEN {num} / {den} ELSE 0.0 END"


def _iso(col: str) -> str:
    return f"strftime('%Y-%m-%dT%H:%M:%fZ', {col}, 'unixepoch')"


_AUDIENCE = f"""
    samples INTEGER NOT NULL DEFAULT 0,
    camera_on_s REAL NOT NULL DEFAULT 0,
    face_s REAL NOT NULL DEFAULT 0,
    watcher_s REAL NOT NULL DEFAULT 0,
    measured_s REAL NOT NULL DEFAULT 0,
    smile_s REAL NOT NULL DEFAULT 0,
    surprise_s REAL NOT NULL DEFAULT 0,
    max_faces INTEGER NOT NULL DEFAULT 0,
    passers_by INTEGER NOT NULL DEFAULT 0,
    mean_faces REAL GENERATED ALWAYS AS ({_ratio("face_s", "camera_on_s")}) VIRTUAL,
    mean_watchers REAL GENERATED ALWAYS AS ({_ratio("watcher_s", "camera_on_s")}) VIRTUAL,
    attention_ratio REAL GENERATED ALWAYS AS ({_ratio("watcher_s", "face_s")}) VIRTUAL,
    smile_ratio REAL GENERATED ALWAYS AS ({_ratio("smile_s", "measured_s")}) VIRTUAL,
    surprise_ratio REAL GENERATED ALWAYS AS ({_ratio("surprise_s", "measured_s")}) VIRTUAL"""

# MIGRATIONS[n] takes the schema from version n to n + 1. Append, never edit.
MIGRATIONS: tuple[str, ...] = (
    f"""
    CREATE TABLE plays (
        play_id TEXT PRIMARY KEY,
        creative_id TEXT NOT NULL,
        playlist TEXT,
        playlist_version TEXT,
        rule_id TEXT,                        -- NULL: the default loop
        reason TEXT NOT NULL DEFAULT '',
        start_ts REAL NOT NULL,
        end_ts REAL NOT NULL,
        planned_s REAL,
        outcome TEXT NOT NULL CHECK (outcome IN ('completed', 'interrupted', 'skipped', 'error')),
        {_AUDIENCE},
        duration_s REAL GENERATED ALWAYS AS (end_ts - start_ts) VIRTUAL,
        start_utc TEXT GENERATED ALWAYS AS ({_iso("start_ts")}) VIRTUAL,
        end_utc TEXT GENERATED ALWAYS AS ({_iso("end_ts")}) VIRTUAL
    );
    CREATE INDEX plays_start ON plays (start_ts);
    CREATE TABLE audience_minutes (
        minute_ts INTEGER PRIMARY KEY,       -- start of the minute, epoch seconds UTC
        span_s REAL NOT NULL DEFAULT 0,      -- seconds of the minute the player was counting
        {_AUDIENCE},
        camera_on_fraction REAL GENERATED ALWAYS AS ({_ratio("camera_on_s", "span_s")}) VIRTUAL,
        minute_utc TEXT GENERATED ALWAYS AS ({_iso("minute_ts")}) VIRTUAL
    );
    """,
    # 1 -> 2: counts of people (impressions and viewers per play; arrivals, each person once).
    """
    ALTER TABLE plays ADD COLUMN impressions INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE plays ADD COLUMN viewers INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE plays ADD COLUMN arrivals INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE plays ADD COLUMN new_viewers INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE audience_minutes ADD COLUMN impressions INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE audience_minutes ADD COLUMN viewers INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE audience_minutes ADD COLUMN arrivals INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE audience_minutes ADD COLUMN new_viewers INTEGER NOT NULL DEFAULT 0
    """,
    "crash_safe",  # MIGRATIONS[2]: see _crash_safe below (needs Python: a CHECK constraint widened)
    # 3 -> 4: a passer-by's pauses (docs/objection.md): the seconds measurement was paused, the pauses begun.
    """
    ALTER TABLE plays ADD COLUMN paused_s REAL NOT NULL DEFAULT 0;
    ALTER TABLE plays ADD COLUMN pauses INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE audience_minutes ADD COLUMN paused_s REAL NOT NULL DEFAULT 0;
    ALTER TABLE audience_minutes ADD COLUMN pauses INTEGER NOT NULL DEFAULT 0
    """,
)
SCHEMA_VERSION = len(MIGRATIONS)

DATA_TABLES = ("plays", "audience_minutes")


def schema_version(conn: sqlite3.Connection) -> int:
    has = conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'").fetchone()
    if not has:
        return 0
    row = conn.execute("SELECT MAX(version) FROM schema_version").fetchone()
    return int(row[0] or 0)


_OLD_CHECK = "CHECK (outcome IN ('completed', 'interrupted', 'skipped', 'error'))"
_NEW_CHECK = "CHECK (outcome IN ('completed', 'interrupted', 'skipped', 'error', 'crashed', 'playing'))"


def _crash_safe(conn: sqlite3.Connection) -> None:
    """Schema 2 -> 3 (``MIGRATIONS[2]``): open rows (``playing``) and ``crashed`` outcomes, the recovery time of a
    crashed play, the checkpoint time of a minute.

    The outcome's CHECK constraint is widened in place, the way SQLite documents for a change
    that leaves every stored row valid (lang_altertable.html, "simpler procedure"): the table
    definition is edited, nothing is copied, so it takes no time on a big database and keeps
    any column a later migration adds."""
    version = conn.execute("PRAGMA schema_version").fetchone()[0]
    conn.execute("PRAGMA writable_schema = ON")
    try:
        done = conn.execute(
            "UPDATE sqlite_master SET sql = replace(sql, ?, ?) WHERE type = 'table' AND name = 'plays'"
            " AND instr(sql, ?) > 0", (_OLD_CHECK, _NEW_CHECK, _OLD_CHECK),
        ).rowcount  # fmt: skip
        conn.execute(f"PRAGMA schema_version = {int(version) + 1}")
    finally:
        conn.execute("PRAGMA writable_schema = OFF")
    if done != 1:
        raise sqlite3.DatabaseError("plays: outcome constraint not found (not a signage analytics database?)")
    conn.execute("ALTER TABLE plays ADD COLUMN recovered_ts REAL")  # when a later start closed it as crashed
    conn.execute("ALTER TABLE audience_minutes ADD COLUMN checkpoint_ts REAL")  # counted up to this time


_MIGRATION_CODE = {"crash_safe": _crash_safe}


def _apply(conn: sqlite3.Connection, migration: str) -> None:
    """A migration is SQL statements separated by ';', or the name of a function above."""
    if migration in _MIGRATION_CODE:
        _MIGRATION_CODE[migration](conn)
        return
    for statement in migration.split(";"):
        if statement.strip():
            conn.execute(statement)


def migrate(conn: sqlite3.Connection, path: Path) -> None:
    current = schema_version(conn)
    if current > SCHEMA_VERSION:
        raise StoreError(
            "newer", f"analytics database {path}: schema version {current} is newer than this signage ({SCHEMA_VERSION})"
        )
    if current == SCHEMA_VERSION:
        return
    with conn:
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, applied_utc TEXT NOT NULL)")
        for version in range(current, SCHEMA_VERSION):
            _apply(conn, MIGRATIONS[version])
            conn.execute(
                "INSERT INTO schema_version VALUES (?, strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))", (version + 1,)
            )
    log.info("analytics: database %s at schema version %d (was %d)", path, SCHEMA_VERSION, current)
