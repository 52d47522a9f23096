"""Simulations of uploads, one at a time, each in a bounded worker process.

A new version is stored as soon as it is valid; its simulation is then queued. One thread
takes the jobs in order and runs each in ``python -m signage.admin.sim_worker`` (a process
of its own, at a lower priority than the player) with a CPU-time cap
(``admin.simulate_cpu_s``, RLIMIT_CPU) and a wall-time cap (``admin.simulate_wall_s``:
killed past it). Its progress (scenario k of n, the simulated time reached) is kept in
memory for the version page; its results are written to the version's
``.signage/simulation.json`` (prepared in ``tmp/``, then renamed in) and how the run went
to ``.signage/simulation-run.json``. A simulation is advice: a version stopped at a cap can
be activated like any other, and its page says where it stopped.

``stop()`` (SIGTERM) kills the worker at once and writes nothing: a version without results
is queued again when the service starts.
"""

from __future__ import annotations

import json
import logging
import os
import secrets
import subprocess
import sys
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from signage.admin.bundle import scenario_files
from signage.admin.simulation import example_scenarios
from signage.admin.wording import duration_words
from signage.content_store import META_DIR, SIMULATION_FILE, ContentStore

__all__ = ["RUN_FILE", "SimulationQueue", "finish_entries", "simulation_queue"]

log = logging.getLogger("signage.admin")

RUN_FILE = "simulation-run.json"
PACKAGE_ROOT = str(Path(__file__).resolve().parents[2])


@dataclass
class Running:
    version: str
    n: int
    pid: int = 0
    k: int = 0
    label: str = ""
    length_s: float = 0.0
    reached_s: float = 0.0
    started: float = field(default_factory=time.monotonic)
    results: dict[int, dict[str, Any]] = field(default_factory=dict)
    stopped_at: tuple[int, float] | None = None  # (scenario, simulated seconds) at the CPU limit


def finish_entries(labels: list[str], run: Running, *, cpu_s: float, cpu_limit: float, wall_limit: float,
                   killed_for_time: bool, returncode: int) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """The version's simulation entries and run summary once the worker has ended (pure)."""
    limit = None
    if killed_for_time:
        limit = f"stopped after {duration_words(wall_limit)} of wall time (the limit, admin.simulate_wall_s)"
    elif run.stopped_at is not None or (returncode in (-9, -24, 3) and len(run.results) < len(labels)):
        limit = f"stopped after {cpu_s:.0f} s of CPU (the limit is {cpu_limit:.0f} s, admin.simulate_cpu_s)"
    entries = []
    where = run.stopped_at or (run.k, run.reached_s)
    for k, label in enumerate(labels, 1):
        if k in run.results:
            entries.append(run.results[k])
        elif limit and k == where[0]:
            reached = f", at {duration_words(where[1])} of {duration_words(run.length_s)} simulated" if run.length_s else ""
            entries.append({"scenario": label, "stopped": f"{limit}{reached}"})
        elif limit:
            entries.append({"scenario": label, "stopped": f"not simulated: {limit}"})
        else:
            entries.append({"scenario": label, "error": f"not simulated: the worker ended unexpectedly (status {returncode})"})
    summary = {"cpu_s": round(cpu_s, 2), "cpu_limit_s": cpu_limit, "wall_limit_s": wall_limit,
               "stopped": limit, "scenarios": len(labels), "simulated": len(run.results)}
    return entries, summary


