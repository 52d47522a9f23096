"""AnalyticsWriter: records plays and the audience off the render path.

The player calls ``play_started``, ``play_on_screen``, ``play_ended`` and ``audience``
from its render loop. These only do arithmetic in memory (``aggregate.py``) and put
records on a bounded queue: they never touch the database and never block. A thread of
its own takes records off the queue and writes all it finds in one transaction, and
purges old rows at start and then every ``purge_interval_h``.

Crash safety (docs/proof-of-play.md): a play is written open when it is decided, and the
player shows its first frame once ``on_record`` says the open row is committed (or after
``start_wait_s``, so a failing database never holds the screen). Every ``checkpoint_s``
the open plays and the audience counted since the previous checkpoint are queued together
(one transaction); a play's end and the next play's start go in one transaction too. At
start, rows a crash left open are closed as ``crashed`` at their last checkpoint.

The writer thread's work (``write_loop.py``): a locked or unwritable database is retried
with back-off, a corrupt file moved aside; the queue (``write_queue.py``) drops and counts
new records while it is full. Failures never reach the caller. ``WriterStats``
(``writer_stats.py``) says what it has done, for the health status.
"""

from __future__ import annotations

import datetime as dt
import queue
import threading
import time
import uuid
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field, replace

from signage.analytics.aggregate import AudienceAccumulator, MinuteAggregator
from signage.analytics.batch import MinuteWrite, PlayWrite
from signage.analytics.dbfile import resolve_path
from signage.analytics.rows import OUTCOMES, PLAYING, Outcome, PlayRow
from signage.analytics.write_loop import WriteLoop
from signage.analytics.write_queue import WriteQueue
from signage.analytics.writer_stats import WriterStats
from signage.config import AnalyticsConfig
from signage.values import AudienceSnapshot

Now = float | dt.datetime | None


@dataclass(slots=True)
class _OpenPlay:
    play_id: str
    creative_id: str
    rule_id: str | None
    reason: str
    planned_s: float | None
    playlist: str | None
    playlist_version: str | None
    start: float
    acc: AudienceAccumulator
    decided: float = 0.0  # when play_started was called (the on_record wait counts from here)
    recorded: threading.Event = field(default_factory=threading.Event)  # the open row is committed


