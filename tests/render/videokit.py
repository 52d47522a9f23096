"""Test videos whose frames say their number: a barcode in the top-right corner, read back
off the surface that was flipped, so what reaches the screen can be counted exactly.

The code is 12 bits in one row of blocks and their complements in the row under it (a
block pair that does not differ means "no code here": letterbox, slate, another creative).
"""

from __future__ import annotations

import threading
from pathlib import Path

import cv2
import numpy as np
import pygame

BITS = 12


def _grid(w: int, h: int) -> tuple[int, int, int, int]:
    """Block width and height, and the code's left and top edge in a w x h frame."""
    bw, bh = max(4, w // 40), max(4, h // 22)
    return bw, bh, w - bw * (BITS + 1), bh // 2


def synthetic_frame(n: int, size: tuple[int, int], base: np.ndarray | None = None) -> np.ndarray:
    """Frame ``n`` (BGR): a moving pattern, its number as a barcode."""
    w, h = size
    if base is None:
        base = pattern(size)
    img = np.roll(base, n * max(1, w // 240), axis=1)
    bw, bh, x0, y0 = _grid(w, h)
    img[y0 - 2:y0 + 2 * bh + 2, x0 - 2:x0 + BITS * bw + 2] = 128
    for i in range(BITS):
        bit = (n >> (BITS - 1 - i)) & 1
        x = x0 + i * bw
        img[y0:y0 + bh, x:x + bw] = 255 if bit else 0
        img[y0 + bh:y0 + 2 * bh, x:x + bw] = 0 if bit else 255
    return img


def pattern(size: tuple[int, int]) -> np.ndarray:
    w, h = size
    x = np.linspace(0, 6 * np.pi, w, dtype=np.float32)[None, :]
    y = np.linspace(0, 3 * np.pi, h, dtype=np.float32)[:, None]
    b = (np.sin(x) * np.cos(y) * 100 + 128).astype(np.uint8)
    g = (np.cos(x * 0.5 + y) * 90 + 120).astype(np.uint8)
    r = np.broadcast_to(np.linspace(40, 220, w, dtype=np.float32)[None, :].astype(np.uint8), (h, w))
    return np.ascontiguousarray(np.dstack([b, g, r]))


def read_code(surface: pygame.Surface, rect: tuple[int, int, int, int], rotation: int = 0) -> int | None:
    """The frame number in ``rect`` (x, y, w, h: where the video is, upright) of ``surface``,
    or None. ``rotation``: the surface is the panel, the picture turned clockwise by it."""
    x0r, y0r, w, h = rect
    bw, bh, x0, y0 = _grid(w, h)
    pw, ph = surface.get_size()
    n = 0
    for i in range(BITS):
        cx = x0r + x0 + i * bw + bw // 2
        top = _lum(surface, _panel_xy(cx, y0r + y0 + bh // 2, rotation, pw, ph))
        bottom = _lum(surface, _panel_xy(cx, y0r + y0 + bh + bh // 2, rotation, pw, ph))
        if abs(top - bottom) < 100:
            return None
        n = n * 2 + (top > bottom)
    return n


def _panel_xy(x: int, y: int, rotation: int, pw: int, ph: int) -> tuple[int, int]:
    """Where the upright picture's (x, y) lands on a panel turned clockwise by ``rotation``."""
    if rotation == 90:
        return pw - 1 - y, x
    if rotation == 180:
        return pw - 1 - x, ph - 1 - y
    if rotation == 270:
        return y, ph - 1 - x
    return x, y


def _lum(surface: pygame.Surface, xy: tuple[int, int]) -> int:
    c = surface.get_at(xy)
    return (c.r + c.g + c.b) // 3


class SyntheticSource:
    """A ``FrameSource`` of ``count`` numbered frames made in memory. From frame ``stall_at``
    on, each read waits for a permit (``release(n)``; ``unstall()`` lets all through): the
    decoder stalls while the test holds them."""

    def __init__(self, count: int, fps: float, size: tuple[int, int] = (320, 180),
                 stall_at: int | None = None) -> None:
        self.count, self.fps, self.size, self.stall_at = count, fps, size, stall_at
        self._base = pattern(size)
        self._permits = threading.Semaphore(0)
        self._open = threading.Event()
        self.next = 0
        self.reads = 0
        self.closed = False

    def release(self, n: int = 1) -> None:
        self._permits.release(n)

    def unstall(self) -> None:
        self._open.set()
        self._permits.release(10_000)

    def read(self) -> np.ndarray | None:
        if self.stall_at is not None and self.next >= self.stall_at and not self._open.is_set():
            while not self._permits.acquire(timeout=0.1):
                if self.closed:
                    return None
        if self.next >= self.count:
            return None
        frame = synthetic_frame(self.next, self.size, self._base)
        self.next += 1
        self.reads += 1
        return frame

    def skip(self) -> bool:
        if self.next >= self.count:
            return False
        self.next += 1
        return True

    def seek(self, index: int) -> bool:
        self.next = index
        return True

    def close(self) -> None:
        self.closed = True


def write_clip(path: Path, count: int, fps: float, size: tuple[int, int]) -> Path:
    """An mp4v file of ``count`` numbered frames (the codec this OpenCV build can write)."""
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), fps, size)
    if not writer.isOpened():
        raise RuntimeError(f"cannot write {path} with mp4v")
    base = pattern(size)
    for n in range(count):
        writer.write(synthetic_frame(n, size, base))
    writer.release()
    return path
