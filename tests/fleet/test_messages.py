"""The fleet's wire contract (signage/fleet/messages.py)."""

import json

import pytest
from hypothesis import given, settings, strategies as st

from signage.fleet import messages as m


def _play(**kw):
    base = dict(key="p-1", screen="s1", creative_id="promo", start_ts=1.7e9, end_ts=1.7e9 + 10, outcome="completed")
    base.update(kw)
    return m.Play(**base)


def test_round_trip_every_kind():
    msgs = {
        "state": m.State(screen="s1", site="shop-1", online=True, ts=1.7e9, content_version="v3", creative="promo"),
        "health": m.Health(screen="s1", ts=1.7e9, healthy=False, problems=["display: closed"], camera="on"),
        "play": _play(),
        "minute": m.Minute(key="s1:1700000000", screen="s1", minute_ts=1700000000, span_s=60),
        "cmd": m.Command(id="c1", ts=1.7e9, action="activate", base_url="http://central:8080/content",
                         manifest=m.Manifest(version="v3", playlist="playlist.toml",
                                             files=[m.FileRef(path="a.png", sha256="0" * 64, size=3)])),
        "ack": m.Ack(id="c1", screen="s1", ts=1.7e9, ok=True, result="activated v3"),
    }
    for kind, msg in msgs.items():
        assert m.parse(kind, m.encode(msg)) == msg


@pytest.mark.parametrize("payload, reason", [
    (b"\xff\xfe", "not UTF-8 JSON"),
    (b"[1]", "not a JSON object"),
    (json.dumps({"v": 2, "screen": "s1", "ts": 1, "healthy": True}).encode(), "v"),
    (json.dumps({"screen": "s1", "ts": 1, "healthy": True, "face": [1, 2]}).encode(), "face"),
    (json.dumps({"screen": "S 1", "ts": 1, "healthy": True}).encode(), "screen"),
    (b"{" + b" " * m.MAX_PAYLOAD + b"}", "over"),
])
def test_refused_with_reason(payload, reason):
    with pytest.raises(m.MessageError, match=reason):
        m.parse("health", payload)


def test_manifest_paths_stay_inside():
    for bad in ("/etc/passwd", "../x", "a/../../x", "a\\b"):
        with pytest.raises(Exception):
            m.FileRef(path=bad, sha256="0" * 64, size=1)
    assert m.FileRef(path="img/a..b.png", sha256="0" * 64, size=1).path == "img/a..b.png"


def test_topics():
    t = m.topic("shop-1", "s1", "play")
    assert t == "signage/v1/shop-1/s1/play"
    assert m.split_topic(t) == ("shop-1", "s1", "play", None)
    assert m.split_topic(m.topic("shop-1", "s1", "screenshot", "c9")) == ("shop-1", "s1", "screenshot", "c9")
    for bad in ("signage/v2/a/b/play", "signage/v1/a/b/frames", "signage/v1/a/b/play/x", "signage/v1/A/b/play"):
        with pytest.raises(m.MessageError):
            m.split_topic(bad)


def test_small_groups_withheld():
    a = m.Audience(measured_s=5, smile_s=2, surprise_s=1, arrivals=2, impressions=2)
    assert m.withhold(a).smile_s is None and m.withhold(a).surprise_s is None
    b = a.model_copy(update={"arrivals": 3})
    assert m.withhold(b).smile_s == 2


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=400), st.sampled_from(m.KINDS))
def test_any_bytes_parse_or_refuse(payload, kind):
    try:
        m.parse(kind, payload)
    except m.MessageError:
        pass


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=80))
def test_any_topic_splits_or_refuses(name):
    try:
        site, screen, kind, _ = m.split_topic(name)
    except m.MessageError:
        return
    assert kind in m.KINDS or kind == "screenshot"
