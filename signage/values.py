"""Value types that cross layer boundaries (sensing -> playlist -> render -> analytics).

Only anonymous aggregates live here: nothing in this module can hold an image,
a landmark or anything that identifies a person.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Literal

Trend = Literal["rising", "steady", "falling"]


@dataclass(frozen=True, slots=True)
class AudienceSnapshot:
    """What the audience looks like right now, over a sliding window.

    Definitions (see README, "Audience metrics"):
    - faces: people in front of the screen now (the opportunity to see, OTS, at this instant).
    - watchers: people present now who have looked at the screen for at least
      ``min_watch_s`` in total (the industry's "viewers"/"watchers").
    - attention_ratio: watchers / faces (0 when nobody is there).
    - smile_ratio / surprise_ratio: share of present faces whose expression could be
      measured and whose smoothed expression is a smile / a surprise look (0 when none measured).
    - passers_by: distinct people seen during the window (OTS over the window).
    - mean_dwell_s: mean time in front of the screen of the people seen in the window.
    - mean_attention_s: mean time spent looking at the screen, same people.
    - glances: look-ups (turning towards the screen) made during the window.
    - trend: whether the number of faces is rising, steady or falling over the window.
    """

    t: float
    faces: int = 0
    measured: int = 0
    watchers: int = 0
    attention_ratio: float = 0.0
    smile_ratio: float = 0.0
    surprise_ratio: float = 0.0
    passers_by: int = 0
    mean_dwell_s: float = 0.0
    mean_attention_s: float = 0.0
    glances: int = 0
    trend: Trend = "steady"
    window_s: float = 0.0

    def __post_init__(self) -> None:
        for name in ("faces", "measured", "watchers", "passers_by", "glances"):
            if getattr(self, name) < 0:
                raise ValueError(f"AudienceSnapshot.{name} must be >= 0")
        if self.watchers > self.faces or self.measured > self.faces:
            raise ValueError("AudienceSnapshot: watchers and measured cannot exceed faces")
        for name in ("attention_ratio", "smile_ratio", "surprise_ratio"):
            v = getattr(self, name)
            if not 0.0 <= v <= 1.0:
                raise ValueError(f"AudienceSnapshot.{name} must be within 0..1, got {v}")
        if self.trend not in ("rising", "steady", "falling"):
            raise ValueError(f"AudienceSnapshot.trend must be rising/steady/falling, got {self.trend!r}")

    def to_dict(self) -> dict:
        return asdict(self)
