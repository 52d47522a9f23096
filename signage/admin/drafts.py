"""Drafts: a working folder where single creatives and a playlist are put one by one.

A draft lives in ``<data>/drafts/<id>/`` (flat: file names only, no folders). It can
start empty or as a copy of a version. Each file is checked when it is put: a creative by
its content (``bundle.check_media``), the playlist as UTF-8 text of a bounded size. It is
written beside the draft first, then renamed in, so a refused file leaves the draft as it
was. Validating a draft never changes it; committing it makes a version through the same
checks as a bundle (``Intake.from_folder``).
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
from typing import BinaryIO
from dataclasses import dataclass
from pathlib import Path

from signage.admin.bundle import PLAYLIST, check_media
from signage.admin.zipcheck import BundleRefused, EntryProblem
from signage.content_store import META_DIR, Version
from signage.playlist.assets import AssetError, Limits

__all__ = ["DraftError", "Drafts", "DRAFT_ID", "FILE_NAME"]

DRAFT_ID = re.compile(r"^d-[0-9a-f]{12}$")
FILE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")
_CHUNK = 1024 * 1024


class DraftError(ValueError):
    """A draft operation refused; the message says why."""


@dataclass(frozen=True)
class DraftFile:
    name: str
    bytes: int


class Drafts:
    def __init__(self, root: Path, tmp_dir: Path) -> None:
        self.root = root
        self.tmp_dir = tmp_dir
        root.mkdir(parents=True, exist_ok=True)

    def path(self, draft_id: str) -> Path:
        if not isinstance(draft_id, str) or not DRAFT_ID.match(draft_id):
            raise DraftError(f"{draft_id!r} is not a draft id")
        p = self.root / draft_id
        if not p.is_dir():
            raise DraftError(f"no draft {draft_id}")
        return p

    def ids(self) -> list[str]:
        return sorted((p.name for p in self.root.iterdir() if DRAFT_ID.match(p.name) and p.is_dir()), reverse=True)

    def create(self, from_version: Version | None = None) -> str:
        draft_id = f"d-{secrets.token_hex(6)}"
        work = self.tmp_dir / f"newdraft-{secrets.token_hex(6)}"
        if from_version is not None:
            shutil.copytree(from_version.path, work, ignore=shutil.ignore_patterns(META_DIR), symlinks=True)
        else:
            work.mkdir()
        os.rename(work, self.root / draft_id)
        return draft_id

    def files(self, draft_id: str) -> list[DraftFile]:
        p = self.path(draft_id)
        return [DraftFile(q.relative_to(p).as_posix(), q.stat().st_size)
                for q in sorted(p.rglob("*")) if q.is_file() and not q.is_symlink()]

    def put(self, draft_id: str, name: str, src: BinaryIO, *, limits: Limits, max_bytes: int,
            max_playlist_bytes: int) -> DraftFile:
        """Add or replace one file; ``BundleRefused`` (naming the file) when it is not accepted."""
        folder = self.path(draft_id)
        if not isinstance(name, str) or not FILE_NAME.match(name):
            raise BundleRefused([EntryProblem(str(name)[:100], "a file name is letters, digits, '.', '_', '-' "
                                                             "(up to 100, no folder), starting with a letter or digit")],
                                what="the file")
        tmp = self.tmp_dir / f"put-{secrets.token_hex(6)}-{name}"
        try:
            size = 0
            with open(tmp, "xb") as out:
                while chunk := src.read(_CHUNK):
                    size += len(chunk)
                    if size > max_bytes:
                        raise BundleRefused([EntryProblem(name, f"more than the {max_bytes} bytes allowed")], what="the file")
                    out.write(chunk)
            if name == PLAYLIST:
                if size > max_playlist_bytes:
                    raise BundleRefused([EntryProblem(name, f"{size} bytes, more than the {max_playlist_bytes} allowed "
                                                            "for a playlist")], what="the file")
                try:
                    tmp.read_bytes().decode("utf-8-sig")
                except UnicodeDecodeError:
                    raise BundleRefused([EntryProblem(name, "not UTF-8 text (save the playlist as UTF-8)")],
                                        what="the file") from None
            else:
                try:
                    check_media(tmp, name, limits)
                except AssetError as exc:
                    raise BundleRefused([EntryProblem(name, str(exc))], what="the file") from None
            os.replace(tmp, folder / name)
        finally:
            tmp.unlink(missing_ok=True)
        return DraftFile(name, size)

    def remove_file(self, draft_id: str, name: str) -> bool:
        folder = self.path(draft_id)
        if not FILE_NAME.match(name or ""):
            raise DraftError(f"{name!r} is not a file name")
        target = folder / name
        if target.is_file():
            target.unlink()
            return True
        return False

    def delete(self, draft_id: str) -> None:
        folder = self.path(draft_id)
        doomed = self.tmp_dir / f"deldraft-{secrets.token_hex(6)}"
        os.rename(folder, doomed)
        shutil.rmtree(doomed, ignore_errors=True)
