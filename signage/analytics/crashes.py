"""What crashes cost: plays a crash left open (closed as ``crashed`` by ``AnalyticsStore.recover``)
and, for reports, the plays and seconds lost to crashes in a period and the line that says so
(``crash_text``) (docs/proof-of-play.md)."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class CrashedPlay:
    """A play a crash left open, closed by ``recover``."""

    creative_id: str
    start_ts: float
    end_ts: float  # its last checkpoint: on record up to here
    planned_s: float | None
    recovered_ts: float

    @property
    def lost_at_most_s(self) -> float:
        """Screen time that may have been lost: from the last checkpoint to the planned end
        (or the recovery, if sooner). The real loss is at most the checkpoint interval when
        the player was writing normally; this bound needs no such assumption."""
        end = self.recovered_ts if self.planned_s is None else min(self.recovered_ts, self.start_ts + self.planned_s)
        return max(0.0, end - self.end_ts)


@dataclass(frozen=True, slots=True)
class CrashLosses:
    """What crashes cost in a period (``crash_losses``)."""

    plays: int = 0  # plays closed as crashed
    on_record_s: float = 0.0  # their screen time up to their last checkpoint (on record, counted)
    lost_at_most_s: float = 0.0  # sum of CrashedPlay.lost_at_most_s
    open_now: int = 0  # rows still open: on screen now, or a crash the player has not restarted after


def crash_losses(conn: sqlite3.Connection, since: float | None, until: float) -> CrashLosses:
    """Plays lost to crashes among the plays that started in [since, until): for reports."""
    lo = since if since is not None else float("-inf")
    crashed = [
        CrashedPlay(*r)
        for r in conn.execute(
            "SELECT creative_id, start_ts, end_ts, planned_s, recovered_ts FROM plays"
            " WHERE outcome = 'crashed' AND start_ts >= ? AND start_ts < ?", (lo, until),
        )
    ]  # fmt: skip
    open_now = conn.execute(
        "SELECT COUNT(*) FROM plays WHERE outcome = 'playing' AND start_ts >= ? AND start_ts < ?", (lo, until)
    ).fetchone()[0]
    return CrashLosses(
        plays=len(crashed),
        on_record_s=sum(max(0.0, c.end_ts - c.start_ts) for c in crashed),
        lost_at_most_s=sum(c.lost_at_most_s for c in crashed),
        open_now=int(open_now),
    )


def crash_text(losses: CrashLosses) -> str:
    """The report's line on crashes ('' when there were none)."""
    if not losses.plays and not losses.open_now:
        return ""
    text = (
        f"crashes: {losses.plays} plays cut short by a crash (kept, on record up to their last checkpoint: "
        f"{losses.on_record_s:.0f} s); at most {losses.lost_at_most_s:.0f} s of their screen time not on record"
    )
    if losses.open_now:
        text += f"; {losses.open_now} open (on screen now, or a crash the player has not restarted after)"
    return text + "\n"
