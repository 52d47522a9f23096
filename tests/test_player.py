"""The player loop in-process: real screen (SDL dummy), real sensing, real SQLite; the
playlist clock runs fast (each frame advances it by a fixed step), so minutes of playlist
time take seconds. After each frame the test waits until the preparer thread has prepared
what the screen is to show: a loaded machine changes how long a test takes, not what it sees."""

from __future__ import annotations

import datetime as dt
import logging
import os
import re
import shutil
import sqlite3
import threading
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
from signage.playlist.active import ActivePlaylist
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
  - {{id: a, type: image, source: a.png, background: "#3b2418"}}  # letterbox bars in a colour, not black
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


def frame(player: Player) -> None:
    """One frame, then wait for the preparer thread to catch up with the fast clock."""
    player.frame()
    assert player.screen.wait_prepared(60), "a creative took more than a minute to prepare"


def frames(player: Player, n: int, display: Display | None = None) -> None:
    for _ in range(n):
        frame(player)
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


class UnpluggableCamera:
    """A real OpenCV capture of a copy of the clip, standing in for a webcam that the test
    unplugs and plugs back: while plugged it loops the clip (paced like a camera); unplugged,
    the current connection's next read fails and every new open hangs (a device that does not
    answer) until it is plugged back in. Nothing here depends on how fast anything runs."""

    def __init__(self, clip: Path) -> None:
        self.clip = clip
        self.plugged = threading.Event()
        self.plugged.set()
        self.opens = 0  # attempts to open, counted once each starts
        self.hanging = threading.Event()  # an open is waiting for the camera to come back

    def open(self, _source: object) -> UnpluggableCamera.Capture:
        self.opens += 1
        if not self.plugged.is_set():
            self.hanging.set()
            self.plugged.wait(60)
        return self.Capture(self)

    def unplug(self) -> None:
        self.hanging.clear()
        self.plugged.clear()

    def plug(self) -> None:
        self.plugged.set()

    class Capture:
        def __init__(self, cam: UnpluggableCamera) -> None:
            self.cam = cam
            self.cap = cv2.VideoCapture(str(cam.clip))

        def read(self):
            time.sleep(1 / 30)  # a camera's pace, so the clip does not burn a core
            if not self.cam.plugged.is_set():
                return False, None
            ok, image = self.cap.read()
            if not ok:  # the end of the clip: a camera never ends
                self.cap.set(cv2.CAP_PROP_POS_FRAMES, 0)
                ok, image = self.cap.read()
            return ok, image

        def __getattr__(self, name: str):
            return getattr(self.cap, name)


def test_camera_failure_mid_run_and_recovery_while_the_schedule_plays_on(folder):
    """A real capture (a copy of the clip) is unplugged mid-run and hangs on reopening until it
    is plugged back: meanwhile the schedule plays on (new plays start, the screen is never
    black) and the notice follows the camera: on, off while it is out, on again."""
    clip = folder / "cam.mp4"
    shutil.copy(CLIP, clip)
    camera = UnpluggableCamera(clip)
    # Short reconnect waits; stall and staleness limits far above any pause a loaded machine
    # makes, so only the unplugging turns the camera off.
    cam = CameraConfig(source=str(clip), reconnect_min_s=0.1, reconnect_max_s=0.2, stall_timeout_s=30)
    player, _, display = build(folder, cam, wall=FakeWall(0.05), stale_s=30,
                               sensing_factory=lambda: CameraSource(cam, opener=camera.open))
    notice: list[bool] = []
    plays: list[tuple[bool, str, int]] = []  # (camera on, creative, play id) for each play that starts

    def until(done, what: str, timeout: float = 60.0) -> None:
        """Play frames until done() (checked each frame); generous timeout, never a count of frames."""
        t_end = time.monotonic() + timeout
        while True:
            frame(player)
            on = player.screen.camera_on
            if not notice or notice[-1] != on:
                notice.append(on)
            current = player.director.current
            if current is not None and (not plays or plays[-1][2] != current.id):
                plays.append((on, current.creative, current.id))
            never_black(display)
            if done():
                return
            assert time.monotonic() < t_end, f"timed out waiting for {what}; notice {notice}, last plays {plays[-6:]}"
            time.sleep(0.002)  # the camera's threads get their turn (a real camera's pace is theirs)

    def plays_while(on: bool) -> int:
        return sum(1 for p in plays if p[0] == on)

    try:
        until(lambda: player.state.sensing.camera == "on", "the camera to come on")
        camera.unplug()
        until(lambda: not player.screen.camera_on, "the notice to follow the unplugged camera")
        # The camera stays out (its reopening hangs) while the schedule plays on: three new plays.
        until(lambda: camera.hanging.is_set() and plays_while(False) >= 3, "plays while the camera is out")
        assert player.state.sensing.camera == "reconnecting" and notice == [True, False]
        camera.plug()
        until(lambda: player.state.sensing.camera == "on", "the camera to come back")
        back = len(plays)
        until(lambda: sum(on for on, _, _ in plays[back:]) >= 2, "a whole play with the camera back")
    finally:
        camera.plug()
        player.sensing.stop()
        player.close()
        display.close()
    assert notice == [True, False, True], notice  # on, out, back: the notice followed each change
    assert {c for on, c, _ in plays if not on} == {"a", "b"}  # the loop went on, not one stuck creative
    assert player.state.sensing.reconnects >= 1 and camera.opens >= 2
    # Proof of play: the plays during the outage are on record, with no audience time counted.
    completed = [r for r in rows(folder / "a.db") if r["outcome"] == "completed"]
    seen = "".join("1" if r["camera_on_s"] > 0 else "0" for r in completed)
    assert re.search("10{2,}1", seen), seen


