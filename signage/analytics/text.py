"""The text report of `signage report` (format table): who the screen is, then the proof of play
and attention table (formats.to_table), then the counts of people: impressions and viewers per
creative and rule, and distinct people per hour or day. Definitions: docs/reports.md."""

from __future__ import annotations

from signage.analytics.formats import _grid, to_table
from signage.analytics.periods import local
from signage.analytics.report_types import PeriodLine, Report, ScreenFacts

# Up to this many hours with data, people are listed per hour; beyond, per day.
MAX_HOUR_LINES = 48


def screen_line(screen: ScreenFacts | None) -> str:
    """'screen cafe-1 · Café Lumière · venue retail.grocery (OpenOOH 203) · 48.85, 2.35 · 43 in'."""
    if screen is None:
        return "screen: not named (set [screen] in the configuration)"
    parts = [f"screen {screen.id}"]
    if screen.site:
        parts.append(screen.site)
    if screen.venue_type:
        parts.append(f"venue {screen.venue_type} (OpenOOH {screen.venue_type_id})")
    if screen.latitude is not None and screen.longitude is not None:
        parts.append(f"{screen.latitude:.5f}, {screen.longitude:.5f}")
    if screen.size_in is not None:
        parts.append(f"{screen.size_in:g} in")
    if not screen.site and not screen.venue_type:
        parts.append("no site or venue type set ([screen] in the configuration, docs/reports.md)")
    return " · ".join(parts)


def _n(v: int | None) -> str:
    return "—" if v is None else str(v)


def _period_rows(lines: list[PeriodLine], tz, fmt: str) -> list[list[str]]:
    return [[local(ln.start, tz).strftime(fmt), str(ln.plays), _n(ln.people), _n(ln.lookers), str(ln.impressions),
             str(ln.viewers)] for ln in lines]  # fmt: skip


def people_text(report: Report, tz) -> list[str]:
    """The counts of people: per creative and rule (impressions, viewers), per hour or day (people)."""
    t = report.total
    out = [
        "",
        f"people: {_n(report.people)} distinct in the period ({_n(report.lookers)} looked at the screen for 1 s);"
        f" {t.impressions} impressions, {t.viewers} viewer impressions over {t.plays} plays",
        "",
    ]
    rows = [[c.creative, str(c.plays), str(c.measured_plays), str(c.impressions), str(c.viewers),
             f"{c.impressions / c.measured_plays:.1f}" if c.measured_plays else "—"]
            for c in report.creatives]  # fmt: skip
    out += ["impressions per creative:"] + ["  " + x for x in _grid(
        ["creative", "plays", "measured", "impressions", "viewers", "per play"], rows)]
    rule_rows = [[r.rule or "(default loop)", str(r.firings), str(r.impressions), str(r.viewers)] for r in report.rules]
    out += ["", "impressions per rule:"] + ["  " + x for x in _grid(["rule", "firings", "impressions", "viewers"], rule_rows)]
    hours = [h for h in report.hours if h.plays or h.people is not None]
    if hours and len(hours) <= MAX_HOUR_LINES:
        out += ["", "per hour:"] + ["  " + x for x in _grid(
            ["hour", "plays", "people", "lookers", "impressions", "viewers"], _period_rows(hours, tz, "%Y-%m-%d %H:00"))]
    elif report.days:
        out += ["", "per day:"] + ["  " + x for x in _grid(
            ["day", "plays", "people", "lookers", "impressions", "viewers"], _period_rows(report.days, tz, "%Y-%m-%d"))]
    out += [
        "",
        "impressions: people with at least 1 s in view while a play was on screen, summed over plays (one person",
        "through 3 plays is 3 impressions, 1 person); viewers: the same for 1 s of looking; measured: plays with the",
        "camera on. people: each person counted once, in the hour their first second in view fell in (these add up",
        "to the day's and the period's); lookers: the same for looking. —: the camera was never on (not measured).",
    ]
    return out


def to_text(report: Report, tz) -> str:
    """The whole text report: the screen, the table of formats.to_table, the counts of people."""
    head, _, rest = to_table(report, tz).partition("\n")
    lines = [head, screen_line(report.screen)]
    if report.empty:
        return "\n".join(lines) + "\n" + rest
    return "\n".join(lines) + "\n" + rest.rstrip("\n") + "\n" + "\n".join(people_text(report, tz)) + "\n"
