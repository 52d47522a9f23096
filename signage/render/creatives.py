"""Creatives ready to draw: a picture, a video or a text slide, at the screen's size.

``prepare(spec, size)`` does all the slow work (reading, decoding, scaling, laying out
text) and returns a creative whose ``frame()`` is a full-screen opaque surface in the
display's pixel format, ready to blit. It runs off the render thread: image decoding and
scaling use OpenCV, which releases the GIL, so the render loop keeps its pace meanwhile.

A video (signage/render/video.py) decodes ahead on its own thread; the render loop
never waits for a frame.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass

import cv2
import numpy as np
import pygame

from signage.render.fonts import font, px_for_cap
from signage.render.geometry import Size, contrast_ratio, parse_color, place, relative_luminance
from signage.render.linebreak import wrap_text
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


def compose_picture(img: np.ndarray, size: Size, mode: str, background: tuple[int, int, int]) -> np.ndarray:
    """The full-screen BGR picture: ``img`` placed by ``mode`` over the letterbox colour.

    Built with OpenCV calls, which release the GIL: preparing a picture on the preparer
    thread does not hold up the render loop.
    """
    w, h = size
    r, g, b = background
    (cx, cy, cw, ch), (tx, ty, tw, th) = place((img.shape[1], img.shape[0]), size, mode)
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


def prepare_image(spec: CreativeSpec, size: Size) -> StillCreative:
    img = read_picture(spec.path)
    pic = compose_picture(img, size, spec.fit, parse_color(spec.background))
    return StillCreative(spec, size, to_surface(pic), "image")


# ----------------------------------------------------------------------------- text slides


@dataclass(frozen=True)
class TextLayout:
    headline_px: int
    body_px: int
    headline: list[str]
    body: list[str]


def layout_text(headline: str, body: str | None, box: Size, min_body_px: int = 12) -> TextLayout:
    """The largest type for which the headline (at most 3 lines) and the body fit in ``box``.

    The headline starts at a fifth of the box height (caps about a tenth); the body is 45%
    of the headline's size but never under ``min_body_px`` (readable from a few metres).
    Sizes shrink together until both fit; the headline never goes below the body's floor.
    """
    bw, bh = box
    px = max(min_body_px, int(bh * 0.20))
    while True:
        body_px = min(px, max(int(px * 0.45), min_body_px))
        hf, bf = font(px), font(body_px)
        hl = wrap_text(headline, lambda s: hf.size(s)[0], bw)
        bl = wrap_text(body, lambda s: bf.size(s)[0], bw) if body else []
        height = len(hl) * hf.get_linesize() + (int(px * 0.55) + len(bl) * int(bf.get_linesize() * 1.15) if bl else 0)
        widest = max([hf.size(s)[0] for s in hl] + [bf.size(s)[0] for s in bl] + [0])
        if (height <= bh and widest <= bw and len(hl) <= 3) or px <= min_body_px:
            return TextLayout(px, body_px, hl, bl)
        px = max(min_body_px, int(px * 0.92))


def slide_gradient(color: tuple[int, int, int], size: Size) -> np.ndarray:
    """A text slide's ground: its colour, a touch lighter at the top and darker at the bottom."""
    w, h = size
    b, g, r = color[2], color[1], color[0]
    base = np.array([b, g, r], np.float32)
    top, bottom = base + (255 - base) * 0.06, base * 0.82
    t = np.linspace(0.0, 1.0, h, dtype=np.float32)[:, None]
    column = np.clip(top * (1 - t) + bottom * t + 0.5, 0, 255).astype(np.uint8)[:, None, :]
    return cv2.resize(column, (w, h), interpolation=cv2.INTER_NEAREST)


