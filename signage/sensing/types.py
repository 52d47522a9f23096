"""Per-frame value objects of the sensing pipeline, validated on construction.

A Frame holds pixels and never leaves ``signage.sensing``. A FaceObservation holds
scalars only (no landmark, no pixel). A Track summary holds an ephemeral id and
timings only.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Literal

import numpy as np

Expression = Literal["neutral", "smile", "surprise"]
EXPRESSIONS: tuple[Expression, ...] = ("neutral", "smile", "surprise")


@dataclass(frozen=True, slots=True, eq=False)
class Frame:
    """One BGR image from a source, in RAM only.

    t is seconds on the source's own timeline (video position, or time since a
    camera was opened); index counts frames delivered by the source.
    """

    image: np.ndarray
    t: float
    index: int
    source: str

    def __post_init__(self) -> None:
        img = self.image
        if not isinstance(img, np.ndarray) or img.ndim != 3 or img.shape[2] != 3 or img.dtype != np.uint8:
            raise ValueError("Frame.image must be an HxWx3 uint8 BGR array")
        if not math.isfinite(self.t) or self.t < 0:
            raise ValueError(f"Frame.t must be a finite time >= 0, got {self.t}")

    @property
    def size(self) -> tuple[int, int]:
        """(width, height) in pixels."""
        return int(self.image.shape[1]), int(self.image.shape[0])


def _unit(name: str, v: float | None) -> None:
    if v is not None and not (0.0 <= v <= 1.0):
        raise ValueError(f"FaceObservation.{name} must be within 0..1 or None, got {v}")


@dataclass(frozen=True, slots=True)
class FaceObservation:
    """One face in one frame, as scalars.

    box is (x, y, w, h) in pixels of the analysed frame. Faces too small for the
    landmark model are still reported (they count as present) with the fields
    that need landmarks set to None; ``measured`` tells which kind it is.
    """

    box: tuple[float, float, float, float]
    score: float
    yaw: float | None = None
    pitch: float | None = None
    roll: float | None = None
    looking: bool | None = None
    smile: float | None = None
    surprise: float | None = None
    mouth_open: float | None = None
    brow_raise: float | None = None
    expression: Expression | None = None

    def __post_init__(self) -> None:
        if len(self.box) != 4 or self.box[2] <= 0 or self.box[3] <= 0:
            raise ValueError(f"FaceObservation.box must be (x, y, w, h) with w, h > 0, got {self.box}")
        _unit("score", self.score)
        _unit("smile", self.smile)
        _unit("surprise", self.surprise)
        _unit("mouth_open", self.mouth_open)
        _unit("brow_raise", self.brow_raise)
        for name in ("yaw", "pitch", "roll"):
            v = getattr(self, name)
            if v is not None and not (-180.0 <= v <= 180.0):
                raise ValueError(f"FaceObservation.{name} must be degrees within -180..180, got {v}")
        if self.expression is not None and self.expression not in EXPRESSIONS:
            raise ValueError(f"FaceObservation.expression must be one of {EXPRESSIONS}, got {self.expression!r}")

    @property
    def measured(self) -> bool:
        """True when the face's expression was measured (large enough for landmarks, and
        expressions on). With expressions off a face's pose and looking are known, and it is
        not measured."""
        return self.expression is not None

    def to_dict(self, ndigits: int = 3) -> dict:
        d = asdict(self)
        d["box"] = [round(float(v), 1) for v in self.box]
        for k, v in d.items():
            if isinstance(v, float):
                d[k] = round(v, ndigits)
        return d


@dataclass(frozen=True, slots=True)
class TrackSummary:
    """What the tracker knows of one anonymous, short-lived track.

    id is ephemeral: a counter local to one tracker, never reused, with no link to
    the person. Once a track is lost it is forgotten for good.
    """

    id: int
    first_seen: float
    last_seen: float
    dwell_s: float
    attention_s: float
    glances: int
    looking: bool
    measured: bool
    smile: float | None
    surprise: float | None
    mouth_open: float | None
    brow_raise: float | None
    expression: Expression | None
    box: tuple[float, float, float, float] = field(default=(0.0, 0.0, 1.0, 1.0))

    def __post_init__(self) -> None:
        if self.last_seen < self.first_seen:
            raise ValueError("TrackSummary.last_seen must be >= first_seen")
        if self.dwell_s < 0 or self.attention_s < 0 or self.attention_s > self.dwell_s + 1e-6:
            raise ValueError("TrackSummary: 0 <= attention_s <= dwell_s")
