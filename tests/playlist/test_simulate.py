"""The simulator: scenarios, the simulated clock, the reports, the example playlists and
the CLI. Rule behaviour is checked on whole simulated timelines with plain Python, not
with the engine's own code."""

from __future__ import annotations

import datetime as dt
import json
import os
import random
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from signage.playlist.schema import Playlist
from signage.playlist.simulate import (
    ENDED_COMPLETED,
    ENDED_CUT,
    ENDED_INTERRUPTED,
    ENDED_RESTART,
    Scenario,
    ScenarioError,
    format_report,
    load_scenario,
    parse_scenario,
    report_json,
    simulate,
    summarize,
)

from signage.playlist.loader import load_playlist
from signage.playlist.yamlio import load_yaml

ROOT = Path(__file__).resolve().parents[2]
PLAYLISTS = sorted((ROOT / "playlists").glob("*.yaml"))
SCENARIOS = sorted((ROOT / "playlists" / "scenarios").glob("*.yaml"))

UTC = dt.timezone.utc
MON = dt.datetime(2026, 11, 23, 10, 0, tzinfo=UTC)  # a Monday (a playlist without timezone is simulated in UTC)
MIN = dt.timedelta(minutes=1)
HOUR = dt.timedelta(hours=1)


def playlist(creatives=None, loop=None, rules=(), **kw) -> Playlist:
    creatives = creatives or {"a": 10, "b": 10, "offer": 10, "other": 10}
    raw = {
        "name": "t",
        "creatives": [{"id": cid, "type": "text", "headline": cid.upper(), "duration": d} for cid, d in creatives.items()],
        "loop": loop or ["a", "b"],
        "rules": list(rules),
    }
    raw.update(kw)
    return Playlist.model_validate(raw)


def scenario(*steps, **kw) -> Scenario:
    return parse_scenario({"name": kw.pop("name", "s"), "timeline": list(steps), **kw})


def everyone(n=1, **kw) -> Scenario:
    """The same audience all along."""
    return scenario({"at": 0, "faces": n, "watchers": n, **kw})


def starts(result, rule=..., creative=...):
    return [e.start for e in result.plays(rule=rule, creative=creative)]


def assert_contiguous(result):
    """Entries tile the simulated span: no gap, no overlap, the last one cut at the end."""
    entries = result.entries
    assert entries, "an empty timeline"
    assert entries[0].start == result.start
    for prev, nxt in zip(entries, entries[1:]):
        assert prev.end == nxt.start, (prev, nxt)
        assert prev.ended in (ENDED_COMPLETED, ENDED_INTERRUPTED, ENDED_RESTART)
    assert entries[-1].end == result.end
    assert entries[-1].ended in (ENDED_CUT, ENDED_COMPLETED, ENDED_RESTART)
    for e in entries:
        assert e.end > e.start


# =============================================================================== scenarios


def test_scenario_file_reads_the_short_forms(tmp_path):
    f = tmp_path / "s.yaml"
    f.write_text(
        "name: morning\n"
        "start: 2026-11-23T08:00\n"
        "timeline:\n"
        "  - {at: 0s, faces: 3, watchers: 2, smile_ratio: 60%}\n"
        "  - {at: 1h30m, camera: off}\n"  # unquoted off: still the word, not YAML 1.1's false
        "  - {at: 1h45m, camera: on, dwell: 4}\n"
    )
    s = load_scenario(f)
    assert s.name == "morning" and s.start == dt.datetime(2026, 11, 23, 8, 0)
    assert [st.at for st in s.timeline] == [0, 5400, 6300]
    assert s.timeline[0].smile_ratio == 0.6
    assert s.timeline[1].camera == "off"
    assert s.timeline[2].camera == "on" and s.timeline[2].mean_dwell_s == 4  # the playlist's word for it works too


def test_a_step_fills_in_what_it_does_not_say():
    s = scenario({"at": 0, "faces": 4, "watchers": 1, "smile_ratio": 0.5})
    v = s.timeline[0].snapshot_values()
    assert v["measured"] == 4 and v["passers_by"] == 4
    assert v["attention_ratio"] == pytest.approx(0.25)
    assert v["surprise_ratio"] == 0 and v["glances"] == 0 and v["trend"] == "steady"
    # only the ratio given: watchers follow from it
    v = scenario({"at": 0, "faces": 4, "attention_ratio": 0.5}).timeline[0].snapshot_values()
    assert v["watchers"] == 2
    # nobody: every ratio is 0
    v = scenario({"at": 0}).timeline[0].snapshot_values()
    assert v["faces"] == 0 and v["attention_ratio"] == 0


