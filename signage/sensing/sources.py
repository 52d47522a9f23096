"""Frame sources: a still image, a folder of images, a video file, a live camera (OpenCV,
or a Raspberry Pi camera module through picamera2).

Every source hands out ``Frame`` objects (BGR pixels in RAM) through ``read()`` and
nothing else: no source writes a frame anywhere. Streams that run in real time (a
camera, or a video file played at its own pace) capture on a background thread into
a one-slot mailbox that keeps only the newest frame: a consumer slower than the
capture gets the latest picture, never a backlog, and the frames it missed are
counted in ``stats.dropped``.

A camera never raises out of ``read()``: it reconnects on its own in the
background (exponential backoff) and ``read()`` simply returns None while it has
no picture. State changes are logged once each; nothing is logged per frame.
"""

from __future__ import annotations

import logging
import math
import os
import re
import threading
import time
from abc import ABC, abstractmethod
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Protocol

import cv2
import numpy as np

from signage.config import CameraConfig, picamera2_number
from signage.sensing.types import Frame

__all__ = [
    "IMAGE_EXTENSIONS",
    "CameraSource",
    "FolderSource",
    "FrameSource",
    "ImageSource",
    "Picamera2Source",
    "SourceError",
    "SourceStats",
    "VideoFileSource",
    "open_source",
]

log = logging.getLogger(__name__)

# OpenCV prints its own warning on every failed open, so a camera retried with backoff
# would fill the journal with the same lines. This module reports each state change once
# through `log` instead, with the reason.
if hasattr(cv2, "setLogLevel"):
    cv2.setLogLevel(0)  # 0 = silent

IMAGE_EXTENSIONS = frozenset({".jpg", ".jpeg", ".png", ".bmp", ".webp"})
FALLBACK_FPS = 30.0


class SourceError(Exception):
    """A source that cannot be used at all; the message names the file or device and the reason."""


@dataclass(frozen=True, slots=True)
class SourceStats:
    """What a source has done so far.

    state: files are "open", then "ended"; a camera is "starting", "open" or
    "reconnecting"; every source is "closed" after close().
    """

    delivered: int
    dropped: int
    state: str
    reconnects: int = 0
    last_error: str | None = None


class FrameSource(ABC):
    """Common interface of all sources; use it as a context manager.

    is_stream: True for video and cameras (consecutive frames, analysed with
    tracking), False for still images (each frame is one independent photo).
    is_camera: True when read() returning None may only mean "no frame yet".
    """

    name: str
    is_stream: bool = False
    is_camera: bool = False

    @abstractmethod
    def read(self, timeout: float | None = None) -> Frame | None:
        """The next frame; None at the end of the source (or, for a camera, none within timeout)."""

    @abstractmethod
    def close(self) -> None:
        """Release the file or device; idempotent. read() returns None afterwards."""

    @property
    @abstractmethod
    def stats(self) -> SourceStats: ...

    def __enter__(self):
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name!r} {self.stats.state}>"


# --------------------------------------------------------------------------- helpers


class _Mailbox:
    """One-slot hand-over from a capture thread to the consumer: the newest frame wins.

    put() over a frame nobody has read yet replaces it and counts one drop.
    """

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._frame: Frame | None = None
        self._ended = False
        self.dropped = 0

    def put(self, frame: Frame) -> None:
        with self._cond:
            if self._ended:
                return
            if self._frame is not None:
                self.dropped += 1
            self._frame = frame
            self._cond.notify_all()

    def get(self, timeout: float | None) -> Frame | None:
        """The newest unread frame, waiting up to timeout (None: until one arrives or the end)."""
        with self._cond:
            self._cond.wait_for(lambda: self._frame is not None or self._ended, timeout)
            frame, self._frame = self._frame, None
            return frame

    def end(self, discard: bool = False) -> None:
        """No more frames will come; the unread one (if any) is still delivered unless discard."""
        with self._cond:
            self._ended = True
            if discard:
                self._frame = None
            self._cond.notify_all()


def _bgr(img: np.ndarray) -> np.ndarray:
    """OpenCV captures are BGR already; a few devices deliver grey or BGRA pictures."""
    if img.ndim == 2 or img.shape[2] == 1:
        return cv2.cvtColor(img, cv2.COLOR_GRAY2BGR)
    if img.shape[2] == 4:
        return cv2.cvtColor(img, cv2.COLOR_BGRA2BGR)
    return img


