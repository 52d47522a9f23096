"""Staff pause audience measurement for a passer-by, or resume it (``POST``/``DELETE /api/pause``,
the dashboard's buttons): the request is written into the file the player watches every second
(signage/pause_inputs.py), and audited. The pages and the API both call ``ask_player``."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from signage.pause_inputs import channel_path, write_request

__all__ = ["PauseUnavailable", "ask_player", "pause_file"]


class PauseUnavailable(Exception):
    """The request could not be written: the player cannot be told (HTTP 503)."""


def pause_file(svc: Any) -> Path:
    """``pause.file``, else ``pause.json`` beside the player's status file as the admin service knows it."""
    status = svc.status_path()
    if status is None and not svc.settings.pause.file:
        raise PauseUnavailable("no status file is known (admin.status_file): the player cannot be told")
    return channel_path(status or Path("."), svc.settings.pause.file)


def ask_player(svc: Any, account: str, what: str) -> dict[str, Any]:
    """Write a "pause" or "resume" request for the player; what was asked, and until when."""
    path = pause_file(svc)
    try:
        doc = write_request(path, what, by=account)
    except OSError as exc:
        svc.audit.record(f"measurement.{what}", account=account, outcome="503", detail=str(exc))
        raise PauseUnavailable(f"{path}: cannot be written ({exc.strerror or exc}); nothing was changed") from None
    at = dt.datetime.fromtimestamp(doc["at"], dt.timezone.utc)
    until = at + dt.timedelta(minutes=svc.settings.pause.duration_min) if what == "pause" else None
    svc.audit.record(f"measurement.{what}", account=account, outcome="ok",
                     detail=f"until {until.isoformat(timespec='seconds')}" if until else "resumed")
    return {"request": what, "at": at.isoformat(timespec="seconds"),
            "until": until.isoformat(timespec="seconds") if until else None,
            "message": (f"Audience measurement is paused for {svc.settings.pause.duration_min} min from within a "
                        "second: the camera closes and the notice says until when." if until
                        else "Audience measurement resumes within a second.")}
