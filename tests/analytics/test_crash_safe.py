"""Crash-safe proof of play on real SQLite files: open rows, checkpoints, recovery after a
real SIGKILL, the report's crash line, the upgrade of a schema-1 database in place."""

import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

from signage.analytics import AnalyticsWriter
from signage.analytics.crashes import crash_text
from signage.analytics.facts import load_history
from signage.analytics.report import build_report
from signage.analytics.crashes import crash_losses
from signage.analytics.migrations import MIGRATIONS, SCHEMA_VERSION
from signage.analytics.readonly import connect_readonly
from signage.analytics.rows import PLAYING, PlayRow
from signage.analytics.store import AnalyticsStore
from signage.config import AnalyticsConfig
from signage.values import AudienceSnapshot
from test_writer import query  # the same folder (pytest puts it on the path)

T0 = 1_800_000_000.0  # a whole minute
ROOT = Path(__file__).resolve().parents[2]


def feed(w, start, seconds, faces=1, fps=10):
    for k in range(int(seconds * fps) + 1):
        t = start + k / fps
        w.audience(AudienceSnapshot(t=t, faces=faces, measured=faces, watchers=faces), now=t)


# -- the writer: open rows and checkpoints ---------------------------------------------------


def test_a_play_is_on_record_open_before_its_first_frame_and_checkpointed(tmp_path):
    path = tmp_path / "a.db"
    w = AnalyticsWriter(AnalyticsConfig(db_path=str(path), checkpoint_s=5.0))
    h = w.play_started("long", planned_s=60.0, now=T0)
    deadline = time.monotonic() + 30
    while not w.on_record(h, now=T0):  # the open row is committed: the screen may show it
        assert time.monotonic() < deadline, "the open row was never committed"
        time.sleep(0.01)
    [row] = query(path, "SELECT outcome, start_ts, end_ts FROM plays")
    assert row == {"outcome": PLAYING, "start_ts": T0, "end_ts": T0}
    w.play_on_screen(h, now=T0 + 0.05)  # its first frame, a moment later
    feed(w, T0 + 0.05, 12.0, faces=2)  # checkpoints at +5.05 and +10.05 s
    assert w.flush(now=T0 + 12.05)
    [row] = query(path, "SELECT outcome, start_ts, end_ts, face_s FROM plays")
    assert row["outcome"] == PLAYING and row["start_ts"] == pytest.approx(T0 + 0.05)
    assert row["end_ts"] == pytest.approx(T0 + 10.05) and row["face_s"] == pytest.approx(2 * 10.0, abs=0.3)
    [minute] = query(path, "SELECT face_s, checkpoint_ts FROM audience_minutes")
    assert minute["checkpoint_ts"] == pytest.approx(T0 + 12.05) and minute["face_s"] == pytest.approx(24.0, abs=0.3)
    w.play_ended(h, "completed", now=T0 + 60.05)
    w.close(now=T0 + 60.05)
    [row] = query(path, "SELECT outcome, end_ts FROM plays")
    assert row == {"outcome": "completed", "end_ts": pytest.approx(T0 + 60.05)}
    assert w.stats.checkpoints >= 3 and w.stats.plays_written == 1


def test_a_checkpoint_and_a_transition_are_one_transaction_each(tmp_path):
    path = tmp_path / "a.db"
    w = AnalyticsWriter(AnalyticsConfig(db_path=str(path), checkpoint_s=5.0))
    feed(w, T0, 0.0)
    a = w.play_started("a", now=T0)
    assert w.flush(now=T0)
    commits = w.stats.commits
    w.play_ended(a, now=T0 + 2)  # the end of a and the start of b, as the director does them
    w.play_started("b", now=T0 + 2)
    assert w.flush(now=T0 + 2)
    assert w.stats.commits == commits + 1
    w.close(now=T0 + 3)


def test_on_record_waits_for_the_commit_but_never_longer_than_start_wait_s(tmp_path, monkeypatch):
    entered, release = threading.Event(), threading.Event()
    original = AnalyticsStore.write

    def held(store, plays=(), minutes=(), at=None):
        entered.set()
        assert release.wait(60)
        return original(store, plays, minutes, at)

    monkeypatch.setattr(AnalyticsStore, "write", held)
    w = AnalyticsWriter(AnalyticsConfig(db_path=str(tmp_path / "a.db"), start_wait_s=1.0))
    h = w.play_started("x", now=T0)
    assert entered.wait(60)  # the writer is inside the write of the open row, held there
    assert w.on_record(h, now=T0 + 0.5) is False  # not committed yet: the screen waits
    assert w.on_record(h, now=T0 + 1.0) is True  # waited start_wait_s: the screen goes on anyway
    release.set()
    deadline = time.monotonic() + 30
    while not w.on_record(h, now=T0):
        assert time.monotonic() < deadline
        time.sleep(0.01)
    w.close(now=T0 + 2)


