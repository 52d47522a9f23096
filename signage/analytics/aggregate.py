"""Time-weighted audience aggregates: pure arithmetic, no I/O, no clock.

An ``AudienceAccumulator`` receives ``(t, snapshot)`` samples and integrates each
snapshot's values over the time it holds: from when it first came until the next
snapshot, but never longer than ``hold_s`` (after that, or after a ``None`` sample, the
camera is counted as off). A snapshot is known by its own timestamp ``snapshot.t``:
the same one handed over again every frame does not extend its hold, so a camera that
stopped delivering is counted as off after ``hold_s``. The result, ``AudienceTotals``, keeps the integrals (in
person-seconds), so totals from several plays or minutes add up exactly, and derives
the means and ratios from them:

- ``mean_faces`` = face-seconds / camera-on seconds
- ``mean_watchers`` = watcher-seconds / camera-on seconds
- ``attention_ratio`` = watcher-seconds / face-seconds (share of the audience's time in
  front of the screen spent by watchers)
- ``smile_ratio`` = smiling face-seconds / measured face-seconds (a snapshot contributes
  ``smile_ratio x measured`` faces smiling), likewise ``surprise_ratio``

Counts of people come from the sensing side's own counters (signage.sensing.counting), never
from adding up faces over time:

- ``arrivals`` / ``new_viewers``: the growth of the snapshots' ``arrivals_total`` /
  ``viewers_total`` over the span (from the last snapshot before it to the last one in it; a
  new counter epoch counts everything that counter has counted). Additive across spans.
- ``impressions`` / ``viewers``: the latest count the sensing side published for the span's
  own label (the play id, or the minute), so people already there when the span began are
  included. A span closed in parts (``roll`` with the same label) reports in each part only
  what is new, so the parts add up to the span's count.

Paused time (a passer-by's objection, docs/objection.md) is counted apart: ``paused_s`` is the
span's seconds while audience measurement was paused (never camera-on time), ``pauses`` the
pauses that began in the span. A paused minute is kept even with no snapshot in it.

Nothing here can hold a face or a track: only sums of the snapshot's anonymous counts.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

from signage.values import AudienceSnapshot


def ratio(num: float, den: float) -> float:
    """num / den, 0 when den is 0 (no audience: no attention, no smiles)."""
    return num / den if den > 0 else 0.0


@dataclass(slots=True)
class AudienceTotals:
    """Sums over a span of time. Add two with ``merge``; read the means as properties."""

    span_s: float = 0.0  # wall-clock seconds covered (the play's or the minute's length so far)
    samples: int = 0  # distinct snapshots received
    camera_on_s: float = 0.0  # seconds covered by a snapshot
    face_s: float = 0.0  # integral of faces (person-seconds in front of the screen)
    watcher_s: float = 0.0  # integral of watchers: attention seconds
    measured_s: float = 0.0  # integral of measured faces
    smile_s: float = 0.0  # integral of smile_ratio * measured
    surprise_s: float = 0.0  # integral of surprise_ratio * measured
    max_faces: int = 0
    passers_by: int = 0  # the largest passers-by count of one sensing window seen in the span
    # Counts of people, filled from the sensing side's own counters (docs/reports.md):
    impressions: int = 0  # people with at least 1 s of opportunity to see while the span lasted
    viewers: int = 0  # people who looked at the screen for at least 1 s while the span lasted
    arrivals: int = 0  # people whose first second in view fell in the span (each person once)
    new_viewers: int = 0  # people whose first second of looking fell in the span (each once)
    paused_s: float = 0.0  # seconds of the span while audience measurement was paused
    pauses: int = 0  # pauses that began in the span

    @property
    def mean_faces(self) -> float:
        return ratio(self.face_s, self.camera_on_s)

    @property
    def mean_watchers(self) -> float:
        return ratio(self.watcher_s, self.camera_on_s)

    @property
    def attention_ratio(self) -> float:
        return ratio(self.watcher_s, self.face_s)

    @property
    def smile_ratio(self) -> float:
        return ratio(self.smile_s, self.measured_s)

    @property
    def surprise_ratio(self) -> float:
        return ratio(self.surprise_s, self.measured_s)

    @property
    def camera_on_fraction(self) -> float:
        return ratio(self.camera_on_s, self.span_s)

    def merge(self, other: AudienceTotals) -> AudienceTotals:
        """The totals of both spans (sums; maxima for max_faces and passers_by)."""
        out = AudienceTotals()
        for f in fields(AudienceTotals):
            a, b = getattr(self, f.name), getattr(other, f.name)
            setattr(out, f.name, max(a, b) if f.name in ("max_faces", "passers_by") else a + b)
        return out

    @property
    def has_data(self) -> bool:
        return self.samples > 0 or self.camera_on_s > 0 or self.paused_s > 0 or self.pauses > 0


class AudienceAccumulator:
    """Integrates snapshots over time (sample and hold, capped at ``hold_s``).

    ``start``: when the span begins. ``held``/``held_at``: the snapshot already on hand
    at that moment (the latest one received before), which covers the span's first
    moments within its hold time. Timestamps are seconds on one clock; a timestamp that
    goes backwards adds no time.
    """

    __slots__ = ("hold_s", "totals", "_t", "_held", "_held_at", "_last_sample_t", "_label", "_counter", "_reported",
                 "_paused")

    def __init__(
        self,
        start: float,
        hold_s: float = 2.0,
        held: AudienceSnapshot | None = None,
        held_at: float | None = None,
        label: SpanLabel | None = None,
        paused: bool = False,
    ) -> None:
        if hold_s <= 0:
            raise ValueError("hold_s must be > 0")
        self.hold_s = hold_s
        self.totals = AudienceTotals()
        self._t = start
        self._held = held
        self._held_at = start if held_at is None else held_at
        self._last_sample_t: float | None = None if held is None else held.t
        self._counter = None if held is None else counter_of(held)  # counts before the span: the baseline
        self._label: SpanLabel | None = None
        self._reported = (0, 0)  # impressions, viewers of this label already in closed parts
        self._paused = paused  # a pause running when the span began (not counted as one of its pauses)
        self.relabel(label)

    @property
    def label(self) -> SpanLabel | None:
        return self._label

    def relabel(self, label: SpanLabel | None) -> None:
        """The sensing label the span's impressions and viewers are read from, e.g. ("play", 7)
        or ("minute", 1794960000); a new label starts its count from 0."""
        if label != self._label:
            self._label = label
            self._reported = (0, 0)

    def advance(self, t: float) -> None:
        """Integrate the held snapshot up to ``t``."""
        if t <= self._t:
            return
        tot = self.totals
        tot.span_s += t - self._t
        if self._paused:
            tot.paused_s += t - self._t
        snap = self._held
        if snap is not None:
            end = min(t, self._held_at + self.hold_s)
            dt = end - self._t
            if dt > 0:
                tot.camera_on_s += dt
                tot.face_s += snap.faces * dt
                tot.watcher_s += snap.watchers * dt
                if snap.smile_ratio is not None and snap.surprise_ratio is not None:  # None: expressions off
                    tot.measured_s += snap.measured * dt
                    tot.smile_s += snap.smile_ratio * snap.measured * dt
                    tot.surprise_s += snap.surprise_ratio * snap.measured * dt
                if snap.faces > tot.max_faces:
                    tot.max_faces = snap.faces
                if snap.passers_by > tot.passers_by:
                    tot.passers_by = snap.passers_by
        self._t = t

    def add(self, t: float, snapshot: AudienceSnapshot | None) -> None:
        """A sample at ``t``: what came before is integrated, then ``snapshot`` is held
        (``None``: the camera is off from ``t``). The same snapshot handed over again (same
        ``snapshot.t``, e.g. from a camera that stopped delivering) changes nothing: it
        still counts only ``hold_s`` from when it first came."""
        self.advance(t)
        if snapshot is not None and snapshot.t == self._last_sample_t:
            return
        if snapshot is not None:
            self.totals.samples += 1
            self._last_sample_t = snapshot.t
            self._count(snapshot)
        self._held = snapshot
        self._held_at = max(t, self._t)

    def _count(self, snap: AudienceSnapshot) -> None:
        """Counts of people from a new snapshot: the growth of its counters, and the count of the
        span's own label."""
        tot = self.totals
        now = counter_of(snap)
        prev = self._counter
        if prev is not None:
            if now[0] == prev[0] and now[1] >= prev[1] and now[2] >= prev[2]:
                tot.arrivals += now[1] - prev[1]
                tot.new_viewers += now[2] - prev[2]
            else:  # a new counter (sensing restarted): all it has counted came after the last snapshot
                tot.arrivals += now[1]
                tot.new_viewers += now[2]
        self._counter = now
        counted = label_counts(snap, self._label)
        if counted is not None:
            tot.impressions = max(tot.impressions, counted[0] - self._reported[0])
            tot.viewers = max(tot.viewers, counted[1] - self._reported[1])

    @property
    def paused(self) -> bool:
        return self._paused

    def set_paused(self, t: float, paused: bool) -> None:
        """Audience measurement paused (or measured again) from ``t``: a pause that begins is
        counted, and its seconds go to ``paused_s``."""
        self.advance(t)
        if paused and not self._paused:
            self.totals.pauses += 1
        self._paused = paused

    def roll(self, t: float) -> AudienceTotals:
        """Close the span at ``t``: return its totals and start a new span at ``t`` that
        keeps the held snapshot (for consecutive minutes)."""
        self.advance(t)
        done, self.totals = self.totals, AudienceTotals()
        self._reported = (self._reported[0] + done.impressions, self._reported[1] + done.viewers)
        return done

    def close(self, t: float) -> AudienceTotals:
        """The span's totals, integrated up to ``t``."""
        return self.roll(t)

    @property
    def covered_until(self) -> float:
        """Until when the held snapshot counts (-inf when the camera is off)."""
        return self._held_at + self.hold_s if self._held is not None else float("-inf")


