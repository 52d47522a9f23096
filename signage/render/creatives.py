"""Creatives ready to draw: a picture, a video or a text slide, at the screen's size.

A picture or video is laid out in the safe area the notice leaves free (layout.py) unless it
asks ``full_bleed``; text slides are in slides.py.

``prepare(spec, size)`` does all the slow work (reading, decoding, scaling, laying out
text) and returns a creative whose ``frame()`` is a full-screen opaque surface in the
display's pixel format, ready to blit. It runs off the render thread: image decoding and
scaling use OpenCV, which releases the GIL, so the render loop keeps its pace meanwhile.

A video (signage/render/video.py) decodes ahead on its own thread; the render loop
never waits for a frame.
"""

from __future__ import annotations

import dataclasses
import logging
import os
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
            from signage.render.video import VideoCreative  # it builds on this module

            return VideoCreative(spec, size, at=at, box=box)
        if spec.kind == "text":
            return prepare_text(spec, size, safe_bottom, safe_top)
        raise CreativeError(f"unknown kind {spec.kind!r}")
    except CreativeError as exc:
        raise CreativeError(f"creative {spec.id!r}: {exc}") from None
    except (ValueError, cv2.error, pygame.error, MemoryError) as exc:
        raise CreativeError(f"creative {spec.id!r}: {spec.path or ''}: {exc}".replace(": :", ":")) from None
