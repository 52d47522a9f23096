"""Typed, strict configuration.

Sources, highest priority first: keyword arguments (the CLI), environment variables
(prefix ``SIGNAGE_``, nested with ``__``: ``SIGNAGE_SENSING__TRACKER__MAX_AGE_S=2``),
a ``.env`` file, then a TOML file (``--config FILE`` or ``SIGNAGE_CONFIG=FILE``).
Unknown keys are refused wherever they appear, with their key path in the message.

Every sensing threshold below is documented in docs/sensing.md ("Sensing thresholds"),
with the measurements on tests/data that it was derived from.
"""

from __future__ import annotations

import os
import re
import typing
from pathlib import Path
from collections.abc import Mapping
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator
from pydantic_settings import (
    BaseSettings,
    EnvSettingsSource,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    SettingsError,
    TomlConfigSettingsSource,
)


class Strict(BaseModel):
    """Base of every config section: unknown keys are an error, values are checked on assignment."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True)


_PICAMERA2 = re.compile(r"picamera2(?::(\d+))?")


def picamera2_number(source: int | str) -> int | None:
    """The camera number of a picamera2 source ("picamera2" is 0, "picamera2:1" is 1), else None."""
    m = _PICAMERA2.fullmatch(source) if isinstance(source, str) else None
    return None if m is None else int(m.group(1) or 0)


class CameraConfig(Strict):
    enabled: bool = True
    # A camera index (0 = /dev/video0), a device path, or a stream URL OpenCV can open; or
    # "picamera2" / "picamera2:N" for a Raspberry Pi camera module (docs/camera.md).
    source: int | str = 0
    width: int = Field(640, ge=64, le=4096)
    height: int = Field(480, ge=48, le=4096)
    fps: float = Field(30.0, gt=0, le=120)
    # Reconnection backoff after a failure to open or a drop-out: doubles from min to max.
    reconnect_min_s: float = Field(0.5, gt=0)
    reconnect_max_s: float = Field(30.0, gt=0)
    # A camera that delivers no frame for this long is considered dropped out.
    stall_timeout_s: float = Field(3.0, gt=0)

    @field_validator("source")
    @classmethod
    def _source(cls, v: int | str) -> int | str:
        # Anything that looks meant for the Pi camera must be one of its two forms; left
        # through, a typo would be tried as a stream URL and retried forever.
        if isinstance(v, str) and re.match(r"\s*(pi|lib)cam", v, re.IGNORECASE) and picamera2_number(v) is None:
            raise ValueError(
                f"{v!r} is not a camera source: a Raspberry Pi camera module is \"picamera2\" (the first) "
                "or \"picamera2:N\" (camera number N, as rpicam-hello --list-cameras numbers them)"
            )
        return v


class DetectorConfig(Strict):
    # Full-range BlazeFace detector: counts faces out to shop-window distance.
    min_confidence: float = Field(0.5, ge=0.05, le=0.99)
    # On a stream, the detector runs at most this often; landmarks track faces in between.
    interval_s: float = Field(0.2, ge=0.0, le=5.0)
    # Also read the image padded onto a canvas twice its size (a face that fills the frame
    # or is cut by its edge is found): a photo always, a stream in turn with the tiles.
    pad: bool = True
    # On a stream, every other detector run also reads more places in turn: the padded frame,
    # then each of a grid of overlapping tiles (0 or 1 = no tiles, 2 = 2x2 ...: 4 tiles at
    # 640x480, 6 at 1280x720 and 1920x1080). "auto" (the default) picks the grid by resolution
    # so that a tile stays at most 540 px a side, as at 640x480 and 1280x720 with 2 (2 up to
    # 720 px high, 3 at 1080p, 4 above): at 1080p a 2x2 tile is 810 px and a 45 px face is 11 px
    # of the detector's 192 px input. A large grid reads more places per run, so a turn takes
    # at most 8 such runs (3.2 s at the default interval). See docs/sensing.md.
    stream_tiles: Annotated[int, Field(ge=0, le=4)] | Literal["auto"] = "auto"


class LandmarksConfig(Strict):
    # Faces narrower than this (pixels, detector box) are counted but not measured. Measured
    # on tests/data (bench/calibrate.py): smile/neutral and yaw hold on every frontal test face
    # down to 28 px; at 24 px a broad smile scores 0.54, at 20 px it reads as neutral.
    min_face_px: int = Field(28, ge=16, le=400)
    # At most this many faces get landmarks per frame (the largest first).
    max_faces: int = Field(6, ge=1, le=50)


Ramp = tuple[float, float]


def _ramp_ok(v: Ramp) -> Ramp:
    if not v[0] < v[1]:
        raise ValueError(f"a ramp is (low, high) with low < high, got {v}")
    return v


_REMOVED_EXPRESSION_KEYS = ("smile_width", "smile_lift", "surprise_mouth_open", "surprise_brow_raise")


class ExpressionConfig(Strict):
    # Looking = the head faces the camera within this cone, in degrees of real head pose
    # (signage/sensing/pose.py, calibrated on GENKI-4K's pose labels: bench/pose.py), after the
    # camera offsets; and the eyes are not lowered (below).
    looking_max_yaw_deg: float = Field(20.0, gt=0, le=90)
    looking_max_pitch_deg: float = Field(20.0, gt=0, le=90)
    # Where the camera sits relative to the screen's centre, as seen from the audience:
    # a camera above the screen sees watchers pitched down by roughly this much.
    camera_yaw_offset_deg: float = Field(0.0, ge=-45, le=45)
    camera_pitch_offset_deg: float = Field(0.0, ge=-45, le=45)
    # Eyes down (at a phone) or closed: not looking when the gaze, the head's pitch plus the
    # eyes' pitch in the head (estimated from the upper eyelids), is more than this many degrees
    # below the camera's line (after camera_pitch_offset_deg). On GENKI-4K, where people look at
    # the camera, the estimate's spread is about 8 deg (sd); bench/pose.py sweeps this setting.
    looking_max_gaze_down_deg: float = Field(25.0, gt=0, le=90)
    # Descriptive 0..1 measures reported beside the scores (`signage sense`): ramps from raw
    # face geometry, in units of the outer-eye-corner distance (IOD) in the face's own frame,
    # 0 at low and 1 at high. Inner-lip gap: closed 0.00-0.08, talking up to 0.13, a
    # teeth-showing smile 0.20-0.21; a dropped jaw opens well past that.
    mouth_open_gap: Ramp = (0.05, 0.45)
    # Brow-to-upper-eyelid height: 0.13-0.25 across neutral faces (median 0.17).
    brow_raise_height: Ramp = (0.18, 0.30)
    # Smile and surprise are probabilities from the trained classifier
    # (signage/models/expressions.json, docs/expressions.md): expression = smile when
    # smile >= smile_threshold, else surprise when surprise >= surprise_threshold.
    smile_threshold: float = Field(0.5, ge=0.05, le=0.95)
    surprise_threshold: float = Field(0.5, ge=0.05, le=0.95)

    @model_validator(mode="before")
    @classmethod
    def _removed_keys(cls, data: object) -> object:
        if isinstance(data, dict):
            for key in _REMOVED_EXPRESSION_KEYS:
                if key in data:
                    raise ValueError(f"{key}: no longer a setting: smiles and surprise come from a trained model now; "
                                     "remove it (tune smile_threshold or surprise_threshold instead)")
        return data

    @field_validator("mouth_open_gap", "brow_raise_height")
    @classmethod
    def _ramps(cls, v: Ramp) -> Ramp:
        return _ramp_ok(v)


class TrackerConfig(Strict):
    # A face and a track may be matched when their boxes (the track's carried forward along
    # its velocity) overlap by at least this IoU, or when the face is within the gate below.
    min_iou: float = Field(0.2, ge=0.01, le=0.95)
    # The gate: how far (in box sizes, the square root of the box's area) a face's centre may
    # be from where the track is expected. gate_base for a track seen in the last frame
    # (covers a fast walker's first step, before any velocity is known), widening by
    # gate_growth_per_s for each second unseen (and by the track's own speed), up to gate_max.
    # gate_base 0 and gate_growth_per_s 0 match by overlap alone.
    gate_base: float = Field(1.0, ge=0.0, le=10)
    gate_growth_per_s: float = Field(2.0, ge=0.0, le=20)
    gate_max: float = Field(6.0, ge=0.0, le=50)
    # A track seen for less than new_track_s has no velocity of its own yet: its gate assumes
    # it may move at new_track_speed (box sizes per second; someone walking across the view
    # moves about 9 face widths a second). Older tracks' gates follow their own speed, so
    # that a seated person's does not reach the next seat.
    new_track_s: float = Field(0.5, ge=0.0, le=10)
    new_track_speed: float = Field(8.0, ge=0.0, le=50)
    # Never matched: a face whose box size differs from the track's by more than this factor.
    max_size_ratio: float = Field(1.8, ge=1.0, le=10)
    # A track unseen for longer than this is no longer counted as present: when a person
    # leaves, faces, smiles and watchers follow within hold_s (plus a frame). It covers one
    # missed detector run (detector.interval_s 0.2 s at 15 fps and more).
    hold_s: float = Field(0.3, ge=0.0, le=30)
    # A track unseen for this long is deleted and forgotten (until then, unreported, it is
    # kept for re-matching, so a face missed for a moment, turned away or hidden, keeps its id
    # and is one passer-by).
    max_age_s: float = Field(2.5, gt=0, le=30)
    # ... but a track last seen at the frame's edge (leaving the view) only this long.
    edge_age_s: float = Field(1.0, gt=0, le=30)
    # A track counts once it has been seen in this many frames.
    min_hits: int = Field(2, ge=1, le=30)
    # A scene cut (the whole view changes from one frame to the next: a camera moved, a
    # video's edit) ends every track: nobody is matched across it. A cut is a frame whose
    # 8x6 colour summary correlates with the previous one's below cut_max_correlation, and
    # differs from it by at least cut_min_change (mean, 0-255 levels). 0 turns it off.
    cut_max_correlation: float = Field(0.6, ge=0.0, le=1.0)
    cut_min_change: float = Field(8.0, ge=0.0, le=255)
    # Time constant of the exponential smoothing of expression scores.
    smoothing_tau_s: float = Field(0.25, ge=0.0, le=10)
    # A glance is a look towards the screen lasting at least this long.
    min_glance_s: float = Field(0.3, ge=0.0, le=10)


class AudienceConfig(Strict):
    # Sliding window for passers-by, mean dwell and attention, glances and trend.
    window_s: float = Field(10.0, gt=0, le=3600)
    # A person present is a watcher once they have looked for this long in total.
    min_watch_s: float = Field(0.5, ge=0.0, le=60)


class SensingConfig(Strict):
    detector: DetectorConfig = DetectorConfig()
    landmarks: LandmarksConfig = LandmarksConfig()
    expression: ExpressionConfig = ExpressionConfig()
    tracker: TrackerConfig = TrackerConfig()
    audience: AudienceConfig = AudienceConfig()


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


# ----------------------------------------------------------------------------- the screen

_HEX = "0123456789abcdefABCDEF"


def _hex_color(v: str) -> str:
    if not (isinstance(v, str) and len(v) == 7 and v[0] == "#" and all(c in _HEX for c in v[1:])):
        raise ValueError(f"a colour is #rrggbb, got {v!r}")
    return v.lower()


def _size(v: Any) -> Any:
    """Accept "1920x1080" as well as [1920, 1080]."""
    if isinstance(v, str):
        w, sep, h = v.lower().partition("x")
        if not sep or not w.strip().isdigit() or not h.strip().isdigit():
            raise ValueError(f"a size is WIDTHxHEIGHT, e.g. 1920x1080, got {v!r}")
        return (int(w), int(h))
    return v


class DisplayConfig(Strict):
    """The screen (signage/render); see README, "The screen"."""

    # SDL video driver. "auto": Wayland or X11 when a desktop session is there, else kmsdrm
    # (a Raspberry Pi or mini-PC booted to a console). "dummy" draws off screen (tests, CI).
    driver: Literal["auto", "kmsdrm", "wayland", "x11", "dummy"] = "auto"
    fullscreen: bool = True
    # Windowed: the window size. Fullscreen: the mode to ask for (None = the screen's own).
    size: tuple[int, int] | None = None
    # Degrees clockwise the picture is turned on the panel: 90 or 270 for a portrait screen
    # (a landscape panel mounted on its side). Creatives are laid out for the upright picture.
    rotation: Literal[0, 90, 180, 270] = 0
    # Frame-rate cap of the render loop (a video still plays at its own rate).
    fps: float = Field(60.0, ge=5, le=240)
    # Fullscreen only: let SDL wait for the panel's vertical blank when presenting a frame.
    vsync: bool = True
    hide_cursor: bool = True
    # The operator overlay (audience numbers and frame rates; never an image). Key O toggles it.
    show_overlay: bool = False
    # What fills the screen before the first creative is ready.
    idle_color: str = "#1c1512"
    # Escape stops the player (handy on a desktop); kiosks set false (kiosk/signage.toml).
    quit_key: bool = True

    @field_validator("size", mode="before")
    @classmethod
    def _parse_size(cls, v: Any) -> Any:
        return _size(v)

    @field_validator("rotation", mode="before")
    @classmethod
    def _rotation_from_text(cls, v: Any) -> Any:
        return int(v) if isinstance(v, str) and v.strip().isdigit() else v  # from the environment

    @field_validator("size")
    @classmethod
    def _size_range(cls, v: tuple[int, int] | None) -> tuple[int, int] | None:
        if v is not None and not (160 <= v[0] <= 16384 and 120 <= v[1] <= 16384):
            raise ValueError(f"size must be within 160x120 .. 16384x16384, got {v[0]}x{v[1]}")
        return v

    @field_validator("idle_color")
    @classmethod
    def _color(cls, v: str) -> str:
        return _hex_color(v)


class NoticeText(Strict):
    """The notice's words in one language. Unset fields take the built-in text (en, fr)."""

    camera_on: str | None = None  # the lead, in bold: what is happening
    purpose: str | None = None  # why, and what is not done
    camera_off: str | None = None  # said instead while the camera is off
    more: str | None = None  # beside the QR code: where to read the full notice


