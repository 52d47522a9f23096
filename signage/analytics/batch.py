"""What the analytics writer thread writes in one transaction (``Batch``), and the records it
is made of: pure data, no I/O."""

from __future__ import annotations

import threading
from dataclasses import dataclass

from signage.analytics.aggregate import MinuteTotals
from signage.analytics.rows import PlayRow


@dataclass(slots=True)
class PlayWrite:
    """A play row to write (open, checkpointed or closed); ``recorded`` is set once committed."""

    row: PlayRow
    recorded: threading.Event | None = None


@dataclass(slots=True)
class MinuteWrite:
    """Audience minutes counted up to ``at`` (closed minutes, or a checkpoint's part of one)."""

    minutes: list[MinuteTotals]
    at: float


class Batch:
    """What the writer thread writes in one transaction: the latest state of each play row,
    and the minutes' parts added up per minute."""

    __slots__ = ("plays", "minutes", "at")

    def __init__(self) -> None:
        self.plays: dict[str, PlayWrite] = {}
        self.minutes: dict[int, MinuteTotals] = {}
        self.at: float | None = None

    def add(self, item: PlayWrite | MinuteWrite) -> None:
        if isinstance(item, PlayWrite):
            before = self.plays.pop(item.row.play_id, None)  # re-inserted last: rows keep their order
            if before is not None and before.recorded is not None and item.recorded is None:
                item.recorded = before.recorded
            self.plays[item.row.play_id] = item
            return
        for m in item.minutes:
            had = self.minutes.get(m.minute_ts)
            self.minutes[m.minute_ts] = m if had is None else MinuteTotals(m.minute_ts, had.totals.merge(m.totals))
        self.at = item.at if self.at is None else max(self.at, item.at)

    def __bool__(self) -> bool:
        return bool(self.plays or self.minutes)
