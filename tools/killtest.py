"""SIGKILL a playing `signage run` at random moments, restart it, and count what is on record.

Used by tools/kill-test (the acceptance run, 100 kills) and by tests/analytics/test_kill.py
(a few kills). Each round starts the player on a fast playlist (creatives of 1 to 3 s and
one of 12 s, the sample clip as the camera so that there is an audience), waits until a
creative is on screen (the player's log), waits a random time, kills it with SIGKILL and
runs ``PRAGMA integrity_check`` on the database. A last run is stopped with SIGTERM after
its first play (by then it has closed what the last kill left open).

Then, from the logs and the database:

- plays decided: the director's "playing X for" / "interrupting with X" lines;
- plays on screen: the screen's "screen: X (kind) on" lines (logged as the first frame is
  drawn);
- plays lost: plays on screen with no row (same creative, starting at most a few seconds
  before its line): must be 0;
- not on record per kill: the kill's time minus the last time the run wrote anything (the
  latest end of its plays, open or closed, and checkpoint of its minutes): the audience and
  screen time a kill can lose; must be at most about the checkpoint interval.
"""

from __future__ import annotations

import datetime as dt
import os
import random
import re
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CLIP = ROOT / "tests" / "data" / "white_house_hamilton_clip.mp4"

PLAYLIST = """\
name: kill test (fast)
defaults: {{duration: 2s, fit: fill, transition: cut}}
creatives:
  - {{id: one, type: image, source: {content}/welcome.png, duration: 1s}}
  - {{id: two, type: image, source: {content}/pastry.png, duration: 2s}}
  - {{id: long, type: image, source: {content}/coffee-of-the-day.png, duration: 12s}}
  - {{id: three, type: text, headline: Three seconds, body: "A text creative.", duration: 3s}}
  - {{id: clip, type: video, source: {content}/promo.mp4, duration: 1.5s}}
loop: [one, two, long, three, clip]
"""

_LINE = re.compile(r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}) \w+ ([\w.]+): (.*)$")
_DECIDED = re.compile(r"^(?:playing|interrupting with) (\S+) for ")
_ON = re.compile(r"^screen: (\S+) \(\w+\) on, ")


def log_events(text: str) -> tuple[list[tuple[float, str]], list[tuple[float, str]]]:
    """(decided, on screen): lists of (epoch seconds, creative) from a player's log."""
    decided, on = [], []
    for line in text.splitlines():
        m = _LINE.match(line)
        if not m:
            continue
        t = dt.datetime.strptime(m.group(1), "%Y-%m-%d %H:%M:%S,%f").timestamp()  # the log's local time
        msg = m.group(3)
        if (d := _DECIDED.match(msg)) and m.group(2) == "signage.director":
            decided.append((t, d.group(1)))
        elif (o := _ON.match(msg)) and m.group(2) == "signage.render":
            on.append((t, o.group(1)))
    return decided, on


@dataclass
class Round:
    log: Path
    started: float  # epoch seconds
    killed: float | None = None  # epoch seconds; None: stopped with SIGTERM
    integrity: str = ""
    exit_code: int | None = None


@dataclass
class Result:
    rounds: list[Round]
    decided: int
    on_screen: int
    by_outcome: Counter
    lost: list[tuple[float, str]]  # plays on screen with no row
    not_on_record_s: list[float] = field(default_factory=list)  # one per kill
    rows: int = 0

    @property
    def integrity_ok(self) -> bool:
        return all(r.integrity == "ok" for r in self.rounds)

    def text(self) -> str:
        kills = [r for r in self.rounds if r.killed is not None]
        bad = [r.integrity for r in self.rounds if r.integrity != "ok"]
        worst = max(self.not_on_record_s, default=0.0)
        mean = sum(self.not_on_record_s) / len(self.not_on_record_s) if self.not_on_record_s else 0.0
        outcomes = ", ".join(f"{k} {v}" for k, v in sorted(self.by_outcome.items()))
        return "\n".join([
            f"kills: {len(kills)} (SIGKILL at random moments), then one clean stop",
            f"plays decided: {self.decided}; plays on screen (first frame drawn): {self.on_screen}",
            f"plays on record: {self.rows} ({outcomes})",
            f"plays lost (on screen, no row): {len(self.lost)}",
            f"not on record per kill (audience and screen time): max {worst:.2f} s, mean {mean:.2f} s",
            f"integrity_check: {len(self.rounds) - len(bad)} of {len(self.rounds)} ok" + (f"; {bad[:3]}" if bad else ""),
        ])


