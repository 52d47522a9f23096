"""The three MediaPipe models, run through MediaPipe Tasks (mediapipe 1.x).

- ``FaceDetector``: the full-range BlazeFace detector (``face_detection_full_range_sparse``)
  in Tasks' FaceDetector, which runs it exactly as the 0.10.18 face-detection solution did
  (same anchors, same boxes and scores).
- ``MeshLandmarks``: Face Mesh's landmark model (``face_landmark``: 192x192 RGB in, 468
  points and a face-presence logit out). Tasks has no Face Mesh graph any more, so the
  crop around the face is made here (``signage.sensing.roi``, as Face Mesh made it) and
  the model runs in Tasks' ImageEmbedder, whose outputs are the model's raw output
  tensors (no normalisation, no quantisation): the landmarks and the presence logit.
- ``IrisLandmarks``: MediaPipe's iris landmark model (``iris_landmark``: a 64x64 RGB crop
  of one eye in, 71 eye-contour points and 5 iris points out), run the same way on the eye
  crops ``signage.sensing.gaze`` makes, for the gaze (signage.sensing.pose's ``looking``).

The models ship with the project (``signage/models``, see its README.md) and are checked
against their SHA-256 before they are handed to MediaPipe: nothing is downloaded.
All three take RGB uint8 arrays; none keeps a frame.
"""

from __future__ import annotations

import atexit
import logging
import math
import sys
import types
import weakref
from dataclasses import dataclass

import numpy as np

from signage.sensing.model_files import MODELS, ModelError, expected_sha256, load_model  # noqa: F401 (re-exported)
from signage.sensing.native_log import native_stderr_filtered

log = logging.getLogger(__name__)

DETECTOR_MODEL = "face_detection_full_range_sparse.tflite"
LANDMARK_MODEL = "face_landmark.tflite"
N_LANDMARKS = 468
IRIS_MODEL = "iris_landmark.tflite"
IRIS_CROP_PX = 64
# Tasks' integer boxes are the float box's edges truncated: on average half a pixel
# up and left of where the model put them.
_TRUNCATION = 0.5


def _placeholder(name: str) -> types.ModuleType:
    mod = types.ModuleType(name, "stands in while mediapipe is imported: signage never draws with mediapipe")

    def __getattr__(attr: str):
        raise AttributeError(f"{name}.{attr}: not available to mediapipe inside signage")

    mod.__getattr__ = __getattr__  # type: ignore[method-assign]
    return mod


def import_mediapipe() -> types.ModuleType:
    """``mediapipe``, imported without the two heavy imports its package makes for helpers
    signage never uses: ``mediapipe.tasks.python.vision.drawing_utils`` imports
    matplotlib.pyplot (which reads and writes a font cache in the home folder) and the audio
    recorder imports sounddevice (PortAudio). Neither is a dependency of the player; while
    mediapipe is imported, they are stood in for by placeholders, then taken out of
    sys.modules again, so a real matplotlib elsewhere in the process is not affected."""
    if "mediapipe.tasks.python.vision" in sys.modules:
        import mediapipe

        return mediapipe
    stubs: dict[str, types.ModuleType | None] = {}
    if "matplotlib.pyplot" not in sys.modules:
        mpl, plt = _placeholder("matplotlib"), _placeholder("matplotlib.pyplot")
        mpl.pyplot = plt  # type: ignore[attr-defined]
        stubs.update({"matplotlib": mpl, "matplotlib.pyplot": plt})
    if "sounddevice" not in sys.modules:
        stubs["sounddevice"] = None  # its importer expects and handles an ImportError
    saved = {name: sys.modules.get(name) for name in stubs}
    sys.modules.update(stubs)
    try:
        import mediapipe
        import mediapipe.tasks.python.vision  # noqa: F401
    finally:
        for name, old in saved.items():
            if old is None:
                sys.modules.pop(name, None)
            else:
                sys.modules[name] = old
    return mediapipe


# Every open MediaPipe task, closed at exit: a task left to the garbage collector during
# interpreter shutdown makes mediapipe print a traceback from its __del__.
_open_tasks: weakref.WeakSet = weakref.WeakSet()


@atexit.register
def _close_open_tasks() -> None:
    for task in list(_open_tasks):
        task.close()


def _mp_image(rgb: np.ndarray):
    mp = import_mediapipe()
    return mp.Image(image_format=mp.ImageFormat.SRGB, data=np.ascontiguousarray(rgb))


