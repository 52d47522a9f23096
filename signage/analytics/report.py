"""Reports: per creative and per rule, over a period, from the analytics database.

``load_history`` (``facts.py``) reads the rows of a period; ``build_report`` here is pure
arithmetic on them, into the types of ``report_types.py`` (periods and time zones:
``periods.py``).

Definitions (README, "Analytics and reports"):

- plays: plays shown (completed + interrupted + crashed: cut short by a crash, on record up
  to their last checkpoint); skipped and error plays are counted apart; a play still on
  screen (an open row) is not counted until it ends.
- screen time: sum of the plays' durations.
- mean faces: face-seconds / camera-on seconds during its plays (people in front of the
  screen, on average, while it played and the camera was on).
- attention seconds: watcher-seconds during its plays (the integral of the number of
  watchers over time).
- attention rate: attention seconds / face-seconds (the share of the audience's time in
  front of the screen during its plays that was spent by watchers).
- smile response: smiling face-seconds / measured face-seconds during its plays.
- baseline of the same hours: the same measure over all the per-minute audience
  aggregates of the period (whatever played, its own plays included: nothing is
  excluded), taken hour of day by hour of day, and weighted by the creative's own
  audience in each hour of day (face-seconds for attention, measured face-seconds for
  smiles; a play counts in the hour it started). It is what the creative would score if
  its audience behaved like everyone seen at the same hours.
- lift: creative / baseline - 1 (+0.25 = 25% above the baseline); none when the
  baseline is 0 or unknown, or when the creative's own audience is too small to say
  (under MIN_LIFT_S face-seconds, measured face-seconds for smiles: a few seconds of one
  person would otherwise give lifts of hundreds of percent).

Counts of people (docs/reports.md, "What the figures mean"):

- impressions (of a play): people with at least 1 s in view while it played; viewers: people
  who looked at it for at least 1 s. Per creative, rule, hour or day they are summed over the
  plays: impressions are events, not people (one man standing through 3 plays is 3 impressions).
- people (of a period): distinct people, each counted once, in the period their first second in
  view fell in: the sum of the per-minute arrivals (of the plays' arrivals when no minute is
  stored). lookers: the same for the first second of looking. Never a sum of per-play figures.
- unknown (None) where the camera was never on: a count of 0 then means nothing was measured.
- paused: the seconds audience measurement was paused by passers-by (docs/objection.md) and
  the pauses begun, from the minutes (from the plays when no minute is stored).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence

from signage.analytics.aggregate import AudienceTotals, ratio
from signage.analytics.facts import MinuteFacts, PlayFacts
from signage.analytics.periods import TZ, local, period_start, tz_label
from signage.analytics.report_types import CreativeLine, PeriodLine, PlayCounts, Report, RuleLine, ScreenFacts

MIN_LIFT_S = 30.0  # person-seconds of audience below which a lift is not shown


def lift(value: float | None, baseline: float | None, sample_s: float = MIN_LIFT_S) -> float | None:
    if value is None or baseline is None or baseline <= 0 or sample_s < MIN_LIFT_S:
        return None
    return value / baseline - 1.0


def hourly_rates(minutes: Iterable[MinuteFacts], tz: TZ, num: str, den: str) -> dict[int, float]:
    """Hour of day -> sum(num) / sum(den) over the minutes of that hour (hours with den > 0)."""
    n: dict[int, float] = defaultdict(float)
    d: dict[int, float] = defaultdict(float)
    for m in minutes:
        h = local(m.minute_ts, tz).hour
        n[h] += getattr(m.audience, num)
        d[h] += getattr(m.audience, den)
    return {h: n[h] / d[h] for h in d if d[h] > 0}


def same_hours_baseline(
    plays: Iterable[PlayFacts], rates: dict[int, float], tz: TZ, den: str
) -> float | None:
    """The hourly rates weighted by the plays' own ``den`` in each hour of day (by start hour)."""
    weights: dict[int, float] = defaultdict(float)
    for p in plays:
        weights[local(p.start_ts, tz).hour] += getattr(p.audience, den)
    total = sum(w for h, w in weights.items() if h in rates)
    if total <= 0:
        return None
    return sum(w * rates[h] for h, w in weights.items() if h in rates) / total


_OUTCOME_FIELD = {
    "completed": "completed", "interrupted": "interrupted", "skipped": "skipped", "error": "errors", "crashed": "crashed",
}  # fmt: skip


def _count(line: CreativeLine | RuleLine, p: PlayFacts) -> None:
    setattr(line, _OUTCOME_FIELD[p.outcome], getattr(line, _OUTCOME_FIELD[p.outcome]) + 1)
    line.screen_time_s += max(0.0, p.end_ts - p.start_ts)


