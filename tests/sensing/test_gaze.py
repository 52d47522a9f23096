"""signage/sensing/gaze.py and pose.is_looking with the irises: eyes lowered to a phone.

Synthetic faces are MediaPipe's canonical model turned by known angles, with an iris centre
placed by hand; real faces are the test photos through the analyzer and MediaPipe's iris model."""

import math

import numpy as np
import pytest

from media import load
from signage.config import ExpressionConfig, SensingConfig
from signage.sensing import gaze, pose
from signage.sensing.analyzer import FaceAnalyzer
from signage.sensing.canonical_face import CANONICAL_FACE
from signage.sensing.inference import IRIS_CROP_PX, IrisLandmarks
from signage.sensing.roi import crop
from signage.sensing.types import Frame

LEVEL = -pose.PITCH_OFFSET_DEG  # the uncalibrated pitch of a level head


def face(yaw=0.0, pitch=LEVEL, roll=0.0, scale=20.0, at=(320.0, 240.0, 0.0)):
    cam = scale * (CANONICAL_FACE @ pose.rotation(yaw, pitch, roll).T)
    return cam * (1.0, -1.0, -1.0) + np.array(at)


def irises_at(points, gaze_deg, head_pitch=0.0):
    """Both iris centres where gaze.py puts an eye looking gaze_deg above the camera's line."""
    r, scale = pose.fit(points)
    up = np.array([r[0, 1], -r[1, 1]])
    up /= np.linalg.norm(up)
    height = (gaze.IRIS_LEVEL_CM + gaze.IRIS_PER_SIN_PITCH * math.sin(math.radians(head_pitch))
              + gaze.EYE_RADIUS_CM * math.sin(math.radians(gaze_deg)))
    out = {}
    for k, (a, b, _) in enumerate(gaze.EYES):
        mid = (points[a, :2] + points[b, :2]) / 2
        out[k] = tuple(mid + up * height * scale)
    return r, scale, out


@pytest.mark.parametrize("kw", [{}, {"yaw": 25}, {"roll": 15}, {"scale": 5.0}, {"pitch": LEVEL - 12}])
def test_iris_height_reads_the_gaze_whatever_the_head_does(kw):
    pts = face(**kw)
    head_pitch = pose.head_and_eyes(pts).pose.pitch
    for want in (0.0, -30.0, -45.0, 10.0):
        r, scale, centres = irises_at(pts, want, head_pitch)
        got = gaze.iris_gaze_deg(gaze.iris_height_cm(pts, r, scale, centres), head_pitch)
        assert got == pytest.approx(want, abs=0.5), (kw, want, got)
    # one eye is enough (the other too small or hidden)
    r, scale, centres = irises_at(pts, -30.0, head_pitch)
    assert gaze.iris_gaze_deg(gaze.iris_height_cm(pts, r, scale, {1: centres[1]}), head_pitch) == pytest.approx(-30, abs=0.5)


def test_eye_crops_are_mediapipes_and_small_eyes_get_none():
    pts = face(roll=10)
    rois = gaze.eye_rois(pts)
    unrolled = gaze.eye_rois(face())
    assert [(k, m) for k, _, m in rois] == [(0, False), (1, True)]  # the image-right eye is mirrored
    for k, roi, _ in rois:
        a, b, _ = gaze.EYES[k]
        span = math.dist(pts[a, :2], pts[b, :2])
        assert roi.side == pytest.approx(span * gaze.EYE_CROP_SCALE)
        assert (roi.cx, roi.cy) == pytest.approx(tuple((pts[a, :2] + pts[b, :2]) / 2))
        # turned with the head's roll (each eye's corner line, as MediaPipe's graph does)
        assert math.degrees(roi.rotation - unrolled[k][1].rotation) == pytest.approx(10.0, abs=0.5)
    far = face(scale=1.5)  # eyes about 6 px across
    assert gaze.eye_rois(far) == []
    # the model's centre comes back where it was, mirrored or not
    for k, roi, mirrored in rois:
        x, y = gaze.iris_centre(np.array([[IRIS_CROP_PX / 2, IRIS_CROP_PX / 2, 0.0]] * 5), roi, mirrored)
        assert (x, y) == pytest.approx((roi.cx, roi.cy))


def heads(lid_gaze: float) -> pose.HeadAndEyes:
    """A head level and frontal whose lids put the gaze at lid_gaze (degrees)."""
    return pose.HeadAndEyes(pose.Pose(0.0, 0.0, 0.0), pose.Eyes(0.2, 0.3, lid_gaze))


