"""scripts/bootstrap on systems it can and cannot serve, without installing anything: a copy
of the script in a folder standing for the checkout, /etc/os-release and friends from a
folder standing for / (SIGNAGE_SYSROOT), and stand-ins on PATH for dpkg, ldconfig, id, sudo,
apt-get and python3 that note how they were called."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
TOOLS = ["bash", "cat", "cut", "dirname", "grep", "mkdir", "rm", "sha256sum", "tr", "uname", "cp", "env", "mktemp"]
ALL_LIBS = ["libGL.so.1", "libEGL.so.1", "libGLESv2.so.2", "libgthread-2.0.so.0", "libxcb.so.1"]

OS_RELEASE = {
    "debian12": 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nID=debian\nVERSION_ID="12"\nVERSION_CODENAME=bookworm\n',
    "debian13": 'PRETTY_NAME="Debian GNU/Linux 13 (trixie)"\nID=debian\nVERSION_ID="13"\nVERSION_CODENAME=trixie\n',
    "ubuntu2404": 'PRETTY_NAME="Ubuntu 24.04.3 LTS"\nID=ubuntu\nID_LIKE=debian\nVERSION_ID="24.04"\n',
    "ubuntu2204": 'PRETTY_NAME="Ubuntu 22.04.5 LTS"\nID=ubuntu\nID_LIKE=debian\nVERSION_ID="22.04"\n',
    "fedora": 'NAME="Fedora Linux"\nVERSION_ID=40\nID=fedora\nPRETTY_NAME="Fedora Linux 40 (Workstation Edition)"\n',
    "raspbian": 'PRETTY_NAME="Raspbian GNU/Linux 12 (bookworm)"\nID=raspbian\nID_LIKE=debian\nVERSION_ID="12"\nVERSION_CODENAME=bookworm\n',
}


class Box:
    """A checkout copy, a system root and a PATH of stand-ins."""

    def __init__(self, tmp: Path):
        self.tmp = tmp
        self.src = tmp / "src"
        for rel in ("scripts/bootstrap", "kiosk/lib.sh", "requirements/player.lock", "requirements/test.lock",
                    "pyproject.toml"):
            (self.src / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / rel, self.src / rel)
        self.sysroot = tmp / "sysroot"
        (self.sysroot / "etc").mkdir(parents=True)
        self.bin = tmp / "bin"
        self.bin.mkdir()
        self.log = tmp / "calls.log"
        self.log.touch()
        for t in TOOLS:
            os.symlink(shutil.which(t), self.bin / t)
        self.os("debian12")
        self.arch("amd64")
        self.libs(ALL_LIBS)
        self.user(1000, "alice", "alice sudo")
        self.sudo("ok")
        self.stub("apt-get", 'echo "apt-get $*" >> "$LOG"')
        self.python("3.11.2")

    def stub(self, name: str, body: str) -> None:
        p = self.bin / name
        p.write_text(f"#!/bin/bash\n{body}\n")
        p.chmod(0o755)

    def os(self, name: str, pi: bool = False) -> None:
        (self.sysroot / "etc/os-release").write_text(OS_RELEASE[name])
        if pi:
            (self.sysroot / "etc/rpi-issue").write_text("Raspberry Pi reference 2025-05-13\n")

    def arch(self, arch: str) -> None:
        self.stub("dpkg", f'[ "$1" = --print-architecture ] && echo {arch}')

    def libs(self, libs: list[str]) -> None:
        # a long list, as on a real system (a reader that stops early would break the pipe)
        filler = "".join(f"\tlibfiller{i}.so.0 (libc6,x86-64) => /lib/libfiller{i}.so.0\n" for i in range(3000))
        listing = filler + "".join(f"\t{lib} (libc6,x86-64) => /lib/x86_64-linux-gnu/{lib}\n" for lib in libs)
        (self.tmp / "ldconfig.txt").write_text(f"{len(libs) + 3000} libs found in cache `/etc/ld.so.cache'\n{listing}")
        self.stub("ldconfig", f'echo "ldconfig $*" >> "$LOG"; cat {self.tmp}/ldconfig.txt')

    def user(self, uid: int, name: str, groups: str) -> None:
        self.stub("id", f'case "$1" in -u) echo {uid};; -un) echo {name};; -nG) echo {groups};; *) echo "uid={uid}";; esac')

    def sudo(self, how: str) -> None:
        if how == "none":
            (self.bin / "sudo").unlink(missing_ok=True)
        elif how == "ok":
            self.stub("sudo", 'echo "sudo $*" >> "$LOG"; [ "$1" = -n ] && shift; "$@"')
        else:  # a password would be needed, or the user is not in sudoers: sudo -n cannot tell
            self.stub("sudo", 'echo "sudo $*" >> "$LOG"; echo "sudo: a password is required" >&2; exit 1')

    def python(self, version: str | None, name: str = "python3", venv: bool = True) -> None:
        """A python3 that reports `version`, has venv (or not: python3-venv missing), makes a
        .venv whose python notes pip's calls, and otherwise is this Python."""
        if version is None:
            (self.bin / name).unlink(missing_ok=True)
            return
        self.stub(name, f'''
if [ "$1" = -c ] && [[ "$2" == *version_info* ]]; then echo {version}; exit 0; fi
if [ "$1" = -c ] && [[ "$2" == *ensurepip* ]]; then exit {0 if venv else 1}; fi
if [ "$1" = -m ] && [ "$2" = venv ]; then d="${{@: -1}}"; mkdir -p "$d/bin"; cp "$0" "$d/bin/python"; echo "venv $d" >> "$LOG"; exit 0; fi
if [ "$1" = -m ] && [ "$2" = pip ]; then echo "pip ${{*:3}}" >> "$LOG"; exit 0; fi
exec {sys.executable} "$@"''')

    def run(self, *args: str, **env: str) -> subprocess.CompletedProcess:
        self.log.write_text("")
        e = {"PATH": str(self.bin), "HOME": str(self.tmp), "LOG": str(self.log), "SIGNAGE_SYSROOT": str(self.sysroot),
             **env}
        return subprocess.run([str(self.bin / "bash"), str(self.src / "scripts/bootstrap"), *args], env=e,
                              capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)

    def calls(self, prefix: str = "") -> list[str]:
        return [line for line in self.log.read_text().splitlines() if line.startswith(prefix)]


