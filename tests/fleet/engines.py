"""The real engines the fleet's tests run on: a Mosquitto broker and a PostgreSQL server, each
on a free loopback port with its files in a temporary directory, started and stopped by the
tests (Debian's packages: mosquitto, mosquitto-clients, postgresql; scripts/bootstrap --browser
installs them).

Mosquitto: anonymous clients refused; a password file (mosquitto_passwd) with one user per
kiosk screen id plus ``collector`` and ``central``; an ACL file where a screen may publish only
``signage/v1/+/<its id>/<kind>`` topics a kiosk publishes and read only its own ``cmd`` topic,
the collector reads ``signage/v1/#`` and central writes ``cmd`` topics (and reads the fleet).
Persistence in the directory: ``restart()`` (stop, start on the same port with the same data)
keeps persistent sessions and their queued QoS 1 messages.

PostgreSQL refuses to run as root: as root its files belong to the ``postgres`` system user and
initdb/pg_ctl run as that user (runuser); as anyone else they run directly. Trust authentication
on 127.0.0.1 and the socket directory only (a test server, never reachable from outside).
"""

from __future__ import annotations

import atexit
import os
import pwd
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterable
from pathlib import Path

MOSQUITTO = "/usr/sbin/mosquitto"
MOSQUITTO_PASSWD = "/usr/bin/mosquitto_passwd"
PG_BINS = sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=lambda p: int(p.parent.name)
                 if p.parent.name.isdigit() else 0)
PG_BIN = PG_BINS[-1] if PG_BINS else Path("/usr/lib/postgresql/15/bin")

KIOSK_KINDS = ("state", "health", "play", "minute", "ack", "screenshot/+")  # signage.fleet.messages
SERVICE_USERS = ("collector", "central")


class EngineError(RuntimeError):
    """An engine that would not start or stop; the text carries the tail of its log."""


def missing_mosquitto() -> str | None:
    """Why the broker cannot run here, or None."""
    for exe in (MOSQUITTO, MOSQUITTO_PASSWD):
        if not os.access(exe, os.X_OK):
            return f"{exe} is missing (apt-get install mosquitto mosquitto-clients; scripts/bootstrap --browser does)"
    return None


def missing_postgres() -> str | None:
    for name in ("initdb", "pg_ctl"):
        if not os.access(PG_BIN / name, os.X_OK):
            return f"{PG_BIN / name} is missing (apt-get install postgresql; scripts/bootstrap --browser does)"
    if os.getuid() == 0 and not _user_exists("postgres"):
        return "running as root and there is no 'postgres' system user to run PostgreSQL as"
    return None


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _user_exists(name: str) -> bool:
    try:
        pwd.getpwnam(name)
    except KeyError:
        return False
    return True


def _private_dir(prefix: str, owner: str | None) -> Path:
    """A fresh directory under the system's temp dir (traversable by a system user, unlike
    pytest's 0700 tree), owned by ``owner`` when we are root."""
    d = Path(tempfile.mkdtemp(prefix=prefix, dir="/tmp"))
    if owner and os.getuid() == 0:
        pw = pwd.getpwnam(owner)
        os.chown(d, pw.pw_uid, pw.pw_gid)
    return d


def _chown_tree(root: Path, owner: str | None) -> None:
    if not owner or os.getuid() != 0:
        return
    pw = pwd.getpwnam(owner)
    for p in [root, *root.rglob("*")]:
        os.chown(p, pw.pw_uid, pw.pw_gid)


def _tail(path: Path, n: int = 20) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-n:])
    except OSError:
        return "(no log)"