@pytest.mark.parametrize(
    "steps, extra, where, words",
    [
        ([{"at": 0, "faces": 2, "watchers": 3}], {}, "timeline.0.watchers", "only 2 faces"),
        ([{"at": 0, "faces": 2, "measured": 3}], {}, "timeline.0.measured", "only 2 faces"),
        ([{"at": 0, "faces": 2, "smile_ratio": 1.5}], {}, "timeline.0.smile_ratio", "outside 0..1"),
        ([{"at": 0, "faces": 2, "smile_ratio": 0.7, "surprise_ratio": 0.5}], {}, "timeline.0.surprise_ratio", "1 at most"),
        ([{"at": 0, "faces": 0, "smile_ratio": 0.5}], {}, "timeline.0.smile_ratio", "no face is measured"),
        ([{"at": 0, "faces": 4, "watchers": 2, "attention_ratio": 0.9}], {}, "timeline.0.attention_ratio", "2/4"),
        ([{"at": 0, "faces": 3, "passers_by": 1}], {}, "timeline.0.passers_by", "3 faces are present"),
        ([{"at": 0, "faces": 1, "mean_dwell_s": 2, "mean_attention_s": 5}], {}, "timeline.0.mean_attention_s", "longer"),
        ([{"at": 0}, {"at": "10m"}, {"at": "5m"}], {}, "timeline.2.at", "not after"),
        ([{"at": 0}, {"at": "10m", "smiles": 1}], {}, "timeline.1.smiles", "unknown key"),
        ([{"at": 0, "faces": -1}], {}, "timeline.0.faces", "greater than or equal to 0"),
        ([{"at": 0, "camera": "off"}, {"at": "5m", "faces": 2}], {}, "timeline.1.faces", "camera: on"),
        ([{"at": 0, "camera": "off", "faces": 1}], {}, "timeline.0.faces", "camera is off"),
        ([{"at": 0, "faces": 1}], {"camera": "off"}, "timeline.0.faces", "scenario has camera: off"),
        ([{"at": 0, "hold": "5m"}, {"at": "10m"}], {}, "timeline.0.hold", "only the last step"),
        ([{"at": 0}, {"at": "30m"}], {"repeat": "30m"}, "timeline.1.at", "not before repeat"),
        ([{"at": "soon"}], {}, "timeline.0.at", "not a duration"),
        ([{"at": 0, "trend": "up"}], {}, "timeline.0.trend", "rising"),
        ([{"at": 0}], {"colour": "red"}, "colour", "unknown key"),
    ],
)
def test_invalid_scenarios_name_the_step_and_the_field(steps, extra, where, words):
    with pytest.raises(ScenarioError) as err:
        parse_scenario({"name": "bad", "timeline": steps, **extra}, "bad.yaml")
    msg = str(err.value)
    assert msg.startswith("bad.yaml")
    assert f"{where}:" in msg, msg
    assert words in msg, msg


def test_several_errors_are_all_listed():
    with pytest.raises(ScenarioError) as err:
        parse_scenario({"name": "bad", "timeline": [{"at": 0, "faces": 1, "watchers": 2}, {"at": 0}]}, "x.yaml")
    msg = str(err.value)
    assert "2 errors" in msg and "timeline.0.watchers" in msg and "timeline.1.at" in msg


def test_unreadable_scenarios(tmp_path):
    with pytest.raises(ScenarioError, match="cannot read"):
        load_scenario(tmp_path / "missing.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\ntimeline: [\n  {at: 0\n")
    with pytest.raises(ScenarioError, match=r"bad.yaml: not valid YAML at line \d+"):
        load_scenario(bad)
    lst = tmp_path / "list.yaml"
    lst.write_text("- at: 0\n")
    with pytest.raises(ScenarioError, match="a scenario is a mapping"):
        load_scenario(lst)


def test_durations_and_start_defaults():
    pl = playlist()
    held = scenario({"at": 0}, {"at": "10m", "hold": "20m"})
    assert simulate(pl, held, start=MON).end == MON + 30 * MIN
    assert simulate(pl, scenario({"at": 0}), start=MON).end == MON + HOUR  # no hold: 1 h
    assert simulate(pl, scenario({"at": 0}, duration="15m"), start=MON).end == MON + 15 * MIN
    assert simulate(pl, held, start=MON, duration="90m").end == MON + 90 * MIN  # the caller wins
    assert simulate(pl, held, start=MON, duration=120).end == MON + 2 * MIN
    # the scenario's start, else the next full hour
    assert simulate(pl, scenario({"at": 0}, start="2026-11-24T07:30")).start == dt.datetime(2026, 11, 24, 7, 30, tzinfo=UTC)
    before = dt.datetime.now(UTC)
    t0 = simulate(pl, scenario({"at": 0}), duration="1m").start
    assert t0.minute == t0.second == t0.microsecond == 0
    assert before - dt.timedelta(seconds=1) <= t0 <= before + HOUR
    for bad in ("soon", "0s", -5):
        with pytest.raises(ValueError, match="duration"):
            simulate(pl, held, start=MON, duration=bad)
    with pytest.raises(ValueError, match="not an ISO date"):
        simulate(pl, held, start="tomorrow morning")
    with pytest.raises(ValueError, match="31 days"):
        simulate(pl, held, start=MON, duration="800h")


# =============================================================================== the clock


def test_timeline_tiles_the_run_and_plays_last_their_duration():
    pl = playlist({"a": 10, "b": 25, "offer": 7, "other": 10},
                  rules=[{"id": "r", "when": {"smile_ratio": ">= 0.5"}, "play": "offer", "interrupt": True, "cooldown": "1m"}])
    sc = scenario({"at": 0, "faces": 1}, {"at": "2m03s", "faces": 2, "smile_ratio": 0.5}, {"at": "6m", "faces": 0})
    r = simulate(pl, sc, start=MON, duration="10m")
    assert_contiguous(r)
    want = {"a": 10, "b": 25, "offer": 7}
    for e in r.entries:
        if e.ended == ENDED_COMPLETED:
            assert e.duration_s == want[e.creative]
        elif e.ended == ENDED_INTERRUPTED:
            assert 3 <= e.duration_s < want[e.creative]
    assert r.entries[-1].ended == ENDED_CUT
    # the snapshot in force at each start is recorded
    for e in r.entries:
        off = (e.start - MON).total_seconds()
        assert e.audience.faces == (1 if off < 123 else 2 if off < 360 else 0)


def test_loop_plays_in_order_with_no_rule():
    r = simulate(playlist(loop=["a", "b", "other"]), everyone(0), start=MON, duration="5m")
    names = [e.creative for e in r.entries]
    assert names[:7] == ["a", "b", "other", "a", "b", "other", "a"]
    assert all(e.rule is None and e.reason == "default loop" for e in r.entries)