@pytest.fixture
def box(tmp_path) -> Box:
    return Box(tmp_path)


def one_message(p: subprocess.CompletedProcess) -> str:
    assert p.returncode == 1, p.stderr
    assert "Traceback" not in p.stderr and p.stdout == ""
    lines = p.stderr.strip().splitlines()
    assert len(lines) == 1, p.stderr
    return lines[0]


@pytest.mark.parametrize("name, pi", [("debian12", False), ("debian13", False), ("ubuntu2404", False),
                                      ("debian12", True), ("debian13", True)])
def test_supported_systems_set_up_and_a_second_run_does_nothing(box, name, pi):
    box.os(name, pi=pi)
    box.arch("arm64" if pi else "amd64")
    p = box.run()
    assert p.returncode == 0, p.stderr
    expected = {"debian12": "Debian 12", "debian13": "Debian 13", "ubuntu2404": "Ubuntu 24.04"}[name]
    if pi:
        expected = "Raspberry Pi OS " + ("Bookworm" if name == "debian12" else "Trixie")
    assert f"on {expected} (" in p.stderr
    pips = box.calls("pip")
    assert any("--require-hashes --no-deps --only-binary :all: -r requirements/player.lock" in c for c in pips), pips
    assert any("--no-deps --no-build-isolation --no-index -e ." in c for c in pips), pips
    assert box.calls("ldconfig") == ["ldconfig -p"]  # read once
    assert not box.calls("sudo") and not box.calls("apt-get")
    again = box.run()
    assert again.returncode == 0 and again.stderr == "", again.stderr
    assert box.calls("pip") == [] and box.calls("sudo") == [] and box.calls("apt-get") == [] and box.calls("venv") == []


