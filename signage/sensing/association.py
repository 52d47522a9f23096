"""Which face of this frame is which track: pure geometry on boxes, no pixels, no appearance.

A face is matched to a track by where the track is expected to be, never by what it looks
like. Distances are in units of the track's box size (the square root of its area), so the
same rules hold for a face 30 px wide and one 300 px wide:

- the track's centre is carried forward along its recent velocity (for at most
  ``PREDICT_MAX_S``: a person who was walking may have stopped);
- a face may be matched when its centre is within the *gate* of that prediction, a radius
  that widens with the time the track has been unseen (``gate_growth_per_s``) and with its
  speed (so that both "kept walking" and "stopped where last seen" are inside it), up to
  ``gate_max``; or when its box overlaps the predicted box by ``min_iou``;
- never when the two boxes' sizes differ by more than ``max_size_ratio`` (a face does not
  double in size between two sightings; a nearer person is someone else);
- a track too young to have a velocity of its own (seen for less than ``new_track_s``) is
  assumed to move at up to ``new_track_speed``: a fast walker's second sighting, a detector
  run later, is far from the first; a track that has been still (someone seated) keeps a
  narrow gate, so that it does not reach the person next to it;
- the cost of a pair is its distance plus (1 - IoU) plus a box size per second unseen: a face
  goes to the nearest track and, of two as near, the one seen last. Greedy assignment,
  cheapest first.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

# A track's position is carried forward along its velocity for at most this long.
PREDICT_MAX_S = 1.0


def as_boxes(a: np.ndarray | Sequence) -> np.ndarray:
    arr = np.asarray(a, dtype=np.float64)
    if arr.size == 0:
        return arr.reshape(0, 4)
    if arr.ndim != 2 or arr.shape[1] != 4:
        raise ValueError(f"boxes must be an (N, 4) array of (x, y, w, h), got shape {arr.shape}")
    return arr


def iou_matrix(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Intersection over union of every box of ``a`` (N, 4) with every box of ``b`` (M, 4).

    Boxes are (x, y, w, h). Returns an (N, M) float array in 0..1; a pair whose union
    is empty (degenerate boxes) has IoU 0.
    """
    a = as_boxes(a)
    b = as_boxes(b)
    ax0, ay0 = a[:, 0:1], a[:, 1:2]
    ax1, ay1 = ax0 + a[:, 2:3], ay0 + a[:, 3:4]
    bx0, by0 = b[:, 0], b[:, 1]
    bx1, by1 = bx0 + b[:, 2], by0 + b[:, 3]
    iw = np.clip(np.minimum(ax1, bx1) - np.maximum(ax0, bx0), 0.0, None)
    ih = np.clip(np.minimum(ay1, by1) - np.maximum(ay0, by0), 0.0, None)
    inter = iw * ih
    area_a = np.clip(a[:, 2], 0.0, None) * np.clip(a[:, 3], 0.0, None)
    area_b = np.clip(b[:, 2], 0.0, None) * np.clip(b[:, 3], 0.0, None)
    union = area_a[:, None] + area_b[None, :] - inter
    out = np.zeros((a.shape[0], b.shape[0]), dtype=np.float64)
    np.divide(inter, union, out=out, where=union > 0)
    return out


def match(iou: np.ndarray, min_iou: float) -> list[tuple[int, int]]:
    """Greedy assignment on IoU alone: repeatedly take the highest remaining IoU pair.

    Each row and each column is used at most once; pairs with IoU below ``min_iou``
    are never matched. Ties go to the lower row, then the lower column. Returns
    (row, col) pairs in the order they were chosen (highest IoU first).
    """
    iou = np.asarray(iou, dtype=np.float64)
    if iou.size == 0:
        return []
    cost = np.where(iou >= min_iou, -iou, np.inf)
    return greedy(cost)


def greedy(cost) -> list[tuple[int, int]]:
    """Greedy assignment: repeatedly take the cheapest remaining finite pair. Each row and
    column is used once; ties go to the lower row, then the lower column. ``cost`` is an
    (N, M) array or a list of N rows (plain Python: a frame has a handful of faces)."""
    rows = cost.tolist() if isinstance(cost, np.ndarray) else cost
    pairs_all = sorted((c, r, k) for r, row in enumerate(rows) for k, c in enumerate(row) if math.isfinite(c))
    used_r: set[int] = set()
    used_c: set[int] = set()
    pairs: list[tuple[int, int]] = []
    for _, r, k in pairs_all:
        if r in used_r or k in used_c:
            continue
        used_r.add(r)
        used_c.add(k)
        pairs.append((r, k))
    return pairs


