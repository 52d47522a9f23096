"""Exports buyers ingest (docs/exports.md): the ad log, one row per play, and the proof of
play aggregated per screen x creative x campaign line x hour or day. CSV or JSON Lines.

Pure functions on rows read from the database (``load_plays``); the columns, their units and
their order are the contract (``PLAY_COLUMNS``, ``AGGREGATE_COLUMNS``) and a golden file
pins them (tests/analytics/data/). Times are whole seconds: UTC in the ad log, and both
UTC and the zone the hours and days are taken in for the aggregates.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import math
import os
import socket
import sqlite3
import zoneinfo
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from signage.analytics.aggregate import AudienceTotals
from signage.analytics.anonymity import NOT_MEASURED, WITHHELD, expression_note
from signage.analytics.rows import TOTALS_COLUMNS, totals_from_row

__all__ = [
    "AGGREGATE_COLUMNS", "NOT_SHOWN", "PLAY_COLUMNS", "PlayRecord", "Screen",
    "aggregate_rows", "load_plays", "play_rows", "to_csv", "to_jsonl",
]  # fmt: skip

# Plays that were not on screen; the ad log lists them, the aggregates leave them out.
NOT_SHOWN = frozenset({"skipped", "error"})

SCREEN_COLUMNS = ("screen_id", "site", "venue_type", "latitude", "longitude")
PLAY_COLUMNS = SCREEN_COLUMNS + (
    "play_id", "start_utc", "end_utc", "duration_s", "creative_id", "campaign_id", "playlist", "rule_id",
    "outcome", "impressions", "viewers",
)  # fmt: skip
AGGREGATE_COLUMNS = SCREEN_COLUMNS + (
    "period", "start_utc", "end_utc", "start_local", "timezone", "creative_id", "campaign_id",
    "plays", "seconds", "impressions", "viewers", "arrivals", "new_viewers",
    "smile_ratio", "surprise_ratio", "expressions_withheld",
)  # fmt: skip

CampaignOf = Callable[[str | None, str | None, str | None, str], str | None]


def no_campaign(playlist: str | None, version: str | None, rule_id: str | None, creative_id: str) -> str | None:
    return None


@dataclass(frozen=True, slots=True)
class Screen:
    """Who the rows are about (settings.screen)."""

    id: str
    site: str = ""
    venue_type: str = ""
    latitude: float | None = None
    longitude: float | None = None

    @classmethod
    def from_config(cls, cfg: Any) -> Screen:
        return cls(cfg.id or host_name(), cfg.site, cfg.venue_type, cfg.latitude, cfg.longitude)

    def columns(self) -> dict[str, Any]:
        return {"screen_id": self.id, "site": self.site, "venue_type": self.venue_type,
                "latitude": _coord(self.latitude), "longitude": _coord(self.longitude)}  # fmt: skip


def host_name() -> str:
    """The machine's short host name (the default screen id)."""
    return socket.gethostname().split(".")[0] or "signage"


def _coord(v: float | None) -> float | None:
    return None if v is None else round(v, 6) + 0.0


@dataclass(frozen=True, slots=True)
class PlayRecord:
    play_id: str
    creative_id: str
    playlist: str | None
    playlist_version: str | None
    rule_id: str | None
    outcome: str
    start_ts: float
    end_ts: float
    audience: AudienceTotals
    # False: the expression figures were withheld before the record was stored (a fleet's play
    # of fewer than 3 people, docs/fleet.md): it counts in every column but the two ratios.
    expressions_shared: bool = True


_COLUMNS = ("play_id", "creative_id", "playlist", "playlist_version", "rule_id", "outcome", "start_ts", "end_ts",
            "duration_s") + TOTALS_COLUMNS  # fmt: skip


def load_plays(conn: sqlite3.Connection, since: float | None, until: float) -> list[PlayRecord]:
    """Plays that started in [since, until), by start time. Only the named columns are read:
    rows of a later schema with more columns export the same."""
    conn.row_factory = sqlite3.Row
    lo = since if since is not None else float("-inf")
    rows = conn.execute(
        f"SELECT {', '.join(_COLUMNS)} FROM plays WHERE start_ts >= ? AND start_ts < ? ORDER BY start_ts, play_id",
        (lo, until),
    )
    # A play still open (on screen now, if a later schema stores it so) ends, here, where it started.
    return [PlayRecord(r["play_id"], r["creative_id"], r["playlist"], r["playlist_version"], r["rule_id"],
                       r["outcome"], r["start_ts"], r["start_ts"] if r["end_ts"] is None else r["end_ts"],
                       totals_from_row(r)) for r in rows]  # fmt: skip


# -- time ---------------------------------------------------------------------------------


def second(ts: float) -> int:
    """Epoch seconds rounded to the nearest second (halves up)."""
    return math.floor(ts + 0.5)