def test_the_browser_option_adds_the_test_lock_once(box):
    for cmd in ("Xvfb", "chromium", "chromedriver", "pdftoppm", "strace"):
        box.stub(cmd, "true")
    assert box.run().returncode == 0
    p = box.run("--browser")
    assert p.returncode == 0, p.stderr
    assert [c for c in box.calls("pip") if "requirements/" in c] == [
        "pip install -q --disable-pip-version-check --no-input --no-compile --progress-bar off "
        "--require-hashes --no-deps --only-binary :all: -r requirements/test.lock"]
    assert box.run("--browser").stderr == "" and box.calls("pip") == []
    assert box.run().stderr == "" and box.calls("pip") == []  # ./run after ./test: nothing to do


def test_the_browser_tools_come_from_apt(box):
    p = box.run("--browser")
    assert p.returncode == 0, p.stderr
    assert "sudo env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 install -y -qq --no-install-recommends xvfb chromium " \
           "chromium-driver poppler-utils strace" in box.calls("sudo")


def test_a_changed_lock_makes_the_venv_anew(box):
    assert box.run().returncode == 0
    lock = box.src / "requirements/player.lock"
    lock.write_text(lock.read_text() + "\n")
    p = box.run()
    assert "making .venv anew: the lock files changed" in p.stderr
    assert box.calls("venv") and any("player.lock" in c for c in box.calls("pip"))


def test_a_changed_pyproject_reinstalls_only_the_project(box):
    assert box.run().returncode == 0
    pyproject = box.src / "pyproject.toml"
    pyproject.write_text(pyproject.read_text() + "\n")
    p = box.run()
    assert p.returncode == 0, p.stderr
    assert box.calls("venv") == []
    assert [c.split(" -q ")[0] for c in box.calls("pip")] == ["pip install"]
    assert "--no-deps --no-build-isolation --no-index -e ." in box.calls("pip")[0]


def test_a_venv_of_another_python_is_made_anew(box):
    assert box.run().returncode == 0
    box.python("3.13.5")
    p = box.run()
    assert "making .venv anew: it was made with Python 3.11.2, now Python 3.13.5" in p.stderr


def test_missing_libraries_are_installed_with_apt_through_sudo_keeping_debconf_quiet(box):
    box.libs(["libGL.so.1", "libxcb.so.1"])
    p = box.run()
    assert p.returncode == 0, p.stderr
    sudo = box.calls("sudo")
    assert sudo[0] == "sudo -n true"
    assert "sudo env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 update -qq" in sudo
    assert "sudo env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 install -y -qq --no-install-recommends " \
           "libegl1 libgles2 libglib2.0-0" in sudo


def test_as_root_apt_runs_without_sudo(box):
    box.user(0, "root", "root")
    box.sudo("none")
    box.libs([])
    p = box.run()
    assert p.returncode == 0, p.stderr
    assert box.calls("sudo") == []
    assert "apt-get -o DPkg::Lock::Timeout=300 install -y -qq --no-install-recommends libgl1 libegl1 libgles2 libglib2.0-0 libxcb1" in box.calls("apt-get")


def test_no_sudo_says_what_to_run_as_root(box):
    box.sudo("none")
    box.libs([])
    msg = one_message(box.run())
    assert "sudo is not installed: as root, run: apt-get update && apt-get install -y --no-install-recommends " \
           "libgl1 libegl1 libgles2 libglib2.0-0 libxcb1; then run this again as alice" in msg
    assert box.calls("apt-get") == []


def test_a_user_sudo_refuses_is_told_what_to_run_as_root(box):
    box.user(1001, "visitor", "visitor")
    box.sudo("refuses")
    box.libs([])
    box.python("3.11.2", venv=False)
    msg = one_message(box.run())
    assert "visitor is not in the sudo group" in msg
    # all that is missing, in one command
    assert "As root, run: apt-get update && apt-get install -y --no-install-recommends python3-venv libgl1 " \
           "libegl1 libgles2 libglib2.0-0 libxcb1; then run this again" in msg
    assert box.calls("apt-get") == [] and box.calls("sudo") == ["sudo -n true"]


def test_unsupported_system_names_what_it_found_and_the_override(box):
    box.os("fedora")
    msg = one_message(box.run())
    assert "unsupported system: Fedora Linux 40 (Workstation Edition) (ID=fedora VERSION_ID=40)" in msg
    assert "SIGNAGE_ANY_OS=1 ./run" in msg
    assert box.calls() == []  # decided before anything else ran


