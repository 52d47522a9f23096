"""Writing the collector's records to PostgreSQL (the tables of pgschema.py), a batch per
transaction, exactly once per record: plays, minutes and acks are ``INSERT ... ON CONFLICT DO
NOTHING`` on their unique keys, so a message the broker delivers again changes nothing.

Statements of one kind run in the order received (``executemany``); different kinds commute
(a screen's row is upserted by each of them), so grouping them by kind is safe.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from dataclasses import dataclass, field

import psycopg

from signage.fleet import messages as m
from signage.fleet.intake import Accepted, Refused, printable

AUDIENCE = tuple(m.Audience.model_fields)

_TOUCH = """INSERT INTO screens (screen, site, first_seen, last_seen) VALUES (%s, %s, %s, %s)
ON CONFLICT (screen) DO UPDATE SET site = EXCLUDED.site, last_seen = greatest(screens.last_seen, EXCLUDED.last_seen)"""

# The last state received wins (a last will carries the time its connection began, so times
# cannot order states); an offline state does not count as the screen being seen.
_STATE = """INSERT INTO screens (screen, site, first_seen, last_seen, online, state_ts, content_version, creative,
    reason, player, site_name, venue_type, latitude, longitude, timezone, expressions) VALUES (%(screen)s,
    %(site)s, %(now)s, %(now)s, %(online)s, %(ts)s, %(content_version)s, %(creative)s, %(reason)s, %(player)s,
    %(site_name)s, %(venue_type)s, %(latitude)s, %(longitude)s, %(timezone)s, %(expressions)s)
ON CONFLICT (screen) DO UPDATE SET site = EXCLUDED.site, online = EXCLUDED.online, state_ts = EXCLUDED.state_ts,
    content_version = EXCLUDED.content_version, creative = EXCLUDED.creative, reason = EXCLUDED.reason,
    player = EXCLUDED.player, site_name = EXCLUDED.site_name, venue_type = EXCLUDED.venue_type,
    latitude = EXCLUDED.latitude, longitude = EXCLUDED.longitude, timezone = EXCLUDED.timezone,
    expressions = EXCLUDED.expressions"""

# The newest health by its own time (a late, older one changes nothing).
_HEALTH = """INSERT INTO screens (screen, site, first_seen, last_seen, health_ts, healthy, problems, camera, display,
    uptime_s, disk_free_mb, outbox) VALUES (%(screen)s, %(site)s, %(now)s, %(now)s, %(ts)s, %(healthy)s,
    %(problems)s, %(camera)s, %(display)s, %(uptime_s)s, %(disk_free_mb)s, %(outbox)s)