def box_size(box: Sequence[float]) -> float:
    """The size of an (x, y, w, h) box: the square root of its area (sides of at least 1 px)."""
    return math.sqrt(max(float(box[2]), 1.0) * max(float(box[3]), 1.0))


def predict(box: Sequence[float], velocity: Sequence[float], unseen_s: float) -> tuple[float, float, float, float]:
    """The box moved along its velocity (px/s) for its time unseen, at most ``PREDICT_MAX_S``."""
    ahead = min(float(unseen_s), PREDICT_MAX_S)
    x, y, w, h = (float(v) for v in box)
    return x + float(velocity[0]) * ahead, y + float(velocity[1]) * ahead, w, h


def gate(unseen_s: float, speed: float, base: float, growth_per_s: float, max_gate: float) -> float:
    """The gate's radius, in box sizes, for a track unseen ``unseen_s`` and moving at ``speed``
    (box sizes per second): wide enough for the person to have kept walking or stopped."""
    return min(max_gate, base + growth_per_s * unseen_s + speed * min(unseen_s, PREDICT_MAX_S))


def _iou(a: Sequence[float], b: Sequence[float]) -> float:
    iw = min(a[0] + a[2], b[0] + b[2]) - max(a[0], b[0])
    ih = min(a[1] + a[3], b[1] + b[3]) - max(a[1], b[1])
    inter = iw * ih if iw > 0 and ih > 0 else 0.0
    union = max(a[2], 0.0) * max(a[3], 0.0) + max(b[2], 0.0) * max(b[3], 0.0) - inter
    return inter / union if union > 0 else 0.0


def cost_matrix(track_boxes, velocity, unseen_s, min_speed, face_boxes, *, min_iou: float, gate_base: float,
                gate_growth_per_s: float, gate_max: float, max_size_ratio: float) -> list[list[float]]:
    """(N tracks, M faces) costs, as N rows: distance from the prediction in box sizes, plus
    (1 - IoU) with the predicted box, plus a box size per second unseen (of two tracks as near,
    the one seen last); ``inf`` where a pair is not allowed. ``min_speed`` (box sizes per
    second, per track) is the speed the gate assumes at least: a walker's for a track too young
    to have a velocity of its own, 0 for the others. Plain Python on purpose: with a handful
    of faces a frame it is several times cheaper than array operations."""
    faces = [(float(x), float(y), float(w), float(h)) for x, y, w, h in face_boxes]
    centre = [(x + w / 2, y + h / 2, box_size(f)) for f, (x, y, w, h) in zip(faces, faces)]
    out: list[list[float]] = []
    for box, v, dt, floor in zip(track_boxes, velocity, unseen_s, min_speed):
        dt = float(dt)
        pred = predict(box, v, dt)
        size = box_size(pred)
        speed = max(math.hypot(float(v[0]), float(v[1])) / size, float(floor))
        radius = gate(dt, speed, gate_base, gate_growth_per_s, gate_max)
        cx, cy = pred[0] + pred[2] / 2, pred[1] + pred[3] / 2
        row = []
        for f, (fx, fy, fsize) in zip(faces, centre):
            ratio = fsize / size
            if ratio > max_size_ratio or ratio * max_size_ratio < 1.0:
                row.append(math.inf)
                continue
            dist = math.hypot(fx - cx, fy - cy) / size
            iou = _iou(pred, f)
            row.append(dist + (1.0 - iou) + dt if dist <= radius or iou >= min_iou else math.inf)
        out.append(row)
    return out


def at_edge(box: Sequence[float], frame_size: tuple[int, int] | None, margin: float = 0.1) -> bool:
    """The box touches the frame's border (within ``margin`` of its size): a person leaving
    the view, or cut by it."""
    if frame_size is None:
        return False
    x, y, w, h = box
    fw, fh = frame_size
    m = margin * box_size(box)
    return x <= m or y <= m or x + w >= fw - m or y + h >= fh - m
