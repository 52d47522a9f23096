"""The periods and time zones of reports: '7d' or an ISO date as epoch seconds
(``parse_when``), a time zone by name, local time, the start of a local hour or day. Pure."""

from __future__ import annotations

import datetime as dt
import re

from signage.identity import time_zone

TZ = dt.tzinfo | None  # None: the system's local time

_RELATIVE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([wdhm])\s*$")
_UNIT_S = {"w": 7 * 86400, "d": 86400, "h": 3600, "m": 60}


def parse_when(text: str, now: float, tz: TZ = None) -> float:
    """Epoch seconds from '7d' / '12h' / '30m' / '2w' (that long before ``now``) or an ISO
    date or date-time (a time without offset is in ``tz``; a date means its midnight)."""
    m = _RELATIVE.match(text)
    if m:
        return now - float(m.group(1)) * _UNIT_S[m.group(2)]
    try:
        when = dt.datetime.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(f"{text!r} is neither a duration like 7d, 12h, 30m nor an ISO date or time") from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=tz) if tz is not None else when.astimezone()
    return when.timestamp()


def timezone(name: str | None) -> TZ:
    """A zoneinfo time zone by name, None for the system's local time."""
    return time_zone(name) if name else None


def tz_label(tz: TZ) -> str:
    return str(tz) if tz is not None else f"local time ({dt.datetime.now().astimezone().tzname()})"


def local(ts: float, tz: TZ) -> dt.datetime:
    return dt.datetime.fromtimestamp(ts, tz)


def period_start(ts: float, tz: TZ, unit: str) -> float:
    """Start (epoch seconds) of the local hour or day ``ts`` falls in."""
    t = local(ts, tz)
    t = t.replace(minute=0, second=0, microsecond=0)
    if unit == "day":
        t = t.replace(hour=0)
    elif unit != "hour":
        raise ValueError(f"unit must be 'hour' or 'day', got {unit!r}")
    return t.timestamp()
