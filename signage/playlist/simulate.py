"""Play a playlist against a scripted audience on a simulated clock.

A *scenario* says what the audience in front of the screen looks like over time::

    name: lunch rush
    start: 2026-11-23T11:45          # optional; naive = wall-clock time at the screen
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

import bisect
import datetime as dt
import math
import zoneinfo
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, field_validator, model_validator

from signage.playlist import limits
from signage.playlist.engine import NowPlaying, PlaylistEngine, PlayRecord
from signage.playlist.rules import Context, Predicate, compile_condition
from signage.playlist.yamlio import YamlSyntaxError, load_yaml
from signage.playlist.schema import Condition, Duration, Playlist, parse_duration
from signage.values import AudienceSnapshot

__all__ = [
    "Scenario",
    "ScenarioError",
    "SimulationResult",
    "Step",
    "TimelineEntry",
    "format_report",
    "load_scenario",
    "parse_scenario",
    "report_json",
    "simulate",
    "summarize",
]

MAX_DURATION = dt.timedelta(days=31)
UTC = dt.timezone.utc
ENDED_COMPLETED = "completed"
ENDED_INTERRUPTED = "interrupted"
ENDED_CUT = "cut at end of simulation"


class ScenarioError(ValueError):
    """A scenario file that cannot be read or is not valid; the message names the file,
    the step and the field."""


# --------------------------------------------------------------------------- scenario format


def _camera(v: Any) -> Any:
    # JSON or another YAML reader may hand over true/false for on/off.
    if v is True:
        return "on"
    if v is False:
        return "off"
    return v.strip().lower() if isinstance(v, str) else v


def _ratio(v: Any) -> Any:
    if isinstance(v, str) and v.strip().endswith("%"):
        try:
            return float(v.strip()[:-1]) / 100
        except ValueError:
            pass
    return v


Camera = Annotated[Literal["on", "off"], BeforeValidator(_camera)]
Ratio = Annotated[float, BeforeValidator(_ratio)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


AUDIENCE_FIELDS = (
    "faces", "measured", "watchers", "attention_ratio", "smile_ratio", "surprise_ratio",
    "passers_by", "mean_dwell_s", "mean_attention_s", "glances", "trend",
)
_STEP_ALIASES = {"dwell": "mean_dwell_s", "attention_time": "mean_attention_s", "people": "faces"}


class Step(_Strict):
    """The audience from ``at`` (an offset from the start) until the next step."""

    at: Duration
    hold: Duration | None = Field(None, description="last step only: how long it lasts")
    camera: Camera | None = Field(None, description="off: the camera fails here; on: it is back")
    faces: int | None = Field(None, ge=0)
    measured: int | None = Field(None, ge=0)
    watchers: int | None = Field(None, ge=0)
    attention_ratio: Ratio | None = None
    smile_ratio: Ratio | None = None
    surprise_ratio: Ratio | None = None
    passers_by: int | None = Field(None, ge=0)
    mean_dwell_s: float | None = Field(None, ge=0)
    mean_attention_s: float | None = Field(None, ge=0)
    glances: int | None = Field(None, ge=0)
    trend: Literal["rising", "steady", "falling"] | None = None

    @model_validator(mode="before")
    @classmethod
    def _aliases(cls, v: Any) -> Any:
        if isinstance(v, dict):
            v = dict(v)
            for alias, full in _STEP_ALIASES.items():
                if alias in v:
                    if full in v:
                        raise ValueError(f"{alias} and {full} are the same value: give one")
                    v[full] = v.pop(alias)
        return v

    @field_validator("attention_ratio", "smile_ratio", "surprise_ratio")
    @classmethod
    def _in_unit(cls, v: float | None) -> float | None:
        if v is not None and not 0.0 <= v <= 1.0:
            raise ValueError(f"{v:g} is outside 0..1 (a ratio; 60% is 0.6)")
        return v

    def audience_given(self) -> list[str]:
        return [f for f in AUDIENCE_FIELDS if getattr(self, f) is not None]

    def problems(self) -> list[tuple[str, str]]:
        """(field, message) for values that cannot occur together."""
        out: list[tuple[str, str]] = []
        if self.camera == "off" and self.audience_given():
            out.append((self.audience_given()[0], "the camera is off at this step: it sees no audience "
                        "(remove the audience values, or write camera: on)"))
            return out
        a = self.snapshot_values()
        faces = a["faces"]
        if self.watchers is not None and self.watchers > faces:
            out.append(("watchers", f"{self.watchers} watchers but only {faces} faces (watchers are among the faces)"))
        if self.measured is not None and self.measured > faces:
            out.append(("measured", f"{self.measured} measured but only {faces} faces"))
        if self.attention_ratio is not None:
            if faces == 0 and self.attention_ratio > 0:
                out.append(("attention_ratio", f"{self.attention_ratio:g} with no faces (it is watchers / faces)"))
            elif self.watchers is not None and faces and abs(self.attention_ratio - self.watchers / faces) > 0.01:
                out.append(("attention_ratio", f"{self.attention_ratio:g} but watchers / faces is "
                            f"{self.watchers}/{faces} = {self.watchers / faces:.2f} (give one of them)"))
        for name in ("smile_ratio", "surprise_ratio"):
            v = getattr(self, name)
            if v and a["measured"] == 0:
                out.append((name, f"{v:g} but no face is measured (give faces, or measured)"))
        if (self.smile_ratio or 0) + (self.surprise_ratio or 0) > 1.0 + 1e-9:
            out.append(("surprise_ratio", f"smile_ratio + surprise_ratio is {self.smile_ratio + self.surprise_ratio:g}: "
                        "a face shows one expression, so the two add up to 1 at most"))
        if self.passers_by is not None and self.passers_by < faces:
            out.append(("passers_by", f"{self.passers_by} but {faces} faces are present now "
                        "(passers-by count everyone seen in the window, the present faces too)"))
        if self.mean_attention_s is not None and self.mean_attention_s > a["mean_dwell_s"] + 1e-9:
            out.append(("mean_attention_s", f"{self.mean_attention_s:g} s is longer than mean_dwell_s "
                        f"({a['mean_dwell_s']:g} s): people look at the screen while they are in front of it"))
        return out

    def snapshot_values(self) -> dict[str, Any]:
        """Every AudienceSnapshot value for this step, the missing ones derived."""
        faces = self.faces
        if faces is None:
            faces = max(self.watchers or 0, self.measured or 0)
        watchers = self.watchers
        if watchers is None:
            watchers = round(self.attention_ratio * faces) if self.attention_ratio is not None else 0
        measured = self.measured if self.measured is not None else faces
        if self.attention_ratio is not None:
            attention = self.attention_ratio
        else:
            attention = watchers / faces if faces else 0.0
        return {
            "faces": faces,
            "measured": measured,
            "watchers": watchers,
            "attention_ratio": attention,
            "smile_ratio": self.smile_ratio or 0.0,
            "surprise_ratio": self.surprise_ratio or 0.0,
            "passers_by": self.passers_by if self.passers_by is not None else faces,
            "mean_dwell_s": self.mean_dwell_s or 0.0,
            "mean_attention_s": self.mean_attention_s or 0.0,
            "glances": self.glances or 0,
            "trend": self.trend or "steady",
        }


class Scenario(_Strict):
    """A scripted audience over time (see the module's docstring)."""

    name: str = Field(min_length=1, max_length=200)
    start: dt.datetime | None = Field(None, description="naive: wall-clock time at the screen")
    duration: Duration | None = None
    camera: Camera = "on"
    repeat: Duration | None = Field(None, description="the timeline repeats with this period")
    timeline: list[Step] = Field(default_factory=list, max_length=limits.MAX_SCENARIO_STEPS)

    @field_validator("start", mode="before")
    @classmethod
    def _start(cls, v: Any) -> Any:
        if isinstance(v, (int, float)) and not isinstance(v, bool):
            raise ValueError(f"{v!r} is not a date and time (write 2026-11-23T10:00)")
        return v

    @field_validator("start")
    @classmethod
    def _start_years(cls, v: dt.datetime | None) -> dt.datetime | None:
        if v is not None and not limits.MIN_YEAR <= v.year < limits.MAX_YEAR:
            raise ValueError(f"{v.isoformat(timespec='minutes')} is outside the years {limits.MIN_YEAR} "
                             f"to {limits.MAX_YEAR - 1} a simulation may cover")
        return v

    @field_validator("duration", "repeat")
    @classmethod
    def _positive(cls, v: float | None) -> float | None:
        if v is not None and v <= 0:
            raise ValueError("must be more than 0 s")
        return v

    @model_validator(mode="after")
    def _check(self) -> Scenario:
        errors: list[str] = []
        camera = self.camera
        for i, s in enumerate(self.timeline):
            where = f"timeline.{i}"
            if i and s.at <= self.timeline[i - 1].at:
                errors.append(f"{where}.at: {_fmt_offset(s.at)} is not after the previous step's "
                              f"({_fmt_offset(self.timeline[i - 1].at)}): steps go in time order")
            if self.repeat is not None and s.at >= self.repeat:
                errors.append(f"{where}.at: {_fmt_offset(s.at)} is not before repeat ({_fmt_offset(self.repeat)})")
            if s.hold is not None:
                if i != len(self.timeline) - 1:
                    errors.append(f"{where}.hold: only the last step takes hold (the next step's at ends the others)")
                elif self.repeat is not None:
                    errors.append(f"{where}.hold: with repeat, the last step lasts until the period ends: remove hold")
                elif s.hold <= 0:
                    errors.append(f"{where}.hold: must be more than 0 s")
            if self.camera == "off" and (s.camera == "on" or s.audience_given()):
                key = "camera" if s.camera == "on" else s.audience_given()[0]
                errors.append(f"{where}.{key}: the scenario has camera: off, so no step can give audience values "
                              "or turn the camera on")
                continue
            if s.camera is not None:
                camera = s.camera
            elif camera == "off" and s.audience_given():
                errors.append(f"{where}.{s.audience_given()[0]}: the camera is off since an earlier step; "
                              "write camera: on in this step to bring it back")
                continue
            for key, msg in s.problems():
                errors.append(f"{where}.{key}: {msg}")
        if errors:
            raise ValueError("\n".join(errors))
        return self

    def default_duration(self) -> float:
        if self.duration is not None:
            return self.duration
        if self.timeline and self.timeline[-1].hold is not None:
            return self.timeline[-1].at + self.timeline[-1].hold
        return 3600.0


def _format_validation(exc: ValidationError) -> list[str]:
    lines: list[str] = []
    for e in exc.errors():
        loc = ".".join(str(p) for p in e["loc"])
        msg = e["msg"]
        if msg.startswith("Value error, "):
            msg = msg[len("Value error, "):]
        if e["type"] == "extra_forbidden":
            parent = e["loc"][:-1]
            known = Step.model_fields if parent[:1] == ("timeline",) and len(parent) == 2 else Scenario.model_fields
            msg = f"unknown key (known: {', '.join(known)})"
        for part in msg.split("\n"):
            if part:
                lines.append(f"{loc}: {part}" if loc and not part.startswith("timeline.") else part)
    return lines


def parse_scenario(data: Any, source: str = "scenario") -> Scenario:
    """A Scenario from already-parsed data; ScenarioError names ``source`` and the field."""
    if not isinstance(data, Mapping):
        raise ScenarioError(f"{source}: a scenario is a mapping with name and timeline (got {type(data).__name__})")
    try:
        return Scenario.model_validate(dict(data))
    except ValidationError as exc:
        lines = _format_validation(exc)
        if len(lines) == 1:
            raise ScenarioError(f"{source}: {lines[0]}") from None
        raise ScenarioError(f"{source}: {len(lines)} errors\n" + "\n".join(f"  - {x}" for x in lines)) from None


def load_scenario(path: str | Path) -> Scenario:
    """Read and validate a scenario file (YAML or JSON)."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as exc:
        raise ScenarioError(f"{p}: cannot read the scenario ({exc.strerror or exc})") from None
    except UnicodeDecodeError:
        raise ScenarioError(f"{p}: not a text file (a scenario is YAML or JSON)") from None
    try:
        data = load_yaml(text)
    except YamlSyntaxError as exc:
        where = f" at line {exc.line}, column {exc.column}" if exc.line else ""
        raise ScenarioError(f"{p}: {exc.message.replace('not valid YAML', 'not valid YAML' + where)}") from None
    return parse_scenario(data, str(p))


# --------------------------------------------------------------------------- audience over time


class _Audience:
    """The scenario as a function of the offset from the start: the snapshot (None when
    the camera is off) and the next offset where it changes."""

    def __init__(self, scenario: Scenario) -> None:
        self.period = scenario.repeat
        self.offsets: list[float] = []
        self.snaps: list[AudienceSnapshot | None] = []
        self.steps: list[int] = []
        camera = scenario.camera
        for i, s in enumerate(scenario.timeline):
            if s.camera is not None:
                camera = s.camera
            self.offsets.append(s.at)
            self.steps.append(i)
            self.snaps.append(None if camera == "off" else AudienceSnapshot(t=s.at, **s.snapshot_values()))
        self.before_first: AudienceSnapshot | None = None if scenario.camera == "off" else AudienceSnapshot(t=0.0)

    def at(self, offset: float) -> tuple[AudienceSnapshot | None, int | None]:
        """The snapshot at ``offset`` seconds and the index of the step it comes from."""
        if not self.offsets:
            return self.before_first, None
        cycle = 0
        x = offset
        if self.period is not None:
            cycle, x = divmod(offset, self.period)
        i = bisect.bisect_right(self.offsets, x) - 1
        if i < 0:
            if cycle == 0:
                return self.before_first, None
            i = len(self.offsets) - 1  # a repeated timeline: the last step carries over
        return self.snaps[i], self.steps[i]

    def next_change(self, offset: float) -> float:
        """The first offset after ``offset`` where a step begins (inf when none)."""
        if not self.offsets:
            return math.inf
        if self.period is None:
            i = bisect.bisect_right(self.offsets, offset)
            return self.offsets[i] if i < len(self.offsets) else math.inf
        cycle, x = divmod(offset, self.period)
        i = bisect.bisect_right(self.offsets, x)
        if i < len(self.offsets):
            return cycle * self.period + self.offsets[i]
        return (cycle + 1) * self.period + self.offsets[0]


# --------------------------------------------------------------------------- result


@dataclass(frozen=True, slots=True)
class TimelineEntry:
    """One play (or an idle gap, ``creative`` None) on the simulated screen."""

    start: dt.datetime  # an instant (aware, UTC); SimulationResult.local(start): at the screen
    end: dt.datetime
    creative: str | None
    rule: str | None  # None: the default loop (or idle)
    reason: str
    ended: str  # 'completed' | 'interrupted' | 'cut at end of simulation'
    audience: AudienceSnapshot | None  # what the camera saw when it started; None: camera off
    step: int | None = None  # the scenario step in force when it started

    @property
    def duration_s(self) -> float:
        return (self.end - self.start).total_seconds()

    @property
    def idle(self) -> bool:
        return self.creative is None


@dataclass(frozen=True, slots=True)
class AudienceChange:
    """A scenario step coming into force (for the readable report)."""

    time: dt.datetime
    step: int
    audience: AudienceSnapshot | None


@dataclass(slots=True)
class SimulationResult:
    playlist: str
    scenario: str
    start: dt.datetime  # an instant (aware, UTC)
    end: dt.datetime
    seed: int
    timezone: str | None
    entries: list[TimelineEntry]
    rules: list[str]  # every rule id, in file order
    disabled_rules: list[str]
    creatives: list[str]
    changes: list[AudienceChange] = field(default_factory=list)
    decisions: int = 0  # how many times the engine was asked
    zone: dt.tzinfo = UTC  # the screen's: the playlist's timezone (UTC without one)

    @property
    def duration_s(self) -> float:
        return (self.end - self.start).total_seconds()

    def local(self, t: dt.datetime) -> dt.datetime:
        """The wall-clock time at the screen at the instant ``t`` (aware, with its offset)."""
        return t.astimezone(self.zone)

    def plays(self, rule: str | None = ..., creative: str | None = ...) -> list[TimelineEntry]:  # type: ignore[assignment]
        """The entries that are plays, optionally of one rule (None: the loop) or creative."""
        out = [e for e in self.entries if not e.idle]
        if rule is not ...:
            out = [e for e in out if e.rule == rule]
        if creative is not ...:
            out = [e for e in out if e.creative == creative]
        return out


# --------------------------------------------------------------------------- the simulation


def _parse_start(start: str | dt.datetime | None, scenario: Scenario, tz: dt.tzinfo) -> dt.datetime:
    """The start as an instant (aware, UTC). Naive: wall-clock time in ``tz`` (a time in
    a skipped hour is read with the offset before the change, as zoneinfo does)."""
    if start is None:
        start = scenario.start
    if start is None:
        now = dt.datetime.now(tz)
        base = now.replace(minute=0, second=0, microsecond=0)
        start = base if base == now else (base + dt.timedelta(hours=1)).replace(tzinfo=None).replace(tzinfo=tz)
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
        start = start.replace(tzinfo=tz)
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


def simulate(
    playlist: Playlist,
    scenario: Scenario | Mapping[str, Any],
    *,
    start: str | dt.datetime | None = None,
    duration: str | float | None = None,
    seed: int = 0,
    exact: bool = False,
) -> SimulationResult:
    """Run ``playlist`` against ``scenario`` on a simulated clock.

    ``start``: ISO text or datetime (default: the scenario's, else the next full hour);
    naive = wall-clock time at the screen, an aware time is converted to the playlist's
    zone. ``duration``: seconds or text like ``2h`` (default: the scenario's).
    ``exact``: ask the engine at every ``check_at`` like the player does, even while no
    rule can possibly interrupt (slower; the same timeline).
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
    )


# --------------------------------------------------------------------------- reports


@dataclass(frozen=True, slots=True)
class Summary:
    creatives: dict[str, dict[str, float]]  # id -> plays, screen_time_s, share (0..1 of the simulated time)
    rules: dict[str, dict[str, Any]]  # id -> fired, enabled
    never_fired: list[str]  # enabled rules that never fired
    disabled: list[str]
    idle_s: float
    loop_plays: int
    interrupted: int


def summarize(result: SimulationResult) -> Summary:
    total = result.duration_s or 1.0
    creatives: dict[str, dict[str, float]] = {cid: {"plays": 0, "screen_time_s": 0.0, "share": 0.0} for cid in result.creatives}
    fired = {rid: 0 for rid in result.rules}
    idle = 0.0
    loop_plays = interrupted = 0
    for e in result.entries:
        if e.idle:
            idle += e.duration_s
            continue
        c = creatives.setdefault(e.creative, {"plays": 0, "screen_time_s": 0.0, "share": 0.0})  # type: ignore[arg-type]
        c["plays"] += 1
        c["screen_time_s"] += e.duration_s
        if e.rule is None:
            loop_plays += 1
        else:
            fired[e.rule] = fired.get(e.rule, 0) + 1
        if e.ended == ENDED_INTERRUPTED:
            interrupted += 1
    for c in creatives.values():
        c["screen_time_s"] = round(c["screen_time_s"], 3)
        c["share"] = round(c["screen_time_s"] / total, 4)
    disabled = set(result.disabled_rules)
    rules = {rid: {"fired": n, "enabled": rid not in disabled} for rid, n in fired.items()}
    never = [rid for rid, n in fired.items() if n == 0 and rid not in disabled]
    return Summary(creatives, rules, never, list(result.disabled_rules), round(idle, 3), loop_plays, interrupted)


def _fmt_offset(seconds: float) -> str:
    return _fmt_duration(seconds) if seconds else "0s"


def _fmt_duration(seconds: float) -> str:
    """8s, 2.5s, 1m30s, 2h, 1h05m."""
    if seconds < 60:
        s = round(seconds, 1)
        return f"{s:g}s"
    total = int(round(seconds))
    h, rest = divmod(total, 3600)
    m, s = divmod(rest, 60)
    if h:
        return f"{h}h{m:02d}m" + (f"{s:02d}s" if s else "") if (m or s) else f"{h}h"
    return f"{m}m{s:02d}s" if s else f"{m}m"


def _fmt_utc_offset(t: dt.datetime) -> str:
    """+01:00 for an aware local time."""
    return t.isoformat()[-6:]


def _fmt_audience(a: AudienceSnapshot | None) -> str:
    if a is None:
        return "camera off (no audience rules)"
    parts = [f"faces {a.faces}", f"watchers {a.watchers}"]
    if a.smile_ratio:
        parts.append(f"smile {a.smile_ratio:.0%}")
    if a.surprise_ratio:
        parts.append(f"surprise {a.surprise_ratio:.0%}")
    if a.passers_by != a.faces:
        parts.append(f"passers-by {a.passers_by}")
    if a.mean_dwell_s:
        parts.append(f"dwell {a.mean_dwell_s:g}s")
    if a.mean_attention_s:
        parts.append(f"attention {a.mean_attention_s:g}s")
    if a.glances:
        parts.append(f"glances {a.glances}")
    if a.trend != "steady":
        parts.append(f"trend {a.trend}")
    return ", ".join(parts)


def format_report(result: SimulationResult) -> str:
    """The timeline, one line per play, then the summary: readable text."""
    s = summarize(result)
    local = result.local
    t0, t1 = local(result.start), local(result.end)
    if result.timezone:
        offsets = f"UTC{_fmt_utc_offset(t0)}" + (f" then UTC{_fmt_utc_offset(t1)}" if t0.utcoffset() != t1.utcoffset() else "")
        tz, no_zone = f" ({result.timezone}, {offsets})", ""
    else:
        tz, no_zone = "", " (in UTC: the playlist has no timezone)"
    lines = [
        f"Playlist {result.playlist!r} against scenario {result.scenario!r}, seed {result.seed}",
        f"{t0:%a %Y-%m-%d %H:%M:%S} to {t1:%a %Y-%m-%d %H:%M:%S}{tz}, "
        f"{_fmt_duration(result.duration_s)} simulated{no_zone}",
        "",
    ]
    width = max([len(e.creative or "(idle)") for e in result.entries] + [len(c) for c in result.creatives] + [8])
    rwidth = max([len(e.rule or "loop") for e in result.entries] + [4]) + 2
    items: list[tuple[dt.datetime, int, Any]] = [(c.time, 0, c) for c in result.changes]
    items += [(e.start, 1, e) for e in result.entries]
    items.sort(key=lambda x: (x[0], x[1]))
    day = None
    offset = t0.utcoffset()
    for t, _, item in items:
        t = local(t)
        if t.utcoffset() != offset:  # a daylight-saving change: say so where it happens
            offset = t.utcoffset()
            lines.append(f"{t:%H:%M:%S}  -- the clocks change: UTC{_fmt_utc_offset(t)} from here")
        if t.date() != day:
            day = t.date()
            lines.append(f"{t:%a %Y-%m-%d}")
        if isinstance(item, AudienceChange):
            lines.append(f"{t:%H:%M:%S}  -- audience (step {item.step}): {_fmt_audience(item.audience)}")
            continue
        e = item
        who = "(idle)" if e.idle else e.creative
        why = "" if e.idle else f"({e.rule or 'loop'})"
        mark = {ENDED_INTERRUPTED: "  [interrupted]", ENDED_CUT: "  [cut at end]"}.get(e.ended, "")
        lines.append(f"{t:%H:%M:%S}  {who:<{width}}  {why:<{rwidth}}  {_fmt_duration(e.duration_s):>7}{mark}")

    total = result.duration_s or 1.0
    lines += ["", "Summary", f"  {len(result.plays())} plays ({s.loop_plays} from the loop, "
              f"{len(result.plays()) - s.loop_plays} by rules), {s.interrupted} interrupted", "",
              f"  {'creative':<{width}}  {'plays':>5}  {'screen time':>11}  {'share':>6}"]
    order = sorted(s.creatives.items(), key=lambda kv: (-kv[1]["screen_time_s"], kv[0]))
    for cid, c in order:
        lines.append(f"  {cid:<{width}}  {int(c['plays']):>5}  {_fmt_duration(c['screen_time_s']):>11}  {c['share']:>6.1%}")
    if s.idle_s:
        lines.append(f"  {'(idle)':<{width}}  {'':>5}  {_fmt_duration(s.idle_s):>11}  {s.idle_s / total:>6.1%}")
    if s.rules:
        rw = max(len(r) for r in s.rules)
        lines += ["", f"  {'rule':<{rw}}  fired"]
        for rid, r in s.rules.items():
            lines.append(f"  {rid:<{rw}}  {r['fired']:>5}" + ("" if r["enabled"] else "  (disabled)"))
        lines.append("")
        lines.append("  rules that never fired: " + ", ".join(s.never_fired) if s.never_fired else "  every rule fired")
        if s.disabled:
            lines.append("  disabled rules: " + ", ".join(s.disabled))
    else:
        lines += ["", "  no rules: the loop plays on"]
    if s.idle_s:
        lines.append(f"  idle (nothing eligible): {_fmt_duration(s.idle_s)}")
    return "\n".join(lines)


def _audience_json(a: AudienceSnapshot | None) -> dict[str, Any] | None:
    if a is None:
        return None
    d = a.to_dict()  # the audience values a scenario gives (not the sensing's counting fields)
    return {k: (round(v, 4) if isinstance(v, float) else v) for k, v in d.items() if k in AUDIENCE_FIELDS}


def report_json(result: SimulationResult) -> dict[str, Any]:
    """The timeline and the summary as JSON-ready data: ISO wall-clock times at the screen,
    each with its UTC offset (``2026-03-29T03:00:00+02:00``)."""
    s = summarize(result)

    def iso(t: dt.datetime) -> str:
        return result.local(t).isoformat()

    return {
        "playlist": result.playlist,
        "scenario": result.scenario,
        "timezone": result.timezone,
        "start": iso(result.start),
        "end": iso(result.end),
        "seed": result.seed,
        "timeline": [
            {
                "start": iso(e.start),
                "end": iso(e.end),
                "duration_s": round(e.duration_s, 3),
                "creative": e.creative,
                "rule": e.rule,
                "reason": e.reason,
                "ended": e.ended,
                "step": e.step,
                "audience": _audience_json(e.audience),
            }
            for e in result.entries
        ],
        "summary": {
            "creatives": {cid: {"plays": int(c["plays"]), "screen_time_s": c["screen_time_s"], "share": c["share"]}
                          for cid, c in s.creatives.items()},
            "rules": s.rules,
            "never_fired": s.never_fired,
            "disabled": s.disabled,
            "idle_s": s.idle_s,
        },
    }
