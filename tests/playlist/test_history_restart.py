"""Caps and cooldowns across a restart: the history is rebuilt from proof of play in a real
SQLite database (signage/analytics/history.py), read-only, and seeded into the Director."""

from __future__ import annotations

import datetime as dt
import sqlite3

from signage.analytics.history import recent_plays
from signage.analytics.rows import PlayRow
from signage.analytics.store import AnalyticsStore
from signage.director import Director, Show
from signage.playlist.loader import parse_playlist

UTC = dt.timezone.utc
T0 = dt.datetime(2026, 11, 23, 9, 0, tzinfo=UTC)

PLAYLIST = """
name: restart
creatives:
  - {id: a, type: text, headline: A, duration: 10s}
  - {id: daily, type: text, headline: Daily, duration: 5m}
  - {id: capped, type: text, headline: Capped, duration: 10s}
loop: [a]
rules:
  - {id: daily, when: {camera: "off"}, play: daily, cooldown: 3h, priority: 2}
  - {id: capped, when: {camera: "off"}, play: capped, max_per_hour: 2, priority: 1}
"""


def loaded(tmp_path):
    f = tmp_path / "p.yaml"
    f.write_text(PLAYLIST)
    return parse_playlist(PLAYLIST, f)


def write(db, *plays):
    store = AnalyticsStore(db)
    try:
        store.write([PlayRow(f"p{i}", c, r, "", s.timestamp(), e.timestamp(), outcome)
                     for i, (c, r, s, e, outcome) in enumerate(plays)])
    finally:
        store.close()


def first_show(director, now):
    order = director.step(now, None)
    assert isinstance(order, Show)
    return order.play.rule


def test_a_restart_keeps_the_cooldown_and_the_cap(tmp_path):
    db = tmp_path / "analytics.db"
    m = dt.timedelta(minutes=1)
    write(db,
          ("daily", "daily", T0 - 130 * m, T0 - 125 * m, "completed"),  # 2 h ago: resting for 3 h from its end
          ("capped", "capped", T0 - 40 * m, T0 - 40 * m + dt.timedelta(seconds=10), "interrupted"),
          ("capped", "capped", T0 - 10 * m, T0 - 10 * m + dt.timedelta(seconds=10), "error"),
          ("capped", "capped", T0 - 5 * m, T0 - 5 * m, "skipped"),  # never on screen: does not count
          ("a", None, T0 - 2 * m, T0 - 2 * m + dt.timedelta(seconds=10), "completed"))
    fresh = Director(loaded(tmp_path))
    assert first_show(fresh, T0) == "daily"  # what every restart did before

    director = Director(loaded(tmp_path))
    past = recent_plays(db, T0.timestamp(), director.memory_s)
    assert [(p.creative_id, p.rule_id) for p in past] == [("daily", "daily"), ("capped", "capped"),
                                                         ("capped", "capped"), ("a", None)]
    assert director.seed(past) == 4
    assert first_show(director, T0) is None  # resting and capped: the loop plays
    # the cap frees itself 60 minutes after the first capped play, the cooldown 3 h after the end
    later = Director(loaded(tmp_path))
    later.seed(recent_plays(db, (T0 + 21 * m).timestamp(), later.memory_s))
    assert first_show(later, T0 + 21 * m) == "capped"
    last = Director(loaded(tmp_path))
    last.seed(recent_plays(db, (T0 + 55 * m).timestamp(), last.memory_s))
    assert first_show(last, T0 + 55 * m) == "daily"


def test_the_read_is_read_only_and_old_plays_are_left_out(tmp_path):
    db = tmp_path / "analytics.db"
    h = dt.timedelta(hours=1)
    write(db, ("capped", "capped", T0 - 5 * h, T0 - 5 * h + dt.timedelta(seconds=10), "completed"),
          ("a", None, T0 - 6 * h, T0 - 6 * h + dt.timedelta(seconds=10), "completed"))
    before = db.read_bytes()
    past = recent_plays(db, T0.timestamp(), 3600)
    assert db.read_bytes() == before
    # only the last loop play is kept from long ago (where the loop was)
    assert [(p.creative_id, p.rule_id) for p in past] == [("a", None)]


def test_no_database_or_a_broken_one_gives_no_history(tmp_path, caplog):
    assert recent_plays(tmp_path / "none.db", T0.timestamp(), 3600) == []
    bad = tmp_path / "bad.db"
    bad.write_bytes(b"this is not a database" * 100)
    assert recent_plays(bad, T0.timestamp(), 3600) == []
    assert "bad.db" in caplog.text and "start afresh" in caplog.text
    empty = tmp_path / "empty.db"
    sqlite3.connect(empty).close()  # a database with no plays table yet
    assert recent_plays(empty, T0.timestamp(), 3600) == []


def test_a_database_whose_tables_are_being_made_is_no_history_and_no_warning(tmp_path, caplog):
    """The player reads the recent plays while the writer is still making a new database's
    tables: no plays yet, said nowhere; a damaged file is still said."""
    import logging
    import sqlite3

    db = tmp_path / "analytics.db"
    sqlite3.connect(db).close()  # the file exists, no table yet
    with caplog.at_level(logging.WARNING, logger="signage.analytics.history"):
        assert recent_plays(db, T0.timestamp(), 3600) == []
    assert not caplog.records
    db.write_bytes(b"not a database at all" * 100)
    with caplog.at_level(logging.WARNING, logger="signage.analytics.history"):
        assert recent_plays(db, T0.timestamp(), 3600) == []
    assert "cannot read the recent plays" in caplog.text
