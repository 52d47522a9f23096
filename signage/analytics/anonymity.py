"""Small groups stay anonymous (privacy invariant 9): expression figures (smile, surprise)
of fewer than ``MIN_PEOPLE`` measured people are withheld from every report and export.

"Measured people" behind a figure, from what is stored (no row per person exists): the
larger of the people who arrived during its rows (``arrivals``: each person counted once,
so their sum over rows is a count of distinct people) and the most people one row had in
view for at least 1 s (``impressions`` of one play, distinct within it). Both count people
in view, not only the faces large enough to measure; a figure also needs measured
face-seconds (``measured_s`` > 0). A row set that counts fewer people than that, including
rows stored before people were counted (schema 1: 0), shows no expression figure.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence

from signage.analytics.aggregate import AudienceTotals
from signage.analytics.facts import MinuteFacts, PlayFacts
from signage.analytics.periods import TZ, local
from signage.analytics.report_types import Report

MIN_PEOPLE = 3
WITHHELD = "fewer than 3 people"  # the reason, in exports and on the chart
NOT_MEASURED = "no measured faces"
EXPRESSIONS_OFF = "expressions off"  # sensing.expressions = "off": smiles and surprise never computed


def mark_expressions_off(rows: Sequence[dict]) -> list[dict]:
    """Export rows of a screen with expressions off: a figure missing for want of measured faces
    says why (``expressions_withheld``: "expressions off", not "no measured faces")."""
    return [{**r, "expressions_withheld": EXPRESSIONS_OFF} if r.get("expressions_withheld") == NOT_MEASURED else r
            for r in rows]
WITHHELD_MARK = "–"  # what the table and the chart show in place of a withheld figure


def people(rows: Iterable[AudienceTotals]) -> int:
    """Distinct people known to be behind a set of rows (see the module's docstring)."""
    arrivals, most = 0, 0
    for t in rows:
        arrivals += t.arrivals
        most = max(most, t.impressions)
    return max(arrivals, most)


def expression_note(rows: Sequence[AudienceTotals]) -> str:
    """'' when expression figures of these rows may be shown, else why not."""
    if sum(t.measured_s for t in rows) <= 0:
        return NOT_MEASURED
    return WITHHELD if people(rows) < MIN_PEOPLE else ""


def withhold_small(report: Report, plays: Sequence[PlayFacts], minutes: Sequence[MinuteFacts], tz: TZ = None) -> Report:
    """The report with the smile figures of creatives (and of the total, and of the baselines)
    behind fewer than MIN_PEOPLE people set to None; their names go in ``report.withheld``."""
    by_creative: dict[str, list[AudienceTotals]] = defaultdict(list)
    hours: dict[str, set[int]] = defaultdict(set)
    for p in plays:
        by_creative[p.creative_id].append(p.audience)
        if p.audience.measured_s > 0:
            hours[p.creative_id].add(local(p.start_ts, tz).hour)
    minutes_by_hour: dict[int, list[AudienceTotals]] = defaultdict(list)
    for m in minutes:
        minutes_by_hour[local(m.minute_ts, tz).hour].append(m.audience)
    every_hour = {h for hs in hours.values() for h in hs}

    def baseline_small(hs: set[int]) -> bool:
        return people(t for h in hs for t in minutes_by_hour.get(h, ())) < MIN_PEOPLE

    withheld = []
    for line in report.creatives + [report.total]:
        rows = [t for ps in by_creative.values() for t in ps] if line is report.total else by_creative.get(line.creative, [])
        own_small = people(rows) < MIN_PEOPLE
        base_small = baseline_small(every_hour if line is report.total else hours.get(line.creative, set()))
        if own_small and line.smile_response is not None:
            withheld.append(line.creative)
        if own_small:
            line.smile_response = None
        if base_small:
            line.baseline_smile = None
        if own_small or base_small:
            line.smile_lift = None
    if people(m.audience for m in minutes) < MIN_PEOPLE:
        report.baseline_smile = None
    report.withheld = withheld
    return report