def test_a_change_of_audience_is_seen_at_once_by_an_interrupting_rule():
    """The engine is asked at the change point itself, not at the next recheck."""
    pl = playlist({"a": 60, "b": 60, "offer": 10, "other": 10}, recheck=30,
                  rules=[{"id": "r", "when": {"faces": ">= 3"}, "play": "offer", "interrupt": True, "min_play": 0}])
    r = simulate(pl, scenario({"at": 0}, {"at": "17s", "faces": 3}), start=MON, duration="1m")
    assert starts(r, rule="r")[0] == MON + dt.timedelta(seconds=17)
    assert r.entries[0].ended == ENDED_INTERRUPTED and r.entries[0].duration_s == 17


def test_cooldown_spaces_firings():
    pl = playlist(rules=[{"id": "r", "when": {"faces": ">= 1"}, "play": "offer", "cooldown": "5m"}])
    r = simulate(pl, everyone(), start=MON, duration="1h")
    fired = r.plays(rule="r")
    assert len(fired) >= 10
    for prev, nxt in zip(fired, fired[1:]):
        rest = nxt.start - prev.end
        assert rest >= 5 * MIN  # never before the cooldown is over...
        assert rest < 5 * MIN + dt.timedelta(seconds=10)  # ...and as soon as the loop item on screen ends


def test_hourly_cap_holds_in_every_window_and_is_reached():
    pl = playlist(rules=[{"id": "r", "when": {"faces": ">= 1"}, "play": "offer", "max_per_hour": 3}])
    r = simulate(pl, everyone(), start=MON, duration="4h")
    s = starts(r, rule="r")
    for i, t in enumerate(s):
        in_window = [u for u in s[i:] if u < t + HOUR]
        assert len(in_window) <= 3, (t, in_window)
    assert len(s) == 12  # 3 in each of the 4 hours: the cap, not the condition, limits it
    # and the cap holds after hours of simulated time (the history the simulator keeps is enough)
    assert s[3] >= s[0] + HOUR and s[-1] >= s[-4] + HOUR


def test_creative_hourly_cap_applies_to_the_loop():
    pl = Playlist.model_validate({
        "name": "t", "loop": ["a", "b"],
        "creatives": [{"id": "a", "type": "text", "headline": "A", "duration": 10, "max_per_hour": 5},
                      {"id": "b", "type": "text", "headline": "B", "duration": 10}]})
    r = simulate(pl, everyone(0), start=MON, duration="3h")
    a = starts(r, creative="a")
    assert len(a) == 15
    for i, t in enumerate(a):
        assert len([u for u in a[i:] if u < t + HOUR]) <= 5


def test_higher_priority_wins_while_both_hold():
    pl = playlist(rules=[
        {"id": "low", "when": {"faces": ">= 1"}, "play": "other", "priority": 1},
        {"id": "high", "when": {"faces": ">= 2"}, "play": "offer", "priority": 5},
    ])
    sc = scenario({"at": 0, "faces": 2}, {"at": "10m", "faces": 1}, {"at": "20m", "faces": 0})
    r = simulate(pl, sc, start=MON, duration="30m")
    first, second, third = MON, MON + 10 * MIN, MON + 20 * MIN
    for e in r.plays():
        if first <= e.start < second:
            assert e.rule == "high"
        elif second <= e.start < third:
            assert e.rule == "low"
        else:
            assert e.rule is None
    assert len(r.plays(rule="high")) == 60 and len(r.plays(rule="low")) == 60


def test_weights_share_voice_among_equal_priorities():
    pl = playlist(rules=[
        {"id": "three", "when": {"faces": ">= 1"}, "play": "offer", "weight": 3},
        {"id": "one", "when": {"faces": ">= 1"}, "play": "other", "weight": 1},
    ])
    r = simulate(pl, everyone(), start=MON, duration="4h")
    n3, n1 = len(r.plays(rule="three")), len(r.plays(rule="one"))
    assert n3 + n1 == len(r.plays()) > 1000
    assert n3 / (n3 + n1) == pytest.approx(0.75, abs=0.03)
    # and in every hour, not just overall
    for h in range(4):
        lo, hi = MON + h * HOUR, MON + (h + 1) * HOUR
        k3 = len([e for e in r.plays(rule="three") if lo <= e.start < hi])
        k1 = len([e for e in r.plays(rule="one") if lo <= e.start < hi])
        assert k3 / (k3 + k1) == pytest.approx(0.75, abs=0.05)


def test_interrupting_rule_cuts_the_loop_only_after_min_play():
    pl = playlist({"a": 30, "b": 30, "offer": 10, "other": 10},
                  rules=[{"id": "now", "when": {"smile_ratio": ">= 0.5"}, "play": "offer", "interrupt": True,
                          "min_play": "10s", "cooldown": "10m"}])
    # smiles 2 s into a 30 s item: the cut comes at 10 s, not before, not at the end
    r = simulate(pl, scenario({"at": 0, "faces": 0}, {"at": "2s", "faces": 1, "smile_ratio": 1}), start=MON, duration="2m")
    cut = r.entries[0]
    assert cut.creative == "a" and cut.ended == ENDED_INTERRUPTED
    assert cut.duration_s == 10
    assert r.entries[1].rule == "now" and r.entries[1].start == MON + dt.timedelta(seconds=10)
    # smiles 20 s into the item (past min_play): the cut is immediate
    r = simulate(pl, scenario({"at": 0, "faces": 0}, {"at": "20s", "faces": 1, "smile_ratio": 1}), start=MON, duration="2m")
    assert r.entries[0].duration_s == 20 and r.entries[0].ended == ENDED_INTERRUPTED
    assert min(e.duration_s for e in r.entries if e.ended == ENDED_INTERRUPTED) >= 10


