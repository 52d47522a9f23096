"""Anonymous, short-lived face tracks matched by box overlap (IoU) only.

Pure functions (``iou_matrix``, ``match``) do the geometry and the assignment; the
small stateful ``AnonymousTracker`` on top keeps, per track, a handful of scalars
(times, attention, glances, smoothed expression scores, latest box) and nothing else:
no pixels, no landmarks, no appearance, no embedding, no history of positions.

Ids are ephemeral: a counter local to one tracker, never reused, not even after
``reset``. A track unseen for more than ``hold_s`` is no longer reported (the person has
gone: counts follow within ``hold_s``), but it is kept, unreported, for re-matching until it
has been unseen for more than ``max_age_s``, so a face the detector misses for a moment keeps
its id (and its dwell). Then it is deleted and its state dropped entirely; a person who
comes back later is a new track with a new id.

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

import numpy as np

from signage.config import ExpressionConfig, TrackerConfig
from signage.sensing.features import classify_expression
from signage.sensing.types import Expression, FaceObservation, TrackSummary

# Longest interval between two observations of a track that is credited as attention.
MAX_DT_S = 0.5
# Tolerance for comparing sums of float intervals with thresholds.
_EPS = 1e-9


def _as_boxes(a: np.ndarray | Sequence) -> np.ndarray:
    arr = np.asarray(a, dtype=np.float64)
    if arr.size == 0:
        return arr.reshape(0, 4)
    if arr.ndim != 2 or arr.shape[1] != 4:
        raise ValueError(f"boxes must be an (N, 4) array of (x, y, w, h), got shape {arr.shape}")
    return arr


def iou_matrix(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Intersection over union of every box of ``a`` (N, 4) with every box of ``b`` (M, 4).

    Boxes are (x, y, w, h). Returns an (N, M) float array in 0..1; a pair whose union
    is empty (degenerate boxes) has IoU 0.
    """
    a = _as_boxes(a)
    b = _as_boxes(b)
    ax0, ay0 = a[:, 0:1], a[:, 1:2]
    ax1, ay1 = ax0 + a[:, 2:3], ay0 + a[:, 3:4]
    bx0, by0 = b[:, 0], b[:, 1]
    bx1, by1 = bx0 + b[:, 2], by0 + b[:, 3]
    iw = np.clip(np.minimum(ax1, bx1) - np.maximum(ax0, bx0), 0.0, None)
    ih = np.clip(np.minimum(ay1, by1) - np.maximum(ay0, by0), 0.0, None)
    inter = iw * ih
    area_a = np.clip(a[:, 2], 0.0, None) * np.clip(a[:, 3], 0.0, None)
    area_b = np.clip(b[:, 2], 0.0, None) * np.clip(b[:, 3], 0.0, None)
    union = area_a[:, None] + area_b[None, :] - inter
    out = np.zeros((a.shape[0], b.shape[0]), dtype=np.float64)
    np.divide(inter, union, out=out, where=union > 0)
    return out


def match(iou: np.ndarray, min_iou: float) -> list[tuple[int, int]]:
    """Greedy assignment: repeatedly take the highest remaining IoU pair.

    Each row and each column is used at most once; pairs with IoU below ``min_iou``
    are never matched. Ties go to the lower row, then the lower column. Returns
    (row, col) pairs in the order they were chosen (highest IoU first).
    """
    iou = np.asarray(iou, dtype=np.float64)
    if iou.size == 0:
        return []
    n, m = iou.shape
    flat = iou.ravel()
    order = np.argsort(-flat, kind="stable")
    used_r = np.zeros(n, dtype=bool)
    used_c = np.zeros(m, dtype=bool)
    pairs: list[tuple[int, int]] = []
    for k in order:
        if flat[k] < min_iou:
            break  # sorted: everything after is lower
        r, c = divmod(int(k), m)
        if used_r[r] or used_c[c]:
            continue
        used_r[r] = used_c[c] = True
        pairs.append((r, c))
        if len(pairs) == min(n, m):
            break
    return pairs


@dataclass(slots=True)
class _Track:
    """Internal state of one track: scalars only."""

    id: int
    first_seen: float
    last_seen: float
    box: tuple[float, float, float, float]
    hits: int = 0
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
    """Short-lived anonymous tracks from per-frame face boxes (IoU matching only)."""

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

    def update(self, faces: Sequence[FaceObservation], t: float) -> list[TrackSummary]:
        """Match this frame's faces to the tracks at time ``t`` (seconds, non-decreasing).

        Returns the confirmed tracks present: matched in this frame, or unmatched for at
        most ``hold_s`` (a face missed for a frame or one detector run), sorted by id.
        Tracks unseen for longer are held, unreported, until ``max_age_s``.
        """
        t = float(t)
        if not math.isfinite(t):
            raise ValueError(f"tracker time must be finite, got {t}")
        if self._t is not None and t < self._t:
            raise ValueError(f"tracker time went backwards: {t} < {self._t}")
        self._t = t

        # Forget tracks unseen for too long, before matching: nobody is re-identified.
        self._tracks = [tr for tr in self._tracks if t - tr.last_seen <= self.cfg.max_age_s]

        matched_faces: set[int] = set()
        if self._tracks and faces:
            iou = iou_matrix(
                np.array([tr.box for tr in self._tracks], dtype=np.float64),
                np.array([f.box for f in faces], dtype=np.float64),
            )
            for r, c in match(iou, self.cfg.min_iou):
                self._observe(self._tracks[r], faces[c], t)
                matched_faces.add(c)
        for i, face in enumerate(faces):
            if i not in matched_faces:
                tr = _Track(id=self._next_id, first_seen=t, last_seen=t, box=_box(face))
                self._next_id += 1
                self._observe(tr, face, t)
                self._tracks.append(tr)

        hold = min(self.cfg.hold_s, self.cfg.max_age_s)
        return [self._summary(tr) for tr in self._tracks
                if tr.hits >= self.cfg.min_hits and t - tr.last_seen <= hold + _EPS]

    # -- internals -------------------------------------------------------------------
    def _observe(self, tr: _Track, face: FaceObservation, t: float) -> None:
        cfg = self.cfg
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
        tr.box = _box(face)
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