@dataclass(slots=True)
class Detection:
    box: tuple[float, float, float, float]  # x, y, w, h in pixels
    score: float
    right_eye: tuple[float, float]  # pixels (the person's right eye: the image's left)
    left_eye: tuple[float, float]


class _Task:
    """One MediaPipe task: made, first run and closed with MediaPipe's native chatter
    filtered, and closed at exit if its owner did not."""

    def __init__(self, make) -> None:
        with native_stderr_filtered():
            self._task = make()
        _open_tasks.add(self)
        self._quiet_runs = 1  # the first run logs too

    def _run(self, method: str, image: np.ndarray):
        call = getattr(self._task, method)
        if not self._quiet_runs:
            return call(_mp_image(image))
        self._quiet_runs -= 1
        with native_stderr_filtered():
            return call(_mp_image(image))

    def close(self) -> None:
        _open_tasks.discard(self)
        with native_stderr_filtered():
            self._task.close()


class FaceDetector(_Task):
    """Full-range BlazeFace through Tasks' FaceDetector (image mode)."""

    def __init__(self, min_confidence: float) -> None:
        import_mediapipe()
        from mediapipe.tasks.python.core.base_options import BaseOptions
        from mediapipe.tasks.python.vision import face_detector

        options = face_detector.FaceDetectorOptions(
            base_options=BaseOptions(model_asset_buffer=load_model(DETECTOR_MODEL)),
            min_detection_confidence=min_confidence,
        )
        super().__init__(lambda: face_detector.FaceDetector.create_from_options(options))

    def detect(self, rgb: np.ndarray, ox: float = 0.0, oy: float = 0.0) -> list[Detection]:
        """Faces in an RGB image, in the coordinates of a larger image it was cut from at (ox, oy)."""
        h, w = rgb.shape[:2]
        out = []
        for d in self._run("detect", rgb).detections:
            bb, kp = d.bounding_box, d.keypoints or []
            if bb.width <= 1 or bb.height <= 1 or len(kp) < 2:
                continue
            out.append(
                Detection(
                    box=(ox + bb.origin_x + _TRUNCATION, oy + bb.origin_y + _TRUNCATION, float(bb.width), float(bb.height)),
                    score=float(d.categories[0].score) if d.categories else 0.0,
                    right_eye=(ox + kp[0].x * w, oy + kp[0].y * h),
                    left_eye=(ox + kp[1].x * w, oy + kp[1].y * h),
                )
            )
        return out


class _RawOutputs(_Task):
    """A model run in Tasks' ImageEmbedder, whose outputs are the model's raw output tensors."""

    name = ""

    def __init__(self) -> None:
        import_mediapipe()
        from mediapipe.tasks.python.core.base_options import BaseOptions
        from mediapipe.tasks.python.vision import image_embedder

        options = image_embedder.ImageEmbedderOptions(
            base_options=BaseOptions(model_asset_buffer=load_model(self.name)),
            l2_normalize=False,
            quantize=False,
        )
        super().__init__(lambda: image_embedder.ImageEmbedder.create_from_options(options))

    def _outputs(self, crop: np.ndarray, sizes: list[int]) -> list:
        """The output tensors, shortest first, checked against their expected lengths."""
        result = self._run("embed", crop)
        heads = sorted((h.embedding for h in result.embeddings if h.embedding is not None), key=len)
        if [len(h) for h in heads] != sizes:
            raise ModelError(f"{self.name}: unexpected outputs {[len(h) for h in heads]}")
        return heads


class MeshLandmarks(_RawOutputs):
    """Face Mesh's landmark model on one prepared crop."""

    name = LANDMARK_MODEL

    def run(self, crop: np.ndarray) -> tuple[np.ndarray, float]:
        """(468 x 3 points in crop pixels, face-presence probability) for a 192x192 RGB crop."""
        heads = self._outputs(crop, [1, N_LANDMARKS * 3])
        logit, points = float(heads[0][0]), np.asarray(heads[1], dtype=np.float64).reshape(N_LANDMARKS, 3)
        return points, 1.0 / (1.0 + math.exp(-max(-60.0, min(60.0, logit))))


class IrisLandmarks(_RawOutputs):
    """MediaPipe's iris landmark model on one eye's crop (signage.sensing.gaze.eye_rois)."""

    name = IRIS_MODEL

    def run(self, crop: np.ndarray) -> np.ndarray:
        """The 5 iris points (centre first, then four on its rim) in crop pixels (5 x 3), for a
        64x64 RGB crop of an eye seen as the person's right eye is (the image's left)."""
        return np.asarray(self._outputs(crop, [5 * 3, 71 * 3])[0], dtype=np.float64).reshape(5, 3)
