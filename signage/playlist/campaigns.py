"""Campaign flights, caps and pacing for the engine: pure functions and small counters.

``CampaignPlan.of(playlist)`` compiles the playlist's declared campaigns once: their
flights (wall-clock ranges in the playlist's zone) with the goals in force in each, and
which plays bill to which campaign (a play bills to its rule's ``campaign_id``, else its
creative's: the same as proof of play and the exports; only ids of declared campaigns
count here).

``CampaignTally`` is kept inside the PlayHistory (history.py tells it of each play as it
starts): per campaign, the plays started in the current local wall-clock hour and the
current local calendar day. A repeated hour on a daylight-saving day is one wall-clock
hour, so it is counted once. A decision reads two numbers per campaign.

``pace`` is the pacing decision (see its docstring and docs/playlists.md, "Campaigns").
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
    return CompiledCampaign(c.id, tuple(flights), tuple(f.start for f in flights))


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
        )

    def campaign_of(self, rule: str | None, creative: str) -> str | None:
        """The declared campaign a play bills to, if any."""
        if rule is not None and rule in self.rule_bills:
            return self.rule_campaign.get(rule)
        return self.creative_campaign.get(creative)


def _naive(local: dt.datetime) -> dt.datetime:
    return local.replace(tzinfo=None) if local.tzinfo is not None else local


def hour_key(local: dt.datetime) -> tuple[dt.date, int]:
    """The wall-clock hour: a repeated hour (autumn) is one key, so it is counted once."""
    return local.date(), local.hour


class CampaignTally:
    """Per campaign: plays started in the current local hour and local day (updated as
    plays start, in start order; a play older than the counted hour or day is ignored)."""

    __slots__ = ("plan", "_hour", "_day")

    def __init__(self, plan: CampaignPlan) -> None:
        self.plan = plan
        self._hour: dict[str, tuple[tuple[dt.date, int], int]] = {}
        self._day: dict[str, tuple[dt.date, int]] = {}

    def add(self, record: PlayRecord) -> None:
        cid = self.plan.campaign_of(record.rule, record.creative)
        if cid is None:
            return
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


def live(plan: CampaignPlan, tally: CampaignTally, cid: str, local: dt.datetime) -> bool:
    """May the campaign play at ``local``: inside a flight, under its daily and hourly caps."""
    f = plan.campaigns[cid].flight_at(_naive(local))
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


def owed(f: FlightGoals, played_hour: int, played_day: int, now: dt.datetime, h0: dt.datetime,
         wait: float) -> Owed | None:
    """The pace of a campaign's hourly minimum at ``now`` (naive wall-clock; ``h0`` its
    hour), when the next chance after this one comes in ``wait`` seconds; None when nothing
    is owed.

    Its plays are due evenly through the hour (the k-th of m at (k-1)/m of the hour's part
    in the flight): a play is due when, by the next chance, more plays will be due than it
    has had. Whatever the spread, it is behind when the time left is no more than its
    remaining plays need plus ``wait`` (Owed.behind)."""
    inside, gone = hour_span(f, now, h0)
    goal = hour_goal(f, inside)
    remaining = goal - played_hour
    if f.max_per_day is not None:
        remaining = min(remaining, f.max_per_day - played_day)
    if f.max_per_hour is not None:
        remaining = min(remaining, f.max_per_hour - played_hour)
    if remaining <= 0 or inside <= 0:
        return None
    due = played_hour < min(goal, math.floor(goal * (gone + wait) / inside) + 1)
    return Owed(remaining, goal, inside - gone, due)


# --------------------------------------------------------------------------- the engine's part


@dataclass(frozen=True, slots=True)
class CampaignScan:
    """What can play a campaign: its rules (the engine's scan rows), its loop slots, and
    the longest of its creatives."""

    rows: list
    slots: tuple[int, ...]
    longest: float


def scans(plan: CampaignPlan, rules: list, always: frozenset[str], rows_of: Callable, loop: list[str],
          duration: dict[str, float]) -> dict[str, CampaignScan]:
    """Per paced campaign: the compiled rules that may bill to it (sorted as the engine's),
    as scan rows; its loop slots; its longest creative."""
    out = {}
    for cid in plan.paced:
        mine = [c for c in rules if plan.rule_campaign.get(c.id) == cid or
                (c.id not in plan.rule_bills and any(plan.creative_campaign.get(x) == cid for x in c.creatives))]
        slots = tuple(i for i, x in enumerate(loop) if plan.creative_campaign.get(x) == cid)
        lengths = [duration[x] for c in mine for x in c.creatives] + [duration[loop[i]] for i in slots]
        out[cid] = CampaignScan(rows_of(mine, always), slots, max(lengths, default=0.0))
    return out


def _candidate(engine, d, cid: str, seed: int):
    """The campaign's next play now: (creative, compiled rule or None, loop slot or None,
    the priority it plays at): its rules that fire first (share of voice among them), else
    the eligible loop item it played least recently (at priority 0)."""
    plan, scan = engine._plan, engine._scan_campaign[cid]
    if scan.rows:
        f = d.firing(scan.rows)
        if f.rules:
            c, creative = d.share(f, seed)
            if plan.campaign_of(c.id, creative) == cid:
                return creative, c, None, c.priority
    best = None
    for slot in scan.slots:
        creative = engine._loop[slot]
        if d.eligible(creative):
            last = d.hist.creative_last_start(creative)
            key = (last is not None, last or d.now, slot)
            if best is None or key < best[0]:
                best = (key, creative, slot)
    return (best[1], None, best[2], 0) if best is not None else None


def pace(engine, d, best, seed: int):
    """At a play decision (never while something plays: pacing does not interrupt), the
    play of a campaign behind its hourly minimum that goes ahead of the engine's own choice
    ``best`` (a rule and creative, or None: the loop), if any: (creative, Rule or None, loop
    slot or None, why).

    A campaign's play goes ahead of the loop, and of a rule whose priority is at most the
    priority it plays at (its own rule's; 0 from the loop). Of several campaigns behind, the
    one with the least slack goes first. ``engine``/``d``: the PlaylistEngine and its
    _Decider (engine.py), whose compiled parts this reads."""
    plan: CampaignPlan = engine._plan
    tally: CampaignTally = d.hist.tally
    local = d.ctx.local
    if best is not None:
        rule, creative = best
        floor, normal = rule.priority, plan.campaign_of(rule.id, creative)
    else:
        slot = d.next_in_loop()
        if slot is None:
            return None  # nothing eligible: a campaign's play neither
        creative = engine._loop[slot]
        floor, normal = None, plan.campaign_of(None, creative)
    wait = engine._duration[creative]
    naive = _naive(local)
    h0 = naive.replace(minute=0, second=0, microsecond=0)
    chosen = None
    for cid in plan.paced:
        if cid == normal:
            continue  # what plays next is the campaign's anyway
        f = plan.campaigns[cid].flight_at(naive)
        if f is None or not f.min_per_hour:
            continue
        hour, day = tally.in_hour(cid, local), tally.in_day(cid, local)
        o = owed(f, hour, day, naive, h0, wait)
        if o is None or o.behind(engine._scan_campaign[cid].longest, wait) is None or not d.campaign_live(cid):
            continue  # owes nothing, or not behind even with its longest creative
        cand = _candidate(engine, d, cid, seed)
        if cand is None or (floor is not None and cand[3] < floor):
            continue
        slack = o.behind(engine._duration[cand[0]], wait)
        if slack is not None and (chosen is None or slack < chosen[0]):
            chosen = (slack, cid, cand, hour, o.goal)
    if chosen is None:
        return None
    _, cid, (creative, c, slot, _p), hour, goal = chosen
    return creative, c.rule if c is not None else None, slot, \
        f"campaign {cid} behind its pace ({hour} of {goal} plays this hour)"
