"""Soak: the whole player for a long run, checking that memory stays flat and nothing fails.

    .venv/bin/python bench/soak.py [--minutes 10] [--speed 20]

The real player (``app.build``): the demo playlist on a 1280x720 dummy screen, sensing the
sample clip in real time (looped, as a camera), analytics to a fresh SQLite file, the
playlist watcher on. The playlist's clock runs ``--speed`` times faster than real time,
so ten minutes play hours of the schedule: many more switches, preparations, videos
opened and closed, decisions and database writes than real time would give. Real time
is unchanged for sensing, the screen and the writer.

RSS is sampled every 10 s; growth is measured from the end of the first minute (warm-up:
caches, fonts, the models) to the end. Errors: log records at ERROR or above, the
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
    ap.add_argument("--minutes", type=float, default=10.0)
    ap.add_argument("--speed", type=float, default=20.0, help="playlist clock speed-up")
    a = ap.parse_args()

    from signage.app import RunOptions, build
    from signage.config import Settings

    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    errors = Count()
    logging.getLogger().addHandler(errors)
    with tempfile.TemporaryDirectory() as tmp:
        db = f"{tmp}/soak.db"
        settings = Settings(display={"driver": "dummy", "fullscreen": False, "size": (1280, 720), "fps": 30})
        built = build(settings, RunOptions(camera=str(CLIP), headless=True, db=db), wall=FastWall(a.speed))
        built.start()
        player = built.player
        t0 = time.monotonic()
        samples: list[tuple[float, float]] = []
        next_sample = 0.0
        total = a.minutes * 60
        while (elapsed := time.monotonic() - t0) < total:
            player.frame()
            if elapsed >= next_sample:
                samples.append((elapsed, rss_mb()))
                next_sample += 10.0
            built.screen.wait_next_frame()
        samples.append((time.monotonic() - t0, rss_mb()))
        st = player.state
        frames, plays, decisions = st.frames, player.director.stats.plays, player.director.stats.decisions
        sensing = st.sensing
        built.close()
        lost = built.analytics.stats.lost if hasattr(built.analytics.stats, "lost") else 0
        con = sqlite3.connect(db)
        rows = con.execute("SELECT count(*), sum(outcome='skipped'), sum(outcome='error') FROM plays").fetchone()
        minutes = con.execute("SELECT count(*) FROM audience_minutes").fetchone()[0]
        con.close()

    warm = next((rss for t, rss in samples if t >= 60.0), samples[0][1])
    end = samples[-1][1]
    growth = (end - warm) / warm * 100
    print(f"soak: {a.minutes:.0f} min real time, playlist clock x{a.speed:.0f} ({a.minutes * a.speed / 60:.1f} h of schedule)")
    print(f"  frames {frames} ({frames / total:.1f} fps), decisions {decisions}, plays {plays}; "
          f"sensing {sensing.analysed} frames analysed, {sensing.reconnects} reconnects")
    print(f"  database: {rows[0]} plays ({rows[1] or 0} skipped, {rows[2] or 0} errors), {minutes} audience minutes, "
          f"{lost} records lost")
    print(f"  RSS after warm-up (1 min) {warm:.1f} MB, at the end {end:.1f} MB: growth {growth:+.2f}%  "
          f"(min {min(r for _, r in samples):.1f}, max {max(r for _, r in samples):.1f})")
    print(f"  errors logged: {len(errors.records)}; player errors: {len(st.errors)}")
    for line in errors.records[:10]:
        print("   ", line)
    ok = growth < 5.0 and not errors.records and not st.errors and not lost
    print("  PASS" if ok else "  FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
