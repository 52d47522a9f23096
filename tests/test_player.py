"""The player loop in-process: real screen (SDL dummy), real sensing, real SQLite; the
playlist clock runs fast (each frame advances it by a fixed step) where sensing is not
involved, so minutes of playlist time take seconds."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import sqlite3
import time
from pathlib import Path

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")

import cv2
import pytest

from media import CLIP
from signage.analytics.writer import AnalyticsWriter
from signage.config import AnalyticsConfig, CameraConfig, DisplayConfig, NoticeConfig, SensingConfig
from signage.director import Director
from signage.player import Player
from signage.playlist.loader import ActivePlaylist
from signage.playlist.watch import PlaylistWatcher
from signage.render.display import Display
from signage.render.screen import Screen
from signage.sensing.service import SensingService
from signage.sensing.sources import CameraSource

ROOT = Path(__file__).resolve().parent.parent
T0 = dt.datetime(2026, 11, 23, 9, 0, tzinfo=dt.timezone.utc)

PLAYLIST = """\
name: {name}
defaults: {{duration: 2s, transition: cut}}
creatives:
  - {{id: a, type: image, source: a.png}}
  - {{id: b, type: text, headline: B side, background: "#1d3557"}}
  - {{id: c, type: text, headline: C is new, background: "#2b6e3f"}}
loop: {loop}
"""


class FakeWall:
    def __init__(self, step_s: float) -> None:
        self.now = T0
        self.step = dt.timedelta(seconds=step_s)

    def __call__(self) -> dt.datetime:
        self.now += self.step
        return self.now


@pytest.fixture()
def folder(tmp_path: Path) -> Path:
    shutil.copy(ROOT / "content" / "welcome.png", tmp_path / "a.png")
    (tmp_path / "p.yaml").write_text(PLAYLIST.format(name="first", loop="[a, b]"))
    return tmp_path


def build(folder: Path, camera: CameraConfig, *, wall=None, sensing_factory=None, stale_s: float = 2.0):
    active = ActivePlaylist()
    assert active.try_replace(folder / "p.yaml").ok
    display = Display(DisplayConfig(driver="dummy", fullscreen=False, size=(640, 360))).open()
    screen = Screen(display, NoticeConfig(), camera_on=camera.enabled)
    sensing = SensingService(SensingConfig(), camera, source_factory=sensing_factory, stale_after_s=stale_s).start()
    analytics = AnalyticsWriter(AnalyticsConfig(db_path=str(folder / "a.db")))
    director = Director(active.current, preload_s=0.5)
    kw = {"wall": wall} if wall is not None else {}
    player = Player(active=active, director=director, screen=screen, sensing=sensing, analytics=analytics, **kw)
    watcher = PlaylistWatcher(folder / "p.yaml", active)
    watcher.check()  # first look: nothing new
    return player, watcher, display


def rows(db: Path) -> list[sqlite3.Row]:
    con = sqlite3.connect(db)
    con.row_factory = sqlite3.Row
    try:
        return list(con.execute("SELECT * FROM plays ORDER BY start_ts"))
    finally:
        con.close()


def frames(player: Player, n: int, display: Display | None = None) -> None:
    """n frames; a short pause each lets the preparer thread keep up with the fast clock."""
    for _ in range(n):
        player.frame()
        time.sleep(0.003)
        if display is not None:
            never_black(display)


def never_black(display: Display) -> None:
    surf = display.canvas
    w, h = surf.get_size()
    for x, y in ((w // 2, h // 3), (5, 5), (w - 5, h // 2)):
        assert tuple(surf.get_at((x, y)))[:3] != (0, 0, 0), (x, y)


def test_a_creative_corrupted_after_loading_is_skipped_and_the_screen_stays_filled(folder, caplog):
    wall = FakeWall(0.05)
    player, _, display = build(folder, CameraConfig(enabled=False), wall=wall)
    frames(player, 10, display)
    (folder / "a.png").write_bytes(b"not a picture any more")  # a's next play fails
    frames(player, 200, display)  # 10 s of playlist time
    player.close()
    display.close()
    got = [(r["creative_id"], r["outcome"]) for r in rows(folder / "a.db")]
    assert ("a", "skipped") in got and got.count(("b", "completed")) >= 2
    assert any("a.png" in r.getMessage() and "skipped" in r.getMessage() for r in caplog.records)
    assert player.state.errors and "a" in player.state.errors[-1][1]


def test_a_playlist_replaced_mid_run_by_a_valid_one_and_by_an_invalid_one(folder, caplog):
    wall = FakeWall(0.05)
    player, watcher, display = build(folder, CameraConfig(enabled=False), wall=wall)
    frames(player, 50)
    # an invalid update: refused with every error, the first playlist plays on
    (folder / "p.yaml").write_text(PLAYLIST.format(name="broken", loop="[a, ghost]"))
    assert watcher.check() is None
    assert "loop.1: no creative has the id 'ghost'" in caplog.text and "still playing 'first'" in caplog.text
    frames(player, 100)
    assert player.active.current.playlist.name == "first" and player.state.playlist == "first"
    # a valid update: taken at the next decision
    time.sleep(0.01)
    (folder / "p.yaml").write_text(PLAYLIST.format(name="second", loop="[c]"))
    assert watcher.check() is not None
    frames(player, 100)
    player.close()
    display.close()
    played = rows(folder / "a.db")
    names = [r["playlist"] for r in played]
    assert "broken" not in names and names[0] == "first" and names[-1] == "second"
    assert [r["creative_id"] for r in played if r["playlist"] == "second"][:2] == ["c", "c"]
    assert player.state.playlist == "second" and player.state.playlist_version == 2


def test_camera_failure_mid_run_and_recovery_while_the_schedule_plays_on(folder):
    """The camera (a real capture on a copy of the clip) drops out when the file ends and
    is reopened 1.5 s later; the schedule plays on and the notice follows the camera."""
    clip = folder / "cam.mp4"
    shutil.copy(CLIP, clip)
    cam = CameraConfig(source=str(clip), reconnect_min_s=1.5, reconnect_max_s=1.5, stall_timeout_s=0.5)
    player, _, display = build(folder, cam, sensing_factory=lambda: CameraSource(cam, opener=cv2.VideoCapture),
                               stale_s=0.4)
    notice: list[bool] = []
    t_end = time.monotonic() + 12
    while time.monotonic() < t_end and notice.count(True) < 2:
        player.frame()
        on = player.screen.camera_on
        if not notice or notice[-1] != on:
            notice.append(on)
        never_black(display)
        time.sleep(1 / 60)
    frames = player.state.frames
    player.sensing.stop()
    player.close()
    display.close()
    assert notice[:3] == [True, False, True], notice  # on, dropped out, back
    assert frames > 100  # the render loop never waited on the camera
    assert player.state.sensing.reconnects >= 1


@pytest.mark.parametrize("allowed", [True, False])
def test_escape_stops_the_player_only_where_allowed(folder, allowed):
    import threading

    import pygame

    player, _, display = build(folder, CameraConfig(enabled=False))
    player.quit_key = allowed
    pygame.event.post(pygame.event.Event(pygame.KEYDOWN, key=pygame.K_ESCAPE, mod=0, unicode="\x1b", scancode=41))
    stop = threading.Event()
    t0 = time.monotonic()
    player.run(stop, duration_s=2.0)
    display.close()
    assert stop.is_set() == allowed
    assert (time.monotonic() - t0 < 1.0) == allowed  # stopped at once, or played its 2 s
