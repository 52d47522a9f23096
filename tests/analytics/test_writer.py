"""AnalyticsWriter on real SQLite files: its thread, what it writes, and how it survives failures."""

import logging
import sqlite3
import threading
import time

import pytest

from signage.analytics import AnalyticsWriter
from signage.analytics import write_queue
from signage.analytics.store import AnalyticsStore
from signage.config import AnalyticsConfig
from signage.values import AudienceSnapshot

T0 = 1_800_000_000.0  # a whole minute (epoch seconds, UTC)
DAY = 86400.0


def config(path, **kw):
    return AnalyticsConfig(db_path=str(path), **kw)


def query(path, sql, args=()):
    conn = sqlite3.connect(path)
    conn.row_factory = sqlite3.Row
    try:
        return [dict(r) for r in conn.execute(sql, args)]
    finally:
        conn.close()


class FakeClock:
    def __init__(self, t):
        self.t = t

    def __call__(self):
        return self.t


def play_with_audience(w, creative, start, seconds, faces, watchers, smile=0.0, rule=None, fps=30):
    pid = w.play_started(creative, rule_id=rule, reason=f"rule {rule}" if rule else "default loop",
                         planned_s=seconds, playlist="demo", playlist_version="v1", now=start)  # fmt: skip
    n = int(seconds * fps)
    for k in range(n):
        t = start + k / fps
        w.audience(AudienceSnapshot(t=t, faces=faces, measured=faces, watchers=watchers, smile_ratio=smile), now=t)
    w.play_ended(pid, "completed", now=start + seconds)
    return pid


def test_plays_and_minutes_are_written_with_their_aggregates(tmp_path):
    path = tmp_path / "a.db"
    w = AnalyticsWriter(config(path))
    play_with_audience(w, "welcome", T0, 30.0, faces=2, watchers=1, smile=0.5)
    play_with_audience(w, "promo", T0 + 30, 45.0, faces=4, watchers=4, smile=0.25, rule="crowd")
    w.close(now=T0 + 75)
    plays = query(path, "SELECT * FROM plays ORDER BY start_ts")
    assert [(p["creative_id"], p["rule_id"], p["outcome"]) for p in plays] == [
        ("welcome", None, "completed"), ("promo", "crowd", "completed")]  # fmt: skip
    a, b = plays
    assert a["samples"] == 900 and b["samples"] == 1350
    assert a["duration_s"] == 30 and a["camera_on_s"] == pytest.approx(30)
    assert a["watcher_s"] == pytest.approx(30) and b["watcher_s"] == pytest.approx(180)  # attention seconds
    assert a["mean_faces"] == pytest.approx(2) and b["max_faces"] == 4
    assert a["attention_ratio"] == pytest.approx(0.5) and b["attention_ratio"] == pytest.approx(1.0)
    assert a["smile_ratio"] == pytest.approx(0.5) and b["smile_ratio"] == pytest.approx(0.25)
    assert (a["playlist"], a["playlist_version"], a["planned_s"]) == ("demo", "v1", 30.0)
    minutes = query(path, "SELECT * FROM audience_minutes ORDER BY minute_ts")
    assert [m["minute_ts"] for m in minutes] == [T0, T0 + 60]
    first, second = minutes
    # minute 1: 30 s of 2 faces then 30 s of 4; minute 2: 15 s of 4 faces
    assert first["face_s"] == pytest.approx(30 * 2 + 30 * 4) and first["camera_on_fraction"] == pytest.approx(1)
    assert second["face_s"] == pytest.approx(15 * 4) and second["span_s"] == pytest.approx(15)
    assert sum(m["watcher_s"] for m in minutes) == pytest.approx(a["watcher_s"] + b["watcher_s"])
    assert query(path, "PRAGMA journal_mode") == [{"journal_mode": "wal"}]


