"""A live camera as a frame source (``CameraSource``: an index, a device path or a stream URL,
through OpenCV) that reconnects on its own: a supervisor thread opens the device with
backoff, a reader thread per connection reads it into the newest-frame mailbox, a stall is
a failure; ``read()`` never raises. State changes are logged once each."""

from __future__ import annotations

import re
import threading
import time
from typing import Callable, Protocol

import cv2
import numpy as np

from signage.config import CameraConfig
from signage.sensing.sources.base import FrameSource, SourceError, SourceStats, bgr, log
from signage.sensing.sources.mailbox import Mailbox
from signage.sensing.types import Frame


def _camera_name(source: int | str) -> str:
    """'camera 0' for an index; the path or URL otherwise, without any password in it."""
    if isinstance(source, int):
        return f"camera {source}"
    return re.sub(r"://[^/@]*@", "://***@", source)


class Capture(Protocol):
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
        self._mailbox = Mailbox()
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

    def _connect(self) -> tuple[Capture, str]:
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

    def _open(self) -> tuple[Capture | None, str | None]:
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

    def _pump(self, cap: Capture) -> str | None:
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

    def _read_loop(self, cap: Capture, conn: _Connection) -> None:
        try:
            while not conn.abandon.is_set():
                ok, image = cap.read()
                if conn.abandon.is_set():
                    break
                if not ok or image is None:
                    conn.error = "read failed (device unplugged or stream ended)"
                    break
                conn.last_frame_at = now = time.monotonic()
                self._mailbox.put(Frame(bgr(image), now - self._t0, self._captured, self.name))
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
