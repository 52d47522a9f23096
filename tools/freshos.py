"""Fresh Debian roots for trying the README's commands as a new user would (root only).

Used by tools/check-fresh-os (the full check: timings, .venv size, pip freeze, ./test) and by
tests/kiosk/test_fresh_os.py (the light one inside the suite). A root is debootstrap's
minbase plus what a freshly installed Debian has that matters here (python3, sudo,
ca-certificates, git), built once and kept as a tarball under ~/.cache/signage/fresh-os/.
The host's network settings come along: its CA bundle, its pip configuration and the local
folders it names (bound read-only), and, unless asked not to, a pip cache shared between
runs (without them, plain PyPI and an empty cache: timings from nothing). Commands run in it
with systemd-nspawn, as an ordinary user.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CACHE = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "signage" / "fresh-os"
MIRROR = os.environ.get("SIGNAGE_DEBIAN_MIRROR", "http://deb.debian.org/debian")
SUITES = {"debian12": "bookworm", "debian13": "trixie"}
INCLUDE = "python3,sudo,ca-certificates,git"
USER = "kiosk"          # an ordinary user with (passwordless) sudo
OUTSIDER = "visitor"    # an ordinary user sudo refuses
HOSTNAME = "fresh"
# A desktop user's PATH (Debian's /etc/profile): no /usr/sbin, so no ldconfig on it.
USER_PATH = "/usr/local/bin:/usr/bin:/bin:/usr/games"
EXCLUDE = {".git", ".venv", "__pycache__", ".pytest_cache", ".hypothesis", "signage.egg-info"}


class Failed(Exception):
    pass


def run(*args, timeout=900, check=True, **kw) -> subprocess.CompletedProcess:
    p = subprocess.run([str(a) for a in args], capture_output=True, text=True, timeout=timeout, **kw)
    if check and p.returncode != 0:
        raise Failed(f"{' '.join(map(str, args))}: exit {p.returncode}\n{p.stdout[-3000:]}\n{p.stderr[-3000:]}")
    return p


def tools() -> None:
    missing = [pkg for tool, pkg in (("debootstrap", "debootstrap"), ("systemd-nspawn", "systemd-container"))
               if shutil.which(tool) is None]
    if missing:
        run("apt-get", "install", "-y", "-qq", "--no-install-recommends", *missing,
            env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"}, timeout=900)


def base_tarball(target: str) -> Path:
    """The pristine root of `target` (debian12, debian13), built once."""
    if target not in SUITES:
        raise Failed(f"unknown target {target!r}: {', '.join(SUITES)}")
    tar = CACHE / f"{target}-minbase.tar"
    if not tar.exists():
        tools()
        CACHE.mkdir(parents=True, exist_ok=True)
        tmp = CACHE / f"build-{target}"
        shutil.rmtree(tmp, ignore_errors=True)
        run("debootstrap", "--variant=minbase", f"--include={INCLUDE}", SUITES[target], tmp, MIRROR, timeout=1800)
        run("tar", "-C", tmp, "-cf", f"{tar}.part", ".")
        os.replace(f"{tar}.part", tar)
        shutil.rmtree(tmp)
    return tar


def pip_settings() -> tuple[str, list[Path]]:
    """The host's pip configuration (index, wheel folders) as a pip.conf for the root, and the
    local files and folders it names (bound read-only into it)."""
    settings: dict[str, str] = {}
    p = run("python3", "-m", "pip", "config", "list", check=False)
    for line in p.stdout.splitlines():
        key, _, value = line.partition("=")
        if key.startswith(("global.", "install.")) and value:
            settings[key.split(".", 1)[1]] = value.strip("'\"")
    for k, v in os.environ.items():
        if k.startswith("PIP_") and v:
            settings[k[4:].lower().replace("_", "-")] = v
    settings.pop("cert", None)  # the root's own CA bundle holds the host's CAs
    folders = []
    for value in settings.values():
        for token in value.split():
            path = Path(token.removeprefix("file://"))
            if path.name == "simple":  # a local package index: its files lie beside it
                path = path.parent
            if token.startswith(("/", "file:///")) and path.exists() and path not in folders:
                folders.append(path)
    lines = ["[global]"] + [f"{k} = {v}" for k, v in settings.items()]
    return "\n".join(lines) + "\n", folders


class Root:
    """One fresh root file system, made from the cached tarball."""

    def __init__(self, target: str, where: Path, host_pip: bool = True):
        self.target = target
        self.path = where / "rootfs"
        self.binds: list[str] = []
        self.path.mkdir(parents=True)
        run("tar", "-C", self.path, "-xf", base_tarball(target))
        r = self.path
        # the host's network: DNS, CAs, pip's index and wheel folders
        shutil.copy("/etc/resolv.conf", r / "etc/resolv.conf")
        shutil.copy("/etc/ssl/certs/ca-certificates.crt", r / "etc/ssl/certs/ca-certificates.crt")
        local_cas = Path("/usr/local/share/ca-certificates")
        if local_cas.is_dir():
            shutil.copytree(local_cas, r / "usr/local/share/ca-certificates", dirs_exist_ok=True)
        if host_pip:
            # this machine's pip settings and local wheel folders, and a pip cache kept between runs
            pip_conf, folders = pip_settings()
            self.binds += [f"--bind-ro={f}" for f in folders]
            cache = CACHE / "pip"
            cache.mkdir(parents=True, exist_ok=True)
            os.chmod(cache, 0o1777)
            self.binds.append(f"--bind={cache}:/var/cache/host-pip")
            (r / "etc/pip.conf").write_text(pip_conf + "cache-dir = /var/cache/host-pip\n")
        # else: plain PyPI, pip's defaults, the new user's empty cache: honest timings from nothing
        (r / "etc/hostname").write_text(HOSTNAME + "\n")
        (r / "etc/hosts").write_text(f"127.0.0.1 localhost\n127.0.1.1 {HOSTNAME}\n::1 localhost\n")
        # users: one who may use sudo (without a password: nobody types here), one who may not
        self.nspawn_root("useradd", "-m", "-s", "/bin/bash", "-G", "sudo", USER)
        self.nspawn_root("useradd", "-m", "-s", "/bin/bash", OUTSIDER)
        (r / "etc/sudoers.d/kiosk").write_text(f"{USER} ALL=(ALL) NOPASSWD: ALL\n")
        os.chmod(r / "etc/sudoers.d/kiosk", 0o440)
        # every sudo call is noted (a second ./run must make none)
        (r / "usr/local/bin/sudo").write_text(
            '#!/bin/sh\necho "$(id -un): sudo $*" >> /var/tmp/sudo-calls.log\nexec /usr/bin/sudo "$@"\n')
        os.chmod(r / "usr/local/bin/sudo", 0o755)
        (r / "var/tmp/sudo-calls.log").touch()
        os.chmod(r / "var/tmp/sudo-calls.log", 0o666)
        shutil.copy(ROOT / "tools/fresh-os-user.sh", r / "usr/local/bin/fresh-os-user")
        os.chmod(r / "usr/local/bin/fresh-os-user", 0o755)
        self.uid = int(self.nspawn_root("id", "-u", USER).stdout)

    def nspawn(self, *cmd, user: str | None = None, cwd: str | None = None, timeout=900, check=True):
        args = ["systemd-nspawn", "-q", "--register=no", "--keep-unit", "--as-pid2", f"--hostname={HOSTNAME}",
                "-D", self.path, *self.binds]
        if user:
            args += [f"--user={user}", f"--setenv=PATH={USER_PATH}", f"--setenv=HOME=/home/{user}",
                     f"--setenv=USER={user}", "--setenv=LANG=C.UTF-8"]
        if cwd:
            args.append(f"--chdir={cwd}")
        return run(*args, *cmd, timeout=timeout, check=check)

    def nspawn_root(self, *cmd, **kw):
        return self.nspawn(*cmd, **kw)

    def checkout(self, user: str, ref: str | None = None) -> str:
        """The project in ~user/signage: a git clone of `ref` (a commit, a branch), or with no
        ref a copy of the working tree as it is. Returns the path inside the root."""
        home = self.path / "home" / user
        dest = home / "signage"
        if ref is None:
            shutil.copytree(ROOT, dest, symlinks=True, ignore=lambda _d, names: [n for n in names if n in EXCLUDE])
        else:
            sha = run("git", "-C", ROOT, "rev-parse", "--verify", f"{ref}^{{commit}}").stdout.strip()
            run("git", "clone", "-q", "--no-checkout", ROOT, dest)
            run("git", "-C", dest, "checkout", "-q", "--detach", sha)
            run("git", "-C", dest, "remote", "remove", "origin")  # a path of this machine's, not theirs
        owner = self.nspawn_root("id", "-u", user).stdout.strip()
        group = self.nspawn_root("id", "-g", user).stdout.strip()
        run("chown", "-R", f"{owner}:{group}", dest)
        return f"/home/{user}/signage"

    def sudo_calls(self) -> list[str]:
        return (self.path / "var/tmp/sudo-calls.log").read_text().splitlines()

    def read(self, inside: str, default: str | None = None) -> str:
        """A file inside the root; `default` when it is missing (None: raise Failed)."""
        path = self.path / inside.lstrip("/")
        if not path.exists():
            if default is None:
                raise Failed(f"{inside} is missing in the root")
            return default
        return path.read_text(errors="replace")

    def remove(self) -> None:
        shutil.rmtree(self.path.parent, ignore_errors=True)
