"""WriteLoop: the analytics writer thread's work, from the queue to the database.

It takes what the queue holds and writes it in one transaction, sets each open play's
``recorded`` event once its row is committed, releases a flush's barrier once what came
before it is written, and purges old rows at start and then every ``purge_interval_h``. At
the first opening of the database, rows a crash left open are closed as ``crashed``.

Failures never reach the render loop: a locked or unwritable database is retried with
back-off (the queue holds the records meanwhile); a corrupt file is moved aside (never
deleted) and a fresh database created. Each change of state is logged once and kept in
``WriterStats.state`` for the health status.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path

from signage.analytics.batch import Batch
from signage.analytics.dbfile import StoreError, move_aside
from signage.analytics.rows import PLAYING
from signage.analytics.store import AnalyticsStore, open_store
from signage.analytics.write_queue import WriteQueue
from signage.analytics.writer_stats import WriterStats
from signage.config import AnalyticsConfig

log = logging.getLogger("signage.analytics")


class WriteLoop:
    """The writer thread's loop (``run``); it alone uses the database. ``abandon`` set: give up
    retrying (close() timed out), count what is unwritten as lost and end."""

    def __init__(
        self, config: AnalyticsConfig, path: Path, stats: WriterStats, queue: WriteQueue,
        clock: Callable[[], float], abandon: threading.Event,
    ) -> None:  # fmt: skip
        self.config = config
        self.path = path
        self.stats = stats
        self._queue = queue
        self._clock = clock
        self._abandon = abandon
        self._recovered = False

    def run(self) -> None:
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
                    stopping = self._queue.take(batch, barriers, wait=1.0)
                    self._queue.drained()
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
        self._queue.take(Batch(), barriers, wait=0)  # a flush that raced close: release it
        for b in barriers:
            b.set()

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
        self._queue.take_rest(batch)
        lost = len(batch.plays) + len(batch.minutes)
        self.stats.lost += lost
        log.error("analytics: closing while the database %s is unavailable: %d records not written", self.path, lost)
