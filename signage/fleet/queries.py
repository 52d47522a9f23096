"""The fleet view's reads of the collector's PostgreSQL (pgschema.py): screens with their site,
tags, presence, health, what plays and why, the latest minute's audience; groups; fleet-wide
reports per creative and per site. Each function takes a psycopg connection and only reads
(``set_tags`` excepted); the rules (presence, "12 s ago", groups, what may be shown of an
audience) are pure functions beside them.

Presence: a screen is "online" when its retained state says so and it was heard from within
``stale_s`` (3 health intervals by default); "offline?" when its state says online but it has
been silent longer (its last will not yet delivered: a cut network); "offline" when its state
(or last will) says so.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from signage.fleet import messages as m

GROUP_ALL = "all"
TAG_PATTERN = r"^[a-z0-9][a-z0-9_-]{0,63}$"
_TAG = re.compile(TAG_PATTERN)
_PERIOD = re.compile(r"^(\d{1,4})\s*([hd])$")


class QueryError(ValueError):
    """A group, tag or period that is not one; the text says why."""


# ---------------------------------------------------------------------------- pure rules


def presence(online: bool, last_seen: dt.datetime | None, now: dt.datetime, stale_s: float) -> str:
    """"online", "offline?" (its state says online, but silent for more than ``stale_s``) or "offline"."""
    if not online:
        return "offline"
    if last_seen is None or (now - last_seen).total_seconds() > stale_s:
        return "offline?"
    return "online"


def ago(then: dt.datetime | None, now: dt.datetime) -> str:
    """"12 s ago", "5 min ago", "3 h ago", "2 d ago" ("never" for None; "just now" if ahead)."""
    if then is None:
        return "never"
    s = (now - then).total_seconds()
    if s < 1:
        return "just now"
    if s < 120:
        return f"{int(s)} s ago"
    if s < 7200:
        return f"{int(s // 60)} min ago"
    if s < 172_800:
        return f"{int(s // 3600)} h ago"
    return f"{int(s // 86_400)} d ago"


def parse_tags(text: str) -> list[str]:
    """Tags written "a, b c" as a sorted list; QueryError naming a tag that is not ``TAG_PATTERN``."""
    tags = sorted({t for t in re.split(r"[,\s]+", text.strip().lower()) if t})
    for t in tags:
        if not _TAG.match(t):
            raise QueryError(f"tag {t[:70]!r}: lower-case letters, digits, '-' and '_', at most 64 characters")
    if len(tags) > 20:
        raise QueryError(f"{len(tags)} tags: at most 20 per screen")
    return tags


def parse_group(text: str) -> tuple[str, str]:
    """A group as ("all", ""), ("site", id) or ("tag", tag), from "all", "site:ID" or "tag:TAG"."""
    text = text.strip()
    if text == GROUP_ALL:
        return GROUP_ALL, ""
    kind, _, value = text.partition(":")
    if kind == "site" and re.match(m.ID_PATTERN, value):
        return "site", value
    if kind == "tag" and _TAG.match(value):
        return "tag", value
    raise QueryError(f"group {text[:80]!r}: 'all', 'site:<site id>' or 'tag:<tag>'")


def parse_period(since: str, until: str, now: dt.datetime,
                 tz: dt.tzinfo | None = None) -> tuple[dt.datetime, dt.datetime]:
    """The period [start, end) from "7d" / "24h" / an ISO date or time (in ``tz``, else UTC,
    unless it says), and an optional ``until`` in the same forms (empty: now)."""
    def one(text: str, what: str) -> dt.datetime:
        text = text.strip()
        rel = _PERIOD.match(text)
        if rel:
            n, unit = int(rel.group(1)), rel.group(2)
            return now - (dt.timedelta(days=n) if unit == "d" else dt.timedelta(hours=n))
        try:
            t = dt.datetime.fromisoformat(text)
        except ValueError:
            raise QueryError(f"{what} {text[:40]!r}: write 7d, 24h, 2026-11-01 or 2026-11-01T08:00") from None
        return t if t.tzinfo else t.replace(tzinfo=tz or dt.timezone.utc)

    start = one(since or "7d", "since")
    end = one(until, "until") if until.strip() else now
    if end <= start:
        raise QueryError("until must be after since")
    return start, end


_SHOWN = ("max_faces", "passers_by", "impressions", "viewers", "arrivals", "new_viewers")


def shown_audience(row: dict) -> dict:
    """The audience figures of a row (or of sums of rows) as the view may show them: the
    expression figures withheld for fewer than messages.MIN_PEOPLE people (messages.withhold)."""
    a = m.withhold(m.Audience.model_construct(**{k: row.get(k) for k in m.Audience.model_fields if k in row}))
    out = {k: int(row.get(k) or 0) for k in _SHOWN if k in row}
    for k in ("face_s", "watcher_s", "measured_s", "camera_on_s"):
        out[k] = float(row.get(k) or 0.0)
    out["smile_s"] = a.smile_s
    out["surprise_s"] = a.surprise_s
    out["smile_share"] = (a.smile_s / a.measured_s) if a.smile_s is not None and a.measured_s else None
    return out


# ---------------------------------------------------------------------------- screens


@dataclass
class Screen:
    screen: str
    site: str
    tags: list[str]
    first_seen: dt.datetime
    last_seen: dt.datetime
    online: bool
    presence: str  # "online", "offline?", "offline"
    last_seen_ago: str
    content_version: str | None
    creative: str | None
    reason: str | None
    player: str | None
    health_ts: dt.datetime | None
    healthy: bool | None
    problems: list[str]
    camera: str | None
    display: str | None
    uptime_s: float | None
    disk_free_mb: float | None
    outbox: int | None
    minute_ts: dt.datetime | None = None
    audience: dict | None = None  # the latest minute's, as shown_audience gives it
    # where it is, from its State (the kiosk's [screen]): the ad log's screen columns
    site_name: str = ""
    venue_type: str = ""
    latitude: float | None = None
    longitude: float | None = None
    timezone: str = ""


_SCREEN_COLS = ("screen", "site", "first_seen", "last_seen", "online", "content_version", "creative", "reason",
                "player", "health_ts", "healthy", "problems", "camera", "display", "uptime_s", "disk_free_mb",
                "outbox", "site_name", "venue_type", "latitude", "longitude", "timezone")
_MINUTE_COLS = ("minute_ts", "span_s", *m.Audience.model_fields)


def _screens_sql(where: str) -> str:
    cols = ", ".join(f"s.{c}" for c in _SCREEN_COLS)
    mcols = ", ".join(f"am.{c}" for c in _MINUTE_COLS)
    return f"""SELECT {cols}, coalesce((SELECT array_agg(t.tag ORDER BY t.tag) FROM screen_tags t
        WHERE t.screen = s.screen), '{{}}') AS tags, {mcols}
    FROM screens s
    LEFT JOIN LATERAL (SELECT * FROM audience_minutes a WHERE a.screen = s.screen
        ORDER BY a.minute_ts DESC LIMIT 1) am ON true
    {where}
    ORDER BY s.site, s.screen"""


def _screen(row: tuple, names: list[str], now: dt.datetime, stale_s: float) -> Screen:
    d = dict(zip(names, row))
    minute = {k: d[k] for k in _MINUTE_COLS}
    return Screen(**{k: d[k] for k in _SCREEN_COLS if k != "problems"}, tags=list(d["tags"] or []),
                  problems=list(d["problems"] or []),
                  presence=presence(d["online"], d["last_seen"], now, stale_s), last_seen_ago=ago(d["last_seen"], now),
                  minute_ts=d["minute_ts"], audience=shown_audience(minute) if d["minute_ts"] is not None else None)


def _fetch(conn, sql: str, params: tuple, now: dt.datetime, stale_s: float) -> list[Screen]:
    cur = conn.execute(sql, params)
    names = [c.name for c in cur.description]
    return [_screen(r, names, now, stale_s) for r in cur.fetchall()]


def screens(conn, now: dt.datetime, stale_s: float) -> list[Screen]:
    """Every screen the collector has heard of, by site then id."""
    return _fetch(conn, _screens_sql(""), (), now, stale_s)


def screen(conn, screen_id: str, now: dt.datetime, stale_s: float) -> Screen | None:
    found = _fetch(conn, _screens_sql("WHERE s.screen = %s"), (screen_id,), now, stale_s)
    return found[0] if found else None


def group_screens(conn, group: str) -> list[tuple[str, str]]:
    """(screen, site) of every screen in the group ("all", "site:ID", "tag:TAG"), by id."""
    kind, value = parse_group(group)
    if kind == GROUP_ALL:
        sql, params = "SELECT screen, site FROM screens ORDER BY screen", ()
    elif kind == "site":
        sql, params = "SELECT screen, site FROM screens WHERE site = %s ORDER BY screen", (value,)
    else:
        sql = ("SELECT s.screen, s.site FROM screens s JOIN screen_tags t ON t.screen = s.screen "
               "WHERE t.tag = %s ORDER BY s.screen")
        params = (value,)
    return [(r[0], r[1]) for r in conn.execute(sql, params).fetchall()]


@dataclass
class Groups:
    by_site: dict[str, list[Screen]] = field(default_factory=dict)
    by_tag: dict[str, list[Screen]] = field(default_factory=dict)


def groups(items: Iterable[Screen]) -> Groups:
    """The screens by site and by tag (each sorted; a screen is under each of its tags)."""
    g = Groups()
    for s in items:
        g.by_site.setdefault(s.site, []).append(s)
        for t in s.tags:
            g.by_tag.setdefault(t, []).append(s)
    g.by_site = dict(sorted(g.by_site.items()))
    g.by_tag = dict(sorted(g.by_tag.items()))
    return g


def set_tags(conn, screen_id: str, tags: list[str]) -> None:
    """Replace a screen's tags (one transaction)."""
    with conn.transaction():
        conn.execute("DELETE FROM screen_tags WHERE screen = %s", (screen_id,))
        for t in tags:
            conn.execute("INSERT INTO screen_tags (screen, tag) VALUES (%s, %s)", (screen_id, t))


