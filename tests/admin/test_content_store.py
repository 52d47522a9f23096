"""The content folder contract: versions, atomic activation, rollback, garbage collection,
and kills at any point of an activation (real processes, SIGKILL)."""

from __future__ import annotations

import json
import logging
import os
import random
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

from adminkit import ROOT, playlist_yaml, png
from signage.content_store import ContentStore, StoreError
from signage.playlist.active import ActivePlaylist
from signage.playlist.loader import load_playlist
from signage.playlist.watch import PlaylistWatcher


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
        print(i, flush=True)  # activations done: the test kills after some, however fast they go
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
        # at least two activations done (a, then b: both are in the log), then a kill anywhere
        # in the ones that follow; counted, so a slow machine changes nothing
        for _ in range(rng.randint(2, 5)):
            assert proc.stdout.readline().strip()
        time.sleep(rng.uniform(0.0, 0.005))
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


# ---------------------------------------------------------------- the player's watcher on the store


class Refusals(logging.Handler):
    """Every "playlist update refused" the watcher logs."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if "playlist update refused" in record.getMessage():
            self.messages.append(record.getMessage())


@pytest.fixture()
def refusals():
    handler = Refusals()
    logger = logging.getLogger("signage.playlist.watch")
    logger.addHandler(handler)
    yield handler.messages
    logger.removeHandler(handler)


def player_watching(store: ContentStore, active: ActivePlaylist | None = None) -> tuple[ActivePlaylist, PlaylistWatcher]:
    """What ``signage run`` does with ``player.playlist = <data>/active/playlist.yaml``: load it,
    or play the demo when nothing is active yet, and watch it."""
    active = active or ActivePlaylist()
    first = active.try_replace(store.active_playlist.resolve())
    if not first.ok:
        assert active.try_replace(ROOT / "playlists" / "demo.yaml").ok
    watcher = PlaylistWatcher(store.active_playlist, active, interval_s=3600)
    watcher.started_with(first.error)
    return active, watcher


def test_the_watchers_first_look_with_nothing_active_yet_is_no_refused_update(store, refusals):
    active, watcher = player_watching(store)
    assert watcher.check() is None and active.current.playlist.name == "Café Lumière (demo)"
    a = make_version(store, "Alpha")
    assert watcher.check() is None  # uploaded, not active: nothing changes
    store.activate(a)
    assert watcher.check().playlist.name == "Alpha"
    assert refusals == [] and watcher.last_error is None


def test_a_watcher_looking_at_every_step_of_many_activations_refuses_nothing(store, refusals):
    """The watcher looks between every two steps of each activation (the content store's test
    hook), from before the first one (nothing active, the player on its demo) on."""
    ids = [make_version(store, n) for n in ("Alpha", "Beta", "Gamma")]
    names = dict(zip(ids, ("Alpha", "Beta", "Gamma")))
    active, watcher = player_watching(store)
    looks = []

    def look(step: str) -> None:
        watcher.check()
        looks.append((step, active.current.playlist.name))

    for i in range(30):
        vid = ids[i % 3]
        store.activate(vid, _step=look)
        assert active.current.playlist.name == names[vid]  # taken at the look after the switch
    assert refusals == [] and watcher.last_error is None
    assert len(looks) == 30 * 5
    assert looks[:5] == [("start", "Café Lumière (demo)"), ("logged", "Café Lumière (demo)"),
                         ("linked", "Café Lumière (demo)"), ("replaced", "Alpha"), ("synced", "Alpha")]


class SwitchedWhileLoading(ActivePlaylist):
    """Runs ``during`` once, as the watcher starts to load the version it resolved: the link is
    switched (and the old version removed) exactly between the watcher's look and its read."""

    def __init__(self, during) -> None:
        super().__init__()
        self.during = during
        self.loads: list[str] = []

    def try_replace(self, path, **kw):
        self.loads.append(Path(path).parent.name)
        during, self.during = self.during, None
        if during is not None:
            during()
        return super().try_replace(path, **kw)


def test_a_version_removed_while_the_watcher_reads_it_is_no_refused_update(store, refusals):
    a, b, c = (make_version(store, n) for n in ("Alpha", "Beta", "Gamma"))
    store.activate(a)
    active = SwitchedWhileLoading(None)
    active, watcher = player_watching(store, active)
    assert watcher.check() is None and active.current.playlist.name == "Alpha"
    store.activate(b)

    def switch_and_clean_up() -> None:  # two more activations, then the clean-up after an upload
        store.activate(c)
        store.activate(a)
        assert b in store.garbage_collect(keep=0)  # neither active nor previous: removed

    active.during = switch_and_clean_up
    active.loads.clear()
    assert watcher.check() is None  # looked again: Alpha is active, and already playing
    assert active.loads == [b] and active.current.playlist.name == "Alpha"  # Beta gone, not refused
    assert refusals == [] and watcher.last_error is None
    store.activate(c)
    assert watcher.check().playlist.name == "Gamma"


def test_a_broken_active_version_is_still_refused(store, refusals):
    """Looking again is only for a link switched under the watcher: a version that is still the
    active one when it fails to load is refused, once."""
    a, b = make_version(store, "Alpha"), make_version(store, "Beta")
    store.activate(a)
    active, watcher = player_watching(store)
    (store.get(b).path / "beta-b.png").unlink()  # broken by hand, on the device
    store.activate(b)
    assert watcher.check() is None and watcher.check() is None
    assert len(refusals) == 1 and "beta-b.png" in refusals[0] and "still playing 'Alpha'" in refusals[0]
    assert active.current.playlist.name == "Alpha"


def test_activations_and_clean_ups_while_a_watcher_polls_refuse_nothing(store, refusals):
    """Concurrently: a watcher thread looks as fast as it can while versions are uploaded,
    activated and cleaned up; whatever the interleaving, nothing is refused. The number of
    looks and activations is counted, not timed."""
    ids = [make_version(store, f"V{i}") for i in range(4)]
    active, watcher = player_watching(store)
    stop = threading.Event()
    looks = 0

    def poll() -> None:
        nonlocal looks
        while not stop.is_set():
            watcher.check()
            looks += 1

    poller = threading.Thread(target=poll, daemon=True)
    poller.start()
    try:
        for i in range(60):
            store.activate(ids[i % len(ids)])
            if i % 10 == 9:  # an upload, and the clean-up that follows it
                ids.append(make_version(store, f"W{i}"))
                store.garbage_collect(keep=2)
                ids = [v for v in ids if store.exists(v)]
            seen = looks
            while looks < seen + 2 and poller.is_alive():  # let it look at least twice at each state
                time.sleep(0.001)
    finally:
        stop.set()
        poller.join(30)
    assert not poller.is_alive()
    watcher.check()
    assert refusals == [] and watcher.last_error is None
    assert active.current.path.parent.name == store.active_id()
