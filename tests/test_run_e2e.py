"""`signage run` end to end, as a real process: a real video as the camera, real sensing,
the real screen (SDL dummy driver), proof of play checked in the real SQLite file."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from media import write_shop_window_clip
from signage.analytics.store import PlayRow, open_store

ROOT = Path(__file__).resolve().parent.parent
NO_FACE_S = 4.0


@pytest.fixture(scope="module")
def camera_clip(tmp_path_factory) -> Path:
    """4 s of an empty scene (a photo of coffee, no face), then the sample clip (a face)."""
    return write_shop_window_clip(tmp_path_factory.mktemp("cam") / "shop-window.mp4", NO_FACE_S)


PLAYLIST = """\
name: e2e
defaults: {duration: 3s, transition: cut}
creatives:
  - {id: a, type: text, headline: Good morning}
  - {id: b, type: image, source: %s}
  - {id: hello, type: text, headline: Hello you, background: "#7a1f2b"}
loop: [a, b]
rules:
  - id: someone-here
    when: {faces: ">= 1"}
    play: hello
    priority: 10
    interrupt: true
    min_play: 0.5s
    cooldown: 1m
""" % (ROOT / "content" / "pastry.png")


def run(*args, duration=None, env_extra=None, timeout=120):
    env = {k: v for k, v in os.environ.items() if not k.startswith("SIGNAGE_")}
    env.update(env_extra or {})
    cmd = [sys.executable, "-m", "signage.cli", "run", *map(str, args), "--headless"]
    if duration is not None:
        cmd += ["--duration", str(duration)]
    return subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, env=env, timeout=timeout)


def plays(db: Path) -> list[dict]:
    con = sqlite3.connect(db)
    con.row_factory = sqlite3.Row
    try:
        return [dict(r) for r in con.execute("SELECT * FROM plays ORDER BY start_ts")]
    finally:
        con.close()


def test_a_rule_on_faces_fires_when_the_clip_shows_them_and_not_before(tmp_path, camera_clip):
    pl = tmp_path / "p.yaml"
    pl.write_text(PLAYLIST)
    db = tmp_path / "a.db"
    p = run(pl, "--camera", camera_clip, "--camera-once", "--db", db)  # the run lasts the clip (13 s)
    assert p.returncode == 0, p.stderr[-3000:]
    assert "the camera video has ended: stopping" in p.stderr
    rows = plays(db)
    assert rows, p.stderr[-3000:]
    first = rows[0]
    fired = [r for r in rows if r["rule_id"] == "someone-here"]
    assert fired, [(r["creative_id"], r["rule_id"]) for r in rows]
    hello = fired[0]
    waited = hello["start_ts"] - first["start_ts"]
    # the face appears 4 s into the clip, which starts after the first creative is on screen
    assert NO_FACE_S - 0.2 <= waited <= NO_FACE_S + 4.0, waited
    before = [r for r in rows if r["start_ts"] < hello["start_ts"]]
    assert before and all(r["rule_id"] is None for r in before)
    assert all(r["max_faces"] == 0 for r in before[:-1])  # nobody during the plays that ended before
    assert before[-1]["outcome"] == "interrupted" and hello["max_faces"] >= 1 and hello["face_s"] > 0
    assert hello["reason"].startswith("rule someone-here (priority 10): faces >= 1")
    # the loop played in order around it, every row with its audience aggregates only
    assert [r["creative_id"] for r in before][:2] == ["a", "b"][:len(before[:2])]
    # the log says what plays and why
    assert "interrupting with hello" in p.stderr and "rule someone-here" in p.stderr


def test_sigterm_stops_cleanly_and_nothing_is_lost(tmp_path, camera_clip):
    pl = tmp_path / "p.yaml"
    pl.write_text(PLAYLIST)
    db = tmp_path / "a.db"
    env = {k: v for k, v in os.environ.items() if not k.startswith("SIGNAGE_")}
    proc = subprocess.Popen([sys.executable, "-m", "signage.cli", "run", str(pl), "--camera", "off", "--headless",
                             "--db", str(db)], cwd=ROOT, env=env, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not (db.exists() and db.stat().st_size > 0):
            time.sleep(0.2)
        time.sleep(7)  # a, b, a
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err[-3000:]
    assert "SIGTERM: stopping" in err
    rows = plays(db)
    assert [r["creative_id"] for r in rows][:2] == ["a", "b"]
    assert rows[-1]["outcome"] == "interrupted"  # the play on screen when it stopped
    assert all(r["outcome"] == "completed" for r in rows[:-1])
    assert all(r["camera_on_s"] == 0 for r in rows)  # camera off: no audience at all
    assert "camera off by configuration" in err


def test_retention_purge_when_the_player_starts(tmp_path):
    db = tmp_path / "a.db"
    store = open_store(db)
    now = time.time()
    old = PlayRow("old", "a", None, "default loop", now - 40 * 86400, now - 40 * 86400 + 5, "completed")
    recent = PlayRow("recent", "a", None, "default loop", now - 2 * 86400, now - 2 * 86400 + 5, "completed")
    store.write(plays=[old, recent])
    store.close()
    pl = tmp_path / "p.yaml"
    pl.write_text(PLAYLIST)
    p = run(pl, "--camera", "off", "--db", db, duration=2, env_extra={"SIGNAGE_ANALYTICS__RETENTION_DAYS": "30"})
    assert p.returncode == 0, p.stderr[-3000:]
    ids = [r["play_id"] for r in plays(db)]
    assert "old" not in ids and "recent" in ids and len(ids) >= 2


def test_an_invalid_playlist_at_start_falls_back_to_the_demo(tmp_path):
    pl = tmp_path / "p.yaml"
    pl.write_text(PLAYLIST.replace("faces:", "facez:"))
    db = tmp_path / "a.db"
    p = run(pl, "--camera", "off", "--db", db, duration=2)
    assert p.returncode == 0, p.stderr[-3000:]
    assert "rules.0.when.facez (rule 'someone-here'): unknown field; did you mean 'faces'?" in p.stderr
    assert "playing the bundled demo until" in p.stderr
    assert plays(db)[0]["playlist"] == "Café Lumière (demo)"
