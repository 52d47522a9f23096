"""The README's quick start on a freshly installed Debian 13 (Python 3.13), as a new user.

A clean Debian 13 root (debootstrap minbase with python3, sudo, ca-certificates and git, as a
fresh install has them; cached between runs by tools/freshos.py) gets this working tree in
the home of an ordinary user with sudo, who runs `./run` under systemd-nspawn: the first run
installs what is missing (apt through sudo, then .venv from the lock) and plays the demo
headless, the sample clip standing in for the camera; it is stopped at its first "playing"
line. A second `./run` plays again without calling sudo. The full check, with timings, Debian
12 and ./test inside, is tools/check-fresh-os (not run here: no suite inside the suite).

Needs root (a container) and the network (Debian's mirror, the package index pip is
configured with, which the root shares with this machine, with its pip cache).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tools"))
import freshos  # noqa: E402

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="a container needs root")


@pytest.fixture(scope="module")
def root(tmp_path_factory):
    r = freshos.Root("debian13", tmp_path_factory.mktemp("fresh-os"))
    r.checkout(freshos.USER)
    yield r
    r.remove()


def play(root: freshos.Root, name: str) -> tuple[str, str]:
    root.nspawn("/usr/local/bin/fresh-os-user", "play", f"/var/tmp/{name}", "420", user=freshos.USER,
                cwd=f"/home/{freshos.USER}/signage", timeout=480, check=False)
    return root.read(f"/var/tmp/{name}.rc", "").strip(), root.read(f"/var/tmp/{name}.log", "")


def test_a_new_user_s_first_run_sets_up_and_plays_the_demo(root):
    rc, log = play(root, "first")
    assert rc == "0", log[-4000:]
    assert "on Debian 13" in log and "Python 3.13" in log
    assert "signage.director: playing " in log
    assert "Traceback" not in log
    calls = root.sudo_calls()
    assert calls and all(c.startswith(f"{freshos.USER}: sudo ") for c in calls)
    assert any("env DEBIAN_FRONTEND=noninteractive apt-get" in c and " install " in c for c in calls), calls


def test_the_second_run_plays_without_sudo_or_installing(root):
    before = len(root.sudo_calls())
    rc, log = play(root, "second")
    assert rc == "0", log[-4000:]
    assert root.sudo_calls()[before:] == []
    assert "bootstrap:" not in log  # nothing to set up
