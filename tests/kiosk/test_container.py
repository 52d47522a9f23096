"""The installer on a clean Debian 12, and the kiosk booted under a real systemd.

A minimal Debian 12 root (debootstrap, cached between runs) gets this checkout installed
by kiosk/install.sh exactly as on a mini-PC: apt packages, the signage user, a release with
its virtual environment (pygame built against Debian's SDL, for kmsdrm), units enabled.
Then the container boots (systemd-nspawn --boot) and tests/kiosk/container_scenario.sh,
run after boot, records what systemd and the player do: the player started at boot as
`signage` under the unit's hardening, READY and watchdog, `signage status`; a frozen player
killed by the watchdog and restarted; an update to a broken release rolled back by itself;
an update to a good release kept. The container has no display, no camera and no uploaded
playlist: its drop-in says so (headless, camera off, the bundled demo as the playlist), since
a kiosk that finds no display, camera or playlist it was configured for reports unhealthy
and an update to it would be rolled back.

Needs root (containers) and network (Debian's mirror, the package index pip is configured
with); installs debootstrap and systemd-container with apt-get when they are missing.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tools"))
from freshos import pip_settings, tools  # noqa: E402  (the host's pip configuration, for a root; debootstrap and nspawn)

HERE = Path(__file__).resolve().parent
CACHE = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "signage" / "kiosk-container"
BASE = CACHE / "bookworm-minbase.tar"
MIRROR = "http://deb.debian.org/debian"
EXCLUDE = {".git", ".venv", "__pycache__", ".pytest_cache", ".hypothesis", "signage.egg-info"}

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="a container needs root")


def run(*args, timeout=600, check=True, **kw) -> subprocess.CompletedProcess:
    p = subprocess.run([str(a) for a in args], capture_output=True, text=True, timeout=timeout, **kw)
    if check:
        assert p.returncode == 0, f"{args}: {p.returncode}\n{p.stdout[-3000:]}\n{p.stderr[-3000:]}"
    return p


def base_rootfs() -> Path:
    """A pristine Debian 12 (minbase + systemd), built once and kept as a tarball."""
    if not BASE.exists():
        CACHE.mkdir(parents=True, exist_ok=True)
        tmp = CACHE / "build"
        shutil.rmtree(tmp, ignore_errors=True)
        run("debootstrap", "--variant=minbase", "--include=systemd,systemd-sysv,dbus,ca-certificates",
            "bookworm", tmp, MIRROR, timeout=1200)
        run("tar", "-C", tmp, "-cf", f"{BASE}.part", ".")
        os.replace(f"{BASE}.part", BASE)
        shutil.rmtree(tmp)
    return BASE


def copy_source(dest: Path) -> None:
    def ignore(_dir, names):
        return [n for n in names if n in EXCLUDE]
    shutil.copytree(ROOT, dest, ignore=ignore, symlinks=True)


@pytest.fixture(scope="module")
def kiosk(tmp_path_factory) -> Path:
    """Install, boot, run the scenario; return the folder of its results."""
    tools()
    base = base_rootfs()
    rootfs = tmp_path_factory.mktemp("container") / "rootfs"
    rootfs.mkdir()
    run("tar", "-C", rootfs, "-xf", base)
    # network as the host has it: its CAs (also for apt's ca-certificates trigger), its pip index
    shutil.copy("/etc/ssl/certs/ca-certificates.crt", rootfs / "etc/ssl/certs/ca-certificates.crt")
    local_cas = Path("/usr/local/share/ca-certificates")
    if local_cas.is_dir():
        shutil.copytree(local_cas, rootfs / "usr/local/share/ca-certificates", dirs_exist_ok=True)
    pip_conf, folders = pip_settings()
    (rootfs / "etc/pip.conf").write_text(pip_conf)
    pip_cache = CACHE / "pip"
    pip_cache.mkdir(parents=True, exist_ok=True)
    binds = [f"--bind={pip_cache}:/root/.cache/pip"] + [f"--bind-ro={f}" for f in folders]

    copy_source(rootfs / "root/src")
    copy_source(rootfs / "root/src-broken")
    (rootfs / "root/src-broken/signage/player.py").write_text('raise RuntimeError("a release broken on purpose")\n')
    shutil.copy(HERE / "container_scenario.sh", rootfs / "root/scenario.sh")
    results = rootfs / "root/results"
    results.mkdir()

    nspawn = ["systemd-nspawn", "-q", "--register=no", "--keep-unit", "-D", rootfs, *binds]
    # 1. install, as on a freshly installed mini-PC (console mode), then what was built
    p = run(*nspawn, "/bin/bash", "-c",
            "set -e; /root/src/kiosk/install.sh --mode console --version r1 --controller 'Test kiosk' "
            "--contact kiosk@example.org --notice-url https://example.org/privacy --staff-in-view no; "
            "/opt/signage/current/.venv/bin/python /opt/signage/current/kiosk/sdl-video-drivers.py > /root/results/sdl.txt; "
            "systemd-analyze verify /etc/systemd/system/signage.service /etc/systemd/system/signage-admin.service "
            "> /root/results/verify.txt 2>&1 || echo failed >> /root/results/verify.txt",
            timeout=1800, check=False)
    (results / "install.log").write_text(p.stdout + p.stderr)
    assert p.returncode == 0, (p.stdout + p.stderr)[-4000:]

    # 2. what differs in a container: no tty1 (no console display), no camera, no content uploaded
    dropin = rootfs / "etc/systemd/system/signage.service.d/zz-container.conf"
    dropin.write_text("[Service]\nStandardInput=null\nTTYReset=no\nTTYVHangup=no\n"
                      "Environment=SIGNAGE_DISPLAY__DRIVER=dummy SIGNAGE_CAMERA__ENABLED=false "
                      "SIGNAGE_PLAYER__PLAYLIST=/opt/signage/current/playlists/demo.yaml\n")
    (rootfs / "etc/systemd/system/kiosk-scenario.service").write_text(
        "[Unit]\nAfter=multi-user.target\n[Service]\nType=oneshot\nExecStart=/bin/bash /root/scenario.sh\n"
        "[Install]\nWantedBy=multi-user.target\n")
    wants = rootfs / "etc/systemd/system/multi-user.target.wants"
    (wants / "kiosk-scenario.service").symlink_to("/etc/systemd/system/kiosk-scenario.service")

    # 3. boot; the scenario powers the container off when it is done
    p = run(*nspawn, "--boot", timeout=2400, check=False)
    (results / "boot.log").write_text(p.stdout + p.stderr)
    return results


def text(results: Path, name: str) -> str:
    return (results / name).read_text().strip()


def show(results: Path, name: str) -> dict[str, str]:
    return dict(line.split("=", 1) for line in text(results, name).splitlines())


def test_the_installer_builds_a_release_that_can_draw_on_the_console(kiosk):
    log = text(kiosk, "install.log")
    assert "done: /opt/signage/current -> releases/r1" in log
    assert "kmsdrm" in text(kiosk, "sdl.txt").lower().split()  # pygame built against Debian's SDL
    assert text(kiosk, "verify.txt") == ""  # systemd-analyze verify: not a word to say


def test_the_player_starts_at_boot_as_signage_and_reports_healthy(kiosk):
    assert text(kiosk, "ready.rc") == "0", text(kiosk, "journal.txt")[-4000:]
    s = show(kiosk, "show-boot.txt")
    assert s["ActiveState"] == "active" and s["User"] == "signage" and s["WatchdogUSec"] == "30s"
    assert "camera" in s["StatusText"]  # STATUS= from the player
    assert text(kiosk, "player-user.txt") == "signage"
    env = text(kiosk, "player-env.txt").splitlines()
    assert "SDL_VIDEODRIVER=kmsdrm" in env and "WATCHDOG_USEC=30000000" in env
    groups = text(kiosk, "id-signage.txt")
    assert all(f"({g})" in groups for g in ("video", "render", "input"))
    assert text(kiosk, "status.rc") == "0", text(kiosk, "status.txt")
    doc = json.loads(text(kiosk, "status.json"))
    assert doc["release"] == "/opt/signage/releases/r1" and doc["stale"] is False and doc["frames"] > 0
    assert doc["camera"]["state"] != "on"  # no camera in the container: the schedule plays on
    perms = text(kiosk, "state-perms.txt")
    assert "2770 signage signage /var/lib/signage" in perms
    assert "signage signage /run/signage/status.json" in perms
    assert "signage signage /var/lib/signage/analytics.db" in perms


def test_the_admin_service_runs_beside_it_on_localhost(kiosk):
    assert text(kiosk, "admin-active.txt") == "active", text(kiosk, "journal.txt")[-3000:]
    assert text(kiosk, "admin-http.txt") == "200"


def test_a_frozen_player_is_killed_by_the_watchdog_and_restarted(kiosk):
    assert text(kiosk, "watchdog.rc") == "0"
    assert int(show(kiosk, "show-watchdog.txt")["NRestarts"]) >= 1
    assert "Watchdog timeout" in text(kiosk, "journal.txt")


def test_an_update_to_a_broken_release_rolls_back_by_itself(kiosk):
    assert text(kiosk, "update-broken.rc") == "1", text(kiosk, "update-broken.log")
    assert "rolling back to releases/r1" in text(kiosk, "update-broken.log")
    assert text(kiosk, "current-after-broken.txt") == "releases/r1"
    assert json.loads(text(kiosk, "status-after-broken.json"))["release"] == "/opt/signage/releases/r1"


def test_an_update_to_a_good_release_is_kept(kiosk):
    assert text(kiosk, "update-good.rc") == "0", text(kiosk, "update-good.log")
    assert text(kiosk, "current-after-good.txt") == "releases/r3"
    assert text(kiosk, "previous-after-good.txt") == "releases/r1"
    doc = json.loads(text(kiosk, "status-after-good.json"))
    assert doc["release"] == "/opt/signage/releases/r3" and doc["stale"] is False
    assert text(kiosk, "failed.txt") == ""
