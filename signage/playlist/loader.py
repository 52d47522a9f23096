"""Loading a playlist file as a whole: the format, then every file it uses.

``load_playlist(path)`` reads YAML or JSON, validates it against the schema and checks
every referenced asset (it exists, is an image or video by its content, is within the
size limits and decodes). It returns a ``LoadedPlaylist`` (the validated ``Playlist``,
with each video's own length filled in where no duration is given, and the resolved
asset paths) or raises ``PlaylistError`` listing *every* problem at once, each with the
file, the line where there is one, the field path and the reason::

    playlists/bad.yaml: not loaded, 2 errors
      playlists/bad.yaml:14: rules.0.when.smile_ration (rule 'smile'): unknown field; did you mean 'smile_ratio'?
      playlists/bad.yaml:22: creatives.3.source (creative 'promo'): file not found: ../content/promo2.mp4

``ActivePlaylist`` holds the playlist in use and swaps in a new one only when it loads
fully, in one reference assignment: readers see the old or the new, never a mix.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import re
import threading
import types
import typing
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from signage.config import PlaylistLimits
from signage.playlist.campaign_checks import campaign_warnings
from signage.playlist.assets import AssetError, AssetInfo, Limits, probe_image, probe_video
from signage.playlist.schema import Playlist, TextCreative, VideoCreative, reference_errors
from signage.playlist.share import describe_share
from signage.playlist.yamlio import YamlDocument, YamlSyntaxError, parse_yaml
from signage.values import CreativeSpec, TransitionSpec

__all__ = ["ActivePlaylist", "LoadedPlaylist", "PlaylistError", "Problem", "ReplaceResult", "load_playlist",
           "parse_playlist"]

# --------------------------------------------------------------------------- problems


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong (or worth a warning) in a playlist."""

    path: str  # dotted field path, "" for the whole file
    message: str
    line: int | None = None
    context: str | None = None  # "rule 'smile'", "creative 'promo'"

    def format(self, file: str) -> str:
        where = f"{file}:{self.line}" if self.line else file
        field_ = self.path + (f" ({self.context})" if self.context else "")
        return f"{where}: {field_}: {self.message}" if field_ else f"{where}: {self.message}"


class PlaylistError(ValueError):
    """A playlist that cannot be used; ``problems`` lists every error found."""

    def __init__(self, file: str, problems: Sequence[Problem]) -> None:
        self.file = file
        self.problems = list(problems)
        super().__init__(self.format())

    def format(self) -> str:
        n = len(self.problems)
        head = f"{self.file}: not loaded, {n} error{'s' if n != 1 else ''}"
        return "\n".join([head] + ["  " + p.format(self.file) for p in self.problems])

    def to_json(self) -> dict[str, Any]:
        return {"file": self.file, "errors": [
            {"line": p.line, "field": p.path, "context": p.context, "message": p.message} for p in self.problems]}


# --------------------------------------------------------------------------- result


