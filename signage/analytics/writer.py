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

Failures never reach the caller: a locked or unwritable database is retried with
back-off (the queue holds the records meanwhile; when it is full, new records are
dropped and counted); a corrupt file is moved aside and a fresh database created.
Each change of state is logged once. A full queue is one episode from the first record
dropped until the queue has drained to half its size (a queue that frees a slot now and
then while it drains slowly is still the same episode): one warning when it starts, one
summary of how many records were dropped when it ends.
"""

from __future__ import annotations

import datetime as dt
import logging
import queue
import threading
import time
import uuid
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field, replace

from signage.analytics.aggregate import AudienceAccumulator, MinuteAggregator
from signage.analytics.batch import Batch, MinuteWrite, PlayWrite
from signage.analytics.store import (
    OUTCOMES,
    PLAYING,
    AnalyticsStore,
    Outcome,
    PlayRow,
    StoreError,
    move_aside,
    open_store,
    resolve_path,
)
from signage.config import AnalyticsConfig
from signage.values import AudienceSnapshot

log = logging.getLogger("signage.analytics")

Now = float | dt.datetime | None
_BATCH = 500


@dataclass(slots=True)
class WriterStats:
    """Counters, for the health status and the tests."""

    plays_written: int = 0
    minutes_written: int = 0
    dropped: int = 0  # records refused because the queue was full
    lost: int = 0  # records still unwritten when close() gave up
    retries: int = 0  # failed write attempts
    moved_aside: int = 0  # corrupt database files renamed
    plays_purged: int = 0
    minutes_purged: int = 0
    checkpoints: int = 0  # checkpoints queued
    commits: int = 0  # transactions written
    recovered: int = 0  # plays a crash had left open, closed as crashed at start
    state: str = "starting"  # starting, ok, retrying, closed, disabled


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
        self._minutes: MinuteAggregator | None = None
        self._next_checkpoint = float("-inf")
        self._ended: list[PlayWrite] = []  # ended plays not queued yet (see play_ended)
        self._queue: queue.Queue = queue.Queue(maxsize=config.queue_size)
        self._dropping = False  # a full-queue episode: from the first drop until drained to low water
        self._dropped_before = 0  # stats.dropped when the episode began
        self._low_water = config.queue_size // 2
        self._closed = False
        self._recovered = False
        self._abandon = threading.Event()
        self._thread: threading.Thread | None = None
        if not config.enabled:
            self.stats.state = "disabled"
            self._closed = True
            return
        self._thread = threading.Thread(target=self._run, name="signage-analytics", daemon=True)
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
                    self._enqueue(PlayWrite(self._play_row(previous, "interrupted", t)))
                acc = AudienceAccumulator(t, self.config.sample_hold_s, held=self._last, held_at=self._last_t,
                                          label=None if key is None else ("play", key))  # fmt: skip
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
            p.acc = AudienceAccumulator(t, self.config.sample_hold_s, held=self._last, held_at=self._last_t,
                                        label=p.acc.label)  # people are counted per play by its key

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
            if self.config.minute_aggregates:
                if self._minutes is None:
                    self._minutes = MinuteAggregator(t, self.config.sample_hold_s)
                done = self._minutes.add(t, snapshot)
                if done:
                    self._enqueue(MinuteWrite(done, t))
            if t >= self._next_checkpoint:
                self._checkpoint(t)

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
            self._enqueue(PlayWrite(row, p.recorded))
        if self._minutes is not None:
            done = self._minutes.flush(t)
            if done:
                self._enqueue(MinuteWrite(done, t))
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
                    self._enqueue(MinuteWrite(done, t))
        barrier = threading.Event()
        try:
            self._queue.put(barrier, timeout=timeout)
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
                self._enqueue(PlayWrite(self._play_row(p, "interrupted", t)))
            self._open.clear()
            if self._minutes is not None:
                done = self._minutes.flush(t)
                if done:
                    self._enqueue(MinuteWrite(done, t))
            self._closed = True
        assert self._thread is not None
        deadline = time.monotonic() + timeout
        try:
            self._queue.put(None, timeout=timeout)
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
            self._enqueue(item)
        self._ended.clear()

    def _play_row(self, p: _OpenPlay, outcome: Outcome, t: float) -> PlayRow:
        end = max(t, p.start)
        return PlayRow(
            p.play_id, p.creative_id, p.rule_id, p.reason, p.start, end, outcome,
            p.planned_s, p.playlist, p.playlist_version, p.acc.close(end),
        )  # fmt: skip

    def _enqueue(self, item: PlayWrite | MinuteWrite) -> None:
        """Queue one record, or drop and count it when the queue is full (caller holds the lock)."""
        try:
            self._queue.put_nowait(item)
        except queue.Full:
            if not self._dropping:
                self._dropping = True
                self._dropped_before = self.stats.dropped
                log.warning(
                    "analytics: write queue full (%d records waiting); dropping new records until it drains",
                    self._queue.maxsize,
                )
            self.stats.dropped += 1

    def _drained(self) -> None:
        """The writer thread took records off the queue: the end of a full-queue episode once
        the queue is down to its low-water mark (not at the first free slot), told once."""
        with self._lock:
            if not self._dropping or self._queue.qsize() > self._low_water:
                return
            self._dropping = False
            episode, total, waiting = self.stats.dropped - self._dropped_before, self.stats.dropped, self._queue.qsize()
        log.info(
            "analytics: write queue drained (%d waiting); accepting records again: %d dropped while it was full"
            " (%d since start)", waiting, episode, total,
        )  # fmt: skip

    # -- the writer thread ------------------------------------------------------------------

    def _run(self) -> None:
        store: AnalyticsStore | None = None
        batch = Batch()
        barriers: list[threading.Event] = []
        stopping = False
        next_purge = float("-inf")  # at start
        backoff = 0.0
        failing_since: float | None = None
        while True:
            try:
                if store is None:
                    store = self._open_store()
                if self._clock() >= next_purge:  # at start, then every purge_interval_h
                    next_purge = self._purge(store)
                if not batch and not barriers and not stopping:
                    stopping = self._take_batch(batch, barriers, wait=1.0)
                    self._drained()
                if batch:
                    rows = list(batch.plays.values())
                    store.write([w.row for w in rows], list(batch.minutes.values()), batch.at)
                    self.stats.commits += 1
                    self.stats.plays_written += sum(1 for w in rows if w.row.outcome != PLAYING)
                    self.stats.minutes_written += len(batch.minutes)
                    for w in rows:
                        if w.recorded is not None:
                            w.recorded.set()
                    batch = Batch()
                if self._clock() >= next_purge:  # before releasing a flush() that waits
                    next_purge = self._purge(store)
            except StoreError as exc:
                self.stats.retries += 1
                if exc.kind == "corrupt" and self._move_aside(store, exc):
                    store = None
                    if backoff == 0.0:
                        continue  # retry at once in the fresh database
                elif store is not None and exc.kind != "busy":
                    store.close()
                    store = None
                if failing_since is None:
                    failing_since = time.monotonic()
                    log.warning("analytics: cannot write (%s); keeping records and retrying", exc)
                self.stats.state = "retrying"
                backoff = min(self.config.retry_max_s, max(0.05, backoff * 2))
                if self._abandon.wait(backoff):
                    self._give_up(batch)
                    break
                continue
            except Exception:  # never let the thread die: log and carry on
                log.exception("analytics: unexpected error in the writer thread")
                if self._abandon.wait(1.0):
                    self._give_up(batch)
                    break
                continue
            if failing_since is not None:
                log.info(
                    "analytics: database %s writable again after %.1f s (%d failed attempts so far)",
                    self.path, time.monotonic() - failing_since, self.stats.retries,
                )  # fmt: skip
                failing_since = None
            self.stats.state = "ok"
            backoff = 0.0
            for b in barriers:
                b.set()
            barriers.clear()
            if stopping:
                break
        if store is not None:
            store.close()
        self._take_batch(Batch(), barriers, wait=0)  # a flush that raced close: release it
        for b in barriers:
            b.set()

    def _take_batch(self, batch: Batch, barriers: list[threading.Event], wait: float) -> bool:
        """Move up to _BATCH queued items into the batch; True if the stop marker was met."""
        try:
            item = self._queue.get(timeout=wait) if wait > 0 else self._queue.get_nowait()
        except queue.Empty:
            return False
        n = 0
        while True:
            if item is None:
                return True
            if isinstance(item, threading.Event):
                barriers.append(item)
            else:
                batch.add(item)
            n += 1
            if n >= _BATCH:
                return False
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                return False

    def _open_store(self) -> AnalyticsStore:
        store = open_store(self.path, self.config.busy_timeout_s, self.config.synchronous)
        if self.stats.state == "starting":
            log.info("analytics: recording to %s (retention %d days)", self.path, self.config.retention_days)
        if not self._recovered:  # once per run: later reopenings must not close this run's own open plays
            crashed = store.recover(self._clock())
            self._recovered = True
            self.stats.recovered = len(crashed)
            if crashed:
                log.warning(
                    "analytics: %d plays left open by a crash closed as crashed at their last checkpoint"
                    " (%.0f s on record, at most %.0f s of screen time lost)", len(crashed),
                    sum(c.end_ts - c.start_ts for c in crashed), sum(c.lost_at_most_s for c in crashed),
                )  # fmt: skip
        return store

    def _move_aside(self, store: AnalyticsStore | None, exc: StoreError) -> bool:
        """Rename the corrupt file (never delete it); True when done."""
        if store is not None:
            store.close()
        try:
            moved = move_aside(self.path)
        except OSError as err:
            log.error("analytics: %s; cannot move it aside: %s", exc, err)
            return False
        self.stats.moved_aside += 1
        log.error("analytics: %s; moved it to %s (kept, not deleted) and starting a fresh database", exc, moved)
        return True

    def _purge(self, store: AnalyticsStore) -> float:
        """Delete what is older than the retention period; returns when to purge next."""
        now = self._clock()
        plays, minutes = store.purge(now, self.config.retention_days)
        self.stats.plays_purged += plays
        self.stats.minutes_purged += minutes
        if plays or minutes:
            log.info(
                "analytics: retention purge deleted %d plays and %d audience minutes older than %d days",
                plays, minutes, self.config.retention_days,
            )  # fmt: skip
        return now + self.config.purge_interval_h * 3600.0

    def _give_up(self, batch: Batch) -> None:
        while True:
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                break
            if isinstance(item, (PlayWrite, MinuteWrite)):
                batch.add(item)
        lost = len(batch.plays) + len(batch.minutes)
        self.stats.lost += lost
        log.error("analytics: closing while the database %s is unavailable: %d records not written", self.path, lost)
