"""The playlist engine: pure (playlist, audience, now, play history) -> Decision.

``PlaylistEngine(playlist)`` compiles the playlist once; ``decide`` then has no hidden
state: the same inputs and seed give the same decision. The clock is an argument.

How a decision is made
- A rule *fires* when it is enabled, inside its schedule, its condition is true (not
  unknown: with no audience measurement an audience test is unknown, see rules.py), it
  is not resting (cooldown since the end of its last play, however long ago), it is
  under its hourly cap (the last 60 real minutes), and at least one of its creatives is
  eligible.
- A creative is *eligible* when the campaign and its own schedule allow it now and it
  is under its own hourly cap.
- Of the firing rules, the highest priority wins. Among equal priorities, share of
  voice follows the weights: the rule furthest behind its share of the last hour's
  plays goes next (ties broken by the seeded random generator). By screen time instead
  (rules with a ``share``, or every rule with ``share_of_voice: time``): the rule
  furthest behind its share of the last hour's seconds on screen goes next, so creatives
  of different lengths get their part of the time, not of the plays.
- A rule with several creatives plays them in turn (the eligible one played least
  recently).
- When no rule fires, the default loop plays on, in order, skipping ineligible items.
- While something plays, only rules with ``interrupt: true`` and a higher priority
  than what is on screen may cut it short, and only after ``min_play`` seconds; among
  the interrupting rules of the highest priority that fire, share of voice chooses as
  above.

The history is a PlayHistory (history.py) the caller keeps and tells of each play: it
holds per-rule and per-creative counters, so a decision costs the rules it looks at,
not the length of the history.

Declared campaigns (the playlist's ``campaigns:``; campaigns.py): outside its flights or at
its caps a campaign's creatives are not eligible and its rules do not fire (``eligible`` and
the scan read the campaigns' ``State`` of the moment, campaigns.py); at a play decision a
campaign behind the pace of its hourly minimum plays ahead of the loop and of rules of equal
or lower priority (``pacing.pace``, after ``best``). Its counters live in the history (``PlayHistory.tally``, attached by ``decide``).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import zoneinfo
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

from signage.playlist import campaigns, pacing
from signage.playlist.history import PlayHistory, PlayRecord
from signage.playlist.rules import Context, Predicate, compile_condition, compile_schedule, describe, in_date_range
from signage.playlist.schema import Playlist, Rule
from signage.playlist.voice import Firing, Row, choose, rows
from signage.values import AudienceSnapshot

HOUR = dt.timedelta(hours=1)
_SECOND = 1_000_000  # screen time is counted in microseconds (PlayHistory.rule_seconds)

__all__ = ["Decision", "NowPlaying", "PlayHistory", "PlayRecord", "PlaylistEngine"]


@dataclass(frozen=True, slots=True)
class NowPlaying:
    creative: str
    rule: str | None
    started: dt.datetime
    ends: dt.datetime


Action = Literal["play", "interrupt", "continue", "idle"]


@dataclass(frozen=True, slots=True)
class Decision:
    """What to do now.

    - play: start ``creative`` for ``duration`` seconds (the previous one has ended);
    - interrupt: cut what is on screen and start ``creative``;
    - continue: keep playing what is on screen;
    - idle: nothing is eligible (the renderer shows its idle screen).
    ``check_at`` is when to call ``decide`` again at the latest.
    """

    action: Action
    creative: str | None
    rule: str | None
    reason: str
    duration: float
    check_at: dt.datetime
    loop_index: int | None = None  # for a loop play: its slot in the loop (record it in PlayRecord)



@dataclass(slots=True)
class _Compiled:
    rule: Rule
    index: int
    id: str
    priority: int
    weight: float
    cap: int | None
    cooldown: dt.timedelta | None
    min_play: float
    when: Predicate
    schedule: Predicate | None  # None: always
    creatives: tuple[str, ...]
    single: str | None  # the creative of a one-creative rule
    shared: bool = False  # another rule has the very same condition (evaluated once a decision)
    campaign: str | None = None  # the declared campaign the rule bills to (its flights and caps gate it)


def _compile_rules(rules: Sequence[Rule], dayparts) -> list[_Compiled]:
    """Enabled rules compiled; rules with the same condition share one predicate."""
    by_text: dict[str, Predicate] = {}
    out = []
    for i, r in enumerate(rules):
        if not r.enabled:
            continue
        key = r.when.model_dump_json()
        shared = key in by_text
        if not shared:
            by_text[key] = compile_condition(r.when, dayparts)
        creatives = tuple(r.creatives)
        weight = r.share if r.share is not None else r.weight  # a share is a weight of screen time
        out.append(_Compiled(r, i, r.id, r.priority, weight, r.max_per_hour,
                             dt.timedelta(seconds=r.cooldown) if r.cooldown > 0 else None, r.min_play,
                             by_text[key], compile_schedule(r.schedule, dayparts) if r.schedule else None,
                             creatives, creatives[0] if len(creatives) == 1 else None))
    uses: dict[int, int] = {}
    for c in out:
        uses[id(c.when)] = uses.get(id(c.when), 0) + 1
    for c in out:
        c.shared = uses[id(c.when)] > 1
    return out


class PlaylistEngine:
    """``zone``: the time zone of a playlist without ``timezone`` (default: the machine's)."""

    def __init__(self, playlist: Playlist, zone: dt.tzinfo | None = None) -> None:
        self.playlist = playlist
        self._tz = zoneinfo.ZoneInfo(playlist.timezone) if playlist.timezone else zone
        dayparts = playlist.dayparts
        self._rules = _compile_rules(playlist.rules, dayparts)
        # Highest priority first; the file order is kept within a priority.
        self._rules.sort(key=lambda c: (-c.priority, c.index))
        self._interrupting = [c for c in self._rules if c.rule.interrupt]
        self._plan = campaigns.CampaignPlan.of(playlist, self.local_time)  # None: no campaigns declared
        if self._plan is not None:
            for c in self._rules:  # a campaign's rule fires only while its campaign is live (the scan's row)
                c.campaign = self._plan.rule_campaign.get(c.id)
        self._always = frozenset(c.id for c in playlist.creatives if c.schedule is None and c.max_per_hour is None
                                 and (self._plan is None or c.id not in self._plan.creative_campaign))
        self._scan_all = rows(self._rules, self._always)
        self._scan_interrupting = rows(self._interrupting, self._always)
        self._creative_schedule = {c.id: compile_schedule(c.schedule, dayparts) for c in playlist.creatives}
        self._creative_cap = {c.id: c.max_per_hour for c in playlist.creatives}
        self._duration = {c.id: playlist.duration_of(c.id) for c in playlist.creatives}
        self._priority = {r.id: r.priority for r in playlist.rules}
        #: the priorities whose rules share the screen by screen time rather than plays
        self._by_time = frozenset(r.priority for r in playlist.rules
                                  if playlist.share_of_voice == "time" or r.share is not None)
        self._loop = list(playlist.loop)
        self._recheck = dt.timedelta(seconds=playlist.recheck)
        self._scan_campaign = pacing.scans(self._plan, self._rules, self._always, rows, self._loop,
                                              self._duration) if self._plan else {}
        self._scan_owner = pacing.owners(self._scan_campaign)
        self._reasons: dict[str, str] = {}
        #: How far back the history matters: hourly caps, and the longest cooldown.
        self.memory = max([HOUR] + [dt.timedelta(seconds=r.cooldown) for r in playlist.rules])
        if self._plan is not None and self._plan.daily_caps:
            self.memory = max(self.memory, campaigns.DAY)  # a daily cap reads back to local midnight
        self._longest = dt.timedelta(seconds=max(playlist.duration_of(c.id) for c in playlist.creatives))

    # ------------------------------------------------------------------ time
    @property
    def zone(self) -> dt.tzinfo | None:
        return self._tz

    def local_time(self, now: dt.datetime) -> dt.datetime:
        """Wall-clock time at the screen: an aware ``now`` is converted to the playlist's
        zone (or the machine's); a naive ``now`` is taken as local wall-clock time already."""
        if now.tzinfo is None:
            return now
        return now.astimezone(self._tz) if self._tz else now.astimezone()

    def new_history(self, records: Iterable[PlayRecord] = ()) -> PlayHistory:
        """A history for this playlist (kept ``memory`` back), seeded with earlier plays
        (in start order: from proof of play at start, say)."""
        return PlayHistory.of(records, self.memory)

    # ------------------------------------------------------------------ decision
    def decide(
        self,
        audience: AudienceSnapshot | None,
        now: dt.datetime,
        history: PlayHistory | Sequence[PlayRecord] = (),
        playing: NowPlaying | None = None,
        *,
        seed: int = 0,
    ) -> Decision:
        """``now``: an instant (aware; the player's are UTC) or naive wall-clock time.
        ``history``: a PlayHistory kept by the caller (cheap), or a list of records (read
        whole at each call: for tests)."""
        hist = history if isinstance(history, PlayHistory) else self._history_of(history, now)
        if self._plan is not None and (hist.tally is None or hist.tally.plan is not self._plan):
            hist.attach(campaigns.CampaignTally(self._plan))  # the campaigns' counters, from the records kept
        d = _Decider(self, audience, now, hist)

        if playing is not None and now < playing.ends:
            current_priority = self._priority.get(playing.rule) if playing.rule else None
            elapsed = (now - playing.started).total_seconds()
            f = d.firing(self._scan_interrupting, current_priority, elapsed)
            if f.rules:
                c, creative = d.share(f, seed)
                return self._start("interrupt", creative, c.rule, now)
            check = playing.ends if not self._interrupting else min(playing.ends, now + self._recheck)
            return Decision("continue", playing.creative, playing.rule, "still playing", 0.0, check)

        best = d.best(seed)
        if self._plan is not None and self._plan.paced:
            paced = pacing.pace(self, d, best, seed)
            if paced is not None:
                creative, rule, slot, why = paced
                decision = self._start("play", creative, rule, now, loop_index=slot)
                return dataclasses.replace(decision, reason=f"{why}: {decision.reason}")
        if best is not None:
            c, creative = best
            return self._start("play", creative, c.rule, now)
        slot = d.next_in_loop()
        if slot is not None:
            return self._start("play", self._loop[slot], None, now, loop_index=slot)
        return Decision("idle", None, None, "nothing is eligible to play now", 0.0, now + self._recheck)

    def _history_of(self, records: Sequence[PlayRecord], now: dt.datetime) -> PlayHistory:
        """A PlayHistory of the records that matter at ``now`` (``memory`` back, and the
        last loop play before that)."""
        horizon = now - self.memory - self._longest  # a play that ended within memory started by then
        i = len(records)
        while i > 0 and records[i - 1].start >= horizon:
            i -= 1
        recent = list(records[i:])
        if not any(r.rule is None for r in recent):
            loop = next((r for r in reversed(records[:i]) if r.rule is None), None)
            if loop is not None:
                recent.insert(0, loop)
        return PlayHistory.of(recent, self.memory)

    def _start(self, action: Action, creative: str, rule: Rule | None, now: dt.datetime,
               loop_index: int | None = None) -> Decision:
        duration = self._duration[creative]
        if rule is None:
            reason = "default loop"
        else:
            reason = self._reasons.get(rule.id)
            if reason is None:
                reason = self._reasons[rule.id] = f"rule {rule.id} (priority {rule.priority}): {describe(rule.when)}"
        end = now + dt.timedelta(seconds=duration)
        check = min(end, now + self._recheck) if self._interrupting else end
        return Decision(action, creative, rule.id if rule else None, reason, duration, check, loop_index)


class _Decider:
    """One decision's view: the context, the history, and which creatives are eligible
    (each looked at once)."""

    __slots__ = ("e", "ctx", "hist", "now", "hour_ago", "_eligible", "_campaign_ok", "campaigns", "_dead", "main",
                 "lines")

    def __init__(self, engine: PlaylistEngine, audience: AudienceSnapshot | None, now: dt.datetime,
                 hist: PlayHistory) -> None:
        self.e = engine
        self.ctx = Context(audience, engine.local_time(now))
        self.hist = hist
        self.now = now
        self.hour_ago = now - HOUR
        self._eligible: dict[str, bool] = {}
        campaign = engine.playlist.campaign
        self._campaign_ok = campaign is None or in_date_range(self.ctx.local.date(), campaign)
        #: the declared campaigns' state now (campaigns.State: which are dead, which owe plays), kept by
        #: the history's tally while it holds; None without declared campaigns
        self.campaigns = hist.tally.state(campaigns.naive(self.ctx.local)) if engine._plan is not None else None
        self._dead = self.campaigns.dead if self.campaigns is not None else frozenset()
        self.main: Firing | None = None  # the rules that fire in the engine's own choice (best)
        self.lines: dict[str, list[int]] | None = None  # paced campaign -> its rules' offsets in main

    def eligible(self, creative: str) -> bool:
        ok = self._eligible.get(creative)
        if ok is None:
            ok = self._campaign_ok and self.e._creative_schedule[creative](self.ctx)
            if ok:
                cap = self.e._creative_cap[creative]
                ok = cap is None or self.hist.creative_plays_since(creative, self.hour_ago) < cap
            if ok and self._dead and self.e._plan.creative_campaign.get(creative) in self._dead:
                ok = False
            self._eligible[creative] = ok
        return ok

    def firing(self, rows: list[Row], above: int | None = None,
               elapsed: float | None = None) -> Firing:
        """The rules of the highest priority that fire now, and the creative each would
        play (``rows`` sorted by priority). ``above``: only priorities above it; ``elapsed``:
        only rules whose min_play it has passed (interrupting).

        A rule fires only when its condition is true (not when it is unknown). One loop
        over plain tuples, no call but the predicates: it runs over every rule at each
        decision (1,000 equal-priority rules that all fire are the costly case)."""
        ctx, now, hour_ago = self.ctx, self.now, self.hour_ago
        plays, ends = self.hist.rule_counts(hour_ago), self.hist.rule_ends  # plays: rule -> plays in the last hour
        always = self.e._always if self._campaign_ok else frozenset()
        dead = self._dead
        memo: dict[Predicate, bool | None] = {}
        level: int | None = None
        f = Firing()  # parallel lists, not a list of tuples: no object made per rule
        for p, rid, cap, cooldown, min_play, schedule, when, shared, creative, c, block, camp in rows:
            if (level is not None and p < level) or (above is not None and p <= above):
                break  # sorted by priority: nothing further down can win
            if elapsed is not None and elapsed < min_play:
                continue
            if block is not None:
                v = memo[when] if when in memo else memo.setdefault(when, when(ctx))
                if v is not True or not self._campaign_ok or (camp is not None and camp in dead):
                    continue
                level = p
                f.add_block(block)
                continue
            if cap is not None and plays.get(rid, 0) >= cap:
                continue
            if cooldown is not None and rid in ends:
                end = ends[rid]
                if end is None or now - end < cooldown:  # None: still on screen
                    continue
            if schedule is not None and schedule(ctx) is not True:
                continue
            if shared:
                v = memo[when] if when in memo else memo.setdefault(when, when(ctx))
            else:
                v = when(ctx)
            if v is not True or (camp is not None and camp in dead):
                continue
            if creative is not None:
                if creative not in always and not self.eligible(creative):
                    continue
            else:
                creative = self._in_turn(c)
                if creative is None:
                    continue
            level = p
            f.add(c, creative)
        if level in self.e._by_time:  # share of voice by screen time: microseconds in the last hour
            f.tally, f.unit = self.hist.rule_seconds(hour_ago, now), _SECOND
        else:
            f.tally = plays
        return f

    def _in_turn(self, c: _Compiled) -> str | None:
        """Of a rule's eligible creatives, the one played least recently (never played
        first, in the rule's order; equal times, the first in the rule's order)."""
        last = self.hist.creative_last_start
        pick, pick_t = None, None
        for cid in c.creatives:
            if not self.eligible(cid):
                continue
            t = last(cid)
            if t is None:
                return cid
            if pick is None or t < pick_t:
                pick, pick_t = cid, t
        return pick

    def campaign_live(self, cid: str) -> bool:
        """Is the declared campaign in a flight now, and under its daily and hourly caps?"""
        return cid not in self._dead

    def best(self, seed: int) -> tuple[_Compiled, str] | None:
        f = self.main = self.firing(self.e._scan_all)
        return self.share(f, seed) if f.rules else None

    def share(self, f: Firing, seed: int) -> tuple[_Compiled, str]:
        """Share of voice among the rules of one priority (voice.py): the rule furthest behind
        its weighted share of the last hour's plays, or screen time."""
        i = choose(f, seed, self.now)
        return f.rules[i], f.creatives[i]

    def next_in_loop(self) -> int | None:
        """The loop slot to play next: after the last one played, skipping ineligible ones."""
        loop = self.e._loop
        n = len(loop)
        last = self.hist.last_loop
        start = 0
        if last is not None:
            if last.loop_index is not None and 0 <= last.loop_index < n and loop[last.loop_index] == last.creative:
                start = last.loop_index + 1
            elif last.creative in loop:
                start = loop.index(last.creative) + 1
        for k in range(n):
            slot = (start + k) % n
            if self.eligible(loop[slot]):
                return slot
        return None
