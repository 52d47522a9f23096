"""The sensing pipeline for one source: analyzer -> tracker -> audience aggregator.

Frames go in; FaceObservation scalars and an AudienceSnapshot come out. The frame
is not kept: after ``process`` returns, nothing here refers to its pixels (the scene-cut
detector keeps the last frame's 8x6 colour summary, in which no face can be seen, and the
pipeline the summary of the frame the detector last read, to tell whether anything moved
outside the faces since: signage.sensing.activity).

A scene cut (signage.sensing.cuts) ends every track and makes the analyzer look afresh:
the person in view after it is never the track of the person before.
"""

from __future__ import annotations

from dataclasses import dataclass

from signage.config import SensingConfig
from signage.sensing import activity
from signage.sensing.analyzer import FaceAnalyzer
from signage.sensing.audience import AudienceAggregator, snapshot_from_faces
from signage.sensing.counting import PeopleCounter
from signage.sensing.cuts import CutDetector
from signage.sensing.tracker import AnonymousTracker
from signage.sensing.types import FaceObservation, Frame, TrackSummary
from signage.values import AudienceSnapshot


@dataclass(frozen=True, slots=True)
class SensingResult:
    faces: list[FaceObservation]
    audience: AudienceSnapshot


class SensingPipeline:
    def __init__(self, cfg: SensingConfig) -> None:
        self.cfg = cfg
        self.analyzer = FaceAnalyzer(cfg)
        self.tracker = AnonymousTracker(cfg.tracker, cfg.expression)
        self.cuts = CutDetector(cfg.tracker.cut_max_correlation, cfg.tracker.cut_min_change)
        # A track is forgotten by the counter a second after the tracker itself forgets it.
        self.audience = AudienceAggregator(cfg.audience, PeopleCounter(forget_s=cfg.tracker.max_age_s + 1.0),
                                           expressions=cfg.expressions == "on")
        self._last_t: float | None = None
        self._detected_view = None  # the summary of the frame the detector last read
        self._boxes: list = []  # the faces of the last frame

    def process(self, frame: Frame, *, still: bool = False, play: int | None = None,
                minute: int | None = None) -> SensingResult:
        """One frame of a stream (tracked over time), or one photo on its own (still=True).
        ``play`` and ``minute`` label the periods people are counted in (counting.py)."""
        if still:
            faces = self.analyzer.analyze(frame, still=True)
            return SensingResult(faces, snapshot_from_faces(faces, frame.t, expressions=self.cfg.expressions == "on"))
        faces, tracks = self.track(frame)
        return SensingResult(faces, self.audience.update(tracks, frame.t, play=play, minute=minute))

    def track(self, frame: Frame) -> tuple[list[FaceObservation], list[TrackSummary]]:
        """One frame of a stream: its faces, and the tracks present after it."""
        if self._last_t is not None and frame.t < self._last_t:
            self.reset()  # the stream restarted: nobody carries over
        self._last_t = frame.t
        h, w = frame.image.shape[:2]
        if self.cuts(frame.image):
            self.analyzer.reset()  # look afresh: no face followed across the cut
            self.tracker.cut()
            self._detected_view, self._boxes = None, []
        view = self.cuts.last
        quiet = (view is not None and self._detected_view is not None
                 and not activity.changed_outside(self._detected_view, view, activity.cells_of(self._boxes, w, h)))
        faces = self.analyzer.analyze(frame, quiet=quiet)
        if self.analyzer.detected:
            self._detected_view = view
        self._boxes = [f.box for f in faces]
        return faces, self.tracker.update(faces, frame.t, (w, h))

    def reset(self) -> None:
        self.analyzer.reset()
        self.tracker.reset()
        self.cuts.reset()
        self.audience.reset()
        self._last_t = None
        self._detected_view, self._boxes = None, []

    def close(self) -> None:
        self.analyzer.close()

    def __enter__(self) -> SensingPipeline:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
