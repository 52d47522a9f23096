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
from types import SimpleNamespace

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from signage.config import ConfigError, HealthConfig, load_settings
from signage.health import HealthReporter, default_status_file, read_status, snapshot, status_path, write_atomically
from signage.healthcheck import Since, problems, systemd_status
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
    rep.set_static(display=DISPLAY_OK)
    rep.update(_state())
    rep.write_now()
    doc, _ = read_status(tmp_path / "s.json")
    assert doc["display"] == DISPLAY_OK and doc["creative"] == "welcome" and doc["problems"] == []


DISPLAY_OK = {"driver": "kmsdrm", "size": "1920x1080", "mode": "fullscreen", "configured": "kmsdrm fullscreen",
              "as_configured": True, "error": None}
DISPLAY_HEADLESS = {**DISPLAY_OK, "driver": "dummy", "mode": "headless", "as_configured": False,
                    "error": "kmsdrm: kmsdrm not available"}
ANALYTICS_OK = {"state": "ok", "db": "/var/lib/signage/analytics.db", "queue": 0, "plays_written": 12,
                "not_written": 0, "retries": 0, "failing_s": 0.0, "last_error": None}
GRACE = {"analytics_grace_s": 5.0, "camera_grace_s": 120.0}


def test_healthy_when_everything_is_as_configured():
    doc = {"display": DISPLAY_OK, "analytics": ANALYTICS_OK, "camera": {"state": "on"}, "playlist_problem": None}
    assert problems(doc, **GRACE) == []
    assert systemd_status([], "welcome (loop); camera on") == "welcome (loop); camera on"


def test_each_failure_is_one_line_that_says_what_and_why():
    retrying = {**ANALYTICS_OK, "state": "retrying", "failing_s": 6.0, "queue": 3,
                "last_error": "attempt to write a readonly database"}
    doc = {"display": DISPLAY_HEADLESS, "analytics": retrying, "playlist_problem": "/p.yaml: file not found",
           "camera": {"state": "reconnecting", "source": "0", "failing_s": 121.0, "last_error": "no /dev/video0"}}
    got = problems(doc, **GRACE)
    assert len(got) == 4 and all("\n" not in p for p in got)
    assert got[0] == ("display: configured kmsdrm fullscreen, but running headless: nothing is on the screen "
                      "(kmsdrm: kmsdrm not available)")
    assert got[1].startswith("analytics: cannot write proof of play to /var/lib/signage/analytics.db for 6 s, "
                             "3 records waiting") and "readonly" in got[1]
    assert got[2] == "playlist: /p.yaml: file not found"
    assert got[3].startswith("camera 0: failing for 121 s") and "no /dev/video0" in got[3]
    assert systemd_status(got, "idle (loop); camera reconnecting").startswith("UNHEALTHY: display: configured kmsdrm")


def test_short_failures_are_within_their_grace_but_lost_records_are_not():
    doc = {"analytics": {**ANALYTICS_OK, "state": "retrying", "failing_s": 4.9},
           "camera": {"state": "reconnecting", "failing_s": 119.0}}
    assert problems(doc, **GRACE) == []  # a lock held a moment, a camera being plugged in
    doc["analytics"] = {**ANALYTICS_OK, "not_written": 7}  # writing again, but 7 records are gone
    assert problems(doc, **GRACE) == ["analytics: 7 records not written since start (queue full or database "
                                      "unavailable)"]


def test_since_counts_how_long_a_condition_held():
    s = Since()
    assert s.seconds("db", False, 0.0) == 0.0
    assert s.seconds("db", True, 10.0) == 0.0 and s.seconds("db", True, 16.5) == 6.5
    assert s.seconds("db", False, 17.0) == 0.0 and s.seconds("db", True, 20.0) == 0.0  # a new episode


class Clock:
    def __init__(self) -> None:
        self.t = 0.0

    def __call__(self) -> float:
        return self.t


