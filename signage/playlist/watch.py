"""Picking up playlist changes on the fly, off the render thread.

``PlaylistWatcher`` looks at the playlist path every ``interval_s`` on its own thread. The
path may be a symbolic link (the admin service's active-version pointer): it is resolved
once each look, and that resolved file is what is compared and loaded, so a switched link
is a new playlist, and assets are found beside the real file. When the file, its target
or one of the files it uses has changed, it is loaded again; ``ActivePlaylist`` swaps it in
only if it is fully valid. A refused update is logged once (with every error) and the
playlist in use plays on.

A load that fails while the link was switched under it (an activation, and the old version
then removed by the admin service's clean-up) is no refusal: the watcher looks again at
what is active now. Only a playlist that is still the active one when it fails is refused.
What could not be loaded at start (``started_with``, reported by the player already) is not
reported again as a refused update.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from pathlib import Path

from signage.periodic import Periodic
from signage.playlist.active import ActivePlaylist
from signage.playlist.loader import LoadedPlaylist, PlaylistError

log = logging.getLogger(__name__)


def _stat(path: Path) -> tuple | None:
    try:
        st = path.stat()
    except OSError:
        return None
    return (st.st_size, st.st_mtime_ns, st.st_ino)


class PlaylistWatcher:
    MAX_LOOKS = 5  # the link switched under each of this many loads in a row: the next look decides

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

    def started_with(self, error: PlaylistError | None) -> None:
        """Why the playlist could not be loaded at start (already reported by the caller): the
        same error at the first look is not a refused update and is not logged again."""
        self.last_error = error
        self._last_error = error.format() if error else None

    def fingerprint(self, real: Path | None = None) -> tuple:
        """What changes when the playlist (``real``: its resolved path) or anything it uses changes."""
        real = self.path.resolve() if real is None else real
        parts: list = [str(real), _stat(real)]
        cur = self.active.current
        if cur is not None:
            parts += [(str(a.path), _stat(a.path)) for a in cur.assets.values()]
        return tuple(parts)

    def check(self) -> LoadedPlaylist | None:
        """Look once; the new playlist if one was swapped in, else None."""
        for _ in range(self.MAX_LOOKS):
            real = self.path.resolve()  # once: what is compared is what is loaded
            fp = self.fingerprint(real)
            if fp == self._fingerprint:
                return None
            result = self.active.try_replace(real)
            if result.ok or self.path.resolve() == real:
                break
            log.debug("playlist %s: switched to another version while %s was read; looking again", self.path, real)
        else:
            return None  # switched under every look: nothing refused, the next look decides
        self._fingerprint = fp
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
            self._fingerprint = self.fingerprint(real)  # now with the new playlist's assets
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
