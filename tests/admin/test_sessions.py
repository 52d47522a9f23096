"""Sessions on the server and lock-outs in SQLite, through the real service: what ends a
session ends it at once and after a restart; a lock-out survives a restart; a client
lock-out never blocks a valid API token."""

from __future__ import annotations

import contextlib
import io
import os
import stat

import pytest

from adminkit import PASSWORD, csrf_of, restart, start_server, try_login as login
from signage.admin.audit import AuditLog
from signage.admin.auth import Credentials
from signage.cli import main

COOKIE = "signage_session"


def alive(server, cookie: str) -> bool:
    """Does the service take this cookie? (a page, then a form post through the gate)"""
    with server.client(cookies={COOKIE: cookie}) as c:
        page = c.get("/")
        post = c.post("/rollback", data={"csrf": "x"})
    assert page.status_code in (200, 303) and post.status_code in (303, 403, 409), (page.status_code, post.status_code)
    if page.status_code == 303:
        assert page.headers["location"] == "/login" and post.headers.get("location") == "/login"
        return False
    return True


def cookie_of(server, user: str, password: str = PASSWORD) -> str:
    return server.login(user, password).cookies[COOKIE]


def audit_rows(server, event: str) -> list:
    path = os.path.join(os.path.dirname(server.settings.admin.credentials_file), "audit.db")
    return [r for r in AuditLog(path).read(limit=10_000) if r.event == event]


@pytest.fixture()
def long_locks(tmp_path):
    """A server whose lock-outs last an hour: a restart comes well within them."""
    s = start_server(tmp_path, lockout_s=3600.0)
    box = {"s": s}
    yield box
    box["s"].stop()


def test_removed_repassworded_and_logged_out_sessions_end_at_once_and_after_a_restart(long_locks):
    s = long_locks["s"]
    creds = Credentials(s.settings.admin.credentials_file)
    creds.add_user("carol", PASSWORD)
    kept, removed, changed = cookie_of(s, "bob", PASSWORD + "!"), cookie_of(s, "carol"), cookie_of(s, "alice")
    leaving = s.login("bob", PASSWORD + "!")
    logged_out = leaving.cookies[COOKIE]
    assert all(alive(s, c) for c in (kept, removed, changed, logged_out))

    creds.remove_user("carol")          # the credentials file alone, as another process would
    creds.add_user("alice", PASSWORD)   # the same password again: a new hash, a new password
    r = leaving.post("/logout", data={"csrf": csrf_of(leaving.get("/").text)})
    assert r.status_code == 303 and r.headers["location"].startswith("/login")
    assert [alive(s, c) for c in (kept, removed, changed, logged_out)] == [True, False, False, False]

    s = long_locks["s"] = restart(s)
    assert [alive(s, c) for c in (kept, removed, changed, logged_out)] == [True, False, False, False]
    # each end is on record once, though every request checked it twice (gate, then route)
    ended = sorted((r.account, r.detail) for r in audit_rows(s, "session.ended"))
    assert ended == [("alice", "password changed"), ("carol", "user removed")]
    assert [(r.account, r.client) for r in audit_rows(s, "logout")] == [("bob", "127.0.0.1")]
    # the database holds no password hash, and is private
    db = os.path.join(os.path.dirname(s.settings.admin.credentials_file), "sessions.db")
    assert stat.S_IMODE(os.stat(db).st_mode) == 0o600
    stored = creds.password_hash("alice").split("$")[-1].encode()
    assert all(stored not in open(p, "rb").read() for p in (db, db + "-wal") if os.path.exists(p))


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        rc = main(list(argv))
    return rc, out.getvalue(), err.getvalue()


@pytest.fixture()
def cli_env(monkeypatch):
    def use(server):
        a = server.settings.admin
        for k, v in {"DATA_DIR": a.data_dir, "CREDENTIALS_FILE": a.credentials_file,
                     "SECRET_KEY_FILE": a.secret_key_file}.items():
            monkeypatch.setenv(f"SIGNAGE_ADMIN__{k}", v)
    return use