def test_non_interrupting_rule_waits_for_the_end():
    pl = playlist({"a": 30, "b": 30, "offer": 10, "other": 10},
                  rules=[{"id": "later", "when": {"faces": ">= 1"}, "play": "offer", "cooldown": "1m"}])
    r = simulate(pl, scenario({"at": 0}, {"at": "2s", "faces": 1}), start=MON, duration="10m")
    assert not [e for e in r.entries if e.ended == ENDED_INTERRUPTED]
    assert r.entries[0].creative == "a" and r.entries[0].duration_s == 30
    assert starts(r, rule="later")[0] == MON + dt.timedelta(seconds=30)


def test_interrupt_needs_a_higher_priority_than_what_plays():
    pl = playlist({"a": 10, "b": 10, "offer": 60, "other": 10}, rules=[
        {"id": "long", "when": {"faces": ">= 1"}, "play": "offer", "priority": 5, "cooldown": "10m"},
        {"id": "same", "when": {"smile_ratio": ">= 0.5"}, "play": "other", "priority": 5, "interrupt": True, "min_play": 0},
        {"id": "above", "when": {"surprise_ratio": ">= 0.5"}, "play": "other", "priority": 6, "interrupt": True, "min_play": 0},
    ])
    sc = scenario({"at": 0, "faces": 1}, {"at": "5s", "faces": 2, "smile_ratio": 0.5},
                  {"at": "30s", "faces": 2, "smile_ratio": 0.5, "surprise_ratio": 0.5})
    r = simulate(pl, sc, start=MON, duration="2m")
    assert r.entries[0].rule == "long"
    assert r.entries[0].end == MON + dt.timedelta(seconds=30)  # not cut by 'same' at 5 s, cut by 'above' at 30 s
    assert r.entries[0].ended == ENDED_INTERRUPTED and r.entries[1].rule == "above"


def test_rule_with_several_creatives_takes_them_in_turn():
    pl = playlist(rules=[{"id": "r", "when": {"faces": ">= 1"}, "play": ["offer", "other"]}])
    r = simulate(pl, everyone(), start=MON, duration="2m")
    assert [e.creative for e in r.plays(rule="r")][:4] == ["offer", "other", "offer", "other"]


def test_nothing_plays_outside_the_campaign_schedules_and_dayparts():
    """Four days; every entry is checked against the dates and times, independently of the engine."""
    pl = Playlist.model_validate({
        "name": "dates",
        "campaign": {"from": "2026-12-01", "to": "2026-12-02"},
        "dayparts": {"lunch": {"from": "11:30", "to": "14:30"}},
        "creatives": [
            {"id": "base", "type": "text", "headline": "B", "duration": "10m"},
            {"id": "morning", "type": "text", "headline": "M", "duration": "10m",
             "schedule": {"days": ["tue"], "time": {"from": "08:00", "to": "10:00"}}},
            {"id": "lunch", "type": "text", "headline": "L", "duration": "10m"},
            {"id": "weekday-lunch", "type": "text", "headline": "W", "duration": "10m"},
        ],
        "loop": ["base", "morning"],
        "rules": [
            {"id": "at-lunch", "when": {"daypart": "lunch", "faces": ">= 1"}, "play": "lunch", "cooldown": "20m"},
            {"id": "sched", "when": {"faces": ">= 1"}, "play": "weekday-lunch", "priority": -1,
             "schedule": {"daypart": "lunch", "days": "weekdays"}},
        ],
    })
    start = dt.datetime(2026, 11, 30, 0, 0, tzinfo=UTC)  # Monday, the day before the campaign
    r = simulate(pl, everyone(), start=start, duration="96h")
    assert_contiguous(r)
    lunch = (dt.time(11, 30), dt.time(14, 30))
    for e in r.entries:
        if e.idle:
            continue
        assert dt.date(2026, 12, 1) <= e.start.date() <= dt.date(2026, 12, 2), e
        if e.creative == "morning":
            assert e.start.weekday() == 1 and dt.time(8) <= e.start.time() < dt.time(10), e
        if e.rule in ("at-lunch", "sched"):
            assert lunch[0] <= e.start.time() < lunch[1], e
        assert e.end <= e.start + dt.timedelta(minutes=10)
    # not vacuous: each of them did play, and the days outside the campaign are idle
    assert {e.creative for e in r.plays()} == {"base", "morning", "lunch", "weekday-lunch"}
    assert {e.start.date() for e in r.plays(rule="at-lunch")} == {dt.date(2026, 12, 1), dt.date(2026, 12, 2)}
    idle = [e for e in r.entries if e.idle]
    assert idle[0].start == start and idle[0].end == dt.datetime(2026, 12, 1, tzinfo=UTC)
    assert idle[-1].end == r.end and idle[-1].start <= dt.datetime(2026, 12, 3, 0, 10, tzinfo=UTC)
    assert summarize(r).idle_s >= 2 * 86400 - 600


