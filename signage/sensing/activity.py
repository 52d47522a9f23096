"""Whether anything moved in the view outside the faces already followed: pure functions on
the scene-cut detector's summaries (signage.sensing.cuts: a frame's mean colour in an 8x6
grid, in which no face can be seen).

The detector's job, once faces are followed by their landmarks, is finding the people who
come in. Someone coming in changes the summary's cells where they appear; a still view and
the followed faces themselves (their cells are left out) change nothing. So while faces are
followed and the view outside them has not changed since the detector's last run, the
detector can look less often (``detector.busy_interval_s``) at no loss of arrivals.
"""

from __future__ import annotations

import numpy as np

from signage.sensing.cuts import GRID

Box = tuple[float, float, float, float]

# A cell outside the faces whose mean colour moved by at least this many levels (of 255, on
# any channel) since the detector's last run is a change in the view. A camera's noise moves
# a cell's mean by about a level; a face of 40 px coming into a 1080p view's 240 x 180 cell,
# by about 4 and more.
MIN_CELL_CHANGE = 3.0
# Cells within this share of a face's size around it count as the face's (it moves, and its
# hair, shoulders and shadow move with it).
AROUND = 0.5


def cells_of(boxes: list[Box], width: int, height: int, around: float = AROUND) -> np.ndarray:
    """Which cells of the GRID (rows x columns, bool) the boxes, grown by ``around``, touch."""
    cols, rows = GRID
    covered = np.zeros((rows, cols), dtype=bool)
    for x, y, w, h in boxes:
        gx, gy = w * around, h * around
        c0 = int(max(0.0, (x - gx) * cols / width))
        c1 = int(min(cols - 1, (x + w + gx) * cols / width))
        r0 = int(max(0.0, (y - gy) * rows / height))
        r1 = int(min(rows - 1, (y + h + gy) * rows / height))
        if c0 <= c1 and r0 <= r1:
            covered[r0:r1 + 1, c0:c1 + 1] = True
    return covered


def changed_outside(before: np.ndarray, now: np.ndarray, covered: np.ndarray,
                    min_change: float = MIN_CELL_CHANGE) -> bool:
    """Whether any cell outside ``covered`` changed by at least ``min_change`` levels between
    two summaries (flat, as cuts.summary makes them)."""
    if before.shape != now.shape:
        return True
    cols, rows = GRID
    diff = np.abs(now - before).reshape(rows, cols, -1).max(axis=2)
    return bool((diff[~covered] >= min_change).any())
