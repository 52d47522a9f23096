"""Campaign delivery in a simulation: per campaign and per flight, the plays and seconds
delivered, against the daily cap and the hourly minimum (the hours short of it listed).

Pure: computed from the playlist and a simulation's timeline (``simulate`` stores it in
``SimulationResult.delivery``; timeline.py prints it). A play counts for the campaign it
bills to (its rule's ``campaign_id``, else its creative's), in the flight its start falls
in, in its local calendar day and wall-clock hour (a repeated autumn hour is one hour).
An hour is judged only when the simulation covers all of it that lies in the flight, and
when the campaign's schedules let it play in that hour (its rules' and creatives' schedules,
dayparts and time conditions); in an hour a flight starts or ends in, the minimum is scaled
down (as the engine does).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from signage.playlist.campaign_checks import _Ways, campaign_ways
from signage.playlist.campaigns import CampaignPlan, FlightGoals, compile_campaign, hour_goal, hour_key
from signage.playlist.schema import Playlist

UTC = dt.timezone.utc
HOUR = dt.timedelta(hours=1)


@dataclass(frozen=True, slots=True)
class HourShort:
    hour: dt.datetime  # the wall-clock hour's start (aware, local)
    plays: int
    goal: int
    at_daily_cap: bool  # the day's cap was reached: the minimum could not be played


@dataclass(slots=True)
class FlightDelivery:
    index: int
    goals: FlightGoals
    simulated: tuple[dt.datetime, dt.datetime] | None  # the part of the flight simulated (aware, local)
    plays: int = 0
    seconds: float = 0.0
    days: list[tuple[dt.date, int]] = field(default_factory=list)
    hours_judged: int = 0
    short: list[HourShort] = field(default_factory=list)


@dataclass(slots=True)
class CampaignDelivery:
    id: str
    name: str | None
    flights: list[FlightDelivery]

    @property
    def plays(self) -> int:
        return sum(f.plays for f in self.flights)

    @property
    def seconds(self) -> float:
        return sum(f.seconds for f in self.flights)


def _instant(local: dt.datetime, zone: dt.tzinfo) -> dt.datetime:
    return local.replace(tzinfo=zone).astimezone(UTC)


def _exists(local: dt.datetime, zone: dt.tzinfo) -> bool:
    """False for a wall-clock time in the hour skipped in spring."""
    return _instant(local, zone).astimezone(zone).replace(tzinfo=None) == local


def delivery(playlist: Playlist, entries: Iterable[Any], start: dt.datetime, end: dt.datetime,
             zone: dt.tzinfo) -> list[CampaignDelivery]:
    """``entries``: the simulation's TimelineEntry list; ``start``/``end``: its instants."""
    plan = CampaignPlan.of(playlist, lambda t: t.astimezone(zone))
    if plan is None:
        return []
    plays: dict[str, list[Any]] = {}
    for e in entries:
        if e.creative is not None:
            cid = plan.campaign_of(e.rule, e.creative)
            if cid is not None:
                plays.setdefault(cid, []).append(e)
    out = []
    ways = _Ways(playlist)
    for c in playlist.campaigns:
        found = campaign_ways(playlist, ways, c)
        can = (lambda lo, hi, f=found: ways.possible(f[0], f[1], lo, hi)) if found else (lambda lo, hi: False)
        flights = [_flight(f, plays.get(c.id, []), start, end, zone, can) for f in compile_campaign(c).flights]
        out.append(CampaignDelivery(c.id, c.name, sorted(flights, key=lambda f: f.index)))
    return out


