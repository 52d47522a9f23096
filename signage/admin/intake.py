"""From an upload to a version: unpack, check every file, validate, simulate, store.

Everything happens in a fresh folder under the content store's ``tmp/`` (the same
filesystem as ``versions/``); only a bundle that passes every check is renamed into
``versions/``. A refused upload raises ``BundleRefused`` and leaves nothing behind: the
versions folder and the active version are never touched.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from signage.admin.bundle import PLAYLIST, check_files, extract_zip, scenario_files
from signage.admin.simulation import example_scenarios, load_scenarios
from signage.admin.zipcheck import BundleRefused, EntryProblem, ZipLimits
from signage.config import AdminConfig, PlaylistLimits
from signage.content_store import ContentStore, Version
from signage.playlist.assets import Limits
from signage.playlist.loader import LoadedPlaylist, PlaylistError, load_playlist

__all__ = ["Intake", "content_digest"]


def content_digest(folder: Path) -> str:
    """SHA-256 over every file's relative path and bytes (the same bundle, the same digest)."""
    h = hashlib.sha256()
    for p in sorted(folder.rglob("*")):
        if p.is_file() and not p.relative_to(folder).as_posix().startswith(".signage/"):
            h.update(p.relative_to(folder).as_posix().encode() + b"\0")
            with open(p, "rb") as f:
                while chunk := f.read(1 << 20):
                    h.update(chunk)
            h.update(b"\0")
    return h.hexdigest()


def _asset_limits(lim: PlaylistLimits) -> Limits:
    return Limits(max_image_bytes=lim.max_image_bytes, max_image_pixels=lim.max_image_pixels,
                  max_video_bytes=lim.max_video_bytes, max_video_seconds=lim.max_video_seconds)


def summary_text(loaded: LoadedPlaylist, folder: Path) -> str:
    """The loader's summary, named as in the bundle, without its warnings (listed apart)."""
    text = loaded.summary().replace(str(folder / PLAYLIST), PLAYLIST)
    return "\n".join(line for line in text.splitlines() if not line.startswith("  warning: "))


def playlist_problems(exc: PlaylistError, name: str = PLAYLIST) -> list[EntryProblem]:
    return [EntryProblem(name, p.message + (f" ({p.context})" if p.context else ""), p.line, p.path or None)
            for p in exc.problems]


@dataclass
class Intake:
    store: ContentStore
    admin: AdminConfig
    limits: PlaylistLimits

    @property
    def asset_limits(self) -> Limits:
        return _asset_limits(self.limits)

    @property
    def zip_limits(self) -> ZipLimits:
        return ZipLimits(max_entries=self.admin.max_zip_entries, max_total_bytes=self.admin.max_uncompressed_bytes,
                         max_ratio=self.admin.max_compression_ratio,
                         max_raw_ratio=self.admin.max_raw_compression_ratio, max_image_pixels=self.limits.max_image_pixels)

    def from_zip(self, zip_path: str | Path | BinaryIO, *, by: str, source: str = "upload") -> Version:
        """A new version from an uploaded zip, or ``BundleRefused`` (nothing kept)."""
        work = self.store.new_workdir("upload")
        try:
            extract_zip(zip_path, work, self.zip_limits)
            return self._store(work, by=by, source=source)
        except BundleRefused as exc:
            raise exc.without_paths(work, self.store.root) from None
        finally:
            shutil.rmtree(work, ignore_errors=True)  # gone already when it became a version

    def from_folder(self, folder: Path, *, by: str, source: str) -> Version:
        """A new version from a copy of a folder (a draft), or ``BundleRefused``."""
        work = self.store.new_workdir("draft")
        try:
            shutil.copytree(folder, work, dirs_exist_ok=True, symlinks=True)
            return self._store(work, by=by, source=source)
        except BundleRefused as exc:
            raise exc.without_paths(work, folder, self.store.root) from None
        finally:
            shutil.rmtree(work, ignore_errors=True)

    def validate(self, folder: Path) -> tuple[LoadedPlaylist, list, list[EntryProblem]]:
        """Check a bundle folder in place: (loaded playlist, scenarios, problems). Raises
        ``BundleRefused`` when there is any problem (its messages name files inside the folder
        relative to it, never a server path)."""
        try:
            return self._validate(folder)
        except BundleRefused as exc:
            raise exc.without_paths(folder, self.store.root) from None

    def _validate(self, folder: Path) -> tuple[LoadedPlaylist, list, list[EntryProblem]]:
        problems = check_files(folder, self.asset_limits, self.limits.max_playlist_bytes)
        loaded = None
        if (folder / PLAYLIST).is_file():
            try:
                loaded = load_playlist(folder / PLAYLIST, self.limits, confine_to=folder)
            except PlaylistError as exc:
                problems += playlist_problems(exc)
        own, scenario_problems = load_scenarios(scenario_files(folder), "bundle", base=folder)
        problems += [EntryProblem(f, msg) for f, msg in scenario_problems]
        if problems or loaded is None:
            # one entry per file and message (the playlist's asset errors and the file checks may agree)
            seen, unique = set(), []
            for p in problems:
                key = (p.entry, p.line, p.field, p.message)
                if key not in seen:
                    seen.add(key)
                    unique.append(p)
            raise BundleRefused(unique or [EntryProblem(PLAYLIST, "cannot be loaded")])
        examples, _ = load_scenarios(example_scenarios(self.admin.scenarios_dir or None), "example")
        return loaded, examples + own, []

    def _store(self, work: Path, *, by: str, source: str) -> Version:
        loaded, scenarios, _ = self.validate(work)  # simulated afterwards, in a bounded worker (sim_queue.py)
        p = loaded.playlist
        files = sorted(q.relative_to(work).as_posix() for q in work.rglob("*") if q.is_file())
        meta: dict[str, Any] = {
            "uploaded_by": by,
            "uploaded_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
            "source": source,
            "digest": content_digest(work),
            "playlist_name": p.name,
            "files": files,
            "validation": {
                "summary": summary_text(loaded, work),
                "creatives": len(p.creatives),
                "rules": len(p.rules),
                "warnings": [{"line": w.line, "field": w.path, "context": w.context, "message": w.message}
                             for w in loaded.warnings],
            },
        }
        version = self.store.create_version_from_bundle(work, meta)
        self.store.garbage_collect(self.admin.keep_versions)
        return version
