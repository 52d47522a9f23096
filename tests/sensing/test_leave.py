"""When a person leaves, the audience numbers follow within 0.5 s (real models, a real
portrait; time is the frames' injected t at 30 fps, never the wall clock)."""

import cv2
import numpy as np
import pytest

from media import letterbox, load
from synthetic import cover, paste
from signage.config import SensingConfig
from signage.sensing.pipeline import SensingPipeline
from signage.sensing.types import Frame

FPS = 30


def _portrait_and_plain():
    view = letterbox(load("astronaut.png"))  # a smiling face, looking at the camera
    return view, np.full_like(view, 90)  # the view emptied: a scene cut, tracks end at once


def _stepping_out():
    room = cover(load("coffee.png"), (640, 480))
    person = room.copy()  # the same face on a background that stays: the tracker's hold_s
    img = load("astronaut.png")
    paste(person, cv2.resize(img, (240, 240 * img.shape[0] // img.shape[1])), 320, 240)
    return person, room


@pytest.mark.parametrize("scene", [_portrait_and_plain, _stepping_out], ids=["view emptied", "steps out"])
def test_numbers_follow_a_person_who_leaves_within_half_a_second(scene):
    view, empty = scene()
    n_in = 2 * FPS
    with SensingPipeline(SensingConfig()) as pipe:
        snaps = [pipe.process(Frame(view if i < n_in else empty, i / FPS, i, "leave")).audience
                 for i in range(n_in + FPS)]
    before, after = snaps[n_in - 1], snaps[n_in:]
    assert (before.faces, before.measured, before.watchers, before.smile_ratio) == (1, 1, 1, 1.0)
    assert before.attention_ratio == 1.0
    # the first frame after which everything reads "nobody", and stays so
    cleared = [s.faces == 0 and s.measured == 0 and s.watchers == 0 and s.smile_ratio == 0.0
               and s.attention_ratio == 0.0 for s in after]
    first = next(k for k in range(len(after)) if all(cleared[k:]))
    assert (first + 1) / FPS <= 0.5, f"numbers followed after {(first + 1) / FPS:.2f} s"
    assert after[-1].passers_by == 1  # the person who left is still in the window's passers-by
