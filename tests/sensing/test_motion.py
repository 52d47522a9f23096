"""Followed faces carry their velocity (signage.sensing.motion): the pure prediction, and,
end to end on real photos walking across a view (real MediaPipe, injected stream time), a
brisk walker stays followed on every frame and people past the landmark budget stay one
passer-by each."""

import pytest

from media import load
from signage.config import SensingConfig
from signage.sensing import motion
from signage.sensing.pipeline import SensingPipeline
from signage.sensing.roi import Roi
from signage.sensing.types import Frame
from synthetic import Mover, render

FPS = 15


def test_a_still_or_new_roi_is_not_moved():
    new = Roi(100.0, 80.0, 60.0, 0.0)
    assert motion.predicted(new, 5.0) is new  # no time: never measured
    still = Roi(100.0, 80.0, 60.0, 0.0, t=1.0)
    assert motion.predicted(still, 1.5) is still


def test_the_prediction_follows_the_velocity_and_looks_at_most_half_a_second_ahead():
    roi = Roi(100.0, 80.0, 60.0, 0.1, t=1.0, vx=120.0, vy=-40.0)
    p = motion.predicted(roi, 1.25)
    assert (p.cx, p.cy, p.side, p.rotation) == pytest.approx((130.0, 70.0, 60.0, 0.1))
    assert roi.cx == 100.0  # the followed ROI itself is not changed
    stalled = motion.predicted(roi, 11.0)  # a source that stalled for 10 s
    assert stalled.cx == pytest.approx(100.0 + 120.0 * motion.MAX_AHEAD_S)
    assert motion.predicted(roi, 0.5) is roi  # a frame from before: no move


def test_the_velocity_is_measured_from_landmark_centres_and_smoothed():
    before = Roi(100.0, 80.0, 60.0, 0.0, t=1.0)
    after = motion.moved(before, Roi(110.0, 80.0, 60.0, 0.0), 1.1)  # 100 px/s to the right
    assert after.t == 1.1
    assert after.vx == pytest.approx(motion.SMOOTHING * 100.0) and after.vy == 0.0
    again = motion.moved(after, Roi(120.0, 80.0, 60.0, 0.0), 1.2)
    assert after.vx < again.vx < 100.0  # closing in on the true speed
    same_frame = motion.moved(again, Roi(121.0, 80.0, 60.0, 0.0), 1.2)
    assert (same_frame.vx, same_frame.vy) == (again.vx, again.vy)  # no time passed: velocity kept


@pytest.fixture(scope="module")
def photos():
    return {n: load(n) for n in ("coffee.png", "grace_hopper.jpg", "obama_official_portrait.jpg", "astronaut.png")}


def _stream(scenes, size, cfg):
    frames = []
    with SensingPipeline(cfg) as pipe:
        for i, img in enumerate(render(scenes, FPS, size)):
            frames.append(pipe.process(Frame(img, i / FPS, i, "synthetic")))
    return frames


def test_a_brisk_walker_with_a_small_face_is_followed_on_every_frame(photos):
    """A 40 px face at 6 widths a second, 15 fps: it moves 0.4 of its width between frames
    and slipped out of its landmark crop (measured again only when the detector next found
    it) before the crop was cut where the face would be."""
    walker = Mover(photos["grace_hopper.jpg"], 90, speed_w=6, row=0.45)
    out = _stream([(photos["coffee.png"], [walker], None)], (640, 480), SensingConfig())
    measured = [r.audience.measured for r in out]
    first = measured.index(1)
    inside = measured[first:len(measured) - 3]  # the last frames: leaving through the edge
    assert len(inside) >= 8 and all(m == 1 for m in inside), measured
    assert out[-1].audience.passers_by == 1


def test_walkers_past_the_landmark_budget_are_one_passer_by_each(photos):
    """Three people walking across with landmarks for one: the other two are counted from
    the detector alone, checked again at its runs where their velocity takes them (before,
    they were dropped between the detector's finds: 5 passers-by)."""
    cfg = SensingConfig()
    cfg.landmarks.max_faces = 1
    people = [Mover(photos[n], 180, speed_w=s, row=r, delay=d) for n, s, r, d in (
        ("grace_hopper.jpg", 3.0, 0.25, 0.0), ("obama_official_portrait.jpg", -3.5, 0.45, 0.2),
        ("astronaut.png", 2.5, 0.65, 0.4))]
    out = _stream([(photos["coffee.png"], people, None)], (960, 720), cfg)
    assert max(r.audience.faces for r in out) == 3
    assert max(r.audience.measured for r in out) == 1
    assert out[-1].audience.passers_by == 3