class SimulationQueue:
    """One worker at a time; ``submit`` a version id, ``progress`` says where it is."""

    def __init__(self, store: ContentStore, *, scenarios_dir: str, max_s: float, cpu_s: float, wall_s: float,
                 nice: int, limits: dict[str, Any]) -> None:
        self.store = store
        self.scenarios_dir = scenarios_dir
        self.max_s, self.cpu_s, self.wall_s, self.nice = max_s, cpu_s, wall_s, nice
        self.limits = limits
        self._queue: deque[str] = deque()
        self._cond = threading.Condition()
        self._running: Running | None = None
        self._taken: str | None = None  # the version taken off the queue, its worker not started yet
        self._pid = 0  # the worker's, while it has not been waited for
        self._stopping = False
        self._thread: threading.Thread | None = None
        self.runs: list[dict[str, Any]] = []  # the last runs (version, cpu_s, start and end, monotonic), newest last

    # ----------------------------------------------------------------- public

    def start(self) -> SimulationQueue:
        with self._cond:
            if self._thread is None:
                self._thread = threading.Thread(target=self._loop, name="simulation queue", daemon=True)
                self._thread.start()
        return self

    def submit(self, version_id: str) -> None:
        with self._cond:
            if version_id not in self._queue and not (self._running and self._running.version == version_id):
                self._queue.append(version_id)
                self._cond.notify_all()

    def requeue_unsimulated(self) -> int:
        """Queue every version without results (the service stopped before they ended), newest first."""
        n = 0
        for v in self.store.versions():
            if not (v.path / META_DIR / SIMULATION_FILE).is_file():
                self.submit(v.id)
                n += 1
        return n

    def progress(self, version_id: str) -> dict[str, Any]:
        """``queued`` (with how many are ahead), ``running`` (scenario k of n, simulated time
        reached), ``done`` (the run's summary) or ``none``."""
        with self._cond:
            r = self._running
            if r is not None and r.version == version_id:
                return {"state": "running", "scenario": max(r.k, 1), "of": r.n, "label": r.label,
                        "reached_s": round(r.reached_s, 1), "length_s": r.length_s,
                        "running_s": round(time.monotonic() - r.started, 1)}
            if r is None and self._taken == version_id:
                return {"state": "queued", "ahead": 0}
            if version_id in self._queue:
                ahead = list(self._queue).index(version_id) + (1 if r is not None else 0)
                return {"state": "queued", "ahead": ahead}
        run = self.run_summary(version_id)
        if run is not None or self._has_results(version_id):
            return {"state": "done", **(run or {})}
        return {"state": "none"}

    def run_summary(self, version_id: str) -> dict[str, Any] | None:
        try:
            data = json.loads((self.store.versions_dir / version_id / META_DIR / RUN_FILE).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        return data if isinstance(data, dict) else None

    def stop(self) -> None:
        """Kill the worker now (no result is written) and take no more jobs."""
        with self._cond:
            self._stopping = True
            self._queue.clear()
            pid = self._pid
            self._cond.notify_all()
        if pid:
            try:
                os.killpg(pid, 9)
            except OSError:
                pass

    def join(self, timeout: float) -> None:
        if self._thread is not None:
            self._thread.join(timeout)

    def worker_pid(self) -> int | None:
        with self._cond:
            return self._pid or None

    # ----------------------------------------------------------------- the thread

    def _has_results(self, version_id: str) -> bool:
        return (self.store.versions_dir / version_id / META_DIR / SIMULATION_FILE).is_file()

    def _loop(self) -> None:
        while True:
            with self._cond:
                while not self._queue and not self._stopping:
                    self._cond.wait()
                if self._stopping:
                    return
                vid = self._queue.popleft()
                self._taken = vid  # between the queue and the worker's start it is still "queued", not "none"
            try:
                self._run(vid)
            except Exception:  # noqa: BLE001 - the queue goes on with the next upload
                log.exception("simulation of version %s failed", vid)
            finally:
                with self._cond:
                    self._running = None
                    self._taken = None
                    self._pid = 0

    def _scenarios(self, folder: Path) -> list[tuple[str, str]]:
        out = [(f"example: {p.name}", str(p)) for p in example_scenarios(self.scenarios_dir or None)]
        out += [(f"bundle: {p.relative_to(folder).as_posix()}", str(p)) for p in scenario_files(folder)]
        return out

    def _run(self, vid: str) -> None:
        if not self.store.exists(vid):
            return  # removed meanwhile (old versions are cleaned up)
        folder = self.store.versions_dir / vid
        scenarios = self._scenarios(folder)
        job = {"folder": str(folder), "scenarios": scenarios, "max_s": self.max_s, "limits": self.limits,
               "cpu_s": self.cpu_s, "nice": self.nice}
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in (PACKAGE_ROOT, os.environ.get("PYTHONPATH")) if p)}
        run = Running(vid, len(scenarios))
        with self._cond:
            if self._stopping:
                return
            proc = subprocess.Popen([sys.executable, "-m", "signage.admin.sim_worker"], stdin=subprocess.PIPE,
                                    stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env, cwd=PACKAGE_ROOT,
                                    start_new_session=True, text=True)
            self._pid, self._running = proc.pid, run
            run.pid = proc.pid
        started = time.monotonic()
        timed_out = threading.Event()

        def kill_for_time() -> None:
            timed_out.set()
            try:
                os.killpg(proc.pid, 9)
            except OSError:
                pass

        timer = threading.Timer(self.wall_s, kill_for_time)
        timer.daemon = True
        timer.start()
        try:
            assert proc.stdin is not None and proc.stdout is not None
            try:
                proc.stdin.write(json.dumps(job) + "\n")
                proc.stdin.close()
            except OSError:
                pass
            for line in proc.stdout:
                self._event(run, line)
            _, status, usage = os.wait4(proc.pid, 0)
            proc.returncode = os.waitstatus_to_exitcode(status)
        finally:
            timer.cancel()
        with self._cond:
            self._pid = 0  # reaped: its id may be reused, never killed again
        cpu = usage.ru_utime + usage.ru_stime
        ended = time.monotonic()
        with self._cond:
            self.runs = (self.runs + [{"version": vid, "cpu_s": cpu, "start": started, "end": ended,
                                       "returncode": proc.returncode}])[-50:]
            if self._stopping:
                return  # stopped by the service: nothing written; queued again at the next start
        entries, summary = finish_entries([s[0] for s in scenarios], run, cpu_s=cpu, cpu_limit=self.cpu_s,
                                          wall_limit=self.wall_s, killed_for_time=timed_out.is_set(),
                                          returncode=proc.returncode)
        summary["wall_s"] = round(ended - started, 2)
        self._write(vid, entries, summary)
        log.info("simulation of %s: %d of %d scenarios, %.1f s of CPU%s", vid, summary["simulated"], len(scenarios),
                 cpu, f" ({summary['stopped']})" if summary["stopped"] else "")

    def _event(self, run: Running, line: str) -> None:
        try:
            e = json.loads(line)
            kind, k = e["event"], int(e.get("k", 0))
        except (ValueError, KeyError, TypeError):
            return
        with self._cond:
            if kind == "start":
                run.k, run.label, run.length_s, run.reached_s = k, str(e.get("label", "")), float(e.get("length_s", 0)), 0.0
            elif kind == "progress":
                run.reached_s = float(e.get("reached_s", 0))
            elif kind == "result" and isinstance(e.get("entry"), dict):
                run.results[k] = e["entry"]
                run.reached_s = run.length_s
            elif kind == "stopped":
                run.stopped_at = (k, float(e.get("reached_s", 0)))

    def _write(self, vid: str, entries: list[dict[str, Any]], summary: dict[str, Any]) -> None:
        meta = self.store.versions_dir / vid / META_DIR
        if not meta.is_dir():
            return
        for name, data in ((RUN_FILE, summary), (SIMULATION_FILE, entries)):  # the results last: they say "done"
            tmp = self.store.tmp_dir / f"sim-{secrets.token_hex(6)}.json"
            tmp.write_text(json.dumps(data, ensure_ascii=False, default=str), encoding="utf-8")
            try:
                os.replace(tmp, meta / name)
            except OSError:
                tmp.unlink(missing_ok=True)


def simulation_queue(settings: Any, store: ContentStore) -> SimulationQueue:
    """The queue for these settings (not started: ``start()`` it with the server)."""
    a = settings.admin
    return SimulationQueue(store, scenarios_dir=a.scenarios_dir, max_s=a.simulate_max_s, cpu_s=a.simulate_cpu_s,
                           wall_s=a.simulate_wall_s, nice=a.simulate_nice,
                           limits=settings.playlist.model_dump(mode="json"))
