"""signage/sensing/pose.py: the canonical-face fit, its angles and signs, and looking with the eyes.

Synthetic faces are MediaPipe's canonical model turned by known angles and projected as Face
Mesh gives its points (x right, y down in pixels, z growing away from the camera, scaled like
x); real faces are the test photos through the analyzer."""

import itertools

import numpy as np
import pytest

from media import load
from signage.config import ExpressionConfig, SensingConfig
from signage.sensing import pose
from signage.sensing.analyzer import FaceAnalyzer
from signage.sensing.canonical_face import CANONICAL_FACE
from signage.sensing.types import Frame


def face(yaw=0.0, pitch=0.0, roll=0.0, scale=20.0, at=(320.0, 240.0, 0.0), model=CANONICAL_FACE):
    """Face Mesh-like points of the model seen with this (uncalibrated) head rotation."""
    cam = scale * (model @ pose.rotation(yaw, pitch, roll).T)  # X right, Y up, Z towards the camera
    return cam * (1.0, -1.0, -1.0) + np.array(at)


def fitted(points):
    return pose.angles(pose.fit_rotation(points))


def test_canonical_model_is_the_468_point_symmetric_mesh():
    assert CANONICAL_FACE.shape == (468, 3)
    mirrored = CANONICAL_FACE * (-1.0, 1.0, 1.0)
    gaps = np.abs(mirrored[:, None, :] - CANONICAL_FACE[None, :, :]).max(axis=2)
    assert gaps.min(axis=1).max() < 1e-9  # every vertex's mirror image is a vertex
    assert np.allclose(mirrored[33], CANONICAL_FACE[263]) and np.allclose(mirrored[234], CANONICAL_FACE[454])
    assert CANONICAL_FACE[10, 1] > CANONICAL_FACE[1, 1] > CANONICAL_FACE[152, 1]  # forehead, nose, chin: y up
    assert CANONICAL_FACE[1, 2] > CANONICAL_FACE[234, 2]  # the nose tip is nearer the viewer than a cheek


@pytest.mark.parametrize("yaw, pitch, roll", list(itertools.product((-60, -25, 0, 35), (-40, 0, 30), (-20, 0, 15))))
def test_synthetic_rotations_are_recovered(yaw, pitch, roll):
    got = fitted(face(yaw, pitch, roll))
    assert got == pytest.approx((yaw, pitch, roll), abs=0.5)


def test_rotation_inverts_angles():
    for yaw, pitch, roll in [(10, 20, 30), (-70, -50, 5), (0, 0, 0)]:
        assert pose.angles(pose.rotation(yaw, pitch, roll)) == pytest.approx((yaw, pitch, roll), abs=1e-9)


def test_sign_conventions_in_the_image():
    centre = face()
    # yaw > 0: the face turns towards the image's right, so the nose tip moves right
    assert face(yaw=30)[1, 0] - face(yaw=30)[:, 0].mean() > centre[1, 0] - centre[:, 0].mean() + 5
    # pitch > 0: chin up, the nose tip moves up in the image (y down)
    assert face(pitch=20)[1, 1] - face(pitch=20)[:, 1].mean() < centre[1, 1] - centre[:, 1].mean() - 5
    # roll > 0: clockwise, the person's left eye (image right, 263) sinks below the right (33)
    turned = face(roll=15)
    assert turned[263, 1] > turned[33, 1] + 5
    # and the calibrated head pose keeps those signs
    assert pose.head_pose(face(yaw=30)).yaw > 25
    assert pose.head_pose(face(pitch=20)).pitch - pose.head_pose(centre).pitch == pytest.approx(20, abs=0.5)
    assert pose.head_pose(face(roll=15)).roll == pytest.approx(15, abs=0.5)


def test_weak_perspective_invariance():
    """Size and position in the image (and a depth offset) do not change the angles."""
    base = fitted(face(25, -10, 5))
    for scale, at in [(3.0, (10.0, 10.0, 0.0)), (80.0, (1500.0, 900.0, -300.0)), (0.5, (0.0, 0.0, 50.0))]:
        assert fitted(face(25, -10, 5, scale=scale, at=at)) == pytest.approx(base, abs=1e-6)


def test_noise_and_expression_barely_move_the_pose():
    rng = np.random.default_rng(0)
    noisy = face(20, 10, 0) + rng.normal(0, 0.4, (468, 3))  # ~0.4 px on a face ~300 px wide
    assert fitted(noisy) == pytest.approx((20, 10, 0), abs=1.0)
    model = CANONICAL_FACE.copy()
    model[[13, 14, 17, 0, 61, 291, 78, 308, 152, 148, 377]] += (0.0, -1.5, 0.0)  # mouth and chin open
    assert fitted(face(20, 10, 0, model=model)) == pytest.approx((20, 10, 0), abs=1.5)


def with_upper_lids(model: np.ndarray, lid: float) -> np.ndarray:
    """The model with both upper lids set `lid` eye widths above their eye's corners' line.
    (The canonical mesh's own eyes are narrower than GENKI's faces: 0.13 against 0.20.)"""
    out = model.copy()
    for outer, inner, upper, _ in pose._EYES:
        width = np.linalg.norm(model[inner, :2] - model[outer, :2])
        out[list(upper), 1] = (model[outer, 1] + model[inner, 1]) / 2.0 + lid * width
    return out


