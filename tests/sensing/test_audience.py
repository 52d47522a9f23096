"""AudienceAggregator (sliding window over tracks) and snapshot_from_faces (one photo)."""

import pytest

from signage.config import AudienceConfig
from signage.sensing.audience import AudienceAggregator, snapshot_from_faces, trend_of
from signage.sensing.types import FaceObservation, TrackSummary


def track(id, t, *, first=None, attention=0.0, glances=0, measured=True, expression="neutral", looking=False):
    first = t if first is None else first
    return TrackSummary(
        id=id,
        first_seen=first,
        last_seen=t,
        dwell_s=t - first,
        attention_s=attention,
        glances=glances,
        looking=looking,
        measured=measured,
        smile=None if expression is None else 0.0,
        surprise=None if expression is None else 0.0,
        mouth_open=None if expression is None else 0.0,
        brow_raise=None if expression is None else 0.0,
        expression=expression,
    )


def agg(**kw) -> AudienceAggregator:
    return AudienceAggregator(AudienceConfig(**kw))


def test_ratios_and_counts_of_present_tracks():
    a = agg(min_watch_s=0.5, window_s=10)
    tracks = [
        track(1, 5.0, first=0.0, attention=0.2, expression="smile"),
        track(2, 5.0, first=1.0, attention=0.5, expression="surprise"),
        track(3, 5.0, first=2.0, attention=3.0, expression="neutral"),
        # unmeasured now: its smoothed label from earlier is not counted in the expression mix
        track(4, 5.0, first=3.0, attention=0.0, measured=False, expression="smile"),
    ]
    s = a.update(tracks, 5.0)
    assert s.faces == 4 and s.measured == 3
    assert s.watchers == 2  # 0.5 and 3.0 (threshold inclusive), not 0.2 or 0.0
    assert s.attention_ratio == pytest.approx(0.5)
    assert s.smile_ratio == pytest.approx(1 / 3)
    assert s.surprise_ratio == pytest.approx(1 / 3)
    assert s.passers_by == 4
    assert s.mean_dwell_s == pytest.approx((5 + 4 + 3 + 2) / 4)
    assert s.mean_attention_s == pytest.approx((0.2 + 0.5 + 3.0 + 0.0) / 4)
    assert s.window_s == 10 and s.t == 5.0


def test_nobody_and_nobody_measured_give_zero_ratios():
    a = agg()
    s = a.update([], 0.0)
    assert (s.faces, s.watchers, s.passers_by, s.glances) == (0, 0, 0, 0)
    assert s.attention_ratio == s.smile_ratio == s.surprise_ratio == 0.0
    s = a.update([track(1, 1.0, measured=False, expression=None, attention=0.0)], 1.0)
    assert s.faces == 1 and s.measured == 0 and s.smile_ratio == 0.0 and s.attention_ratio == 0.0


def test_watchers_threshold_follows_config():
    tracks = [track(1, 4.0, first=0.0, attention=1.0), track(2, 4.0, first=0.0, attention=2.0)]
    assert agg(min_watch_s=1.5).update(tracks, 4.0).watchers == 1
    assert agg(min_watch_s=0.5).update(tracks, 4.0).watchers == 2
    assert agg(min_watch_s=2.5).update(tracks, 4.0).watchers == 0


def test_passers_by_counts_gone_tracks_and_uses_their_latest_values():
    a = agg(window_s=10)
    for i in range(11):  # tracks 1 and 2 present from 0 to 1 s
        t = i * 0.1
        a.update([track(1, t, first=0.0, attention=t / 2, glances=int(t >= 0.5)), track(2, t, first=0.0)], t)
    s = a.update([track(3, 2.0, first=2.0, glances=1)], 2.0)
    assert s.faces == 1
    assert s.passers_by == 3
    assert s.mean_dwell_s == pytest.approx((1.0 + 1.0 + 0.0) / 3)
    assert s.mean_attention_s == pytest.approx(0.5 / 3)
    assert s.glances == 2  # latest value of track 1 (1) + track 3 (1), not a sum over frames


