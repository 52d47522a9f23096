"""Loading a playlist file as a whole: the format, then every file it uses.

``load_playlist(path)`` reads YAML or JSON, validates it against the schema and checks
every referenced asset (it exists, is an image or video by its content, is within the
size limits and decodes). It returns a ``LoadedPlaylist`` (the validated ``Playlist``,
with each video's own length filled in where no duration is given, and the resolved
asset paths) or raises ``PlaylistError`` listing *every* problem at once, each with the
file, the line where there is one, the field path and the reason (errors.py says them;
asset_checks.py checks the files; loaded.py is the result; active.py holds the one in use).
"""

from __future__ import annotations

import json
from pathlib import Path

from pydantic import ValidationError

from signage.config import PlaylistLimits
from signage.playlist.asset_checks import (
    asset_limits, checked_assets, digest_of, fill_video_lengths, written_asset_problems,
)
from signage.playlist.assets import AssetInfo, Limits
from signage.playlist.campaign_checks import campaign_warnings
from signage.playlist.errors import (
    Problem, PlaylistError, context_of, dotted, problem_at, sorted_problems, split_path, validation_problems,
)
from signage.playlist.loaded import LoadedPlaylist
from signage.playlist.schema import Playlist, VideoCreative, reference_errors
from signage.playlist.yamlio import YamlDocument, YamlSyntaxError, parse_yaml

# what a load returns and raises, importable from here as before
__all__ = ["LoadedPlaylist", "PlaylistError", "Problem", "load_playlist", "parse_playlist"]

# --------------------------------------------------------------------------- loading


def load_playlist(path: str | Path, limits: PlaylistLimits | Limits | None = None, *, check_assets: bool = True,
                  confine_to: str | Path | None = None) -> LoadedPlaylist:
    """Read, validate and check a playlist file; ``PlaylistError`` lists every problem.

    ``confine_to``: every asset must lie inside this folder (used for uploaded bundles).
    """
    p = Path(path)
    name = str(path)
    max_bytes = (limits.max_playlist_bytes if isinstance(limits, PlaylistLimits) else PlaylistLimits().max_playlist_bytes)
    try:
        size = p.stat().st_size
        if not p.is_file():
            raise PlaylistError(name, [Problem("", "not a file")])
        if size > max_bytes:
            raise PlaylistError(name, [Problem("", f"the file is {size} bytes, more than the {max_bytes} allowed for a playlist")])
        raw = p.read_bytes()
    except FileNotFoundError:
        raise PlaylistError(name, [Problem("", "file not found")]) from None
    except OSError as exc:
        raise PlaylistError(name, [Problem("", f"cannot read the file ({exc.strerror or exc})")]) from None
    return parse_playlist(raw, p, limits, check_assets=check_assets, confine_to=confine_to)


def parse_playlist(raw: bytes | str, path: str | Path, limits: PlaylistLimits | Limits | None = None, *,
                   check_assets: bool = True, confine_to: str | Path | None = None) -> LoadedPlaylist:
    """Validate playlist text as if it were the file ``path`` (assets resolve beside it)."""
    p = Path(path)
    name = str(path)
    if isinstance(raw, bytes):
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            line = raw[:exc.start].count(b"\n") + 1
            raise PlaylistError(name, [Problem("", "not UTF-8 text (save the playlist as UTF-8)", line)]) from None
    else:
        text = raw
    doc = _parse_text(text, name, p.suffix.lower() == ".json")
    problems = [Problem(dotted(path_), f"given twice (first on line {first}); give it once", line, context_of(doc, path_))
                for path_, line, first in doc.duplicates]
    if not isinstance(doc.data, dict):
        got = "nothing" if doc.data is None else f"a {type(doc.data).__name__}"
        raise PlaylistError(name, problems + [Problem("", f"a playlist is a mapping with name, creatives and loop; this file holds {got}", 1)])

    playlist: Playlist | None = None
    try:
        playlist = Playlist.model_validate(doc.data)
    except ValidationError as exc:
        problems += validation_problems(exc, doc)
        # ids that are used but not defined are checked on what was written, so that
        # they are listed too even when other fields fail
        problems += [problem_at(doc, split_path(path_), msg) for path_, msg in reference_errors(doc.data)]
        if check_assets:
            # what is there is checked too, so that one round of fixes is enough
            problems += written_asset_problems(doc, p.parent, asset_limits(limits), confine_to)
        raise PlaylistError(name, sorted_problems(problems)) from None

    assets, asset_problems = checked_assets(playlist, doc, p.parent, asset_limits(limits), confine_to) if check_assets else ({}, [])
    problems += asset_problems
    if problems:
        raise PlaylistError(name, sorted_problems(problems))
    playlist = fill_video_lengths(playlist, assets)
    digest = digest_of(text, assets)
    return LoadedPlaylist(playlist=playlist, path=p, digest=digest, assets=assets,
                          warnings=tuple(_warnings(playlist, doc, assets)))


def _parse_text(text: str, name: str, is_json: bool) -> YamlDocument:
    if is_json:
        try:
            json.loads(text)
        except json.JSONDecodeError as exc:
            raise PlaylistError(name, [Problem("", f"not valid JSON: {exc.msg} (column {exc.colno})", exc.lineno)]) from None
    try:
        return parse_yaml(text)
    except YamlSyntaxError as exc:
        col = f" (column {exc.column})" if exc.column else ""
        raise PlaylistError(name, [Problem("", exc.message + col, exc.line)]) from None


# --------------------------------------------------------------------------- warnings


def _warnings(playlist: Playlist, doc: YamlDocument, assets: dict[str, AssetInfo]) -> list[Problem]:
    out: list[Problem] = []
    used = set(playlist.loop) | {cid for r in playlist.rules if r.enabled for cid in r.creatives}
    for i, c in enumerate(playlist.creatives):
        if c.id not in used:
            out.append(problem_at(doc, ("creatives", i), "never played: not in the loop nor in any enabled rule"))
        info = assets.get(c.id)
        if info is not None and info.kind == "image" and max(info.width, info.height) < 1280:
            out.append(problem_at(doc, ("creatives", i, "source"),
                                  f"{info.width}x{info.height} will look soft on a full-HD screen (1920x1080 is best)"))
        if info is not None and info.kind == "video" and info.width * info.height > 1920 * 1080:
            out.append(problem_at(doc, ("creatives", i, "source"),
                                  f"{info.width}x{info.height} video: more than full HD may not play smoothly on a Raspberry Pi"))
        if isinstance(c, VideoCreative) and info is not None and c.duration and info.duration_s \
                and c.duration > info.duration_s + 0.5:
            out.append(problem_at(doc, ("creatives", i, "duration"),
                                  f"longer than the video ({info.duration_s:.1f} s): it will hold its last frame"))
    for i, r in enumerate(playlist.rules):
        if not r.enabled:
            out.append(problem_at(doc, ("rules", i, "enabled"), "disabled: this rule never fires"))
        if r.interrupt and r.cooldown == 0 and r.max_per_hour is None:
            out.append(problem_at(doc, ("rules", i), "interrupts with no cooldown or max_per_hour: it may play again "
                                                      "and again while its condition holds"))
    if all(playlist.creative(cid).schedule is not None for cid in playlist.loop):
        out.append(problem_at(doc, ("loop",), "every creative in the loop has a schedule: at some times the loop "
                                               "may have nothing to play and the screen shows the idle slide"))
    out += [problem_at(doc, path, msg) for path, msg in campaign_warnings(playlist)]
    return out
