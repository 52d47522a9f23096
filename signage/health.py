"""The player's health, for operators: a small JSON status file, written atomically.

``HealthReporter.update(state)`` is called by the render loop every frame and only copies a
few numbers; a thread of its own writes the file (temporary file in the same folder, then
``os.replace``) when something in it changed, looked at every ``write_interval_s``, and at
least every ``heartbeat_s``, so a reader never sees half a file and the render loop never
waits on the disk. The status holds numbers, ids and short words only: the display, camera
state, frame rates, the creative on screen, the rule and reason of the last decision, the
playlist, the analytics writer, the latest audience numbers, recent errors, and the
``problems`` that make the player unhealthy (``signage/healthcheck.py``). Never an image.

The file lives on tmpfs by default (``status_path``): it is rewritten often, and an SD card
should not be. ``signage status`` reads it back (``read_status``) and fails when it is
missing, stale or unhealthy.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from signage.config import HealthConfig
from signage.healthcheck import Since, problems
from signage.periodic import Periodic

log = logging.getLogger(__name__)

# The folder the running code comes from: on a kiosk, /opt/signage/releases/<version>
# (kiosk/update.sh checks that the player reporting healthy runs the new release).
RELEASE = str(Path(__file__).resolve().parents[1])


KIOSK_RUN_DIR = Path("/run/signage")  # kiosk/tmpfiles-signage.conf and the unit's RuntimeDirectory


def default_status_file(environ: Any = None, kiosk_dir: Path = KIOSK_RUN_DIR) -> Path:
    """On tmpfs when there is one for us: ``$XDG_RUNTIME_DIR/signage/status.json`` (a desktop
    session), else ``/run/signage/status.json`` when that folder exists (a kiosk), else on disk
    in ``~/.local/state/signage`` (written on change and heartbeat only)."""
    env = os.environ if environ is None else environ
    runtime = env.get("XDG_RUNTIME_DIR", "")
    if runtime and Path(runtime).is_absolute():
        return Path(runtime) / "signage" / "status.json"
    if kiosk_dir.is_dir():
        return kiosk_dir / "status.json"
    return Path("~/.local/state/signage/status.json").expanduser()


def configured_path(config: HealthConfig) -> Path:
    """``health.status_file``, else ``default_status_file()``."""
    return Path(config.status_file).expanduser() if config.status_file else default_status_file()


def status_path(settings: Any) -> Path:
    """Where the player writes its status (the admin service and ``signage status`` read the same)."""
    return configured_path(settings.health)


def _iso(t: dt.datetime | None) -> str | None:
    return t.isoformat(timespec="seconds") if t is not None else None


def snapshot(state: Any, now: dt.datetime) -> dict[str, Any]:
    """The status document for a ``PlayerState`` (pure)."""
    s = state.sensing
    a = state.audience
    return {
        "time": _iso(now),
        "pid": os.getpid(),
        "release": RELEASE,
        "uptime_s": round((now - state.started_at).total_seconds(), 1),
        "playlist": state.playlist,
        "playlist_version": state.playlist_version,
        "playlist_file": getattr(state, "playlist_file", ""),
        "creative": state.creative,
        "rule": state.rule,
        "reason": state.reason,
        "decided_at": _iso(state.decided_at),
        "render_fps": round(state.render_fps, 1),
        "frames": state.frames,
        "camera": {
            "state": s.camera if s else "unknown",
            "source": s.source if s else None,
            "fps": round(s.fps, 1) if s else 0.0,
            "dropped": s.dropped if s else 0,
            "reconnects": s.reconnects if s else 0,
            "last_error": s.last_error if s else None,
        },
        "audience": None if a is None else {
            "faces": a.faces, "watchers": a.watchers, "attention_ratio": round(a.attention_ratio, 3),
            "smile_ratio": None if a.smile_ratio is None else round(a.smile_ratio, 3),  # None: expressions off
            "surprise_ratio": None if a.surprise_ratio is None else round(a.surprise_ratio, 3),
            "passers_by": a.passers_by, "mean_dwell_s": round(a.mean_dwell_s, 1), "trend": a.trend,
        },
        "errors": [f"{t} {msg}"[:200] for t, msg in state.errors[-10:]],
        "paused_until": _iso(getattr(state, "paused_until", None)),  # a passer-by's pause (docs/objection.md)
    }


def analytics_status(stats: Any, *, db: str, queue: int, last_error: str | None, failing_s: float) -> dict[str, Any]:
    """The analytics writer's part of the status, from its ``WriterStats``."""
    return {
        "state": stats.state, "db": db, "queue": queue, "plays_written": stats.plays_written,
        "not_written": stats.dropped + stats.lost, "retries": stats.retries,
        "failing_s": round(failing_s, 1), "last_error": last_error[:200] if last_error else None,
    }


