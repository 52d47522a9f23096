"""`signage admin` as a user runs it: credentials from the command line, the server from
the CLI on localhost, and the admin section of the configuration."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time

import httpx
import pytest

from adminkit import ROOT
from signage.admin.auth import Credentials
from signage.config import ConfigError, load_settings


def run_cli(*args, env, stdin=""):
    return subprocess.run([sys.executable, "-m", "signage.cli", "admin", *args], input=stdin, capture_output=True,
                          text=True, cwd=ROOT, env=env, timeout=60)


@pytest.fixture()
def env(tmp_path):
    e = {k: v for k, v in os.environ.items() if not k.startswith("SIGNAGE_")}
    e.update(SIGNAGE_ADMIN__DATA_DIR=str(tmp_path / "content"),
             SIGNAGE_ADMIN__CREDENTIALS_FILE=str(tmp_path / "creds.json"),
             SIGNAGE_ADMIN__SECRET_KEY_FILE=str(tmp_path / "session.key"))
    return e


def test_users_and_tokens_from_the_command_line(env, tmp_path):
    r = run_cli("user", "add", "alice", "--password-stdin", env=env, stdin="a long password\n")
    assert r.returncode == 0, r.stderr
    r = run_cli("user", "add", "bob", "--password-stdin", env=env, stdin="short\n")
    assert r.returncode == 2 and "at least 10 characters" in r.stderr
    r = run_cli("token", "create", "ci", env=env)
    token = r.stdout.strip()
    assert r.returncode == 0 and token.startswith("sgn_") and "only time it is shown" in r.stderr
    creds = Credentials(tmp_path / "creds.json")
    assert creds.verify_password("alice", "a long password") and creds.verify_token(token) == "ci"
    assert token not in (tmp_path / "creds.json").read_text()
    assert run_cli("token", "list", env=env).stdout.split() == ["ci", "operator"]
    assert run_cli("user", "list", env=env).stdout.split() == ["alice", "operator"]
    assert run_cli("token", "revoke", "ci", env=env).returncode == 0
    assert run_cli("token", "revoke", "ci", env=env).returncode == 1
    assert creds.verify_token(token) is None


def test_roles_from_the_command_line(env, tmp_path, monkeypatch, capsys):
    """In this process (signage.cli.main), the same parser and commands as `signage admin`."""
    import io

    from signage.cli import main

    for k, v in env.items():
        if k.startswith("SIGNAGE_"):
            monkeypatch.setenv(k, v)

    def cli(*args: str, stdin: str = "") -> tuple[int, str, str]:
        monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
        rc = main(["admin", *args])
        out = capsys.readouterr()
        return rc, out.out, out.err

    rc, out, _ = cli("user", "add", "carol", "--role", "advertiser", "--password-stdin", stdin="a long password\n")
    assert rc == 0 and "carol (advertiser)" in out
    assert cli("user", "add", "carol", "--password-stdin", stdin="another long one\n")[0] == 0  # keeps the role
    assert cli("user", "add", "olga", "--password-stdin", stdin="a long password\n")[0] == 0
    assert cli("user", "list")[1].split() == ["carol", "advertiser", "olga", "operator"]
    with pytest.raises(SystemExit):
        cli("user", "add", "dan", "--role", "admin", "--password-stdin", stdin="a long password\n")
    assert "'operator', 'advertiser'" in capsys.readouterr().err
    assert cli("token", "create", "carol-ci", "--user", "carol")[0] == 0
    assert cli("token", "create", "feed", "--role", "advertiser")[0] == 0
    rc, _, err = cli("token", "create", "ghost", "--user", "nobody")
    assert rc == 2 and "no user 'nobody'" in err
    assert cli("token", "list")[1].splitlines() == ["carol-ci\tuser carol", "feed\tadvertiser"]
    creds = Credentials(tmp_path / "creds.json")
    assert creds.role("carol") == "advertiser" and creds.verify_password("carol", "another long one")
    assert creds.token_account("carol-ci") == ("carol", "advertiser")
    assert creds.token_account("feed") == ("token:feed", "advertiser")


def listening_addresses(port: int) -> list[str]:
    """The IPv4 addresses listening on a TCP port, from /proc/net/tcp."""
    out = []
    for line in open("/proc/net/tcp").read().splitlines()[1:]:
        local, state = line.split()[1], line.split()[3]
        addr, p = local.split(":")
        if state == "0A" and int(p, 16) == port:
            out.append(socket.inet_ntoa(bytes.fromhex(addr)[::-1]))
    return out


def test_the_server_from_the_cli_on_localhost(env):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([sys.executable, "-m", "signage.cli", "admin", "--port", str(port)], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 120  # generous: a loaded machine starts it late, a broken one never
        while True:
            try:
                r = httpx.get(f"http://127.0.0.1:{port}/login", timeout=2)
                break
            except httpx.TransportError:
                assert proc.poll() is None and time.monotonic() < deadline, proc.stderr.read() if proc.poll() else "timeout"
                time.sleep(0.1)
        assert r.status_code == 200 and "Log in" in r.text
        assert "server" not in r.headers  # no version banner
        assert listening_addresses(port) == ["127.0.0.1"]
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(10)


def test_admin_configuration_is_strict(monkeypatch):
    s = load_settings()
    assert s.admin.host == "127.0.0.1" and s.admin.max_compression_ratio == 100
    monkeypatch.setenv("SIGNAGE_ADMIN__MAX_ZIP_ENTRIES", "7")
    assert load_settings().admin.max_zip_entries == 7
    monkeypatch.setenv("SIGNAGE_ADMIN__MAX_ZIP_ENTRY", "7")
    with pytest.raises(ConfigError, match="admin.max_zip_entry: unknown key"):
        load_settings()
    monkeypatch.delenv("SIGNAGE_ADMIN__MAX_ZIP_ENTRY")
    monkeypatch.setenv("SIGNAGE_ADMIN__MAX_COMPRESSION_RATIO", "0.5")
    with pytest.raises(ConfigError, match="admin.max_compression_ratio"):
        load_settings()
