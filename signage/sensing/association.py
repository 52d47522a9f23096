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
- the cost of a pair is its distance plus (1 - IoU). Greedy assignment, cheapest first, and
  tracks seen in the last ``hold_s`` before lost ones (a matching cascade): a face goes to
  the person just seen next to it rather than to someone lost a second ago.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

# A track's position is carried forward along its velocity for at most this long.
PREDICT_MAX_S = 1.0
# Cost added to every pair with a lost track, so that tracks just seen are matched first.
_LOST_STAGE = 1000.0


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


def greedy(cost: np.ndarray) -> list[tuple[int, int]]:
    """Greedy assignment: repeatedly take the cheapest remaining finite pair. Each row and
    column is used once; ties go to the lower row, then the lower column."""
    cost = np.asarray(cost, dtype=np.float64)
    if cost.size == 0:
        return []
    n, m = cost.shape
    flat = cost.ravel()
    order = np.argsort(flat, kind="stable")
    used_r = np.zeros(n, dtype=bool)
    used_c = np.zeros(m, dtype=bool)
    pairs: list[tuple[int, int]] = []
    for k in order:
        if not np.isfinite(flat[k]):
            break  # sorted: everything after is not allowed either
        r, c = divmod(int(k), m)
        if used_r[r] or used_c[c]:
            continue
        used_r[r] = used_c[c] = True
        pairs.append((r, c))
        if len(pairs) == min(n, m):
            break
    return pairs


def box_size(boxes: np.ndarray) -> np.ndarray:
    """The size of each (x, y, w, h) box: the square root of its area (at least 1 px)."""
    b = as_boxes(boxes)
    return np.sqrt(np.clip(b[:, 2], 1.0, None) * np.clip(b[:, 3], 1.0, None))


def centres(boxes: np.ndarray) -> np.ndarray:
    b = as_boxes(boxes)
    return b[:, :2] + b[:, 2:] / 2.0


def predict(boxes: np.ndarray, velocity: np.ndarray, unseen_s: np.ndarray) -> np.ndarray:
    """Each box moved along its velocity (px/s, (N, 2)) for its time unseen, at most
    ``PREDICT_MAX_S``."""
    b = as_boxes(boxes).copy()
    dt = np.minimum(np.asarray(unseen_s, dtype=np.float64), PREDICT_MAX_S)[:, None]
    b[:, :2] += np.asarray(velocity, dtype=np.float64).reshape(-1, 2) * dt
    return b


def gate(unseen_s: np.ndarray, speed: np.ndarray, base: float, growth_per_s: float, max_gate: float) -> np.ndarray:
    """The gate's radius, in box sizes, for tracks unseen ``unseen_s`` and moving at ``speed``
    (box sizes per second): wide enough for the person to have kept walking or stopped."""
    dt = np.asarray(unseen_s, dtype=np.float64)
    r = base + growth_per_s * dt + np.asarray(speed, dtype=np.float64) * np.minimum(dt, PREDICT_MAX_S)
    return np.minimum(r, max_gate)


def cost_matrix(track_boxes: np.ndarray, velocity: np.ndarray, unseen_s: np.ndarray, lost: np.ndarray,
                face_boxes: np.ndarray, *, min_iou: float, gate_base: float, gate_growth_per_s: float,
                gate_max: float, max_size_ratio: float) -> np.ndarray:
    """(N tracks, M faces) costs: distance from the prediction in box sizes plus (1 - IoU)
    with the predicted box, ``inf`` where a pair is not allowed; pairs with a ``lost`` track
    cost more than any pair with a track seen just now."""
    tb, fb = as_boxes(track_boxes), as_boxes(face_boxes)
    if tb.shape[0] == 0 or fb.shape[0] == 0:
        return np.zeros((tb.shape[0], fb.shape[0]))
    unseen_s = np.asarray(unseen_s, dtype=np.float64)
    pred = predict(tb, velocity, unseen_s)
    size = box_size(tb)
    dist = np.linalg.norm(centres(fb)[None, :, :] - centres(pred)[:, None, :], axis=2) / size[:, None]
    iou = iou_matrix(pred, fb)
    speed = np.linalg.norm(np.asarray(velocity, dtype=np.float64).reshape(-1, 2), axis=1) / size
    radius = gate(unseen_s, speed, gate_base, gate_growth_per_s, gate_max)
    ratio = box_size(fb)[None, :] / size[:, None]
    ok = ((dist <= radius[:, None]) | (iou >= min_iou)) & (ratio <= max_size_ratio) & (ratio >= 1.0 / max_size_ratio)
    cost = dist + (1.0 - iou) + np.where(np.asarray(lost, dtype=bool), _LOST_STAGE, 0.0)[:, None]
    return np.where(ok, cost, np.inf)


def at_edge(box: Sequence[float], frame_size: tuple[int, int] | None, margin: float = 0.1) -> bool:
    """The box touches the frame's border (within ``margin`` of its size): a person leaving
    the view, or cut by it."""
    if frame_size is None:
        return False
    x, y, w, h = box
    fw, fh = frame_size
    m = margin * float(np.sqrt(max(w, 1.0) * max(h, 1.0)))
    return x <= m or y <= m or x + w >= fw - m or y + h >= fh - m
