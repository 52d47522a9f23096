"""Fixtures of the admin tests (helpers in adminkit.py)."""

from __future__ import annotations

import pytest

from adminkit import good_bundle, start_server, wait_simulated


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    s = start_server(tmp_path_factory.mktemp("admin"))
    yield s
    s.stop()


@pytest.fixture()
def fresh_server(tmp_path):
    """A server of its own (lock-out tests lock the client address out)."""
    s = start_server(tmp_path)
    yield s
    s.stop()


@pytest.fixture(scope="module")
def active_version(server):
    """A valid bundle uploaded and activated: what every attack must leave in place."""
    with server.api() as c:
        r = c.post("/api/versions", files={"file": ("base.zip", good_bundle("Base"), "application/zip")})
        assert r.status_code == 201, r.text
        vid = r.json()["id"]
        assert c.post(f"/api/versions/{vid}/activate").status_code == 200
        wait_simulated(c, vid)  # its results are written after the upload: the tree is settled
    return vid
