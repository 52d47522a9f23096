"""From the analytics database's rows to the fleet's messages: pure, no I/O.

A play goes once it is closed (an open row, outcome ``playing``, is on screen now or was left
by a crash that the next start closes as ``crashed``). A minute goes once nothing more can be
added to it: a checkpoint reached its end, or ``MINUTE_GRACE_S`` passed after it (the player
stopped during it). Expression figures of fewer than 3 measured people are withheld here,
before anything reaches the outbox (privacy invariant 9).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from signage.analytics.adlog import CampaignOf  # (playlist, version, rule, creative) -> campaign id
from signage.fleet.messages import Audience, Minute, Play, withhold

# A minute's rows are added to at each checkpoint (analytics.checkpoint_s, at most 60 s):
# past its end plus this, nothing more comes.
MINUTE_GRACE_S = 130.0

_AUDIENCE_COLUMNS = ("samples", "camera_on_s", "face_s", "watcher_s", "measured_s", "smile_s", "surprise_s",
                     "max_faces", "passers_by", "impressions", "viewers", "arrivals", "new_viewers")


def _clip(text: Any, n: int) -> str | None:
    return None if text is None else str(text)[:n]


def audience_of(row: Mapping[str, Any]) -> Audience:
    """The stored integrals of a play or minute row, as they may leave the kiosk."""
    keys = row.keys()
    return withhold(Audience(**{c: row[c] for c in _AUDIENCE_COLUMNS if c in keys}))


def play_closed(row: Mapping[str, Any]) -> bool:
    return row["outcome"] != "playing"


def minute_closed(row: Mapping[str, Any], now: float) -> bool:
    end = row["minute_ts"] + 60
    checkpoint = row["checkpoint_ts"] if "checkpoint_ts" in row.keys() else None
    return (checkpoint is not None and checkpoint >= end) or now >= end + MINUTE_GRACE_S


def play_message(row: Mapping[str, Any], screen: str, campaign_of: CampaignOf | None = None) -> Play:
    """A closed ``plays`` row as a Play (ValueError when it cannot be one)."""
    campaign = campaign_of(row["playlist"], row["playlist_version"], row["rule_id"], row["creative_id"]) \
        if campaign_of is not None else None
    return Play(
        key=row["play_id"], screen=screen, creative_id=_clip(row["creative_id"], 128),
        playlist=_clip(row["playlist"], 200), content_version=_clip(row["playlist_version"], 128),
        rule_id=_clip(row["rule_id"], 128), reason=_clip(row["reason"] or "", 200),
        start_ts=row["start_ts"], end_ts=max(row["end_ts"], row["start_ts"]), planned_s=row["planned_s"],
        outcome=row["outcome"], audience=audience_of(row), campaign_id=_clip(campaign, 200) or None,
    )


def minute_key(screen: str, minute_ts: int) -> str:
    return f"{screen}:{minute_ts}"


def minute_message(row: Mapping[str, Any], screen: str) -> Minute:
    """A closed ``audience_minutes`` row as a Minute (ValueError when it cannot be one)."""
    ts = int(row["minute_ts"])
    return Minute(key=minute_key(screen, ts), screen=screen, minute_ts=ts,
                  span_s=min(60.0, max(0.0, row["span_s"])), audience=audience_of(row))
