"""Deployment: the systemd units verified by systemd itself, the installer run into a
folder standing for a fresh machine's root, update with automatic rollback, rollback."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

ROOT = Path(__file__).resolve().parents[2]
KIOSK = ROOT / "kiosk"
SIGNAGE = Path(sys.executable).with_name("signage")


def sh(*args, check=True, cwd=ROOT, env=None):
    p = subprocess.run([str(a) for a in args], capture_output=True, text=True, cwd=cwd, timeout=300,
                       env=None if env is None else {**os.environ, **env})
    if check:
        assert p.returncode == 0, p.stdout + p.stderr
    return p


@pytest.mark.parametrize("unit", ["signage.service", "signage-admin.service", "signage-user.service",
                                  "signage-collector.service"])
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
    assert '"demo_fallback": false' in p.stdout and '"controller": "<who runs this screen>"' in p.stdout


def test_the_player_refuses_the_kiosk_configuration_s_placeholders(tmp_path):
    """Never someone else's (or nobody's) name on the notice: exit 2, said once (the unit does not
    restart on 2), before anything opens."""
    env = {"SIGNAGE_ANALYTICS__DB_PATH": str(tmp_path / "a.db"), "SIGNAGE_HEALTH__STATUS_FILE": str(tmp_path / "s.json")}
    p = sh(SIGNAGE, "--config", KIOSK / "signage.toml", "run", "--headless", "--duration", "30", check=False, env=env)
    assert p.returncode == 2 and "Traceback" not in p.stderr
    assert "notice.controller is still the placeholder '<who runs this screen>'" in p.stderr
    assert "notice.url is still the placeholder" in p.stderr and not (tmp_path / "a.db").exists()
    for unit in ("signage.service", "signage-user.service"):
        assert "RestartPreventExitStatus=2" in (KIOSK / unit).read_text()


def test_the_installer_s_sample_values_are_the_player_s_defaults():
    """kiosk/notice.py runs before the release's Python exists: its copy of the samples must agree."""
    from signage.notice_check import SAMPLES
    assert _notice_module().SAMPLES == SAMPLES


# The installer runs systemd-sysusers --root: it creates the root's /etc/shadow and gshadow
# with mode 0000, which only root can open again, so a second install (or an update) into the
# same root needs root. Run as another user, those tests say so and skip.
needs_root = pytest.mark.skipif(
    os.geteuid() != 0, reason="installs twice into one root: systemd-sysusers --root must reopen its gshadow (root only)")


NOTICE = ("--controller", "Boulangerie Martin", "--contact", "dpo@martin.example",
          "--notice-url", "https://martin.example/vie-privee")


def install(root: Path, *extra):
    return sh(KIOSK / "install.sh", "--root", root, "--no-apt", "--no-venv", *NOTICE, *extra)


def test_the_installer_refuses_to_install_without_the_site_s_notice(tmp_path):
    root = tmp_path / "root"
    p = sh(KIOSK / "install.sh", "--root", root, "--no-apt", "--no-venv", "--version", "v1", check=False)
    assert p.returncode == 2 and not root.exists()  # stopped before anything was installed
    assert "notice.controller: still the placeholder '<who runs this screen>'" in p.stderr
    assert "--controller NAME --contact EMAIL --notice-url URL" in p.stderr
    # unattended: from the environment (and an option), written into the installed configuration
    sh(KIOSK / "install.sh", "--root", root, "--no-apt", "--no-venv", "--version", "v1", "--notice-url", NOTICE[5],
       env={"SIGNAGE_NOTICE__CONTROLLER": "Musée \"Grévin\"", "SIGNAGE_NOTICE__CONTACT": NOTICE[3]})
    cfg = root / "etc/signage/signage.toml"
    notice = json.loads(sh(SIGNAGE, "--config", cfg, "config").stdout)["notice"]
    assert (notice["controller"], notice["contact"], notice["url"]) == ('Musée "Grévin"', NOTICE[3], NOTICE[5])
    assert "# Who runs this screen" in cfg.read_text()  # the rest of the file is kept, comments too


