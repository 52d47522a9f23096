"""docs/fleet.md's central side on a clean Debian 13, as a new operator follows it (issue 16).

A fresh Debian 13 root (tools/freshos.py: minbase, python3, sudo, git, an ordinary user
"kiosk" with sudo, this working tree in ~kiosk/signage) gets systemd and boots under
systemd-nspawn. After boot, tests/kiosk/central_scenario.sh runs the docs' commands as that
user: `kiosk/install-central.sh` (Debian's Mosquitto and PostgreSQL, the release, the
collector and admin units), an operator for the admin service, three kiosks to try on the
machine (`--add-screen --kiosk-dir`), each a real `signage run` (one on the sample clip);
then tests/kiosk/central_operator.py, over HTTP as a browser: the three online on /fleet, a
version uploaded and rolled out to their site, each playing it, their plays in the fleet
report; `signage fleet export`; the kiosks stopped and shown offline. The container shares
this machine's network: ports 1883, 5432 and 8470 on loopback must be free.

Needs root (a container) and the network (Debian's mirror; the package index pip is
configured with, shared with this machine).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tools"))
import freshos  # noqa: E402

HERE = Path(__file__).resolve().parent
DOCS = (HERE.parents[1] / "docs" / "fleet.md").read_text(encoding="utf-8")
OUT = "/var/tmp/central"

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="a container needs root")


def _busy(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


@pytest.fixture(scope="module")
def central(tmp_path_factory):
    busy = [p for p in (1883, 5432, 8470) if _busy(p)]
    if busy:
        pytest.skip(f"the container shares this machine's loopback: ports {busy} are in use here")
    root = freshos.Root("debian13", tmp_path_factory.mktemp("central"))
    try:
        root.checkout(freshos.USER)
        root.nspawn("/bin/sh", "-c", "apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "
                    "--no-install-recommends systemd systemd-sysv dbus procps", timeout=1200)
        r = root.path
        shutil.copy(HERE / "central_scenario.sh", r / "var/tmp/central_scenario.sh")
        shutil.copy(HERE / "central_operator.py", r / "var/tmp/central_operator.py")
        unit = r / "etc/systemd/system/central-scenario.service"
        unit.write_text("[Unit]\nAfter=multi-user.target network-online.target\n[Service]\nType=oneshot\n"
                        "ExecStart=/bin/bash /var/tmp/central_scenario.sh\nTimeoutStartSec=3000\n"
                        "[Install]\nWantedBy=multi-user.target\n")
        (r / "etc/systemd/system/multi-user.target.wants").mkdir(parents=True, exist_ok=True)
        (r / "etc/systemd/system/multi-user.target.wants/central-scenario.service").symlink_to(
            "/etc/systemd/system/central-scenario.service")
        p = freshos.run("systemd-nspawn", "-q", "--register=no", "--keep-unit", f"--hostname={freshos.HOSTNAME}",
                        "-D", r, *root.binds, "--boot", timeout=3000, check=False)
        (r / "var/tmp/boot.log").write_text(p.stdout + p.stderr)
        yield root
    finally:
        root.remove()


def read(root, name: str, default: str = "") -> str:
    return root.read(f"{OUT}/{name}", default)


def test_the_docs_commands_are_the_ones_run(central):
    """Each command the scenario runs as the operator is written so in docs/fleet.md."""
    scenario = (HERE / "central_scenario.sh").read_text()
    for cmd in ("sudo kiosk/install-central.sh --screens kiosk-1,kiosk-2,kiosk-3",
                "sudo -u signage SIGNAGE_CONFIG=/etc/signage/signage.toml /opt/signage/current/.venv/bin/signage "
                "admin user add alice",
                "sudo kiosk/install-central.sh --add-screen $k --site shop-1 --kiosk-dir ~/fleet-try/$k",
                "S=/opt/signage/current/.venv/bin/signage",
                "$S --config ~/fleet-try/kiosk-1/signage.toml run --headless",
                "$S --config ~/fleet-try/kiosk-2/signage.toml run --headless --camera off",
                'F="sudo -u signage /opt/signage/current/.venv/bin/signage --config /etc/signage/signage.toml fleet export"',
                "$F --per hour --since"):
        assert cmd in DOCS, f"not in docs/fleet.md: {cmd}"
        assert cmd in scenario, f"not run by the scenario: {cmd}"


def test_the_installer_starts_the_central_side(central):
    log = read(central, "install.log")
    assert read(central, "install.rc").strip() == "0", (log + read(central, "scenario.log"))[-5000:]
    assert "Traceback" not in log and "Warning: File" not in log  # no mosquitto_passwd warning either
    assert read(central, "user.rc").strip() == "0", read(central, "user.log")
    units = dict(line.split("=", 1) for line in read(central, "units.txt").split())
    assert units == {"mosquitto": "active", "postgresql": "active", "signage-collector": "active",
                     "signage-admin": "active"}, units
    assert read(central, "add.rc").strip() == "0", read(central, "add.log")


def test_three_kiosks_join_take_a_version_and_report_their_plays(central):
    log = read(central, "operator.log")
    kiosks = "".join(f"\n--- {k}.log\n" + read(central, f"{k}.log")[-1500:] for k in ("kiosk-1", "kiosk-2", "kiosk-3"))
    assert read(central, "operator.rc").strip() == "0", (log + kiosks + read(central, "scenario.log")[-1500:])
    said = json.loads(read(central, "operator.json"))
    assert said["login"] == 200 and said["upload"] == 200 and said["rollout"] == 200
    assert all(v.startswith(f"{k} online ") for k, v in said["online"].items()), said["online"]
    assert "3 have it, 0 failed" in said["report"]
    assert said["playing_after_s"] < 60, said  # "within seconds"; generous on a loaded machine
    assert said["report_row"].startswith("spring-sale ")
    for k in ("kiosk-1", "kiosk-2", "kiosk-3"):
        klog = read(central, f"{k}.log")
        assert "fleet: connected to 127.0.0.1:1883" in klog and "playlist 'Spring'" in klog, klog[-3000:]
        assert "Traceback" not in klog, k
    assert "camera white_house_hamilton_clip.mp4: on" in read(central, "kiosk-1.log")  # the sample clip


def test_the_fleets_ad_log_comes_out_of_postgresql(central):
    assert read(central, "export.rc").strip() == "0", read(central, "export.log")
    rows = read(central, "week.csv").splitlines()
    assert rows[0].startswith("screen_id,site,venue_type,latitude,longitude,play_id,start_utc")
    sale = [r for r in rows if ",spring-sale," in r]
    assert {r.split(",")[0] for r in sale} == {"kiosk-1", "kiosk-2", "kiosk-3"}
    assert all(",spring-sale,SPRING-2026 / line 1,Spring," in r for r in sale)  # the campaign, every play
    hourly = [json.loads(line) for line in read(central, "hourly.jsonl").splitlines()]
    assert {h["screen_id"] for h in hourly} == {"kiosk-1", "kiosk-2", "kiosk-3"} and all(h["period"] == "hour"
                                                                                      for h in hourly)


def test_stopped_kiosks_are_offline_in_the_fleet_view(central):
    assert read(central, "offline.rc").strip() == "0", read(central, "offline.log")
    said = json.loads(read(central, "offline.json"))
    assert set(said["offline"]) == {"kiosk-1", "kiosk-2", "kiosk-3"}
    assert not re.search(r"Traceback", read(central, "journal.log"))
