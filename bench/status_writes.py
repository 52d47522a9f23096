"""How often the player rewrites its status file: the real player (``signage run``, the demo
playlist, camera off, headless) for ``--seconds``, once as before (written every
``write_interval_s`` = 1 s: a heartbeat of 1 s) and once as now (on change, heartbeat 5 s).

Each write is an ``os.replace`` of a new file: the file's inode changes. The folder is
polled every 20 ms and the inodes seen are counted (a lower bound when two writes fall in one
poll, which at 1 s intervals they do not).

  python bench/status_writes.py [--seconds 40]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def count(seconds: float, heartbeat_s: float) -> int:
    with tempfile.TemporaryDirectory() as tmp:
        status = Path(tmp) / "status.json"
        env = {k: v for k, v in os.environ.items() if not k.startswith("SIGNAGE_")}
        env.update(SIGNAGE_HEALTH__STATUS_FILE=str(status), SIGNAGE_HEALTH__HEARTBEAT_S=str(heartbeat_s),
                   SDL_VIDEODRIVER="dummy", SDL_AUDIODRIVER="dummy")
        p = subprocess.Popen([sys.executable, "-m", "signage.cli", "run", "--camera", "off", "--headless",
                              "--duration", str(seconds), "--db", f"{tmp}/a.db"], cwd=ROOT, env=env,
                             stderr=subprocess.DEVNULL)
        inodes = set()
        while p.poll() is None:
            try:
                inodes.add(status.stat().st_ino)
            except OSError:
                pass
            time.sleep(0.02)
        return len(inodes)


def main() -> None:
    a = argparse.ArgumentParser()
    a.add_argument("--seconds", type=float, default=40.0)
    args = a.parse_args()
    before = count(args.seconds, 0.1)  # every look (1 s) writes: the former behaviour
    now = count(args.seconds, 5.0)
    print(f"status file writes in {args.seconds:.0f} s of the demo: every second {before}, "
          f"on change + 5 s heartbeat {now} ({before / max(now, 1):.1f}x fewer)")


if __name__ == "__main__":
    main()
