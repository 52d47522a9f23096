"""What ``signage run`` is asked to run: its options (``RunOptions``), and the camera and the
playlist they and the configuration choose: the bundled demo playlist where
``player.demo_fallback`` allows it, the bundled sample clip standing in for a camera that does
not exist where ``player.demo_clip_if_no_camera`` allows it."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from signage.config import CameraConfig, Settings

log = logging.getLogger("signage")

ROOT = Path(__file__).resolve().parent.parent
DEMO_PLAYLIST = ROOT / "playlists" / "demo.yaml"
SAMPLE_CLIP = ROOT / "tests" / "data" / "white_house_hamilton_clip.mp4"


@dataclass(frozen=True)
class RunOptions:
    """The options of ``signage run`` (its command line); None and False: as configured."""

    playlist: str | None = None  # default: player.playlist, else the bundled demo
    camera: str | None = None  # a source spec, or "off"; default: camera.source
    headless: bool = False
    windowed: bool = False
    duration_s: float | None = None
    db: str | None = None
    camera_once: bool = False  # a video as the camera plays once; the run stops at its end


def camera_config(settings: Settings, option: str | None) -> CameraConfig:
    """The camera to use: the option, else the configured one; the sample clip when the
    configured camera does not exist and ``player.demo_clip_if_no_camera`` allows it."""
    cam = settings.camera
    if option is not None:
        if option.lower() == "off":
            return cam.model_copy(update={"enabled": False})
        return cam.model_copy(update={"enabled": True, "source": int(option) if option.isdigit() else option})
    if not cam.enabled:
        return cam
    src = cam.source
    device = Path(f"/dev/video{src}") if isinstance(src, int) else None
    if device is not None and not device.exists() and settings.player.demo_clip_if_no_camera and SAMPLE_CLIP.is_file():
        log.info("no camera at %s: the sample clip %s stands in for it (demo)", device, SAMPLE_CLIP.name)
        return cam.model_copy(update={"source": str(SAMPLE_CLIP)})
    return cam


def admin_active_playlist(settings: Settings) -> Path | None:
    """``<admin.data_dir>/active/playlist.yaml`` when the admin service's content folder is
    there (it has run on this machine), else None."""
    data = Path(settings.admin.data_dir).expanduser()
    return data / "active" / "playlist.yaml" if (data / "versions").is_dir() else None


def follows_admin(settings: Settings, option: str | None) -> bool:
    """No playlist asked for, and an admin service's content folder: the player follows its
    active version (and plays the demo, or the slate, while nothing is active)."""
    return not option and not settings.player.playlist and admin_active_playlist(settings) is not None


def playlist_path(settings: Settings, option: str | None) -> Path | None:
    """The playlist to play: the option, else ``player.playlist``, else the admin service's
    active version (when its content folder exists), else the bundled demo (None on a kiosk,
    ``player.demo_fallback = false``: there is nothing to play)."""
    chosen = option or settings.player.playlist
    if chosen:
        return Path(chosen)
    following = admin_active_playlist(settings)
    if following is not None:
        return following
    return DEMO_PLAYLIST if settings.player.demo_fallback else None
