"""Helpers of the admin tests: the service as a real server on a free port (uvicorn in a
thread), real bundles and pictures, a snapshot of the content folder."""

from __future__ import annotations

import hashlib
import io
import os
import re
import socket
import struct
import threading
import time
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

import cv2
import httpx
import numpy as np
import pytest
import uvicorn

from signage.admin.app import create_app
from signage.admin.auth import Credentials
from signage.admin.limits import server_options
from signage.config import Settings
from signage.content_store import ContentStore

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "correct horse battery staple"
# Small limits so that every attack is quick to make.
LIMITS = {
    "max_upload_bytes": 3 * 1024 * 1024,
    "max_zip_entries": 40,
    "max_uncompressed_bytes": 64 * 1024 * 1024,
    "max_compression_ratio": 100.0,
    "lockout_account_failures": 3,
    "lockout_client_failures": 8,
    "lockout_window_s": 60.0,
    "lockout_s": 60.0,
}


def png(w: int = 320, h: int = 180, colour=(40, 120, 200), text: str = "") -> bytes:
    img = np.zeros((h, w, 3), np.uint8)
    img[:] = colour
    if text:
        cv2.putText(img, text, (10, h // 2), cv2.FONT_HERSHEY_SIMPLEX, 1.0, (255, 255, 255), 2)
    ok, buf = cv2.imencode(".png", img)
    assert ok
    return buf.tobytes()


def png_header_only(w: int, h: int) -> bytes:
    """A PNG whose header claims w x h pixels, with a tiny (bogus) image stream: a
    decompression bomb's calling card, refused before anything decodes it."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 1024)) + chunk(b"IEND", b"")


def playlist_yaml(name: str, ids: list[str], *, extra: str = "") -> str:
    creatives = "\n".join(f"  - {{id: {i}, type: image, source: {i}.png}}" for i in ids)
    return (f"name: {name}\ndefaults: {{duration: 3s, transition: cut}}\ncreatives:\n{creatives}\n"
            f"loop: [{', '.join(ids)}]\n{extra}")


def make_zip(files: dict[str, bytes | str], *, method=zipfile.ZIP_DEFLATED) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", method) as zf:
        for name, data in files.items():
            zf.writestr(name, data.encode() if isinstance(data, str) else data)
    return buf.getvalue()


def good_bundle(name: str = "Acme spring", ids: tuple[str, ...] = ("acme-hello", "acme-offer")) -> bytes:
    files: dict[str, bytes | str] = {"playlist.yaml": playlist_yaml(name, list(ids))}
    for n, i in enumerate(ids):
        files[f"{i}.png"] = png(colour=(40 * n, 120, 200), text=i)
    return make_zip(files)


def snapshot(data: Path) -> tuple:
    """What must not change when an upload is refused: the active link, the versions and
    every byte in them, and tmp/ (no partial folder left behind)."""
    active = os.readlink(data / "active") if (data / "active").is_symlink() else None
    files = []
    for p in sorted((data / "versions").rglob("*")):
        if p.is_file():
            files.append((p.relative_to(data).as_posix(), hashlib.sha256(p.read_bytes()).hexdigest()))
    tmp = sorted(p.name for p in (data / "tmp").iterdir())
    return active, tuple(files), tuple(tmp)


@dataclass
class Server:
    url: str
    data: Path
    token: str
    settings: Settings
    store: ContentStore
    _server: uvicorn.Server
    _thread: threading.Thread

    def client(self, **kw) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=60, **kw)

    def api(self) -> httpx.Client:
        return self.client(headers={"Authorization": f"Bearer {self.token}"})

    def login(self, user: str = "alice", password: str = PASSWORD) -> httpx.Client:
        c = self.client()
        r = c.post("/login", data={"username": user, "password": password, "csrf": csrf_of(c.get("/login").text)})
        assert r.status_code == 303, r.text
        return c

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(10)


def csrf_of(html: str) -> str:
    m = re.search(r'name="csrf" value="([0-9a-f]+)"', html)
    assert m, "no CSRF token in the page"
    return m.group(1)


def try_login(client: httpx.Client, user: str, password: str) -> httpx.Response:
    """The login form posted (with its CSRF token): the answer, whatever it is."""
    return client.post("/login", data={"username": user, "password": password, "csrf": csrf_of(client.get("/login").text)})


def start_server(tmp: Path, **admin) -> Server:
    data = tmp / "content"
    settings = Settings(admin={"data_dir": str(data), "credentials_file": str(tmp / "creds" / "credentials.json"),
                               "secret_key_file": str(tmp / "creds" / "session.key"),
                               "status_file": str(tmp / "status.json"), **LIMITS, **admin},
                        analytics={"db_path": str(tmp / "analytics.db")})
    creds = Credentials(settings.admin.credentials_file)
    creds.add_user("alice", PASSWORD)
    creds.add_user("bob", PASSWORD + "!")
    return _serve(settings, creds.create_token("ci"))


def restart(s: Server) -> Server:
    """Stop the server and start a new one on the same folders and credentials (a new port)."""
    s.stop()
    return _serve(s.settings, s.token)


def _serve(settings: Settings, token: str) -> Server:
    data = Path(settings.admin.data_dir)
    app = create_app(settings)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", proxy_headers=False,
                                           **server_options(settings.admin)))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60  # generous: a loaded machine starts it late, a broken one never
    while not server.started:
        assert time.monotonic() < deadline, "the admin server did not start"
        time.sleep(0.02)
    return Server(f"http://127.0.0.1:{port}", data, token, settings, ContentStore(data), server, thread)


def wait_simulated(client: httpx.Client, version_id: str, timeout: float = 120) -> dict:
    """The version (API) once its simulation has ended: they run after the upload, in a worker."""
    deadline = time.monotonic() + timeout  # generous: a loaded machine
    while True:
        v = client.get(f"/api/versions/{version_id}").json()
        if v["simulation_state"]["state"] == "done":
            return v
        assert time.monotonic() < deadline, f"the simulation of {version_id} did not end: {v['simulation_state']}"
        time.sleep(0.1)


def wait_all_simulated(client: httpx.Client, timeout: float = 180) -> None:
    """Every stored version's simulation has ended (earlier uploads are simulated in the
    background and write their results into their own folders)."""
    for v in client.get("/api/versions").json()["versions"]:
        wait_simulated(client, v["id"], timeout)
