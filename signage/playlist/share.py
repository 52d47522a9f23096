"""Share of voice by screen time: how a rule's ``share`` is written and the checks a playlist's
shares must pass (pure; schema.py uses both).

A rule's ``share`` is the part of the screen time it is sold among the rules of its priority:
``75%``, or seconds of screen time per hour (``15m``, ``900s``, ``45m``). It is kept as a
fraction of the hour (0 to 1): 75% and 45m are both 0.75. Rules of one priority share the
screen either by plays (``weight``) or by screen time (``share``, or ``weight`` when the
playlist says ``share_of_voice: time``); a priority where some rules have a ``share`` needs
one on each.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from signage.playlist import limits
from signage.playlist.schema_values import parse_duration

HOUR_S = 3600.0


def parse_share(v: Any) -> Any:
    """``"75%"`` -> 0.75; ``"15m"``, ``"900s"`` (seconds per hour) -> 0.25. A bare number is
    refused: 0.75 and 900 would both be plausible."""
    if isinstance(v, bool) or isinstance(v, (int, float)):
        raise ValueError(f"{v!r}: write a share as a percentage (75%) or as seconds of screen time "
                         "per hour (15m, 900s)")
    if not isinstance(v, str):
        return v  # pydantic says what is wrong with it
    s = v.strip()
    if s.endswith("%"):
        try:
            pct = float(s[:-1])
        except ValueError:
            raise ValueError(f"{v!r} is not a percentage (write 75%)") from None
        if not limits.MIN_SHARE_PCT < pct <= limits.MAX_SHARE_PCT:  # NaN fails too
            raise ValueError(f"{v!r}: a share is more than {limits.MIN_SHARE_PCT:g}% and at most "
                             f"{limits.MAX_SHARE_PCT:g}% of the screen time")
        return pct / 100.0
    try:
        seconds = parse_duration(s)
    except ValueError:
        raise ValueError(f"{v!r} is not a share: write a percentage (75%) or seconds of screen time "
                         "per hour (15m, 900s)") from None
    if not 0.0 < seconds <= HOUR_S:
        raise ValueError(f"{v!r}: a share in time is more than 0 s and at most 1h of screen time per hour")
    return seconds / HOUR_S


def describe_share(fraction: float) -> str:
    """0.25 -> '25% (15m an hour)'."""
    return f"{fraction * 100:g}% ({limits.fmt_seconds(round(fraction * HOUR_S, 3))} an hour)"


def share_errors(rules: Sequence[Any]) -> list[tuple[str, str]]:
    """(path, message) for shares that cannot work: rules of one priority mixing ``share``
    and rules without, or shares adding up to more than the hour. ``rules``: the
    playlist's Rule models, in file order; disabled rules do not compete and are left out."""
    errors: list[tuple[str, str]] = []
    levels: dict[int, list[int]] = {}
    for i, r in enumerate(rules):
        if r.enabled:
            levels.setdefault(r.priority, []).append(i)
    for priority, members in levels.items():
        shared = [i for i in members if rules[i].share is not None]
        if not shared:
            continue
        names = ", ".join(repr(rules[i].id) for i in shared)
        for i in members:
            if rules[i].share is None:
                errors.append((f"rules.{i}", f"rule {rules[i].id!r} has priority {priority} like {names}, "
                               "which have a share of screen time: give it a share too, or another priority"))
        total = sum(rules[i].share for i in shared)
        if total > 1.0 + 1e-9:
            errors.append((f"rules.{shared[-1]}.share", f"the shares of priority {priority} add up to "
                           f"{describe_share(total)}: more than the hour ({_ids(rules, shared)})"))
    return errors


def _ids(rules: Sequence[Any], idx: Iterable[int]) -> str:
    return ", ".join(f"{rules[i].id} {rules[i].share * 100:g}%" for i in idx)
