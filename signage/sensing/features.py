"""Pure math from face landmarks to anonymous scalars (smile, mouth open, brow raise; head pose
and looking are in pose.py).

Nothing here keeps state or does I/O. The analyzer calls these functions on the
landmark array of one face, and only their scalar results leave the analyzer.

Landmarks are Face Mesh's 468 points as an (N, 3) array in pixels: x and y in image
pixels, z in the same scale as x (Face Mesh's z is relative depth, scaled like x).
Expression measures are taken in the face's own frame (roll removed) and divided
by the distance between the outer eye corners, so they do not depend on distance
to the camera or on head tilt.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from signage.config import ExpressionConfig
from signage.sensing.types import Expression

# Face Mesh landmark indices (canonical 468-point topology).
# "Right"/"left" are the person's own; in a mirror-free camera image the person's
# right eye appears on the image's left.
R_EYE_OUTER, L_EYE_OUTER = 33, 263
R_CHEEK, L_CHEEK = 234, 454
FOREHEAD, CHIN = 10, 152
NOSE_TIP = 1
MOUTH_R, MOUTH_L = 61, 291
LIP_UPPER_IN, LIP_LOWER_IN = 13, 14
LIP_UPPER_OUT, LIP_LOWER_OUT = 0, 17
R_BROW = (70, 63, 105, 66, 107)
L_BROW = (300, 293, 334, 296, 336)
R_EYE_UPPER, R_EYE_LOWER = 159, 145
L_EYE_UPPER, L_EYE_LOWER = 386, 374


@dataclass(frozen=True, slots=True)
class MouthAndBrows:
    """Raw geometric measures, in units of the outer-eye-corner distance (IOD)."""

    mouth_width: float  # corner to corner
    corner_lift: float  # how far the mouth corners sit above the lips' centre line (>0 smile)
    lip_gap: float  # inner lips apart (mouth open)
    brow_height: float  # mean brow-to-upper-eyelid distance
    eye_open: float  # mean eyelid opening


def landmarks_to_pixels(norm: np.ndarray, width: int, height: int) -> np.ndarray:
    """Normalised Face Mesh landmarks (x, y in 0..1, z scaled like x) to pixels."""
    return norm * np.array([width, height, width], dtype=np.float64)


def bounding_box(points: np.ndarray) -> tuple[float, float, float, float]:
    """(x, y, w, h) of the landmarks' extent in pixels."""
    x0, y0 = points[:, 0].min(), points[:, 1].min()
    x1, y1 = points[:, 0].max(), points[:, 1].max()
    return float(x0), float(y0), float(max(x1 - x0, 1.0)), float(max(y1 - y0, 1.0))


def face_axes(points: np.ndarray) -> np.ndarray:
    """Rows: the face's own unit axes in camera space: x from the person's right cheek to
    the left, y from forehead to chin (made orthogonal to x), z = x cross y (into the head)."""
    x_axis = points[L_CHEEK] - points[R_CHEEK]
    y_axis = points[CHIN] - points[FOREHEAD]
    x_axis = x_axis / (np.linalg.norm(x_axis) + 1e-9)
    y_axis = y_axis - np.dot(y_axis, x_axis) * x_axis
    y_axis = y_axis / (np.linalg.norm(y_axis) + 1e-9)
    return np.stack([x_axis, y_axis, np.cross(x_axis, y_axis)])


def mouth_and_brows(points: np.ndarray) -> MouthAndBrows:
    """Expression geometry in the face's own frame, in IOD units.

    The mesh is first rotated into the face's axes, so head turn, tilt and roll do not
    change the measures (a smile seen at 40 degrees of yaw measures as one seen head-on)."""
    local = (points - points[NOSE_TIP]) @ face_axes(points).T
    iod = float(np.linalg.norm(local[L_EYE_OUTER] - local[R_EYE_OUTER])) + 1e-9
    u = local[:, 0] / iod  # across the face
    v = local[:, 1] / iod  # down the face

    mouth_width = math.hypot(u[MOUTH_L] - u[MOUTH_R], v[MOUTH_L] - v[MOUTH_R])
    lips_mid = (v[LIP_UPPER_IN] + v[LIP_LOWER_IN]) / 2.0
    corner_lift = lips_mid - (v[MOUTH_R] + v[MOUTH_L]) / 2.0
    lip_gap = max(0.0, v[LIP_LOWER_IN] - v[LIP_UPPER_IN])
    r_brow = float(np.mean(v[list(R_BROW)]))
    l_brow = float(np.mean(v[list(L_BROW)]))
    brow_height = ((v[R_EYE_UPPER] - r_brow) + (v[L_EYE_UPPER] - l_brow)) / 2.0
    eye_open = ((v[R_EYE_LOWER] - v[R_EYE_UPPER]) + (v[L_EYE_LOWER] - v[L_EYE_UPPER])) / 2.0
    return MouthAndBrows(mouth_width, corner_lift, lip_gap, brow_height, eye_open)


def _ramp(v: float, lo: float, hi: float) -> float:
    """0 at lo, 1 at hi, linear in between, clamped."""
    return float(min(1.0, max(0.0, (v - lo) / (hi - lo))))


# The ramps that turn the raw geometry into the descriptive 0..1 measures are settings
# (ExpressionConfig.mouth_open_gap, brow_raise_height). Smile and surprise themselves come
# from the trained classifier in signage.sensing.expressions.


def mouth_open_score(m: MouthAndBrows, cfg: ExpressionConfig) -> float:
    return _ramp(m.lip_gap, *cfg.mouth_open_gap)


def brow_raise_score(m: MouthAndBrows, cfg: ExpressionConfig) -> float:
    return _ramp(m.brow_height, *cfg.brow_raise_height)


def classify_expression(smile: float, surprise: float, cfg: ExpressionConfig) -> Expression:
    """The readily apparent expression label from the classifier's two probabilities:
    smile wins over surprise (a laugh is a smile), else neutral."""
    if smile >= cfg.smile_threshold:
        return "smile"
    if surprise >= cfg.surprise_threshold:
        return "surprise"
    return "neutral"
