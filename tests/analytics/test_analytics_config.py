"""The analytics section of the configuration: defaults, strictness, and what its switches do."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from signage.analytics import AnalyticsWriter
from signage.config import ConfigError, load_settings
from signage.values import AudienceSnapshot

T0 = 1_800_000_030.0  # half a minute in


@pytest.fixture(autouse=True)
def clean_env(monkeypatch):
    import os

    for k in list(os.environ):
        if k.startswith("SIGNAGE_"):
            monkeypatch.delenv(k)


def test_defaults_and_sources(tmp_path, monkeypatch):
    a = load_settings().analytics
    assert (a.enabled, a.retention_days, a.minute_aggregates) == (True, 30, True)
    assert a.db_path == "~/.local/state/signage/analytics.db"
    f = tmp_path / "s.toml"
    f.write_text('[analytics]\ndb_path = "/var/lib/signage/a.db"\nretention_days = 90\n')
    monkeypatch.setenv("SIGNAGE_ANALYTICS__RETENTION_DAYS", "7")
    a = load_settings(f).analytics
    assert a.db_path == "/var/lib/signage/a.db" and a.retention_days == 7


def test_unknown_keys_and_bad_values_are_refused(tmp_path, monkeypatch):
    f = tmp_path / "s.toml"
    f.write_text("[analytics]\nretention = 30\nretention_days = 0\n")
    with pytest.raises(ConfigError) as e:
        load_settings(f)
    assert "analytics.retention: unknown key" in str(e.value)
    assert "analytics.retention_days: Input should be greater than or equal to 1" in str(e.value)
    monkeypatch.setenv("SIGNAGE_ANALYTICS__DB", "x.db")
    with pytest.raises(ConfigError, match="analytics.db: unknown key"):
        load_settings()


def feed(w, seconds, faces=1):
    for k in range(int(seconds * 10)):
        t = T0 + k / 10
        w.audience(AudienceSnapshot(t=t, faces=faces, measured=faces, watchers=faces), now=t)


def test_minute_aggregates_off_stores_plays_only(tmp_path):
    import sqlite3

    path = tmp_path / "a.db"
    cfg = load_settings(analytics={"db_path": str(path), "minute_aggregates": False}).analytics
    with AnalyticsWriter(cfg) as w:
        pid = w.play_started("promo", now=T0)
        feed(w, 90)
        w.play_ended(pid, now=T0 + 90)
    conn = sqlite3.connect(path)
    assert conn.execute("SELECT COUNT(*) FROM audience_minutes").fetchone() == (0,)
    assert conn.execute("SELECT COUNT(*), SUM(watcher_s) FROM plays").fetchone() == (1, pytest.approx(90.0))


def test_flushed_part_of_a_minute_and_its_rest_add_up(tmp_path):
    import sqlite3

    path = tmp_path / "a.db"
    with AnalyticsWriter(load_settings(analytics={"db_path": str(path)}).analytics) as w:
        feed(w, 20)
        assert w.flush(now=T0 + 20)  # the first 20 s of the minute starting at T0 - 30
        for k in range(200, 250):
            t = T0 + k / 10
            w.audience(AudienceSnapshot(t=t, faces=3, measured=3, watchers=0), now=t)
        w.close(now=T0 + 25)
    conn = sqlite3.connect(path)
    row = conn.execute("SELECT minute_ts, span_s, samples, face_s, max_faces FROM audience_minutes").fetchall()
    assert row == [(T0 - 30, pytest.approx(25.0), 250, pytest.approx(20 * 1 + 5 * 3), 3)]


@settings(max_examples=60, deadline=None)
@given(key=st.sampled_from(["CHECKPOINT_S", "START_WAIT_S", "SYNCHRONOUS"]),
       value=st.one_of(st.text(max_size=12), st.floats(allow_nan=True, allow_infinity=True).map(str)))
def test_crash_safety_settings_from_the_environment_are_refused_with_their_path_or_taken(key, value):
    import os

    if "\x00" in value:
        return  # an environment variable cannot hold a NUL
    old = os.environ.get(f"SIGNAGE_ANALYTICS__{key}")
    os.environ[f"SIGNAGE_ANALYTICS__{key}"] = value
    try:
        a = load_settings().analytics
    except ConfigError as e:
        assert f"analytics.{key.lower()}" in str(e)
    else:
        assert 0.5 <= a.checkpoint_s <= 60 and 0 <= a.start_wait_s <= 10 and a.synchronous in ("full", "normal")
    finally:
        if old is None:
            del os.environ[f"SIGNAGE_ANALYTICS__{key}"]
        else:
            os.environ[f"SIGNAGE_ANALYTICS__{key}"] = old


def test_crash_safety_defaults():
    a = load_settings().analytics
    assert (a.checkpoint_s, a.start_wait_s, a.synchronous) == (8.0, 1.0, "normal")
