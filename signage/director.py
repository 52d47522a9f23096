"""The player's decisions in real time: when to ask the engine, what to tell the screen,
what to record as proof of play.

``Director`` keeps the play history and the creative on screen; ``step(now, audience)``
asks the engine when a decision is due (at the engine's ``check_at``, when a play ends,
when the playlist changes) and returns what the screen must do, if anything. It touches
no device: the screen, the analytics and the clock are the caller's (``app.py``), so the
whole player logic runs in tests on a simulated clock.

Times are aware datetimes (UTC); the engine reads them in the playlist's time zone.
``seed`` gives it the plays of before a restart (from proof of play), so that caps and
cooldowns go on where they were.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Literal, Protocol

from signage.playlist.engine import Decision, NowPlaying, PlayHistory, PlaylistEngine, PlayRecord
from signage.playlist.loader import LoadedPlaylist
from signage.values import AudienceSnapshot, CreativeSpec

log = logging.getLogger(__name__)

Outcome = Literal["completed", "interrupted", "skipped", "error"]


class PastPlay(Protocol):
    """A play on record (signage.analytics.history.PastPlay): epoch seconds, UTC."""

    creative_id: str
    rule_id: str | None
    start_ts: float
    end_ts: float


@dataclass(frozen=True, slots=True)
class Play:
    """One play, as proof of play: what, why, when, and how it ended."""

    id: int
    creative: str
    rule: str | None
    reason: str
    start: dt.datetime
    planned_s: float
    playlist: str
    playlist_digest: str
    end: dt.datetime | None = None
    outcome: Outcome | None = None


@dataclass(frozen=True, slots=True)
class Show:
    """Tell the screen to switch to ``spec`` (prepared in advance when it could be)."""

    spec: CreativeSpec
    play: Play


@dataclass(frozen=True, slots=True)
class Idle:
    """Nothing is eligible: the screen shows its idle slide."""

    reason: str


Order = Show | Idle


@dataclass
class DirectorStats:
    decisions: int = 0
    plays: int = 0
    errors: int = 0
    last_reason: str = ""
    last_decision_at: dt.datetime | None = None


@dataclass
class _Listeners:
    started: list[Callable[[Play], None]] = field(default_factory=list)
    ended: list[Callable[[Play], None]] = field(default_factory=list)


class Director:
    """Decides what plays, in real time, from the engine's decisions."""

    def __init__(self, loaded: LoadedPlaylist, *, seed: int = 0, preload_s: float = 1.5,
                 retry_after_error_s: float = 1.0) -> None:
        self._seed = seed
        self._preload = dt.timedelta(seconds=preload_s)
        self._retry = dt.timedelta(seconds=retry_after_error_s)
        self._ids = itertools.count(1)
        self.history = PlayHistory()
        self.current: Play | None = None
        self._playing: NowPlaying | None = None
        self._next_check: dt.datetime | None = None
        self._preloaded_for: dt.datetime | None = None
        self._idle_reason: str | None = None
        self._cut_short = False  # the play on screen was cut short by a new playlist (set_playlist)
        self.stats = DirectorStats()
        self.listeners = _Listeners()
        self._set(loaded)

    # ------------------------------------------------------------------ playlist
    @property
    def loaded(self) -> LoadedPlaylist:
        return self._loaded

    def _set(self, loaded: LoadedPlaylist) -> None:
        self._loaded = loaded
        self._engine = PlaylistEngine(loaded.playlist)
        self.history.memory = max(self._engine.memory, self.history.memory)

    @property
    def memory_s(self) -> float:
        """How far back the plays matter to the playlist: the hour, or its longest cooldown."""
        return self._engine.memory.total_seconds()

    def seed(self, plays: Iterable[PastPlay]) -> int:
        """Take earlier plays (oldest first, epoch seconds, as read back from proof of play)
        into the history, before the first decision; returns how many."""
        n = 0
        for p in plays:
            start = dt.datetime.fromtimestamp(p.start_ts, dt.timezone.utc)
            end = dt.datetime.fromtimestamp(max(p.end_ts, p.start_ts), dt.timezone.utc)
            self.history.start(PlayRecord(p.creative_id, p.rule_id, start, end))
            n += 1
        if n:
            log.info("history: %d earlier plays taken into account (caps and cooldowns go on)", n)
        return n

    def set_playlist(self, loaded: LoadedPlaylist) -> None:
        """A new playlist: what plays goes on (unless the new one has no such creative);
        the next decision is taken at once, so an interrupting rule may apply."""
        self._set(loaded)
        ids = {c.id for c in loaded.playlist.creatives}
        if self._playing is not None and self._playing.creative not in ids:
            self._playing = NowPlaying(self._playing.creative, None, self._playing.started, self._playing.started)
            self._cut_short = True  # it ends at the next decision: cut short, not completed
        elif self._playing is not None and self._playing.rule is not None and \
                self._playing.rule not in {r.id for r in loaded.playlist.rules}:
            self._playing = NowPlaying(self._playing.creative, None, self._playing.started, self._playing.ends)
        self._next_check = None
        self._preloaded_for = None

    # ------------------------------------------------------------------ the loop
    def step(self, now: dt.datetime, audience: AudienceSnapshot | None) -> Order | None:
        """Call often (every frame is fine); returns an order when the screen must change."""
        if self._next_check is not None and now < self._next_check:
            return None
        d = self._engine.decide(audience, now, self.history, self._playing, seed=self._seed)
        self.stats.decisions += 1
        self.stats.last_decision_at = now
        self._next_check = d.check_at
        if d.action == "continue":
            return None
        if d.action == "idle":
            self._end_current(now, self._ending("completed"))
            self._playing = None
            if self._idle_reason == d.reason:
                return None  # already idle for this reason
            log.info("idle: %s", d.reason)
            self._idle_reason = d.reason
            self.stats.last_reason = d.reason
            return Idle(d.reason)
        return self._start(d, now)

    def upcoming(self, now: dt.datetime, audience: AudienceSnapshot | None) -> CreativeSpec | None:
        """What will most likely play next, once, ``preload_s`` before the current play ends
        (so the screen can prepare it); None otherwise."""
        p = self._playing
        if p is None or now < p.ends - self._preload or self._preloaded_for == p.ends:
            return None
        self._preloaded_for = p.ends
        # the play on screen has not ended in the history: at p.ends it reads as just ended
        d = self._engine.decide(audience, p.ends, self.history, None, seed=self._seed)
        return self._loaded.spec(d.creative) if d.creative and d.action in ("play", "interrupt") else None

    def failed(self, creative: str, reason: str, now: dt.datetime) -> None:
        """The screen could not show ``creative``: it is recorded as an error (so the loop
        moves on and a rule's cooldown applies) and the next decision comes soon."""
        self.stats.errors += 1
        if self.current is not None and self.current.creative == creative:
            log.warning("%s could not be shown (%s): skipped", creative, reason)
            self._end_current(now, "error")
            self._playing = None
            self._next_check = now + self._retry

    def stop(self, now: dt.datetime) -> None:
        """The player stops: the play on screen ends as interrupted."""
        self._end_current(now, "interrupted")
        self._playing = None

    # ------------------------------------------------------------------ internals
    def _start(self, d: Decision, now: dt.datetime) -> Show:
        self._end_current(now, "interrupted" if d.action == "interrupt" else self._ending("completed"))
        self._idle_reason = None
        assert d.creative is not None
        spec = self._loaded.spec(d.creative)
        play = Play(id=next(self._ids), creative=d.creative, rule=d.rule, reason=d.reason, start=now,
                    planned_s=d.duration, playlist=self._loaded.playlist.name, playlist_digest=self._loaded.digest)
        self.current = play
        self._playing = NowPlaying(d.creative, d.rule, now, now + dt.timedelta(seconds=d.duration))
        self.history.start(PlayRecord(d.creative, d.rule, now, None, d.loop_index))
        self.stats.plays += 1
        self.stats.last_reason = d.reason
        verb = "interrupting with" if d.action == "interrupt" else "playing"
        log.info("%s %s for %.0f s: %s", verb, d.creative, d.duration, d.reason)
        for f in self.listeners.started:
            f(play)
        return Show(spec, play)

    def _ending(self, outcome: Outcome) -> Outcome:
        """``outcome``, unless a new playlist without it cut the play on screen short."""
        cut, self._cut_short = self._cut_short, False
        return "interrupted" if cut else outcome

    def _end_current(self, now: dt.datetime, outcome: Outcome) -> None:
        self._cut_short = False
        play = self.current
        if play is None:
            return
        self.current = None
        self.history.end(now)
        ended = dataclasses.replace(play, end=now, outcome=outcome)
        for f in self.listeners.ended:
            f(ended)
