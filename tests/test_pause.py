"""A passer-by's objection (docs/objection.md): a key pauses audience measurement.

The whole player runs in-process (SDL dummy driver, the real sensing service on the sample clip,
real SQLite): a key event posted on the dummy driver closes the camera, the notice says until
when in English and French, no audience rule fires while it lasts, and everything resumes when
it ends. The player's clock is injected (a pause of a minute takes a second or two of frames);
every wait on the camera's thread is a condition with a generous timeout, never a count of frames.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import shutil
import sqlite3
import time
from pathlib import Path

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")

import pygame
import pytest

from media import CLIP
from test_player import T0, FakeWall
from signage.analytics.aggregate import AudienceAccumulator, MinuteAggregator
from signage.analytics.facts import load_history
from signage.analytics.formats import to_json, to_table
from signage.analytics.report import build_report
from signage.analytics.writer import AnalyticsWriter
from signage.config import AnalyticsConfig, CameraConfig, ConfigError, DisplayConfig, NoticeConfig, SensingConfig, load_settings
from signage.director import Director
from signage.health import snapshot
from signage.pause import PauseControl, PauseState, resolve_keys
from signage.pause_inputs import PauseFileWatcher, build_pause, open_button, write_request
from signage.player import Player
from signage.playlist.active import ActivePlaylist
from signage.render.display import Display
from signage.render.overlay import PrivacyNotice
from signage.render.screen import Screen
from signage.sensing.service import SensingService
from signage.sensing.sources import open_source
from signage.values import AudienceSnapshot

ROOT = Path(__file__).resolve().parent.parent
MIN = dt.timedelta(minutes=1)

PLAYLIST = """\
name: objection
defaults: {duration: 2s, transition: cut}
creatives:
  - {id: a, type: image, source: a.png, background: "#3b2418"}
  - {id: b, type: text, headline: B side, background: "#1d3557"}
  - {id: hello, type: text, headline: Hello you, background: "#2b6e3f"}
loop: [a, b]
rules:
  - {id: someone, when: {faces: ">= 1"}, play: hello, priority: 5}
