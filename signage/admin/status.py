"""The player's live status for the dashboard: read defensively, numbers and words only.

The player writes a small JSON status file (``signage/health.py``). The admin service
only reads it; a missing, unreadable or half-written file is "no status". Whatever the
file holds, only scalars (and one level of mappings or short lists of scalars) are passed
on, short strings only, and never a key that could carry a picture.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import time
from pathlib import Path
from typing import Any

__all__ = ["default_status_path", "pid_alive", "player_view", "read_player_status", "sanitize"]

_PICTURE_WORDS = ("image", "frame", "jpeg", "jpg", "png", "thumbnail", "picture", "photo", "pixels", "landmark", "base64")
MAX_STRING = 200
STALE_S = 30.0


def _scalar(v: Any) -> bool:
    return v is None or isinstance(v, (bool, int, float)) or (isinstance(v, str) and len(v) <= MAX_STRING)


def _allowed_key(k: Any) -> bool:
    return isinstance(k, str) and len(k) <= 64 and not any(w in k.lower() for w in _PICTURE_WORDS)


def sanitize(data: Any, depth: int = 0) -> dict[str, Any]:
    """Keep scalars, and mappings / short lists of scalars one level down."""
    if not isinstance(data, dict):
        return {}
    out: dict[str, Any] = {}
    for k, v in data.items():
        if not _allowed_key(k):
            continue
        if _scalar(v):
            out[k] = v
        elif isinstance(v, dict) and depth < 2:
            out[k] = sanitize(v, depth + 1)
        elif isinstance(v, list) and len(v) <= 20 and all(_scalar(x) for x in v):
            out[k] = v
    return out


def default_status_path(settings: Any) -> Path | None:
    """admin.status_file, else the player's own default (signage.health), else None."""
    if settings.admin.status_file:
        return Path(settings.admin.status_file).expanduser()
    try:
        from signage import health  # written by the player side; may not be there
    except ImportError:
        return None
    for getter in ("status_path", "default_status_path"):
        fn = getattr(health, getter, None)
        if callable(fn):
            try:
                return Path(fn(settings)).expanduser()
            except Exception:  # noqa: BLE001 - an unexpected signature: no status
                return None
    for attr in ("STATUS_PATH", "DEFAULT_STATUS_PATH"):
        if getattr(health, attr, None):
            return Path(getattr(health, attr)).expanduser()
    return None


def read_player_status(path: Path | None, stale_after_s: float = STALE_S) -> dict[str, Any] | None:
    """The status as a sanitised dict, with ``age_s`` and ``stale``; None when there is none."""
    if path is None:
        return None
    try:
        st = path.stat()
        if st.st_size > 256 * 1024:
            return None
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    out = sanitize(data)
    age = max(0.0, time.time() - st.st_mtime)
    out["age_s"] = round(age, 1)
    out["stale"] = age > stale_after_s
    return out


def pid_alive(pid: Any) -> bool | None:
    """Whether a process with this id exists (None: cannot tell)."""
    if not isinstance(pid, int) or isinstance(pid, bool) or pid <= 0:
        return None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's (the player runs as another user): it exists
    except OSError:
        return None
    return True


def _same_file(a: str, b: Path) -> bool:
    try:
        return bool(a) and os.path.realpath(Path(a).expanduser().parent) == os.path.realpath(b.parent) \
            and Path(a).name == b.name
    except (OSError, ValueError):
        return False


def _activated_age(store: Any, now: float) -> float | None:
    log = store.activations()
    if not log:
        return None
    try:
        at = dt.datetime.fromisoformat(str(log[-1].get("at"))).timestamp()
    except ValueError:
        return None
    return max(0.0, now - at - 1.0)  # the log has whole seconds: never judge too early


def player_view(settings: Any, store: Any, path: Path | None, now: float | None = None) -> dict[str, Any]:
    """The player's status (sanitised), whether it follows the active version, and the status
    in words: what ``/api/status`` and the dashboard show."""
    from signage.admin.following import judge
    from signage.admin.wording import human_status
    from signage.run_options import DEMO_PLAYLIST

    now = time.time() if now is None else now
    doc = read_player_status(path, settings.health.stale_after_s)
    follows = bool(doc) and _same_file(str(doc.get("playlist_watched") or ""), store.active_playlist)
    f = judge(doc, active=store.active_id(), versions_dir=os.path.realpath(store.versions_dir),
              demo_file=os.path.realpath(DEMO_PLAYLIST), follows=follows,
              activated_age_s=_activated_age(store, now), grace_s=settings.admin.follow_grace_s,
              stale_after_s=settings.health.stale_after_s, pid_alive=pid_alive(doc.get("pid")) if doc else None)
    return {"player": doc, "following": f.to_json(),
            "in_words": [{"label": k, "text": v} for k, v in human_status(doc)]}
