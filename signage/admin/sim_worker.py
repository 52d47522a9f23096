"""The simulation worker: ``python -m signage.admin.sim_worker``, one process per upload.

Started by ``sim_queue.SimulationQueue``, it reads one job (JSON, one line on stdin): the
version folder, the scenarios as ``[label, path]``, the simulated length cap, the playlist
limits, the CPU cap and the niceness. It then lowers its own priority (``nice``, SCHED_IDLE,
idle I/O class where the kernel has them) and sets ``RLIMIT_CPU``: at the soft limit the
kernel sends SIGXCPU and the scenario under way ends as "stopped"; two seconds later the hard
limit kills the process whatever it is doing. It dies with the service (PR_SET_PDEATHSIG).

It writes nothing to disk. Everything it says is a JSON line on stdout::

    {"event": "start", "k": 1, "n": 4, "label": "example: lunch-rush.yaml", "length_s": 7200}
    {"event": "progress", "k": 1, "reached_s": 1830.0}
    {"event": "result", "k": 1, "entry": {...}}          (simulation.simulate_one's entry)
    {"event": "stopped", "k": 2, "reached_s": 5400.0}     (the CPU limit was reached)
"""

from __future__ import annotations

import ctypes
import json
import math
import os
import resource
import signal
import sys
import time
from pathlib import Path
from typing import Any

__all__ = ["CpuLimit", "lower_priority", "main", "run_job"]

PROGRESS_EVERY_S = 0.5
HARD_MARGIN_S = 2  # the hard RLIMIT_CPU, past the soft one: a kill if SIGXCPU was not enough
PR_SET_PDEATHSIG = 1
IOPRIO_WHO_PROCESS, IOPRIO_CLASS_IDLE = 1, 3


class CpuLimit(Exception):
    """SIGXCPU: the soft CPU-time limit was reached."""


def _on_xcpu(_sig: int, _frame: Any) -> None:
    raise CpuLimit()


def lower_priority(nice: int) -> list[str]:
    """Below the player: niceness, SCHED_IDLE and the idle I/O class. Returns what was set."""
    done = []
    try:
        os.nice(max(0, nice - os.nice(0)))
        done.append(f"nice {os.nice(0)}")
    except OSError:
        pass
    if hasattr(os, "sched_setscheduler") and hasattr(os, "SCHED_IDLE"):
        try:
            os.sched_setscheduler(0, os.SCHED_IDLE, os.sched_param(0))
            done.append("SCHED_IDLE")
        except OSError:
            pass
    try:  # ioprio_set(IOPRIO_WHO_PROCESS, 0, IOPRIO_CLASS_IDLE << 13): no wrapper in the library
        libc = ctypes.CDLL(None, use_errno=True)
        nr = {"x86_64": 251, "aarch64": 30, "armv7l": 314, "armv6l": 314}.get(os.uname().machine)
        if nr is not None and libc.syscall(nr, IOPRIO_WHO_PROCESS, 0, IOPRIO_CLASS_IDLE << 13) == 0:
            done.append("idle I/O")
    except (OSError, AttributeError):
        pass
    return done


def _die_with_parent() -> None:
    try:
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):
        pass


def _emit(event: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(event, default=str) + "\n")
    sys.stdout.flush()


def run_job(job: dict[str, Any]) -> int:
    """Simulate every scenario of the job, saying each step on stdout; 3 when stopped at the limit."""
    from signage.admin.simulation import ScenarioSource, load_scenarios, scenario_length, simulate_one
    from signage.config import PlaylistLimits
    from signage.playlist.loader import PlaylistError, load_playlist

    folder = Path(job["folder"])
    scenarios: list[tuple[str, str]] = job["scenarios"]
    k = 0
    reached = [0.0]
    try:
        limits = PlaylistLimits.model_validate(job.get("limits") or {})
        try:
            loaded = load_playlist(folder / "playlist.yaml", limits, confine_to=folder)
        except PlaylistError as exc:
            for k, (label, _path) in enumerate(scenarios, 1):
                _emit({"event": "result", "k": k, "entry": {"scenario": label, "error": f"playlist.yaml: {exc.problems[0].message}"}})
            return 0
        last = [time.monotonic()]

        def progress(offset: float) -> None:
            reached[0] = offset
            now = time.monotonic()
            if now - last[0] >= PROGRESS_EVERY_S:
                last[0] = now
                _emit({"event": "progress", "k": k, "reached_s": round(offset, 1)})

        for k, (label, path) in enumerate(scenarios, 1):
            reached[0] = 0.0
            found, problems = load_scenarios([Path(path)], "")
            if not found:
                _emit({"event": "result", "k": k, "entry": {"scenario": label, "error": problems[0][1] if problems else "cannot be read"}})
                continue
            source = ScenarioSource(label, found[0].scenario)
            _emit({"event": "start", "k": k, "n": len(scenarios), "label": label,
                   "length_s": scenario_length(source, float(job["max_s"]))})
            _emit({"event": "result", "k": k, "entry": simulate_one(loaded.playlist, source, float(job["max_s"]), progress)})
    except CpuLimit:
        _emit({"event": "stopped", "k": k, "reached_s": round(reached[0], 1)})
        return 3
    return 0


def main() -> int:
    _die_with_parent()
    signal.signal(signal.SIGXCPU, _on_xcpu)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    job = json.loads(sys.stdin.readline() or "{}")
    cpu = max(1, int(job.get("cpu_s", 20)))
    lower_priority(int(job.get("nice", 10)))
    # The modules first, then the limit: the cap is the job's own CPU time, whatever the
    # start-up took on this machine (a loaded or slow one takes longer to import).
    import signage.admin.simulation  # noqa: F401
    import signage.playlist.loader  # noqa: F401

    used = resource.getrusage(resource.RUSAGE_SELF)
    soft = math.ceil(used.ru_utime + used.ru_stime) + cpu
    resource.setrlimit(resource.RLIMIT_CPU, (soft, soft + HARD_MARGIN_S))
    return run_job(job)


if __name__ == "__main__":
    sys.exit(main())