# English and French, the first layer of a two-level notice (CNIL / EDPB guidance on video
# devices): who, why, what is not done, where to read more. Short enough to read in passing.
DEFAULT_NOTICE_TEXT: dict[str, NoticeText] = {
    "en": NoticeText(
        camera_on="Camera on:",
        purpose="anonymous audience measurement to adapt what is shown. No image is stored or sent; no one is identified.",
        camera_off="Camera off: no audience measurement.",
        more="Full notice",
    ),
    "fr": NoticeText(
        camera_on="Caméra active\u00a0:",
        purpose="mesure d'audience anonyme pour adapter l'affichage. Aucune image n'est enregistrée ni transmise\u00a0; personne n'est identifié.",
        camera_off="Caméra éteinte\u00a0: aucune mesure d'audience.",
        more="Notice complète",
    ),
}


class NoticeConfig(Strict):
    """The privacy notice drawn on every frame while the camera is on; no playlist can hide it."""

    # Who runs the screen (the data controller), a contact, and the full notice's address
    # (also drawn as a QR code). Set these for your site: the defaults are the demo café's.
    controller: str = Field("Café Lumière", min_length=1, max_length=80)
    contact: str = Field("privacy@cafe-lumiere.example", min_length=1, max_length=80)
    url: str = Field("https://cafe-lumiere.example/privacy", min_length=1, max_length=200)
    # Languages shown, one line each, in this order.
    languages: list[str] = Field(default_factory=lambda: ["en", "fr"], min_length=1, max_length=4)
    # Per-language words; a language other than en/fr must give all four fields.
    text: dict[str, NoticeText] = Field(default_factory=dict)
    # With the camera off: "say" so on the screen, or "hide" the notice.
    camera_off: Literal["say", "hide"] = "say"
    position: Literal["bottom", "top"] = "bottom"
    qr: bool = True
    # Opacity of the dark panel behind the text (kept high enough for contrast over white).
    opacity: float = Field(0.88, ge=0.75, le=1.0)
    # Text size relative to the default (cap height about 22 px on a 1080-line screen).
    scale: float = Field(1.0, ge=1.0, le=2.0)

    @model_validator(mode="after")
    def _every_language_has_words(self) -> "NoticeConfig":
        for lang in self.languages:
            self.resolved_text(lang)
        return self

    def resolved_text(self, lang: str) -> dict[str, str]:
        """The four texts of ``lang``: configured fields over the built-in ones."""
        base = DEFAULT_NOTICE_TEXT.get(lang, NoticeText()).model_dump()
        given = self.text.get(lang, NoticeText()).model_dump(exclude_none=True)
        merged = {**base, **given}
        missing = [k for k, v in merged.items() if not v]
        if missing:
            raise ValueError(f"notice.text.{lang}: {', '.join(missing)} missing (no built-in text for {lang!r})")
        return merged


