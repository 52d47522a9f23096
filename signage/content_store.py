"""The content folder shared by the admin service and the player.

The contract (docs/admin.md, "The content folder")::

    <data>/
      versions/<version-id>/       one validated bundle: playlist.yaml and its creatives,
        playlist.yaml              immutable once it is there
        ...creatives...
        .signage/version.json      who uploaded it, when, digest, validation and simulation summary
        .signage/simulation.json   the simulated timelines (shown on the version page), written
                                   by the admin service when the simulation ends (sim_queue.py)
      active -> versions/<id>      the version the player plays (a relative symbolic link)
      activations.log              one JSON line per activation (who, when, which)
      tmp/                         work space on the same filesystem (uploads, extraction)

The player's ``player.playlist`` is ``<data>/active/playlist.yaml``; its watcher resolves
the link every time it looks, so switching the link switches the playlist.

Atomicity: a version is built in ``tmp/`` and renamed into ``versions/`` in one
``rename`` (a reader sees the whole folder or none of it). Activation makes a new link
in the data folder and ``os.replace``-s it over ``active`` (one ``rename``), then fsyncs
the folder: a kill at any point leaves the old or the new version active, never a mix,
and at worst a stray ``.active-*`` link that the next activation removes.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import json
import os
import re
import secrets
import shutil
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ["ContentStore", "StoreError", "Version", "VERSION_ID", "new_version_id"]

PLAYLIST_NAME = "playlist.yaml"
META_DIR = ".signage"
META_FILE = "version.json"
SIMULATION_FILE = "simulation.json"
VERSION_ID = re.compile(r"^\d{8}-\d{6}-[0-9a-f]{6}$")


class StoreError(Exception):
    """A content-store operation that cannot be done; the message says why."""


def new_version_id(now: dt.datetime | None = None) -> str:
    """Sortable by time: ``20261123-114502-3fa9c1`` (UTC)."""
    now = now or dt.datetime.now(dt.timezone.utc)
    return f"{now:%Y%m%d-%H%M%S}-{secrets.token_hex(3)}"


@dataclass(frozen=True)
class Version:
    id: str
    path: Path
    meta: dict[str, Any]

    @property
    def playlist(self) -> Path:
        return self.path / PLAYLIST_NAME

    @property
    def uploaded_by(self) -> str:
        return str(self.meta.get("uploaded_by", "?"))

    @property
    def uploaded_at(self) -> str:
        return str(self.meta.get("uploaded_at", ""))

    @property
    def name(self) -> str:
        return str(self.meta.get("playlist_name", ""))


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_tree(root: Path) -> None:
    """Flush every file and folder under root (before it is renamed into place)."""
    for dirpath, _dirs, files in os.walk(root):
        for f in files:
            fd = os.open(os.path.join(dirpath, f), os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
        _fsync_dir(Path(dirpath))


def _write_json(path: Path, data: Any) -> None:
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False, default=str), encoding="utf-8")


class ContentStore:
    """Versions, the active pointer and the activation log in one data folder."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root).expanduser()
        self.versions_dir = self.root / "versions"
        self.active_link = self.root / "active"
        self.tmp_dir = self.root / "tmp"
        self.log_file = self.root / "activations.log"
        for d in (self.root, self.versions_dir, self.tmp_dir):
            d.mkdir(parents=True, exist_ok=True)

    # ----------------------------------------------------------------- paths the player uses

    @property
    def active_playlist(self) -> Path:
        """What the player's ``player.playlist`` should be."""
        return self.active_link / PLAYLIST_NAME

    # ----------------------------------------------------------------- reading

    def _check_id(self, version_id: str) -> str:
        if not isinstance(version_id, str) or not VERSION_ID.match(version_id):
            raise StoreError(f"{version_id!r} is not a version id")
        return version_id

    def get(self, version_id: str) -> Version:
        path = self.versions_dir / self._check_id(version_id)
        if not (path / PLAYLIST_NAME).is_file():
            raise StoreError(f"no version {version_id}")
        try:
            meta = json.loads((path / META_DIR / META_FILE).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            meta = {}
        return Version(version_id, path, meta)

    def exists(self, version_id: str) -> bool:
        return bool(VERSION_ID.match(version_id or "")) and (self.versions_dir / version_id / PLAYLIST_NAME).is_file()

    def versions(self) -> list[Version]:
        """Every version, newest first."""
        out = []
        for p in sorted(self.versions_dir.iterdir(), reverse=True):
            if VERSION_ID.match(p.name) and (p / PLAYLIST_NAME).is_file():
                out.append(self.get(p.name))
        return out

    def simulation(self, version_id: str) -> Any:
        path = self.versions_dir / self._check_id(version_id) / META_DIR / SIMULATION_FILE
        try:
            return json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None

    def active_id(self) -> str | None:
        """The active version's id, or None when nothing is active (or the link is broken)."""
        try:
            target = os.readlink(self.active_link)
        except OSError:
            return None
        name = Path(target).name
        return name if self.exists(name) else None

    def activations(self) -> list[dict[str, Any]]:
        """The activation log, oldest first (a torn last line, from a kill mid-write, is skipped)."""
        try:
            lines = self.log_file.read_text(encoding="utf-8").splitlines()
        except OSError:
            return []
        out = []
        for line in lines:
            try:
                entry = json.loads(line)
            except ValueError:
                continue
            if isinstance(entry, dict) and isinstance(entry.get("version"), str):
                out.append(entry)
        return out

    def previous_id(self) -> str | None:
        """The version that was active before the active one (what rollback goes back to)."""
        active = self.active_id()
        log = [e["version"] for e in self.activations()]
        # the most recent activation of the active version, then the one before it that differs
        idx = max((i for i, v in enumerate(log) if v == active), default=len(log))
        for v in reversed(log[:idx]):
            if v != active and self.exists(v):
                return v
        return None

    # ----------------------------------------------------------------- writing

    @contextlib.contextmanager
    def lock(self) -> Iterator[None]:
        """One writer at a time (activation, rollback, garbage collection)."""
        with open(self.root / ".lock", "a+") as f:
            fcntl.flock(f, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(f, fcntl.LOCK_UN)

    def new_workdir(self, prefix: str = "work") -> Path:
        """A fresh folder in tmp/ (same filesystem as versions/, so it can be renamed in)."""
        path = self.tmp_dir / f"{prefix}-{secrets.token_hex(8)}"
        path.mkdir()
        return path

    def clean_tmp(self) -> int:
        """Remove what interrupted uploads left in tmp/ (call once at start-up)."""
        n = 0
        for p in self.tmp_dir.iterdir():
            if p.is_dir() and not p.is_symlink():
                shutil.rmtree(p, ignore_errors=True)
            else:
                p.unlink(missing_ok=True)
            n += 1
        return n

    def create_version_from_bundle(self, folder: str | os.PathLike[str], meta: dict[str, Any],
                                   simulation: Any = None, version_id: str | None = None) -> Version:
        """Move a validated bundle folder (inside tmp/) into versions/ as a new version.

        ``folder`` must hold playlist.yaml at its top; it is consumed (renamed). The metadata
        and simulation are written into it first, then everything is flushed and the folder
        is renamed into place in one step."""
        src = Path(folder)
        if src.resolve().parent != self.tmp_dir.resolve():
            raise StoreError(f"{src}: a bundle must be prepared in {self.tmp_dir} (same filesystem)")
        if not (src / PLAYLIST_NAME).is_file():
            raise StoreError(f"{src}: no {PLAYLIST_NAME} at the top of the bundle")
        vid = self._check_id(version_id or new_version_id())
        (src / META_DIR).mkdir(exist_ok=True)
        _write_json(src / META_DIR / META_FILE, {**meta, "id": vid})
        if simulation is not None:
            _write_json(src / META_DIR / SIMULATION_FILE, simulation)
        _fsync_tree(src)
        dest = self.versions_dir / vid
        if dest.exists():
            raise StoreError(f"version {vid} already exists")
        os.rename(src, dest)
        _fsync_dir(self.versions_dir)
        return self.get(vid)

    def _remove_stray_links(self) -> None:
        for p in self.root.glob(".active-*"):
            if p.is_symlink():
                p.unlink(missing_ok=True)

    def activate(self, version_id: str, by: str = "", *,
                 _step: Callable[[str], None] | None = None) -> Version:
        """Make a version the active one, atomically; returns it.

        Steps: log the intent (a JSON line, fsynced), make a new link beside ``active``,
        rename it over ``active``, fsync the folder. ``_step`` (tests) is called after each."""
        step = _step or (lambda _name: None)
        version = self.get(version_id)
        with self.lock():
            self._remove_stray_links()
            step("start")
            entry = {"version": version.id, "by": by, "at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
                     "from": self.active_id()}
            with open(self.log_file, "a", encoding="utf-8") as f:
                f.write(json.dumps(entry) + "\n")
                f.flush()
                os.fsync(f.fileno())
            step("logged")
            tmp_link = self.root / f".active-{secrets.token_hex(6)}"
            os.symlink(os.path.join("versions", version.id), tmp_link)
            step("linked")
            os.replace(tmp_link, self.active_link)
            step("replaced")
            _fsync_dir(self.root)
            step("synced")
        return version

    def rollback(self, by: str = "") -> Version:
        """Activate the version that was active before the active one."""
        prev = self.previous_id()
        if prev is None:
            raise StoreError("nothing to roll back to: no earlier active version is kept")
        return self.activate(prev, by=by)

    def garbage_collect(self, keep: int) -> list[str]:
        """Delete versions beyond the newest ``keep``, never the active or the previous one.
        Returns the ids removed. A version is first renamed into tmp/ (gone from the list in
        one step), then deleted."""
        removed = []
        with self.lock():
            protect = {self.active_id(), self.previous_id()}
            for v in self.versions()[keep:]:
                if v.id in protect:
                    continue
                doomed = self.tmp_dir / f"gc-{v.id}-{secrets.token_hex(4)}"
                os.rename(v.path, doomed)
                shutil.rmtree(doomed, ignore_errors=True)
                removed.append(v.id)
            if removed:
                _fsync_dir(self.versions_dir)
        return removed

    def describe(self) -> dict[str, Any]:
        """The state, for the API and the dashboard."""
        return {"active": self.active_id(), "previous": self.previous_id(),
                "active_playlist": str(self.active_playlist), "versions": len(self.versions()),
                "checked_at": time.time()}
