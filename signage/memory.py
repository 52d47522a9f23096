"""Giving freed memory back to the system, for a player that runs for months.

The player's threads (sensing, the video decoder, the preparer, the writer) allocate and
free large buffers all day: frames, decoded pictures, scaled surfaces. glibc keeps freed
memory in per-thread arenas, so the process's resident size creeps up with fragmentation
even though nothing leaks (bench/soak.py measures it). ``MemoryTrimmer`` calls glibc's
``malloc_trim(0)`` on its own thread every ``interval_s`` seconds, and ``limit_arenas``
caps the number of arenas (glibc's ``M_ARENA_MAX``, as ``MALLOC_ARENA_MAX`` would) before
the threads start. Elsewhere (not glibc) both do nothing.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging

from signage.periodic import Periodic

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


M_ARENA_MAX = -8


def limit_arenas(n: int = 2) -> bool:
    """Cap glibc's malloc arenas at ``n``; call before starting threads. True if applied."""
    name = ctypes.util.find_library("c")
    if not name:
        return False
    try:
        mallopt = ctypes.CDLL(name).mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    mallopt.restype = ctypes.c_int
    return bool(mallopt(M_ARENA_MAX, n))


class MemoryTrimmer:
    def __init__(self, interval_s: float = 30.0) -> None:
        self.interval_s = interval_s
        self._trim = _libc_trim()
        self._thread = Periodic(interval_s, self.trim, "memory trim")
        self.runs = 0

    @property
    def available(self) -> bool:
        return self._trim is not None

    def trim(self) -> None:
        if self._trim is not None:
            self._trim(0)
            self.runs += 1

    def start(self) -> MemoryTrimmer:
        if self._trim is not None:
            self._thread.start()
        return self

    def stop(self) -> None:
        self._thread.stop()


STANDBY_MIN_MEMORY = 2 * 1000**3  # bytes: "auto" keeps a warm sensing standby from 2 GB (a "2 GB" board has a bit less)


def physical_memory() -> int | None:
    """The machine's memory in bytes, or None when the system does not say."""
    import os

    try:
        return os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return None


def standby_wanted(setting: bool | str, memory: int | None) -> tuple[bool, str]:
    """Whether to keep a warm sensing standby (``player.sensing_standby``), and why."""
    if setting is True or setting is False:
        return setting, "player.sensing_standby = " + ("true" if setting else "false")
    if memory is None:
        return True, "player.sensing_standby = \"auto\": the machine's memory is not known"
    gb = memory / 1000**3
    if memory >= STANDBY_MIN_MEMORY * 0.9:
        return True, f"player.sensing_standby = \"auto\": {gb:.1f} GB of memory"
    return False, (f"player.sensing_standby = \"auto\": {gb:.1f} GB of memory, under 2 GB: no warm standby "
                   "(a new sensing process starts if one dies)")
