"""Counts of people from the tracker's tracks: each person counted once, and per period.

Two kinds of counts leave this module, as plain integers in the AudienceSnapshot (nothing
about any one person does):

- monotonic totals since the counter started (``arrivals_total``: tracks that reached
  ``OTS_S`` in view; ``viewers_total``: tracks that reached ``VIEW_S`` of looking), with an
  ``epoch`` that changes when a new counter starts. The difference of a total between two
  moments is the number of people whose first second in view (of looking) fell between them:
  additive, each person in one span only.
- per period (a play, a wall-clock minute): the people with at least ``OTS_S`` in view
  (impressions) and at least ``VIEW_S`` of looking (viewers) *since the period began*, those
  already there when it began included. A period is a label handed in by the caller (the
  player's play id, the minute's epoch second); a new label starts a new period from the
  frame it first comes with.

In view is the time from a track's first to its last observation (its dwell) within the
period; looking is the tracker's attention time (zero-order hold of ``looking``, capped per
interval) gained within the period. Only confirmed tracks count (the tracker reports a track
from ``min_hits`` observations on, and while unseen for at most ``hold_s``): a one-frame false
detection is never an impression. The person-level state here is a few numbers per
ephemeral track id, kept in memory while the track may still be matched and then dropped.

The 1 s thresholds are the Geopath rule for digital displays (an impression is at least one
second of opportunity to see); docs/reports.md has the definitions.
"""

from __future__ import annotations

import secrets
from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field

from signage.sensing.types import TrackSummary

OTS_S = 1.0  # seconds in view that make an impression (Geopath: 1 s for digital displays)
VIEW_S = 1.0  # seconds of looking that make a viewer
_EPS = 1e-9
PERIOD_KINDS = ("play", "minute")


def in_view_s(first_seen: float, last_seen: float, since: float) -> float:
    """Seconds a track was in view from ``since`` on (its dwell, clipped to the period)."""
    return max(0.0, last_seen - max(first_seen, since))


def looked_s(attention_s: float, attention_at_start: float) -> float:
    """Seconds of looking gained since the period began."""
    return max(0.0, attention_s - attention_at_start)


def reached(seconds: float, threshold: float) -> bool:
    return seconds + _EPS >= threshold


@dataclass(slots=True)
class _Seen:
    """What the counter keeps of one track: its latest attention, whether it has been counted."""

    last_reported: float
    attention_s: float = 0.0
    arrived: bool = False
    viewed: bool = False


@dataclass(slots=True)
class _Period:
    label: Hashable
    start: float
    base: dict[int, float]  # attention of each known track when the period began
    impressions: int = 0
    viewers: int = 0
    # tracks already counted, while the tracker may still report them (then only the counts stay)
    seen_in_view: set[int] = field(default_factory=set)
    seen_looking: set[int] = field(default_factory=set)

    def forget(self, tid: int) -> None:
        self.base.pop(tid, None)
        self.seen_in_view.discard(tid)
        self.seen_looking.discard(tid)


@dataclass(frozen=True, slots=True)
class PeriodCount:
    """Impressions and viewers of one period so far."""

    label: Hashable | None = None
    impressions: int = 0
    viewers: int = 0


@dataclass(frozen=True, slots=True)
class Counts:
    """What the counter publishes: totals since it started and the counts of the current periods."""

    epoch: int = 0
    arrivals_total: int = 0
    viewers_total: int = 0
    play: PeriodCount = PeriodCount()
    minute: PeriodCount = PeriodCount()


class PeopleCounter:
    """Counts arrivals and viewers once per track, and impressions/viewers per period.

    ``update(tracks, t, play=..., minute=...)`` takes the confirmed tracks present at ``t``
    (the tracker's output) and the current labels. ``forget_s``: a track not reported for this
    long is dropped (set it above the tracker's ``max_age_s``, after which the tracker itself
    forgets it: ids are never reused, so nobody is counted twice by forgetting).
    """

    def __init__(self, forget_s: float = 5.0, epoch: int | None = None) -> None:
        self.forget_s = forget_s
        self.epoch = secrets.randbits(31) if epoch is None else epoch
        self._seen: dict[int, _Seen] = {}
        self._periods: dict[str, _Period | None] = {k: None for k in PERIOD_KINDS}
        self.arrivals_total = 0
        self.viewers_total = 0

    def reset(self) -> None:
        """Forget every track (a new stream, whose clock may start again: nobody carries over);
        totals and periods go on, every track from now on having come during them."""
        for tid in list(self._seen):
            for p in self._periods.values():
                if p is not None:
                    p.forget(tid)
        for p in self._periods.values():
            if p is not None:
                p.start = float("-inf")
        self._seen.clear()

    def update(self, tracks: Sequence[TrackSummary], t: float, *, play: Hashable | None = None,
               minute: Hashable | None = None) -> Counts:
        for kind, label in (("play", play), ("minute", minute)):
            self._label(kind, label, t)
        for tr in tracks:
            seen = self._seen.get(tr.id)
            if seen is None:
                seen = self._seen[tr.id] = _Seen(t)
            seen.last_reported = t
            seen.attention_s = tr.attention_s
            if not seen.arrived and reached(tr.dwell_s, OTS_S):
                seen.arrived = True
                self.arrivals_total += 1
            if not seen.viewed and reached(tr.attention_s, VIEW_S):
                seen.viewed = True
                self.viewers_total += 1
            for p in self._periods.values():
                if p is None:
                    continue
                if tr.id not in p.seen_in_view and reached(in_view_s(tr.first_seen, tr.last_seen, p.start), OTS_S):
                    p.seen_in_view.add(tr.id)
                    p.impressions += 1
                if tr.id not in p.seen_looking and reached(looked_s(tr.attention_s, p.base.get(tr.id, 0.0)), VIEW_S):
                    p.seen_looking.add(tr.id)
                    p.viewers += 1
        for tid in [tid for tid, s in self._seen.items() if t - s.last_reported > self.forget_s]:
            del self._seen[tid]
            for p in self._periods.values():
                if p is not None:
                    p.forget(tid)
        return self.counts()

    def counts(self) -> Counts:
        return Counts(self.epoch, self.arrivals_total, self.viewers_total,
                      self._count("play"), self._count("minute"))  # fmt: skip

    def _count(self, kind: str) -> PeriodCount:
        p = self._periods[kind]
        return PeriodCount() if p is None else PeriodCount(p.label, p.impressions, p.viewers)

    def _label(self, kind: str, label: Hashable | None, t: float) -> None:
        p = self._periods[kind]
        if label is None:
            self._periods[kind] = None
        elif p is None or p.label != label:
            self._periods[kind] = _Period(label, t, {tid: s.attention_s for tid, s in self._seen.items()})
