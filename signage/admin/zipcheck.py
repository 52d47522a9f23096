"""Is a zip safe to extract? A pure function of its entry list and the limits.

``plan_extraction(infos, limits)`` looks only at the zip's central directory (each
``ZipInfo``: name, sizes, flags, Unix mode) and returns where each file goes inside the
bundle, or raises ``BundleRefused`` listing every entry that is refused and why:

- names that leave the bundle: absolute paths, drive letters, ``..``, backslashes, NUL;
- links and special files: a Unix mode (``external_attr``) of a symbolic link, a device,
  a FIFO or a socket;
- encrypted entries, unknown compression methods;
- too many entries, too many bytes once uncompressed, a file or a whole zip whose
  compression ratio is a zip bomb's (judged by kind: ``ratio_ceiling``), a name given
  twice (names compared NFC-normalised and case-folded).

What the declared sizes promise is checked again while extracting (``bundle.py``): a zip
that lies about its sizes is caught there.
"""

from __future__ import annotations

import stat
import unicodedata
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

__all__ = ["BundleRefused", "EntryProblem", "PlannedFile", "ZipLimits", "plan_extraction", "ratio_ceiling", "HEAD_BYTES", "IGNORED"]

# A compression ratio is only judged on files at least this large (a small text file of
# repeated lines compresses well and is harmless); the total limit covers the rest.
RATIO_MIN_BYTES = 1024 * 1024
MAX_NAME_BYTES = 255
MAX_DEPTH = 16
# What zip tools of desktop systems add on their own: skipped, never extracted.
IGNORED_DIRS = ("__MACOSX",)
IGNORED = (".DS_Store", "Thumbs.db", "desktop.ini")
# The content store keeps a version's metadata here.
RESERVED = ".signage"
METHODS = {zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED, zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA}


@dataclass(frozen=True, slots=True)
class ZipLimits:
    max_entries: int
    max_total_bytes: int
    max_ratio: float  # compressed media and anything unrecognised
    max_raw_ratio: float = 2000.0  # uncompressed BMP (as big as its header says) and playlist/scenario text
    max_image_pixels: int = 40_000_000


# The first bytes of each entry (decompressed, at most HEAD_BYTES) tell its kind.
HEAD_BYTES = 64
TEXT_EXT = (".yaml", ".yml")
BMP_SLACK = 4096  # a BMP may end with a few bytes past its rows (padding, an ICC profile)


def _bmp_size(head: bytes, max_pixels: int) -> int | None:
    """The size an uncompressed BMP's header implies, or None (not one, or compressed)."""
    if len(head) < 34 or head[:2] != b"BM":
        return None
    offset = int.from_bytes(head[10:14], "little")
    width = int.from_bytes(head[18:22], "little", signed=True)
    height = abs(int.from_bytes(head[22:26], "little", signed=True))
    bpp = int.from_bytes(head[28:30], "little")
    method = int.from_bytes(head[30:34], "little")
    if method not in (0, 3) or width <= 0 or height <= 0 or bpp not in (1, 4, 8, 16, 24, 32):
        return None
    if width * height > max_pixels:
        return None
    return offset + (width * bpp + 31) // 32 * 4 * height


def ratio_ceiling(info: zipfile.ZipInfo, head: bytes | None, limits: ZipLimits) -> tuple[float, str]:
    """(the highest compression ratio allowed for this entry, what kind it was judged as).

    Uncompressed BMP pictures are mostly flat colour and deflate up to deflate's own ceiling
    (1032:1); they are as big as their header says, no more, so they get ``max_raw_ratio``
    when their declared size matches. Playlist and scenario text too (small anyway). Every
    other file, already compressed (PNG, JPEG, GIF, WebP, videos: a zip barely shrinks them)
    or not a creative at all (a bomb's zeros), gets ``max_ratio``."""
    if info.filename.lower().endswith(TEXT_EXT):
        return limits.max_raw_ratio, "text"
    implied = _bmp_size(head or b"", limits.max_image_pixels)
    if implied is not None and info.file_size <= implied + BMP_SLACK:
        return limits.max_raw_ratio, "an uncompressed BMP"
    return limits.max_ratio, "a file"


