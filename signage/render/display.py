"""The window or the full screen: SDL driver choice, rotation, cursor, frame pacing.

Creatives are drawn on an upright *canvas* (the picture as people see it). With rotation 0
the canvas is the display surface itself; with 90/180/270 it is an off-screen surface that
``present()`` turns onto the panel, so a landscape panel mounted on its side shows an
upright portrait picture.

The window is opened hidden where the driver allows it, and shown by the first ``present()``:
passers-by never see the black of a new window, only the first frame drawn.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Mapping

import cv2
import numpy as np
import pygame

from signage.config import DisplayConfig
from signage.render.geometry import Size, parse_color, rotated_size

log = logging.getLogger("signage.render")

DEFAULT_WINDOW = (1280, 720)
DEFAULT_HEADLESS = (1920, 1080)


class DisplayError(Exception):
    """No display could be opened; the message lists each driver tried and why it failed."""


def driver_candidates(driver: str, environ: Mapping[str, str]) -> list[str]:
    """The SDL video drivers to try, in order.

    An explicit driver is the only candidate. "auto" honours ``SDL_VIDEODRIVER`` when set,
    then a Wayland or X11 session when there is one, then kmsdrm (a console with no desktop).
    """
    if driver != "auto":
        return [driver]
    forced = environ.get("SDL_VIDEODRIVER", "").strip()
    if forced:
        return [forced]
    out = []
    if environ.get("WAYLAND_DISPLAY"):
        out.append("wayland")
    if environ.get("DISPLAY"):
        out.append("x11")
    out.append("kmsdrm")
    return out


HEADLESS_DRIVERS = ("dummy", "offscreen")


def driver_origin(driver: str, environ: Mapping[str, str]) -> str:
    """Where the driver choice came from, for a message an operator can act on."""
    if driver != "auto":
        env = "SIGNAGE_DISPLAY__DRIVER"
        return f'display.driver = "{driver}"' + (f" (from {env})" if environ.get(env) else "")
    forced = environ.get("SDL_VIDEODRIVER", "").strip()
    if forced:
        return f'SDL_VIDEODRIVER={forced} (display.driver = "auto" takes it from the environment)'
    return f'display.driver = "auto" (tried {", ".join(driver_candidates(driver, environ))})'


def wanted(config: DisplayConfig, environ: Mapping[str, str]) -> str:
    """What the configuration asks for, in words: "kmsdrm fullscreen", "auto window", "dummy (headless)"."""
    driver = config.driver
    forced = environ.get("SDL_VIDEODRIVER", "").strip() if driver == "auto" else ""
    name = forced or driver
    if name in HEADLESS_DRIVERS:
        return f"{name} (headless)"
    return f"{name} {'fullscreen' if config.fullscreen else 'window'}"


class FramePacer:
    """Keeps a steady frame rate by sleeping until each frame's deadline.

    Deadlines advance by whole periods, so an occasional slow frame does not shift the
    rhythm; after a long stall (more than a few frames) the schedule restarts from now.
    """

    def __init__(self, fps: float, clock=time.perf_counter, sleep=time.sleep) -> None:
        self.period = 1.0 / fps
        self._clock, self._sleep = clock, sleep
        self._next: float | None = None
        self.late_frames = 0

    def wait(self) -> None:
        now = self._clock()
        if self._next is None:
            self._next = now + self.period
            return
        ahead = self._next - now
        if ahead > 0:
            self._sleep(ahead)
            self._next += self.period
        else:
            self.late_frames += 1
            self._next = now + self.period if -ahead > 4 * self.period else self._next + self.period


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


class Display:
    """An open display: ``canvas`` to draw on, ``present()`` to show it."""

    def __init__(self, config: DisplayConfig) -> None:
        self.config = config
        self.driver = ""
        self.vsync = False
        self.surface: pygame.Surface | None = None
        self.canvas: pygame.Surface | None = None
        self.rotation = config.rotation
        self.hidden = False  # opened hidden: shown by the first present()
        self._window = None
        self.presents = 0
        self.unchanged = False  # set by the drawer for the next present() only

    @property
    def panel_size(self) -> Size:
        return self.surface.get_size()

    @property
    def size(self) -> Size:
        """The upright picture's size (the canvas)."""
        return self.canvas.get_size()

    def open(self) -> "Display":
        errors = []
        for name in driver_candidates(self.config.driver, os.environ):
            os.environ["SDL_VIDEODRIVER"] = name
            try:
                pygame.display.init()
                self.surface = self._set_mode(name)
            except pygame.error as exc:
                errors.append(f"{name}: {exc}")
                pygame.display.quit()
                continue
            self.driver = pygame.display.get_driver()
            break
        else:
            raise DisplayError("cannot open a display: " + "; ".join(errors))
        pygame.font.init()
        pygame.display.set_caption("signage")
        if self.config.hide_cursor:
            pygame.mouse.set_visible(False)
        if self.rotation:
            self.canvas = pygame.Surface(rotated_size(self.surface.get_size(), self.rotation)).convert()
        else:
            self.canvas = self.surface
        if not self.hidden:  # shown at once (kmsdrm): the slate's colour until the first frame, not black
            self.surface.fill(parse_color(self.config.idle_color))
            pygame.display.flip()
        w, h = self.surface.get_size()
        log.info(
            "display: %s driver, %dx%d%s, rotation %d (picture %dx%d)%s",
            self.driver, w, h, " fullscreen" if self._fullscreen(self.driver) else " window",
            self.rotation, *self.size, ", vsync" if self.vsync else "",
        )
        return self

    @property
    def headless(self) -> bool:
        return self.driver in HEADLESS_DRIVERS

    def describe(self, configured: str, error: str | None = None) -> dict:
        """The display's part of the health status; ``error``: why the configured one did not open."""
        w, h = self.panel_size
        return {"driver": self.driver, "size": f"{w}x{h}",
                "mode": "headless" if self.headless else "fullscreen" if self._fullscreen(self.driver) else "window",
                "configured": configured, "as_configured": error is None, "error": error}

    def _fullscreen(self, driver: str) -> bool:
        return self.config.fullscreen and driver not in HEADLESS_DRIVERS

    def _set_mode(self, driver: str) -> pygame.Surface:
        cfg = self.config
        if not self._fullscreen(driver):
            size = cfg.size or (DEFAULT_HEADLESS if driver in HEADLESS_DRIVERS else DEFAULT_WINDOW)
            return self._mode(size, 0)
        size = cfg.size or (pygame.display.get_desktop_sizes() or [(0, 0)])[0]
        if cfg.vsync:
            # SCALED goes through SDL's renderer, which can wait for the vertical blank; at the
            # panel's own size it is a 1:1 copy.
            try:
                surf = self._mode(size, pygame.FULLSCREEN | pygame.SCALED, vsync=1)
                self.vsync = True
                return surf
            except pygame.error as exc:
                log.info("display: no vsync on %s (%s); pacing by the clock", driver, exc)
        return self._mode(size, pygame.FULLSCREEN)

    def _mode(self, size: Size, flags: int, **kw) -> pygame.Surface:
        """set_mode, hidden until the first present() where the driver can hide a window
        (a console's kmsdrm cannot: it shows at once, as before)."""
        try:
            surf = pygame.display.set_mode(size, flags | pygame.HIDDEN, **kw)
            self.hidden = True
            return surf
        except pygame.error:
            self.hidden = False
            return pygame.display.set_mode(size, flags, **kw)

    def present(self) -> None:
        """Show the canvas: turned onto the panel when rotated, then flipped. When the drawer
        set ``unchanged`` (the canvas is as it was at the last present), the panel already
        holds it turned and it is not turned again."""
        unchanged, self.unchanged = self.unchanged, False
        if self.rotation and not (unchanged and self.presents):
            turn(self.canvas, self.surface, self.rotation)
        pygame.display.flip()
        self.presents += 1
        if self.hidden:
            self._reveal()

    def _reveal(self) -> None:
        """Show the hidden window, its first frame already drawn (and drawn again once shown)."""
        self.hidden = False
        try:
            from pygame._sdl2.video import Window

            # Kept while the window lives: pygame 2.6 stores a pointer to this object in the
            # SDL window, and reading window events after it is freed crashes the process.
            self._window = Window.from_display_module()
            self._window.show()
        except (ImportError, pygame.error, AttributeError) as exc:  # no SDL2 window API: it was never hidden
            log.info("display: cannot show the window (%s)", exc)
            return
        pygame.display.flip()

    def panel_image(self) -> pygame.Surface:
        """What the panel shows (rotated when the display is)."""
        return self.surface

    def close(self) -> None:
        if self.surface is not None:
            pygame.display.quit()
            self.surface = self.canvas = None
        self._window = None  # after the window it points into is gone (see _reveal)
