"""The player's display, or headless when it cannot open: one that cannot open (any driver)
is logged with the setting that chose it, and the player runs on without a screen (the
schedule and proof of play go on), reporting unhealthy rather than dying in a restart loop."""

from __future__ import annotations

import logging
import os

from signage.config import Settings
from signage.preflight import Refused
from signage.run_options import RunOptions

log = logging.getLogger("signage")


def open_display(settings: Settings, opts: RunOptions):
    """The display, and its part of the health status. One that cannot open (any driver) is
    logged with the setting that chose it, and the player runs headless: the schedule and
    proof of play go on, and the status says it is unhealthy (a black screen is not green)."""
    from signage.render.display import Display, DisplayError, driver_origin, wanted

    cfg = settings.display
    if opts.headless:
        cfg = cfg.model_copy(update={"driver": "dummy"})
    if opts.windowed:
        cfg = cfg.model_copy(update={"fullscreen": False})
    env = dict(os.environ)  # as it was: opening sets SDL_VIDEODRIVER to each driver it tries
    configured = wanted(cfg, env)
    try:
        display = Display(cfg).open()
        return display, display.describe(configured)
    except DisplayError as exc:
        reason = str(exc).removeprefix("cannot open a display: ")
        # asked for by name: an error; "auto" finding no display (a developer's ./run): a warning
        level = logging.WARNING if cfg.driver == "auto" and not env.get("SDL_VIDEODRIVER") else logging.ERROR
        log.log(level, "display: cannot open %s, set by %s: %s. Running headless: nothing is on the screen; the "
                "schedule and proof of play go on and the player reports unhealthy (signage status)",
                configured, driver_origin(cfg.driver, env), reason)
    try:
        display = Display(cfg.model_copy(update={"driver": "dummy", "fullscreen": False})).open()
    except DisplayError as exc:
        raise Refused(f"not even an off-screen display opens: {exc}") from None
    return display, display.describe(configured, reason)
