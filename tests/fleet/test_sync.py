"""Content sync (signage/fleet/sync.py): a manifest by sha256 becomes the active version, over a
real HTTP server; a failed or partial download, a wrong hash or an invalid bundle changes nothing."""

from __future__ import annotations

import os

import pytest

from signage.config import load_settings
from signage.content_store import ContentStore
from signage.fleet.messages import FileRef, Manifest
from signage.fleet.sync import ContentSync, SyncError, admin_validator, fleet_version

from .fleetkit import ContentServer, bundle, manifest, sha


@pytest.fixture
def server():
    s = ContentServer()
    yield s
    s.close()


@pytest.fixture
def store(tmp_path):
    return ContentStore(tmp_path / "content")


@pytest.fixture
def sync(store):
    return ContentSync(store, admin_validator(store, load_settings()), timeout_s=10)


def _state(store: ContentStore) -> tuple:
    """What a failed sync must leave as it was: the active link, the versions, tmp/ and the cache's verified files."""
    cache = store.root / "fleet-cache"
    return (store.active_id(), sorted(p.name for p in store.versions_dir.iterdir()), sorted(os.listdir(store.tmp_dir)),
            sorted(p.name for p in cache.iterdir()) if cache.exists() else [])


def _activate_first(sync, server, store):
    files = bundle("Spring", ["hello", "offer"])
    server.add(files)
    v, fetched = sync.activate(manifest("spring-1", files), server.url)
    return files, v, fetched


def test_a_manifest_becomes_the_active_version(sync, server, store):
    files, v, fetched = _activate_first(sync, server, store)
    assert fetched == 3 and store.active_id() == v.id and fleet_version(store) == "spring-1"
    assert (store.active_playlist).read_bytes() == files["playlist.yaml"]
    assert (v.path / "hello.png").read_bytes() == files["hello.png"]
    assert v.meta["fleet_version"] == "spring-1" and v.name == "Spring"


def test_only_missing_files_are_downloaded(sync, server, store):
    first, _, _ = _activate_first(sync, server, store)
    second = {**bundle("Summer", ["hello", "offer"]), "hello.png": first["hello.png"], "offer.png": first["offer.png"]}
    server.add(second)
    server.requests.clear()
    v, fetched = sync.activate(manifest("summer-1", second), server.url)
    assert fetched == 1 and server.requests == [sha(second["playlist.yaml"])]
    assert store.active_id() == v.id and fleet_version(store) == "summer-1"


def test_the_same_manifest_again_reuses_its_version(sync, server, store):
    files, v, _ = _activate_first(sync, server, store)
    other = bundle("Other", ["x"])
    server.add(other)
    sync.activate(manifest("other", other), server.url)
    server.requests.clear()
    again, fetched = sync.activate(manifest("spring-1", files), server.url)
    assert again.id == v.id and fetched == 0 and server.requests == [] and store.active_id() == v.id


def test_a_wrong_hash_changes_nothing(sync, server, store):
    _activate_first(sync, server, store)
    files = bundle("Bad", ["a", "b"], shade=5)
    server.add(files)
    server.wrong[sha(files["b.png"])] = files["b.png"][:-1] + bytes([files["b.png"][-1] ^ 1])  # same size
    before = _state(store)
    with pytest.raises(SyncError, match=r"b\.png: sha256 .* is not the manifest's"):
        sync.activate(manifest("bad", files), server.url)
    after = _state(store)
    assert after[:3] == before[:3]
    assert sha(files["b.png"]) not in after[3] and not any(n.startswith(".part") for n in after[3])
    for name in after[3]:  # the cache holds verified files only
        assert sha((store.root / "fleet-cache" / name).read_bytes()) == name


def test_a_server_that_dies_mid_file_changes_nothing(sync, server, store):
    _activate_first(sync, server, store)
    files = bundle("Cut", ["c"], shade=9)
    server.add(files)
    server.cut.add(sha(files["c.png"]))
    before = _state(store)
    with pytest.raises(SyncError, match=r"c\.png: .*(incomplete|download failed)"):
        sync.activate(manifest("cut", files), server.url)
    after = _state(store)
    assert after[:3] == before[:3] and sha(files["c.png"]) not in after[3]
    server.cut.clear()  # the server is back: the same manifest goes through
    v, _ = sync.activate(manifest("cut", files), server.url)
    assert store.active_id() == v.id


@pytest.mark.parametrize("what", ["larger", "missing", "no server"])
def test_a_wrong_size_a_missing_file_or_no_server_changes_nothing(sync, server, store, what):
    _activate_first(sync, server, store)
    files = bundle("Size", ["s"], shade=3)
    server.add(files)
    m = manifest("size", files)
    url = server.url
    if what == "larger":
        m = Manifest(version="size", playlist="playlist.yaml",
                     files=[f if f.path != "s.png" else FileRef(path=f.path, sha256=f.sha256, size=f.size - 10)
                            for f in m.files])
    elif what == "missing":
        del server.files[sha(files["s.png"])]
    else:
        server.close()
    before = _state(store)
    with pytest.raises(SyncError) as e:
        sync.activate(m, url)
    assert "s.png" in str(e.value) or "playlist.yaml" in str(e.value)
    assert {"larger": "more than the manifest's", "missing": "HTTP 404", "no server": "download failed"}[what] in str(e.value)
    assert _state(store)[:3] == before[:3]


def test_a_bundle_that_does_not_validate_is_not_activated(sync, server, store):
    _activate_first(sync, server, store)
    files = bundle("Broken", ["z"])
    files["playlist.yaml"] = b"name: Broken\ncreatives:\n  - {id: z, type: image, source: nothere.png}\nloop: [z]\n"
    server.add(files)
    before = _state(store)
    with pytest.raises(SyncError, match=r"(?s)manifest broken: .*refused.*nothere\.png"):
        sync.activate(manifest("broken", files), server.url)
    assert _state(store)[:3] == before[:3]


def test_the_playlist_must_be_at_the_top(sync, server, store):
    files = bundle("Top", ["t"])
    m = manifest("top", files)
    with pytest.raises(SyncError, match="must be playlist.yaml"):
        sync.activate(m.model_copy(update={"playlist": "other.yaml"}), server.url)
    with pytest.raises(SyncError, match="not among its files"):
        sync.activate(m.model_copy(update={"files": [f for f in m.files if f.path != "playlist.yaml"]}), server.url)
    assert store.active_id() is None and server.requests == []
