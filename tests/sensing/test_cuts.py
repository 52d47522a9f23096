"""Scene cuts (signage.sensing.cuts) on the real shared clip and on changes that are not cuts."""

import cv2
import numpy as np

from media import CLIP, letterbox, load
from signage.config import TrackerConfig
from signage.sensing.cuts import GRID, CutDetector, is_cut, summary
from synthetic import paste

CFG = TrackerConfig()


def detector() -> CutDetector:
    return CutDetector(CFG.cut_max_correlation, CFG.cut_min_change)


def test_the_summary_is_a_tiny_grid_of_mean_colours():
    img = load("astronaut.png")
    s = summary(img)
    assert s.shape == (GRID[0] * GRID[1] * 3,) == (144,)
    assert abs(float(s.mean()) - float(img.mean())) < 3  # mean colours, not pixels
    assert summary(np.zeros((4, 4, 3), np.uint8)).shape == s.shape  # a tiny frame works too


def test_the_shared_clip_has_its_three_cuts_and_no_other():
    cap = cv2.VideoCapture(str(CLIP))
    cuts, i, det = [], 0, detector()
    while True:
        ok, f = cap.read()
        if not ok:
            break
        if det(f):
            cuts.append(i)
        i += 1
    assert i == 275
    assert cuts == [20, 82, 211]  # counted by eye: a wide shot, a close profile, the singer, the audience


def test_light_and_exposure_changes_are_not_cuts():
    view = letterbox(load("coffee.png")).astype(np.float32)
    for changed in (view * 0.5, view * 0.7 + 40, view * 1.3 - 10):
        assert not is_cut(summary(view.astype(np.uint8)), summary(np.clip(changed, 0, 255).astype(np.uint8)),
                          CFG.cut_max_correlation, CFG.cut_min_change)


def test_a_person_stepping_in_front_of_the_camera_is_not_a_cut():
    view = letterbox(load("coffee.png"))
    face = cv2.resize(load("grace_hopper.jpg"), (200, 240))
    det = detector()
    det(view)
    for x in range(0, 640, 40):  # walks across, 40 px a frame
        frame = view.copy()
        paste(frame, face, x, 240)
        assert not det(frame)


def test_a_new_view_is_a_cut_and_a_plain_frame_twice_is_not():
    det = detector()
    assert not det(letterbox(load("coffee.png")))  # the first frame: nothing to compare with
    assert det(letterbox(load("chelsea.png")))
    det.reset()
    dark = np.full((480, 640, 3), 20, np.uint8)
    assert not det(dark) and not det(dark + np.random.default_rng(0).integers(0, 3, dark.shape, dtype=np.uint8))
    assert not CutDetector(0.0, CFG.cut_min_change)(dark)  # 0 turns it off