class AnalyticsWriter:
    """Proof of play and audience aggregates, written on a thread of their own.

    ``clock`` (epoch seconds) is used when a call gives no ``now`` and for the purge
    schedule. ``now`` arguments are epoch seconds or aware datetimes, on the wall clock.
    Calls are thread-safe, but meant for one caller (the render loop).
    """

    def __init__(self, config: AnalyticsConfig, *, clock: Callable[[], float] = time.time) -> None:
        self.config = config
        self.path = resolve_path(config.db_path)
        self.stats = WriterStats()
        self._clock = clock
        self._lock = threading.Lock()
        self._open: dict[str, _OpenPlay] = {}
        self._last: AudienceSnapshot | None = None
        self._last_t: float | None = None
        self._paused = False  # audience measurement paused by a passer-by (``paused``)
        self._minutes: MinuteAggregator | None = None
        self._next_checkpoint = float("-inf")
        self._ended: list[PlayWrite] = []  # ended plays not queued yet (see play_ended)
        self._queue = WriteQueue(config.queue_size, self.stats, self._lock)
        self._closed = False
        self._abandon = threading.Event()
        self._thread: threading.Thread | None = None
        if not config.enabled:
            self.stats.state = "disabled"
            self._closed = True
            return
        loop = WriteLoop(config, self.path, self.stats, self._queue, clock, self._abandon)
        self._thread = threading.Thread(target=loop.run, name="signage-analytics", daemon=True)
        self._thread.start()

    # -- the caller's side: memory only, never blocks ---------------------------------------

    def _t(self, now: Now) -> float:
        if now is None:
            return self._clock()
        return now.timestamp() if isinstance(now, dt.datetime) else float(now)

    def play_started(
        self,
        creative_id: str,
        *,
        rule_id: str | None = None,
        reason: str = "",
        planned_s: float | None = None,
        playlist: str | None = None,
        playlist_version: str | None = None,
        key: Hashable | None = None,
        now: Now = None,
    ) -> Hashable:
        """A play begins: it is queued as an open row at once (with a checkpoint of everything
        else open). Show its first frame once ``on_record`` is true, and say when it came
        with ``play_on_screen``. Returns the handle to give to the other calls: ``key`` if
        given (e.g. the player's own play id), else a new id. The stored ``play_id`` is
        always a new unique id, so keys may repeat across restarts."""
        t = self._t(now)
        play_id = uuid.uuid4().hex
        handle = play_id if key is None else key
        with self._lock:
            if not self._closed:
                previous = self._open.pop(handle, None)
                if previous is not None:  # the same key again: the earlier play has ended
                    self._queue.put(PlayWrite(self._play_row(previous, "interrupted", t)))
                acc = AudienceAccumulator(t, self.config.sample_hold_s, held=self._last, held_at=self._last_t,
                                          label=None if key is None else ("play", key), paused=self._paused)  # fmt: skip
                self._open[handle] = _OpenPlay(
                    play_id, creative_id, rule_id, reason, planned_s, playlist, playlist_version, t, acc, decided=t
                )
                self._checkpoint(t)
        return handle

    def on_record(self, handle: Hashable, now: Now = None) -> bool:
        """True when the play's first frame may be shown: its open row is committed, or it
        has waited ``start_wait_s`` (the database is slow or failing: the screen goes on),
        or there is nothing to wait for (unknown handle, analytics off or closed)."""
        with self._lock:
            p = self._open.get(handle)
            if p is None or self._closed or p.recorded.is_set():
                return True
            return self._t(now) - p.decided >= self.config.start_wait_s

    def play_on_screen(self, handle: Hashable, now: Now = None) -> None:
        """The play's first frame is on screen: its start (and its audience) count from ``now``
        (stored with the next checkpoint; until then the row starts when it was decided)."""
        t = self._t(now)
        with self._lock:
            p = self._open.get(handle)
            if p is None or t <= p.start:
                return
            p.start = t
            pauses = p.acc.totals.pauses  # a pause begun between its decision and its first frame is its own
            p.acc = AudienceAccumulator(t, self.config.sample_hold_s, held=self._last, held_at=self._last_t,
                                        label=p.acc.label, paused=self._paused)  # people are counted per play by its key
            p.acc.totals.pauses = pauses

    def play_ended(self, handle: Hashable, outcome: Outcome = "completed", now: Now = None) -> None:
        """The play left the screen: ``completed`` (ran its course), ``interrupted`` (cut
        short by a rule or a stop), ``skipped`` (not shown, e.g. a missing file) or ``error``.
        An unknown or already ended handle is ignored."""
        t = self._t(now)
        if outcome not in OUTCOMES or outcome == "crashed":
            raise ValueError(f"outcome must be completed, interrupted, skipped or error, got {outcome!r}")
        with self._lock:
            p = self._open.pop(handle, None)
            if p is None:
                return
            # held until the next call (a play_started in the same frame, or the next frame's
            # audience): a play's end and the next one's start are one transaction
            self._ended.append(PlayWrite(self._play_row(p, outcome, t), p.recorded))

    def audience(self, snapshot: AudienceSnapshot | None, now: Now = None) -> None:
        """The latest audience snapshot (``None`` while the camera is off). Call it as often
        as convenient (every frame is fine): a snapshot counts for ``sample_hold_s`` at
        most after it first came, however often it is handed over again."""
        t = self._t(now)
        with self._lock:
            if self._closed:
                return
            self._queue_ended()
            if snapshot is None or self._last is None or snapshot.t != self._last.t:
                self._last_t = t  # when this snapshot first came (a repeat does not refresh it)
            self._last = snapshot
            for p in self._open.values():
                p.acc.add(t, snapshot)
            self._minute(t, lambda m: m.add(t, snapshot))
            if t >= self._next_checkpoint:
                self._checkpoint(t)

    def paused(self, paused: bool, now: Now = None) -> None:
        """Audience measurement paused by a passer-by (True) or measured again (False) from
        ``now``: the open plays and the minute count the paused seconds and the pauses begun."""
        t = self._t(now)
        with self._lock:
            if self._closed or paused == self._paused:
                return
            self._paused = paused
            for p in self._open.values():
                p.acc.set_paused(t, paused)
            self._minute(t, lambda m: m.set_paused(t, paused))

    def _minute(self, t: float, step: Callable[[MinuteAggregator], list]) -> None:
        """Hand the minute aggregator a sample (``step``) and queue the minutes it closed. Caller holds the lock."""
        if not self.config.minute_aggregates:
            return
        if self._minutes is None:
            self._minutes = MinuteAggregator(t, self.config.sample_hold_s)
        done = step(self._minutes)
        if done:
            self._queue.put(MinuteWrite(done, t))

    def _checkpoint(self, t: float) -> None:
        """Queue the open plays as they stand and the audience counted since the previous
        checkpoint (the writer thread writes them in one transaction). Caller holds the lock."""
        self._queue_ended()
        self._next_checkpoint = t + self.config.checkpoint_s
        for p in self._open.values():
            p.acc.advance(t)
            row = PlayRow(
                p.play_id, p.creative_id, p.rule_id, p.reason, p.start, max(t, p.start), PLAYING,
                p.planned_s, p.playlist, p.playlist_version, replace(p.acc.totals),
            )  # fmt: skip
            self._queue.put(PlayWrite(row, p.recorded))
        if self._minutes is not None:
            done = self._minutes.flush(t)
            if done:
                self._queue.put(MinuteWrite(done, t))
        self.stats.checkpoints += 1

    def flush(self, timeout: float = 5.0, now: Now = None) -> bool:
        """Write everything recorded so far, including the current minute's part; True when
        it is in the database within ``timeout`` seconds."""
        if self._thread is None:
            return False
        t = self._t(now)
        with self._lock:
            if self._closed:
                return False
            self._queue_ended()
            if self._minutes is not None:
                done = self._minutes.flush(t)
                if done:
                    self._queue.put(MinuteWrite(done, t))
        barrier = threading.Event()
        try:
            self._queue.put_marker(barrier, timeout)
        except queue.Full:
            return False
        return barrier.wait(timeout)

    def close(self, timeout: float = 5.0, now: Now = None) -> None:
        """End open plays as interrupted, write what is queued and stop the thread.
        Gives up after ``timeout`` seconds if the database is unavailable (the records
        not written are counted in ``stats.lost`` and logged). Idempotent."""
        t = self._t(now)
        with self._lock:
            if self._closed:
                return
            self._queue_ended()
            for p in self._open.values():
                self._queue.put(PlayWrite(self._play_row(p, "interrupted", t)))
            self._open.clear()
            if self._minutes is not None:
                done = self._minutes.flush(t)
                if done:
                    self._queue.put(MinuteWrite(done, t))
            self._closed = True
        assert self._thread is not None
        deadline = time.monotonic() + timeout
        try:
            self._queue.put_marker(None, timeout)
        except queue.Full:
            pass
        self._thread.join(max(0.0, deadline - time.monotonic()))
        if self._thread.is_alive():
            self._abandon.set()
            self._thread.join(5.0)
        self.stats.state = "closed"

    def pending(self) -> int:
        """Records waiting to be written (read-only, for the health status)."""
        return self._queue.qsize()

    def __enter__(self) -> AnalyticsWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _queue_ended(self) -> None:
        for item in self._ended:
            self._queue.put(item)
        self._ended.clear()

    def _play_row(self, p: _OpenPlay, outcome: Outcome, t: float) -> PlayRow:
        end = max(t, p.start)
        return PlayRow(
            p.play_id, p.creative_id, p.rule_id, p.reason, p.start, end, outcome,
            p.planned_s, p.playlist, p.playlist_version, p.acc.close(end),
        )  # fmt: skip
