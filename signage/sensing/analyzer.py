"""FaceAnalyzer: the only code that touches MediaPipe and face landmarks.

Two models from MediaPipe work together (see ``signage.sensing.inference``):

- the full-range BlazeFace detector finds faces out to shop-window distance, far
  smaller than Face Mesh's own short-range detector can (it loses faces below about
  100 px wide);
- the Face Mesh landmark model, run on a region of interest (ROI) per face exactly as
  Face Mesh runs it (``signage.sensing.roi``), gives the 468 landmarks from which pose
  and expression are measured.

On a stream, the detector runs every ``detector.interval_s``; in between, each
face is followed by its landmarks (the next frame's ROI comes from this frame's
landmarks, as in Face Mesh itself), so the per-frame cost is about one landmark
pass per face. Faces narrower than ``landmarks.min_face_px`` are counted from the
detector alone, with pose and expression unknown (None).

Landmarks never leave this module: ``analyze`` returns FaceObservation scalars only.
"""

from __future__ import annotations

import logging
import math

import cv2
import numpy as np

from signage.config import SensingConfig
from signage.sensing import expressions, features
from signage.sensing.pose import head_and_eyes, is_looking
from signage.sensing.inference import Detection as _Detection
from signage.sensing.inference import FaceDetector, MeshLandmarks
from signage.sensing.roi import Roi as _Roi
from signage.sensing.roi import box_iou, crop, overlap_of_smaller, project_landmarks, roi_from_landmarks
from signage.sensing.roi import roi_from_detection as _roi_from_box
from signage.sensing.types import FaceObservation, Frame

log = logging.getLogger(__name__)

# Two ROIs are the same face when their IoU is at least this (Face Mesh uses 0.5).
_SAME_FACE_IOU = 0.5
# A detection is a face already followed when its ROI overlaps a followed ROI this much:
# lower than _SAME_FACE_IOU because a detection-made ROI and a landmark-made ROI of one face
# differ in size and centre more than two landmark-made ROIs do.
_FOLLOWED_IOU = 0.3
# Detector boxes cover eyes-to-mouth; landmark boxes cover forehead-to-chin. Detector
# boxes of unmeasured faces are grown by this to match (measured on tests/data; see README).
_DET_TO_MESH_BOX = (1.0, 1.25)
# When the best detection of a face fails the landmark model's presence check, up to this
# many of its other detections (another tile, another scale) are tried before giving up.
_CANDIDATES_PER_FACE = 3
# A photo is scanned whole and in 2x2, 3x3 and 4x4 overlapping tiles: the group photo in
# tests/data (29 faces about 45 px wide in 1600 px) goes from 0 faces found whole to 28.
# Larger photos get finer grids too (8x8, ...) while a tile stays at least this wide, so
# that a face keeps the same share of the detector's input whatever the photo's size.
_STILL_TILE_GRIDS = (2, 3, 4)
_STILL_MIN_TILE_PX = 384
_STILL_MAX_FACES = 100


# Face-presence probability below which the landmark model says "no face here" (Face Mesh: 0.5).
_PRESENCE = 0.5
# A face's next detection, tried when its best one failed the presence check, must pass a
# stricter one: the detector's best guess was not a face, so the evidence is weaker. (Seen on
# the test media: the group photo's face recovered this way scores 1.00; a false face under
# a portrait's collar that would be recovered scores 0.84.)
_FALLBACK_PRESENCE = 0.95


def roi_from_detection(det: _Detection) -> _Roi:
    return _roi_from_box(det.box, det.right_eye, det.left_eye)


_overlap_of_smaller = overlap_of_smaller


def group_duplicates(dets: list[_Detection], iou: float = 0.3) -> list[list[_Detection]]:
    """Detections of one face (from the whole image and from tiles, or at two scales) in
    groups, each led by its best-scoring detection and sorted by score."""
    groups: list[list[_Detection]] = []
    for d in sorted(dets, key=lambda d: d.score, reverse=True):
        for g in groups:
            if box_iou(d.box, g[0].box) >= iou or _overlap_of_smaller(d.box, g[0].box) >= 0.6:
                g.append(d)
                break
        else:
            groups.append([d])
    return groups


