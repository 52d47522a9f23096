"""The playlist the player starts with: the one asked for when it loads; else the bundled demo
(``player.demo_fallback``) or the "no playlist" slate, with the problem for the status (the
watcher swaps the real one in once it is valid). A playlist file asked for that does not
exist is refused (``NoPlaylist``)."""

from __future__ import annotations

import logging
from pathlib import Path

from signage.config import Settings
from signage.preflight import NoPlaylist
from signage.run_options import DEMO_PLAYLIST, follows_admin

log = logging.getLogger("signage")


def load_first(settings: Settings, path: Path | None, explicit: bool):
    """The playlist to start with, and what is wrong (None: the one asked for plays).

    An explicit playlist file that does not exist is refused (NoPlaylist). One that cannot be
    loaded is replaced by the bundled demo (``player.demo_fallback``) or else by the "no
    playlist" slate; the watcher swaps the real one in once it is valid."""
    from signage.playlist.active import ActivePlaylist
    from signage.slate import no_playlist

    active = ActivePlaylist(settings.playlist)
    if path is None:
        problem = "none configured (player.playlist is empty, player.demo_fallback is false)"
        log.error("no playlist: %s; showing the 'no playlist' slate", problem)
        return ActivePlaylist(settings.playlist, loaded=no_playlist()), None, problem
    if explicit and not path.exists():
        raise NoPlaylist(f"{path}: no such playlist file (nothing played)")
    first = active.try_replace(path.resolve())
    if first.ok:
        return active, first, None
    if not path.exists() and follows_admin(settings, str(path) if explicit else None):
        # following the admin service, nothing activated yet: the default, not a problem
        if settings.player.demo_fallback and active.try_replace(DEMO_PLAYLIST).ok:
            log.info("following the admin service's active version (%s): nothing is active yet; the bundled "
                     "demo plays until a version is activated", path)
            return active, first, None
        problem = f"{path.name}: nothing is active in the admin service yet (upload a version and activate it)"
        log.warning("no playlist: %s; showing the 'no playlist' slate", problem)
        return ActivePlaylist(settings.playlist, loaded=no_playlist()), first, problem
    log.error("%s", first.error.format() if first.error else f"{path}: cannot be loaded")
    # one short line for the status: the file once, then each error ("line 3: rules.0: ...")
    errors = [("line " if p.line else "") + p.format("").lstrip(":").lstrip() for p in first.error.problems] \
        if first.error else ["cannot be loaded"]
    problem = f"{path}: " + "; ".join(errors)
    if settings.player.demo_fallback:
        if path.resolve() == DEMO_PLAYLIST.resolve() or not active.try_replace(DEMO_PLAYLIST).ok:
            raise NoPlaylist(f"{path}: not loaded, and the bundled demo cannot be loaded either")
        log.warning("playing the bundled demo until %s is valid (player.demo_fallback = true)", path)
        return active, first, problem + " (the bundled demo plays instead)"
    log.warning("no playlist: showing the 'no playlist' slate until %s is valid; nothing is recorded as played "
                "(player.demo_fallback = false)", path)
    return ActivePlaylist(settings.playlist, loaded=no_playlist()), first, problem
