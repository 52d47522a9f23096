"""Checking the files a playlist uses: by content, not by name, before anything decodes them.

``probe_image`` and ``probe_video`` answer with an ``AssetInfo`` or raise ``AssetError``
whose message says what is wrong in words an advertiser understands. An image's type is
told by its first bytes, its size is read from its header and checked against the pixel
limit *before* it is decoded (a decompression bomb never reaches the decoder), and then it
is decoded with the decoder the screen uses (pygame). A video is opened with OpenCV, the
decoder the screen uses; its first and last frames must decode and its length is read.

Results are cached by (path, size, modification time), so re-validating a playlist whose
files have not changed costs a few ``stat`` calls.
"""

from __future__ import annotations

import os
import struct
import threading
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

IMAGE_TYPES = ("png", "jpeg", "gif", "bmp", "webp")
VIDEO_TYPES = ("mp4", "matroska", "avi")


class AssetError(ValueError):
    """A file the playlist cannot use; the message says why."""


@dataclass(frozen=True, slots=True)
class AssetInfo:
    path: Path
    kind: Literal["image", "video"]
    format: str
    bytes: int
    width: int
    height: int
    duration_s: float | None = None  # videos
    fps: float | None = None


@dataclass(frozen=True, slots=True)
class Limits:
    max_image_bytes: int
    max_image_pixels: int
    max_video_bytes: int
    max_video_seconds: float


# --------------------------------------------------------------------------- sniffing (pure)


def sniff(head: bytes) -> str | None:
    """The file type told by its first bytes (at least 32), or None."""
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "gif"
    if head.startswith(b"BM") and len(head) >= 26:
        return "bmp"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    if head[:4] == b"RIFF" and head[8:12] == b"AVI ":
        return "avi"
    if head[4:8] == b"ftyp":
        return "mp4"
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        return "matroska"
    return None


def image_size(data: bytes, fmt: str) -> tuple[int, int] | None:
    """(width, height) from an image header, without decoding it; None if unreadable."""
    try:
        if fmt == "png":
            if data[12:16] != b"IHDR":
                return None
            return struct.unpack(">II", data[16:24])
        if fmt == "gif":
            return struct.unpack("<HH", data[6:10])
        if fmt == "bmp":
            w, h = struct.unpack("<ii", data[18:26])
            return abs(w), abs(h)
        if fmt == "webp":
            chunk = data[12:16]
            if chunk == b"VP8X":
                w = int.from_bytes(data[24:27], "little") + 1
                h = int.from_bytes(data[27:30], "little") + 1
                return w, h
            if chunk == b"VP8L":
                b = int.from_bytes(data[21:25], "little")
                return (b & 0x3FFF) + 1, ((b >> 14) & 0x3FFF) + 1
            if chunk == b"VP8 ":
                w, h = struct.unpack("<HH", data[26:30])
                return w & 0x3FFF, h & 0x3FFF
            return None
        if fmt == "jpeg":
            return _jpeg_size(data)
    except struct.error:
        return None
    return None


def _jpeg_size(data: bytes) -> tuple[int, int] | None:
    i = 2
    n = len(data)
    while i + 4 <= n:
        if data[i] != 0xFF:
            return None
        marker = data[i + 1]
        if marker == 0xFF:  # fill byte
            i += 1
            continue
        if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:
            i += 2
            continue
        (length,) = struct.unpack(">H", data[i + 2:i + 4])
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            if i + 9 > n:
                return None
            h, w = struct.unpack(">HH", data[i + 5:i + 9])
            return w, h
        i += 2 + length
    return None


# --------------------------------------------------------------------------- probing (I/O)

_cache: OrderedDict[tuple, AssetInfo | str] = OrderedDict()
_cache_lock = threading.Lock()
_CACHE_SIZE = 512


def _cached(path: Path, kind: str, limits: Limits, probe) -> AssetInfo:
    try:
        st = path.stat()
    except FileNotFoundError:
        raise AssetError("file not found") from None
    except OSError as exc:
        raise AssetError(f"cannot read the file ({exc.strerror or exc})") from None
    if not path.is_file():
        raise AssetError("not a file")
    key = (str(path), kind, st.st_size, st.st_mtime_ns, limits)
    with _cache_lock:
        hit = _cache.get(key)
        if hit is not None:
            _cache.move_to_end(key)
    if hit is None:
        try:
            hit = probe(path, st.st_size, limits)
        except AssetError as exc:
            hit = str(exc)
        with _cache_lock:
            _cache[key] = hit
            while len(_cache) > _CACHE_SIZE:
                _cache.popitem(last=False)
    if isinstance(hit, str):
        raise AssetError(hit)
    return hit


