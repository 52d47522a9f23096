"""Giving freed memory back to the system, for a player that runs for months.

The player's threads (sensing, the video decoder, the preparer, the writer) allocate and
free large buffers all day: frames, decoded pictures, scaled surfaces. glibc keeps freed
memory in per-thread arenas, so the process's resident size creeps up with fragmentation
even though nothing leaks (bench/soak.py measures it). ``MemoryTrimmer`` calls glibc's
``malloc_trim(0)`` on its own thread every ``interval_s`` seconds; elsewhere (not glibc)
it does nothing.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
import threading

log = logging.getLogger(__name__)


def _libc_trim():
    name = ctypes.util.find_library("c")
    if not name:
        return None
    try:
        libc = ctypes.CDLL(name)
        trim = libc.malloc_trim
    except (OSError, AttributeError):
        return None
    trim.argtypes = [ctypes.c_size_t]
    trim.restype = ctypes.c_int
    return trim


class MemoryTrimmer:
    def __init__(self, interval_s: float = 30.0) -> None:
        self.interval_s = interval_s
        self._trim = _libc_trim()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.runs = 0

    @property
    def available(self) -> bool:
        return self._trim is not None

    def trim(self) -> None:
        if self._trim is not None:
            self._trim(0)
            self.runs += 1

    def start(self) -> MemoryTrimmer:
        if self._trim is not None and self._thread is None:
            self._thread = threading.Thread(target=self._run, name="signage memory trim", daemon=True)
            self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(2)
            self._thread = None

    def _run(self) -> None:
        while not self._stop.wait(self.interval_s):
            self.trim()