def test_the_installer_refuses_the_demo_cafe_in_a_kept_configuration(tmp_path):
    """A kiosk installed before the notice was checked: its update stops until the operator sets it."""
    root = tmp_path / "root"
    cfg = root / "etc/signage/signage.toml"
    cfg.parent.mkdir(parents=True)
    cfg.write_text((KIOSK / "signage.toml").read_text().replace("<who runs this screen>", "Café Lumière"))
    p = sh(KIOSK / "install.sh", "--root", root, "--no-apt", "--no-venv", "--version", "v1", check=False)
    assert p.returncode == 2 and "notice.controller: still the demo café's sample 'Café Lumière'" in p.stderr
    assert not (root / "opt").exists()
    p = sh(KIOSK / "install.sh", "--root", root, "--no-apt", "--no-venv", "--version", "v1", "--controller",
           "<nobody>", "--contact", "x@y.z", "--notice-url", "https://y.z/p", check=False)
    assert p.returncode == 2 and "placeholder '<nobody>'" in p.stderr


def test_the_installer_asks_for_the_notice_at_a_terminal(tmp_path):
    import pty
    root = tmp_path / "root"
    pid, fd = pty.fork()
    if pid == 0:  # the child: install.sh with a terminal as its input, as an operator runs it
        os.execv("/bin/bash", ["bash", str(KIOSK / "install.sh"), "--root", str(root), "--no-apt", "--no-venv",
                               "--version", "v1", "--mode", "console"])
    answers = {b"data controller): ": b"Boulangerie Martin\n", b"(e-mail or phone): ": b"dpo@martin.example\n",
               b"(https://...): ": b"https://martin.example/p\n", b"yes/no: ": b"yes\n"}
    seen = b""
    while True:
        try:
            chunk = os.read(fd, 4096)
        except OSError:
            break
        if not chunk:
            break
        seen += chunk
        for prompt, answer in list(answers.items()):
            if seen.endswith(prompt) or seen.rstrip(b" ").endswith(prompt.rstrip(b" ")):
                os.write(fd, answer)
                del answers[prompt]
    _, code = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(code) == 0, seen.decode(errors="replace")[-3000:]
    assert answers == {}
    effective = json.loads(sh(SIGNAGE, "--config", root / "etc/signage/signage.toml", "config").stdout)
    notice = effective["notice"]
    assert (notice["controller"], notice["contact"], notice["url"]) == ("Boulangerie Martin", "dpo@martin.example",
                                                                       "https://martin.example/p")
    assert effective["sensing"]["expressions"] == "off"  # staff in view, answered at the terminal


