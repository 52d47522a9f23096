"""The kiosk's fleet agent (signage/fleet/agent.py) on a real Mosquitto (tests/fleet/engines.py):
the outbox delivered after an outage, each record once; marked sent only at the PUBACK; the last
will; commands acknowledged with their results; a screen cannot act as another. A subscriber to
``signage/v1/#`` checks every message that crosses the broker against the documented schemas."""

from __future__ import annotations

import io
import json
import logging
import os
import signal
import threading
import zlib

import paho.mqtt.client as mqtt
import pygame
import pytest

from signage.analytics.aggregate import AudienceTotals, MinuteTotals
from signage.analytics.rows import PlayRow
from signage.analytics.store import AnalyticsStore
from signage.config import AnalyticsConfig, DisplayConfig, FleetConfig, NoticeConfig, load_settings
from signage.content_store import ContentStore
from signage.fleet import messages as m
from signage.fleet.agent import Agent
from signage.fleet.commands import Hooks
from signage.fleet.outbox import Outbox
from signage.fleet.service import _purge
from signage.fleet.sync import ContentSync, admin_validator
from signage.health import write_atomically
from signage.render.display import Display
from signage.render.screen import Screen

from .conftest import SITE
from .engines import mqtt_client, wait_for
from .fleetkit import ContentServer, bundle, manifest

T0 = 1_800_000_000.0


class Fleet:
    """A subscriber to the whole fleet (as ``central``), every message checked against its schema."""

    def __init__(self, broker, client_id: str = "watcher", clean: bool = True) -> None:
        self.got: list[tuple[str, object]] = []
        self.bad: list[str] = []
        self._lock = threading.Lock()
        self.client = mqtt_client(broker, "central", client_id, clean=clean)
        self.client.on_message = self._on_message
        self.client.on_connect = lambda c, *a: c.subscribe("signage/v1/#", qos=1)
        subscribed = threading.Event()
        self.client.on_subscribe = lambda *a: subscribed.set()
        self.client.subscribe("signage/v1/#", qos=1)
        assert subscribed.wait(30), "no SUBACK"  # the subscription is in the session before anything else happens

    def _on_message(self, client, userdata, msg) -> None:
        try:
            site, screen, kind, extra = m.split_topic(msg.topic)
            if kind == "cmd":  # central's (this test's own, some of them invalid on purpose), not a kiosk's
                return
            if kind == "screenshot":
                assert m.is_png(msg.payload), "not a PNG"
                parsed: object = ("png", extra, msg.payload)
            else:
                parsed = m.parse(kind, msg.payload)
                assert getattr(parsed, "screen", screen) == screen, f"{kind} of {parsed.screen} on {screen}'s topic"
        except (m.MessageError, AssertionError) as exc:
            with self._lock:
                self.bad.append(f"{msg.topic}: {exc}")
            return
        with self._lock:
            self.got.append((msg.topic, parsed))

    def of(self, kind: str) -> list:
        with self._lock:
            return [p for t, p in self.got if t.split("/")[4] == kind]

    def keys(self, kind: str) -> list[str]:
        return [p.key for p in self.of(kind)]

    def command(self, screen: str, **fields) -> None:
        cmd = m.Command(ts=T0, **fields)
        self.client.publish(m.topic(SITE, screen, "cmd"), m.encode(cmd), qos=1)

    def ack(self, cid: str, timeout: float = 60) -> m.Ack:
        return wait_for(lambda: next((a for a in self.of("ack") if a.id == cid), None), timeout, f"the ack of {cid}")

    def close(self) -> None:
        self.client.loop_stop()
        self.client.disconnect()
        assert not self.bad, self.bad  # only documented messages crossed the broker


def _play(pid: str, start: float) -> PlayRow:
    aud = AudienceTotals(span_s=10, samples=40, camera_on_s=10, face_s=12, measured_s=10, smile_s=4, impressions=2,
                         arrivals=2)  # two people: the expression figures must not cross
    return PlayRow(pid, "promo", None, "default loop", start, start + 10, "completed", 10.0, "demo", "sha:1", aud)


