"""The play history the engine reads, kept incrementally.

``PlayHistory`` is told of each play as it starts (``start``) and ends (``end``) and keeps,
as it goes, what a decision needs: per rule and per creative the starts of the last hour
(for hourly caps and share of voice), the end of each rule's last play (for cooldowns of
any length), the last start of each creative (to take a rule's creatives in turn) and the
loop's last play. A decision then reads a few counters instead of walking the history.

Times are instants: aware datetimes (the player's are UTC) or, in tests, naive datetimes
throughout; the last hour is the last 60 real minutes. Pure: no I/O, no clock.
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

HOUR = dt.timedelta(hours=1)


@dataclass(frozen=True, slots=True)
class PlayRecord:
    """One play in the history: what, why, when. ``end`` is None while it plays."""

    creative: str
    rule: str | None
    start: dt.datetime
    end: dt.datetime | None = None
    loop_index: int | None = None  # the loop slot it played (Decision.loop_index), for loop plays


_PLAYING = None  # a rule's last end while its play is on screen


class PlayHistory:
    """Plays in start order, with counters updated as they are recorded.

    ``memory``: how long records are kept for ``records()`` (the engine's ``memory``: the
    hour, or the longest cooldown); the counters do not depend on it."""

    __slots__ = ("memory", "_records", "_rule_starts", "_creative_starts", "_rule_end", "_creative_last",
                 "last_loop", "_open", "tally")

    def __init__(self, memory: dt.timedelta = HOUR) -> None:
        self.memory = max(memory, HOUR)
        self._records: deque[PlayRecord] = deque()
        self._rule_starts: dict[str, list[dt.datetime]] = {}
        self._creative_starts: dict[str, list[dt.datetime]] = {}
        self._rule_end: dict[str, dt.datetime | None] = {}
        self._creative_last: dict[str, dt.datetime] = {}
        self.last_loop: PlayRecord | None = None  # the latest loop play (rule None), kept whatever its age
        self._open = False  # the newest record has not ended yet
        self.tally = None  # an observer told of each start (the engine's campaign counters; see attach)

    @classmethod
    def of(cls, records: Iterable[PlayRecord], memory: dt.timedelta = HOUR) -> PlayHistory:
        """A history from records in start order (finished ones, and at most the last open)."""
        h = cls(memory)
        for r in records:
            h.start(r)
        return h

    # ------------------------------------------------------------------ recording
    def start(self, record: PlayRecord) -> None:
        """A play starts (``record.end`` None), or a finished play is added (seeding)."""
        if self._open:
            self.end(record.start)
        t = record.start
        self._records.append(record)
        if record.rule is not None:
            _add(self._rule_starts, record.rule, t)
            self._rule_end[record.rule] = record.end
        else:
            self.last_loop = record
        _add(self._creative_starts, record.creative, t)
        if record.creative not in self._creative_last or self._creative_last[record.creative] < t:
            self._creative_last[record.creative] = t
        self._open = record.end is None
        if self.tally is not None:
            self.tally.add(record)
        horizon = t - self.memory
        while self._records and self._records[0].start < horizon and self._records[0] is not self.last_loop:
            self._records.popleft()

    def attach(self, tally) -> None:
        """Keep ``tally`` (an object with ``add(record)``) told of each play that starts, from
        the records kept (``memory`` back) on: the engine's campaign counters (campaigns.py)."""
        self.tally = tally
        for r in self._records:
            tally.add(r)

    def end(self, at: dt.datetime) -> None:
        """The play on screen ends at ``at`` (nothing happens when none is open)."""
        if not self._open:
            return
        self._open = False
        last = self._records[-1]
        rec = PlayRecord(last.creative, last.rule, last.start, at, last.loop_index)
        self._records[-1] = rec
        if rec.rule is not None:
            self._rule_end[rec.rule] = at
        else:
            self.last_loop = rec

    # ------------------------------------------------------------------ reading
    @property
    def rule_starts(self) -> dict[str, list[dt.datetime]]:
        """Rule id -> starts of its plays in the last hour of recording, in order (read only)."""
        return self._rule_starts

    @property
    def rule_ends(self) -> dict[str, dt.datetime | None]:
        """Rule id -> end of its last play; None while that play is on screen (read only)."""
        return self._rule_end

    def rule_plays_since(self, rule: str, since: dt.datetime) -> int:
        """Plays of ``rule`` that started after ``since``."""
        starts = self._rule_starts.get(rule)
        return len(starts) - bisect.bisect_right(starts, since) if starts else 0

    def creative_plays_since(self, creative: str, since: dt.datetime) -> int:
        starts = self._creative_starts.get(creative)
        return len(starts) - bisect.bisect_right(starts, since) if starts else 0

    def rule_resting(self, rule: str, cooldown: dt.timedelta, now: dt.datetime) -> bool:
        """Is ``rule`` inside its cooldown (counted from the end of its last play; a play
        still on screen has not ended)?"""
        if rule not in self._rule_end:
            return False
        end = self._rule_end[rule]
        return end is _PLAYING or now - end < cooldown

    def creative_last_start(self, creative: str) -> dt.datetime | None:
        return self._creative_last.get(creative)

    def records(self) -> list[PlayRecord]:
        """The records kept (``memory`` back, and the last loop play), oldest first."""
        return list(self._records)

    def __len__(self) -> int:
        return len(self._records)

    def __iter__(self) -> Iterator[PlayRecord]:
        return iter(self._records)

    def __getitem__(self, i: int) -> PlayRecord:
        return self._records[i]


def _add(index: dict[str, list[dt.datetime]], key: str, t: dt.datetime) -> None:
    starts = index.get(key)
    if starts is None:
        index[key] = [t]
        return
    if starts[-1] <= t:
        starts.append(t)
    else:
        bisect.insort(starts, t)
    old = bisect.bisect_right(starts, t - HOUR)
    if old:
        del starts[:old]
