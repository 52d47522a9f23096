"""From tracks to an AudienceSnapshot over a sliding window (definitions in signage.values).

The aggregator keeps, in memory only, a few scalars per track seen within the window
(keyed by the tracker's ephemeral id: last_seen, dwell, attention, glances) and a
deque of (t, faces) samples for the trend. Nothing else about a person is kept, and
entries leave the window after ``window_s``.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass

from signage.config import AudienceConfig
from signage.sensing.counting import PeopleCounter
from signage.sensing.types import FaceObservation, TrackSummary
from signage.values import AudienceSnapshot, Trend

# The trend is rising/falling when the two halves' mean face counts differ by this much.
TREND_DELTA = 0.5


@dataclass(slots=True)
class _Seen:
    """What the window keeps of one track: its latest scalars."""

    last_seen: float
    dwell_s: float
    attention_s: float
    glances: int


def _ratio(n: int, d: int) -> float:
    return n / d if d else 0.0


def trend_of(samples: Sequence[tuple[float, int]], t: float, window_s: float) -> Trend:
    """Compare the mean face count of the window's first half (t - window_s .. t - window_s/2)
    with its second half (t - window_s/2 .. t). 'steady' while either half has no sample."""
    mid = t - window_s / 2.0
    first = [n for ts, n in samples if t - window_s <= ts < mid]
    second = [n for ts, n in samples if mid <= ts <= t]
    if not first or not second:
        return "steady"
    diff = sum(second) / len(second) - sum(first) / len(first)
    if diff >= TREND_DELTA:
        return "rising"
    if diff <= -TREND_DELTA:
        return "falling"
    return "steady"


class AudienceAggregator:
    """Sliding-window audience metrics from the tracker's current tracks."""

    def __init__(self, cfg: AudienceConfig, counter: PeopleCounter | None = None, *, expressions: bool = True) -> None:
        self.cfg = cfg
        self.expressions = expressions  # False: no smile or surprise figure (sensing.expressions = "off")
        self.counter = counter or PeopleCounter()
        self._seen: dict[int, _Seen] = {}
        self._samples: deque[tuple[float, int]] = deque()
        self._t: float | None = None

    def reset(self) -> None:
        """Forget everyone (a new stream); the people counter's totals go on."""
        self._seen.clear()
        self._samples.clear()
        self._t = None
        self.counter.reset()

    def update(self, tracks: Sequence[TrackSummary], t: float, *, play: int | None = None,
               minute: int | None = None) -> AudienceSnapshot:
        """The snapshot at time ``t`` (non-decreasing) given the tracks present now, with the
        counts of people for the current play and minute labels (signage.sensing.counting)."""
        t = float(t)
        if not math.isfinite(t):
            raise ValueError(f"audience time must be finite, got {t}")
        if self._t is not None and t < self._t:
            raise ValueError(f"audience time went backwards: {t} < {self._t}")
        self._t = t
        window = self.cfg.window_s
        horizon = t - window

        for tr in tracks:
            self._seen[tr.id] = _Seen(tr.last_seen, tr.dwell_s, tr.attention_s, tr.glances)
        present = {tr.id for tr in tracks}
        # Tracks present now are always in the window; the others leave it window_s
        # after they were last seen.
        for tid in [tid for tid, s in self._seen.items() if s.last_seen < horizon and tid not in present]:
            del self._seen[tid]

        faces = len(tracks)
        self._samples.append((t, faces))
        while self._samples and self._samples[0][0] < horizon:
            self._samples.popleft()

        measured = [tr for tr in tracks if tr.measured]
        watchers = sum(1 for tr in tracks if tr.attention_s >= self.cfg.min_watch_s)
        smiles = sum(1 for tr in measured if tr.expression == "smile")
        surprises = sum(1 for tr in measured if tr.expression == "surprise")
        seen = list(self._seen.values())
        n_seen = len(seen)
        counts = self.counter.update(tracks, t, play=play, minute=minute)
        return AudienceSnapshot(
            t=t,
            faces=faces,
            measured=len(measured),
            watchers=watchers,
            attention_ratio=_ratio(watchers, faces),
            smile_ratio=_ratio(smiles, len(measured)) if self.expressions else None,
            surprise_ratio=_ratio(surprises, len(measured)) if self.expressions else None,
            passers_by=n_seen,
            mean_dwell_s=sum(s.dwell_s for s in seen) / n_seen if n_seen else 0.0,
            mean_attention_s=sum(s.attention_s for s in seen) / n_seen if n_seen else 0.0,
            glances=sum(s.glances for s in seen),
            trend=trend_of(self._samples, t, window),
            window_s=window,
            counts_epoch=counts.epoch,
            arrivals_total=counts.arrivals_total,
            viewers_total=counts.viewers_total,
            play_label=counts.play.label,
            play_impressions=counts.play.impressions,
            play_viewers=counts.play.viewers,
            minute_label=counts.minute.label,
            minute_impressions=counts.minute.impressions,
            minute_viewers=counts.minute.viewers,
        )


def snapshot_from_faces(faces: Sequence[FaceObservation], t: float, *, expressions: bool = True) -> AudienceSnapshot:
    """The snapshot of one still photo, without tracking: watchers are the faces looking
    at the camera; no dwell, attention time or glances; trend 'steady'. ``expressions``
    False: no smile or surprise figure (None)."""
    n = len(faces)
    measured = [f for f in faces if f.measured]
    watchers = sum(1 for f in faces if f.looking is True)
    smiles = sum(1 for f in measured if f.expression == "smile")
    surprises = sum(1 for f in measured if f.expression == "surprise")
    return AudienceSnapshot(
        t=float(t),
        faces=n,
        measured=len(measured),
        watchers=watchers,
        attention_ratio=_ratio(watchers, n),
        smile_ratio=_ratio(smiles, len(measured)) if expressions else None,
        surprise_ratio=_ratio(surprises, len(measured)) if expressions else None,
        passers_by=n,
        trend="steady",
    )
