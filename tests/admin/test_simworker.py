"""Simulations in a bounded worker: the CPU cap holds on a pathological upload (measured from
the child's own resource usage), one worker at a time (counted in /proc), and the real
``signage admin`` process stops on SIGTERM with a simulation and an upload under way."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest

from adminkit import PASSWORD, ROOT, make_zip, playlist_yaml, png, start_server, wait_simulated
from signage.admin.auth import Credentials

HEAVY_RULES = "rules:\n  - {id: smiles, when: {smile_ratio: '>= 0.5'}, play: h2, priority: 5}\n"
DAY = "name: day\nduration: 24h\ntimeline:\n  - {at: 0s, faces: 3, watchers: 2, smile_ratio: 0.8}\n  - {at: 1h, faces: 0}\n"


def heavy_bundle(name: str = "Heavy", scenarios: int = 3) -> bytes:
    """1 s creatives and 24 h scenarios: about 4 s of CPU each on this machine, unbounded."""
    text = playlist_yaml(name, ["h1", "h2"], extra=HEAVY_RULES).replace("duration: 3s", "duration: 1s")
    files: dict[str, bytes | str] = {"playlist.yaml": text, "h1.png": png(text="h1"), "h2.png": png(text="h2")}
    for i in range(scenarios):
        files[f"scenarios/day{i}.yaml"] = DAY
    return make_zip(files)


def light_bundle(name: str) -> bytes:
    files: dict[str, bytes | str] = {"playlist.yaml": playlist_yaml(name, ["a"]), "a.png": png(text=name),
                                     "scenario.yaml": "name: hour\nduration: 1h\ntimeline:\n  - {at: 0s, faces: 1}\n"}
    return make_zip(files)


def workers_of(parent: int) -> list[int]:
    """The simulation workers that are children of ``parent`` right now (from /proc)."""
    out = []
    for d in Path("/proc").iterdir():
        if not d.name.isdigit():
            continue
        try:
            if b"signage.admin.sim_worker" not in (d / "cmdline").read_bytes():
                continue
            stat = (d / "stat").read_text()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        if int(fields[1]) == parent and fields[0] != "Z":
            out.append(int(d.name))
    return out


def upload(c: httpx.Client, data: bytes, name: str = "x.zip") -> str:
    r = c.post("/api/versions", files={"file": (name, data, "application/zip")})
    assert r.status_code == 201, r.text
    return r.json()["id"]


@pytest.fixture()
def capped(tmp_path):
    empty = tmp_path / "no-examples"
    empty.mkdir()
    s = start_server(tmp_path, simulate_cpu_s=2, simulate_wall_s=300, scenarios_dir=str(empty),
                     max_upload_bytes=8 * 1024 * 1024)
    yield s
    s.stop()


def test_a_pathological_upload_stays_within_its_cpu_cap_and_stays_usable(capped):
    with capped.api() as c:
        vid = upload(c, heavy_bundle(), "heavy.zip")
        v = wait_simulated(c, vid)
        run = v["simulation_state"]
        print(f"\npathological upload: {run['cpu_s']} s of CPU for a cap of {run['cpu_limit_s']} s "
              f"(unbounded: about 13 s here), {run['wall_s']} s of wall time")
        # the child's own CPU time (wait4's resource usage): the soft limit, plus the 2 s before the hard one
        assert run["cpu_s"] <= run["cpu_limit_s"] + 2 + 0.5
        assert run["stopped"] and "of CPU" in run["stopped"] and run["simulated"] < 3
        sims = c.get(f"/api/versions/{vid}").json()["simulations"]
        assert sims[0]["scenario"] == "bundle: scenarios/day0.yaml" and "stopped after" in sims[0]["stopped"]
        assert all("stopped" in s for s in sims)  # the rest: "not simulated", said as such
        # advice only: the version is valid and can be activated
        assert c.post(f"/api/versions/{vid}/activate").status_code == 200
    page = capped.login().get(f"/versions/{vid}").text
    assert "stopped after" in page and "of CPU" in page and "can be activated" in page


def test_one_simulation_at_a_time_and_the_others_say_they_are_queued(capped):
    me = os.getpid()
    seen: list[int] = []
    done = threading.Event()

    def count() -> None:
        while not done.is_set():
            seen.append(len(workers_of(me)))
            time.sleep(0.02)

    counter = threading.Thread(target=count, daemon=True)
    counter.start()
    try:
        with capped.api() as c:
            ids = [upload(c, heavy_bundle(f"H{i}", scenarios=1), f"h{i}.zip") for i in range(3)]
            states = [c.get(f"/api/versions/{v}").json()["simulation_state"] for v in ids]
            assert states[-1]["state"] == "queued" and states[-1]["ahead"] >= 1, states
            page = capped.login().get(f"/versions/{ids[-1]}").text
            assert "Simulation queued" in page and "ahead of it" in page
            for v in ids:
                wait_simulated(c, v)
    finally:
        done.set()
        counter.join(5)
    assert max(seen) == 1, f"workers at once: {max(seen)}"
    runs = sorted(capped_runs(capped, ids), key=lambda r: r["start"])
    assert len(runs) == 3 and all(a["end"] <= b["start"] for a, b in zip(runs, runs[1:]))  # never overlapping


def capped_runs(server, ids: list[str]) -> list[dict]:
    svc = server._server.config.app.state.service
    return [r for r in svc.simulations.runs if r["version"] in ids]


# ---------------------------------------------------------------------------- SIGTERM, a real process


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_sigterm_stops_the_server_with_a_simulation_and_an_upload_under_way(tmp_path):
    port = _free_port()
    creds = tmp_path / "creds" / "credentials.json"
    token = Credentials(creds).create_token("ci")
    Credentials(creds).add_user("alice", PASSWORD)
    empty = tmp_path / "no-examples"
    empty.mkdir()
    env = {**os.environ, "PYTHONPATH": str(ROOT), "SIGNAGE_ADMIN__CREDENTIALS_FILE": str(creds),
           "SIGNAGE_ADMIN__SECRET_KEY_FILE": str(tmp_path / "creds" / "session.key"),
           "SIGNAGE_ADMIN__STATUS_FILE": str(tmp_path / "status.json"), "SIGNAGE_ADMIN__SCENARIOS_DIR": str(empty),
           "SIGNAGE_ADMIN__SIMULATE_CPU_S": "600", "SIGNAGE_ADMIN__SIMULATE_WALL_S": "3600"}
    data = tmp_path / "content"
    proc = subprocess.Popen([sys.executable, "-m", "signage.cli", "admin", "serve", "--port", str(port), "--data", str(data)],
                            env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    url = f"http://127.0.0.1:{port}"
    slow = None
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                httpx.get(url + "/login", timeout=2)
                break
            except httpx.TransportError:
                assert proc.poll() is None and time.monotonic() < deadline, "the service did not start"
                time.sleep(0.1)
        with httpx.Client(base_url=url, timeout=60, headers={"Authorization": f"Bearer {token}"}) as c:
            vid = upload(c, heavy_bundle(scenarios=20), "heavy.zip")  # minutes of CPU, unbounded
            deadline = time.monotonic() + 60
            while c.get(f"/api/versions/{vid}").json()["simulation_state"]["state"] != "running":
                assert time.monotonic() < deadline, "the simulation did not start"
                time.sleep(0.1)
        workers = workers_of(proc.pid)
        assert len(workers) == 1
        # and an upload whose body is still coming
        slow = socket.create_connection(("127.0.0.1", port))
        slow.sendall(f"POST /api/versions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\n"
                     "Content-Type: multipart/form-data; boundary=b\r\nContent-Length: 1000000\r\n\r\n"
                     "--b\r\nContent-Disposition: form-data; name=\"file\"; filename=\"s.zip\"\r\n\r\nPK".encode())
        time.sleep(0.5)
        t0 = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        proc.wait(30)  # generous: the bound is 5 s (documented with the figure printed here)
        took = time.monotonic() - t0
        print(f"\nSIGTERM to exit: {took:.2f} s (exit status {proc.returncode})")
        # uvicorn shuts down, then ends by the signal it caught (what systemd expects after a stop)
        assert proc.returncode in (0, -signal.SIGTERM), proc.stdout.read() if proc.stdout else ""
        time.sleep(0.2)
        assert not any(Path(f"/proc/{w}").exists() and "Z" not in Path(f"/proc/{w}/stat").read_text().rsplit(")", 1)[1][:3]
                       for w in workers), "the worker outlived the service"
        assert not (data / "versions" / vid / ".signage" / "simulation.json").exists()  # nothing half-written
    finally:
        if slow is not None:
            slow.close()
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    # at the next start: tmp/ is emptied and the interrupted simulation is queued again
    proc = subprocess.Popen([sys.executable, "-m", "signage.cli", "admin", "serve", "--port", str(port), "--data", str(data)],
                            env={**env, "SIGNAGE_ADMIN__SIMULATE_CPU_S": "1"}, cwd=ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        with httpx.Client(base_url=url, timeout=60, headers={"Authorization": f"Bearer {token}"}) as c:
            deadline = time.monotonic() + 120
            while True:
                try:
                    state = c.get(f"/api/versions/{vid}").json()["simulation_state"]
                except httpx.TransportError:
                    state = {}
                if state.get("state") == "done":
                    break
                assert time.monotonic() < deadline, f"not simulated again after the restart: {state}"
                time.sleep(0.2)
            assert state["stopped"], state  # 1 s of CPU this time: stopped at the cap, and said
        assert [p.name for p in (data / "tmp").iterdir() if not p.name.startswith("sim-")] == []
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(30)
