"""The engine's rule features, one by one, on a simulated clock."""

import datetime as dt

import pytest

from signage.playlist.engine import Decision, NowPlaying, PlaylistEngine, PlayRecord
from signage.playlist.rules import Context, compile_condition, describe
from signage.playlist.schema import Condition, Playlist
from signage.values import AudienceSnapshot

MON = dt.datetime(2026, 11, 23, 10, 0)  # a Monday


def aud(faces=0, watchers=None, smile=0.0, surprise=0.0, trend="steady", dwell=0.0, passers=None):
    watchers = faces if watchers is None else watchers
    return AudienceSnapshot(
        t=0.0, faces=faces, measured=faces, watchers=watchers,
        attention_ratio=watchers / faces if faces else 0.0, smile_ratio=smile, surprise_ratio=surprise,
        passers_by=faces if passers is None else passers, mean_dwell_s=dwell, trend=trend,
    )


def playlist(**kw):
    base = {
        "name": "t",
        "creatives": [
            {"id": "a", "type": "text", "headline": "A", "duration": 10},
            {"id": "b", "type": "text", "headline": "B", "duration": 10},
            {"id": "offer", "type": "text", "headline": "Offer", "duration": 10},
            {"id": "other", "type": "text", "headline": "Other", "duration": 10},
        ],
        "loop": ["a", "b"],
    }
    base.update(kw)
    return Playlist.model_validate(base)


def holds(cond, audience=None, when=MON, dayparts=None):
    from signage.playlist.schema import TimeRange

    c = Condition.model_validate(cond)
    dp = {k: TimeRange.model_validate(v) for k, v in (dayparts or {}).items()}
    return compile_condition(c, dp)(Context(audience, when))


class Clock:
    """Runs the engine like the player does: decide, play, record history."""

    def __init__(self, pl, start=MON, seed=0):
        self.engine = PlaylistEngine(pl)
        self.now = start
        self.history: list[PlayRecord] = []  # every play, for the checks
        self.kept = self.engine.new_history()  # what the engine reads, kept as the player does
        self.playing: NowPlaying | None = None
        self.seed = seed
        self.log: list[tuple[dt.datetime, Decision]] = []

    def run(self, audience_at, until):
        while self.now < until:
            d = self.engine.decide(audience_at(self.now), self.now, self.kept, self.playing, seed=self.seed)
            if d.action in ("play", "interrupt"):
                if self.history and self.history[-1].end is None:
                    last = self.history[-1]
                    self.history[-1] = PlayRecord(last.creative, last.rule, last.start, self.now, last.loop_index)
                    self.kept.end(self.now)
                self.history.append(PlayRecord(d.creative, d.rule, self.now, loop_index=d.loop_index))
                self.kept.start(self.history[-1])
                self.playing = NowPlaying(d.creative, d.rule, self.now, self.now + dt.timedelta(seconds=d.duration))
                self.log.append((self.now, d))
            nxt = d.check_at
            if self.playing and self.playing.ends <= nxt:
                nxt = self.playing.ends
                last = self.history[-1]
                self.history[-1] = PlayRecord(last.creative, last.rule, last.start, nxt, last.loop_index)
                self.kept.end(nxt)
                self.playing = None
            assert nxt > self.now or d.action == "idle"
            self.now = max(nxt, self.now + dt.timedelta(milliseconds=1))
        return self.log

    def plays(self, rule=None):
        return [(t, d) for t, d in self.log if rule is None or d.rule == rule]


# ----------------------------------------------------------------- conditions