class Kiosk:
    """A kiosk's files (analytics database, status file, content store) and its agent."""

    def __init__(self, tmp, broker, screen: str = "kiosk-1", password: str | None = None, hooks: Hooks | None = None,
                 **fleet) -> None:
        self.dir = tmp / screen
        self.dir.mkdir()
        self.db = AnalyticsStore(self.dir / "analytics.db")
        self.status = self.dir / "status.json"
        write_atomically(self.status, {"creative": "promo", "reason": "default loop", "release": "/opt/signage/r1",
                                       "problems": [], "camera": {"state": "on"}, "uptime_s": 5,
                                       "display": {"driver": "dummy", "size": "1920x1080", "mode": "headless"}})
        pw = self.dir / "password"
        pw.write_text((password or broker.password(screen)) + "\n")
        self.config = FleetConfig(**{"enabled": True, "broker_host": broker.host, "broker_port": broker.port,
                                     "tls": {"mode": "plain"}, "password_file": str(pw), "site": SITE,
                                     "screen": screen, "health_s": 1, "reconnect_max_s": 2, "max_backlog": 10_000,
                                     **fleet})
        self.outbox = Outbox(self.dir / "fleet-outbox.db", screen, self.config.max_backlog)
        self.store = ContentStore(self.dir / "content")
        self.sync = ContentSync(self.store, admin_validator(self.store, load_settings()), timeout_s=10)
        self.agent = Agent(self.config, outbox=self.outbox, analytics_db=str(self.db.path), status_file=self.status,
                           sync=self.sync, hooks=hooks)
        self.minute = int(T0)

    def plays(self, ids) -> None:
        for i in ids:
            self.db.write([_play(i, T0 + zlib.crc32(i.encode()) % 1000)])  # starts out of order

    def minutes(self, n: int) -> list[str]:
        keys = []
        for _ in range(n):
            self.db.write(minutes=[MinuteTotals(self.minute, AudienceTotals(span_s=60, samples=100, camera_on_s=60,
                                                                            face_s=200, measured_s=180, smile_s=50,
                                                                            impressions=6, arrivals=6))],
                          at=self.minute + 60)
            keys.append(f"{self.agent.screen}:{self.minute}")
            self.minute += 60
        return keys

    def close(self) -> None:
        self.agent.stop()
        self.outbox.close()
        self.db.close()


@pytest.fixture
def kiosks(tmp_path):
    made: list[Kiosk] = []

    def make(broker, **kw) -> Kiosk:
        k = Kiosk(tmp_path, broker, **kw)
        made.append(k)
        return k

    yield make
    for k in made:
        k.close()


@pytest.fixture
def fleet_watch():
    made: list[Fleet] = []

    def make(broker, **kw) -> Fleet:
        f = Fleet(broker, **kw)
        made.append(f)
        return f

    yield make
    for f in made:
        f.close()


def _kill(broker) -> None:
    """The broker dies (SIGKILL): nothing saved, nothing acknowledged after this."""
    os.kill(broker._proc.pid, signal.SIGKILL)
    broker._proc.wait()
    broker._proc = None


def test_an_offline_kiosk_delivers_its_whole_backlog_once_it_is_back(broker, kiosks, fleet_watch):
    watch = fleet_watch(broker, client_id="collector-like", clean=False)  # a persistent session: queued while away
    broker.stop()
    k = kiosks(broker)
    k.plays([f"early-{i}" for i in range(30)])
    minutes = k.minutes(20)
    k.agent.start()  # the broker is away: start returns at once, the outbox fills
    wait_for(lambda: k.outbox.waiting() == 50, what="the backlog in the outbox")
    k.plays([f"late-{i}" for i in range(20)])
    wait_for(lambda: k.outbox.waiting() == 70, what="the later plays in the outbox")
    assert k.agent.sent == 0 and not k.agent._connected.is_set()
    broker.start()
    wait_for(lambda: k.outbox.waiting() == 0, what="the outbox drained")
    plays = {f"early-{i}" for i in range(30)} | {f"late-{i}" for i in range(20)}
    wait_for(lambda: set(watch.keys("play")) == plays and set(watch.keys("minute")) == set(minutes),
             what="every record at the subscriber")
    assert sorted(watch.keys("play")) == sorted(plays) and sorted(watch.keys("minute")) == sorted(minutes)  # once each
    assert k.agent.sent == 70
    assert all(p.audience.smile_s is None for p in watch.of("play"))  # two people: withheld
    assert all(mi.audience.smile_s == 50 for mi in watch.of("minute"))  # six: sent
    state = wait_for(lambda: [s for s in watch.of("state") if s.online], what="the online state")[-1]
    assert (state.site, state.screen, state.creative, state.reason) == (SITE, "kiosk-1", "promo", "default loop")
    health = wait_for(lambda: watch.of("health"), what="health")[-1]
    assert health.healthy and health.camera == "on" and health.display == "dummy 1920x1080 headless"


