"""Talking to systemd without a dependency: ``sd_notify`` over ``$NOTIFY_SOCKET``.

With ``Type=notify`` and ``WatchdogSec=`` in the unit, the player says READY=1 once its
first frame is on screen, WATCHDOG=1 from the render loop (so a frozen loop gets the
service restarted), STATUS=... for ``systemctl status``, and STOPPING=1 on the way out.
Outside systemd (no ``$NOTIFY_SOCKET``) every call does nothing.
"""

from __future__ import annotations

import os
import socket
import time


def _address(env: dict[str, str] | os._Environ) -> str | None:
    addr = env.get("NOTIFY_SOCKET")
    if not addr:
        return None
    if addr.startswith("@"):  # abstract namespace
        return "\0" + addr[1:]
    return addr


def notify(message: str, env: dict[str, str] | None = None) -> bool:
    """Send one notification ("READY=1", "WATCHDOG=1", "STATUS=..."); True if sent."""
    addr = _address(os.environ if env is None else env)
    if addr is None:
        return False
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC) as s:
            s.connect(addr)
            s.sendall(message.encode("utf-8", "replace"))
        return True
    except OSError:
        return False


def watchdog_interval(env: dict[str, str] | None = None) -> float | None:
    """Half the watchdog timeout systemd asked for (``$WATCHDOG_USEC``), in seconds; None
    when there is no watchdog (or it is meant for another process)."""
    e = os.environ if env is None else env
    usec = e.get("WATCHDOG_USEC")
    pid = e.get("WATCHDOG_PID")
    if not usec or (pid and pid.isdigit() and int(pid) != os.getpid()):
        return None
    try:
        return int(usec) / 2e6
    except ValueError:
        return None


class Notifier:
    """READY once, then WATCHDOG and STATUS at most every half watchdog interval (or 10 s)."""

    def __init__(self, env: dict[str, str] | None = None, clock=time.monotonic) -> None:
        self._env = env
        self._clock = clock
        self.enabled = _address(os.environ if env is None else env) is not None
        self._interval = watchdog_interval(env) or 10.0
        self._ready = False
        self._last = -1e9

    def ready(self, status: str = "") -> None:
        if not self._ready and self.enabled:
            notify("READY=1" + (f"\nSTATUS={status}" if status else ""), self._env)
        self._ready = True

    def alive(self, status: str = "") -> None:
        """Call every frame: pings the watchdog when it is due."""
        if not self.enabled:
            return
        now = self._clock()
        if now - self._last >= self._interval:
            self._last = now
            notify("WATCHDOG=1" + (f"\nSTATUS={status}" if status else ""), self._env)

    def stopping(self) -> None:
        if self.enabled:
            notify("STOPPING=1", self._env)
