"""Frame sources on real media from tests/data and real OpenCV captures (no mocks).

No test writes a frame or a video: folders are filled with copies of the test
images (or junk bytes), and the "camera" is a real cv2.VideoCapture on the test clip.
"""

import logging
import os
import shutil
import threading
import time

import cv2
import numpy as np
import pytest

from media import CLIP, DATA, load
from signage.config import CameraConfig
from signage.sensing.sources import (
    CameraSource,
    FolderSource,
    FrameSource,
    ImageSource,
    SourceError,
    VideoFileSource,
    open_source,
)

CLIP_FRAMES = 275
CLIP_FPS = 29.97
FAST = dict(reconnect_min_s=0.05, reconnect_max_s=0.2, stall_timeout_s=0.5)
# Waits are for conditions, with a timeout no working source comes near, even on a loaded
# machine; nothing here asserts how fast a machine decodes, reads or wakes up.
PATIENCE_S = 60.0
CLOSE_S = 10.0  # close() waits 1 s at most for a capture thread busy inside OpenCV; then some slack


def junk(path, data=b"this is not a picture\n" * 20):
    path.write_bytes(data)
    return path


def wait_for(condition, timeout):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if condition():
            return True
        time.sleep(0.005)
    return condition()


# --------------------------------------------------------------------------- stills


def test_image_source_delivers_the_image_once():
    with ImageSource(DATA / "grace_hopper.jpg") as src:
        assert isinstance(src, FrameSource) and not src.is_stream and src.name == "grace_hopper.jpg"
        assert src.stats.state == "open"
        frame = src.read()
        assert frame.t == 0.0 and frame.index == 0 and frame.source == "grace_hopper.jpg"
        assert np.array_equal(frame.image, load("grace_hopper.jpg"))
        assert src.read() is None
        assert src.stats.delivered == 1 and src.stats.state == "ended"
    assert src.stats.state == "closed"


def test_image_source_errors_name_the_file(tmp_path):
    with pytest.raises(SourceError, match=r"nothere\.jpg.*not found"):
        ImageSource(tmp_path / "nothere.jpg")
    with pytest.raises(SourceError, match=r"broken\.png.*cannot be decoded"):
        ImageSource(junk(tmp_path / "broken.png"))
    with pytest.raises(SourceError, match=r"empty\.jpg.*cannot be decoded"):
        ImageSource(junk(tmp_path / "empty.jpg", b""))


def test_folder_delivers_images_by_name_and_skips_a_corrupt_one(tmp_path, caplog):
    shutil.copy(DATA / "grace_hopper.jpg", tmp_path / "b.JPG")  # upper-case extension counts
    shutil.copy(DATA / "astronaut.png", tmp_path / "a.png")
    shutil.copy(DATA / "camera.png", tmp_path / "c.png")  # a grey image becomes BGR
    junk(tmp_path / "broken.jpeg")
    junk(tmp_path / "notes.txt")  # not an image extension: ignored, no warning
    caplog.set_level(logging.WARNING, logger="signage.sensing.sources")
    with FolderSource(tmp_path) as src:
        assert not src.is_stream
        frames = []
        while (f := src.read()) is not None:
            frames.append(f)
        assert [f.source for f in frames] == ["a.png", "b.JPG", "c.png"]
        assert [f.index for f in frames] == [0, 1, 2] and all(f.t == 0.0 for f in frames)
        assert np.array_equal(frames[0].image, load("astronaut.png"))
        assert np.array_equal(frames[1].image, load("grace_hopper.jpg"))
        assert frames[2].image.shape[2] == 3
        assert src.stats.delivered == 3 and src.stats.state == "ended"
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and "broken.jpeg" in warnings[0]


def test_folder_without_images_is_an_error(tmp_path):
    junk(tmp_path / "readme.txt")
    with pytest.raises(SourceError, match="no images"):
        FolderSource(tmp_path)
    with pytest.raises(SourceError, match="missing"):
        FolderSource(tmp_path / "missing")