def test_recovery_closes_open_rows_as_crashed_once_and_keeps_this_runs_own(tmp_path):
    path = tmp_path / "a.db"
    store = AnalyticsStore(path)
    store.write([PlayRow("left-open", "long", None, "", T0, T0 + 45.0, PLAYING, 60.0)])
    store.close()
    w = AnalyticsWriter(AnalyticsConfig(db_path=str(path)), clock=lambda: T0 + 100)
    h = w.play_started("next", now=T0 + 100)
    assert w.flush(now=T0 + 100)
    assert w.stats.recovered == 1
    rows = {r["play_id"]: r for r in query(path, "SELECT * FROM plays")}
    crashed = rows.pop("left-open")
    assert (crashed["outcome"], crashed["end_ts"], crashed["recovered_ts"]) == ("crashed", T0 + 45.0, T0 + 100)
    [own] = rows.values()
    assert own["outcome"] == PLAYING  # this run's open play is not taken for a crash
    w.play_ended(h, now=T0 + 102)
    w.close(now=T0 + 102)
    conn = connect_readonly(path)
    losses = crash_losses(conn, None, T0 + 200)
    plays, minutes = load_history(conn, None, T0 + 200)
    conn.close()
    assert (losses.plays, losses.on_record_s, losses.lost_at_most_s, losses.open_now) == (1, 45.0, 15.0, 0)
    report = build_report(plays, minutes, None, T0 + 200)
    assert report.total.crashed == 1 and report.total.plays == 2 and report.total.screen_time_s == 47.0
    assert "1 plays cut short by a crash" in crash_text(losses) and "at most 15 s" in crash_text(losses)


def test_a_play_still_on_screen_is_not_in_the_report_yet(tmp_path):
    path = tmp_path / "a.db"
    store = AnalyticsStore(path)
    store.write([PlayRow("done", "a", None, "", T0, T0 + 5, "completed"), PlayRow("now", "b", None, "", T0 + 5, T0 + 9, PLAYING)])
    store.close()
    conn = connect_readonly(path)
    plays, _ = load_history(conn, None, T0 + 60)
    losses = crash_losses(conn, None, T0 + 60)
    conn.close()
    assert [p.creative_id for p in plays] == ["a"] and losses.open_now == 1
    assert "1 open" in crash_text(losses)
    assert crash_text(type(losses)()) == ""  # no crash, nothing open: no line


CHILD = textwrap.dedent("""
    import sys, time
    from signage.analytics import AnalyticsWriter
    from signage.config import AnalyticsConfig
    from signage.values import AudienceSnapshot
    w = AnalyticsWriter(AnalyticsConfig(db_path=sys.argv[1], checkpoint_s=0.5))
    h = w.play_started("long", planned_s=60.0)
    w.play_on_screen(h)
    while True:  # a play on screen with one person in front, until killed
        t = time.time()
        w.audience(AudienceSnapshot(t=t, faces=1, measured=1, watchers=1), now=t)
        time.sleep(0.02)
""")


