"""The same faces on a Raspberry Pi 5's system as here: tools/check-arm64 inside the suite.

A Debian 13 arm64 root under qemu-user (binfmt_misc), cached as a tarball under
~/.cache/signage/arm64, gets this working tree; there, as an ordinary user with sudo,
scripts/bootstrap installs the aarch64 wheels from requirements/player.lock, and
`./run sense --json` reads the six photos of tests/data. The same command runs here
(x86_64), and the faces are compared one by one. docs/arm64.md has the details and figures
(about 8 minutes with the cache on a quiet machine, most of it emulation; about 14 without).

Needs root (binfmt_misc, debootstrap, systemd-nspawn), and on the first run the network
(Debian's mirror for the root and qemu, the package index for the wheels).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PHOTOS = {"astronaut.png", "obama_official_portrait.jpg", "grace_hopper.jpg", "biden_white_house.jpg",
          "camera.png", "solvay_1927.png"}

pytestmark = pytest.mark.skipif(
    os.geteuid() != 0,
    reason="needs root: binfmt_misc for qemu-aarch64, debootstrap and systemd-nspawn for a Debian 13 arm64 root "
    "(and the network on the first run)")


@pytest.fixture(scope="module")
def check(tmp_path_factory) -> tuple[subprocess.CompletedProcess, dict]:
    out = tmp_path_factory.mktemp("arm64")
    p = subprocess.run([sys.executable, str(ROOT / "tools/check-arm64"), "--out", str(out)],
                       capture_output=True, text=True, timeout=5400)
    if p.returncode not in (0, 1):  # 2: it could not be made (no network, a tool missing...): it says why
        pytest.fail(f"tools/check-arm64 exited {p.returncode}:\n{p.stderr[-3000:]}")
    return p, json.loads((out / "summary.json").read_text())


def test_the_root_is_aarch64_and_its_wheels_too(check):
    _, summary = check
    assert summary["uname_m"] == "aarch64"
    assert summary["versions_aarch64"]["machine"] == "aarch64"
    assert summary["versions_aarch64"]["python"].startswith("3.13.")  # Debian 13's, as on Pi OS Trixie
    wheels = {w["wheel"]: w for w in summary["wheels"]}
    assert set(wheels) == {"mediapipe", "numpy", "opencv_contrib_python"}
    for w in wheels.values():
        assert w["tags"] and all(t.endswith("aarch64") for t in w["tags"]), w
        assert "ARM aarch64" in w["file"], w


def test_both_sides_run_the_same_releases(check):
    _, summary = check
    here, there = summary["versions_x86_64"], summary["versions_aarch64"]
    assert here["machine"] == "x86_64"
    for dist in ("mediapipe", "numpy", "opencv-contrib-python"):
        assert here[dist] == there[dist], dist


def test_every_photo_shows_the_same_faces(check):
    p, summary = check
    rows = {r["photo"]: r for r in summary["photos"]}
    assert set(rows) == PHOTOS
    for name, r in rows.items():
        assert r["x86_64"] == r["aarch64"] == r["matched"], r
        assert r["yaw"] <= 2.0 and r["pitch"] <= 2.0 and r["smile"] <= 0.05, r
        assert not r["problems"], r
    assert rows["solvay_1927.png"]["x86_64"] > 20  # the group photo: many faces, each compared
    assert summary["problems"] == [] and p.returncode == 0, p.stdout[-3000:]
