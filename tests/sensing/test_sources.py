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
    with VideoFileSource(CLIP, realtime=True) as src:
        start = time.monotonic()
        indices = []
        while (f := src.read(timeout=1.0)) is not None and f.t < 1.0:
            indices.append(f.index)
        elapsed = time.monotonic() - start
        assert 0.9 < elapsed < 1.5  # about one second of video took about one second
        assert len(indices) >= 25 and indices[0] == 0


def test_realtime_video_slow_consumer_gets_the_newest_frame_and_drops_the_rest():
    with VideoFileSource(CLIP, realtime=True) as src:
        f0 = src.read(timeout=1.0)
        start = time.monotonic()
        assert f0.index == 0
        ts = [f0.t]
        for _ in range(6):
            time.sleep(0.2)
            f = src.read(timeout=1.0)
            behind = (time.monotonic() - start) - f.t
            assert -0.05 < behind < 0.1, f"frame is {behind:.3f} s old: a backlog, not the newest"
            ts.append(f.t)
        steps = np.diff(ts)
        assert np.all((steps > 0.13) & (steps < 0.3)), steps
        stats = src.stats
        assert stats.delivered == 7
        # About 6 frames per 0.2 s, one delivered: the others were overwritten and counted.
        assert 6 * 4 <= stats.dropped <= 6 * 7
        assert stats.delivered + stats.dropped <= f.index + 1


# --------------------------------------------------------------------------- camera


def test_camera_missing_device_retries_with_backoff_and_never_raises(caplog):
    caplog.set_level(logging.INFO, logger="signage.sensing.sources")
    src = CameraSource(CameraConfig(source="/dev/video99", **FAST))
    try:
        assert src.is_stream and src.is_camera and src.name == "/dev/video99"
        t0 = time.monotonic()
        assert src.read(timeout=0.3) is None
        assert 0.25 < time.monotonic() - t0 < 0.6
        # Record when each retry happens.
        seen, times = src.stats.reconnects, []
        end = time.monotonic() + 1.2
        while time.monotonic() < end:
            n = src.stats.reconnects
            if n != seen:
                seen = n
                times.append(time.monotonic())
            time.sleep(0.002)
        stats = src.stats
    finally:
        src.close()
    assert stats.state == "reconnecting" and "cannot open" in stats.last_error
    assert 5 <= stats.reconnects <= 12  # 0.05, 0.1, 0.2, 0.2 ... s apart: not a busy loop
    gaps = np.diff(times)
    assert gaps[-1] == pytest.approx(0.2, abs=0.05)  # capped at reconnect_max_s
    assert min(gaps) > 0.04
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
        assert wait_for(lambda: states.add(src.stats.state) or src.stats.reconnects >= 1, 3.0)
        after = []
        end = time.monotonic() + 2.0
        while len(after) < 5 and time.monotonic() < end:
            f = src.read(timeout=0.5)
            if f is not None:
                after.append(f)
            time.sleep(0.01)
        stats = src.stats
        started = time.monotonic()
    finally:
        src.close()
    assert time.monotonic() - started < 1.0
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
        assert wait_for(lambda: src.stats.reconnects >= 1, 3.0)
        stats = src.stats
        assert "no frame for" in stats.last_error and "stalled" in stats.last_error
        # The last pipe frame may still be waiting unread; then the clip's frames come.
        frames = [src.read(timeout=1.0) for _ in range(3)]
        assert frames[-1] is not None and frames[-1].image.shape == (360, 640, 3)  # now the clip
        assert frames[-1].t > first.t + FAST["stall_timeout_s"]
    finally:
        release.set()
        started = time.monotonic()
        src.close()
    assert time.monotonic() - started < 1.0


def test_camera_name_hides_stream_passwords(tmp_path, caplog):
    caplog.set_level(logging.INFO, logger="signage.sensing.sources")
    url = "rtsp://admin:s3cret@192.0.2.1/stream"
    # The opener keeps it local: a real capture of a missing file, never the network.
    src = CameraSource(CameraConfig(source=url, **FAST), opener=lambda s: cv2.VideoCapture(str(tmp_path / "x.mp4")))
    try:
        assert wait_for(lambda: src.stats.state == "reconnecting", 2.0)
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