def test_the_irises_decide_only_when_the_lids_say_down():
    cfg = ExpressionConfig()
    assert cfg.looking_iris_below_deg == 15 and cfg.looking_max_gaze_down_deg == 20
    # lids at -10: looking, the irises are not asked for (and would not be heard)
    assert not pose.iris_wanted(heads(-10), cfg) and pose.is_looking(heads(-10), cfg, -60.0)
    # lids at -22, as some watchers' do: the irises, level, keep them watching
    assert pose.iris_wanted(heads(-22), cfg) and pose.is_looking(heads(-22), cfg, 0.0)
    # ... and a phone user's lids at -22 with the irises 30 deg down is not watching
    assert not pose.is_looking(heads(-22), cfg, -30.0)
    # without an iris measure the lids alone are held to the limit
    assert pose.is_looking(heads(-19), cfg, None) and not pose.is_looking(heads(-21), cfg, None)
    # an iris placed high under a closed lid does not outvote it
    assert not pose.is_looking(heads(-70), cfg, 80.0)
    # a head out of the cone is not looking and needs no iris
    turned = pose.HeadAndEyes(pose.Pose(35.0, 0.0, 0.0), pose.Eyes(0.2, 0.3, -30))
    assert not pose.iris_wanted(turned, cfg) and not pose.is_looking(turned, cfg, 0.0)
    # a camera above the screen: both estimates are taken against its line
    high = ExpressionConfig(camera_pitch_offset_deg=-15)
    assert pose.is_looking(heads(-32), high, -28.0) and not pose.is_looking(heads(-32), cfg, -28.0)


def test_the_iris_model_gives_five_points_in_the_eye():
    """The real model on a real eye: its centre lies between the eye's corners and within its lids."""
    img = load("grace_hopper.jpg")
    pts = _points(img)
    model = IrisLandmarks()
    try:
        for k, roi, mirrored in gaze.eye_rois(pts):
            eye = crop(img, roi, IRIS_CROP_PX, bgr=True)
            raw = model.run(np.ascontiguousarray(eye[:, ::-1]) if mirrored else eye)
            assert raw.shape == (5, 3)
            x, y = gaze.iris_centre(raw, roi, mirrored)
            a, b, _ = gaze.EYES[k]
            (ax, ay), (bx, by) = pts[a, :2], pts[b, :2]
            assert min(ax, bx) < x < max(ax, bx)
            assert abs(y - (ay + by) / 2) < 0.25 * abs(bx - ax)
            radius = np.hypot(*(raw[2, :2] - raw[4, :2])) / 2 / IRIS_CROP_PX * roi.side
            assert 0.12 < radius / math.dist((ax, ay), (bx, by)) < 0.3  # an iris, about a fifth of the eye's width
    finally:
        model.close()


class _Recording(FaceAnalyzer):
    def _iris_gaze(self, *args):
        value = super()._iris_gaze(*args)
        self.measured.append(value)
        return value


def _points(img):
    class Capture(FaceAnalyzer):
        def _observe(self, points, *rest):
            self.points = points.copy()
            return super()._observe(points, *rest)

    with Capture(SensingConfig()) as a:
        a.analyze(Frame(img, 0.0, 0, "x"), still=True)
        return a.points


# Lids made to read "down" with no change to the faces: a camera said to be 30 deg above the
# screen, and a cone wide enough that the heads are still in it.
_ASK_IRISES = {"expression": {"camera_pitch_offset_deg": 30, "looking_max_pitch_deg": 60}}


def test_real_faces_looking_at_the_camera_read_a_level_iris_gaze():
    with _Recording(SensingConfig.model_validate(_ASK_IRISES)) as a:
        for name in ("grace_hopper.jpg", "obama_official_portrait.jpg", "obama_official_portrait_240p.jpg",
                     "astronaut.png", "biden_white_house.jpg"):
            a.measured = []
            (f,) = a.analyze(Frame(load(name), 0.0, 0, name), still=True)
            assert len(a.measured) == 1 and a.measured[0] is not None
            assert abs(a.measured[0]) <= 12, (name, a.measured)  # they look at the camera
            assert not f.looking  # 30 deg below the (said) camera's line: lids and irises agree


def test_watchers_cost_no_iris_pass_and_a_phone_user_one_pair_per_hold():
    img = load("grace_hopper.jpg")
    with _Recording(SensingConfig()) as a:
        a.measured = []
        for i in range(30):
            (f,) = a.analyze(Frame(img, i / 30, i, "x"))
            assert f.looking
        assert a.iris_runs == 0
    with _Recording(SensingConfig.model_validate(_ASK_IRISES)) as a:
        a.measured = []
        for i in range(30):  # one second at 30 fps
            a.analyze(Frame(img, i / 30, i, "x"))
        asked = len(a.measured)
        assert asked >= 25
        # measured at most once per hold, both eyes each time; held in between
        assert 2 * 4 <= a.iris_runs <= 2 * math.ceil(1.0 / 0.2 + 1)
        assert a.iris_runs < asked