@pytest.mark.parametrize(
    "cond, audience, expected",
    [
        ({"faces": ">= 2"}, aud(2), True),
        ({"faces": ">= 2"}, aud(1), False),
        ({"faces": 0}, aud(0), True),
        ({"faces": 0}, aud(1), False),
        ({"faces": "1..3"}, aud(3), True),
        ({"faces": "1..3"}, aud(4), False),
        ({"watchers": "> 1"}, aud(2, 1), False),
        ({"watchers": {"min": 1, "max": 2}}, aud(3, 2), True),
        ({"smile_ratio": "> 0.5"}, aud(2, smile=0.5), False),
        ({"smile_ratio": ">= 0.5"}, aud(2, smile=0.5), True),
        ({"surprise_ratio": "< 0.2"}, aud(1, surprise=0.1), True),
        ({"attention_ratio": ">= 0.5"}, aud(4, 1), False),
        ({"dwell": ">= 5"}, aud(1, dwell=6), True),
        ({"mean_dwell_s": ">= 5"}, aud(1, dwell=4), False),
        ({"passers_by": ">= 10"}, aud(1, passers=12), True),
        ({"trend": "rising"}, aud(1, trend="rising"), True),
        ({"trend": "rising"}, aud(1, trend="steady"), False),
        ({"camera": "off"}, None, True),
        ({"camera": "off"}, aud(0), False),
        ({"camera": "on"}, aud(0), True),
        ({"faces": ">= 0"}, None, None),  # no measurement: an audience test is unknown (never fires)
        ({"all": [{"faces": ">= 2"}, {"smile_ratio": ">= 0.5"}]}, aud(2, smile=0.6), True),
        ({"all": [{"faces": ">= 2"}, {"smile_ratio": ">= 0.5"}]}, aud(2, smile=0.4), False),
        ({"any": [{"faces": ">= 5"}, {"smile_ratio": ">= 0.5"}]}, aud(2, smile=0.6), True),
        ({"any": [{"faces": ">= 5"}, {"smile_ratio": ">= 0.5"}]}, aud(2, smile=0.1), False),
        ({"not": {"faces": 0}}, aud(1), True),
        ({"not": {"faces": 0}}, aud(0), False),
        ({"faces": ">= 1", "smile_ratio": ">= 0.5"}, aud(1, smile=0.2), False),  # keys are an implicit all
    ],
)
def test_audience_conditions(cond, audience, expected):
    assert holds(cond, audience) is expected


@pytest.mark.parametrize(
    "cond, when, expected",
    [
        ({"time": {"from": "09:00", "to": "11:00"}}, MON, True),
        ({"time": {"from": "09:00", "to": "10:00"}}, MON, False),  # to is excluded
        ({"time": {"from": "22:00", "to": "02:00"}}, MON.replace(hour=23), True),  # wraps midnight
        ({"time": {"from": "22:00", "to": "02:00"}}, MON.replace(hour=1), True),
        ({"time": {"from": "22:00", "to": "02:00"}}, MON.replace(hour=12), False),
        ({"days": ["mon", "tue"]}, MON, True),
        ({"days": "weekend"}, MON, False),
        ({"days": "weekend"}, MON + dt.timedelta(days=5), True),
        ({"days": ["Monday"]}, MON, True),
        ({"dates": {"from": "2026-11-01", "to": "2026-11-23"}}, MON, True),
        ({"dates": {"from": "2026-11-24"}}, MON, False),
        ({"daypart": "morning"}, MON, True),
        ({"daypart": ["lunch"]}, MON, False),
        ({"daypart": ["lunch", "morning"]}, MON, True),
    ],
)
def test_time_conditions(cond, when, expected):
    dayparts = {"morning": {"from": "07:00", "to": "11:00"}, "lunch": {"from": "11:30", "to": "14:00"}}
    assert holds(cond, aud(0), when, dayparts) is expected


def test_unquoted_yaml_times_and_hours():
    assert holds({"time": {"from": 9, "to": 11}}, aud(0), MON)


def test_describe_reads_like_the_rule():
    c = Condition.model_validate({"watchers": ">= 2", "smile_ratio": "> 0.5", "not": {"days": "weekend"}})
    assert describe(c) == "watchers >= 2 and smile_ratio > 0.5 and not (sat,sun)"


# ----------------------------------------------------------------- decisions

def test_default_loop_plays_in_order_and_wraps():
    log = Clock(playlist()).run(lambda t: aud(0), MON + dt.timedelta(seconds=50))
    assert [d.creative for _, d in log] == ["a", "b", "a", "b", "a"]
    assert all(d.rule is None and d.reason == "default loop" for _, d in log)


def test_rule_plays_when_its_condition_holds_and_names_itself():
    pl = playlist(rules=[{"id": "group", "when": {"watchers": ">= 2"}, "play": "offer"}])
    e = PlaylistEngine(pl)
    d = e.decide(aud(2), MON)
    assert (d.action, d.creative, d.rule) == ("play", "offer", "group")
    assert "watchers >= 2" in d.reason and "group" in d.reason
    assert e.decide(aud(1), MON).creative == "a"


def test_higher_priority_wins():
    pl = playlist(rules=[
        {"id": "low", "when": {"faces": ">= 1"}, "play": "other", "priority": 1},
        {"id": "high", "when": {"faces": ">= 1"}, "play": "offer", "priority": 5},
    ])
    assert PlaylistEngine(pl).decide(aud(1), MON).rule == "high"


