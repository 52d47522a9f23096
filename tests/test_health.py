"""Health for operators: sd_notify over a real AF_UNIX socket, the status file written
atomically, `signage status`, and `signage run` talking to a (test) systemd socket."""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from signage.config import HealthConfig
from signage.health import HealthReporter, read_status, snapshot, write_atomically
from signage.player import PlayerState
from signage.systemd import Notifier, notify, watchdog_interval
from signage.values import AudienceSnapshot, SensingStatus

ROOT = Path(__file__).resolve().parent.parent


def receiver(addr: str) -> socket.socket:
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    s.bind(addr)
    s.settimeout(5)
    return s


def test_notify_reaches_a_path_socket_and_an_abstract_one(tmp_path):
    path = str(tmp_path / "notify.sock")
    with receiver(path) as r:
        assert notify("READY=1\nSTATUS=hello", {"NOTIFY_SOCKET": path})
        assert r.recv(4096) == b"READY=1\nSTATUS=hello"
    name = f"signage-test-{os.getpid()}"
    with receiver("\0" + name) as r:
        assert notify("WATCHDOG=1", {"NOTIFY_SOCKET": "@" + name})
        assert r.recv(4096) == b"WATCHDOG=1"
    assert not notify("READY=1", {})  # not under systemd: nothing, no error
    assert not notify("READY=1", {"NOTIFY_SOCKET": str(tmp_path / "gone.sock")})


def test_watchdog_interval_is_half_the_timeout_and_only_for_us():
    assert watchdog_interval({"WATCHDOG_USEC": "30000000"}) == 15.0
    assert watchdog_interval({"WATCHDOG_USEC": "30000000", "WATCHDOG_PID": str(os.getpid())}) == 15.0
    assert watchdog_interval({"WATCHDOG_USEC": "30000000", "WATCHDOG_PID": "1"}) is None
    assert watchdog_interval({}) is None


def test_notifier_says_ready_once_and_pings_when_due(tmp_path):
    path = str(tmp_path / "n.sock")
    t = [0.0]
    with receiver(path) as r:
        n = Notifier({"NOTIFY_SOCKET": path, "WATCHDOG_USEC": "2000000"}, clock=lambda: t[0])
        n.ready("up")
        n.ready("again")
        for step in range(30):  # 3 s at 10 frames a second
            t[0] = step / 10
            n.alive("playing")
        n.stopping()
        r.settimeout(0.5)
        got = []
        try:
            while True:
                got.append(r.recv(4096).decode())
        except TimeoutError:
            pass
    assert got[0] == "READY=1\nSTATUS=up" and got.count("READY=1\nSTATUS=up") == 1
    pings = [g for g in got if g.startswith("WATCHDOG=1")]
    assert len(pings) == 3  # at 0, 1 and 2 s: every half of the 2 s timeout
    assert got[-1] == "STOPPING=1"


def _state() -> PlayerState:
    st = PlayerState(started_at=dt.datetime(2026, 11, 23, 9, tzinfo=dt.timezone.utc), creative="welcome",
                     reason="default loop", playlist="demo", playlist_version=2, render_fps=59.8)
    st.sensing = SensingStatus(camera="on", source="cam0", fps=29.9, analysed=100)
    st.audience = AudienceSnapshot(t=1.0, faces=2, measured=2, watchers=1, attention_ratio=0.5, passers_by=3)
    st.error(dt.datetime(2026, 11, 23, 9, 1, tzinfo=dt.timezone.utc), "promo: cannot open the video")
    return st


def test_status_document_holds_numbers_and_words_only():
    doc = snapshot(_state(), dt.datetime(2026, 11, 23, 10, tzinfo=dt.timezone.utc))
    assert doc["uptime_s"] == 3600 and doc["creative"] == "welcome" and doc["camera"]["state"] == "on"
    assert doc["audience"]["faces"] == 2 and doc["errors"] == ["2026-11-23T09:01:00+00:00 promo: cannot open the video"]

    def leaves(x):
        if isinstance(x, dict):
            for v in x.values():
                yield from leaves(v)
        elif isinstance(x, list):
            for v in x:
                yield from leaves(v)
        else:
            yield x
    assert all(v is None or isinstance(v, (str, int, float, bool)) for v in leaves(doc))
    assert len(json.dumps(doc)) < 4096


