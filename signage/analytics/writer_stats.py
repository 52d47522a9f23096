"""WriterStats: what the analytics writer has done and the state it is in, for the health
status (``signage.health.analytics_status``) and the tests. Pure data."""

from __future__ import annotations

from dataclasses import dataclass


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
