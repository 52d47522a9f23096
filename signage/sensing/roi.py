"""Regions of interest for the Face Mesh landmark model: pure geometry, no model, no I/O.

The landmark model sees a 192x192 crop of the face, square and turned so that the eyes
are level. This module does what MediaPipe's Face Mesh graph does around that model,
step for step, so that the same model gives the same points as the 0.10.18 solution did:

- a ROI from a detection (FaceDetectionFrontDetectionToRoi): the detector's box, its
  long side scaled 1.5, rotated by the line between the two eye keypoints;
- the crop (ImageToTensorCalculator on the CPU): OpenCV's perspective warp that maps
  the ROI's corners (cv::RotatedRect's box points) onto the corners of the 192x192
  tensor, bilinear, replicating the border;
- the landmarks back into the image (LandmarkProjectionCalculator);
- the next frame's ROI from this frame's landmarks (FaceLandmarkLandmarksToRoi): the
  landmarks' bounding box, long side scaled 1.5, rotated by the outer eye corners.

Everything is in image pixels. A rotation is in radians, positive clockwise on screen
(image y grows downwards), as in MediaPipe's NormalizedRect.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np

CROP_PX = 192  # the landmark model's input side
ROI_SCALE = 1.5  # both in the detection- and in the landmark-made ROI
# Landmark indices whose line sets the roll of a landmark-made ROI (outer eye corners).
_EYE_LINE = (33, 263)

Box = tuple[float, float, float, float]  # x, y, w, h in pixels


@dataclass(slots=True)
class Roi:
    """A rotated square in pixels (centre, side, rotation in radians)."""

    cx: float
    cy: float
    side: float
    rotation: float
    score: float = 1.0  # the detector's confidence when this face was found
    # A followed face's ROI (signage.sensing.motion): the stream time of the frame its
    # landmarks came from, and the face's velocity in pixels per second.
    t: float | None = None
    vx: float = 0.0
    vy: float = 0.0
    # A followed face's last iris gaze (signage.sensing.gaze, degrees) and the stream time it
    # was measured at: it is measured again at most every few frames (analyzer._IRIS_HOLD_S).
    iris_gaze: float | None = None
    iris_t: float | None = None

    def box(self) -> Box:
        """The axis-aligned square of the same centre and side (rotation ignored)."""
        return (self.cx - self.side / 2, self.cy - self.side / 2, self.side, self.side)


def normalize_radians(a: float) -> float:
    """An angle in [-pi, pi)."""
    return (a + math.pi) % (2 * math.pi) - math.pi


def _rotation(start: tuple[float, float], end: tuple[float, float]) -> float:
    """The rotation that makes the start->end line horizontal (DetectionsToRectsCalculator)."""
    return normalize_radians(-math.atan2(-(end[1] - start[1]), end[0] - start[0]))


def roi_from_detection(box: Box, right_eye: tuple[float, float], left_eye: tuple[float, float]) -> Roi:
    """Face Mesh's ROI for a detected face: the box's long side x1.5, eyes level."""
    x, y, w, h = box
    return Roi(x + w / 2, y + h / 2, max(w, h) * ROI_SCALE, _rotation(right_eye, left_eye))


def roi_from_landmarks(points: np.ndarray) -> Roi:
    """The next frame's ROI from one frame's landmarks (N x >=2 pixels)."""
    x0, y0 = float(points[:, 0].min()), float(points[:, 1].min())
    x1, y1 = float(points[:, 0].max()), float(points[:, 1].max())
    a, b = _EYE_LINE
    rotation = _rotation((float(points[a, 0]), float(points[a, 1])), (float(points[b, 0]), float(points[b, 1])))
    return Roi((x0 + x1) / 2, (y0 + y1) / 2, max(x1 - x0, y1 - y0) * ROI_SCALE, rotation)


def crop_transform(roi: Roi, size: int = CROP_PX) -> np.ndarray:
    """The 3x3 perspective matrix from image pixels to crop pixels, as MediaPipe builds it:
    the box points of cv::RotatedRect(centre, side x side, rotation in degrees), bottom-left
    first, onto the crop's corners (0, size), (0, 0), (size, 0), (size, size)."""
    corners = cv2.boxPoints(((roi.cx, roi.cy), (roi.side, roi.side), math.degrees(roi.rotation)))
    dst = np.array([[0, size], [0, 0], [size, 0], [size, size]], dtype=np.float32)
    return cv2.getPerspectiveTransform(corners.astype(np.float32), dst)


def crop(image: np.ndarray, roi: Roi, size: int = CROP_PX, *, bgr: bool = False) -> np.ndarray:
    """The size x size RGB crop the landmark model reads (contiguous uint8), from an RGB
    image, or from a BGR one (``bgr=True``: the crop alone is turned to RGB, the same pixels
    as cutting it from the whole frame turned to RGB, for a fraction of the cost).

    Outside the image the border is replicated, as Face Mesh does: a face cut by the
    frame's edge keeps its presence score (0.86-1.00 on the test faces cut by half), and on
    face-free photos no edge ROI reads as a face (a constant black border made one of 900
    read 0.89; tests/sensing/test_roi.py)."""
    out = cv2.warpPerspective(
        image, crop_transform(roi, size), (size, size), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE
    )
    if bgr:
        return cv2.cvtColor(out, cv2.COLOR_BGR2RGB)
    return np.ascontiguousarray(out)


def project_landmarks(raw: np.ndarray, roi: Roi, size: int = CROP_PX) -> np.ndarray:
    """Landmarks in crop pixels (N x 3, z scaled like x) to image pixels, z scaled like x."""
    xn = raw[:, 0] / size - 0.5
    yn = raw[:, 1] / size - 0.5
    c, s = math.cos(roi.rotation), math.sin(roi.rotation)
    out = np.empty((raw.shape[0], 3), dtype=np.float64)
    out[:, 0] = roi.cx + roi.side * (c * xn - s * yn)
    out[:, 1] = roi.cy + roi.side * (s * xn + c * yn)
    out[:, 2] = raw[:, 2] / size * roi.side
    return out


def box_iou(a: Box, b: Box) -> float:
    ax0, ay0, aw, ah = a
    bx0, by0, bw, bh = b
    iw = min(ax0 + aw, bx0 + bw) - max(ax0, bx0)
    ih = min(ay0 + ah, by0 + bh) - max(ay0, by0)
    if iw <= 0 or ih <= 0:
        return 0.0
    inter = iw * ih
    return inter / (aw * ah + bw * bh - inter)


def overlap_of_smaller(a: Box, b: Box) -> float:
    """Intersection over the smaller box's area: catches a box nested in another."""
    iw = min(a[0] + a[2], b[0] + b[2]) - max(a[0], b[0])
    ih = min(a[1] + a[3], b[1] + b[3]) - max(a[1], b[1])
    if iw <= 0 or ih <= 0:
        return 0.0
    return iw * ih / min(a[2] * a[3], b[2] * b[3])
