"""A bundle's files: extracting a zip safely, and checking every file by its content.

``extract_zip`` unpacks what ``zipcheck.plan_extraction`` accepted into a fresh folder,
counting the bytes it really writes (a zip that lies about its sizes is stopped there).
``check_files`` looks at every file of a bundle folder: ``playlist.yaml``, scenarios,
and creatives, which must be pictures or videos *by their content* (and be named like
what they are), checked with the player's own probes: header size before decoding (the
decompression-bomb guard), then a real decode.
"""

from __future__ import annotations

import os
import zipfile
import zlib
from pathlib import Path
from typing import BinaryIO

from signage.admin.zipcheck import HEAD_BYTES, METHODS, BundleRefused, EntryProblem, ZipLimits, plan_extraction
from signage.playlist.assets import IMAGE_TYPES, VIDEO_TYPES, AssetError, AssetInfo, Limits, probe_image, probe_video, sniff

__all__ = ["PLAYLIST", "check_media", "check_files", "extract_zip", "scenario_files", "IMAGE_EXT", "VIDEO_EXT"]

PLAYLIST = "playlist.yaml"
SCENARIO_DIR = "scenarios"
SCENARIO_NAMES = ("scenario.yaml", "scenario.yml")
IMAGE_EXT = {".png", ".jpg", ".jpeg", ".gif", ".bmp", ".webp"}
VIDEO_EXT = {".mp4", ".m4v", ".mov", ".mkv", ".webm", ".avi"}
_CHUNK = 1024 * 1024


def extract_zip(zip_path: str | os.PathLike[str] | BinaryIO, dest: Path, limits: ZipLimits) -> list[str]:
    """Unpack a zip into the empty folder ``dest``; the relative paths written.
    ``BundleRefused`` when the zip is not accepted (``dest`` may then hold part of it:
    the caller throws the folder away)."""
    try:
        zf = zipfile.ZipFile(zip_path)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        raise BundleRefused([EntryProblem("", "not a zip file: upload a .zip of playlist.yaml and its creatives")]) from None
    root = dest.resolve()
    written_paths = []
    total = 0
    with zf:
        try:
            plan = plan_extraction(zf.infolist(), limits, _heads(zf))
        except (zipfile.BadZipFile, ValueError) as exc:
            if isinstance(exc, BundleRefused):
                raise
            raise BundleRefused([EntryProblem("", f"a damaged zip file ({exc})")]) from None
        for f in plan:
            target = root.joinpath(*f.target.split("/"))  # the target is NFC-normalised
            if root not in target.parents:  # plan_extraction already refused this; never trust one check
                raise BundleRefused([EntryProblem(f.entry, "outside the bundle")])
            target.parent.mkdir(parents=True, exist_ok=True)
            written = 0
            try:
                with zf.open(f.entry) as src, open(target, "xb") as out:
                    while chunk := src.read(_CHUNK):
                        written += len(chunk)
                        total += len(chunk)
                        if written > f.size:
                            raise BundleRefused([EntryProblem(f.entry, "holds more than the size the zip declares for it: "
                                                                       "refused as a zip bomb")])
                        if total > limits.max_total_bytes:
                            raise BundleRefused([EntryProblem("", f"the files add up to more than the "
                                                                  f"{limits.max_total_bytes} bytes allowed")])
                        out.write(chunk)
            except BundleRefused:
                raise
            except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError, ValueError, OSError) as exc:
                raise BundleRefused([EntryProblem(f.entry, f"damaged in the zip ({exc})")]) from None
            written_paths.append(f.target)
    return written_paths