def creative_line(
    name: str, plays: Sequence[PlayFacts], attention_rates: dict[int, float], smile_rates: dict[int, float], tz: TZ
) -> CreativeLine:
    line = CreativeLine(name)
    audience = AudienceTotals()
    for p in plays:
        _count(line, p)
        audience = audience.merge(p.audience)
        line.passers_by += p.audience.passers_by
        line.impressions += p.audience.impressions
        line.viewers += p.audience.viewers
        line.measured_plays += 1 if _shown(p) and p.audience.camera_on_s > 0 else 0
    line.plays = line.completed + line.interrupted + line.crashed
    line.camera_on_s = audience.camera_on_s
    line.face_s = audience.face_s
    line.mean_faces = audience.mean_faces
    line.attention_s = audience.watcher_s
    if audience.face_s > 0:
        line.attention_rate = audience.attention_ratio
    if audience.measured_s > 0:
        line.smile_response = audience.smile_ratio
    line.baseline_attention_rate = same_hours_baseline(plays, attention_rates, tz, "face_s")
    line.baseline_smile = same_hours_baseline(plays, smile_rates, tz, "measured_s")
    line.attention_lift = lift(line.attention_rate, line.baseline_attention_rate, audience.face_s)
    line.smile_lift = lift(line.smile_response, line.baseline_smile, audience.measured_s)
    return line


def play_counts(p: PlayFacts) -> PlayCounts:
    """The people counts of one play as an export shows them: None (unknown) when the camera was
    never on during the play (0 then would claim an empty room)."""
    if p.audience.camera_on_s <= 0:
        return PlayCounts(None, None, None, None)
    a = p.audience
    return PlayCounts(a.impressions, a.viewers, a.arrivals, a.new_viewers)


def _shown(p: PlayFacts) -> bool:
    return p.outcome in ("completed", "interrupted")


def audience_by_period(
    plays: Sequence[PlayFacts], minutes: Sequence[MinuteFacts], tz: TZ, unit: str = "hour"
) -> list[PeriodLine]:
    """Per local hour (or day), in time order: plays shown, impressions and viewers summed over
    them, and the distinct people from the arrivals (of the minutes; of the plays when there is no
    minute row at all). A bucket with plays or minutes only is listed; people None where the
    camera was never on in it."""
    lines: dict[float, PeriodLine] = {}

    def line(ts: float) -> PeriodLine:
        k = period_start(ts, tz, unit)
        return lines.setdefault(k, PeriodLine(k))

    for p in plays:
        if not _shown(p):
            continue
        ln = line(p.start_ts)
        ln.plays += 1
        ln.impressions += p.audience.impressions
        ln.viewers += p.audience.viewers
    counted = [(float(m.minute_ts), m.audience) for m in minutes] or [(p.start_ts, p.audience) for p in plays]
    for ts, a in counted:
        ln = line(ts)
        ln.camera_on_s += a.camera_on_s
        if a.camera_on_s > 0:
            ln.people = (ln.people or 0) + a.arrivals
            ln.lookers = (ln.lookers or 0) + a.new_viewers
    return [lines[k] for k in sorted(lines)]


def build_report(
    plays: Sequence[PlayFacts], minutes: Sequence[MinuteFacts], since: float | None, until: float, tz: TZ = None,
    screen: ScreenFacts | None = None,
) -> Report:
    attention_rates = hourly_rates(minutes, tz, "watcher_s", "face_s")
    smile_rates = hourly_rates(minutes, tz, "smile_s", "measured_s")
    by_creative: dict[str, list[PlayFacts]] = defaultdict(list)
    by_rule: dict[str | None, RuleLine] = {}
    for p in plays:
        by_creative[p.creative_id].append(p)
        rule = by_rule.setdefault(p.rule_id, RuleLine(p.rule_id))
        rule.firings += 1
        _count(rule, p)
        rule.impressions += p.audience.impressions
        rule.viewers += p.audience.viewers
        if p.creative_id not in rule.creatives:
            rule.creatives.append(p.creative_id)
    creatives = sorted(
        (creative_line(c, ps, attention_rates, smile_rates, tz) for c, ps in by_creative.items()),
        key=lambda c: (-c.screen_time_s, c.creative),
    )
    rules = sorted(by_rule.values(), key=lambda r: (r.rule is None, -r.firings, r.rule or ""))
    everything = AudienceTotals()
    for m in minutes:
        everything = everything.merge(m.audience)
    starts = [p.start_ts for p in plays] + [float(m.minute_ts) for m in minutes]
    paused = [m.audience for m in minutes] or [p.audience for p in plays]
    days = audience_by_period(plays, minutes, tz, "day")
    known = [d for d in days if d.people is not None]
    return Report(
        since=since if since is not None else (min(starts) if starts else until),
        until=until,
        tz_name=tz_label(tz),
        creatives=creatives,
        rules=rules,
        total=creative_line("(all)", plays, attention_rates, smile_rates, tz),
        baseline_minutes=len(minutes),
        baseline_attention_rate=everything.attention_ratio if everything.face_s > 0 else None,
        baseline_smile=everything.smile_ratio if everything.measured_s > 0 else None,
        camera_on_fraction=ratio(everything.camera_on_s, everything.span_s) if minutes else None,
        site=(screen.site or None) if screen is not None else None,
        screen=screen,
        people=sum(d.people or 0 for d in known) if known else None,
        lookers=sum(d.lookers or 0 for d in known) if known else None,
        hours=audience_by_period(plays, minutes, tz, "hour"),
        days=days,
        paused_s=sum(a.paused_s for a in paused),
        pauses=sum(a.pauses for a in paused),
    )
