"""Where a followed face will be: pure constant-velocity prediction of landmark ROIs.

Face Mesh cuts each frame's landmark crop where the face was on the frame before. Someone
walking across the view moves about 9 face widths a second (tests/synthetic.py): at 15 fps
that is 0.6 of a width between frames, and a small face moving that far slips out of its
crop (the landmark model's presence check then says "no face", and the person is only found
again when the detector next reads that part of the frame: a new track). So each followed
ROI carries the face's velocity, measured from where its landmarks were on the last two
frames, and the next crop is cut where the face will be.

A still face has a velocity of about zero and its crops stay where they were.
"""

from __future__ import annotations

import dataclasses

from signage.sensing.roi import Roi

# The new velocity's share of the smoothed one (the rest is the previous velocity):
# landmark centres of a small face jitter by a pixel or two from frame to frame.
SMOOTHING = 0.7
# The landmark model's points are pulled toward the centre of its crop: a face a fifth of the
# crop off-centre is found only a third to a half of the way there (a 40 px face moving 16 px
# between frames at 6 widths/s: 4 px measured, tests/sensing/test_motion.py). A pass whose
# face turns out further off-centre than this share of the crop's side is run once more on
# the crop its landmarks made, centred on the face; a face at a steady speed is predicted
# well and needs no second pass.
RECENTRE = 0.06
# A prediction looks at most this far ahead (a stalled source gives a long gap between
# frames: the face is then looked for near where it was, not far ahead).
MAX_AHEAD_S = 0.5


def predicted(roi: Roi, t: float) -> Roi:
    """``roi`` moved to where its face is expected at stream time ``t``."""
    if roi.t is None or t <= roi.t or (roi.vx == 0.0 and roi.vy == 0.0):
        return roi
    dt = min(t - roi.t, MAX_AHEAD_S)
    return dataclasses.replace(roi, cx=roi.cx + roi.vx * dt, cy=roi.cy + roi.vy * dt)


def off_centre(crop_roi: Roi, found: Roi) -> float:
    """How far the face its landmarks found (``found``, their ROI) is from the centre of the
    crop they were found in, as a share of the crop's side."""
    return max(abs(found.cx - crop_roi.cx), abs(found.cy - crop_roi.cy)) / crop_roi.side


def moved(before: Roi, after: Roi, t: float) -> Roi:
    """``after`` (the ROI made from the landmarks found at stream time ``t``) with its time
    and the face's smoothed velocity, from ``before`` (the landmark-made ROI of the frame
    before, not the predicted one)."""
    after.t = t
    if before.t is None or t <= before.t:
        after.vx, after.vy = before.vx, before.vy
        return after
    dt = t - before.t
    vx, vy = (after.cx - before.cx) / dt, (after.cy - before.cy) / dt
    after.vx = SMOOTHING * vx + (1 - SMOOTHING) * before.vx
    after.vy = SMOOTHING * vy + (1 - SMOOTHING) * before.vy
    return after
