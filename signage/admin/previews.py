"""Previews of a version's creatives as the screen draws them (the notice included), for
its page: one PNG at the screen's size and a thumbnail per creative.

Drawn by ``preview_worker.py`` in a child process (SDL's dummy video and audio drivers:
no window, no sound), one version at a time, at a lower priority than the player, never
in the server's event loop: a thread waits for the child. Versions never change, so the
pictures are kept with the version (``versions/<id>/.signage/previews/``, made in ``tmp/``
and renamed in whole) and go when it is deleted. A drawing that fails or overruns
``TIMEOUT_S`` is reported on the page and tried again after a restart.
"""

from __future__ import annotations

import json
import logging
import os
import re
import secrets
import shutil
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

from signage.config import Settings
from signage.content_store import ContentStore, Version

__all__ = ["Previews", "PREVIEW_FILE", "TIMEOUT_S"]

FOLDER = "previews"  # in <version>/.signage/
MANIFEST = "manifest.json"
TIMEOUT_S = 180.0  # wall time for one version's previews (a loaded Pi draws a 1080p frame in about a second)
THUMB_WIDTH = 320
PREVIEW_FILE = re.compile(r"^c\d{1,4}(-thumb)?\.png$")
PACKAGE_ROOT = Path(__file__).resolve().parents[2]

log = logging.getLogger("signage.admin")


class Previews:
    """Per version: start the drawing, wait for it, read what it made."""

    def __init__(self, store: ContentStore, settings: Settings) -> None:
        self.store = store
        self.settings = settings
        self._lock = threading.Lock()
        self._running: dict[str, threading.Event] = {}
        self._failed: dict[str, str] = {}
        self._one_at_a_time = threading.Semaphore(1)
        self.renders = 0  # how many versions were drawn (tests: cached ones are not drawn again)

    def folder(self, v: Version) -> Path:
        return v.path / ".signage" / FOLDER

    def manifest(self, v: Version) -> dict[str, Any] | None:
        """What was drawn (``{"creatives": [...]}``), or None while it is not there yet."""
        try:
            return json.loads((self.folder(v) / MANIFEST).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None

    def failed(self, v: Version) -> str | None:
        return self._failed.get(v.id)

    def file(self, v: Version, name: str) -> Path | None:
        """A drawn picture of this version by its file name (``c0.png``, ``c0-thumb.png``)."""
        if not PREVIEW_FILE.match(name):
            return None
        p = self.folder(v) / name
        return p if p.is_file() else None

    def ensure(self, v: Version) -> threading.Event:
        """Start drawing the version's previews unless they are there or being drawn."""
        with self._lock:
            ev = self._running.get(v.id)
            if ev is not None:
                return ev
            ev = threading.Event()
            if self.manifest(v) is not None or v.id in self._failed:
                ev.set()
                return ev
            self._running[v.id] = ev
        threading.Thread(target=self._draw, args=(v, ev), name=f"preview-{v.id}", daemon=True).start()
        return ev

    def wait(self, v: Version, timeout: float) -> dict[str, Any] | None:
        """The manifest, waiting up to ``timeout`` s for a drawing under way."""
        self.ensure(v).wait(timeout)
        return self.manifest(v)

    def _job(self, v: Version, out: Path) -> dict[str, Any]:
        s = self.settings
        return {"playlist": str(v.playlist), "out": str(out), "display": s.display.model_dump(mode="json"),
                "notice": s.notice.model_dump(mode="json"), "limits": s.playlist.model_dump(mode="json"),
                "camera_on": s.camera.enabled, "thumb_width": THUMB_WIDTH}

    def _draw(self, v: Version, done: threading.Event) -> None:
        work = self.store.tmp_dir / f"preview-{v.id}-{secrets.token_hex(4)}"
        try:
            with self._one_at_a_time:
                if self.manifest(v) is None:
                    self._run(v, work)
        finally:
            shutil.rmtree(work, ignore_errors=True)
            with self._lock:
                self._running.pop(v.id, None)
            done.set()

    def _run(self, v: Version, work: Path) -> None:
        env = {**os.environ, "SDL_VIDEODRIVER": "dummy", "SDL_AUDIODRIVER": "dummy", "PYGAME_HIDE_SUPPORT_PROMPT": "1",
               "PYTHONPATH": os.pathsep.join(p for p in (str(PACKAGE_ROOT), os.environ.get("PYTHONPATH", "")) if p)}
        env.pop("DISPLAY", None)
        env.pop("WAYLAND_DISPLAY", None)
        try:
            proc = subprocess.run([sys.executable, "-m", "signage.admin.preview_worker"],
                                  input=json.dumps(self._job(v, work)), text=True, capture_output=True,
                                  timeout=TIMEOUT_S, env=env, cwd=str(self.store.tmp_dir))
        except subprocess.TimeoutExpired:
            self._failed[v.id] = f"drawing the previews took longer than {TIMEOUT_S:.0f} s; they are tried again after a restart"
            return
        except OSError as exc:
            self._failed[v.id] = f"the previews could not be drawn ({exc.strerror or 'cannot start'})"
            return
        if proc.returncode != 0 or not (work / MANIFEST).is_file():
            self._failed[v.id] = "the previews could not be drawn (the drawing process failed)"
            log.warning("previews of version %s: exit %s: %s", v.id, proc.returncode, proc.stderr[-2000:])
            return
        self.renders += 1
        dest = self.folder(v)
        if not v.path.is_dir():  # deleted meanwhile
            return
        dest.parent.mkdir(exist_ok=True)
        try:
            os.rename(work, dest)  # whole or absent
        except OSError:
            if self.manifest(v) is None:
                self._failed[v.id] = "the previews could not be stored"
