"""A passer-by's objection: audience measurement paused for a while (docs/objection.md).

``PauseState`` is the pure state (clock injected): ``press(now)`` pauses until ``now`` plus the
configured duration (a press while paused starts the full duration again from that press: it
extends, never shortens), ``resume(now)`` ends a pause early (staff, from the admin service),
``paused_until(now)`` says until when, or None. ``pauses`` counts the pauses begun (a press that
extends a running pause is not a new one).

``PauseControl`` is what the player holds: the state, which keys pause, and an inbox that other
threads (the admin service's file watcher, a GPIO button) post requests into; the render loop
takes them at its next frame (``step``). Nothing here touches the camera: the player closes it
(``SensingService.pause``) when ``step`` says a pause began, and reopens it when it ended.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

log = logging.getLogger("signage.pause")

Request = Literal["pause", "resume"]


@dataclass
class PauseState:
    """Paused or not, until when, and how many pauses began. Times are aware datetimes."""

    duration: dt.timedelta
    until: dt.datetime | None = None
    pauses: int = 0

    def __post_init__(self) -> None:
        if self.duration <= dt.timedelta(0):
            raise ValueError("a pause lasts more than 0 s")

    def paused_until(self, now: dt.datetime) -> dt.datetime | None:
        """When the pause ends, while one runs at ``now``; else None."""
        return self.until if self.until is not None and now < self.until else None

    def press(self, now: dt.datetime) -> dt.datetime:
        """Pause (again) for the whole duration from ``now``; returns until when."""
        if self.paused_until(now) is None:
            self.pauses += 1
        self.until = max(self.until or now, now + self.duration)
        return self.until

    def resume(self, now: dt.datetime) -> bool:
        """End a pause at ``now``; True when one was running."""
        was = self.paused_until(now) is not None
        self.until = None
        return was


def resolve_keys(names: Iterable[str]) -> frozenset[int] | None:
    """The key codes that pause (None: any key; empty: none) from ``pause.keys``."""
    names = list(names)
    if "any" in names:
        return None
    from signage.config.pause import key_code

    return frozenset(key_code(n) for n in names)


class PauseControl:
    """The pause as the player holds it: the state, the keys, the requests of other threads."""

    def __init__(self, duration: dt.timedelta, keys: frozenset[int] | None = None, tz: dt.tzinfo | None = None) -> None:
        self.state = PauseState(duration)
        self.keys = keys  # None: any key the player does not use already
        self.tz = tz  # the notice's HH:MM is local time (screen.timezone; None: the system's)
        self._inbox: deque[tuple[Request, dt.datetime | None, str]] = deque(maxlen=64)
        self._lock = threading.Lock()

    # -- any thread ----------------------------------------------------------------------
    def request(self, what: Request, at: dt.datetime | None = None, source: str = "") -> None:
        """Ask for a pause or a resume (``at``: when it was asked; None: at the next frame)."""
        with self._lock:
            self._inbox.append((what, at, source))

    # -- the render loop -----------------------------------------------------------------
    def key(self, key: int, now: dt.datetime) -> bool:
        """A key went down that nothing else used: True when it paused."""
        if self.keys is not None and key not in self.keys:
            return False
        self._press(now, "a key")
        return True

    def step(self, now: dt.datetime) -> dt.datetime | None:
        """Take the requests of other threads; until when measurement is paused (None: it is not)."""
        with self._lock:
            todo = list(self._inbox)
            self._inbox.clear()
        for what, at, source in todo:
            t = now if at is None else min(at, now)  # a request is never applied in the future
            if what == "pause":
                self._press(t, source)
            elif self.state.resume(t):
                log.info("audience measurement resumed early (%s)", source or "asked")
        return self.state.paused_until(now)

    def label(self, until: dt.datetime) -> str:
        """HH:MM of ``until`` in local time, as the notice says it."""
        return until.astimezone(self.tz).strftime("%H:%M")

    def _press(self, now: dt.datetime, source: str) -> None:
        running = self.state.paused_until(now) is not None
        until = self.state.press(now)
        if until > now:
            log.info("audience measurement %s until %s (%s)", "pause extended" if running else "paused",
                     self.label(until), source or "asked")
