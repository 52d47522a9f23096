"""Play a playlist against a scripted audience on a simulated clock.

(The scenario format and its checks live in scenario.py, the result and its reports in
timeline.py; this module runs the simulation and re-exports both.)

A *scenario* says what the audience in front of the screen looks like over time::

    name: lunch rush
    start: 2026-11-23T11:45          # optional; naive = wall-clock time at the screen (one
                                     # in a skipped hour moves forward by the gap)
    duration: 2h                     # optional; default: last step's at + hold, else 1h
    repeat: 30m                      # optional: the timeline repeats with this period
    camera: off                      # optional: the whole run without a camera
    timeline:
      - {at: 0s, faces: 0}
      - {at: 10m, faces: 3, watchers: 2, smile_ratio: 0.6}
      - {at: 25m, camera: off}       # the camera fails...
      - {at: 40m, camera: on, faces: 1, hold: 20m}   # ...and comes back

Each step describes the whole audience from its ``at`` until the next step (values are
piecewise constant); the fields are the AudienceSnapshot's, and the ones not given take
defaults: 0 (``trend``: steady), except ``measured`` = faces, ``attention_ratio`` =
watchers / faces, ``watchers`` = attention_ratio x faces when only the ratio is given,
and ``passers_by`` = faces. The camera's state carries from step to step until a step
changes it. Before the first step nobody is there.

``simulate`` then runs the engine the way the player does, but on an event-driven clock:
it asks for a decision at the start, at every ``check_at`` the engine gives, at every
change of the scenario, and when the creative on screen ends, so hours of simulated time
take a fraction of a second. The result is a timeline of plays (and idle gaps) and a
summary: plays, screen time and share per creative, firings per rule, rules that never
fired.

The simulated clock runs in real time (UTC instants, like the player's); the engine reads
each instant in the playlist's ``timezone`` (UTC for a playlist without one: the simulator
cannot know the kiosk's zone), so a daylight-saving change inside the run is what it is on
the screen: a skipped hour has no plays, a repeated hour plays twice, and hourly caps count
the last 60 real minutes. Results hold UTC instants; ``SimulationResult.local`` gives the
wall-clock time at the screen, and the reports print local times with their UTC offset.
"""

from __future__ import annotations

import datetime as dt
import math
import zoneinfo
from collections.abc import Callable, Mapping
from typing import Any

from signage.playlist import limits
from signage.playlist.delivery import delivery
from signage.playlist.engine import NowPlaying, PlaylistEngine, PlayRecord
from signage.playlist.rules import Context, Predicate, compile_condition
from signage.playlist.scenario import Scenario, ScenarioError, Step, _Audience, load_scenario, parse_scenario
from signage.playlist.schema import Condition, Playlist, parse_duration
from signage.playlist.timeline import (
    ENDED_COMPLETED,
    ENDED_CUT,
    ENDED_INTERRUPTED,
    ENDED_RESTART,
    UTC,
    AudienceChange,
    SimulationResult,
    Summary,
    TimelineEntry,
    format_report,
    report_json,
    summarize,
)
from signage.values import AudienceSnapshot

__all__ = [
    "ENDED_COMPLETED",
    "ENDED_CUT",
    "ENDED_INTERRUPTED",
    "ENDED_RESTART",
    "AudienceChange",
    "Scenario",
    "ScenarioError",
    "SimulationResult",
    "Step",
    "Summary",
    "TimelineEntry",
    "format_report",
    "load_scenario",
    "parse_scenario",
    "report_json",
    "simulate",
    "summarize",
]

MAX_DURATION = dt.timedelta(days=31)


# --------------------------------------------------------------------------- the simulation