def _load_image(path: Path) -> np.ndarray:
    """Decode one image file to BGR, or raise SourceError naming the file and the reason."""
    if not path.exists():
        raise SourceError(f"image file {path}: not found")
    if not path.is_file():
        raise SourceError(f"image file {path}: not a regular file")
    if not os.access(path, os.R_OK):
        raise SourceError(f"image file {path}: permission denied")
    try:
        # IMREAD_COLOR: always 3-channel 8-bit BGR (grey, alpha and 16-bit are converted),
        # with the EXIF orientation applied.
        img = cv2.imread(str(path), cv2.IMREAD_COLOR)
    except cv2.error as exc:  # e.g. an image beyond OpenCV's pixel limit
        raise SourceError(f"image file {path}: cannot be decoded: {exc}") from None
    if img is None:
        raise SourceError(f"image file {path}: cannot be decoded (corrupt, empty or not an image)")
    return img


def _container_fps(cap: cv2.VideoCapture) -> float:
    fps = cap.get(cv2.CAP_PROP_FPS)
    # Containers without a frame rate report 0; some report a time base such as 90000.
    return fps if math.isfinite(fps) and 0 < fps <= 1000 else FALLBACK_FPS


def _camera_name(source: int | str) -> str:
    """'camera 0' for an index; the path or URL otherwise, without any password in it."""
    if isinstance(source, int):
        return f"camera {source}"
    return re.sub(r"://[^/@]*@", "://***@", source)


# --------------------------------------------------------------------------- stills


class ImageSource(FrameSource):
    """One still image, delivered once with t=0."""

    is_stream = False

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self.name = self.path.name
        self._image: np.ndarray | None = _load_image(self.path)
        self._delivered = 0
        self._closed = False
        log.debug("%s: image %dx%d", self.name, self._image.shape[1], self._image.shape[0])

    def read(self, timeout: float | None = None) -> Frame | None:
        if self._image is None:
            return None
        image, self._image = self._image, None
        self._delivered = 1
        return Frame(image, 0.0, 0, self.name)

    def close(self) -> None:
        self._image = None
        self._closed = True

    @property
    def stats(self) -> SourceStats:
        state = "closed" if self._closed else ("open" if self._image is not None else "ended")
        return SourceStats(self._delivered, 0, state)


class FolderSource(FrameSource):
    """Every image in a folder, sorted by file name, one Frame each (t=0, source=file name).

    Images are decoded one at a time, on read(). One that does not decode is skipped
    with a warning naming it.
    """

    is_stream = False

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self.name = self.path.name or str(self.path)
        if not self.path.is_dir():
            raise SourceError(f"image folder {self.path}: not found or not a folder")
        self._files = sorted(
            (p for p in self.path.iterdir() if p.suffix.lower() in IMAGE_EXTENSIONS and p.is_file()),
            key=lambda p: p.name,
        )
        if not self._files:
            exts = ", ".join(sorted(IMAGE_EXTENSIONS))
            raise SourceError(f"image folder {self.path}: no images in it ({exts})")
        self._next = 0
        self._delivered = 0
        self._skipped = 0
        self._closed = False
        log.info("%s: folder of %d image(s)", self.name, len(self._files))

    def read(self, timeout: float | None = None) -> Frame | None:
        while not self._closed and self._next < len(self._files):
            path = self._files[self._next]
            self._next += 1
            try:
                image = _load_image(path)
            except SourceError as exc:
                self._skipped += 1
                log.warning("%s: skipped %s", self.name, exc)
                continue
            frame = Frame(image, 0.0, self._delivered, path.name)
            self._delivered += 1
            return frame
        return None

    def close(self) -> None:
        self._closed = True

    @property
    def stats(self) -> SourceStats:
        state = "closed" if self._closed else ("open" if self._next < len(self._files) else "ended")
        return SourceStats(self._delivered, 0, state)


# --------------------------------------------------------------------------- video file


