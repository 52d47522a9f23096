"""Campaign cost in the playlist engine: CPU time of one decision with declared campaigns
(flights, daily caps, hourly minimums the engine paces toward) against the very same
playlist with the campaigns not declared (their ids plain billing labels), in one run.

    .venv/bin/python bench/campaigns.py [--decisions 2000] [--campaigns 20]

The cases are bench/playlist.py's (history kept as the player keeps it, starting full):
"mixed 1000" and "equal 1000" with ``--campaigns`` lines, each joined by one loop item or
creative and five rules, flying over the whole run with min_per_hour 6 and max_per_day 500.
Times are CPU time of the decision alone (time.thread_time), p50 and p99.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from playlist import START, equal_playlist, mixed_playlist, run_case  # noqa: E402

from signage.playlist.schema import Playlist  # noqa: E402


def with_campaigns(pl: Playlist, n: int, declare: bool) -> Playlist:
    data = pl.model_dump(by_alias=True, exclude_none=True, mode="json")
    creatives = data["creatives"]
    for k in range(n):
        line = f"LINE-{k}"
        creatives[k]["campaign_id"] = line  # c0..: the mixed case's loop items, the equal case's rules' creatives
        for r in data["rules"][n + 5 * k: n + 5 * k + 5]:
            r["campaign_id"] = line
    if declare:
        day = START.date()
        data["campaigns"] = [{"id": f"LINE-{k}", "min_per_hour": 6, "max_per_day": 500,
                              "flights": [{"from": str(day - dt.timedelta(days=2)), "to": str(day + dt.timedelta(days=2))}]}
                             for k in range(n)]
    return Playlist.model_validate(data)


def pct(times: list[float], q: float) -> float:
    s = sorted(times)
    return s[min(len(s) - 1, int(len(s) * q))] * 1e3


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--decisions", type=int, default=2000)
    ap.add_argument("--campaigns", type=int, default=20)
    args = ap.parse_args()
    print(f"one decision, CPU time (time.thread_time), {args.decisions} decisions a case, {args.campaigns} campaigns")
    print(f"  {'case':<14} {'labels p50':>10} {'p99':>7}   {'declared p50':>12} {'p99':>7}  ratio p99")
    for name, make in (("mixed 1000", lambda: mixed_playlist(1000, random.Random(1000))),
                       ("equal 1000", lambda: equal_playlist(1000, random.Random(1)))):
        base = make()
        plain = run_case(with_campaigns(base, args.campaigns, False), history_s=3600.0, decisions=args.decisions, seed=7)
        declared = run_case(with_campaigns(base, args.campaigns, True), history_s=3600.0, decisions=args.decisions,
                            seed=7)
        print(f"  {name:<14} {pct(plain, 0.5):10.3f} {pct(plain, 0.99):7.3f}   {pct(declared, 0.5):12.3f} "
              f"{pct(declared, 0.99):7.3f}  {pct(declared, 0.99) / pct(plain, 0.99):6.2f}x")


if __name__ == "__main__":
    main()
