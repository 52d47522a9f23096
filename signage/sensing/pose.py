"""Head pose and attention from Face Mesh's 468 points: pure functions, no state, no I/O.

Only the analyzer calls this module (tests/test_privacy.py checks it): it takes one face's
landmarks and gives back scalars.

**The fit.** The 468 points are matched to MediaPipe's canonical face model
(`canonical_face.py`) by a weak-perspective least-squares fit (orthographic projection, scale
and translation free: the rotation does not depend on the face's size or place in the image).
Only the points' x and y are used: Face Mesh's z is the network's guess of depth, flatter than
the face (a 3-D Procrustes fit on it reads yaw at 0.8 of GENKI's labels; docs/pose.md).

**The angles**, in degrees of real head pose, calibrated against GENKI-4K's pose labels
(one constant, PITCH_OFFSET_DEG; `bench/pose.py` prints the cross-validated figures):

- yaw > 0: the face turns towards the image's right (the person's own left);
- pitch > 0: the face tilts up (chin up); 0 is level, as GENKI's labels have it;
- roll > 0: the head leans clockwise in the image.

**The eyes.** In the face's own frame (head rotation removed), the upper eyelid's height
above the line between the eye's corners, in eye widths, of the more open eye: the upper lid
follows the eye, so it comes down when someone looks down (at a phone) while the head may stay
nearly level, and a closed eye reads as far down. It is turned into the eyes' pitch in the head
(degrees) by two constants fitted on GENKI, whose people look at the camera.

**Looking** = the head within the attention cone (`looking_max_yaw_deg`,
`looking_max_pitch_deg`, around the camera offsets) and the gaze not too far below the
camera's line. The gaze is first the head's pitch plus the eyes' pitch from the lids; when
that is more than `looking_iris_below_deg` below the line (the lids say "down": at a phone,
or closed), the irises are measured too (signage.sensing.gaze) and the gaze is the mean of
the two estimates, which must not be more than `looking_max_gaze_down_deg` below the line.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from signage.config import ExpressionConfig
from signage.sensing.canonical_face import CANONICAL_FACE

# Image points (x right, y down, z away from the camera) to a right-handed camera frame like
# the model's: X right, Y up, Z towards the camera.
_FLIP = np.array([1.0, -1.0, -1.0])

# Fitted on GENKI-4K by bench/pose.py (on all of it; its figures are cross-validated):
# - the canonical model's forward axis is tilted against what GENKI calls level: its fitted
#   pitch reads this much low on GENKI (median of label minus fit), so it is added;
PITCH_OFFSET_DEG = 7.71
# - GENKI's people look at the camera, so their eyes turn in the head against the head's pitch
#   (head up 20 deg: eyes 20 deg down). The upper lid follows the eye: its height above the
#   eye corners' line is EYE_LID_LEVEL eye widths with the eyes level, and falls by
#   EYE_LID_PER_DEG for each degree the eyes turn down (least squares of lid height on the
#   fitted head pitch).
EYE_LID_LEVEL = 0.198
EYE_LID_PER_DEG = 0.0040

# Eye landmarks (Face Mesh's eye contours): the corners, and three points each of the upper and
# the lower lid around their middle. Person's right eye (image left), then left eye.
_EYES = (
    (33, 133, (160, 159, 158), (144, 145, 153)),
    (263, 362, (387, 386, 385), (373, 374, 380)),
)
_EYE_IDS = np.array([i for outer, inner, up, low in _EYES for i in (outer, inner, *up, *low)])


@dataclass(frozen=True, slots=True)
class Pose:
    """Head orientation in degrees. yaw > 0: the face turns towards the image's right;
    pitch > 0: the face tilts up; roll > 0: the head leans clockwise in the image."""

    yaw: float
    pitch: float
    roll: float


@dataclass(frozen=True, slots=True)
class Eyes:
    """Eyelid geometry in the face's own frame, in units of the eye's width (corner to
    corner), of the more open eye (a wink keeps one eye's measure)."""

    upper_lid: float  # upper lid's height above the corners' line (drops when looking down)
    opening: float  # upper lid to lower lid
    pitch: float  # the eyes' pitch in the head, degrees (< 0: looking down), from upper_lid


@dataclass(frozen=True, slots=True)
class HeadAndEyes:
    pose: Pose
    eyes: Eyes
    # the head fit (`fit`): model-to-camera rotation, and pixels per canonical-face cm
    rotation: np.ndarray | None = None
    scale: float = 0.0


# The weak-perspective fit's least-squares solver, from the model alone (468 x 3): for image
# points q (468 x 2, y up), q^T @ _SOLVE is the affine map A (2 x 3) with q ~ A m + t that
# minimises the squared error over all 468 points. The model is centred, so q needs no centring.
_M = CANONICAL_FACE - CANONICAL_FACE.mean(axis=0)
_SOLVE = _M @ np.linalg.inv(_M.T @ _M)
_Y_UP = np.array([1.0, -1.0])


def fit_rotation(points: np.ndarray) -> np.ndarray:
    return fit(points)[0]


def fit(points: np.ndarray) -> tuple[np.ndarray, float]:
    """(R, s): the rotation R (3x3, model to camera: X right, Y up, Z towards the camera) of the
    weak-perspective fit of the canonical model to the 468 points' image positions:
    (x, y) ~ s * (first two rows of R) @ model + t, by least squares.

    The affine least-squares map is made a scaled rotation by its polar decomposition (its two
    rows replaced by the nearest orthonormal pair); the third row is their cross product. Only
    x and y are used: Face Mesh's z is the network's guess of depth and reads flatter than the
    face (a 3-D fit on it gives yaw compressed to about 0.8 of GENKI's labels). s is the
    fit's scale, image pixels per centimetre of the canonical face."""
    (a0, a1, a2), (b0, b1, b2) = ((points[:, :2] * _Y_UP).T @ _SOLVE).tolist()
    g00, g01, g11 = a0 * a0 + a1 * a1 + a2 * a2, a0 * b0 + a1 * b1 + a2 * b2, b0 * b0 + b1 * b1 + b2 * b2
    # G^(-1/2) for the 2x2 Gram matrix G of the rows: sqrt(G) = (G + sqrt(det) I) / t
    root = math.sqrt(max(g00 * g11 - g01 * g01, 1e-18))
    t = math.sqrt(g00 + g11 + 2.0 * root)
    s00, s01, s11 = (g00 + root) / t, g01 / t, (g11 + root) / t
    det = s00 * s11 - s01 * s01
    i00, i01, i11 = s11 / det, -s01 / det, s00 / det
    r0 = (i00 * a0 + i01 * b0, i00 * a1 + i01 * b1, i00 * a2 + i01 * b2)
    r1 = (i01 * a0 + i11 * b0, i01 * a1 + i11 * b1, i01 * a2 + i11 * b2)
    r2 = (r0[1] * r1[2] - r0[2] * r1[1], r0[2] * r1[0] - r0[0] * r1[2], r0[0] * r1[1] - r0[1] * r1[0])
    return np.array((r0, r1, r2)), math.sqrt((g00 + g11) / 2.0)


def angles(r: np.ndarray) -> tuple[float, float, float]:
    """(yaw, pitch, roll) in degrees of a model-to-camera rotation, uncalibrated: yaw and pitch
    of the face's forward axis (the model's +z), roll about that axis."""
    (ax, _, fx), (ay, _, fy), (az, _, fz) = r.tolist()
    yaw = math.degrees(math.atan2(fx, fz))
    pitch = math.degrees(math.atan2(fy, math.hypot(fx, fz)))
    # The unrolled frame around the forward axis f: x0 = up x f (normalised), y0 = f x x0.
    h = math.hypot(fx, fz) + 1e-12
    x0 = (fz / h, 0.0, -fx / h)
    y0 = (-fx * fy / h, h, -fy * fz / h)
    # (ax, ay, az): the face's own x axis, towards the person's left
    roll = math.degrees(math.atan2(-(ax * y0[0] + ay * y0[1] + az * y0[2]), ax * x0[0] + az * x0[2]))
    return yaw, pitch, roll


def rotation(yaw: float, pitch: float, roll: float) -> np.ndarray:
    """The model-to-camera rotation with these (uncalibrated) angles: the inverse of `angles`."""
    y, p, r = (math.radians(a) for a in (yaw, pitch, roll))
    f = np.array([math.sin(y) * math.cos(p), math.sin(p), math.cos(y) * math.cos(p)])
    x0 = np.cross((0.0, 1.0, 0.0), f)
    x0 /= np.linalg.norm(x0)
    y0 = np.cross(f, x0)
    a = math.cos(r) * x0 - math.sin(r) * y0
    return np.stack([a, np.cross(f, a), f], axis=1)


def eyes(points: np.ndarray, r: np.ndarray) -> Eyes:
    """Eyelid geometry with the head's rotation r (from `fit_rotation`) taken out."""
    local = ((points[_EYE_IDS] * _FLIP) @ r).tolist()  # the eye points in the model's frame (Y up)
    upper, opening = -1.0, -1.0
    for k in (0, 8):  # each eye: outer, inner, 3 upper, 3 lower
        (ox, oy, _), (ix, iy, _) = local[k], local[k + 1]
        width = math.hypot(ix - ox, iy - oy) + 1e-9
        up = (local[k + 2][1] + local[k + 3][1] + local[k + 4][1]) / 3.0
        low = (local[k + 5][1] + local[k + 6][1] + local[k + 7][1]) / 3.0
        upper = max(upper, (up - (oy + iy) / 2.0) / width)
        opening = max(opening, (up - low) / width)
    return Eyes(upper_lid=upper, opening=opening, pitch=(upper - EYE_LID_LEVEL) / EYE_LID_PER_DEG)


def head_and_eyes(points: np.ndarray) -> HeadAndEyes:
    """One face's calibrated head pose and eyelid geometry, from its 468 points in pixels."""
    r, scale = fit(points)
    yaw, pitch, roll = angles(r)
    return HeadAndEyes(Pose(yaw, pitch + PITCH_OFFSET_DEG, roll), eyes(points, r), r, scale)


def head_pose(points: np.ndarray) -> Pose:
    return head_and_eyes(points).pose


def head_in_cone(pose: Pose, cfg: ExpressionConfig) -> bool:
    """The head faces the screen: yaw and pitch, corrected for where the camera sits, within
    the attention cone (degrees of real head pose)."""
    return (
        abs(pose.yaw - cfg.camera_yaw_offset_deg) <= cfg.looking_max_yaw_deg
        and abs(pose.pitch - cfg.camera_pitch_offset_deg) <= cfg.looking_max_pitch_deg
    )


def lid_gaze(m: HeadAndEyes, cfg: ExpressionConfig) -> float:
    """The gaze's pitch against the camera's line from the head and the lids (degrees)."""
    return m.pose.pitch + m.eyes.pitch - cfg.camera_pitch_offset_deg


def iris_wanted(m: HeadAndEyes, cfg: ExpressionConfig) -> bool:
    """Whether the irises can change `is_looking`'s answer: the head faces the screen and
    the lids put the gaze more than `looking_iris_below_deg` below the camera's line."""
    return head_in_cone(m.pose, cfg) and lid_gaze(m, cfg) < -cfg.looking_iris_below_deg


# The iris estimate counts up to this far above the camera's line: an iris the model places
# high under a closed or squinting lid does not outvote lids that say "closed".
_IRIS_UP_MAX_DEG = 25.0


def is_looking(m: HeadAndEyes, cfg: ExpressionConfig, iris_gaze: float | None = None) -> bool:
    """Looking at the screen: the head within the attention cone, and the gaze not too far
    below the camera's line. The lids' estimate (head pitch plus the eyes' pitch from the
    upper lids) decides alone while it is no more than `looking_iris_below_deg` below; below
    that, the mean of it and the irises' estimate (`iris_gaze`, signage.sensing.gaze, against
    the camera's line) must be no more than `looking_max_gaze_down_deg` below. Without an
    iris measure (eyes too small in the image) the lids' estimate is held to that limit."""
    if not head_in_cone(m.pose, cfg):
        return False
    lids = lid_gaze(m, cfg)
    if lids >= -cfg.looking_iris_below_deg:
        return True
    if iris_gaze is None:
        return lids >= -cfg.looking_max_gaze_down_deg
    iris = min(iris_gaze - cfg.camera_pitch_offset_deg, _IRIS_UP_MAX_DEG)
    return (lids + iris) / 2.0 >= -cfg.looking_max_gaze_down_deg
