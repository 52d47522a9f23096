"""What the collector makes of one message (signage/fleet/intake.py, pure), its settings
(signage/config/fleet_central.py), and a record PostgreSQL itself refuses (pgstore.py)."""

from __future__ import annotations

import json

import psycopg
import pytest
from pydantic import ValidationError

from signage.config.fleet_central import CollectorConfig, split_address
from signage.fleet import intake, pgschema, pgstore
from signage.fleet import messages as m

T = "signage/v1/shop-1/kiosk-1"


def _play(screen="kiosk-1", key="p1", **kw) -> bytes:
    return m.encode(m.Play(key=key, screen=screen, creative_id="promo", start_ts=1.7e9, end_ts=1.7e9 + 5,
                           outcome="completed", **kw))


def test_a_documented_message_on_its_screens_topic_is_accepted():
    rec = intake.classify(f"{T}/play", _play())
    assert isinstance(rec, intake.Accepted)
    assert (rec.site, rec.screen, rec.kind, rec.msg.key) == ("shop-1", "kiosk-1", "play", "p1")


@pytest.mark.parametrize("topic, payload, why", [
    (f"{T}/play", b"{not json", "not UTF-8 JSON"),
    (f"{T}/play", b"\xff\xfe", "not UTF-8 JSON"),
    (f"{T}/play", b"[1, 2]", "not a JSON object"),
    (f"{T}/play", _play(screen="kiosk-2"), "names screen 'kiosk-2'"),
    (f"{T}/state", m.encode(m.State(screen="kiosk-1", site="shop-2", online=True, ts=1)), "names site 'shop-2'"),
    (f"{T}/play", b'{"v": 1, "pad": "' + b"x" * m.MAX_PAYLOAD + b'"}', "over 16384"),
    (f"{T}/play", _play(reason="a\u0000b"), "NUL"),
    (f"{T}/frames", b"{}", "unknown kind"),
    ("signage/v2/shop-1/kiosk-1/play", _play(), "not under signage/v1"),
    ("other/topic", b"x", "not under"),
])
def test_anything_else_is_refused_with_the_reason_and_a_short_printable_prefix(topic, payload, why):
    rec = intake.classify(topic, payload)
    assert isinstance(rec, intake.Refused) and why in rec.reason, rec
    assert rec.size == len(payload) and len(rec.prefix) <= intake.PREFIX_CHARS
    assert all(ord(c) >= 32 for c in rec.prefix + rec.topic + rec.reason)


def test_commands_and_screenshots_are_neither_stored_nor_refused():
    assert intake.classify(f"{T}/cmd", m.encode(m.Command(id="c1", ts=1, action="reload"))) is None
    assert intake.classify(f"{T}/screenshot/c1", b"\x89PNG\r\n\x1a\n...") is None


def test_a_long_topic_is_cut_in_the_log():
    rec = intake.classify("x/" * 5000, b"")
    assert isinstance(rec, intake.Refused) and len(rec.topic) == intake.TOPIC_CHARS


@pytest.mark.parametrize("value, expected", [("mqtt.example:8883", ("mqtt.example", 8883)),
                                             ("broker", ("broker", 1883)), ("[::1]:1884", ("::1", 1884))])
def test_broker_addresses(value, expected):
    assert split_address(value) == expected


@pytest.mark.parametrize("kw, where", [({"broker": "h:0"}, "broker"), ({"broker": "::1:1883"}, "broker"),
                                       ({"batch_size": 0}, "batch_size"), ({"brokr": "h:1"}, "brokr"),
                                       ({"reconnect_min_s": 10, "reconnect_max_s": 5}, "reconnect_max_s")])
def test_the_collectors_settings_are_strict(kw, where):
    with pytest.raises(ValidationError) as e:
        CollectorConfig(**kw)
    assert where in str(e.value)


def test_a_value_postgres_refuses_is_logged_and_the_rest_of_the_batch_is_written(pg_dsn):
    good = intake.classify(f"{T}/play", _play(key="good"))
    huge = m.Play.model_construct(**{**json.loads(_play(key="huge")),
                                     "audience": m.Audience.model_construct(samples=2**40)})
    bad = intake.Accepted(topic=f"{T}/play", site="shop-1", screen="kiosk-1", kind="play", msg=huge, size=10)
    with psycopg.connect(pg_dsn, autocommit=True) as conn:
        pgschema.migrate(conn)
        written = pgstore.write_batch(conn, [(good, 1.7e9), (bad, 1.7e9)])
        assert written.inserted["play"] == 1 and written.rejected == 1
        assert conn.execute("SELECT key FROM plays").fetchall() == [("good",)]
        reason, = conn.execute("SELECT reason FROM rejected").fetchone()
        assert reason.startswith("refused by the database: NumericValueOutOfRange")
        again = pgstore.write_batch(conn, [(good, 1.7e9)])
        assert again.duplicates["play"] == 1 and again.inserted["play"] == 0