@pytest.mark.parametrize("allowed", [True, False])
def test_escape_stops_the_player_only_where_allowed(folder, allowed, caplog):
    import pygame

    caplog.set_level(logging.INFO, logger="signage.player")
    player, _, display = build(folder, CameraConfig(enabled=False))
    player.quit_key = allowed
    pygame.event.post(pygame.event.Event(pygame.KEYDOWN, key=pygame.K_ESCAPE, mod=0, unicode="\x1b", scancode=41))
    stop = threading.Event()
    player.run(stop, duration_s=2.0)
    display.close()
    assert stop.is_set() == allowed
    said = [r.getMessage() for r in caplog.records if r.name == "signage.player"]
    if allowed:  # stopped at once: the frame that read the key is the last one
        assert said == ["Escape pressed: stopping"] and player.state.frames == 1
    else:  # the key did nothing: it played its 2 s
        assert said == ["ran for 2 s: stopping"]


def hold_writes(monkeypatch):
    """The analytics writer thread is held inside each database write until ``release`` is set."""
    from signage.analytics.store import AnalyticsStore

    entered, release = threading.Event(), threading.Event()
    original = AnalyticsStore.write

    def held(store, plays=(), minutes=(), at=None):
        entered.set()
        if not release.wait(60):
            raise RuntimeError("the test never let the write through")
        return original(store, plays, minutes, at)

    monkeypatch.setattr(AnalyticsStore, "write", held)
    return entered, release


def test_the_screen_switches_to_a_play_once_its_open_row_is_committed(folder, monkeypatch):
    entered, release = hold_writes(monkeypatch)
    player, _, _ = build(folder, CameraConfig(enabled=False), wall=FakeWall(0.01))
    try:
        frame(player)  # decides "a": its open row goes to the writer, which is held in the write
        assert entered.wait(60)
        decided = player.wall.now
        frames(player, 20)  # 0.2 s of playlist time: not on record yet, the screen waits
        assert player.screen.current_id is None
        release.set()
        deadline = time.monotonic() + 60
        while not [r for r in rows(folder / "a.db") if r["creative_id"] == "a" and r["outcome"] == "playing"]:
            assert time.monotonic() < deadline, "the open row was never committed"
            time.sleep(0.01)
        frames(player, 2)
        assert player.screen.current_id == "a"
        assert (player.wall.now - decided).total_seconds() < 0.5  # the commit let it through, not the time limit
    finally:
        release.set()
        player.close()


def test_a_database_that_does_not_answer_never_holds_the_screen_longer_than_start_wait_s(folder, monkeypatch):
    entered, release = hold_writes(monkeypatch)
    player, _, _ = build(folder, CameraConfig(enabled=False), wall=FakeWall(0.01))
    try:
        frame(player)
        assert entered.wait(60)
        frames(player, 80)  # 0.8 s
        assert player.screen.current_id is None
        frames(player, 30)  # past analytics.start_wait_s (1 s): shown, though not on record
        assert player.screen.current_id == "a"
    finally:
        release.set()
        player.close()


def test_the_first_frame_on_screen_is_the_first_creative_not_the_slate(folder):
    """At start-up the first play is decided, on record and prepared before anything is drawn:
    the first frame presented is the creative (before: the slate, then the creative)."""
    (folder / "p.yaml").write_text(PLAYLIST.format(name="first", loop="[b]"))
    player, _, display = build(folder, CameraConfig(enabled=False))
    presented = []
    original = display.present

    def present():
        presented.append(tuple(display.canvas.get_at((20, 20)))[:3])
        original()

    display.present = present
    try:
        assert display.hidden  # nothing seen until that first frame
        player.run(threading.Event(), duration_s=0.5)
    finally:
        player.sensing.stop()
        display.close()
    slate = tuple(player.screen._idle.frame().get_at((20, 20)))[:3]
    assert len(presented) >= 3 and presented[-1] != slate  # slide b, on screen for its 2 s
    assert presented[0] == presented[-1]  # from the very first frame
    assert not display.hidden
