"""Scenarios for ``signage simulate``: the format (what the audience in front of the screen
looks like over time), its checks, and the audience as a function of time.

The format is described in simulate.py's docstring and docs/playlists.md ("Scenarios").
"""

from __future__ import annotations

import bisect
import dataclasses
import datetime as dt
import math
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, field_validator, model_validator

from signage.playlist import limits
from signage.playlist.schema import Duration
from signage.playlist.yamlio import YamlSyntaxError, load_yaml
from signage.values import AudienceSnapshot

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
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


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
    restart: Duration | None = Field(None, description="the player restarts here and is off this long "
                                     "(0s: at once); caps and cooldowns are rebuilt from proof of play")
    faces: int | None = Field(None, ge=0, le=int(limits.MAX_AUDIENCE_VALUE))
    measured: int | None = Field(None, ge=0, le=int(limits.MAX_AUDIENCE_VALUE))
    watchers: int | None = Field(None, ge=0, le=int(limits.MAX_AUDIENCE_VALUE))
    attention_ratio: Ratio | None = None
    smile_ratio: Ratio | None = None
    surprise_ratio: Ratio | None = None
    passers_by: int | None = Field(None, ge=0, le=int(limits.MAX_AUDIENCE_VALUE))
    mean_dwell_s: float | None = Field(None, ge=0, le=limits.MAX_AUDIENCE_VALUE)
    mean_attention_s: float | None = Field(None, ge=0, le=limits.MAX_AUDIENCE_VALUE)
    glances: int | None = Field(None, ge=0, le=int(limits.MAX_AUDIENCE_VALUE))
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
            if s.restart is not None:
                if not 0 <= s.restart <= limits.MAX_RESTART_S:
                    errors.append(f"{where}.restart: {_fmt_offset(s.restart)} is outside 0s to "
                                  f"{_fmt_duration(limits.MAX_RESTART_S)} (how long the player is off)")
                elif i == 0 and s.at == 0:
                    errors.append(f"{where}.restart: a restart at 0s is the start itself: give it a later at")
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
        #: step index -> how long the player is off when that step begins (restart steps only)
        self.restarts: dict[int, float] = {}
        camera = scenario.camera
        self.before_first: AudienceSnapshot | None = None if scenario.camera == "off" else AudienceSnapshot(t=0.0)
        for i, s in enumerate(scenario.timeline):
            if s.camera is not None:
                camera = s.camera
            self.offsets.append(s.at)
            self.steps.append(i)
            if s.restart is not None:
                self.restarts[i] = s.restart
            if s.restart is not None and s.camera is None and not s.audience_given():
                # a restart alone leaves the audience as it was (the people do not leave)
                prev = self.snaps[-1] if self.snaps else self.before_first
                self.snaps.append(None if prev is None else dataclasses.replace(prev, t=s.at))
                continue
            self.snaps.append(None if camera == "off" else AudienceSnapshot(t=s.at, **s.snapshot_values()))

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