def iso_utc(ts: float) -> str:
    return dt.datetime.fromtimestamp(second(ts), dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def iso_local(ts: float, tz: dt.tzinfo) -> str:
    return dt.datetime.fromtimestamp(second(ts), tz).isoformat(timespec="seconds")


def zone_name(tz: dt.tzinfo) -> str:
    return getattr(tz, "key", None) or str(tz)


def system_zone() -> dt.tzinfo:
    """The system's time zone by its IANA name when it has one ($TZ, /etc/localtime's link,
    /etc/timezone), else its current fixed offset."""
    names = [os.environ.get("TZ", "").lstrip(":")]
    try:
        link = os.path.realpath("/etc/localtime")
        names.append(link.split("zoneinfo/", 1)[1] if "zoneinfo/" in link else "")
        names.append(Path("/etc/timezone").read_text(encoding="utf-8").strip())
    except (OSError, UnicodeDecodeError):
        pass
    for name in names:
        if name:
            try:
                return zoneinfo.ZoneInfo(name)
            except (zoneinfo.ZoneInfoNotFoundError, ValueError):
                continue
    return dt.datetime.now().astimezone().tzinfo or dt.timezone.utc


def bucket(ts: float, period: str, tz: dt.tzinfo) -> tuple[float, float]:
    """[start, end) in epoch seconds of the hour or day of ``tz`` that ``ts`` falls in
    (a day of a change of clocks lasts 23 or 25 hours; an hour is always 3600 s)."""
    when = dt.datetime.fromtimestamp(ts, tz)
    if period == "hour":
        start = when.replace(minute=0, second=0, microsecond=0).timestamp()
        return start, start + 3600.0
    if period != "day":
        raise ValueError(f"period is hour or day, not {period!r}")
    day = when.date()
    midnight = dt.datetime.combine(day, dt.time(), tz)
    following = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), tz)
    return midnight.timestamp(), following.timestamp()


# -- rows ---------------------------------------------------------------------------------


def play_rows(screen: Screen, plays: Iterable[PlayRecord], campaign_of: CampaignOf = no_campaign) -> list[dict]:
    """The ad log: one row per play, whatever its outcome."""
    out = []
    for p in plays:
        start, end = second(p.start_ts), second(p.end_ts)
        out.append({**screen.columns(), "play_id": p.play_id, "start_utc": iso_utc(start), "end_utc": iso_utc(end),
                    "duration_s": max(0, end - start), "creative_id": p.creative_id,
                    "campaign_id": campaign_of(p.playlist, p.playlist_version, p.rule_id, p.creative_id),
                    "playlist": p.playlist, "rule_id": p.rule_id, "outcome": p.outcome,
                    "impressions": p.audience.impressions, "viewers": p.audience.viewers})  # fmt: skip
    return out


def _ratio(num: float, den: float) -> float:
    return round(num / den, 4) + 0.0


def aggregate_rows(
    screen: Screen, plays: Iterable[PlayRecord], period: str, tz: dt.tzinfo, campaign_of: CampaignOf = no_campaign
) -> list[dict]:
    """Proof of play per (hour or day of ``tz``) x creative x campaign line, for plays that were
    on screen. A play counts whole in the period it started in. Impressions and viewers are
    sums over plays (one person in front of three plays gives 3 impressions); arrivals and
    new viewers count people, each once (their sums over rows are distinct people)."""
    groups: dict[tuple, list[tuple[PlayRecord, int]]] = defaultdict(list)
    for p in plays:
        if p.outcome in NOT_SHOWN:
            continue
        start, end = bucket(p.start_ts, period, tz)
        campaign = campaign_of(p.playlist, p.playlist_version, p.rule_id, p.creative_id)
        seconds = max(0, second(p.end_ts) - second(p.start_ts))
        groups[(start, end, p.creative_id, campaign or "")].append((p, seconds))
    out = []
    for (start, end, creative, campaign), members in sorted(groups.items(), key=lambda kv: kv[0]):
        totals = [p.audience for p, _ in members]
        shared = [p.audience for p, _ in members if p.expressions_shared]
        if len(shared) == len(totals):
            note = expression_note(totals)
        else:  # the ratios of the plays that carried them; none did: withheld where they were measured
            note = expression_note(shared) if shared else (WITHHELD if any(t.measured_s > 0 for t in totals)
                                                           else NOT_MEASURED)
            totals = shared
        measured = sum(t.measured_s for t in totals)
        out.append({
            **screen.columns(), "period": period, "start_utc": iso_utc(start), "end_utc": iso_utc(end),
            "start_local": iso_local(start, tz), "timezone": zone_name(tz), "creative_id": creative,
            "campaign_id": campaign or None, "plays": len(members), "seconds": sum(s for _, s in members),
            "impressions": sum(p.audience.impressions for p, _ in members),
            "viewers": sum(p.audience.viewers for p, _ in members),
            "arrivals": sum(p.audience.arrivals for p, _ in members),
            "new_viewers": sum(p.audience.new_viewers for p, _ in members),
            "smile_ratio": None if note else _ratio(sum(t.smile_s for t in totals), measured),
            "surprise_ratio": None if note else _ratio(sum(t.surprise_s for t in totals), measured),
            "expressions_withheld": note or None,
        })  # fmt: skip
    return out


# -- formats ------------------------------------------------------------------------------


def _cell(v: Any) -> Any:
    return "" if v is None else v


def iter_csv(rows: Iterable[dict], columns: Sequence[str], chunk: int = 64 * 1024) -> Iterator[str]:
    """CSV with a header line, in pieces of about ``chunk`` characters (any number of rows, in
    little memory); an empty cell is a null. Lines end with \\n."""
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=list(columns), lineterminator="\n", extrasaction="ignore")
    w.writeheader()
    for r in rows:
        w.writerow({k: _cell(r.get(k)) for k in columns})
        if buf.tell() >= chunk:
            yield buf.getvalue()
            buf.seek(0)
            buf.truncate()
    yield buf.getvalue()


def iter_jsonl(rows: Iterable[dict], columns: Sequence[str]) -> Iterator[str]:
    """One JSON object per line, keys in column order; nulls are null."""
    for r in rows:
        yield json.dumps({k: r.get(k) for k in columns}, ensure_ascii=False, separators=(",", ":")) + "\n"


def to_csv(rows: Sequence[dict], columns: Sequence[str]) -> str:
    return "".join(iter_csv(rows, columns))


def to_jsonl(rows: Sequence[dict], columns: Sequence[str]) -> str:
    return "".join(iter_jsonl(rows, columns))
