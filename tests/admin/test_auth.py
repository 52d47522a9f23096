"""Credentials, lock-out and the cookie signer, on their own (pure or on a real file).
Server-side sessions: test_sessions.py."""

from __future__ import annotations

import json
import os
import stat

import pytest

from signage.admin.auth import AuthError, Credentials, SessionSigner, check_password, hash_password, load_or_create_key
from signage.admin.lockouts import LOCKOUT_SCHEMA, Lockout
from signage.admin.securedb import SecureDB


def test_password_hashes(tmp_path):
    h = hash_password("a long enough secret")
    assert h.startswith("scrypt$16384$8$1$") and "a long enough secret" not in h
    assert check_password("a long enough secret", h)
    assert not check_password("a long enough secreT", h)
    assert hash_password("same") != hash_password("same")  # salted
    assert not check_password("x", "garbage") and not check_password("x", "md5$abc")


def test_credentials_file_is_private_hashed_and_reread(tmp_path):
    path = tmp_path / "state" / "credentials.json"
    creds = Credentials(path)
    creds.add_user("alice", "correct horse battery")
    token = creds.create_token("ci")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    text = path.read_text()
    assert "correct horse battery" not in text and token not in text and token[4:] not in text
    assert creds.verify_password("alice", "correct horse battery")
    assert not creds.verify_password("alice", "wrong") and not creds.verify_password("nobody", "correct horse battery")
    assert creds.verify_token(token) == "ci" and creds.verify_token(token + "x") is None and creds.verify_token("") is None
    # another process (the CLI) adds a user: the running service sees it
    Credentials(path).add_user("bob", "another long one")
    assert creds.verify_password("bob", "another long one")
    assert Credentials(path).revoke_token("ci") and creds.verify_token(token) is None
    with pytest.raises(AuthError, match="at least 10"):
        creds.add_user("carol", "short")
    with pytest.raises(AuthError, match="user name"):
        creds.add_user("../x", "long enough password")
    assert json.loads(text)["users"]["alice"]["password"].startswith("scrypt$")


def test_lockout_window_and_expiry(tmp_path):
    now = [1000.0]
    lock = Lockout(SecureDB(tmp_path / "s.db", LOCKOUT_SCHEMA), window_s=60, lock_s=300, clock=lambda: now[0])
    assert not lock.failure("account:a", 3) and not lock.failure("account:a", 3)
    now[0] += 61  # the first two fall out of the window
    assert not lock.failure("account:a", 3) and not lock.failure("account:a", 3)
    assert lock.locked_for("account:a") == 0
    assert lock.failure("account:a", 3)
    assert lock.locked_for("account:a") == 300 and lock.locked_for("account:b") == 0
    now[0] += 299
    assert lock.locked_for("account:a") == pytest.approx(1)
    now[0] += 2
    assert lock.locked_for("account:a") == 0
    lock.failure("account:a", 3)
    lock.success("account:a")
    assert not lock.failure("account:a", 3) and not lock.failure("account:a", 3)


def test_session_cookies_are_signed_and_csrf_bound(tmp_path):
    key = load_or_create_key(tmp_path / "k")
    assert len(key) == 32 and load_or_create_key(tmp_path / "k") == key
    assert stat.S_IMODE(os.stat(tmp_path / "k").st_mode) == 0o600
    signer = SessionSigner(key)
    cookie = signer.sign("abc")
    assert signer.unsign(cookie) == "abc"
    assert signer.unsign(cookie[:-1] + ("0" if cookie[-1] != "0" else "1")) is None
    assert SessionSigner(b"k" * 32).unsign(cookie) is None  # another key
    assert signer.unsign(None) is None and signer.unsign("é.é") is None and signer.unsign("a.b.c") is None
    token = signer.csrf_token("session:abc")
    assert signer.check_csrf("session:abc", token)
    assert not signer.check_csrf("session:abc", "") and not signer.check_csrf("session:other", token)
    assert not signer.check_csrf(None, token) and not signer.check_csrf("session:abc", "é")
    fp = signer.fingerprint("scrypt$16384$8$1$salt$hash")
    assert fp != signer.fingerprint("scrypt$16384$8$1$salt$hasH") and "hash" not in fp