def integrity(db: Path) -> str:
    if not db.exists():
        return "ok (no database yet)"
    conn = sqlite3.connect(db)
    try:
        return "; ".join(r[0] for r in conn.execute("PRAGMA integrity_check"))
    finally:
        conn.close()


def wait_for(predicate, timeout: float, what: str, proc: subprocess.Popen | None = None) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"the player exited ({proc.returncode}) before {what}")
        if time.monotonic() > deadline:
            raise RuntimeError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(0.05)


def run(
    folder: Path,
    kills: int = 100,
    max_delay_s: float = 20.0,
    camera: str = str(CLIP),
    code: Path = ROOT,
    seed: int | None = None,
    timeout_s: float = 180.0,
    env: dict[str, str] | None = None,
    progress=None,
) -> Result:
    """``kills`` rounds in ``folder`` (database, playlist and logs), then one clean stop."""
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    playlist = folder / "fast.yaml"
    playlist.write_text(PLAYLIST.format(content=ROOT / "content"))
    db = folder / "analytics.db"
    base_env = dict(os.environ, PYTHONPATH=str(code), SDL_VIDEODRIVER="dummy", SDL_AUDIODRIVER="dummy",
                    SIGNAGE_HEALTH__STATUS_FILE=str(folder / "status.json"), SIGNAGE_LOG_LEVEL="INFO",
                    **(env or {}))
    cmd = [sys.executable, "-m", "signage.cli", "run", str(playlist), "--headless", "--db", str(db), "--camera", camera]
    rounds: list[Round] = []
    for i in range(kills + 1):
        log = folder / f"run-{i:03d}.log"
        with open(log, "w") as out:
            proc = subprocess.Popen(cmd, env=base_env, stdout=out, stderr=subprocess.STDOUT, cwd=folder)
        rnd = Round(log, time.time())
        rounds.append(rnd)
        try:
            wait_for(lambda: log_events(log.read_text(errors="replace"))[1], timeout_s, f"a first play in {log}", proc)
            if i < kills:
                time.sleep(rng.uniform(0.0, max_delay_s))
                rnd.killed = time.time()
                proc.send_signal(signal.SIGKILL)
            else:
                proc.send_signal(signal.SIGTERM)
            rnd.exit_code = proc.wait(timeout_s)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        rnd.integrity = integrity(db)
        if progress is not None:
            progress(i, rnd)
    return analyse(db, rounds)


def analyse(db: Path, rounds: list[Round]) -> Result:
    conn = sqlite3.connect(db)
    conn.row_factory = sqlite3.Row
    try:
        plays = [dict(r) for r in conn.execute("SELECT * FROM plays ORDER BY start_ts")]
        minute_cols = {r[1] for r in conn.execute("PRAGMA table_info(audience_minutes)")}
        checkpoints = (
            [r[0] for r in conn.execute("SELECT checkpoint_ts FROM audience_minutes WHERE checkpoint_ts IS NOT NULL")]
            if "checkpoint_ts" in minute_cols else []
        )  # fmt: skip
    finally:
        conn.close()
    decided_n = on_n = 0
    unmatched = defaultdict(list)
    for p in plays:
        unmatched[p["creative_id"]].append(p["start_ts"])
    lost = []
    for rnd in rounds:
        decided, on = log_events(rnd.log.read_text(errors="replace"))
        decided_n += len(decided)
        on_n += len(on)
        for t, creative in on:
            # its row starts when it was decided (open row) or at its first frame: just before its line
            starts = unmatched[creative]
            match = next((s for s in starts if t - 5.0 <= s <= t + 0.05), None)
            if match is None:
                lost.append((t, creative))
            else:
                starts.remove(match)
    # the last write of each killed run before its kill
    written = sorted([p["end_ts"] for p in plays] + checkpoints)
    not_on_record = []
    for rnd in rounds:
        if rnd.killed is None:
            continue
        before = [w for w in written if rnd.started <= w <= rnd.killed]
        not_on_record.append(rnd.killed - before[-1] if before else rnd.killed - rnd.started)
    return Result(
        rounds=rounds,
        decided=decided_n,
        on_screen=on_n,
        by_outcome=Counter(p["outcome"] for p in plays),
        lost=lost,
        not_on_record_s=not_on_record,
        rows=len(plays),
    )