def wall_instant(local: dt.datetime, tz: dt.tzinfo) -> dt.datetime:
    """A naive wall-clock time in ``tz`` as an instant (aware, UTC). A time that does not
    exist (inside the hour skipped when the clocks go forward) moves forward by the gap:
    02:30 on 29 March 2026 in Paris is 03:30+02:00. A time that occurs twice (the repeated
    autumn hour) is its first occurrence, unless ``local.fold`` is 1."""
    first = local.replace(tzinfo=tz, fold=0)
    second = local.replace(tzinfo=tz, fold=1)
    at = second if local.fold else first
    if at.astimezone(UTC).astimezone(tz).replace(tzinfo=None, fold=0) != local.replace(fold=0):
        # in a gap: read with the offset from before it (fold=0's), which lands after it
        at = first
    return at.astimezone(UTC)


def _parse_start(start: str | dt.datetime | None, scenario: Scenario, tz: dt.tzinfo) -> dt.datetime:
    """The start as an instant (aware, UTC). Naive: wall-clock time in ``tz`` (see
    ``wall_instant``: a time in a skipped hour moves forward by the gap)."""
    if start is None:
        start = scenario.start
    if start is None:
        now = dt.datetime.now(tz)
        base = now.replace(minute=0, second=0, microsecond=0)
        start = base if base == now else (base + dt.timedelta(hours=1)).replace(tzinfo=None)
    if isinstance(start, str):
        try:
            start = dt.datetime.fromisoformat(start.strip())
        except ValueError:
            raise ValueError(f"start {start!r} is not an ISO date and time (write 2026-11-23T10:00)") from None
    elif isinstance(start, dt.date) and not isinstance(start, dt.datetime):
        start = dt.datetime.combine(start, dt.time())
    if not isinstance(start, dt.datetime):
        raise ValueError(f"start {start!r} is not a date and time")
    if not limits.MIN_YEAR <= start.year < limits.MAX_YEAR:
        raise ValueError(f"start {start.isoformat(timespec='minutes')} is outside the years "
                         f"{limits.MIN_YEAR} to {limits.MAX_YEAR - 1} a simulation may cover")
    if start.tzinfo is None:
        return wall_instant(start, tz)
    return start.astimezone(UTC)


def _parse_length(duration: str | float | None, scenario: Scenario) -> float:
    if duration is None:
        return scenario.default_duration()
    try:
        seconds = parse_duration(duration)
    except ValueError as exc:
        raise ValueError(f"duration: {exc}") from None
    if seconds <= 0:
        raise ValueError("duration: must be more than 0 s")
    return seconds


def _uses_time(c: Condition) -> bool:
    if c.time is not None or c.days is not None or c.dates is not None or c.daypart:
        return True
    subs = (c.all or []) + (c.any or []) + ([c.not_] if c.not_ is not None else [])
    return any(_uses_time(s) for s in subs)


def _audience_part(c: Condition) -> Condition:
    """A condition that holds whenever ``c`` does and reads the audience only: ``c``'s
    tests with the time parts dropped (an ``any`` or ``not`` that reads the time is dropped
    whole; ``all`` is a conjunction, so its parts are kept the same way)."""
    return c.model_copy(update={
        "time": None, "days": None, "dates": None, "daypart": None,
        "all": [_audience_part(sub) for sub in c.all] if c.all else None,
        "any": c.any if c.any and not any(_uses_time(sub) for sub in c.any) else None,
        "not_": c.not_ if c.not_ is not None and not _uses_time(c.not_) else None,
    })


