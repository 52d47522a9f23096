"""Scenario restarts: the player stops, stays off, and starts again with its history rebuilt
from what proof of play holds, so caps and cooldowns carry on as the real player's do."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from signage.playlist.loader import load_playlist
from signage.playlist.simulate import (
    ENDED_RESTART,
    ScenarioError,
    format_report,
    load_scenario,
    on_record,
    parse_scenario,
    report_json,
    simulate,
)
from signage.playlist.timeline import TimelineEntry

ROOT = Path(__file__).resolve().parents[2]
UTC = dt.timezone.utc


def night_shift():
    return load_playlist(ROOT / "playlists" / "night-shift.yaml", check_assets=False).playlist


def test_cooldown_and_cap_hold_across_restarts() -> None:
    r = simulate(night_shift(), load_scenario(ROOT / "playlists" / "scenarios" / "restart.yaml"))
    local = [(r.local(e.start), e) for e in r.entries]
    off = [(t, e) for t, e in local if e.idle and e.ended == ENDED_RESTART]
    assert [(t.strftime("%H:%M:%S"), e.duration_s) for t, e in off] == [("23:10:00", 10.0), ("00:30:00", 120.0)]
    # the 2 h cooldown after the five-minute spot (22:50-22:55) holds through both restarts
    spots = [t.strftime("%H:%M") for t, e in local if e.rule == "insurance"]
    assert spots == ["22:50", "00:55"]
    # the hourly cap of 4 holds in every 60 real minutes, restarts or not
    late = [e.start for e in r.entries if e.rule == "night-or-crowd"]
    assert late
    for i, t in enumerate(late):
        assert sum(t <= u < t + dt.timedelta(hours=1) for u in late) <= 4, t
    # nothing plays while the player is off
    for _, e in off:
        assert not any(p.start < e.end and p.end > e.start for p in r.entries if not p.idle)


def test_a_restart_cuts_the_play_on_screen_and_keeps_the_audience() -> None:
    sc = parse_scenario({"name": "r", "start": "2026-12-09T12:00", "duration": "10m",
                         "timeline": [{"at": "0s", "faces": 2, "watchers": 2}, {"at": "65s", "restart": "20s"}]})
    r = simulate(night_shift(), sc)
    cut = [e for e in r.entries if not e.idle and e.ended == ENDED_RESTART]
    assert len(cut) == 1 and cut[0].end == r.start + dt.timedelta(seconds=65)
    after = [e for e in r.entries if not e.idle and e.start >= r.start + dt.timedelta(seconds=85)]
    assert after[0].start == r.start + dt.timedelta(seconds=85)
    assert after[0].audience is not None and after[0].audience.faces == 2  # a restart alone keeps the people
    text = format_report(r)
    assert "(player off)" in text and "[cut by a restart]" in text
    assert any(e["ended"] == "restart" for e in report_json(r)["timeline"])


def test_without_the_rebuild_the_spot_would_come_back() -> None:
    """The control: the history the restart rebuilds is what keeps the spot resting (an
    empty history at the restart would let it play at once)."""
    pl = night_shift()
    entries = [TimelineEntry(dt.datetime(2026, 12, 9, 21, 50, tzinfo=UTC), dt.datetime(2026, 12, 9, 21, 55, tzinfo=UTC),
                             "big-spot", "insurance", "r", "completed", None)]
    from signage.playlist.engine import PlaylistEngine
    from signage.values import AudienceSnapshot
    e = PlaylistEngine(pl, zone=UTC)
    now = dt.datetime(2026, 12, 9, 22, 10, tzinfo=UTC)
    a = AudienceSnapshot(t=0.0, faces=3, measured=3, watchers=1, attention_ratio=1 / 3, passers_by=3)
    assert e.decide(a, now, e.new_history([])).rule == "insurance"
    assert e.decide(a, now, e.new_history(on_record(entries, now, e.memory))).rule != "insurance"


def test_on_record_keeps_the_window_and_the_last_loop_play() -> None:
    t = dt.datetime(2026, 12, 9, 10, 0, tzinfo=UTC)
    H = dt.timedelta(hours=1)

    def play(start, length, rule=None, creative="c"):
        return TimelineEntry(start, start + dt.timedelta(seconds=length), creative, rule, "", "completed", None)

    entries = [play(t, 10, None, "loop-a"), play(t + 2 * H, 10, "r1"), play(t + 3 * H, 10, "r2"),
               TimelineEntry(t + 3 * H + dt.timedelta(seconds=10), t + 3 * H + dt.timedelta(seconds=20),
                             None, None, "idle", "completed", None)]
    now = t + 3 * H + dt.timedelta(minutes=30)
    recs = on_record(entries, now, H)
    assert [(r.creative, r.rule) for r in recs] == [("loop-a", None), ("c", "r2")]  # r1 ended 90 min ago
    assert [(r.creative, r.rule) for r in on_record(entries, now, 2 * H)] == [("loop-a", None), ("c", "r1"), ("c", "r2")]


@pytest.mark.parametrize(("step", "message"), [
    ({"at": "0s", "restart": "10s"}, "timeline.0.restart: a restart at 0s is the start itself"),
    ({"at": "5m", "restart": "25h"}, "timeline.0.restart: 25h is outside 0s to 24h"),
    ({"at": "5m", "restart": "soon"}, "timeline.0.restart"),
])
def test_bad_restarts_are_refused_naming_the_step(step, message) -> None:
    with pytest.raises(ScenarioError) as e:
        parse_scenario({"name": "x", "timeline": [step]})
    assert message in str(e.value)
