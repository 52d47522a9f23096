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

The values (durations, times, days, dates, schedules) are in schema_values.py, the
audience tests in conditions.py, the creatives in creatives.py; this module holds the
rules and the whole playlist and re-exports the rest: it is the format's public face.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Field, PlainSerializer, WithJsonSchema, field_validator, model_validator

from signage.playlist import limits
from signage.playlist.campaign_schema import Campaign, CampaignId
from signage.playlist.conditions import (  # noqa: F401  (re-exported)
    _BOUNDS_JSON, _CMP, _RANGE, METRIC_ALIASES, METRICS, RATIO_METRICS, Bounds, BoundsTest, Condition,
)
from signage.playlist.creatives import (  # noqa: F401  (re-exported)
    Creative, Fit, ImageCreative, TextCreative, Transition, TransitionSpec, VideoCreative, _CreativeBase,
    _TransitionSpec,
)
from signage.playlist.limits import fmt_seconds  # noqa: F401  (re-exported)
from signage.playlist.schema_values import (  # noqa: F401  (re-exported)
    _COLOR, _DAY_ALIASES, _DAY_GROUPS, _DURATION, DAY_NAMES, Color, DateRange, Days, Duration, Id, Schedule, Strict,
    TimeOfDay, TimeRange, _parse_color, _parse_days, _parse_time_of_day, _within, parse_duration,
)
from signage.playlist.share import parse_share, share_errors

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
