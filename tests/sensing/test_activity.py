"""The detector waits longer while nothing moves outside the faces it follows
(signage.sensing.activity): the pure cell checks, and end to end on a real photo stream,
fewer detector passes for a still face and a newcomer found as soon as before."""

import numpy as np

from media import load
from signage.config import SensingConfig
from signage.sensing import activity
from signage.sensing.cuts import GRID, summary
from signage.sensing.pipeline import SensingPipeline
from signage.sensing.types import Frame
from synthetic import Mover, paste

FPS = 30


def test_cells_of_a_box_grown_around_it():
    cols, rows = GRID
    covered = activity.cells_of([(320.0, 240.0, 80.0, 80.0)], 640, 480)
    assert covered.shape == (rows, cols)
    # the box spans x 320-400 (cells 4), grown by 40 px: 280-440, cells 3-5; y 200-360: rows 2-4
    assert covered[2:5, 3:6].all() and covered.sum() == 9
    assert not activity.cells_of([], 640, 480).any()


def test_a_change_counts_only_outside_the_faces():
    still = np.full((480, 640, 3), 90, np.uint8)
    moved = still.copy()
    moved[0:60, 0:80] = 200  # something new in the top-left cell
    a, b = summary(still), summary(moved)
    nothing = np.zeros((GRID[1], GRID[0]), dtype=bool)
    assert activity.changed_outside(a, b, nothing)
    top_left = nothing.copy()
    top_left[0, 0] = True
    assert not activity.changed_outside(a, b, top_left)  # a followed face's own cell
    noisy = (still.astype(np.int16) + np.random.default_rng(0).integers(-2, 3, still.shape)).astype(np.uint8)
    assert not activity.changed_outside(a, summary(noisy), nothing)  # sensor noise is no change


def _stream(frames):
    with SensingPipeline(SensingConfig()) as pipe:
        out = [pipe.process(Frame(f, i / FPS, i, "activity")).audience for i, f in enumerate(frames)]
        return out, pipe.analyzer.detector_runs


def test_a_still_face_costs_fewer_detector_passes_and_a_newcomer_is_found_as_soon():
    bg = np.full((480, 640, 3), 90, np.uint8)
    one = bg.copy()
    paste(one, Mover(load("grace_hopper.jpg"), 200, speed_w=0).patch(), 200, 240)
    two = one.copy()
    paste(two, Mover(load("obama_official_portrait.jpg"), 200, speed_w=0).patch(), 470, 240)
    n = 3 * FPS
    out, runs = _stream([one] * n + [two] * FPS)
    assert out[n - 1].faces == 1
    # 3 s of one still face: a detector run every busy_interval_s (0.6 s), not every 0.2 s
    # (at least 15 runs, 22 with every other run's padded frame)
    assert runs < 15
    # the newcomer changes cells outside the followed face: found within interval_s and a frame
    found = next(k for k, s in enumerate(out[n:]) if s.faces == 2)
    assert found <= round(0.2 * FPS) + 1
