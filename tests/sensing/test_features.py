"""Pure feature math, on a real Face Mesh of a real photo turned by known angles."""

import math

import numpy as np
import pytest

from media import load
from signage.config import ExpressionConfig, SensingConfig
from signage.sensing import features, pose
from signage.sensing.analyzer import FaceAnalyzer, roi_from_detection


@pytest.fixture(scope="module")
def mesh():
    """The astronaut's 468 landmarks in pixels (kept inside this test module)."""
    img = load("astronaut.png")
    import cv2

    rgb = cv2.cvtColor(img, cv2.COLOR_BGR2RGB)
    with FaceAnalyzer(SensingConfig()) as a:
        (det,) = a._run_detector(rgb)
        points, roi = a._landmark_pass(rgb, roi_from_detection(det))
        points, _ = a._landmark_pass(rgb, roi)
    return points


def rot_y(deg):
    r = math.radians(deg)
    return np.array([[math.cos(r), 0, math.sin(r)], [0, 1, 0], [-math.sin(r), 0, math.cos(r)]])


def rot_x(deg):
    r = math.radians(deg)
    return np.array([[1, 0, 0], [0, math.cos(r), -math.sin(r)], [0, math.sin(r), math.cos(r)]])


def turned(points, yaw=0.0, pitch=0.0):
    c = points.mean(axis=0)
    return (points - c) @ (rot_x(pitch) @ rot_y(yaw)).T + c


def test_real_mesh_is_frontal(mesh):
    assert mesh.shape == (468, 3)
    p = pose.head_pose(mesh)
    assert abs(p.yaw) < 8 and abs(p.roll) < 8


@pytest.mark.parametrize("yaw", [-60, -30, 30, 60])
def test_yaw_follows_a_known_turn(mesh, yaw):
    base = pose.head_pose(mesh).yaw
    # a turn about the vertical axis that brings +x towards -z turns the face to the image's right
    got = pose.head_pose(turned(mesh, yaw=-yaw)).yaw - base
    assert got == pytest.approx(yaw, abs=4)


@pytest.mark.parametrize("pitch", [-30, 20])
def test_pitch_follows_a_known_tilt(mesh, pitch):
    base = pose.head_pose(mesh).pitch
    got = pose.head_pose(turned(mesh, pitch=pitch)).pitch - base
    # Face Mesh's z is flatter than a face, so its mesh turned in 3-D is only roughly a turned
    # head for pose.py's fit (which reads the face's outline against the canonical model's depth)
    assert abs(got) == pytest.approx(abs(pitch), abs=5)


@pytest.mark.parametrize("yaw, pitch", [(40, 0), (0, 25), (-35, -15)])
def test_expression_geometry_ignores_head_turn(mesh, yaw, pitch):
    a = features.mouth_and_brows(mesh)
    b = features.mouth_and_brows(turned(mesh, yaw, pitch))
    for field in ("mouth_width", "corner_lift", "lip_gap", "brow_height"):
        assert getattr(b, field) == pytest.approx(getattr(a, field), abs=0.01), field


def test_geometry_ignores_scale(mesh):
    a = features.mouth_and_brows(mesh)
    b = features.mouth_and_brows(mesh * 0.25)
    assert b.mouth_width == pytest.approx(a.mouth_width) and b.corner_lift == pytest.approx(a.corner_lift)


def test_classify_expression_rules():
    cfg = ExpressionConfig()
    assert features.classify_expression(0.9, 0.9, cfg) == "smile"  # a laugh is a smile
    assert features.classify_expression(0.1, 0.6, cfg) == "surprise"
    assert features.classify_expression(0.1, 0.2, cfg) == "neutral"
    assert features.classify_expression(0.6, 0.0, ExpressionConfig(smile_threshold=0.7)) == "neutral"
    assert features.classify_expression(0.1, 0.6, ExpressionConfig(surprise_threshold=0.7)) == "neutral"