class VideoFileSource(FrameSource):
    """A video file, decoded with OpenCV.

    realtime=False: every frame, in order, as fast as the consumer reads; t is the
    video position (frame number / the container's fps, 30 when it has none).

    realtime=True: plays like a live camera from the first read(): a background
    thread decodes paced to the file's fps on the wall clock and keeps only the
    newest frame; frames the consumer was too slow to take are dropped and counted.
    read(timeout) then returns None also when no frame came within timeout (rare);
    stats.state is "ended" once the file is over.

    loop=True starts again at the end; t and index keep increasing across loops.
    Frame.index is the frame's number since the start (gaps show dropped frames).
    """

    is_stream = True

    def __init__(self, path: str | os.PathLike[str], realtime: bool = False, loop: bool = False) -> None:
        self.path = Path(path)
        self.name = self.path.name
        self.realtime = realtime
        self.loop = loop
        if not self.path.is_file():
            raise SourceError(f"video file {self.path}: not found")
        self._cap = cv2.VideoCapture(str(self.path))
        ok, first = self._cap.read() if self._cap.isOpened() else (False, None)
        if not ok:
            self._cap.release()
            raise SourceError(f"video file {self.path}: cannot be decoded (corrupt or unsupported format)")
        self._pending: np.ndarray | None = first  # decoded while probing, delivered first
        self.fps = _container_fps(self._cap)
        self._decoded = 0  # frames taken from the file so far, over all loops
        self._decoded_this_pass = 0
        self._delivered = 0
        self._state = "open"
        self._mailbox = _Mailbox()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        n = int(self._cap.get(cv2.CAP_PROP_FRAME_COUNT))
        log.info(
            "%s: video %dx%d, %.2f fps, %s frames%s%s",
            self.name, first.shape[1], first.shape[0], self.fps, n if n > 0 else "unknown",
            ", real time" if realtime else "", ", looping" if loop else "",
        )

    # Decoding. Used by read() (realtime=False) or by the playback thread only, never both.

    def _next_frame(self) -> Frame | None:
        image = self._next_image()
        if image is None:
            return None
        frame = Frame(_bgr(image), self._decoded / self.fps, self._decoded, self.name)
        self._decoded += 1
        self._decoded_this_pass += 1
        return frame

    def _next_image(self) -> np.ndarray | None:
        if self._pending is not None:
            image, self._pending = self._pending, None
            return image
        ok, image = self._cap.read()
        if ok:
            return image
        if not self.loop or self._decoded_this_pass == 0:
            return None
        # Back to the start. Reopening is the one rewind that works for every container.
        log.debug("%s: end of file after %d frames, starting again", self.name, self._decoded_this_pass)
        self._decoded_this_pass = 0
        self._cap.release()
        self._cap = cv2.VideoCapture(str(self.path))
        ok, image = self._cap.read()
        return image if ok else None

    def _play(self) -> None:
        start = time.monotonic()
        try:
            while not self._stop.is_set():
                frame = self._next_frame()
                if frame is None:
                    break
                delay = start + frame.t - time.monotonic()
                if delay > 0 and self._stop.wait(delay):
                    break
                self._mailbox.put(frame)
        except Exception as exc:  # a decoder failure ends playback; the consumer sees the end
            log.warning("%s: playback stopped: %s", self.name, exc)
        finally:
            self._cap.release()
            self._end()
            self._mailbox.end()

    def _end(self) -> None:
        if self._state == "open":
            self._state = "ended"
            log.info("%s: end of video after %d frames", self.name, self._decoded)

    def read(self, timeout: float | None = None) -> Frame | None:
        if self._state == "closed":
            return None
        if not self.realtime:
            frame = self._next_frame() if self._state == "open" else None
            if frame is None:
                self._end()
        else:
            if self._thread is None:
                self._thread = threading.Thread(target=self._play, name=f"video {self.name}", daemon=True)
                self._thread.start()
            frame = self._mailbox.get(timeout)
        if frame is not None:
            self._delivered += 1
        return frame

    def close(self) -> None:
        if self._state == "closed":
            return
        self._state = "closed"
        self._stop.set()
        self._mailbox.end(discard=True)
        if self._thread is not None:
            self._thread.join(timeout=2.0)  # the thread releases the capture
        else:
            self._cap.release()
        log.debug("%s: closed", self.name)

    @property
    def stats(self) -> SourceStats:
        return SourceStats(self._delivered, self._mailbox.dropped, self._state)


# --------------------------------------------------------------------------- camera


class _Capture(Protocol):
    """What the reader thread needs of an opened capture (cv2.VideoCapture has it)."""

    def read(self) -> tuple[bool, np.ndarray | None]: ...

    def release(self) -> None: ...


