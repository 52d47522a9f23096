"""Counting people once and per period (signage.sensing.counting): scripted faces through the real
tracker, an injected clock (the frame times), and the real pipeline on the sample clip."""

import pytest

from media import CLIP
from signage.config import ExpressionConfig, SensingConfig, TrackerConfig
from signage.sensing.counting import OTS_S, PeopleCounter, in_view_s, looked_s
from signage.sensing.tracker import AnonymousTracker
from signage.sensing.types import FaceObservation

FPS = 15
LEFT, RIGHT = (50, 100, 80, 80), (400, 100, 80, 80)


def face(box=LEFT, looking=True):
    return FaceObservation(box=box, score=0.9, looking=looking)


class Scene:
    """The real tracker and a counter, fed scripted frames at FPS on an injected clock."""

    def __init__(self, **tracker):
        self.tracker = AnonymousTracker(TrackerConfig(**tracker), ExpressionConfig())
        self.counter = PeopleCounter(forget_s=TrackerConfig(**tracker).max_age_s + 1.0, epoch=7)
        self.t = 0.0
        self.counts = self.counter.counts()

    def run(self, seconds, faces, play=None, minute=None):
        for _ in range(round(seconds * FPS)):
            tracks = self.tracker.update(faces, self.t)
            self.counts = self.counter.update(tracks, self.t, play=play, minute=minute)
            self.t += 1 / FPS
        return self.counts


def test_pure_parts():
    assert in_view_s(first_seen=2.0, last_seen=5.0, since=0.0) == 3.0  # there before the period: its part only
    assert in_view_s(2.0, 5.0, since=4.0) == 1.0
    assert in_view_s(2.0, 5.0, since=6.0) == 0.0
    assert looked_s(3.0, 1.0) == 2.0 and looked_s(1.0, 3.0) == 0.0


def test_one_man_through_three_plays_is_one_arrival_and_one_impression_per_play():
    s = Scene()
    per_play = []
    for play in (1, 2, 3):
        c = s.run(10, [face()], play=play)
        per_play.append((c.play.label, c.play.impressions, c.play.viewers))
    assert per_play == [(1, 1, 1), (2, 1, 1), (3, 1, 1)]
    assert (s.counts.arrivals_total, s.counts.viewers_total, s.counts.epoch) == (1, 1, 7)


def test_there_before_the_play_counts_only_after_a_second_of_the_play():
    s = Scene()
    s.run(5, [face()], play=1)
    assert s.run(0.5, [face()], play=2).play.impressions == 0  # 0.5 s of play 2 so far
    assert s.run(0.6, [face()], play=2).play.impressions == 1
    assert s.counts.arrivals_total == 1


def test_looking_before_the_play_does_not_make_a_viewer_of_it():
    s = Scene()
    s.run(3, [face(looking=True)], play=1)
    c = s.run(5, [face(looking=False)], play=2)
    assert (c.play.impressions, c.play.viewers) == (1, 0)
    assert c.viewers_total == 1  # he did look, during play 1
    c = s.run(1.2, [face(looking=True)], play=2)
    assert c.play.viewers == 1 and c.viewers_total == 1  # looks again: a viewer of play 2, still one person


def test_a_one_frame_false_detection_and_a_short_pass_are_not_impressions():
    s = Scene()
    s.run(0.5, [], play=1)
    s.run(1 / FPS, [face(RIGHT)], play=1)  # one frame: below min_hits, never reported
    s.run(2, [], play=1)
    s.run(OTS_S - 0.2, [face()], play=1)  # 0.8 s in view: an opportunity to see shorter than the rule
    c = s.run(3, [], play=1)
    assert (c.arrivals_total, c.play.impressions) == (0, 0)


def test_min_hits_is_respected():
    s = Scene(min_hits=30)  # two seconds of frames before a track counts at all
    c = s.run(1.5, [face()], play=1)
    assert c.arrivals_total == 0 and c.play.impressions == 0
    c = s.run(1.0, [face()], play=1)
    assert c.arrivals_total == 1 and c.play.impressions == 1


def test_a_face_missed_for_a_moment_keeps_its_track_and_is_not_counted_again():
    s = Scene(hold_s=0.3, max_age_s=1.0)
    s.run(3, [face()], play=1)
    s.run(0.6, [], play=1)  # missed for longer than hold_s, within max_age_s: the same track after
    c = s.run(3, [face()], play=1)
    assert (c.arrivals_total, c.play.impressions) == (1, 1)


def test_someone_who_leaves_and_comes_back_later_is_a_new_person():
    # No re-identification (privacy invariant 3): a track forgotten is forgotten.
    s = Scene(max_age_s=1.0)
    s.run(3, [face()], play=1)
    s.run(3, [], play=1)
    c = s.run(3, [face()], play=1)
    assert (c.arrivals_total, c.play.impressions) == (2, 2)


def test_two_people_and_minutes():
    s = Scene()
    s.run(2, [face(LEFT)], play=1, minute=0)
    c = s.run(2, [face(LEFT), face(RIGHT)], play=1, minute=0)
    assert (c.arrivals_total, c.play.impressions, c.minute.label, c.minute.impressions) == (2, 2, 0, 2)
    c = s.run(2, [face(LEFT)], play=1, minute=60)  # the right one left as the minute turned
    assert (c.minute.label, c.minute.impressions, c.play.impressions) == (60, 1, 2)


def test_reset_forgets_tracks_but_not_the_totals():
    s = Scene()
    s.run(2, [face()], play=1)
    s.counter.reset()
    s.tracker.reset()
    c = s.run(2, [face()], play=1)
    assert c.arrivals_total == 2  # a new stream: nobody carries over (documented)
    assert c.epoch == 7


def test_a_stream_that_starts_again_mid_play_still_counts_for_the_play():
    s = Scene()
    s.t = 100.0
    s.run(2, [face()], play=1)
    s.counter.reset()
    s.tracker.reset()
    s.t = 0.0  # a video file looped, a camera reopened: its clock starts again
    c = s.run(2, [face()], play=1)
    assert (c.play.impressions, c.arrivals_total) == (2, 2)  # not re-identified: a second person


def test_no_label_no_period_count():
    s = Scene()
    c = s.run(2, [face()])
    assert c.play.label is None and c.play.impressions == 0 and c.arrivals_total == 1


def test_the_real_pipeline_counts_the_clips_performer_once_across_three_plays():
    """The sample clip (real MediaPipe): the performer is on screen from about 2.8 s to 7.3 s.
    Three plays of 1.5 s from 3.0 s: one arrival, one impression in each play."""
    from signage.sensing.pipeline import SensingPipeline
    from signage.sensing.sources import VideoFileSource

    plays: dict[int, tuple[int, int]] = {}
    with VideoFileSource(CLIP) as src, SensingPipeline(SensingConfig()) as pipe:
        while (frame := src.read(timeout=5)) is not None and frame.t < 7.5:
            play = None if frame.t < 3.0 else int((frame.t - 3.0) // 1.5)
            a = pipe.process(frame, play=play, minute=0).audience
            if play is not None:
                plays[play] = (a.play_impressions, a.arrivals_total)
    assert plays[0] == (1, 1) and plays[1] == (1, 1) and plays[2] == (1, 1), plays


@pytest.mark.parametrize("kind", ["play", "minute"])
def test_a_new_label_starts_from_zero(kind):
    s = Scene()
    s.run(2, [face()], **{kind: 1})
    c = s.run(0.2, [face()], **{kind: 2})
    assert getattr(c, kind).label == 2 and getattr(c, kind).impressions == 0
