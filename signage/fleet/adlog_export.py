"""The exports buyers ingest (docs/exports.md), from the fleet's PostgreSQL: the ad log, one
row per play, and the proof of play per hour or day x creative x campaign line, in exactly
the columns, units and formats of ``signage report --format adlog`` on a kiosk
(``signage.analytics.adlog``: the rows are made by its own functions, so the two cannot drift).

A row's screen columns come from the screen's last State (its ``[screen]`` place: the shop's
name as buyers know it, else the fleet's site id; venue type; coordinates), its ``screen_id``
is the fleet's screen id. A play's ``campaign_id`` is what the kiosk sent, resolved on the
kiosk from the very version it played; a play sent without one takes it from the versions
the central admin holds (the same lookup, signage/campaigns.py), never from another version.

Hours and days are taken in each screen's own zone (its ``screen.timezone``; UTC when it has
none) unless one zone is asked for. Expression ratios: a kiosk withholds a play's expression
figures when fewer than 3 people were measured during it (privacy invariant 9), so an hour's
ratios are those of its plays that carried them; none did: empty, "fewer than 3 people".

``Only`` narrows the plays to one site and / or one campaign id (the id the kiosks sent; the
index ``plays_campaign_time`` serves it). Read with server-side cursors, a screen at a time:
any number of plays in little memory.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Iterator
from dataclasses import dataclass

from signage.analytics import adlog
from signage.analytics.adlog import CampaignOf
from signage.analytics.aggregate import AudienceTotals
from signage.analytics.anonymity import mark_expressions_off


PERIODS = ("hour", "day")

_AUDIENCE = ("samples", "camera_on_s", "face_s", "watcher_s", "measured_s", "smile_s", "surprise_s", "max_faces",
             "passers_by", "impressions", "viewers", "arrivals", "new_viewers")
_PLAY_COLS = ("p.screen", "p.site", "s.site_name", "s.venue_type", "s.latitude", "s.longitude", "s.timezone",
              "p.key", "p.creative_id", "p.playlist", "p.content_version", "p.rule_id", "p.outcome",
              "extract(epoch FROM p.start_ts)::float8", "extract(epoch FROM p.end_ts)::float8", "p.campaign_id",
              *(f"p.{c}" for c in _AUDIENCE), "coalesce(s.expressions, 'on')")
_SELECT = (f"SELECT {', '.join(_PLAY_COLS)} FROM plays p LEFT JOIN screens s ON s.screen = p.screen "
           "WHERE p.start_ts >= %s AND p.start_ts < %s")


def _known_zone(name: str) -> dt.tzinfo | None:
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return None


def zone_of(name: str | None) -> dt.tzinfo:
    """A screen's zone by its IANA name; none, or one this machine does not know: UTC."""
    return (_known_zone(name) if name else None) or dt.timezone.utc


def asked_zone(name: str) -> dt.tzinfo | None:
    """The zone an export asks for (``--tz``, ``tz=``): an IANA name, or "" for each screen's
    own (None). ValueError, saying why, for a name this machine does not know."""
    name = name.strip()
    if not name:
        return None
    zone = _known_zone(name)
    if zone is None:
        raise ValueError(f"{name[:64]!r}: not a time zone this machine knows (an IANA name such as "
                         "'Europe/Paris' or 'UTC'; empty: each screen's own)")
    return zone


@dataclass(frozen=True)
class Where:
    """A screen as its last State said: the ad log's screen columns, its zone, expressions off."""

    screen: adlog.Screen
    zone: str
    expressions_off: bool


def _screen(row: tuple) -> Where:
    screen, site, site_name, venue_type, lat, lon, tz = row[:7]
    return Where(adlog.Screen(screen, site_name or site, venue_type or "", lat, lon), tz or "", row[-1] == "off")


def _record(row: tuple) -> tuple[adlog.PlayRecord, str | None]:
    key, creative, playlist, version, rule, outcome, t0, t1, campaign = row[7:16]
    a = dict(zip(_AUDIENCE, row[16:16 + len(_AUDIENCE)]))
    shared = a["smile_s"] is not None
    totals = AudienceTotals(span_s=max(0.0, t1 - t0), **{k: (v or 0) for k, v in a.items()})
    return adlog.PlayRecord(key, creative, playlist, version, rule, outcome, t0, t1, totals, shared), campaign