def test_window_eviction():
    a = agg(window_s=5)
    a.update([track(1, 0.0, first=0.0)], 0.0)
    a.update([track(1, 2.0, first=0.0, glances=1)], 2.0)
    s = a.update([], 6.9)  # last seen at 2.0 >= 6.9 - 5
    assert s.passers_by == 1 and s.glances == 1 and s.mean_dwell_s == pytest.approx(2.0)
    s = a.update([], 7.1)  # 2.0 < 7.1 - 5: evicted
    assert s.passers_by == 0 and s.glances == 0 and s.mean_dwell_s == 0.0
    assert a._seen == {}


def _feed(a, counts, dt=0.5):
    s = None
    next_id = 1
    for i, n in enumerate(counts):
        t = i * dt
        s = a.update([track(next_id + k, t) for k in range(n)], t)
        next_id += n
    return s


def test_trend_rising_falling_steady():
    # window 10 s, 0.5 s samples over 10 s
    assert _feed(agg(window_s=10), [0] * 10 + [2] * 11).trend == "rising"
    assert _feed(agg(window_s=10), [3] * 10 + [1] * 11).trend == "falling"
    assert _feed(agg(window_s=10), [2] * 21).trend == "steady"
    # second half higher by only 0.36 on average: steady
    assert _feed(agg(window_s=10), [1] * 10 + [1, 2, 1, 2, 1] * 2 + [1]).trend == "steady"


def test_trend_is_steady_until_the_first_half_has_data_and_forgets_old_samples():
    a = agg(window_s=10)
    assert _feed(a, [0, 0, 1, 2, 3, 4, 5]).trend == "steady"  # 3 s of data: first half empty
    b = agg(window_s=4)
    # 5 faces long ago, then 1 face steadily for longer than the window: old samples gone
    assert _feed(b, [5] * 4 + [1] * 12).trend == "steady"


def test_trend_of_pure():
    samples = [(0.0, 0), (1.0, 0), (2.0, 4), (3.0, 4)]
    assert trend_of(samples, 3.0, 4.0) == "rising"
    assert trend_of([(0.0, 4), (3.0, 0)], 3.0, 4.0) == "falling"
    assert trend_of([(3.0, 4)], 3.0, 4.0) == "steady"
    # halves [0, 2) and [2, 4]: means 1.5 and 2.0, exactly 0.5 apart: rising (inclusive)
    samples = [(0.0, 1), (1.0, 2), (2.0, 2), (3.0, 2), (4.0, 2)]
    assert trend_of(samples, 4.0, 4.0) == "rising"
    assert trend_of([(ts, 3 - n) for ts, n in samples], 4.0, 4.0) == "falling"
    assert trend_of([(0.0, 1), (1.0, 2), (2.0, 2), (3.0, 2), (4.0, 1.9)], 4.0, 4.0) == "steady"


def test_backwards_time_raises_and_reset_clears():
    a = agg()
    a.update([track(1, 1.0)], 1.0)
    with pytest.raises(ValueError):
        a.update([], 0.5)
    a.reset()
    s = a.update([], 0.5)
    assert s.passers_by == 0


def _obs(looking=None, expression=None):
    if expression is None:
        return FaceObservation(box=(0, 0, 20, 20), score=0.8)
    return FaceObservation(
        box=(0, 0, 80, 80), score=0.9, yaw=0, pitch=0, roll=0, looking=looking,
        smile=0.0, surprise=0.0, mouth_open=0.0, brow_raise=0.0, expression=expression,
    )  # fmt: skip


def test_snapshot_from_faces():
    faces = [
        _obs(True, "smile"),
        _obs(True, "neutral"),
        _obs(False, "surprise"),
        _obs(False, "smile"),
        _obs(),  # too small to measure
    ]
    s = snapshot_from_faces(faces, 3.0)
    assert s.t == 3.0
    assert s.faces == 5 and s.measured == 4 and s.passers_by == 5
    assert s.watchers == 2 and s.attention_ratio == pytest.approx(0.4)
    assert s.smile_ratio == pytest.approx(0.5) and s.surprise_ratio == pytest.approx(0.25)
    assert s.mean_dwell_s == 0.0 and s.mean_attention_s == 0.0 and s.glances == 0
    assert s.trend == "steady"
    empty = snapshot_from_faces([], 0.0)
    assert empty.faces == 0 and empty.attention_ratio == 0.0 and empty.smile_ratio == 0.0
