"""A kiosk with no playlist it may play: a built-in playlist that never plays anything.

With ``player.demo_fallback = false`` and the playlist missing or invalid, the player runs
this one instead of the bundled demo: its campaign ended long ago, so the engine decides
"idle" at every check, the screen shows its idle slate (with the words of ``SLATE``, and the
privacy notice while the camera is on) and no play is recorded. The playlist watcher swaps
the real playlist in as soon as it is valid, as it would any update.
"""

from __future__ import annotations

from pathlib import Path

from signage.playlist.loader import LoadedPlaylist
from signage.playlist.schema import Playlist

NAME = "(no playlist)"
# What passers-by read: neutral, no path, no error (those are in the log and `signage status`).
SLATE = ("No playlist", "This screen is waiting for its content.")


def no_playlist() -> LoadedPlaylist:
    playlist = Playlist.model_validate({
        "name": NAME,
        "campaign": {"from": "2000-01-01", "to": "2000-01-01"},  # over: nothing is ever eligible
        "creatives": [{"id": "no-playlist", "type": "text", "headline": SLATE[0]}],
        "loop": ["no-playlist"],
        "recheck": 3600,
    })
    return LoadedPlaylist(playlist=playlist, path=Path("/dev/null"), digest="no-playlist")


def is_slate(loaded: LoadedPlaylist | None) -> bool:
    return loaded is not None and loaded.digest == "no-playlist" and loaded.playlist.name == NAME