def render_text_slide(spec: CreativeSpec, size: Size, safe_bottom: int, safe_top: int = 0) -> pygame.Surface:
    """Headline, an accent rule and the body, wrapped and aligned, over a colour or a picture."""
    w, h = size
    bg = parse_color(spec.background)
    color = parse_color(spec.color)
    accent = parse_color(spec.accent) if spec.accent else color
    if spec.background_image:
        pic = compose_picture(read_picture(spec.background_image), size, "fill", bg)
        # A scrim keeps the words readable over any picture: darken under light text, lighten under dark.
        if relative_luminance(color) > 0.4:
            pic = cv2.convertScaleAbs(pic, alpha=170 / 255)
        else:
            pic = cv2.convertScaleAbs(pic, alpha=150 / 255, beta=105)
        surf = to_surface(pic)
    else:
        surf = to_surface(slide_gradient(bg, size))
    margin_x = int(w * 0.08)
    top = safe_top + int(h * 0.09)
    bottom = h - safe_bottom - int(h * 0.05)
    box = (w - 2 * margin_x, max(10, bottom - top))
    # Body text: capitals at least 26 px on a 1080-line screen (a little above the notice's 22).
    lay = layout_text(spec.headline, spec.body, box, min_body_px=px_for_cap(round(26 * min(size) / 1080)))
    hf, bf = font(lay.headline_px), font(lay.body_px)
    gap = int(lay.headline_px * 0.55)
    block = len(lay.headline) * hf.get_linesize() + (gap + len(lay.body) * int(bf.get_linesize() * 1.15) if lay.body else 0)
    y = top + (box[1] - block) // 2  # the block is centred in the space above the notice

    def x_for(line_w: int) -> int:
        if spec.align == "left":
            return margin_x
        if spec.align == "right":
            return w - margin_x - line_w
        return (w - line_w) // 2

    for line in lay.headline:
        img = hf.render(line, True, color)
        surf.blit(img, (x_for(img.get_width()), y))
        y += hf.get_linesize()
    if lay.body:
        # The accent: a short rule between the headline and the body.
        rule_w, rule_h = max(40, int(w * 0.06)), max(3, int(lay.headline_px * 0.07))
        ry = y + (gap - rule_h) // 2
        surf.fill(accent, (x_for(rule_w), ry, rule_w, rule_h))
        y += gap
        body_color = accent if spec.accent and contrast_ratio(accent, bg) >= 4.5 and not spec.background_image else color
        for line in lay.body:
            img = bf.render(line, True, body_color)
            surf.blit(img, (x_for(img.get_width()), y))
            y += int(bf.get_linesize() * 1.15)
    return surf


def prepare_text(spec: CreativeSpec, size: Size, safe_bottom: int, safe_top: int = 0) -> StillCreative:
    return StillCreative(spec, size, render_text_slide(spec, size, safe_bottom, safe_top), "text")


# ----------------------------------------------------------------------------- factory


def prepare(spec: CreativeSpec, size: Size, *, safe_bottom: int = 0, safe_top: int = 0, at: float = 0.0) -> Creative:
    """Load and lay out ``spec`` for a ``size`` screen. Raises CreativeError naming the creative.

    ``safe_top``/``safe_bottom``: pixels a text slide keeps clear (where the notice goes).
    """
    try:
        if spec.kind in ("image", "video") and spec.path and not os.path.isfile(spec.path):
            raise CreativeError(f"{spec.path}: file not found")
        if spec.kind == "image":
            return prepare_image(spec, size)
        if spec.kind == "video":
            from signage.render.video import VideoCreative  # it builds on this module

            return VideoCreative(spec, size, at=at)
        if spec.kind == "text":
            return prepare_text(spec, size, safe_bottom, safe_top)
        raise CreativeError(f"unknown kind {spec.kind!r}")
    except CreativeError as exc:
        raise CreativeError(f"creative {spec.id!r}: {exc}") from None
    except (ValueError, cv2.error, pygame.error, MemoryError) as exc:
        raise CreativeError(f"creative {spec.id!r}: {spec.path or ''}: {exc}".replace(": :", ":")) from None
