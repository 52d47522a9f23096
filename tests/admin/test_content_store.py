"""The content folder contract: versions, atomic activation, rollback, garbage collection,
and kills at any point of an activation (real processes, SIGKILL)."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from adminkit import ROOT, playlist_yaml, png
from signage.content_store import ContentStore, StoreError
from signage.playlist.loader import load_playlist


def make_version(store: ContentStore, name: str, by: str = "test") -> str:
    work = store.new_workdir("t")
    (work / "playlist.yaml").write_text(playlist_yaml(name, [f"{name.lower()}-a", f"{name.lower()}-b"]))
    for cid in (f"{name.lower()}-a", f"{name.lower()}-b"):
        (work / f"{cid}.png").write_bytes(png(64, 36))
    return store.create_version_from_bundle(work, {"uploaded_by": by, "playlist_name": name}).id


@pytest.fixture()
def store(tmp_path) -> ContentStore:
    return ContentStore(tmp_path / "content")


def test_versions_activation_rollback(store):
    assert store.active_id() is None and store.previous_id() is None
    a, b, c = (make_version(store, n) for n in ("Alpha", "Beta", "Gamma"))
    assert [v.id for v in store.versions()] == sorted([a, b, c], reverse=True)
    assert store.get(a).name == "Alpha" and store.get(a).uploaded_by == "test"
    assert not any(store.tmp_dir.iterdir())  # the work folders became versions
    with pytest.raises(StoreError, match="nothing to roll back"):
        store.rollback()
    store.activate(a, by="alice")
    assert os.readlink(store.active_link) == f"versions/{a}"
    assert load_playlist(store.active_playlist).playlist.name == "Alpha"
    store.activate(b)
    store.activate(c)
    assert (store.active_id(), store.previous_id()) == (c, b)
    assert store.rollback(by="bob").id == b
    assert (store.active_id(), store.previous_id()) == (b, c)  # rollback again goes forward
    log = store.activations()
    assert [e["version"] for e in log] == [a, b, c, b] and log[0]["by"] == "alice" and log[-1]["from"] == c
    for bad in ("../x", "20261122-000000-zzzzzz", "", "versions"):
        with pytest.raises(StoreError):
            store.activate(bad)
    assert store.active_id() == b


def test_a_torn_log_line_is_skipped(store):
    a, b = make_version(store, "Alpha"), make_version(store, "Beta")
    store.activate(a)
    store.activate(b)
    with open(store.log_file, "a") as f:
        f.write('{"version": "2026')  # a kill in the middle of writing
    assert [e["version"] for e in store.activations()] == [a, b]
    assert store.previous_id() == a and store.rollback().id == a


def test_garbage_collection_keeps_active_and_previous(store):
    ids = []
    for i in range(6):
        ids.append(make_version(store, f"V{i}"))
        time.sleep(1.01) if i == 0 else None  # distinct seconds for the first, so it sorts oldest
    store.activate(ids[0])
    store.activate(ids[1])  # active: 1, previous: 0 (the two oldest)
    removed = store.garbage_collect(keep=2)
    left = {v.id for v in store.versions()}
    assert left == {ids[0], ids[1]} | set(sorted(ids, reverse=True)[:2])
    assert set(removed) == set(ids) - left
    assert not any(store.tmp_dir.iterdir())
    assert store.active_id() == ids[1]


def test_a_bundle_must_be_prepared_in_tmp(store, tmp_path):
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "playlist.yaml").write_text("name: x")
    with pytest.raises(StoreError, match="must be prepared in"):
        store.create_version_from_bundle(outside, {})
    assert store.versions() == []


ACTIVATE_FOREVER = textwrap.dedent("""
    import sys
    from signage.content_store import ContentStore
    store = ContentStore(sys.argv[1])
    ids = sys.argv[2:]
    print("ready", flush=True)
    i = 0
    while True:
        store.activate(ids[i % len(ids)], by="loop")
        i += 1
""")


def _check_consistent(store: ContentStore, ids: set[str], names: dict[str, str]) -> str:
    target = os.readlink(store.active_link)
    vid = Path(target).name
    assert target == f"versions/{vid}" and vid in ids, target
    # what the player would read through the link is one whole version
    loaded = load_playlist(store.active_playlist)
    assert loaded.playlist.name == names[vid]
    assert {p.parent.name for p in (a.path for a in loaded.assets.values())} == {vid}
    return vid


def test_sigkill_at_random_points_of_activation_never_leaves_a_mix(store):
    a, b = make_version(store, "Alpha"), make_version(store, "Beta")
    names = {a: "Alpha", b: "Beta"}
    store.activate(a)
    rng = random.Random(7)
    seen = set()
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    for _ in range(25):
        proc = subprocess.Popen([sys.executable, "-c", ACTIVATE_FOREVER, str(store.root), a, b],
                                stdout=subprocess.PIPE, env=env)
        assert proc.stdout.readline().strip() == b"ready"
        time.sleep(rng.uniform(0.0, 0.03))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        proc.stdout.close()
        seen.add(_check_consistent(store, {a, b}, names))
        assert store.previous_id() in (a, b)
    assert seen == {a, b}, "the kills should land on both sides of the switch"
    # whatever the kills left (stray temporary links), the next activation works and tidies up
    store.activate(b)
    assert store.active_id() == b and not list(store.root.glob(".active-*"))


STEP_CRASH = textwrap.dedent("""
    import os, sys
    from signage.content_store import ContentStore
    store = ContentStore(sys.argv[1])
    def step(name):
        if name == sys.argv[3]:
            os._exit(9)
    store.activate(sys.argv[2], by="crash", _step=step)
""")


@pytest.mark.parametrize("step,expect_new", [("start", False), ("logged", False), ("linked", False),
                                             ("replaced", True), ("synced", True)])
def test_a_kill_between_each_step(store, step, expect_new):
    a, b = make_version(store, "Alpha"), make_version(store, "Beta")
    store.activate(a)
    r = subprocess.run([sys.executable, "-c", STEP_CRASH, str(store.root), b, step],
                       env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert r.returncode == 9
    vid = _check_consistent(store, {a, b}, {a: "Alpha", b: "Beta"})
    assert vid == (b if expect_new else a)
    # rollback knows where to go: the version before the active one
    assert store.previous_id() == (a if expect_new else None)
    entries = store.activations()
    assert json.dumps(entries)  # readable
    store.activate(b)
    assert store.active_id() == b and not list(store.root.glob(".active-*"))
