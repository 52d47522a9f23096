"""Playlist problems and how they are said: ``Problem`` (one error or warning, with its
file:line, field path and the creative or rule it is in), ``PlaylistError`` (every error
at once), and turning pydantic's validation errors into the writer's words and lines::

    playlists/bad.yaml: not loaded, 2 errors
      playlists/bad.yaml:14: rules.0.when.smile_ration (rule 'smile'): unknown field; did you mean 'smile_ratio'?
      playlists/bad.yaml:22: creatives.3.source (creative 'promo'): file not found: ../content/promo2.mp4
"""

from __future__ import annotations

import difflib
import re
import types
import typing
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ValidationError

from signage.playlist.schema import Playlist
from signage.playlist.yamlio import YamlDocument


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


def sorted_problems(problems: Iterable[Problem]) -> list[Problem]:
    seen: set[tuple] = set()
    out = []
    for pr in problems:
        key = (pr.path, pr.message)
        if key not in seen:
            seen.add(key)
            out.append(pr)
    return sorted(out, key=lambda pr: (pr.line or 0, pr.path))


# --------------------------------------------------------------------------- validation messages


def dotted(path: Sequence[Any]) -> str:
    return ".".join(str(x) for x in path)


def context_of(doc: YamlDocument, path: Sequence[Any]) -> str | None:
    if len(path) >= 2 and path[0] in ("creatives", "rules", "campaigns") and isinstance(path[1], int):
        items = doc.data.get(path[0]) if isinstance(doc.data, dict) else None
        if isinstance(items, list) and path[1] < len(items) and isinstance(items[path[1]], dict):
            ident = items[path[1]].get("id")
            if isinstance(ident, str) and ident:
                return f"{path[0][:-1]} {ident!r}"
    return None


def problem_at(doc: YamlDocument, path: Sequence[Any], message: str) -> Problem:
    return Problem(dotted(path), message, doc.line_of(tuple(path)), context_of(doc, path))


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


def validation_problems(exc: ValidationError, doc: YamlDocument) -> list[Problem]:
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
                key = split_path(where)
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
        problems.append(problem_at(doc, key, text))
    return problems


def split_path(text: str) -> tuple[Any, ...]:
    return tuple(int(x) if x.isdigit() else x for x in text.split(".")) if text else ()


_PATHISH = re.compile(r"^[a-z_]+(\.[A-Za-z0-9_-]+)*: ")


def _looks_like_paths(msg: str) -> bool:
    return all(_PATHISH.match(part) for part in msg.split("; "))


def _unknown_field(raw_loc: Sequence[Any]) -> str:
    known = _fields_at(raw_loc[:-1])
    key = str(raw_loc[-1])
    if not known:
        return "unknown field"
    # the same words in another order first (background_image_portrait: portrait_background_image)
    close = [k for k in sorted(known) if sorted(k.split("_")) == sorted(key.split("_"))]
    close = close or difflib.get_close_matches(key, sorted(known), n=1, cutoff=0.6)
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
