"""Warnings for campaign goals that cannot be met, and for rules whose times contradict
each other (``signage validate`` prints them; the playlist still loads: exit 0).

Pure: ``campaign_warnings(playlist)`` gives (field path, message) pairs; the loader adds
the file and the line. Times are checked where they change (every time-of-day boundary the
playlist names, each day of a flight, at most MAX_DAYS days), so a check is exact for
schedules, dayparts and the time parts of conditions, whatever the audience does.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Iterator

from signage.playlist.campaign_schema import Campaign
from signage.playlist.campaigns import FlightGoals, compile_campaign
from signage.playlist.rules import Context, Predicate, compile_condition, compile_schedule, in_date_range
from signage.playlist.schema import Condition, Playlist, Schedule, TimeRange

HOUR_S = 3600.0
MAX_DAYS = 400  # days of a flight looked at (longer flights: their first 400 days)
_WEEK = dt.datetime(2026, 11, 30)  # a Monday: rules without dates are checked over one week from it

Path = tuple
Warning_ = tuple[Path, str]


# --------------------------------------------------------------------------- time alone


def _reads_audience(c: Condition) -> bool:
    if c.camera is not None or c.uses_audience():
        return True
    return any(_reads_audience(s) for s in (c.all or []) + (c.any or []) + ([c.not_] if c.not_ else []))


def time_part(c: Condition) -> Condition:
    """A condition that holds whenever ``c`` may hold, reading the time only: the audience
    tests dropped (an ``any`` or ``not`` that reads the audience is dropped whole)."""
    return c.model_copy(update={
        **{m: None for m in ("faces", "measured", "watchers", "attention_ratio", "smile_ratio", "surprise_ratio",
                             "passers_by", "mean_dwell_s", "mean_attention_s", "glances", "trend", "camera")},
        "all": [time_part(s) for s in c.all] if c.all else None,
        "any": c.any if c.any and not any(_reads_audience(s) for s in c.any) else None,
        "not_": c.not_ if c.not_ is not None and not _reads_audience(c.not_) else None,
    })


def _in_schedule(s: Schedule | None) -> Iterator[TimeRange]:
    if s is not None and s.time is not None:
        yield s.time


def _in_condition(c: Condition) -> Iterator[TimeRange]:
    if c.time is not None:
        yield c.time
    for sub in (c.all or []) + (c.any or []) + ([c.not_] if c.not_ else []):
        yield from _in_condition(sub)


def _times_of_day(playlist: Playlist, ways: _Ways, rules: list, creatives: list[str]) -> list[dt.time]:
    """Where the time tests of these rules and creatives (and any daypart) may change their
    answer within a day."""
    ranges = list(playlist.dayparts.values())
    for r in rules:
        ranges += [*_in_schedule(r.schedule), *_in_condition(r.when)]
        creatives = creatives + list(r.creatives)
    for cid in dict.fromkeys(creatives):
        ranges += list(_in_schedule(ways.schedule[cid]))
    out = {dt.time()}
    for r in ranges:
        out |= {t for t in (r.from_, r.to) if t != dt.time.max}
    return sorted(out)


def _instants(start: dt.datetime, end: dt.datetime, times: list[dt.time]) -> Iterator[dt.datetime]:
    yield start
    day = start.date()
    for _ in range(MAX_DAYS):
        for t in times:
            x = dt.datetime.combine(day, t)
            if start < x < end:
                yield x
        day += dt.timedelta(days=1)
        if dt.datetime.combine(day, dt.time()) >= end:
            return


class _Ways:
    """What can play a campaign (or a rule), as time-only predicates."""

    def __init__(self, playlist: Playlist) -> None:
        self.p = playlist
        self.creative = {c.id: compile_schedule(c.schedule, playlist.dayparts) for c in playlist.creatives}
        self.schedule = {c.id: c.schedule for c in playlist.creatives}
        self.campaign_of = {c.id: c.campaign_id for c in playlist.creatives}

    def rule(self, r) -> Predicate:
        sched = compile_schedule(r.schedule, self.p.dayparts)
        when = compile_condition(time_part(r.when), self.p.dayparts)
        creatives = [self.creative[x] for x in r.creatives]
        return lambda ctx: bool(sched(ctx) and when(ctx) and any(cr(ctx) for cr in creatives))

    def possible(self, ways: list[Predicate], times: list[dt.time], start: dt.datetime, end: dt.datetime,
                 dated: bool = True) -> bool:
        """Does one of ``ways`` hold at some time in start..end (``times``: where they may
        change within a day; ``dated``: and inside the playlist's campaign dates)?"""
        top = self.p.campaign if dated else None
        for t in _instants(start, end, times):
            if top is not None and not in_date_range(t.date(), top):
                continue
            ctx = Context(None, t)
            if any(w(ctx) for w in ways):
                return True
        return False


# --------------------------------------------------------------------------- the checks


def campaign_warnings(playlist: Playlist) -> list[Warning_]:
    out: list[Warning_] = []
    ways = _Ways(playlist)
    for i, r in enumerate(playlist.rules):
        if r.enabled and not _uses_dates(r) and _time_tests(ways, r) > 1 and not ways.possible(
                [ways.rule(r)], _times_of_day(playlist, ways, [r], []), _WEEK, _WEEK + dt.timedelta(days=7),
                dated=False):
            out.append((("rules", i), "its schedule, its condition's times and its creatives' schedules never agree "
                                      "(no time of the week when all allow it): it never fires"))
    load: list[tuple[dt.datetime, dt.datetime, float, str]] = []  # for minimums that add up past the hour
    for i, c in enumerate(playlist.campaigns):
        out += _campaign(playlist, ways, i, c, load)
    out += _together(load, playlist)
    return out


def _time_tests(ways: _Ways, r) -> int:
    """How many time tests a rule's play depends on (one alone always holds at some time:
    a range is never empty, days never none)."""
    def sched(x: Schedule | None) -> int:
        return 0 if x is None else sum(v is not None and v != [] for v in (x.dates, x.days, x.time, x.daypart))

    def cond(c: Condition) -> int:
        own = sum(v is not None and v != [] for v in (c.dates, c.days, c.time, c.daypart))
        return own + sum(cond(sub) for sub in (c.all or []) + (c.any or []) + ([c.not_] if c.not_ else []))

    return sched(r.schedule) + cond(r.when) + max(sched(ways.schedule[x]) for x in r.creatives)


def _uses_dates(r) -> bool:
    def cond(c: Condition) -> bool:
        return c.dates is not None or any(cond(s) for s in (c.all or []) + (c.any or []) + ([c.not_] if c.not_ else []))

    return (r.schedule is not None and r.schedule.dates is not None) or cond(r.when)


def campaign_ways(playlist: Playlist, ways: _Ways, c: Campaign) -> tuple[list[Predicate], list[dt.time],
                                                                         list[float]] | None:
    """What can play a campaign, as time-only predicates, the times of day where they may
    change, and the lengths of its creatives (None: nothing can: no enabled rule and no loop
    item bills to it)."""
    rules = [r for r in playlist.rules if r.enabled and (r.campaign_id == c.id or (
        r.campaign_id is None and any(ways.campaign_of[x] == c.id for x in r.creatives)))]
    loop = [x for x in dict.fromkeys(playlist.loop) if ways.campaign_of[x] == c.id]
    if not rules and not loop:
        return None
    preds = [ways.rule(r) for r in rules] + [ways.creative[x] for x in loop]
    return preds, _times_of_day(playlist, ways, rules, loop), [playlist.duration_of(x) for r in rules for x in r.creatives] + [playlist.duration_of(x) for x in loop]


def _campaign(playlist: Playlist, ways: _Ways, i: int, c: Campaign,
              load: list[tuple[dt.datetime, dt.datetime, float, str]]) -> list[Warning_]:
    out: list[Warning_] = []
    here = ("campaigns", i)
    found = campaign_ways(playlist, ways, c)
    if found is None:
        out.append((here, f"nothing can play campaign {c.id!r}: no enabled rule and no loop item bills to it "
                          "(give it as campaign_id on a rule, or on a creative in the loop)"))
        return out
    preds, times, lengths = found
    shortest = min(lengths)
    top = playlist.campaign
    for f in compile_campaign(c).flights:
        at = here + ("flights", f.index)
        out += _goals(c, f, at, shortest, lambda lo, hi: ways.possible(preds, times, lo, hi))
        if top is not None:
            lo = dt.datetime.combine(top.from_, dt.time()) if top.from_ else None
            hi = dt.datetime.combine(top.to, dt.time()) + dt.timedelta(days=1) if top.to else None
            if (hi is not None and f.start >= hi) or (lo is not None and f.end <= lo):
                out.append((at, f"outside the playlist's campaign dates ({top.from_ or '...'} to {top.to or '...'}): "
                                "this flight never plays"))
                continue
            if (lo is not None and f.start < lo) or (hi is not None and f.end > hi):
                out.append((at, f"partly outside the playlist's campaign dates ({top.from_ or '...'} to "
                                f"{top.to or '...'}): only the part inside plays"))
        if not ways.possible(preds, times, f.start, f.end):
            out.append((at, "no time in this flight when anything of the campaign may play (the schedules, "
                            "dayparts and time conditions of its rules and creatives never allow it)"))
        if f.min_per_hour:
            load.append((f.start, f.end, f.min_per_hour * shortest, c.id))
    return out


def _field(c: Campaign, f: FlightGoals, at: Path, name: str) -> Path:
    """Where a goal is written: on the flight, else on the campaign."""
    own = getattr(c.flights[f.index], name) is not None
    return at + (name,) if own else at[:2] + (name,)


def _goals(c: Campaign, f: FlightGoals, at: Path, shortest: float,
           can_play: Callable[[dt.datetime, dt.datetime], bool]) -> list[Warning_]:
    out: list[Warning_] = []
    m = f.min_per_hour
    if not m:
        return out
    where = _field(c, f, at, "min_per_hour")
    if m * shortest > HOUR_S:
        out.append((where, f"flight {f.index}: {m} plays of at least {shortest:g} s need {m * shortest:g} s, more "
                           "than the 3600 s of an hour: the minimum cannot be met"))
    if f.max_per_hour is not None and f.max_per_hour < m:
        out.append((where, f"flight {f.index}: min_per_hour {m} is above max_per_hour {f.max_per_hour}: "
                           "the two contradict each other"))
    if f.max_per_day is not None:
        hours, day = _busiest_day(f, can_play)
        need = math.floor(m * hours + 1e-9)
        if need > f.max_per_day:
            out.append((where, f"flight {f.index}: min_per_hour {m} over its {hours:g} h on {day} needs {need} "
                               f"plays, above max_per_day {f.max_per_day}: the last hours of the day will be short"))
    return out


def _busiest_day(f: FlightGoals, can_play: Callable[[dt.datetime, dt.datetime], bool]) -> tuple[float, dt.date]:
    """The most hours of one calendar day in the flight when the campaign may play (its
    schedules allow it), and that day: the first day, the second and the last are looked at
    (the days between are like the second, but for their weekday: the first week is too)."""
    best = (0.0, f.start.date())
    days = {f.start.date() + dt.timedelta(days=k) for k in range(8)} | {(f.end - dt.timedelta(microseconds=1)).date()}
    for day in sorted(days):
        hours = 0.0
        for h in range(24):
            lo = max(f.start, dt.datetime.combine(day, dt.time(h)))
            hi = min(f.end, dt.datetime.combine(day, dt.time(h)) + dt.timedelta(hours=1))
            if hi > lo and can_play(lo, hi):
                hours += (hi - lo).total_seconds() / HOUR_S
        if hours > best[0]:
            best = (hours, day)
    return best


def _together(load: list[tuple[dt.datetime, dt.datetime, float, str]], playlist: Playlist) -> list[Warning_]:
    """Minimums of campaigns whose flights overlap that add up past the hour."""
    out: list[Warning_] = []
    said: set[str] = set()
    index = {c.id: i for i, c in enumerate(playlist.campaigns)}
    for start, _, _, _ in sorted(load):
        active = [(need, cid) for s, e, need, cid in load if s <= start < e]
        total = sum(n for n, _ in active)
        ids = sorted({cid for _, cid in active})
        if total > HOUR_S and len(ids) > 1:
            for cid in ids:
                if cid not in said:
                    said.add(cid)
                    others = ", ".join(repr(x) for x in ids if x != cid)
                    out.append((("campaigns", index[cid], "min_per_hour"),
                                f"with the minimums of {others} (flying at {start:%Y-%m-%d %H:%M}) this needs "
                                f"{total:g} s an hour, more than 3600 s: not every minimum can be met"))
    return out
