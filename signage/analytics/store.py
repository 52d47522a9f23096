"""The analytics database: SQLite in WAL mode, versioned schema, writes, retention purge.

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

Integrals (person-seconds) are stored, and the means and ratios are generated columns
computed from them, so rows add up exactly and the readable columns cannot disagree
with the sums. Times are epoch seconds (UTC) with generated ISO-8601 UTC twins.

A file that SQLite finds corrupt is moved aside (renamed with a timestamp, never
deleted) and a fresh database is created in its place: ``open_store`` does it.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from signage.analytics.aggregate import AudienceTotals, MinuteTotals
from signage.analytics.crashes import CrashedPlay, CrashLosses, crash_losses  # noqa: F401  (crash_losses: reports may import it from here too)

log = logging.getLogger("signage.analytics")

Outcome = Literal["completed", "interrupted", "skipped", "error", "crashed"]
OUTCOMES: tuple[Outcome, ...] = ("completed", "interrupted", "skipped", "error", "crashed")
PLAYING = "playing"  # the outcome of an open row: on screen now, or left open by a crash not yet recovered

# Pragmas (docs/proof-of-play.md). PAGE_SIZE applies to databases created from now on (an
# existing file keeps its page size); a WAL commit writes whole pages, so small pages mean
# small commits. The WAL is checkpointed into the database every WAL_AUTOCHECKPOINT pages
# and truncated back to JOURNAL_SIZE_LIMIT bytes after that.
PAGE_SIZE = 1024
WAL_AUTOCHECKPOINT = 1000
JOURNAL_SIZE_LIMIT = 1024 * 1024

# Stored integrals of AudienceTotals, in this order (both tables).
TOTALS_COLUMNS = (
    "samples", "camera_on_s", "face_s", "watcher_s", "measured_s",
    "smile_s", "surprise_s", "max_faces", "passers_by",
    "impressions", "viewers", "arrivals", "new_viewers",
)  # fmt: skip


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
)
SCHEMA_VERSION = len(MIGRATIONS)

DATA_TABLES = ("plays", "audience_minutes")


@dataclass(frozen=True, slots=True)
class PlayRow:
    """One play, as stored: finished (an outcome of OUTCOMES), or open (``PLAYING``, ``end_ts``
    the time it is on record up to)."""

    play_id: str
    creative_id: str
    rule_id: str | None
    reason: str
    start_ts: float
    end_ts: float
    outcome: Outcome
    planned_s: float | None = None
    playlist: str | None = None
    playlist_version: str | None = None
    audience: AudienceTotals = field(default_factory=AudienceTotals)

    def __post_init__(self) -> None:
        if self.outcome not in OUTCOMES and self.outcome != PLAYING:
            raise ValueError(f"outcome must be one of {', '.join(OUTCOMES)} or {PLAYING}, got {self.outcome!r}")


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


def schema_version(conn: sqlite3.Connection) -> int:
    has = conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'").fetchone()
    if not has:
        return 0
    row = conn.execute("SELECT MAX(version) FROM schema_version").fetchone()
    return int(row[0] or 0)


_OLD_CHECK = "CHECK (outcome IN ('completed', 'interrupted', 'skipped', 'error'))"
_NEW_CHECK = "CHECK (outcome IN ('completed', 'interrupted', 'skipped', 'error', 'crashed', 'playing'))"


def _crash_safe(conn: sqlite3.Connection) -> None:
    """Schema 1 -> 2: open rows (``playing``) and ``crashed`` outcomes, the recovery time of a
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


def _migrate(conn: sqlite3.Connection, path: Path) -> None:
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
            _migrate(conn, self.path)
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


def totals_from_row(row: sqlite3.Row | dict) -> AudienceTotals:
    """AudienceTotals from a row that has the stored integral columns (and span_s or duration_s)."""
    keys = row.keys()
    span = row["span_s"] if "span_s" in keys else row["duration_s"] if "duration_s" in keys else 0.0
    return AudienceTotals(span_s=span, **{c: row[c] for c in TOTALS_COLUMNS})


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
