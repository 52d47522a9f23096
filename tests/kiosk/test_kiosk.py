"""Deployment: the systemd units verified by systemd itself, the installer run into a
folder standing for a fresh machine's root, update with automatic rollback, rollback."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
KIOSK = ROOT / "kiosk"
SIGNAGE = Path(sys.executable).with_name("signage")


def sh(*args, check=True, cwd=ROOT, env=None):
    p = subprocess.run([str(a) for a in args], capture_output=True, text=True, cwd=cwd, timeout=300,
                       env=None if env is None else {**os.environ, **env})
    if check:
        assert p.returncode == 0, p.stdout + p.stderr
    return p


@pytest.mark.parametrize("unit", ["signage.service", "signage-admin.service", "signage-user.service"])
def test_units_pass_systemd_analyze_verify(tmp_path, unit):
    """systemd's own checker; ExecStart points at this checkout's signage (it must exist)."""
    text = (KIOSK / unit).read_text().replace("/opt/signage/current/.venv/bin/signage", str(SIGNAGE))
    target = tmp_path / unit
    target.write_text(text)
    args = ["systemd-analyze", "verify"] + (["--user"] if unit == "signage-user.service" else []) + [target]
    runtime = tmp_path / "run"
    runtime.mkdir(mode=0o700)
    p = sh(*args, check=False, env={"XDG_RUNTIME_DIR": str(runtime)})  # a user manager needs one
    assert p.returncode == 0 and "signage" not in p.stderr, p.stderr


def test_the_console_drop_in_verifies_with_the_unit(tmp_path):
    unit = tmp_path / "signage.service"
    unit.write_text((KIOSK / "signage.service").read_text().replace("/opt/signage/current/.venv/bin/signage", str(SIGNAGE)))
    d = tmp_path / "signage.service.d"
    d.mkdir()
    shutil.copy(KIOSK / "console.conf", d / "console.conf")
    p = sh("systemd-analyze", "verify", unit, check=False)
    assert p.returncode == 0, p.stderr
    text = (KIOSK / "console.conf").read_text()
    assert "SDL_VIDEODRIVER=kmsdrm" in text and "Conflicts=getty@tty1.service" in text


def test_the_player_unit_is_watched_and_restarted():
    text = (KIOSK / "signage.service").read_text()
    for line in ("Type=notify", "WatchdogSec=30", "Restart=always", "User=signage", "ProtectSystem=strict",
                 "ReadWritePaths=/var/lib/signage", "SupplementaryGroups=video render input",
                 "Environment=SIGNAGE_CONFIG=/etc/signage/signage.toml"):
        assert line in text, line


def test_the_kiosk_configuration_is_valid_for_signage(tmp_path):
    p = sh(SIGNAGE, "--config", KIOSK / "signage.toml", "config")
    assert '"demo_clip_if_no_camera": false' in p.stdout and "/run/signage/status.json" in p.stdout


# The installer runs systemd-sysusers --root: it creates the root's /etc/shadow and gshadow
# with mode 0000, which only root can open again, so a second install (or an update) into the
# same root needs root. Run as another user, those tests say so and skip.
needs_root = pytest.mark.skipif(
    os.geteuid() != 0, reason="installs twice into one root: systemd-sysusers --root must reopen its gshadow (root only)")


def install(root: Path, *extra):
    return sh(KIOSK / "install.sh", "--root", root, "--no-apt", "--no-venv", *extra)


@needs_root
def test_install_into_a_fresh_root_and_again(tmp_path):
    root = tmp_path / "root"
    install(root, "--version", "v1", "--mode", "console")
    etc = root / "etc"
    assert (etc / "systemd/system/signage.service").read_text() == (KIOSK / "signage.service").read_text()
    assert (etc / "systemd/system/signage.service.d/console.conf").is_file()
    assert (etc / "systemd/system/multi-user.target.wants/signage.service").is_symlink()
    assert (etc / "systemd/system/multi-user.target.wants/signage-admin.service").is_symlink()
    passwd = (etc / "passwd").read_text()
    assert "signage:" in passwd and "/var/lib/signage" in passwd
    assert all(f"{g}:" in (etc / "group").read_text() for g in ("video", "render", "input"))
    opt = root / "opt/signage"
    assert os.readlink(opt / "current") == "releases/v1"
    assert (opt / "releases/v1/signage/app.py").is_file() and not (opt / "releases/v1/.git").exists()
    assert (root / "var/lib/signage/content").is_dir()
    # the operator edits the configuration; a second run (repair) keeps it and changes nothing else
    cfg = etc / "signage/signage.toml"
    cfg.write_text(cfg.read_text() + "\n# edited by the operator\n")
    p = install(root, "--version", "v1", "--mode", "console")
    assert "keeping /etc/signage/signage.toml" in p.stderr and "already installed" in p.stderr
    assert cfg.read_text().endswith("# edited by the operator\n")
    assert os.readlink(opt / "current") == "releases/v1" and not (opt / "previous").exists()


@needs_root
def test_desktop_mode_uses_a_user_unit_started_by_the_session(tmp_path):
    root = tmp_path / "root"
    (root / "usr/bin").mkdir(parents=True)
    (root / "usr/bin/labwc").touch()  # a Raspberry Pi OS desktop, auto-login user pi
    (root / "etc/lightdm").mkdir(parents=True)
    (root / "etc/lightdm/lightdm.conf").write_text("[Seat:*]\nautologin-user=pi\n")
    (root / "etc/xdg/labwc").mkdir(parents=True)
    (root / "etc/xdg/labwc/autostart").write_text("/usr/bin/kanshi &\nswayidle -w timeout 600 'wlopm --off \\*' &\n")
    (root / "home/pi/.config/labwc").mkdir(parents=True)
    (root / "home/pi/.config/labwc/autostart").write_text("swayidle -w timeout 300 'wlopm --off \\*' &\n")
    (root / "etc/passwd").write_text("root:x:0:0:root:/root:/bin/bash\npi:x:1000:1000:,,,:/home/pi:/bin/bash\n")
    (root / "etc/group").write_text("root:x:0:\nvideo:x:44:pi\npi:x:1000:\n")
    for _ in range(2):  # a second run changes nothing
        p = install(root, "--version", "v1")
    assert "mode desktop (session of pi)" in p.stderr
    assert (root / "etc/systemd/user/signage.service").read_text() == (KIOSK / "signage-user.service").read_text()
    assert (root / "etc/systemd/user/graphical-session.target.wants/signage.service").is_symlink()
    assert not (root / "etc/systemd/system/signage.service").exists()
    # Raspberry Pi OS's labwc never starts graphical-session.target: the session's autostart does
    assert "Exec=/opt/signage/current/kiosk/session-start.sh" in (root / "etc/xdg/autostart/signage.desktop").read_text()
    labwc = (root / "etc/xdg/labwc/autostart").read_text()
    assert labwc.count("/opt/signage/current/kiosk/session-start.sh &") == 1
    assert "# signage kiosk: no blanking: swayidle" in labwc
    assert (root / "home/pi/.config/labwc/autostart").read_text().startswith("# signage kiosk: no blanking: swayidle")
    groups = {line.split(":")[0]: line.split(":")[3].split(",") for line in (root / "etc/group").read_text().splitlines()}
    assert all(groups[g].count("pi") == 1 for g in ("signage", "video", "render", "input")), groups
    assert (root / "etc/signage/kiosk.env").read_text().endswith("MODE=desktop\nSESSION_USER=pi\n")
    assert (root / "etc/tmpfiles.d/signage.conf").read_text().count("d /run/signage 2775 signage signage") == 1


def test_the_session_start_script_hands_the_display_over_and_starts_the_unit(tmp_path):
    bin_ = tmp_path / "bin"
    bin_.mkdir()
    calls = tmp_path / "calls"
    for tool in ("systemctl", "xset"):
        (bin_ / tool).write_text(f'#!/bin/sh\necho "{tool} $*" >> {calls}\n')
        (bin_ / tool).chmod(0o755)
    env = {"PATH": f"{bin_}:/usr/bin:/bin", "DISPLAY": ":0", "XDG_CURRENT_DESKTOP": "LXDE"}
    subprocess.run([KIOSK / "session-start.sh"], env=env, check=True, timeout=30)
    assert calls.read_text().splitlines() == ["systemctl --user import-environment DISPLAY XDG_CURRENT_DESKTOP",
                                              "xset s off -dpms s noblank", "systemctl --user start signage.service"]
    calls.unlink()
    subprocess.run([KIOSK / "session-start.sh"], env={**env, "WAYLAND_DISPLAY": "wayland-0"}, check=True, timeout=30)
    assert "xset" not in calls.read_text()  # Wayland: no X11 screen saver to turn off


def test_prefix_and_destdir_are_the_root(tmp_path):
    sh(KIOSK / "install.sh", "--prefix", tmp_path / "a", "--no-apt", "--no-venv", "--version", "v1", "--mode", "console")
    assert os.readlink(tmp_path / "a/opt/signage/current") == "releases/v1"
    sh(KIOSK / "install.sh", "--no-apt", "--no-venv", "--version", "v1", "--mode", "console",
       env={"DESTDIR": str(tmp_path / "b")})
    assert (tmp_path / "b/etc/systemd/system/signage.service").is_file()
    assert (tmp_path / "b/etc/signage/kiosk.env").read_text().endswith("MODE=console\nSESSION_USER=\n")


@needs_root
def test_console_blanking_off_on_a_raspberry_pi(tmp_path):
    root = tmp_path / "root"
    (root / "boot/firmware").mkdir(parents=True)
    (root / "boot/firmware/cmdline.txt").write_text("console=tty1 root=PARTUUID=1234-02 rootwait\n")
    install(root, "--version", "v1", "--mode", "console")
    install(root, "--version", "v1", "--mode", "console")
    assert (root / "boot/firmware/cmdline.txt").read_text() == "console=tty1 root=PARTUUID=1234-02 rootwait consoleblank=0\n"


def test_dry_run_changes_nothing(tmp_path):
    root = tmp_path / "root"
    p = sh(KIOSK / "install.sh", "--root", root, "--dry-run", "--no-apt", "--no-venv", "--version", "v1")
    assert "would run: install -D -m 0644" in p.stdout and "would run: systemctl" in p.stdout
    assert not root.exists()


def update(root: Path, version: str, health: str):
    return sh(KIOSK / "update.sh", "--root", root, "--no-restart", "--no-venv", "--version", version,
              "--timeout", "2", "--health-cmd", health, check=False)


def test_an_update_that_cannot_be_installed_changes_nothing(tmp_path):
    root = tmp_path / "root"
    install(root, "--version", "v1")
    src = tmp_path / "src"
    shutil.copytree(KIOSK, src / "kiosk")
    (src / "kiosk/sysusers-signage.conf").unlink()  # the install fails before the switch
    p = sh(src / "kiosk/update.sh", "--root", root, "--no-restart", "--no-venv", "--version", "v2",
           "--health-cmd", "true", check=False)
    assert p.returncode == 1 and "could not be installed; still on releases/v1" in p.stderr
    assert os.readlink(root / "opt/signage/current") == "releases/v1"


@needs_root
def test_update_keeps_a_healthy_release_and_rolls_back_an_unhealthy_one(tmp_path):
    root = tmp_path / "root"
    install(root, "--version", "v1")
    opt = root / "opt/signage"
    p = update(root, "v2", "true")
    assert p.returncode == 0, p.stderr
    assert os.readlink(opt / "current") == "releases/v2" and os.readlink(opt / "previous") == "releases/v1"
    p = update(root, "v3", "false")  # the new player never reports healthy
    assert p.returncode == 1 and "rolling back to releases/v2" in p.stderr
    assert os.readlink(opt / "current") == "releases/v2"
    assert (opt / "releases/v3").is_dir()  # kept for inspection


@needs_root
def test_rollback_swaps_current_and_previous(tmp_path):
    root = tmp_path / "root"
    install(root, "--version", "v1")
    install(root, "--version", "v2")
    opt = root / "opt/signage"
    sh(KIOSK / "rollback.sh", "--root", root, "--no-restart")
    assert os.readlink(opt / "current") == "releases/v1" and os.readlink(opt / "previous") == "releases/v2"
    sh(KIOSK / "rollback.sh", "--root", root, "--no-restart")
    assert os.readlink(opt / "current") == "releases/v2"
    p = sh(KIOSK / "rollback.sh", "--root", tmp_path / "empty", "--no-restart", check=False)
    assert p.returncode == 1 and "no previous release" in p.stderr


def test_an_interrupted_install_is_built_again(tmp_path):
    root = tmp_path / "root"
    half = root / "opt/signage/releases/v1"
    half.mkdir(parents=True)
    (half / "half-copied.txt").write_text("an install killed half way")
    install(root, "--version", "v1")
    assert not (half / "half-copied.txt").exists() and (half / ".signage-release-complete").is_file()
    assert (half / "signage/player.py").is_file()