def test_a_camera_that_stops_delivering_counts_as_off_after_the_hold(tmp_path):
    path = tmp_path / "a.db"
    with AnalyticsWriter(config(path, sample_hold_s=2.0)) as w:
        pid = w.play_started("promo", now=T0)
        last = None
        for k in range(300):  # 10 s of frames; sensing froze after 5 s
            now = T0 + k / 30
            if now < T0 + 5:
                last = AudienceSnapshot(t=now, faces=2, measured=2, watchers=2)
            w.audience(last, now=now)  # the render loop hands over the latest snapshot it has
        w.play_ended(pid, now=T0 + 10)
        # the next play starts 1 s after the last fresh snapshot arrived: it still counts for 1 s
        pid = w.play_started("next", now=T0 + 6)
        w.play_ended(pid, now=T0 + 8)
    a, b = query(path, "SELECT camera_on_s, face_s, samples FROM plays ORDER BY start_ts")
    last_fresh = T0 + 149 / 30
    assert a["camera_on_s"] == pytest.approx(last_fresh + 2 - T0) and a["samples"] == 150
    assert a["face_s"] == pytest.approx(2 * a["camera_on_s"])
    assert b["camera_on_s"] == pytest.approx(last_fresh + 2 - (T0 + 6)) and b["samples"] == 0


def test_close_drains_many_calls_and_is_idempotent(tmp_path):
    path = tmp_path / "a.db"
    w = AnalyticsWriter(config(path))
    t = T0
    for i in range(200):
        pid = w.play_started(f"c{i % 7}", now=t)
        for _ in range(10):
            w.audience(AudienceSnapshot(t=t, faces=1, measured=1, watchers=1), now=t)
            t += 0.1
        w.play_ended(pid, now=t)
    open_pid = w.play_started("last", now=t)
    w.close(now=t + 5)
    w.close()
    assert w.stats.state == "closed" and w.stats.plays_written == 201 and w.stats.dropped == 0
    assert query(path, "SELECT COUNT(*) AS n FROM plays") == [{"n": 201}]
    [last] = query(path, "SELECT outcome, duration_s FROM plays WHERE play_id = ?", (open_pid,))
    assert last == {"outcome": "interrupted", "duration_s": 5.0}  # still on screen at close
    # after close: calls are harmless no-ops
    w.audience(AudienceSnapshot(t=0), now=t)
    w.play_ended(w.play_started("x", now=t), now=t)
    assert w.flush() is False
    assert query(path, "SELECT COUNT(*) AS n FROM plays") == [{"n": 201}]


def test_the_callers_own_keys_may_repeat_across_restarts(tmp_path):
    path = tmp_path / "a.db"
    for run in range(2):  # the player numbers its plays from 1 at each start
        with AnalyticsWriter(config(path)) as w:
            assert w.play_started("promo", key=1, now=T0 + 100 * run) == 1
            w.play_ended(1, now=T0 + 100 * run + 10)
            w.play_ended(1, now=T0 + 100 * run + 20)  # ended twice: ignored
    plays = query(path, "SELECT play_id, duration_s FROM plays")
    assert len({p["play_id"] for p in plays}) == 2 and [p["duration_s"] for p in plays] == [10, 10]


def test_skipped_and_error_outcomes(tmp_path):
    path = tmp_path / "a.db"
    with AnalyticsWriter(config(path)) as w:
        w.play_ended(w.play_started("broken.png", now=T0), "skipped", now=T0)
        w.play_ended(w.play_started("bad.mp4", now=T0 + 1), "error", now=T0 + 1.5)
        with pytest.raises(ValueError):
            w.play_ended(w.play_started("x", now=T0 + 2), "played", now=T0 + 3)
    outcomes = [r["outcome"] for r in query(path, "SELECT outcome FROM plays ORDER BY start_ts")]
    assert outcomes == ["skipped", "error", "interrupted"]  # the refused end left x open: closed by close()


