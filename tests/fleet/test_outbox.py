"""The fleet outbox (signage/fleet/outbox.py) and its rows -> messages mapping (records.py), on a
real analytics database written by the real AnalyticsStore. No broker here: test_agent.py
drains the outbox through a real Mosquitto."""

from __future__ import annotations

import logging
import sqlite3

import pytest

from signage.analytics.aggregate import AudienceTotals, MinuteTotals
from signage.analytics.rows import PlayRow
from signage.analytics.store import AnalyticsStore
from signage.fleet import messages as m
from signage.fleet.outbox import Outbox, default_path
from signage.fleet.records import MINUTE_GRACE_S

T0 = 1_800_000_000.0  # a whole minute


class Clock:
    def __init__(self, t: float) -> None:
        self.t = t

    def __call__(self) -> float:
        return self.t


def _play(pid: str, start: float, outcome: str = "completed", people: int = 5, **kw) -> PlayRow:
    aud = AudienceTotals(span_s=10, samples=40, camera_on_s=10, face_s=20, watcher_s=8, measured_s=18, smile_s=6,
                         surprise_s=1, max_faces=3, impressions=people, arrivals=people, viewers=2)
    return PlayRow(pid, "promo", "smiles", "rule smiles", start, start + 10, outcome, 10.0, "demo", "sha:1", aud, **kw)


def _minute(ts: int, people: int = 4) -> MinuteTotals:
    return MinuteTotals(ts, AudienceTotals(span_s=60, samples=200, camera_on_s=60, face_s=90, measured_s=80,
                                           smile_s=30, surprise_s=4, arrivals=people, impressions=people))


@pytest.fixture
def db(tmp_path):
    store = AnalyticsStore(tmp_path / "analytics.db")
    yield store
    store.close()


@pytest.fixture
def clock():
    return Clock(T0 + 3600)


@pytest.fixture
def outbox(tmp_path, clock):
    box = Outbox(tmp_path / "fleet-outbox.db", "s1", max_backlog=1000, clock=clock)
    yield box
    box.close()


def _waiting(box: Outbox) -> dict[str, m._Msg]:
    return {r.key: m.parse(r.kind, r.payload) for r in box.next_records(10_000)}


def test_closed_plays_and_minutes_become_documented_messages(db, outbox):
    db.write([_play("a", T0), _play("b", T0 + 20, "crashed")], [_minute(int(T0)), _minute(int(T0) + 60)], at=T0 + 130)
    assert outbox.scan(db.path) == 4
    got = _waiting(outbox)
    assert set(got) == {"a", "b", f"s1:{int(T0)}", f"s1:{int(T0) + 60}"}
    a = got["a"]
    assert isinstance(a, m.Play) and a.screen == "s1" and a.outcome == "completed" and a.content_version == "sha:1"
    assert (a.start_ts, a.end_ts, a.rule_id, a.audience.impressions, a.audience.smile_s) == (T0, T0 + 10, "smiles", 5, 6)
    assert got["b"].outcome == "crashed"
    minute = got[f"s1:{int(T0)}"]
    assert isinstance(minute, m.Minute) and minute.minute_ts == int(T0) and minute.span_s == 60
    assert minute.audience.smile_s == 30 and minute.audience.arrivals == 4


def test_small_groups_expression_figures_never_reach_the_outbox(db, outbox):
    db.write([_play("two", T0, people=2)], [_minute(int(T0), people=1)], at=T0 + 200)
    outbox.scan(db.path)
    for msg in _waiting(outbox).values():
        assert msg.audience.smile_s is None and msg.audience.surprise_s is None
        assert msg.audience.face_s > 0  # the other aggregates go
    raw = sqlite3.connect(outbox.path).execute("SELECT payload FROM outbox").fetchall()
    assert all(b'"smile_s":null' in p[0] for p in raw)


def test_an_open_play_waits_until_it_is_closed(db, outbox):
    db.write([_play("open", T0, "playing"), _play("later", T0 + 30)], at=T0 + 40)
    outbox.scan(db.path)
    assert set(_waiting(outbox)) == {"later"}
    db.recover(T0 + 100)  # the next start closes it as crashed
    assert outbox.scan(db.path) == 1
    assert _waiting(outbox)["open"].outcome == "crashed"


