"""Who may do what in the admin service: pure rules (no I/O), one place for every route.

Two roles (docs/admin.md, "Roles"):

- ``operator``: everything (every version, rollback, the player's raw status, every report).
- ``advertiser``: their own content only. They upload bundles and drafts (which become
  versions ``uploaded_by`` them), see and simulate their own versions (previews, timelines,
  delivery), activate their own validated version (so that it plays within seconds; an
  operator may roll back), and read reports and exports restricted to the plays of their
  own versions. They never see another account's version, the raw status facts (only the
  status in words), another advertiser's reports, and they cannot roll back.

A version without ``uploaded_by`` counts as the operators'. A version of another account
is answered exactly like a version that does not exist (404, the same message), so an
advertiser cannot learn that it exists; an action the role may never do is refused with
403 and a message that says so.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
import re
from dataclasses import dataclass
from typing import Any, TypeVar

__all__ = ["ACTIONS", "ADVERTISER", "OPERATOR", "ROLES", "Account", "Refused", "can", "may_see_version",
           "may_see_draft", "redact_versions", "refusal", "status_for", "visible", "check_role"]

OPERATOR = "operator"
ADVERTISER = "advertiser"
ROLES = (OPERATOR, ADVERTISER)

# The closed set of actions a route may ask about.
ACTIONS = frozenset({
    "upload",            # a bundle, or a draft saved as a version
    "drafts",            # make, edit, delete drafts
    "view_version",      # a version's page, previews, timelines, delivery
    "activate",          # make a version the one the player plays
    "rollback",          # activate the version that was active before (whoever's it is)
    "view_status",       # the status in words
    "view_raw_status",   # the player's status facts as the player wrote them
    "view_reports",      # reports and exports (an advertiser's: of their own versions only)
    "view_all_reports",  # reports of every version
    "manage_accounts",   # users and tokens (the CLI only, today)
    "pause",             # pause audience measurement for a passer-by, or resume it (docs/objection.md)
})

_ADVERTISER_ACTIONS = frozenset({"upload", "drafts", "view_version", "activate", "view_status", "view_reports"})

OTHERS_VERSION = "this version belongs to another account"  # said only where existence is no secret (logs)
OPERATORS_ONLY = {
    "rollback": "Only an operator can roll back (it activates whatever was active before, whoever's it is).",
    "view_raw_status": "Only an operator can read the player's raw status; the status in words is on the dashboard.",
    "view_all_reports": "Only an operator can read every account's reports.",
    "manage_accounts": "Only an operator can manage users and tokens.",
    "pause": "Only an operator (the site's staff) can pause or resume audience measurement.",
}


@dataclass(frozen=True)
class Account:
    """Who is asking: the account name versions are recorded under, and its role."""

    name: str
    role: str

    @property
    def operator(self) -> bool:
        return self.role == OPERATOR


class Refused(Exception):
    """An action the role may not do: HTTP 403 with ``message``."""

    def __init__(self, message: str) -> None:
        self.message = message
        super().__init__(message)


def check_role(role: Any) -> str:
    """The role, or ValueError naming the allowed ones."""
    if role not in ROLES:
        raise ValueError(f"role {role!r}: 'operator' or 'advertiser'")
    return role


def can(role: str, action: str) -> bool:
    """Whether the role may ever do the action (an unknown action or role: never)."""
    if action not in ACTIONS:
        raise ValueError(f"unknown action {action!r}")
    if role == OPERATOR:
        return True
    if role == ADVERTISER:
        return action in _ADVERTISER_ACTIONS
    return False


def refusal(role: str, action: str) -> str | None:
    """None when allowed, else the message of the 403."""
    if can(role, action):
        return None
    return OPERATORS_ONLY.get(action, f"A {role} account may not do this ({action}).")


def _owner(uploaded_by: str | None) -> str | None:
    """Whose a version is: its ``uploaded_by``; none recorded (or '?'): the operators'."""
    if not uploaded_by or uploaded_by == "?":
        return None
    return uploaded_by


def may_see_version(account: str, role: str, version_uploaded_by: str | None) -> bool:
    """An operator sees every version; an advertiser only those uploaded by their account."""
    if role == OPERATOR:
        return True
    if role != ADVERTISER or not account:
        return False
    return _owner(version_uploaded_by) == account


def may_see_draft(account: str, role: str, draft_owner: str | None) -> bool:
    """The same rule for drafts (a draft with no owner recorded is the operators')."""
    return may_see_version(account, role, draft_owner)


T = TypeVar("T")


def visible(account: Account, items: Iterable[T], owner_of) -> list[T]:
    """The items (versions, drafts) the account may see, in their order; ``owner_of(item)``
    gives the account that made each."""
    return [i for i in items if may_see_version(account.name, account.role, owner_of(i))]


_VERSION_WORDS = re.compile(r"version (\d{8}-\d{6}-[0-9a-f]{6})(?: \(“[^”]*”\))?")


def redact_versions(text: str, keep: str | None) -> str:
    """The text with every version named in it but ``keep`` said as "another version" (its id
    and name gone): what an advertiser reads of a message about what the player plays."""
    return _VERSION_WORDS.sub(lambda m: m.group(0) if m.group(1) == keep else "another version", text)


def status_for(account: Account, status: Mapping[str, Any], active_owner: str | None) -> dict[str, Any]:
    """The status an account may read. An operator: all of it. An advertiser: the status in
    words; the active version and whether the player follows it only when that version is
    theirs (otherwise neither its id nor its player's facts)."""
    if account.operator:
        return dict(status)
    own = status.get("active") is not None and may_see_version(account.name, account.role, active_owner)
    following = dict(status.get("following") or {})
    if own:
        for k in ("message", "plays"):
            following[k] = redact_versions(str(following.get(k) or ""), status.get("active"))
    else:
        following = {"level": "idle", "plays": "", "follows_link": bool(following.get("follows_link")),
                     "running": bool(following.get("running")),
                     "message": "Another account's version is active: none of yours is playing."
                     if status.get("active") else "No version is active yet."}
    return {"active": status.get("active") if own else None, "in_words": list(status.get("in_words") or []),
            "following": dict(following), "active_is_yours": own,
            "others_active": status.get("active") is not None and not own}
