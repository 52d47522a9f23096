"""bench/fleet.py's core on real engines: a few kiosks, compressed time, a short broker
outage; nothing lost, nothing duplicated (counts, never speed). And its arithmetic, pure."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

from .engines import missing_mosquitto, missing_postgres

BENCH = Path(__file__).resolve().parents[2] / "bench"


def _load(name: str):
    if str(BENCH) not in sys.path:
        sys.path.insert(0, str(BENCH))
    spec = importlib.util.spec_from_file_location(f"bench_{name}", BENCH / f"{name}.py")
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod  # its dataclasses look their module up
    spec.loader.exec_module(mod)
    return mod


def test_tally_finds_a_lost_record_a_duplicate_and_a_stranger():
    stats = _load("fleet_stats")
    published = [("a-p1", "play", "a", 100.0, 100.1), ("a-p2", "play", "a", 110.0, 125.0),
                 ("a:60", "minute", "a", 130.0, 130.1), ("a-p3", "play", "a", 140.0, None)]
    rows = [("play", "a", "a-p1", 100.5, 100.2), ("play", "a", "a-p2", 126.0, 125.5),
            ("play", "a", "a-p2", 127.0, 126.5), ("minute", "a", "a:60", 131.0, 130.5),
            ("play", "b", "b-p1", 150.0, 150.0)]
    t = stats.tally(published, rows, down=105.0, up=120.0)
    assert (t["lost"], t["lost_keys"], t["duplicated"], t["unexpected"], t["unacked"]) == (1, [("a", "a-p3")], 1, 1, 1)
    assert t["published"] == {"play": 3, "minute": 1}
    assert [t["delay"][w]["n"] for w in ("all", "before", "during", "after")] == [3, 1, 1, 1]
    assert t["delay"]["during"]["max"] == pytest.approx(16.0)  # the first row's commit counts
    assert stats.percentile([5, 1, 3, 2, 4], 50) == 3 and stats.percentile([], 99) is None
    assert stats.percentile(list(range(1, 101)), 99) == 99


def test_a_few_kiosks_through_a_broker_outage_lose_and_duplicate_nothing():
    for why in (missing_mosquitto(), missing_postgres()):
        if why:
            pytest.skip(why)
    fleet = _load("fleet")
    # 3 minutes of the schedule at 10x: 18 s, the broker down for 3 s in the middle
    r = fleet.run(fleet.Options(kiosks=5, minutes=3, outage=30, workers=2, speed=10, drain_s=120, quiet=True))
    assert r["drained"], "the collector did not write every acknowledged record in 120 s"
    assert r["published"]["play"] >= 5 * 5 and r["published"]["minute"] >= 5 * 2
    assert (r["lost"], r["duplicated"], r["unexpected"], r["unacked"]) == (0, 0, 0, 0), r["lost_keys"]
    assert r["kiosk"]["failed_acks"] == 0 and r["collector"]["stats"].get("rejected", 0) == 0
    assert r["delay"]["during"]["n"] > 0, "no record was made while the broker was down"
    assert r["kiosk"]["disconnects"] >= 5 and r["collector"]["stats"]["connects"] >= 2  # the outage happened
    assert r["collector"]["rc"] == 0 and r["collector"]["cpu_s"] > 0
    print(fleet.report(r))