@dataclass(frozen=True, slots=True)
class EntryProblem:
    entry: str  # the file: its name as written in the zip or bundle ("" for the upload as a whole)
    message: str
    line: int | None = None  # in a playlist or scenario file
    field: str | None = None  # dotted field path in a playlist ("creatives.2.source")

    def format(self) -> str:
        where = f"{self.entry}:{self.line}" if self.entry and self.line else self.entry
        what = f"{self.field}: {self.message}" if self.field else self.message
        return f"{where}: {what}" if where else what

    def to_json(self) -> dict[str, object]:
        return {"file": self.entry, "line": self.line, "field": self.field, "message": self.message}


@dataclass(frozen=True, slots=True)
class PlannedFile:
    entry: str  # the name in the zip
    target: str  # relative POSIX path inside the bundle folder
    size: int  # declared uncompressed size


class BundleRefused(ValueError):
    """An upload that is not accepted; ``problems`` says what and why, per file."""

    def __init__(self, problems: Sequence[EntryProblem], what: str = "the bundle") -> None:
        self.problems = list(problems)
        self.what = what
        super().__init__(self.format())

    @property
    def headline(self) -> str:
        n = len(self.problems)
        return f"{self.what} was refused, {n} problem{'s' if n != 1 else ''}"

    def format(self) -> str:
        return "\n".join([self.headline + ":"] + ["  " + p.format() for p in self.problems])

    def to_json(self) -> list[dict[str, object]]:
        return [p.to_json() for p in self.problems]

    def without_paths(self, *folders: object) -> BundleRefused:
        """The same refusal with every server folder taken out of its messages (a file inside
        one is named relative to it): messages never show server paths."""
        return BundleRefused([EntryProblem(p.entry, scrub(p.message, folders), p.line, p.field) for p in self.problems],
                             self.what)


def scrub(text: str, folders: Sequence[object]) -> str:
    """``text`` with each folder (and its resolved form) removed: ``/srv/x/tmp/u1/a.png`` -> ``a.png``."""
    import os

    forms = set()
    for f in folders:
        forms.update({str(f), os.path.realpath(str(f))})
    for form in sorted(forms, key=len, reverse=True):
        text = text.replace(form + "/", "").replace(form, "the bundle")
    return text


def _file_type(info: zipfile.ZipInfo) -> str | None:
    """The kind of a non-regular entry from its Unix mode (the high 16 bits of
    ``external_attr``; 0 when the zip was made without one), or None for a file or folder."""
    mode = info.external_attr >> 16
    if not stat.S_IFMT(mode):  # permission bits only (Python's zipfile writes 0o600): a file
        return None
    if stat.S_ISLNK(mode):
        return "a symbolic link"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device file"
    if stat.S_ISFIFO(mode):
        return "a named pipe"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISREG(mode) or stat.S_ISDIR(mode):
        return None
    return "not a regular file"


def _name_problem(name: str) -> str | None:
    if not name or name in ("/", "."):
        return "an empty file name"
    if "\x00" in name:
        return "a file name with a NUL character"
    if "\\" in name:
        return "a file name with a backslash (Windows separators are not accepted: zip it again with a zip tool)"
    if name.startswith("/"):
        return "an absolute path: entries must stay inside the bundle"
    if len(name) >= 2 and name[1] == ":" and name[0].isalpha():
        return "a drive-letter path: entries must stay inside the bundle"
    parts = [p for p in name.rstrip("/").split("/") if p not in ("", ".")]
    if ".." in parts:
        return "a path with '..': entries must stay inside the bundle"
    if not parts:
        return "an empty file name"
    if len(parts) > MAX_DEPTH:
        return f"nested more than {MAX_DEPTH} folders deep"
    if any(len(p.encode("utf-8")) > MAX_NAME_BYTES for p in parts):
        return f"a name part longer than {MAX_NAME_BYTES} bytes"
    if parts[0] == RESERVED:
        return f"'{RESERVED}/' is reserved for the service's own records"
    hidden = [p for p in parts if p.startswith(".")]
    if hidden:
        return f"a hidden file or folder ({hidden[0]!r}): leave it out of the bundle"
    return None


def _ignored(name: str) -> bool:
    parts = [p for p in name.split("/") if p]
    return bool(parts) and (parts[0] in IGNORED_DIRS or parts[-1] in IGNORED)


def _parts(name: str) -> list[str]:
    return [p for p in name.rstrip("/").split("/") if p not in ("", ".")]