def _heads(zf: zipfile.ZipFile) -> dict[str, bytes]:
    """Each regular entry's first HEAD_BYTES, decompressed (at most that much is kept), to tell its kind."""
    out = {}
    for info in zf.infolist():
        if not info.filename:  # a name cut to nothing (zipfile ends names at a NUL): refused by the plan
            continue
        if info.is_dir() or info.flag_bits & 0x1 or info.compress_type not in METHODS or info.file_size < HEAD_BYTES:
            continue
        try:
            with zf.open(info) as src:
                out[info.filename] = src.read(HEAD_BYTES)
        except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError, ValueError, OSError):
            continue  # judged as an unknown file; extraction reports the damage
    return out


def _kind_of_name(name: str) -> str | None:
    ext = Path(name).suffix.lower()
    return "image" if ext in IMAGE_EXT else "video" if ext in VIDEO_EXT else None


def check_media(path: Path, name: str, limits: Limits) -> AssetInfo:
    """A creative file, by its content: a picture or a video the player can show, named
    like what it is. ``AssetError`` says what is wrong."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(64)
    except OSError as exc:
        raise AssetError(f"cannot read the file ({exc.strerror or exc})") from None
    fmt = sniff(head)
    named = _kind_of_name(name)
    kind = "image" if fmt in IMAGE_TYPES else "video" if fmt in VIDEO_TYPES else None
    if kind is None:
        if named:
            raise AssetError(f"named like {'an image' if named == 'image' else 'a video'} but its content is not "
                             f"a picture or a video this player can show (checked by content, not by name)")
        raise AssetError("not a picture or a video by its content (images: PNG, JPEG, WebP, GIF, BMP; "
                         "videos: MP4/MOV, MKV/WebM, AVI)")
    if named is None:
        raise AssetError(f"its content is {'an image' if kind == 'image' else 'a video'} ({fmt.upper()}) but its name "
                         f"does not say so: name it with a {fmt} extension")
    if named != kind:
        raise AssetError(f"named like {'an image' if named == 'image' else 'a video'} but its content is "
                         f"{'an image' if kind == 'image' else 'a video'} ({fmt.upper()})")
    return probe_image(path, limits) if kind == "image" else probe_video(path, limits)


def scenario_files(folder: Path) -> list[Path]:
    """The bundle's own audience scenarios: scenario.yaml at the top, scenarios/*.yaml."""
    out = [folder / n for n in SCENARIO_NAMES if (folder / n).is_file()]
    sdir = folder / SCENARIO_DIR
    if sdir.is_dir():
        out += sorted(p for p in sdir.iterdir() if p.is_file() and p.suffix.lower() in (".yaml", ".yml"))
    return out


def check_files(folder: Path, limits: Limits, max_text_bytes: int) -> list[EntryProblem]:
    """Every file of a bundle folder: what is not the playlist or a scenario must be a
    picture or a video by its content. Returns the problems (empty: all good)."""
    problems: list[EntryProblem] = []
    root = folder.resolve()
    scenarios = {p.resolve() for p in scenario_files(folder)}
    if not (folder / PLAYLIST).is_file():
        found = sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*.y*ml"))
        hint = f" (it holds {', '.join(found[:5])}: name the playlist {PLAYLIST})" if found else ""
        problems.append(EntryProblem(PLAYLIST, f"missing: a bundle has {PLAYLIST} at its top{hint}"))
    for path in sorted(folder.rglob("*")):
        rel = path.relative_to(folder).as_posix()
        if path.is_symlink() or not (path.is_file() or path.is_dir()):
            problems.append(EntryProblem(rel, "not a plain file"))
            continue
        if path.is_dir():
            continue
        if path.resolve().parent != root and root not in path.resolve().parents:
            problems.append(EntryProblem(rel, "outside the bundle"))
            continue
        if rel == PLAYLIST or path.resolve() in scenarios:
            size = path.stat().st_size
            if size > max_text_bytes:
                problems.append(EntryProblem(rel, f"{size} bytes, more than the {max_text_bytes} allowed"))
            continue
        try:
            check_media(path, rel, limits)
        except AssetError as exc:
            problems.append(EntryProblem(rel, str(exc)))
    return problems