# --------------------------------------------------------------------------- video file


def test_video_file_delivers_every_frame_with_its_position():
    with VideoFileSource(CLIP) as src:
        assert src.is_stream and not src.is_camera and src.name == CLIP.name
        assert src.fps == pytest.approx(CLIP_FPS, abs=0.01)
        frames = []
        while (f := src.read()) is not None:
            frames.append((f.index, f.t, f.image.shape))
        assert len(frames) == CLIP_FRAMES
        assert [i for i, _, _ in frames] == list(range(CLIP_FRAMES))
        assert all(shape == (360, 640, 3) for _, _, shape in frames)
        assert frames[30][1] == pytest.approx(30 / src.fps)
        assert frames[-1][1] == pytest.approx(274 / CLIP_FPS, abs=0.01)
        assert src.read() is None
        assert src.stats.delivered == CLIP_FRAMES and src.stats.dropped == 0 and src.stats.state == "ended"


def test_video_file_errors_name_the_file(tmp_path):
    with pytest.raises(SourceError, match=r"gone\.mp4.*not found"):
        VideoFileSource(tmp_path / "gone.mp4")
    with pytest.raises(SourceError, match=r"fake\.mp4.*cannot be decoded"):
        VideoFileSource(junk(tmp_path / "fake.mp4"))


def test_video_loop_restarts_with_increasing_time():
    first = None
    with VideoFileSource(CLIP, loop=True) as src:
        ts = []
        for i in range(2 * CLIP_FRAMES + 50):
            f = src.read()
            assert f is not None, f"looping video ended at frame {i}"
            ts.append(f.t)
            if i == 0:
                first = f.image
            if i == CLIP_FRAMES:
                restarted = f.image
        assert np.array_equal(restarted, first)  # the second pass starts at the first frame
        assert all(b > a for a, b in zip(ts, ts[1:]))
        assert ts[CLIP_FRAMES] == pytest.approx(CLIP_FRAMES / CLIP_FPS, abs=0.01)
        assert src.stats.state == "open"


def test_realtime_video_plays_at_its_own_pace():
    """No frame comes before its time in the video (one second of video takes at least a
    second); a consumer that misses some finds them counted as dropped, not queued."""
    with VideoFileSource(CLIP, realtime=True) as src:
        start = time.monotonic()  # before the first read, which starts the playback
        indices = []
        while (f := src.read(timeout=PATIENCE_S)) is not None and f.t < 1.0:
            assert time.monotonic() - start >= f.t, f"frame {f.index} came before its time"
            indices.append(f.index)
        assert f is not None and time.monotonic() - start >= f.t >= 1.0
        assert indices[0] == 0 and all(b > a for a, b in zip(indices, indices[1:]))
        stats = src.stats
        assert stats.delivered == len(indices) + 1 and stats.delivered + stats.dropped >= f.index  # none lost


def test_realtime_video_slow_consumer_gets_the_newest_frame_and_drops_the_rest():
    """A consumer that reads only after the source has had to drop frames gets the newest one:
    every frame decoded since its last read was dropped but the one it gets (a queue would
    hand over the oldest, and drop nothing). Counted, not timed."""
    with VideoFileSource(CLIP, realtime=True) as src:
        pre_prev = src.stats.dropped
        f = src.read(timeout=PATIENCE_S)
        post_prev = src.stats.dropped
        assert f.index == 0
        indices = [f.index]
        for _ in range(6):
            assert wait_for(lambda: src.stats.dropped >= post_prev + 3, PATIENCE_S)  # the consumer is "slow"
            pre = src.stats.dropped
            f = src.read(timeout=PATIENCE_S)
            post = src.stats.dropped
            # Counters read just before and just after each read bound what was dropped between two
            # reads, however the threads were scheduled: the frame got is past every one of them.
            assert pre - post_prev + 1 <= f.index - indices[-1] <= post - pre_prev + 1, (f.index, indices)
            indices.append(f.index)
            pre_prev, post_prev = pre, post
        stats = src.stats
        assert stats.delivered == 7 and stats.dropped >= 6 * 3


