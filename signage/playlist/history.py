"""The play history the engine reads, kept incrementally.

``PlayHistory`` is told of each play as it starts (``start``) and ends (``end``) and keeps,
as it goes, what a decision needs: per rule and per creative the starts of the last hour
(for hourly caps and share of voice), the end of each rule's last play (for cooldowns of
any length), the last start of each creative (to take a rule's creatives in turn) and the
loop's last play. A decision then reads a few counters instead of walking the history.

Two sliding counters serve share of voice over the whole of a priority level at once:
``rule_counts`` (plays per rule that started in the last hour) and ``rule_seconds``
(screen time per rule in the last hour, in microseconds: a play still on screen counts up
to now, an interrupted one what it showed, a play that began before the hour only its part
inside it). Each moves its window as time goes (the plays leaving it are taken off once),
so reading them costs the plays that left, not the rules. A read further back than the
previous one: ``rule_seconds`` moves its window back (exact within the last hour of
recording), ``rule_counts`` counts the per-rule lists (slower, the same numbers).
Plays are a screen's: one at a time, so they end in the order they start.

Times are instants: aware datetimes (the player's are UTC) or, in tests, naive datetimes
throughout; the last hour is the last 60 real minutes. Pure: no I/O, no clock.
"""

from __future__ import annotations

import bisect
import datetime as dt
import itertools
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

