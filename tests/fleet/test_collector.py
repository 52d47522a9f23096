"""The collector on real engines: a Mosquitto broker and PostgreSQL (engines.py). Kiosks are
plain paho clients publishing as the agent does. Every wait is on a condition (the database
polled, a generous timeout); a fixed sleep is never the assertion."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import paho.mqtt.client as mqtt
import psycopg
import pytest

from signage.config.fleet_central import CollectorConfig
from signage.fleet import messages as m
from signage.fleet import pgschema
from signage.fleet.collector import Collector

from .conftest import SITE
from .engines import Postgres, missing_postgres, mqtt_client, wait_for

ROOT = Path(__file__).resolve().parents[2]
T0 = 1_760_000_000.0


def play(screen: str, key: str, creative: str = "promo", **kw) -> bytes:
    audience = m.Audience(samples=20, camera_on_s=10, face_s=6, watcher_s=4, measured_s=5, smile_s=1.5,
                          impressions=4, viewers=3, arrivals=4)
    base = dict(key=key, screen=screen, creative_id=creative, playlist="main", content_version="v1", rule_id="r1",
                reason="watchers >= 1", start_ts=T0, end_ts=T0 + 10, planned_s=10, outcome="completed",
                audience=audience)
    base.update(kw)
    return m.encode(m.Play(**base))


def minute(screen: str, ts: int) -> bytes:
    return m.encode(m.Minute(key=f"{screen}:{ts}", screen=screen, minute_ts=ts, span_s=60,
                             audience=m.Audience(samples=60, camera_on_s=60, passers_by=2)))


def topic(screen: str, kind: str, site: str = SITE) -> str:
    return f"signage/v1/{site}/{screen}/{kind}"


def scalar(dsn: str, sql: str, *params):
    with psycopg.connect(dsn) as conn:
        return conn.execute(sql, params or None).fetchone()[0]


def count(dsn: str, table: str) -> int:
    return scalar(dsn, f"SELECT count(*) FROM {table}")


def publish_all(client: mqtt.Client, msgs: list[tuple[str, bytes]]) -> None:
    infos = [client.publish(t, p, qos=1) for t, p in msgs]
    for info in infos:
        info.wait_for_publish(60)


def stop_client(c: mqtt.Client) -> None:
    c.disconnect()
    c.loop_stop()


@pytest.fixture
def collect():
    made: list[Collector] = []

    def make(broker, dsn: str, **kw) -> Collector:
        cfg = CollectorConfig(**{"broker": broker.address, "db": dsn, "batch_wait_s": 0.05, "reconnect_min_s": 1,
                                 "reconnect_max_s": 2, **kw})
        c = Collector(cfg, broker.password("collector")).start()
        made.append(c)
        wait_for(lambda: c.subscribed.is_set() and c.db_ready.is_set(), what="the collector's subscription and schema")
        return c

    yield make
    for c in made:
        c.stop()


def test_records_arrive_exactly_once_and_a_replay_adds_nothing(broker, pg_dsn, collect):
    col = collect(broker, pg_dsn)
    k = mqtt_client(broker, "kiosk-1", "kiosk-1", clean=False)
    state = m.State(screen="kiosk-1", site=SITE, online=True, ts=T0, content_version="v1", creative="promo",
                    reason="default loop", player="1.0")
    health = m.Health(screen="kiosk-1", ts=T0, healthy=False, problems=["camera: stale"], camera="stale",
                      uptime_s=5, outbox=3)
    msgs = [(topic("kiosk-1", "state"), m.encode(state)), (topic("kiosk-1", "health"), m.encode(health))]
    msgs += [(topic("kiosk-1", "play"), play("kiosk-1", f"p{i}", creative=f"c{i % 2}")) for i in range(10)]
    msgs += [(topic("kiosk-1", "minute"), minute("kiosk-1", 1_760_000_040 + 60 * i)) for i in range(3)]
    msgs += [(topic("kiosk-1", "ack"), m.encode(m.Ack(id="cmd-1", screen="kiosk-1", ts=T0, ok=True, result="done")))]
    publish_all(k, msgs)
    wait_for(lambda: count(pg_dsn, "plays") == 10 and count(pg_dsn, "audience_minutes") == 3
             and count(pg_dsn, "acks") == 1, what="10 plays, 3 minutes, 1 ack")
    with psycopg.connect(pg_dsn) as conn:
        row = conn.execute("SELECT site, online, content_version, creative, reason, player, healthy, problems, "
                           "camera, outbox FROM screens WHERE screen = 'kiosk-1'").fetchone()
        assert row == (SITE, True, "v1", "promo", "default loop", "1.0", False, ["camera: stale"], "stale", 3)
        p = conn.execute("SELECT site, creative_id, rule_id, outcome, extract(epoch FROM start_ts), smile_s, "
                         "viewers, surprise_s FROM plays WHERE key = 'p3'").fetchone()
        assert p == (SITE, "c1", "r1", "completed", T0, 1.5, 3, None)
        per_creative = dict(conn.execute("SELECT creative_id, count(*) FROM plays GROUP BY 1").fetchall())
        assert per_creative == {"c0": 5, "c1": 5}
    # the kiosk's outbox sends them all again after a reconnect (an ack it never saw)
    stop_client(k)
    k = mqtt_client(broker, "kiosk-1", "kiosk-1", clean=False)
    publish_all(k, msgs)
    wait_for(lambda: col.stats().get("duplicate_play", 0) == 10 and col.stats().get("duplicate_minute", 0) == 3
             and col.stats().get("duplicate_ack", 0) == 1, what="the replays seen as duplicates")
    assert (count(pg_dsn, "plays"), count(pg_dsn, "audience_minutes"), count(pg_dsn, "acks")) == (10, 3, 1)
    assert count(pg_dsn, "rejected") == 0
    stop_client(k)


def test_the_last_will_marks_a_screen_offline_and_an_older_health_changes_nothing(broker, pg_dsn, collect):
    collect(broker, pg_dsn)
    k = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="kiosk-2", clean_session=True)
    k.username_pw_set("kiosk-2", broker.password("kiosk-2"))
    k.will_set(topic("kiosk-2", "state"), m.encode(m.State(screen="kiosk-2", site=SITE, online=False, ts=T0)),
               qos=1, retain=True)
    k.connect(broker.host, broker.port, keepalive=5)
    k.loop_start()
    wait_for(k.is_connected)
    publish_all(k, [(topic("kiosk-2", "state"), m.encode(m.State(screen="kiosk-2", site=SITE, online=True, ts=T0 + 1))),
                    (topic("kiosk-2", "health"), m.encode(m.Health(screen="kiosk-2", ts=T0 + 20, healthy=True))),
                    (topic("kiosk-2", "health"), m.encode(m.Health(screen="kiosk-2", ts=T0 + 10, healthy=False)))])
    wait_for(lambda: scalar(pg_dsn, "SELECT count(*) FROM screens WHERE online") == 1, what="kiosk-2 online")
    wait_for(lambda: scalar(pg_dsn, "SELECT extract(epoch FROM health_ts) FROM screens") == T0 + 20)
    k.loop_stop()
    k._sock_close()  # the kiosk vanishes without a DISCONNECT: the broker publishes its will
    wait_for(lambda: scalar(pg_dsn, "SELECT count(*) FROM screens WHERE NOT online") == 1, timeout=60,
             what="the last will: offline")
    assert scalar(pg_dsn, "SELECT healthy FROM screens") is True


def test_a_broker_restart_mid_stream_loses_and_duplicates_nothing(broker, pg_dsn, collect):
    col = collect(broker, pg_dsn)
    k = mqtt_client(broker, "kiosk-1", "kiosk-1", clean=False)
    n = 300
    first = [(topic("kiosk-1", "play"), play("kiosk-1", f"b{i}")) for i in range(n // 2)]
    publish_all(k, first)
    broker.stop()  # some are written, some wait in the collector's session, some in flight
    wait_for(lambda: not col.connected.is_set(), what="the collector to notice")
    infos = [k.publish(topic("kiosk-1", "play"), play("kiosk-1", f"b{i}"), qos=1) for i in range(n // 2, n)]
    assert infos  # paho holds them (not connected) and sends them once it has reconnected
    broker.start()  # same port, same persistence
    wait_for(lambda: count(pg_dsn, "plays") >= n, timeout=120, what=f"{n} plays")
    assert count(pg_dsn, "plays") == n
    assert scalar(pg_dsn, "SELECT count(DISTINCT key) FROM plays") == n
    assert col.stats()["connects"] >= 2
    stop_client(k)


def _collector_process(broker, dsn: str, pwfile: Path, log: Path) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("SIGNAGE_CONFIG", None)
    with open(log, "ab") as out:
        return subprocess.Popen([sys.executable, "-m", "signage.cli", "fleet", "collect", "--broker", broker.address,
                                 "--db", dsn, "--password-file", str(pwfile), "--client-id", "central-collector",
                                 "--batch-size", "20"], stdout=out, stderr=subprocess.STDOUT, env=env, cwd=ROOT)


def test_a_collector_killed_mid_stream_loses_and_duplicates_nothing(broker, pg_dsn, tmp_path):
    pwfile = tmp_path / "pw"
    pwfile.write_text(broker.password("collector") + "\n")
    log = tmp_path / "collector.log"
    proc = _collector_process(broker, pg_dsn, pwfile, log)
    try:
        wait_for(lambda: "connected to" in log.read_text(), what="the collector's connection")
        wait_for(lambda: scalar(pg_dsn, "SELECT to_regclass('plays') IS NOT NULL"), what="the schema")
        k = mqtt_client(broker, "kiosk-1", "kiosk-1", clean=False)
        n = 400
        first = [k.publish(topic("kiosk-1", "play"), play("kiosk-1", f"k{i}"), qos=1) for i in range(n // 2)]
        wait_for(lambda: count(pg_dsn, "plays") >= 20, what="the first rows")
        proc.send_signal(signal.SIGKILL)  # mid-stream, maybe mid-transaction: no goodbye at all
        proc.wait(30)
        for info in first:
            info.wait_for_publish(60)
        publish_all(k, [(topic("kiosk-1", "play"), play("kiosk-1", f"k{i}")) for i in range(n // 2, n)])
        assert count(pg_dsn, "plays") < n
        proc = _collector_process(broker, pg_dsn, pwfile, log)
        wait_for(lambda: count(pg_dsn, "plays") >= n, timeout=120, what=f"{n} plays")
        assert count(pg_dsn, "plays") == n
        stop_client(k)
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(30)
    assert proc.returncode == 0, log.read_text()[-2000:]
    assert "Traceback" not in log.read_text()


@pytest.fixture
def own_postgres():
    why = missing_postgres()
    if why:
        pytest.skip(f"PostgreSQL: {why}")
    pg = Postgres()
    pg.start()
    yield pg
    pg.close()


def test_the_database_down_holds_the_acks_and_nothing_is_lost(broker, own_postgres, collect):
    dsn = own_postgres.create_database("fleet")
    col = collect(broker, dsn, batch_size=20, queue_size=10)  # 30 < the broker's window: paho's thread waits too
    k = mqtt_client(broker, "kiosk-1", "kiosk-1", clean=False)
    own_postgres.stop()
    publish_all(k, [(topic("kiosk-1", "play"), play("kiosk-1", f"d{i}")) for i in range(50)])
    wait_for(lambda: col.stats().get("db_errors", 0) >= 1, what="the collector to meet the database down")
    own_postgres.start()
    wait_for(lambda: count(dsn, "plays") == 50, timeout=120, what="50 plays after the database came back")
    # down again, and this time the collector stops before it comes back: what it had received
    # was never acknowledged, so the broker gives it to the next collector
    own_postgres.stop()
    publish_all(k, [(topic("kiosk-1", "play"), play("kiosk-1", f"e{i}")) for i in range(50)])
    wait_for(lambda: col.stats().get("db_errors", 0) >= 2 and col._queue.full(), what="the database down again")
    assert col.stats().get("inserted_play", 0) == 50
    col.stop()
    assert not col._writer.is_alive()
    own_postgres.start()
    col2 = collect(broker, dsn)
    wait_for(lambda: count(dsn, "plays") == 100, timeout=120, what="100 plays")
    assert scalar(dsn, "SELECT count(*) FROM plays WHERE key LIKE 'e%'") == 50
    assert col2.stats().get("inserted_play", 0) == 50
    stop_client(k)


BAD = {  # the kiosk's own topics: the ACL lets them through, the collector refuses them
    "non-JSON": (topic("kiosk-1", "play"), b"\x89PNG\r\n\x1a\n not json at all", "not UTF-8 JSON"),
    "wrong schema": (topic("kiosk-1", "play"), json.dumps({"v": 1, "key": "x", "screen": "kiosk-1"}).encode(),
                     "creative_id"),
    "unknown field": (topic("kiosk-1", "minute"), json.dumps({
        "v": 1, "key": "kiosk-1:60", "screen": "kiosk-1", "minute_ts": 60, "span_s": 60,
        "faces": [[1, 2, 3]]}).encode(), "faces"),
    "oversized": (topic("kiosk-1", "play"), json.dumps({"v": 1, "pad": "x" * 20_000}).encode(), "over 16384"),
    "another screen's play": (topic("kiosk-1", "play"), play("kiosk-2", "forged"), "names screen 'kiosk-2'"),
    "another site's state": (topic("kiosk-1", "state"), m.encode(m.State(screen="kiosk-1", site="shop-9",
                                                                          online=True, ts=T0)), "names site"),
    "a NUL": (topic("kiosk-1", "play"), play("kiosk-1", "nul", reason="a\u0000b"), "NUL"),
    "an off-pattern site": ("signage/v1/SHOP/kiosk-1/play", play("kiosk-1", "caps"), "site and screen ids"),
}


def test_bad_messages_are_refused_logged_and_the_collector_goes_on(broker, pg_dsn, collect):
    col = collect(broker, pg_dsn)
    k = mqtt_client(broker, "kiosk-1", "kiosk-1")
    publish_all(k, [(t, p) for t, p, _ in BAD.values()] + [(topic("kiosk-1", "play"), play("kiosk-1", "good"))])
    wait_for(lambda: count(pg_dsn, "rejected") == len(BAD) and count(pg_dsn, "plays") == 1,
             what="every bad message refused and the good one stored")
    with psycopg.connect(pg_dsn) as conn:
        rows = conn.execute("SELECT topic, reason, size, prefix FROM rejected ORDER BY id").fetchall()
    for (name, (t, payload, why)), (r_topic, reason, size, prefix) in zip(BAD.items(), rows):
        assert r_topic == t and why in reason and size == len(payload), (name, reason)
        assert len(prefix) <= 32 and "\x00" not in prefix
    assert scalar(pg_dsn, "SELECT key FROM plays") == "good"
    assert count(pg_dsn, "screens") == 1  # nothing of kiosk-2, of shop-9 or of SHOP
    assert col.stats()["rejected"] == len(BAD)
    publish_all(k, [(topic("kiosk-1", "play"), play("kiosk-1", "after"))])
    wait_for(lambda: count(pg_dsn, "plays") == 2, what="a play after the refusals")
    stop_client(k)


def test_the_acl_stops_a_screen_publishing_as_another(broker, pg_dsn, collect):
    col = collect(broker, pg_dsn)
    k1 = mqtt_client(broker, "kiosk-1", "kiosk-1")
    forged = [(topic("kiosk-2", "play"), play("kiosk-2", "forged")),
              (topic("kiosk-2", "state"), m.encode(m.State(screen="kiosk-2", site=SITE, online=True, ts=T0))),
              (topic("kiosk-2", "cmd"), m.encode(m.Command(id="c", ts=T0, action="purge")))]
    publish_all(k1, forged + [(topic("kiosk-1", "play"), play("kiosk-1", "own"))])
    wait_for(lambda: count(pg_dsn, "plays") == 1, what="kiosk-1's own play")
    assert scalar(pg_dsn, "SELECT screen FROM plays") == "kiosk-1"
    assert scalar(pg_dsn, "SELECT count(*) FROM screens WHERE screen = 'kiosk-2'") == 0
    assert count(pg_dsn, "rejected") == 0  # the broker dropped them: they never reached the collector
    assert col.stats()["messages"] == 1
    with pytest.raises(Exception, match="refused"):
        mqtt_client(broker, "kiosk-2", "k2-with-k1-password", password=broker.password("kiosk-1"))
    stop_client(k1)


def test_migrations_apply_once_and_every_audience_figure_has_a_column(pg_dsn):
    with psycopg.connect(pg_dsn, autocommit=True) as conn:
        assert pgschema.current_version(conn) == 0
        assert pgschema.migrate(conn) == [pgschema.LATEST]
        assert pgschema.migrate(conn) == []
        assert pgschema.current_version(conn) == pgschema.LATEST
        for table in ("plays", "audience_minutes"):
            cols = {r[0] for r in conn.execute(
                "SELECT column_name FROM information_schema.columns WHERE table_name = %s", (table,))}
            assert set(m.Audience.model_fields) <= cols, table
        indexes = {r[0] for r in conn.execute("SELECT indexname FROM pg_indexes WHERE schemaname = 'public'")}
        assert {"plays_screen_time", "plays_site_time", "plays_creative_time", "audience_minutes_site_time"} <= indexes
        conn.execute("INSERT INTO schema_version (version) VALUES (%s)", (pgschema.LATEST + 1,))
        with pytest.raises(pgschema.SchemaError, match="upgrade signage"):
            pgschema.migrate(conn)


def test_retention_purges_old_records_only(broker, pg_dsn, collect):
    collect(broker, pg_dsn)
    k = mqtt_client(broker, "kiosk-1", "kiosk-1")
    now = time.time()
    publish_all(k, [(topic("kiosk-1", "play"), play("kiosk-1", "old", start_ts=now - 40 * 86400,
                                                     end_ts=now - 40 * 86400 + 10)),
                    (topic("kiosk-1", "play"), play("kiosk-1", "new", start_ts=now - 86400, end_ts=now - 86390)),
                    (topic("kiosk-1", "minute"), minute("kiosk-1", int(now - 40 * 86400) // 60 * 60)),
                    (topic("kiosk-1", "minute"), minute("kiosk-1", int(now) // 60 * 60))])
    wait_for(lambda: count(pg_dsn, "plays") == 2 and count(pg_dsn, "audience_minutes") == 2)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("SIGNAGE_CONFIG", None)
    p = subprocess.run([sys.executable, "-m", "signage.cli", "fleet", "purge", "--db", pg_dsn, "--older-than", "30"],
                       capture_output=True, text=True, env=env, cwd=ROOT, timeout=120)
    assert p.returncode == 0, p.stderr
    assert "plays: 1 deleted" in p.stdout and "audience_minutes: 1 deleted" in p.stdout
    assert scalar(pg_dsn, "SELECT key FROM plays") == "new"
    assert count(pg_dsn, "screens") == 1
    stop_client(k)


def test_the_collector_purges_on_its_own_when_the_hour_comes(broker, pg_dsn):
    offset = [0.0]
    cfg = CollectorConfig(broker=broker.address, db=pg_dsn, batch_wait_s=0.05, retention_days=30, purge_every_s=3600)
    col = Collector(cfg, broker.password("collector"), clock=lambda: time.time() + offset[0]).start()
    try:
        wait_for(lambda: col.subscribed.is_set() and col.db_ready.is_set())
        k = mqtt_client(broker, "kiosk-1", "kiosk-1")
        now = time.time()
        publish_all(k, [(topic("kiosk-1", "play"), play("kiosk-1", "old", start_ts=now - 40 * 86400,
                                                         end_ts=now - 40 * 86400 + 10)),
                        (topic("kiosk-1", "play"), play("kiosk-1", "new", start_ts=now - 60, end_ts=now - 50))])
        wait_for(lambda: count(pg_dsn, "plays") == 2, what="both plays")
        offset[0] = 3601.0  # an hour on: the next idle moment purges
        wait_for(lambda: count(pg_dsn, "plays") == 1, what="the old play purged")
        assert scalar(pg_dsn, "SELECT key FROM plays") == "new"
        stop_client(k)
    finally:
        col.stop()


def test_the_cli_names_a_bad_option_and_an_unreachable_database(tmp_path):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("SIGNAGE_CONFIG", None)

    def run(*args):
        return subprocess.run([sys.executable, "-m", "signage.cli", "fleet", *args], capture_output=True, text=True,
                              env=env, cwd=ROOT, timeout=120)

    p = run("collect", "--broker", "host:99999")
    assert p.returncode == 2 and "--broker:" in p.stderr and "65535" in p.stderr and "Traceback" not in p.stderr
    p = run("collect", "--password-file", str(tmp_path / "none"))
    assert p.returncode == 2 and "--password-file" in p.stderr and "Traceback" not in p.stderr
    p = run("collect", "--ca-file", str(tmp_path / "no-ca.pem"))
    assert p.returncode == 2 and "--ca-file" in p.stderr and "Traceback" not in p.stderr
    p = run("migrate", "--db", "host=127.0.0.1 port=1 password=hunter2 connect_timeout=5")
    assert p.returncode == 2 and "port=1" in p.stderr and "hunter2" not in p.stderr and "Traceback" not in p.stderr
