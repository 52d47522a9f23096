"""The geometry around the Face Mesh landmark model (signage/sensing/roi.py): pure functions."""

import math

import cv2
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from signage.sensing.roi import (
    CROP_PX,
    Roi,
    crop,
    crop_transform,
    normalize_radians,
    project_landmarks,
    roi_from_detection,
    roi_from_landmarks,
)

rois = st.builds(
    Roi,
    cx=st.floats(-50, 2000),
    cy=st.floats(-50, 2000),
    side=st.floats(8, 1500),
    rotation=st.floats(-math.pi, math.pi),
)


def _apply(m: np.ndarray, pts: np.ndarray) -> np.ndarray:
    return cv2.perspectiveTransform(pts.reshape(-1, 1, 2).astype(np.float64), m).reshape(-1, 2)


@given(rois)
def test_projection_is_the_inverse_of_the_crop(roi):
    """A point the model reports at (u, v) of its crop lands on the image pixel the crop
    took from there: project_landmarks undoes crop_transform."""
    uv = np.array([[0, 0, 0], [CROP_PX, 0, 0], [96, 96, 5], [10, 170, -3]], dtype=np.float64)
    img = project_landmarks(uv, roi)
    back = _apply(crop_transform(roi), img[:, :2])
    assert np.allclose(back, uv[:, :2], atol=1e-3 * max(1.0, CROP_PX / roi.side))
    # z is scaled like x: crop pixels to image pixels
    assert np.allclose(img[:, 2], uv[:, 2] * roi.side / CROP_PX)


def test_the_crop_is_the_roi_turned_upright():
    """An image with a marked square, rotated: the crop of the ROI that follows it shows the
    square upright and filling the crop."""
    img = np.zeros((400, 400, 3), np.uint8)
    img[150:250, 150:250] = 255
    img[150:170, 150:170] = (255, 0, 0)  # a red corner: top-left of the square
    m = cv2.getRotationMatrix2D((200, 200), -30, 1.0)  # 30 degrees clockwise on screen
    turned = cv2.warpAffine(img, m, (400, 400))
    roi = Roi(200, 200, 100, math.radians(30))
    out = crop(turned, roi)
    assert out.shape == (CROP_PX, CROP_PX, 3) and out.flags["C_CONTIGUOUS"]
    assert out[20, 20, 0] > 200 and out[20, 20, 1] < 60  # red corner back at the top left
    assert out[150, 150].min() > 200  # white inside
    assert out[CROP_PX // 2, CROP_PX // 2].min() > 200


def test_roi_from_detection_is_square_and_levels_the_eyes():
    roi = roi_from_detection((100, 50, 40, 60), right_eye=(110, 70), left_eye=(130, 70))
    assert (roi.cx, roi.cy) == (120, 80) and roi.side == pytest.approx(90)
    assert roi.rotation == pytest.approx(0)
    # the left eye lower on screen than the right: the head leans clockwise
    tilted = roi_from_detection((100, 50, 40, 40), right_eye=(110, 70), left_eye=(130, 90))
    assert tilted.rotation == pytest.approx(math.radians(45))


def test_roi_from_landmarks_uses_their_extent_and_the_eye_corners():
    pts = np.zeros((468, 3))
    pts[:, 0] = np.linspace(100, 200, 468)
    pts[:, 1] = np.linspace(300, 380, 468)
    pts[33, :2] = (120, 340)
    pts[263, :2] = (180, 340 - 60 * math.tan(math.radians(10)))
    roi = roi_from_landmarks(pts)
    assert (roi.cx, roi.cy) == pytest.approx((150, 340))
    assert roi.side == pytest.approx(150)  # long side 100, x1.5
    assert roi.rotation == pytest.approx(math.radians(-10))


@given(st.floats(-100, 100))
def test_normalize_radians(a):
    n = normalize_radians(a)
    assert -math.pi <= n < math.pi
    assert math.isclose(math.cos(n), math.cos(a), abs_tol=1e-9) and math.isclose(math.sin(n), math.sin(a), abs_tol=1e-9)
