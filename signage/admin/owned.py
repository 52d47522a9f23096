"""The versions and drafts an account may see, read from the content folder (the rules are
access.py's). A version or draft of another account is refused with the very message of
one that does not exist, so its existence is not revealed.

A draft's maker is kept beside the drafts, in ``drafts/.owners/<draft id>`` (one line:
the account); a draft with none recorded (made before roles) is the operators'.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from signage.admin.access import Account, may_see_draft, may_see_version, visible
from signage.admin.drafts import DRAFT_ID, DraftError, Drafts
from signage.content_store import ContentStore, StoreError, Version

__all__ = ["active_owner", "draft_for", "draft_owner", "drafts_for", "forget_draft_owner", "record_draft_owner", "version_for", "versions_for"]

OWNERS = ".owners"


def version_for(store: ContentStore, account: Account, version_id: str) -> Version:
    """The version, or ``StoreError("no version ...")`` when there is none or it is not the account's."""
    v = store.get(version_id)
    if not may_see_version(account.name, account.role, v.meta.get("uploaded_by")):
        raise StoreError(f"no version {version_id}")
    return v


def versions_for(store: ContentStore, account: Account) -> list[Version]:
    """The versions the account may see, newest first."""
    return visible(account, store.versions(), lambda v: v.meta.get("uploaded_by"))


def _owner_file(drafts: Drafts, draft_id: str) -> Path:
    return drafts.root / OWNERS / draft_id


def draft_owner(drafts: Drafts, draft_id: str) -> str | None:
    if not isinstance(draft_id, str) or not DRAFT_ID.match(draft_id):
        return None
    try:
        return _owner_file(drafts, draft_id).read_text(encoding="utf-8").strip() or None
    except OSError:
        return None


def record_draft_owner(drafts: Drafts, draft_id: str, account: Account) -> None:
    folder = drafts.root / OWNERS
    folder.mkdir(exist_ok=True)
    tmp = folder / f".{draft_id}.{secrets.token_hex(4)}"
    tmp.write_text(account.name + "\n", encoding="utf-8")
    os.replace(tmp, _owner_file(drafts, draft_id))


def draft_for(drafts: Drafts, account: Account, draft_id: str) -> str:
    """The draft id when it exists and the account may see it; ``DraftError`` as for none."""
    drafts.path(draft_id)  # "not a draft id" / "no draft ..."
    if not may_see_draft(account.name, account.role, draft_owner(drafts, draft_id)):
        raise DraftError(f"no draft {draft_id}")
    return draft_id


def drafts_for(drafts: Drafts, account: Account) -> list[str]:
    return visible(account, drafts.ids(), lambda d: draft_owner(drafts, d))


def forget_draft_owner(drafts: Drafts, draft_id: str) -> None:
    if isinstance(draft_id, str) and DRAFT_ID.match(draft_id):
        _owner_file(drafts, draft_id).unlink(missing_ok=True)


def active_owner(store: ContentStore) -> str | None:
    """Who uploaded the active version (None: no active version, or the operators')."""
    active = store.active_id()
    if active is None:
        return None
    try:
        return store.get(active).meta.get("uploaded_by")
    except StoreError:
        return None
