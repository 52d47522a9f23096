"""Campaign cost in the playlist engine: CPU time of one decision with declared campaigns
(flights, daily caps, hourly minimums the engine paces toward) against the very same
playlist with the campaigns not declared (their ids plain billing labels), in one run.

    PYTHONHASHSEED=0 .venv/bin/python bench/campaigns.py [--decisions 2000] [--campaigns 20] [--base 2ae7e8c]

The cases are bench/playlist.py's (history kept as the player keeps it, starting full):
"mixed 1000" and "equal 1000" with ``--campaigns`` lines, each joined by one loop item or
creative and five rules, flying over the whole run with min_per_hour 6 and max_per_day 500.
Times are CPU time of the decision alone (time.thread_time), p50 and p99. ``--base``: the
declared case also on the engine of that commit (default 2ae7e8c, before issue 13's campaign-cost
work), taken from git and run by this script in a subprocess ("" for none).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if "SIGNAGE_BENCH_BASELINE" not in os.environ:
    sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from playlist import START, baseline, equal_playlist, mixed_playlist, run_case  # noqa: E402

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


CASES = (("mixed 1000", lambda: mixed_playlist(1000, random.Random(1000))),
         ("equal 1000", lambda: equal_playlist(1000, random.Random(1))))


def declared(decisions: int, lines: int) -> dict[str, list[float]]:
    return {name: run_case(with_campaigns(make(), lines, True), history_s=3600.0, decisions=decisions, seed=7)
            for name, make in CASES}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--decisions", type=int, default=2000)
    ap.add_argument("--campaigns", type=int, default=20)
    ap.add_argument("--base", default="2ae7e8c", help="the commit whose engine runs the declared cases too")
    ap.add_argument("--json", action="store_true", help="the declared cases' times as JSON (how the baseline reports)")
    args = ap.parse_args()
    if args.json:
        print(json.dumps(declared(args.decisions, args.campaigns)))
        return
    print(f"one decision, CPU time (time.thread_time), {args.decisions} decisions a case, {args.campaigns} campaigns"
          + (f"; base: the engine of {args.base}" if args.base else ""))
    print(f"  {'case':<12} {'labels p50':>10} {'p99':>6}  {'declared p50':>12} {'p99':>6}  ratio p99"
          + (f"  {'base p50':>8} {'p99':>6}  base/now p99" if args.base else ""))
    now = declared(args.decisions, args.campaigns)
    base = baseline(args.base, args.decisions, __file__, ("--campaigns", str(args.campaigns))) if args.base else None
    for name, make in CASES:
        plain = run_case(with_campaigns(make(), args.campaigns, False), history_s=3600.0, decisions=args.decisions,
                         seed=7)
        mine = now[name]
        line = (f"  {name:<12} {pct(plain, 0.5):10.3f} {pct(plain, 0.99):6.3f}  {pct(mine, 0.5):12.3f} "
                f"{pct(mine, 0.99):6.3f}  {pct(mine, 0.99) / pct(plain, 0.99):8.2f}x")
        if base and name in base:
            b = base[name]
            line += f"  {pct(b, 0.5):8.3f} {pct(b, 0.99):6.3f}  {pct(b, 0.99) / pct(mine, 0.99):11.2f}x"
        print(line)


if __name__ == "__main__":
    main()
