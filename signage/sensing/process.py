"""Sensing in its own process (``player.sensing_isolation = "process"``, the default): the
same face to the player as ``SensingService`` (``latest``, ``status``, ``mark_play``,
``start``, ``stop``), with the camera, MediaPipe and OpenCV in a child process that the
kernel locks down (sensing/child.py, sensing/sandbox.py).

A crash there (a native fault in a camera driver, MediaPipe or OpenCV, an out-of-memory
kill) never stops the screen: the player keeps its schedule with no audience rules, the
notice says the camera is off, and the child is started again with a backoff that doubles
from ``camera.reconnect_min_s`` to ``camera.reconnect_max_s``. Each change is logged once.
What comes back is parsed into ``AudienceSnapshot`` and ``SensingStatus`` values; anything
else on the channel is ignored (and said once).
"""

from __future__ import annotations

import dataclasses
import json
import logging
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable

from signage.config import CameraConfig, SensingConfig
from signage.values import AudienceSnapshot, SensingStatus

log = logging.getLogger(__name__)

_SNAP_FIELDS = {f.name for f in dataclasses.fields(AudienceSnapshot)}
_STATUS_FIELDS = {f.name for f in dataclasses.fields(SensingStatus)}


def _exit_reason(rc: int) -> str:
    if rc < 0:
        try:
            return f"killed by {signal.Signals(-rc).name}"
        except ValueError:
            return f"killed by signal {-rc}"
    return f"exit status {rc}"