class PlayerConfig(Strict):
    """The player (`signage run`): which playlist, how changes are picked up."""

    # The playlist to play (a file, or a symbolic link that the admin service switches).
    # Empty: the bundled demo (playlists/demo.yaml).
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
    max_compression_ratio: float = Field(100.0, ge=1.0)  # per file: uncompressed / compressed
    # Lock-out: this many failed logins or bad tokens within the window locks the account
    # (or the client address) for lockout_s.
    lockout_account_failures: int = Field(5, ge=1, le=1000)
    lockout_client_failures: int = Field(20, ge=1, le=10_000)
    lockout_window_s: float = Field(900.0, gt=0)
    lockout_s: float = Field(900.0, gt=0)
    session_lifetime_s: float = Field(8 * 3600.0, ge=60, le=30 * 24 * 3600)
    # Set true when a TLS reverse proxy is in front: cookies get the Secure flag.
    secure_cookies: bool = False
    # Set true only behind a reverse proxy on this machine: the client address (for the
    # lock-out) is then read from X-Forwarded-For sent by 127.0.0.1.
    trust_proxy_headers: bool = False
    # Versions kept: the newest this many, plus the active and the previous one.
    keep_versions: int = Field(10, ge=2, le=1000)
    # Each simulation runs at most this long of simulated time.
    simulate_max_s: float = Field(24 * 3600.0, gt=0, le=31 * 24 * 3600)


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