def _wait_port(port: int, alive, timeout: float, what: str, log: Path) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not alive():
            raise EngineError(f"{what} exited while starting:\n{_tail(log)}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise EngineError(f"{what} not listening on 127.0.0.1:{port} after {timeout:.0f} s:\n{_tail(log)}")


class _Engine:
    """A server with its files in ``dir``: ``start()``/``stop()`` of the subclass."""

    dir: Path

    def start(self):
        raise NotImplementedError

    def stop(self) -> None:
        raise NotImplementedError

    def restart(self) -> None:
        self.stop()
        self.start()

    def close(self) -> None:
        try:
            self.stop()
        finally:
            shutil.rmtree(self.dir, ignore_errors=True)


class Mosquitto(_Engine):
    """A real broker: ``start()``, ``stop()``, ``restart()``; ``password(user)``, ``host``, ``port``."""

    def __init__(self, screens: Iterable[str], port: int | None = None, extra_conf: str = ""):
        why = missing_mosquitto()
        if why:
            raise EngineError(why)
        self.screens = tuple(screens)
        self.users = (*self.screens, *SERVICE_USERS)
        self.host = "127.0.0.1"
        self.port = port or free_port()
        self._secret = secrets.token_hex(6)
        self._owner = ("mosquitto" if _user_exists("mosquitto") else None) if os.getuid() == 0 else None
        self.dir = _private_dir("signage-mqtt-", None)
        self.data = self.dir / "data"
        self.data.mkdir()
        self.log = self.dir / "mosquitto.log"
        self._write_files(extra_conf)
        self._proc: subprocess.Popen | None = None
        atexit.register(self.close)

    def password(self, user: str) -> str:
        return f"pw-{user}-{self._secret}"

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"

    def _write_files(self, extra_conf: str) -> None:
        passwd = self.dir / "passwd"
        # mosquitto_passwd -U hashes a file of user:password lines in place: the same hashes as
        # one `mosquitto_passwd -b` per user, in one process for any number of users.
        passwd.write_text("".join(f"{u}:{self.password(u)}\n" for u in self.users))
        subprocess.run([MOSQUITTO_PASSWD, "-U", str(passwd)], check=True, capture_output=True, timeout=60)
        acl = ["# every user (a screen's user name is its screen id): its own topics only"]
        acl += [f"pattern write signage/v1/+/%u/{kind}" for kind in KIOSK_KINDS]
        acl += ["pattern read signage/v1/+/%u/cmd", "",
                "user collector", "topic read signage/v1/#", "",
                "user central", "topic write signage/v1/+/+/cmd", "topic read signage/v1/#", ""]
        (self.dir / "acl").write_text("\n".join(acl))
        conf = [
            f"listener {self.port} {self.host}",
            "allow_anonymous false",
            f"password_file {self.dir / 'passwd'}",
            f"acl_file {self.dir / 'acl'}",
            "persistence true",
            f"persistence_location {self.data}/",
            "autosave_interval 0",  # saved on a clean stop
            "max_queued_messages 100000",
            "max_inflight_messages 100",
            f"max_packet_size {8 * 1024 * 1024 + 64 * 1024}",  # a screenshot (messages.MAX_SCREENSHOT) and headroom
            "log_dest stdout",
            "log_type error", "log_type warning", "log_type notice", "log_type information",
            "connection_messages true",
            "log_timestamp true",
        ]
        if os.getuid() == 0 and self._owner is None:
            conf.append("user root")
        (self.dir / "mosquitto.conf").write_text("\n".join(conf) + "\n" + extra_conf)
        _chown_tree(self.dir, self._owner)
        for name in ("passwd", "acl"):
            os.chmod(self.dir / name, 0o600)

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def start(self, timeout: float = 30.0) -> Mosquitto:
        if self.running:
            return self
        with open(self.log, "ab") as log:
            self._proc = subprocess.Popen([MOSQUITTO, "-c", str(self.dir / "mosquitto.conf")], stdout=log,
                                          stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        _wait_port(self.port, lambda: self.running, timeout, "mosquitto", self.log)
        return self

    def stop(self, timeout: float = 30.0) -> None:
        """A clean stop (SIGTERM): the broker writes its persistence file first."""
        if self._proc is None:
            return
        if self._proc.poll() is None:
            self._proc.send_signal(signal.SIGTERM)
            try:
                self._proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()
                raise EngineError(f"mosquitto did not stop in {timeout:.0f} s:\n{_tail(self.log)}") from None
        self._proc = None

    def log_text(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""


class Postgres(_Engine):
    """A real PostgreSQL server: ``start()``, ``stop()``, ``dsn(dbname)``, ``create_database()``."""

    def __init__(self, port: int | None = None):
        why = missing_postgres()
        if why:
            raise EngineError(why)
        self.host = "127.0.0.1"
        self.port = port or free_port()
        self.user = "postgres"
        self._owner = "postgres" if os.getuid() == 0 else None
        self.dir = _private_dir("signage-pg-", self._owner)
        self.data = self.dir / "data"
        self.sock = self.dir / "sock"
        self.log = self.dir / "postgres.log"
        self._as_owner(["mkdir", "-m", "0700", str(self.sock)])
        self._as_owner([str(PG_BIN / "initdb"), "-D", str(self.data), "-U", self.user, "--auth=trust",
                        "-E", "UTF8", "--locale=C.UTF-8" if _has_c_utf8() else "--locale=C"], timeout=180)
        conf = "\n".join([
            "listen_addresses = '127.0.0.1'",
            f"port = {self.port}",
            f"unix_socket_directories = '{self.sock}'",
            "fsync = off",  # a throw-away test server; a clean stop still writes everything
            "synchronous_commit = off",
            "full_page_writes = off",
            "max_connections = 200",
            "shared_buffers = 32MB",
            "log_min_messages = warning",
        ])
        with open(self.data / "postgresql.auto.conf", "a") as f:
            f.write(conf + "\n")
        self._started = False
        atexit.register(self.close)

    def _as_owner(self, cmd: list[str], timeout: float = 120, check: bool = True) -> subprocess.CompletedProcess:
        if self._owner:
            cmd = ["runuser", "-u", self._owner, "--", *cmd]
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, cwd=str(self.dir))
        if check and p.returncode != 0:
            raise EngineError(f"{' '.join(cmd)} failed ({p.returncode}):\n{p.stdout}{p.stderr}\n{_tail(self.log)}")
        return p

    def start(self) -> Postgres:
        self._as_owner([str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-l", str(self.log), "-w", "-t", "120",
                        "start"], timeout=180)
        self._started = True
        return self

    def stop(self) -> None:
        if self._started:
            self._as_owner([str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "-t", "120", "stop"],
                           timeout=180, check=False)
            self._started = False

    def dsn(self, dbname: str = "postgres") -> str:
        return f"host={self.host} port={self.port} user={self.user} dbname={dbname} connect_timeout=10"

    def create_database(self, name: str | None = None) -> str:
        """A new empty database; its DSN."""
        import psycopg

        name = name or f"t_{secrets.token_hex(6)}"
        with psycopg.connect(self.dsn(), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.dsn(name)

    def drop_database(self, name: str) -> None:
        import psycopg

        with psycopg.connect(self.dsn(), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _has_c_utf8() -> bool:
    p = subprocess.run(["locale", "-a"], capture_output=True, text=True)
    return any(x.lower() in ("c.utf8", "c.utf-8") for x in p.stdout.split())


def mqtt_client(broker: Mosquitto, user: str, client_id: str, *, clean: bool = True, password: str | None = None,
                timeout: float = 20.0):
    """A paho-mqtt 2.1 client of ``user`` connected to ``broker`` (its network loop running);
    ``clean=False`` keeps a persistent session. EngineError when the broker refuses it."""
    import threading

    import paho.mqtt.client as mqtt

    c = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=client_id, clean_session=clean,
                    protocol=mqtt.MQTTv311)
    c.username_pw_set(user, broker.password(user) if password is None else password)
    done = threading.Event()
    result: list = []

    def on_connect(client, userdata, flags, reason_code, properties):
        result.append(reason_code)
        done.set()

    c.on_connect = on_connect
    c.connect(broker.host, broker.port, keepalive=30)
    c.loop_start()
    if not done.wait(timeout):
        c.loop_stop()
        raise EngineError(f"no CONNACK from the broker in {timeout:.0f} s")
    if result[0].is_failure:
        c.loop_stop()
        c.disconnect()
        raise EngineError(f"broker refused {user!r}: {result[0]}")
    c.on_connect = None
    return c


def wait_for(cond, timeout: float = 60.0, what: str = "condition", interval: float = 0.05):
    """Poll ``cond()`` until it returns something truthy (returned) or ``timeout`` passes
    (AssertionError naming ``what``). The timeout is generous: it is never the assertion."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = cond()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what} (last: {last!r})")
