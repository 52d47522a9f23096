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
landmarks, as in Face Mesh itself, moved on by the face's velocity: signage.sensing.motion),
so the per-frame cost is about one landmark pass per face (two on the frames where a face
speeds up). Faces narrower than ``landmarks.min_face_px``, and faces past the
``landmarks.max_faces`` budget, are counted from the detector alone, with pose and
expression unknown (None); each is checked again (one landmark pass, where its velocity
takes it) on the frame after it was found and then at each detector run, so that it stays
one track between the runs that find it and leaves the count as soon as the person goes.

Where the detector looks (``signage.sensing.detection``): the whole image, the image
padded onto a larger canvas (a face that fills the frame or is cut by its edge), and
overlapping tiles (small faces). A photo gets all of them; on a stream each detector run
reads the whole frame, and every other run one more of them in turn (more than one when the
grid is large: a 1080p frame's 3x3 grid is 15 tiles); a small face found by a tile is checked
again (landmark presence, where its velocity takes it) on each run, found again or not.

Exclusion zones (``sensing.zones``, signage.sensing.zones): a face whose box centre is in a
zone is dropped before any measurement, at the two doors through which a face comes in:
every detection of every place the detector reads (the whole image, the padded image, each
tile) passes ``_read``, and every landmark pass (a new face's confirmation, a followed face,
a small face's check) ``_landmark_pass``, which does not run on a crop centred in a zone and
discards the points of a face found in one. A face counted from the detector alone is also
dropped when its velocity carries it into a zone between checks.

With ``sensing.expressions = "off"`` the smile and surprise classifier is never loaded nor
run, and the face geometry it reads (mouth open, brows raised) is not computed: a face's
expression fields are None; its pose and looking are measured as usual.

Landmarks never leave this module: ``analyze`` returns FaceObservation scalars only.
"""

from __future__ import annotations

import dataclasses
import logging

import cv2
import numpy as np

from signage.config import SensingConfig
from signage.sensing import detection, expressions, features, gaze, motion
from signage.sensing.detection import group_duplicates, same_face, suppress_duplicates, tile_windows
from signage.sensing.pose import head_and_eyes, iris_wanted, is_looking
from signage.sensing.inference import IRIS_CROP_PX, FaceDetector, IrisLandmarks, MeshLandmarks
from signage.sensing.inference import Detection as _Detection
from signage.sensing.roi import Roi as _Roi
from signage.sensing.roi import box_iou, crop, overlap_of_smaller, project_landmarks, roi_from_landmarks
from signage.sensing.roi import roi_from_detection as _roi_from_box
from signage.sensing.types import FaceObservation, Frame
from signage.sensing.zones import ZoneFilter

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
# No tile narrower than the detector's input (192 px): it would only enlarge faces the
# whole image shows well already (a close-up portrait's tiles gave second boxes on parts
# of its face).
_MIN_TILE_PX = 192
_STILL_MAX_FACES = 100
# A stream's tiles overlap less than a photo's (fewer tiles, each read sooner): a face
# found only in a tile is a small one, well inside the shared fifth of a tile.
_STREAM_TILE_OVERLAP = 0.2
# On a stream, the padded frame or a tile is read on one detector run in this many (the
# whole frame on every run): a detector pass costs about two landmark passes (5.7 ms against
# 2.5-3 ms here), and with a pass more on every run one followed face cost 1.5x the same
# models run raw, 1.3x raw Face Mesh (bench/sensing.py --only cost).
_STREAM_EXTRA_EVERY = 2
# The padded canvases (canvas side / image side): a photo is read on both, a stream on the
# first. Of GENKI-4K's faces missed whole, 2x finds the most; 1.5x finds a few of the rest.
_PAD_FACTORS = {"pad": 2.0, "pad1.5": 1.5}


# Face-presence probability below which the landmark model says "no face here" (Face Mesh: 0.5).
_PRESENCE = 0.5
# A face's next detection, tried when its best one failed the presence check, must pass a
# stricter one: the detector's best guess was not a face, so the evidence is weaker. (Seen on
# the test media: the group photo's face recovered this way scores 1.00; a false face under
# a portrait's collar that would be recovered scores 0.84.)
_FALLBACK_PRESENCE = 0.95
# A followed face's iris gaze is measured again at most this often (stream seconds): the two
# eyes' passes cost about 1.6 landmark passes, and eyes lowered to a phone stay lowered for
# seconds. Only faces whose lids already say "eyes down" are measured (pose.iris_wanted).
_IRIS_HOLD_S = 0.2


def roi_from_detection(det: _Detection) -> _Roi:
    return _roi_from_box(det.box, det.right_eye, det.left_eye)


@dataclasses.dataclass(slots=True)
class _Far:
    """A face counted from the detector alone (small, or past the landmark budget): its
    detection (moved with the face), and the ROI its landmarks made at the last check (with
    its time and velocity: signage.sensing.motion)."""

    det: _Detection
    roi: _Roi
    checks: int = 1  # landmark checks so far: a velocity needs two

    def at(self, t: float) -> _Detection:
        """The detection moved to where the face's velocity takes it at stream time ``t``."""
        now = motion.predicted(self.roi, t)
        return _shifted(self.det, now.cx - self.roi.cx, now.cy - self.roi.cy)


def _shifted(d: _Detection, dx: float, dy: float) -> _Detection:
    x, y, w, h = d.box
    return dataclasses.replace(d, box=(x + dx, y + dy, w, h), right_eye=(d.right_eye[0] + dx, d.right_eye[1] + dy),
                               left_eye=(d.left_eye[0] + dx, d.left_eye[1] + dy))


_overlap_of_smaller = overlap_of_smaller
__all__ = ["FaceAnalyzer", "group_duplicates", "roi_from_detection", "suppress_duplicates", "tile_windows"]


class FaceAnalyzer:
    """Frames in, FaceObservation scalars out. Not thread-safe: one per sensing thread."""

    _load_expressions = staticmethod(expressions.load_model)

    def __init__(self, cfg: SensingConfig) -> None:
        self.cfg = cfg
        self.zones = ZoneFilter.from_config(cfg.zones)
        # first: a damaged file fails before any model starts; never loaded with expressions off
        self._expressions = self._load_expressions() if cfg.expressions == "on" else None
        self._detector = FaceDetector(cfg.detector.min_confidence)
        try:
            self._landmarker = MeshLandmarks()
            try:
                self._iris = IrisLandmarks()
            except BaseException:
                self._landmarker.close()
                raise
        except BaseException:
            self._detector.close()
            raise
        self._rois: list[_Roi] = []
        self._far: list[_Far] = []  # faces counted from the detector alone
        self._last_detect_t: float | None = None
        self.detected = False  # the detector ran on the last frame analysed
        self._far_checked_t = 0.0  # when the faces counted from the detector alone were last checked
        self._tile_cursor = 0
        self._stream_runs = 0
        self.detector_runs = 0
        self.landmark_runs = 0
        self.iris_runs = 0

    # -- lifecycle -------------------------------------------------------------------
    def reset(self) -> None:
        """Forget every face followed so far (a new stream, or a source that jumped)."""
        self._rois = []
        self._far = []
        self._last_detect_t = None

    def close(self) -> None:
        self._detector.close()
        self._landmarker.close()
        self._iris.close()

    def __enter__(self) -> FaceAnalyzer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- analysis --------------------------------------------------------------------
    def analyze(self, frame: Frame, *, still: bool = False, quiet: bool = False) -> list[FaceObservation]:
        """Faces in one frame. ``still=True`` analyses a photo on its own: the detector
        runs over the whole image, the padded image and overlapping tiles, and nothing is
        carried over. On a stream, ``quiet``: nothing moved outside the faces followed
        since the detector's last run (signage.sensing.activity), so while faces are
        followed the detector runs every ``detector.busy_interval_s`` instead of
        ``interval_s``. ``detected`` says afterwards whether the detector ran on this frame."""
        bgr = frame.image  # the landmark crops are cut from it and turned to RGB (cheaper)
        if still:
            self.reset()
        elif self._last_detect_t is not None and frame.t < self._last_detect_t:
            self.reset()  # the source went back in time (a looped clip, a new stream)

        # Faces followed from the last frame are looked for where they will be now (their
        # velocity; signage.sensing.motion), by the detector's admission and by their pass.
        followed = self._rois
        self._rois = [motion.predicted(r, frame.t) for r in followed]
        fresh: list[tuple[np.ndarray, _Roi]] = []
        det = self.cfg.detector
        interval = max(det.interval_s, det.busy_interval_s) if quiet and (self._rois or self._far) else det.interval_s
        due = self._last_detect_t is None or frame.t - self._last_detect_t >= interval
        self.detected = still or due
        if still or due:
            self._last_detect_t = self._far_checked_t = frame.t
            rgb = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
            dets = self._detect_all(rgb) if still else self._detect_stream(rgb)
            fresh = self._admit(bgr, frame.t, dets, _STILL_MAX_FACES if still else self.cfg.landmarks.max_faces)
        elif self._far:
            # A face just counted from the detector is checked again on the next frame (its
            # velocity, which carries it between the detector's runs), and every face counted
            # from the detector alone every interval_s, even while the detector itself waits
            # (busy_interval_s): it leaves the count as soon as the person goes.
            every = frame.t - self._far_checked_t >= det.interval_s
            if every:
                self._far_checked_t = frame.t
            checked = [self._recheck(bgr, f, frame.t) if every or f.checks < 2 else f for f in self._far]
            self._far = [f for f in checked if f is not None]

        # Faces followed from the last frame get a landmark pass. On a stream, a new face is
        # measured by the pass that confirmed it (as Face Mesh does: no second pass on the
        # same frame); a photo's new faces are measured again from their landmark-made ROI.
        for _, roi in fresh:
            roi.t = frame.t
        if still:
            followed = self._rois = self._rois + [roi for _, roi in fresh]
            fresh = []
        passes = []
        for before, roi in zip(followed, self._rois):
            out = self._landmark_pass(bgr, roi) if still else self._follow(bgr, roi)
            if out is not None:
                passes.append((out[0], motion.moved(before, out[1], frame.t)))
        measured: list[FaceObservation] = []
        next_rois: list[_Roi] = []
        for points, next_roi in passes + fresh:
            obs = self._observe(points, next_roi.score, bgr, next_roi, frame.t)
            if any(same_face(obs.box, m.box, _SAME_FACE_IOU) for m in measured):
                continue  # two ROIs on one face (converged, or one nested in the other)
            measured.append(obs)
            next_rois.append(next_roi)
        self._rois = next_rois

        # Small faces are where their velocity takes them between checks.
        h, w = bgr.shape[:2]
        self._far = [f for f in self._far if not self.zones.excludes(self._far_box(f.at(frame.t)), w, h)]
        far_boxes = [(self._far_box(f.at(frame.t)), f.det.score) for f in self._far]
        far = [
            FaceObservation(box=box, score=round(score, 3))
            for box, score in far_boxes
            if not any(_overlap_of_smaller(box, m.box) >= 0.3 for m in measured)
        ]
        return measured + far

    # -- detector --------------------------------------------------------------------
    def _run_detector(self, rgb: np.ndarray, ox: int = 0, oy: int = 0) -> list[_Detection]:
        self.detector_runs += 1
        return self._detector.detect(rgb, ox, oy)

    def _run_window(self, rgb: np.ndarray, slot: str, window: tuple[int, int, int, int] | None) -> list[_Detection]:
        """The detector on one of the places it looks: "whole", "pad" or a tile's window."""
        if slot == "whole":
            return self._run_detector(rgb)
        if slot.startswith("pad"):
            canvas, where = detection.padded(rgb, _PAD_FACTORS[slot])
            return where.large_in_image(self._run_detector(canvas), rgb.shape[1], rgb.shape[0])
        x, y, tw, th = window
        return self._run_detector(np.ascontiguousarray(rgb[y : y + th, x : x + tw]), x, y)

    def _windows(self, w: int, h: int, grids: list[int], overlap: float, pads: tuple[str, ...]) -> dict[str, tuple | None]:
        slots: dict[str, tuple | None] = dict.fromkeys(pads if self.cfg.detector.pad else ())
        for grid in grids:
            for k, win in enumerate(tile_windows(w, h, grid, overlap)):
                if win[2] >= _MIN_TILE_PX:
                    slots[f"tile{grid}.{k}"] = win
        return slots

    def _detect_all(self, rgb: np.ndarray) -> list[_Detection]:
        """A photo: the whole image, the padded image, then overlapping tiles for faces too
        small at full scale."""
        h, w = rgb.shape[:2]
        grids = list(_STILL_TILE_GRIDS)
        while min(w, h) * 1.5 / (grids[-1] * 2) >= _STILL_MIN_TILE_PX:
            grids.append(grids[-1] * 2)
        slots = {"whole": None, **self._windows(w, h, grids, 0.4, ("pad", "pad1.5"))}
        return self._read(rgb, list(slots.items()))

    def _detect_stream(self, rgb: np.ndarray) -> list[_Detection]:
        """A stream: the whole frame every run, and every other run more places in turn: the
        padded frame, then each tile (``detector.stream_tiles``; "auto": by resolution), as
        many a run as keeps a whole turn within STREAM_TURN_RUNS such runs."""
        h, w = rgb.shape[:2]
        grid = detection.stream_grid(w, h, self.cfg.detector.stream_tiles)
        slots = list(self._windows(w, h, [grid] if grid > 1 else [], _STREAM_TILE_OVERLAP, ("pad",)).items())
        runs = [("whole", None)]
        if slots and self._stream_runs % _STREAM_EXTRA_EVERY == 0:
            for _ in range(detection.places_per_run(len(slots), detection.STREAM_TURN_RUNS)):
                runs.append(slots[self._tile_cursor % len(slots)])
                self._tile_cursor += 1
        self._stream_runs += 1
        return self._read(rgb, runs)

    def _read(self, rgb: np.ndarray, runs: list[tuple[str, tuple | None]]) -> list[_Detection]:
        """The detector on each of ``runs`` (slot, window): the one door through which detected
        boxes come in, where the faces in an exclusion zone are dropped."""
        h, w = rgb.shape[:2]
        return [d for slot, win in runs for d in self._run_window(rgb, slot, win)
                if not self.zones.excludes(d.box, w, h)]

    def _admit(self, bgr: np.ndarray, t: float, dets: list[_Detection], max_faces: int) -> list[tuple[np.ndarray, _Roi]]:
        """New faces from a detector run. Each is first confirmed by the landmark model
        (its face-presence check rejects detector false positives; when a face's best
        detection fails it, its next ones are tried); large ones are then followed by their
        landmarks (returned: their points and next ROI), small ones (and those past the
        budget) are counted only. Faces already followed keep their ROI. Faces counted only
        before and not found by this run are checked again where their velocity takes them."""
        min_px = self.cfg.landmarks.min_face_px
        far: list[_Far] = []
        found: list[_Detection] = []  # the detections confirmed in this run
        fresh: list[tuple[np.ndarray, _Roi]] = []
        for group in sorted(group_duplicates(dets), key=lambda g: g[0].box[2], reverse=True):
            confirmed = None
            for i, d in enumerate(group[:_CANDIDATES_PER_FACE]):
                roi = roi_from_detection(d)
                if any(box_iou(roi.box(), r.box()) >= _FOLLOWED_IOU for r in self._rois + [r for _, r in fresh]):
                    break  # a face already followed, or admitted in this run
                confirmed = self._landmark_pass(bgr, roi, _FALLBACK_PRESENCE if i else _PRESENCE)
                if confirmed is not None:
                    break
            if confirmed is None:
                continue
            found.append(d)
            if d.box[2] >= min_px and len(self._rois) + len(fresh) < max_faces:
                confirmed[1].score = d.score
                fresh.append(confirmed)
            else:
                before = next((f for f in self._far if same_face(d.box, f.at(t).box)), None)
                roi = confirmed[1] if before is None else motion.moved(before.roi, confirmed[1], t)
                roi.t = t
                far.append(_Far(d, roi, before.checks + 1 if before else 1))
        for f in self._far:
            if any(same_face(f.at(t).box, x.box) for x in found):
                continue  # found again by this run (above)
            held = self._recheck(bgr, f, t)
            if held is not None:
                far.append(held)
        self._far = far
        return fresh

    def _recheck(self, bgr: np.ndarray, far: _Far, t: float) -> _Far | None:
        """A face counted from the detector alone, not found by this run, checked again by
        the landmark model's presence test (one pass) where its velocity takes it, so that
        it leaves the count as soon as the person has gone. Its box moves with its landmarks."""
        out = self._follow(bgr, motion.predicted(far.roi, t))
        if out is None:
            return None
        roi = motion.moved(far.roi, out[1], t)
        return _Far(_shifted(far.det, roi.cx - far.roi.cx, roi.cy - far.roi.cy), roi, far.checks + 1)

    @staticmethod
    def _far_box(d: _Detection) -> tuple[float, float, float, float]:
        x, y, w, h = d.box
        sw, sh = _DET_TO_MESH_BOX
        return (x + w / 2 - w * sw / 2, y + h / 2 - h * sh / 2, w * sw, h * sh)

    # -- landmarks -------------------------------------------------------------------
    def _follow(self, bgr: np.ndarray, roi: _Roi) -> tuple[np.ndarray, _Roi] | None:
        """A followed face's landmarks in the crop cut where it was expected; when they
        show it well off the crop's centre (it sped up, or its velocity is not known yet),
        once more in the crop they made, centred on it (motion.RECENTRE)."""
        out = self._landmark_pass(bgr, roi)
        if out is not None and motion.off_centre(roi, out[1]) > motion.RECENTRE:
            again = self._landmark_pass(bgr, out[1])
            if again is not None:
                return again
        return out

    def _landmark_pass(self, bgr: np.ndarray, roi: _Roi, min_presence: float = _PRESENCE) -> tuple[np.ndarray, _Roi] | None:
        """Face Mesh's landmarks in the ROI of a BGR image, or None when its face-presence
        check says there is no face there, or the face is in an exclusion zone: a crop centred
        in one is not read, and the points of a face found in one are dropped."""
        h, w = bgr.shape[:2]
        if self.zones.excludes(roi.box(), w, h):
            return None
        self.landmark_runs += 1
        raw, presence = self._landmarker.run(crop(bgr, roi, bgr=True))
        if presence <= min_presence:
            return None
        points = project_landmarks(raw, roi)
        if self.zones.excludes(features.bounding_box(points), w, h):
            return None
        nxt = roi_from_landmarks(points)
        nxt.score, nxt.iris_gaze, nxt.iris_t = roi.score, roi.iris_gaze, roi.iris_t
        return points, nxt

    def _iris_gaze(self, bgr: np.ndarray, points: np.ndarray, head, roi: _Roi, t: float) -> float | None:
        """The face's iris gaze (signage.sensing.gaze), measured on this frame or held from one
        at most _IRIS_HOLD_S before on the face's ROI; None when its eyes are too small."""
        if roi.iris_t is not None and 0.0 <= t - roi.iris_t < _IRIS_HOLD_S:
            return roi.iris_gaze
        centres = {}
        for k, eye_roi, mirrored in gaze.eye_rois(points):
            eye = crop(bgr, eye_roi, IRIS_CROP_PX, bgr=True)
            self.iris_runs += 1
            raw = self._iris.run(np.ascontiguousarray(eye[:, ::-1]) if mirrored else eye)
            centres[k] = gaze.iris_centre(raw, eye_roi, mirrored, IRIS_CROP_PX)
        value = None
        if centres:
            value = gaze.iris_gaze_deg(gaze.iris_height_cm(points, head.rotation, head.scale, centres), head.pose.pitch)
        roi.iris_gaze, roi.iris_t = value, t
        return value

    def _observe(self, points: np.ndarray, score: float, bgr: np.ndarray, roi: _Roi, t: float) -> FaceObservation:
        cfg = self.cfg.expression
        head = head_and_eyes(points)
        pose = head.pose
        iris = self._iris_gaze(bgr, points, head, roi, t) if iris_wanted(head, cfg) else None
        looking = is_looking(head, cfg, iris)
        if self._expressions is None:  # expressions off: pose and looking only
            return FaceObservation(box=features.bounding_box(points), score=round(score, 3), yaw=round(pose.yaw, 1),
                                   pitch=round(pose.pitch, 1), roll=round(pose.roll, 1), looking=looking)
        pair = expressions.feature_pair(points)
        geo = expressions.mouth_and_brows_of(pair)
        smile, surprise = self._expressions.scores_of(pair)
        mouth_open = features.mouth_open_score(geo, cfg)
        brow = features.brow_raise_score(geo, cfg)
        return FaceObservation(
            box=features.bounding_box(points),
            score=round(score, 3),
            yaw=round(pose.yaw, 1),
            pitch=round(pose.pitch, 1),
            roll=round(pose.roll, 1),
            looking=looking,
            smile=round(smile, 3),
            surprise=round(surprise, 3),
            mouth_open=round(mouth_open, 3),
            brow_raise=round(brow, 3),
            expression=features.classify_expression(smile, surprise, cfg),
        )