def test_weights_share_voice_among_equal_priorities():
    pl = playlist(rules=[
        {"id": "three", "when": {"faces": ">= 1"}, "play": "offer", "weight": 3},
        {"id": "one", "when": {"faces": ">= 1"}, "play": "other", "weight": 1},
    ])
    clock = Clock(pl)
    clock.run(lambda t: aud(1), MON + dt.timedelta(minutes=40))
    n3, n1 = len(clock.plays("three")), len(clock.plays("one"))
    assert n3 + n1 == 240
    assert n3 / (n3 + n1) == pytest.approx(0.75, abs=0.02)


def test_cooldown_rests_the_rule_after_its_play():
    pl = playlist(rules=[{"id": "r", "when": {"faces": ">= 1"}, "play": "offer", "cooldown": "1m"}])
    clock = Clock(pl)
    clock.run(lambda t: aud(1), MON + dt.timedelta(minutes=10))
    starts = [t for t, _ in clock.plays("r")]
    assert len(starts) >= 8
    for a, b in zip(starts, starts[1:]):
        assert (b - (a + dt.timedelta(seconds=10))).total_seconds() >= 60
    assert len(clock.plays(None)) > len(starts)  # the loop filled the gaps


def test_rule_hourly_cap():
    pl = playlist(rules=[{"id": "r", "when": {"faces": ">= 1"}, "play": "offer", "max_per_hour": 3}])
    clock = Clock(pl)
    clock.run(lambda t: aud(1), MON + dt.timedelta(hours=3))
    starts = [t for t, _ in clock.plays("r")]
    for s in starts:
        assert sum(1 for x in starts if s <= x < s + dt.timedelta(hours=1)) <= 3
    assert len(starts) == 9


def test_creative_hourly_cap_applies_to_the_loop_too():
    pl = playlist(creatives=[
        {"id": "a", "type": "text", "headline": "A", "duration": 10, "max_per_hour": 2},
        {"id": "b", "type": "text", "headline": "B", "duration": 10},
    ], loop=["a", "b"])
    clock = Clock(pl)
    clock.run(lambda t: aud(0), MON + dt.timedelta(minutes=30))
    assert sum(d.creative == "a" for _, d in clock.log) == 2


def test_interrupt_waits_for_min_play():
    pl = playlist(
        creatives=[{"id": "a", "type": "text", "headline": "A", "duration": 30},
                   {"id": "offer", "type": "text", "headline": "O", "duration": 10}],
        loop=["a"],
        rules=[{"id": "r", "when": {"faces": ">= 1"}, "play": "offer", "interrupt": True, "min_play": "5s"}],
        recheck=0.5,
    )
    e = PlaylistEngine(pl)
    playing = NowPlaying("a", None, MON, MON + dt.timedelta(seconds=30))
    d = e.decide(aud(1), MON + dt.timedelta(seconds=2), [PlayRecord("a", None, MON)], playing)
    assert d.action == "continue" and d.check_at <= MON + dt.timedelta(seconds=2.5)
    d = e.decide(aud(1), MON + dt.timedelta(seconds=5), [PlayRecord("a", None, MON)], playing)
    assert (d.action, d.creative, d.rule) == ("interrupt", "offer", "r")


def test_non_interrupting_rule_waits_for_the_end():
    pl = playlist(rules=[{"id": "r", "when": {"faces": ">= 1"}, "play": "offer"}])
    e = PlaylistEngine(pl)
    playing = NowPlaying("a", None, MON, MON + dt.timedelta(seconds=10))
    d = e.decide(aud(1), MON + dt.timedelta(seconds=6), [PlayRecord("a", None, MON)], playing)
    assert d.action == "continue" and d.check_at == playing.ends
    d = e.decide(aud(1), playing.ends, [PlayRecord("a", None, MON, playing.ends)], playing)
    assert (d.action, d.creative) == ("play", "offer")


def test_interrupt_needs_higher_priority_than_what_plays():
    pl = playlist(rules=[
        {"id": "big", "when": {"faces": ">= 1"}, "play": "offer", "priority": 5},
        {"id": "small", "when": {"faces": ">= 1"}, "play": "other", "priority": 5, "interrupt": True, "min_play": 0},
    ])
    e = PlaylistEngine(pl)
    playing = NowPlaying("offer", "big", MON, MON + dt.timedelta(seconds=10))
    d = e.decide(aud(1), MON + dt.timedelta(seconds=5), [PlayRecord("offer", "big", MON)], playing)
    assert d.action == "continue"


def test_rule_with_several_creatives_takes_them_in_turn():
    pl = playlist(rules=[{"id": "r", "when": {"faces": ">= 1"}, "play": ["offer", "other"]}])
    clock = Clock(pl)
    clock.run(lambda t: aud(1), MON + dt.timedelta(seconds=60))
    assert [d.creative for _, d in clock.log] == ["offer", "other"] * 3


