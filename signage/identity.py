"""Who a screen is: its venue type (the OpenOOH venue taxonomy, vendored in venue_types.tsv),
its time zone, its id.

``venue_types()`` maps each venue type's string value ("retail.grocery") to its OpenOOH
enumeration id (203); ``check_venue_type`` says why a name is not one of them, with the
nearest names as suggestions; ``time_zone`` checks an IANA name; ``screen_id`` is the configured id, or the host name.
"""

from __future__ import annotations

import difflib
import functools
import socket
import zoneinfo
from pathlib import Path

TAXONOMY_FILE = Path(__file__).with_name("venue_types.tsv")
TAXONOMY = "OpenOOH Venue Taxonomy 1.2"


@functools.cache
def venue_types() -> dict[str, int]:
    """String value -> enumeration id, in the specification's order (first id wins on a repeat)."""
    out: dict[str, int] = {}
    for line in TAXONOMY_FILE.read_text(encoding="utf-8").splitlines():
        if not line or line.startswith("#"):
            continue
        ident, value, _name = line.split("\t")
        out.setdefault(value, int(ident))
    return out


def check_venue_type(value: str) -> str:
    """``value`` if it is a venue type of the taxonomy ('' = not set); else ValueError naming the
    closest ones."""
    if value == "" or value in venue_types():
        return value
    close = difflib.get_close_matches(value.lower(), venue_types(), n=3, cutoff=0.6)
    hint = f"; did you mean {', '.join(repr(c) for c in close)}?" if close else ""
    raise ValueError(f"{value!r} is not a venue type of the {TAXONOMY} (docs/reports.md lists where to find them){hint}")


def screen_id(configured: str) -> str:
    """The screen's id: the configured one, or the machine's host name when it is ''."""
    return configured or socket.gethostname()


def time_zone(name: str) -> zoneinfo.ZoneInfo:
    """The IANA time zone ``name``; ValueError saying what is expected when there is none."""
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {name!r} (use an IANA name like UTC or Europe/Paris)") from None
