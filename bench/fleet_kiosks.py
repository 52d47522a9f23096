"""One worker process of bench/fleet.py: a share of the simulated kiosks.

    python bench/fleet_kiosks.py SPEC.json      (written by bench/fleet.py; results to spec["out"])

Each simulated kiosk is a paho-mqtt 2.1 client as the real agent makes it
(signage/fleet/agent.py): MQTT 5, client id ``signage-<screen>``, its own screen's user and
password, a persistent session (clean start off, a session expiry), a retained last will
``State(online=false)``, a retained ``State(online=true)`` at every connection, paho's own
network thread reconnecting with a back-off (1 s doubling to 60 s, the agent's default), at
most 50 messages in flight.

At real rates (divided by ``speed``): a Play every uniform(10, 30) s with a unique key, a
Minute every 60 s (QoS 1), Health every 10 s (QoS 0, as the agent sends it: dropped while
disconnected). The outbox is paho's own queue, as in the agent: a QoS 1 message handed to
paho stays in it until its PUBACK, is queued while the broker is away (max_queued_messages
0: no limit) and sent again (DUP) after a reconnect. The agent's SQLite outbox adds survival
across a restart of the kiosk, which this bench does not exercise.

Every keyed record is noted with the time it was made (its send time, the start of its
end-to-end delay) and the time its PUBACK came back. Pure bookkeeping apart from paho.
"""

from __future__ import annotations

import collections
import heapq
import json
import os
import random
import sys
import threading
import time
from pathlib import Path

import paho.mqtt.client as mqtt
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from signage.fleet import messages as m  # noqa: E402

PLAY_S = (10.0, 30.0)
MINUTE_S = 60.0
HEALTH_S = 10.0
SESSION_EXPIRY_S = 7 * 86400
AUDIENCE = m.Audience(samples=20, camera_on_s=10, face_s=6, watcher_s=4, measured_s=5, impressions=2, viewers=1,
                      arrivals=2, passers_by=3)


class Kiosk:
    """One simulated screen: its client, its schedule's counters, its records."""

    def __init__(self, site: str, screen: str, password: str, host: str, port: int, reconnect_max_s: int):
        self.site, self.screen = site, screen
        self.host, self.port = host, port
        self.acks: collections.deque = collections.deque()  # (mid, epoch), from paho's thread
        self.in_flight: dict[int, str] = {}  # mid -> key (the worker's thread only)
        self.plays = 0
        self.minutes = 0
        self.last_end = 0.0
        self.connects = 0
        self.disconnects = 0
        c = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=f"signage-{screen}", protocol=mqtt.MQTTv5)
        c.username_pw_set(screen, password)
        c.max_inflight_messages = 50
        c.max_queued_messages = 0
        c.reconnect_delay_set(1, reconnect_max_s)
        c.will_set(self.topic("state"), m.encode(self.state(False)), qos=1, retain=True)
        c.on_connect = self._on_connect
        c.on_disconnect = self._on_disconnect
        c.on_publish = self._on_publish
        self.client = c

    def topic(self, kind: str) -> str:
        return m.topic(self.site, self.screen, kind)

    def state(self, online: bool) -> m.State:
        return m.State(screen=self.screen, site=self.site, online=online, ts=time.time(), content_version="v1",
                       creative="promo", reason="default loop", player="bench")

    def start(self) -> None:
        props = Properties(PacketTypes.CONNECT)
        props.SessionExpiryInterval = SESSION_EXPIRY_S
        self.client.connect_async(self.host, self.port, keepalive=30, clean_start=False, properties=props)
        self.client.loop_start()

    def _on_connect(self, client, userdata, flags, reason_code, properties) -> None:
        if reason_code.is_failure:
            return
        self.connects += 1
        client.publish(self.topic("state"), m.encode(self.state(True)), qos=1, retain=True)

    def _on_disconnect(self, client, userdata, flags, reason_code, properties) -> None:
        self.disconnects += 1

    def _on_publish(self, client, userdata, mid, reason_code, properties) -> None:
        self.acks.append((mid, time.time(), reason_code.is_failure))

    def play(self, now: float, speed: float) -> tuple[str, bytes]:
        self.plays += 1
        start = self.last_end or now - PLAY_S[0] / speed
        self.last_end = now
        key = f"{self.screen}-p{self.plays}"
        msg = m.Play(key=key, screen=self.screen, creative_id=f"c{self.plays % 5}", playlist="main",
                     content_version="v1", rule_id=None, reason="default loop", start_ts=start, end_ts=now,
                     planned_s=now - start, outcome="completed", audience=AUDIENCE)
        return key, m.encode(msg)

    def minute(self, base_minute: int) -> tuple[str, bytes]:
        ts = base_minute + 60 * self.minutes  # one minute of the schedule each (unique with --speed too)
        self.minutes += 1
        key = f"{self.screen}:{ts}"
        return key, m.encode(m.Minute(key=key, screen=self.screen, minute_ts=ts, span_s=60.0, audience=AUDIENCE))

    def health(self, now: float, started: float) -> bytes:
        return m.encode(m.Health(screen=self.screen, ts=now, healthy=True, camera="on", display="1920x1080",
                                 uptime_s=now - started, outbox=len(self.in_flight)))