def suppress_duplicates(dets: list[_Detection], iou: float = 0.3) -> list[_Detection]:
    """Non-maximum suppression: keep the best-scoring of overlapping detections."""
    return [g[0] for g in group_duplicates(dets, iou)]


def tile_windows(width: int, height: int, grid: int) -> list[tuple[int, int, int, int]]:
    """Overlapping square windows (x, y, w, h) covering the image, about 1/grid of its
    shorter side times 1.5, so that a face cut by one window is whole in a neighbour."""
    if grid <= 1:
        return []
    side = min(width, height, int(round(min(width, height) / grid * 1.5)))
    nx = max(1, math.ceil((width - side) / (side * 0.6)) + 1) if width > side else 1
    ny = max(1, math.ceil((height - side) / (side * 0.6)) + 1) if height > side else 1
    xs = np.linspace(0, width - side, nx).astype(int) if nx > 1 else [0]
    ys = np.linspace(0, height - side, ny).astype(int) if ny > 1 else [0]
    return [(int(x), int(y), side, side) for y in ys for x in xs]


class FaceAnalyzer:
    """Frames in, FaceObservation scalars out. Not thread-safe: one per sensing thread."""

    _load_expressions = staticmethod(expressions.load_model)

    def __init__(self, cfg: SensingConfig) -> None:
        self.cfg = cfg
        self._expressions = self._load_expressions()  # first: a damaged file fails before any model starts
        self._detector = FaceDetector(cfg.detector.min_confidence)
        try:
            self._landmarker = MeshLandmarks()
        except BaseException:
            self._detector.close()
            raise
        self._rois: list[_Roi] = []
        self._far: list[_Detection] = []
        self._last_detect_t: float | None = None
        self._tile_cursor = 0
        self.detector_runs = 0
        self.landmark_runs = 0

    # -- lifecycle -------------------------------------------------------------------
    def reset(self) -> None:
        """Forget every face followed so far (a new stream, or a source that jumped)."""
        self._rois = []
        self._far = []
        self._last_detect_t = None

    def close(self) -> None:
        self._detector.close()
        self._landmarker.close()

    def __enter__(self) -> FaceAnalyzer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- analysis --------------------------------------------------------------------
    def analyze(self, frame: Frame, *, still: bool = False) -> list[FaceObservation]:
        """Faces in one frame. ``still=True`` analyses a photo on its own: the detector
        runs over the whole image and overlapping tiles, and nothing is carried over."""
        rgb = cv2.cvtColor(frame.image, cv2.COLOR_BGR2RGB)
        height, width = rgb.shape[:2]
        if still:
            self.reset()
        elif self._last_detect_t is not None and frame.t < self._last_detect_t:
            self.reset()  # the source went back in time (a looped clip, a new stream)

        due = self._last_detect_t is None or frame.t - self._last_detect_t >= self.cfg.detector.interval_s
        if still or due:
            self._last_detect_t = frame.t
            dets = self._detect_all(rgb) if still else self._detect_stream(rgb)
            self._admit(rgb, dets, max_faces=_STILL_MAX_FACES if still else self.cfg.landmarks.max_faces)

        measured: list[FaceObservation] = []
        next_rois: list[_Roi] = []
        for roi in self._rois:
            out = self._landmark_pass(rgb, roi)
            if out is None:
                continue  # Face Mesh says there is no face here any more: drop it
            points, next_roi = out
            obs = self._observe(points, roi.score)
            if any(box_iou(obs.box, m.box) >= _SAME_FACE_IOU for m in measured):
                continue  # two ROIs converged on one face
            measured.append(obs)
            next_rois.append(next_roi)
        self._rois = next_rois

        far = [
            FaceObservation(box=self._far_box(d), score=round(d.score, 3))
            for d in self._far
            if not any(_overlap_of_smaller(self._far_box(d), m.box) >= 0.3 for m in measured)
        ]
        return measured + far

    # -- detector --------------------------------------------------------------------
    def _run_detector(self, rgb: np.ndarray, ox: int = 0, oy: int = 0) -> list[_Detection]:
        self.detector_runs += 1
        return self._detector.detect(rgb, ox, oy)

    def _detect_all(self, rgb: np.ndarray) -> list[_Detection]:
        """A photo: the whole image, then overlapping tiles for faces too small at full scale."""
        h, w = rgb.shape[:2]
        dets = self._run_detector(rgb)
        grids = list(_STILL_TILE_GRIDS)
        while min(w, h) * 1.5 / (grids[-1] * 2) >= _STILL_MIN_TILE_PX:
            grids.append(grids[-1] * 2)
        for grid in grids:
            for x, y, tw, th in tile_windows(w, h, grid):
                dets += self._run_detector(np.ascontiguousarray(rgb[y : y + th, x : x + tw]), x, y)
        return dets

    def _detect_stream(self, rgb: np.ndarray) -> list[_Detection]:
        """A stream: the whole frame, plus one tile per run in turn when tiling is on."""
        dets = self._run_detector(rgb)
        tiles = tile_windows(rgb.shape[1], rgb.shape[0], self.cfg.detector.stream_tiles)
        if tiles:
            x, y, tw, th = tiles[self._tile_cursor % len(tiles)]
            self._tile_cursor += 1
            dets += self._run_detector(np.ascontiguousarray(rgb[y : y + th, x : x + tw]), x, y)
        return dets

    def _admit(self, rgb: np.ndarray, dets: list[_Detection], max_faces: int) -> None:
        """New faces from a detector run. Each is first confirmed by the landmark model
        (its face-presence check rejects detector false positives; when a face's best
        detection fails it, its next ones are tried); large ones then get a landmark ROI,
        small ones are counted only. Faces already followed keep their ROI."""
        min_px = self.cfg.landmarks.min_face_px
        far: list[_Detection] = []
        for group in sorted(group_duplicates(dets), key=lambda g: g[0].box[2], reverse=True):
            confirmed = None
            for i, d in enumerate(group[:_CANDIDATES_PER_FACE]):
                roi = roi_from_detection(d)
                if any(box_iou(roi.box(), r.box()) >= _FOLLOWED_IOU for r in self._rois):
                    break  # a face already followed
                confirmed = self._landmark_pass(rgb, roi, _FALLBACK_PRESENCE if i else _PRESENCE)
                if confirmed is not None:
                    break
            if confirmed is None:
                continue
            if d.box[2] >= min_px and len(self._rois) < max_faces:
                refined = confirmed[1]
                refined.score = d.score
                self._rois.append(refined)
            else:
                far.append(d)
        self._far = far

    @staticmethod
    def _far_box(d: _Detection) -> tuple[float, float, float, float]:
        x, y, w, h = d.box
        sw, sh = _DET_TO_MESH_BOX
        return (x + w / 2 - w * sw / 2, y + h / 2 - h * sh / 2, w * sw, h * sh)

    # -- landmarks -------------------------------------------------------------------
    def _landmark_pass(self, rgb: np.ndarray, roi: _Roi, min_presence: float = _PRESENCE) -> tuple[np.ndarray, _Roi] | None:
        self.landmark_runs += 1
        raw, presence = self._landmarker.run(crop(rgb, roi))
        if presence <= min_presence:
            return None
        points = project_landmarks(raw, roi)
        nxt = roi_from_landmarks(points)
        nxt.score = roi.score
        return points, nxt

    def _observe(self, points: np.ndarray, score: float) -> FaceObservation:
        cfg = self.cfg.expression
        head = head_and_eyes(points)
        pose = head.pose
        geo = features.mouth_and_brows(points)
        smile, surprise = self._expressions.scores(points)
        mouth_open = features.mouth_open_score(geo, cfg)
        brow = features.brow_raise_score(geo, cfg)
        return FaceObservation(
            box=features.bounding_box(points),
            score=round(score, 3),
            yaw=round(pose.yaw, 1),
            pitch=round(pose.pitch, 1),
            roll=round(pose.roll, 1),
            looking=is_looking(head, cfg),
            smile=round(smile, 3),
            surprise=round(surprise, 3),
            mouth_open=round(mouth_open, 3),
            brow_raise=round(brow, 3),
            expression=features.classify_expression(smile, surprise, cfg),
        )
