"""The audit log through the real service and the real CLI: failed logins with the account
and the address, one row per refusal of the gate, uploads and activations; never a password;
a log that cannot be written breaks no request; retention; ``signage admin audit``."""

from __future__ import annotations

import contextlib
import io
import json
import logging
import os
import string

import pytest
from hypothesis import HealthCheck, given, settings as hsettings, strategies as st

from adminkit import PASSWORD, good_bundle, make_zip, start_server, try_login as login
from signage.admin.audit import AuditLog, clean
from signage.cli import main
from signage.config import ConfigError, load_settings

def audit_of(server) -> AuditLog:
    return AuditLog(os.path.join(os.path.dirname(server.settings.admin.credentials_file), "audit.db"))


def new_rows(log: AuditLog, before: int) -> list:
    return log.read(limit=10_000)[before:]


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            rc = main(list(argv))
        except SystemExit as exc:  # argparse: a usage error
            rc = exc.code
    return rc, out.getvalue(), err.getvalue()


@pytest.fixture()
def cli(server, monkeypatch):
    a = server.settings.admin
    for k, v in {"DATA_DIR": a.data_dir, "CREDENTIALS_FILE": a.credentials_file,
                 "SECRET_KEY_FILE": a.secret_key_file}.items():
        monkeypatch.setenv(f"SIGNAGE_ADMIN__{k}", v)
    return run


SECRET = "my very secret password"


def test_failed_logins_are_logged_with_the_account_and_the_address_never_a_password(server, cli):
    log = audit_of(server)
    with server.client() as c:
        assert login(c, "alice", SECRET).status_code == 401
        assert login(c, "mallory", SECRET).status_code == 401
        assert login(c, SECRET, SECRET).status_code == 401  # a password typed as the name
        assert login(c, "bob", PASSWORD + "!").status_code == 303
    rows = [(r.event, r.account, r.client, r.detail) for r in log.read(limit=10_000) if r.event.startswith("login.")]
    assert rows[-4:] == [("login.failed", "alice", "127.0.0.1", "wrong password"),
                         ("login.failed", "mallory", "127.0.0.1", "no such user"),
                         ("login.failed", "(not a user name)", "127.0.0.1", "no such user"),
                         ("login.ok", "bob", "127.0.0.1", "")]
    folder = os.path.dirname(server.settings.admin.credentials_file)
    for name in os.listdir(folder):
        if name.startswith(("audit.db", "sessions.db")):
            assert SECRET.encode() not in open(os.path.join(folder, name), "rb").read(), name

    rc, out, _ = cli("admin", "audit", "--account", "mallory")
    header, *lines = out.splitlines()
    assert rc == 0 and header.split() == ["time", "event", "account", "client", "outcome", "detail"]
    assert lines and all("mallory" in line for line in lines)
    assert "login.failed" in lines[-1] and "127.0.0.1" in lines[-1] and "no such user" in lines[-1]
    rc, out, _ = cli("admin", "audit", "--since", "1d", "--limit", "3", "--json")
    events = [json.loads(line) for line in out.splitlines()]
    assert rc == 0 and len(events) == 3 and events[-1]["event"] == "login.ok" and events[-1]["account"] == "bob"
    assert events[-1]["time"].endswith("+00:00")
    assert cli("admin", "audit", "--since", "2999-01-01")[1].strip() == "(no event)"


def test_one_refusal_of_the_gate_is_one_row(server):
    log = audit_of(server)
    upload = {"files": {"file": ("x.zip", b"PK" * 1000)}}
    cases = [  # (the client, the request, its status, the event logged)
        ({"headers": {"Authorization": "Bearer sgn_wrong"}}, ("POST", "/api/versions", upload), 401, "token.refused"),
        ({}, ("GET", "/api/status", {}), 401, "request.refused"),
        ({}, ("POST", "/upload", upload), 303, "request.refused"),
        ({"cookies": {"signage_session": "forged.cookie"}}, ("POST", "/rollback", {"data": {"csrf": "x"}}), 303,
         "request.refused"),
    ]
    for client, (method, path, kw), status, event in cases:
        before = len(log.read(limit=10_000))
        with server.client(**client) as c:
            assert c.request(method, path, **kw).status_code == status
        rows = new_rows(log, before)
        assert [(r.event, r.outcome, r.client) for r in rows] == [(event, str(status), "127.0.0.1")], rows
    browser = server.login()  # past the gate, a form refused by its route (CSRF) is one row too
    before = len(log.read(limit=10_000))
    assert browser.post("/rollback", data={"csrf": "x"}).status_code == 403
    assert [(r.event, r.outcome, r.account) for r in new_rows(log, before)] == [("request.refused", "403", "")]
    browser.close()
    before = len(log.read(limit=10_000))
    with server.api() as c:  # what is let in is not a refusal: nothing logged
        assert c.get("/api/status").status_code == 200
    assert new_rows(log, before) == []


