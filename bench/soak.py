"""Soak: the whole player for a long run, checking that memory stays flat and nothing fails.

    .venv/bin/python bench/soak.py [--minutes 10] [--speed 20]

The real player (``app.build``): the demo playlist on a 1280x720 dummy screen, sensing the
sample clip in real time (looped, as a camera), analytics to a fresh SQLite file, the
playlist watcher on. The playlist's clock runs ``--speed`` times faster than real time,
so ten minutes play hours of the schedule: many more switches, preparations, videos
opened and closed, decisions and database writes than real time would give. Real time
is unchanged for sensing, the screen and the writer.

RSS is sampled every 2 s. It swings by tens of MB with what is on screen (a video's decoder
threads and buffers come and go with each play), so growth compares medians: the second
minute's (after the warm-up: caches, fonts, the models) with the last minute's; the slope
of a least-squares line through every sample after the first minute is printed too. Errors: log records at ERROR or above, the
player's recent errors, the writer's lost records.
"""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import os
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")

CLIP = ROOT / "tests" / "data" / "white_house_hamilton_clip.mp4"


class FastWall:
    def __init__(self, speed: float) -> None:
        self.speed = speed
        self.t0 = time.monotonic()
        self.start = dt.datetime.now(dt.timezone.utc)

    def __call__(self) -> dt.datetime:
        return self.start + dt.timedelta(seconds=(time.monotonic() - self.t0) * self.speed)


class Count(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(self.format(record))


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--minutes", type=float, default=10.0, help="at least 3")
    ap.add_argument("--speed", type=float, default=20.0, help="playlist clock speed-up")
    ap.add_argument("--camera", default=str(CLIP), help="camera source, or off (default: the sample clip)")
    ap.add_argument("--playlist", default=None, help="default: the bundled demo")
    ap.add_argument("--trace", action="store_true", help="also show where Python memory grew (tracemalloc)")
    a = ap.parse_args()
    if a.trace:
        import tracemalloc

        tracemalloc.start(10)

    from signage.app import build
    from signage.run_options import RunOptions
    from signage.config import Settings

    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    errors = Count()
    logging.getLogger().addHandler(errors)
    with tempfile.TemporaryDirectory() as tmp:
        db = f"{tmp}/soak.db"
        settings = Settings(display={"driver": "dummy", "fullscreen": False, "size": (1280, 720), "fps": 30})
        built = build(settings, RunOptions(playlist=a.playlist, camera=a.camera, headless=True, db=db), wall=FastWall(a.speed))
        built.start()
        player = built.player
        t0 = time.monotonic()
        samples: list[tuple[float, float]] = []
        next_sample = 0.0
        snap0 = None
        total = a.minutes * 60
        while (elapsed := time.monotonic() - t0) < total:
            player.frame()
            if elapsed >= next_sample:
                samples.append((elapsed, rss_mb()))
                next_sample += 2.0
                if a.trace and snap0 is None and elapsed >= 60.0:
                    snap0 = tracemalloc.take_snapshot()
            built.screen.wait_next_frame()
        samples.append((time.monotonic() - t0, rss_mb()))
        if a.trace and snap0 is not None:
            top = tracemalloc.take_snapshot().compare_to(snap0, "traceback")[:8]
            print("Python memory growth since minute 1, largest first:")
            for stat in top:
                print(f"  {stat.size_diff / 1024:+.0f} KiB in {stat.count_diff:+d} blocks")
                for line in stat.traceback.format()[-6:]:
                    print("     ", line)
        st = player.state
        frames, plays, decisions = st.frames, player.director.stats.plays, player.director.stats.decisions
        sensing = st.sensing
        built.close()
        lost = built.analytics.stats.lost if hasattr(built.analytics.stats, "lost") else 0
        con = sqlite3.connect(db)
        rows = con.execute("SELECT count(*), sum(outcome='skipped'), sum(outcome='error') FROM plays").fetchone()
        minutes = con.execute("SELECT count(*) FROM audience_minutes").fetchone()[0]
        con.close()

    import statistics

    warm = statistics.median(r for t, r in samples if 60.0 <= t < 120.0)
    end = statistics.median(r for t, r in samples if t >= samples[-1][0] - 60.0)
    growth = (end - warm) / warm * 100
    after = [(t, r) for t, r in samples if t >= 60.0]
    mt, mr = statistics.mean(t for t, _ in after), statistics.mean(r for _, r in after)
    slope = sum((t - mt) * (r - mr) for t, r in after) / sum((t - mt) ** 2 for t, _ in after) * 3600
    print(f"soak: {a.minutes:.0f} min real time, playlist clock x{a.speed:.0f} ({a.minutes * a.speed / 60:.1f} h of schedule)")
    print(f"  frames {frames} ({frames / total:.1f} fps), decisions {decisions}, plays {plays}; "
          f"sensing {sensing.analysed} frames analysed, {sensing.reconnects} reconnects")
    print(f"  database: {rows[0]} plays ({rows[1] or 0} skipped, {rows[2] or 0} errors), {minutes} audience minutes, "
          f"{lost} records lost")
    print(f"  RSS median of the 2nd minute {warm:.1f} MB, of the last minute {end:.1f} MB: growth {growth:+.2f}%; "
          f"trend {slope:+.1f} MB/h (samples: min {min(r for _, r in after):.1f}, max {max(r for _, r in after):.1f})")
    print("  RSS median by minute (MB): " + " ".join(
        f"{statistics.median(r for t, r in samples if m * 60 <= t < (m + 1) * 60):.0f}" for m in range(int(total // 60))))
    print(f"  errors logged: {len(errors.records)}; player errors: {len(st.errors)}")
    for line in errors.records[:10]:
        print("   ", line)
    ok = growth < 5.0 and not errors.records and not st.errors and not lost
    print("  PASS" if ok else "  FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
