"""Campaign / line ids for the exports, resolved from the playlist version each play was
played from (docs/exports.md, "Campaign ids").

A play row names its playlist and the playlist's version (the loader's digest of the file
and of its creatives' files). The exports read the playlists they are pointed at, or by
default the player's playlist and every version in the admin's content folder, and take
the campaign of a play from the very version it was played from: its rule's
``campaign_id``, else its creative's. A play whose version is not among them gets no
campaign id (an empty cell), never one guessed from another version; the command says
how many and which versions are missing. This module wires ``playlist`` to ``analytics``
(which do not import each other).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from signage.playlist.loader import PlaylistError, load_playlist
from signage.playlist.schema import Playlist


class CampaignIndex:
    """Callable (playlist, version, rule_id, creative_id) -> campaign id or None."""

    def __init__(self, playlists: dict[str, Playlist]) -> None:
        self.by_version = playlists
        self.missing: dict[tuple[str | None, str | None], set[str]] = {}  # (playlist, version) -> play keys

    def __call__(self, playlist: str | None, version: str | None, rule_id: str | None, creative_id: str) -> str | None:
        found = self.by_version.get(version or "")
        if found is None or (playlist is not None and found.name != playlist):
            self.missing.setdefault((playlist, version), set()).add(f"{rule_id}\0{creative_id}")
            return None
        return found.campaign_id(rule_id, creative_id)

    def uses_campaigns(self) -> bool:
        return any(c.campaign_id for p in self.by_version.values() for c in [*p.creatives, *p.rules])


def candidates(explicit: Iterable[str], player_playlist: str, content_dir: str | Path, demo: Path) -> list[Path]:
    """The playlist files to read: those named, else the player's (or the demo) and every
    version in the content folder."""
    named = [Path(p) for p in explicit]
    if named:
        return named
    out = [Path(player_playlist).expanduser() if player_playlist else demo]
    versions = Path(content_dir).expanduser() / "versions"
    if versions.is_dir():
        out += sorted(versions.glob("*/playlist.yaml"))
    return out


def build_index(paths: Iterable[Path], limits=None) -> tuple[CampaignIndex, list[str]]:
    """The index of the playlists that load, and one line per file that does not."""
    found: dict[str, Playlist] = {}
    problems = []
    for path in paths:
        try:
            loaded = load_playlist(path, limits=limits)
        except PlaylistError as exc:
            problems.append(exc.format().splitlines()[0])
            continue
        except OSError as exc:  # pragma: no cover - the loader reports its own file errors
            problems.append(f"{path}: {exc}")
            continue
        found[loaded.digest] = loaded.playlist
    return CampaignIndex(found), problems


def index_for(explicit: Iterable[str], settings) -> tuple[CampaignIndex, list[str]]:
    """The index ``signage report --format adlog`` uses (see ``candidates``)."""
    from signage.run_options import DEMO_PLAYLIST

    paths = candidates(explicit, settings.player.playlist, settings.admin.data_dir, DEMO_PLAYLIST)
    return build_index(paths, settings.playlist)


class LiveIndex:
    """The kiosk's campaign lookup for the fleet agent (each play sent carries its campaign id,
    as the kiosk's own export would write it): ``index_for`` built when first asked, and again
    when a play names a version not in it and the playlist files have changed since (a version
    activated since: its first play already finds it). The files are looked at at most once per
    ``check_s``. Never raises: a lookup that cannot be made is None, as in the export."""

    def __init__(self, settings, *, check_s: float = 1.0, clock=None) -> None:
        import time

        self._settings = settings
        self._check_s = check_s
        self._clock = clock or time.monotonic
        self._index: CampaignIndex | None = None
        self._signature: tuple = ()
        self._checked = float("-inf")

    def _paths(self) -> list[Path]:
        from signage.run_options import DEMO_PLAYLIST

        s = self._settings
        return candidates((), s.player.playlist, s.admin.data_dir, DEMO_PLAYLIST)

    @staticmethod
    def _sign(paths: list[Path]) -> tuple:
        out = []
        for p in paths:
            try:
                st = p.stat()
                out.append((str(p), st.st_mtime_ns, st.st_size))
            except OSError:
                out.append((str(p), None, None))
        return tuple(out)

    def _refresh(self) -> None:
        now = self._clock()
        if self._index is not None and now - self._checked < self._check_s:
            return
        self._checked = now
        try:
            paths = self._paths()
            signature = self._sign(paths)
            if self._index is not None and signature == self._signature:
                return
            self._index, _problems = build_index(paths, self._settings.playlist)
            self._signature = signature
        except Exception:  # noqa: BLE001 - a lookup that cannot be made is None, never a lost play
            self._index = self._index or CampaignIndex({})

    def __call__(self, playlist: str | None, version: str | None, rule_id: str | None, creative_id: str) -> str | None:
        if self._index is None or (version or "") not in self._index.by_version:
            self._refresh()
        found = self._index.by_version.get(version or "") if self._index is not None else None
        if found is None or (playlist is not None and found.name != playlist):
            return None
        return found.campaign_id(rule_id, creative_id)
