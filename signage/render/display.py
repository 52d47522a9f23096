"""The window or the full screen: SDL driver choice, rotation, cursor, frame pacing.

Creatives are drawn on an upright *canvas* (the picture as people see it). With rotation 0
the canvas is the display surface itself; with 90/180/270 it is an off-screen surface that
``present()`` turns onto the panel, so a landscape panel mounted on its side shows an
upright portrait picture.

The window is opened hidden where the driver allows it, and shown by the first ``present()``:
passers-by never see the black of a new window, only the first frame drawn.

How the canvas reaches the panel (turned, scaled, presented) is the presenter's job
(present.py): SDL's renderer on the GPU where there is one, else the surface path, as
``display.compositor`` says.
"""

from __future__ import annotations

import logging
import os
import time
import warnings
from collections.abc import Mapping

import pygame

from signage.config import DisplayConfig
from signage.render.geometry import Rect, Size, parse_color, rotated_size
from signage.render.present import (SDL_RENDERER_PRESENTVSYNC, Choice, RendererPresenter, SurfacePresenter,
                                    choose, gl_renderer_name)

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


class Display:
    """An open display: ``canvas`` to draw on, ``present()`` to show it."""

    def __init__(self, config: DisplayConfig, *, allow_software_renderer: bool = False) -> None:
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
        # SDL's software renderer counts as a renderer (tests and benchmarks on the dummy driver).
        self.allow_software_renderer = allow_software_renderer
        self.choice: Choice | None = None  # which path composes, and why (said once, by open())
        self.presenter: SurfacePresenter | RendererPresenter | None = None
        # Tests and benchmarks: read each presented frame back (True: the whole panel; a rect of
        # the panel: that part only), for panel_image(). Off in the player.
        self.readback: Rect | bool | None = None

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
        if self.choice is not None:
            (log.warning if self.choice.warning else log.info)(self.choice.message)
        self.presenter = self._presenter()
        if not self.hidden:  # shown at once (kmsdrm): the slate's colour until the first frame, not black
            self.surface.fill(parse_color(self.config.idle_color))
            pygame.display.flip()
        w, h = self.surface.get_size()
        log.info(
            "display: %s driver, %dx%d%s, rotation %d (picture %dx%d)%s, %s composition",
            self.driver, w, h, " fullscreen" if self._fullscreen(self.driver) else " window",
            self.rotation, *self.size, ", vsync" if self.vsync else "",
            "GPU" if self.compositor == "renderer" else "CPU",
        )
        return self

    @property
    def compositor(self) -> str:
        """The path composing the frames now: "renderer" (SDL's renderer) or "surface"."""
        return self.presenter.path if self.presenter is not None else "surface"

    def _presenter(self) -> SurfacePresenter | RendererPresenter:
        choice = self.choice
        if choice is not None and choice.renderer:
            try:
                name = pygame.display._get_renderer_info()[0]
                return RendererPresenter(self._borrowed_window(), self.surface, self.canvas, self.rotation, name)
            except (pygame.error, ValueError, TypeError) as exc:  # TypeError: no renderer info
                log.warning("display: cannot compose with the SDL renderer (%s); composing on the CPU "
                            "(surface path)", exc)
        return SurfacePresenter(self.surface, self.canvas, self.rotation)

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
        fullscreen = self._fullscreen(driver)
        if fullscreen:
            size = cfg.size or (pygame.display.get_desktop_sizes() or [(0, 0)])[0]
        else:
            size = cfg.size or (DEFAULT_HEADLESS if driver in HEADLESS_DRIVERS else DEFAULT_WINDOW)
        if cfg.compositor != "surface":
            surf = self._renderer_mode(driver, size, fullscreen)
            if surf is not None:
                return surf
        else:
            self.choice = choose("surface", None, driver=driver)
        if not fullscreen:
            return self._mode(size, 0)
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

    def _renderer_mode(self, driver: str, size: Size, fullscreen: bool) -> pygame.Surface | None:
        """The window with an SDL renderer (pygame's SCALED mode makes one: the best the platform
        has, OpenGL or OpenGL ES before software), or None, the display reset for the surface path,
        when the renderer is not one to use (``choose``)."""
        vsync = 1 if fullscreen and self.config.vsync else 0
        info, error, surf = None, "", None
        try:
            with warnings.catch_warnings():  # pygame warns "no fast renderer available": choose() says it
                warnings.simplefilter("ignore")
                surf = self._mode(size, pygame.SCALED | (pygame.FULLSCREEN if fullscreen else 0), vsync=vsync)
            info = pygame.display._get_renderer_info()
        except (pygame.error, AttributeError) as exc:  # AttributeError: a pygame without renderer info
            error = str(exc)
        gl = gl_renderer_name(info[0]) if info else None
        self.choice = choice = choose(self.config.compositor, info, driver=driver, error=error, gl_renderer=gl,
                                      allow_software=self.allow_software_renderer)
        if choice.renderer and surf is not None:
            if not fullscreen and surf.get_size() != pygame.display.get_window_size():
                # windowed SCALED picks a whole multiple of the size that fits the desktop: the
                # window is the configured size, one picture pixel per panel pixel
                self._borrowed_window().size = surf.get_size()
            self.vsync = bool(vsync and info[1] & SDL_RENDERER_PRESENTVSYNC)
            return surf
        pygame.display.quit()  # the window and its renderer go; the surface path opens its own
        self._window = None
        pygame.display.init()
        return None

    def _borrowed_window(self):
        """pygame's window as a ``pygame._sdl2.video.Window``, one object for the window's life:
        pygame 2.6 stores a pointer to it in the SDL window, and reading window events after it
        is freed crashes the process (close() lets it go after the window)."""
        if self._window is None:
            from pygame._sdl2.video import Window

            self._window = Window.from_display_module()
        return self._window

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
        """Show the canvas: turned onto the panel when rotated, then presented (present.py). When
        the drawer set ``unchanged`` (the canvas is as it was at the last present), it is not
        turned (surface path) or uploaded (renderer path) again."""
        unchanged, self.unchanged = self.unchanged, False
        self.presenter.present(unchanged and self.presents > 0, self.readback)
        self.presents += 1
        if self.hidden:
            self._reveal()

    def _reveal(self) -> None:
        """Show the hidden window, its first frame already drawn (and drawn again once shown)."""
        self.hidden = False
        try:
            self._borrowed_window().show()
        except (ImportError, pygame.error, AttributeError) as exc:  # no SDL2 window API: it was never hidden
            log.info("display: cannot show the window (%s)", exc)
            return
        self.presenter.reshow()

    @property
    def readback_cpu_s(self) -> float:
        """The render thread's CPU time spent reading the last frame back (benchmarks subtract it)."""
        return self.presenter.readback_cpu_s

    def panel_image(self) -> pygame.Surface:
        """What the panel shows (rotated when the display is): the window surface on the surface
        path; on the renderer path the last frame read back (set ``readback`` first)."""
        return self.presenter.panel_image()

    def close(self) -> None:
        if self.presenter is not None:
            self.presenter.close()  # its texture goes before the renderer it belongs to
            self.presenter = None
        if self.surface is not None:
            pygame.display.quit()
            self.surface = self.canvas = None
        self._window = None  # after the window it points into is gone (see _borrowed_window)