def test_eyes_down_is_not_looking_though_the_head_is_in_the_cone():
    cfg = ExpressionConfig()
    bent = -pose.PITCH_OFFSET_DEG - 10  # the head 10 deg down: inside the cone
    level_eyes = with_upper_lids(CANONICAL_FACE, pose.EYE_LID_LEVEL)
    head = pose.head_and_eyes(face(0, bent, 0, model=level_eyes))
    assert head.pose.pitch == pytest.approx(-10, abs=0.5) and head.eyes.pitch == pytest.approx(0, abs=0.5)
    assert pose.head_in_cone(head.pose, cfg) and pose.is_looking(head, cfg)
    # the upper lids 0.12 eye widths lower: the eyes ~30 deg down, as at a phone held low
    down = pose.head_and_eyes(face(0, bent, 0, model=with_upper_lids(CANONICAL_FACE, pose.EYE_LID_LEVEL - 0.12)))
    assert down.pose.pitch == pytest.approx(head.pose.pitch, abs=1.0)  # the lids do not move the head
    assert pose.head_in_cone(down.pose, cfg)  # a head-only rule would call this a watcher
    assert down.eyes.pitch < -25
    assert not pose.is_looking(down, cfg)
    # a little lower (the eyes 10 deg down) is still looking; a laxer setting lets the phone pass
    slight = pose.head_and_eyes(face(0, bent, 0, model=with_upper_lids(CANONICAL_FACE, pose.EYE_LID_LEVEL - 0.04)))
    assert pose.is_looking(slight, cfg)
    assert pose.is_looking(down, ExpressionConfig(looking_max_gaze_down_deg=45))
    # a camera above the screen: watchers' gaze is below the camera's line by the offset
    assert pose.is_looking(down, ExpressionConfig(camera_pitch_offset_deg=-25))
    assert not pose.is_looking(down, ExpressionConfig(camera_pitch_offset_deg=-15))


def test_closed_eyes_are_not_looking():
    shut = CANONICAL_FACE.copy()
    for outer, inner, upper, lower in pose._EYES:
        shut[list(upper), 1] = shut[list(lower), 1].mean()
    m = pose.head_and_eyes(face(0, -pose.PITCH_OFFSET_DEG, 0, model=shut))
    assert pose.head_in_cone(m.pose, ExpressionConfig()) and not pose.is_looking(m, ExpressionConfig())


def test_eye_measures_ignore_head_turn_and_size():
    a = pose.head_and_eyes(face()).eyes
    for kw in ({"yaw": 30}, {"pitch": -20}, {"roll": 15}, {"scale": 4.0}):
        b = pose.head_and_eyes(face(**kw)).eyes
        assert b.upper_lid == pytest.approx(a.upper_lid, abs=1e-6) and b.opening == pytest.approx(a.opening, abs=1e-6)


def test_a_wink_keeps_the_open_eye():
    model = CANONICAL_FACE.copy()
    outer, inner, upper, lower = pose._EYES[0]
    model[list(upper), 1] = model[list(lower), 1].mean()  # the right eye shut
    e = pose.head_and_eyes(face(model=model)).eyes
    assert e.upper_lid == pytest.approx(pose.head_and_eyes(face()).eyes.upper_lid, abs=1e-3)


def test_looking_cone_uses_camera_offsets():
    cfg = ExpressionConfig(looking_max_pitch_deg=10)
    eyes = pose.Eyes(pose.EYE_LID_LEVEL, 0.3, 0.0)  # level in the head
    down20 = pose.HeadAndEyes(pose.Pose(0.0, -20.0, 0.0), eyes)
    assert not pose.is_looking(down20, cfg)
    assert pose.is_looking(down20, ExpressionConfig(looking_max_pitch_deg=10, camera_pitch_offset_deg=-15))
    side = pose.HeadAndEyes(pose.Pose(25.0, 0.0, 0.0), eyes)
    assert not pose.is_looking(side, ExpressionConfig(looking_max_yaw_deg=20))
    assert pose.is_looking(side, ExpressionConfig(looking_max_yaw_deg=20, camera_yaw_offset_deg=10))


@pytest.fixture(scope="module")
def photos():
    with FaceAnalyzer(SensingConfig()) as a:
        yield {name: a.analyze(Frame(load(name), 0.0, 0, name), still=True)
               for name in ("camera.png", "obama_official_portrait.jpg", "obama_official_portrait_240p.jpg",
                            "grace_hopper.jpg", "biden_white_house.jpg")}


def test_real_photos_through_the_analyzer(photos):
    (turned,) = photos["camera.png"]  # the cameraman, face turned ~50 deg to the image's right
    assert 40 <= turned.yaw <= 60 and not turned.looking
    for name in ("obama_official_portrait.jpg", "obama_official_portrait_240p.jpg", "grace_hopper.jpg", "biden_white_house.jpg"):
        (f,) = photos[name]
        assert abs(f.yaw) <= 12 and abs(f.pitch) <= 12 and f.looking, (name, f)
    a, b = photos["obama_official_portrait.jpg"][0], photos["obama_official_portrait_240p.jpg"][0]
    assert (a.yaw, a.pitch, a.roll) == pytest.approx((b.yaw, b.pitch, b.roll), abs=2.0)  # size does not matter