def recent_plays(conn, screen_id: str, limit: int = 20) -> list[dict]:
    cur = conn.execute("SELECT creative_id, content_version, rule_id, reason, start_ts, end_ts, outcome FROM plays "
                       "WHERE screen = %s ORDER BY start_ts DESC LIMIT %s", (screen_id, limit))
    names = [c.name for c in cur.description]
    return [dict(zip(names, r)) for r in cur.fetchall()]


# ---------------------------------------------------------------------------- fleet-wide reports

_SUMS = ", ".join(f"sum({c}) AS {c}" for c in ("face_s", "watcher_s", "measured_s", "camera_on_s", "passers_by",
                                                "impressions", "viewers", "arrivals", "new_viewers"))
REPORT_BY = {"creative": "creative_id", "site": "site"}


def report(conn, by: str, start: dt.datetime, end: dt.datetime) -> list[dict]:
    """Plays started in [start, end) per creative or per site: plays, completed, seconds on
    screen, screens, and the audience sums (expression figures of fewer than
    messages.MIN_PEOPLE people withheld, of the sums as of each play)."""
    col = REPORT_BY.get(by)
    if col is None:
        raise QueryError(f"report by {by!r}: 'creative' or 'site'")
    cur = conn.execute(
        f"""SELECT {col} AS key, count(*) AS plays, count(*) FILTER (WHERE outcome = 'completed') AS completed,
            coalesce(sum(extract(epoch FROM end_ts - start_ts)), 0)::float AS seconds,
            count(DISTINCT screen) AS screens, {_SUMS},
            sum(smile_s) AS smile_s, sum(surprise_s) AS surprise_s,
            sum(measured_s) FILTER (WHERE smile_s IS NOT NULL) AS smile_measured_s
        FROM plays WHERE start_ts >= %s AND start_ts < %s GROUP BY 1 ORDER BY 2 DESC, 1""", (start, end))
    names = [c.name for c in cur.description]
    out = []
    for r in cur.fetchall():
        d = dict(zip(names, r))
        # the expression share is of the plays that carried one (the kiosks withheld the rest)
        shown = shown_audience({**d, "measured_s": d["smile_measured_s"] or 0.0})
        shown["measured_s"] = float(d["measured_s"] or 0.0)
        out.append({"key": d["key"], "plays": d["plays"], "completed": d["completed"], "seconds": d["seconds"],
                    "screens": d["screens"], **shown})
    return out