def test_an_older_ubuntu_is_not_supported(box):
    box.os("ubuntu2204")
    assert "unsupported system: Ubuntu 22.04.5 LTS" in one_message(box.run())


def test_the_override_goes_on_but_never_runs_apt(box):
    box.os("fedora")
    assert box.run(SIGNAGE_ANY_OS="1").returncode == 0
    box.libs([])
    shutil.rmtree(box.src / ".venv")
    msg = one_message(box.run(SIGNAGE_ANY_OS="1"))
    assert msg.startswith("bootstrap: missing: libgl1 libegl1 libgles2 libglib2.0-0 libxcb1 (Debian's package names)")
    assert box.calls("apt-get") == [] and box.calls("sudo") == []


@pytest.mark.parametrize("os_name, pi", [("raspbian", True), ("debian12", True), ("raspbian", False)])
def test_32_bit_raspberry_pi_os_is_told_64_bit_is_required(box, os_name, pi):
    box.os(os_name, pi=pi)
    box.arch("armhf")
    msg = one_message(box.run(SIGNAGE_ANY_OS="1"))  # no wheels: the override cannot help
    assert "64-bit Raspberry Pi OS is required" in msg and "armhf" in msg
    assert box.calls("apt-get") == [] and box.calls("sudo") == []


def test_another_32_bit_machine(box):
    box.arch("i386")
    assert "needs a 64-bit x86_64 or aarch64 system: this is Debian GNU/Linux 12 (bookworm)" in one_message(box.run())


def test_a_python_out_of_range_is_named_and_apt_is_not_tried(box):
    box.python("3.10.12")
    msg = one_message(box.run())
    assert f"found Python 3.10.12 ({box.bin}/python3); signage needs Python 3.11, 3.12 or 3.13" in msg
    assert box.calls("apt-get") == []


def test_python3_out_of_range_but_python3_12_in_range(box):
    box.python("3.14.0")
    box.python("3.12.3", name="python3.12")
    p = box.run()
    assert p.returncode == 0, p.stderr
    assert f"creating .venv with Python 3.12.3 ({box.bin}/python3.12)" in p.stderr
    assert "python3.12-venv" not in p.stderr  # venv importable


def test_no_python_at_all_installs_the_system_s_then_says_what_it_found(box):
    box.python(None)
    msg = box.run().stderr.strip().splitlines()[-1]
    assert "sudo env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 install -y -qq --no-install-recommends python3 python3-venv" \
        in box.calls("sudo")
    assert msg == ("bootstrap: found no Python 3; signage needs Python 3.11, 3.12 or 3.13: install one "
                   "(e.g. apt-get install python3.12 python3.12-venv) or put it first on PATH, then run this again")


def test_an_unknown_option(box):
    assert "unknown option '--fast'" in one_message(box.run("--fast"))


def test_a_failed_apt_install_alongside_the_venv_says_what_to_run(box):
    box.libs([])
    box.stub("apt-get", 'echo "apt-get $*" >> "$LOG"; [[ " $* " != *" install "* ]] || { echo "E: Unable to fetch" >&2; exit 100; }')
    p = box.run()
    assert p.returncode == 1
    assert "E: Unable to fetch" in p.stderr
    assert p.stderr.strip().splitlines()[-1] == (
        "bootstrap: apt-get install failed (above); as root, run: apt-get update && apt-get install -y "
        "--no-install-recommends libgl1 libegl1 libgles2 libglib2.0-0 libxcb1")


def test_python3_venv_first_then_the_libraries_alongside_the_venv(box):
    box.python("3.11.2", venv=False)
    box.libs([])
    p = box.run()
    assert p.returncode == 0, p.stderr
    installs = [c for c in box.calls("apt-get") if " install " in c]
    assert installs == ["apt-get -o DPkg::Lock::Timeout=300 install -y -qq --no-install-recommends python3-venv",
                        "apt-get -o DPkg::Lock::Timeout=300 install -y -qq --no-install-recommends libgl1 libegl1 "
                        "libgles2 libglib2.0-0 libxcb1"]
    assert len([c for c in box.calls("apt-get") if " update " in c]) == 1
    assert "alongside .venv: libgl1" in p.stderr
