"""The player's real-time decisions on a simulated clock, with the real demo playlist."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest

from signage.director import Director, Idle, Play, Show
from signage.playlist.loader import load_playlist, parse_playlist
from signage.values import AudienceSnapshot

ROOT = Path(__file__).resolve().parent.parent
DEMO = ROOT / "playlists" / "demo.yaml"
T0 = dt.datetime(2026, 11, 23, 9, 0, tzinfo=dt.timezone.utc)
SMILING = AudienceSnapshot(t=0, faces=2, measured=2, watchers=1, attention_ratio=0.5, smile_ratio=1.0, passers_by=2)


class Run:
    """Steps a Director like the render loop does (every 1/30 s), recording what it orders."""

    def __init__(self, director: Director) -> None:
        self.d = director
        self.now = T0
        self.orders: list[tuple[dt.datetime, object]] = []
        self.ended: list[Play] = []
        self.started: list[Play] = []
        director.listeners.ended.append(self.ended.append)
        director.listeners.started.append(self.started.append)

    def until(self, seconds: float, audience: AudienceSnapshot | None = None, fps: float = 30.0) -> None:
        end = self.now + dt.timedelta(seconds=seconds)
        while self.now < end:
            order = self.d.step(self.now, audience)
            if order is not None:
                self.orders.append((self.now, order))
            self.now += dt.timedelta(seconds=1 / fps)

    def shown(self) -> list[str]:
        return [o.spec.id for _, o in self.orders if isinstance(o, Show)]


@pytest.fixture(scope="module")
def demo():
    return load_playlist(DEMO)


def test_the_loop_plays_in_order_for_its_durations(demo):
    run = Run(Director(demo))
    run.until(40)
    assert run.shown()[:5] == ["welcome", "coffee-of-the-day", "promo", "pastry", "welcome"]
    starts = [t for t, o in run.orders]
    gaps = [(b - a).total_seconds() for a, b in zip(starts, starts[1:])]
    assert gaps[:4] == pytest.approx([8, 10, 6, 8], abs=1 / 30 + 1e-6)  # promo: the video's own 6 s
    assert [p.outcome for p in run.ended[:4]] == ["completed"] * 4
    assert all(p.rule is None and p.reason == "default loop" for p in run.ended)
    e = run.ended[0]
    assert (e.end - e.start).total_seconds() == pytest.approx(8, abs=0.05) and e.playlist == "Café Lumière (demo)"


def test_a_smiling_audience_interrupts_after_min_play(demo):
    run = Run(Director(demo))
    run.until(1)  # welcome starts
    run.until(5, SMILING)
    assert run.shown()[:2] == ["welcome", "smile-offer"]
    cut_at = run.orders[1][0]
    assert 3.0 <= (cut_at - T0).total_seconds() <= 3.0 + 1.1  # min_play 3 s, recheck 1 s
    assert run.ended[0].creative == "welcome" and run.ended[0].outcome == "interrupted"
    assert run.started[1].rule == "smile-offer" and "smile" in run.started[1].reason
    # cooldown: still smiling after the offer, it does not fire again within 5 minutes
    run.until(60, SMILING)
    assert run.shown().count("smile-offer") == 1


def test_no_audience_means_no_audience_rules(demo):
    run = Run(Director(demo))
    run.until(120, None)  # camera off or not measuring
    assert "smile-offer" not in run.shown() and "group-offer" not in run.shown()


def test_a_creative_that_fails_is_skipped_and_recorded(demo):
    director = Director(demo, retry_after_error_s=0.5)
    run = Run(director)
    run.until(1)
    director.failed("welcome", "file vanished", run.now)
    assert run.ended[-1].outcome == "error" and run.ended[-1].creative == "welcome"
    run.until(1)
    assert run.shown()[:2] == ["welcome", "coffee-of-the-day"]  # the loop moved on
    assert director.stats.errors == 1


def test_upcoming_predicts_the_next_creative_once_before_the_end(demo):
    director = Director(demo, preload_s=1.5)
    run = Run(director)
    run.until(6)  # welcome plays 8 s
    assert director.upcoming(run.now, None) is None
    run.until(0.6)
    spec = director.upcoming(run.now, None)
    assert spec is not None and spec.id == "coffee-of-the-day" and spec.path.endswith("coffee-of-the-day.png")
    assert director.upcoming(run.now, None) is None  # once per play
    run.until(2)
    assert run.shown()[1] == "coffee-of-the-day"


def test_a_new_playlist_is_taken_at_the_next_decision(demo, tmp_path):
    director = Director(demo)
    run = Run(director)
    run.until(2)
    text = DEMO.read_text().replace("loop: [welcome, coffee-of-the-day, promo, pastry]", "loop: [pastry, come-in]")
    director.set_playlist(parse_playlist(text, DEMO))
    run.until(8)
    assert run.shown()[:2] == ["welcome", "pastry"]  # welcome finished its 8 s first
    assert run.ended[0].outcome == "completed"


def test_a_new_playlist_without_the_creative_on_screen_switches_at_once(demo):
    director = Director(demo)
    run = Run(director)
    run.until(2)
    text = DEMO.read_text().replace("loop: [welcome, coffee-of-the-day, promo, pastry]", "loop: [pastry]")
    text, removed = re.subn(r"  - \{id: welcome, type: image,[^}]*\}\n", "", text)  # the creative on screen
    assert removed == 1
    director.set_playlist(parse_playlist(text, DEMO))
    run.until(0.1)
    assert run.shown() == ["welcome", "pastry"]
    # proof of play: welcome was cut short (2 of its 8 s), not completed
    assert run.ended[0].creative == "welcome" and run.ended[0].outcome == "interrupted"
    run.until(30)
    assert all(e.outcome == "completed" for e in run.ended[1:])  # the next ones are whole again


def test_idle_when_nothing_is_eligible(tmp_path):
    text = DEMO.read_text().replace("name: Café Lumière (demo)", "name: over\ncampaign: {from: 2020-01-01, to: 2020-12-31}")
    run = Run(Director(parse_playlist(text, DEMO)))
    run.until(3)
    assert len(run.orders) == 1 and isinstance(run.orders[0][1], Idle) and "nothing is eligible" in run.orders[0][1].reason


def test_history_stays_bounded_over_days(demo):
    director = Director(demo)
    run = Run(director)
    run.until(30 * 3600, fps=0.25)
    assert len(director.history) < 2000
    assert director.stats.plays > 10000