class LastWarning(logging.Handler):
    """Keeps the last warning or error a logger said (the analytics writer's last error)."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.message: str | None = None

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self.message = record.getMessage().removeprefix("analytics: ")
        except Exception:  # noqa: BLE001 - a bad log call must not break logging
            pass


# What changes all the time without being news: written at the heartbeat only.
_VOLATILE = {"time", "uptime_s", "frames", "render_fps", "audience", "decided_at"}
_VOLATILE_IN = {"camera": {"fps", "dropped", "failing_s"}, "analytics": {"queue", "plays_written", "failing_s", "retries"}}


def significant(doc: dict[str, Any]) -> dict[str, Any]:
    """The status without what changes every second: a change here is written at once."""
    out = {k: v for k, v in doc.items() if k not in _VOLATILE}
    for part, keys in _VOLATILE_IN.items():
        if isinstance(out.get(part), dict):
            out[part] = {k: v for k, v in out[part].items() if k not in keys}
    return out


def write_atomically(path: Path, doc: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".status-", suffix=".json", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(doc, f, indent=1)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def read_status(path: str | os.PathLike[str]) -> tuple[dict[str, Any], float]:
    """The status document and its age in seconds; OSError / ValueError when unreadable."""
    p = Path(path)
    age = time.time() - p.stat().st_mtime
    return json.loads(p.read_text(encoding="utf-8")), age


class HealthReporter:
    def __init__(self, config: HealthConfig, *, wall=None, path: Path | None = None, clock=time.monotonic) -> None:
        self.config = config
        self.path = path or configured_path(config)
        self.interval = config.write_interval_s
        self._wall = wall or (lambda: dt.datetime.now(dt.timezone.utc))
        self._clock = clock
        self._doc: dict[str, Any] | None = None
        self._lock = threading.Lock()
        self._thread = Periodic(self.interval, self.write_now, "health")
        self._failing = False
        self._last_update = -1e9
        self._static: dict[str, Any] = {}
        self._parts: dict[str, Any] = {}
        self._since = Since()
        self._written: dict[str, Any] | None = None  # significant() of the last write
        self._written_at = -1e9
        self.problems: list[str] = []
        self.writes = 0

    def set_static(self, **fields: Any) -> None:
        """Facts the wiring knows (not the frame's state), added to every status until set again:
        ``display={...}`` (the driver, size and whether it is what was configured), ``playlist_problem``."""
        self._static.update(fields)

    def add_part(self, name: str, part: Any) -> None:
        """``part(failing_s)`` gives a section of the status at each update (cheap: numbers
        only; called on the render thread); ``failing_s`` is a function (condition) -> seconds it held."""
        self._parts[name] = part

    def update(self, state: Any) -> None:
        """Called every frame; takes the numbers at most every ``interval`` / 2 seconds."""
        t = self._clock()
        if t - self._last_update < self.interval / 2:
            return
        self._last_update = t
        doc = {**snapshot(state, self._wall()), **self._static}
        for name, part in self._parts.items():
            doc[name] = part(lambda holds, key=name: self._since.seconds(key, holds, t))
        cam = doc["camera"]
        cam["failing_s"] = round(self._since.seconds("camera", cam["state"] == "reconnecting", t), 1)
        self.problems = doc["problems"] = problems(doc, analytics_grace_s=self.config.analytics_grace_s,
                                                   camera_grace_s=self.config.camera_grace_s)
        with self._lock:
            self._doc = doc

    def write_now(self, force: bool = False) -> None:
        with self._lock:
            doc, self._doc = self._doc, None
        if doc is None:
            return
        key = significant(doc)
        t = self._clock()
        if not force and key == self._written and t - self._written_at < self.config.heartbeat_s:
            return
        try:
            write_atomically(self.path, doc)
            self._written, self._written_at = key, t
            self.writes += 1
            if self._failing:
                log.info("status file %s: writing again", self.path)
                self._failing = False
        except OSError as exc:
            if not self._failing:
                log.warning("status file %s cannot be written (%s); the player plays on", self.path, exc)
                self._failing = True

    def start(self) -> HealthReporter:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._thread.stop()
        self.write_now(force=True)