class ScreenConfig(Strict):
    """Who this screen is: carried in every report and export (docs/reports.md)."""

    # Stable id of this screen in exports and the fleet; "" = the machine's host name.
    id: str = Field("", max_length=64, pattern=r"^[A-Za-z0-9._-]*$")
    site: str = Field("", max_length=80)  # shop or venue name, as buyers know it
    # OpenOOH venue taxonomy name (e.g. "retail.grocery"); "" = not set.
    venue_type: str = Field("", max_length=80)
    latitude: float | None = Field(None, ge=-90, le=90)
    longitude: float | None = Field(None, ge=-180, le=180)
    size_in: float | None = Field(None, gt=0, le=1000)  # screen diagonal, inches
    # IANA time zone for reports and local-time rules ("" = the system's).
    timezone: str = Field("", max_length=64)

    @field_validator("venue_type")
    @classmethod
    def _venue_type(cls, v: str) -> str:
        from signage.identity import check_venue_type

        return check_venue_type(v)

    @field_validator("timezone")
    @classmethod
    def _timezone(cls, v: str) -> str:
        from signage.identity import time_zone

        return v if v == "" else time_zone(v).key

    @model_validator(mode="after")
    def _position(self) -> ScreenConfig:
        if (self.latitude is None) != (self.longitude is None):
            raise ValueError("latitude and longitude go together: set both or neither")
        return self


