"""The fleet's wire contract: topics and the schema of every message (docs/fleet.md).

Everything that crosses the broker is one of the models below, JSON-encoded (UTF-8, at most
``MAX_PAYLOAD`` bytes), except a screenshot of what the screen shows (PNG). No model can hold
an image of the camera, a landmark or a per-person record: plays and minutes carry the same
aggregates as the local database, with expression figures of fewer than 3 measured people
withheld (privacy invariant 9) before they leave the kiosk.

Topics, under a versioned prefix (``signage/v1``), per screen::

    signage/v1/<site>/<screen>/state       retained; State (the last will: State online=false)
    signage/v1/<site>/<screen>/health      Health, every fleet.health_s seconds
    signage/v1/<site>/<screen>/play        Play, QoS 1, idempotency key = the play's id
    signage/v1/<site>/<screen>/minute      Minute, QoS 1, key = "<screen>:<minute_ts>"
    signage/v1/<site>/<screen>/cmd         Command (central -> kiosk), QoS 1
    signage/v1/<site>/<screen>/ack         Ack of a command, QoS 1
    signage/v1/<site>/<screen>/screenshot/<command id>   PNG of the rendered screen, QoS 1

Pure: no I/O. ``parse(kind, payload)`` refuses (``MessageError``) anything off schema,
oversized, or not UTF-8 JSON, with the reason.
"""

from __future__ import annotations

import json
import re
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

VERSION = 1
PREFIX = f"signage/v{VERSION}"
MAX_PAYLOAD = 16 * 1024  # bytes of one JSON message
MAX_SCREENSHOT = 8 * 1024 * 1024  # bytes of one screenshot PNG
MIN_PEOPLE = 3  # expression figures of fewer measured people are withheld (invariant 9)

ID_PATTERN = r"^[a-z0-9][a-z0-9_-]{0,63}$"  # a site's or a screen's id: also a topic level
_ID = re.compile(ID_PATTERN)

Ident = Annotated[str, Field(pattern=ID_PATTERN)]
Text = Annotated[str, Field(max_length=200)]
Name = Annotated[str, Field(min_length=1, max_length=128)]
Seconds = Annotated[float, Field(ge=0, le=1e7)]
Epoch = Annotated[float, Field(ge=0, le=1e10)]
Count = Annotated[int, Field(ge=0, le=10_000_000)]
Sha256 = Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]

KINDS = ("state", "health", "play", "minute", "cmd", "ack")
KIOSK_KINDS = ("state", "health", "play", "minute", "ack", "screenshot")  # what a kiosk may publish


class MessageError(ValueError):
    """A message that is not one of the documented ones; the text says why."""


class _Msg(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=False)
    v: Literal[1] = 1


class Audience(BaseModel):
    """A span's audience, as stored locally (analytics' integrals, person-seconds)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    samples: Count = 0
    camera_on_s: Seconds = 0.0
    face_s: Seconds = 0.0
    watcher_s: Seconds = 0.0
    measured_s: Seconds = 0.0
    smile_s: Seconds | None = None  # None: withheld (fewer than MIN_PEOPLE) or not measured
    surprise_s: Seconds | None = None
    max_faces: Count = 0
    passers_by: Count = 0
    impressions: Count = 0
    viewers: Count = 0
    arrivals: Count = 0
    new_viewers: Count = 0


def withhold(a: Audience) -> Audience:
    """``a`` as it may leave the kiosk: expression figures dropped unless at least MIN_PEOPLE
    people (the larger of arrivals and impressions) and some measured face-seconds are behind it."""
    if max(a.arrivals, a.impressions) >= MIN_PEOPLE and a.measured_s > 0:
        return a
    return a.model_copy(update={"smile_s": None, "surprise_s": None})


class State(_Msg):
    """Retained per screen; the broker publishes ``online=False`` as the last will."""

    screen: Ident
    site: Ident
    online: bool
    ts: Epoch
    content_version: Name | None = None  # the active content version
    creative: Name | None = None  # on screen now
    reason: Text = ""  # why it plays (the rule that fired, or the default loop)
    player: Text = ""  # the player's release
    # Where the screen is, from its [screen] configuration (the ad log's screen columns,
    # docs/exports.md): the shop's name as buyers know it, the OpenOOH venue type, the
    # coordinates of the screen and the IANA zone its reports' hours and days are taken in.
    site_name: Annotated[str, Field(max_length=80)] = ""
    venue_type: Annotated[str, Field(max_length=80)] = ""
    latitude: Annotated[float, Field(ge=-90, le=90)] | None = None
    longitude: Annotated[float, Field(ge=-180, le=180)] | None = None
    timezone: Annotated[str, Field(max_length=64)] = ""
    # sensing.expressions: "off" where staff work in the camera's view (smiles and surprise
    # never computed): the ad log then says "expressions off", as the kiosk's own does.
    expressions: Literal["on", "off"] = "on"


class Health(_Msg):
    """The status file's facts."""

    screen: Ident
    ts: Epoch
    healthy: bool
    problems: list[Text] = Field(default_factory=list, max_length=20)
    camera: Literal["on", "off", "starting", "reconnecting", "stale", "paused", "failed"] = "off"
    display: Text = ""
    uptime_s: Seconds = 0.0
    disk_free_mb: Annotated[float, Field(ge=0)] | None = None
    outbox: Count = 0  # records waiting to be acknowledged


