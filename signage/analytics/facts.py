"""What a report is built on: a period's plays and audience minutes (``PlayFacts``,
``MinuteFacts``), read from the analytics database by ``load_history``."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from signage.analytics.aggregate import AudienceTotals
from signage.analytics.rows import totals_from_row


@dataclass(frozen=True, slots=True)
class PlayFacts:
    creative_id: str
    rule_id: str | None
    outcome: str
    start_ts: float
    end_ts: float
    audience: AudienceTotals


@dataclass(frozen=True, slots=True)
class MinuteFacts:
    minute_ts: int
    audience: AudienceTotals



def load_history(
    conn: sqlite3.Connection, since: float | None, until: float
) -> tuple[list[PlayFacts], list[MinuteFacts]]:
    """Plays that started, and minutes that began, in [since, until)."""
    lo = since if since is not None else float("-inf")
    conn.row_factory = sqlite3.Row
    plays = [
        PlayFacts(r["creative_id"], r["rule_id"], r["outcome"], r["start_ts"], r["end_ts"], totals_from_row(r))
        for r in conn.execute(
            "SELECT * FROM plays WHERE start_ts >= ? AND start_ts < ? AND outcome != 'playing' ORDER BY start_ts",
            (lo, until),
        )
    ]
    minutes = [
        MinuteFacts(r["minute_ts"], totals_from_row(r))
        for r in conn.execute(
            "SELECT * FROM audience_minutes WHERE minute_ts >= ? AND minute_ts < ? ORDER BY minute_ts", (lo, until)
        )
    ]
    return plays, minutes