class Settings(BaseSettings):
    """All of signage's knobs. See module docstring for sources and precedence."""

    model_config = SettingsConfigDict(
        env_prefix="SIGNAGE_",
        env_nested_delimiter="__",
        env_file=".env",
        extra="forbid",
        validate_assignment=True,
    )

    log_level: str = "INFO"
    camera: CameraConfig = CameraConfig()
    sensing: SensingConfig = SensingConfig()
    playlist: PlaylistLimits = PlaylistLimits()
    analytics: AnalyticsConfig = AnalyticsConfig()
    display: DisplayConfig = DisplayConfig()
    notice: NoticeConfig = NoticeConfig()
    player: PlayerConfig = PlayerConfig()
    health: HealthConfig = HealthConfig()
    admin: AdminConfig = AdminConfig()
    screen: ScreenConfig = ScreenConfig()

    @field_validator("log_level")
    @classmethod
    def _level(cls, v: str) -> str:
        v = v.upper()
        if v not in ("DEBUG", "INFO", "WARNING", "ERROR"):
            raise ValueError("must be DEBUG, INFO, WARNING or ERROR")
        return v

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        sources: list[PydanticBaseSettingsSource] = [init_settings, _EnvSource(settings_cls), dotenv_settings]
        toml_path = _CONFIG_FILE.get("path")
        if toml_path is not None:
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=toml_path))
        return tuple(sources)