def test_the_status_is_written_when_it_changes_and_at_the_heartbeat(tmp_path):
    """On disk (no tmpfs) an unchanged status is not rewritten every second."""
    clock = Clock()
    rep = HealthReporter(HealthConfig(status_file=str(tmp_path / "s.json"), write_interval_s=1, heartbeat_s=5),
                         clock=clock)
    st = _state()
    for second in range(20):  # 20 s of the same creative: frames and uptime change, nothing else
        clock.t = float(second)
        st.frames = second * 60
        rep.update(st)
        rep.write_now()
    assert rep.writes == 4  # at 0, 5, 10 and 15 s: the heartbeat
    st.creative = "promo"  # news: written at once
    clock.t = 20.0
    rep.update(st)
    rep.write_now()
    assert rep.writes == 5 and read_status(tmp_path / "s.json")[0]["creative"] == "promo"


def test_the_heartbeat_must_beat_the_staleness():
    with pytest.raises(ValueError, match="heartbeat_s .* must be less than stale_after_s"):
        HealthConfig(heartbeat_s=10, stale_after_s=10)


def test_the_status_file_is_on_tmpfs_by_default(tmp_path, monkeypatch):
    assert default_status_file({"XDG_RUNTIME_DIR": "/run/user/1000"}, tmp_path / "none") == \
        Path("/run/user/1000/signage/status.json")
    kiosk = tmp_path / "run-signage"
    kiosk.mkdir()
    assert default_status_file({}, kiosk) == kiosk / "status.json"  # /run/signage on a kiosk
    assert default_status_file({}, tmp_path / "none") == Path("~/.local/state/signage/status.json").expanduser()
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(tmp_path))
    for k in [k for k in os.environ if k.startswith("SIGNAGE_")]:
        monkeypatch.delenv(k)
    settings = load_settings()
    assert status_path(settings) == tmp_path / "signage" / "status.json"
    from signage.admin.status import default_status_path
    assert default_status_path(settings) == status_path(settings)  # the dashboard reads the same file
    monkeypatch.setenv("SIGNAGE_HEALTH__STATUS_FILE", str(tmp_path / "elsewhere.json"))
    assert status_path(load_settings()) == tmp_path / "elsewhere.json"
    monkeypatch.setenv("SIGNAGE_HEALTH__HEARTBEAT_S", "30")
    with pytest.raises(ConfigError, match="heartbeat_s"):
        load_settings()


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


def test_signage_status_names_each_reason_and_exits_1(tmp_path):
    path = tmp_path / "status.json"
    doc = {**snapshot(_state(), dt.datetime.now(dt.timezone.utc)), "display": DISPLAY_HEADLESS,
           "analytics": {**ANALYTICS_OK, "state": "retrying", "failing_s": 30.0, "queue": 40}}
    doc["problems"] = problems(doc, **GRACE)
    write_atomically(path, doc)
    p = status_cli("--file", str(path))
    assert p.returncode == 1
    assert "display: HEADLESS (dummy 1920x1080); configured: kmsdrm fullscreen" in p.stdout
    assert "analytics: retrying, 40 waiting" in p.stdout and "health: UNHEALTHY (2 problems)" in p.stdout
    reasons = [line for line in p.stderr.splitlines() if line.startswith("signage status: unhealthy: ")]
    assert [r.split(": ", 2)[2].split(":")[0] for r in reasons] == ["display", "analytics"]
    j = json.loads(status_cli("--file", str(path), "--json").stdout)
    assert j["healthy"] is False and len(j["problems"]) == 2


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


