"""The playlist format advertisers write (YAML or JSON), as strict pydantic models.

A playlist names its creatives, a default loop that plays when no rule applies, and
rules that play something else when the audience and the time call for it. Every
model forbids unknown keys, so a typo is an error that names its path.

Written forms kept short for the people who write them:
- durations: ``8s``, ``5m``, ``1h30m``, ``90`` (seconds);
- audience tests: ``watchers: ">= 2"``, ``smile_ratio: "> 0.5"``, ``faces: "1..3"``,
  ``faces: 0`` or ``{min: 2, max: 5}``;
- times of day ``"11:30"``, days ``[mon, tue]`` or ``weekdays`` / ``weekend``, dates ``2026-12-24``.

``signage schema`` prints the JSON Schema of this format for editors.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from typing import Annotated, Any, Literal, Union

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    WithJsonSchema,
    field_validator,
    model_validator,
)

from signage.playlist import limits
from signage.playlist.campaign_schema import Campaign, CampaignId
from signage.playlist.limits import fmt_seconds
from signage.playlist.share import parse_share, share_errors

# --------------------------------------------------------------------------- primitives

_DURATION = re.compile(r"^\s*(?:(\d+(?:\.\d+)?)\s*h)?\s*(?:(\d+(?:\.\d+)?)\s*m(?!s))?\s*(?:(\d+(?:\.\d+)?)\s*s)?\s*(?:(\d+)\s*ms)?\s*$")


def parse_duration(v: Any) -> float:
    """Seconds from ``90``, ``"90"``, ``"8s"``, ``"5m"``, ``"1h30m"``, ``"1.5s"``, ``"250ms"``."""
    if isinstance(v, bool):
        raise ValueError("a duration is a number of seconds or a text like 8s, 5m, 1h30m")
    if isinstance(v, (int, float)):
        try:
            seconds = float(v)
        except OverflowError:
            seconds = math.inf
    elif isinstance(v, str):
        s = v.strip().lower()
        try:
            seconds = float(s)
        except ValueError:
            m = _DURATION.match(s)
            if not s or not m or not any(m.groups()):
                raise ValueError(f"{v!r} is not a duration (write 8s, 5m, 1h30m or a number of seconds)") from None
            h, mnt, sec, ms = (float(g) if g else 0.0 for g in m.groups())
            seconds = h * 3600 + mnt * 60 + sec + ms / 1000
    else:
        raise ValueError("a duration is a number of seconds or a text like 8s, 5m, 1h30m")
    if math.isnan(seconds):
        raise ValueError(f"{v!r} is not a duration (write 8s, 5m, 1h30m or a number of seconds)")
    if seconds < 0:
        raise ValueError("a duration cannot be negative")
    if seconds > limits.MAX_COOLDOWN_S:
        raise ValueError(f"{v!r} is longer than any duration signage accepts "
                         f"({fmt_seconds(limits.MAX_COOLDOWN_S)}; see Limits in docs/playlists.md)")
    return seconds


def _within(lo: float, hi: float, what: str, lo_open: bool = False):
    def check(v: float | None) -> float | None:
        if v is None:
            return v
        if v > hi:
            raise ValueError(f"{fmt_seconds(v)} is more than the {fmt_seconds(hi)} a {what} may last")
        if v < lo or (lo_open and v <= lo):
            raise ValueError(f"{fmt_seconds(v)} is {'not more' if lo_open else 'less'} than the "
                             f"{fmt_seconds(lo)} a {what} must last at least")
        return v

    return AfterValidator(check)


Duration = Annotated[
    float,
    BeforeValidator(parse_duration),
    WithJsonSchema({"anyOf": [{"type": "number", "minimum": 0}, {"type": "string", "pattern": r"^(\d+(\.\d+)?(h|m|s|ms)?)+$"}],
                    "description": "seconds, or a text like 8s, 5m, 1h30m"}),
]


def _parse_time_of_day(v: Any) -> dt.time:
    if isinstance(v, dt.time):
        return v
    if isinstance(v, int) and not isinstance(v, bool) and 0 <= v <= 24:
        return dt.time.max if v == 24 else dt.time(v)  # a whole hour: 11 is 11:00
    if isinstance(v, str):
        m = re.fullmatch(r"\s*(\d{1,2})(?::(\d{2}))?(?::(\d{2}))?\s*", v)
        if m:
            h, mi, s = int(m.group(1)), int(m.group(2) or 0), int(m.group(3) or 0)
            if h == 24 and mi == 0 and s == 0:
                return dt.time.max
            if h < 24 and mi < 60 and s < 60:
                return dt.time(h, mi, s)
    raise ValueError(f"{v!r} is not a time of day (write 11:30 or 07:00)")


TimeOfDay = Annotated[
    dt.time,
    BeforeValidator(_parse_time_of_day),
    PlainSerializer(lambda t: t.strftime("%H:%M:%S")),
    WithJsonSchema({"type": "string", "pattern": r"^\d{1,2}(:\d{2}){0,2}$", "description": "time of day, 24 h: 11:30"}),
]

DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_DAY_ALIASES = {
    "monday": "mon", "tuesday": "tue", "wednesday": "wed", "thursday": "thu",
    "friday": "fri", "saturday": "sat", "sunday": "sun",
}
_DAY_GROUPS = {"weekdays": DAY_NAMES[:5], "weekend": DAY_NAMES[5:], "everyday": DAY_NAMES, "daily": DAY_NAMES}


def _parse_days(v: Any) -> tuple[str, ...]:
    items = [v] if isinstance(v, str) else v
    if not isinstance(items, (list, tuple)) or not items:
        raise ValueError("days is a list like [mon, tue] or one of weekdays, weekend, everyday")
    out: list[str] = []
    for item in items:
        if not isinstance(item, str):
            raise ValueError(f"{item!r} is not a day (mon, tue, wed, thu, fri, sat, sun)")
        key = item.strip().lower()
        if key in _DAY_GROUPS:
            out += _DAY_GROUPS[key]
            continue
        key = _DAY_ALIASES.get(key, key)
        if key not in DAY_NAMES:
            raise ValueError(f"{item!r} is not a day (mon, tue, wed, thu, fri, sat, sun, weekdays, weekend)")
        out.append(key)
    return tuple(d for d in DAY_NAMES if d in out)


Days = Annotated[
    tuple[str, ...],
    BeforeValidator(_parse_days),
    WithJsonSchema({"anyOf": [
        {"type": "array", "items": {"type": "string", "enum": list(DAY_NAMES) + list(_DAY_ALIASES)}},
        {"type": "string", "enum": list(_DAY_GROUPS)}]}),
]

_COLOR = re.compile(r"^#(?:[0-9a-fA-F]{6}|[0-9a-fA-F]{8})$")


def _parse_color(v: Any) -> str:
    if isinstance(v, str) and _COLOR.match(v.strip()):
        return v.strip().lower()
    raise ValueError(f"{v!r} is not a colour (write #rrggbb or #rrggbbaa)")


Color = Annotated[str, BeforeValidator(_parse_color), WithJsonSchema({"type": "string", "pattern": _COLOR.pattern})]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True, allow_inf_nan=False)


Id = Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$", description="letters, digits, - _ .")]

# --------------------------------------------------------------------------- schedules


class TimeRange(Strict):
    """Time of day from..to (to excluded). A range past midnight (22:00 to 02:00) wraps."""

    from_: TimeOfDay = Field(alias="from")
    to: TimeOfDay

    @model_validator(mode="after")
    def _not_empty(self) -> TimeRange:
        if self.from_ == self.to:
            raise ValueError("from and to are the same time: the range would be empty")
        return self


class DateRange(Strict):
    """Calendar dates from..to, both included."""

    from_: dt.date | None = Field(None, alias="from")
    to: dt.date | None = None

    @model_validator(mode="after")
    def _order(self) -> DateRange:
        if self.from_ is None and self.to is None:
            raise ValueError("give from, to, or both")
        for d in (self.from_, self.to):
            if d is not None and not limits.MIN_YEAR <= d.year <= limits.MAX_YEAR:
                raise ValueError(f"{d} is outside the years {limits.MIN_YEAR} to {limits.MAX_YEAR}")
        if self.from_ and self.to and self.to < self.from_:
            raise ValueError(f"to ({self.to}) is before from ({self.from_})")
        return self


class Schedule(Strict):
    """When something may play: all the parts given must hold."""

    dates: DateRange | None = None
    days: Days | None = None
    time: TimeRange | None = None
    daypart: str | list[str] | None = Field(None, description="names from the playlist's dayparts; any of them")


# --------------------------------------------------------------------------- audience tests

METRICS = (
    "faces", "measured", "watchers", "attention_ratio", "smile_ratio", "surprise_ratio",
    "passers_by", "mean_dwell_s", "mean_attention_s", "glances",
)
RATIO_METRICS = ("attention_ratio", "smile_ratio", "surprise_ratio")
METRIC_ALIASES = {"dwell": "mean_dwell_s", "attention_time": "mean_attention_s", "people": "faces"}

_CMP = re.compile(r"^\s*(>=|<=|>|<|==|=)\s*(-?\d+(?:\.\d+)?)\s*$")
_RANGE = re.compile(r"^\s*(-?\d+(?:\.\d+)?)\s*\.\.\s*(-?\d+(?:\.\d+)?)\s*$")


class Bounds(Strict):
    """A test on one number: min and max inclusive, gt and lt exclusive."""

    min: float | None = None
    max: float | None = None
    gt: float | None = None
    lt: float | None = None

    @model_validator(mode="before")
    @classmethod
    def _short_forms(cls, v: Any) -> Any:
        if isinstance(v, bool):
            raise ValueError("expected a number, a comparison like '>= 2' or {min: .., max: ..}")
        if isinstance(v, (int, float)):
            return {"min": v, "max": v}
        if isinstance(v, str):
            m = _CMP.match(v)
            if m:
                op, num = m.group(1), float(m.group(2))
                return {">=": {"min": num}, "<=": {"max": num}, ">": {"gt": num}, "<": {"lt": num},
                        "==": {"min": num, "max": num}, "=": {"min": num, "max": num}}[op]
            m = _RANGE.match(v)
            if m:
                return {"min": float(m.group(1)), "max": float(m.group(2))}
            raise ValueError(f"{v!r} is not a test (write '>= 2', '< 0.3', '1..3' or a number)")
        return v

    @model_validator(mode="after")
    def _consistent(self) -> Bounds:
        if all(getattr(self, k) is None for k in ("min", "max", "gt", "lt")):
            raise ValueError("give at least one of min, max, gt, lt")
        for k in ("min", "max", "gt", "lt"):
            x = getattr(self, k)
            if x is not None and abs(x) > limits.MAX_AUDIENCE_VALUE:
                raise ValueError(f"{k} {x:g} is beyond the {limits.MAX_AUDIENCE_VALUE:,.0f} an audience test may use")
        lo = max((x for x in (self.min, self.gt) if x is not None), default=None)
        hi = min((x for x in (self.max, self.lt) if x is not None), default=None)
        if lo is not None and hi is not None and (lo > hi or (lo == hi and (self.gt is not None or self.lt is not None))):
            raise ValueError("no value can pass this test: the lower bound is above the upper bound")
        return self

    def test(self, x: float) -> bool:
        return (
            (self.min is None or x >= self.min)
            and (self.max is None or x <= self.max)
            and (self.gt is None or x > self.gt)
            and (self.lt is None or x < self.lt)
        )


_BOUNDS_JSON = {
    "anyOf": [
        {"type": "number", "description": "exactly this value"},
        {"type": "string", "pattern": r"^\s*((>=|<=|>|<|==|=)\s*-?\d+(\.\d+)?|-?\d+(\.\d+)?\s*\.\.\s*-?\d+(\.\d+)?)\s*$",
         "description": "a comparison like '>= 2', '< 0.3', or a range '1..3'"},
        {"type": "object", "additionalProperties": False,
         "properties": {k: {"type": "number"} for k in ("min", "max", "gt", "lt")}},
    ]
}
BoundsTest = Annotated[Bounds, WithJsonSchema(_BOUNDS_JSON)]


class Condition(Strict):
    """All the tests given must hold (a mapping of several keys is an implicit `all`).

    Audience: faces, measured, watchers, attention_ratio, smile_ratio, surprise_ratio,
    passers_by, mean_dwell_s (alias dwell), mean_attention_s (alias attention_time),
    glances, trend (rising/steady/falling), camera (on/off).
    Time: time, days, dates, daypart. Combinators: all, any, not.
    """

    faces: BoundsTest | None = None
    measured: BoundsTest | None = None
    watchers: BoundsTest | None = None
    attention_ratio: BoundsTest | None = None
    smile_ratio: BoundsTest | None = None
    surprise_ratio: BoundsTest | None = None
    passers_by: BoundsTest | None = None
    mean_dwell_s: BoundsTest | None = Field(None, alias="dwell")
    mean_attention_s: BoundsTest | None = Field(None, alias="attention_time")
    glances: BoundsTest | None = None
    trend: Literal["rising", "steady", "falling"] | None = None
    camera: Literal["on", "off"] | None = None

    time: TimeRange | None = None
    days: Days | None = None
    dates: DateRange | None = None
    daypart: str | list[str] | None = None

    all: list[Condition] | None = None
    any: list[Condition] | None = None
    not_: Condition | None = Field(None, alias="not")

    @model_validator(mode="before")
    @classmethod
    def _aliases(cls, v: Any) -> Any:
        if isinstance(v, dict):
            v = dict(v)
            for full in ("mean_dwell_s", "mean_attention_s"):
                # accept the snapshot's own names too
                if full in v:
                    alias = "dwell" if full == "mean_dwell_s" else "attention_time"
                    if alias in v:
                        raise ValueError(f"{full} and {alias} are the same test: give one")
                    v[alias] = v.pop(full)
            if "people" in v:
                v.setdefault("faces", v.pop("people"))
        return v

    @model_validator(mode="after")
    def _not_empty(self) -> Condition:
        if not self.model_fields_set:
            raise ValueError("an empty condition: give at least one test")
        for name in RATIO_METRICS:
            b = getattr(self, name)
            if b is not None:
                for k in ("min", "max", "gt", "lt"):
                    x = getattr(b, k)
                    if x is not None and not 0.0 <= x <= 1.0:
                        raise ValueError(f"{name}: {k} {x} is outside 0..1 (a ratio; 50% is 0.5)")
        for key in ("all", "any"):
            items = getattr(self, key)
            if items is not None and not items:
                raise ValueError(f"{key} needs at least one condition")
        return self

    def uses_audience(self) -> bool:
        if any(getattr(self, m) is not None for m in METRICS + ("trend",)):
            return True
        subs = (self.all or []) + (self.any or []) + ([self.not_] if self.not_ else [])
        return any(c.uses_audience() for c in subs)


# --------------------------------------------------------------------------- creatives

Fit = Literal["fit", "fill", "stretch"]
Transition = Literal["cut", "crossfade", "slide"]


class _TransitionSpec(Strict):
    type: Transition = "crossfade"
    duration: Annotated[Duration, _within(0.0, limits.MAX_TRANSITION_S, "transition")] = 0.6

    @model_validator(mode="before")
    @classmethod
    def _short(cls, v: Any) -> Any:
        return {"type": v} if isinstance(v, str) else v


TransitionSpec = Annotated[
    _TransitionSpec,
    WithJsonSchema({"anyOf": [
        {"type": "string", "enum": ["cut", "crossfade", "slide"]},
        {"type": "object", "additionalProperties": False, "properties": {
            "type": {"type": "string", "enum": ["cut", "crossfade", "slide"]},
            "duration": {"anyOf": [{"type": "number"}, {"type": "string"}]}}},
    ]}),
]


class _CreativeBase(Strict):
    id: Id
    duration: Annotated[Duration | None, _within(limits.MIN_CREATIVE_S, limits.MAX_CREATIVE_S, "creative")] = Field(
        None, description="how long it plays; a video defaults to its own length")
    fit: Fit | None = None
    transition: TransitionSpec | None = None
    schedule: Schedule | None = Field(None, description="when this creative may play at all")
    max_per_hour: int | None = Field(None, ge=1, le=limits.MAX_PER_HOUR, description="at most this many plays in any hour")
    campaign_id: CampaignId | None = None

    @field_validator("duration", mode="before")
    @classmethod
    def _positive(cls, v: Any) -> Any:
        if v is not None and parse_duration(v) <= 0:
            raise ValueError("a creative's duration must be more than 0 s")
        return v


class ImageCreative(_CreativeBase):
    type: Literal["image"]
    source: str = Field(description="path, relative to the playlist file")
    background: Color | None = Field(None, description="letterbox colour for fit: fit")


class VideoCreative(_CreativeBase):
    type: Literal["video"]
    source: str
    background: Color | None = None


class TextCreative(_CreativeBase):
    type: Literal["text"]
    headline: str = Field(min_length=1, max_length=200)
    body: str | None = Field(None, max_length=1000)
    color: Color = "#ffffff"
    background: Color = "#1d3557"
    accent: Color | None = None
    background_image: str | None = None
    align: Literal["left", "center", "right"] = "center"


Creative = Annotated[Union[ImageCreative, VideoCreative, TextCreative], Field(discriminator="type")]

# --------------------------------------------------------------------------- rules

# a fraction of the hour: written 75% or 15m (seconds per hour); see share.py
Share = Annotated[float, BeforeValidator(parse_share), PlainSerializer(lambda f: f"{f * 100!r}%"), WithJsonSchema({
    "type": "string", "pattern": r"^\s*(\d+(\.\d+)?\s*%|[0-9hms. ]+)\s*$",
    "description": "share of screen time: 75% or seconds per hour (15m, 900s)"})]


class Rule(Strict):
    """When ``when`` holds, play ``play`` (one creative, or several taken in turn)."""

    id: Id
    when: Condition
    play: Id | list[Id]
    priority: int = Field(0, ge=-1000, le=1000, description="higher wins")
    weight: float = Field(1.0, gt=0, le=1000, description="share of voice among rules of equal priority")
    share: Share | None = Field(None, description="share of screen time among rules of equal priority: "
                                "75% or seconds per hour (15m)")
    cooldown: Annotated[Duration, _within(0.0, limits.MAX_COOLDOWN_S, "cooldown")] = Field(
        0.0, description="after firing, the rule rests this long")
    max_per_hour: int | None = Field(None, ge=1, le=limits.MAX_PER_HOUR, description="at most this many firings in any hour")
    interrupt: bool = Field(False, description="may cut the creative on screen short")
    min_play: Annotated[Duration, _within(0.0, limits.MAX_MIN_PLAY_S, "min_play")] = Field(
        3.0, description="with interrupt: the creative on screen plays at least this long")
    schedule: Schedule | None = None
    enabled: bool = True
    campaign_id: CampaignId | None = Field(None, description="the line its plays bill to (wins over the creative's)")

    @field_validator("play")
    @classmethod
    def _non_empty(cls, v: str | list[str]) -> str | list[str]:
        if isinstance(v, list) and not v:
            raise ValueError("play needs at least one creative id")
        return v

    @model_validator(mode="after")
    def _share_or_weight(self) -> Rule:
        if self.share is not None and self.weight != 1.0:  # (a weight of 1 is the default: a dump reads back)
            raise ValueError("give share (of screen time) or weight (of plays), not both")
        return self

    @property
    def creatives(self) -> list[str]:
        return [self.play] if isinstance(self.play, str) else list(self.play)


# --------------------------------------------------------------------------- playlist


class Defaults(Strict):
    duration: Annotated[Duration, _within(limits.MIN_CREATIVE_S, limits.MAX_CREATIVE_S, "creative")] = 10.0
    fit: Fit = "fit"
    transition: TransitionSpec = _TransitionSpec()


class Playlist(Strict):
    """A whole playlist. References between its parts are checked here; files by the loader."""

    name: str = Field(min_length=1, max_length=200)
    timezone: str | None = Field(None, description="IANA zone for times and dates; default: the kiosk's own")
    campaign: DateRange | None = Field(None, description="nothing plays outside these dates")
    campaigns: list[Campaign] = Field(default_factory=list, max_length=limits.MAX_CAMPAIGNS,
                                      description="buyers' lines: flights and goals (rules and creatives join by campaign_id)")
    defaults: Defaults = Defaults()
    dayparts: dict[Id, TimeRange] = Field(default_factory=dict)
    creatives: list[Creative] = Field(min_length=1)
    loop: list[Id] = Field(min_length=1, description="what plays, in order, when no rule applies")
    rules: list[Rule] = Field(default_factory=list)
    recheck: Annotated[Duration, _within(limits.MIN_RECHECK_S, limits.MAX_RECHECK_S, "recheck period")] = Field(
        1.0, description="how often interrupting rules are checked while something plays")
    share_of_voice: Literal["plays", "time"] = Field(
        "plays", description="what weights share among rules of equal priority: plays, or screen time")

    @field_validator("timezone")
    @classmethod
    def _tz(cls, v: str | None) -> str | None:
        if v is not None:
            import zoneinfo

            try:
                zoneinfo.ZoneInfo(v)
            except (zoneinfo.ZoneInfoNotFoundError, ValueError):
                raise ValueError(f"{v!r} is not a known time zone (e.g. Europe/Paris)") from None
        return v

    @model_validator(mode="after")
    def _references(self) -> Playlist:
        errors = reference_errors(self.model_dump(by_alias=True, exclude_none=True, include=_REFERENCE_FIELDS))
        if errors:
            raise ValueError("; ".join(f"{path}: {msg}" for path, msg in errors))
        return self

    @model_validator(mode="after")
    def _shares(self) -> Playlist:
        errors = share_errors(self.rules)
        if errors:
            raise ValueError("; ".join(f"{path}: {msg}" for path, msg in errors))
        return self

    def campaign_id(self, rule_id: str | None, creative_id: str) -> str | None:
        """The campaign / line a play bills to: its rule's, else its creative's, else None."""
        rule = next((r for r in self.rules if r.id == rule_id), None) if rule_id else None
        if rule is not None and rule.campaign_id:
            return rule.campaign_id
        creative = next((c for c in self.creatives if c.id == creative_id), None)
        return creative.campaign_id if creative is not None else None

    def creative(self, cid: str) -> ImageCreative | VideoCreative | TextCreative:
        for c in self.creatives:
            if c.id == cid:
                return c
        raise KeyError(cid)

    def duration_of(self, cid: str) -> float:
        """Seconds a creative plays: its own duration, else the playlist default (a video's
        own length is filled in by the loader)."""
        d = self.creative(cid).duration
        return d if d is not None else self.defaults.duration


_REFERENCE_FIELDS = {"creatives", "loop", "rules", "dayparts", "campaigns"}


def _names(v: Any) -> list[str]:
    if isinstance(v, str):
        return [v]
    return [x for x in v if isinstance(x, str)] if isinstance(v, list) else []


def _dayparts_in(cond: Any, path: str) -> list[tuple[str, list[str]]]:
    if not isinstance(cond, dict):
        return []
    out = [(f"{path}.daypart", _names(cond["daypart"]))] if cond.get("daypart") else []
    for key in ("all", "any"):
        subs = cond.get(key)
        for i, sub in enumerate(subs if isinstance(subs, list) else []):
            out += _dayparts_in(sub, f"{path}.{key}.{i}")
    out += _dayparts_in(cond.get("not"), f"{path}.not")
    return out


def reference_errors(data: Any) -> list[tuple[str, str]]:
    """(path, message) for every id that a playlist's parts use but do not define.

    Works on plain data (as written, even when other parts are invalid) so that the
    loader can list these errors together with the rest.
    """
    if not isinstance(data, dict):
        return []
    def items(key: str) -> list[tuple[int, dict]]:
        v = data.get(key)
        return [(i, x) for i, x in enumerate(v) if isinstance(x, dict)] if isinstance(v, list) else []

    errors: list[tuple[str, str]] = []

    def ids_once(key: str) -> set[str]:
        seen: set[str] = set()
        for i, item in items(key):
            ident = item.get("id")
            if isinstance(ident, str):
                if ident in seen:
                    errors.append((f"{key}.{i}.id", f"{ident!r} is used twice"))
                seen.add(ident)
        return seen

    seen = ids_once("creatives")
    ids_once("rules")
    ids_once("campaigns")
    loop = data.get("loop")
    for i, cid in enumerate(loop if isinstance(loop, list) else []):
        if isinstance(cid, str) and cid not in seen:
            errors.append((f"loop.{i}", f"no creative has the id {cid!r}"))
    dayparts = data.get("dayparts") if isinstance(data.get("dayparts"), dict) else {}
    used: list[tuple[str, list[str]]] = []
    for i, r in items("rules"):
        play = r.get("play")
        for j, cid in enumerate(_names(play)):
            if cid not in seen:
                where = f"rules.{i}.play" + (f".{j}" if isinstance(play, list) else "")
                errors.append((where, f"no creative has the id {cid!r}"))
        used += _dayparts_in(r.get("when"), f"rules.{i}.when")
        if isinstance(r.get("schedule"), dict) and r["schedule"].get("daypart"):
            used.append((f"rules.{i}.schedule.daypart", _names(r["schedule"]["daypart"])))
    for i, c in items("creatives"):
        if isinstance(c.get("schedule"), dict) and c["schedule"].get("daypart"):
            used.append((f"creatives.{i}.schedule.daypart", _names(c["schedule"]["daypart"])))
    for path, names in used:
        for name in names:
            if name not in dayparts:
                errors.append((path, f"no daypart is named {name!r} (dayparts: {', '.join(dayparts) or 'none'})"))
    return errors


def json_schema() -> dict:
    schema = Playlist.model_json_schema(by_alias=True)
    cond = schema["$defs"]["Condition"]["properties"]
    # the other names Condition accepts (its _aliases validator)
    for other, same in (("mean_dwell_s", "dwell"), ("mean_attention_s", "attention_time"), ("people", "faces")):
        cond[other] = {**cond[same], "description": f"the same test as {same}"}
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "signage playlist"
    return schema
