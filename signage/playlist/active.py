"""The playlist in use: ``ActivePlaylist`` swaps in a new one only when it loads fully, in
one reference assignment, so that readers see the old or the new, never a mix.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from signage.config import PlaylistLimits
from signage.playlist.assets import Limits
from signage.playlist.errors import PlaylistError
from signage.playlist.loaded import LoadedPlaylist
from signage.playlist.loader import load_playlist


@dataclass(frozen=True)
class ReplaceResult:
    ok: bool  # the new playlist is in use (or was already)
    changed: bool  # the playlist in use changed
    loaded: LoadedPlaylist | None
    error: PlaylistError | None = None


class ActivePlaylist:
    """The playlist in use. Readers take ``current`` (one reference, never half-built);
    ``try_replace`` swaps in a new one only if it loads without a single error."""

    def __init__(self, limits: PlaylistLimits | Limits | None = None, loaded: LoadedPlaylist | None = None) -> None:
        self._limits = limits
        self._current = loaded
        self._version = 1 if loaded is not None else 0
        self._lock = threading.Lock()

    @property
    def current(self) -> LoadedPlaylist | None:
        return self._current

    @property
    def version(self) -> int:
        return self._version

    def try_replace(self, path: str | Path, **kwargs: Any) -> ReplaceResult:
        with self._lock:
            try:
                loaded = load_playlist(path, self._limits, **kwargs)
            except PlaylistError as exc:
                return ReplaceResult(ok=False, changed=False, loaded=self._current, error=exc)
            cur = self._current
            if cur is not None and cur.digest == loaded.digest and cur.path == loaded.path:
                return ReplaceResult(ok=True, changed=False, loaded=cur)
            self._current = loaded
            self._version += 1
            return ReplaceResult(ok=True, changed=True, loaded=loaded)