class _Connection:
    """One opened capture, read by its own reader thread (which alone may release it)."""

    def __init__(self) -> None:
        self.last_frame_at = time.monotonic()
        self.error: str | None = None
        self.abandon = threading.Event()  # set by the supervisor: stop reading, release
        self.done = threading.Event()  # set by the reader once the capture is released


class CameraSource(FrameSource):
    """A live camera (index, device path or stream URL) that reconnects on its own.

    A supervisor thread opens the device and a reader thread per connection reads it
    into the newest-frame mailbox. A failure to open, a failed read, or no frame for
    cfg.stall_timeout_s (a read that hangs inside OpenCV counts) closes the
    connection; the supervisor retries after a wait that doubles from
    cfg.reconnect_min_s up to cfg.reconnect_max_s and starts again from the minimum
    after each successful open.

    read(timeout) never raises: it returns the newest frame not yet returned, or None
    if none arrives within timeout. t is seconds since this object was created.
    ``opener`` builds the capture (tests give it a video file: real OpenCV that
    "drops out" at the end of the file).
    """

    is_stream = True
    is_camera = True
    library = "OpenCV"  # what the reader thread calls into (named when it hangs there)
    POLL_S = 0.05  # how often the supervisor checks for a stall or close()

    def __init__(
        self,
        cfg: CameraConfig,
        *,
        opener: Callable[[int | str], cv2.VideoCapture] = cv2.VideoCapture,
    ) -> None:
        self.cfg = cfg
        self.name = _camera_name(cfg.source)
        self._opener = opener
        self._t0 = time.monotonic()
        self._mailbox = _Mailbox()
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._state = "starting"
        self._reconnects = 0
        self._last_error: str | None = None
        self._delivered = 0
        self._captured = 0
        log.info("%s: starting", self.name)
        self._thread = threading.Thread(target=self._supervise, name=f"signage {self.name}", daemon=True)
        self._thread.start()

    # Supervisor thread.

    def _supervise(self) -> None:
        min_s = self.cfg.reconnect_min_s
        max_s = max(self.cfg.reconnect_max_s, min_s)
        backoff = min_s
        first = True
        while not self._stop.is_set():
            if not first:
                with self._lock:
                    self._reconnects += 1
            first = False
            cap, error = self._open()
            if cap is not None:
                backoff = min_s
                error = self._pump(cap)
            if self._stop.is_set():
                break
            self._set_state("reconnecting", error, retry_s=backoff)
            if self._stop.wait(backoff):
                break
            backoff = min(backoff * 2, max_s)

    def _connect(self) -> tuple[_Capture, str]:
        """Open the device: the capture and a description for the log. Raises on failure
        (a SourceError's message is the reason as it stands)."""
        cap = self._opener(self.cfg.source)
        if not cap.isOpened():
            cap.release()
            raise SourceError("cannot open (no such device or stream, busy, or unsupported)")
        # Requests only: a device picks the nearest mode it has, a file ignores them.
        cap.set(cv2.CAP_PROP_FRAME_WIDTH, self.cfg.width)
        cap.set(cv2.CAP_PROP_FRAME_HEIGHT, self.cfg.height)
        cap.set(cv2.CAP_PROP_FPS, self.cfg.fps)
        cap.set(cv2.CAP_PROP_BUFFERSIZE, 1)  # newest picture, not a queue of old ones
        w, h = int(cap.get(cv2.CAP_PROP_FRAME_WIDTH)), int(cap.get(cv2.CAP_PROP_FRAME_HEIGHT))
        return cap, f"{w}x{h} via {cap.getBackendName()}"

    def _open(self) -> tuple[_Capture | None, str | None]:
        try:
            cap, detail = self._connect()
        except SourceError as exc:
            return None, str(exc)
        except Exception as exc:  # opener or driver errors must not end the retries
            return None, f"cannot open: {exc}"
        if self._stop.is_set():
            cap.release()
            return None, None
        self._set_state("open", detail=detail)
        return cap, None

    def _pump(self, cap: _Capture) -> str | None:
        """Read cap until it fails, stalls or the source closes; the reason, None if closed."""
        conn = _Connection()
        threading.Thread(target=self._read_loop, args=(cap, conn), name=f"signage {self.name} reader", daemon=True).start()
        while not conn.done.wait(self.POLL_S):
            if self._stop.is_set():
                conn.abandon.set()
                conn.done.wait(0.5)  # usually releases at once; if OpenCV hangs, it releases later
                return None
            idle = time.monotonic() - conn.last_frame_at
            if idle > self.cfg.stall_timeout_s:
                # The reader may be stuck inside OpenCV: leave it, it releases the capture
                # and exits when OpenCV returns. Meanwhile, reconnect.
                conn.abandon.set()
                return f"no frame for {idle:.1f} s (stalled)"
        return conn.error

    # Reader thread, one per connection.

    def _read_loop(self, cap: _Capture, conn: _Connection) -> None:
        try:
            while not conn.abandon.is_set():
                ok, image = cap.read()
                if conn.abandon.is_set():
                    break
                if not ok or image is None:
                    conn.error = "read failed (device unplugged or stream ended)"
                    break
                conn.last_frame_at = now = time.monotonic()
                self._mailbox.put(Frame(_bgr(image), now - self._t0, self._captured, self.name))
                self._captured += 1
        except Exception as exc:
            conn.error = f"read failed: {exc}"
        finally:
            cap.release()
            conn.done.set()

    def _set_state(self, state: str, error: str | None = None, *, detail: str = "", retry_s: float = 0.0) -> None:
        with self._lock:
            if self._state == "closed":
                return
            changed = state != self._state
            self._state = state
            if error:
                self._last_error = error
        if not changed:
            log.debug("%s: still %s: %s", self.name, state, error)
        elif state == "open":
            log.info("%s: open (%s)", self.name, detail)
        elif state == "reconnecting":
            log.warning("%s: %s; retrying in %.2g s, then backing off up to %.2g s", self.name, error, retry_s, self.cfg.reconnect_max_s)
        else:
            log.info("%s: %s", self.name, state)

    # Consumer side.

    def read(self, timeout: float | None = None) -> Frame | None:
        if self._stop.is_set():
            return None
        frame = self._mailbox.get(timeout)
        if frame is not None:
            self._delivered += 1
        return frame

    def close(self) -> None:
        if self._stop.is_set():
            return
        self._stop.set()
        self._mailbox.end(discard=True)
        self._thread.join(timeout=1.0)
        if self._thread.is_alive():
            log.warning("%s: capture thread busy inside %s; it releases the device when that returns", self.name, self.library)
        self._set_state("closed")

    @property
    def stats(self) -> SourceStats:
        with self._lock:
            return SourceStats(self._delivered, self._mailbox.dropped, self._state, self._reconnects, self._last_error)