def test_retention_purge_at_start_and_daily(tmp_path):
    """Invariant 6 with the writer: old rows go at start, and again a day later."""
    path = tmp_path / "a.db"
    clock = FakeClock(T0)
    w = AnalyticsWriter(config(path, retention_days=30), clock=clock)
    for age_days in (45, 31, 29.5, 10):
        start = T0 - age_days * DAY
        play_with_audience(w, f"aged-{age_days}", start, 1.0, faces=1, watchers=1, fps=5)
    assert w.flush(now=T0 - 10 * DAY + 1)
    w.close()
    # a new writer (a player restart) purges at start
    clock.t = T0
    w = AnalyticsWriter(config(path, retention_days=30), clock=clock)
    assert w.flush()
    assert [r["creative_id"] for r in query(path, "SELECT creative_id FROM plays ORDER BY start_ts")] == [
        "aged-29.5", "aged-10"]  # fmt: skip
    assert len(query(path, "SELECT minute_ts FROM audience_minutes")) == 2
    # a day later, still running: the daily purge removes what has aged past 30 days since
    clock.t = T0 + 1 * DAY
    assert w.flush()
    assert [r["creative_id"] for r in query(path, "SELECT creative_id FROM plays")] == ["aged-10"]
    assert w.stats.plays_purged == 3 and w.stats.minutes_purged == 3
    w.close()


def wait_until(done, what: str, timeout: float = 30.0) -> None:
    """Poll a condition; the timeout is generous, only a broken feature reaches it."""
    t_end = time.monotonic() + timeout
    while not done():
        assert time.monotonic() < t_end, f"timed out waiting for {what}"
        time.sleep(0.01)


def test_locked_database_is_retried_and_logged_once(tmp_path, caplog):
    path = tmp_path / "a.db"
    w = AnalyticsWriter(config(path, busy_timeout_s=0.02, retry_max_s=0.1))
    assert w.flush()
    blocker = sqlite3.connect(path, isolation_level=None)
    blocker.execute("BEGIN EXCLUSIVE")  # another process holds the write lock
    with caplog.at_level(logging.INFO, logger="signage.analytics"):
        pid = w.play_started("promo", now=T0)
        for k in range(300):
            w.audience(AudienceSnapshot(t=k, faces=1, measured=1, watchers=1), now=T0 + k / 30)
        w.play_ended(pid, now=T0 + 10)
        assert w.flush(timeout=0.5) is False  # not written while locked
        wait_until(lambda: w.stats.retries >= 3, "the writer to retry")  # several retries, one message
        assert w.stats.state == "retrying"
        blocker.execute("ROLLBACK")
        blocker.close()
        assert w.flush(timeout=30)
        w.close()
    assert [r["creative_id"] for r in query(path, "SELECT creative_id FROM plays")] == ["promo"]
    messages = [r.getMessage() for r in caplog.records]
    assert sum("cannot write" in m and "locked" in m for m in messages) == 1  # logged once, not per retry
    assert sum("writable again" in m for m in messages) == 1


def test_the_caller_never_waits_on_the_writer(tmp_path, monkeypatch):
    """With the writer thread held inside a database write (as by a slow disk) and the queue
    overflowing, every call of the render loop still returns: none waits on the writer."""
    held = HeldWrites(monkeypatch)
    w = AnalyticsWriter(config(tmp_path / "a.db", queue_size=10))
    one_play(w, 0)
    held.wait_entered(1)

    def render_loop():
        for i in range(1, 40):
            pid = w.play_started(f"c{i}", now=T0 + i)
            for k in range(30):
                w.audience(AudienceSnapshot(t=i + k / 30, faces=1, measured=1, watchers=1), now=T0 + i + k / 30)
            w.play_ended(pid, now=T0 + i + 1)

    caller = threading.Thread(target=render_loop, daemon=True)
    caller.start()
    caller.join(60)
    done = not caller.is_alive()
    held.open()
    w.close(timeout=30)
    assert done, "a call of the render loop waited on the writer thread"
    # the held batch, then what a queue of 10 records holds (each play: its open row, its
    # checkpoint of the minute, its end); the rest was dropped
    assert 1 <= w.stats.plays_written <= 1 + 10 and w.stats.dropped >= 29


