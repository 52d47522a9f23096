"""WriteQueue: the bounded queue between the render loop and the analytics writer thread.

The render loop puts records without ever waiting: when the queue is full, a new record is
dropped and counted (``WriterStats.dropped``). A full queue is one episode from the first
record dropped until the queue has drained to half its size (a queue that frees a slot now
and then while it drains slowly is still the same episode): one warning when it starts, one
summary of how many records were dropped when it ends. The writer thread takes up to
``_BATCH`` records at a time, with the markers among them (a flush's barrier, the stop).
"""

from __future__ import annotations

import logging
import queue
import threading

from signage.analytics.batch import Batch, MinuteWrite, PlayWrite
from signage.analytics.writer_stats import WriterStats

log = logging.getLogger("signage.analytics")

_BATCH = 500  # records the writer thread takes off the queue for one transaction, at most


class WriteQueue:
    """Records (``PlayWrite``, ``MinuteWrite``) and markers (a ``threading.Event`` barrier that
    a flush waits on; ``None``, stop). ``lock`` is the writer's: ``put`` is called with it held,
    ``drained`` takes it."""

    def __init__(self, size: int, stats: WriterStats, lock: threading.Lock) -> None:
        self._queue: queue.Queue = queue.Queue(maxsize=size)
        self._stats = stats
        self._lock = lock
        self._dropping = False  # a full-queue episode: from the first drop until drained to low water
        self._dropped_before = 0  # stats.dropped when the episode began
        self._low_water = size // 2

    def qsize(self) -> int:
        return self._queue.qsize()

    def put(self, item: PlayWrite | MinuteWrite) -> None:
        """Queue one record, or drop and count it when the queue is full (caller holds the lock)."""
        try:
            self._queue.put_nowait(item)
        except queue.Full:
            if not self._dropping:
                self._dropping = True
                self._dropped_before = self._stats.dropped
                log.warning(
                    "analytics: write queue full (%d records waiting); dropping new records until it drains",
                    self._queue.maxsize,
                )
            self._stats.dropped += 1

    def put_marker(self, marker: threading.Event | None, timeout: float) -> None:
        """Queue a flush's barrier or the stop marker, waiting up to ``timeout`` s (queue.Full)."""
        self._queue.put(marker, timeout=timeout)

    def drained(self) -> None:
        """The writer thread took records off the queue: the end of a full-queue episode once
        the queue is down to its low-water mark (not at the first free slot), told once."""
        with self._lock:
            if not self._dropping or self._queue.qsize() > self._low_water:
                return
            self._dropping = False
            stats = self._stats
            episode, total, waiting = stats.dropped - self._dropped_before, stats.dropped, self._queue.qsize()
        log.info(
            "analytics: write queue drained (%d waiting); accepting records again: %d dropped while it was full"
            " (%d since start)", waiting, episode, total,
        )  # fmt: skip

    def take(self, batch: Batch, barriers: list[threading.Event], wait: float) -> bool:
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

    def take_rest(self, batch: Batch) -> None:
        """Every record still queued into the batch (the writer gives up: they are counted lost)."""
        while True:
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                break
            if isinstance(item, (PlayWrite, MinuteWrite)):
                batch.add(item)
