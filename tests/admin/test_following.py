"""Truth about what plays: the API and the pages warn when the player does not play the
active version (another playlist, stopped, stale), and say what it plays instead; the
status in words (pure formatting); with default settings the player follows the admin."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from adminkit import csrf_of, good_bundle, start_server
from signage.admin.following import activation_message, judge
from signage.admin.wording import (audience_words, camera_words, creative_words, display_words, duration_words,
                                   human_status, no_paths, progress_words)
from signage.config import Settings

# ---------------------------------------------------------------------------- against a real server


def write_status(server, **doc) -> Path:
    path = Path(server.settings.admin.status_file)
    base = {"pid": os.getpid(), "uptime_s": 3 * 86400 + 4 * 3600 + 17, "release": "/opt/signage/releases/r42",
            "creative": "acme-hello", "rule": None, "reason": "loop", "playlist": "Acme",
            "camera": {"state": "on", "fps": 15.0, "reconnects": 0}, "audience": None, "problems": []}
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps({**base, **doc}))
    os.replace(tmp, path)
    return path


def poll_following(c, level: str, timeout: float = 60, beat=None) -> dict:
    deadline = time.monotonic() + timeout  # generous: a loaded machine
    while True:
        if beat is not None:
            beat()  # a live player rewrites its status
        f = c.get("/api/status").json()["following"]
        if f["level"] == level:
            return f
        assert time.monotonic() < deadline, f"following stayed {f}"
        time.sleep(0.1)


@pytest.fixture()
def activated(fresh_server):
    with fresh_server.api() as c:
        r = c.post("/api/versions", files={"file": ("a.zip", good_bundle("Acme"), "application/zip")})
        vid = r.json()["id"]
        assert c.post(f"/api/versions/{vid}/activate").status_code == 200
    return fresh_server, vid


def test_a_player_on_another_playlist_is_warned_about_and_named(activated):
    server, vid = activated
    write_status(server, playlist_file="/home/kiosk/shop/shop.yaml", playlist_watched="/home/kiosk/shop/shop.yaml",
                 playlist="Shop")
    with server.api() as c:
        f = poll_following(c, "warning")
    assert f"does NOT play the active version {vid}" in f["message"] and "shop.yaml" in f["message"]
    assert "player.playlist is set to another file" in f["message"] and "/home/kiosk" not in f["message"]
    browser = server.login()
    page = browser.get("/").text
    assert 'id="following"' in page and "does NOT play the active version" in page
    # activating again: the page does not claim "within seconds"
    r = browser.post(f"/versions/{vid}/activate", data={"csrf": csrf_of(page)}, follow_redirects=True)
    assert "but the player will not show it" in r.text and "within seconds" not in r.text


def test_a_following_player_is_ok_and_a_new_activation_says_within_seconds(tmp_path):
    server = start_server(tmp_path, follow_grace_s=15)  # a grace long enough to see "pending" on a loaded machine
    try:
        _following_player(server)
    finally:
        server.stop()


def _following_player(server):
    with server.api() as c:
        vid = c.post("/api/versions", files={"file": ("a.zip", good_bundle("Acme"), "application/zip")}).json()["id"]
        assert c.post(f"/api/versions/{vid}/activate").status_code == 200
    real = os.path.realpath(server.data / "versions" / vid / "playlist.yaml")
    beat = lambda: write_status(server, playlist_file=real, playlist_watched=str(server.data / "active" / "playlist.yaml"))  # noqa: E731
    beat()
    with server.api() as c:
        f = poll_following(c, "ok")
        assert f["message"] == f"The player plays the active version {vid}." and f["follows_link"]
        second = c.post("/api/versions", files={"file": ("b.zip", good_bundle("B", ("b-one",)), "application/zip")}).json()
        r = c.post(f"/api/versions/{second['id']}/activate").json()
        assert "takes it within seconds" in r["player"]
        assert c.get("/api/status").json()["following"]["level"] == "pending"  # within the grace: not yet a warning
        # the player never takes it (it plays the old one): a warning once the grace is over
        f = poll_following(c, "warning", beat=beat)
        assert f"version {vid}" in f["plays"] and second["id"] in f["message"]


def test_a_stale_or_stopped_player_is_warned_about(activated):
    server, vid = activated
    real = os.path.realpath(server.data / "versions" / vid / "playlist.yaml")
    path = write_status(server, playlist_file=real, playlist_watched=str(server.data / "active" / "playlist.yaml"))
    old = time.time() - 60
    os.utime(path, (old, old))
    with server.api() as c:
        f = poll_following(c, "warning")
        assert "old: it is stopped or stuck" in f["message"] and vid in f["message"]
        gone = subprocess.Popen([sys.executable, "-c", "pass"])
        gone.wait()
        write_status(server, pid=gone.pid, playlist_file=real)
        f = poll_following(c, "warning")
        assert f["message"].startswith("The player is stopped") and vid in f["message"]
        path.unlink()
        f = poll_following(c, "warning")
        assert "has not written a status" in f["message"]


# ---------------------------------------------------------------------------- pure judgement and words


def judged(doc, **kw):
    args = dict(active="20261202-100000-aaaaaa", versions_dir="/d/versions", demo_file="/app/playlists/demo.yaml",
                follows=True, activated_age_s=100.0, grace_s=4.0, stale_after_s=10.0, pid_alive=True)
    return judge(doc, **{**args, **kw})


def test_judge_says_what_plays_instead():
    v = "20261202-100000-aaaaaa"
    assert judged({"playlist_file": f"/d/versions/{v}/playlist.yaml"}).level == "ok"
    demo = judged({"playlist_file": "/app/playlists/demo.yaml", "playlist_problem": "/d/active/playlist.yaml: file not found"})
    assert demo.level == "warning" and "the bundled demo" in demo.message and "/d/" not in demo.message
    slate = judged({"playlist_file": "/dev/null"}, follows=False)
    assert "the “no playlist” slate" in slate.message and "does not follow" in slate.message.lower()
    other = judged({"playlist_file": "/d/versions/20261201-000000-bbbbbb/playlist.yaml", "playlist": "Old"},
                   activated_age_s=1.0)
    assert other.level == "pending" and "20261201-000000-bbbbbb" in other.plays
    assert judged({"playlist_file": "/x.yaml"}, active=None).level == "idle"
    assert judged(None).level == "warning" and judged(None, active=None).level == "idle"
    msg = activation_message(other, v, 2.0)
    assert "within seconds" in msg
    assert "within seconds" not in activation_message(judged({"playlist_file": "/x.yaml"}, follows=False), v, 2.0)
    assert "within seconds" not in activation_message(judged({"playlist_file": "/x"}, pid_alive=False), v, 2.0)


def test_durations_in_words():
    assert duration_words(3 * 86400 + 4 * 3600 + 17) == "3 days 4 hours"
    assert duration_words(3600 + 20) == "1 hour"
    assert duration_words(3720) == "1 hour 2 minutes"
    assert duration_words(1) == "1 second" and duration_words(0) == "0 seconds" and duration_words(None) == "0 seconds"
    assert duration_words("junk") == "0 seconds" and duration_words(-5) == "0 seconds"


def test_the_status_in_words_withholds_small_groups_and_shows_no_raw_values():
    assert audience_words({"faces": 2, "watchers": 1, "attention_ratio": 0.5, "smile_ratio": 1.0}) == \
        "2 people in view, 1 watching (attention 50%); smiles withheld (fewer than 3 people)"
    assert audience_words({"faces": 4, "watchers": 3, "attention_ratio": 0.75, "smile_ratio": 0.5, "passers_by": 1}) == \
        "4 people in view, 3 watching (attention 75%); smiles 50%; 1 passer-by"
    assert audience_words(None).startswith("no numbers")
    assert camera_words({"state": "reconnecting", "failing_s": 125, "last_error": "cannot open /dev/video0"}) == \
        "failing for 2 minutes 5 seconds, reconnecting: audience rules are off (last error: cannot open video0)"
    assert camera_words({"state": "on", "fps": 14.6}).startswith("on, 15 pictures analysed a second")
    assert camera_words("off").startswith("off") and camera_words(None) == "unknown"
    assert display_words({"mode": "headless", "as_configured": False, "configured": "kmsdrm fullscreen",
                          "error": "kmsdrm not available"}).startswith("NOTHING ON THE SCREEN")
    assert display_words({"mode": "fullscreen", "size": "1920x1080", "driver": "kmsdrm"}) == "fullscreen, 1920×1080 (kmsdrm)"
    assert creative_words({"creative": "offer", "rule": "smiles", "reason": "smile_ratio >= 0.5"}) == \
        "offer, chosen by the rule “smiles”: smile_ratio >= 0.5"
    assert creative_words({"creative": "hello", "rule": None}) == "hello, the next in the loop"
    rows = dict(human_status({"uptime_s": 277217, "release": "/opt/signage/releases/20261202-r7", "creative": "hello",
                              "camera": {"state": "off"}, "audience": None, "display": None, "problems": [],
                              "pid": 98765, "age_s": 0.5}))
    assert rows["Running for"] == "3 days 5 hours" and rows["Release"] == "20261202-r7" and rows["Health"] == "healthy"
    text = " ".join(rows.values())
    assert "None" not in text and "[]" not in text and "/opt" not in text and "98765" not in text
    assert human_status(None)[0][1].startswith("no status")
    assert no_paths("playlist: /var/lib/signage/content/active/playlist.yaml: line 3") == "playlist: playlist.yaml: line 3"


def test_simulation_progress_in_words():
    assert progress_words({"state": "queued", "ahead": 2}) == \
        "Simulation queued: 2 uploads ahead of it (one is simulated at a time)"
    assert progress_words({"state": "running", "scenario": 2, "of": 5, "label": "example: rush.yaml",
                           "reached_s": 3 * 3600 + 600, "length_s": 86400}) == \
        "Simulating: scenario 2 of 5 (example: rush.yaml), 3 hours 10 minutes of 1 day simulated."
    assert "can be activated" in progress_words({"state": "done", "stopped": "stopped after 20 s of CPU"})


# ---------------------------------------------------------------------------- the player's default


def test_with_default_settings_the_player_follows_the_admin_service(tmp_path):
    from signage.first_playlist import load_first
    from signage.run_options import DEMO_PLAYLIST, playlist_path

    data = tmp_path / "content"
    dev = Settings(admin={"data_dir": str(data)})
    assert playlist_path(dev, None) == DEMO_PLAYLIST  # no admin service here: the demo
    (data / "versions").mkdir(parents=True)
    assert playlist_path(dev, None) == data / "active" / "playlist.yaml"  # the admin's content folder: follow it
    assert playlist_path(dev, "shop.yaml") == Path("shop.yaml")
    # nothing active yet: the demo plays, and that is no problem (the watcher takes the first activation)
    active, first, problem = load_first(dev, data / "active" / "playlist.yaml", explicit=False)
    assert problem is None and active.current.path == DEMO_PLAYLIST and not first.ok
    kiosk = Settings(admin={"data_dir": str(data)}, player={"demo_fallback": False})
    active, _, problem = load_first(kiosk, data / "active" / "playlist.yaml", explicit=False)
    assert "nothing is active in the admin service yet" in problem and active.current.playlist.name != "demo"