_CONFIG_FILE: dict[str, Path | None] = {"path": None}


def _list_of_scalars(ann: Any) -> bool:
    """list[str], tuple[int, int], ... (optionally | None): a value a person writes as a,b."""
    args = [a for a in typing.get_args(ann) if a is not type(None)] if typing.get_origin(ann) in (typing.Union,
                                                                                                  getattr(__import__("types"), "UnionType", None)) else [ann]
    return len(args) == 1 and typing.get_origin(args[0]) in (list, tuple) and all(
        a in (str, int, float, Ellipsis) for a in typing.get_args(args[0]))


class _EnvSource(EnvSettingsSource):
    """Environment variables, where a list may also be written as comma-separated words
    (``SIGNAGE_NOTICE__LANGUAGES=en,fr``, the natural form of a systemd ``Environment=`` line)
    as well as in JSON (``["en", "fr"]``)."""

    def decode_complex_value(self, field_name: str, field: Any, value: Any) -> Any:
        try:
            return super().decode_complex_value(field_name, field, value)
        except ValueError:
            if field is not None and isinstance(value, str) and _list_of_scalars(field.annotation):
                return [part.strip() for part in value.split(",") if part.strip()]
            raise


class ConfigError(Exception):
    """A configuration that cannot be used; the message names the source, key path and reason."""


_TOML_KEY = re.compile(r"""^\s*((?:[A-Za-z0-9_-]+|"[^"]*"|'[^']*')(?:\s*\.\s*(?:[A-Za-z0-9_-]+|"[^"]*"|'[^']*'))*)\s*=""")
_TOML_TABLE = re.compile(r"""^\s*\[\[?\s*([^\]]+?)\s*\]\]?\s*(?:#.*)?$""")


def _toml_parts(dotted: str) -> list[str]:
    return [p.strip().strip("\"'") for p in re.findall(r"""[A-Za-z0-9_-]+|"[^"]*"|'[^']*'""", dotted)]


def toml_lines(text: str) -> dict[str, int]:
    """The 1-based line of each key path (``display.fps``) and table in TOML text, for
    messages. A light scan, not a parser: multi-line strings may hide a key; then the message
    just has no line."""
    out: dict[str, int] = {}
    table: list[str] = []
    for n, line in enumerate(text.splitlines(), 1):
        m = _TOML_TABLE.match(line)
        if m:
            table = _toml_parts(m.group(1))
            out.setdefault(".".join(table), n)
            continue
        m = _TOML_KEY.match(line)
        if m:
            out.setdefault(".".join(table + _toml_parts(m.group(1))), n)
    return out


def _format_errors(err: ValidationError, origin: str, file_lines: dict[str, int] | None = None) -> str:
    lines = [f"invalid configuration ({origin}):"]
    env = {name[len("SIGNAGE_"):].lower().replace("__", "."): name for name in os.environ
           if name.upper().startswith("SIGNAGE_") and name.upper() != "SIGNAGE_CONFIG"}
    for e in err.errors():
        path = ".".join(str(p) for p in e["loc"]) or "(top level)"
        reason = "unknown key" if e["type"] == "extra_forbidden" else e["msg"]
        # the variables that set this part of the configuration, if any did
        names = sorted(n for k, n in env.items() if k == path or k.startswith(path + ".") or path.startswith(k + "."))
        where = ""
        if not names and file_lines:
            parts = path.split(".")
            while parts and ".".join(parts) not in file_lines:
                parts.pop()
            if parts:
                where = f"line {file_lines['.'.join(parts)]}: "
        lines.append(f"  {where}{path}: {reason}" + (f" (from {', '.join(names)})" if names else ""))
    return "\n".join(lines)


