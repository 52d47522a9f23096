"""Video on the display's refresh, counted from what reaches the screen.

The clock is injected and stepped by the test at the display's rate; every frame's number
is read back off the surface that was flipped (a barcode the test source draws), and the
video's own figures must equal what was read back. No timing is asserted: where the
decoder thread must have got somewhere, the test waits for it (generous timeouts).
"""

from __future__ import annotations

import logging
from fractions import Fraction

import pytest
from screenkit import video
from videokit import SyntheticSource, read_code, write_clip

from signage.config import DisplayConfig, NoticeConfig
from signage.render.display import Display
from signage.render.screen import Screen
from signage.render.video import VideoCreative, ahead_for

SIZE = (640, 360)


class Clock:
    def __init__(self, t: float = 1000.0) -> None:
        self.t0 = Fraction(int(t))
        self.n = 0
        self.hz = 60

    def __call__(self) -> float:
        return float(self.t0 + Fraction(self.n, self.hz))


@pytest.fixture
def rig():
    clock = Clock()
    disp = Display(DisplayConfig(driver="dummy", fullscreen=False, size=SIZE, fps=60)).open()
    scr = Screen(disp, NoticeConfig(), camera_on=True, clock=clock)
    try:
        yield scr, clock
    finally:
        scr.close()
        disp.close()


def play(scr: Screen, clock: Clock, v: VideoCreative, refreshes: int, fps: float, wait=True) -> list[int | None]:
    """Tick once per refresh from the switch on; the number read off the panel after each present."""
    seen = []
    for _ in range(refreshes):
        if wait:  # the frame due on this refresh is decoded (the test's clock waits for the decoder)
            assert v.wait_decoded(min(v_last(v), int((clock.n + 0.5) * fps / clock.hz + 1e-9)))
        scr.tick(clock())
        seen.append(read_code(scr.display.surface, v._target))
        clock.n += 1
    return seen


def v_last(v: VideoCreative) -> int:
    return v._src.count - 1 if hasattr(v._src, "count") else 10**9


def creative(scr, clock, src) -> VideoCreative:
    v = VideoCreative(video("synthetic.mp4", id="synthetic"), scr.size, source=src, clock=clock)
    scr.put(v)
    return v


def test_a_60fps_clip_on_60hz_presents_every_frame_once_in_order(rig):
    scr, clock = rig
    v = creative(scr, clock, SyntheticSource(40, 60.0, SIZE))
    seen = play(scr, clock, v, 40, 60.0)
    assert seen == list(range(40))
    s = v.stats
    assert (s.due, s.shown, s.late, s.dropped) == (40, 40, 0, 0)


