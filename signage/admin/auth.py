"""Who may use the admin service: passwords, API tokens, sessions, CSRF, lock-out.

- Passwords are stored as scrypt hashes (``hashlib.scrypt``, random salt); API tokens
  are random 32-byte values, stored as their SHA-256. Both are compared with
  ``hmac.compare_digest``; an unknown user costs the same scrypt as a known one.
- The credentials file is JSON, written atomically with mode 0600, and read again when
  it changes (``signage admin user add`` works while the service runs).
- A session cookie carries a random session id, signed (HMAC-SHA256 with a random key kept
  in its own 0600 file); the session itself is a row on the server (``sessions.py``). The
  CSRF token of a form is an HMAC of that id (or, on the login page, of a random
  pre-session cookie). Lock-outs: ``lockouts.py``.
- Each user has a role, ``operator`` or ``advertiser`` (the rules: access.py); a token acts
  for a user (with the user's role) or has a role of its own. An entry written before roles
  has none: an operator's, so old files keep working.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import re
import secrets
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from signage.admin.access import ADVERTISER, OPERATOR, ROLES

__all__ = ["AuthError", "Credentials", "Session", "SessionSigner", "hash_password", "check_password",
           "hash_token", "load_or_create_key", "NAME"]

NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$")
MIN_PASSWORD = 10
TOKEN_PREFIX = "sgn_"
_SCRYPT = {"n": 2 ** 14, "r": 8, "p": 1}


class AuthError(ValueError):
    """A credential that cannot be created (bad name, short password ...)."""


# ----------------------------------------------------------------------------- hashing (pure)


def _b64(b: bytes) -> str:
    return base64.urlsafe_b64encode(b).decode().rstrip("=")


def _unb64(s: str) -> bytes:
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def hash_password(password: str, salt: bytes | None = None) -> str:
    salt = salt or secrets.token_bytes(16)
    dk = hashlib.scrypt(password.encode("utf-8"), salt=salt, dklen=32, **_SCRYPT)
    return f"scrypt${_SCRYPT['n']}${_SCRYPT['r']}${_SCRYPT['p']}${_b64(salt)}${_b64(dk)}"


def check_password(password: str, stored: str) -> bool:
    try:
        kind, n, r, p, salt, want = stored.split("$")
        if kind != "scrypt":
            return False
        dk = hashlib.scrypt(password.encode("utf-8"), salt=_unb64(salt), dklen=32, n=int(n), r=int(r), p=int(p))
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(dk, _unb64(want))


_DUMMY = hash_password("not a password of anyone", b"0123456789abcdef")


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


# ----------------------------------------------------------------------------- the credentials file


def _write_private(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, path)


def _role(entry: dict[str, Any]) -> str:
    """An entry's role; a file written before roles has none: operator (old files keep working)."""
    role = entry.get("role", OPERATOR)
    return role if role in ROLES else ADVERTISER  # an unknown word never grants more


