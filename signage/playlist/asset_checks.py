"""Checking the files a playlist uses: each creative's source (or text background image)
resolved beside the playlist file (and kept inside a folder when asked), probed as an image
or video within the limits, each failure a ``Problem`` on its line; then what the files
tell the loaded playlist (a video's own length, the digest that changes with any file).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from signage.config import PlaylistLimits
from signage.playlist.assets import AssetError, AssetInfo, Limits, probe_image, probe_video
from signage.playlist.errors import Problem, problem_at
from signage.playlist.schema import Playlist, VideoCreative
from signage.playlist.yamlio import YamlDocument


def asset_limits(limits: PlaylistLimits | Limits | None) -> Limits:
    """The asset limits: as given, from the playlist settings, or the defaults."""
    if isinstance(limits, Limits):
        return limits
    lim = limits or PlaylistLimits()
    return Limits(max_image_bytes=lim.max_image_bytes, max_image_pixels=lim.max_image_pixels,
                  max_video_bytes=lim.max_video_bytes, max_video_seconds=lim.max_video_seconds)


def _resolve(base: Path, source: str, confine_to: str | Path | None) -> Path:
    if not source or "\x00" in source:
        raise AssetError("an empty or invalid file name")
    try:
        p = Path(source).expanduser()
        full = (p if p.is_absolute() else base / p).resolve()
    except RuntimeError:  # Python 3.11-3.12: a loop of symbolic links
        raise AssetError(f"{source!r} is a loop of symbolic links") from None
    except (OSError, ValueError) as exc:  # 3.13 raises OSError (ELOOP); a name too long
        raise AssetError(f"{source!r} cannot be followed ({getattr(exc, 'strerror', None) or exc})") from None
    if confine_to is not None:
        root = Path(confine_to).resolve()
        if full != root and root not in full.parents:
            raise AssetError(f"{source!r} lies outside the playlist's folder; keep creatives inside it")
    return full


def _asset_sources(playlist_like: Iterable[tuple[int, dict | Any]]) -> list[tuple[int, str, str, str]]:
    """(index, field, kind, source) for every file a creative uses."""
    out = []
    for i, c in playlist_like:
        get = c.get if isinstance(c, dict) else (lambda k, c=c: getattr(c, k, None))
        kind = get("type")
        if kind in ("image", "video") and isinstance(get("source"), str):
            out.append((i, "source", kind, get("source")))
        if kind in ("image", "video") and isinstance(get("portrait_source"), str):
            out.append((i, "portrait_source", kind, get("portrait_source")))
        if kind == "text" and isinstance(get("background_image"), str):
            out.append((i, "background_image", "image", get("background_image")))
        if kind == "text" and isinstance(get("portrait_background_image"), str):
            out.append((i, "portrait_background_image", "image", get("portrait_background_image")))
    return out


def asset_key(creative_id: str, field: str = "source") -> str:
    """Where a creative's file is in ``LoadedPlaylist.assets``: its id, or ``id:portrait`` for
    its portrait variant (``portrait_source``, ``portrait_background_image``; an id has no colon)."""
    return f"{creative_id}:portrait" if field.startswith("portrait_") else creative_id


def _check_one(base: Path, source: str, kind: str, limits: Limits, confine_to) -> AssetInfo:
    full = _resolve(base, source, confine_to)
    try:
        return probe_image(full, limits) if kind == "image" else probe_video(full, limits)
    except AssetError as exc:
        shown = source if Path(source).is_absolute() else f"{source} (looked for {full})"
        msg = str(exc)
        raise AssetError(f"{msg}: {shown}" if msg in ("file not found", "not a file") else f"{source}: {msg}") from None


def checked_assets(playlist: Playlist, doc: YamlDocument, base: Path, limits: Limits,
                   confine_to) -> tuple[dict[str, AssetInfo], list[Problem]]:
    """Each creative's file probed (by creative id) and the problems, for a valid playlist."""
    assets: dict[str, AssetInfo] = {}
    problems: list[Problem] = []
    for i, fld, kind, source in _asset_sources(enumerate(playlist.creatives)):
        try:
            assets[asset_key(playlist.creatives[i].id, fld)] = _check_one(base, source, kind, limits, confine_to)
        except AssetError as exc:
            problems.append(problem_at(doc, ("creatives", i, fld), str(exc)))
    return assets, problems


def written_asset_problems(doc: YamlDocument, base: Path, limits: Limits, confine_to) -> list[Problem]:
    """The problems with the files named in what was written (the playlist itself may be invalid)."""
    creatives = doc.data.get("creatives") if isinstance(doc.data, dict) else None
    if not isinstance(creatives, list):
        return []
    problems = []
    for i, fld, kind, source in _asset_sources((i, c) for i, c in enumerate(creatives) if isinstance(c, dict)):
        try:
            _check_one(base, source, kind, limits, confine_to)
        except AssetError as exc:
            problems.append(problem_at(doc, ("creatives", i, fld), str(exc)))
    return problems


def fill_video_lengths(playlist: Playlist, assets: dict[str, AssetInfo]) -> Playlist:
    """The playlist with each video's own length where it gives no duration."""
    changed = False
    creatives = []
    for c in playlist.creatives:
        info = assets.get(c.id)
        if isinstance(c, VideoCreative) and c.duration is None and info is not None and info.duration_s:
            c = c.model_copy(update={"duration": info.duration_s})
            changed = True
        creatives.append(c)
    return playlist.model_copy(update={"creatives": creatives}) if changed else playlist


def digest_of(text: str, assets: dict[str, AssetInfo]) -> str:
    """A digest that changes when the text or any file it uses changes (size, mtime)."""
    h = hashlib.sha256(text.encode("utf-8"))
    for cid in sorted(assets):
        a = assets[cid]
        try:
            st = a.path.stat()
            h.update(f"\0{cid}\0{a.path}\0{st.st_size}\0{st.st_mtime_ns}".encode())
        except OSError:
            h.update(f"\0{cid}\0{a.path}\0gone".encode())
    return h.hexdigest()[:16]
