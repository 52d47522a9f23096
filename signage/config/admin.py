"""[admin]: the advertisers' upload service (docs/admin.md)."""

from __future__ import annotations

from pydantic import Field

from signage.config.base import Strict


class AdminConfig(Strict):
    """The advertisers' upload service (`signage admin`); see docs/admin.md."""

    # Where it listens. Localhost only unless set otherwise: put TLS in front (docs/admin.md).
    host: str = "127.0.0.1"
    port: int = Field(8470, ge=1, le=65535)
    # The content folder shared with the player: versions/<id>/ and the `active` link.
    # The player's player.playlist is then <data_dir>/active/playlist.yaml.
    data_dir: str = "~/.local/share/signage/content"
    # Hashed passwords and API tokens, and the key that signs session cookies (kept out of data_dir).
    credentials_file: str = "~/.local/state/signage/admin/credentials.json"
    secret_key_file: str = "~/.local/state/signage/admin/session.key"
    # The player's status file (live status on the dashboard); empty: the player's default.
    status_file: str = ""
    # Example scenarios every upload is simulated against; empty: the bundled playlists/scenarios.
    scenarios_dir: str = ""
    # Uploads: the request body, and what a zip may hold.
    max_upload_bytes: int = Field(200 * 1024 * 1024, ge=1024)
    max_form_bytes: int = Field(64 * 1024, ge=1024)  # every request that is not an upload
    max_zip_entries: int = Field(500, ge=1, le=100_000)
    max_uncompressed_bytes: int = Field(1024 * 1024 * 1024, ge=1024)
    # Compression ratio (uncompressed / compressed), judged per file and on the whole zip, by
    # content: pictures and videos that are compressed already (PNG, JPEG, GIF, WebP, videos)
    # and anything unrecognised get max_compression_ratio; uncompressed BMP pictures (the size
    # their header implies) and playlist/scenario text get max_raw_compression_ratio (deflate
    # itself cannot exceed 1032:1; a flat 1080p BMP slide deflates about 240:1 to 1000:1).
    max_compression_ratio: float = Field(100.0, ge=1.0)
    max_raw_compression_ratio: float = Field(2000.0, ge=1.0)
    # Uploads running at once; one more is answered 503 with Retry-After, its body unread.
    max_concurrent_uploads: int = Field(2, ge=1, le=64)
    # Slow clients: the request line and headers must be complete within header_timeout_s;
    # a body must not stall for body_idle_timeout_s, and must arrive at min_body_rate_bytes_s
    # at least (after body_idle_timeout_s of grace). Cut off past that (408, or the connection closed).
    header_timeout_s: float = Field(10.0, ge=0.1, le=600)
    body_idle_timeout_s: float = Field(30.0, ge=0.1, le=3600)
    min_body_rate_bytes_s: float = Field(10_000.0, ge=1.0)
    # Lock-out: this many failed logins or bad tokens within the window locks the account
    # (or the client address) for lockout_s.
    lockout_account_failures: int = Field(5, ge=1, le=1000)
    lockout_client_failures: int = Field(20, ge=1, le=10_000)
    lockout_window_s: float = Field(900.0, gt=0)
    lockout_s: float = Field(900.0, gt=0)
    session_lifetime_s: float = Field(8 * 3600.0, ge=60, le=30 * 24 * 3600)
    # The audit log (audit.db beside the credentials file): rows older than this are deleted.
    audit_retention_days: float = Field(365.0, gt=0, le=100 * 365)
    # Set true when a TLS reverse proxy is in front: cookies get the Secure flag.
    secure_cookies: bool = False
    # Set true only behind a reverse proxy on this machine: the client address (for the
    # lock-out) is then read from X-Forwarded-For sent by 127.0.0.1.
    trust_proxy_headers: bool = False
    # Versions kept: the newest this many, plus the active and the previous one.
    keep_versions: int = Field(10, ge=2, le=1000)
    # Each simulation runs at most this long of simulated time.
    simulate_max_s: float = Field(24 * 3600.0, gt=0, le=31 * 24 * 3600)
    # Each upload's simulations run in a worker process of their own, one upload at a time,
    # below the player's priority (niceness, SCHED_IDLE, idle I/O). Past simulate_cpu_s of CPU
    # time (RLIMIT_CPU) or simulate_wall_s of wall time the worker is stopped, and the version
    # page says so: a simulation is advice, the version stays valid and can be activated.
    simulate_cpu_s: float = Field(20.0, ge=1, le=3600)
    simulate_wall_s: float = Field(120.0, ge=5, le=24 * 3600)
    simulate_nice: int = Field(10, ge=0, le=19)
    # After an activation the player has this long to take the new version (its watcher looks
    # every player.watch_interval_s) before the page and the API warn that it does not.
    follow_grace_s: float = Field(4.0, ge=0, le=60)
