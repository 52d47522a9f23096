"""What the pages and the API both do, in one place: the admin service's state and operations."""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from signage.admin.auth import Credentials, Lockout, SessionSigner, load_or_create_key
from signage.admin.drafts import Drafts
from signage.admin.intake import Intake, summary_text
from signage.admin.status import default_status_path, read_player_status
from signage.admin.zipcheck import BundleRefused
from signage.config import Settings
from signage.content_store import ContentStore, Version

__all__ = ["AdminService", "Locked"]


class Locked(Exception):
    """Too many failures: the account or the client is locked for ``seconds``."""

    def __init__(self, what: str, seconds: float) -> None:
        self.what = what
        self.seconds = math.ceil(seconds)
        super().__init__(f"too many failed attempts for this {what}: try again in {self.seconds} s")


@dataclass
class AdminService:
    settings: Settings
    store: ContentStore
    intake: Intake
    drafts: Drafts
    credentials: Credentials
    lockout: Lockout
    sessions: SessionSigner

    @classmethod
    def from_settings(cls, settings: Settings) -> AdminService:
        a = settings.admin
        store = ContentStore(a.data_dir)
        return cls(
            settings=settings,
            store=store,
            intake=Intake(store, a, settings.playlist),
            drafts=Drafts(store.root / "drafts", store.tmp_dir),
            credentials=Credentials(a.credentials_file),
            lockout=Lockout(a.lockout_window_s, a.lockout_s),
            sessions=SessionSigner(load_or_create_key(a.secret_key_file), a.session_lifetime_s),
        )

    # --------------------------------------------------------------- authentication

    def check_client(self, client: str) -> None:
        left = self.lockout.locked_for(f"client:{client}")
        if left:
            raise Locked("client address", left)

    def login(self, user: str, password: str, client: str) -> bool:
        """True when the password is right; ``Locked`` when the client or account is locked."""
        self.check_client(client)
        left = self.lockout.locked_for(f"account:{user}")
        if left:
            raise Locked("account", left)
        if self.credentials.verify_password(user, password):
            self.lockout.success(f"account:{user}")
            return True
        a = self.settings.admin
        self.lockout.failure(f"client:{client}", a.lockout_client_failures)
        self.lockout.failure(f"account:{user}", a.lockout_account_failures)
        return False

    def token_user(self, token: str, client: str) -> str | None:
        """``token:NAME`` for a valid API token; None (a failure counted) otherwise."""
        self.check_client(client)
        name = self.credentials.verify_token(token)
        if name is None:
            self.lockout.failure(f"client:{client}", self.settings.admin.lockout_client_failures)
            return None
        return f"token:{name}"

    # --------------------------------------------------------------- content

    def upload_zip(self, fileobj: BinaryIO, by: str, filename: str = "") -> Version:
        return self.intake.from_zip(fileobj, by=by, source=f"zip {filename}".strip())

    def commit_draft(self, draft_id: str, by: str) -> Version:
        return self.intake.from_folder(self.drafts.path(draft_id), by=by, source=f"draft {draft_id}")

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
        d.pop("simulation", None) if full else None
        if full:
            d["simulations"] = self.store.simulation(v.id) or []
        return d

    def status(self) -> dict[str, Any]:
        return {**self.store.describe(), "player": read_player_status(self.status_path())}

    def status_path(self) -> Path | None:
        return default_status_path(self.settings)