class _Interrupters:
    """Tells when the engine's re-checks while a creative plays can be skipped, because
    each of them would answer 'continue' (the timeline is the same as with every
    re-check; ``simulate(..., exact=True)`` does them all and the tests compare).

    Only a rule with ``interrupt: true`` and a higher priority than what is on screen may
    cut it, only while its condition holds, and only once the creative has played the
    rule's ``min_play``. The audience part of a condition (its tests with the time parts
    dropped) is constant until the next scenario step; while it is false, the condition
    is false whatever the time."""

    def __init__(self, playlist: Playlist) -> None:
        self.rules: list[tuple[int, float, Predicate]] = [
            (r.priority, r.min_play, compile_condition(_audience_part(r.when), playlist.dayparts))
            for r in playlist.rules
            if r.enabled and r.interrupt
        ]
        self.priority = {r.id: r.priority for r in playlist.rules}
        self.recheck = dt.timedelta(seconds=playlist.recheck)

    def next_check(self, playing: NowPlaying, audience: AudienceSnapshot | None, now: dt.datetime) -> dt.datetime:
        """The first re-check (at the engine's cadence, now + k x recheck) at which a rule
        could cut what is on screen, or when it ends; the next audience change is the
        caller's to take into account."""
        current = self.priority.get(playing.rule) if playing.rule is not None else None
        ctx = Context(audience, now)
        earliest = playing.ends
        for priority, min_play, audience_part in self.rules:
            if current is not None and priority <= current:
                continue
            if audience_part(ctx):
                earliest = min(earliest, playing.started + dt.timedelta(seconds=min_play))
        if earliest <= now or not self.recheck:
            return now
        if earliest >= playing.ends:
            return playing.ends
        k = -(-(earliest - now) // self.recheck)  # ceil: the first tick at or after earliest
        return min(now + k * self.recheck, playing.ends)


def on_record(entries: list[TimelineEntry], now: dt.datetime, memory: dt.timedelta) -> list[PlayRecord]:
    """The history a player starting at ``now`` rebuilds from its proof of play: the plays
    that ended in the last ``memory`` (at least an hour) and, before them, the last loop play
    (where the loop was), without loop slots, as analytics.history.recent_plays reads them
    and Director.seed takes them."""
    since = now - max(memory, dt.timedelta(hours=1))
    plays = [e for e in entries if not e.idle and e.start <= now]
    recent = [PlayRecord(e.creative, e.rule, e.start, e.end) for e in plays if e.end >= since]  # type: ignore[arg-type]
    if not any(r.rule is None for r in recent):
        loop = next((e for e in reversed(plays) if e.rule is None), None)
        if loop is not None:
            recent.insert(0, PlayRecord(loop.creative, None, loop.start, loop.end))  # type: ignore[arg-type]
    recent.sort(key=lambda r: (r.start, r.end))
    return recent


def simulate(
    playlist: Playlist,
    scenario: Scenario | Mapping[str, Any],
    *,
    start: str | dt.datetime | None = None,
    duration: str | float | None = None,
    seed: int = 0,
    exact: bool = False,
    progress: Callable[[float], None] | None = None,
) -> SimulationResult:
    """Run ``playlist`` against ``scenario`` on a simulated clock.

    ``start``: ISO text or datetime (default: the scenario's, else the next full hour);
    naive = wall-clock time at the screen, an aware time is converted to the playlist's
    zone. ``duration``: seconds or text like ``2h`` (default: the scenario's).
    ``exact``: ask the engine at every ``check_at`` like the player does, even while no
    rule can possibly interrupt (slower; the same timeline).
    ``progress``: called with the simulated seconds reached, every few hundred decisions.
    Raises ValueError for a bad start or duration."""
    if not isinstance(scenario, Scenario):
        scenario = parse_scenario(scenario)
    tz = zoneinfo.ZoneInfo(playlist.timezone) if playlist.timezone else UTC
    t0 = _parse_start(start, scenario, tz)
    length = _parse_length(duration, scenario)
    if dt.timedelta(seconds=length) > MAX_DURATION:
        raise ValueError(f"duration: {_fmt_duration(length)} is more than the {MAX_DURATION.days} days a simulation may cover")
    t_end = t0 + dt.timedelta(seconds=length)

    engine = PlaylistEngine(playlist, zone=UTC)
    audience = _Audience(scenario)
    interrupters = None if exact else _Interrupters(playlist)

    entries: list[TimelineEntry] = []
    changes: list[AudienceChange] = []
    history = engine.new_history()
    playing: NowPlaying | None = None
    current: dict[str, Any] | None = None  # the open entry
    idle_since: dt.datetime | None = None
    idle_info: tuple[str, AudienceSnapshot | None, int | None] | None = None
    decisions = 0

    now = t0
    offset = 0.0
    snap, step = audience.at(0.0)
    if step is not None:
        changes.append(AudienceChange(t0, step, snap))
    next_change = audience.next_change(0.0)
    tiny = dt.timedelta(milliseconds=1)

    def close(end: dt.datetime, how: str) -> None:
        nonlocal current
        assert current is not None
        entries.append(TimelineEntry(end=end, ended=how, **current))
        history.end(end)
        current = None

    def close_idle(end: dt.datetime, how: str) -> None:
        nonlocal idle_since, idle_info
        if idle_since is not None and end > idle_since:
            reason, a, st = idle_info  # type: ignore[misc]
            entries.append(TimelineEntry(idle_since, end, None, None, reason, how, a, st))
        idle_since = idle_info = None

    while now < t_end:
        d = engine.decide(snap, now, history, playing, seed=seed)
        decisions += 1
        if progress is not None and decisions % 256 == 0:
            progress(offset)
        if d.action in ("play", "interrupt"):
            if current is not None:
                close(now, ENDED_INTERRUPTED if d.action == "interrupt" else ENDED_COMPLETED)
            close_idle(now, ENDED_COMPLETED)
            history.start(PlayRecord(d.creative, d.rule, now, None, d.loop_index))
            playing = NowPlaying(d.creative, d.rule, now, now + dt.timedelta(seconds=d.duration))
            current = {"start": now, "creative": d.creative, "rule": d.rule, "reason": d.reason,
                       "audience": snap, "step": step}
        elif d.action == "idle":
            if idle_since is None:
                idle_since, idle_info = now, (d.reason, snap, step)

        nxt = d.check_at
        if interrupters is not None and playing is not None and nxt < playing.ends:
            nxt = max(nxt, interrupters.next_check(playing, snap, now))  # the audience change is taken below
        change_at = t0 + dt.timedelta(seconds=next_change) if next_change != math.inf else None
        if change_at is not None and change_at < nxt:
            nxt = change_at
        if playing is not None and playing.ends <= nxt:
            nxt = playing.ends
        if nxt > t_end:
            nxt = t_end
        if nxt <= now:
            # the engine asked to be called again at once (e.g. recheck: 0): step on a little
            nxt = now + (tiny if d.action != "idle" else dt.timedelta(seconds=1))
        if playing is not None and playing.ends <= nxt:
            close(playing.ends, ENDED_COMPLETED)
            playing = None
        now = nxt
        offset = (now - t0).total_seconds()
        if change_at is not None and now >= change_at:
            snap, step = audience.at(offset)
            next_change = audience.next_change(offset)
            if now < t_end and step is not None:
                changes.append(AudienceChange(now, step, snap))
                if step in audience.restarts:  # the player stops here, and starts again later
                    if current is not None:
                        close(now, ENDED_RESTART)
                    close_idle(now, ENDED_COMPLETED)
                    playing = None
                    back = min(now + dt.timedelta(seconds=audience.restarts[step]), t_end)
                    if back > now:
                        entries.append(TimelineEntry(now, back, None, None, "the player is off (restart)",
                                                     ENDED_RESTART, snap, step))
                    history = engine.new_history(on_record(entries, back, engine.memory))
                    if back > now:
                        now = back
                        offset = (now - t0).total_seconds()
                        snap, later = audience.at(offset)
                        next_change = audience.next_change(offset)
                        if later != step and now < t_end and later is not None:
                            changes.append(AudienceChange(now, later, snap))
                        step = later

    if current is not None:
        close(t_end, ENDED_CUT)
    close_idle(t_end, ENDED_CUT)

    return SimulationResult(
        playlist=playlist.name,
        scenario=scenario.name,
        start=t0,
        end=t_end,
        seed=seed,
        timezone=playlist.timezone,
        entries=entries,
        rules=[r.id for r in playlist.rules],
        disabled_rules=[r.id for r in playlist.rules if not r.enabled],
        creatives=[c.id for c in playlist.creatives],
        changes=changes,
        decisions=decisions,
        zone=tz,
        delivery=delivery(playlist, entries, t0, t_end, tz),
    )
