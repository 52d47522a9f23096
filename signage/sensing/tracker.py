"""Anonymous, short-lived face tracks matched by where they are and where they were going.

Pure functions (``signage.sensing.association``: distance from the predicted position in
box sizes, a gate that widens with the time unseen and the track's speed, box overlap, a
greedy cascade) do the geometry and the assignment; the small stateful ``AnonymousTracker``
on top keeps, per track, a handful of scalars (times, attention, glances, smoothed
expression scores, latest box and velocity) and nothing else: no pixels, no landmarks, no
appearance, no embedding, no history of positions.

Ids are ephemeral: a counter local to one tracker, never reused, not even after
``reset``. A track unseen for more than ``hold_s`` is no longer reported (the person has
gone: counts follow within ``hold_s``), but it is kept, unreported, for re-matching until it
has been unseen for more than ``max_age_s``, so a face the detector misses for a moment keeps
its id (and its dwell): one passer-by. A track last seen at the frame's edge (a person
leaving) is kept only ``edge_age_s``. Then it is deleted and its state dropped entirely; a
person who comes back later is a new track with a new id. ``cut()`` (a scene cut, from
``signage.sensing.cuts``) ends every track at once: nobody is matched across it.

Time accounting (times are the ``t`` passed to ``update``):
- dwell_s = last_seen - first_seen (first to last observation of the track).
- attention_s: the ``looking`` value of an observation is held until the track's next
  observation (zero-order hold); the interval between two consecutive observations of
  the track is credited when the earlier one was looking, with the interval capped at
  ``MAX_DT_S`` so a gap in detection does not over-credit. Hence attention_s <= dwell_s.
- a looking episode is a run of consecutive observations with ``looking`` True; its
  duration is the attention credited during it (including the interval up to the first
  observation that is no longer looking). Each episode counts as one glance once its
  duration reaches ``min_glance_s`` (at once when min_glance_s is 0).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from signage.config import ExpressionConfig, TrackerConfig
from signage.sensing.association import at_edge, cost_matrix, greedy, iou_matrix, match
from signage.sensing.features import classify_expression
from signage.sensing.types import Expression, FaceObservation, TrackSummary

# Longest interval between two observations of a track that is credited as attention.
MAX_DT_S = 0.5
# Tolerance for comparing sums of float intervals with thresholds.
_EPS = 1e-9
# Time constant of the smoothing of a track's velocity.
VELOCITY_TAU_S = 0.3
__all__ = ["AnonymousTracker", "iou_matrix", "match"]


@dataclass(slots=True)
class _Track:
    """Internal state of one track: scalars only."""

    id: int
    first_seen: float
    last_seen: float
    box: tuple[float, float, float, float]
    hits: int = 0
    vx: float = 0.0  # velocity of the box centre, px/s (smoothed)
    vy: float = 0.0
    left_at_edge: bool = False  # last seen touching the frame's border
    attention_s: float = 0.0
    glances: int = 0
    looking: bool = False
    measured: bool = False
    episode_s: float = 0.0  # duration of the current looking episode
    episode_counted: bool = False  # the current episode already counted as a glance
    smile: float | None = None
    surprise: float | None = None
    mouth_open: float | None = None
    brow_raise: float | None = None
    ema_t: float | None = None  # time of the last smoothing update


def _ema(prev: float | None, value: float | None, alpha: float) -> float | None:
    if value is None:
        return prev
    if prev is None:
        return float(value)
    return prev + alpha * (float(value) - prev)


class AnonymousTracker:
    """Short-lived anonymous tracks from per-frame face boxes (position only)."""

    def __init__(self, cfg: TrackerConfig, expression: ExpressionConfig) -> None:
        self.cfg = cfg
        self.expression_cfg = expression
        self._tracks: list[_Track] = []
        self._next_id = 1  # never reset: ids are never reused by this tracker
        self._t: float | None = None

    @property
    def active_count(self) -> int:
        """Tracks held right now, confirmed or not."""
        return len(self._tracks)

    def reset(self) -> None:
        """Forget every track (the id counter keeps running, so no id is ever reused)."""
        self._tracks = []
        self._t = None

    def cut(self) -> None:
        """A scene cut: every track ends now (forgotten; the clock goes on)."""
        self._tracks = []

    def update(self, faces: Sequence[FaceObservation], t: float,
               frame_size: tuple[int, int] | None = None) -> list[TrackSummary]:
        """Match this frame's faces to the tracks at time ``t`` (seconds, non-decreasing);
        ``frame_size`` (width, height) tells which tracks left by the frame's edge.

        Returns the confirmed tracks present: matched in this frame, or unmatched for at
        most ``hold_s`` (a face missed for a frame or one detector run), sorted by id.
        Tracks unseen for longer are held, unreported, until ``max_age_s`` (``edge_age_s``
        for one last seen at the edge).
        """
        t = float(t)
        if not math.isfinite(t):
            raise ValueError(f"tracker time must be finite, got {t}")
        if self._t is not None and t < self._t:
            raise ValueError(f"tracker time went backwards: {t} < {self._t}")
        self._t = t
        cfg = self.cfg
        hold = min(cfg.hold_s, cfg.max_age_s)

        # Forget tracks unseen for too long, before matching: nobody is re-identified. A track
        # not yet confirmed (a one-frame false face) is kept no longer than it is reported.
        self._tracks = [tr for tr in self._tracks if t - tr.last_seen <= self._max_unseen(tr, hold)]

        matched_faces: set[int] = set()
        if self._tracks and faces:
            unseen = [t - tr.last_seen for tr in self._tracks]
            cost = cost_matrix(
                [tr.box for tr in self._tracks], [(tr.vx, tr.vy) for tr in self._tracks], unseen,
                [cfg.new_track_speed if tr.last_seen - tr.first_seen < cfg.new_track_s else 0.0 for tr in self._tracks],
                [f.box for f in faces],
                min_iou=cfg.min_iou, gate_base=cfg.gate_base, gate_growth_per_s=cfg.gate_growth_per_s,
                gate_max=cfg.gate_max, max_size_ratio=cfg.max_size_ratio,
            )
            for r, c in greedy(cost):
                self._observe(self._tracks[r], faces[c], t, frame_size)
                matched_faces.add(c)
        for i, face in enumerate(faces):
            if i not in matched_faces:
                tr = _Track(id=self._next_id, first_seen=t, last_seen=t, box=_box(face))
                self._next_id += 1
                self._observe(tr, face, t, frame_size)
                self._tracks.append(tr)

        return [self._summary(tr) for tr in self._tracks
                if tr.hits >= cfg.min_hits and t - tr.last_seen <= hold + _EPS]

    # -- internals -------------------------------------------------------------------
    def _max_unseen(self, tr: _Track, hold: float) -> float:
        if tr.hits < self.cfg.min_hits:
            return hold
        return min(self.cfg.edge_age_s, self.cfg.max_age_s) if tr.left_at_edge else self.cfg.max_age_s

    def _observe(self, tr: _Track, face: FaceObservation, t: float, frame_size: tuple[int, int] | None) -> None:
        cfg = self.cfg
        box = _box(face)
        dt = t - tr.last_seen
        if tr.hits and dt > 0:
            a = 1.0 - math.exp(-dt / VELOCITY_TAU_S)
            (cx, cy), (nx, ny) = _centre(tr.box), _centre(box)
            tr.vx += a * ((nx - cx) / dt - tr.vx)
            tr.vy += a * ((ny - cy) / dt - tr.vy)
        tr.left_at_edge = at_edge(box, frame_size)
        credit = min(max(t - tr.last_seen, 0.0), MAX_DT_S)
        was_looking = tr.looking
        now_looking = bool(face.looking)  # None (unknown) counts as not looking
        if was_looking:
            tr.attention_s += credit
            tr.episode_s += credit
        if now_looking and not was_looking:
            tr.episode_s = 0.0
            tr.episode_counted = False
        if (was_looking or now_looking) and not tr.episode_counted and tr.episode_s + _EPS >= cfg.min_glance_s:
            tr.glances += 1
            tr.episode_counted = True

        if face.measured:
            tau = cfg.smoothing_tau_s
            dt = 0.0 if tr.ema_t is None else max(t - tr.ema_t, 0.0)
            alpha = 1.0 if tau <= 0 else 1.0 - math.exp(-dt / tau)
            tr.smile = _ema(tr.smile, face.smile, alpha)
            tr.surprise = _ema(tr.surprise, face.surprise, alpha)
            tr.mouth_open = _ema(tr.mouth_open, face.mouth_open, alpha)
            tr.brow_raise = _ema(tr.brow_raise, face.brow_raise, alpha)
            tr.ema_t = t

        tr.looking = now_looking
        tr.measured = face.measured
        tr.box = box
        tr.last_seen = t
        tr.hits += 1

    def _summary(self, tr: _Track) -> TrackSummary:
        dwell = tr.last_seen - tr.first_seen
        expression: Expression | None = None
        if tr.smile is not None and tr.surprise is not None:
            expression = classify_expression(tr.smile, tr.surprise, self.expression_cfg)
        return TrackSummary(
            id=tr.id,
            first_seen=tr.first_seen,
            last_seen=tr.last_seen,
            dwell_s=dwell,
            attention_s=min(tr.attention_s, dwell),
            glances=tr.glances,
            looking=tr.looking,
            measured=tr.measured,
            smile=tr.smile,
            surprise=tr.surprise,
            mouth_open=tr.mouth_open,
            brow_raise=tr.brow_raise,
            expression=expression,
            box=tr.box,
        )


def _box(face: FaceObservation) -> tuple[float, float, float, float]:
    x, y, w, h = face.box
    return float(x), float(y), float(w), float(h)


def _centre(box: tuple[float, float, float, float]) -> tuple[float, float]:
    return box[0] + box[2] / 2.0, box[1] + box[3] / 2.0
