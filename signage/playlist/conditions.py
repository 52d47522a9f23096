"""Audience and time tests of the playlist format: ``Bounds`` (a test on one number, written
``">= 2"``, ``"1..3"``, ``0`` or ``{min: 2, max: 5}``) and ``Condition`` (the tests a rule's
``when`` gives, with all / any / not), as strict pydantic models.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import Field, WithJsonSchema, model_validator

from signage.playlist import limits
from signage.playlist.schema_values import DateRange, Days, Strict, TimeRange

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

    def metrics_used(self) -> set[str]:
        """The audience metrics this condition tests, at any depth (under all, any and not)."""
        own = {m for m in METRICS if getattr(self, m) is not None}
        subs = (self.all or []) + (self.any or []) + ([self.not_] if self.not_ else [])
        return own.union(*(c.metrics_used() for c in subs))

    def uses_audience(self) -> bool:
        if any(getattr(self, m) is not None for m in METRICS + ("trend",)):
            return True
        subs = (self.all or []) + (self.any or []) + ([self.not_] if self.not_ else [])
        return any(c.uses_audience() for c in subs)
