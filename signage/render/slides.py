"""Text slides: a headline, an accent rule and the body, wrapped, aligned and set as large as
fits in the part of the screen the notice leaves free, over a colour gradient or a picture.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
import pygame

from signage.render.creatives import StillCreative, compose_picture, read_picture, to_surface
from signage.render.fonts import font, px_for_cap
from signage.render.geometry import Size, contrast_ratio, parse_color, relative_luminance
from signage.render.layout import is_portrait
from signage.render.linebreak import wrap_text
from signage.values import CreativeSpec


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


def background_for(spec: CreativeSpec, size: Size) -> str | None:
    """The slide's background picture for this screen: its portrait variant on a screen taller
    than wide (the upright size, after rotation) when it has one, else ``background_image``."""
    if spec.portrait_background_image and is_portrait(size):
        return spec.portrait_background_image
    return spec.background_image


def render_text_slide(spec: CreativeSpec, size: Size, safe_bottom: int, safe_top: int = 0) -> pygame.Surface:
    """Headline, an accent rule and the body, wrapped and aligned, over a colour or a picture.

    The words always keep clear of the notice (``safe_top``/``safe_bottom`` px). A background
    picture fills the safe area (the band's strip is the slide colour), or the whole screen
    when the slide asks ``full_bleed``; a portrait screen takes its portrait variant.
    """
    w, h = size
    bg = parse_color(spec.background)
    color = parse_color(spec.color)
    accent = parse_color(spec.accent) if spec.accent else color
    picture = background_for(spec, size)
    if picture:
        box = (0, 0, w, h) if spec.full_bleed else (0, safe_top, w, h - safe_top - safe_bottom)
        pic = compose_picture(read_picture(picture), size, "fill", bg, box)
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