# ---------------------------------------------------------------------------- the fleet's ad log

PLAY_COLUMNS = ("screen", "site", "play_id", "start_utc", "end_utc", "duration_s", "creative_id", "content_version",
                "playlist", "rule_id", "reason", "outcome", "impressions", "viewers")
REPORT_COLUMNS = ("plays", "completed", "seconds", "screens", "face_s", "watcher_s", "impressions", "viewers",
                  "smile_share")


def _utc(t: dt.datetime) -> str:
    return t.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def play_rows(conn, start: dt.datetime, end: dt.datetime):
    """Every play started in [start, end), oldest first, as PLAY_COLUMNS dicts, streamed from
    the server one row at a time (any number of plays, in little memory)."""
    cur = conn.cursor()
    for r in cur.stream("SELECT screen, site, key, start_ts, end_ts, creative_id, content_version, playlist, rule_id, "
                        "reason, outcome, impressions, viewers FROM plays WHERE start_ts >= %s AND start_ts < %s "
                        "ORDER BY start_ts, screen, key", (start, end)):
        screen_id, site, key, t0, t1, creative, version, playlist, rule, reason, outcome, imp, viewers = r
        yield {"screen": screen_id, "site": site, "play_id": key, "start_utc": _utc(t0), "end_utc": _utc(t1),
               "duration_s": round((t1 - t0).total_seconds(), 3), "creative_id": creative,
               "content_version": version, "playlist": playlist, "rule_id": rule, "reason": reason,
               "outcome": outcome, "impressions": imp, "viewers": viewers}
