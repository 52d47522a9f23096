"""Is the player healthy? Pure judgement of a status document (``signage/health.py``).

Unhealthy means a passer-by or an advertiser is not getting what the configuration
promises: nothing is on the screen that was configured (running headless), proof of play
is not being written, there is no playlist, or the camera has been failing for long. Each
problem is one short line that says what is wrong and where to look; ``signage status``
prints them and exits 1, systemd's STATUS= starts with them, and ``kiosk/update.sh`` rolls
back a release that has any.
"""

from __future__ import annotations

from typing import Any

MAX_LINE = 200  # the admin dashboard passes on strings this long at most (signage/admin/status.py)


def _s(d: dict, key: str) -> float:
    v = d.get(key)
    return float(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else 0.0


def display_problem(display: Any) -> str | None:
    if not isinstance(display, dict) or display.get("as_configured", True) is not False:
        return None
    why = f" ({display['error']})" if display.get("error") else ""
    return (f"display: configured {display.get('configured')}, but running headless: nothing is on the screen{why}")


def analytics_problem(a: Any, grace_s: float) -> str | None:
    if not isinstance(a, dict):
        return None
    error = f" (last error: {a['last_error']})" if a.get("last_error") else ""
    if a.get("state") == "retrying" and _s(a, "failing_s") >= grace_s:
        return (f"analytics: cannot write proof of play to {a.get('db')} for {_s(a, 'failing_s'):.0f} s, "
                f"{_s(a, 'queue'):.0f} records waiting{error}")
    lost = _s(a, "not_written")
    if lost:
        return f"analytics: {lost:.0f} records not written since start (queue full or database unavailable){error}"
    return None


def camera_problem(cam: Any, grace_s: float) -> str | None:
    if not isinstance(cam, dict) or cam.get("state") != "reconnecting" or _s(cam, "failing_s") < grace_s:
        return None
    error = f" (last error: {cam['last_error']})" if cam.get("last_error") else ""
    return f"camera {cam.get('source')}: failing for {_s(cam, 'failing_s'):.0f} s, audience rules are off{error}"


def playlist_problem(doc: dict[str, Any]) -> str | None:
    p = doc.get("playlist_problem")
    return f"playlist: {p}" if p else None


def problems(doc: dict[str, Any], *, analytics_grace_s: float, camera_grace_s: float) -> list[str]:
    """Every reason the status ``doc`` is unhealthy, one line each (empty: healthy)."""
    found = [
        display_problem(doc.get("display")),
        analytics_problem(doc.get("analytics"), analytics_grace_s),
        playlist_problem(doc),
        camera_problem(doc.get("camera"), camera_grace_s),
    ]
    return [p[:MAX_LINE] for p in found if p]


def systemd_status(problems_: list[str], playing: str) -> str:
    """The one line ``systemctl status`` shows: why it is unhealthy first, then what plays."""
    if not problems_:
        return playing
    return f"UNHEALTHY: {'; '.join(problems_)} | {playing}"[:400]


class Since:
    """How long each condition has held (for "failing for N s"), on a monotonic clock."""

    def __init__(self) -> None:
        self._since: dict[str, float] = {}

    def seconds(self, key: str, holds: bool, t: float) -> float:
        if not holds:
            self._since.pop(key, None)
            return 0.0
        return t - self._since.setdefault(key, t)
