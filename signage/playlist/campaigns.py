"""Campaign flights, caps and pacing for the engine: pure functions and small counters.

``CampaignPlan.of(playlist)`` compiles the playlist's declared campaigns once: their
flights (wall-clock ranges in the playlist's zone) with the goals in force in each, and
which plays bill to which campaign (a play bills to its rule's ``campaign_id``, else its
creative's: the same as proof of play and the exports; only ids of declared campaigns
count here).

``CampaignTally`` is kept inside the PlayHistory (history.py tells it of each play as it
starts): per campaign, the plays started in the current local wall-clock hour and the
current local calendar day. A repeated hour on a daylight-saving day is one wall-clock
hour, so it is counted once. From them, ``CampaignTally.state`` gives the campaigns' ``State``
at a wall-clock time: which are dead (outside their flights or at a cap) and what the paced
ones owe this hour. It holds until a play starts or the wall clock reaches a flight's start
or end or the next hour, so a decision mostly reads it as it was: a set and a few numbers.

The pacing decision is pacing.py's (``pace``; docs/playlists.md, "Campaigns").
"""

from __future__ import annotations

import bisect
import datetime as dt
import math
from collections.abc import Callable
from dataclasses import dataclass

from signage.playlist.campaign_schema import Campaign
from signage.playlist.history import PlayRecord
from signage.playlist.schema import Playlist

HOUR_S = 3600.0
DAY = dt.timedelta(hours=25)  # a local day lasts up to 25 h (the autumn change): what a daily cap reads back


@dataclass(frozen=True, slots=True)
class FlightGoals:
    """A flight in wall-clock time (naive, the playlist's zone; ``to`` excluded) and the
    goals in force during it."""

    start: dt.datetime
    end: dt.datetime
    min_per_hour: int | None
    max_per_hour: int | None
    max_per_day: int | None
    index: int  # the flight's index in the campaign (as written)


@dataclass(frozen=True, slots=True)
class CompiledCampaign:
    id: str
    flights: tuple[FlightGoals, ...]  # in time order
    starts: tuple[dt.datetime, ...]  # flights' starts, to bisect
    bounds: tuple[dt.datetime, ...] = ()  # flights' starts and ends, where its state may change

    def flight_at(self, local: dt.datetime) -> FlightGoals | None:
        """The flight in force at the wall-clock time ``local`` (naive), if any."""
        i = bisect.bisect_right(self.starts, local) - 1
        if i >= 0 and local < self.flights[i].end:
            return self.flights[i]
        return None


def compile_campaign(c: Campaign) -> CompiledCampaign:
    flights = sorted((FlightGoals(f.from_, f.to, c.goal(f, "min_per_hour"), c.goal(f, "max_per_hour"),
                                  c.goal(f, "max_per_day"), i) for i, f in enumerate(c.flights)),
                     key=lambda f: f.start)
    return CompiledCampaign(c.id, tuple(flights), tuple(f.start for f in flights),
                            tuple(sorted({t for f in flights for t in (f.start, f.end)})))


@dataclass(frozen=True)
class CampaignPlan:
    """The declared campaigns of a playlist, and who bills to them."""

    campaigns: dict[str, CompiledCampaign]
    rule_bills: dict[str, str | None]  # rule id -> its campaign_id (declared or not), for rules that give one
    creative_campaign: dict[str, str]  # creative id -> its declared campaign
    rule_campaign: dict[str, str]  # rule id -> its declared campaign
    local: Callable[[dt.datetime], dt.datetime]  # instant -> wall-clock time at the screen
    daily_caps: bool  # some campaign or flight has max_per_day
    paced: tuple[str, ...]  # campaigns with a min_per_hour somewhere
    bounds: tuple[dt.datetime, ...] = ()  # every flight's start and end, sorted: where a State may change

    @classmethod
    def of(cls, playlist: Playlist, local: Callable[[dt.datetime], dt.datetime]) -> CampaignPlan | None:
        """None for a playlist that declares no campaign (nothing to do)."""
        if not playlist.campaigns:
            return None
        compiled = {c.id: compile_campaign(c) for c in playlist.campaigns}
        rule_bills = {r.id: r.campaign_id for r in playlist.rules if r.campaign_id}
        return cls(
            campaigns=compiled,
            rule_bills=rule_bills,
            creative_campaign={c.id: c.campaign_id for c in playlist.creatives if c.campaign_id in compiled},
            rule_campaign={rid: cid for rid, cid in rule_bills.items() if cid in compiled},
            local=local,
            daily_caps=any(f.max_per_day for c in compiled.values() for f in c.flights),
            paced=tuple(c.id for c in compiled.values() if any(f.min_per_hour for f in c.flights)),
            bounds=tuple(sorted({t for c in compiled.values() for t in c.bounds})),
        )

    def campaign_of(self, rule: str | None, creative: str) -> str | None:
        """The declared campaign a play bills to, if any."""
        if rule is not None and rule in self.rule_bills:
            return self.rule_campaign.get(rule)
        return self.creative_campaign.get(creative)