class Play(_Msg):
    """One play of proof of play; ``key`` (the play's id) makes a replay harmless."""

    key: Name
    screen: Ident
    creative_id: Name
    playlist: Text | None = None
    content_version: Name | None = None
    rule_id: Name | None = None
    reason: Text = ""
    start_ts: Epoch
    end_ts: Epoch
    planned_s: Seconds | None = None
    outcome: Literal["completed", "interrupted", "skipped", "error", "crashed"]
    audience: Audience = Audience()
    # The campaign / line it bills to, from the playlist version it was played from (its
    # rule's, else its creative's; docs/exports.md "Campaign ids"); None: none, or not known.
    campaign_id: Annotated[str, Field(min_length=1, max_length=200)] | None = None


class Minute(_Msg):
    """One minute's audience; ``key`` is ``<screen>:<minute_ts>``."""

    key: Name
    screen: Ident
    minute_ts: Annotated[int, Field(ge=0, le=10**10)]
    span_s: Annotated[float, Field(ge=0, le=60.0)]
    audience: Audience = Audience()


class FileRef(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    path: Annotated[str, Field(min_length=1, max_length=255)]  # relative, inside the version
    sha256: Sha256
    size: Annotated[int, Field(ge=0, le=4 * 1024**3)]

    @field_validator("path")
    @classmethod
    def _inside(cls, v: str) -> str:
        parts = v.split("/")
        if v.startswith("/") or "\\" in v or "\x00" in v or any(p in ("", ".", "..") for p in parts):
            raise ValueError("a relative path inside the version (no '/', '..', '.', '\\' or empty parts)")
        return v


class Manifest(BaseModel):
    """A content version: files by sha256 (fetched from ``<base_url>/<sha256>``) and its playlist."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    version: Name
    playlist: Annotated[str, Field(min_length=1, max_length=255)]
    files: list[FileRef] = Field(max_length=500)


class Command(_Msg):
    id: Name
    ts: Epoch
    action: Literal["activate", "reload", "purge", "screenshot"]
    manifest: Manifest | None = None  # activate
    base_url: Annotated[str, Field(max_length=500, pattern=r"^https?://")] | None = None  # activate


class Ack(_Msg):
    id: Name  # the command's
    screen: Ident
    ts: Epoch
    ok: bool
    result: Annotated[str, Field(max_length=500)] = ""


MODELS: dict[str, type[_Msg]] = {
    "state": State, "health": Health, "play": Play, "minute": Minute, "cmd": Command, "ack": Ack,
}


def topic(site: str, screen: str, kind: str, extra: str | None = None) -> str:
    if not (_ID.match(site) and _ID.match(screen)):
        raise MessageError(f"site {site!r} / screen {screen!r}: ids are {ID_PATTERN}")
    if kind not in KINDS and kind != "screenshot":
        raise MessageError(f"unknown kind {kind!r}")
    return f"{PREFIX}/{site}/{screen}/{kind}" + (f"/{extra}" if extra else "")


def split_topic(name: str) -> tuple[str, str, str, str | None]:
    """(site, screen, kind, extra) of a fleet topic; MessageError when it is not one."""
    parts = name.split("/")
    if len(parts) < 5 or "/".join(parts[:2]) != PREFIX:
        raise MessageError(f"{name!r}: not under {PREFIX}/<site>/<screen>/<kind>")
    site, screen, kind, rest = parts[2], parts[3], parts[4], parts[5:]
    if not (_ID.match(site) and _ID.match(screen)):
        raise MessageError(f"{name!r}: site and screen ids are {ID_PATTERN}")
    if kind == "screenshot" and len(rest) == 1 and rest[0]:
        return site, screen, kind, rest[0]
    if kind not in KINDS or rest:
        raise MessageError(f"{name!r}: unknown kind {'/'.join(parts[4:])!r}")
    return site, screen, kind, None


def encode(msg: _Msg) -> bytes:
    data = msg.model_dump_json(exclude_none=False).encode()
    if len(data) > MAX_PAYLOAD:
        raise MessageError(f"{type(msg).__name__}: {len(data)} bytes, over {MAX_PAYLOAD}")
    return data


def parse(kind: str, payload: bytes) -> _Msg:
    """The message of ``kind`` in ``payload``; MessageError (with the reason) for anything else."""
    model = MODELS.get(kind)
    if model is None:
        raise MessageError(f"unknown kind {kind!r}")
    if len(payload) > MAX_PAYLOAD:
        raise MessageError(f"{kind}: {len(payload)} bytes, over {MAX_PAYLOAD}")
    try:
        data = json.loads(payload.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        raise MessageError(f"{kind}: not UTF-8 JSON ({exc})") from None
    if not isinstance(data, dict):
        raise MessageError(f"{kind}: not a JSON object")
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or kind
        raise MessageError(f"{kind}: {where}: {first['msg']} ({exc.error_count()} error(s))") from None


def is_png(payload: bytes) -> bool:
    return payload.startswith(b"\x89PNG\r\n\x1a\n") and len(payload) <= MAX_SCREENSHOT


def schemas() -> dict[str, dict]:
    """The JSON Schema of every message kind (docs/fleet.md is generated from these)."""
    return {kind: model.model_json_schema() for kind, model in MODELS.items()}