def test_the_cli_lists_and_ends_sessions_and_user_remove_ends_them_at_once(fresh_server, cli_env):
    s = fresh_server
    cli_env(s)
    Credentials(s.settings.admin.credentials_file).add_user("carol", PASSWORD)
    carol, bob = cookie_of(s, "carol"), cookie_of(s, "bob", PASSWORD + "!")
    rc, out, _ = run("admin", "sessions")
    lines = out.splitlines()
    assert rc == 0 and lines[0].split() == ["user", "since", "last", "seen", "address"]
    assert sorted(line.split()[0] for line in lines[1:]) == ["bob", "carol"] and "127.0.0.1" in lines[1]

    rc, out, _ = run("admin", "user", "remove", "carol")
    assert rc == 0 and "1 session of carol ended" in out
    rc, out, _ = run("admin", "sessions", "--end", "bob")
    assert rc == 0 and "1 session of bob ended" in out
    assert not alive(s, carol) and not alive(s, bob)
    assert run("admin", "sessions")[1].strip() == "(no session)"
    assert {(r.account, r.detail, r.client) for r in audit_rows(s, "session.ended")} == {
        ("carol", "user removed (1 session)", "cli"), ("bob", "ended by an operator (1 session)", "cli")}


def test_a_lockout_survives_a_restart(long_locks):
    s = long_locks["s"]
    with s.client() as c:
        codes = [login(c, "alice", f"guess {i}").status_code for i in range(s.settings.admin.lockout_account_failures)]
        assert codes == [401] * len(codes)
        r = login(c, "alice", PASSWORD)
        assert r.status_code == 429 and "too many failed logins for this account: try again in" in r.text
    s = long_locks["s"] = restart(s)
    with s.client() as c:
        r = login(c, "alice", PASSWORD)
        assert r.status_code == 429 and "for this account" in r.text and int(r.headers["retry-after"]) > 3000
        assert login(c, "bob", PASSWORD + "!").status_code == 303  # the account is locked, not the address
    assert len(audit_rows(s, "lockout.started")) == 1


def test_a_client_lockout_blocks_passwords_and_bad_tokens_never_a_valid_token(long_locks):
    s = long_locks["s"]
    with s.client(headers={"Authorization": "Bearer sgn_wrong"}) as bad:
        codes = [bad.get("/api/status").status_code for _ in range(s.settings.admin.lockout_client_failures)]
    assert codes[0] == 401 and codes[-1] == 401 and len(set(codes)) == 1  # the last failure locks it
    still_locked_but_tokens_work(s)
    s = long_locks["s"] = restart(s)
    still_locked_but_tokens_work(s)


def still_locked_but_tokens_work(server) -> None:
    with server.client(headers={"Authorization": "Bearer sgn_wrong"}) as bad:
        r = bad.get("/api/status")
        assert r.status_code == 429 and "from this client address: try again in" in r.json()["detail"]
    with server.api() as good:
        assert good.get("/api/status").status_code == 200
        assert good.post("/api/drafts").status_code == 201  # a body: through the gate too
    with server.client() as c:
        r = login(c, "alice", PASSWORD)
        assert r.status_code == 429 and "client address" in r.text


def test_a_sessions_database_that_cannot_be_used_stops_the_service_with_a_message(tmp_path, monkeypatch):
    (tmp_path / "creds" / "sessions.db").mkdir(parents=True)  # a folder where the file should be
    for k, v in {"DATA_DIR": tmp_path / "content", "CREDENTIALS_FILE": tmp_path / "creds" / "credentials.json",
                 "SECRET_KEY_FILE": tmp_path / "creds" / "session.key"}.items():
        monkeypatch.setenv(f"SIGNAGE_ADMIN__{k}", str(v))
    rc, out, err = run("admin", "serve", "--port", "1")
    assert rc == 2 and "the sessions database" in err and "cannot be used" in err and "Traceback" not in err


def test_sessions_expire_and_old_rows_are_pruned(tmp_path):
    from signage.admin.auth import SessionSigner
    from signage.admin.securedb import SecureDB
    from signage.admin.sessions import KEEP_DEAD_S, SESSION_SCHEMA, Sessions

    now = [1_000_000.0]
    creds = Credentials(tmp_path / "c.json")
    creds.add_user("alice", PASSWORD)
    db = SecureDB(tmp_path / "s.db", SESSION_SCHEMA)
    sessions = Sessions(db, SessionSigner(b"k" * 32), creds, None, lifetime_s=100, clock=lambda: now[0])
    cookie, s = sessions.issue("alice", "192.0.2.7")
    assert sessions.verify(cookie) == s and sessions.verify(cookie + "x") is None
    assert Sessions(db, SessionSigner(b"j" * 32), creds, None, 100).verify(cookie) is None  # another key
    now[0] += 99
    assert sessions.verify(cookie) == s and [r.address for r in sessions.active()] == ["192.0.2.7"]
    now[0] += 1
    assert sessions.verify(cookie) is None and sessions.active() == []
    now[0] += KEEP_DEAD_S + 3600
    sessions.issue("alice")  # a login prunes now and then
    assert len(db.query("SELECT id FROM sessions")) == 1
