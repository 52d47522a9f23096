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
from signage.playlist.voice import Firing

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


# --------------------------------------------------------------------------- the engine's part


@dataclass(frozen=True, slots=True)
class CampaignScan:
    """What can play a campaign: its rules (the engine's scan rows), its loop slots, and
    the longest of its creatives."""

    rows: list
    slots: tuple[int, ...]
    longest: float
    rules: frozenset[str] = frozenset()  # the ids of those rules


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
        out[cid] = CampaignScan(rows_of(mine, always), slots, max(lengths, default=0.0), frozenset(c.id for c in mine))
    return out


def owners(scans: dict[str, CampaignScan]) -> dict[str, tuple[str, ...]]:
    """Rule id -> the paced campaigns it may bill to (a rule without a campaign_id, to each of its
    creatives' campaigns)."""
    out: dict[str, tuple[str, ...]] = {}
    for cid, scan in scans.items():
        for rid in scan.rules:
            out[rid] = out.get(rid, ()) + (cid,)
    return out


def _among_best(engine, d, cid: str) -> Firing | None:
    """The campaign's rules that fire at the priority of the engine's own choice, as its scan
    would find them (the same rules, creatives and order), taken from the engine's scan; None
    when none of its rules fired there.

    The engine's scan looked at every rule of that priority and above, so a campaign's scan
    finds its rules there or lower. Its rules are never in a weighed-by-class block (voice.rows),
    so they are among the Firing's loose ones, in scan order."""
    f = d.main
    if f is None or not f.rules:
        return None
    by = d.lines
    if by is None:
        by = d.lines = {}
        owner, rules = engine._scan_owner, f.rules
        for p in f.loose:
            for k in owner.get(rules[p].id, ()):
                by.setdefault(k, []).append(p)
    ps = by.get(cid)
    if not ps:
        return None
    sub = Firing(tally=f.tally, unit=f.unit)
    for p in ps:
        sub.rules.append(f.rules[p])
        sub.creatives.append(f.creatives[p])
        sub.weights.append(f.weights[p])
        sub.ranks.append(f.ranks[p])
    sub.loose = list(range(len(ps)))
    return sub


def _candidate(engine, d, cid: str, seed: int, floor: int | None = None):
    """The campaign's next play now: (creative, compiled rule or None, loop slot or None,
    the priority it plays at): its rules that fire first (share of voice among them), else
    the eligible loop item it played least recently (at priority 0).

    ``floor``: the priority of the engine's own choice (d.main). Its rules that fire there are
    taken from the engine's scan (_among_best); above 0, None when none of them does (what
    fires lower, or its loop item, could not beat that choice)."""
    plan, scan = engine._plan, engine._scan_campaign[cid]
    f = _among_best(engine, d, cid) if scan.rows else None
    if floor is not None and floor > 0:  # floor: the priority of the engine's choice, d.main's
        if f is None:
            return None  # its rules fire lower, if at all
        c, creative = d.share(f, seed)
        return (creative, c, None, c.priority) if plan.campaign_of(c.id, creative) == cid else None
    if scan.rows:
        if f is None:
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


def _first_two(t: tuple) -> tuple:
    return t[0], t[1]


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
    if best is not None:
        rule, creative = best
        floor, normal = rule.priority, plan.campaign_of(rule.id, creative)
    else:
        slot = d.next_in_loop()
        if slot is None:
            return None  # nothing eligible: a campaign's play neither
        creative = engine._loop[slot]
        floor, normal = None, plan.campaign_of(None, creative)
    owing = d.campaigns.owing
    if not owing or (len(owing) == 1 and owing[0].cid == normal):
        return None
    wait = engine._duration[creative]
    now_us = micros(naive(d.ctx.local))
    behind = []  # (its least slack: with its longest creative, its place in the plan, Pace, Owed)
    for i, p in enumerate(owing):
        if p.cid == normal or not p.live:
            continue  # what plays next is the campaign's anyway, or it may not play now
        o = p.owed(now_us, wait)
        least = o.behind(engine._scan_campaign[p.cid].longest, wait)
        if least is not None:  # else not behind even with its longest creative
            behind.append((least, i, p, o))
    behind.sort(key=_first_two)
    chosen = None  # the least (slack, place in the plan) so far, then what it plays
    for least, i, p, o in behind:
        if chosen is not None and (least, i) > chosen[:2]:
            break  # neither it nor any after it can have less slack (or as little, earlier in the plan)
        cand = _candidate(engine, d, p.cid, seed, floor)
        if cand is None or (floor is not None and cand[3] < floor):
            continue
        slack = o.behind(engine._duration[cand[0]], wait)
        if slack is not None and (chosen is None or (slack, i) < chosen[:2]):
            chosen = (slack, i, p.cid, cand, p.hour, o.goal)
    if chosen is None:
        return None
    _, _, cid, (creative, c, slot, _p), hour, goal = chosen
    return creative, c.rule if c is not None else None, slot, \
        f"campaign {cid} behind its pace ({hour} of {goal} plays this hour)"