HOUR = dt.timedelta(hours=1)
_US = dt.timedelta(microseconds=1)


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
                 "last_loop", "_open", "_recent", "_count", "_count_lo", "_closed", "_ptr", "_secs", "_secs_lo",
                 "tally")

    def __init__(self, memory: dt.timedelta = HOUR) -> None:
        self.memory = max(memory, HOUR)
        self._records: deque[PlayRecord] = deque()
        self._rule_starts: dict[str, list[dt.datetime]] = {}
        self._creative_starts: dict[str, list[dt.datetime]] = {}
        self._rule_end: dict[str, dt.datetime | None] = {}
        self._creative_last: dict[str, dt.datetime] = {}
        self.last_loop: PlayRecord | None = None  # the latest loop play (rule None), kept whatever its age
        self._open = False  # the newest record has not ended yet
        # sliding counters (see the module's docstring)
        self._recent: deque[tuple[dt.datetime, str]] = deque()  # rule plays' starts after _count_lo
        self._count: dict[str, int] = {}  # rule -> plays in _recent
        self._count_lo: dt.datetime | None = None
        # ended rule plays of the last hour of recording, by end; those from _ptr on ended after _secs_lo
        self._closed: deque[tuple[dt.datetime, dt.datetime, str, int]] = deque()
        self._ptr = 0
        self._secs: dict[str, int] = {}  # rule -> microseconds of the plays in _closed[_ptr:] (whole)
        self._secs_lo: dt.datetime | None = None
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
            self._count_start(record.rule, t)
            if record.end is not None:
                self._secs_close(record.rule, t, record.end)
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
            self._secs_close(rec.rule, rec.start, at)
        else:
            self.last_loop = rec

    def _count_start(self, rule: str, t: dt.datetime) -> None:
        lo = self._count_lo
        if lo is not None and t <= lo:
            return  # before the window: it never counts again
        recent = self._recent
        if not recent or recent[-1][0] <= t:
            recent.append((t, rule))
        else:
            recent.insert(bisect.bisect_right(recent, t, key=_first), (t, rule))
        self._count[rule] = self._count.get(rule, 0) + 1
        self._slide_counts(t - HOUR)  # kept to the hour of the newest start, as the per-rule lists are

    def _secs_close(self, rule: str, start: dt.datetime, end: dt.datetime) -> None:
        us = max(0, (end - start) // _US)
        closed = self._closed
        if not closed or closed[-1][1] <= end:
            closed.append((start, end, rule, us))
            at = len(closed) - 1
        else:
            at = bisect.bisect_right(closed, end, key=_second)
            closed.insert(at, (start, end, rule, us))
        if at < self._ptr or (self._secs_lo is not None and end <= self._secs_lo):
            self._ptr += 1  # before the window last read: out of the sum
        elif us:
            self._secs[rule] = self._secs.get(rule, 0) + us
        horizon = closed[-1][1] - HOUR  # kept: the last hour of recording
        while closed[0][1] <= horizon:
            _, _, old, old_us = closed.popleft()
            if self._ptr:
                self._ptr -= 1
            elif old_us:
                _take(self._secs, old, old_us)

    def _slide_counts(self, lo: dt.datetime) -> None:
        if self._count_lo is not None and lo <= self._count_lo:
            return
        self._count_lo = lo
        recent, count = self._recent, self._count
        while recent and recent[0][0] <= lo:
            _take(count, recent.popleft()[1], 1)

    def _slide_secs(self, lo: dt.datetime) -> None:
        """Moves the window of ``_secs`` to the plays that ended after ``lo``, either way."""
        closed, secs = self._closed, self._secs
        if self._secs_lo is None or lo >= self._secs_lo:
            while self._ptr < len(closed) and closed[self._ptr][1] <= lo:
                _, _, rule, us = closed[self._ptr]
                if us:
                    _take(secs, rule, us)
                self._ptr += 1
        else:
            while self._ptr and closed[self._ptr - 1][1] > lo:
                self._ptr -= 1
                _, _, rule, us = closed[self._ptr]
                if us:
                    secs[rule] = secs.get(rule, 0) + us
        self._secs_lo = lo

    # ------------------------------------------------------------------ reading
    @property
    def rule_starts(self) -> dict[str, list[dt.datetime]]:
        """Rule id -> starts of its plays in the last hour of recording, in order (read only)."""
        return self._rule_starts

    @property
    def rule_ends(self) -> dict[str, dt.datetime | None]:
        """Rule id -> end of its last play; None while that play is on screen (read only)."""
        return self._rule_end

    def rule_counts(self, since: dt.datetime) -> dict[str, int]:
        """Rule id -> plays that started after ``since`` (a rule with none is absent). Read
        only, and only until the next call: the history's own counter when ``since`` moves
        forward (the usual case: the last hour of an advancing clock), a new dict otherwise."""
        if self._count_lo is None or since >= self._count_lo:
            self._slide_counts(since)
            return self._count
        out = {}
        for rule, starts in self._rule_starts.items():
            n = len(starts) - bisect.bisect_right(starts, since) if starts and starts[-1] > since else 0
            if n:
                out[rule] = n
        return out

    def rule_seconds(self, since: dt.datetime, now: dt.datetime) -> dict[str, int]:
        """Rule id -> microseconds its plays were on screen between ``since`` and ``now``: a
        play on screen counts up to ``now``, an ended one from its start to its end, each
        clipped to ``since`` (a rule with none is absent). A new dict, the caller's."""
        self._slide_secs(since)
        out = self._secs.copy()
        clipped = []
        for start, _end, rule, us in itertools.islice(self._closed, self._ptr, None):  # began before ``since``
            if start >= since:
                break
            if us:
                out[rule] -= min(us, (since - start) // _US)
                clipped.append(rule)
        for start, end, rule, us in reversed(self._closed):  # read in the past: plays ending after ``now``
            if end <= now:
                break
            if us:
                out[rule] -= min(us, (end - max(now, start, since)) // _US)
                clipped.append(rule)
        if self._open:
            last = self._records[-1]
            if last.rule is not None and now > last.start:
                out[last.rule] = out.get(last.rule, 0) + max(0, (now - max(last.start, since)) // _US)
        for rule in clipped:  # clipped to nothing: absent, as documented
            if rule in out and out[rule] <= 0:
                del out[rule]
        return out

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


def _take(counter: dict[str, int], key: str, amount: int) -> None:
    """Takes ``amount`` off ``counter[key]``; a key left at 0 goes (counters hold no zeros)."""
    left = counter[key] - amount
    if left:
        counter[key] = left
    else:
        del counter[key]


def _first(item: tuple) -> dt.datetime:
    return item[0]


def _second(item: tuple) -> dt.datetime:
    return item[1]


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