SpanLabel = tuple[str, int]  # ("play", play id) or ("minute", minute start in epoch seconds)


def counter_of(snap: AudienceSnapshot) -> tuple[int, int, int]:
    """The sensing side's people counters in a snapshot: (epoch, arrivals_total, viewers_total)."""
    return snap.counts_epoch, snap.arrivals_total, snap.viewers_total


def label_counts(snap: AudienceSnapshot, label: SpanLabel | None) -> tuple[int, int] | None:
    """(impressions, viewers) the snapshot carries for ``label``, None when it is about another."""
    if label is None:
        return None
    kind, value = label
    if kind == "play" and snap.play_label == value:
        return snap.play_impressions, snap.play_viewers
    if kind == "minute" and snap.minute_label == value:
        return snap.minute_impressions, snap.minute_viewers
    return None


MINUTE = 60


@dataclass(frozen=True, slots=True)
class MinuteTotals:
    """The audience of one wall-clock minute (``minute_ts``: its start, epoch seconds, UTC)."""

    minute_ts: int
    totals: AudienceTotals


class MinuteAggregator:
    """Splits a stream of samples into whole minutes of the epoch clock.

    ``add``/``advance`` return the minutes that closed; a minute in which no snapshot
    counted (camera off, or the player was not running) yields nothing. ``flush``
    returns the open minute's totals so far and keeps counting from there: the store
    adds the two parts up.
    """

    __slots__ = ("_acc", "_minute")

    def __init__(self, start: float, hold_s: float = 2.0) -> None:
        self._minute = int(start // MINUTE) * MINUTE
        self._acc = AudienceAccumulator(start, hold_s, label=("minute", self._minute))

    def advance(self, t: float) -> list[MinuteTotals]:
        done: list[MinuteTotals] = []
        while t >= self._minute + MINUTE:
            end = self._minute + MINUTE
            totals = self._acc.roll(end)
            if totals.has_data:
                done.append(MinuteTotals(self._minute, totals))
            self._minute = end
            if self._acc.covered_until <= end and not self._acc.paused:  # nothing to count until t's minute: jump there
                self._minute = int(t // MINUTE) * MINUTE
                self._acc.roll(max(self._minute, end))
            self._acc.relabel(("minute", self._minute))
        self._acc.advance(t)
        return done

    def add(self, t: float, snapshot: AudienceSnapshot | None) -> list[MinuteTotals]:
        done = self.advance(t)
        self._acc.add(t, snapshot)
        return done

    def set_paused(self, t: float, paused: bool) -> list[MinuteTotals]:
        """Paused (or measured again) from ``t``; returns the minutes that closed."""
        done = self.advance(t)
        self._acc.set_paused(t, paused)
        return done

    def flush(self, t: float) -> list[MinuteTotals]:
        done = self.advance(t)
        totals = self._acc.roll(t)
        if totals.has_data:
            done.append(MinuteTotals(self._minute, totals))
        return done