def _flight(f: FlightGoals, plays: list[Any], start: dt.datetime, end: dt.datetime, zone: dt.tzinfo,
            can_play: Callable[[dt.datetime, dt.datetime], bool]) -> FlightDelivery:
    lo, hi = max(_instant(f.start, zone), start), min(_instant(f.end, zone), end)
    if hi <= lo:
        return FlightDelivery(f.index, f, None)
    d = FlightDelivery(f.index, f, (lo.astimezone(zone), hi.astimezone(zone)))
    mine = [e for e in plays if lo <= e.start < hi]
    d.plays, d.seconds = len(mine), round(sum(e.duration_s for e in mine), 3)
    per_day = Counter(e.start.astimezone(zone).date() for e in mine)
    per_hour = Counter(hour_key(e.start.astimezone(zone)) for e in mine)
    first, last = lo.astimezone(zone).replace(tzinfo=None), hi.astimezone(zone).replace(tzinfo=None)
    day = first.date()
    while day <= (last - dt.timedelta(microseconds=1)).date():
        d.days.append((day, per_day.get(day, 0)))
        day += dt.timedelta(days=1)
    if not f.min_per_hour:
        return d
    h = first.replace(minute=0, second=0, microsecond=0)
    while h < last:
        part_lo, part_hi = max(h, f.start), min(h + HOUR, f.end)
        if _exists(h, zone) and part_lo >= first and part_hi <= last and can_play(part_lo, part_hi):
            goal = hour_goal(f, (part_hi - part_lo).total_seconds())
            if goal:
                d.hours_judged += 1
                n = per_hour.get((h.date(), h.hour), 0)
                if n < goal:
                    capped = f.max_per_day is not None and per_day.get(h.date(), 0) >= f.max_per_day
                    d.short.append(HourShort(h.replace(tzinfo=zone), n, goal, capped))
        h += HOUR
    return d


# --------------------------------------------------------------------------- reports


def _fmt_s(s: float) -> str:
    s = round(s)
    h, rest = divmod(s, 3600)
    m, sec = divmod(rest, 60)
    return "".join(f"{v}{u}" for v, u in ((h, "h"), (m, "m"), (sec, "s")) if v) or "0s"


def format_delivery(campaigns: list[CampaignDelivery]) -> list[str]:
    """The delivery section of the text report (empty without campaigns)."""
    if not campaigns:
        return []
    lines = ["", "Campaign delivery"]
    for c in campaigns:
        lines.append(f"  {c.id}" + (f" ({c.name})" if c.name else "") + f": {c.plays} plays, {_fmt_s(c.seconds)} on screen")
        for f in c.flights:
            g = f.goals
            head = f"    flight {f.index}, {g.start:%Y-%m-%d %H:%M} to {g.end:%Y-%m-%d %H:%M}"
            if f.simulated is None:
                lines.append(head + ": not in the simulated time")
                continue
            a, b = f.simulated
            lines.append(head + f" (simulated {a:%m-%d %H:%M} to {b:%m-%d %H:%M}): {f.plays} plays, {_fmt_s(f.seconds)}")
            if g.max_per_day is not None:
                days = ", ".join(f"{day:%m-%d} {n}" + (" (cap reached)" if n >= g.max_per_day else "") for day, n in f.days)
                lines.append(f"      max_per_day {g.max_per_day}: {days}")
            if g.max_per_hour is not None:
                lines.append(f"      max_per_hour {g.max_per_hour}")
            if g.min_per_hour:
                met = f.hours_judged - len(f.short)
                lines.append(f"      min_per_hour {g.min_per_hour}: {met} of {f.hours_judged} hours met")
                for s in f.short:
                    lines.append(f"        short: {s.hour:%m-%d %H:00} {s.plays} of {s.goal}"
                                 + (" (the daily cap was reached)" if s.at_daily_cap else ""))
    return lines


def delivery_json(campaigns: list[CampaignDelivery]) -> list[dict[str, Any]]:
    def flight(f: FlightDelivery) -> dict[str, Any]:
        g = f.goals
        return {
            "flight": f.index,
            "from": g.start.isoformat(timespec="minutes"),  # wall-clock, as written
            "to": g.end.isoformat(timespec="minutes"),
            "simulated": None if f.simulated is None else {"from": f.simulated[0].isoformat(),
                                                             "to": f.simulated[1].isoformat()},
            "plays": f.plays,
            "screen_time_s": f.seconds,
            "min_per_hour": g.min_per_hour,
            "max_per_hour": g.max_per_hour,
            "max_per_day": g.max_per_day,
            "days": [{"date": day.isoformat(), "plays": n,
                      "cap_reached": g.max_per_day is not None and n >= g.max_per_day} for day, n in f.days],
            "hours_judged": f.hours_judged,
            "hours_met": f.hours_judged - len(f.short),
            "hours_short": [{"hour": s.hour.isoformat(), "plays": s.plays, "goal": s.goal,
                             "daily_cap_reached": s.at_daily_cap} for s in f.short],
        }

    return [{"id": c.id, "name": c.name, "plays": c.plays, "screen_time_s": round(c.seconds, 3),
             "flights": [flight(f) for f in c.flights]} for c in campaigns]
