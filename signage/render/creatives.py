"""Creatives ready to draw: a picture, a video or a text slide, at the screen's size.

A picture or video is laid out in the safe area the notice leaves free (layout.py) unless it
asks ``full_bleed``; text slides are in slides.py.

``prepare(spec, size)`` does all the slow work (reading, decoding, scaling, laying out
text) and returns a creative whose ``frame()`` is a full-screen opaque surface in the
display's pixel format, ready to blit. It runs off the render thread: image decoding and
scaling use OpenCV, which releases the GIL, so the render loop keeps its pace meanwhile.

A video decodes on its own thread into a one-slot newest-frame buffer, paced to the
video's own frame rate: when decoding falls behind, late frames are skipped (counted)
rather than slowing the video down, and the render loop never waits for a frame.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import threading
import time
from dataclasses import dataclass

import cv2
import numpy as np
import pygame

from signage.render.geometry import Rect, Size, parse_color
from signage.render.layout import content_box, is_portrait, place_in
from signage.values import CreativeSpec

log = logging.getLogger("signage.render")

class CreativeError(Exception):
    """A creative that cannot be shown; the message names the creative, the file and the reason."""


# ----------------------------------------------------------------------------- pictures


def read_picture(path: str) -> np.ndarray:
    """Decode an image file to BGR (or BGRA when it has transparency), 8 bits per channel.

    JPEGs are turned upright by their EXIF orientation. Raises CreativeError on any failure.
    """
    try:
        data = np.fromfile(path, dtype=np.uint8)
    except OSError as exc:
        raise CreativeError(f"{path}: cannot read: {exc.strerror or exc}") from None
    if data.size == 0:
        raise CreativeError(f"{path}: empty file")
    jpeg = data[:2].tobytes() == b"\xff\xd8"
    img = cv2.imdecode(data, cv2.IMREAD_COLOR if jpeg else cv2.IMREAD_UNCHANGED)
    if img is None:
        raise CreativeError(f"{path}: not a readable image (corrupt or unsupported format)")
    if img.dtype == np.uint16:
        img = (img >> 8).astype(np.uint8)
    elif img.dtype != np.uint8:
        raise CreativeError(f"{path}: unsupported pixel type {img.dtype}")
    if img.ndim == 2:
        img = cv2.cvtColor(img, cv2.COLOR_GRAY2BGR)
    elif img.shape[2] == 4 and int(img[:, :, 3].min()) == 255:
        img = img[:, :, :3]
    return np.ascontiguousarray(img)


def scale(img: np.ndarray, size: Size) -> np.ndarray:
    """Resize with area averaging when shrinking (no aliasing) and cubic when enlarging."""
    h, w = img.shape[:2]
    if (w, h) == tuple(size):
        return img
    shrinking = size[0] * size[1] < w * h
    return cv2.resize(img, size, interpolation=cv2.INTER_AREA if shrinking else cv2.INTER_CUBIC)


def compose_picture(img: np.ndarray, size: Size, mode: str, background: tuple[int, int, int],
                    box: Rect | None = None) -> np.ndarray:
    """The full-screen BGR picture: ``img`` placed by ``mode`` within ``box`` (default: the
    whole screen) over the background colour, which also fills the screen outside the box.

    Built with OpenCV calls, which release the GIL: preparing a picture on the preparer
    thread does not hold up the render loop.
    """
    w, h = size
    r, g, b = background
    (cx, cy, cw, ch), (tx, ty, tw, th) = place_in((img.shape[1], img.shape[0]), box or (0, 0, w, h), mode)
    part = scale(img[cy:cy + ch, cx:cx + cw], (tw, th))
    if part.shape[2] == 4:  # transparency: over the background colour
        colour = np.empty_like(part[:, :, :3])
        colour[:] = (b, g, r)
        alpha = part[:, :, 3].astype(np.float32) / 255.0
        part = cv2.blendLinear(np.ascontiguousarray(part[:, :, :3]), colour, alpha, 1.0 - alpha)
    if (tw, th) == (w, h):
        return np.ascontiguousarray(part)
    return cv2.copyMakeBorder(part, ty, h - th - ty, tx, w - tw - tx, cv2.BORDER_CONSTANT, value=(b, g, r))


def to_surface(bgr: np.ndarray) -> pygame.Surface:
    """A BGR array as an independent surface in the display's pixel format."""
    h, w = bgr.shape[:2]
    surf = pygame.image.frombuffer(np.ascontiguousarray(bgr).data, (w, h), "BGR")
    return surf.convert() if pygame.display.get_surface() is not None else surf.copy()


# ----------------------------------------------------------------------------- creatives


