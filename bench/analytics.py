"""What analytics costs the render loop, and what the writes cost the writer thread.

Prints figures; not a test. Run: .venv/bin/python bench/analytics.py
- audience(): the call the render loop makes every frame (one play open, minute
  aggregates on), median and p99 in microseconds on the caller's thread;
- play_started + play_ended together;
- the same audience() calls while another process holds the database's write lock;
- writes on the writer thread: plays per second through the queue into SQLite (WAL,
  synchronous=NORMAL), and one batched transaction.
"""

from __future__ import annotations

import dataclasses
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from signage.analytics import AnalyticsStore, AnalyticsWriter, AudienceTotals, PlayRow  # noqa: E402
from signage.config import AnalyticsConfig  # noqa: E402
from signage.values import AudienceSnapshot  # noqa: E402

T0 = 1_800_000_000.0


def percentiles(samples_s: list[float]) -> str:
    us = sorted(s * 1e6 for s in samples_s)
    p99 = us[int(len(us) * 0.99) - 1]
    return f"median {statistics.median(us):6.2f} µs  p99 {p99:6.2f} µs  max {us[-1]:8.1f} µs"


def audience_calls(w: AnalyticsWriter, n: int, t0: float) -> list[float]:
    snaps = [
        AudienceSnapshot(t=k / 10, faces=k % 5, measured=k % 5, watchers=k % 3 if k % 5 >= 3 else 0, smile_ratio=0.5)
        for k in range(50)
    ]
    out = []
    pid = w.play_started("promo", rule_id="r", now=t0)
    for i in range(n):
        snap = snaps[(i // 3) % len(snaps)]  # a new snapshot every third frame, like a 10 fps sensor
        now = t0 + i / 30
        s = time.perf_counter()
        w.audience(snap, now)
        out.append(time.perf_counter() - s)
        if i % 450 == 449:  # a 15 s play ends, the next starts
            w.play_ended(pid, now=now)
            pid = w.play_started("promo", rule_id="r", now=now)
    w.play_ended(pid, now=t0 + n / 30)
    return out


def main() -> None:
    tmp = Path(tempfile.mkdtemp())
    n = 60_000  # 33 minutes of frames at 30 fps
    w = AnalyticsWriter(AnalyticsConfig(db_path=str(tmp / "a.db")))
    audience_calls(w, 3000, T0 - 3600)  # warm up
    cost = audience_calls(w, n, T0)
    pairs = []
    for i in range(5000):
        s = time.perf_counter()
        w.play_ended(w.play_started("x", now=T0 + 4000 + i), now=T0 + 4000 + i + 1)
        pairs.append(time.perf_counter() - s)
    assert w.flush(timeout=30)

    blocker = sqlite3.connect(tmp / "a.db", isolation_level=None)
    blocker.execute("BEGIN EXCLUSIVE")
    locked = audience_calls(w, 9000, T0 + 10_000)
    blocker.execute("ROLLBACK")
    blocker.close()
    assert w.flush(timeout=30)
    w.close()

    w = AnalyticsWriter(AnalyticsConfig(db_path=str(tmp / "b.db"), queue_size=100_000))
    assert w.flush()
    plays = 20_000
    s = time.perf_counter()
    for i in range(plays):
        w.play_ended(w.play_started("x", now=T0 + i), now=T0 + i + 1)
    assert w.flush(timeout=60)
    through = time.perf_counter() - s
    w.close()
    assert w.stats.dropped == 0 and w.stats.plays_written == plays

    store = AnalyticsStore(tmp / "c.db")
    rows = [PlayRow(f"p{i}", "x", None, "", T0 + i, T0 + i + 15, "completed", 15.0, audience=AudienceTotals(15, 150))
            for i in range(500)]  # fmt: skip
    times = []
    for k in range(20):
        batch = [dataclasses.replace(r, play_id=f"{k}-{r.play_id}") for r in rows]
        s = time.perf_counter()
        store.write(batch)
        times.append(time.perf_counter() - s)
    store.close()

    print(f"audience() on the caller's thread, {n} calls (1 play open, minute aggregates on):")
    print(f"  {percentiles(cost)}")
    print(f"  same while another process holds the write lock ({len(locked)} calls): {percentiles(locked)}")
    print(f"play_started + play_ended on the caller's thread: {percentiles(pairs)}")
    print(f"writer thread: {plays} plays queued and written in {through:.2f} s ({plays / through:,.0f} plays/s)")
    print(f"one transaction of 500 plays: median {statistics.median(times) * 1e3:.1f} ms")


if __name__ == "__main__":
    main()
