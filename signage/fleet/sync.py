"""Content sync: a fleet ``Manifest`` (files by sha256) becomes a content-store version, active.

Steps (``ContentSync.activate``):

1. a version made from this very manifest before is activated again (no download);
2. every file missing from the local cache (``<content>/fleet-cache/<sha256>``) is fetched
   with an HTTP GET of ``<base_url>/<sha256>`` (urllib, a timeout per read, at most the
   manifest's size + 1 bytes read), its sha256 checked while it streams to a temporary file,
   which is renamed into the cache only when size and hash match;
3. the version folder is assembled in the store's ``tmp/`` (hard links to the cache, a copy
   where links are refused), validated exactly as the admin service validates an upload
   (``Intake.validate``: every file by its content, then the playlist), moved into
   ``versions/`` in one rename (``create_version_from_bundle``) and activated in one rename
   (``ContentStore.activate``); the player's watcher takes it at its next look.

A failed or partial download, a wrong hash or size, or a bundle that does not validate raises
``SyncError`` (its message says which file and why) and changes nothing: the active version
stays, the temporary files are removed, the cache holds only verified files.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import http.client
import json
import logging
import os
import secrets
import shutil
import ssl
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from signage.content_store import PLAYLIST_NAME, ContentStore, StoreError, Version
from signage.fleet.messages import FileRef, Manifest

log = logging.getLogger("signage.fleet")

CACHE_DIR = "fleet-cache"
_CHUNK = 256 * 1024


class SyncError(Exception):
    """A manifest that could not be made the active version; nothing was changed."""


def manifest_digest(manifest: Manifest) -> str:
    """The same manifest, the same digest (it identifies a version built from it)."""
    return hashlib.sha256(json.dumps(manifest.model_dump(), sort_keys=True).encode()).hexdigest()


def fetch(url: str, ref: FileRef, dest: Path, *, timeout_s: float, context: ssl.SSLContext | None = None) -> None:
    """Download ``url`` to ``dest`` (a new file), checking the size and sha256 of ``ref``.
    SyncError (``dest`` removed) when the server fails, the size or hash differs, or a read times out."""
    h = hashlib.sha256()
    n = 0
    try:
        with urllib.request.urlopen(url, timeout=timeout_s, context=context) as resp, open(dest, "xb") as out:
            while chunk := resp.read(min(_CHUNK, ref.size + 1 - n)):
                n += len(chunk)
                if n > ref.size:
                    raise SyncError(f"{ref.path}: the server sent more than the manifest's {ref.size} bytes")
                h.update(chunk)
                out.write(chunk)
            out.flush()
            os.fsync(out.fileno())
        if n != ref.size:
            raise SyncError(f"{ref.path}: incomplete download, {n} of {ref.size} bytes")
        if h.hexdigest() != ref.sha256:
            raise SyncError(f"{ref.path}: sha256 {h.hexdigest()[:12]}... is not the manifest's {ref.sha256[:12]}...")
    except SyncError:
        dest.unlink(missing_ok=True)
        raise
    except urllib.error.HTTPError as exc:
        dest.unlink(missing_ok=True)
        raise SyncError(f"{ref.path}: {url}: HTTP {exc.code} {exc.reason}") from None
    except (OSError, ValueError, http.client.HTTPException) as exc:  # refused, reset, timed out, cut mid-file
        dest.unlink(missing_ok=True)
        raise SyncError(f"{ref.path}: {url}: download failed after {n} of {ref.size} bytes "
                        f"({getattr(exc, 'reason', None) or exc})") from None


@dataclass
class ContentSync:
    """``validate(folder)`` raises (ValueError, with the reasons) when the bundle is not a valid
    version: in the player, the admin service's own ``Intake.validate``."""

    store: ContentStore
    validate: Callable[[Path], Any]
    timeout_s: float = 30.0
    ssl_context: ssl.SSLContext | None = None

    @property
    def cache(self) -> Path:
        return self.store.root / CACHE_DIR

    def activate(self, manifest: Manifest, base_url: str, *, by: str = "fleet") -> tuple[Version, int]:
        """Make the manifest the active version; (the version, files downloaded). SyncError: nothing changed."""
        if manifest.playlist != PLAYLIST_NAME:
            raise SyncError(f"manifest {manifest.version}: the playlist must be {PLAYLIST_NAME} at the top of the "
                            f"version (the content store plays <version>/{PLAYLIST_NAME}), not {manifest.playlist!r}")
        if PLAYLIST_NAME not in {f.path for f in manifest.files}:
            raise SyncError(f"manifest {manifest.version}: {PLAYLIST_NAME} is not among its files")
        digest = manifest_digest(manifest)
        version = self._built_before(digest)
        fetched = 0
        if version is None:
            fetched = self._fetch_missing(manifest, base_url.rstrip("/"))
            version = self._build(manifest, digest)
        try:
            self.store.activate(version.id, by=by)
        except (OSError, StoreError) as exc:
            raise SyncError(f"version {version.id} could not be activated: {exc}") from None
        return version, fetched

    def _built_before(self, digest: str) -> Version | None:
        for v in self.store.versions():
            if v.meta.get("fleet_manifest") == digest:
                return v
        return None

    def _fetch_missing(self, manifest: Manifest, base_url: str) -> int:
        self.cache.mkdir(parents=True, exist_ok=True)
        fetched = 0
        for ref in {f.sha256: f for f in manifest.files}.values():
            if (self.cache / ref.sha256).is_file():
                continue
            part = self.cache / f".part-{secrets.token_hex(6)}"
            fetch(f"{base_url}/{ref.sha256}", ref, part, timeout_s=self.timeout_s, context=self.ssl_context)
            os.replace(part, self.cache / ref.sha256)
            fetched += 1
        return fetched

    def _build(self, manifest: Manifest, digest: str) -> Version:
        work = self.store.new_workdir("fleet")
        try:
            for ref in manifest.files:
                dest = work / ref.path
                dest.parent.mkdir(parents=True, exist_ok=True)
                try:
                    os.link(self.cache / ref.sha256, dest)
                except FileExistsError:
                    raise SyncError(f"manifest {manifest.version}: {ref.path} is listed twice") from None
                except OSError:
                    shutil.copyfile(self.cache / ref.sha256, dest)
            try:
                loaded = self.validate(work)
            except ValueError as exc:
                raise SyncError(f"manifest {manifest.version}: {exc}") from None
            playlist = loaded[0].playlist if isinstance(loaded, tuple) and loaded else None
            meta = {"uploaded_by": "fleet", "source": "fleet",
                    "uploaded_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
                    "fleet_version": manifest.version, "fleet_manifest": digest,
                    "playlist_name": getattr(playlist, "name", ""),
                    "files": sorted(f.path for f in manifest.files)}
            try:
                return self.store.create_version_from_bundle(work, meta)
            except (OSError, StoreError) as exc:
                raise SyncError(f"manifest {manifest.version}: the version could not be stored: {exc}") from None
        finally:
            shutil.rmtree(work, ignore_errors=True)  # gone already when it became a version


def fleet_version(store: ContentStore) -> str | None:
    """The active version, as the fleet knows it: the manifest's version name when it came from
    the fleet, else the store's own id (an upload on the kiosk's admin service)."""
    vid = store.active_id()
    if vid is None:
        return None
    try:
        return str(store.get(vid).meta.get("fleet_version") or vid)[:128]
    except StoreError:
        return vid


def admin_validator(store: ContentStore, settings: Any) -> Callable[[Path], Any]:
    """The admin service's validation of a bundle (``Intake.validate``), as ``ContentSync.validate``."""
    from signage.admin.intake import Intake

    intake = Intake(store, settings.admin, settings.playlist)
    return intake.validate