@dataclass(frozen=True)
class LoadedPlaylist:
    """A playlist that passed every check, ready to play."""

    playlist: Playlist
    path: Path
    digest: str  # changes when the file or any asset it uses changes
    assets: dict[str, AssetInfo] = field(default_factory=dict)  # by creative id (text: its background image)
    warnings: tuple[Problem, ...] = ()

    @property
    def base_dir(self) -> Path:
        return self.path.parent

    def spec(self, creative_id: str) -> CreativeSpec:
        """What the screen needs to draw one creative (absolute paths)."""
        c = self.playlist.creative(creative_id)
        d = self.playlist.defaults
        t = c.transition or d.transition
        common = dict(id=c.id, duration_s=self.playlist.duration_of(c.id), fit=c.fit or d.fit,
                      transition=TransitionSpec(kind=t.type, duration_s=t.duration))
        info = self.assets.get(c.id)
        if isinstance(c, TextCreative):
            return CreativeSpec(kind="text", headline=c.headline, body=c.body, color=c.color, background=c.background,
                                accent=c.accent, align=c.align,
                                background_image=str(info.path) if info else None, **common)
        return CreativeSpec(kind=c.type, path=str(info.path) if info else str(self.base_dir / c.source),
                            background=c.background or "#000000", **common)

    def summary(self) -> str:
        p = self.playlist
        kinds: dict[str, int] = {}
        for c in p.creatives:
            kinds[c.type] = kinds.get(c.type, 0) + 1
        kinds_txt = ", ".join(f"{n} {k}{'s' if n != 1 else ''}" for k, n in kinds.items())
        loop_s = sum(p.duration_of(cid) for cid in p.loop)
        lines = [
            f"{self.path}: valid — {p.name!r}",
            f"  {len(p.creatives)} creatives ({kinds_txt}); loop of {len(p.loop)} lasting {_fmt_s(loop_s)}; "
            f"{len(p.rules)} rule{'s' if len(p.rules) != 1 else ''}"
            + (f"; campaign {p.campaign.from_} to {p.campaign.to}" if p.campaign else "")
            + (f"; {len(p.campaigns)} campaign line{'s' if len(p.campaigns) != 1 else ''}" if p.campaigns else "")
            + (f"; time zone {p.timezone}" if p.timezone else "")
            + ("; weights share screen time" if p.share_of_voice == "time" else ""),
        ]
        for r in p.rules:
            lines.append(f"  rule {r.id}: priority {r.priority}, plays {', '.join(r.creatives)}"
                         + (f", share {describe_share(r.share)} of the screen time" if r.share is not None else "")
                         + (", may interrupt" if r.interrupt else "") + ("" if r.enabled else " (disabled)"))
        for w in self.warnings:
            lines.append("  warning: " + w.format(str(self.path)))
        return "\n".join(lines)


def _fmt_s(s: float) -> str:
    s = round(s)
    return f"{s // 60}m{s % 60:02d}s" if s >= 60 else f"{s}s"


# --------------------------------------------------------------------------- loading


def _limits(limits: PlaylistLimits | Limits | None) -> Limits:
    if isinstance(limits, Limits):
        return limits
    lim = limits or PlaylistLimits()
    return Limits(max_image_bytes=lim.max_image_bytes, max_image_pixels=lim.max_image_pixels,
                  max_video_bytes=lim.max_video_bytes, max_video_seconds=lim.max_video_seconds)


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
    problems = [Problem(_dotted(path_), f"given twice (first on line {first}); give it once", line, _context(doc, path_))
                for path_, line, first in doc.duplicates]
    if not isinstance(doc.data, dict):
        got = "nothing" if doc.data is None else f"a {type(doc.data).__name__}"
        raise PlaylistError(name, problems + [Problem("", f"a playlist is a mapping with name, creatives and loop; this file holds {got}", 1)])

    playlist: Playlist | None = None
    try:
        playlist = Playlist.model_validate(doc.data)
    except ValidationError as exc:
        problems += _validation_problems(exc, doc)
        # ids that are used but not defined are checked on what was written, so that
        # they are listed too even when other fields fail
        problems += [_problem(doc, _split_path(path_), msg) for path_, msg in reference_errors(doc.data)]
        if check_assets:
            # what is there is checked too, so that one round of fixes is enough
            problems += _asset_problems_raw(doc, p.parent, _limits(limits), confine_to)
        raise PlaylistError(name, _sorted(problems)) from None

    assets, asset_problems = _check_assets(playlist, doc, p.parent, _limits(limits), confine_to) if check_assets else ({}, [])
    problems += asset_problems
    if problems:
        raise PlaylistError(name, _sorted(problems))
    playlist = _fill_video_lengths(playlist, assets)
    digest = _digest(text, assets)
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


def _sorted(problems: Iterable[Problem]) -> list[Problem]:
    seen: set[tuple] = set()
    out = []
    for pr in problems:
        key = (pr.path, pr.message)
        if key not in seen:
            seen.add(key)
            out.append(pr)
    return sorted(out, key=lambda pr: (pr.line or 0, pr.path))


# --------------------------------------------------------------------------- validation messages


def _dotted(path: Sequence[Any]) -> str:
    return ".".join(str(x) for x in path)


def _context(doc: YamlDocument, path: Sequence[Any]) -> str | None:
    if len(path) >= 2 and path[0] in ("creatives", "rules", "campaigns") and isinstance(path[1], int):
        items = doc.data.get(path[0]) if isinstance(doc.data, dict) else None
        if isinstance(items, list) and path[1] < len(items) and isinstance(items[path[1]], dict):
            ident = items[path[1]].get("id")
            if isinstance(ident, str) and ident:
                return f"{path[0][:-1]} {ident!r}"
    return None


