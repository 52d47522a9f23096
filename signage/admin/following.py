"""Does the player play what the admin service made active? (pure judgement, no I/O)

The player's status file says which file it plays (``playlist_file``, the real file behind
the link) and which path it follows (``playlist_watched``); its ``pid`` and its age say
whether it runs. ``judge`` compares that with the active version:

- ``ok``: the player plays the active version;
- ``pending``: a version was activated less than ``grace_s`` ago and the player has not taken
  it yet, but it follows the active link (it takes it at its next look);
- ``warning``: anything else while a version is active — the player plays another playlist
  (configured elsewhere, the demo, the "no playlist" slate), or it is stopped, or its status
  is stale — with what it plays instead;
- ``idle``: nothing is active yet.

The messages name versions and file names, never a server path.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import PurePath
from typing import Any

from signage.admin.wording import duration_words, no_paths

__all__ = ["Following", "activation_message", "judge", "what_plays"]

SLATE_FILE = "/dev/null"


@dataclass(frozen=True)
class Following:
    level: str  # ok | pending | warning | idle
    message: str
    plays: str  # what the player plays, in words ("" when unknown)
    follows_link: bool  # the player follows the admin's active link
    running: bool  # the player runs and its status is fresh

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def _version_of(playlist_file: str, versions_dir: str) -> str | None:
    p = PurePath(playlist_file)
    if p.name == "playlist.yaml" and str(p.parent.parent) == versions_dir:
        return p.parent.name
    return None


def what_plays(doc: dict[str, Any], versions_dir: str, demo_file: str) -> tuple[str | None, str]:
    """(the version id it plays or None, what it plays in words)."""
    f = str(doc.get("playlist_file") or "")
    name = doc.get("playlist") or ""
    vid = _version_of(f, versions_dir) if f else None
    if vid:
        return vid, f"version {vid} (“{name}”)" if name else f"version {vid}"
    if f == SLATE_FILE:
        return None, "the “no playlist” slate"
    if f and f == demo_file:
        return None, "the bundled demo"
    if f:
        return None, f"another playlist, {PurePath(f).name} (“{name}”), not the admin service's content"
    return None, f"“{name}”" if name else "an unknown playlist (the player does not say which file)"


def judge(doc: dict[str, Any] | None, *, active: str | None, versions_dir: str, demo_file: str, follows: bool,
          activated_age_s: float | None, grace_s: float, stale_after_s: float, pid_alive: bool | None) -> Following:
    """Compare the player's status with the active version (see the module's docstring).

    ``follows``: the path the player watches (``playlist_watched``) is the active link;
    ``activated_age_s``: seconds since the last activation (None: unknown); ``pid_alive``:
    whether the player's process exists (None: cannot tell)."""
    if doc is None:
        msg = ("The player has not written a status: it is not running, or it writes it elsewhere "
               "(health.status_file of the player, admin.status_file here).")
        return Following("warning" if active else "idle", msg, "", False, False)
    watched = str(doc.get("playlist_watched") or "")
    vid, plays = what_plays(doc, versions_dir, demo_file)
    age = float(doc.get("age_s") or 0.0)
    if pid_alive is False:
        return Following("warning", f"The player is stopped (its last status is {duration_words(age, 1)} old); "
                                    f"it last played {plays}.", plays, follows, False)
    if age > stale_after_s:
        return Following("warning", f"The player's status is {duration_words(age, 1)} old: it is stopped or stuck; "
                                    f"it last played {plays}.", plays, follows, False)
    if not active:
        return Following("idle", f"Nothing is active yet; the player plays {plays}.", plays, follows, True)
    if vid == active:
        return Following("ok", f"The player plays the active version {active}.", plays, follows, True)
    if follows and activated_age_s is not None and activated_age_s <= grace_s:
        return Following("pending", f"Version {active} is active; the player takes it at its next look "
                                    f"(it plays {plays} until then).", plays, follows, True)
    why = ""
    if not follows:
        why = (" Its player.playlist is set to another file: leave it empty (it then follows the admin service) "
               "or set it to the content folder's active/playlist.yaml.") if watched else \
              " It does not follow the admin service's active version."
    problem = doc.get("playlist_problem")
    if problem:
        why += f" The player says: {no_paths(problem)}."
    return Following("warning", f"The player does NOT play the active version {active}: it plays {plays}.{why}",
                     plays, follows, True)


def activation_message(f: Following, version: str, watch_interval_s: float, verb: str = "Activated") -> str:
    """What the page says right after *Activate*: "within seconds" only when it is true."""
    if f.level == "ok":
        return f"{verb}: the player plays {version}."
    if f.follows_link and f.running:
        return (f"{verb}: the player follows the active version and takes it within seconds, at its next look "
                f"(every {watch_interval_s:g} s).")
    return f"{verb} {version}, but the player will not show it: {f.message}"
