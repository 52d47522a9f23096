"""The playlist engine: pure (playlist, audience, now, play history) -> Decision.

``PlaylistEngine(playlist)`` compiles the playlist once; ``decide`` then has no hidden
state: the same inputs and seed give the same decision. The clock is an argument.

How a decision is made
- A rule *fires* when it is enabled, inside its schedule, its condition holds, it is
  not resting (cooldown since the end of its last play), it is under its hourly cap,
  and at least one of its creatives is eligible.
- A creative is *eligible* when the campaign and its own schedule allow it now and it
  is under its own hourly cap.
- Of the firing rules, the highest priority wins. Among equal priorities, share of
  voice follows the weights: the rule furthest behind its share of the last hour's
  plays goes next (ties broken by the seeded random generator).
- A rule with several creatives plays them in turn (the eligible one played least
  recently).
- When no rule fires, the default loop plays on, in order, skipping ineligible items.
- While something plays, only rules with ``interrupt: true`` and a higher priority
  than what is on screen may cut it short, and only after ``min_play`` seconds.
"""

from __future__ import annotations

import datetime as dt
import random
import zoneinfo
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from signage.playlist.rules import Context, Predicate, compile_condition, compile_schedule, describe, in_date_range
from signage.playlist.schema import Playlist, Rule
from signage.values import AudienceSnapshot

HOUR = dt.timedelta(hours=1)


@dataclass(frozen=True, slots=True)
class PlayRecord:
    """One play in the history: what, why, when. ``end`` is None while it plays."""

    creative: str
    rule: str | None
    start: dt.datetime
    end: dt.datetime | None = None
    loop_index: int | None = None  # the loop slot it played (Decision.loop_index), for loop plays


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
    when: Predicate
    schedule: Predicate


class PlaylistEngine:
    def __init__(self, playlist: Playlist) -> None:
        self.playlist = playlist
        self._tz = zoneinfo.ZoneInfo(playlist.timezone) if playlist.timezone else None
        dayparts = playlist.dayparts
        self._rules = [
            _Compiled(r, i, compile_condition(r.when, dayparts), compile_schedule(r.schedule, dayparts))
            for i, r in enumerate(playlist.rules)
            if r.enabled
        ]
        # Highest priority first; the file order is kept within a priority.
        self._rules.sort(key=lambda c: (-c.rule.priority, c.index))
        self._interrupting = [c for c in self._rules if c.rule.interrupt]
        self._creative_schedule = {c.id: compile_schedule(c.schedule, dayparts) for c in playlist.creatives}
        self._creative_cap = {c.id: c.max_per_hour for c in playlist.creatives}
        self._priority = {r.id: r.priority for r in playlist.rules}
        self._loop = list(playlist.loop)
        # How far back the history matters: hourly caps, and the longest cooldown.
        self._memory = max([HOUR] + [dt.timedelta(seconds=r.cooldown) for r in playlist.rules])

    # ------------------------------------------------------------------ time
    def local_time(self, now: dt.datetime) -> dt.datetime:
        """Wall-clock time at the screen: an aware ``now`` is converted to the playlist's
        zone (or the machine's); a naive ``now`` is taken as local wall-clock time already."""
        if now.tzinfo is None:
            return now
        return now.astimezone(self._tz) if self._tz else now.astimezone()

    # ------------------------------------------------------------------ decision
    def decide(
        self,
        audience: AudienceSnapshot | None,
        now: dt.datetime,
        history: Sequence[PlayRecord] = (),
        playing: NowPlaying | None = None,
        *,
        seed: int = 0,
    ) -> Decision:
        ctx = Context(audience, self.local_time(now))
        stats = _HistoryStats(history, now, self._loop, self._memory)
        recheck = dt.timedelta(seconds=self.playlist.recheck)

        if playing is not None and now < playing.ends:
            current_priority = self._priority.get(playing.rule) if playing.rule else None
            elapsed = (now - playing.started).total_seconds()
            for c in self._interrupting:
                if current_priority is not None and c.rule.priority <= current_priority:
                    break  # sorted by priority: nothing further down can interrupt
                if elapsed < c.rule.min_play:
                    continue
                creative = self._fires(c, ctx, stats)
                if creative is not None:
                    return self._start("interrupt", creative, c.rule, now, ctx)
            check = playing.ends if not self._interrupting else min(playing.ends, now + recheck)
            return Decision("continue", playing.creative, playing.rule, "still playing", 0.0, check)

        best = self._best_rule(ctx, stats, seed, now)
        if best is not None:
            rule, creative = best
            return self._start("play", creative, rule, now, ctx)
        slot = self._next_in_loop(ctx, stats)
        if slot is not None:
            return self._start("play", self._loop[slot], None, now, ctx, loop_index=slot)
        return Decision("idle", None, None, "nothing is eligible to play now", 0.0, now + recheck)

    # ------------------------------------------------------------------ helpers
    def _start(
        self, action: Action, creative: str, rule: Rule | None, now: dt.datetime, ctx: Context, loop_index: int | None = None
    ) -> Decision:
        duration = self.playlist.duration_of(creative)
        if rule is None:
            reason = "default loop"
        else:
            reason = f"rule {rule.id} (priority {rule.priority}): {describe(rule.when)}"
        end = now + dt.timedelta(seconds=duration)
        check = min(end, now + dt.timedelta(seconds=self.playlist.recheck)) if self._interrupting else end
        return Decision(action, creative, rule.id if rule else None, reason, duration, check, loop_index)

    def _eligible(self, creative: str, ctx: Context, stats: _HistoryStats) -> bool:
        campaign = self.playlist.campaign
        if campaign is not None and not in_date_range(ctx.local.date(), campaign):
            return False
        if not self._creative_schedule[creative](ctx):
            return False
        cap = self._creative_cap[creative]
        return cap is None or stats.creative_hour.get(creative, 0) < cap

    def _fires(self, c: _Compiled, ctx: Context, stats: _HistoryStats) -> str | None:
        """The creative the rule would play now, or None when it does not fire."""
        r = c.rule
        if r.max_per_hour is not None and stats.rule_hour.get(r.id, 0) >= r.max_per_hour:
            return None
        if r.cooldown > 0:
            last = stats.rule_last_end.get(r.id)
            if last is not None and (stats.now - last).total_seconds() < r.cooldown:
                return None
        if not c.schedule(ctx) or not c.when(ctx):
            return None
        eligible = [cid for cid in r.creatives if self._eligible(cid, ctx, stats)]
        if not eligible:
            return None
        if len(eligible) == 1:
            return eligible[0]
        # in turn: the one played least recently (never played first, in the rule's order)
        return min(eligible, key=lambda cid: (stats.creative_last_start.get(cid, _EPOCH), r.creatives.index(cid)))

    def _best_rule(self, ctx: Context, stats: _HistoryStats, seed: int, now: dt.datetime) -> tuple[Rule, str] | None:
        level: int | None = None
        firing: list[tuple[Rule, str]] = []
        for c in self._rules:
            if level is not None and c.rule.priority < level:
                break
            creative = self._fires(c, ctx, stats)
            if creative is not None:
                level = c.rule.priority
                firing.append((c.rule, creative))
        if not firing:
            return None
        if len(firing) == 1:
            return firing[0]
        # Share of voice: the rule furthest behind its weighted share of the last hour's plays.
        total_w = sum(r.weight for r, _ in firing)
        total_plays = sum(stats.rule_hour.get(r.id, 0) for r, _ in firing) + 1
        def deficit(item: tuple[Rule, str]) -> float:
            r = item[0]
            return stats.rule_hour.get(r.id, 0) - total_plays * r.weight / total_w
        lowest = min(deficit(f) for f in firing)
        tied = [f for f in firing if deficit(f) - lowest < 1e-9]
        if len(tied) == 1:
            return tied[0]
        rng = random.Random(f"{seed}:{now.isoformat()}")
        return rng.choices(tied, weights=[r.weight for r, _ in tied])[0]

    def _next_in_loop(self, ctx: Context, stats: _HistoryStats) -> int | None:
        """The loop slot to play next: after the last one played, skipping ineligible ones."""
        n = len(self._loop)
        start = 0 if stats.last_loop_index is None else stats.last_loop_index + 1
        for k in range(n):
            slot = (start + k) % n
            if self._eligible(self._loop[slot], ctx, stats):
                return slot
        return None