def _problem(doc: YamlDocument, path: Sequence[Any], message: str) -> Problem:
    return Problem(_dotted(path), message, doc.line_of(tuple(path)), _context(doc, path))


def _clean_loc(loc: Sequence[Any], data: Any, keep_last: bool) -> tuple[list[Any], list[Any]]:
    """The loc as a path in the data (pydantic adds union tags such as 'image' or 'str'),
    and the raw tags met on the way (to find the model at an unknown key)."""
    out: list[Any] = []
    here = data
    for i, part in enumerate(loc):
        last = i == len(loc) - 1
        if isinstance(here, dict) and part in here:
            out.append(part)
            here = here[part]
        elif isinstance(here, list) and isinstance(part, int) and 0 <= part < len(here):
            out.append(part)
            here = here[part]
        elif last and keep_last and isinstance(part, str) and not _is_tag(part):
            out.append(part)
        else:
            continue  # a union member's tag: not part of the path the writer sees
    return out, list(loc)


def _is_tag(part: str) -> bool:
    return ("[" in part and "]" in part) or part in ("str", "int", "float", "bool", "list", "dict", "none")


def _validation_problems(exc: ValidationError, doc: YamlDocument) -> list[Problem]:
    by_path: dict[tuple, list[str]] = {}
    order: list[tuple] = []
    for e in exc.errors(include_url=False):
        loc = e["loc"]
        kind = e["type"]
        path, raw = _clean_loc(loc, doc.data, keep_last=kind in ("missing", "extra_forbidden"))
        msg = e["msg"]
        if msg.startswith("Value error, "):
            msg = msg[len("Value error, "):]
        if kind == "extra_forbidden":
            msg = _unknown_field(raw)
        elif kind == "missing":
            msg = "required field is missing"
        elif kind == "union_tag_invalid":
            tag = str(e.get("ctx", {}).get("tag", ""))
            close = difflib.get_close_matches(tag, ["image", "video", "text"], n=1, cutoff=0.5)
            msg = f"{tag!r} is not a creative type: write image, video or text" + (f" (did you mean {close[0]!r}?)" if close else "")
            path = path + ["type"]
        elif kind == "union_tag_not_found":
            msg = "give the creative's type: image, video or text"
        elif kind == "string_pattern_mismatch" and "A-Za-z0-9_.-" in str(e.get("ctx", {}).get("pattern", "")):
            msg = (f"{e.get('input')!r} is not a valid name: use 1 to 64 letters, digits, -, _ or ., "
                   "starting with a letter or a digit")
        elif kind == "literal_error":
            msg = msg.replace("Input should be", "must be")
        elif msg.startswith("Input should be"):
            msg = "must be" + msg[len("Input should be"):]
        if not path and kind == "value_error" and _looks_like_paths(msg):
            # the playlist's own cross-checks: "loop.0: ...; rules.1.play: ..."
            for part in msg.split("; "):
                where, _, what = part.partition(": ")
                key = _split_path(where)
                if key not in by_path:
                    by_path[key] = []
                    order.append(key)
                by_path[key].append(what)
            continue
        key = tuple(path)
        if key not in by_path:
            by_path[key] = []
            order.append(key)
        if msg not in by_path[key]:
            by_path[key].append(msg)
    problems = []
    for key in order:
        msgs = by_path[key]
        if key and key[-1] == "play" and len(msgs) > 1:
            msgs = ["must be a creative id or a list of creative ids"]
        text = msgs[0] if len(msgs) == 1 else "; or ".join(msgs)
        problems.append(_problem(doc, key, text))
    return problems


def _split_path(dotted: str) -> tuple[Any, ...]:
    return tuple(int(x) if x.isdigit() else x for x in dotted.split(".")) if dotted else ()


_PATHISH = re.compile(r"^[a-z_]+(\.[A-Za-z0-9_-]+)*: ")


def _looks_like_paths(msg: str) -> bool:
    return all(_PATHISH.match(part) for part in msg.split("; "))