# --------------------------------------------------------------------------- camera


class WaitsRecorded(CameraSource):
    """A CameraSource whose supervisor's waits between attempts are written down: the backoff
    is read from what it asked for, not from when a loaded machine woke it up."""

    def _supervise(self) -> None:
        self.waits: list[float] = []
        stop = self._stop

        class Recording:
            def wait(_, timeout=None):
                self.waits.append(timeout)
                return stop.wait(timeout)

            def __getattr__(_, name):
                return getattr(stop, name)

        self._stop = Recording()
        super()._supervise()


def test_camera_missing_device_retries_with_backoff_and_never_raises(caplog):
    caplog.set_level(logging.INFO, logger="signage.sensing.sources")
    src = WaitsRecorded(CameraConfig(source="/dev/video99", **FAST))
    try:
        assert src.is_stream and src.is_camera and src.name == "/dev/video99"
        t0 = time.monotonic()
        assert src.read(timeout=0.3) is None
        assert time.monotonic() - t0 >= 0.3  # it waited for its timeout (and then some, if loaded)
        assert wait_for(lambda: src.stats.reconnects >= 6, PATIENCE_S)
        stats, waits = src.stats, list(src.waits)
    finally:
        src.close()
    assert stats.state == "reconnecting" and "cannot open" in stats.last_error
    # doubling from reconnect_min_s, capped at reconnect_max_s: never a busy loop
    assert waits[:6] == [0.05, 0.1, 0.2, 0.2, 0.2, 0.2], waits
    assert len(waits) in (stats.reconnects, stats.reconnects + 1)  # one wait after each failed attempt
    # One warning for the state change, not one per attempt.
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and "/dev/video99" in warnings[0] and "cannot open" in warnings[0]
    assert src.stats.state == "closed" and src.read(timeout=0.1) is None


def test_camera_on_a_video_file_reopens_after_the_drop_out(caplog):
    caplog.set_level(logging.INFO, logger="signage.sensing.sources")
    # The clip acts as a camera: it decodes far faster than real time, then "unplugs".
    src = CameraSource(CameraConfig(source=str(CLIP), **FAST), opener=cv2.VideoCapture)
    try:
        first = src.read(timeout=2.0)
        assert first is not None and first.image.shape == (360, 640, 3) and first.source == str(CLIP)
        states = set()
        assert wait_for(lambda: states.add(src.stats.state) or src.stats.reconnects >= 1, PATIENCE_S)
        after = []
        end = time.monotonic() + PATIENCE_S
        while len(after) < 5 and time.monotonic() < end:
            f = src.read(timeout=0.5)
            if f is not None:
                after.append(f)
            time.sleep(0.01)
        stats = src.stats
        started = time.monotonic()
    finally:
        src.close()
    assert time.monotonic() - started < CLOSE_S
    assert len(after) == 5 and all(f.t > first.t for f in after)
    assert "open" in states or stats.state == "open"
    assert stats.reconnects >= 1 and "read failed" in stats.last_error
    assert stats.dropped > 0  # the consumer sleeps, the "camera" does not wait for it
    assert src.stats.state == "closed" and src.read(timeout=0.1) is None
    logged = [(r.levelno, r.getMessage()) for r in caplog.records]
    assert any(level == logging.INFO and ": open (" in m for level, m in logged)
    assert any(level == logging.WARNING and "read failed" in m for level, m in logged)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs a POSIX named pipe")