class SensingProcess:
    """Run sensing in a supervised child process; ``latest()`` is the newest snapshot or None."""

    def __init__(self, sensing: SensingConfig, camera: CameraConfig, *, stale_after_s: float = 2.0,
                 clock: Callable[[], float] = time.monotonic, once: bool = False, sandbox: bool = True,
                 log_level: str = "INFO", command: list[str] | None = None, standby: bool = True) -> None:
        config = {"sensing": sensing.model_dump(mode="json"), "camera": camera.model_dump(mode="json"),
                  "stale_after_s": stale_after_s, "once": once, "sandbox": sandbox, "log_level": log_level}
        self._config = json.dumps(config)
        self._config_standby = json.dumps({**config, "standby": True})
        self._standby = standby and not once
        self._spare: subprocess.Popen | None = None  # a warm child waiting to take over
        self._sensed = False  # the running child has measured
        self._camera = camera
        self._stale_after = stale_after_s
        self._clock = clock
        self._once = once
        self._command = command or [sys.executable, "-m", "signage.sensing.child"]
        self._source = str(camera.source)
        self._latest: tuple[float, AudienceSnapshot] | None = None
        self._status = SensingStatus(camera="off" if not camera.enabled else "starting", source=self._source)
        self._down: str | None = None  # why there is no child right now
        self._restarts = 0
        self._play: int | None = None
        self._paused = False  # a passer-by's pause (signage/pause.py): the child closes its camera
        self._proc: subprocess.Popen | None = None
        self._lock = threading.Lock()  # the child's stdin
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._garbage_said = False
        self.latency_s: list[float] = []  # child's send to the player's receipt, last 1,000 (bench)

    # --------------------------------------------------------------- the player's side

    def latest(self) -> AudienceSnapshot | None:
        item = self._latest
        if item is None or self._paused or self._down is not None or self._status.camera != "on":
            return None
        at, snap = item
        return snap if self._clock() - at <= self._stale_after else None

    def status(self) -> SensingStatus:
        st = self._status
        if self._paused and st.camera != "off":  # said at once, whatever the child's last message
            return dataclasses.replace(st, camera="paused", fps=0.0)
        if self._down is not None and st.camera not in ("off", "stopped", "ended"):
            return dataclasses.replace(st, camera="reconnecting", fps=0.0, last_error=self._down,
                                       reconnects=st.reconnects + self._restarts)
        if st.camera == "on" and (self._latest is None or self._clock() - self._latest[0] > self._stale_after):
            return dataclasses.replace(st, camera="reconnecting", reconnects=st.reconnects + self._restarts)
        return dataclasses.replace(st, reconnects=st.reconnects + self._restarts) if self._restarts else st

    def mark_play(self, label: int) -> None:
        self._play = int(label)
        self._send({"play": self._play})

    def pause(self) -> None:
        """A passer-by's pause: nothing is published from now, and the child closes its camera
        (``SensingService.pause``); a child restarted meanwhile starts paused."""
        if not self._camera.enabled or self._paused:
            return
        self._paused = True
        self._latest = None
        self._send({"pause": True})

    def resume(self) -> None:
        if not self._paused:
            return
        self._paused = False
        self._send({"pause": False})

    # --------------------------------------------------------------- lifecycle

    def start(self) -> SensingProcess:
        if not self._camera.enabled:
            log.info("camera off by configuration: the schedule plays without audience rules")
            return self
        if self._thread is None:
            self._thread = threading.Thread(target=self._supervise, name="signage sensing process", daemon=True)
            self._thread.start()
        return self

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        self._end_spare()
        self._send({"stop": True})
        proc = self._proc
        if proc is not None:
            try:
                proc.stdin.close()
            except OSError:
                pass
            try:
                proc.wait(timeout)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None
        if self._status.camera != "off":
            self._status = dataclasses.replace(self._status, camera="stopped")
            log.debug("camera %s: stopped", self._source)  # the child says it, when it runs

    def __enter__(self) -> SensingProcess:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --------------------------------------------------------------- supervisor thread

    def _send(self, msg: dict) -> None:
        proc = self._proc
        if proc is None or proc.stdin is None:
            return
        with self._lock:
            try:
                proc.stdin.write(json.dumps(msg) + "\n")
                proc.stdin.flush()
            except (OSError, ValueError):
                pass  # the child is gone: the supervisor sees it

    def _spawn(self, standby: bool) -> subprocess.Popen | None:
        """A child with its configuration sent; a standby one loads everything, then waits for "go"."""
        try:
            proc = subprocess.Popen(self._command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=None,
                                    text=True, encoding="utf-8", close_fds=True)
        except OSError as exc:
            self._went_down(f"the sensing process cannot start: {exc}")
            return None
        self._write(proc, [self._config_standby if standby else self._config])
        if not standby:
            self._write(proc, self._state_lines())
        return proc

    def _state_lines(self) -> list[str]:
        lines = [json.dumps({"play": self._play})] if self._play is not None else []
        return lines + ([json.dumps({"pause": True})] if self._paused else [])

    def _write(self, proc: subprocess.Popen, lines: list[str]) -> None:
        with self._lock:
            try:
                for line in lines:
                    proc.stdin.write(line + "\n")
                proc.stdin.flush()
            except (OSError, ValueError):
                pass

    def _on_sensing(self) -> None:
        """The running child measures: have a warm standby ready to take over if it dies."""
        if self._standby and not self._stop.is_set() and (self._spare is None or self._spare.poll() is not None):
            self._spare = self._spawn(standby=True)

    def _supervise(self) -> None:
        backoff = self._camera.reconnect_min_s
        while not self._stop.is_set():
            spare, self._spare = self._spare, None
            if spare is not None and spare.poll() is None:
                proc = spare  # loaded already: it opens the camera and measures within a moment
                self._write(proc, [json.dumps({"go": True})] + self._state_lines())
            else:
                proc = self._spawn(standby=False)
            if proc is not None:
                self._proc = proc
                self._sensed = False
                self._read(proc)
                rc = proc.wait()
                self._proc = None
                if self._stop.is_set():
                    return
                if self._status.camera == "ended":
                    self._latest = None
                    self._end_spare()
                    return
                self._went_down(f"the sensing process ended ({_exit_reason(rc)})")
                self._restarts += 1
                if self._sensed:  # it was measuring: take over at once (a crash loop never measures)
                    backoff = self._camera.reconnect_min_s
                    continue
            if self._stop.wait(backoff):
                return
            backoff = min(backoff * 2, self._camera.reconnect_max_s)

    def _end_spare(self) -> None:
        spare, self._spare = self._spare, None
        if spare is None:
            return
        try:
            spare.stdin.close()  # a standby child ends at the end of its input
            spare.wait(5)
        except (OSError, subprocess.TimeoutExpired):
            spare.kill()
            spare.wait()

    def _went_down(self, why: str) -> None:
        self._latest = None
        if self._down != why:
            log.warning("camera %s: reconnecting (%s); the schedule plays on without audience rules", self._source, why)
        self._down = why

    def _read(self, proc: subprocess.Popen) -> None:
        for line in proc.stdout:
            try:
                msg = json.loads(line)
                status = SensingStatus(**{k: v for k, v in msg["status"].items() if k in _STATUS_FIELDS})
                snap = msg.get("snapshot")
                snapshot = AudienceSnapshot(**{k: v for k, v in snap.items() if k in _SNAP_FIELDS}) if snap else None
                sent = float(msg["t"])
            except (ValueError, KeyError, TypeError, AttributeError):
                if not self._garbage_said:
                    log.warning("sensing process: a message off its format was ignored: %.80r", line)
                    self._garbage_said = True
                continue
            now = self._clock()
            if self._down is not None:
                log.info("sensing process %d: running", proc.pid)
                self._down = None
            self._status = status
            if snapshot is not None:
                self._latest = (now, snapshot)
                if not self._sensed:
                    self._sensed = True
                    self._on_sensing()
                self.latency_s.append(time.monotonic() - sent)
                del self.latency_s[:-1000]
