"""A video file as a frame source (``VideoFileSource``), decoded with OpenCV: every frame as
fast as the consumer reads, or played in real time like a camera, once or looped."""

from __future__ import annotations

import math
import os
import threading
import time
from pathlib import Path

import cv2
import numpy as np

from signage.sensing.sources.base import FrameSource, SourceError, SourceStats, bgr, log
from signage.sensing.sources.mailbox import Mailbox
from signage.sensing.types import Frame

FALLBACK_FPS = 30.0


def _container_fps(cap: cv2.VideoCapture) -> float:
    fps = cap.get(cv2.CAP_PROP_FPS)
    # Containers without a frame rate report 0; some report a time base such as 90000.
    return fps if math.isfinite(fps) and 0 < fps <= 1000 else FALLBACK_FPS



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
        self._mailbox = Mailbox()
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
        frame = Frame(bgr(image), self._decoded / self.fps, self._decoded, self.name)
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
