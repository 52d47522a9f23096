"""Declared campaigns: a fixed, seeded sequence of decisions stays the same when the engine is
restructured for speed. The digests were taken from the engine before the campaign-cost
changes of issue 13 (commit 2ae7e8c): flights that start and end mid-run (and a gap between
two), daily caps reached, hourly caps, hourly minimums the engine paces toward (the reason
printed is part of each line), campaign rules competing with plain ones and with each other
at several priorities, interrupting rules, creatives gated by their campaign in the loop and
in rules, plain billing labels, blocks of equal rules that bill to campaigns, and runs over
the autumn and spring daylight-saving nights in Europe/Paris and over local midnight."""

from __future__ import annotations

import datetime as dt
import random

from test_engine_golden import DAYPARTS, digest_of, run

from signage.playlist.schema import Playlist

UTC = dt.timezone.utc
# (first decision as an instant, decisions): a weekday morning; the autumn night over local
# midnight (23:50 CEST), then from 02:20 CEST over the change (03:00 CEST is 02:00 CET again, the
# hour 02:00-03:00 is passed twice); the spring night (01:20 CET, 02:00-03:00 is skipped)
RUNS = ((dt.datetime(2026, 11, 23, 9, 0, tzinfo=UTC), 1500),
        (dt.datetime(2026, 10, 24, 21, 50, tzinfo=UTC), 1200),
        (dt.datetime(2026, 10, 25, 0, 20, tzinfo=UTC), 2000),
        (dt.datetime(2026, 3, 29, 0, 20, tzinfo=UTC), 2000))
GOLDEN = "4b470cfaf40c67ae51e02c0febd4ed3d345d57a7a2edde29fce7a9c25cf5ee1b"
GOLDEN_BLOCKS = "edb2476c32736f9c7cba7c4b11d0e168e868eaa101c735adb5c2c29c6c81a921"


def _at(local: dt.datetime, minutes: float) -> str:
    return (local + dt.timedelta(minutes=minutes)).strftime("%Y-%m-%d %H:%M")


def flights(rng: random.Random, local: dt.datetime) -> list[dict]:
    """One or two flights around the run's start (``local``: naive wall-clock time)."""
    day = local.date()
    shape = rng.choice(["all", "all", "starts", "ends", "gap", "later"])
    if shape == "all":
        out = [{"from": str(day - dt.timedelta(days=1)), "to": str(day + dt.timedelta(days=2))}]
    elif shape == "starts":
        out = [{"from": _at(local, rng.choice([17, 45, 95])), "to": str(day + dt.timedelta(days=1))}]
    elif shape == "ends":
        out = [{"from": str(day - dt.timedelta(days=2)), "to": _at(local, rng.choice([25, 70, 130]))}]
    elif shape == "gap":
        out = [{"from": str(day - dt.timedelta(days=1)), "to": _at(local, 40)},
               {"from": _at(local, 75), "to": _at(local, 200), "min_per_hour": rng.choice([3, 9])}]
    else:
        out = [{"from": _at(local, 600), "to": _at(local, 900)}]  # not flying during the run
    for f in out:
        if rng.random() < 0.25:
            f["max_per_day"] = rng.choice([5, 25])
    return out


def campaign(rng: random.Random, k: int, local: dt.datetime) -> dict:
    c = {"id": f"LINE-{k}", "flights": flights(rng, local)}
    for goal, values in (("min_per_hour", [2, 4, 6, 12]), ("max_per_day", [8, 30, 500]), ("max_per_hour", [5, 15])):
        if rng.random() < 0.5:
            c[goal] = rng.choice(values)
    return c