def test_campaign_dates_bound_everything():
    pl = playlist(campaign={"from": "2026-12-01", "to": "2026-12-24"})
    e = PlaylistEngine(pl)
    assert e.decide(aud(0), MON).action == "idle"
    assert e.decide(aud(0), dt.datetime(2026, 12, 24, 23, 59)).action == "play"
    assert e.decide(aud(0), dt.datetime(2026, 12, 25, 0, 0)).action == "idle"


def test_creative_schedule_is_skipped_in_the_loop():
    pl = playlist(creatives=[
        {"id": "a", "type": "text", "headline": "A", "duration": 10, "schedule": {"days": "weekend"}},
        {"id": "b", "type": "text", "headline": "B", "duration": 10},
    ], loop=["a", "b"])
    log = Clock(pl).run(lambda t: aud(0), MON + dt.timedelta(seconds=30))
    assert {d.creative for _, d in log} == {"b"}


def test_rule_schedule_and_daypart():
    pl = playlist(
        dayparts={"lunch": {"from": "11:30", "to": "14:00"}},
        rules=[{"id": "r", "when": {"daypart": "lunch"}, "play": "offer"},
               {"id": "s", "when": {"faces": ">= 1"}, "play": "other", "schedule": {"days": "weekend"}}],
    )
    e = PlaylistEngine(pl)
    assert e.decide(aud(1), MON).creative == "a"
    assert e.decide(aud(1), MON.replace(hour=12)).rule == "r"


def test_disabled_rule_never_fires():
    pl = playlist(rules=[{"id": "r", "when": {"faces": ">= 0"}, "play": "offer", "enabled": False}])
    assert PlaylistEngine(pl).decide(aud(1), MON).rule is None


def test_camera_off_runs_the_schedule_without_audience_rules():
    pl = playlist(rules=[
        {"id": "aud", "when": {"faces": ">= 0"}, "play": "offer", "priority": 9},
        {"id": "off", "when": {"camera": "off"}, "play": "other"},
    ])
    e = PlaylistEngine(pl)
    assert e.decide(None, MON).rule == "off"
    assert e.decide(aud(0), MON).rule == "aud"


def test_idle_when_nothing_is_eligible_then_resumes():
    pl = playlist(creatives=[{"id": "a", "type": "text", "headline": "A", "schedule": {"time": {"from": "12:00", "to": "13:00"}}}], loop=["a"])
    e = PlaylistEngine(pl)
    d = e.decide(aud(0), MON)
    assert d.action == "idle" and d.creative is None and d.check_at > MON
    assert e.decide(aud(0), MON.replace(hour=12)).creative == "a"


def test_timezone_converts_an_aware_clock():
    pl = playlist(timezone="Asia/Tokyo", rules=[{"id": "r", "when": {"time": {"from": "19:00", "to": "20:00"}}, "play": "offer"}])
    utc10 = dt.datetime(2026, 11, 23, 10, 30, tzinfo=dt.timezone.utc)  # 19:30 in Tokyo
    assert PlaylistEngine(pl).decide(aud(0), utc10).rule == "r"
    assert PlaylistEngine(pl).decide(aud(0), utc10.replace(hour=12)).rule is None


def test_video_duration_and_defaults():
    pl = playlist(defaults={"duration": "7s"}, creatives=[{"id": "a", "type": "text", "headline": "A"}], loop=["a"])
    assert PlaylistEngine(pl).decide(aud(0), MON).duration == 7.0


def test_same_inputs_same_decision():
    pl = playlist(rules=[
        {"id": "x", "when": {"faces": ">= 1"}, "play": "offer"},
        {"id": "y", "when": {"faces": ">= 1"}, "play": "other"},
    ])
    a = Clock(pl, seed=3).run(lambda t: aud(1), MON + dt.timedelta(minutes=5))
    b = Clock(pl, seed=3).run(lambda t: aud(1), MON + dt.timedelta(minutes=5))
    assert [(t, d.creative) for t, d in a] == [(t, d.creative) for t, d in b]


def test_check_at_bounds_the_next_call():
    pl = playlist(rules=[{"id": "r", "when": {"faces": ">= 3"}, "play": "offer", "interrupt": True}], recheck="2s")
    d = PlaylistEngine(pl).decide(aud(0), MON)
    assert d.check_at == MON + dt.timedelta(seconds=2)
    pl = playlist()
    d = PlaylistEngine(pl).decide(aud(0), MON)
    assert d.check_at == MON + dt.timedelta(seconds=10)  # no interrupting rule: at the end
