"""Which plays a report or an export may count: of one version and one campaign if asked,
and for an advertiser only plays of their own versions (access.py).

A play belongs to a version when it was played from that version's playlist: the play's
``playlist_version`` is the loader's digest of the file and its creatives (the same digest
for two versions of identical content). Its campaign is read from the very version it was
played from (``signage.campaigns``), never guessed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from signage.admin.access import Account
from signage.admin.owned import version_for, versions_for
from signage.admin.reports import ReportUnavailable
from signage.campaigns import CampaignIndex, build_index, candidates
from signage.content_store import ContentStore, StoreError
from signage.playlist.loader import PlaylistError, load_playlist

__all__ = ["Scope", "campaign_index", "scope_for"]


@dataclass(frozen=True)
class Scope:
    """``digests``: plays of these playlist versions only (None: every play); ``campaign``:
    only plays billed to it, resolved with ``index``."""

    digests: frozenset[str] | None = None
    campaign: str | None = None
    index: Any = field(default=None, compare=False)

    def keeps(self, playlist: str | None, version: str | None, rule_id: str | None, creative_id: str) -> bool:
        if self.digests is not None and version not in self.digests:
            return False
        if self.campaign:
            return self.index is not None and self.index(playlist, version, rule_id, creative_id) == self.campaign
        return True


def _digest(v: Any, limits: Any) -> str | None:
    try:
        return load_playlist(v.playlist, limits).digest
    except PlaylistError:
        return None


def campaign_index(settings: Any, store: ContentStore, account: Account) -> CampaignIndex:
    """The index of the playlists whose campaigns the account may see: every one for an
    operator (the player's and every version), their own versions for an advertiser."""
    if account.operator:
        paths = candidates([], settings.player.playlist, store.root, store.root / "none.yaml")
    else:
        paths = [v.playlist for v in versions_for(store, account)]
    index, _ = build_index(paths, settings.playlist)
    return index


def scope_for(settings: Any, store: ContentStore, account: Account, version: str | None = None,
              campaign: str | None = None, *, with_index: bool = False) -> Scope:
    """The scope of a report asked with these filters; a version the account may not see is
    ``ReportUnavailable`` with the message of a version that does not exist. The campaign
    index is built when a campaign is asked or ``with_index`` (the exports' campaign column)."""
    limits = settings.playlist
    digests: frozenset[str] | None = None
    if version:
        try:
            v = version_for(store, account, version)
        except StoreError as exc:
            raise ReportUnavailable(str(exc)) from None
        d = _digest(v, limits)
        if d is None:
            raise ReportUnavailable(f"version {version}: its playlist cannot be read")
        digests = frozenset({d})
    elif not account.operator:
        digests = frozenset(d for d in (_digest(v, limits) for v in versions_for(store, account)) if d)
    index = campaign_index(settings, store, account) if campaign or with_index else None
    return Scope(digests, campaign or None, index)
