"""Playlist engine benchmark: CPU time of one decision, against the engine of a baseline commit.

    .venv/bin/python bench/playlist.py [--base 4c0a6d6] [--decisions 2000]

Each case runs the engine the way the player does: every decision's play is recorded in
the history and ends before the next decision, the clock moves on by the play's length, and
the history is kept inside its window (the hour, or the longest cooldown) the whole time, as
the player keeps it. The history starts full: an hour of plays, or a day of them for the 24 h
cooldown case. Times are CPU time of the decision alone (time.thread_time), p50 and p99.

The baseline is the engine of ``--base`` (default 4c0a6d6, before the incremental history),
taken from git into a temporary folder and run by this same script in a subprocess, on the
same cases and seeds; the ratio is baseline / now.

Cases:
- mixed N: generated playlists of N creatives and N rules mixing every kind of condition,
  priorities, weights, cooldowns, caps and interrupting rules; a changing audience.
- equal 1000: 1,000 rules of the same priority whose conditions all hold: share of voice
  weighs all of them at every decision.
- equal 1000, 24 h cooldown: the same, a tenth of the rules resting 24 h after each play,
  and a day of history (8,640 plays).
- interrupt 1000: 1,000 equal-priority interrupting rules all firing while the loop plays
  (the interrupt path and its share of voice).
- screen time 1000, interrupt screen time 1000: the same two by screen time
  (``share_of_voice: time``; creatives of 8, 10 and 15 s), which the baseline cannot run.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if "SIGNAGE_BENCH_BASELINE" not in os.environ:
    sys.path.insert(0, str(ROOT))

from signage.playlist.engine import NowPlaying, PlaylistEngine  # noqa: E402
from signage.playlist.schema import Playlist  # noqa: E402
from signage.values import AudienceSnapshot  # noqa: E402

try:  # the engine of this tree
    from signage.playlist.history import PlayRecord
except ImportError:  # the baseline's
    from signage.playlist.engine import PlayRecord  # type: ignore[no-redef]

UTC = dt.timezone.utc
START = dt.datetime(2026, 11, 23, 9, 0)  # naive: the baseline engine cannot take aware times in every case
SEC = dt.timedelta(seconds=1)
DAYPARTS = {"breakfast": {"from": "07:00", "to": "10:30"}, "lunch": {"from": "11:30", "to": "14:00"},
            "evening": {"from": "18:00", "to": "22:00"}}


def creatives(n: int, rng: random.Random) -> list[dict]:
    return [{"id": f"c{i}", "type": "text", "headline": f"Creative {i}", "duration": rng.choice([8, 10, 15])}
            for i in range(n)]


def mixed_playlist(n: int, rng: random.Random) -> Playlist:
    conds = [
        lambda: {"faces": f">= {rng.randint(1, 6)}"},
        lambda: {"watchers": f">= {rng.randint(1, 4)}", "smile_ratio": f"> {rng.choice([0.3, 0.5, 0.7])}"},
        lambda: {"any": [{"surprise_ratio": "> 0.5"}, {"dwell": f">= {rng.randint(5, 30)}"}]},
        lambda: {"not": {"faces": 0}, "daypart": rng.choice(["breakfast", "lunch", "evening"])},
        lambda: {"time": {"from": f"{rng.randint(6, 20):02d}:00", "to": f"{rng.randint(6, 22):02d}:30"},
                 "days": rng.choice(["weekdays", "weekend", ["mon", "wed", "fri"]])},
        lambda: {"all": [{"attention_ratio": ">= 0.5"}, {"trend": "rising"}]},
    ]
    rules = []
    for j in range(n):
        r = {"id": f"r{j}", "when": rng.choice(conds)(), "play": [f"c{rng.randrange(n)}" for _ in range(rng.randint(1, 2))],
             "priority": rng.randint(0, 9), "weight": rng.choice([1, 2, 3])}
        if rng.random() < 0.3:
            r["cooldown"] = rng.choice(["1m", "5m", "15m"])
        if rng.random() < 0.3:
            r["max_per_hour"] = rng.randint(2, 10)
        if rng.random() < 0.2:
            r["interrupt"] = True
        rules.append(r)
    return Playlist.model_validate({"name": f"bench-{n}", "dayparts": DAYPARTS, "creatives": creatives(n, rng),
                                    "loop": [f"c{i}" for i in range(min(n, 20))], "rules": rules})


def equal_playlist(n: int, rng: random.Random, *, cooldown_every: int = 0, interrupt: bool = False,
                   by_time: bool = False) -> Playlist:
    """``n`` rules of one priority, each always true while someone is there."""
    rules = []
    for j in range(n):
        r = {"id": f"r{j}", "when": {"faces": ">= 1"}, "play": f"c{j}", "weight": rng.choice([1, 2, 3])}
        if cooldown_every and j % cooldown_every == 0:
            r["cooldown"] = "24h"
        if interrupt:
            r.update(interrupt=True, min_play="2s", priority=1)
        rules.append(r)
    items = creatives(n, rng) + [{"id": "long", "type": "text", "headline": "Loop", "duration": 60}]
    extra = {"share_of_voice": "time"} if by_time else {}
    return Playlist.model_validate({"name": f"equal-{n}", "creatives": items, "loop": ["long"], "rules": rules, **extra})


def audience(rng: random.Random) -> AudienceSnapshot:
    faces = rng.randint(1, 8)
    watchers = rng.randint(0, faces)
    return AudienceSnapshot(t=0.0, faces=faces, measured=faces, watchers=watchers,
                            attention_ratio=watchers / faces, smile_ratio=rng.random(),
                            surprise_ratio=rng.random() * 0.3, passers_by=faces + rng.randint(0, 5),
                            mean_dwell_s=rng.random() * 30, trend=rng.choice(["rising", "steady", "falling"]))


class Kept:
    """The history as the player keeps it: a PlayHistory for this tree's engine; for the
    baseline's, a list trimmed to its window like the baseline's Director did."""

    def __init__(self, engine: PlaylistEngine, pl: Playlist) -> None:
        self.incremental = hasattr(engine, "new_history")
        self.h = engine.new_history() if self.incremental else []
        cooldown = max([0.0] + [r.cooldown for r in pl.rules])
        self.keep = dt.timedelta(seconds=max(7200.0, cooldown + 3600.0))

    def play(self, creative: str, rule: str | None, start: dt.datetime, end: dt.datetime) -> None:
        if self.incremental:
            self.h.start(PlayRecord(creative, rule, start, end))
            return
        self.h.append(PlayRecord(creative, rule, start, end))
        if len(self.h) >= 1024 and self.h[0].start < start - self.keep:
            horizon = start - self.keep
            last_loop = next((p for p in reversed(self.h) if p.rule is None and p.start < horizon), None)
            self.h[:] = ([last_loop] if last_loop is not None else []) + [p for p in self.h if p.start >= horizon]


def run_case(pl: Playlist, *, history_s: float, decisions: int, seed: int, playing: bool = False,
             audience_rng: bool = True) -> list[float]:
    rng = random.Random(seed)
    engine = PlaylistEngine(pl)
    kept = Kept(engine, pl)
    rules = [r.id for r in pl.rules]
    # the history starts full: plays of 10 s, back to back, over ``history_s``
    t = START - dt.timedelta(seconds=history_s)
    while t < START:
        rid = rng.choice(rules + [None])
        creative = "long" if rid is None and "long" in {c.id for c in pl.creatives} else \
            (pl.loop[0] if rid is None else next(r for r in pl.rules if r.id == rid).creatives[0])
        kept.play(creative, rid, t, t + 10 * SEC)
        t += 10 * SEC
    times = []
    now = START
    for k in range(decisions):
        a = audience(rng)
        if playing:
            kept.play("long", None, now, now + 60 * SEC) if not kept.incremental else \
                kept.h.start(PlayRecord("long", None, now, None, 0))
            cur = NowPlaying("long", None, now, now + 60 * SEC)
            at = now + 3 * SEC
            t0 = time.thread_time()
            d = engine.decide(a, at, kept.h, cur, seed=k)
            times.append(time.thread_time() - t0)
            if kept.incremental:
                kept.h.end(at)
            end = at + dt.timedelta(seconds=d.duration or 10)
            if d.creative:
                kept.play(d.creative, d.rule, at, end)
            now = end
        else:
            t0 = time.thread_time()
            d = engine.decide(a, now, kept.h, None, seed=k)
            times.append(time.thread_time() - t0)
            end = now + dt.timedelta(seconds=d.duration or 10)
            if d.creative:
                kept.play(d.creative, d.rule, now, end)
            now = end
    return times


def cases(decisions: int) -> dict[str, dict[str, float]]:
    out: dict[str, dict[str, float]] = {}
    specs = [(f"mixed {n}", lambda n=n: mixed_playlist(n, random.Random(n)), 3600.0, False) for n in (10, 100, 1000)]
    specs += [
        ("equal 1000", lambda: equal_playlist(1000, random.Random(1)), 3600.0, False),
        ("equal 1000, 24 h cooldown", lambda: equal_playlist(1000, random.Random(2), cooldown_every=10), 86400.0, False),
        ("interrupt 1000", lambda: equal_playlist(1000, random.Random(3), interrupt=True), 3600.0, True),
        ("screen time 1000", lambda: equal_playlist(1000, random.Random(1), by_time=True), 3600.0, False),
        ("interrupt screen time 1000", lambda: equal_playlist(1000, random.Random(3), interrupt=True, by_time=True),
         3600.0, True),
    ]
    for name, make, history_s, playing in specs:
        try:
            pl = make()
        except ValueError:  # a baseline without the feature (share_of_voice)
            continue
        times = sorted(run_case(pl, history_s=history_s, decisions=decisions, seed=7, playing=playing))
        out[name] = {"p50_ms": times[len(times) // 2] * 1e3, "p99_ms": times[int(len(times) * 0.99)] * 1e3,
                     "max_ms": times[-1] * 1e3}
    return out


def baseline(base: str, decisions: int, script: str = __file__, extra: tuple[str, ...] = ()) -> dict | None:
    """The same cases on the engine of commit ``base``, in a subprocess (``script`` with
    ``--json`` and ``extra``: another bench's cases)."""
    with tempfile.TemporaryDirectory(prefix="signage-bench-") as tmp:
        archive = subprocess.run(["git", "-C", str(ROOT), "archive", base, "signage"], capture_output=True)
        if archive.returncode != 0:
            print(f"  (no baseline: git archive {base}: {archive.stderr.decode().strip()})")
            return None
        subprocess.run(["tar", "-x", "-C", tmp], input=archive.stdout, check=True)
        env = dict(os.environ, PYTHONPATH=tmp, SIGNAGE_BENCH_BASELINE="1")
        p = subprocess.run([sys.executable, script, "--json", "--decisions", str(decisions), *extra],
                           capture_output=True, text=True, env=env, cwd=tmp)
        if p.returncode != 0:
            print(f"  (baseline failed: {p.stderr.strip()[-500:]})")
            return None
        return json.loads(p.stdout)


def bench_simulate() -> None:
    """Wall time of ``signage simulate`` work (load, check files, simulate) on the examples."""
    from signage.playlist.loader import load_playlist
    from signage.playlist.simulate import load_scenario, simulate

    for playlist, scenario in (("demo.yaml", "smiling-group.yaml"), ("daypart-menu.yaml", "lunch-rush.yaml")):
        t0 = time.perf_counter()
        pl = load_playlist(ROOT / "playlists" / playlist).playlist
        sc = load_scenario(ROOT / "playlists" / "scenarios" / scenario)
        t_load = time.perf_counter() - t0
        for hours in (2, 24):
            t0 = time.perf_counter()
            r = simulate(pl, sc, duration=f"{hours}h")
            elapsed = time.perf_counter() - t0
            print(f"  {playlist} vs {scenario}: {hours:>2} h simulated in {elapsed * 1e3:5.0f} ms "
                  f"({len(r.plays())} plays, {r.decisions} decisions; loading and checking files {t_load * 1e3:.0f} ms)")
    pl = mixed_playlist(1000, random.Random(7))
    sc = load_scenario(ROOT / "playlists" / "scenarios" / "lunch-rush.yaml")
    t0 = time.perf_counter()
    r = simulate(pl, sc, duration="2h")
    print(f"  1000 creatives and rules vs lunch-rush.yaml: 2 h simulated in {(time.perf_counter() - t0) * 1e3:.0f} ms "
          f"({r.decisions} decisions)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--base", default="4c0a6d6", help="the commit whose engine is the baseline")
    ap.add_argument("--decisions", type=int, default=2000)
    ap.add_argument("--json", action="store_true", help="print the figures as JSON (how the baseline reports)")
    args = ap.parse_args()
    now = cases(args.decisions)
    if args.json:
        print(json.dumps(now))
        return
    base = baseline(args.base, args.decisions)
    print(f"one decision, CPU time (time.thread_time), {args.decisions} decisions a case; "
          f"baseline: the engine of {args.base}")
    print(f"  {'case':<27} {'p50 ms':>7} {'p99 ms':>7} {'max ms':>7}   {'base p50':>8} {'base p99':>8}  ratio p99")
    for name, f in now.items():
        line = f"  {name:<27.27} {f['p50_ms']:7.3f} {f['p99_ms']:7.3f} {f['max_ms']:7.3f}"
        if base and name in base:
            b = base[name]
            line += f"   {b['p50_ms']:8.3f} {b['p99_ms']:8.3f}  {b['p99_ms'] / f['p99_ms']:6.1f}x"
        print(line)
    print("simulation (signage simulate without printing, wall time):")
    bench_simulate()


if __name__ == "__main__":
    main()
