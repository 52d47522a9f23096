"""The SQLite store on real files: WAL, schema versions, writes, retention purge, corrupt files."""

import logging
import sqlite3

import pytest

from signage.analytics.aggregate import AudienceTotals, MinuteTotals
from signage.analytics.dbfile import StoreError
from signage.analytics.migrations import SCHEMA_VERSION
from signage.analytics.readonly import connect_readonly
from signage.analytics.rows import PlayRow
from signage.analytics.store import AnalyticsStore, open_store

DAY = 86400.0
NOW = 1_800_000_000.0


def play(play_id, start, creative="c", end=None, outcome="completed", **audience):
    return PlayRow(play_id, creative, None, "default loop", start, end or start + 10, outcome, 10.0,
                   audience=AudienceTotals(**audience))  # fmt: skip


def rows(path, sql):
    conn = sqlite3.connect(path)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


def test_wal_mode_and_schema_version(tmp_path):
    path = tmp_path / "sub" / "a.db"  # the folder is created
    AnalyticsStore(path).close()
    assert rows(path, "PRAGMA journal_mode") == [("wal",)]
    assert rows(path, "SELECT version FROM schema_version ORDER BY version") == [(v,) for v in range(1, SCHEMA_VERSION + 1)]
    AnalyticsStore(path).close()  # reopening migrates nothing twice
    assert rows(path, "SELECT version FROM schema_version ORDER BY version") == [(v,) for v in range(1, SCHEMA_VERSION + 1)]
def test_a_version_1_database_is_upgraded_in_place_keeping_its_rows(tmp_path):
    from signage.analytics.migrations import MIGRATIONS

    path = tmp_path / "old.db"
    conn = sqlite3.connect(path)
    conn.executescript(MIGRATIONS[0])
    conn.execute("CREATE TABLE schema_version (version INTEGER PRIMARY KEY, applied_utc TEXT NOT NULL)")
    conn.execute("INSERT INTO schema_version VALUES (1, 'then')")
    conn.execute("INSERT INTO plays (play_id, creative_id, start_ts, end_ts, outcome, face_s) "
                 "VALUES ('p1', 'A', 10, 20, 'completed', 4.5)")
    conn.commit()
    conn.close()
    AnalyticsStore(path).close()
    assert rows(path, "SELECT play_id, face_s, impressions, arrivals FROM plays") == [("p1", 4.5, 0, 0)]
    assert rows(path, "SELECT MAX(version) FROM schema_version") == [(SCHEMA_VERSION,)]


def test_a_newer_schema_is_refused_not_touched(tmp_path):
    path = tmp_path / "a.db"
    AnalyticsStore(path).close()
    conn = sqlite3.connect(path)
    conn.execute("INSERT INTO schema_version VALUES (99, 'later')")
    conn.commit()
    conn.close()
    with pytest.raises(StoreError) as e:
        open_store(path)
    assert e.value.kind == "newer" and "99" in str(e.value)
    assert path.exists() and not list(tmp_path.glob("*.corrupt-*"))


def test_play_rows_and_generated_columns(tmp_path):
    store = AnalyticsStore(tmp_path / "a.db")
    p = PlayRow("p1", "promo", "smiles", "rule smiles", NOW, NOW + 12.5, "interrupted", 15.0, "demo", "sha:1",
                AudienceTotals(12.5, 40, 10.0, 20.0, 5.0, 16.0, 4.0, 0.0, 3, 6))  # fmt: skip
    store.write([p])
    store.close()
    conn = sqlite3.connect(tmp_path / "a.db")
    conn.row_factory = sqlite3.Row
    r = dict(conn.execute("SELECT * FROM plays").fetchone())
    assert r["rule_id"] == "smiles" and r["outcome"] == "interrupted" and r["playlist_version"] == "sha:1"
    assert r["duration_s"] == 12.5 and r["start_utc"] == "2027-01-15T08:00:00.000Z"
    assert r["end_utc"] == "2027-01-15T08:00:12.500Z"
    assert r["mean_faces"] == 2.0 and r["attention_ratio"] == 0.25 and r["smile_ratio"] == 0.25
    assert r["max_faces"] == 3 and r["passers_by"] == 6