def test_a_record_is_marked_sent_only_when_the_broker_acknowledged_it(broker, kiosks, fleet_watch):
    watch = fleet_watch(broker, client_id="collector-like", clean=False)
    broker.restart()  # a clean stop saves the subscriber's session: it outlives the kill below
    k = kiosks(broker)
    k.agent.start()
    assert k.agent.wait_connected(60)
    os.kill(broker._proc.pid, signal.SIGSTOP)  # it takes the packets in its socket and answers nothing
    try:
        k.plays(["a", "b", "c"])
        wait_for(lambda: len(k.agent._in_flight) == 3, what="the records handed to the broker")
        assert k.outbox.waiting() == 3 and k.agent.sent == 0
    finally:
        _kill(broker)  # dies, still stopped, before acknowledging anything: they must go again
    assert k.outbox.waiting() == 3
    broker.start()
    wait_for(lambda: k.outbox.waiting() == 0, what="sent again after the reconnect")
    wait_for(lambda: set(watch.keys("play")) >= {"a", "b", "c"}, what="the records at the subscriber")
    assert k.agent.sent == 3


def test_the_last_will_says_offline_when_the_connection_dies(broker, kiosks, fleet_watch):
    watch = fleet_watch(broker)
    k = kiosks(broker)
    k.agent.start()
    wait_for(lambda: [s for s in watch.of("state") if s.online], what="online")
    k.agent.client.socket().shutdown(2)  # the connection dies without a DISCONNECT: the broker sends the will
    will = wait_for(lambda: [s for s in watch.of("state") if not s.online], what="the last will")[0]
    assert will.screen == "kiosk-1" and will.site == SITE
    wait_for(lambda: watch.of("state")[-1].online, what="online again after the reconnect")
    k.agent.stop()  # a clean stop: offline, retained for whoever looks later
    late = fleet_watch(broker, client_id="late")
    retained = wait_for(lambda: late.of("state"), what="the retained state")
    assert retained[-1].online is False and retained[-1].creative == "promo"


def _display_screen():
    disp = Display(DisplayConfig(driver="dummy", fullscreen=False, size=(640, 360))).open()
    return disp, Screen(disp, NoticeConfig(), camera_on=True)