def naive(local: dt.datetime) -> dt.datetime:
    """Wall-clock time without its zone (as flights are written)."""
    return local.replace(tzinfo=None) if local.tzinfo is not None else local


def hour_key(local: dt.datetime) -> tuple[dt.date, int]:
    """The wall-clock hour: a repeated hour (autumn) is one key, so it is counted once."""
    return local.date(), local.hour


class CampaignTally:
    """Per campaign: plays started in the current local hour and local day (updated as
    plays start, in start order; a play older than the counted hour or day is ignored)."""

    __slots__ = ("plan", "_hour", "_day", "_state", "_stale")

    def __init__(self, plan: CampaignPlan) -> None:
        self.plan = plan
        self._hour: dict[str, tuple[tuple[dt.date, int], int]] = {}
        self._day: dict[str, tuple[dt.date, int]] = {}
        self._state: State | None = None  # the last State given
        self._stale: set[str] = set()  # campaigns with a play started since (their part of it is out of date)

    def add(self, record: PlayRecord) -> None:
        cid = self.plan.campaign_of(record.rule, record.creative)
        if cid is None:
            return
        self._stale.add(cid)
        local = self.plan.local(record.start)
        hk, dk = hour_key(local), local.date()
        key, n = self._hour.get(cid, (hk, 0))
        if hk >= key:
            self._hour[cid] = (hk, n + 1 if hk == key else 1)
        day, n = self._day.get(cid, (dk, 0))
        if dk >= day:
            self._day[cid] = (dk, n + 1 if dk == day else 1)

    def in_hour(self, cid: str, local: dt.datetime) -> int:
        key, n = self._hour.get(cid, (None, 0))
        return n if key == hour_key(local) else 0

    def in_day(self, cid: str, local: dt.datetime) -> int:
        day, n = self._day.get(cid, (None, 0))
        return n if day == local.date() else 0

    def state(self, local: dt.datetime) -> State:
        """The campaigns' State at the wall-clock time ``local`` (naive), the last one given
        while it holds (no play of a campaign since, ``local`` inside its span)."""
        s = self._state
        if s is None or not s.lo <= local < s.hi:
            s = self._state = state_at(self.plan, self, local)
        elif self._stale:
            s = self._state = state_at(self.plan, self, local, s, self._stale)
        self._stale = set()
        return s


def live(plan: CampaignPlan, tally: CampaignTally, cid: str, local: dt.datetime) -> bool:
    """May the campaign play at ``local``: inside a flight, under its daily and hourly caps."""
    f = plan.campaigns[cid].flight_at(naive(local))
    if f is None:
        return False
    if f.max_per_day is not None and tally.in_day(cid, local) >= f.max_per_day:
        return False
    return f.max_per_hour is None or tally.in_hour(cid, local) < f.max_per_hour


def hour_span(f: FlightGoals, now: dt.datetime, h0: dt.datetime) -> tuple[float, float]:
    """Of the wall-clock hour starting at ``h0`` (naive, as ``now``): (seconds of it inside
    the flight, seconds of that part already gone at ``now``)."""
    lo, hi = max(h0, f.start), min(h0 + _HOUR, f.end)
    return max(0.0, (hi - lo).total_seconds()), max(0.0, (now - lo).total_seconds())


_HOUR = dt.timedelta(hours=1)


def hour_goal(f: FlightGoals, inside_s: float) -> int:
    """The minimum for an hour of which ``inside_s`` seconds lie in the flight (scaled down,
    rounded down, in an hour a flight starts or ends in)."""
    if not f.min_per_hour:
        return 0
    return f.min_per_hour if inside_s >= HOUR_S else math.floor(f.min_per_hour * inside_s / HOUR_S + 1e-9)


