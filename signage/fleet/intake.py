"""What the collector makes of one message off the broker: a record to store, a refusal to
log, or nothing (the central side's own commands, screenshots). Pure: no I/O.

A record is stored only when its topic is a fleet topic, its payload one of the documented
messages (messages.parse: size, UTF-8 JSON, schema) and the screen (and site, for a state)
it names is the topic's. The broker's ACL already confines a screen's credentials to its own
topics; this check stops a payload that claims another screen on them.
"""

from __future__ import annotations

from dataclasses import dataclass

from signage.fleet import messages as m

STORED = ("state", "health", "play", "minute", "ack")
IGNORED = ("cmd", "screenshot")  # central's commands to kiosks; screenshots are fetched by the admin
PREFIX_CHARS = 32  # of a refused payload, in the log: never more
TOPIC_CHARS = 200


@dataclass(frozen=True)
class Accepted:
    topic: str
    site: str
    screen: str
    kind: str
    msg: m._Msg
    size: int


@dataclass(frozen=True)
class Refused:
    topic: str
    reason: str
    size: int
    prefix: str


def printable(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters, control characters (and NUL) as '.'."""
    return "".join("." if (ord(c) < 32 or ord(c) == 127) else c for c in text[:limit])


def refuse(topic: str, payload: bytes, reason: str) -> Refused:
    return Refused(topic=printable(topic, TOPIC_CHARS), reason=printable(reason, 500), size=len(payload),
                   prefix=printable(payload[:PREFIX_CHARS].decode("utf-8", "replace"), PREFIX_CHARS))


def classify(topic: str, payload: bytes) -> Accepted | Refused | None:
    """The record in a message on ``topic``, its refusal (with the reason), or None to skip it."""
    try:
        site, screen, kind, _extra = m.split_topic(topic)
    except m.MessageError as exc:
        return refuse(topic, payload, str(exc))
    if kind in IGNORED:
        return None
    if b"\\u0000" in payload:  # valid JSON, but PostgreSQL's text cannot hold NUL
        return refuse(topic, payload, f"{kind}: a text holds a NUL character")
    try:
        msg = m.parse(kind, payload)
    except m.MessageError as exc:
        return refuse(topic, payload, str(exc))
    claimed = getattr(msg, "screen", screen)
    if claimed != screen:
        return refuse(topic, payload, f"{kind}: names screen {claimed!r} on screen {screen!r}'s topic")
    if kind == "state" and msg.site != site:
        return refuse(topic, payload, f"state: names site {msg.site!r} on site {site!r}'s topic")
    return Accepted(topic=topic, site=site, screen=screen, kind=kind, msg=msg, size=len(payload))
