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
from functools import cached_property
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


# The points feature_pair reads: the classifier's points, the ratios' and the axes', each with its
# mirror image (rows of _SUB; _AT maps a Face Mesh index to its row, _MIRROR_SUB a row to its mirror's).
_NAMED = (F.NOSE_TIP, F.L_EYE_OUTER, F.R_EYE_OUTER, F.L_CHEEK, F.R_CHEEK, F.CHIN, F.FOREHEAD, F.MOUTH_L,
          F.MOUTH_R, F.LIP_LOWER_IN, F.LIP_UPPER_IN, F.LIP_UPPER_OUT, F.LIP_LOWER_OUT, F.R_EYE_UPPER,
          F.L_EYE_UPPER, F.R_EYE_LOWER, F.L_EYE_LOWER) + F.R_BROW + F.L_BROW
_SUB = np.array(sorted({int(i) for i in POINTS + _NAMED} | {int(MIRROR[i]) for i in POINTS + _NAMED}))
_AT = {int(i): r for r, i in enumerate(_SUB)}
_MIRROR_SUB = np.array([_AT[int(MIRROR[i])] for i in _SUB])
_POINT_ROWS = np.array([_AT[i] for i in POINTS])


def _ratios(u: list[float], v: list[float]) -> list[float]:
    """feature_vector's ratios, from a face's local x (u) and y (v) by Face Mesh index (through _AT)."""
    a = _AT
    corners_v = (v[a[F.MOUTH_R]] + v[a[F.MOUTH_L]]) / 2.0
    r_brow = sum(v[a[i]] for i in F.R_BROW) / len(F.R_BROW)
    l_brow = sum(v[a[i]] for i in F.L_BROW) / len(F.L_BROW)
    return [
        math.hypot(u[a[F.MOUTH_L]] - u[a[F.MOUTH_R]], v[a[F.MOUTH_L]] - v[a[F.MOUTH_R]]),
        max(0.0, v[a[F.LIP_LOWER_IN]] - v[a[F.LIP_UPPER_IN]]),
        v[a[F.LIP_UPPER_OUT]] - corners_v,
        v[a[F.LIP_LOWER_OUT]] - corners_v,
        (v[a[F.LIP_UPPER_IN]] + v[a[F.LIP_LOWER_IN]]) / 2.0 - corners_v,
        ((v[a[F.R_EYE_UPPER]] - r_brow) + (v[a[F.L_EYE_UPPER]] - l_brow)) / 2.0,
        ((v[a[F.R_EYE_LOWER]] - v[a[F.R_EYE_UPPER]]) + (v[a[F.L_EYE_LOWER]] - v[a[F.L_EYE_UPPER]])) / 2.0,
        v[a[F.CHIN]] - v[a[F.NOSE_TIP]],
    ]


def feature_pair(points: np.ndarray) -> np.ndarray:
    """(2, N_FEATURES): ``feature_vector(points)`` and ``feature_vector(mirrored(points))``, the
    face's own frame computed once, on the points the features read. (The mirror image's own
    frame is the face's with x negated: its local shape is the face's, rows swapped, x negated.)"""
    sub = points[_SUB]
    x_axis = sub[_AT[F.L_CHEEK]] - sub[_AT[F.R_CHEEK]]
    y_axis = sub[_AT[F.CHIN]] - sub[_AT[F.FOREHEAD]]
    x_axis = x_axis / (np.linalg.norm(x_axis) + 1e-9)
    y_axis = y_axis - np.dot(y_axis, x_axis) * x_axis
    y_axis = y_axis / (np.linalg.norm(y_axis) + 1e-9)
    local = (sub - sub[_AT[F.NOSE_TIP]]) @ np.stack([x_axis, y_axis]).T
    iod = float(np.linalg.norm(sub[_AT[F.L_EYE_OUTER]] - sub[_AT[F.R_EYE_OUTER]])) + 1e-9  # axes are orthonormal
    local /= iod
    mirror = local[_MIRROR_SUB] * np.array([-1.0, 1.0])
    out = np.empty((2, N_FEATURES))
    for row, s in enumerate((local, mirror)):
        out[row, :2 * len(POINTS)] = s[_POINT_ROWS].reshape(-1)
        out[row, 2 * len(POINTS):] = _ratios(s[:, 0].tolist(), s[:, 1].tolist())
    return out


def mouth_and_brows_of(x: np.ndarray) -> F.MouthAndBrows:
    """``features.mouth_and_brows`` read off ``feature_pair``'s first row (its ratios are the same
    measures, in the same face frame and units)."""
    r = x[0, 2 * len(POINTS):].tolist()
    return F.MouthAndBrows(mouth_width=r[0], corner_lift=r[4], lip_gap=r[1], brow_height=r[5], eye_open=r[6])


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
        return self.scores_of(feature_pair(points))

    def scores_of(self, x: np.ndarray) -> tuple[float, float]:
        """(smile, surprise) from ``feature_pair``'s rows: ``batch`` of the face and its mirror
        image, in one pass through both networks' first layers."""
        z = (x - self.mean) / self.scale
        h = np.maximum(z @ self._w1 + self._b1, 0.0)
        n = self.smile_net.b1.shape[0]
        logits = np.clip(np.stack([h[:, :n] @ self.smile_net.w2 + self.smile_net.b2,
                                   h[:, n:] @ self.surprise_net.w2 + self.surprise_net.b2]), -60, 60)
        p = (1.0 / (1.0 + np.exp(-logits))).mean(axis=1)
        lo, hi = self.smile_guard
        guard = min(max((float(x[0, SMILE_GUARD_FEATURE]) - lo) / (hi - lo), 0.0), 1.0)
        return float(p[0]) * guard, float(p[1])

    @property
    def _w1(self) -> np.ndarray:
        return self._joined[0]

    @property
    def _b1(self) -> np.ndarray:
        return self._joined[1]

    @cached_property
    def _joined(self) -> tuple[np.ndarray, np.ndarray]:
        """Both networks' first layers side by side, for one matrix product."""
        return (np.concatenate([self.smile_net.w1, self.surprise_net.w1], axis=1),
                np.concatenate([self.smile_net.b1, self.surprise_net.b1]))

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