def test_a_30fps_clip_on_60hz_shows_each_frame_twice_and_counts_it_once(rig):
    scr, clock = rig
    v = creative(scr, clock, SyntheticSource(20, 30.0, SIZE))
    seen = play(scr, clock, v, 40, 30.0)
    assert seen == [n // 2 for n in range(40)]
    s = v.stats
    assert (s.due, s.shown, s.late, s.dropped) == (20, 20, 0, 0)
    assert s.shown <= 20  # never more than the clip has


def test_on_a_rotated_panel_each_frame_reaches_the_panel_turned(rig):
    """Rotation 90: the panel (what is flipped) shows each frame turned; on a frame's second
    refresh nothing is redrawn or turned again, and the panel still holds it."""
    scr, clock = rig
    scr.close()
    scr.display.close()
    disp = Display(DisplayConfig(driver="dummy", fullscreen=False, size=(360, 640), rotation=90, fps=60)).open()
    scr2 = Screen(disp, NoticeConfig(), camera_on=True, clock=clock)
    try:
        v = VideoCreative(video("synthetic.mp4", id="synthetic", fit="fill"), scr2.size, source=SyntheticSource(8, 30.0, SIZE),
                          clock=clock)
        scr2.put(v)
        seen, skipped = [], []
        for j in range(16):
            assert v.wait_decoded(min(7, int((j + 0.5) / 2 + 1e-9)))
            scr2.tick(clock())
            skipped.append(scr2.unchanged)
            seen.append(read_code(disp.surface, v._target, rotation=90))
            clock.n += 1
        assert seen == [n // 2 for n in range(16)]
        # the second refresh of each frame is not redrawn (after the switch's cut has finished)
        assert skipped[2:] == [n % 2 == 1 for n in range(2, 16)]
        assert (v.stats.due, v.stats.shown, v.stats.dropped) == (8, 8, 0)
    finally:
        scr2.close()
        disp.close()


def test_a_fast_render_loop_never_counts_a_frame_twice(rig):
    scr, clock = rig
    clock.hz = 240  # a render loop four times the clip's rate: each frame on 4 refreshes... at 60 fps
    scr.pacer.period = 1 / 240
    v = creative(scr, clock, SyntheticSource(10, 60.0, SIZE))
    seen = play(scr, clock, v, 40, 60.0)
    assert seen == [n // 4 for n in range(40)]
    assert (v.stats.due, v.stats.shown, v.stats.dropped) == (10, 10, 0)


def test_a_stalled_decoder_keeps_the_last_frame_and_counts_late_and_dropped_frames(rig):
    scr, clock = rig
    src = SyntheticSource(60, 60.0, SIZE, stall_at=10)
    v = creative(scr, clock, src)
    seen = play(scr, clock, v, 10, 60.0)  # frames 0-9, on time
    seen += play(scr, clock, v, 6, 60.0, wait=False)  # refreshes 10-15: frame 10 is not decoded
    src.release(1)  # frame 10 is decoded now, five refreshes after it was due
    assert v.wait_decoded(10)
    seen += play(scr, clock, v, 1, 60.0, wait=False)  # refresh 16 shows it, late
    src.unstall()  # the decoder skips what is too late and catches up
    seen += play(scr, clock, v, 14, 60.0)  # refreshes 17-30
    assert None not in seen  # never black, never anything else: a frame of the video on every refresh
    assert seen[:10] == list(range(10))
    assert seen[10:16] == [9] * 6  # the previous frame stays
    assert seen[16] == 10
    assert seen[17:] == list(range(17, 31))
    shown = set(seen)
    first = {n: seen.index(n) for n in shown}
    late = sum(1 for n, j in first.items() if j - n >= 2)  # reached the screen more than a refresh after its time
    s = v.stats
    assert s.due == 31
    assert (s.shown, s.late, s.dropped) == (len(shown), late, 31 - len(shown)) == (25, 1, 6)
    assert s.skipped >= 1  # frames the decoder passed over without converting them


def test_a_real_file_reaches_the_screen_frame_by_frame_and_loops(rig, tmp_path, caplog):
    scr, clock = rig
    clip = write_clip(tmp_path / "numbered.mp4", 12, 30.0, (320, 180))
    scr.show(video(clip, id="numbered"), wait=True)
    scr.tick(clock())  # the switch: frame 0
    v = scr.current
    assert isinstance(v, VideoCreative) and v.fps == pytest.approx(30.0)
    seen = [read_code(scr.display.surface, v._target)]
    clock.n += 1
    for j in range(1, 36):  # 36 refreshes: the 12 frames, then the first 6 again
        assert v.wait_decoded(int((j + 0.5) / 2 + 1e-9))
        scr.tick(clock())
        seen.append(read_code(scr.display.surface, v._target))
        clock.n += 1
    assert seen == [(j // 2) % 12 for j in range(36)]
    assert (v.stats.due, v.stats.shown, v.stats.dropped, v.stats.loops) == (18, 18, 0, 1)
    with caplog.at_level(logging.INFO, logger="signage.render"):
        scr.idle()
        assert v.wait_decoded(18)  # frame 6 of the second loop: still drawn, fading out
        scr.tick(clock())
        clock.n += 60
        scr.tick(clock())
        scr.wait_prepared(5)
        scr._pool.submit(lambda: None).result(30)  # the retired video is closed on the preparer thread
    lines = [r.getMessage() for r in caplog.records if r.getMessage().startswith("video numbered:")]
    assert len(lines) == 1 and "frames due" in lines[0], lines  # once per play, not per frame


def test_decoded_frames_waiting_are_bounded_by_memory():
    assert ahead_for((1920, 1080)) == 6
    assert ahead_for((3840, 2160)) == 4  # 4 x 33 MB
    assert ahead_for((7680, 4320)) == 2


def test_shrinking_a_frame_keeps_its_size_and_does_not_alias():
    """The video path's cheap shrink (halving by area, then bilinear) gives the target size and,
    on a 1-pixel checkerboard (the worst case for aliasing), an even grey like area averaging;
    bilinear alone at the 4K-to-1080p safe area's ratio would draw a moiré."""
    import cv2
    import numpy as np

    from signage.render.video import shrink

    board = ((np.indices((2160, 3840)).sum(axis=0) % 2) * 255).astype(np.uint8)
    img = np.dstack([board] * 3)
    out = shrink(img, (1566, 881))
    assert out.shape == (881, 1566, 3)
    assert abs(float(out.mean()) - 127.5) < 2 and float(out.std()) < 4
    naive = cv2.resize(img, (1566, 881), interpolation=cv2.INTER_LINEAR)
    assert float(naive.std()) > 4 * max(float(out.std()), 1.0)  # what the halving step is for
    smooth = np.dstack([np.tile(np.linspace(0, 255, 1920, dtype=np.float32), (1080, 1))] * 3).astype(np.uint8)
    ref = cv2.resize(smooth, (1566, 881), interpolation=cv2.INTER_AREA)
    assert np.abs(shrink(smooth, (1566, 881)).astype(int) - ref).max() <= 3