def _campaign(cid: str | None, rec: adlog.PlayRecord, fallback: CampaignOf | None) -> str | None:
    """The id the kiosk sent, else the central lookup's."""
    if cid is None and fallback is not None:
        cid = fallback(rec.playlist, rec.playlist_version, rec.rule_id, rec.creative_id)
    return cid


def _stream(conn, sql: str, params: tuple) -> Iterator[tuple]:
    yield from conn.cursor().stream(sql, params)


@dataclass(frozen=True)
class Only:
    """Which plays: of one site (its fleet id) and / or one campaign id (as sent by the kiosks)."""

    site: str | None = None
    campaign: str | None = None

    def where(self) -> tuple[str, tuple]:
        sql, params = "", ()
        if self.site:
            sql, params = sql + " AND p.site = %s", params + (self.site,)
        if self.campaign:
            sql, params = sql + " AND p.campaign_id = %s", params + (self.campaign,)
        return sql, params


def _select(start: dt.datetime, end: dt.datetime, only: Only | None, order: str) -> tuple[str, tuple]:
    where, params = (only or Only()).where()
    return f"{_SELECT}{where} ORDER BY {order}", (start, end, *params)


def play_rows(conn, start: dt.datetime, end: dt.datetime, campaign_of: CampaignOf | None = None,
              only: Only | None = None) -> Iterator[dict]:
    """The ad log: every play started in [start, end), by start time (then screen, play id),
    as ``adlog.PLAY_COLUMNS`` rows."""
    for row in _stream(conn, *_select(start, end, only, "p.start_ts, p.screen, p.key")):
        where = _screen(row)
        rec, sent = _record(row)
        cid = _campaign(sent, rec, campaign_of)
        yield from adlog.play_rows(where.screen, [rec], lambda *_a, cid=cid: cid)


def aggregate_rows(conn, start: dt.datetime, end: dt.datetime, period: str, tz: dt.tzinfo | None = None,
                   campaign_of: CampaignOf | None = None, only: Only | None = None) -> Iterator[dict]:
    """The proof of play per ``period`` (hour or day) x creative x campaign line, a screen at a
    time (screens by id; each one's rows by time, then creative and line), as
    ``adlog.AGGREGATE_COLUMNS`` rows. ``tz`` None: each screen's own zone."""
    if period not in PERIODS:
        raise ValueError(f"period is hour or day, not {period!r}")
    current: Where | None = None
    plays: list[tuple[adlog.PlayRecord, str | None]] = []
    for row in _stream(conn, *_select(start, end, only, "p.screen, p.start_ts, p.key")):
        where = _screen(row)
        if current is not None and where.screen.id != current.screen.id:
            yield from aggregate_screen(current, plays, period, tz)
            plays = []
        current = where
        rec, sent = _record(row)
        plays.append((rec, _campaign(sent, rec, campaign_of)))
    if current is not None:
        yield from aggregate_screen(current, plays, period, tz)


def aggregate_screen(where: Where, plays: list[tuple[adlog.PlayRecord, str | None]], period: str,
                     tz: dt.tzinfo | None) -> list[dict]:
    """``adlog.aggregate_rows`` of one screen's plays, each with the campaign it was given (the
    id is per play here, not per version: each campaign's plays are grouped on their own), in
    ``tz`` or the screen's own zone; a screen with expressions off says so, as on the kiosk."""
    out: list[dict] = []
    zone = tz or zone_of(where.zone)
    for cid in dict.fromkeys(c for _, c in plays):
        group = [p for p, c in plays if c == cid]
        out += adlog.aggregate_rows(where.screen, group, period, zone, lambda *_a, cid=cid: cid)
    if where.expressions_off:
        out = mark_expressions_off(out)
    return sorted(out, key=lambda r: (r["start_utc"], r["end_utc"], r["creative_id"], r["campaign_id"] or ""))
