"""How the composed picture reaches the panel: on the CPU (the surface path) or by SDL's
renderer on the GPU (the renderer path). ``display.compositor`` chooses (docs/screen.md).

Both take the upright canvas the screen composed (creative, overlay, notice last) and put it
on the panel whole, turned clockwise by the display's rotation:

- ``SurfacePresenter``: OpenCV turns the canvas into the window's surface (when rotated), and
  ``pygame.display.flip()`` shows it.
- ``RendererPresenter``: the window has an SDL renderer (OpenGL or OpenGL ES where the platform
  has one; pygame's SCALED mode creates it); the canvas is uploaded into one streaming texture,
  drawn turned by the renderer (90 and 270 by angle about the texture's corner, 180 by flipping
  both ways: exact, no filtering), and presented. When the output is not the panel's size (a
  window resized, full screen at a mode other than the desktop's) the renderer scales it, as
  large as fits, centred, smoothly (bilinear). A frame that did not change is drawn again from
  the texture without uploading it.

Tests and benchmarks read back what was presented (``readback``): the window surface on the
surface path, SDL_RenderReadPixels just before the present on the renderer path.
"""

from __future__ import annotations

import logging
import os
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


# OpenGL drivers that rasterise on the CPU (Mesa's): SDL calls their renderer accelerated.
_SOFTWARE_GL = ("llvmpipe", "softpipe", "swrast", "software rasterizer", "lavapipe")


def software_gl(gl_renderer: str | None) -> bool:
    """Whether an OpenGL driver (its GL_RENDERER string) draws on the CPU: no GPU behind it."""
    return gl_renderer is not None and any(w in gl_renderer.lower() for w in _SOFTWARE_GL)


def choose(asked: str, info: tuple[str, int] | None, *, driver: str, allow_software: bool = False,
           error: str = "", gl_renderer: str | None = None) -> Choice:
    """The path for ``display.compositor = asked``, given the renderer SDL created for the window
    (``info``: its name and SDL_RendererFlags; None when none could be created, ``error`` saying
    why; ``gl_renderer``: the OpenGL driver's name under an OpenGL renderer, when known). "auto"
    takes an accelerated renderer on a GPU; "gpu" too, and says so loudly when there is none; a
    software one (SDL's, or OpenGL on a CPU rasteriser) only when ``allow_software`` (tests and
    benchmarks on the dummy driver or Xvfb)."""
    if asked == "surface":
        return Choice(False, 'display: composition on the CPU (display.compositor = "surface")')
    if info is None:
        why = f"no SDL renderer on the {driver} driver ({error or 'unknown reason'})"
    else:
        name, flags = info
        on_cpu = software_gl(gl_renderer)
        vsync = ", vsync" if flags & SDL_RENDERER_PRESENTVSYNC else ""
        if flags & SDL_RENDERER_ACCELERATED and name != "software" and not on_cpu:
            on = f" on {gl_renderer}" if gl_renderer else ""
            return Choice(True, f"display: composition on the GPU (SDL renderer {name}{on}{vsync})")
        what = f"{name} renderer on {gl_renderer}, a CPU rasteriser" if on_cpu else f"{name} renderer (not accelerated)"
        if allow_software:
            return Choice(True, f"display: composition by SDL's {what} (allowed for tests and benchmarks)")
        why = f"SDL offers only its {what} on the {driver} driver"
    if asked == "gpu":
        return Choice(False, f'display: display.compositor = "gpu", but {why}; composing on the CPU '
                             "(surface path) instead", warning=True)
    return Choice(False, f'display: display.compositor = "auto": {why}; composing on the CPU (surface path)')


def gl_renderer_name(renderer: str) -> str | None:
    """GL_RENDERER of the OpenGL (ES) context SDL's ``renderer`` just made current on this
    thread ("llvmpipe (LLVM 15.0.6, 256 bits)", "V3D 7.1"), or None (another renderer, no library)."""
    import ctypes
    import ctypes.util

    lib = {"opengl": ("GL", "libGL.so.1"), "opengles2": ("GLESv2", "libGLESv2.so.2")}.get(renderer)
    if lib is None:
        return None
    try:
        gl = ctypes.CDLL(ctypes.util.find_library(lib[0]) or lib[1])
        gl.glGetString.restype = ctypes.c_char_p
        gl.glGetString.argtypes = [ctypes.c_uint]
        name = gl.glGetString(0x1F01)  # GL_RENDERER
    except (OSError, AttributeError):
        return None
    return name.decode("utf-8", "replace") if name else None


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