class Creative:
    """A prepared creative. ``frame()`` is always a full-screen opaque surface."""

    kind = "creative"

    def __init__(self, spec: CreativeSpec, size: Size) -> None:
        self.spec = spec
        self.size = size

    def start(self, t: float) -> None:
        """It is on screen from ``t`` (``time.perf_counter()``)."""

    def frame(self) -> pygame.Surface:
        raise NotImplementedError

    def close(self) -> None:
        """Release what it holds (threads, files)."""


class StillCreative(Creative):
    """An image or a text slide: one surface, drawn as it is."""

    def __init__(self, spec: CreativeSpec, size: Size, surface: pygame.Surface, kind: str) -> None:
        super().__init__(spec, size)
        self.surface = surface
        self.kind = kind

    def frame(self) -> pygame.Surface:
        return self.surface


def prepare_image(spec: CreativeSpec, size: Size, box: Rect) -> StillCreative:
    img = read_picture(spec.path)
    pic = compose_picture(img, size, spec.fit, parse_color(spec.background), box)
    return StillCreative(spec, size, to_surface(pic), "image")


def fit_frame_in_box(frame: np.ndarray, size: Size, box: Rect | None, mode: str,
                     background: tuple[int, int, int]) -> tuple[Rect, Rect, np.ndarray]:
    """Where a video's frames go: (crop in the frame, target on the screen, the first frame as
    a full-screen BGR canvas), laid out by ``mode`` within ``box`` (None: the whole screen)."""
    box = box or (0, 0, size[0], size[1])
    crop, target = place_in((frame.shape[1], frame.shape[0]), box, mode)
    return crop, target, compose_picture(frame, size, mode, background, box)


def creative_box(spec: CreativeSpec, size: Size, safe_bottom: int, safe_top: int) -> Rect:
    """Where a picture or video is laid out: the safe area, or the whole screen for full bleed."""
    if spec.full_bleed:
        return (0, 0, size[0], size[1])
    if safe_top:
        return content_box(size, safe_top, "top")
    return content_box(size, safe_bottom, "bottom")


def for_screen(spec: CreativeSpec, size: Size) -> CreativeSpec:
    """``spec`` with the file for this screen's orientation: its portrait variant on a screen
    taller than wide, when it has one."""
    if spec.portrait_path and is_portrait(size):
        return dataclasses.replace(spec, path=spec.portrait_path)
    return spec


# ----------------------------------------------------------------------------- video


@dataclass
class VideoStats:
    fps: float = 0.0
    decoded: int = 0  # frames decoded and published
    skipped: int = 0  # frames the decoder skipped because they were already late
    shown: int = 0  # distinct frames put on screen (the first one at the switch included)
    loops: int = 0


