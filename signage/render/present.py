"""How the composed picture reaches the panel: on the CPU (the surface path) or by SDL's
renderer on the GPU (the renderer path). ``display.compositor`` chooses (docs/screen.md).

Both take the upright canvas the screen composed (creative, overlay, notice last) and put it
on the panel whole, turned clockwise by the display's rotation:

- ``SurfacePresenter``: OpenCV turns the canvas into the window's surface (when rotated), and
  ``pygame.display.flip()`` shows it.
- ``RendererPresenter``: the window has an SDL renderer (OpenGL or OpenGL ES where the platform
  has one; pygame's SCALED mode creates it); the canvas is uploaded into one streaming texture,
  drawn turned by the renderer (90 and 270 by angle about the texture's corner, 180 by flipping
  both ways: exact, no filtering), scaled by the renderer when the output is larger than the
  picture (full screen at a mode other than the desktop's), and presented. A frame that did not
  change is drawn again from the texture without uploading it.

Tests and benchmarks read back what was presented (``readback``): the window surface on the
surface path, SDL_RenderReadPixels just before the present on the renderer path.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

import cv2
import numpy as np
import pygame

from signage.render.geometry import Rect, Size

log = logging.getLogger("signage.render")

# SDL_RendererFlags
SDL_RENDERER_SOFTWARE = 0x1
SDL_RENDERER_ACCELERATED = 0x2
SDL_RENDERER_PRESENTVSYNC = 0x4
_BLENDMODE_NONE = 0  # the canvas's fourth byte is not an alpha channel: copy, never blend


@dataclass(frozen=True)
class Choice:
    """Which path composes the frames, and the one log line that says why."""

    renderer: bool
    message: str
    warning: bool = False  # "gpu" was asked for and is not there


def choose(asked: str, info: tuple[str, int] | None, *, driver: str, allow_software: bool = False,
           error: str = "") -> Choice:
    """The path for ``display.compositor = asked``, given the renderer SDL created for the window
    (``info``: its name and SDL_RendererFlags; None when none could be created, ``error`` saying
    why). "auto" takes an accelerated renderer; "gpu" too, and says so loudly when there is none;
    SDL's software renderer only when ``allow_software`` (tests and benchmarks on the dummy driver)."""
    if asked == "surface":
        return Choice(False, 'display: composition on the CPU (display.compositor = "surface")')
    if info is None:
        why = f"no SDL renderer on the {driver} driver ({error or 'unknown reason'})"
    else:
        name, flags = info
        if flags & SDL_RENDERER_ACCELERATED and name != "software":
            return Choice(True, f"display: composition on the GPU (SDL renderer {name}"
                                f"{', vsync' if flags & SDL_RENDERER_PRESENTVSYNC else ''})")
        if allow_software:
            return Choice(True, f"display: composition by SDL's {name} renderer (not accelerated; "
                                "allowed for tests and benchmarks)")
        why = f"SDL offers only its {name} renderer (not accelerated) on the {driver} driver"
    if asked == "gpu":
        return Choice(False, f'display: display.compositor = "gpu", but {why}; composing on the CPU '
                             "(surface path) instead", warning=True)
    return Choice(False, f'display: display.compositor = "auto": {why}; composing on the CPU (surface path)')


def panel_rect(rect: Rect, rotation: int, panel: Size) -> Rect:
    """Where the upright picture's ``rect`` lands on a ``panel`` that shows it turned clockwise
    by ``rotation`` (the picture's (x, y) goes to (pw-1-y, x) at 90)."""
    x, y, w, h = rect
    pw, ph = panel
    if rotation == 90:
        return (pw - y - h, x, h, w)
    if rotation == 180:
        return (pw - x - w, ph - y - h, w, h)
    if rotation == 270:
        return (y, ph - x - w, h, w)
    return rect


_CV_TURN = {90: cv2.ROTATE_90_CLOCKWISE, 180: cv2.ROTATE_180, 270: cv2.ROTATE_90_COUNTERCLOCKWISE}


