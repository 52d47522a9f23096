"""The chart's sample sizes and its per-day view, from the rows a report was built from.

- ``sample_sizes``: per creative (and "(all)"), the impressions (people x plays, summed over
  plays) and the people (arrivals during its plays: each person once).
- ``per_day``: one line per local day of the period, as the report's total line is for the
  whole period (the same-hours baseline from every minute of the period), small groups
  withheld as everywhere.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from signage.analytics.anonymity import withhold_small
from signage.analytics.facts import MinuteFacts, PlayFacts
from signage.analytics.periods import TZ, local
from signage.analytics.report import build_report
from signage.analytics.report_types import CreativeLine

ALL = "(all)"
MAX_DAYS = 14  # rows of the per-day view; a longer period shows its last MAX_DAYS days


def sample_sizes(plays: Sequence[PlayFacts], key: Callable[[PlayFacts], str] = lambda p: p.creative_id) -> dict[str, tuple[int, int]]:
    """label -> (impressions, people) over the plays that were on screen."""
    out: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for p in plays:
        if p.outcome in ("skipped", "error"):
            continue
        for label in (key(p), ALL):
            out[label][0] += p.audience.impressions
            out[label][1] += p.audience.arrivals
    return {k: (v[0], v[1]) for k, v in out.items()}


def day_label(day: dt.date) -> str:
    return f"{day:%a} {day.day} {day:%b}"


def days_of(since: float, until: float, tz: TZ) -> list[dt.date]:
    first = local(since, tz).date()
    last = local(max(since, until - 1), tz).date()
    return [first + dt.timedelta(days=i) for i in range((last - first).days + 1)]


@dataclass(slots=True)
class DayView:
    lines: list[CreativeLine]  # one per day shown, oldest first, named by day_label
    samples: dict[str, tuple[int, int]]  # day label -> (impressions, people)
    withheld: list[str] = field(default_factory=list)  # days whose smile figures are withheld
    days_in_period: int = 0


def per_day(plays: Sequence[PlayFacts], minutes: Sequence[MinuteFacts], since: float, until: float, tz: TZ) -> DayView:
    """The newest MAX_DAYS days of the period, one line each."""
    days = days_of(since, until, tz)
    shown = days[-MAX_DAYS:]
    by_day: dict[dt.date, list[PlayFacts]] = defaultdict(list)
    for p in plays:
        by_day[local(p.start_ts, tz).date()].append(p)
    view = DayView([], sample_sizes(plays, key=lambda p: day_label(local(p.start_ts, tz).date())),
                   days_in_period=len(days))
    for day in shown:
        ps = by_day.get(day, [])
        report = withhold_small(build_report(ps, minutes, since, until, tz), ps, minutes, tz)
        line = report.total
        line.creative = day_label(day)
        view.lines.append(line)
        if report.withheld:
            view.withheld.append(line.creative)
    return view