def test_camera_off_runs_the_schedule_without_audience_rules():
    pl = playlist(rules=[
        {"id": "audience", "when": {"faces": ">= 0"}, "play": "offer", "priority": 5},
        {"id": "nobody-seen", "when": {"camera": "off"}, "play": "other", "cooldown": "1m"},
        {"id": "clock", "when": {"time": {"from": "10:30", "to": "11:00"}}, "play": "b", "priority": 1, "cooldown": "2m"},
    ])
    r = simulate(pl, scenario({"at": 0}, camera="off"), start=MON, duration="1h")
    assert not r.plays(rule="audience")
    assert r.plays(rule="nobody-seen") and r.plays(rule="clock")
    assert all(e.audience is None for e in r.entries)
    assert all(dt.time(10, 30) <= t.time() < dt.time(11) for t in starts(r, rule="clock"))
    # a failure mid-run: audience rules stop while the camera is off, and only then does camera: off fire
    sc = scenario({"at": 0, "faces": 1}, {"at": "10m", "camera": "off"}, {"at": "40m", "camera": "on", "faces": 1})
    r = simulate(pl, sc, start=MON, duration="1h")
    off, on = MON + 10 * MIN, MON + 40 * MIN
    for e in r.plays():
        if e.rule == "audience":
            assert not off <= e.start < on
        if e.rule == "nobody-seen":
            assert off <= e.start < on
    assert r.plays(rule="audience") and r.plays(rule="nobody-seen")
    assert [e for e in r.plays(rule="audience") if e.start >= on]  # back on: the audience rule is back


def test_disabled_rule_never_fires_and_is_reported_apart():
    pl = playlist(rules=[{"id": "off", "when": {"faces": ">= 0"}, "play": "offer", "enabled": False},
                         {"id": "never", "when": {"faces": ">= 50"}, "play": "offer"}])
    r = simulate(pl, everyone(), start=MON, duration="10m")
    assert not r.plays(rule="off")
    s = summarize(r)
    assert s.never_fired == ["never"] and s.disabled == ["off"]
    text = format_report(r)
    assert "rules that never fired: never" in text and "disabled rules: off" in text


