"""The playlist format's written values: durations, times of day, days, dates, colours, ids,
and the time ranges and schedules built from them (strict pydantic types, shared by the
format's models in conditions.py, creatives.py and schema.py).

Written forms kept short for the people who write them: durations ``8s``, ``5m``,
``1h30m``, ``90`` (seconds); times of day ``"11:30"``; days ``[mon, tue]`` or
``weekdays`` / ``weekend``; dates ``2026-12-24``; colours ``#rrggbb``.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, PlainSerializer, WithJsonSchema, \
    model_validator

from signage.playlist import limits
from signage.playlist.limits import fmt_seconds

_DURATION = re.compile(r"^\s*(?:(\d+(?:\.\d+)?)\s*h)?\s*(?:(\d+(?:\.\d+)?)\s*m(?!s))?\s*(?:(\d+(?:\.\d+)?)\s*s)?\s*(?:(\d+)\s*ms)?\s*$")


def parse_duration(v: Any) -> float:
    """Seconds from ``90``, ``"90"``, ``"8s"``, ``"5m"``, ``"1h30m"``, ``"1.5s"``, ``"250ms"``."""
    if isinstance(v, bool):
        raise ValueError("a duration is a number of seconds or a text like 8s, 5m, 1h30m")
    if isinstance(v, (int, float)):
        try:
            seconds = float(v)
        except OverflowError:
            seconds = math.inf
    elif isinstance(v, str):
        s = v.strip().lower()
        try:
            seconds = float(s)
        except ValueError:
            m = _DURATION.match(s)
            if not s or not m or not any(m.groups()):
                raise ValueError(f"{v!r} is not a duration (write 8s, 5m, 1h30m or a number of seconds)") from None
            h, mnt, sec, ms = (float(g) if g else 0.0 for g in m.groups())
            seconds = h * 3600 + mnt * 60 + sec + ms / 1000
    else:
        raise ValueError("a duration is a number of seconds or a text like 8s, 5m, 1h30m")
    if math.isnan(seconds):
        raise ValueError(f"{v!r} is not a duration (write 8s, 5m, 1h30m or a number of seconds)")
    if seconds < 0:
        raise ValueError("a duration cannot be negative")
    if seconds > limits.MAX_COOLDOWN_S:
        raise ValueError(f"{v!r} is longer than any duration signage accepts "
                         f"({fmt_seconds(limits.MAX_COOLDOWN_S)}; see Limits in docs/playlists.md)")
    return seconds


def _within(lo: float, hi: float, what: str, lo_open: bool = False):
    def check(v: float | None) -> float | None:
        if v is None:
            return v
        if v > hi:
            raise ValueError(f"{fmt_seconds(v)} is more than the {fmt_seconds(hi)} a {what} may last")
        if v < lo or (lo_open and v <= lo):
            raise ValueError(f"{fmt_seconds(v)} is {'not more' if lo_open else 'less'} than the "
                             f"{fmt_seconds(lo)} a {what} must last at least")
        return v

    return AfterValidator(check)


Duration = Annotated[
    float,
    BeforeValidator(parse_duration),
    WithJsonSchema({"anyOf": [{"type": "number", "minimum": 0}, {"type": "string", "pattern": r"^(\d+(\.\d+)?(h|m|s|ms)?)+$"}],
                    "description": "seconds, or a text like 8s, 5m, 1h30m"}),
]


def _parse_time_of_day(v: Any) -> dt.time:
    if isinstance(v, dt.time):
        return v
    if isinstance(v, int) and not isinstance(v, bool) and 0 <= v <= 24:
        return dt.time.max if v == 24 else dt.time(v)  # a whole hour: 11 is 11:00
    if isinstance(v, str):
        m = re.fullmatch(r"\s*(\d{1,2})(?::(\d{2}))?(?::(\d{2}))?\s*", v)
        if m:
            h, mi, s = int(m.group(1)), int(m.group(2) or 0), int(m.group(3) or 0)
            if h == 24 and mi == 0 and s == 0:
                return dt.time.max
            if h < 24 and mi < 60 and s < 60:
                return dt.time(h, mi, s)
    raise ValueError(f"{v!r} is not a time of day (write 11:30 or 07:00)")


TimeOfDay = Annotated[
    dt.time,
    BeforeValidator(_parse_time_of_day),
    PlainSerializer(lambda t: t.strftime("%H:%M:%S")),
    WithJsonSchema({"type": "string", "pattern": r"^\d{1,2}(:\d{2}){0,2}$", "description": "time of day, 24 h: 11:30"}),
]

DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_DAY_ALIASES = {
    "monday": "mon", "tuesday": "tue", "wednesday": "wed", "thursday": "thu",
    "friday": "fri", "saturday": "sat", "sunday": "sun",
}
_DAY_GROUPS = {"weekdays": DAY_NAMES[:5], "weekend": DAY_NAMES[5:], "everyday": DAY_NAMES, "daily": DAY_NAMES}


def _parse_days(v: Any) -> tuple[str, ...]:
    items = [v] if isinstance(v, str) else v
    if not isinstance(items, (list, tuple)) or not items:
        raise ValueError("days is a list like [mon, tue] or one of weekdays, weekend, everyday")
    out: list[str] = []
    for item in items:
        if not isinstance(item, str):
            raise ValueError(f"{item!r} is not a day (mon, tue, wed, thu, fri, sat, sun)")
        key = item.strip().lower()
        if key in _DAY_GROUPS:
            out += _DAY_GROUPS[key]
            continue
        key = _DAY_ALIASES.get(key, key)
        if key not in DAY_NAMES:
            raise ValueError(f"{item!r} is not a day (mon, tue, wed, thu, fri, sat, sun, weekdays, weekend)")
        out.append(key)
    return tuple(d for d in DAY_NAMES if d in out)


Days = Annotated[
    tuple[str, ...],
    BeforeValidator(_parse_days),
    WithJsonSchema({"anyOf": [
        {"type": "array", "items": {"type": "string", "enum": list(DAY_NAMES) + list(_DAY_ALIASES)}},
        {"type": "string", "enum": list(_DAY_GROUPS)}]}),
]

_COLOR = re.compile(r"^#(?:[0-9a-fA-F]{6}|[0-9a-fA-F]{8})$")


def _parse_color(v: Any) -> str:
    if isinstance(v, str) and _COLOR.match(v.strip()):
        return v.strip().lower()
    raise ValueError(f"{v!r} is not a colour (write #rrggbb or #rrggbbaa)")


Color = Annotated[str, BeforeValidator(_parse_color), WithJsonSchema({"type": "string", "pattern": _COLOR.pattern})]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True, allow_inf_nan=False)


Id = Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$", description="letters, digits, - _ .")]

# --------------------------------------------------------------------------- schedules


class TimeRange(Strict):
    """Time of day from..to (to excluded). A range past midnight (22:00 to 02:00) wraps."""

    from_: TimeOfDay = Field(alias="from")
    to: TimeOfDay

    @model_validator(mode="after")
    def _not_empty(self) -> TimeRange:
        if self.from_ == self.to:
            raise ValueError("from and to are the same time: the range would be empty")
        return self


class DateRange(Strict):
    """Calendar dates from..to, both included."""

    from_: dt.date | None = Field(None, alias="from")
    to: dt.date | None = None

    @model_validator(mode="after")
    def _order(self) -> DateRange:
        if self.from_ is None and self.to is None:
            raise ValueError("give from, to, or both")
        for d in (self.from_, self.to):
            if d is not None and not limits.MIN_YEAR <= d.year <= limits.MAX_YEAR:
                raise ValueError(f"{d} is outside the years {limits.MIN_YEAR} to {limits.MAX_YEAR}")
        if self.from_ and self.to and self.to < self.from_:
            raise ValueError(f"to ({self.to}) is before from ({self.from_})")
        return self


class Schedule(Strict):
    """When something may play: all the parts given must hold."""

    dates: DateRange | None = None
    days: Days | None = None
    time: TimeRange | None = None
    daypart: str | list[str] | None = Field(None, description="names from the playlist's dayparts; any of them")
