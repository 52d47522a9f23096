"""The value types a report is made of: a line per creative, rule, hour or day, the people
counts of a play, the screen it is about (``screen_facts`` from the ``[screen]``
configuration), and the ``Report`` that holds them. Pure data; the arithmetic is in
``report.py``, the definitions in docs/reports.md."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(slots=True)
class CreativeLine:
    creative: str
    plays: int = 0
    completed: int = 0
    interrupted: int = 0
    skipped: int = 0
    errors: int = 0
    crashed: int = 0
    screen_time_s: float = 0.0
    camera_on_s: float = 0.0
    face_s: float = 0.0
    mean_faces: float = 0.0
    attention_s: float = 0.0
    attention_rate: float | None = None
    baseline_attention_rate: float | None = None
    attention_lift: float | None = None
    smile_response: float | None = None
    baseline_smile: float | None = None
    smile_lift: float | None = None
    passers_by: int = 0
    impressions: int = 0  # summed over its plays (impressions, not people)
    viewers: int = 0  # summed over its plays
    measured_plays: int = 0  # plays during which the camera was on (their counts are known)


@dataclass(slots=True)
class RuleLine:
    rule: str | None  # None: the default loop
    firings: int = 0
    completed: int = 0
    interrupted: int = 0
    skipped: int = 0
    errors: int = 0
    crashed: int = 0
    screen_time_s: float = 0.0
    creatives: list[str] = field(default_factory=list)
    impressions: int = 0
    viewers: int = 0


@dataclass(slots=True)
class Report:
    since: float
    until: float
    tz_name: str
    creatives: list[CreativeLine]
    rules: list[RuleLine]
    total: CreativeLine  # every play together, "creative" = "(all)"
    baseline_minutes: int = 0
    baseline_attention_rate: float | None = None
    baseline_smile: float | None = None
    camera_on_fraction: float | None = None  # of the minutes with a row
    site: str | None = None  # the site or screen the report is about, when the caller names it (the chart shows it)
    screen: ScreenFacts | None = None  # who the screen is (header of every report and export)
    people: int | None = None  # distinct people in the period (sum of arrivals); None: never measured
    lookers: int | None = None  # distinct people who looked 1 s (sum of new viewers)
    hours: list[PeriodLine] = field(default_factory=list)  # per hour of the period (local time)
    days: list[PeriodLine] = field(default_factory=list)  # per day of the period (local time)
    withheld: list[str] = field(default_factory=list)  # expression figures withheld: fewer than 3 people (anonymity.py)
    paused_s: float = 0.0  # seconds audience measurement was paused by passers-by (docs/objection.md)
    pauses: int = 0  # pauses begun in the period
    expressions_off: bool = False  # sensing.expressions = "off" on this screen: a missing smile figure says so

    @property
    def empty(self) -> bool:
        return not self.rules


@dataclass(frozen=True, slots=True)
class ScreenFacts:
    """The screen a report is about (from the ``[screen]`` configuration)."""

    id: str
    site: str = ""
    venue_type: str = ""  # OpenOOH venue taxonomy string value, "" = not set
    venue_type_id: int | None = None  # its OpenOOH enumeration id
    latitude: float | None = None
    longitude: float | None = None
    size_in: float | None = None
    timezone: str = ""  # IANA name, "" = the system's


@dataclass(frozen=True, slots=True)
class PlayCounts:
    """Impressions and viewers of one play; None when the camera was never on during it."""

    impressions: int | None
    viewers: int | None
    arrivals: int | None
    new_viewers: int | None


@dataclass(slots=True)
class PeriodLine:
    """One hour or day (``start``: epoch seconds of its local start): what played and who was there."""

    start: float
    plays: int = 0
    impressions: int = 0  # summed over the plays that started in it
    viewers: int = 0
    people: int | None = None  # distinct people (arrivals); None: the camera was never on
    lookers: int | None = None  # distinct people who looked (new viewers)
    camera_on_s: float = 0.0


def screen_facts(screen) -> ScreenFacts:
    """ScreenFacts from the ``[screen]`` configuration (signage.config.ScreenConfig)."""
    from signage.identity import screen_id, venue_types

    return ScreenFacts(
        id=screen_id(screen.id), site=screen.site, venue_type=screen.venue_type,
        venue_type_id=venue_types().get(screen.venue_type), latitude=screen.latitude,
        longitude=screen.longitude, size_in=screen.size_in, timezone=screen.timezone,
    )  # fmt: skip