def test_a_request_past_its_budget_is_one_row(server):
    """Refusals after the gate (a body over the limit: 413) are logged too, once."""
    log = audit_of(server)
    before = len(log.read(limit=10_000))
    big = b"PK" + b"\0" * (server.settings.admin.max_upload_bytes + 10)
    with server.api() as c:
        r = c.post("/api/versions", files={"file": ("big.zip", big, "application/zip")})
    assert r.status_code == 413
    rows = new_rows(log, before)
    assert [(x.event, x.outcome, x.client) for x in rows] == [("request.refused", "413", "127.0.0.1")], rows
    assert rows[0].detail.startswith("POST /api/versions: ") and "larger than" in rows[0].detail


def test_uploads_activations_and_rollbacks_are_logged(server):
    log = audit_of(server)
    before = len(log.read(limit=10_000))
    with server.api() as c:
        assert c.post("/api/versions", files={"file": ("bad.zip", make_zip({"x.txt": "hi"}))}).status_code == 422
        ids = []
        for name in ("First", "Second"):
            r = c.post("/api/versions", files={"file": (f"{name}.zip", good_bundle(name))})
            assert r.status_code == 201
            ids.append(r.json()["id"])
            assert c.post(f"/api/versions/{ids[-1]}/activate").status_code == 200
        assert c.post("/api/rollback").json()["active"] == ids[0]
    rows = [(r.event, r.account, r.detail) for r in new_rows(log, before)]
    assert rows[0][:2] == ("upload.refused", "token:ci") and "was refused" in rows[0][2]
    assert rows[1:] == [("upload.accepted", "token:ci", ids[0]), ("version.activated", "token:ci", ids[0]),
                        ("upload.accepted", "token:ci", ids[1]), ("version.activated", "token:ci", ids[1]),
                        ("version.rolledback", "token:ci", ids[0])]
    assert not any(server.settings.admin.data_dir in r.detail for r in log.read(limit=10_000))


def test_a_log_that_cannot_be_written_breaks_no_request(tmp_path, caplog):
    (tmp_path / "creds").mkdir()
    (tmp_path / "creds" / "audit.db").mkdir()  # not a database: every write fails
    s = start_server(tmp_path)
    try:
        with caplog.at_level(logging.WARNING, "signage.admin.audit"), s.client() as c:
            assert login(c, "alice", "wrong password").status_code == 401
            assert login(c, "alice", PASSWORD).status_code == 303
            assert c.get("/").status_code == 200
        with s.client() as anon:
            assert anon.get("/api/status").status_code == 401
        assert "audit log not written" in caplog.text
    finally:
        s.stop()


def test_retention_and_clean_texts(tmp_path):
    now = [1_000_000_000.0]
    log = AuditLog(tmp_path / "a.db", retention_days=365, clock=lambda: now[0])
    log.record("login.failed", account="old", client="::1")
    now[0] += 364 * 86400
    log.record("login.failed", account="recent", client="::1", detail="x\x00y\u202ez\n" + "w" * 500)
    now[0] += 2 * 86400
    assert log.prune() == 1
    (row,) = log.read()
    assert row.account == "recent" and row.detail.startswith("x y z") and len(row.detail) == 200
    assert clean("a\tb\u200fc", 10) == "a b c" and clean("\x1b[31mred", 20) == "[31mred"  # no terminal escapes
    with pytest.raises(ConfigError, match="audit_retention_days"):
        load_settings(admin={"audit_retention_days": 0})
    with pytest.raises(ConfigError, match="audit_retention"):
        load_settings(admin={"audit_retention": 30})  # strict: a misspelt key is an error


@hsettings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.one_of(st.sampled_from(["--since", "--account", "--limit", "--json", "7d", "-1", "0", "1e9",
                                           "2026-13-01", "9999-12-31T23:59:59+14:00", "0001-01-01", "99999999999d"]),
                          st.text(string.printable + "é\u202e\x00", max_size=12)), max_size=6))
def test_fuzzed_audit_arguments_never_traceback(cli, args):
    rc, out, err = cli("admin", "audit", *args)
    assert rc in (0, 2), (rc, err)
    if rc == 2:
        assert err.strip() and "Traceback" not in err


def test_a_flood_of_refusals_is_counted_not_logged_row_by_row(tmp_path):
    from signage.admin.audit import BURST

    now = [1_000_000.0]
    log = AuditLog(tmp_path / "a.db", clock=lambda: now[0])
    for _ in range(BURST + 500):
        log.record("token.refused", client="203.0.113.9", outcome="401")
    log.record("token.refused", client="198.51.100.1", outcome="401")  # another address: its own budget
    log.record("login.failed", account="alice", client="203.0.113.9")  # not a refusal: always logged
    assert len(log.read(limit=10_000)) == BURST + 2
    now[0] += 61
    log.record("token.refused", client="203.0.113.9", outcome="401")
    *_, summary, last = log.read(limit=10_000)
    assert (summary.event, summary.client, summary.outcome) == ("token.refused", "203.0.113.9", "not logged")
    assert summary.detail.startswith("500 more like this in the minute from ")
    assert (last.event, last.outcome) == ("token.refused", "401")
