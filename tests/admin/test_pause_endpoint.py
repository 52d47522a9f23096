"""Staff pause audience measurement for a passer-by through the admin service (docs/objection.md):
``POST /api/pause`` and ``DELETE /api/pause`` over real HTTP, and the dashboard's buttons (session
and CSRF). The request goes into the file the player watches; a running player (real screen on
the SDL dummy driver, real sensing service) takes it on its own watcher thread and closes the camera."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import time
from pathlib import Path

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")

from adminkit import csrf_of
from signage.admin.auth import Credentials
from signage.config import CameraConfig, DisplayConfig, NoticeConfig, SensingConfig, load_settings
from signage.director import Director
from signage.pause_inputs import build_pause, parse_request
from signage.player import Player
from signage.playlist.active import ActivePlaylist
from signage.render.display import Display
from signage.render.screen import Screen
from signage.sensing.service import SensingService

ROOT = Path(__file__).resolve().parents[2]


def wait(done, what: str, timeout: float = 60.0) -> None:
    t_end = time.monotonic() + timeout  # generous: a loaded machine is slow, not wrong
    while not done():
        assert time.monotonic() < t_end, f"timed out waiting for {what}"
        time.sleep(0.02)


def test_the_endpoint_needs_a_token_and_an_operator(server):
    with server.client() as anon:
        r = anon.post("/api/pause")
        assert r.status_code == 401 and "authentication required" in r.json()["detail"]
        assert anon.delete("/api/pause", headers={"Authorization": "Bearer sgn_nothing"}).status_code == 401
    creds = Credentials(server.settings.admin.credentials_file)
    creds.add_user("erin", "an advertiser's password", role="advertiser")
    token = creds.create_token("erin-api", user="erin")
    with server.client(headers={"Authorization": f"Bearer {token}"}) as adv:
        r = adv.post("/api/pause")
        assert r.status_code == 403 and "Only an operator" in r.json()["detail"]
    assert not (server.data.parent / "pause.json").exists()  # nothing was asked of the player


def test_staff_pause_a_running_player_and_resume_it(server, tmp_path):
    status_file = Path(server.settings.admin.status_file)
    pause_file = status_file.parent / "pause.json"
    # The player, built as `signage run` builds its pause, watching the same folder (one
    # configuration file for both services: the same pause.duration_min, 15 min by default).
    settings = load_settings(health={"status_file": str(status_file)})
    control, inputs = build_pause(settings, camera_enabled=True)
    shutil.copy(ROOT / "content" / "welcome.png", tmp_path / "a.png")
    (tmp_path / "p.yaml").write_text("name: p\ndefaults: {duration: 2s, transition: cut}\n"
                                     "creatives:\n  - {id: a, type: image, source: a.png}\nloop: [a]\n")
    active = ActivePlaylist()
    assert active.try_replace(tmp_path / "p.yaml").ok
    display = Display(DisplayConfig(driver="dummy", fullscreen=False, size=(640, 360))).open()
    screen = Screen(display, NoticeConfig(), camera_on=True)
    sensing = SensingService(SensingConfig(), CameraConfig(source=str(tmp_path / "no-camera-here.mp4")))
    player = Player(active=active, director=Director(active.current), screen=screen, sensing=sensing, pause=control)
    inputs.start()
    try:
        with server.api() as c:
            r = c.post("/api/pause")
            assert r.status_code == 200, r.text
            body = r.json()
            at, until = dt.datetime.fromisoformat(body["at"]), dt.datetime.fromisoformat(body["until"])
            assert until - at == dt.timedelta(minutes=15) and "within a second" in body["message"]
            req = parse_request(pause_file.read_bytes())
            assert req is not None and req[0] == "pause" and req[3] == "token:ci"

            def paused() -> bool:
                player.frame()
                return player.state.paused_until is not None

            wait(paused, "the player to take the staff's pause")  # its watcher thread reads the file
            assert player.state.sensing.camera == "paused" and sensing.latest() is None
            assert abs((player.state.paused_until - until).total_seconds()) <= 1
            assert any("paused until" in line for line in screen.notice.drawn_lines)

            r = c.delete("/api/pause")
            assert r.status_code == 200 and r.json()["until"] is None

            def resumed() -> bool:
                player.frame()
                return player.state.paused_until is None

            wait(resumed, "the player to take the staff's resume")
            assert player.state.sensing.camera != "paused"
            assert not any("paused" in line for line in screen.notice.drawn_lines)
    finally:
        inputs.stop()
        sensing.stop()
        player.close()
        display.close()


def test_the_dashboard_button_needs_the_csrf_token(server):
    status_file = Path(server.settings.admin.status_file)
    status_file.write_text(json.dumps({"time": "2026-11-23T09:00:00+00:00", "camera": {"state": "paused"},
                                       "paused_until": "2026-11-23T09:15:00+00:00"}))
    channel = status_file.parent / "pause.json"
    c = server.login()
    try:
        page = c.get("/").text
        assert 'id="pause"' in page and "paused by a passer-by until 09:15 UTC" in page
        before = channel.read_bytes() if channel.exists() else b""
        r = c.post("/pause", data={"csrf": "0" * 32})  # a forged form: refused, nothing written
        assert r.status_code in (400, 403)
        assert (channel.read_bytes() if channel.exists() else b"") == before
        r = c.post("/pause", data={"csrf": csrf_of(page)})
        assert r.status_code == 200 and "Audience measurement is paused" in r.text
        assert parse_request(channel.read_bytes())[0] == "pause"
        r = c.post("/pause", data={"csrf": csrf_of(c.get("/").text), "resume": "1"})
        assert r.status_code == 200 and "resumes" in r.text
        assert parse_request(channel.read_bytes())[0] == "resume"
    finally:
        c.close()