def plan_extraction(infos: Sequence[zipfile.ZipInfo], limits: ZipLimits,
                    heads: Mapping[str, bytes] | None = None) -> list[PlannedFile]:
    """Where each file of the zip goes (relative paths), or ``BundleRefused`` with every problem.

    ``heads``: each entry's first bytes (``HEAD_BYTES``), which tell an uncompressed BMP.
    The compression ratio is judged per file (files of ``RATIO_MIN_BYTES`` or more) and on the
    whole zip: all the files together may not hold more than ``RATIO_MIN_BYTES`` plus each
    file's compressed size times its ceiling (``ratio_ceiling``), so many small bombs are
    caught as surely as one big one. Names are compared NFC-normalised and case-folded, and
    written NFC-normalised.

    A zip whose files all sit in one top folder (``my-campaign/playlist.yaml`` ...), as zipping
    a folder makes, is unpacked without that folder."""
    heads = heads or {}
    if len(infos) > limits.max_entries:
        raise BundleRefused([EntryProblem("", f"the zip holds {len(infos)} entries, more than the "
                                              f"{limits.max_entries} allowed")])
    problems: list[EntryProblem] = []
    files: list[tuple[zipfile.ZipInfo, list[str]]] = []
    total = 0
    allowed = RATIO_MIN_BYTES  # what the whole zip may hold once uncompressed, by its files' kinds
    for info in infos:
        name = info.filename
        if _ignored(name):
            continue
        bad = _name_problem(name)
        if bad is None:
            bad = _file_type(info)
            bad = f"{bad}: only plain files are accepted" if bad else None
        if bad is None and info.flag_bits & 0x1:
            bad = "encrypted: upload a zip without a password"
        if bad is None and info.compress_type not in METHODS:
            bad = f"compression method {info.compress_type} is not supported (use deflate)"
        ceiling, kind = ratio_ceiling(info, heads.get(name), limits)
        if bad is None and not info.is_dir() and info.file_size >= RATIO_MIN_BYTES:
            ratio = info.file_size / max(info.compress_size, 1)
            if ratio > ceiling:
                bad = (f"compressed {ratio:.0f} to 1 ({info.file_size} bytes from {info.compress_size}), more than the "
                       f"{ceiling:g} to 1 allowed for {kind}: refused as a zip bomb")
        if bad is not None:
            problems.append(EntryProblem(name, bad))
            continue
        if info.is_dir():
            continue
        total += info.file_size
        allowed += max(info.compress_size, 1) * ceiling
        files.append((info, _parts(unicodedata.normalize("NFC", name))))
    if not problems and total > allowed and total <= limits.max_total_bytes:
        problems.append(EntryProblem("", f"the files add up to {total} bytes once uncompressed from "
                                         f"{sum(i.compress_size for i, _ in files)} compressed, more than their kinds "
                                         f"allow: refused as a zip bomb"))
    if total > limits.max_total_bytes:
        problems.append(EntryProblem("", f"the files add up to {total} bytes once uncompressed, more than the "
                                         f"{limits.max_total_bytes} allowed"))
    if problems:
        raise BundleRefused(problems)
    if not files:
        raise BundleRefused([EntryProblem("", "the zip holds no file")])

    # one common top folder, and no file at the top: unpack without it
    tops = {parts[0] for _, parts in files}
    if len(tops) == 1 and all(len(parts) > 1 for _, parts in files):
        files = [(info, parts[1:]) for info, parts in files]

    seen: dict[str, str] = {}
    planned = []
    for info, parts in files:
        target = "/".join(parts)
        # two names that one filesystem would take for the same: NFC/NFD forms of one name
        # (macOS), or names differing by case only (FAT, exFAT, macOS, Windows)
        key = target.casefold()
        if key in seen:
            problems.append(EntryProblem(info.filename, f"given twice (also as {seen[key]!r})"))
            continue
        seen[key] = info.filename
        planned.append(PlannedFile(info.filename, target, info.file_size))
    # a file and a folder of the same name ("a" and "a/b")
    folders = {"/".join(p.target.split("/")[:i]).casefold() for p in planned for i in range(1, p.target.count("/") + 1)}
    for p in planned:
        if p.target.casefold() in folders:
            problems.append(EntryProblem(p.entry, "a file with the same name as a folder"))
    if problems:
        raise BundleRefused(problems)
    return planned
