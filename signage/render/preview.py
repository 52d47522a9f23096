"""One frame of the screen, rendered off screen to a PNG: for advertisers, and for tests.

The picture is what people in front of the screen see: upright, at the picture's size
(a 1920x1080 panel turned 90 degrees gives a 1080x1920 picture), with the privacy notice
as the configured camera state draws it.
"""

from __future__ import annotations

import os
from pathlib import Path

from signage.config import DisplayConfig, NoticeConfig
from signage.values import CreativeSpec


class PreviewError(Exception):
    """The frame could not be rendered; the message says which creative or file and why."""


def render_preview(spec: CreativeSpec, out: str | os.PathLike[str], *, display: DisplayConfig, notice: NoticeConfig,
                   camera_on: bool = True, at: float = 0.0) -> Path:
    """Render ``spec`` (a video ``at`` seconds in) with its overlays and save it as a PNG."""
    os.environ["SDL_VIDEODRIVER"] = "dummy"
    import pygame

    from signage.render.creatives import CreativeError
    from signage.render.display import Display
    from signage.render.screen import Screen

    cfg = display.model_copy(update={"driver": "dummy", "compositor": "surface", "fullscreen": False, "size": display.size or (1920, 1080)})
    out = Path(out)
    disp = Display(cfg).open()
    screen = Screen(disp, notice, camera_on=camera_on, show_overlay=False)
    try:
        screen.show(spec, at=at, wait=True)
        screen.draw()  # takes the prepared creative: the switch
        events = screen.drain_events()
        skipped = [e for e in events if e.kind == "skip"]
        if skipped:
            raise PreviewError(skipped[0].reason)
        # Draw again past the transition: the creative alone, as it stays on screen.
        screen.draw(screen.clock() + spec.transition.duration_s + 1.0)
        out.parent.mkdir(parents=True, exist_ok=True)
        try:
            pygame.image.save(disp.canvas, str(out))
        except (pygame.error, OSError) as exc:
            raise PreviewError(f"{out}: cannot write: {exc}") from None
    except CreativeError as exc:
        raise PreviewError(str(exc)) from None
    finally:
        screen.close()
        disp.close()
    return out
