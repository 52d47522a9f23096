"""The kiosk's fleet agent: the player's link to the fleet's MQTT broker (docs/fleet.md).

paho-mqtt 2.1 (callback API 2, MQTT 5), a persistent session (clean start off, a session
that outlives a disconnection, so commands sent while the kiosk was away are kept for it), a
last will ``State(online=false)`` retained on the state topic, and on every connection and
every change a retained ``State(online=true, content_version, creative, reason)``. paho's own
thread keeps the connection and reconnects with a back-off (1 s doubling to
``fleet.reconnect_max_s``).

The agent's thread, every half second or when woken: scans the analytics database into the
outbox (``outbox.py``), hands the oldest records waiting to paho (QoS 1; at most ``WINDOW``
in flight), marks a record sent when its PUBACK comes back with success (paho keeps
unacknowledged messages and sends them again, in order, after a reconnect; at a restart the
outbox still has them), publishes Health every ``fleet.health_s`` from the status file and
the State when it changed. A thread of its own runs commands (``commands.py``) one at a time.

It never sees sensing: it reads the analytics database, the status file and the content store
only, and nothing in the render loop waits on it. With the broker away, the player plays on
exactly as without the agent, and the outbox keeps what is to be sent.
"""

from __future__ import annotations

import collections
import logging
import queue
import shutil
import sqlite3
import ssl
import threading
import time
from collections.abc import Callable
from pathlib import Path

import paho.mqtt.client as mqtt
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from signage.analytics.dbfile import StoreError
from signage.config.fleet import FleetConfig
from signage.fleet import messages as m
from signage.fleet.commands import Commands, Hooks
from signage.fleet.facts import health_message, state_facts, state_message
from signage.fleet.outbox import Outbox
from signage.fleet.sync import ContentSync, fleet_version
from signage.health import read_status

log = logging.getLogger("signage.fleet")

WINDOW = 200  # records handed to paho and not yet acknowledged, at most
SCAN_S = 2.0  # the analytics database is looked at this often
SESSION_EXPIRY_S = 7 * 86400  # the broker keeps the session (and commands queued for it) this long


class AgentError(Exception):
    """The agent cannot start (a password file that cannot be read, a TLS file that is wrong)."""


def read_password(path: str) -> str:
    try:
        line = Path(path).expanduser().read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise AgentError(f"fleet.password_file {path}: cannot be read ({exc})") from None
    if not line or not line[0].strip():
        raise AgentError(f"fleet.password_file {path}: empty (the first line is the screen's broker password)")
    return line[0].strip()


