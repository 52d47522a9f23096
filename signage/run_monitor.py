"""RunMonitor: what each frame the player shows tells the rest of the run.

The health status is updated; systemd is told READY (even when unhealthy: the unit must not
hang or restart in a loop; STATUS says why) and kept alive; a "no playlist" problem ends once
a real playlist is in use; a ``--camera-once`` video that cannot be played fails the run and
stops it (exit 2).
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from typing import Any

from signage.healthcheck import systemd_status
from signage.slate import is_slate

log = logging.getLogger("signage")


@dataclass(kw_only=True)
class RunMonitor:
    """The player's ``on_frame``: call it with the player's state after each frame.
    ``failed`` collects why the run stopped by itself (``Built.failed``); ``stop`` is set then."""

    active: Any  # the ActivePlaylist
    screen: Any
    health: Any  # the HealthReporter
    notifier: Any  # the systemd Notifier
    playlist_problem: str | None
    camera_once: bool
    failed: list[str]
    stop: threading.Event | None
    started_version: Any = field(init=False)  # the playlist version the run started with

    def __post_init__(self) -> None:
        self.started_version = self.active.version

    def __call__(self, state) -> None:
        active, health = self.active, self.health
        if self.playlist_problem is not None and active.version != self.started_version and not is_slate(active.current):
            log.info("playlist: %r in use; the 'no playlist' problem is over", state.playlist)
            health.set_static(playlist_problem=None)
            self.screen.set_slate(())
            self.playlist_problem = None  # once: not again on every frame
        if self.camera_once and state.sensing is not None and state.sensing.camera == "reconnecting" and not self.failed:
            self.failed.append(f"--camera-once: {state.sensing.source}: cannot be played "
                               f"({state.sensing.last_error or 'the video cannot be read'})")
            log.error("%s: stopping", self.failed[0])
            if self.stop is not None:
                self.stop.set()
        health.update(state)
        if state.creative is not None or state.frames > 1:
            status = systemd_status(health.problems,
                                    f"{state.creative or 'idle'} ({state.rule or 'loop'}); camera {state.sensing.camera}")
            # READY even when unhealthy: the unit must not hang or restart in a loop; STATUS says why
            self.notifier.ready(status)
            self.notifier.alive(status)