def test_commands_are_acknowledged_with_their_results(broker, kiosks, fleet_watch, tmp_path):
    disp, screen = _display_screen()
    server = ContentServer()
    analytics = AnalyticsConfig(db_path=str(tmp_path / "kiosk-1" / "analytics.db"), retention_days=30)
    reloads = []
    hooks = Hooks(reload=lambda: reloads.append(1) or "playing 'Spring'", screenshot=screen.screenshots.request)
    k = kiosks(broker, hooks=hooks, content_base_url=server.url)
    hooks.purge = lambda: _purge(analytics, k.outbox)
    k.db.write([_play("old", 1_000_000.0), _play("new", T0)])
    watch = fleet_watch(broker)
    k.agent.start()
    assert k.agent.wait_connected(60)  # commands sent before the kiosk ever subscribed reach no one
    try:
        files = bundle("Spring", ["hello", "offer"])
        server.add(files)
        watch.command("kiosk-1", id="c-activate", action="activate", manifest=manifest("spring-1", files))
        ack = watch.ack("c-activate")
        assert ack.ok and ack.result.startswith("activated spring-1 as ") and "3 downloaded" in ack.result
        assert k.store.active_playlist.read_bytes() == files["playlist.yaml"]
        wait_for(lambda: any(s.content_version == "spring-1" for s in watch.of("state")), what="the new version's state")

        watch.command("kiosk-1", id="c-bad", action="activate", manifest=manifest("bad", {**files, "hello.png": b"x"}),
                      base_url=server.url)
        bad = watch.ack("c-bad")
        assert not bad.ok and "the active version stays" in bad.result and k.store.get(k.store.active_id()).meta[
            "fleet_version"] == "spring-1"

        watch.command("kiosk-1", id="c-reload", action="reload")
        assert watch.ack("c-reload").result == "playing 'Spring'" and reloads == [1]

        watch.command("kiosk-1", id="c-purge", action="purge")
        purge = watch.ack("c-purge")
        assert purge.ok and purge.result.startswith("deleted 1 plays, 0 audience minutes"), purge.result
        assert [r[0] for r in k.db.conn.execute("SELECT play_id FROM plays")] == ["new"]

        watch.command("kiosk-1", id="c-shot", action="screenshot")
        shot = wait_for(lambda: (screen.tick(), next((a for a in watch.of("ack") if a.id == "c-shot"), None))[1],
                        what="the screenshot's ack")  # the render loop presents frames meanwhile
        assert shot.ok and "on signage/v1/shop-1/kiosk-1/screenshot/c-shot" in shot.result
        png = wait_for(lambda: [p for p in watch.of("screenshot") if p[1] == "c-shot"], what="the screenshot")[0]
        shown = pygame.image.load(io.BytesIO(png[2]), "shot.png")
        assert shown.get_size() == (640, 360)  # the screen's picture, not a camera's
        assert pygame.image.tobytes(shown, "RGB") == pygame.image.tobytes(screen.canvas, "RGB")  # with its notice
        notice = screen.notice.height((640, 360), True)
        band = {shown.get_at((x, 360 - notice // 2))[:3] for x in range(0, 640, 7)}
        assert len(band) > 1  # the notice's text is in it
    finally:
        server.close()
        screen.close()
        disp.close()


def test_invalid_and_repeated_commands_get_a_reason_never_a_crash(broker, kiosks, fleet_watch):
    k = kiosks(broker)
    watch = fleet_watch(broker)
    k.agent.start()
    assert k.agent.wait_connected(60)
    cmd_topic = m.topic(SITE, "kiosk-1", "cmd")
    watch.client.publish(cmd_topic, b"\xff not json", qos=1)
    watch.client.publish(cmd_topic, json.dumps({"v": 1, "id": "c-odd", "ts": 1, "action": "format-disk"}), qos=1)
    watch.command("kiosk-1", id="c-shot", action="screenshot")  # no render loop lent to this agent
    watch.command("kiosk-1", id="c-act", action="activate")  # no manifest
    assert "invalid command" in watch.ack("invalid").result
    odd = watch.ack("c-odd")
    assert not odd.ok and "action" in odd.result
    assert not watch.ack("c-shot").ok and "no screen" in watch.ack("c-shot").result
    assert watch.ack("c-act").result == "activate needs a manifest"
    watch.command("kiosk-1", id="c-act", action="activate")  # the same id again: the same answer, not run again
    wait_for(lambda: len([a for a in watch.of("ack") if a.id == "c-act"]) == 2, what="the repeated ack")
    assert len({a.ts for a in watch.of("ack") if a.id == "c-act"}) == 1
    k.plays(["after"])  # the agent is still at work
    wait_for(lambda: "after" in watch.keys("play"), what="a play after the bad commands")


def test_a_screen_cannot_use_another_screens_id(broker, kiosks, fleet_watch, caplog):
    watch = fleet_watch(broker)
    # kiosk-1's password under kiosk-2's id: the broker refuses the connection, the outbox keeps the records
    with caplog.at_level(logging.ERROR, "signage.fleet"):
        k = kiosks(broker, screen="kiosk-2", password=broker.password("kiosk-1"))
        k.plays(["forged"])
        k.agent.start()
        wait_for(lambda: "refused the connection" in caplog.text, what="the refusal in the log")
        wait_for(lambda: k.outbox.waiting() == 1, what="the play in the outbox")
    assert not k.agent._connected.is_set() and k.agent.sent == 0
    # kiosk-1, logged in as itself, publishing on kiosk-2's topic: the ACL drops it
    c = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="rogue", protocol=mqtt.MQTTv5)
    c.username_pw_set("kiosk-1", broker.password("kiosk-1"))
    acks: dict[int, object] = {}
    c.on_publish = lambda client, userdata, mid, rc, props: acks.__setitem__(mid, rc)
    c.connect(broker.host, broker.port)
    c.loop_start()
    try:
        forged = m.Play(key="forged-1", screen="kiosk-2", creative_id="promo", start_ts=T0, end_ts=T0 + 1,
                        outcome="completed")
        info = c.publish(m.topic(SITE, "kiosk-2", "play"), m.encode(forged), qos=1)
        rc = wait_for(lambda: acks.get(info.mid), what="the broker's answer")
        assert rc.is_failure, rc  # MQTT 5: "Not authorized"
        own = c.publish(m.topic(SITE, "kiosk-1", "play"), m.encode(forged.model_copy(update={"screen": "kiosk-1",
                                                                                            "key": "own-1"})), qos=1)
        wait_for(lambda: "own-1" in watch.keys("play"), what="kiosk-1's own play")
        assert "forged-1" not in watch.keys("play") and own.mid in acks
    finally:
        c.loop_stop()
        c.disconnect()


def test_signage_run_with_the_agent_on_the_sample_clip_joins_plays_what_the_fleet_activates(broker, fleet_watch,
                                                                                           tmp_path):
    """``signage run`` as a real process (the sample clip as its camera, real sensing, the SDL dummy
    screen) with the agent on: it comes online, plays a version pushed to it within seconds, its
    proof of play crosses the broker, a screenshot is the rendered screen, and it says offline when
    it stops. Every message is checked against the documented schemas by ``Fleet``."""
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/: the e2e helpers
    from test_run_e2e import KIOSK_ENV, Running

    clip = Path(__file__).resolve().parents[1] / "data" / "white_house_hamilton_clip.mp4"
    server = ContentServer()
    files = bundle("Spring", ["hello", "offer"])
    server.add(files)
    pw = tmp_path / "password"
    pw.write_text(broker.password("kiosk-3") + "\n")
    watch = fleet_watch(broker)
    env = {**KIOSK_ENV, "SIGNAGE_FLEET__ENABLED": "true", "SIGNAGE_FLEET__BROKER_HOST": broker.host,
           "SIGNAGE_FLEET__BROKER_PORT": str(broker.port), "SIGNAGE_FLEET__TLS__MODE": "plain",
           "SIGNAGE_FLEET__PASSWORD_FILE": str(pw), "SIGNAGE_FLEET__SITE": SITE, "SIGNAGE_FLEET__SCREEN": "kiosk-3",
           "SIGNAGE_FLEET__HEALTH_S": "1", "SIGNAGE_FLEET__CONTENT_BASE_URL": server.url,
           "SIGNAGE_ADMIN__DATA_DIR": str(tmp_path / "content"),
           "SIGNAGE_HEALTH__STATUS_FILE": str(tmp_path / "status.json")}
    player = Running("--camera", clip, "--db", tmp_path / "analytics.db", env_extra=env)
    try:
        player.said("fleet: connected to")
        wait_for(lambda: [s for s in watch.of("state") if s.screen == "kiosk-3" and s.online], what="online")
        wait_for(lambda: any(h.screen == "kiosk-3" for h in watch.of("health")), what="health")
        watch.command("kiosk-3", id="push-1", action="activate", manifest=manifest("spring-1", files))
        assert watch.ack("push-1").ok
        player.said("playlist 'Spring'")
        wait_for(lambda: any(s.content_version == "spring-1" and s.creative in ("hello", "offer")
                             for s in watch.of("state")), what="the pushed version on screen")
        wait_for(lambda: [p for p in watch.of("play") if p.playlist == "Spring"], what="a play of the pushed version",
                 timeout=120)
        watch.command("kiosk-3", id="shot-1", action="screenshot")
        assert watch.ack("shot-1").ok
        png = wait_for(lambda: [p for p in watch.of("screenshot") if p[1] == "shot-1"], what="the screenshot")[0]
        assert pygame.image.load(io.BytesIO(png[2]), "s.png").get_size()[0] >= 640
    finally:
        returncode, err = player.stop()
        server.close()
    assert returncode == 0, err[-3000:]
    wait_for(lambda: not watch.of("state")[-1].online, what="offline after the stop")
    assert "Traceback" not in err


def test_health_and_state_from_the_status_file_are_pure_and_bounded():
    from signage.fleet.facts import health_message, state_facts

    doc = {"problems": ["display: headless"], "camera": {"state": "ended"}, "uptime_s": "x", "creative": "c" * 300,
           "reason": 5, "display": {"driver": "kmsdrm"}}
    h = health_message(doc, 3.0, screen="s1", ts=T0, stale_after_s=10, outbox=7, disk_free_mb=12.5)
    assert (h.healthy, h.problems, h.camera, h.uptime_s, h.outbox, h.display) == (
        False, ["display: headless"], "off", 0.0, 7, "kmsdrm")
    stale = health_message({"problems": []}, 60.0, screen="s1", ts=T0, stale_after_s=10, outbox=0, disk_free_mb=None)
    assert not stale.healthy and "60 s old" in stale.problems[0]
    fresh = health_message({"problems": [], "camera": {"state": "on"}}, 1.0, screen="s1", ts=T0, stale_after_s=10,
                           outbox=0, disk_free_mb=None)
    assert fresh.healthy and fresh.camera == "on"
    missing = health_message(None, None, screen="s1", ts=T0, stale_after_s=10, outbox=0, disk_free_mb=None,
                             why_missing="no status file /run/x")
    assert not missing.healthy and missing.problems == ["no status file /run/x"]
    version, creative, reason, player = state_facts(doc, "v" * 200)
    assert len(version) == 128 and len(creative) == 128 and reason == "" and player == ""
    for msg in (h, stale, fresh, missing):
        assert m.parse("health", m.encode(msg)) == msg


def test_an_agent_that_cannot_start_is_logged_and_the_player_goes_on_without_it(tmp_path, caplog):
    from signage.fleet.service import build_agent, fleet_content

    settings = load_settings(fleet={"enabled": True, "broker_host": "127.0.0.1", "tls": {"mode": "plain"},
                                    "site": SITE, "screen": "kiosk-1", "password_file": str(tmp_path / "none")},
                             admin={"data_dir": str(tmp_path / "content")},
                             analytics={"db_path": str(tmp_path / "analytics.db")})
    store = fleet_content(settings)
    assert store is not None and (tmp_path / "content" / "versions").is_dir()  # the player follows it from now on
    with caplog.at_level(logging.ERROR, "signage.fleet"):
        agent = build_agent(settings, settings.analytics, store=store, screen=None, watcher=None, active=None)
    assert agent is None and "fleet.password_file" in caplog.text and "the player plays on without it" in caplog.text
    (tmp_path / "pw").write_text("secret\n")
    bad_ca = load_settings(fleet={"enabled": True, "broker_host": "fleet.example", "site": SITE, "screen": "kiosk-1",
                                  "password_file": str(tmp_path / "pw"), "tls": {"ca_file": str(tmp_path / "no.pem")}},
                           analytics={"db_path": str(tmp_path / "analytics.db")})
    caplog.clear()
    with caplog.at_level(logging.ERROR, "signage.fleet"):
        assert build_agent(bad_ca, settings.analytics, store=store, screen=None, watcher=None, active=None) is None
    assert "no.pem" in caplog.text and "the player plays on without it" in caplog.text
    assert fleet_content(load_settings()) is None and build_agent(load_settings(), None, store=None, screen=None,
                                                                  watcher=None, active=None) is None


def test_signage_run_with_the_broker_away_plays_on_and_delivers_its_plays_once_it_is_back(broker, fleet_watch,
                                                                                          tmp_path):
    """The broker is down when the player starts: it plays and records as ever, the outbox keeps
    the plays, and once the broker is up every play recorded meanwhile reaches the fleet."""
    import sqlite3
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from test_run_e2e import KIOSK_ENV, Running

    folder = tmp_path / "pl"
    folder.mkdir()
    for name, data in bundle("Offline", ["one", "two"]).items():
        (folder / name).write_bytes(data)
    pw = tmp_path / "password"
    pw.write_text(broker.password("kiosk-2") + "\n")
    watch = fleet_watch(broker, client_id="collector-like", clean=False)
    broker.stop()  # a clean stop: the subscriber's session is kept for when it is back
    db = tmp_path / "analytics.db"
    env = {**KIOSK_ENV, "SIGNAGE_FLEET__ENABLED": "true", "SIGNAGE_FLEET__BROKER_HOST": broker.host,
           "SIGNAGE_FLEET__BROKER_PORT": str(broker.port), "SIGNAGE_FLEET__TLS__MODE": "plain",
           "SIGNAGE_FLEET__PASSWORD_FILE": str(pw), "SIGNAGE_FLEET__SITE": SITE, "SIGNAGE_FLEET__SCREEN": "kiosk-2",
           "SIGNAGE_FLEET__RECONNECT_MAX_S": "2", "SIGNAGE_PLAYER__PLAYLIST": str(folder / "playlist.yaml"),
           "SIGNAGE_ADMIN__DATA_DIR": str(tmp_path / "content"),
           "SIGNAGE_HEALTH__STATUS_FILE": str(tmp_path / "status.json")}
    player = Running("--camera", "off", "--db", db, env_extra=env)

    def closed() -> set[str]:
        if not db.exists():
            return set()
        con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
        try:
            return {r[0] for r in con.execute("SELECT play_id FROM plays WHERE outcome != 'playing'")}
        except sqlite3.Error:
            return set()
        finally:
            con.close()

    try:
        player.said("screen: one (image) on")
        player.said("screen: two (image) on")
        player.said("screen: one (image) on")  # it plays on, the broker away
        offline = wait_for(lambda: closed() if len(closed()) >= 2 else None, what="plays recorded while offline")
        outbox = tmp_path / "fleet-outbox.db"
        wait_for(lambda: outbox.exists() and sqlite3.connect(outbox).execute(
            "SELECT COUNT(*) FROM outbox WHERE sent_ts IS NULL").fetchone()[0] >= 2, what="plays waiting in the outbox")
        assert not watch.keys("play")
        broker.start()
        wait_for(lambda: offline <= set(watch.keys("play")), what="the offline plays at the fleet", timeout=120)
    finally:
        returncode, err = player.stop()
    assert returncode == 0, err[-3000:]
    keys = watch.keys("play")
    assert len(keys) == len(set(keys))  # each once
    assert "Traceback" not in err


def _certificates(folder) -> None:
    """A CA, a broker certificate for 127.0.0.1 signed by it, and another CA that signed nothing."""
    import subprocess

    def run(*args: str) -> None:
        subprocess.run(["openssl", *args], cwd=folder, check=True, capture_output=True, timeout=120)

    run("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-days", "2",
        "-subj", "/CN=signage test CA")
    run("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "other.key", "-out", "other.pem", "-days", "2",
        "-subj", "/CN=another CA")
    run("req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=127.0.0.1")
    (folder / "ext.cnf").write_text("subjectAltName=IP:127.0.0.1\n")
    run("x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-out",
        "server.pem", "-days", "2", "-extfile", "ext.cnf")
    for p in folder.iterdir():
        p.chmod(0o644)  # the broker may read them as its own user


def test_over_tls_the_agent_connects_only_to_a_broker_its_ca_signed(broker_factory, kiosks, fleet_watch):
    import shutil
    import tempfile
    from pathlib import Path

    from .engines import free_port

    if shutil.which("openssl") is None:
        pytest.skip("openssl is missing (apt-get install openssl)")
    folder = Path(tempfile.mkdtemp(prefix="signage-tls-", dir="/tmp"))
    folder.chmod(0o755)
    try:
        _certificates(folder)
        port = free_port()
        broker = broker_factory(extra_conf=f"listener {port} 127.0.0.1\ncafile {folder / 'ca.pem'}\n"
                                           f"certfile {folder / 'server.pem'}\nkeyfile {folder / 'server.key'}\n")
        watch = fleet_watch(broker)  # on the plain loopback listener
        wrong = kiosks(broker, screen="kiosk-1", broker_port=port, tls={"ca_file": str(folder / "other.pem")})
        wrong.agent.start()
        good = kiosks(broker, screen="kiosk-2", broker_port=port, tls={"ca_file": str(folder / "ca.pem")})
        good.agent.start()
        wait_for(lambda: [s for s in watch.of("state") if s.screen == "kiosk-2" and s.online], what="kiosk-2 over TLS")
        assert not wrong.agent._connected.is_set() and not [s for s in watch.of("state") if s.screen == "kiosk-1"]
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def test_any_payload_on_the_command_topic_gets_an_ack_never_an_exception():
    from hypothesis import given, settings as hsettings, strategies as st

    from signage.fleet.commands import Commands

    ran = []
    cmds = Commands(screen="s1", hooks=Hooks(reload=lambda: ran.append("reload") or "ok",
                                             purge=lambda: (_ for _ in ()).throw(OSError("disk gone"))),
                    sync=None, base_url="", publish_screenshot=lambda cid, png: "t", on_activated=lambda: None,
                    clock=lambda: T0)
    fields = st.fixed_dictionaries({}, optional={
        "v": st.sampled_from([1, 2, "1"]), "id": st.text(max_size=140), "ts": st.floats(allow_nan=True),
        "action": st.sampled_from(["activate", "reload", "purge", "screenshot", "rm -rf", ""]),
        "manifest": st.none() | st.dictionaries(st.text(max_size=5), st.text(max_size=5), max_size=3),
        "base_url": st.text(max_size=20), "extra": st.integers()})

    @hsettings(max_examples=300, deadline=None)
    @given(st.one_of(st.binary(max_size=200), fields.map(lambda d: json.dumps(d).encode())))
    def check(payload):
        ack = cmds.handle(payload)
        assert m.parse("ack", m.encode(ack)) == ack and ack.screen == "s1"

    check()
    # a purge whose hook fails is answered with the reason
    ack = cmds.handle(m.encode(m.Command(id="p-1", ts=T0, action="purge")))
    assert not ack.ok and "disk gone" in ack.result


def test_the_screenshot_hook_waits_for_a_presented_frame_and_says_when_none_comes():
    from signage.render.screenshot import ScreenshotHook, ScreenshotTimeout

    hook = ScreenshotHook()
    canvas = pygame.Surface((64, 36))
    canvas.fill((10, 200, 30))
    hook.presented(canvas)  # nobody asked: nothing is kept
    with pytest.raises(ScreenshotTimeout, match="no frame presented within"):
        hook.request(timeout_s=0.1)  # no render loop
    got: list[bytes] = []
    asking = threading.Thread(target=lambda: got.append(hook.request(timeout_s=60)))
    asking.start()
    wait_for(lambda: hook._waiting, what="the request")
    hook.presented(canvas)
    asking.join(60)
    shot = pygame.image.load(io.BytesIO(got[0]), "s.png")
    assert shot.get_size() == (64, 36) and shot.get_at((5, 5))[:3] == (10, 200, 30)


def test_an_analytics_database_that_cannot_be_read_is_said_once_and_the_agent_goes_on(broker, kiosks, fleet_watch,
                                                                                       caplog):
    watch = fleet_watch(broker)
    k = kiosks(broker)
    k.db.close()
    k.db.path.write_bytes(b"not a database at all" * 100)  # what a broken card may leave
    with caplog.at_level(logging.WARNING, "signage.fleet"):
        k.agent.start()
        wait_for(lambda: "the analytics database cannot be read" in caplog.text, what="the warning")
        wait_for(lambda: len(watch.of("health")) >= 5, what="health all the same, over several scans")
    assert caplog.text.count("the analytics database cannot be read") == 1 and "Traceback" not in caplog.text
    k.db = AnalyticsStore(k.dir / "fresh.db")  # for the fixture's close
