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
  plays goes next (ties broken by the seeded random generator).
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
"""

from __future__ import annotations

import datetime as dt
import random
import zoneinfo
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

from signage.playlist.history import PlayHistory, PlayRecord
from signage.playlist.rules import Context, Predicate, compile_condition, compile_schedule, describe, in_date_range
from signage.playlist.schema import Playlist, Rule
from signage.values import AudienceSnapshot

HOUR = dt.timedelta(hours=1)

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
    schedule: Predicate
    creatives: tuple[str, ...]


def _compile(r: Rule, index: int, dayparts) -> _Compiled:
    return _Compiled(r, index, r.id, r.priority, r.weight, r.max_per_hour,
                     dt.timedelta(seconds=r.cooldown) if r.cooldown > 0 else None, r.min_play,
                     compile_condition(r.when, dayparts), compile_schedule(r.schedule, dayparts), tuple(r.creatives))


class PlaylistEngine:
    """``zone``: the time zone of a playlist without ``timezone`` (default: the machine's)."""

    def __init__(self, playlist: Playlist, zone: dt.tzinfo | None = None) -> None:
        self.playlist = playlist
        self._tz = zoneinfo.ZoneInfo(playlist.timezone) if playlist.timezone else zone
        dayparts = playlist.dayparts
        self._rules = [_compile(r, i, dayparts) for i, r in enumerate(playlist.rules) if r.enabled]
        # Highest priority first; the file order is kept within a priority.
        self._rules.sort(key=lambda c: (-c.priority, c.index))
        self._interrupting = [c for c in self._rules if c.rule.interrupt]
        self._creative_schedule = {c.id: compile_schedule(c.schedule, dayparts) for c in playlist.creatives}
        self._creative_cap = {c.id: c.max_per_hour for c in playlist.creatives}
        self._priority = {r.id: r.priority for r in playlist.rules}
        self._loop = list(playlist.loop)
        self._recheck = dt.timedelta(seconds=playlist.recheck)
        #: How far back the history matters: hourly caps, and the longest cooldown.
        self.memory = max([HOUR] + [dt.timedelta(seconds=r.cooldown) for r in playlist.rules])
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
        d = _Decider(self, audience, now, hist)

        if playing is not None and now < playing.ends:
            current_priority = self._priority.get(playing.rule) if playing.rule else None
            elapsed = (now - playing.started).total_seconds()
            level: int | None = None
            firing: list[tuple[_Compiled, str]] = []
            for c in self._interrupting:
                if (level is not None and c.priority < level) or \
                        (current_priority is not None and c.priority <= current_priority):
                    break  # sorted by priority: nothing further down can interrupt, or win
                if elapsed < c.min_play:
                    continue
                creative = d.fires(c)
                if creative is not None:
                    level = c.priority
                    firing.append((c, creative))
            if firing:
                c, creative = d.share(firing, seed)
                return self._start("interrupt", creative, c.rule, now)
            check = playing.ends if not self._interrupting else min(playing.ends, now + self._recheck)
            return Decision("continue", playing.creative, playing.rule, "still playing", 0.0, check)

        best = d.best(seed)
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
        duration = self.playlist.duration_of(creative)
        if rule is None:
            reason = "default loop"
        else:
            reason = f"rule {rule.id} (priority {rule.priority}): {describe(rule.when)}"
        end = now + dt.timedelta(seconds=duration)
        check = min(end, now + self._recheck) if self._interrupting else end
        return Decision(action, creative, rule.id if rule else None, reason, duration, check, loop_index)


class _Decider:
    """One decision's view: the context, the history, and which creatives are eligible
    (each looked at once)."""

    __slots__ = ("e", "ctx", "hist", "now", "hour_ago", "_eligible", "_campaign_ok")

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

    def eligible(self, creative: str) -> bool:
        ok = self._eligible.get(creative)
        if ok is None:
            ok = self._campaign_ok and self.e._creative_schedule[creative](self.ctx)
            if ok:
                cap = self.e._creative_cap[creative]
                ok = cap is None or self.hist.creative_plays_since(creative, self.hour_ago) < cap
            self._eligible[creative] = ok
        return ok

    def fires(self, c: _Compiled) -> str | None:
        """The creative the rule would play now, or None when it does not fire. A rule
        fires only when its condition is true (not when it is unknown)."""
        hist = self.hist
        if c.cap is not None and hist.rule_plays_since(c.id, self.hour_ago) >= c.cap:
            return None
        if c.cooldown is not None and hist.rule_resting(c.id, c.cooldown, self.now):
            return None
        if c.schedule(self.ctx) is not True or c.when(self.ctx) is not True:
            return None
        creatives = c.creatives
        if len(creatives) == 1:
            return creatives[0] if self.eligible(creatives[0]) else None
        eligible = [cid for cid in creatives if self.eligible(cid)]
        if len(eligible) <= 1:
            return eligible[0] if eligible else None
        # in turn: the one played least recently (never played first, in the rule's order)
        return min(eligible, key=lambda cid: (hist.creative_last_start(cid) is not None,
                                              hist.creative_last_start(cid) or self.now, creatives.index(cid)))

    def best(self, seed: int) -> tuple[_Compiled, str] | None:
        level: int | None = None
        firing: list[tuple[_Compiled, str]] = []
        for c in self.e._rules:
            if level is not None and c.priority < level:
                break
            creative = self.fires(c)
            if creative is not None:
                level = c.priority
                firing.append((c, creative))
        return self.share(firing, seed) if firing else None

    def share(self, firing: list[tuple[_Compiled, str]], seed: int) -> tuple[_Compiled, str]:
        """Share of voice among rules of one priority: the rule furthest behind its weighted
        share of the last hour's plays (a tie broken by the seeded random generator)."""
        if len(firing) == 1:
            return firing[0]
        counts = [self.hist.rule_plays_since(c.id, self.hour_ago) for c, _ in firing]
        total_w = sum(c.weight for c, _ in firing)
        scale = (sum(counts) + 1) / total_w
        deficits = [n - scale * c.weight for n, (c, _) in zip(counts, firing)]
        lowest = min(deficits)
        tied = [f for f, d in zip(firing, deficits) if d - lowest < 1e-9]
        if len(tied) == 1:
            return tied[0]
        rng = random.Random(f"{seed}:{self.now.isoformat()}")
        return rng.choices(tied, weights=[c.weight for c, _ in tied])[0]

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