def _unknown_env_keys(environ: Mapping[str, str]) -> list[str]:
    """Paths of SIGNAGE_* variables that name no setting (pydantic-settings ignores them silently)."""
    bad = []
    for name in environ:
        if not name.upper().startswith("SIGNAGE_") or name.upper() == "SIGNAGE_CONFIG":
            continue
        model: type[BaseModel] | None = Settings
        parts = name[len("SIGNAGE_"):].lower().split("__")
        keyed = False  # the previous part was a mapping: this part is one of its keys
        for part in parts:
            if keyed:
                keyed = False
                continue
            if model is None or part not in model.model_fields:
                bad.append(".".join(parts))
                break
            ann = model.model_fields[part].annotation
            if typing.get_origin(ann) is dict:  # e.g. notice.text.<language>.<field>
                keyed = True
                ann = typing.get_args(ann)[1]
            model = ann if isinstance(ann, type) and issubclass(ann, BaseModel) else None
    return bad


def load_settings(config_file: str | os.PathLike[str] | None = None, **overrides: Any) -> Settings:
    """Build Settings from (in priority order) overrides, env, .env and the TOML file.

    The TOML file is ``config_file`` or else ``$SIGNAGE_CONFIG``; a named file that
    does not exist is an error. Raises ConfigError with every problem listed.
    """
    path = config_file or os.environ.get("SIGNAGE_CONFIG")
    origin = "environment"
    if path:
        p = Path(path)
        try:
            found = p.is_file()
        except (OSError, ValueError) as exc:  # a name too long, a NUL byte
            raise ConfigError(f"config file {str(p)[:80]}...: cannot be used ({getattr(exc, 'strerror', None) or exc})") from None
        if not found:
            raise ConfigError(f"config file {p}: not found")
        origin = f"config file {p} and environment"
        try:
            import tomllib

            text = p.read_bytes().decode("utf-8")  # as the TOML source reads it: a lone CR stays one
            file_lines = toml_lines(text)
            tomllib.loads(text)
        except (OSError, UnicodeDecodeError, ValueError) as exc:
            raise ConfigError(f"config file {p}: not valid TOML: {exc}") from exc
        _CONFIG_FILE["path"] = p
    else:
        _CONFIG_FILE["path"] = None
        file_lines = {}
    unknown = _unknown_env_keys(os.environ)
    if unknown:
        raise ConfigError(
            "invalid configuration (environment):\n"
            + "\n".join(f"  {k}: unknown key (from SIGNAGE_{k.upper().replace('.', '__')})" for k in unknown)
        )
    try:
        # SIGNAGE_CONFIG names the file; it is not itself a setting.
        env_backup = os.environ.pop("SIGNAGE_CONFIG", None)
        try:
            return Settings(**overrides)
        finally:
            if env_backup is not None:
                os.environ["SIGNAGE_CONFIG"] = env_backup
    except ValidationError as exc:
        raise ConfigError(_format_errors(exc, origin, file_lines)) from None
    except SettingsError as exc:
        raise ConfigError(_env_decoding_error(exc, os.environ)) from None
    finally:
        _CONFIG_FILE["path"] = None


def _leaf(parts: list[str]) -> Any:
    """The annotation of the setting at this key path (None if there is none)."""
    model: Any = Settings
    ann: Any = None
    keyed = False
    for part in parts:
        if keyed:
            keyed = False
            continue
        if not (isinstance(model, type) and issubclass(model, BaseModel)) or part not in model.model_fields:
            return None
        ann = model.model_fields[part].annotation
        if typing.get_origin(ann) is dict:
            keyed = True
            ann = typing.get_args(ann)[1]
        model = ann
    return ann


def _env_decoding_error(exc: SettingsError, environ: Mapping[str, str]) -> str:
    """pydantic-settings' "error parsing value for field ..." turned into the variables and why."""
    import json

    lines = []
    for name, value in sorted(environ.items()):
        if not name.upper().startswith("SIGNAGE_") or name.upper() == "SIGNAGE_CONFIG":
            continue
        parts = name[len("SIGNAGE_"):].lower().split("__")
        ann = _leaf(parts)
        scalar = ann in (str, int, float, bool) or typing.get_origin(ann) is Literal
        if ann is None or scalar:
            continue
        try:
            json.loads(value)
        except ValueError:
            form = "a list: a,b or JSON like [\"a\", \"b\"]" if _list_of_scalars(ann) else "JSON"
            lines.append(f"  {'.'.join(parts)}: {value[:60]!r} is not {form} (from {name})")
    if not lines:
        lines.append(f"  {exc} (check the SIGNAGE_ variables that hold lists or tables)")
    return "invalid configuration (environment):\n" + "\n".join(lines)