def _unknown_field(raw_loc: Sequence[Any]) -> str:
    known = _fields_at(raw_loc[:-1])
    key = str(raw_loc[-1])
    if not known:
        return "unknown field"
    close = difflib.get_close_matches(key, sorted(known), n=1, cutoff=0.6)
    hint = f"did you mean {close[0]!r}?" if close else "known: " + ", ".join(sorted(known))
    return f"unknown field; {hint}"


def _fields_at(raw_loc: Sequence[Any]) -> set[str]:
    """The field names allowed at a raw pydantic loc, walking the schema's models."""
    models: list[type[BaseModel]] = [Playlist]
    for part in raw_loc:
        nxt: list[type[BaseModel]] = []
        for m in models:
            if isinstance(part, str):
                f = _field(m, part)
                if f is not None:
                    nxt += _models_in(f.annotation)
                elif _tag_matches(m, part):
                    nxt.append(m)
            else:
                nxt.append(m)  # a list index or dict key keeps the item's model
        if not nxt:
            # a union tag or a container step: keep the candidates filtered by tag
            tagged = [m for m in models if _tag_matches(m, part)] if isinstance(part, str) else []
            nxt = tagged or models
        models = nxt
    names: set[str] = set()
    for m in models:
        for fname, f in m.model_fields.items():
            names.add(f.alias or fname)
    return names


def _field(model: type[BaseModel], name: str):
    for fname, f in model.model_fields.items():
        if name in (fname, f.alias):
            return f
    return None


def _tag_matches(model: type[BaseModel], tag: str) -> bool:
    f = model.model_fields.get("type")
    return f is not None and typing.get_origin(f.annotation) is typing.Literal and tag in typing.get_args(f.annotation)


def _models_in(ann: Any) -> list[type[BaseModel]]:
    if isinstance(ann, type) and issubclass(ann, BaseModel):
        return [ann]
    out: list[type[BaseModel]] = []
    origin = typing.get_origin(ann)
    if origin is typing.Annotated:
        return _models_in(typing.get_args(ann)[0])
    if origin in (typing.Union, types.UnionType, list, tuple, dict) or origin is not None:
        for a in typing.get_args(ann):
            out += _models_in(a)
    return out


# --------------------------------------------------------------------------- assets


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
        if kind == "text" and isinstance(get("background_image"), str):
            out.append((i, "background_image", "image", get("background_image")))
    return out


def _check_one(base: Path, source: str, kind: str, limits: Limits, confine_to) -> AssetInfo:
    full = _resolve(base, source, confine_to)
    try:
        return probe_image(full, limits) if kind == "image" else probe_video(full, limits)
    except AssetError as exc:
        shown = source if Path(source).is_absolute() else f"{source} (looked for {full})"
        msg = str(exc)
        raise AssetError(f"{msg}: {shown}" if msg in ("file not found", "not a file") else f"{source}: {msg}") from None


def _check_assets(playlist: Playlist, doc: YamlDocument, base: Path, limits: Limits,
                  confine_to) -> tuple[dict[str, AssetInfo], list[Problem]]:
    assets: dict[str, AssetInfo] = {}
    problems: list[Problem] = []
    for i, fld, kind, source in _asset_sources(enumerate(playlist.creatives)):
        try:
            assets[playlist.creatives[i].id] = _check_one(base, source, kind, limits, confine_to)
        except AssetError as exc:
            problems.append(_problem(doc, ("creatives", i, fld), str(exc)))
    return assets, problems


def _asset_problems_raw(doc: YamlDocument, base: Path, limits: Limits, confine_to) -> list[Problem]:
    creatives = doc.data.get("creatives") if isinstance(doc.data, dict) else None
    if not isinstance(creatives, list):
        return []
    problems = []
    for i, fld, kind, source in _asset_sources((i, c) for i, c in enumerate(creatives) if isinstance(c, dict)):
        try:
            _check_one(base, source, kind, limits, confine_to)
        except AssetError as exc:
            problems.append(_problem(doc, ("creatives", i, fld), str(exc)))
    return problems


