"""Pure evaluation of playlist conditions and schedules.

A Condition is compiled once into a small predicate over a Context (the audience
snapshot, or None when there is no audience measurement, and the local wall-clock time),
so that a decision over a thousand rules stays well under a millisecond.

Three-valued (Kleene) logic: a predicate answers True, False or None (unknown). With no
measurement (camera off, starting, reconnecting, stale, paused) every audience test is
unknown, and unknown propagates: not(unknown) = unknown; any is true as soon as one part
is true, else unknown if one part is unknown; all is false as soon as one part is false,
else unknown if one part is unknown. Time tests and ``camera`` are always decided. A rule
fires only on True. Schedules read the time only, so they are always decided.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from signage.playlist.schema import DAY_NAMES, Bounds, Condition, DateRange, Schedule, TimeRange
from signage.values import AudienceSnapshot


@dataclass(frozen=True, slots=True)
class Context:
    """What a condition can look at. ``audience`` is None while there is no measurement:
    every audience test is then unknown (None), and ``camera: off`` true."""

    audience: AudienceSnapshot | None
    local: dt.datetime  # wall-clock time where the screen is

    @property
    def weekday(self) -> str:
        return DAY_NAMES[self.local.weekday()]


Predicate = Callable[[Context], "bool | None"]  # None: unknown


def in_time_range(t: dt.time, r: TimeRange) -> bool:
    """from <= t < to; a range whose end is before its start wraps past midnight."""
    if r.from_ < r.to:
        return r.from_ <= t < r.to
    return t >= r.from_ or t < r.to


def in_date_range(d: dt.date, r: DateRange) -> bool:
    return (r.from_ is None or d >= r.from_) and (r.to is None or d <= r.to)


def _names(v: str | list[str] | None) -> list[str]:
    if v is None:
        return []
    return [v] if isinstance(v, str) else list(v)


def compile_schedule(s: Schedule | None, dayparts: Mapping[str, TimeRange]) -> Predicate:
    if s is None:
        return lambda ctx: True
    return _compile_time_parts(s.dates, s.days, s.time, _names(s.daypart), dayparts)


def _compile_time_parts(
    dates: DateRange | None,
    days: tuple[str, ...] | None,
    time: TimeRange | None,
    daypart_names: list[str],
    dayparts: Mapping[str, TimeRange],
) -> Predicate:
    tests: list[Predicate] = []
    if dates is not None:
        tests.append(lambda ctx, r=dates: in_date_range(ctx.local.date(), r))
    if days is not None:
        allowed = frozenset(days)
        tests.append(lambda ctx: ctx.weekday in allowed)
    if time is not None:
        tests.append(lambda ctx, r=time: in_time_range(ctx.local.time(), r))
    if daypart_names:
        ranges = [dayparts[n] for n in daypart_names]
        tests.append(lambda ctx: any(in_time_range(ctx.local.time(), r) for r in ranges))
    return _all(tests)


def _combine(tests: list[Predicate], decisive: bool) -> Predicate:
    """Kleene and (``decisive`` False) or or (True): the decisive value as soon as a part
    gives it, else None if a part is unknown, else the other value."""

    def combined(ctx: Context) -> bool | None:
        unknown = False
        for t in tests:
            v = t(ctx)
            if v is decisive:
                return decisive
            if v is None:
                unknown = True
        return None if unknown else not decisive

    return combined


def _all(tests: list[Predicate]) -> Predicate:
    """Kleene and: False if a part is False, else None if a part is unknown, else True."""
    if not tests:
        return lambda ctx: True
    if len(tests) == 1:
        return tests[0]
    return _combine(tests, False)


def _any(tests: list[Predicate]) -> Predicate:
    """Kleene or: True if a part is True, else None if a part is unknown, else False."""
    return _combine(tests, True)


def _not(inner: Predicate) -> Predicate:
    def neg(ctx: Context) -> bool | None:
        v = inner(ctx)
        return None if v is None else not v

    return neg


_METRIC_FIELDS = (
    "faces", "measured", "watchers", "attention_ratio", "smile_ratio", "surprise_ratio",
    "passers_by", "mean_dwell_s", "mean_attention_s", "glances",
)


def _bounds_test(metric: str, b: Bounds) -> Predicate:
    lo, hi, gt, lt = b.min, b.max, b.gt, b.lt

    def test(ctx: Context) -> bool | None:
        a = ctx.audience
        if a is None:
            return None
        x = getattr(a, metric)
        if x is None:
            return None  # not measured on this screen (smile_ratio with sensing.expressions = "off")
        # bool(): a numpy number from sensing compares to numpy.bool_, which is not True
        return bool((lo is None or x >= lo) and (hi is None or x <= hi) and (gt is None or x > gt) and (lt is None or x < lt))

    return test


def compile_condition(c: Condition, dayparts: Mapping[str, TimeRange]) -> Predicate:
    tests: list[Predicate] = []
    for metric in _METRIC_FIELDS:
        b = getattr(c, metric)
        if b is not None:
            tests.append(_bounds_test(metric, b))
    if c.trend is not None:
        tests.append(lambda ctx, want=c.trend: None if ctx.audience is None else bool(ctx.audience.trend == want))
    if c.camera is not None:
        tests.append(lambda ctx, on=(c.camera == "on"): (ctx.audience is not None) == on)
    if c.dates is not None or c.days is not None or c.time is not None or c.daypart:
        tests.append(_compile_time_parts(c.dates, c.days, c.time, _names(c.daypart), dayparts))
    if c.all is not None:
        tests += [compile_condition(sub, dayparts) for sub in c.all]
    if c.any is not None:
        tests.append(_any([compile_condition(sub, dayparts) for sub in c.any]))
    if c.not_ is not None:
        tests.append(_not(compile_condition(c.not_, dayparts)))
    return _all(tests)


# ----------------------------------------------------------------------------- wording

_LABEL = {"mean_dwell_s": "dwell", "mean_attention_s": "attention_time"}


def _fmt(x: float) -> str:
    return f"{x:g}"


def describe_bounds(name: str, b: Bounds) -> str:
    if b.min is not None and b.max is not None:
        return f"{name} = {_fmt(b.min)}" if b.min == b.max else f"{name} {_fmt(b.min)}..{_fmt(b.max)}"
    parts = []
    if b.min is not None:
        parts.append(f"{name} >= {_fmt(b.min)}")
    if b.gt is not None:
        parts.append(f"{name} > {_fmt(b.gt)}")
    if b.max is not None:
        parts.append(f"{name} <= {_fmt(b.max)}")
    if b.lt is not None:
        parts.append(f"{name} < {_fmt(b.lt)}")
    return " and ".join(parts)


def describe(c: Condition) -> str:
    """The condition in words, for timelines and logs: 'watchers >= 2 and smile_ratio > 0.5'."""
    parts: list[str] = []
    for metric in _METRIC_FIELDS:
        b = getattr(c, metric)
        if b is not None:
            parts.append(describe_bounds(_LABEL.get(metric, metric), b))
    if c.trend:
        parts.append(f"trend {c.trend}")
    if c.camera:
        parts.append(f"camera {c.camera}")
    if c.time:
        parts.append(f"{c.time.from_:%H:%M}-{c.time.to:%H:%M}")
    if c.days:
        parts.append(",".join(c.days))
    if c.dates:
        parts.append(f"{c.dates.from_ or '...'} to {c.dates.to or '...'}")
    if c.daypart:
        parts.append("daypart " + "/".join(_names(c.daypart)))
    if c.all:
        parts += [f"({describe(s)})" for s in c.all]
    if c.any:
        parts.append("(" + " or ".join(describe(s) for s in c.any) + ")")
    if c.not_ is not None:
        parts.append(f"not ({describe(c.not_)})")
    return " and ".join(parts)