def test_unwritable_location_never_crashes_the_caller(tmp_path, caplog):
    not_a_folder = tmp_path / "file"
    not_a_folder.write_text("x")
    w = AnalyticsWriter(config(not_a_folder / "a.db", retry_max_s=0.05))
    with caplog.at_level(logging.WARNING, logger="signage.analytics"):
        play_with_audience(w, "promo", T0, 2.0, faces=1, watchers=1)
        pid = w.play_started("other", now=T0 + 2)
        closing = threading.Thread(target=w.close, kwargs={"timeout": 0.3, "now": T0 + 3}, daemon=True)
        closing.start()
        closing.join(60)  # close gives up (after 0.3 s, then 5 s at most for the thread); never hangs
        assert not closing.is_alive()
    assert w.stats.lost >= 2 and w.stats.plays_written == 0
    messages = [r.getMessage() for r in caplog.records]
    assert sum("cannot write" in m for m in messages) == 1
    assert any("records not written" in m for m in messages)
    assert pid


class HeldWrites:
    """Holds the writer thread inside each database write until the test lets one, or all,
    through: what is queued, taken and dropped is then decided by the test, not by speed."""

    def __init__(self, monkeypatch) -> None:
        self._cond = threading.Condition()
        self.entered = 0  # writes begun
        self._permits = 0
        self._open = False
        original = AnalyticsStore.write

        def write(store, plays, minutes, at=None):
            with self._cond:
                self.entered += 1
                self._cond.notify_all()
                if not self._cond.wait_for(lambda: self._open or self._permits > 0, timeout=60):
                    raise RuntimeError("the test never let this write through")
                if not self._open:
                    self._permits -= 1
            return original(store, plays, minutes, at)

        monkeypatch.setattr(AnalyticsStore, "write", write)

    def wait_entered(self, n: int) -> None:
        with self._cond:
            assert self._cond.wait_for(lambda: self.entered >= n, timeout=60), (self.entered, n)

    def let_one(self) -> None:
        with self._cond:
            self._permits += 1
            self._cond.notify_all()

    def open(self) -> None:
        with self._cond:
            self._open = True
            self._cond.notify_all()


def one_play(w, i):
    w.play_ended(w.play_started(f"c{i}", now=T0 + i), now=T0 + i + 1)


def test_full_queue_drops_and_counts_and_logs_once_while_it_drains_slowly(tmp_path, caplog, monkeypatch):
    """Each play is two records (its open row, and its end, queued with the next play's start):
    counts below are records."""
    path = tmp_path / "a.db"
    monkeypatch.setattr(write_queue, "_BATCH", 1)  # the writer takes one record per write: a slow drain
    held = HeldWrites(monkeypatch)
    w = AnalyticsWriter(config(path, queue_size=10))
    with caplog.at_level(logging.INFO, logger="signage.analytics"):
        one_play(w, 0)
        held.wait_entered(1)  # the writer holds play 0's open row inside its write; the queue is empty
        for i in range(1, 40):
            one_play(w, i)
        assert w.stats.dropped == 39 * 2 - 10  # 10 queued, the rest dropped and counted
        # It drains slowly: each write frees one slot, which the next record takes; the ones
        # after are dropped. The same episode: no "accepting again", no second warning.
        n = 40
        for k in range(5):
            held.let_one()
            held.wait_entered(k + 2)  # the writer took one record off the full queue
            one_play(w, n)
            one_play(w, n + 1)
            n += 2
        assert w.stats.dropped == 68 + 5 * 3
        held.open()
        deadline = time.monotonic() + 60
        while w.pending():  # drained (the last end, held back, must find room)
            assert time.monotonic() < deadline, "the queue never drained"
            time.sleep(0.01)
        assert w.flush(timeout=30)
        one_play(w, n)  # accepted at once: the queue has drained
        n += 1
        w.close(timeout=30)
    assert query(path, "SELECT outcome FROM plays WHERE creative_id = ?", (f"c{n - 1}",)) == [{"outcome": "completed"}]
    assert w.stats.dropped == 83 and w.stats.lost == 0
    messages = [r.getMessage() for r in caplog.records]
    assert sum("queue full" in m for m in messages) == 1
    [recovered] = [m for m in messages if "accepting records again" in m]
    assert "83 dropped while it was full" in recovered


