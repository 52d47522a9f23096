"""What the pages and the API both do, in one place: the admin service's state and operations."""

from __future__ import annotations

import math
import sqlite3
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from signage.admin.audit import AuditLog, attempted_name
from signage.admin.auth import Credentials, SessionSigner, load_or_create_key
from signage.admin.lockouts import LOCKOUT_SCHEMA, Lockout, account_key, client_key
from signage.admin.securedb import SecureDB, db_beside
from signage.admin.sessions import SESSION_SCHEMA, Sessions
from signage.admin.drafts import Drafts
from signage.admin.following import Following, activation_message
from signage.admin.intake import Intake, summary_text
from signage.admin.sim_queue import SimulationQueue, simulation_queue
from signage.admin.simulation import brief
from signage.admin.status import default_status_path, player_view
from signage.admin.zipcheck import BundleRefused
from signage.config import Settings
from signage.content_store import ContentStore, Version

__all__ = ["AdminService", "AuditedStore", "Locked"]

LOCKED = {"account": "too many failed logins for this account",
          "client": "too many failed attempts from this client address"}


class Locked(Exception):
    """Too many failures: the account or the client is locked for ``seconds``."""

    def __init__(self, what: str, seconds: float) -> None:
        self.what = what  # "account" or "client"
        self.seconds = math.ceil(seconds)
        super().__init__(f"{LOCKED[what]}: try again in {self.seconds} s")


class AuditedStore(ContentStore):
    """The content store, whose activations and rollbacks go to the audit log (whoever asks:
    the pages or the API)."""

    def __init__(self, root, audit: AuditLog) -> None:
        super().__init__(root)
        self.audit = audit
        self._rolling = threading.local()

    def activate(self, version_id: str, by: str = "", **kw: Any) -> Version:
        v = super().activate(version_id, by, **kw)
        if not getattr(self._rolling, "on", False):
            self.audit.record("version.activated", account=by, outcome="ok", detail=v.id)
        return v

    def rollback(self, by: str = "") -> Version:
        self._rolling.on = True
        try:
            v = super().rollback(by)
        finally:
            self._rolling.on = False
        self.audit.record("version.rolledback", account=by, outcome="ok", detail=v.id)
        return v