def test_repeat_replays_the_timeline():
    pl = playlist(rules=[{"id": "crowd", "when": {"faces": ">= 3"}, "play": "offer", "cooldown": "1m"}])
    sc = scenario({"at": 0, "faces": 0}, {"at": "2m", "faces": 3}, {"at": "4m", "faces": 0}, repeat="10m")
    r = simulate(pl, sc, start=MON, duration="30m")
    assert [c.time for c in r.changes] == [MON + k * 10 * MIN + m * MIN for k in range(3) for m in (0, 2, 4)]
    for e in r.plays(rule="crowd"):
        assert 2 * 60 <= (e.start - MON).total_seconds() % 600 < 4 * 60 + 10
    assert {(e.start - MON) // (10 * MIN) for e in r.plays(rule="crowd")} == {0, 1, 2}


def test_idle_when_nothing_is_eligible():
    pl = playlist(campaign={"from": "2026-11-23", "to": "2026-11-23"})
    r = simulate(pl, everyone(), start=dt.datetime(2026, 11, 23, 23, 0, tzinfo=UTC), duration="2h")
    assert_contiguous(r)
    assert r.entries[-1].idle and r.entries[-1].start == dt.datetime(2026, 11, 24, 0, 0, tzinfo=UTC)
    assert r.entries[-1].end == r.end and r.entries[-1].ended == ENDED_CUT
    assert summarize(r).idle_s == 3600
    assert "idle (nothing eligible): 1h" in format_report(r)
    assert report_json(r)["summary"]["idle_s"] == 3600


def test_timezone_wall_clock():
    pl = playlist(timezone="Asia/Tokyo",
                  rules=[{"id": "ten", "when": {"time": {"from": "10:00", "to": "10:30"}}, "play": "offer", "cooldown": "5m"}])
    # 01:00 UTC is 10:00 in Tokyo: the engine reads the simulated instants in Tokyo time
    r = simulate(pl, everyone(0), start="2026-11-23T01:00:00+00:00", duration="1h")
    assert r.start == dt.datetime(2026, 11, 23, 1, 0, tzinfo=UTC)
    assert r.local(r.start).replace(tzinfo=None) == dt.datetime(2026, 11, 23, 10, 0)
    fired = starts(r, rule="ten")
    assert fired[0] == r.start and len(fired) >= 5
    assert all(dt.time(10) <= r.local(t).time() < dt.time(10, 30) for t in fired)
    assert report_json(r)["timezone"] == "Asia/Tokyo"
    assert report_json(r)["start"] == "2026-11-23T10:00:00+09:00"
    # a naive start is the wall clock at the screen
    assert simulate(pl, everyone(0), start="2026-11-23T10:00", duration="1m").start == r.start


def test_loop_resumes_where_it_was_after_hours_of_rules():
    """The history the simulator keeps is trimmed; the loop's position must survive it."""
    pl = playlist(loop=["a", "b", "other"], rules=[{"id": "r", "when": {"faces": ">= 1"}, "play": "offer"}])
    sc = scenario({"at": 0, "faces": 0}, {"at": "5s", "faces": 1}, {"at": "3h30m", "faces": 0})
    r = simulate(pl, sc, start=MON, duration="3h31m")
    loop = [e.creative for e in r.plays(rule=None)]
    assert loop[0] == "a"  # 0 s to 10 s, then the rule for three and a half hours
    assert loop[1:4] == ["b", "other", "a"]  # the loop goes on from where it was, not from the top


def test_same_seed_same_timeline_and_the_seed_matters():
    pl = playlist(rules=[{"id": "x", "when": {"faces": ">= 1"}, "play": "offer"},
                         {"id": "y", "when": {"faces": ">= 1"}, "play": "other"}])
    sc = scenario({"at": 0}, {"at": "1m", "faces": 1}, {"at": "5m", "faces": 0}, {"at": "7m", "faces": 2})
    a = report_json(simulate(pl, sc, start=MON, duration="20m", seed=7))
    b = report_json(simulate(pl, sc, start=MON, duration="20m", seed=7))
    assert a == b
    firsts = {simulate(pl, sc, start=MON, duration="2m", seed=s).plays()[6].rule for s in range(12)}
    assert firsts == {"x", "y"}  # the tie between equal rules goes either way depending on the seed


# ------------------------------------------------------------------ exactness and speed


def generated_playlist(n: int, seed: int = 1) -> Playlist:
    rnd = random.Random(seed)
    creatives = [{"id": f"c{i}", "type": "text", "headline": f"C{i}", "duration": rnd.randint(5, 20)} for i in range(n)]
    for c in creatives[:20]:
        if rnd.random() < 0.3:
            c["max_per_hour"] = rnd.randint(3, 20)
    conds = [
        lambda: {"faces": f">= {rnd.randint(1, 6)}"},
        lambda: {"smile_ratio": f">= {rnd.choice([0.3, 0.5, 0.7])}", "faces": ">= 1"},
        lambda: {"watchers": f">= {rnd.randint(1, 4)}", "trend": rnd.choice(["rising", "steady"])},
        lambda: {"time": {"from": f"{(h := rnd.randint(0, 22)):02d}:00", "to": f"{h + 1:02d}:30"}, "faces": ">= 1"},
        lambda: {"any": [{"faces": ">= 5"}, {"not": {"surprise_ratio": "< 0.5"}}], "days": "weekdays"},
        lambda: {"daypart": rnd.choice(["morning", "noon"]), "watchers": ">= 1"},
    ]
    rules = []
    for j in range(n):
        r = {"id": f"r{j}", "when": rnd.choice(conds)(), "play": [f"c{rnd.randrange(n)}" for _ in range(rnd.randint(1, 3))],
             "priority": rnd.randint(0, 5), "weight": rnd.choice([1, 2, 3]), "cooldown": rnd.choice([0, 30, 120, 600]),
             "interrupt": rnd.random() < 0.3, "min_play": rnd.choice([0, 3, 5])}
        if rnd.random() < 0.4:
            r["max_per_hour"] = rnd.randint(1, 10)
        rules.append(r)
    return Playlist.model_validate({
        "name": "generated", "creatives": creatives, "loop": [f"c{i}" for i in range(20)], "rules": rules,
        "dayparts": {"morning": {"from": "06:00", "to": "11:00"}, "noon": {"from": "11:00", "to": "14:00"}},
    })


def generated_scenario(seed: int = 2, steps: int = 24, every_min: int = 5) -> Scenario:
    rnd = random.Random(seed)
    out = []
    for k in range(steps):
        f = rnd.randint(0, 8)
        smile = round(rnd.random(), 2) if f else 0.0
        out.append({"at": f"{every_min * k}m", "faces": f, "watchers": rnd.randint(0, f), "smile_ratio": smile,
                    "surprise_ratio": round(rnd.random() * (1 - smile), 2) if f else 0.0,
                    "trend": rnd.choice(["rising", "steady", "falling"])})
    return parse_scenario({"name": "generated", "timeline": out})


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_skipped_rechecks_change_nothing(seed):
    """simulate() skips the engine's re-checks that cannot interrupt; asking at every check_at
    like the player (exact=True) gives the very same timeline."""
    pl = generated_playlist(40, seed)
    sc = generated_scenario(seed, steps=12, every_min=3)
    fast = simulate(pl, sc, start=dt.datetime(2026, 11, 23, 10, 40, tzinfo=UTC), duration="40m", seed=seed)
    exact = simulate(pl, sc, start=dt.datetime(2026, 11, 23, 10, 40, tzinfo=UTC), duration="40m", seed=seed, exact=True)
    assert fast.entries == exact.entries
    assert fast.decisions <= exact.decisions
    assert any(e.ended == ENDED_INTERRUPTED for e in exact.entries)  # interrupts were part of it


@pytest.mark.parametrize("path", PLAYLISTS, ids=lambda p: p.name)
def test_skipped_rechecks_change_nothing_on_the_examples(path):
    pl = example(path)
    for s in SCENARIOS:
        sc = load_scenario(s)
        fast = simulate(pl, sc)
        exact = simulate(pl, sc, exact=True)
        assert fast.entries == exact.entries, s.name


def test_two_hours_of_a_100_rule_playlist_play_without_gaps():
    # its speed is measured by bench/playlist.py
    pl = generated_playlist(100)
    sc = generated_scenario()
    r = simulate(pl, sc, start=MON, duration="2h")
    assert_contiguous(r)
    assert len(r.plays()) > 300 and summarize(r).rules  # it did play


# ============================================================================== reports


def test_readable_report():
    pl = playlist({"a": 30, "b": 30, "offer": 10, "other": 10}, rules=[
        {"id": "smiles", "when": {"smile_ratio": ">= 0.5"}, "play": "offer", "interrupt": True, "cooldown": "10m"},
        {"id": "never", "when": {"faces": ">= 99"}, "play": "other"},
    ])
    sc = scenario({"at": 0, "faces": 0}, {"at": "45s", "faces": 2, "smile_ratio": 0.5})
    r = simulate(pl, sc, start=MON, duration="3m")
    text = format_report(r)
    lines = text.splitlines()
    assert lines[0] == "Playlist 't' against scenario 's', seed 0"
    assert "Mon 2026-11-23 10:00:00 to Mon 2026-11-23 10:03:00, 3m simulated" in lines[1]
    plays = [ln for ln in lines if ln[:2].isdigit() and "--" not in ln]
    assert len(plays) == len(r.entries)
    assert plays[0].split() == ["10:00:00", "a", "(loop)", "30s"]
    assert plays[1].split() == ["10:00:30", "b", "(loop)", "15s", "[interrupted]"]
    assert plays[2].split() == ["10:00:45", "offer", "(smiles)", "10s"]
    assert plays[-1].endswith("[cut at end]")
    assert "10:00:45  -- audience (step 1): faces 2, watchers 0, smile 50%" in text
    summary = text[text.index("Summary"):]
    # offer: 1 play, 10 s of 180 s
    assert [ln.split() for ln in summary.splitlines() if ln.strip().startswith("offer")] == [["offer", "1", "10s", "5.6%"]]
    assert "rules that never fired: never" in summary
    assert "smiles      1" in summary


def test_every_rule_fired_is_said():
    pl = playlist(rules=[{"id": "r", "when": {"faces": ">= 1"}, "play": "offer"}])
    assert "every rule fired" in format_report(simulate(pl, everyone(), start=MON, duration="1m"))


def test_json_report():
    pl = playlist(rules=[{"id": "r", "when": {"faces": ">= 2"}, "play": "offer", "cooldown": "1m"},
                         {"id": "q", "when": {"faces": ">= 9"}, "play": "offer"}])
    sc = scenario({"at": 0, "faces": 1}, {"at": "1m", "faces": 2, "watchers": 1, "smile_ratio": 0.5})
    r = simulate(pl, sc, start=MON, duration="5m", seed=3)
    j = json.loads(json.dumps(report_json(r)))  # JSON-ready
    assert j["playlist"] == "t" and j["scenario"] == "s" and j["seed"] == 3
    assert dt.datetime.fromisoformat(j["start"]) == MON and dt.datetime.fromisoformat(j["end"]) == MON + 5 * MIN
    assert len(j["timeline"]) == len(r.entries)
    first = j["timeline"][0]
    assert first == {"start": "2026-11-23T10:00:00+00:00", "end": "2026-11-23T10:00:10+00:00", "duration_s": 10.0, "creative": "a",
                     "rule": None, "reason": "default loop", "ended": "completed", "step": 0,
                     "audience": {"faces": 1, "measured": 1, "watchers": 0, "attention_ratio": 0.0, "smile_ratio": 0.0,
                                  "surprise_ratio": 0.0, "passers_by": 1, "mean_dwell_s": 0.0, "mean_attention_s": 0.0,
                                  "glances": 0, "trend": "steady"}}
    fired = [t for t in j["timeline"] if t["rule"] == "r"]
    assert fired and fired[0]["audience"]["watchers"] == 1 and fired[0]["audience"]["attention_ratio"] == 0.5
    assert fired[0]["reason"].startswith("rule r (priority 0)")
    s = j["summary"]
    assert s["rules"]["r"]["fired"] == len(fired) and s["rules"]["q"]["fired"] == 0
    assert s["never_fired"] == ["q"] and s["idle_s"] == 0
    assert sum(c["plays"] for c in s["creatives"].values()) == len(j["timeline"])
    assert sum(c["screen_time_s"] for c in s["creatives"].values()) == pytest.approx(300)
    assert sum(c["share"] for c in s["creatives"].values()) == pytest.approx(1.0, abs=1e-3)
    assert s["creatives"]["other"] == {"plays": 0, "screen_time_s": 0.0, "share": 0.0}


# ==================================================================== examples and content


def example(path: Path) -> Playlist:
    return load_playlist(path).playlist


def test_the_examples_exist():
    assert {p.name for p in PLAYLISTS} >= {"demo.yaml", "daypart-menu.yaml", "share-of-voice.yaml", "campaign.yaml"}
    assert {p.name for p in SCENARIOS} >= {"quiet-morning.yaml", "lunch-rush.yaml", "smiling-group.yaml", "camera-failure.yaml"}


@pytest.mark.parametrize("path", PLAYLISTS, ids=lambda p: p.name)
def test_example_playlists_load(path):
    pl = example(path)
    assert pl.name and pl.creatives
    # the loader filled in the video's own length (6 s) where no duration is given
    for c in pl.creatives:
        if c.type == "video" and c.id == "promo" and "duration: 5s" not in path.read_text():
            assert pl.duration_of(c.id) == pytest.approx(6.0, abs=0.1)


def _owner(model_cls, field: str) -> str:
    """The class that declares a field (creatives share theirs through one base class)."""
    for klass in model_cls.__mro__:
        if field in getattr(klass, "__annotations__", {}):
            return klass.__name__.lstrip("_")
    return model_cls.__name__.lstrip("_")


def _fields_set(model, out: set[tuple[str, str]]) -> None:
    from pydantic import BaseModel

    for name in model.model_fields_set:
        out.add((_owner(type(model), name), name))
        value = getattr(model, name)
        for v in value if isinstance(value, (list, tuple)) else value.values() if isinstance(value, dict) else [value]:
            if isinstance(v, BaseModel):
                _fields_set(v, out)


def test_the_examples_use_every_feature_of_the_format():
    from signage.playlist.campaign_schema import Campaign, Flight
    from signage.playlist.schema import (
        Bounds, Condition, DateRange, Defaults, ImageCreative, Rule, Schedule, TextCreative, TimeRange, VideoCreative,
        _TransitionSpec,
    )

    # as written (the loader fills in video lengths, which would count as fields set)
    pls = [Playlist.model_validate(load_yaml(p.read_text(encoding="utf-8"))) for p in PLAYLISTS]
    used: set[tuple[str, str]] = set()
    for pl in pls:
        _fields_set(pl, used)
    models = [Playlist, Defaults, ImageCreative, VideoCreative, TextCreative, Rule, Condition, Schedule, TimeRange,
              DateRange, Bounds, _TransitionSpec, Campaign, Flight]
    every = {(_owner(m, f), f) for m in models for f in m.model_fields}
    assert sorted(every - used) == [], "fields no example uses"
    # and every value of the closed choices
    creatives = [c for pl in pls for c in pl.creatives]
    assert {c.fit for c in creatives} | {pl.defaults.fit for pl in pls} >= {"fit", "fill", "stretch"}
    transitions = [c.transition for c in creatives if c.transition] + [pl.defaults.transition for pl in pls]
    assert {t.type for t in transitions} == {"cut", "crossfade", "slide"}
    texts = "\n".join(p.read_text() for p in PLAYLISTS)
    for word in ("weekdays", "weekend", "trend: rising", "trend: falling", 'camera: "off"', "any:", "all:", "not:",
                 "enabled: false", "interrupt: true", "min_play", "recheck", "timezone", "campaign", "max_per_hour",
                 "dwell", "attention_time", "mean_dwell_s"):
        assert word in texts, word
    # a video without a duration (plays its own length)
    assert any(c.type == "video" and c.id == "promo" and "duration" not in (c.model_fields_set or ()) for c in creatives)


@pytest.mark.parametrize("scen", SCENARIOS, ids=lambda p: p.name)
def test_example_scenarios_simulate_against_every_example(scen):
    sc = load_scenario(scen)
    assert sc.start is not None and sc.timeline
    for path in PLAYLISTS:
        pl = example(path)
        r = simulate(pl, sc, duration="2h")  # its speed: bench/playlist.py
        assert_contiguous(r)
        s = summarize(r)
        total = sum(c["screen_time_s"] for c in s.creatives.values()) + s.idle_s
        assert total == pytest.approx(r.duration_s)


def test_the_demo_reacts_to_the_smiling_group():
    r = simulate(example(ROOT / "playlists" / "demo.yaml"), load_scenario(ROOT / "playlists" / "scenarios" / "smiling-group.yaml"))
    s = summarize(r)
    assert s.never_fired == []
    smile_step_starts = [c.time for c in r.changes if c.audience is not None and c.audience.smile_ratio >= 0.5]
    for t in smile_step_starts:  # the smile offer is on screen within min_play (3 s) of the smiles
        assert any(t <= e.start <= t + dt.timedelta(seconds=3) for e in r.plays(rule="smile-offer")), t


def test_the_camera_failure_example():
    pl = example(ROOT / "playlists" / "daypart-menu.yaml")
    sc = load_scenario(ROOT / "playlists" / "scenarios" / "camera-failure.yaml")
    r = simulate(pl, sc)
    off = [c.time for c in r.changes if c.audience is None]
    back = [c.time for c in r.changes if c.audience is not None and c.time > off[0]]
    assert off and back
    without = r.plays(rule="lunch-without-camera")
    assert without and all(off[0] <= e.start < back[0] for e in without)
    assert r.plays(rule="lunch-crowd")
    assert not [e for e in r.plays(rule="lunch-crowd") if off[0] <= e.start < back[0]]


# ================================================================================== CLI


def run_cli(*args, timeout=60):
    env = {**os.environ, "SDL_VIDEODRIVER": "dummy"}
    env.pop("SIGNAGE_CONFIG", None)
    return subprocess.run([sys.executable, "-m", "signage.cli", *args], capture_output=True, text=True, cwd=ROOT,
                          env=env, timeout=timeout)






def test_cli_simulate_prints_timeline_and_summary():
    p = run_cli("simulate", "playlists/demo.yaml", "--audience", "playlists/scenarios/smiling-group.yaml", "--duration", "1h")
    assert p.returncode == 0, p.stderr
    out = p.stdout
    assert out.startswith("Playlist 'Café Lumière (demo)' against scenario 'smiling group', seed 0")
    assert "Sat 2026-12-12 15:00:00 to Sat 2026-12-12 16:00:00" in out
    assert "15:04:00  smile-offer" in out and "(smile-offer)" in out
    assert "promo" in out and "6s" in out  # the video's own length, from the file
    assert "Summary" in out and "every rule fired" in out



def test_cli_simulate_json_and_options(tmp_path):
    p = run_cli("simulate", "playlists/daypart-menu.yaml", "--audience", "playlists/scenarios/lunch-rush.yaml",
                "--json", "--start", "2026-12-09T11:45", "--duration", "30m", "--seed", "4")
    assert p.returncode == 0, p.stderr
    j = json.loads(p.stdout)
    assert j["start"] == "2026-12-09T11:45:00+01:00" and j["end"] == "2026-12-09T12:15:00+01:00" and j["seed"] == 4
    assert j["timezone"] == "Europe/Paris"
    assert j["timeline"] and set(j["summary"]) >= {"creatives", "rules", "never_fired", "idle_s"}
    assert j["summary"]["rules"]["lunch-crowd"]["fired"] > 0



def test_cli_simulate_errors(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: bad\ntimeline:\n  - {at: 0, faces: 1, watchers: 2}\n")
    p = run_cli("simulate", "playlists/demo.yaml", "--audience", str(bad))
    assert p.returncode == 2
    assert "bad.yaml" in p.stderr and "timeline.0.watchers" in p.stderr
    p = run_cli("simulate", "playlists/demo.yaml", "--audience", "playlists/scenarios/quiet-morning.yaml", "--duration", "soon")
    assert p.returncode == 2 and "duration" in p.stderr



def test_cli_simulate_a_playlist_of_text_only(tmp_path):
    (tmp_path / "p.yaml").write_text(
        "name: text only\ncreatives:\n  - {id: hi, type: text, headline: Hi, duration: 5s}\nloop: [hi]\n")
    (tmp_path / "s.yaml").write_text("name: empty\ntimeline: [{at: 0}]\n")
    p = run_cli("simulate", str(tmp_path / "p.yaml"), "--audience", str(tmp_path / "s.yaml"),
                "--start", "2026-11-23T10:00", "--duration", "1m", "--json")
    assert p.returncode == 0, p.stderr
    j = json.loads(p.stdout)
    assert [t["creative"] for t in j["timeline"]] == ["hi"] * 12
    assert j["summary"]["creatives"]["hi"]["share"] == 1.0
