"""Smile and surprise from face landmarks: a small trained classifier, pure functions.

The features are the face's own shape, not its appearance: selected Face Mesh points
(lips, eyes, brows, nose, cheeks, jaw) rotated into the face's own frame (so head turn,
tilt and roll drop out), centred on the nose tip and divided by the outer-eye-corner
distance (so distance to the camera drops out), plus a few ratios (mouth width, lip gap,
corner height against each lip, brow height, eye opening).

The model (``signage/models/expressions.json``, trained by ``tools/train-expressions`` on the
development set, see docs/expressions.md) is a standardisation and one small network per
score: a hidden layer of rectified units and a sigmoid. It gives two probabilities:

- smile: a readily apparent smile (lips drawn wide with the corners up), against a neutral
  face and against other mouth shapes (open, pulled down, a wink);
- surprise: a readily apparent surprised look (brows up and the mouth dropped open).

Nothing here keeps state or does I/O once the model is loaded; only the analyzer calls it,
and only its scalars leave the analyzer. These are expressions, not emotions: the model says
what a face shows, not what anyone feels.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from signage.sensing import features as F
from signage.sensing.canonical_face import CANONICAL_FACE
from signage.sensing import model_files
from signage.sensing.model_files import ModelError

MODEL_FILE = "expressions.json"

# Face Mesh indices (canonical 468-point topology).
LIPS_OUTER = (61, 146, 91, 181, 84, 17, 314, 405, 321, 375, 291, 409, 270, 269, 267, 0, 37, 39, 40, 185)
LIPS_INNER = (78, 95, 88, 178, 87, 14, 317, 402, 318, 324, 308, 415, 310, 311, 312, 13, 82, 81, 80, 191)
R_EYE = (33, 7, 163, 144, 145, 153, 154, 155, 133, 173, 157, 158, 159, 160, 161, 246)
L_EYE = (263, 249, 390, 373, 374, 380, 381, 382, 362, 398, 384, 385, 386, 387, 388, 466)
R_BROW = (46, 53, 52, 65, 55, 70, 63, 105, 66, 107)
L_BROW = (276, 283, 282, 295, 285, 300, 293, 334, 296, 336)
NOSE = (1, 4, 5, 6, 168, 98, 327, 2)
CHEEKS = (205, 425, 50, 280, 36, 266, 216, 436, 92, 322, 186, 410, 207, 427, 212, 432, 57, 287)
JAW = (152, 148, 176, 149, 150, 136, 172, 377, 400, 378, 379, 365, 397, 234, 454)
POINTS = LIPS_OUTER + LIPS_INNER + R_EYE + L_EYE + R_BROW + L_BROW + NOSE + CHEEKS + JAW
N_FEATURES = 2 * len(POINTS) + 8

def _mirror_map() -> np.ndarray:
    """For each Face Mesh point, its mirror image's index (the canonical face is exactly
    left-right symmetric: 33 <-> 263, 61 <-> 291, the midline points onto themselves)."""
    c = np.asarray(CANONICAL_FACE, np.float64)
    flipped = c * np.array([-1.0, 1.0, 1.0])
    return ((c[None, :, :] - flipped[:, None, :]) ** 2).sum(-1).argmin(1)


MIRROR = _mirror_map()


def mirrored(points: np.ndarray) -> np.ndarray:
    """The same face seen in a mirror: the points swapped left for right, x negated."""
    out = points[MIRROR].copy()
    out[:, 0] = -out[:, 0]
    return out


# The feature the smile guard reads: the mouth corners' height against the upper lip's middle.
SMILE_GUARD_FEATURE = 2 * len(POINTS) + 2


def local_shape(points: np.ndarray) -> np.ndarray:
    """(N, 3) landmarks in pixels to the face's own frame: nose tip at 0, x across the face
    (person's right to left), y down it, in units of the outer-eye-corner distance."""
    local = (points - points[F.NOSE_TIP]) @ F.face_axes(points).T
    iod = float(np.linalg.norm(local[F.L_EYE_OUTER] - local[F.R_EYE_OUTER])) + 1e-9
    return local / iod


def feature_vector(points: np.ndarray) -> np.ndarray:
    """The classifier's input for one face (float64, N_FEATURES long)."""
    s = local_shape(points)
    xy = s[list(POINTS), :2].reshape(-1)
    u, v = s[:, 0], s[:, 1]
    corners_v = (v[F.MOUTH_R] + v[F.MOUTH_L]) / 2.0
    ratios = np.array([
        math.hypot(u[F.MOUTH_L] - u[F.MOUTH_R], v[F.MOUTH_L] - v[F.MOUTH_R]),  # mouth width
        max(0.0, v[F.LIP_LOWER_IN] - v[F.LIP_UPPER_IN]),  # lip gap
        v[F.LIP_UPPER_OUT] - corners_v,  # corners above (>0) the upper lip's middle
        v[F.LIP_LOWER_OUT] - corners_v,  # corners above the lower lip's middle
        (v[F.LIP_UPPER_IN] + v[F.LIP_LOWER_IN]) / 2.0 - corners_v,  # the old "corner lift"
        ((v[F.R_EYE_UPPER] - np.mean(v[list(F.R_BROW)])) + (v[F.L_EYE_UPPER] - np.mean(v[list(F.L_BROW)]))) / 2.0,
        ((v[F.R_EYE_LOWER] - v[F.R_EYE_UPPER]) + (v[F.L_EYE_LOWER] - v[F.L_EYE_UPPER])) / 2.0,  # eye opening
        v[F.CHIN] - v[F.NOSE_TIP],  # jaw drop
    ])
    return np.concatenate([xy, ratios])


@dataclass(frozen=True)
class _Net:
    w1: np.ndarray  # (features, hidden)
    b1: np.ndarray
    w2: np.ndarray  # (hidden,)
    b2: float

    def batch(self, z: np.ndarray) -> np.ndarray:
        h = np.maximum(z @ self.w1 + self.b1, 0.0)
        return 1.0 / (1.0 + np.exp(-np.clip(h @ self.w2 + self.b2, -60, 60)))


@dataclass(frozen=True)
class ExpressionModel:
    mean: np.ndarray
    scale: np.ndarray
    smile_net: _Net
    surprise_net: _Net
    version: str
    # (lo, hi) of SMILE_GUARD_FEATURE: below lo no face is a smile, above hi the guard is off.
    smile_guard: tuple[float, float]

    def batch(self, x: np.ndarray, x_mirrored: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(smile, surprise) probabilities for feature vectors (rows) of faces and of their
        mirror images: the mean of both, so a face and its mirror image score the same."""
        z, zm = (x - self.mean) / self.scale, (x_mirrored - self.mean) / self.scale
        lo, hi = self.smile_guard
        guard = np.clip((x[:, SMILE_GUARD_FEATURE] - lo) / (hi - lo), 0.0, 1.0)
        smile = (self.smile_net.batch(z) + self.smile_net.batch(zm)) / 2
        return smile * guard, (self.surprise_net.batch(z) + self.surprise_net.batch(zm)) / 2

    def scores(self, points: np.ndarray) -> tuple[float, float]:
        """(smile, surprise) probabilities for one face's landmarks."""
        smile, surprise = self.batch(feature_vector(points)[None, :], feature_vector(mirrored(points))[None, :])
        return float(smile[0]), float(surprise[0])

    def to_json(self) -> dict:
        def net(n: _Net) -> dict:
            return {"w1": n.w1.round(6).tolist(), "b1": n.b1.round(6).tolist(), "w2": n.w2.round(6).tolist(),
                    "b2": round(float(n.b2), 6)}

        return {"features": N_FEATURES, "points": list(POINTS), "mean": self.mean.round(6).tolist(),
                "scale": self.scale.round(6).tolist(), "smile": net(self.smile_net),
                "surprise": net(self.surprise_net), "smile_guard": [round(v, 6) for v in self.smile_guard]}


def _net_from(d: dict, n_in: int) -> _Net:
    w1 = np.asarray(d["w1"], np.float64)
    b1 = np.asarray(d["b1"], np.float64)
    w2 = np.asarray(d["w2"], np.float64)
    if w1.ndim != 2 or w1.shape[0] != n_in or b1.shape != (w1.shape[1],) or w2.shape != (w1.shape[1],):
        raise ValueError(f"layer shapes {w1.shape}, {b1.shape}, {w2.shape} do not fit {n_in} features")
    if not (np.isfinite(w1).all() and np.isfinite(b1).all() and np.isfinite(w2).all()):
        raise ValueError("weights are not all finite")
    return _Net(w1, b1, w2, float(d["b2"]))


def model_from_json(d: dict, version: str = "") -> ExpressionModel:
    if d.get("features") != N_FEATURES or d.get("points") != list(POINTS):
        raise ValueError("made for other features than this version's (retrain with tools/train-expressions)")
    mean = np.asarray(d["mean"], np.float64)
    scale = np.asarray(d["scale"], np.float64)
    if mean.shape != (N_FEATURES,) or scale.shape != (N_FEATURES,) or not (scale > 0).all():
        raise ValueError("standardisation of the wrong shape or with a zero scale")
    lo, hi = (float(v) for v in d["smile_guard"])
    if not (math.isfinite(lo) and math.isfinite(hi) and lo < hi):
        raise ValueError(f"smile_guard {d['smile_guard']} is not a range")
    return ExpressionModel(mean, scale, _net_from(d["smile"], N_FEATURES), _net_from(d["surprise"], N_FEATURES),
                           version, (lo, hi))


def load_model(folder: Path | None = None) -> ExpressionModel:
    """The shipped model, checked against its SHA-256 in signage/models/SHA256SUMS."""
    raw = model_files.load_model(MODEL_FILE, folder)
    try:
        doc = json.loads(raw)
        return model_from_json(doc["model"], str(doc.get("version", "")))
    except (ValueError, KeyError, TypeError) as e:
        raise ModelError(f"{(folder or model_files.MODELS) / MODEL_FILE}: not an expression model of this version: {e}") from None