def turn(src: pygame.Surface, dst: pygame.Surface, rotation: int) -> None:
    """``src`` turned clockwise by ``rotation`` into ``dst`` (the panel).

    32-bit pixels of the same layout (the usual case) are turned by OpenCV straight into the
    panel's pixels, as 32-bit words: no new surface per frame, and the GIL is released while
    it runs (a quarter of pygame's time at 1080p; BENCHMARKS.md). Otherwise pygame turns it.
    """
    if src.get_bytesize() == 4 and dst.get_bytesize() == 4 and src.get_masks() == dst.get_masks():
        sbuf, dbuf = src.get_buffer(), dst.get_buffer()  # both locked until released below
        (sw, sh), (dw, dh) = src.get_size(), dst.get_size()
        s = np.frombuffer(sbuf, np.int32).reshape(sh, src.get_pitch() // 4)[:, :sw]
        d = np.frombuffer(dbuf, np.int32).reshape(dh, dst.get_pitch() // 4)[:, :dw]
        cv2.rotate(s, _CV_TURN[rotation], dst=d)
        del s, d, sbuf, dbuf
        return
    # pygame turns counter-clockwise; rotation is clockwise.
    if rotation == 180:
        turned = pygame.transform.flip(src, True, True)
    else:
        turned = pygame.transform.rotate(src, -rotation)
    dst.blit(turned, (0, 0))


class SurfacePresenter:
    """Today's path: the canvas turned into the window surface on the CPU, then flipped."""

    path = "surface"
    name = "surface"

    def __init__(self, surface: pygame.Surface, canvas: pygame.Surface, rotation: int) -> None:
        self.surface, self.canvas, self.rotation = surface, canvas, rotation
        self.readback_cpu_s = 0.0  # nothing to read back: the window surface is the panel's image

    def present(self, unchanged: bool, readback: Rect | bool | None = None) -> None:
        """``unchanged``: the canvas is as at the last present, so the panel already holds it turned."""
        if self.rotation and not unchanged:
            turn(self.canvas, self.surface, self.rotation)
        pygame.display.flip()

    def reshow(self) -> None:
        pygame.display.flip()

    def panel_image(self) -> pygame.Surface:
        return self.surface

    def close(self) -> None:
        pass


class RendererPresenter:
    """The canvas uploaded into a streaming texture, turned and presented by SDL's renderer."""

    path = "renderer"

    def __init__(self, window, surface: pygame.Surface, canvas: pygame.Surface, rotation: int, name: str) -> None:
        from pygame._sdl2.video import Renderer, Texture

        if canvas.get_bytesize() != 4 or canvas.get_masks()[:3] != (0xFF0000, 0xFF00, 0xFF):
            raise ValueError(f"the canvas's pixels are not 32-bit XRGB (masks {canvas.get_masks()})")
        self.name = name
        self.surface, self.canvas, self.rotation = surface, canvas, rotation
        self._window = window
        self._renderer = Renderer.from_window(window)  # pygame's own (SCALED); freed with the display
        self._texture = Texture(self._renderer, canvas.get_size(), streaming=True)
        self._texture.blend_mode = _BLENDMODE_NONE
        pw, ph = self.panel_size = surface.get_size()
        cw, ch = canvas.get_size()
        # Turned about the texture's top-left corner, so every pixel lands on a whole pixel:
        # 90 clockwise puts the canvas's (u, v) at (pw - v, u), 270 at (v, ph - u).
        self._draw_args = {0: {"dstrect": (0, 0, cw, ch)},
                           90: {"dstrect": (pw, 0, cw, ch), "angle": 90.0, "origin": (0, 0)},
                           180: {"dstrect": (0, 0, cw, ch), "flip_x": True, "flip_y": True},
                           270: {"dstrect": (0, ph, cw, ch), "angle": 270.0, "origin": (0, 0)}}[rotation]
        self._readback: pygame.Surface | None = None
        self.readback_cpu_s = 0.0  # the render thread's CPU time reading the last frame back
        self._failed: SurfacePresenter | None = None  # the renderer failed: the surface path from then on

    def present(self, unchanged: bool, readback: Rect | bool | None = None) -> None:
        """Upload the canvas (unless ``unchanged``), draw it turned, read it back when asked
        (True: the whole panel; a rect: that part of the panel), present."""
        if self._failed is not None:
            self._failed.present(unchanged)
            return
        try:
            if not unchanged:
                self._texture.update(self.canvas)
            self._draw()
            if readback:
                self._read(None if readback is True else readback)
        except pygame.error as exc:  # a lost device, a driver error: the frame still reaches the panel
            log.warning("display: the SDL renderer failed (%s); composing on the CPU (surface path) from now on", exc)
            self._failed = SurfacePresenter(self.surface, self.canvas, self.rotation)
            self._failed.present(False)
            return
        self._renderer.present()

    def _draw(self) -> None:
        r = self._renderer
        r.draw_color = (0, 0, 0, 255)
        r.clear()
        self._texture.draw(**self._draw_args)

    def reshow(self) -> None:
        """Present the last frame again (after the window is shown), without uploading it."""
        self.present(True)

    def _read(self, area: Rect | None) -> None:
        c0 = time.thread_time()
        if self._readback is None:
            self._readback = pygame.Surface(self.panel_size, 0, 32)
        if area is None:
            self._renderer.to_surface(self._readback)
        else:
            self._renderer.to_surface(self._readback.subsurface(area), pygame.Rect(area))
        self.readback_cpu_s = time.thread_time() - c0

    def panel_image(self) -> pygame.Surface:
        """What the last present showed, as read back (``readback`` must have asked for it)."""
        if self._failed is not None:
            return self.surface
        if self._readback is None:
            raise RuntimeError("nothing read back: set Display.readback before presenting")
        return self._readback

    def close(self) -> None:
        """Free the texture while the renderer it belongs to still lives (before the display quits)."""
        self._texture = None
        self._renderer = None
        self._window = None
