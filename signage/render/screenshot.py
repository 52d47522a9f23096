"""A screenshot of what the screen shows: the last presented frame, with the privacy notice
(drawn last on every frame), as PNG. Never a camera frame: render never sees one.

Any thread calls ``request()``; the render loop calls ``presented(canvas)`` after each present,
which costs one check of a list unless a screenshot was asked for: then it copies the canvas
(a few milliseconds) and the PNG is encoded on the asking thread, not on the render loop.
"""

from __future__ import annotations

import io
import threading
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout

import pygame


class ScreenshotTimeout(TimeoutError):
    """No frame was presented in time (the render loop is stopped or stuck)."""


class ScreenshotHook:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._waiting: list[Future] = []

    def request(self, timeout_s: float = 5.0) -> bytes:
        """The next presented frame as PNG bytes; ScreenshotTimeout when none comes in time."""
        fut: Future = Future()
        with self._lock:
            self._waiting.append(fut)
        try:
            surface = fut.result(timeout_s)
        except FutureTimeout:
            with self._lock:
                if fut in self._waiting:
                    self._waiting.remove(fut)
            raise ScreenshotTimeout(f"no frame presented within {timeout_s:g} s (is the player running?)") from None
        out = io.BytesIO()
        pygame.image.save(surface, out, "screenshot.png")
        return out.getvalue()

    def presented(self, canvas: pygame.Surface) -> None:
        """Called by the render loop after each present (the canvas: the upright picture shown)."""
        if not self._waiting:
            return
        with self._lock:
            waiting, self._waiting = self._waiting, []
        copy = canvas.copy()
        for fut in waiting:
            fut.set_result(copy)