@needs_root
def test_staff_in_view_turns_expressions_off(tmp_path):
    """--staff-in-view yes sets sensing.expressions = "off" in the installed configuration (no:
    "on"; SIGNAGE_STAFF_IN_VIEW the same), keeping every other line; a wrong value stops the install."""
    root = tmp_path / "root"
    cfg = root / "etc/signage/signage.toml"

    def expressions():
        return json.loads(sh(SIGNAGE, "--config", cfg, "config").stdout)["sensing"]["expressions"]

    p = install(root, "--version", "v1", "--mode", "console")
    assert expressions() == "on" and "staff in the camera's view: not said" in p.stderr
    p = install(root, "--version", "v1", "--mode", "console", "--staff-in-view", "yes")
    assert expressions() == "off" and 'staff in view: sensing.expressions = "off"' in p.stderr
    assert "# Who runs this screen" in cfg.read_text() and cfg.read_text().count("[sensing]") == 1
    sh(KIOSK / "install.sh", "--root", root, "--no-apt", "--no-venv", "--version", "v1", "--mode", "console",
       *NOTICE, env={"SIGNAGE_STAFF_IN_VIEW": "no"})
    assert expressions() == "on" and cfg.read_text().count("expressions =") == 1
    p = install(root, "--version", "v1", "--mode", "console")  # the configuration says: not asked again
    assert "not said" not in p.stderr and expressions() == "on"
    # a [sensing] table of the operator's own: the key goes in it, the rest stays
    text = cfg.read_text()
    cfg.write_text(text[:text.index("[sensing]")] + '[sensing]\nzones = []\n\n[sensing.audience]\nwindow_s = 20.0\n')
    install(root, "--version", "v1", "--mode", "console", "--staff-in-view", "yes")
    effective = json.loads(sh(SIGNAGE, "--config", cfg, "config").stdout)["sensing"]
    assert (effective["expressions"], effective["audience"]["window_s"]) == ("off", 20.0)
    assert cfg.read_text().index("expressions =") < cfg.read_text().index("[sensing.audience]")
    p = sh(KIOSK / "install.sh", "--root", root, "--no-apt", "--no-venv", "--staff-in-view", "maybe", check=False)
    assert p.returncode == 2 and "--staff-in-view (SIGNAGE_STAFF_IN_VIEW) is yes or no, not 'maybe'" in p.stderr


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
    sh(KIOSK / "install.sh", "--prefix", tmp_path / "a", "--no-apt", "--no-venv", "--version", "v1", "--mode", "console",
       *NOTICE)
    assert os.readlink(tmp_path / "a/opt/signage/current") == "releases/v1"
    sh(KIOSK / "install.sh", "--no-apt", "--no-venv", "--version", "v1", "--mode", "console", *NOTICE,
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
    assert "would stop here: the privacy notice is not set for this site" in p.stderr
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


def status_of(release: Path, **parts) -> dict:
    """A status document as the player of ``release`` writes it (the real snapshot and judgement)."""
    import datetime as dt

    from signage.health import snapshot
    from signage.healthcheck import problems
    from signage.player import PlayerState
    from signage.values import SensingStatus

    now = dt.datetime.now(dt.timezone.utc)
    st = PlayerState(started_at=now - dt.timedelta(seconds=60), creative="welcome", playlist="shop")
    st.sensing = SensingStatus(camera="on", source="0")
    doc = {**snapshot(st, now), "release": str(release), "pid": 4242,
           "display": {"driver": "kmsdrm", "size": "1920x1080", "mode": "fullscreen", "configured": "auto fullscreen",
                       "as_configured": True, "error": None}, **parts}
    doc["problems"] = problems(doc, analytics_grace_s=5, camera_grace_s=120)
    return doc


@needs_root
def test_update_rolls_back_a_release_whose_player_reports_unhealthy(tmp_path):
    """The real check (no --health-cmd): `signage status` of the new release, its reasons."""
    from signage.health import write_atomically

    root = tmp_path / "root"
    install(root, "--version", "v1")
    opt = root / "opt/signage"
    status = tmp_path / "status.json"
    env = {"SIGNAGE_HEALTH__STATUS_FILE": str(status), "SIGNAGE_HEALTH__STALE_AFTER_S": "3600"}

    def update_to(version):
        return sh(KIOSK / "update.sh", "--root", root, "--no-restart", "--no-venv", "--version", version,
                  "--timeout", "2", "--signage", str(SIGNAGE), check=False, env=env)

    headless = {"driver": "dummy", "size": "1920x1080", "mode": "headless", "configured": "kmsdrm fullscreen",
                "as_configured": False, "error": "kmsdrm: kmsdrm not available"}
    write_atomically(status, status_of(opt / "releases/v2", display=headless))
    p = update_to("v2")
    assert p.returncode == 1 and "rolling back to releases/v1" in p.stderr
    assert "unhealthy: display: configured kmsdrm fullscreen, but running headless" in p.stderr
    assert os.readlink(opt / "current") == "releases/v1"
    write_atomically(status, status_of(opt / "releases/v3", analytics={
        "state": "retrying", "db": "/var/lib/signage/analytics.db", "queue": 9, "plays_written": 0,
        "not_written": 0, "retries": 12, "failing_s": 50.0, "last_error": "attempt to write a readonly database"}))
    p = update_to("v3")
    assert p.returncode == 1 and "unhealthy: analytics: cannot write proof of play" in p.stderr
    assert os.readlink(opt / "current") == "releases/v1"
    write_atomically(status, status_of(opt / "releases/v4"))
    p = update_to("v4")
    assert p.returncode == 0 and "healthy on releases/v4" in p.stderr, p.stderr
    doc = status_of(opt / "releases/v5")
    doc["uptime_s"] = 3.0  # healthy for now, but not up long enough for a database problem to show
    write_atomically(status, doc)
    p = update_to("v5")
    assert p.returncode == 1 and "up 3 s, waiting for 10 s" in p.stderr
    assert os.readlink(opt / "current") == "releases/v4"


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


def _notice_module():
    sys.path.insert(0, str(KIOSK))
    try:
        import notice
    finally:
        sys.path.remove(str(KIOSK))
    return notice


@settings(max_examples=300, deadline=None)
@given(controller=st.text(min_size=1, max_size=90), contact=st.text(min_size=1, max_size=90))
def test_the_installer_writes_any_accepted_notice_value_back_exactly(controller, contact):
    """What an operator types is written as TOML that reads back the same, or refused with a reason."""
    import tomllib

    notice = _notice_module()
    template = (KIOSK / "signage.toml").read_text()
    values = {"controller": controller, "contact": contact}
    bad = {f: notice.problem(f, v) for f, v in values.items()}
    if any(bad.values()):
        assert all(why is None or isinstance(why, str) for why in bad.values())
        return
    text = notice.set_values(template, values)
    got = tomllib.loads(text)["notice"]
    assert (got["controller"], got["contact"]) == (controller.strip(), contact.strip())
    assert got["url"] == "<address of the full privacy notice>" and tomllib.loads(text)["player"] == \
        tomllib.loads(template)["player"]


def test_the_central_installer_refuses_wrong_options_before_doing_anything(tmp_path):
    """kiosk/install-central.sh: every wrong option is exit 2 with the reason, nothing done."""
    central = KIOSK / "install-central.sh"
    for args, says in ((("--screens", "Shop 1"), "'Shop' is not a fleet id"),
                       (("--screens", "kiosk-1,collector"), "'collector' is a service user"),
                       (("--add-screen", "central"), "'central' is a service user"),
                       (("--tls-cert", str(tmp_path)), "--tls-cert and --tls-key go together"),
                       (("--content-url", "ftp://x"), "--content-url is an http:// or https:// address"),
                       (("--add-screen", "k1", "--broker", "fleet.example"), "--broker is HOST:PORT"),
                       (("--bogus",), "unknown option --bogus")):
        p = sh(central, "--dry-run", *args, check=False)
        assert p.returncode == 2 and says in p.stderr and "would run" not in p.stdout, (args, p.stdout, p.stderr)


def test_the_central_installer_dry_run_and_a_kiosks_block(tmp_path):
    central = KIOSK / "install-central.sh"
    p = sh(central, "--dry-run", "--no-apt", "--screens", "kiosk-1,kiosk-2", "--version", "c1")
    for action in ("broker user collector", "broker user central", "broker user kiosk-1", "broker user kiosk-2",
                   "createuser signage", "signage-collector.service", "systemctl enable mosquitto postgresql "
                   "signage-collector signage-admin"):
        assert action in p.stdout, action
    assert not Path("/opt/signage/releases/c1").exists()  # a dry run changes nothing
    # a kiosk across the internet: TLS, the CA file it must trust; on this machine: plain loopback
    p = sh(central, "--dry-run", "--add-screen", "shop-12-till", "--site", "shop-12", "--broker", "fleet.example:8883")
    block = p.stdout[p.stdout.index("[fleet]"):]
    toml = tmp_path / "kiosk.toml"
    toml.write_text(block.replace("/etc/signage/fleet.password", str(tmp_path / "pw")).replace(
        "/etc/signage/fleet-ca.pem", str(tmp_path / "ca.pem")))
    (tmp_path / "pw").write_text("secret\n")
    (tmp_path / "ca.pem").write_text("not read by the configuration check\n")
    from signage.config import load_settings

    s = load_settings(toml)  # the block is a valid configuration as printed
    assert (s.fleet.enabled, s.fleet.broker_host, s.fleet.broker_port, s.fleet.tls.mode, s.fleet.site,
            s.fleet.screen, s.screen.id) == (True, "fleet.example", 8883, "tls", "shop-12", "shop-12-till", "shop-12-till")
    p = sh(central, "--dry-run", "--add-screen", "kiosk-9", "--site", "shop-1")
    s2 = tmp_path / "local.toml"
    s2.write_text(p.stdout[p.stdout.index("[fleet]"):])
    assert load_settings(s2).fleet.tls.mode == "plain"  # 127.0.0.1:1883, on this machine