def _fill_video_lengths(playlist: Playlist, assets: dict[str, AssetInfo]) -> Playlist:
    changed = False
    creatives = []
    for c in playlist.creatives:
        info = assets.get(c.id)
        if isinstance(c, VideoCreative) and c.duration is None and info is not None and info.duration_s:
            c = c.model_copy(update={"duration": info.duration_s})
            changed = True
        creatives.append(c)
    return playlist.model_copy(update={"creatives": creatives}) if changed else playlist


def _digest(text: str, assets: dict[str, AssetInfo]) -> str:
    h = hashlib.sha256(text.encode("utf-8"))
    for cid in sorted(assets):
        a = assets[cid]
        try:
            st = a.path.stat()
            h.update(f"\0{cid}\0{a.path}\0{st.st_size}\0{st.st_mtime_ns}".encode())
        except OSError:
            h.update(f"\0{cid}\0{a.path}\0gone".encode())
    return h.hexdigest()[:16]


# --------------------------------------------------------------------------- warnings


def _warnings(playlist: Playlist, doc: YamlDocument, assets: dict[str, AssetInfo]) -> list[Problem]:
    out: list[Problem] = []
    used = set(playlist.loop) | {cid for r in playlist.rules if r.enabled for cid in r.creatives}
    for i, c in enumerate(playlist.creatives):
        if c.id not in used:
            out.append(_problem(doc, ("creatives", i), "never played: not in the loop nor in any enabled rule"))
        info = assets.get(c.id)
        if info is not None and info.kind == "image" and max(info.width, info.height) < 1280:
            out.append(_problem(doc, ("creatives", i, "source"),
                                f"{info.width}x{info.height} will look soft on a full-HD screen (1920x1080 is best)"))
        if info is not None and info.kind == "video" and info.width * info.height > 1920 * 1080:
            out.append(_problem(doc, ("creatives", i, "source"),
                                f"{info.width}x{info.height} video: more than full HD may not play smoothly on a Raspberry Pi"))
        if isinstance(c, VideoCreative) and info is not None and c.duration and info.duration_s \
                and c.duration > info.duration_s + 0.5:
            out.append(_problem(doc, ("creatives", i, "duration"),
                                f"longer than the video ({info.duration_s:.1f} s): it will hold its last frame"))
    for i, r in enumerate(playlist.rules):
        if not r.enabled:
            out.append(_problem(doc, ("rules", i, "enabled"), "disabled: this rule never fires"))
        if r.interrupt and r.cooldown == 0 and r.max_per_hour is None:
            out.append(_problem(doc, ("rules", i), "interrupts with no cooldown or max_per_hour: it may play again "
                                                    "and again while its condition holds"))
    if all(playlist.creative(cid).schedule is not None for cid in playlist.loop):
        out.append(_problem(doc, ("loop",), "every creative in the loop has a schedule: at some times the loop "
                                             "may have nothing to play and the screen shows the idle slide"))
    out += [_problem(doc, path, msg) for path, msg in campaign_warnings(playlist)]
    return out


# --------------------------------------------------------------------------- the playlist in use


@dataclass(frozen=True)
class ReplaceResult:
    ok: bool  # the new playlist is in use (or was already)
    changed: bool  # the playlist in use changed
    loaded: LoadedPlaylist | None
    error: PlaylistError | None = None


class ActivePlaylist:
    """The playlist in use. Readers take ``current`` (one reference, never half-built);
    ``try_replace`` swaps in a new one only if it loads without a single error."""

    def __init__(self, limits: PlaylistLimits | Limits | None = None, loaded: LoadedPlaylist | None = None) -> None:
        self._limits = limits
        self._current = loaded
        self._version = 1 if loaded is not None else 0
        self._lock = threading.Lock()

    @property
    def current(self) -> LoadedPlaylist | None:
        return self._current

    @property
    def version(self) -> int:
        return self._version

    def try_replace(self, path: str | Path, **kwargs: Any) -> ReplaceResult:
        with self._lock:
            try:
                loaded = load_playlist(path, self._limits, **kwargs)
            except PlaylistError as exc:
                return ReplaceResult(ok=False, changed=False, loaded=self._current, error=exc)
            cur = self._current
            if cur is not None and cur.digest == loaded.digest and cur.path == loaded.path:
                return ReplaceResult(ok=True, changed=False, loaded=cur)
            self._current = loaded
            self._version += 1
            return ReplaceResult(ok=True, changed=True, loaded=loaded)