class Credentials:
    """Users (scrypt password hashes, a role each) and API tokens (SHA-256), in one JSON file."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path).expanduser()
        self._lock = threading.Lock()
        self._stamp: tuple | None = None
        self._data: dict[str, Any] = {"users": {}, "tokens": {}}

    def _load(self) -> dict[str, Any]:
        with self._lock:
            try:
                st = self.path.stat()
                stamp = (st.st_mtime_ns, st.st_size, st.st_ino)
            except FileNotFoundError:
                self._data, self._stamp = {"users": {}, "tokens": {}}, None
                return self._data
            if stamp != self._stamp:
                data = json.loads(self.path.read_text(encoding="utf-8"))
                data.setdefault("users", {})
                data.setdefault("tokens", {})
                self._data, self._stamp = data, stamp
            return self._data

    def _save(self, data: dict[str, Any]) -> None:
        _write_private(self.path, json.dumps(data, indent=2).encode("utf-8"))

    # users
    def add_user(self, name: str, password: str, role: str | None = None) -> None:
        """Add a user or set a user's password; ``role`` None keeps the user's role (a new
        user: operator)."""
        if not NAME.match(name):
            raise AuthError(f"user name {name!r}: letters, digits, '.', '_', '@', '-' (up to 64)")
        if len(password) < MIN_PASSWORD:
            raise AuthError(f"the password must have at least {MIN_PASSWORD} characters")
        if role is not None and role not in ROLES:
            raise AuthError(f"role {role!r}: 'operator' or 'advertiser'")
        data = json.loads(json.dumps(self._load()))
        old = data["users"].get(name) or {}
        data["users"][name] = {"password": hash_password(password), "created": time.time(),
                               "role": role or _role(old)}
        self._save(data)

    def role(self, name: str) -> str | None:
        """The user's role (an entry without one: operator); None for no such user."""
        user = self._load()["users"].get(name) if isinstance(name, str) else None
        return _role(user) if user is not None else None

    def users_with_roles(self) -> list[tuple[str, str]]:
        return [(n, _role(u)) for n, u in sorted(self._load()["users"].items())]

    def _remove(self, kind: str, name: str) -> bool:
        data = json.loads(json.dumps(self._load()))
        found = data[kind].pop(name, None) is not None
        if found:
            self._save(data)
        return found

    def remove_user(self, name: str) -> bool:
        return self._remove("users", name)

    def users(self) -> list[str]:
        return sorted(self._load()["users"])

    def password_hash(self, name: str) -> str | None:
        """The user's stored password hash (read-only; sessions keep a keyed hash of it), None
        when there is no such user."""
        user = self._load()["users"].get(name)
        return str(user.get("password", "")) if isinstance(user, dict) else None

    def verify_password(self, name: str, password: str) -> bool:
        user = self._load()["users"].get(name) if isinstance(name, str) else None
        stored = user["password"] if user else _DUMMY
        ok = check_password(password, stored)
        return ok and user is not None

    # tokens
    def create_token(self, name: str, role: str | None = None, user: str | None = None) -> str:
        """A new API token named ``name``; the token itself is returned once and never stored.
        A token acts for ``user`` (with that user's role, looked up at each request) or, with
        no user, as the account ``token:NAME`` with ``role`` (default operator)."""
        if not NAME.match(name):
            raise AuthError(f"token name {name!r}: letters, digits, '.', '_', '@', '-' (up to 64)")
        if role is not None and role not in ROLES:
            raise AuthError(f"role {role!r}: 'operator' or 'advertiser'")
        if user is not None and role is not None:
            raise AuthError("a token acts for a user (with the user's role) or has a role of its own, not both")
        data = json.loads(json.dumps(self._load()))
        if user is not None and user not in data["users"]:
            raise AuthError(f"no user {user!r}: add the user first")
        token = TOKEN_PREFIX + _b64(secrets.token_bytes(32))
        entry: dict[str, Any] = {"sha256": hash_token(token), "created": time.time()}
        entry.update({"user": user} if user is not None else {"role": role or OPERATOR})
        data["tokens"][name] = entry
        self._save(data)
        return token

    def token_account(self, name: str) -> tuple[str, str] | None:
        """(account, role) a token acts as: its user's, or ``token:NAME`` with its own role
        (a token made before roles: operator); None when the token or its user is gone."""
        t = self._load()["tokens"].get(name) if isinstance(name, str) else None
        if t is None:
            return None
        user = t.get("user")
        if user is not None:
            role = self.role(str(user))
            return (str(user), role) if role is not None else None
        return f"token:{name}", _role(t)

    def tokens_with_roles(self) -> list[tuple[str, str]]:
        out = []
        for n, t in sorted(self._load()["tokens"].items()):
            out.append((n, f"user {t['user']}" if t.get("user") is not None else _role(t)))
        return out

    def revoke_token(self, name: str) -> bool:
        return self._remove("tokens", name)

    def tokens(self) -> list[str]:
        return sorted(self._load()["tokens"])

    def verify_token(self, token: str) -> str | None:
        """The token's name, or None. Every stored hash is compared (in constant time)."""
        digest = hash_token(token or "")
        found = None
        for name, t in self._load()["tokens"].items():
            if hmac.compare_digest(digest, str(t.get("sha256", ""))):
                found = name
        return found


# ----------------------------------------------------------------------------- sessions and CSRF


def load_or_create_key(path: str | os.PathLike[str]) -> bytes:
    """The 32-byte key that signs cookies; made (0600) the first time."""
    p = Path(path).expanduser()
    try:
        key = p.read_bytes()
        if len(key) >= 32:
            return key
    except FileNotFoundError:
        pass
    key = secrets.token_bytes(32)
    _write_private(p, key)
    return key


@dataclass(frozen=True)
class Session:
    user: str
    sid: str
    expires: float


class SessionSigner:
    """Signs what a session cookie carries (its random id) and the CSRF tokens, with the key
    of ``secret_key_file``. Whether a session is alive is the session store's business
    (``sessions.Sessions``): the signature only proves the id came from this service."""

    def __init__(self, key: bytes) -> None:
        self._key = key

    def _mac(self, purpose: str, payload: str) -> str:
        return hmac.new(self._key, f"{purpose}|{payload}".encode(), hashlib.sha256).hexdigest()

    def sign(self, sid: str) -> str:
        payload = _b64(json.dumps({"s": sid}).encode())
        return f"{payload}.{self._mac('session', payload)}"

    def unsign(self, cookie: str | None) -> str | None:
        """The session id of a cookie this service signed; None for anything else."""
        if not cookie or cookie.count(".") != 1:
            return None
        payload, mac = cookie.split(".")
        if not hmac.compare_digest(mac.encode("utf-8", "replace"), self._mac("session", payload).encode()):
            return None
        try:
            sid = json.loads(_unb64(payload))["s"]
        except (ValueError, KeyError, TypeError):
            return None
        return sid if isinstance(sid, str) and sid else None

    def fingerprint(self, stored_hash: str) -> str:
        """A keyed hash of a user's stored password hash: changes when the password does,
        and tells nothing about the hash itself."""
        return self._mac("password", stored_hash)

    def csrf_token(self, binding: str) -> str:
        """The token forms carry: bound to the session id (or the pre-session cookie)."""
        return self._mac("csrf", binding)

    def check_csrf(self, binding: str | None, token: str | None) -> bool:
        if not binding or not token:
            return False
        return hmac.compare_digest(self.csrf_token(binding).encode(), token.encode("utf-8", "replace"))
