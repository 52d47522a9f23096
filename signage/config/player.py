"""[player], [playlist], [analytics] and [health]: playing, recording, reporting its state."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from signage.config.base import Strict


class PlaylistLimits(Strict):
    """What the loader accepts for the files a playlist uses."""

    max_image_bytes: int = Field(50 * 1024 * 1024, ge=1024)
    max_image_pixels: int = Field(40_000_000, ge=10_000)  # decompression-bomb guard
    max_video_bytes: int = Field(2 * 1024 * 1024 * 1024, ge=1024)
    max_video_seconds: float = Field(3600.0, gt=0)
    max_playlist_bytes: int = Field(1024 * 1024, ge=1024)


class AnalyticsConfig(Strict):
    """Proof of play and audience aggregates (signage/analytics); see README, "Analytics and reports"."""

    enabled: bool = True
    # SQLite file (WAL mode); "~" is expanded. Its folder is created when missing.
    db_path: str = "~/.local/state/signage/analytics.db"
    # Rows older than this are deleted, at start and then every purge_interval_h.
    retention_days: int = Field(30, ge=1, le=3650)
    purge_interval_h: float = Field(24.0, gt=0, le=24 * 30)
    # Per-minute audience aggregates (the baseline that reports compare creatives against).
    minute_aggregates: bool = True
    # A snapshot counts for at most this long after it was received (then: camera off).
    sample_hold_s: float = Field(2.0, gt=0, le=60)
    # Records waiting for the writer thread; when full, new records are dropped (counted).
    queue_size: int = Field(10_000, ge=10, le=1_000_000)
    # How long one SQLite call waits on a lock before the writer backs off and retries.
    busy_timeout_s: float = Field(2.0, ge=0.0, le=60)
    # Back-off between retries while the database is locked or unwritable: doubles up to this.
    retry_max_s: float = Field(30.0, gt=0, le=3600)
    # Crash safety (docs/proof-of-play.md): the open play and the current minute's audience are
    # written (one transaction) this often, so a crash of the player loses at most this much of
    # them. Shorter: less lost, more bytes written on the SD card.
    checkpoint_s: float = Field(8.0, ge=0.5, le=60)
    # "normal" (default): commits are not synced one by one: a crash of the player still loses
    # at most checkpoint_s, a power cut up to the kernel's writeback delay (about 35 s on Linux),
    # and the SD card sees 6x fewer bytes than before. "full": every commit is synced (a power
    # cut loses at most checkpoint_s; about twice the bytes). docs/proof-of-play.md.
    synchronous: Literal["full", "normal"] = "normal"
    # A new play's first frame waits until its open row is committed, at most this long (a
    # slow or failing database never holds the screen; the play may then go unrecorded).
    start_wait_s: float = Field(1.0, ge=0.0, le=10)


class PlayerConfig(Strict):
    """The player (`signage run`): which playlist, how changes are picked up."""

    # The playlist to play (a file, or a symbolic link that the admin service switches).
    # Empty: follow the admin service, <admin.data_dir>/active/playlist.yaml, when its content
    # folder exists (the bundled demo, or the slate, until a version is activated); else the
    # bundled demo (playlists/demo.yaml).
    playlist: str = ""
    # How often the playlist and the files it uses are looked at for changes.
    watch_interval_s: float = Field(2.0, ge=0.1, le=3600)
    # Seed for ties between rules of equal priority and weight.
    seed: int = 0
    # The next creative is prepared this long before the current one ends.
    preload_s: float = Field(1.5, ge=0.0, le=30)
    # No camera at camera.source (no /dev/videoN): play the bundled sample clip instead, as a
    # stand-in camera (the demo). Kiosks set this to false: no camera means no camera.
    demo_clip_if_no_camera: bool = True
    # Snapshots older than this count as "no measurement" (camera stalled).
    audience_stale_s: float = Field(2.0, gt=0, le=60)
    # The playlist is missing or invalid: play the bundled demo (the Café Lumière creatives)
    # until it is fixed. False (kiosks: kiosk/signage.toml): show a neutral "no playlist"
    # slate instead, record no play, and report unhealthy (docs/health.md).
    demo_fallback: bool = True
    # Where sensing runs: "process" (its own process, which the kernel forbids to write files,
    # open sockets or run programs, restarted with a backoff if it crashes: sensing/process.py)
    # or "thread" (in the player's process, no sandbox: for development; the log says so).
    sensing_isolation: Literal["process", "thread"] = "process"
    # With "process": a second sensing process waits with its models loaded and takes over at
    # once if the running one dies (audience numbers back within about a second; it costs that
    # process's memory, about 150 MB, bench/sensing_process.py). False: a new one is started
    # instead. "auto": on a machine with at least 2 GB of memory (not on a 1 GB board).
    sensing_standby: bool | Literal["auto"] = "auto"


class HealthConfig(Strict):
    """The player's status file and what counts as unhealthy (docs/health.md)."""

    # Written atomically; read by `signage status` and the admin dashboard. Empty: on tmpfs,
    # $XDG_RUNTIME_DIR/signage/status.json, else /run/signage/status.json when that folder
    # exists (a kiosk), else ~/.local/state/signage/status.json (on disk).
    status_file: str = ""
    # The status is looked at this often, and written when something in it changed...
    write_interval_s: float = Field(1.0, ge=0.1, le=60)
    # ... or at the latest this long after the last write (a heartbeat; less than stale_after_s).
    heartbeat_s: float = Field(5.0, ge=0.1, le=3600)
    # `signage status` fails when the file is older than this (the player is stuck or stopped).
    stale_after_s: float = Field(10.0, ge=1, le=3600)
    # Unhealthy when the analytics database cannot be written for this long (retrying)...
    analytics_grace_s: float = Field(5.0, ge=0.0, le=3600)
    # ... or when the camera (enabled) has been failing (reconnecting) for this long.
    camera_grace_s: float = Field(120.0, ge=0.0, le=24 * 3600)

    @model_validator(mode="after")
    def _heartbeat_before_stale(self) -> "HealthConfig":
        if self.heartbeat_s >= self.stale_after_s:
            raise ValueError(f"heartbeat_s ({self.heartbeat_s:g}) must be less than stale_after_s "
                             f"({self.stale_after_s:g}), or a healthy player looks stale")
        return self