def test_a_reader_never_sees_half_a_status_file(tmp_path):
    path = tmp_path / "status.json"
    write_atomically(path, {"n": 0})
    stop = threading.Event()
    bad: list[str] = []

    def read():
        while not stop.is_set():
            try:
                json.loads(path.read_text())
            except ValueError as exc:
                bad.append(str(exc))

    t = threading.Thread(target=read)
    t.start()
    try:
        for n in range(500):
            write_atomically(path, {"n": n, "padding": "x" * 5000})
    finally:
        stop.set()
        t.join()
    assert bad == [] and json.loads(path.read_text())["n"] == 499
    assert [p.name for p in tmp_path.iterdir()] == ["status.json"]  # no temporary files left


def test_reporter_writes_from_its_own_thread(tmp_path):
    rep = HealthReporter(HealthConfig(status_file=str(tmp_path / "s.json"), write_interval_s=0.1)).start()
    try:
        rep.update(_state())
        deadline = time.monotonic() + 60  # generous: only a reporter that never writes reaches it
        while rep.writes == 0:
            assert time.monotonic() < deadline, "the reporter's thread did not write the status"
            time.sleep(0.02)
        doc, _ = read_status(tmp_path / "s.json")  # written by its thread, before stop()
    finally:
        rep.stop()
    assert doc["playlist"] == "demo"


def test_the_status_names_the_release_and_the_static_facts(tmp_path):
    """kiosk/update.sh accepts a new release only when its own player reports healthy."""
    doc = snapshot(_state(), dt.datetime(2026, 11, 23, 10, tzinfo=dt.timezone.utc))
    assert doc["release"] == str(ROOT) and doc["pid"] == os.getpid()
    rep = HealthReporter(HealthConfig(status_file=str(tmp_path / "s.json"), write_interval_s=0.1))
    rep.set_static(display="kmsdrm 1920x1080")
    rep.update(_state())
    rep.write_now()
    doc, _ = read_status(tmp_path / "s.json")
    assert doc["display"] == "kmsdrm 1920x1080" and doc["creative"] == "welcome"


def status_cli(*args, env=None):
    e = {k: v for k, v in os.environ.items() if not k.startswith("SIGNAGE_")}
    e.update(env or {})
    return subprocess.run([sys.executable, "-m", "signage.cli", "status", *args], capture_output=True, text=True,
                          cwd=ROOT, env=e, timeout=60)


def test_signage_status(tmp_path):
    path = tmp_path / "status.json"
    p = status_cli("--file", str(path))
    assert p.returncode == 2 and "no status file" in p.stderr
    write_atomically(path, snapshot(_state(), dt.datetime.now(dt.timezone.utc)))
    p = status_cli("--file", str(path))
    assert p.returncode == 0, p.stderr
    assert "on screen: welcome" in p.stdout and "camera: on (cam0), 30 fps" in p.stdout and "recent errors: 1" in p.stdout
    assert f"release: {ROOT} (pid " in p.stdout
    p = status_cli("--file", str(path), "--json")
    assert json.loads(p.stdout)["stale"] is False
    old = time.time() - 600
    os.utime(path, (old, old))
    p = status_cli("--file", str(path))
    assert p.returncode == 1 and "stopped or stuck" in p.stderr


def test_signage_run_tells_systemd_it_is_ready_and_alive_and_writes_its_status(tmp_path):
    sock = str(tmp_path / "notify.sock")
    status = tmp_path / "status.json"
    env = {k: v for k, v in os.environ.items() if not k.startswith("SIGNAGE_")}
    env.update({"NOTIFY_SOCKET": sock, "WATCHDOG_USEC": "1000000", "SIGNAGE_HEALTH__STATUS_FILE": str(status)})
    with receiver(sock) as r:
        proc = subprocess.Popen([sys.executable, "-m", "signage.cli", "run", "--headless", "--camera", "off",
                                 "--db", str(tmp_path / "a.db")], cwd=ROOT, env=env,
                                stderr=subprocess.PIPE, text=True)
        got: list[str] = []
        r.settimeout(120)  # generous: start-up on a loaded machine; a player that never says a word fails
        try:
            # it plays until told to stop: after its fifth watchdog ping (counted, not timed)
            while sum(g.startswith("WATCHDOG=1") for g in got) < 5:
                got.append(r.recv(4096).decode())
            proc.send_signal(signal.SIGTERM)
            while got[-1] != "STOPPING=1":
                got.append(r.recv(4096).decode())
        finally:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
            _, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err[-2000:]
    assert got[0].startswith("READY=1\nSTATUS=welcome (loop); camera off")
    pings = [g for g in got if g.startswith("WATCHDOG=1")]
    assert len(pings) >= 5 and all("STATUS=" in g for g in pings)
    assert got[-1] == "STOPPING=1" and "SIGTERM: stopping" in err
    doc, _ = read_status(status)
    assert doc["playlist"] == "Café Lumière (demo)" and doc["camera"]["state"] == "off" and doc["frames"] >= 1