def _mb(n: int) -> str:
    return f"{n / 1e6:.1f} MB" if n >= 1e5 else f"{n} bytes"


def probe_image(path: str | Path, limits: Limits) -> AssetInfo:
    return _cached(Path(path), "image", limits, _probe_image)


def probe_video(path: str | Path, limits: Limits) -> AssetInfo:
    return _cached(Path(path), "video", limits, _probe_video)


def _head(path: Path, size: int, limit: int, what: str, n: int) -> tuple[bytes, str | None]:
    """The first ``n`` bytes and the type they tell, after the size checks."""
    if size == 0:
        raise AssetError("the file is empty")
    if size > limit:
        raise AssetError(f"the file is {_mb(size)}, more than the {_mb(limit)} allowed for {what}")
    with path.open("rb") as f:
        head = f.read(n)
    return head, sniff(head)


def _probe_image(path: Path, size: int, limits: Limits) -> AssetInfo:
    head, fmt = _head(path, size, limits.max_image_bytes, "an image", 64 * 1024)
    if fmt not in IMAGE_TYPES:
        what = f"a {fmt} file" if fmt else "not an image this player can show"
        raise AssetError(f"{what} (images: PNG, JPEG, WebP, GIF or BMP, told by the file's content)")
    wh = image_size(head, fmt)
    if wh is None or wh[0] <= 0 or wh[1] <= 0:
        raise AssetError(f"a damaged {fmt.upper()} file: its header gives no picture size")
    w, h = wh
    if w * h > limits.max_image_pixels:
        raise AssetError(f"the picture is {w}x{h} = {w * h / 1e6:.0f} megapixels, more than the "
                         f"{limits.max_image_pixels / 1e6:.0f} allowed (scale it down to the screen's size)")
    if fmt == "jpeg":
        with path.open("rb") as f:
            f.seek(max(0, size - 4096))
            if b"\xff\xd9" not in f.read():
                raise AssetError("a truncated JPEG file (it has no end-of-image marker): upload it again")
    surface = _decode_with_pygame(path)
    if surface is None:
        raise AssetError(f"a damaged {fmt.upper()} file: it does not decode")
    if surface != (w, h):
        raise AssetError(f"a damaged {fmt.upper()} file: its header says {w}x{h} but it decodes as {surface[0]}x{surface[1]}")
    return AssetInfo(path=path, kind="image", format=fmt, bytes=size, width=w, height=h)


def _decode_with_pygame(path: Path) -> tuple[int, int] | None:
    os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
    import pygame  # the screen's own decoder; no display needed to decode

    try:
        with path.open("rb") as f:
            return pygame.image.load(f, path.name).get_size()
    except (pygame.error, OSError, ValueError, MemoryError):
        return None


def _probe_video(path: Path, size: int, limits: Limits) -> AssetInfo:
    _, fmt = _head(path, size, limits.max_video_bytes, "a video", 64)
    if fmt not in VIDEO_TYPES:
        what = f"a {fmt} file" if fmt else "not a video this player can show"
        raise AssetError(f"{what} (videos: MP4/MOV, MKV/WebM or AVI, told by the file's content)")
    import cv2

    cap = cv2.VideoCapture(str(path))
    try:
        if not cap.isOpened():
            raise AssetError(f"a damaged {fmt.upper()} file: it does not open as a video")
        fps = cap.get(cv2.CAP_PROP_FPS)
        count = int(cap.get(cv2.CAP_PROP_FRAME_COUNT))
        w, h = int(cap.get(cv2.CAP_PROP_FRAME_WIDTH)), int(cap.get(cv2.CAP_PROP_FRAME_HEIGHT))
        ok, first = cap.read()
        if not ok or first is None:
            raise AssetError(f"a damaged {fmt.upper()} file: its first frame does not decode")
        if not (0 < fps <= 240) or count <= 0:
            raise AssetError("the video's frame rate or length cannot be read (re-encode it as H.264 MP4)")
        if count > 1:
            cap.set(cv2.CAP_PROP_POS_FRAMES, count - 1)
            ok, last = cap.read()
            if not ok or last is None:
                cap.set(cv2.CAP_PROP_POS_FRAMES, max(0, count - 3))
                ok, last = cap.read()
            if not ok or last is None:
                raise AssetError(f"a truncated or damaged {fmt.upper()} file: its last frames do not decode")
    finally:
        cap.release()
    duration = count / fps
    if duration > limits.max_video_seconds:
        raise AssetError(f"the video lasts {duration:.0f} s, more than the {limits.max_video_seconds:.0f} s allowed")
    return AssetInfo(path=path, kind="video", format=fmt, bytes=size, width=w, height=h,
                     duration_s=duration, fps=fps)
