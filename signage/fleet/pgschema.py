"""The fleet's PostgreSQL schema (docs/fleet.md, "Central side"): migrations and retention.

Migrations are numbered SQL scripts applied in order, each in its own transaction, under an
advisory lock (two collectors starting at once apply each one once); ``schema_version`` holds
the numbers applied. A script is never edited once released: a change is a new one.

Tables (time columns are ``timestamptz``):

- ``screens``: one row per screen id: its site, first and last seen, online (the retained
  state; its last will says offline), the state's fields and the last health as columns.
- ``plays``: proof of play, unique ``(screen, key)``; audience aggregates as columns.
- ``audience_minutes``: per-minute audience, unique ``(screen, minute_ts)``.
- ``acks``: commands' results, unique ``(screen, command_id)``.
- ``rejected``: refused messages: topic, reason, size and a short prefix of the payload.
- ``screen_tags``, ``rollouts``, ``rollout_targets`` (migration 2): the admin's fleet view.
- migration 3: the screens' place (``site_name``, ``venue_type``, ``latitude``, ``longitude``,
  ``timezone``) and the plays' ``campaign_id``, for the ad log of docs/exports.md; migration 4:
  the screens' ``expressions`` ("on" or "off").
- ``schema_version``.
"""

from __future__ import annotations

import datetime as dt

SCHEMA_LOCK = 1_617_000_016  # pg_advisory_xact_lock key of the migrations (issue 16)

_RECORD = "id bigserial PRIMARY KEY, screen text NOT NULL, site text NOT NULL,\n"  # of a screen's records

_AUDIENCE_COLUMNS = """
    samples integer NOT NULL DEFAULT 0,
    camera_on_s double precision NOT NULL DEFAULT 0,
    face_s double precision NOT NULL DEFAULT 0,
    watcher_s double precision NOT NULL DEFAULT 0,
    measured_s double precision NOT NULL DEFAULT 0,
    smile_s double precision,
    surprise_s double precision,
    max_faces integer NOT NULL DEFAULT 0,
    passers_by integer NOT NULL DEFAULT 0,
    impressions integer NOT NULL DEFAULT 0,
    viewers integer NOT NULL DEFAULT 0,
    arrivals integer NOT NULL DEFAULT 0,
    new_viewers integer NOT NULL DEFAULT 0,"""

MIGRATIONS: list[tuple[int, str]] = [
    (1, f"""
CREATE TABLE screens (
    screen text PRIMARY KEY,
    site text NOT NULL,
    first_seen timestamptz NOT NULL,
    last_seen timestamptz NOT NULL,
    online boolean NOT NULL DEFAULT false,
    state_ts timestamptz,
    content_version text,
    creative text,
    reason text,
    player text,
    health_ts timestamptz,
    healthy boolean,
    problems jsonb,
    camera text,
    display text,
    uptime_s double precision,
    disk_free_mb double precision,
    outbox integer
);
CREATE INDEX screens_site ON screens (site, screen);

CREATE TABLE plays (
    {_RECORD}    key text NOT NULL,
    creative_id text NOT NULL,
    playlist text,
    content_version text,
    rule_id text,
    reason text NOT NULL DEFAULT '',
    start_ts timestamptz NOT NULL,
    end_ts timestamptz NOT NULL,
    planned_s double precision,
    outcome text NOT NULL,{_AUDIENCE_COLUMNS}
    received_at timestamptz NOT NULL,
    UNIQUE (screen, key)
);
CREATE INDEX plays_screen_time ON plays (screen, start_ts);
CREATE INDEX plays_site_time ON plays (site, start_ts);
CREATE INDEX plays_creative_time ON plays (creative_id, start_ts);
CREATE INDEX plays_time ON plays (start_ts);

CREATE TABLE audience_minutes (
    {_RECORD}    key text NOT NULL,
    minute_ts timestamptz NOT NULL,
    span_s double precision NOT NULL,{_AUDIENCE_COLUMNS}
    received_at timestamptz NOT NULL,
    UNIQUE (screen, minute_ts)
);
CREATE INDEX audience_minutes_site_time ON audience_minutes (site, minute_ts);
CREATE INDEX audience_minutes_time ON audience_minutes (minute_ts);

CREATE TABLE acks (
    {_RECORD}    command_id text NOT NULL,
    ts timestamptz NOT NULL,
    ok boolean NOT NULL,
    result text NOT NULL DEFAULT '',
    received_at timestamptz NOT NULL,
    UNIQUE (screen, command_id)
);
CREATE INDEX acks_command ON acks (command_id);
CREATE INDEX acks_time ON acks (ts);

CREATE TABLE rejected (
    id bigserial PRIMARY KEY,
    ts timestamptz NOT NULL,
    topic text NOT NULL,
    reason text NOT NULL,
    size integer NOT NULL,
    prefix text NOT NULL DEFAULT ''
);
CREATE INDEX rejected_time ON rejected (ts);
"""),
    # The admin service's fleet view (signage/fleet/queries.py, rollout.py): screens' tags, set
    # by an operator, and rollouts of a version to a group with one row per screen targeted.
    (2, """
CREATE TABLE screen_tags (
    screen text NOT NULL,
    tag text NOT NULL,
    PRIMARY KEY (screen, tag)
);
CREATE INDEX screen_tags_tag ON screen_tags (tag, screen);

CREATE TABLE rollouts (
    id bigserial PRIMARY KEY,
    version text NOT NULL,
    grp text NOT NULL,
    manifest jsonb NOT NULL,
    base_url text,
    created timestamptz NOT NULL,
    created_by text NOT NULL DEFAULT ''
);

CREATE TABLE rollout_targets (
    rollout bigint NOT NULL REFERENCES rollouts (id) ON DELETE CASCADE,
    screen text NOT NULL,
    site text NOT NULL,
    command_id text NOT NULL UNIQUE,
    state text NOT NULL,
    result text NOT NULL DEFAULT '',
    PRIMARY KEY (rollout, screen)
);
"""),
    # The ad log of docs/exports.md from PostgreSQL (signage/fleet/adlog_export.py): where each
    # screen is (its State's place fields) and each play's campaign id, with an index for
    # per-campaign queries.
    (3, """
ALTER TABLE screens ADD COLUMN site_name text NOT NULL DEFAULT '',
    ADD COLUMN venue_type text NOT NULL DEFAULT '',
    ADD COLUMN latitude double precision,
    ADD COLUMN longitude double precision,
    ADD COLUMN timezone text NOT NULL DEFAULT '';
ALTER TABLE plays ADD COLUMN campaign_id text;
CREATE INDEX plays_campaign_time ON plays (campaign_id, start_ts) WHERE campaign_id IS NOT NULL;
"""),
    # Whether the screen measures expressions (its State's ``expressions``): the ad log says
    # "expressions off" for a screen that never computes them.
    (4, """
ALTER TABLE screens ADD COLUMN expressions text NOT NULL DEFAULT 'on';
"""),
]

