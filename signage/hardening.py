"""No core dump can hold a camera frame (issue 17): the player's and the sensing tool's
process makes itself non-dumpable (prctl PR_SET_DUMPABLE 0: no core file, no ptrace attach
by other processes of the same user, /proc/<pid>/mem closed to them) and sets its core-file
limit to 0, whatever the shell or the unit says (kiosk units also set LimitCORE=0).

Linux only; elsewhere, or if the kernel refuses, it says so once in the log and goes on.
"""

from __future__ import annotations

import ctypes
import logging
import resource
import sys

log = logging.getLogger("signage")

PR_SET_DUMPABLE = 4
PR_GET_DUMPABLE = 3


def _prctl():
    return ctypes.CDLL(None, use_errno=True).prctl


def no_core_dumps() -> bool:
    """Core limit 0 and non-dumpable; True when both hold."""
    ok = True
    try:
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    except (ValueError, OSError) as exc:
        log.warning("hardening: cannot set the core-file limit to 0 (%s)", exc)
        ok = False
    if not sys.platform.startswith("linux"):
        log.warning("hardening: not Linux: the process stays dumpable")
        return False
    try:
        if _prctl()(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0:
            log.warning("hardening: prctl(PR_SET_DUMPABLE, 0) refused (errno %d)", ctypes.get_errno())
            ok = False
    except (OSError, AttributeError) as exc:
        log.warning("hardening: prctl unavailable (%s)", exc)
        ok = False
    return ok


def dumpable() -> int:
    """The process's dumpable flag (0: no core, no ptrace by peers); -1 where unknown."""
    try:
        return int(_prctl()(PR_GET_DUMPABLE, 0, 0, 0, 0))
    except (OSError, AttributeError):
        return -1