ON CONFLICT (screen) DO UPDATE SET health_ts = EXCLUDED.health_ts, healthy = EXCLUDED.healthy,
    problems = EXCLUDED.problems, camera = EXCLUDED.camera, display = EXCLUDED.display,
    uptime_s = EXCLUDED.uptime_s, disk_free_mb = EXCLUDED.disk_free_mb, outbox = EXCLUDED.outbox
    WHERE screens.health_ts IS NULL OR screens.health_ts <= EXCLUDED.health_ts"""

_PLAY_COLS = ("screen", "site", "key", "creative_id", "playlist", "content_version", "rule_id", "reason", "start_ts",
              "end_ts", "planned_s", "outcome", *AUDIENCE, "campaign_id", "received_at")
_MINUTE_COLS = ("screen", "site", "key", "minute_ts", "span_s", *AUDIENCE, "received_at")
_ACK_COLS = ("screen", "site", "command_id", "ts", "ok", "result", "received_at")
_REJECTED_COLS = ("ts", "topic", "reason", "size", "prefix")


def _insert(table: str, cols: tuple[str, ...], conflict: str) -> str:
    names = ", ".join(cols)
    values = ", ".join(f"%({c})s" for c in cols)
    return f"INSERT INTO {table} ({names}) VALUES ({values}) ON CONFLICT {conflict} DO NOTHING"


_PLAY = _insert("plays", _PLAY_COLS, "(screen, key)")
_MINUTE = _insert("audience_minutes", _MINUTE_COLS, "(screen, minute_ts)")
_ACK = _insert("acks", _ACK_COLS, "(screen, command_id)")
_REJECTED = f"INSERT INTO rejected ({', '.join(_REJECTED_COLS)}) VALUES ({', '.join('%s' for _ in _REJECTED_COLS)})"

_INSERTS = {"play": _PLAY, "minute": _MINUTE, "ack": _ACK}  # the kinds with an idempotency key


def _ts(epoch: float) -> dt.datetime:
    return dt.datetime.fromtimestamp(epoch, dt.timezone.utc)


def _row(rec: Accepted, now: dt.datetime) -> dict:
    msg = rec.msg
    base = {"screen": rec.screen, "site": rec.site, "now": now, "received_at": now}
    if rec.kind == "state":
        return {**base, **msg.model_dump(include={"online", "content_version", "creative", "reason", "player",
                                                  "site_name", "venue_type", "latitude", "longitude", "timezone",
                                                  "expressions"}),
                "ts": _ts(msg.ts)}
    if rec.kind == "health":
        return {**base, **msg.model_dump(include={"healthy", "camera", "display", "uptime_s", "disk_free_mb",
                                                  "outbox"}),
                "problems": json.dumps(list(msg.problems)), "ts": _ts(msg.ts)}
    if rec.kind == "play":
        d = msg.model_dump(exclude={"v", "audience", "screen", "start_ts", "end_ts"})
        return {**base, **d, **msg.audience.model_dump(), "start_ts": _ts(msg.start_ts), "end_ts": _ts(msg.end_ts)}
    if rec.kind == "minute":
        return {**base, "key": msg.key, "minute_ts": _ts(msg.minute_ts), "span_s": msg.span_s,
                **msg.audience.model_dump()}
    if rec.kind == "ack":
        return {**base, "command_id": msg.id, "ts": _ts(msg.ts), "ok": msg.ok, "result": msg.result}
    raise ValueError(f"no table for {rec.kind!r}")


@dataclass
class Written:
    """What one batch did: rows inserted and duplicates skipped per kind, refusals logged."""

    inserted: Counter = field(default_factory=Counter)
    duplicates: Counter = field(default_factory=Counter)
    rejected: int = 0
    refused_by_db: list[Refused] = field(default_factory=list)

    def add(self, other: Written) -> None:
        self.inserted.update(other.inserted)
        self.duplicates.update(other.duplicates)
        self.rejected += other.rejected
        self.refused_by_db.extend(other.refused_by_db)


Item = tuple[Accepted | Refused, float]  # a record or a refusal, and when it was received (epoch s)


def _write(cur, items: list[Item]) -> Written:
    out = Written()
    by_sql: dict[str, list[dict]] = {}
    kinds: dict[str, str] = {}
    touches: list[tuple] = []
    rejected: list[tuple] = []
    for rec, received in items:
        now = _ts(received)
        if isinstance(rec, Refused):
            rejected.append((now, rec.topic, rec.reason, rec.size, rec.prefix))
            continue
        if rec.kind == "state":
            sql = _STATE
        elif rec.kind == "health":
            sql = _HEALTH
        else:
            sql = _INSERTS[rec.kind]
        by_sql.setdefault(sql, []).append(_row(rec, now))
        kinds[sql] = rec.kind
        if not (rec.kind == "state" and not rec.msg.online):
            touches.append((rec.screen, rec.site, now, now))
    if touches:
        cur.executemany(_TOUCH, touches)
    for sql, rows in by_sql.items():
        kind = kinds[sql]
        cur.executemany(sql, rows)
        if sql in _INSERTS.values():
            out.inserted[kind] += cur.rowcount
            out.duplicates[kind] += len(rows) - cur.rowcount
        else:
            out.inserted[kind] += len(rows)
    if rejected:
        cur.executemany(_REJECTED, rejected)
        out.rejected += len(rejected)
    return out


def write_batch(conn: psycopg.Connection, items: list[Item]) -> Written:
    """Store ``items`` in one transaction. A record PostgreSQL itself refuses (a value out of its
    range) does not hold up the rest: the batch is then written record by record and that one
    logged in ``rejected``. A lost connection (psycopg.OperationalError) propagates: nothing
    of the batch is committed, and the caller tries it again."""
    try:
        with conn.transaction(), conn.cursor() as cur:
            return _write(cur, items)
    except psycopg.OperationalError:
        raise
    except (psycopg.Error, ValueError, OverflowError):
        if conn.closed or conn.broken:
            raise psycopg.OperationalError("the connection was lost") from None
    out = Written()
    for rec, received in items:
        try:
            with conn.transaction(), conn.cursor() as cur:
                out.add(_write(cur, [(rec, received)]))
        except psycopg.OperationalError:
            raise
        except (psycopg.Error, ValueError, OverflowError) as exc:
            if isinstance(rec, Refused):
                raise
            refused = Refused(rec.topic, printable(f"refused by the database: {type(exc).__name__}: {exc}", 500),
                              rec.size, "")
            with conn.transaction(), conn.cursor() as cur:
                out.add(_write(cur, [(refused, received)]))
            out.refused_by_db.append(refused)
    return out