# --------------------------------------------------------------------------- picamera2

PICAMERA2_MISSING = (
    "picamera2 is not importable: on Raspberry Pi OS install python3-picamera2 and make the venv "
    "with --system-site-packages (kiosk/install.sh does)"
)


def _import_picamera2():
    """The picamera2 module, imported only when a Raspberry Pi camera is asked for."""
    # libcamera logs each open and configure on stderr, and picamera2 logs a failed open as an
    # error: a camera retried with backoff would repeat them. The source reports each state
    # change once itself, with the reason. (LIBCAMERA_LOG_LEVELS set by the operator wins.)
    os.environ.setdefault("LIBCAMERA_LOG_LEVELS", "*:WARN")
    picam_log = logging.getLogger("picamera2")
    if picam_log.level == logging.NOTSET:
        picam_log.setLevel(logging.CRITICAL)
    try:
        import picamera2
    except ImportError as exc:
        reason = "" if exc.name == "picamera2" else f" (importing it failed: {exc})"
        raise SourceError(PICAMERA2_MISSING + reason) from None
    except Exception as exc:  # a broken install: say what broke, without a traceback
        raise SourceError(f"picamera2 cannot be imported: {type(exc).__name__}: {exc}") from None
    return picamera2


class _Picamera2Capture:
    """A started Picamera2 behind the two calls CameraSource's reader thread makes."""

    def __init__(self, camera, wait_s: float) -> None:
        self._camera = camera
        self._wait_s = wait_s

    def read(self) -> tuple[bool, np.ndarray | None]:
        # wait: newer picamera2 raise TimeoutError after that long; older ones wait on, and
        # the supervisor's stall check reconnects anyway.
        return True, self._camera.capture_array("main", wait=self._wait_s)

    def release(self) -> None:
        try:
            self._camera.close()  # stops the camera first
        except Exception as exc:  # noqa: BLE001 - the next open says if the camera is stuck
            log.debug("picamera2: close failed: %s", exc)