class Agent:
    def __init__(self, config: FleetConfig, *, outbox: Outbox, analytics_db: str, status_file: Path,
                 sync: ContentSync | None = None, hooks: Hooks | None = None, password: str | None = None,
                 stale_after_s: float = 10.0, clock: Callable[[], float] = time.time,
                 place: dict | None = None) -> None:  # fmt: skip
        self.config = config
        self.site, self.screen = config.site, config.screen
        self.outbox = outbox
        self.analytics_db = analytics_db
        self.status_file = status_file
        self.sync = sync
        self.stale_after_s = stale_after_s
        self.place = dict(place or {})  # facts.place_of(settings.screen): in every State
        self._clock = clock
        self._password = read_password(config.password_file) if password is None else password
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._connected = threading.Event()
        self._subscribed = threading.Event()  # the broker acknowledged the subscription to our cmd topic
        self._acks: collections.deque = collections.deque()  # (mid, failure reason or None), from paho's thread
        self._in_flight: dict[int, str] = {}  # mid -> record key (the agent's thread only)
        self._held: set[str] = set()  # keys the broker refused: kept in the outbox, not sent again this run
        self._other: dict[int, threading.Event] = {}  # mid -> set when acknowledged (state, acks, screenshots)
        self._outgoing: collections.deque = collections.deque()  # (topic, payload, retain) from the commands thread
        self._state_sent: tuple | None = None
        self._scan_error = ""  # why the analytics database could not be read, last time (logged once)
        self._refused = ""  # the broker's last reason for refusing the connection (logged once)
        self._state_due = False
        self._next_health = 0.0
        self._next_scan = 0.0
        self._next_forget = 0.0
        self._commands_q: queue.Queue[bytes | None] = queue.Queue(maxsize=100)
        self.commands = Commands(screen=self.screen, hooks=hooks or Hooks(), sync=sync, base_url=config.content_base_url,
                                 publish_screenshot=self._publish_screenshot, on_activated=self._state_changed,
                                 clock=clock)
        self.sent = 0  # records acknowledged this run
        self._threads: list[threading.Thread] = []
        self.client = self._client()

    # ----------------------------------------------------------------- the MQTT client
    def _topic(self, kind: str, extra: str | None = None) -> str:
        return m.topic(self.site, self.screen, kind, extra)

    def _client(self) -> mqtt.Client:
        c = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=f"signage-{self.screen}", protocol=mqtt.MQTTv5)
        c.username_pw_set(self.screen, self._password)
        tls = self.config.tls
        if tls.mode == "tls":
            try:
                c.tls_set(ca_certs=tls.ca_file, certfile=tls.cert_file or None, keyfile=tls.key_file or None,
                          cert_reqs=ssl.CERT_REQUIRED, tls_version=ssl.PROTOCOL_TLS_CLIENT)
            except (OSError, ssl.SSLError, ValueError) as exc:
                files = ", ".join(f"{k} {v}" for k, v in (("ca_file", tls.ca_file), ("cert_file", tls.cert_file),
                                                          ("key_file", tls.key_file)) if v)
                raise AgentError(f"fleet.tls ({files}): {getattr(exc, 'strerror', None) or exc}") from None
        c.max_inflight_messages = 50
        c.reconnect_delay_set(1, int(self.config.reconnect_max_s))
        self._set_will(c)
        c.on_connect = self._on_connect
        c.on_disconnect = self._on_disconnect
        c.on_publish = self._on_publish
        c.on_message = self._on_message
        c.on_subscribe = lambda *_a: self._subscribed.set()
        return c

    def _set_will(self, c: mqtt.Client) -> None:
        facts = self._facts(None)
        will = state_message(self.site, self.screen, facts, online=False, ts=self._clock(), place=self.place)
        c.will_set(self._topic("state"), m.encode(will), qos=1, retain=True)

    def _on_connect(self, client, userdata, flags, reason_code, properties) -> None:
        if reason_code.is_failure:
            if str(reason_code) != self._refused:  # once per reason, not at every retry
                self._refused = str(reason_code)
                log.error("fleet: broker %s:%d refused the connection: %s (retrying; the outbox keeps records)",
                          self.config.broker_host, self.config.broker_port, reason_code)
            return
        self._refused = ""
        log.info("fleet: connected to %s:%d as %s (session %s)", self.config.broker_host, self.config.broker_port,
                 self.screen, "resumed" if flags.session_present else "new")
        client.subscribe(self._topic("cmd"), qos=1)
        self._connected.set()
        self._state_due = True
        self._next_health = 0.0
        self._wake.set()

    def _on_disconnect(self, client, userdata, flags, reason_code, properties) -> None:
        if self._connected.is_set() and not self._stop.is_set():
            log.warning("fleet: disconnected from the broker (%s); reconnecting, the outbox keeps records", reason_code)
        self._connected.clear()
        self._subscribed.clear()

    def _on_publish(self, client, userdata, mid, reason_code, properties) -> None:
        """paho's thread, holding paho's lock: only note it; the agent's thread, which made every
        publish and noted its mid before it looks at these, does the rest."""
        self._acks.append((mid, str(reason_code) if reason_code.is_failure else None))
        self._wake.set()

    def _on_message(self, client, userdata, msg) -> None:
        if msg.topic != self._topic("cmd"):
            return
        try:
            self._commands_q.put_nowait(msg.payload)
        except queue.Full:
            self._outgoing.append((self._topic("ack"), m.encode(self.commands.refuse(msg.payload, "busy: too many "
                                                                                     "commands waiting")), False))
            self._wake.set()

    # ----------------------------------------------------------------- publishing
    def _publish_other(self, topic: str, payload: bytes, retain: bool = False) -> threading.Event:
        """Publish at QoS 1 (state, ack, screenshot), on the agent's thread; the event is set at the PUBACK."""
        done = threading.Event()
        info = self.client.publish(topic, payload, qos=1, retain=retain)
        if info.rc in (mqtt.MQTT_ERR_SUCCESS, mqtt.MQTT_ERR_NO_CONN):
            self._other[info.mid] = done
        return done

    def _publish_ack(self, ack: m.Ack) -> None:
        """From the commands thread: handed to the agent's thread."""
        self._outgoing.append((self._topic("ack"), m.encode(ack), False))
        self._wake.set()

    def _publish_screenshot(self, command_id: str, png: bytes) -> str:
        topic = self._topic("screenshot", command_id)
        self._outgoing.append((topic, png, False))
        self._wake.set()
        return topic

    def _state_changed(self) -> None:
        self._state_due = True
        self._wake.set()

    def _facts(self, doc) -> tuple:
        version = fleet_version(self.sync.store) if self.sync is not None else None
        return state_facts(doc, version)

    def _status(self) -> tuple[dict | None, float | None, str]:
        try:
            doc, age = read_status(self.status_file)
        except FileNotFoundError:
            return None, None, f"no status file {self.status_file}: is the player running?"
        except (OSError, ValueError) as exc:
            return None, None, f"status file {self.status_file} cannot be read ({exc})"
        return (doc if isinstance(doc, dict) else None), age, "not a status document"

    def _publish_state_and_health(self, now: float) -> None:
        doc, age, why = self._status()
        facts = self._facts(doc)
        if self._state_due or facts != self._state_sent:
            self._state_due = False
            self._state_sent = facts
            msg = state_message(self.site, self.screen, facts, online=True, ts=now, place=self.place)
            self._publish_other(self._topic("state"), m.encode(msg), retain=True)
        if now >= self._next_health:
            self._next_health = now + self.config.health_s
            try:
                free = shutil.disk_usage(self.outbox.path.parent).free / 1e6
            except OSError:
                free = None
            msg = health_message(doc, age, screen=self.screen, ts=now, stale_after_s=self.stale_after_s,
                                 outbox=self.outbox.waiting(), disk_free_mb=free, why_missing=why)
            self.client.publish(self._topic("health"), m.encode(msg), qos=0)

    def _take_acks(self) -> None:
        while self._acks:
            mid, failure = self._acks.popleft()
            key = self._in_flight.pop(mid, None)
            if key is None:
                done = self._other.pop(mid, None)
                if done is not None:
                    done.set()
                continue
            if failure is None:
                if self.outbox.mark_sent(key):
                    self.sent += 1
            else:
                self._held.add(key)
                log.error("fleet: the broker refused record %s (%s): kept in the outbox, sent again at the next start",
                          key, failure)

    def _drain(self) -> None:
        room = WINDOW - len(self._in_flight)
        if room <= 0:
            return
        busy = set(self._in_flight.values()) | self._held
        for rec in self.outbox.next_records(room, exclude=busy):
            info = self.client.publish(self._topic(rec.kind), rec.payload, qos=1)
            if info.rc not in (mqtt.MQTT_ERR_SUCCESS, mqtt.MQTT_ERR_NO_CONN):
                log.warning("fleet: cannot hand record %s to the MQTT client (%s); trying later", rec.key,
                            mqtt.error_string(info.rc))
                break
            self._in_flight[info.mid] = rec.key

    # ----------------------------------------------------------------- the threads
    def _tick(self) -> None:
        now = self._clock()
        self._take_acks()
        if now >= self._next_scan:
            self._next_scan = now + SCAN_S
            try:
                self.outbox.scan(self.analytics_db)
                self._scan_error = ""
            except (StoreError, sqlite3.Error, OSError) as exc:  # locked, corrupt, a newer schema: said once
                if str(exc) != self._scan_error:
                    self._scan_error = str(exc)
                    log.warning("fleet: the analytics database cannot be read (%s); trying again", exc)
        if now >= self._next_forget:
            self._next_forget = now + 3600.0
            self.outbox.forget_sent()  # acknowledged more than a day ago: the collector has them
        if self._connected.is_set():
            while self._outgoing:
                self._publish_other(*self._outgoing.popleft())
            self._publish_state_and_health(now)
            self._drain()

    def _run(self) -> None:
        last_error = ""
        while not self._stop.is_set():
            self._wake.wait(0.5)
            self._wake.clear()
            try:
                self._tick()
                last_error = ""
            except Exception as exc:  # noqa: BLE001 - the agent outlives any surprise; the player never sees it
                if str(exc) != last_error:
                    log.exception("fleet: agent error (retrying; the player plays on)")
                    last_error = str(exc)
                self._stop.wait(2.0)

    def _run_commands(self) -> None:
        while True:
            payload = self._commands_q.get()
            if payload is None:
                return
            ack = self.commands.handle(payload)
            self._publish_ack(ack)
            self._wake.set()

    def start(self) -> Agent:
        log.info("fleet: agent for %s/%s, broker %s:%d (%s)", self.site, self.screen, self.config.broker_host,
                 self.config.broker_port, self.config.tls.mode)
        props = Properties(PacketTypes.CONNECT)
        props.SessionExpiryInterval = SESSION_EXPIRY_S
        self.client.connect_async(self.config.broker_host, self.config.broker_port, keepalive=self.config.keepalive_s,
                                  clean_start=False, properties=props)
        self.client.loop_start()
        for target, name in ((self._run, "fleet agent"), (self._run_commands, "fleet commands")):
            t = threading.Thread(target=target, name=f"signage {name}", daemon=True)
            t.start()
            self._threads.append(t)
        return self

    def wait_connected(self, timeout: float) -> bool:
        """Connected, and subscribed to the commands (tests, tools)."""
        return self._connected.wait(timeout) and self._subscribed.wait(timeout)

    def stop(self, timeout: float = 5.0) -> None:
        """Say offline (retained), disconnect cleanly, end the threads; the outbox keeps what is unsent."""
        self._stop.set()
        self._wake.set()
        self._commands_q.put(None)
        for t in self._threads:
            t.join(timeout)
        self._threads = []
        if self._connected.is_set():  # the agent's thread has ended: this thread publishes now
            offline = state_message(self.site, self.screen, self._state_sent or self._facts(None), online=False,
                                    ts=self._clock(), place=self.place)
            done = self._publish_other(self._topic("state"), m.encode(offline), retain=True)
            deadline = time.monotonic() + min(timeout, 2.0)
            while not done.is_set() and time.monotonic() < deadline:
                self._take_acks()
                self._wake.wait(0.05)
                self._wake.clear()
        self.client.disconnect()
        self.client.loop_stop()