def test_camera_stall_is_detected_while_opencv_is_blocked(tmp_path):
    """A stream that stops sending without closing: OpenCV's read() blocks; the
    watchdog must notice after stall_timeout_s and reconnect anyway.

    The stream is an MJPEG feed through a named pipe (kernel memory, nothing stored):
    copies of a test JPEG, then silence with the pipe held open.
    """
    fifo = tmp_path / "camera.mjpg"
    os.mkfifo(fifo)
    jpeg = (DATA / "grace_hopper.jpg").read_bytes()
    release = threading.Event()

    def feed():
        with open(fifo, "wb") as out:  # blocks until OpenCV opens the pipe
            for _ in range(100):  # FFmpeg probes about 5 MB before it returns from open
                out.write(jpeg)
            out.flush()
            release.wait(10)

    threading.Thread(target=feed, daemon=True).start()
    calls = []

    def opener(source):
        calls.append(source)
        # First the stalling pipe, then (on reconnect) the real clip.
        return cv2.VideoCapture(str(fifo) if len(calls) == 1 else str(CLIP))

    src = CameraSource(CameraConfig(source="pipe-camera", **FAST), opener=opener)
    try:
        first = src.read(timeout=5.0)
        assert first is not None and first.image.shape == (600, 512, 3)
        assert wait_for(lambda: src.stats.reconnects >= 1, PATIENCE_S)
        stats = src.stats
        assert "no frame for" in stats.last_error and "stalled" in stats.last_error
        # The last pipe frames may still be waiting unread; then the clip's frames come.
        frames = [src.read(timeout=PATIENCE_S)]
        while frames[-1] is not None and frames[-1].image.shape != (360, 640, 3) and len(frames) < 10:
            frames.append(src.read(timeout=PATIENCE_S))
        assert frames[-1] is not None and frames[-1].image.shape == (360, 640, 3)  # now the clip
        assert frames[-1].t > first.t + FAST["stall_timeout_s"]
    finally:
        release.set()
        started = time.monotonic()
        src.close()
    assert time.monotonic() - started < CLOSE_S


def test_camera_name_hides_stream_passwords(tmp_path, caplog):
    caplog.set_level(logging.INFO, logger="signage.sensing.sources")
    url = "rtsp://admin:s3cret@192.0.2.1/stream"
    # The opener keeps it local: a real capture of a missing file, never the network.
    src = CameraSource(CameraConfig(source=url, **FAST), opener=lambda s: cv2.VideoCapture(str(tmp_path / "x.mp4")))
    try:
        assert wait_for(lambda: src.stats.state == "reconnecting", PATIENCE_S)
    finally:
        src.close()
    assert src.name == "rtsp://***@192.0.2.1/stream"
    assert "s3cret" not in caplog.text and "192.0.2.1" in caplog.text


# --------------------------------------------------------------------------- open_source


def test_open_source_picks_the_kind_of_source(tmp_path):
    shutil.copy(DATA / "chelsea.png", tmp_path / "cat.png")
    with open_source(str(tmp_path)) as s:
        assert isinstance(s, FolderSource) and s.read().source == "cat.png"
    with open_source(str(DATA / "chelsea.png")) as s:
        assert isinstance(s, ImageSource) and s.name == "chelsea.png"
    with open_source(str(CLIP), realtime_video=True, loop_video=True) as s:
        assert isinstance(s, VideoFileSource) and s.realtime and s.loop and s.name == CLIP.name
    cfg = CameraConfig(width=320, height=240, **FAST)
    with open_source("99", camera=cfg) as s:
        assert isinstance(s, CameraSource) and s.name == "camera 99"
        assert s.cfg.source == 99 and s.cfg.width == 320 and cfg.source == 0
    missing_stream = f"file://{tmp_path}/none.mp4"  # a URL FFmpeg resolves locally
    with open_source(missing_stream, camera=cfg) as s:
        assert isinstance(s, CameraSource) and s.name == missing_stream
        assert s.read(timeout=0.2) is None
    with pytest.raises(SourceError, match=r"not found: .*nowhere\.mp4"):
        open_source(str(tmp_path / "nowhere.mp4"))
    with pytest.raises(SourceError, match=r"junk\.jpg"):
        open_source(str(junk(tmp_path / "junk.jpg")))
