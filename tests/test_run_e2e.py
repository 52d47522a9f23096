"""`signage run` end to end, as a real process: a real video as the camera, real sensing,
the real screen (SDL dummy driver), proof of play checked in the real SQLite file."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from media import write_shop_window_clip
from signage.analytics.rows import PlayRow
from signage.analytics.store import open_store

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


class Running:
    """``signage run`` as a process whose log is read as it comes (``--headless`` unless told)."""

    def __init__(self, *args, env_extra=None, headless=True) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith("SIGNAGE_")}
        env.update(env_extra or {})
        self.proc = subprocess.Popen([sys.executable, "-m", "signage.cli", "run", *map(str, args)]
                                     + (["--headless"] if headless else []),
                                     cwd=ROOT, env=env, stderr=subprocess.PIPE, text=True)
        self.lines: list[str] = []
        self._seen = 0
        self._reader = threading.Thread(target=lambda: self.lines.extend(self.proc.stderr), daemon=True)
        self._reader.start()

    def said(self, text: str, timeout=120) -> None:
        """Wait until the log says ``text`` after what was waited for before (counted, however slow)."""
        deadline = time.monotonic() + timeout  # generous: only a player that never says it reaches it
        while not any(text in line for line in self.lines[self._seen:]):
            assert self.proc.poll() is None, f"the player stopped before saying {text!r}:\n" + "".join(self.lines[-30:])
            assert time.monotonic() < deadline, f"the player did not say {text!r}:\n" + "".join(self.lines[-30:])
            time.sleep(0.05)
        self._seen = next(i for i in range(self._seen, len(self.lines)) if text in self.lines[i]) + 1

    def said_all(self, *texts: str, timeout=120) -> None:
        """Wait until the log says each of ``texts``, in any order, after what was waited for before."""
        deadline = time.monotonic() + timeout
        while not all(any(t in line for line in self.lines[self._seen:]) for t in texts):
            assert self.proc.poll() is None, f"the player stopped before saying {texts!r}:\n" + "".join(self.lines[-30:])
            assert time.monotonic() < deadline, f"the player did not say {texts!r}:\n" + "".join(self.lines[-30:])
            time.sleep(0.05)
        self._seen = max(next(i for i in range(self._seen, len(self.lines)) if t in self.lines[i]) for t in texts) + 1

    def stop(self) -> tuple[int, str]:
        """SIGTERM; the exit code and the whole log."""
        try:
            if self.proc.poll() is None:
                self.proc.send_signal(signal.SIGTERM)
            self.proc.wait(60)
        finally:
            if self.proc.poll() is None:
                self.proc.kill()
                self.proc.wait()
        self._reader.join(30)
        return self.proc.returncode, "".join(self.lines)


def run_until(*args, says: list[str], env_extra=None, timeout=120) -> tuple[int, str]:
    """``signage run`` until its log has said each of ``says`` in turn, then SIGTERM; its exit
    code and log."""
    player = Running(*args, env_extra=env_extra)
    try:
        for text in says:
            player.said(text, timeout)
    finally:
        returncode, err = player.stop()
    return returncode, err


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
    # Not before the face (4 s into the clip): the plays before saw nobody, but the last one,
    # which saw the face that made the rule fire. (How soon after the face it fires
    # depends on how fast this machine analyses frames, so it is not timed.)
    before = [r for r in rows if r["start_ts"] < hello["start_ts"]]
    assert before and all(r["rule_id"] is None for r in before) and first in before
    # never before a face was seen: the plays up to the first one with a face saw nobody (on a
    # loaded machine the audience may go stale for a while after that play, so the rule can
    # take a later slot than the next one: not timed)
    seen = next(i for i, r in enumerate(before) if r["max_faces"] >= 1)
    assert all(r["max_faces"] == 0 for r in before[:seen])
    assert before[-1]["max_faces"] >= 1, before[-1]
    # The face cut that play short; or, on a busy machine, it was first measured in the play's
    # last moments, after the last interrupt check, and the rule took the very next slot.
    last = before[-1]
    if last["outcome"] == "interrupted":
        assert "interrupting with hello" in p.stderr
    else:
        assert last["outcome"] == "completed" and hello["start_ts"] - last["end_ts"] < 0.5, (last, hello)
    assert hello["max_faces"] >= 1 and hello["face_s"] > 0
    # people counted by sensing for each play's own label (the player marks it): the performer, in
    # view for about 4 s of the clip, is an impression of some play and arrives once or more
    assert sum(r["impressions"] for r in rows) >= 1 and sum(r["arrivals"] for r in rows) >= 1, rows
    assert all(r["impressions"] == 0 and r["arrivals"] == 0 for r in before[:seen])  # nobody yet
    assert hello["reason"].startswith("rule someone-here (priority 10): faces >= 1")
    # the loop played in order around it, every row with its audience aggregates only
    assert [r["creative_id"] for r in before][:2] == ["a", "b"][:len(before[:2])]
    # the log says what plays and why
    assert ("interrupting with hello" in p.stderr or "playing hello" in p.stderr) and "rule someone-here" in p.stderr


def test_sigterm_stops_cleanly_and_nothing_is_lost(tmp_path, camera_clip):
    pl = tmp_path / "p.yaml"
    pl.write_text(PLAYLIST)
    db = tmp_path / "a.db"
    env = {k: v for k, v in os.environ.items() if not k.startswith("SIGNAGE_")}
    # a, b, then a again on screen: then SIGTERM
    returncode, err = run_until(pl, "--camera", "off", "--db", db,
                                says=["screen: a (text) on", "screen: b (image) on", "screen: a (text) on"])
    assert returncode == 0, err[-3000:]
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
    returncode, err = run_until(pl, "--camera", "off", "--db", db, says=["screen: a (text) on"],
                                env_extra={"SIGNAGE_ANALYTICS__RETENTION_DAYS": "30"})
    assert returncode == 0, err[-3000:]
    assert "retention purge deleted 1 plays" in err
    ids = [r["play_id"] for r in plays(db)]
    assert "old" not in ids and "recent" in ids and len(ids) >= 2


def test_an_invalid_playlist_at_start_falls_back_to_the_demo(tmp_path):
    pl = tmp_path / "p.yaml"
    pl.write_text(PLAYLIST.replace("faces:", "facez:"))
    db = tmp_path / "a.db"
    returncode, err = run_until(pl, "--camera", "off", "--db", db, says=["playing the bundled demo until", ") on, "])
    assert returncode == 0, err[-3000:]
    assert "rules.0.when.facez (rule 'someone-here'): unknown field; did you mean 'faces'?" in err
    assert plays(db)[0]["playlist"] == "Café Lumière (demo)"


def test_an_explicit_playlist_that_does_not_exist_plays_nothing(tmp_path):
    db = tmp_path / "a.db"
    p = run(tmp_path / "does-not-exist.yaml", "--camera", "off", "--db", db, duration=30)
    assert p.returncode == 1 and "Traceback" not in p.stderr
    assert f"signage run: {tmp_path / 'does-not-exist.yaml'}: no such playlist file (nothing played)" in p.stderr
    assert not db.exists()  # not a single demo play in the site's database


def test_camera_once_ends_with_a_clear_error_when_the_video_is_missing_or_unreadable(tmp_path):
    p = run("--camera", tmp_path / "gone.mp4", "--camera-once", "--db", tmp_path / "a.db")
    assert p.returncode == 2 and f"--camera-once: {tmp_path / 'gone.mp4'}: no such video file" in p.stderr
    broken = tmp_path / "broken.mp4"
    broken.write_bytes(b"\x00not a video\xff" * 500)
    p = run("--camera", broken, "--camera-once", "--db", tmp_path / "a.db")  # ends by itself: no --duration
    assert p.returncode == 2 and "Traceback" not in p.stderr
    assert f"--camera-once: {broken}: cannot be played" in p.stderr and "stopping" in p.stderr
    p = run("--camera", "0", "--camera-once", "--db", tmp_path / "a.db")
    assert p.returncode == 2 and "is a camera or a stream, which never ends" in p.stderr


KIOSK_ENV = {"SIGNAGE_PLAYER__DEMO_FALLBACK": "false", "SIGNAGE_NOTICE__CONTROLLER": "Boulangerie Martin",
             "SIGNAGE_NOTICE__CONTACT": "dpo@martin.example", "SIGNAGE_NOTICE__URL": "https://martin.example/p",
             "SIGNAGE_PLAYER__WATCH_INTERVAL_S": "0.2"}


def test_a_kiosk_with_no_playlist_shows_the_slate_records_nothing_and_takes_the_playlist_when_it_comes(tmp_path):
    from signage.health import read_status

    pl = tmp_path / "active" / "playlist.yaml"  # the admin service's link, before anything is uploaded
    status = tmp_path / "status.json"
    db = tmp_path / "a.db"
    env = {**KIOSK_ENV, "SIGNAGE_PLAYER__PLAYLIST": str(pl), "SIGNAGE_HEALTH__STATUS_FILE": str(status)}
    player = Running("--camera", "off", "--db", db, env_extra=env)
    try:
        player.said("showing the 'no playlist' slate until")
        player.said("screen: idle slate 'No playlist / This screen is waiting for its content.'")
        deadline = time.monotonic() + 120
        while not (status.exists() and read_status(status)[0].get("problems")):
            assert time.monotonic() < deadline, "no unhealthy status"
            time.sleep(0.1)
        doc, _ = read_status(status)
        assert doc["playlist"] == "(no playlist)" and doc["problems"] == [f"playlist: {pl}: file not found"]
        pl.parent.mkdir()
        pl.write_text(PLAYLIST)  # the first upload
        player.said("playlist 'e2e'")
        player.said_all("screen: a (text) on", "the 'no playlist' problem is over")  # in either order
        deadline = time.monotonic() + 120
        while read_status(status)[0].get("problems"):
            assert time.monotonic() < deadline, "still unhealthy with a playlist"
            time.sleep(0.1)
    finally:
        returncode, err = player.stop()
    assert returncode == 0, err[-3000:]
    assert err.count("the 'no playlist' problem is over") == 1  # said once, not on every frame after
    assert "Café Lumière" not in err and "demo" not in err.replace("demo_fallback", "")
    assert {r["playlist"] for r in plays(db)} == {"e2e"}  # the slate's time is no play


def test_a_kiosk_refuses_the_demo_cafe_in_its_notice(tmp_path):
    env = {k: v for k, v in KIOSK_ENV.items() if not k.startswith("SIGNAGE_NOTICE")}
    p = run("--camera", "off", "--db", tmp_path / "a.db", env_extra=env, duration=30)
    assert p.returncode == 2 and "Traceback" not in p.stderr
    assert "notice.controller is the demo café's sample 'Café Lumière'" in p.stderr and not (tmp_path / "a.db").exists()


def test_which_playlist_a_player_starts_with(tmp_path):
    from signage.run_options import DEMO_PLAYLIST, playlist_path
    from signage.config import Settings

    nowhere = {"data_dir": str(tmp_path / "no-admin")}  # no admin service's content folder (else: it is followed)
    dev, kiosk = Settings(admin=nowhere), Settings(admin=nowhere, player={"demo_fallback": False})
    assert playlist_path(dev, None) == DEMO_PLAYLIST  # a developer's ./run: the demo
    assert playlist_path(kiosk, None) is None  # a kiosk with nothing configured: nothing, the slate
    assert playlist_path(kiosk, "shop.yaml") == Path("shop.yaml")
    configured = Settings(player={"demo_fallback": False, "playlist": "/var/lib/signage/content/active/playlist.yaml"})
    assert playlist_path(configured, None) == Path("/var/lib/signage/content/active/playlist.yaml")
