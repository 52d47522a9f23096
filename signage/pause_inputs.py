"""Where a pause request comes from, besides a key: the staff's file and a GPIO button.

The admin service and the player are two processes. A member of staff's pause (``POST
/api/pause``) or resume (``DELETE /api/pause``) is written by the admin service into a small
JSON file, ``pause.json`` beside the player's status file (on tmpfs: /run/signage on a kiosk),
atomically (a temporary file in the same folder, then ``os.replace``): a reader never sees half
of it. It holds one request: ``{"request": "pause" | "resume", "id": ..., "at": epoch seconds,
"by": account}``. The player's ``PauseFileWatcher`` looks at it every second (one ``stat``; the
file is read only when it changed, and whatever it holds is checked: size, JSON, fields) and
posts a request it has not seen into the ``PauseControl``'s inbox. A request older than a pause
lasts changes nothing; the one the file holds when the player starts is applied at its own time
(a pause asked 5 minutes ago still runs for the rest of its time).

A push button on a Raspberry Pi is read with gpiozero, imported only when ``pause.gpio_pin`` is
set: gpiozero is not a dependency. Where it is missing, or the pin cannot be used, a warning says
so and the player goes on without the button (docs/objection.md: the wiring).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import tempfile
import uuid
from pathlib import Path
from typing import Any

from signage.pause import PauseControl
from signage.periodic import Periodic

log = logging.getLogger("signage.pause")

FILE_NAME = "pause.json"
MAX_BYTES = 4096


def channel_path(status_file: Path, configured: str = "") -> Path:
    """``pause.file``, else ``pause.json`` beside the status file (both processes agree on it)."""
    return Path(configured).expanduser() if configured else Path(status_file).parent / FILE_NAME


def write_request(path: Path, request: str, by: str = "", now: float | None = None) -> dict[str, Any]:
    """Write a pause or resume request atomically (the admin service's side); returns it."""
    if request not in ("pause", "resume"):
        raise ValueError(f"a pause request is 'pause' or 'resume', got {request!r}")
    doc = {"request": request, "id": uuid.uuid4().hex, "at": dt.datetime.now(dt.timezone.utc).timestamp()
           if now is None else float(now), "by": str(by)[:64]}
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".pause-", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(doc, f)
        os.chmod(tmp, 0o664)  # the player (another user of the signage group) reads it
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return doc


def parse_request(data: bytes) -> tuple[str, str, float, str] | None:
    """(request, id, at, by) from the file's bytes; None for anything else."""
    if len(data) > MAX_BYTES:
        return None
    try:
        doc = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return None
    if not isinstance(doc, dict):
        return None
    req, rid, at, by = doc.get("request"), doc.get("id"), doc.get("at"), doc.get("by", "")
    if req not in ("pause", "resume") or not isinstance(rid, str) or not 0 < len(rid) <= 64:
        return None
    if isinstance(at, bool) or not isinstance(at, (int, float)) or not 0 < at < 1e11:
        return None
    return req, rid, float(at), by if isinstance(by, str) else ""


class PauseFileWatcher:
    """Looks at the pause file every ``interval_s`` on a thread of its own; each new request goes
    into ``control``'s inbox (the render loop never waits on the disk)."""

    def __init__(self, path: Path, control: PauseControl, interval_s: float = 1.0) -> None:
        self.path = path
        self.control = control
        self._seen: tuple | None = None  # the file's (inode, size, mtime) last read
        self._last_id: str | None = None
        self._warned = False
        self._periodic = Periodic(interval_s, self.check, "pause file")

    def check(self) -> bool:
        """Look once; True when a new request was posted."""
        try:
            st = self.path.stat()
        except OSError:
            return False
        key = (st.st_ino, st.st_size, st.st_mtime_ns)
        if key == self._seen:
            return False
        self._seen = key
        try:
            parsed = parse_request(self.path.read_bytes()[: MAX_BYTES + 1])
        except OSError:
            parsed = None
        if parsed is None:
            if not self._warned:
                log.warning("%s: not a pause request (ignored)", self.path)
                self._warned = True
            return False
        req, rid, at, by = parsed
        if rid == self._last_id:
            return False
        self._last_id = rid
        self.control.request(req, dt.datetime.fromtimestamp(at, dt.timezone.utc), f"staff{': ' + by if by else ''}")  # type: ignore[arg-type]
        return True

    def start(self) -> None:
        self.check()  # the request already there is applied at the first frame
        self._periodic.start()

    def stop(self) -> None:
        self._periodic.stop()


def open_button(pin: int | None, control: PauseControl) -> Any:
    """The gpiozero button on ``pin`` (BCM), pressed -> a pause; None when there is none (no pin
    configured, gpiozero missing, no usable GPIO here: a warning says which)."""
    if pin is None:
        return None
    try:
        from gpiozero import Button  # type: ignore[import-not-found]  # optional: a Raspberry Pi's
    except ImportError:
        log.warning("pause.gpio_pin = %d but gpiozero is not installed (apt install python3-gpiozero): "
                    "the pause button is not read; the player goes on without it", pin)
        return None
    try:
        button = Button(pin, pull_up=True, bounce_time=0.05)
    except Exception as exc:  # noqa: BLE001 - no GPIO on this machine, a pin in use: the screen goes on
        log.warning("pause.gpio_pin = %d cannot be used (%s): the pause button is not read; the player goes on",
                    pin, exc)
        return None
    button.when_pressed = lambda: control.request("pause", source="the button")
    log.info("pause button on GPIO %d", pin)
    return button


class PauseInputs:
    """The staff's file watcher and the button, started and stopped with the player."""

    def __init__(self, control: PauseControl | None = None, watcher: PauseFileWatcher | None = None,
                 gpio_pin: int | None = None) -> None:
        self.control, self.watcher, self.gpio_pin = control, watcher, gpio_pin
        self.button: Any = None

    def start(self) -> None:
        if self.watcher is not None:
            self.watcher.start()
        if self.control is not None:
            self.button = open_button(self.gpio_pin, self.control)

    def stop(self) -> None:
        if self.watcher is not None:
            self.watcher.stop()
        if self.button is not None:
            self.button.close()
            self.button = None


def build_pause(settings: Any, camera_enabled: bool) -> tuple[PauseControl | None, PauseInputs]:
    """The pause of ``settings.pause`` (none with the camera off by configuration: nothing to pause)."""
    if not camera_enabled:
        return None, PauseInputs()
    from signage.health import status_path
    from signage.identity import time_zone
    from signage.pause import resolve_keys

    cfg = settings.pause
    tz = time_zone(settings.screen.timezone) if settings.screen.timezone else None
    control = PauseControl(dt.timedelta(minutes=cfg.duration_min), resolve_keys(cfg.keys), tz)
    path = channel_path(status_path(settings), cfg.file)
    return control, PauseInputs(control, PauseFileWatcher(path, control), cfg.gpio_pin)