LATEST = MIGRATIONS[-1][0]

# What retention purges, and the time column it goes by (screens are kept: one row each).
RETAINED = {"plays": "start_ts", "audience_minutes": "minute_ts", "acks": "ts", "rejected": "ts"}


class SchemaError(RuntimeError):
    """A database whose schema this release cannot use (newer than it knows)."""


def current_version(conn) -> int:
    """The highest migration applied (0: none, not even the table)."""
    row = conn.execute("SELECT to_regclass('schema_version') IS NOT NULL").fetchone()
    if not row[0]:
        return 0
    row = conn.execute("SELECT coalesce(max(version), 0) FROM schema_version").fetchone()
    return int(row[0])


def migrate(conn) -> list[int]:
    """Apply the migrations ``conn``'s database lacks; the numbers applied. ``conn`` is a psycopg
    connection (not in a transaction); each migration commits on its own."""
    applied: list[int] = []
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (SCHEMA_LOCK,))
        conn.execute("CREATE TABLE IF NOT EXISTS schema_version ("
                     "version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())")
        have = current_version(conn)
        if have > LATEST:
            raise SchemaError(f"the database's schema is version {have}; this release knows up to {LATEST}: "
                              "upgrade signage")
    for version, sql in MIGRATIONS:
        with conn.transaction():
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (SCHEMA_LOCK,))
            if conn.execute("SELECT 1 FROM schema_version WHERE version = %s", (version,)).fetchone():
                continue
            conn.execute(sql)
            conn.execute("INSERT INTO schema_version (version) VALUES (%s)", (version,))
            applied.append(version)
    return applied


def purge(conn, older_than_days: float, now: dt.datetime | None = None) -> dict[str, int]:
    """Delete records older than ``older_than_days`` (by each table's time column, in one
    transaction); rows deleted per table."""
    if older_than_days < 0:
        raise ValueError("older_than_days must be 0 or more")
    now = now or dt.datetime.now(dt.timezone.utc)
    cutoff = now - dt.timedelta(days=older_than_days)
    deleted: dict[str, int] = {}
    with conn.transaction():
        for table, column in RETAINED.items():
            cur = conn.execute(f"DELETE FROM {table} WHERE {column} < %s", (cutoff,))
            deleted[table] = cur.rowcount
    return deleted


def safe_dsn(dsn: str) -> str:
    """``dsn`` without its password, for messages and the log."""
    from psycopg import ProgrammingError, conninfo

    try:
        info = conninfo.conninfo_to_dict(dsn)
    except ProgrammingError:
        return "(an invalid connection string)"
    info.pop("password", None)
    return " ".join(f"{k}={v}" for k, v in info.items())
