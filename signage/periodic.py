"""A daemon thread that calls one function every ``interval_s`` seconds until stopped.

Used for the player's background chores (playlist watcher, status file, memory trim): an
exception in one call is logged and the next call still happens.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

log = logging.getLogger(__name__)


class Periodic:
    def __init__(self, interval_s: float, fn: Callable[[], object], name: str) -> None:
        self.interval_s = interval_s
        self._fn = fn
        self._name = name
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self._thread is None:
            self._stop.clear()
            self._thread = threading.Thread(target=self._run, name=f"signage {self._name}", daemon=True)
            self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def _run(self) -> None:
        while not self._stop.wait(self.interval_s):
            try:
                self._fn()
            except Exception:  # noqa: BLE001 - a chore must outlive any surprise
                log.exception("%s: unexpected error (the player plays on)", self._name)