class Picamera2Source(CameraSource):
    """A Raspberry Pi camera module (CSI ribbon), read through picamera2; OpenCV cannot.

    ``cfg.source`` is "picamera2" (the first camera) or "picamera2:N" (camera number N, as
    ``rpicam-hello --list-cameras`` numbers them). picamera2 comes with Raspberry Pi OS
    (apt: python3-picamera2, not PyPI) and is imported when such a source is made; a venv
    sees it when created with --system-site-packages. Without it, SourceError says so.

    The camera is given a video configuration whose main stream is "RGB888" at cfg.width x
    cfg.height and cfg.fps. picamera2 (like libcamera and DRM) names a format by the pixel
    as a word, most significant byte first, so "RGB888" is B, G, R in memory: the BGR
    layout OpenCV and the analyzer expect, handed on unconverted ("BGR888" would be RGB).
    Everything else is CameraSource's: the reader thread calls capture_array() in a loop
    into the newest-frame mailbox; a failed or stalled capture closes the camera, which is
    reopened with backoff; state changes are logged once.
    """

    library = "picamera2"
    BUFFERS = 4  # enough to keep the sensor streaming while one frame is being copied out

    def __init__(self, cfg: CameraConfig) -> None:
        number = picamera2_number(cfg.source)
        if number is None:
            raise SourceError(f"not a picamera2 source: {cfg.source!r} (picamera2 or picamera2:N)")
        self.number = number
        self._picamera2 = _import_picamera2()
        super().__init__(cfg)

    def _connect(self) -> tuple[_Capture, str]:
        picamera2 = self._picamera2.Picamera2
        cameras = picamera2.global_camera_info()
        if self.number >= len(cameras):
            raise SourceError(
                f"cannot open: no camera number {self.number}, libcamera sees {len(cameras)} "
                "(check the ribbon cable; rpicam-hello --list-cameras)"
            )
        camera = picamera2(self.number)
        capture = _Picamera2Capture(camera, self.cfg.stall_timeout_s)
        try:
            frame_us = round(1e6 / self.cfg.fps)
            camera.configure(camera.create_video_configuration(
                main={"size": (self.cfg.width, self.cfg.height), "format": "RGB888"},
                controls={"FrameDurationLimits": (frame_us, frame_us)},
                buffer_count=self.BUFFERS,
            ))  # fmt: skip
            camera.start()
            w, h = camera.camera_configuration()["main"]["size"]
        except BaseException:
            capture.release()
            raise
        model = cameras[self.number].get("Model", "camera")
        return capture, f"{w}x{h} RGB888 (BGR in memory), {self.cfg.fps:g} fps, {model} via picamera2"


# --------------------------------------------------------------------------- factory


def open_source(
    spec: str,
    *,
    realtime_video: bool = False,
    loop_video: bool = False,
    camera: CameraConfig | None = None,
) -> FrameSource:
    """The source a command-line spec names.

    All digits: that camera index. "picamera2" or "picamera2:N": a Raspberry Pi camera
    module through picamera2. An existing folder: its images. An existing image
    file (jpg, jpeg, png, bmp, webp): that image. Any other existing file: a video.
    An existing character device (/dev/video0): a camera. Anything with "://": a
    stream URL, opened as a camera. Camera settings other than the source come from
    ``camera`` (defaults when None). Raises SourceError when nothing matches or a
    file cannot be decoded.
    """
    cfg = camera or CameraConfig()
    if spec.isdigit():
        return CameraSource(cfg.model_copy(update={"source": int(spec)}))
    if picamera2_number(spec) is not None:
        return Picamera2Source(cfg.model_copy(update={"source": spec}))
    path = Path(spec)
    if path.is_dir():
        return FolderSource(path)
    if path.is_file():
        if path.suffix.lower() in IMAGE_EXTENSIONS:
            return ImageSource(path)
        return VideoFileSource(path, realtime=realtime_video, loop=loop_video)
    if path.is_char_device() or "://" in spec:
        return CameraSource(cfg.model_copy(update={"source": spec}))
    raise SourceError(
        f"source not found: {spec} (expected a camera index, picamera2[:N], image, folder, video file or stream URL)"
    )
