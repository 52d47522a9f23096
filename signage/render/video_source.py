"""Where a video's frames come from: OpenCV's FFmpeg backend, with FFmpeg's own threads.

``FrameSource`` is what ``VideoCreative`` needs of a decoder (tests give it one that makes
frames in memory). ``CvSource`` asks FFmpeg for ``DECODE_THREADS`` threads and for
hardware decoding where OpenCV has it (``VIDEO_ACCELERATION_ANY``: VA-API, D3D11 or
Media SDK in OpenCV's build; nothing on a machine without them, and it falls back to
software by itself). Which boards decode what in hardware: docs/screen.md, "Video".
"""

from __future__ import annotations

import logging
import os
from typing import Protocol

import cv2
import numpy as np

log = logging.getLogger("signage.render")

# FFmpeg's decoding threads: one per core, at least 2, at most 4. On this project's 2-core
# machine, beside sensing, 2 threads kept 97-98% of a 1080p60 video's frames where 1 kept
# 73-80% (BENCHMARKS.md, "Video"), though a decoding loop alone ran as fast with 1.
DECODE_THREADS = max(2, min(4, os.cpu_count() or 1))


class FrameSource(Protocol):
    fps: float

    def read(self) -> np.ndarray | None:
        """The next frame (BGR), or None at the end or on a broken frame."""

    def skip(self) -> bool:
        """Pass over the next frame without converting it; False at the end."""

    def seek(self, index: int) -> bool:
        """Go to frame ``index`` (0: the start)."""

    def close(self) -> None: ...


class CvSource:
    """A video file decoded by OpenCV's FFmpeg backend."""

    def __init__(self, cap: cv2.VideoCapture, path: str) -> None:
        self._cap = cap
        self.path = path
        self.fps = cap.get(cv2.CAP_PROP_FPS) or 0.0
        self.hardware = int(cap.get(cv2.CAP_PROP_HW_ACCELERATION) or 0)  # 0: software
        self.threads = int(cap.get(cv2.CAP_PROP_N_THREADS) or 0)

    @classmethod
    def open(cls, path: str, threads: int | None = None, hardware: bool = True) -> "CvSource":
        from signage.render.creatives import CreativeError

        threads = threads or DECODE_THREADS
        params = [cv2.CAP_PROP_N_THREADS, threads]
        if hardware:
            params += [cv2.CAP_PROP_HW_ACCELERATION, cv2.VIDEO_ACCELERATION_ANY]
        cap = cv2.VideoCapture(path, cv2.CAP_FFMPEG, params)
        if not cap.isOpened() and hardware:
            cap.release()
            cap = cv2.VideoCapture(path, cv2.CAP_FFMPEG, [cv2.CAP_PROP_N_THREADS, threads])
        if not cap.isOpened():
            cap.release()
            raise CreativeError(f"{path}: cannot open the video (missing, corrupt or unsupported)")
        return cls(cap, path)

    def read(self) -> np.ndarray | None:
        ok, frame = self._cap.read()
        return frame if ok and frame is not None else None

    def skip(self) -> bool:
        return bool(self._cap.grab())

    def seek(self, index: int) -> bool:
        return bool(self._cap.set(cv2.CAP_PROP_POS_FRAMES, index))

    def close(self) -> None:
        self._cap.release()
