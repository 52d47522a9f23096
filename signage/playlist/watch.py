"""Picking up playlist changes on the fly, off the render thread.

``PlaylistWatcher`` looks at the playlist path every ``interval_s`` on its own thread. The
path may be a symbolic link (the admin service's active-version pointer): it is resolved
each time, so a switched link is a new playlist, and assets are found beside the real
file. When the file, its target or one of the files it uses has changed, it is loaded
again; ``ActivePlaylist`` swaps it in only if it is fully valid. A refused update is
logged once (with every error) and the playlist in use plays on.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from pathlib import Path

from signage.periodic import Periodic
from signage.playlist.loader import ActivePlaylist, LoadedPlaylist, PlaylistError

log = logging.getLogger(__name__)


def _stat(path: Path) -> tuple | None:
    try:
        st = path.stat()
    except OSError:
        return None
    return (st.st_size, st.st_mtime_ns, st.st_ino)


class PlaylistWatcher:
    def __init__(self, path: str | os.PathLike[str], active: ActivePlaylist, *, interval_s: float = 2.0,
                 on_error: Callable[[PlaylistError], None] | None = None) -> None:
        self.path = Path(path)
        self.active = active
        self.interval_s = interval_s
        self._on_error = on_error
        self._fingerprint: tuple | None = None
        self._last_error: str | None = None
        self._thread = Periodic(interval_s, self.check, "playlist watcher")
        self.last_error: PlaylistError | None = None

    def fingerprint(self) -> tuple:
        """What changes when the playlist or anything it uses changes."""
        real = self.path.resolve()
        parts: list = [str(real), _stat(real)]
        cur = self.active.current
        if cur is not None:
            parts += [(str(a.path), _stat(a.path)) for a in cur.assets.values()]
        return tuple(parts)

    def check(self) -> LoadedPlaylist | None:
        """Look once; the new playlist if one was swapped in, else None."""
        fp = self.fingerprint()
        if fp == self._fingerprint:
            return None
        self._fingerprint = fp
        result = self.active.try_replace(self.path.resolve())
        if not result.ok:
            text = result.error.format() if result.error else "unknown error"
            if text != self._last_error:
                keeping = f"; still playing {self.active.current.playlist.name!r}" if self.active.current else ""
                log.error("playlist update refused%s:\n%s", keeping, text)
                self._last_error = text
            self.last_error = result.error
            if self._on_error and result.error:
                self._on_error(result.error)
            return None
        self._last_error = None
        self.last_error = None
        if result.changed and result.loaded is not None:
            self._fingerprint = self.fingerprint()  # now with the new playlist's assets
            log.info("playlist %r (%s) in use, version %d", result.loaded.playlist.name, result.loaded.path,
                     self.active.version)
            for w in result.loaded.warnings:
                log.warning("playlist warning: %s", w.format(str(result.loaded.path)))
            return result.loaded
        return None

    def start(self) -> PlaylistWatcher:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._thread.stop()