def test_the_current_minute_waits_until_nothing_more_can_be_added(db, outbox, clock):
    clock.t = T0 + 30
    db.write(minutes=[_minute(int(T0))], at=T0 + 30)  # a checkpoint half way through the minute
    assert outbox.scan(db.path) == 0
    db.write(minutes=[_minute(int(T0))], at=T0 + 60)  # the checkpoint at its end: final
    assert outbox.scan(db.path) == 1
    assert _waiting(outbox)[f"s1:{int(T0)}"].audience.samples == 400
    # the player stopped during a minute: it goes once the grace has passed
    db.write(minutes=[_minute(int(T0) + 120)], at=T0 + 150)
    clock.t = T0 + 180 + MINUTE_GRACE_S - 1
    assert outbox.scan(db.path) == 0
    clock.t += 2
    assert outbox.scan(db.path) == 1


def test_a_rescan_never_adds_a_record_twice(db, outbox):
    db.write([_play(f"p{i}", T0 + 20 * i) for i in range(5)], [_minute(int(T0))], at=T0 + 200)
    assert outbox.scan(db.path) == 6
    for _ in range(3):
        assert outbox.scan(db.path) == 0
    outbox.mark_sent("p0")
    assert outbox.scan(db.path) == 0  # a sent one is not added again either
    fresh = Outbox(outbox.path, "s1", 1000, clock=outbox._clock)  # a restart: the marks are kept
    assert fresh.scan(db.path) == 0 and fresh.waiting() == 5
    fresh.close()


def test_marked_sent_only_by_an_acknowledgement_and_drained_in_order(db, outbox):
    db.write([_play(f"p{i}", T0 + 20 * i) for i in range(4)], at=T0 + 200)
    outbox.scan(db.path)
    assert [r.key for r in outbox.next_records(10)] == ["p0", "p1", "p2", "p3"]
    assert [r.key for r in outbox.next_records(2, exclude={"p0"})] == ["p1", "p2"]
    assert outbox.mark_sent("p1") and not outbox.mark_sent("p1") and not outbox.mark_sent("nope")
    assert [r.key for r in outbox.next_records(10)] == ["p0", "p2", "p3"] and outbox.waiting() == 3


def test_bounded_oldest_minutes_dropped_first_plays_never(tmp_path, db, clock, caplog):
    box = Outbox(tmp_path / "small.db", "s1", max_backlog=10, clock=clock)
    db.write([_play(f"p{i}", T0 + 20 * i) for i in range(4)], [_minute(int(T0) + 60 * i) for i in range(12)],
             at=T0 + 3000)
    with caplog.at_level(logging.WARNING, "signage.fleet"):
        box.scan(db.path)
    keys = [r.key for r in box.next_records(100)]
    assert len(keys) == 10 and all(f"p{i}" in keys for i in range(4))
    assert [k for k in keys if ":" in k] == [f"s1:{int(T0) + 60 * i}" for i in range(6, 12)]  # the newest kept
    assert box.dropped_minutes == 6 and "dropped the 6 oldest minute aggregates" in caplog.text
    # only plays over the bound: all kept, and the log says so
    db.write([_play(f"q{i}", T0 + 1000 + 20 * i) for i in range(10)], at=T0 + 3000)
    with caplog.at_level(logging.WARNING, "signage.fleet"):
        box.scan(db.path)
    keys = [r.key for r in box.next_records(100)]
    assert sum(1 for k in keys if ":" not in k) == 14 and not any(":" in k for k in keys)
    assert "plays are never dropped" in caplog.text
    box.close()


def test_no_analytics_database_yet_is_nothing_to_send(tmp_path, outbox):
    assert outbox.scan(tmp_path / "none.db") == 0 and not (tmp_path / "none.db").exists()


def test_a_row_the_contract_cannot_carry_is_logged_not_sent(db, outbox, caplog):
    db.write([_play("neg", T0), _play("ok", T0 + 20)], at=T0 + 100)
    db.conn.execute("UPDATE plays SET face_s = -1 WHERE play_id = 'neg'")  # no real writer does this
    with caplog.at_level(logging.ERROR, "signage.fleet"):
        assert outbox.scan(db.path) == 1
    assert outbox.refused == 1 and "play neg cannot be sent" in caplog.text


def test_purge_and_forget_sent(db, outbox, clock):
    db.write([_play("a", T0), _play("b", T0 + 20)], at=T0 + 100)
    outbox.scan(db.path)
    outbox.mark_sent("a")
    clock.t += 2 * 86400
    assert outbox.forget_sent() == 1 and outbox.waiting() == 1
    assert outbox.purge(clock.t) == 1 and outbox.waiting() == 0


def test_default_path_is_beside_the_analytics_database():
    assert str(default_path("/var/lib/signage/analytics.db")) == "/var/lib/signage/fleet-outbox.db"
