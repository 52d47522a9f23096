"""Value types that cross layer boundaries (sensing -> playlist -> render -> analytics).

Only anonymous aggregates live here: nothing in this module can hold an image,
a landmark or anything that identifies a person.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Literal

Trend = Literal["rising", "steady", "falling"]

# The snapshot's counts of people (each an integer over everyone, never one person's value).
COUNT_FIELDS = ("arrivals_total", "viewers_total", "play_impressions", "play_viewers",
                "minute_impressions", "minute_viewers")  # fmt: skip


@dataclass(frozen=True, slots=True)
class AudienceSnapshot:
    """What the audience looks like right now, over a sliding window.

    Definitions (see README, "Audience metrics"):
    - faces: people in front of the screen now (the opportunity to see, OTS, at this instant).
    - watchers: people present now who have looked at the screen for at least
      ``min_watch_s`` in total (the industry's "viewers"/"watchers").
    - attention_ratio: watchers / faces (0 when nobody is there).
    - smile_ratio / surprise_ratio: share of present faces whose expression could be
      measured and whose smoothed expression is a smile / a surprise look (0 when none measured);
      None when expressions are off (``sensing.expressions = "off"``: never computed).
    - passers_by: distinct people seen during the window (OTS over the window).
    - mean_dwell_s: mean time in front of the screen of the people seen in the window.
    - mean_attention_s: mean time spent looking at the screen, same people.
    - glances: look-ups (turning towards the screen) made during the window.
    - trend: whether the number of faces is rising, steady or falling over the window.

    Counts of people (signage.sensing.counting; docs/reports.md), integers only:
    - counts_epoch: which counter the totals come from (a new one starts from 0).
    - arrivals_total / viewers_total: people who reached 1 s in view / 1 s of looking since
      that counter started, each once (differences between two snapshots are additive).
    - play_label: the period the player marked last (its play id), None before any;
      play_impressions / play_viewers: people with at least 1 s in view / 1 s of looking
      since that play began (those already there included).
    - minute_label: the wall-clock minute (epoch seconds of its start) these frames fall in;
      minute_impressions / minute_viewers: the same, since that minute began.
    """

    t: float
    faces: int = 0
    measured: int = 0
    watchers: int = 0
    attention_ratio: float = 0.0
    smile_ratio: float | None = 0.0
    surprise_ratio: float | None = 0.0
    passers_by: int = 0
    mean_dwell_s: float = 0.0
    mean_attention_s: float = 0.0
    glances: int = 0
    trend: Trend = "steady"
    window_s: float = 0.0
    counts_epoch: int = 0
    arrivals_total: int = 0
    viewers_total: int = 0
    play_label: int | None = None
    play_impressions: int = 0
    play_viewers: int = 0
    minute_label: int | None = None
    minute_impressions: int = 0
    minute_viewers: int = 0

    def __post_init__(self) -> None:
        for name in ("faces", "measured", "watchers", "passers_by", "glances", *COUNT_FIELDS):
            if getattr(self, name) < 0:
                raise ValueError(f"AudienceSnapshot.{name} must be >= 0")
        if self.watchers > self.faces or self.measured > self.faces:
            raise ValueError("AudienceSnapshot: watchers and measured cannot exceed faces")
        for name in ("attention_ratio", "smile_ratio", "surprise_ratio"):
            v = getattr(self, name)
            if v is not None and not 0.0 <= v <= 1.0:
                raise ValueError(f"AudienceSnapshot.{name} must be within 0..1, got {v}")
        if self.trend not in ("rising", "steady", "falling"):
            raise ValueError(f"AudienceSnapshot.trend must be rising/steady/falling, got {self.trend!r}")

    def to_dict(self) -> dict:
        return asdict(self)


FitMode = Literal["fit", "fill", "stretch"]
TransitionKind = Literal["cut", "crossfade", "slide"]
CreativeKind = Literal["image", "video", "text"]


@dataclass(frozen=True, slots=True)
class TransitionSpec:
    """How the screen changes to a creative: a cut, a crossfade or a slide, over ``duration_s``."""

    kind: TransitionKind = "crossfade"
    duration_s: float = 0.6


@dataclass(frozen=True, slots=True)
class CreativeSpec:
    """Everything the renderer needs to draw one creative; built from a loaded playlist.

    Paths are absolute (resolved by the playlist loader). ``background`` is the letterbox
    colour of an image or video, or the slide colour of a text creative (``#rrggbb``).
    """

    id: str
    kind: CreativeKind
    duration_s: float
    fit: FitMode = "fit"
    background: str = "#000000"
    transition: TransitionSpec = TransitionSpec()
    path: str | None = None  # image or video file
    headline: str | None = None  # text slide
    body: str | None = None
    color: str = "#ffffff"
    accent: str | None = None
    background_image: str | None = None
    portrait_background_image: str | None = None  # text slide: its background on a screen taller than wide
    align: Literal["left", "center", "right"] = "center"
    full_bleed: bool = False  # cover the whole screen, under the notice too (default: the safe area)
    portrait_path: str | None = None  # the file for a screen taller than wide, when there is one

    def __post_init__(self) -> None:
        if self.kind in ("image", "video") and not self.path:
            raise ValueError(f"CreativeSpec {self.id!r}: an {self.kind} needs a path")
        if self.kind == "text" and not self.headline:
            raise ValueError(f"CreativeSpec {self.id!r}: a text slide needs a headline")
        if self.duration_s <= 0:
            raise ValueError(f"CreativeSpec {self.id!r}: duration must be > 0")


CameraState = Literal["off", "starting", "on", "reconnecting", "ended", "stopped", "paused"]


@dataclass(frozen=True, slots=True)
class SensingStatus:
    """What sensing is doing, in numbers and words only (crosses from sensing to the player).

    camera: "off" (disabled by configuration), "starting", "on" (frames arriving),
    "reconnecting" (failed or stalled; retried), "ended" (a video played once is over),
    "stopped", "paused" (closed while a passer-by's pause runs: signage/pause.py).
    """

    camera: CameraState
    source: str
    fps: float = 0.0  # frames analysed per second, over the last few seconds
    analysed: int = 0
    dropped: int = 0  # frames the capture dropped because analysis was busy
    reconnects: int = 0  # failures retried, by the service or by the camera itself
    last_error: str | None = None

    @property
    def camera_on(self) -> bool:
        """The camera is (or is about to be) capturing: the privacy notice says so."""
        return self.camera in ("starting", "on")