def playlist(n: int, lines: int, rng: random.Random, local: dt.datetime) -> Playlist:
    """``n`` creatives and rules of every kind; ``lines`` campaigns, most of their creatives
    and many rules bill to one; a few rules carry an id no campaign declares."""
    conds = [
        lambda: {"faces": f">= {rng.randint(1, 4)}"},
        lambda: {"watchers": f">= {rng.randint(1, 3)}", "smile_ratio": f"> {rng.choice([0.3, 0.6])}"},
        lambda: {"not": {"faces": 0}, "daypart": rng.choice(["breakfast", "lunch"])},
        lambda: {"time": {"from": f"{rng.randint(0, 12):02d}:00", "to": f"{rng.randint(12, 23):02d}:30"}},
        lambda: {"faces": ">= 1"},
    ]
    ids = [f"LINE-{k}" for k in range(lines)]
    creatives = [{"id": f"c{i}", "type": "text", "headline": f"C {i}", "duration": rng.choice([5, 8, 21])}
                 for i in range(n)]
    for i, c in enumerate(creatives):
        if i < lines or rng.random() < 0.2:
            c["campaign_id"] = ids[i % lines] if rng.random() < 0.9 else "PLAIN-LABEL"
        if rng.random() < 0.1:
            c["max_per_hour"] = rng.randint(2, 6)
    rules = []
    for j in range(n):
        r = {"id": f"r{j}", "when": rng.choice(conds)(), "priority": rng.choice([0, 0, 0, 1, 2, 5]),
             "weight": rng.choice([1, 2, 3, 0.5]),
             "play": [f"c{rng.randrange(n)}" for _ in range(rng.choice([1, 1, 1, 2]))]}
        if rng.random() < 0.4:
            r["campaign_id"] = rng.choice(ids + ["PLAIN-RULE"])
        if rng.random() < 0.15:
            r["cooldown"] = rng.choice(["30s", "5m", "2h"])
        if rng.random() < 0.15:
            r["max_per_hour"] = rng.randint(1, 6)
        if rng.random() < 0.25:
            r.update(interrupt=True, min_play=rng.choice(["0s", "2s", "4s"]))
        rules.append(r)
    return Playlist.model_validate({"name": "golden campaigns", "dayparts": DAYPARTS, "creatives": creatives,
                                    "loop": [f"c{i}" for i in range(min(n, 6))], "rules": rules,
                                    "campaigns": [campaign(rng, k, local) for k in range(lines)],
                                    "timezone": "Europe/Paris", "recheck": "1s"})


def blocks(rng: random.Random, local: dt.datetime, interrupt: bool, by_time: bool) -> Playlist:
    """The bench's shape: 200 equal rules that all fire, 10 campaigns joined by one creative and
    five rules each (some of them resting), flights starting and ending mid-run, daily caps."""
    lines = 10
    creatives = [{"id": f"c{j}", "type": "text", "headline": "x", "duration": 5 + j % 7} for j in range(200)]
    creatives.append({"id": "long", "type": "text", "headline": "loop", "duration": 60})
    rules = []
    for j in range(200):
        r = {"id": f"r{j}", "when": {"faces": ">= 1"}, "play": f"c{j}", "weight": 1 + j % 3}
        if lines <= j < lines + 5 * lines:
            r["campaign_id"] = f"LINE-{(j - lines) // 5}"
        if j % 17 == 0:
            r["cooldown"] = "2h"
        if interrupt:
            r.update(interrupt=True, min_play="2s", priority=1 + (j % 2 if j >= 100 else 0))
        rules.append(r)
    for k in range(lines):
        creatives[k]["campaign_id"] = f"LINE-{k}"
    camps = [campaign(rng, k, local) for k in range(lines)]
    loop = ["long", "c0", "c3"]
    return Playlist.model_validate({"name": "eq", "creatives": creatives, "loop": loop, "rules": rules,
                                    "campaigns": camps, "timezone": "Europe/Paris",
                                    "share_of_voice": "time" if by_time else "plays"})


def _local(start: dt.datetime) -> dt.datetime:
    from zoneinfo import ZoneInfo
    return start.astimezone(ZoneInfo("Europe/Paris")).replace(tzinfo=None)


def digest() -> str:
    return digest_of(run(playlist(n, lines, random.Random(seed * 10 + r), _local(start)), seed, decisions, start,
                         reasons=True)
                     for r, (start, decisions) in enumerate(RUNS) for n, lines, seed in ((8, 2, 1), (40, 6, 2), (150, 20, 3)))


def digest_blocks() -> str:
    return digest_of(run(blocks(random.Random(100 + r), _local(start), interrupt, by_time), 9, decisions, start,
                         reasons=True)
                     for r, (start, decisions) in enumerate(RUNS)
                     for interrupt, by_time in ((False, False), (True, False), (False, True)))


def test_a_fixed_seeded_sequence_of_decisions_with_campaigns_is_unchanged():
    assert digest() == GOLDEN


def test_blocks_of_equal_rules_that_bill_to_campaigns_decide_as_before():
    assert digest_blocks() == GOLDEN_BLOCKS
