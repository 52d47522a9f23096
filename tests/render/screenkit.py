"""Helpers for the render tests: a real pygame display (SDL's dummy driver), real files."""

from __future__ import annotations

import contextlib
import os
import time
from pathlib import Path

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")

import numpy as np  # noqa: E402
import pygame  # noqa: E402

from signage.config import DisplayConfig, NoticeConfig  # noqa: E402
from signage.render.display import Display  # noqa: E402
from signage.render.screen import Screen  # noqa: E402
from signage.values import CreativeSpec, TransitionSpec  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
CONTENT = ROOT / "content"
DATA = ROOT / "tests" / "data"
PROMO = CONTENT / "promo.mp4"
CLIP = DATA / "white_house_hamilton_clip.mp4"


def rgb(surface: pygame.Surface) -> np.ndarray:
    """The surface's pixels as an (h, w, 3) uint8 array (a copy)."""
    return np.ascontiguousarray(pygame.surfarray.array3d(surface).transpose(1, 0, 2))


@contextlib.contextmanager
def screen(size=(1920, 1080), rotation=0, camera_on=True, notice: NoticeConfig | None = None, **display):
    cfg = DisplayConfig(driver="dummy", fullscreen=False, size=size, rotation=rotation, **display)
    disp = Display(cfg).open()
    # Camera off with no notice config given: nothing over the creative, to check it whole.
    notice = notice or (NoticeConfig() if camera_on else NoticeConfig(camera_off="hide"))
    scr = Screen(disp, notice, camera_on=camera_on)
    try:
        yield scr
    finally:
        scr.close()
        disp.close()


def image(path, id=None, fit="fit", background="#000000", transition=("cut", 0.0), duration=5.0,
          **kw) -> CreativeSpec:
    return CreativeSpec(id=id or Path(path).stem, kind="image", duration_s=duration, fit=fit, background=background,
                        path=str(path), transition=TransitionSpec(*transition), **kw)


def video(path, id=None, fit="fit", background="#000000", transition=("cut", 0.0), duration=6.0,
          **kw) -> CreativeSpec:
    return CreativeSpec(id=id or Path(path).stem, kind="video", duration_s=duration, fit=fit, background=background,
                        path=str(path), transition=TransitionSpec(*transition), **kw)


def text(headline, body=None, id="slide", transition=("cut", 0.0), **kw) -> CreativeSpec:
    return CreativeSpec(id=id, kind="text", duration_s=5.0, headline=headline, body=body,
                        transition=TransitionSpec(*transition), **kw)


def switch(scr: Screen, spec: CreativeSpec, timeout: float = 60.0) -> None:
    """Show ``spec`` and tick until it is on screen (or skipped)."""
    scr.show(spec)
    deadline = time.monotonic() + timeout
    while scr.preparing:
        scr.tick()
        if time.monotonic() > deadline:
            raise TimeoutError(f"{spec.id} not prepared in {timeout}s")
        time.sleep(0.002)


def notice_rect(scr: Screen) -> pygame.Rect:
    surf, pos = scr.notice.surface(scr.size, scr.camera_on)
    return pygame.Rect(pos, surf.get_size())


def white_png(tmp_path, size=(1920, 1080)) -> Path:
    """An all-white picture (the hardest background for a light-on-dark notice)."""
    p = tmp_path / "white.png"
    surf = pygame.Surface(size)
    surf.fill((255, 255, 255))
    pygame.image.save(surf, str(p))
    return p


def quadrants_png(tmp_path, size=(400, 300)) -> Path:
    """Four flat colours, one per quadrant: where each corner of a picture lands is unambiguous."""
    w, h = size
    surf = pygame.Surface(size)
    surf.fill((220, 30, 30), (0, 0, w // 2, h // 2))  # top-left red
    surf.fill((30, 200, 30), (w // 2, 0, w - w // 2, h // 2))  # top-right green
    surf.fill((30, 30, 220), (0, h // 2, w // 2, h - h // 2))  # bottom-left blue
    surf.fill((230, 220, 40), (w // 2, h // 2, w - w // 2, h - h // 2))  # bottom-right yellow
    p = tmp_path / f"quadrants-{w}x{h}.png"
    pygame.image.save(surf, str(p))
    return p
