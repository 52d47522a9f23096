"""Stream tiles by resolution ("auto"): the grid and the turn as pure functions, then the real
models on a 1080p stream of the Solvay group photo and on face-free 1080p streams. Every
stream runs on stream time (an injected clock), never wall time."""

import numpy as np
import pydantic
import pytest

from media import letterbox, load
from signage.config import SensingConfig
from signage.sensing import detection
from signage.sensing.analyzer import FaceAnalyzer
from signage.sensing.detection import places_per_run, stream_grid, tile_windows
from signage.sensing.pipeline import SensingPipeline
from signage.sensing.types import Frame

# -- pure: the grid and the turn ------------------------------------------------------------


@pytest.mark.parametrize("w, h, grid", [(320, 240, 2), (640, 360, 2), (640, 480, 2), (1280, 720, 2),
                                        (1920, 1080, 3), (2560, 1440, 4), (3840, 2160, 4), (1080, 1920, 3)])
def test_auto_grid_keeps_a_tile_near_the_640x480_one(w, h, grid):
    assert stream_grid(w, h) == stream_grid(w, h, "auto") == grid
    side = tile_windows(w, h, grid, 0.2)[0][2]
    if min(w, h) <= 1440:  # below the cap, a tile is at most 540 px, and never half of that
        assert 0.5 * detection.STREAM_TILE_PX <= side <= detection.STREAM_TILE_PX or min(w, h) < 480


@pytest.mark.parametrize("setting", [0, 1, 2, 3, 4])
def test_a_fixed_grid_is_kept_whatever_the_resolution(setting):
    assert stream_grid(1920, 1080, setting) == stream_grid(640, 480, setting) == setting


def test_a_turn_takes_at_most_turn_runs_runs():
    assert places_per_run(0) == 0
    for places in range(1, 40):
        per = places_per_run(places, 8)
        assert -(-places // per) <= 8  # runs for a whole turn
        assert per == 1 or -(-places // (per - 1)) > 8  # and no more places a run than that needs
    assert places_per_run(5, 8) == places_per_run(7, 8) == 1  # 640x480 and 1280x720: as before


def test_the_setting_takes_auto_or_a_grid_and_nothing_else():
    assert SensingConfig().detector.stream_tiles == "auto"
    assert SensingConfig(detector={"stream_tiles": 3}).detector.stream_tiles == 3
    for bad in (5, -1, "big", 2.5):
        with pytest.raises(pydantic.ValidationError) as err:
            SensingConfig(detector={"stream_tiles": bad})
        assert "stream_tiles" in str(err.value)


# -- the real models ---------------------------------------------------------------------------


DT = 0.25  # stream time between frames: exact in binary, so every frame is a detector run (0.2 s)


def faces_over(cfg, frame, n):
    """The analyzer's face count on each of ``n`` frames of a still ``frame`` streamed DT
    apart, and its detector passes."""
    with FaceAnalyzer(cfg) as an:
        counts = [len(an.analyze(Frame(frame, i * DT, i, "test"))) for i in range(n)]
        return counts, an.detector_runs


def test_a_1080p_stream_of_the_group_photo_finds_most_faces_within_a_turn():
    frame = letterbox(load("solvay_1927.png"), 1920, 1080)  # 29 faces about 45-50 px wide
    counts, _ = faces_over(SensingConfig(), frame, 16)  # 16 detector runs: one turn of the 3x3 grid, 4 s
    assert max(counts) >= 22, counts
    assert 22 <= counts[-1] <= 29
    two, _ = faces_over(SensingConfig(detector={"stream_tiles": 2}), frame, 16)
    assert max(two) <= 18, two  # the 2x2 tiles (810 px) miss most of them: the case is real


def test_a_1080p_turn_reads_two_places_every_other_run():
    frame = letterbox(load("coffee.png"), 1920, 1080)
    places = len(tile_windows(1920, 1080, 3, 0.2)) + 1  # the 15 tiles and the padded frame
    per = places_per_run(places)
    assert per == 2
    counts, runs = faces_over(SensingConfig(), frame, 16)  # 16 detector runs, 8 of them with tiles
    assert runs == 16 + 8 * per
    assert sum(counts) == 0


@pytest.mark.parametrize("name", ["coffee.png", "chelsea.png"])
def test_face_free_1080p_streams_get_no_face_from_the_tiles_over_a_whole_turn(name):
    img = load(name)
    h, w = img.shape[:2]
    n = 40  # 4 s at 10 fps: more than a turn of the 3x3 grid (3.2 s)
    frames = [letterbox(np.ascontiguousarray(img[:, int(w * 0.2 * i / n) : int(w * 0.2 * i / n) + int(w * 0.8)]),
                        1920, 1080) for i in range(n)]

    def faces(cfg):
        with SensingPipeline(cfg) as pipe:
            results = [pipe.process(Frame(f, i / 10, i, "test")) for i, f in enumerate(frames)]
        return [r.faces for r in results], results[-1].audience.passers_by

    tiled, off = faces(SensingConfig()), faces(SensingConfig(detector={"stream_tiles": 0, "pad": False}))
    assert tiled == off  # the tiles and the padded frame add no false face
    # chelsea: none at all. coffee: the whole 1080p frame alone gives one false face on one
    # frame (with or without tiles and padding; not at 640x480 or 1280x720), never a passer-by
    assert sum(map(len, tiled[0])) <= (1 if name == "coffee.png" else 0)
    assert tiled[1] == 0
