"""The pure parts of matching faces to tracks (signage.sensing.association): prediction, the
gate, the size check, the cascade and the edge test, on hand-built boxes."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from signage.config import TrackerConfig
from signage.sensing.association import (PREDICT_MAX_S, at_edge, box_size, cost_matrix, gate, greedy, iou_matrix,
                                         predict)

CFG = TrackerConfig()


def costs(tracks, velocity, unseen, faces, min_speed=None, **kw):
    opts = dict(min_iou=CFG.min_iou, gate_base=CFG.gate_base, gate_growth_per_s=CFG.gate_growth_per_s,
                gate_max=CFG.gate_max, max_size_ratio=CFG.max_size_ratio)
    opts.update(kw)
    min_speed = [0.0] * len(tracks) if min_speed is None else min_speed
    return np.array(cost_matrix(tracks, velocity, unseen, min_speed, faces, **opts)).reshape(len(tracks), len(faces))


def test_gate_widens_with_time_unseen_and_speed_up_to_its_cap():
    g = [gate(dt, speed, 1.0, 2.0, 6.0) for dt, speed in ((0.0, 0.0), (0.1, 0.0), (0.5, 0.0), (0.5, 4.0), (10.0, 0.0))]
    np.testing.assert_allclose(g, [1.0, 1.2, 2.0, 4.0, 6.0])


def test_prediction_follows_the_velocity_for_at_most_predict_max_s():
    box = (100.0, 50.0, 40.0, 40.0)
    np.testing.assert_allclose(predict(box, (100.0, -20.0), 0.5), (150.0, 40.0, 40.0, 40.0))
    assert predict(box, (100.0, 0.0), 5.0)[0] == pytest.approx(100.0 + 100.0 * PREDICT_MAX_S)


def test_a_new_fast_walker_with_no_overlap_is_matched_by_distance():
    track, face = [[100, 100, 50, 50]], [[200, 100, 50, 50]]  # moved 2 box sizes in a detector run: IoU 0
    assert iou_matrix(track, face)[0, 0] == 0.0
    young = [CFG.new_track_speed]
    assert np.isfinite(costs(track, [[0, 0]], [0.2], face, young)[0, 0])
    # matched by overlap alone (the old rule) it would have been a new person
    assert not np.isfinite(costs(track, [[0, 0]], [0.2], face, [0.0], gate_base=0.0, gate_growth_per_s=0.0)[0, 0])


def test_a_still_track_does_not_reach_the_next_seat():
    # someone seated, lost for a detector run; the person in the next seat, 2 box sizes away
    assert not np.isfinite(costs([[100, 100, 50, 50]], [[0, 0]], [0.2], [[200, 100, 50, 50]], [0.0])[0, 0])


def test_a_face_goes_to_the_nearest_track_and_of_two_as_near_to_the_one_seen_last():
    c = costs([[100, 100, 50, 50], [150, 100, 50, 50]], [[0, 0], [0, 0]], [1 / 30, 1.0], [[140, 100, 50, 50]])
    assert greedy(c) == [(1, 0)]  # the nearer, though unseen for a second
    c = costs([[100, 100, 50, 50], [100, 100, 50, 50]], [[0, 0], [0, 0]], [1.0, 1 / 30], [[100, 100, 50, 50]])
    assert greedy(c) == [(1, 0)]


def test_a_face_far_away_is_not_the_track():
    c = costs([[100, 100, 50, 50]], [[0, 0]], [1 / 30], [[400, 100, 50, 50]])
    assert not np.isfinite(c[0, 0])  # 6 box sizes away one frame later: someone else


def test_a_lost_walker_is_found_where_he_was_going():
    v = [[300.0, 0.0]]  # 6 box sizes a second
    c = costs([[100, 100, 50, 50]], v, [1.5], [[400, 100, 50, 50], [100, 300, 50, 50]])
    assert np.isfinite(c[0, 0])  # on his way, 1 s ahead (the prediction's cap) plus gate
    assert c[0, 0] < c[0, 1]


def test_a_face_twice_the_size_is_someone_else():
    c = costs([[100, 100, 50, 50]], [[0, 0]], [1 / 30], [[90, 90, 100, 100], [98, 98, 60, 60]])
    assert not np.isfinite(c[0, 0]) and np.isfinite(c[0, 1])


def test_greedy_takes_the_cheapest_first_and_skips_forbidden_pairs():
    c = np.array([[0.5, 0.1], [0.2, np.inf]])
    assert greedy(c) == [(0, 1), (1, 0)]
    assert greedy(np.full((2, 2), np.inf)) == []
    assert greedy(np.zeros((0, 3))) == []


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.floats(-500, 2000), st.floats(-500, 2000), st.floats(1, 400), st.floats(1, 400)),
                min_size=1, max_size=5),
       st.lists(st.tuples(st.floats(-500, 2000), st.floats(-500, 2000), st.floats(1, 400), st.floats(1, 400)),
                min_size=0, max_size=5),
       st.floats(0, 30))
def test_each_face_and_track_is_used_once_and_only_allowed_pairs(tracks, faces, unseen):
    c = costs(tracks, [[0, 0]] * len(tracks), [unseen] * len(tracks), faces)
    pairs = greedy(c)
    assert len({r for r, _ in pairs}) == len(pairs) == len({k for _, k in pairs})
    assert all(np.isfinite(c[r, k]) for r, k in pairs)
    for r, k in pairs:  # never across a size jump
        ratio = box_size(faces[k]) / box_size(tracks[r])
        assert 1 / CFG.max_size_ratio - 1e-9 <= ratio <= CFG.max_size_ratio + 1e-9


def test_at_edge():
    assert at_edge((0, 100, 50, 50), (640, 480))
    assert at_edge((600, 100, 40, 50), (640, 480))
    assert at_edge((300, 440, 50, 50), (640, 480))
    assert not at_edge((300, 200, 50, 50), (640, 480))
    assert not at_edge((0, 0, 50, 50), None)  # frame size unknown: never