def test_outcome_is_checked():
    with pytest.raises(ValueError, match="outcome"):
        play("p", NOW, outcome="played")


def test_minute_parts_add_up(tmp_path):
    store = AnalyticsStore(tmp_path / "a.db")
    m = int(NOW // 60 * 60)
    store.write(minutes=[MinuteTotals(m, AudienceTotals(span_s=20, samples=5, camera_on_s=20, face_s=20, max_faces=1))])
    store.write(minutes=[MinuteTotals(m, AudienceTotals(span_s=40, samples=9, camera_on_s=30, face_s=90, max_faces=4))])
    store.close()
    [(span, samples, on, faces, mx, mean, frac)] = rows(
        tmp_path / "a.db",
        "SELECT span_s, samples, camera_on_s, face_s, max_faces, mean_faces, camera_on_fraction FROM audience_minutes",
    )
    assert (span, samples, on, faces, mx) == (60, 14, 50, 110, 4)
    assert mean == pytest.approx(110 / 50) and frac == pytest.approx(50 / 60)


def test_retention_purge_keeps_only_recent_rows(tmp_path):
    """Invariant 6: aggregates older than the retention period are deleted."""
    store = AnalyticsStore(tmp_path / "a.db")
    ages = {"d40": 40, "d31": 31, "d30+1s": 30 + 1 / DAY, "d29": 29, "d1": 1, "now": 0}
    store.write(
        [play(k, NOW - a * DAY) for k, a in ages.items()],
        [MinuteTotals(int(NOW - a * DAY), AudienceTotals(span_s=60, samples=1, camera_on_s=60)) for a in ages.values()],
    )
    assert store.purge(NOW, retention_days=30) == (3, 3)
    store.close()
    assert sorted(r[0] for r in rows(tmp_path / "a.db", "SELECT play_id FROM plays")) == ["d1", "d29", "now"]
    kept = sorted(r[0] for r in rows(tmp_path / "a.db", "SELECT minute_ts FROM audience_minutes"))
    assert kept == sorted(int(NOW - a * DAY) for a in (29, 1, 0))


@pytest.mark.parametrize("damage", ["garbage", "header"])
def test_corrupt_file_is_moved_aside_and_a_fresh_one_created(tmp_path, caplog, damage):
    path = tmp_path / "a.db"
    if damage == "garbage":
        path.write_bytes(b"this is not a database\n" * 200)
    else:
        store = AnalyticsStore(path)
        store.write([play("old", NOW)])
        store.close()
        data = bytearray(path.read_bytes())
        data[:16] = b"NOT SQLITE AT AL"
        path.write_bytes(bytes(data))
    before = path.read_bytes()
    with caplog.at_level(logging.ERROR, logger="signage.analytics"):
        store = open_store(path)
    store.write([play("new", NOW)])
    store.close()
    [aside] = list(tmp_path.glob("a.db.corrupt-*"))
    assert aside.read_bytes() == before  # nothing already stored is lost
    assert rows(path, "SELECT play_id FROM plays") == [("new",)]
    [msg] = [r.getMessage() for r in caplog.records]
    assert "not a database" in msg and str(aside) in msg and "fresh" in msg


def test_readonly_connection_for_reports(tmp_path):
    with pytest.raises(FileNotFoundError):
        connect_readonly(tmp_path / "missing.db")
    assert not (tmp_path / "missing.db").exists()
    other = tmp_path / "other.db"
    sqlite3.connect(other).execute("CREATE TABLE t (x)").connection.close()
    with pytest.raises(StoreError, match="not a signage analytics database"):
        connect_readonly(other)
    AnalyticsStore(tmp_path / "a.db").close()
    conn = connect_readonly(tmp_path / "a.db")
    with pytest.raises(sqlite3.OperationalError, match="readonly"):
        conn.execute("DELETE FROM plays")
