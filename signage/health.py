"""The player's health, for operators: a small JSON status file, written atomically.

``HealthReporter.update(state)`` is called by the render loop every frame and only copies a
few numbers; a thread of its own writes the file (temporary file in the same folder, then
``os.replace``) at most once per ``write_interval_s``, so a reader never sees half a file
and the render loop never waits on the disk. The status holds numbers, ids and short
words only: camera state, frame rates, the creative on screen, the rule and reason of the
last decision, the playlist, the latest audience numbers, recent errors. Never an image.

``signage status`` reads it back (``read_status``) and fails when it is missing or stale.
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
from signage.periodic import Periodic

log = logging.getLogger(__name__)

# The folder the running code comes from: on a kiosk, /opt/signage/releases/<version>
# (kiosk/update.sh checks that the player reporting healthy runs the new release).
RELEASE = str(Path(__file__).resolve().parents[1])


def status_path(settings: Any) -> Path:
    """Where the player writes its status (``health.status_file``)."""
    return Path(settings.health.status_file).expanduser()


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
            "smile_ratio": round(a.smile_ratio, 3), "surprise_ratio": round(a.surprise_ratio, 3),
            "passers_by": a.passers_by, "mean_dwell_s": round(a.mean_dwell_s, 1), "trend": a.trend,
        },
        "errors": [f"{t} {msg}"[:200] for t, msg in state.errors[-10:]],
    }


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
    def __init__(self, config: HealthConfig, *, wall=None) -> None:
        self.path = Path(config.status_file).expanduser()
        self.interval = config.write_interval_s
        self._wall = wall or (lambda: dt.datetime.now(dt.timezone.utc))
        self._doc: dict[str, Any] | None = None
        self._lock = threading.Lock()
        self._thread = Periodic(self.interval, self.write_now, "health")
        self._failing = False
        self._last_update = 0.0
        self._static: dict[str, Any] = {}
        self.writes = 0

    def set_static(self, **fields: str | int | float | bool | None) -> None:
        """Facts that do not change while the player runs, added to every status (for
        example ``display="kmsdrm 1920x1080"``, or ``"headless"``: a kiosk showing nothing)."""
        self._static.update(fields)

    def update(self, state: Any) -> None:
        """Called every frame; takes the numbers at most every ``interval`` / 2 seconds."""
        t = time.monotonic()
        if t - self._last_update < self.interval / 2:
            return
        self._last_update = t
        doc = {**snapshot(state, self._wall()), **self._static}
        with self._lock:
            self._doc = doc

    def write_now(self) -> None:
        with self._lock:
            doc, self._doc = self._doc, None
        if doc is None:
            return
        try:
            write_atomically(self.path, doc)
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
        self.write_now()