def test_after_a_real_sigkill_the_next_start_closes_the_play_as_crashed_at_its_last_checkpoint(tmp_path):
    path = tmp_path / "a.db"
    child = subprocess.Popen([sys.executable, "-c", CHILD, str(path)], env=dict(os.environ, PYTHONPATH=str(ROOT)))
    try:
        deadline = time.monotonic() + 60
        seen = []
        while len(seen) < 3:  # three checkpoints on record, whatever the speed
            assert time.monotonic() < deadline and child.poll() is None, "no checkpoints from the child"
            try:
                rows = query(path, "SELECT end_ts FROM plays") if path.exists() else []
            except sqlite3.OperationalError:  # not created yet
                rows = []
            if rows and (not seen or rows[0]["end_ts"] > seen[-1]):
                seen.append(rows[0]["end_ts"])
            time.sleep(0.05)
        killed_at = time.time()
        child.send_signal(signal.SIGKILL)
        child.wait(30)
    finally:
        if child.poll() is None:
            child.kill()
    assert query(path, "PRAGMA integrity_check") == [{"integrity_check": "ok"}]
    [open_row] = query(path, "SELECT outcome, end_ts, face_s FROM plays")
    [minute_before] = query(path, "SELECT face_s, checkpoint_ts FROM audience_minutes ORDER BY minute_ts DESC LIMIT 1")
    assert open_row["outcome"] == PLAYING and open_row["end_ts"] >= seen[-1]
    w = AnalyticsWriter(AnalyticsConfig(db_path=str(path)))
    assert w.flush()
    w.close()
    [row] = query(path, "SELECT outcome, end_ts, recovered_ts, face_s FROM plays")
    assert row["outcome"] == "crashed" and row["end_ts"] == open_row["end_ts"] and row["recovered_ts"] >= killed_at
    assert row["face_s"] == open_row["face_s"] > 0  # the audience up to the last checkpoint is kept
    [minute] = query(path, "SELECT face_s, checkpoint_ts FROM audience_minutes ORDER BY minute_ts DESC LIMIT 1")
    assert minute == minute_before  # what was checkpointed of the minute stays
    assert killed_at - open_row["end_ts"] < 10.0  # what the kill lost: since the last checkpoint


# -- the schema: one migration, an existing database upgraded in place ------------------------


def test_a_schema_1_database_is_upgraded_in_place(tmp_path):
    path = tmp_path / "old.db"
    conn = sqlite3.connect(path)  # what the previous release created: 4 KiB pages, migration 0 only
    conn.execute("PRAGMA journal_mode=WAL")
    for statement in MIGRATIONS[0].split(";"):
        if statement.strip():
            conn.execute(statement)
    conn.execute("CREATE TABLE schema_version (version INTEGER PRIMARY KEY, applied_utc TEXT NOT NULL)")
    conn.execute("INSERT INTO schema_version VALUES (1, '2026-11-01T00:00:00Z')")
    conn.execute("INSERT INTO plays (play_id, creative_id, start_ts, end_ts, outcome, face_s) VALUES ('p', 'c', ?, ?, 'completed', 3.0)",
                 (T0, T0 + 10))  # fmt: skip
    conn.execute("INSERT INTO audience_minutes (minute_ts, span_s, face_s) VALUES (?, 60, 7.0)", (int(T0),))
    conn.commit()
    with pytest.raises(sqlite3.IntegrityError):
        conn.execute("INSERT INTO plays (play_id, creative_id, start_ts, end_ts, outcome) VALUES ('x', 'c', 0, 0, 'crashed')")
    conn.close()

    store = AnalyticsStore(path)
    store.write([PlayRow("q", "c", None, "", T0 + 20, T0 + 20, PLAYING)])
    assert [c.creative_id for c in store.recover(T0 + 30)] == ["c"]
    store.close()
    assert query(path, "SELECT version FROM schema_version ORDER BY version") == [{"version": v} for v in range(1, SCHEMA_VERSION + 1)]
    assert query(path, "SELECT play_id, outcome, face_s, duration_s FROM plays ORDER BY start_ts") == [
        {"play_id": "p", "outcome": "completed", "face_s": 3.0, "duration_s": 10.0},
        {"play_id": "q", "outcome": "crashed", "face_s": 0.0, "duration_s": 0.0}]  # fmt: skip
    assert query(path, "SELECT face_s, checkpoint_ts FROM audience_minutes") == [{"face_s": 7.0, "checkpoint_ts": None}]
    assert query(path, "PRAGMA integrity_check") == [{"integrity_check": "ok"}]
    assert query(path, "PRAGMA page_size") == [{"page_size": 4096}]  # an existing file keeps its pages
    with pytest.raises(sqlite3.IntegrityError):  # the widened constraint still refuses nonsense
        AnalyticsStore(path).conn.execute(
            "INSERT INTO plays (play_id, creative_id, start_ts, end_ts, outcome) VALUES ('y', 'c', 0, 0, 'played')")
    conn = connect_readonly(path)  # reports read it
    conn.close()


def test_a_new_database_uses_small_pages_and_synced_commits(tmp_path):
    store = AnalyticsStore(tmp_path / "new.db")
    pragmas = {p: store.conn.execute(f"PRAGMA {p}").fetchone()[0]
               for p in ("page_size", "journal_mode", "synchronous", "journal_size_limit")}  # fmt: skip
    store.close()
    assert pragmas == {"page_size": 1024, "journal_mode": "wal", "synchronous": 2, "journal_size_limit": 1024 * 1024}