@dataclass(frozen=True, slots=True)
class Owed:
    """What a campaign still owes in this hour: ``plays`` (within its caps), the ``goal``,
    the seconds ``left`` of the hour's part in its flight, and whether a play is ``due`` by
    the even spread."""

    plays: int
    goal: int
    left: float
    due: bool

    def behind(self, length: float, wait: float) -> float | None:
        """Its slack (seconds to spare: lower is more urgent) when its next play, of
        ``length`` seconds, should go now rather than after ``wait`` seconds, else None."""
        slack = self.left - self.plays * length
        return slack if self.due or slack < wait else None


@dataclass(frozen=True, slots=True)
class Pace:
    """A paced campaign that owes plays in this hour: ``plays`` (within its caps), the hour's
    ``goal``, the plays it had this ``hour``, the seconds ``inside`` its flight of the hour's part,
    from ``lo_us`` (naive wall-clock microseconds since 1970), and whether it may play now."""

    cid: str
    plays: int
    goal: int
    hour: int
    inside: float
    lo_us: int
    live: bool

    def owed(self, now_us: int, wait: float) -> Owed:
        """Its pace at ``now_us`` (as ``lo_us``) when the next chance after this one comes in
        ``wait`` seconds.

        Its plays are due evenly through the hour (the k-th of m at (k-1)/m of the hour's part
        in the flight): a play is due when, by the next chance, more plays will be due than it
        has had. Whatever the spread, it is behind when the time left is no more than its
        remaining plays need plus ``wait`` (Owed.behind)."""
        gone = max(0.0, (now_us - self.lo_us) / 1_000_000)
        due = self.hour < min(self.goal, math.floor(self.goal * (gone + wait) / self.inside) + 1)
        return Owed(self.plays, self.goal, self.inside - gone, due)


@dataclass(frozen=True, slots=True)
class State:
    """The declared campaigns at a wall-clock time, the same from ``lo`` to ``hi`` (naive; no
    flight starts or ends and the hour does not change in between) until a campaign's play
    starts: the campaigns that may not play (outside their flights, at a cap), and the paced
    ones that owe plays this hour (in the plan's order)."""

    lo: dt.datetime
    hi: dt.datetime
    dead: frozenset[str]
    owing: tuple[Pace, ...]


_EPOCH = dt.datetime(1970, 1, 1)
_US = dt.timedelta(microseconds=1)


def micros(local: dt.datetime) -> int:
    """Naive wall-clock time as microseconds since 1970 (as Pace.lo_us)."""
    return (local - _EPOCH) // _US


def state_at(plan: CampaignPlan, tally: CampaignTally, local: dt.datetime, prev: State | None = None,
             stale: set[str] | None = None) -> State:
    """The State at ``local`` (naive wall-clock time) from the counts in ``tally``; given
    ``prev`` (a State whose span holds ``local``), only the ``stale`` campaigns' parts anew."""
    h0 = local.replace(minute=0, second=0, microsecond=0)
    if prev is None:
        lo, hi = h0, h0 + _HOUR
        i = bisect.bisect_right(plan.bounds, local)
        if i:
            lo = max(lo, plan.bounds[i - 1])
        if i < len(plan.bounds):
            hi = min(hi, plan.bounds[i])
        dead = frozenset(cid for cid in plan.campaigns if not live(plan, tally, cid, local))
        owing = (_pace(plan, tally, cid, local, h0, cid not in dead) for cid in plan.paced)
    else:
        lo, hi = prev.lo, prev.hi
        dead = (prev.dead - stale) | {cid for cid in stale if not live(plan, tally, cid, local)}
        old = {p.cid: p for p in prev.owing}
        owing = (_pace(plan, tally, cid, local, h0, cid not in dead) if cid in stale else old.get(cid)
                 for cid in plan.paced)
    return State(lo, hi, dead, tuple(p for p in owing if p is not None))


def _pace(plan: CampaignPlan, tally: CampaignTally, cid: str, local: dt.datetime, h0: dt.datetime,
          ok: bool) -> Pace | None:
    """What the campaign owes in the hour ``h0`` at ``local`` (naive), if anything."""
    f = plan.campaigns[cid].flight_at(local)
    if f is None or not f.min_per_hour:
        return None
    played_hour, played_day = tally.in_hour(cid, local), tally.in_day(cid, local)
    inside, _ = hour_span(f, local, h0)
    goal = hour_goal(f, inside)
    remaining = goal - played_hour
    if f.max_per_day is not None:
        remaining = min(remaining, f.max_per_day - played_day)
    if f.max_per_hour is not None:
        remaining = min(remaining, f.max_per_hour - played_hour)
    if remaining <= 0 or inside <= 0:
        return None
    return Pace(cid, remaining, goal, played_hour, inside, micros(max(h0, f.start)), ok)
