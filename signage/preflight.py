"""What must hold before ``signage run`` starts anything: the privacy notice set for the site,
and ``--camera-once`` given a video file. ``Refused`` (exit 2; ``NoPlaylist``: exit 1) says
why it cannot start."""

from __future__ import annotations

from pathlib import Path

from signage.config import CameraConfig, Settings, picamera2_number
from signage.run_options import RunOptions


class Refused(Exception):
    """``signage run`` cannot start: the message says why; ``code`` is the exit status."""

    code = 2


class NoPlaylist(Refused):
    code = 1


def camera_once_problem(camera: CameraConfig) -> str | None:
    """``--camera-once`` plays a video file once, then stops: anything else would never end."""
    src = camera.source
    if not camera.enabled:
        return "--camera-once needs a video file as the camera (--camera FILE); the camera is off"
    if isinstance(src, int) or picamera2_number(src) is not None or "://" in src:
        return f"--camera-once needs a video file as the camera; {src!r} is a camera or a stream, which never ends"
    if not Path(src).expanduser().is_file():
        return f"--camera-once: {src}: no such video file"
    return None



def preflight(settings: Settings, opts: RunOptions, camera: CameraConfig) -> None:
    """What must hold before anything starts (Refused otherwise)."""
    from signage.notice_check import notice_problems

    notice = notice_problems(settings.notice, kiosk=not settings.player.demo_fallback)
    if notice:
        raise Refused("the privacy notice is not set for this site:\n  " + "\n  ".join(notice))
    if opts.camera_once:
        problem = camera_once_problem(camera)
        if problem:
            raise Refused(problem)