@dataclass
class AdminService:
    settings: Settings
    store: ContentStore
    intake: Intake
    drafts: Drafts
    credentials: Credentials
    lockout: Lockout
    sessions: Sessions
    audit: AuditLog
    simulations: SimulationQueue | None = None  # each upload's simulations, in a bounded worker

    @classmethod
    def from_settings(cls, settings: Settings) -> AdminService:
        a = settings.admin
        audit = audit_log(settings)
        store = AuditedStore(a.data_dir, audit)
        credentials = Credentials(a.credentials_file)
        db = security_db(settings)
        return cls(
            settings=settings,
            store=store,
            intake=Intake(store, a, settings.playlist),
            drafts=Drafts(store.root / "drafts", store.tmp_dir),
            credentials=credentials,
            lockout=Lockout(db, a.lockout_window_s, a.lockout_s),
            sessions=session_store(settings, credentials, audit, db),
            audit=audit,
            simulations=simulation_queue(settings, store),
        )

    # --------------------------------------------------------------- authentication

    def check_client(self, client: str) -> None:
        left = self.lockout.locked_for(client_key(client))
        if left:
            raise Locked("client", left)

    def login(self, user: str, password: str, client: str) -> bool:
        """True when the password is right; ``Locked`` when the client or account is locked.
        Every outcome is audited, with the account tried and the client address."""
        name = attempted_name(user)
        try:
            self.check_client(client)
            left = self.lockout.locked_for(account_key(user))
            if left:
                raise Locked("account", left)
        except Locked as exc:
            self.audit.record("login.refused", account=name, client=client, outcome="429", detail=str(exc))
            raise
        if self.credentials.verify_password(user, password):
            self.lockout.success(account_key(user))
            self.audit.record("login.ok", account=user, client=client, outcome="ok")
            return True
        known = self.credentials.password_hash(user) is not None
        self.audit.record("login.failed", account=name, client=client, outcome="401",
                          detail="wrong password" if known else "no such user")
        a = self.settings.admin
        self._failure("client", client_key(client), a.lockout_client_failures, client=client)
        self._failure("account", account_key(user), a.lockout_account_failures, account=name, client=client)
        return False

    def _failure(self, what: str, key: str, limit: int, *, client: str, account: str = "") -> None:
        if self.lockout.failure(key, limit):
            self.audit.record("lockout.started", account=account, client=client, outcome=what,
                              detail=f"{LOCKED[what]}: locked for {math.ceil(self.lockout.lock_s)} s")

    def token_user(self, token: str, client: str) -> str | None:
        """``token:NAME`` for a valid API token, even from a locked-out client address (the
        lock-out guards passwords, and a token is not guessable); for a wrong one: ``Locked``
        if the address is locked out, else None with a failure counted against the address."""
        name = self.credentials.verify_token(token)
        if name is not None:
            return f"token:{name}"
        self.check_client(client)
        self._failure("client", client_key(client), self.settings.admin.lockout_client_failures, client=client)
        return None

    # --------------------------------------------------------------- content

    def upload_zip(self, fileobj: BinaryIO, by: str, filename: str = "") -> Version:
        return self._audited(lambda: self.intake.from_zip(fileobj, by=by, source=f"zip {filename}".strip()), by)

    def commit_draft(self, draft_id: str, by: str) -> Version:
        return self._audited(
            lambda: self.intake.from_folder(self.drafts.path(draft_id), by=by, source=f"draft {draft_id}"), by)

    def _audited(self, make, by: str) -> Version:
        """A new version (audited: accepted with its id, or refused with the reason), simulated."""
        try:
            v = make()
        except BundleRefused as exc:
            first = f"; {exc.problems[0].format()}" if exc.problems else ""
            self.audit.record("upload.refused", account=by, outcome="422", detail=exc.headline + first)
            raise
        self.audit.record("upload.accepted", account=by, outcome="ok", detail=v.id)
        return self._simulate(v)

    def _simulate(self, v: Version) -> Version:
        if self.simulations is not None:
            self.simulations.submit(v.id)
        return v

    def simulation_progress(self, version_id: str) -> dict[str, Any]:
        """queued / running (scenario k of n, simulated time reached) / done / none."""
        return self.simulations.progress(version_id) if self.simulations is not None else {"state": "none"}

    def validate_draft(self, draft_id: str) -> dict[str, Any]:
        folder = self.drafts.path(draft_id)
        try:
            loaded, _, _ = self.intake.validate(folder)
        except BundleRefused as exc:
            return {"valid": False, "problems": exc.to_json()}
        return {"valid": True, "problems": [],
                "summary": summary_text(loaded, folder),
                "warnings": [{"line": w.line, "field": w.path, "context": w.context, "message": w.message}
                             for w in loaded.warnings]}

    def version_json(self, v: Version, *, full: bool = False) -> dict[str, Any]:
        d: dict[str, Any] = {"id": v.id, "active": v.id == self.store.active_id(), **v.meta}
        sims = self.store.simulation(v.id)
        d["simulation_state"] = self.simulation_progress(v.id)
        if full:
            d.pop("simulation", None)
            d["simulations"] = sims or []
        elif "simulation" not in d:
            d["simulation"] = brief(sims) if isinstance(sims, list) else []
        return d

    def status(self) -> dict[str, Any]:
        return {**self.store.describe(), **player_view(self.settings, self.store, self.status_path())}

    def activation_message(self, version_id: str, verb: str = "Activated") -> str:
        """Right after *Activate*: "the player takes it within seconds" only when it follows."""
        f = Following(**self.status()["following"])
        return activation_message(f, version_id, self.settings.player.watch_interval_s, verb)

    def status_path(self) -> Path | None:
        return default_status_path(self.settings)


# ------------------------------------------------------------------- the security state (also the CLI's)


def security_db(settings: Settings) -> SecureDB:
    """``sessions.db`` beside the credentials file: sessions and lock-outs; opened now, so
    that a file that cannot be used stops the service at its start with a message (no
    request could be served without it)."""
    db = SecureDB(db_beside(settings.admin.credentials_file, "sessions.db"), SESSION_SCHEMA + LOCKOUT_SCHEMA)
    try:
        db.query("SELECT 1")
    except (sqlite3.Error, OSError) as exc:
        raise ValueError(f"the sessions database {db.path} cannot be used: {exc}") from None
    return db


def audit_log(settings: Settings) -> AuditLog:
    """``audit.db`` beside the credentials file."""
    return AuditLog(db_beside(settings.admin.credentials_file, "audit.db"), settings.admin.audit_retention_days)


def session_store(settings: Settings, credentials: Credentials, audit: AuditLog, db: SecureDB | None = None) -> Sessions:
    a = settings.admin
    return Sessions(db or security_db(settings), SessionSigner(load_or_create_key(a.secret_key_file)), credentials,
                    audit, a.session_lifetime_s)
