"""Where the eyes point, from the irises: pure geometry, no model, no state, no I/O.

The upper eyelids (signage.sensing.pose) say when the eyes turn down in the head, but they
vary from face to face (8.5 deg sd on GENKI-4K). The iris says it more directly: when the
eyes turn down by an angle, the iris centre moves down in the image by the eye's radius
times the angle's sine, whatever the head does. So a second estimate of the gaze, from
MediaPipe's iris landmark model (signage.sensing.inference.IrisLandmarks), is taken where
the decision needs it: when the head faces the screen and the eyelids already say "down"
(pose.iris_wanted), as at a phone.

This module makes the model's two eye crops, as MediaPipe's iris graph makes them (the
eye's corners, scaled 2.3, turned level; the person's left eye mirrored, the model being
trained on right eyes as the image shows them), and turns the iris centres into the gaze's
pitch against the camera's line (degrees, < 0: below):

- in the image, along the face's own "up" (from the head fit), the iris centre's height
  above the midpoint of its eye's corners, in centimetres of MediaPipe's canonical face
  (the head fit's scale), averaged over both eyes;
- minus where it sits for someone looking at the camera: GENKI-4K's people do, so the
  height's level and its small change with the head's pitch (the eye turns about a centre
  behind the corners) are fitted there by least squares (IRIS_LEVEL_CM, IRIS_PER_SIN_PITCH);
- divided by the eye's radius (EYE_RADIUS_CM): the pupil plane lies about 10 mm in front of
  the eye's centre of rotation, which is 0.92 cm of the canonical face (whose irises measure
  0.53 of its cm in radius against a real 5.9 mm). GENKI cannot give this scale (its people
  all look at the camera): it is anatomy, written here, and docs/pose.md says what it rests on.

The iris points never leave the analyzer; only the angle does.
"""

from __future__ import annotations

import math

import numpy as np

from signage.sensing.roi import Roi, normalize_radians

# Face Mesh's eye corners, left to right in the image: the person's right eye (outer, inner),
# then the left eye (inner, outer); the second is mirrored for the model.
EYES = ((33, 133, False), (362, 263, True))
# MediaPipe's iris graph: the eye crop is the corners' span scaled by this, square.
EYE_CROP_SCALE = 2.3
# An eye narrower than this (corner to corner, pixels) gives no iris measure: its crop would
# be blown up more than 3.5 times (64 px from under 18). GENKI scaled to faces 60 px wide
# (eyes about 12 px) reads the iris gaze 2 deg higher, its spread 7.3 deg against 7.0 (bench/pose.py).
MIN_EYE_PX = 8.0

# Fitted on GENKI-4K by bench/pose.py (all of it; the figures it prints are cross-validated).
IRIS_LEVEL_CM = 0.140
IRIS_PER_SIN_PITCH = -0.077
# Anatomy (see above): the eye's radius to the pupil plane, in canonical-face centimetres.
EYE_RADIUS_CM = 0.92


def eye_rois(points: np.ndarray) -> list[tuple[int, Roi, bool]]:
    """The eye crops' ROIs (centre, side, rotation), each with its eye's index in EYES and
    whether it is mirrored, from a face's 468 points in pixels; an eye narrower than
    MIN_EYE_PX is left out."""
    out = []
    for k, (a, b, mirrored) in enumerate(EYES):
        (ax, ay), (bx, by) = points[a, :2].tolist(), points[b, :2].tolist()
        width = math.hypot(bx - ax, by - ay)
        if width < MIN_EYE_PX:
            continue
        rotation = normalize_radians(-math.atan2(-(by - ay), bx - ax))
        out.append((k, Roi((ax + bx) / 2, (ay + by) / 2, width * EYE_CROP_SCALE, rotation), mirrored))
    return out


def iris_centre(raw: np.ndarray, roi: Roi, mirrored: bool, size: int = 64) -> tuple[float, float]:
    """The iris centre (the model's first point, in crop pixels) in image pixels."""
    x, y = float(raw[0, 0]), float(raw[0, 1])
    if mirrored:
        x = size - x
    xn, yn = x / size - 0.5, y / size - 0.5
    c, s = math.cos(roi.rotation), math.sin(roi.rotation)
    return roi.cx + roi.side * (c * xn - s * yn), roi.cy + roi.side * (s * xn + c * yn)


def iris_height_cm(points: np.ndarray, r: np.ndarray, scale: float, centres: dict[int, tuple[float, float]]) -> float:
    """Mean height of the iris centres above their eye corners' midpoint, along the face's
    "up" in the image, in canonical-face centimetres. ``centres``: eye index (0 or 1, as in
    EYES) to the iris centre in pixels; r, scale: the head fit (pose.fit)."""
    ux, uy = float(r[0, 1]), -float(r[1, 1])  # the face's up axis in image pixels (y down)
    norm = math.hypot(ux, uy) + 1e-12
    ux, uy = ux / norm, uy / norm
    heights = []
    for k, (cx, cy) in centres.items():
        a, b, _ = EYES[k]
        mx, my = (points[a, 0] + points[b, 0]) / 2, (points[a, 1] + points[b, 1]) / 2
        heights.append(((cx - mx) * ux + (cy - my) * uy) / scale)
    return sum(heights) / len(heights)


def iris_gaze_deg(height_cm: float, head_pitch_deg: float, level: float = IRIS_LEVEL_CM,
                  per_sin_pitch: float = IRIS_PER_SIN_PITCH) -> float:
    """The gaze's pitch against the camera's line (degrees, < 0: below) from the irises'
    height (iris_height_cm) and the head's calibrated pitch (the constants: GENKI's fit)."""
    offset = height_cm - level - per_sin_pitch * math.sin(math.radians(head_pitch_deg))
    return math.degrees(math.asin(max(-1.0, min(1.0, offset / EYE_RADIUS_CM))))
