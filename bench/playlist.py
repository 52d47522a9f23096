"""Playlist engine benchmark: time of one decision for 10, 100 and 1,000 creatives and rules.

    .venv/bin/python bench/playlist.py

Generated playlists mix every kind of condition (audience bounds, all/any/not, time,
days, dayparts), priorities, weights, cooldowns, caps and interrupting rules; the
history holds the last hour of plays. Decisions are timed on changing audiences and
clocks; the worst case is when no rule fires and every rule is evaluated.
"""

from __future__ import annotations

import datetime as dt
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from signage.playlist.engine import NowPlaying, PlaylistEngine, PlayRecord  # noqa: E402
from signage.playlist.schema import Playlist  # noqa: E402
from signage.values import AudienceSnapshot  # noqa: E402

START = dt.datetime(2026, 11, 23, 9, 0)


def make_playlist(n: int, rng: random.Random) -> Playlist:
    creatives = [{"id": f"c{i}", "type": "text", "headline": f"Creative {i}", "duration": rng.choice([8, 10, 15])}
                 for i in range(n)]
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
    return Playlist.model_validate({
        "name": f"bench-{n}",
        "dayparts": {"breakfast": {"from": "07:00", "to": "10:30"}, "lunch": {"from": "11:30", "to": "14:00"},
                     "evening": {"from": "18:00", "to": "22:00"}},
        "creatives": creatives, "loop": [f"c{i}" for i in range(min(n, 20))], "rules": rules,
    })


def audience(rng: random.Random, empty: bool) -> AudienceSnapshot:
    if empty:
        return AudienceSnapshot(t=0.0)
    faces = rng.randint(0, 8)
    watchers = rng.randint(0, faces)
    return AudienceSnapshot(t=0.0, faces=faces, measured=faces, watchers=watchers,
                            attention_ratio=watchers / faces if faces else 0.0, smile_ratio=rng.random(),
                            surprise_ratio=rng.random() * 0.3, passers_by=faces + rng.randint(0, 5),
                            mean_dwell_s=rng.random() * 30, trend=rng.choice(["rising", "steady", "falling"]))


def bench(n: int, decisions: int = 2000) -> None:
    rng = random.Random(n)
    pl = make_playlist(n, rng)
    engine = PlaylistEngine(pl)
    history = [PlayRecord(f"c{rng.randrange(n)}", rng.choice([None, f"r{rng.randrange(n)}"]),
                          START - dt.timedelta(seconds=10 * k + 10), START - dt.timedelta(seconds=10 * k))
               for k in range(360)][::-1]
    for label, empty, playing in (("typical", False, False), ("no rule fires", True, False), ("while playing", False, True)):
        times = []
        for k in range(decisions):
            now = START + dt.timedelta(seconds=7 * k)
            a = audience(rng, empty)
            cur = NowPlaying("c0", None, now - dt.timedelta(seconds=3), now + dt.timedelta(seconds=5)) if playing else None
            t0 = time.perf_counter()
            engine.decide(a, now, history, cur, seed=k)
            times.append(time.perf_counter() - t0)
        times.sort()
        print(f"  {n:>5} creatives and rules, {label:<14} median {statistics.median(times) * 1e3:6.3f} ms  "
              f"p99 {times[int(len(times) * 0.99)] * 1e3:6.3f} ms  max {times[-1] * 1e3:6.3f} ms")


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
    rng = random.Random(7)
    pl = make_playlist(1000, rng)
    sc = load_scenario(ROOT / "playlists" / "scenarios" / "lunch-rush.yaml")
    t0 = time.perf_counter()
    r = simulate(pl, sc, duration="2h")
    print(f"  1000 creatives and rules vs lunch-rush.yaml: 2 h simulated in {(time.perf_counter() - t0) * 1e3:.0f} ms "
          f"({r.decisions} decisions)")


def main() -> None:
    print("one decision (history: the last hour, 360 plays):")
    for n in (10, 100, 1000):
        bench(n)
    print("simulation (signage simulate without printing):")
    bench_simulate()


if __name__ == "__main__":
    main()
