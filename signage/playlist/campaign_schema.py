"""Campaigns as media owners sell them: the playlist's ``campaigns:`` list, as strict models.

A campaign is a buyer's line: an ``id`` (the text carried into proof of play and the
exports), flights (date-and-time ranges in the playlist's time zone), and goals: a daily
cap, an hourly cap and a guaranteed minimum of plays per hour. Rules and creatives join a
campaign with their ``campaign_id``. A flight may set its own goals (they replace the
campaign's during that flight). docs/playlists.md ("Campaigns") has the semantics.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, PlainSerializer, WithJsonSchema, field_validator, \
    model_validator

from signage.playlist import limits


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True, allow_inf_nan=False)


# A buyer's campaign / line id, carried into the exports (docs/exports.md): printable text,
# not starting like a spreadsheet formula (= + - @) so that a CSV cell stays text.
_CAMPAIGN = re.compile(r"^[^=+@\-\s][^\x00-\x1f\x7f]{0,119}$")


def _campaign_id(v: Any) -> str:
    if not isinstance(v, str) or not v.strip():
        raise ValueError("a campaign id is text like 'ACME-2026-12 / line 3'")
    if len(v) > 120:
        raise ValueError(f"a campaign id has at most 120 characters (this one has {len(v)})")
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in v):
        raise ValueError("a campaign id is one line of text, without tabs or control characters")
    if not _CAMPAIGN.match(v):
        raise ValueError(f"{v!r}: a campaign id does not start with a space or = + - @ "
                         "(a spreadsheet would read it as a formula)")
    return v


CampaignId = Annotated[str, BeforeValidator(_campaign_id), WithJsonSchema({
    "type": "string", "pattern": _CAMPAIGN.pattern, "maxLength": 120,
    "description": "the buyer's campaign / line id, e.g. 'ACME-2026-12 / line 3' (carried into the exports)"})]

# --------------------------------------------------------------------------- flights

_WHEN = re.compile(r"^\s*(\d{4})-(\d{2})-(\d{2})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2}))?)?\s*$")


def _local_time(v: Any, end: bool) -> dt.datetime:
    """``2026-12-01 08:00`` (or ``T``), or a date alone: its start (``from``), or the end of
    that day (``to``: the day is included). Wall-clock time in the playlist's zone: no offset."""
    if isinstance(v, dt.datetime):
        v = v.isoformat(sep=" ")
    elif isinstance(v, dt.date):
        v = v.isoformat()
    if not isinstance(v, str):
        raise ValueError("a flight time is text like '2026-12-01 08:00' (or a date: 2026-12-01)")
    m = _WHEN.match(v)
    if not m:
        raise ValueError(f"{v!r} is not a date and time (write '2026-12-01 08:00', in the playlist's time zone, "
                         "or a date)")
    y, mo, d, h, mi, s = (int(g) if g is not None else None for g in m.groups())
    if not limits.MIN_YEAR <= y <= limits.MAX_YEAR:  # type: ignore[operator]
        raise ValueError(f"{v.strip()} is outside the years {limits.MIN_YEAR} to {limits.MAX_YEAR}")
    try:
        day = dt.date(y, mo, d)  # type: ignore[arg-type]
        if h is None:
            t = dt.datetime.combine(day, dt.time())
            return t + dt.timedelta(days=1) if end else t
        if h == 24 and mi == 0 and not s:
            return dt.datetime.combine(day, dt.time()) + dt.timedelta(days=1)
        return dt.datetime.combine(day, dt.time(h, mi, s or 0))  # type: ignore[arg-type]
    except ValueError as exc:
        raise ValueError(f"{v.strip()!r}: {exc}") from None


def _fmt(t: dt.datetime) -> str:
    return t.strftime("%Y-%m-%d %H:%M" + (":%S" if t.second else ""))


_TIME_JSON = {"type": "string", "pattern": r"^\d{4}-\d{2}-\d{2}([ T]\d{1,2}:\d{2}(:\d{2})?)?$",
              "description": "local date and time, '2026-12-01 08:00', or a date"}
FlightStart = Annotated[dt.datetime, BeforeValidator(lambda v: _local_time(v, end=False)),
                        PlainSerializer(_fmt), WithJsonSchema(_TIME_JSON)]
FlightEnd = Annotated[dt.datetime, BeforeValidator(lambda v: _local_time(v, end=True)),
                      PlainSerializer(_fmt), WithJsonSchema({**_TIME_JSON, "description":
                                                             "local date and time (excluded), or a date (included)"})]

PerHour = Annotated[int, Field(ge=1, le=limits.MAX_PER_HOUR)]
PerDay = Annotated[int, Field(ge=1, le=limits.MAX_PER_DAY)]


class _Goals(_Strict):
    min_per_hour: PerHour | None = Field(None, description="guaranteed plays in each hour of a flight")
    max_per_hour: PerHour | None = Field(None, description="at most this many plays in a wall-clock hour")
    max_per_day: PerDay | None = Field(None, description="at most this many plays in a local calendar day")


class Flight(_Goals):
    """From..to in the playlist's time zone (to excluded; a date alone as ``to`` includes
    that day). Goals given here replace the campaign's for this flight."""

    from_: FlightStart = Field(alias="from")
    to: FlightEnd

    @model_validator(mode="after")
    def _order(self) -> Flight:
        if self.to <= self.from_:
            raise ValueError(f"to ({_fmt(self.to)}) is not after from ({_fmt(self.from_)}): the flight would be empty")
        return self

    def label(self) -> str:
        return f"{_fmt(self.from_)} to {_fmt(self.to)}"


class Campaign(_Goals):
    id: CampaignId
    name: str | None = Field(None, min_length=1, max_length=200)
    flights: list[Flight] = Field(min_length=1, max_length=limits.MAX_FLIGHTS)

    @field_validator("flights")
    @classmethod
    def _apart(cls, flights: list[Flight]) -> list[Flight]:
        order = sorted(range(len(flights)), key=lambda i: flights[i].from_)
        for a, b in zip(order, order[1:]):
            if flights[b].from_ < flights[a].to:
                raise ValueError(f"flight {b} ({flights[b].label()}) overlaps flight {a} ({flights[a].label()}): "
                                 "give each time once")
        return flights

    def goal(self, flight: Flight, name: str) -> int | None:
        """A goal in force during ``flight``: the flight's own, else the campaign's."""
        v = getattr(flight, name)
        return v if v is not None else getattr(self, name)