class VideoCreative(Creative):
    """A silent video: decoded on its own thread, paced to its own frame rate.

    The decoder publishes each frame, scaled into place, to a one-slot buffer at the time
    it is due. The render loop takes the newest frame when there is one and otherwise
    keeps the last: it never waits. A video shorter than its slot loops.
    """

    kind = "video"

    def __init__(self, spec: CreativeSpec, size: Size, at: float = 0.0, box: Rect | None = None) -> None:
        super().__init__(spec, size)
        self.stats = VideoStats()
        self._cap = cv2.VideoCapture(spec.path)
        if not self._cap.isOpened():
            raise CreativeError(f"{spec.path}: cannot open the video (missing, corrupt or unsupported)")
        fps = self._cap.get(cv2.CAP_PROP_FPS) or 0.0
        self.fps = fps if 1.0 <= fps <= 240.0 else 25.0
        self.stats.fps = self.fps
        self._bg = parse_color(spec.background)
        if at > 0:
            self._cap.set(cv2.CAP_PROP_POS_FRAMES, int(at * self.fps))
        self._index = int(at * self.fps) if at > 0 else 0
        ok, first = self._cap.read()
        if not ok or first is None:
            self._cap.release()
            raise CreativeError(f"{spec.path}: no frame could be decoded (corrupt or unsupported)")
        # The screen-sized canvas: letterbox once, then each frame is blitted into its place.
        self._crop, self._target, canvas = fit_frame_in_box(first, size, box, spec.fit, self._bg)
        self.canvas = to_surface(canvas)
        # When the screen's pixels are 32-bit XRGB (the usual case), the decoder hands over BGRA
        # rows that are copied straight into the canvas; otherwise a frame is blitted (converted).
        self._direct = self.canvas.get_bytesize() == 4 and self.canvas.get_masks()[:3] == (0xFF0000, 0xFF00, 0xFF)
        self._slot: np.ndarray | None = None  # newest frame not yet shown
        self._slot_lock = threading.Lock()
        self._go = threading.Event()
        self._stop = threading.Event()
        self._t0 = 0.0
        self._at = at
        self.ended = False
        self._thread = threading.Thread(target=self._run, name=f"video:{spec.id}", daemon=True)
        self._thread.start()

    def _fit(self, frame: np.ndarray) -> np.ndarray:
        cx, cy, cw, ch = self._crop
        part = frame[cy:cy + ch, cx:cx + cw]
        fitted = scale(part, (self._target[2], self._target[3]))
        return cv2.cvtColor(fitted, cv2.COLOR_BGR2BGRA) if self._direct else np.ascontiguousarray(fitted)

    def start(self, t: float) -> None:
        self._t0 = t - self._at
        self.stats.shown = 1  # the first frame is in the canvas from the switch on
        self._go.set()

    def _run(self) -> None:
        while not self._go.wait(0.05):
            if self._stop.is_set():
                return
        period = 1.0 / self.fps
        nxt = self._index + 1  # the frame at _index is already in the canvas
        empty_loops = 0
        decoded_this_loop = 0
        while not self._stop.is_set():
            due = self._t0 + nxt * period
            late = time.perf_counter() > due + period
            if late:  # already a frame late: skip it without converting its pixels
                ok, frame = self._cap.grab(), None
            else:
                ok, frame = self._cap.read()
            if not ok:
                # End of the file (or a broken tail): loop from the first frame, keeping the timeline.
                empty_loops = empty_loops + 1 if decoded_this_loop == 0 else 0
                if empty_loops >= 2 or not self._cap.set(cv2.CAP_PROP_POS_FRAMES, 0):
                    log.warning("video %s: cannot decode %s any further; holding its last frame", self.spec.id, self.spec.path)
                    return
                self._t0 += nxt * period
                nxt, decoded_this_loop = 0, 0
                self.ended = True
                self.stats.loops += 1
                continue
            decoded_this_loop += 1
            if late:
                self.stats.skipped += 1
                nxt += 1
                continue
            fitted = self._fit(frame)
            wait = due - time.perf_counter()
            if wait > 0 and self._stop.wait(wait):
                return
            with self._slot_lock:
                self._slot = fitted
            self.stats.decoded += 1
            nxt += 1

    def frame(self) -> pygame.Surface:
        with self._slot_lock:
            fresh, self._slot = self._slot, None
        if fresh is not None:
            tx, ty, tw, th = self._target
            if self._direct:
                buf = self.canvas.get_buffer()  # locks the canvas until released below
                rows = np.frombuffer(buf, np.uint8).reshape(self.size[1], self.canvas.get_pitch() // 4, 4)
                rows[ty:ty + th, tx:tx + tw] = fresh
                del rows, buf
            else:
                self.canvas.blit(pygame.image.frombuffer(fresh.data, (tw, th), "BGR"), (tx, ty))
            self.stats.shown += 1
        return self.canvas

    def close(self) -> None:
        self._stop.set()
        self._go.set()
        if self._thread.is_alive() and self._thread is not threading.current_thread():
            self._thread.join(timeout=2.0)
        self._cap.release()


# ----------------------------------------------------------------------------- factory


def prepare(spec: CreativeSpec, size: Size, *, safe_bottom: int = 0, safe_top: int = 0, at: float = 0.0) -> Creative:
    """Load and lay out ``spec`` for a ``size`` screen. Raises CreativeError naming the creative.

    ``safe_top``/``safe_bottom``: pixels kept clear for the notice (where its band goes): a
    picture or video is laid out in the rest (unless ``full_bleed``), a text slide's words too.
    """
    from signage.render.slides import prepare_text

    spec = for_screen(spec, size)
    box = creative_box(spec, size, safe_bottom, safe_top)
    try:
        if spec.kind in ("image", "video") and spec.path and not os.path.isfile(spec.path):
            raise CreativeError(f"{spec.path}: file not found")
        if spec.kind == "image":
            return prepare_image(spec, size, box)
        if spec.kind == "video":
            return VideoCreative(spec, size, at=at, box=box)
        if spec.kind == "text":
            return prepare_text(spec, size, safe_bottom, safe_top)
        raise CreativeError(f"unknown kind {spec.kind!r}")
    except CreativeError as exc:
        raise CreativeError(f"creative {spec.id!r}: {exc}") from None
    except (ValueError, cv2.error, pygame.error, MemoryError) as exc:
        raise CreativeError(f"creative {spec.id!r}: {spec.path or ''}: {exc}".replace(": :", ":")) from None
