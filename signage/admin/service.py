"""What the pages and the API both do, in one place: the admin service's state and operations."""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from signage.admin.auth import Credentials, Lockout, SessionSigner, load_or_create_key
from signage.admin.drafts import Drafts
from signage.admin.following import Following, activation_message
from signage.admin.intake import Intake, summary_text
from signage.admin.sim_queue import SimulationQueue, simulation_queue
from signage.admin.simulation import brief
from signage.admin.status import default_status_path, player_view
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
    simulations: SimulationQueue | None = None  # each upload's simulations, in a bounded worker

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
            simulations=simulation_queue(settings, store),
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
        return self._simulate(self.intake.from_zip(fileobj, by=by, source=f"zip {filename}".strip()))

    def commit_draft(self, draft_id: str, by: str) -> Version:
        return self._simulate(self.intake.from_folder(self.drafts.path(draft_id), by=by, source=f"draft {draft_id}"))

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