_EPOCH = dt.datetime.min


class _HistoryStats:
    """One backwards pass over the recent history: per-rule and per-creative counts in the
    last hour, last end of each rule, last start of each creative, and the loop's position.
    Records older than ``memory`` (the hour, or the longest cooldown) are not read, beyond
    finding the last loop play."""

    __slots__ = ("now", "rule_hour", "rule_last_end", "creative_hour", "creative_last_start", "last_loop_index")

    def __init__(self, history: Sequence[PlayRecord], now: dt.datetime, loop: list[str], memory: dt.timedelta) -> None:
        self.now = now
        self.rule_hour: dict[str, int] = {}
        self.rule_last_end: dict[str, dt.datetime] = {}
        self.creative_hour: dict[str, int] = {}
        self.creative_last_start: dict[str, dt.datetime] = {}
        self.last_loop_index: int | None = None
        hour_ago = now - HOUR
        horizon = now - memory
        loop_found = False
        for p in reversed(history):
            old = p.start < horizon
            if old and loop_found:
                break
            if p.rule is None and not loop_found:
                loop_found = True
                if p.loop_index is not None and 0 <= p.loop_index < len(loop) and loop[p.loop_index] == p.creative:
                    self.last_loop_index = p.loop_index
                elif p.creative in loop:
                    self.last_loop_index = loop.index(p.creative)
            if old:
                continue
            recent = p.start > hour_ago
            if p.rule is not None:
                if recent:
                    self.rule_hour[p.rule] = self.rule_hour.get(p.rule, 0) + 1
                if p.rule not in self.rule_last_end:
                    self.rule_last_end[p.rule] = p.end or now
            if recent:
                self.creative_hour[p.creative] = self.creative_hour.get(p.creative, 0) + 1
            if p.creative not in self.creative_last_start:
                self.creative_last_start[p.creative] = p.start