def run(spec: dict) -> dict:
    speed = float(spec["speed"])
    rng = random.Random(spec["seed"])
    kiosks = [Kiosk(spec["site"], s, spec["passwords"][s], spec["host"], spec["port"], spec["reconnect_max_s"])
              for s in spec["screens"]]
    for k in kiosks:
        k.start()
    begin, stop = float(spec["begin"]), float(spec["stop"])
    base_minute = int(begin // 60) * 60
    records: dict[str, list] = {}  # key -> [kind, screen, made, acked or None]
    events: list[tuple[float, int, str]] = []
    for i in range(len(kiosks)):  # phases spread over each interval, as kiosks started at different times
        events.append((begin + rng.uniform(0, PLAY_S[1]) / speed, i, "play"))
        events.append((begin + rng.uniform(0, MINUTE_S) / speed, i, "minute"))
        events.append((begin + rng.uniform(0, HEALTH_S) / speed, i, "health"))
    heapq.heapify(events)
    health_sent = health_dropped = failed_acks = 0
    retry: list[tuple[Kiosk, str, str, bytes]] = []  # paho refused to take it (never NO_CONN): handed again

    def hand(k: Kiosk, kind: str, key: str, payload: bytes) -> bool:
        info = k.client.publish(k.topic(kind), payload, qos=1)
        if info.rc not in (mqtt.MQTT_ERR_SUCCESS, mqtt.MQTT_ERR_NO_CONN):
            return False
        k.in_flight[info.mid] = key
        return True

    def take_acks() -> int:
        n = 0
        for k in kiosks:
            while k.acks:
                mid, t, failed = k.acks.popleft()
                key = k.in_flight.pop(mid, None)
                if key is None:
                    continue  # a state's
                if failed:  # refused by the broker (an ACL): counted, never acknowledged
                    n += 1
                    continue
                if records[key][3] is None:
                    records[key][3] = t
        return n

    def rehand() -> None:
        again, retry[:] = list(retry), []
        for k, kind, key, payload in again:
            if not hand(k, kind, key, payload):
                retry.append((k, kind, key, payload))

    while True:
        now = time.time()
        while events[0][0] <= now and events[0][0] < stop:  # late (a busy machine): made now, none skipped
            due, i, kind = heapq.heappop(events)
            k = kiosks[i]
            if kind == "health":
                rc = k.client.publish(k.topic("health"), k.health(now, begin), qos=0).rc
                health_sent += rc == mqtt.MQTT_ERR_SUCCESS
                health_dropped += rc != mqtt.MQTT_ERR_SUCCESS
                heapq.heappush(events, (due + HEALTH_S / speed, i, kind))
                continue
            if kind == "play":
                key, payload = k.play(now, speed)
                heapq.heappush(events, (due + rng.uniform(*PLAY_S) / speed, i, kind))
            else:
                key, payload = k.minute(base_minute)
                heapq.heappush(events, (due + MINUTE_S / speed, i, kind))
            records[key] = [kind, k.screen, now, None]
            if not hand(k, kind, key, payload):
                retry.append((k, kind, key, payload))
        failed_acks += take_acks()
        rehand()
        if now >= stop:
            break
        time.sleep(min(0.05, max(0.0, events[0][0] - time.time())))

    deadline = time.time() + float(spec["drain_s"])  # every record acknowledged, or give up
    while time.time() < deadline and (any(k.in_flight for k in kiosks) or retry):
        failed_acks += take_acks()
        rehand()
        time.sleep(0.05)
    failed_acks += take_acks()
    for k in kiosks:
        k.client.disconnect()
    for k in kiosks:
        k.client.loop_stop()
    cpu = os.times()
    return {
        "records": [[key, *r] for key, r in records.items()],  # key, kind, screen, made, acked
        "health_sent": health_sent, "health_dropped": health_dropped, "failed_acks": failed_acks,
        "unacked": sum(len(k.in_flight) for k in kiosks),
        "connects": sum(k.connects for k in kiosks), "disconnects": sum(k.disconnects for k in kiosks),
        "states": sum(k.connects for k in kiosks),
        "cpu_s": cpu.user + cpu.system,
    }


def main(argv: list[str]) -> int:
    spec = json.loads(Path(argv[0]).read_text())
    out = run(spec)
    tmp = Path(spec["out"] + ".tmp")
    tmp.write_text(json.dumps(out))
    tmp.rename(spec["out"])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
