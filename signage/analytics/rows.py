"""What a stored row is: a play (``PlayRow``) and its outcomes, and the stored integrals of
the audience (``TOTALS_COLUMNS``, ``totals_from_row``). Pure data, no I/O."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from typing import Literal

from signage.analytics.aggregate import AudienceTotals

Outcome = Literal["completed", "interrupted", "skipped", "error", "crashed"]
OUTCOMES: tuple[Outcome, ...] = ("completed", "interrupted", "skipped", "error", "crashed")
PLAYING = "playing"  # the outcome of an open row: on screen now, or left open by a crash not yet recovered


# Stored integrals of AudienceTotals, in this order (both tables).
TOTALS_COLUMNS = (
    "samples", "camera_on_s", "face_s", "watcher_s", "measured_s",
    "smile_s", "surprise_s", "max_faces", "passers_by",
    "impressions", "viewers", "arrivals", "new_viewers",
    "paused_s", "pauses",
)  # fmt: skip



@dataclass(frozen=True, slots=True)
class PlayRow:
    """One play, as stored: finished (an outcome of OUTCOMES), or open (``PLAYING``, ``end_ts``
    the time it is on record up to)."""

    play_id: str
    creative_id: str
    rule_id: str | None
    reason: str
    start_ts: float
    end_ts: float
    outcome: Outcome
    planned_s: float | None = None
    playlist: str | None = None
    playlist_version: str | None = None
    audience: AudienceTotals = field(default_factory=AudienceTotals)

    def __post_init__(self) -> None:
        if self.outcome not in OUTCOMES and self.outcome != PLAYING:
            raise ValueError(f"outcome must be one of {', '.join(OUTCOMES)} or {PLAYING}, got {self.outcome!r}")



def totals_from_row(row: sqlite3.Row | dict) -> AudienceTotals:
    """AudienceTotals from a row that has the stored integral columns (and span_s or duration_s)."""
    keys = row.keys()
    span = row["span_s"] if "span_s" in keys else row["duration_s"] if "duration_s" in keys else 0.0
    return AudienceTotals(span_s=span, **{c: row[c] for c in TOTALS_COLUMNS})