def placement(panel: Size, output: Size, rotation: int) -> dict:
    """SDL_RenderCopyEx's arguments that put a canvas turned by ``rotation`` on an ``output`` of
    that many pixels: the panel's picture one to one when the output is the panel's size, else
    as large as fits, centred. 90 and 270 turn about the texture's top-left corner, so every
    pixel lands on a whole pixel: 90 clockwise puts the canvas's (u, v) at (x + w - v, y + u)."""
    pw, ph = panel
    ow, oh = output
    if (ow, oh) == (pw, ph):
        x, y, w, h = 0, 0, pw, ph
    else:
        scale = min(ow / pw, oh / ph)
        w, h = max(1, round(pw * scale)), max(1, round(ph * scale))
        x, y = (ow - w) // 2, (oh - h) // 2
    if rotation == 90:
        return {"dstrect": (x + w, y, h, w), "angle": 90.0, "origin": (0, 0)}
    if rotation == 270:
        return {"dstrect": (x, y + h, h, w), "angle": 270.0, "origin": (0, 0)}
    if rotation == 180:
        return {"dstrect": (x, y, w, h), "flip_x": True, "flip_y": True}
    return {"dstrect": (x, y, w, h)}


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


def _texture(texture_type, renderer, size: Size, quality: str):
    """A streaming texture whose scaling is ``quality`` ("nearest" or "linear"): SDL takes it from
    SDL_RENDER_SCALE_QUALITY when the texture is made (pygame sets "nearest" as the default; the
    environment's value comes before a default)."""
    before = os.environ.get("SDL_RENDER_SCALE_QUALITY")
    os.environ["SDL_RENDER_SCALE_QUALITY"] = quality
    try:
        return texture_type(renderer, size, streaming=True)
    finally:
        if before is None:
            del os.environ["SDL_RENDER_SCALE_QUALITY"]
        else:
            os.environ["SDL_RENDER_SCALE_QUALITY"] = before


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
        self.panel_size = surface.get_size()
        self._texture_type = Texture
        self._texture = None  # made by the first present, for the output's size (_place)
        self.scaled = False  # the output is not the panel's size: the picture is scaled to fit it
        # Placed and scaled here, in the output's own pixels (SDL's logical size, pygame's SCALED
        # scaling, lifted): what is read back is then exactly what the output shows.
        self._renderer.logical_size = (0, 0)
        self._output: Size | None = None
        self._draw_args: dict = {}
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
            if self._place() or not unchanged:
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

    def _place(self) -> bool:
        """Where the picture goes on the output as it is now (a window can change size); True when
        the texture is new (the first frame; scaling starting or stopping: smooth when scaled,
        each pixel copied as it is when not) and must be uploaded."""
        output = tuple(self._renderer.get_viewport().size)  # the output's pixels (no logical size)
        if output == self._output:
            return False
        self._output, self._draw_args = output, placement(self.panel_size, output, self.rotation)
        scaled = output != self.panel_size
        if self._texture is not None and scaled == self.scaled:
            return False
        self.scaled = scaled
        self._texture = None  # the old one goes first
        self._texture = _texture(self._texture_type, self._renderer, self.canvas.get_size(),
                                 "linear" if scaled else "nearest")
        self._texture.blend_mode = _BLENDMODE_NONE
        return True

    def _draw(self) -> None:
        r = self._renderer
        r.draw_color = (0, 0, 0, 255)
        r.clear()
        self._texture.draw(**self._draw_args)

    def reshow(self) -> None:
        """Present the last frame again (after the window is shown), without uploading it."""
        self.present(True)

    def _read(self, area: Rect | None) -> None:
        """The whole output, or a part of it (``area``, panel pixels) when it is the panel's size."""
        c0 = time.thread_time()
        r = self._renderer
        size = self._output or self.panel_size
        if self._readback is None or self._readback.get_size() != size:
            self._readback = pygame.Surface(size, 0, 32)
        if area is not None and size == self.panel_size:
            r.to_surface(self._readback.subsurface(area), pygame.Rect(area))
        else:
            r.to_surface(self._readback)
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