def _player(args, env_extra):
    env = {k: v for k, v in os.environ.items() if not k.startswith("SIGNAGE_") and k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    env.pop("SDL_VIDEODRIVER", None)
    env.update(env_extra)
    return subprocess.Popen([sys.executable, "-m", "signage.cli", "run", "--camera", "off", *args], cwd=ROOT, env=env,
                            stderr=subprocess.PIPE, text=True)


def test_a_display_that_cannot_open_runs_headless_says_why_and_is_unhealthy(tmp_path):
    """An explicit driver with no display behind it (x11 with no $DISPLAY): no traceback and no
    restart loop, but READY with STATUS=UNHEALTHY, a log line naming the driver and the
    variable, and `signage status` exits 1 saying so."""
    sock = str(tmp_path / "notify.sock")
    status = tmp_path / "status.json"
    with receiver(sock) as r:
        proc = _player(["--db", str(tmp_path / "a.db")], {
            "NOTIFY_SOCKET": sock, "WATCHDOG_USEC": "1000000", "SIGNAGE_HEALTH__STATUS_FILE": str(status),
            "SIGNAGE_DISPLAY__DRIVER": "x11"})
        got: list[str] = []
        r.settimeout(120)
        try:
            while sum(g.startswith("WATCHDOG=1") for g in got) < 3:
                got.append(r.recv(4096).decode())
            p = status_cli("--file", str(status))
            proc.send_signal(signal.SIGTERM)
        finally:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
            _, err = proc.communicate(timeout=60)
    assert proc.returncode == 0 and "Traceback" not in err, err[-2000:]
    assert 'display: cannot open x11 fullscreen, set by display.driver = "x11" (from SIGNAGE_DISPLAY__DRIVER)' in err
    assert got[0].startswith("READY=1\nSTATUS=UNHEALTHY: display: configured x11 fullscreen, but running headless")
    assert p.returncode == 1 and "display: HEADLESS (dummy 1920x1080); configured: x11 fullscreen" in p.stdout
    assert "signage status: unhealthy: display: configured x11 fullscreen" in p.stderr


def test_a_database_that_cannot_be_written_is_unhealthy_while_the_player_plays_on(tmp_path):
    status = tmp_path / "status.json"
    (tmp_path / "a-file").write_text("not a folder")
    db = tmp_path / "a-file" / "analytics.db"  # its folder cannot be made, even by root
    proc = _player(["--headless", "--db", str(db)], {"SIGNAGE_HEALTH__STATUS_FILE": str(status),
                                                     "SIGNAGE_HEALTH__ANALYTICS_GRACE_S": "0"})
    try:
        deadline = time.monotonic() + 120  # generous: only a player that never says so reaches it
        doc: dict = {}
        while not any(p.startswith("analytics:") for p in doc.get("problems", [])):
            assert proc.poll() is None and time.monotonic() < deadline, doc
            time.sleep(0.1)
            try:
                doc, _ = read_status(status)
            except (OSError, ValueError):
                pass
        p = status_cli("--file", str(status))
    finally:
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err[-2000:]
    assert doc["analytics"]["state"] == "retrying" and "cannot create its folder" in doc["analytics"]["last_error"]
    assert doc["creative"] is not None and doc["display"]["as_configured"]  # the screen plays on
    assert p.returncode == 1 and f"analytics: cannot write proof of play to {db}" in p.stderr
    assert "recent errors" in p.stdout and "analytics: retrying" in p.stdout


json_values = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
                           lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner,
                                                                                       max_size=4), max_leaves=20)
status_keys = st.sampled_from(["display", "camera", "analytics", "audience", "problems", "errors", "playlist_problem",
                               "uptime_s", "render_fps", "creative", "release"])


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(doc=st.dictionaries(status_keys, json_values, max_size=8) | json_values)
def test_signage_status_never_breaks_on_whatever_the_file_holds(tmp_path, doc, capsys):
    """A status file from another release, half edited by hand: a message and 0, 1 or 2, never a traceback."""
    from signage.status_cli import run_status

    path = tmp_path / "status.json"
    path.write_text(json.dumps(doc))
    code = run_status(SimpleNamespace(file=str(path), json=False), load_settings())
    assert code in (0, 1, 2)
    if isinstance(doc, dict):
        assert problems(doc, **GRACE) is not None