def test_a_queue_that_fills_again_after_draining_is_a_new_episode(tmp_path, caplog, monkeypatch):
    path = tmp_path / "a.db"
    held = HeldWrites(monkeypatch)
    w = AnalyticsWriter(config(path, queue_size=10))
    with caplog.at_level(logging.INFO, logger="signage.analytics"):
        for episode in range(2):
            first = w.play_started(f"c{100 * episode}", now=T0 + 100 * episode)
            held.wait_entered(3 * episode + 1)  # held inside the write of its open row, the queue empty
            w.play_ended(first, now=T0 + 100 * episode + 1)
            for i in range(1, 13):
                one_play(w, 100 * episode + i)  # 24 records: 10 queued, 14 dropped, the last end held back
            held.let_one()  # the next write takes all 10 (one batch): drained
            held.wait_entered(3 * episode + 2)
            held.let_one()
            held.let_one()  # and the flush's write: the last end
            assert w.flush(timeout=30)
        held.open()
        w.close(timeout=30)
    messages = [r.getMessage() for r in caplog.records]
    assert sum("queue full" in m for m in messages) == 2
    assert [m.split(": ")[-1] for m in messages if "accepting records again" in m] == [
        "14 dropped while it was full (14 since start)", "14 dropped while it was full (28 since start)"]
    # per episode: the first play and 4 whole plays, the open row of a 5th whose end was dropped,
    # and the end of the 12th whose open row was dropped
    assert query(path, "SELECT outcome, COUNT(*) AS n FROM plays GROUP BY 1 ORDER BY 1") == [
        {"outcome": "completed", "n": 12}, {"outcome": "playing", "n": 2}]
    assert w.stats.dropped == 28


def test_database_corrupted_while_running_is_moved_aside_and_writing_goes_on(tmp_path):
    path = tmp_path / "a.db"
    w = AnalyticsWriter(config(path))
    for i in range(1500):
        w.play_ended(w.play_started("old" * 30, reason="x" * 200, now=T0 + i), now=T0 + i + 1)
    assert w.flush()
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    data = bytearray(path.read_bytes())
    data[8192:-4096] = bytes(range(256)) * ((len(data) - 8192 - 4096) // 256)  # smash the table's pages
    path.write_bytes(bytes(data))
    for i in range(300):
        w.play_ended(w.play_started("new", now=T0 + 5000 + i), now=T0 + 5001 + i)
    assert w.flush(timeout=5)
    w.close()
    assert w.stats.moved_aside == 1
    [aside] = tmp_path.glob("a.db.corrupt-*")
    assert aside.stat().st_size == len(data)
    assert query(path, "SELECT creative_id, COUNT(*) AS n FROM plays GROUP BY 1") == [{"creative_id": "new", "n": 300}]


def test_disabled_writer_does_nothing(tmp_path):
    w = AnalyticsWriter(config(tmp_path / "a.db", enabled=False))
    w.audience(AudienceSnapshot(t=0, faces=1), now=T0)
    w.play_ended(w.play_started("x", now=T0), now=T0 + 1)
    w.close()
    assert w.stats.state == "disabled" and not (tmp_path / "a.db").exists()
    assert "signage-analytics" not in [t.name for t in threading.enumerate()]
