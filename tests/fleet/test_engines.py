"""The test engines themselves (engines.py): the broker's authentication, ACLs and persistence,
and PostgreSQL, as the fleet's tests rely on them."""

from __future__ import annotations

import threading

import paho.mqtt.client as mqtt
import psycopg
import pytest

from .conftest import SITE
from .engines import EngineError, mqtt_client, wait_for


def _collect(c):
    got: list[tuple[str, bytes]] = []
    lock = threading.Lock()

    def on_message(client, userdata, msg):
        with lock:
            got.append((msg.topic, msg.payload))

    c.on_message = on_message
    return got


def test_anonymous_and_wrong_passwords_are_refused(broker):
    with pytest.raises(EngineError, match="refused"):
        mqtt_client(broker, "kiosk-1", "x1", password="wrong")
    with pytest.raises(EngineError, match="refused"):
        mqtt_client(broker, "nobody", "x2", password="")


def test_a_screen_publishes_only_its_own_topics_and_reads_only_its_commands(broker):
    col = mqtt_client(broker, "collector", "col")
    got = _collect(col)
    col.subscribe("signage/v1/#", qos=1)
    k1 = mqtt_client(broker, "kiosk-1", "k1")
    k1_got = _collect(k1)
    k1.subscribe("signage/v1/+/+/cmd", qos=1)  # asks for every screen's commands
    wait_for(lambda: k1.is_connected())
    central = mqtt_client(broker, "central", "central")
    central.publish(f"signage/v1/{SITE}/kiosk-1/cmd", b"mine", qos=1).wait_for_publish(10)
    central.publish(f"signage/v1/{SITE}/kiosk-2/cmd", b"theirs", qos=1).wait_for_publish(10)
    k1.publish(f"signage/v1/{SITE}/kiosk-2/play", b"forged", qos=1).wait_for_publish(10)
    k1.publish(f"signage/v1/{SITE}/kiosk-1/cmd", b"self-command", qos=1).wait_for_publish(10)
    k1.publish(f"signage/v1/{SITE}/kiosk-1/play", b"own", qos=1).wait_for_publish(10)
    wait_for(lambda: (f"signage/v1/{SITE}/kiosk-1/play", b"own") in got, what="the screen's own play")
    wait_for(lambda: k1_got, what="kiosk-1's command")
    payloads = [p for _, p in got]
    assert b"forged" not in payloads and b"self-command" not in payloads
    assert payloads.count(b"mine") == 1 and payloads.count(b"theirs") == 1  # the collector reads cmd too
    assert k1_got == [(f"signage/v1/{SITE}/kiosk-1/cmd", b"mine")]
    for c in (col, k1, central):
        c.disconnect()
        c.loop_stop()


def test_a_restart_keeps_a_persistent_sessions_queued_messages(broker):
    sub = mqtt_client(broker, "collector", "persist-1", clean=False)
    sub.subscribe("signage/v1/#", qos=1)
    wait_for(lambda: sub.is_connected())
    sub.disconnect()
    sub.loop_stop()
    k = mqtt_client(broker, "kiosk-1", "k1")
    for i in range(20):
        k.publish(f"signage/v1/{SITE}/kiosk-1/play", str(i).encode(), qos=1).wait_for_publish(10)
    k.disconnect()
    k.loop_stop()
    broker.restart()
    got: list = []
    c = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="persist-1", clean_session=False)
    c.username_pw_set("collector", broker.password("collector"))
    c.on_message = lambda cl, u, msg: got.append(msg.payload)
    c.connect(broker.host, broker.port)
    c.loop_start()
    wait_for(lambda: len(got) >= 20, what="20 queued messages after the restart")
    assert sorted(int(p) for p in got) == list(range(20))
    c.disconnect()
    c.loop_stop()


def test_postgres_gives_each_test_an_empty_database(pg_dsn, postgres):
    with psycopg.connect(pg_dsn) as conn:
        assert conn.execute("select count(*) from pg_tables where schemaname = 'public'").fetchone() == (0,)
        conn.execute("create table t (x int)")
    assert f"port={postgres.port}" in pg_dsn
