"""The interface every frame source has (``FrameSource``: ``read``, ``close``, ``stats``), its
counters (``SourceStats``), the error of a source that cannot be used (``SourceError``), and
the pixel conversion the streams share (``bgr``). No frame is written anywhere."""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from dataclasses import dataclass

import cv2
import numpy as np

from signage.sensing.types import Frame

log = logging.getLogger("signage.sensing.sources")  # one logger for every source (the name operators grep for)

# OpenCV prints its own warning on every failed open, so a camera retried with backoff
# would fill the journal with the same lines. The sources report each state change once
# through `log` instead, with the reason.
if hasattr(cv2, "setLogLevel"):
    cv2.setLogLevel(0)  # 0 = silent


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


def bgr(img: np.ndarray) -> np.ndarray:
    """OpenCV captures are BGR already; a few devices deliver grey or BGRA pictures."""
    if img.ndim == 2 or img.shape[2] == 1:
        return cv2.cvtColor(img, cv2.COLOR_GRAY2BGR)
    if img.shape[2] == 4:
        return cv2.cvtColor(img, cv2.COLOR_BGRA2BGR)
    return img
