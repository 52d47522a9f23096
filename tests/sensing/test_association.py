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


def costs(tracks, velocity, unseen, faces, lost=None, **kw):
    opts = dict(min_iou=CFG.min_iou, gate_base=CFG.gate_base, gate_growth_per_s=CFG.gate_growth_per_s,
                gate_max=CFG.gate_max, max_size_ratio=CFG.max_size_ratio)
    opts.update(kw)
    unseen = np.asarray(unseen, dtype=float)
    lost = unseen > CFG.hold_s if lost is None else np.asarray(lost)
    return cost_matrix(np.asarray(tracks, float), np.asarray(velocity, float), unseen, lost,
                       np.asarray(faces, float), **opts)


def test_gate_widens_with_time_unseen_and_speed_up_to_its_cap():
    g = gate(np.array([0.0, 0.1, 0.5, 0.5, 10.0]), np.array([0.0, 0.0, 0.0, 4.0, 0.0]), 1.0, 2.0, 6.0)
    np.testing.assert_allclose(g, [1.0, 1.2, 2.0, 4.0, 6.0])


def test_prediction_follows_the_velocity_for_at_most_predict_max_s():
    box = np.array([[100.0, 50.0, 40.0, 40.0]])
    np.testing.assert_allclose(predict(box, np.array([[100.0, -20.0]]), np.array([0.5])), [[150.0, 40.0, 40.0, 40.0]])
    far = predict(box, np.array([[100.0, 0.0]]), np.array([5.0]))
    assert far[0, 0] == pytest.approx(100.0 + 100.0 * PREDICT_MAX_S)


def test_a_fast_walker_with_no_overlap_is_matched_by_distance():
    track, face = [[100, 100, 50, 50]], [[170, 100, 50, 50]]  # moved 1.4 box sizes: IoU 0
    assert iou_matrix(np.array(track, float), np.array(face, float))[0, 0] == 0.0
    assert np.isfinite(costs(track, [[0, 0]], [0.2], face)[0, 0])  # 0.2 s: a detector run later
    # matched by overlap alone (the old rule) it would have been a new person
    assert not np.isfinite(costs(track, [[0, 0]], [0.2], face, gate_base=0.0, gate_growth_per_s=0.0)[0, 0])


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


def test_tracks_seen_just_now_are_matched_before_lost_ones():
    # a lost track nearer the face than a track seen a frame ago: the face goes to the latter
    tracks = [[100, 100, 50, 50], [130, 100, 50, 50]]
    c = costs(tracks, [[0, 0], [0, 0]], [1.0, 1 / 30], [[120, 100, 50, 50]])
    assert greedy(c) == [(1, 0)]


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
    c = costs(tracks, [[0, 0]] * len(tracks), [unseen] * len(tracks), faces or np.zeros((0, 4)))
    pairs = greedy(c)
    assert len({r for r, _ in pairs}) == len(pairs) == len({k for _, k in pairs})
    assert all(np.isfinite(c[r, k]) for r, k in pairs)
    for r, k in pairs:  # never across a size jump
        ratio = box_size(np.array([faces[k]]))[0] / box_size(np.array([tracks[r]]))[0]
        assert 1 / CFG.max_size_ratio - 1e-9 <= ratio <= CFG.max_size_ratio + 1e-9


def test_at_edge():
    assert at_edge((0, 100, 50, 50), (640, 480))
    assert at_edge((600, 100, 40, 50), (640, 480))
    assert at_edge((300, 440, 50, 50), (640, 480))
    assert not at_edge((300, 200, 50, 50), (640, 480))
    assert not at_edge((0, 0, 50, 50), None)  # frame size unknown: never
