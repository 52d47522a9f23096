"""The player's live status for the dashboard: read defensively, numbers and words only.

The player writes a small JSON status file (``signage/health.py``). The admin service
only reads it; a missing, unreadable or half-written file is "no status". Whatever the
file holds, only scalars (and one level of mappings or short lists of scalars) are passed
on, short strings only, and never a key that could carry a picture.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

__all__ = ["default_status_path", "read_player_status", "sanitize"]

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


def read_player_status(path: Path | None) -> dict[str, Any] | None:
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
    out["stale"] = age > STALE_S
    return out