"""


# ----------------------------------------------------------------------------- the pure state

def test_a_press_pauses_for_the_duration_a_second_press_starts_it_again_and_resume_ends_it():
    s = PauseState(dt.timedelta(minutes=15))
    assert s.paused_until(T0) is None and s.pauses == 0
    assert s.press(T0) == T0 + 15 * MIN
    assert s.paused_until(T0 + 14 * MIN) == T0 + 15 * MIN and s.paused_until(T0 + 15 * MIN) is None
    assert s.press(T0 + 10 * MIN) == T0 + 25 * MIN  # extends: the full duration from the second press
    assert s.pauses == 1  # still one pause
    assert s.resume(T0 + 11 * MIN) and s.paused_until(T0 + 11 * MIN) is None
    assert not s.resume(T0 + 12 * MIN)
    s.press(T0 + 30 * MIN)
    assert s.pauses == 2


def test_requests_from_other_threads_are_applied_at_their_own_time_never_in_the_future():
    c = PauseControl(dt.timedelta(minutes=15))
    c.request("pause", T0 - 5 * MIN, "staff")  # asked 5 minutes ago: 10 minutes left
    assert c.step(T0) == T0 + 10 * MIN
    c.request("resume", T0 + MIN, "staff")
    assert c.step(T0 + MIN) is None
    c.request("pause", T0 - 20 * MIN)  # older than a pause lasts: changes nothing
    assert c.step(T0 + MIN) is None
    c.request("pause", T0 + 9 * MIN)  # stamped later than the frame that reads it: taken at the frame
    assert c.step(T0 + 2 * MIN) == T0 + 17 * MIN


def test_which_keys_pause():
    anyk = PauseControl(MIN, resolve_keys(["any"]))
    assert anyk.key(pygame.K_a, T0) and anyk.state.pauses == 1
    only = PauseControl(MIN, resolve_keys(["space", "KP_ENTER"]))
    assert not only.key(pygame.K_a, T0) and only.step(T0) is None
    assert only.key(pygame.K_KP_ENTER, T0) and only.step(T0) == T0 + MIN
    none = PauseControl(MIN, resolve_keys([]))
    assert not none.key(pygame.K_SPACE, T0)


# ----------------------------------------------------------------------------- configuration

def test_pause_configuration_defaults_and_clear_refusals():
    p = load_settings().pause
    assert (p.duration_min, p.keys, p.gpio_pin, p.file) == (15, ["any"], None, "")
    for bad, words in (({"duration_min": 0}, "pause.duration_min"), ({"duration_min": 241}, "pause.duration_min"),
                       ({"keys": ["nosuchkey"]}, "unknown key 'nosuchkey'"), ({"keys": ["any", "space"]}, "list it alone"),
                       ({"gpio_pin": 40}, "pause.gpio_pin"), ({"bogus": 1}, "pause.bogus: unknown key")):
        with pytest.raises(ConfigError) as err:
            load_settings(pause=bad)
        assert words in str(err.value), str(err.value)
    with pytest.raises(ConfigError) as err:
        load_settings(notice={"text": {"en": {"paused": "paused until {when}"}}})
    assert "notice.text.en.paused" in str(err.value) and "{until}" in str(err.value)


def test_pause_fields_fuzzed_never_raise_anything_but_config_error():
    from hypothesis import given, settings as hsettings, strategies as st

    value = st.one_of(st.none(), st.integers(-10**6, 10**6), st.floats(allow_nan=True), st.text(max_size=30),
                      st.lists(st.text(max_size=12), max_size=4), st.booleans())

    @hsettings(max_examples=200, deadline=None)
    @given(st.dictionaries(st.sampled_from(["duration_min", "keys", "gpio_pin", "file", "other"]), value, max_size=4))
    def check(fields):
        try:
            p = load_settings(pause=fields).pause
        except ConfigError as e:
            assert "pause." in str(e) or "pause:" in str(e), str(e)
        else:
            assert 1 <= p.duration_min <= 240 and (p.gpio_pin is None or 0 <= p.gpio_pin <= 27)
            resolve_keys(p.keys)  # every accepted key name is a key

    check()


# ----------------------------------------------------------------------------- the notice

@pytest.mark.parametrize("size", [(640, 360), (1920, 1080), (1080, 1920), (800, 480)])
def test_the_notice_says_paused_until_in_each_language_within_the_camera_on_band(size):
    pygame.init()
    notice = PrivacyNotice(NoticeConfig())
    on_h = notice.height(size, True)
    notice.set_paused("10:15")
    assert notice.visible(False)
    h = notice.height(size, False)
    assert 0 < h <= on_h, (h, on_h)  # creatives keep clear of the camera-on band: the paused one fits in it
    said = " ".join(notice.drawn_lines)
    assert "Audience measurement paused until 10:15." in said and "Mesure d'audience suspendue jusqu'à 10:15." in said
    assert notice.text_lines(False) == ["Audience measurement paused until 10:15.",
                                        "Mesure d'audience suspendue jusqu'à 10:15."]
    notice.set_paused(None)
    notice.height(size, True)
    assert "paused" not in " ".join(notice.drawn_lines)


def test_the_paused_notice_shows_even_where_camera_off_hides_it_and_in_other_languages():
    pygame.init()
    words = {"camera_on": "Kamera an:", "purpose": "anonyme Messung.", "camera_off": "Kamera aus.", "more": "Mehr",
             "object": "Widerspruch: Personal fragen."}
    notice = PrivacyNotice(NoticeConfig(camera_off="hide", languages=["de", "en"], text={"de": words}))
    assert not notice.visible(False)
    notice.set_paused("18:40")
    assert notice.visible(False)
    assert notice.text_lines(False) == ["Kamera aus. (18:40)", "Audience measurement paused until 18:40."]
    words["paused"] = "Messung pausiert bis {until}."
    notice = PrivacyNotice(NoticeConfig(languages=["de"], text={"de": words}))
    notice.set_paused("18:40")
    assert notice.text_lines(False) == ["Messung pausiert bis 18:40."]


# ----------------------------------------------------------------------------- the player

class CountingSource:
    """The real video-file source, counting how often the service opens and closes it."""

    opens = 0
    closes = 0

    def __init__(self, clip: Path, camera: CameraConfig) -> None:
        self._src = open_source(str(clip), realtime_video=True, loop_video=True, camera=camera)
        CountingSource.opens += 1

    def __enter__(self):
        self._src.__enter__()
        return self

    def __exit__(self, *exc) -> None:
        self._src.__exit__(*exc)
        CountingSource.closes += 1

    def __getattr__(self, name: str):
        return getattr(self._src, name)


def test_a_key_pauses_measurement_closes_the_camera_and_no_audience_rule_fires_until_it_ends(tmp_path, caplog):
    caplog.set_level(logging.INFO)
    shutil.copy(ROOT / "content" / "welcome.png", tmp_path / "a.png")
    (tmp_path / "p.yaml").write_text(PLAYLIST)
    clip = tmp_path / "cam.mp4"
    shutil.copy(CLIP, clip)
    cam = CameraConfig(source=str(clip), reconnect_min_s=0.1, reconnect_max_s=0.2)
    CountingSource.opens = CountingSource.closes = 0
    settings = load_settings(pause={"duration_min": 1, "keys": ["space"]}, screen={"timezone": "Europe/Paris"},
                             health={"status_file": str(tmp_path / "status.json")})
    pause, inputs = build_pause(settings, camera_enabled=True)
    active = ActivePlaylist()
    assert active.try_replace(tmp_path / "p.yaml").ok
    display = Display(DisplayConfig(driver="dummy", fullscreen=False, size=(640, 360))).open()
    screen = Screen(display, NoticeConfig(), camera_on=True)
    sensing = SensingService(SensingConfig(), cam, source_factory=lambda: CountingSource(clip, cam), stale_after_s=30)
    analytics = AnalyticsWriter(AnalyticsConfig(db_path=str(tmp_path / "a.db")))
    wall = FakeWall(0.05)
    player = Player(active=active, director=Director(active.current, preload_s=0.5), screen=screen, sensing=sensing,
                    analytics=analytics, wall=wall, pause=pause)
    plays: list[tuple[str | None, dt.datetime, bool]] = []  # (rule, when it started, paused then)

    def frame() -> None:
        player.frame()
        assert screen.wait_prepared(60)
        cur = player.director.current
        if cur is not None and (not plays or plays[-1][1] != cur.start):
            plays.append((cur.rule, cur.start, player.state.paused_until is not None))

    def until(done, what: str, timeout: float = 90.0) -> None:
        t_end = time.monotonic() + timeout  # generous: a loaded machine is slow, not wrong
        while not done():
            frame()
            assert time.monotonic() < t_end, f"timed out waiting for {what}; plays {plays[-6:]}"
            time.sleep(0.002)

    sensing.start()
    inputs.start()
    try:
        until(lambda: any(r == "someone" for r, _, _ in plays), "the audience rule to fire with the camera on")
        assert CountingSource.opens == 1 and CountingSource.closes == 0
        pygame.event.post(pygame.event.Event(pygame.KEYDOWN, key=pygame.K_SPACE, mod=0, unicode=" ", scancode=44))
        player.handle_events()
        pressed = wall.now
        frame()
        until_utc = player.state.paused_until
        assert until_utc is not None and pressed < until_utc <= pressed + MIN + wall.step
        hhmm = until_utc.astimezone(pause.tz).strftime("%H:%M")
        assert hhmm == (until_utc + dt.timedelta(hours=1)).strftime("%H:%M")  # Paris local time, not UTC
        assert player.state.sensing.camera == "paused" and sensing.latest() is None and not screen.camera_on
        drawn = " ".join(screen.notice.drawn_lines)  # what the band's last render drew, line by line
        assert f"Audience measurement paused until {hhmm}." in drawn and f"suspendue jusqu'à {hhmm}." in drawn
        assert screen._operator_text()[0] == f"paused until {hhmm}: no audience measurement"  # not "camera off"
        t_end = time.monotonic() + 30
        while CountingSource.closes < 1:  # the sensing thread closes the source at its next read
            assert time.monotonic() < t_end, "the camera was not closed"
            time.sleep(0.01)
        doc = snapshot(player.state, wall.now)
        assert doc["paused_until"] == until_utc.isoformat(timespec="seconds") and doc["camera"]["state"] == "paused"
        # The pause runs its minute (the player's clock goes faster now): plays go on, no audience rule.
        wall.step = dt.timedelta(seconds=0.5)
        during = len(plays)
        while True:
            frame()
            if player.state.paused_until is None:  # this frame's clock reached the end of the pause
                break
            assert sensing.latest() is None and CountingSource.opens == 1  # closed for the whole pause
        wall.step = dt.timedelta(seconds=0.05)
        assert until_utc <= wall.now <= until_utc + dt.timedelta(seconds=0.5)  # it ended on time
        assert len(plays) - during >= 10 and not [p for p in plays[during:] if p[2] and p[0] is not None]
        until(lambda: CountingSource.opens == 2 and player.state.sensing.camera == "on", "the camera to open again")
        resumed = len(plays)
        until(lambda: any(r == "someone" for r, _, _ in plays[resumed:]), "the audience rule to fire again")
        assert "paused" not in " ".join(screen.notice.drawn_lines)
    finally:
        inputs.stop()
        sensing.stop()
        player.close()
        display.close()
    said = [r.getMessage() for r in caplog.records if r.name in ("signage.pause", "signage.player")]
    assert any(m.startswith("audience measurement paused until") and "(a key)" in m for m in said)
    assert "audience measurement resumed" in said

    # The aggregates: the minute of paused time, and one pause; the report says so.
    con = sqlite3.connect(tmp_path / "a.db")
    try:
        minutes = con.execute("SELECT SUM(paused_s), SUM(pauses), SUM(camera_on_s) FROM audience_minutes").fetchone()
        play_paused = con.execute("SELECT SUM(paused_s), SUM(pauses) FROM plays").fetchone()
        inside = con.execute("SELECT paused_s, duration_s, camera_on_s FROM plays WHERE start_ts >= ? AND end_ts <= ?",
                             (pressed.timestamp(), until_utc.timestamp())).fetchall()
    finally:
        con.close()
    assert minutes[0] == pytest.approx(60.0, abs=1.0) and minutes[1] == 1
    assert 0 < play_paused[0] <= 60.5 and play_paused[1] == 1  # the paused time a play was on screen
    assert len(inside) >= 10 and all(p == pytest.approx(d) and c == 0 for p, d, c in inside)  # paused throughout
    con = sqlite3.connect(tmp_path / "a.db")
    try:
        plays_f, minutes_f = load_history(con, None, (wall.now + MIN).timestamp())
    finally:
        con.close()
    report = build_report(plays_f, minutes_f, None, (wall.now + MIN).timestamp())
    assert report.pauses == 1 and report.paused_s == pytest.approx(60.0, abs=1.0)
    assert "audience measurement paused 1 time by passers-by, 1m 00s in all" in to_table(report, None)
    assert '"pauses": 1' in to_json(report)


def test_escape_and_the_overlay_key_keep_their_jobs_and_do_not_pause(tmp_path):
    shutil.copy(ROOT / "content" / "welcome.png", tmp_path / "a.png")
    (tmp_path / "p.yaml").write_text(PLAYLIST)
    active = ActivePlaylist()
    assert active.try_replace(tmp_path / "p.yaml").ok
    display = Display(DisplayConfig(driver="dummy", fullscreen=False, size=(640, 360))).open()
    screen = Screen(display, NoticeConfig(), camera_on=False)
    sensing = SensingService(SensingConfig(), CameraConfig(enabled=False))
    pause = PauseControl(MIN, resolve_keys(["any"]))
    player = Player(active=active, director=Director(active.current), screen=screen, sensing=sensing,
                    quit_key=True, pause=pause, wall=FakeWall(0.05))
    try:
        for key in (pygame.K_o, pygame.K_ESCAPE):
            pygame.event.post(pygame.event.Event(pygame.KEYDOWN, key=key, mod=0, unicode="", scancode=0))
        player.handle_events()
        assert screen.show_overlay and player._stop_asked and pause.state.pauses == 0
        pygame.event.post(pygame.event.Event(pygame.KEYDOWN, key=pygame.K_1, mod=0, unicode="1", scancode=30))
        player.handle_events()
        assert pause.state.pauses == 1
    finally:
        player.close()
        display.close()


# ----------------------------------------------------------------------------- the other inputs

def test_the_staff_file_is_read_once_per_request_and_a_bad_file_is_ignored(tmp_path, caplog):
    path = tmp_path / "pause.json"
    control = PauseControl(dt.timedelta(minutes=15))
    watcher = PauseFileWatcher(path, control)
    assert not watcher.check()  # no file: nothing
    now = dt.datetime.now(dt.timezone.utc)
    write_request(path, "pause", by="alice", now=now.timestamp())
    assert watcher.check() and not watcher.check()  # the same request is taken once
    assert control.step(now) == now + dt.timedelta(minutes=15)
    write_request(path, "resume", by="alice", now=now.timestamp() + 1)
    assert watcher.check() and control.step(now + dt.timedelta(seconds=2)) is None
    path.write_text('{"request": "pause", "id": 7}')
    assert not watcher.check() and "not a pause request" in caplog.text
    path.write_bytes(b"x" * 10_000)
    assert not watcher.check()
    assert control.step(now + dt.timedelta(seconds=3)) is None


def test_a_gpio_pin_without_gpiozero_warns_and_the_player_goes_on(caplog):
    pytest.importorskip("pygame")
    try:
        import gpiozero  # noqa: F401
    except ImportError:
        pass
    else:
        pytest.skip("gpiozero is installed here: its absence cannot be shown")
    assert open_button(17, PauseControl(MIN)) is None
    assert "pause.gpio_pin = 17 but gpiozero is not installed" in caplog.text and "goes on" in caplog.text
    assert open_button(None, PauseControl(MIN)) is None


def test_with_the_camera_off_by_configuration_there_is_nothing_to_pause():
    control, inputs = build_pause(load_settings(), camera_enabled=False)
    assert control is None
    inputs.start()
    inputs.stop()


# ----------------------------------------------------------------------------- the arithmetic

def snap(t: float, faces: int = 1) -> AudienceSnapshot:
    return AudienceSnapshot(t=t, faces=faces)


def test_paused_seconds_and_pauses_in_plays_and_minutes():
    acc = AudienceAccumulator(0.0, hold_s=2.0)
    acc.add(0.0, snap(0.0))
    acc.set_paused(1.0, True)
    acc.add(1.0, None)
    acc.set_paused(31.0, False)
    tot = acc.close(40.0)
    assert (tot.paused_s, tot.pauses, tot.camera_on_s) == (30.0, 1, 1.0)
    # a pause over three minutes: each minute keeps its part, the first one counts the pause
    m = MinuteAggregator(0.0, hold_s=2.0)
    m.add(0.0, snap(0.0))
    assert m.set_paused(50.0, True) == []
    m.add(50.0, None)
    done = m.set_paused(170.0, False) + m.flush(180.0)
    got = [(x.minute_ts, x.totals.paused_s, x.totals.pauses) for x in done]
    assert got == [(0, 10.0, 1), (60, 60.0, 0), (120, 50.0, 0)], got


# ----------------------------------------------------------------------------- `signage run`

def test_signage_run_takes_the_staff_pause_from_the_file_beside_its_status(tmp_path):
    """The real process: the wiring of app.py (the watcher started with the player, the status
    file saying until when). A pause asked before the start keeps the camera closed from the start:
    it opens only when staff resume."""
    from test_run_e2e import Running

    shutil.copy(ROOT / "content" / "welcome.png", tmp_path / "a.png")
    (tmp_path / "p.yaml").write_text(PLAYLIST)
    status = tmp_path / "run" / "status.json"
    write_request(status.parent / "pause.json", "pause", by="alice", now=time.time() - 120)  # 13 min left
    player = Running(tmp_path / "p.yaml", "--camera", CLIP, "--db", tmp_path / "a.db",
                     env_extra={"SIGNAGE_HEALTH__STATUS_FILE": str(status), "SIGNAGE_LOG_LEVEL": "INFO"})
    try:
        player.said("audience measurement paused until")
        player.said(f"{CLIP.name}: paused")  # the configured source, never opened
        t_end = time.monotonic() + 60  # the status is rewritten when it changes (health.write_interval_s)
        while '"paused_until": "2' not in (status.read_text() if status.exists() else ""):
            assert time.monotonic() < t_end, "the status file does not say until when"
            time.sleep(0.1)
        assert not any(f"{CLIP.name}: on" in line or "video 640x360" in line for line in player.lines)  # never opened
        write_request(status.parent / "pause.json", "resume", by="alice")
        player.said("audience measurement resumed")
        player.said(f"camera {CLIP.name}: on")  # the camera opens now
    finally:
        code, log = player.stop()
    assert code == 0, log[-3000:]
    assert "(staff: alice)" in log
    assert "sensing process" in log and "locked down" in log  # the pause went through the sandboxed process


def test_signage_status_says_until_when(tmp_path, capsys):
    import json
    from types import SimpleNamespace

    from signage.status_cli import run_status

    f = tmp_path / "status.json"
    f.write_text(json.dumps({"time": "2026-11-23T09:00:00+00:00", "camera": {"state": "paused", "source": "0"},
                             "paused_until": "2026-11-23T09:15:00+00:00", "problems": []}))
    assert run_status(SimpleNamespace(file=str(f), json=False), load_settings()) == 0  # a pause is no problem
    out = capsys.readouterr().out
    assert "camera: paused (0)" in out and "audience measurement paused until 2026-11-23T09:15:00+00:00" in out
