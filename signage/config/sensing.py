"""[camera] and [sensing]: the camera and what is measured from it (docs/sensing.md, docs/camera.md)."""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator

from signage.config.base import Strict, picamera2_number
from signage import polygons


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
    # While faces are followed and nothing has moved in the view outside them since its last
    # run (signage/sensing/activity.py), the detector looks for newcomers only this often
    # (never more often than interval_s): a detector pass costs about two landmark passes.
    busy_interval_s: float = Field(0.6, ge=0.0, le=5.0)
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
    # Eyes down (at a phone) or closed: the gaze is the head's pitch plus the eyes' pitch in the
    # head, estimated from the upper eyelids. While that is no more than looking_iris_below_deg
    # below the camera's line (after camera_pitch_offset_deg) the face is looking; below it, the
    # irises are measured too, and the face is not looking when the mean of the two estimates is
    # more than looking_max_gaze_down_deg below the line. GENKI-4K (people looking at the camera):
    # the lids' estimate spreads 8.5 deg (sd), the mean of both 6.2 deg; bench/pose.py sweeps both
    # settings (docs/pose.md).
    looking_iris_below_deg: float = Field(15.0, ge=0, le=90)
    looking_max_gaze_down_deg: float = Field(20.0, gt=0, le=90)
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


MAX_ZONES = 16
MAX_ZONE_POINTS = 32


class ZoneConfig(Strict):
    """An exclusion zone (signage/sensing/zones.py, docs/privacy.md): a polygon in normalised
    frame coordinates (x, y from 0 to 1: left to right, top to bottom) where faces are dropped
    before any measurement, e.g. {name = "till", points = [[0.7, 0.5], [1, 0.5], [1, 1], [0.7, 1]]}."""

    name: str = Field(min_length=1, max_length=40)
    points: list[tuple[float, float]] = Field(min_length=3, max_length=MAX_ZONE_POINTS)

    @field_validator("points", mode="before")
    @classmethod
    def _enough(cls, v: object) -> object:
        if isinstance(v, (list, tuple)) and len(v) < 3:
            raise ValueError(f"a zone is a polygon of at least 3 points, got {len(v)}")
        return v

    @field_validator("points")
    @classmethod
    def _polygon(cls, v: list[tuple[float, float]]) -> list[tuple[float, float]]:
        for i, (x, y) in enumerate(v):
            if not (0.0 <= x <= 1.0 and 0.0 <= y <= 1.0):
                raise ValueError(f"point {i} [{x:g}, {y:g}] is outside the frame: x and y are fractions of "
                                 "the frame's width and height, from 0 to 1")
        if len(set(v)) < len(v):
            raise ValueError("a point is given twice: each corner once")
        crossing = polygons.crossing_edges(v)
        if crossing is not None:
            i, j = crossing
            n = len(v)
            raise ValueError(f"the polygon crosses itself: the edge from point {i} to point {(i + 1) % n} meets the "
                             f"edge from point {j} to point {(j + 1) % n}; give the corners in order around the zone")
        if abs(polygons.area(v)) < 1e-6:
            raise ValueError("the zone has no area")
        return v


class SensingConfig(Strict):
    # "off": smile and surprise are never computed (the classifier is not even loaded); faces
    # are still counted and their looking measured. For a camera that sees staff at work
    # (docs/privacy.md, "Staff in view"); the kiosk installer sets it.
    expressions: Literal["on", "off"] = "on"
    # Exclusion zones (the till, a staff area): faces whose box centre is inside one are dropped
    # before any measurement (docs/privacy.md). Set them with `signage sense SOURCE --zones`.
    zones: list[ZoneConfig] = Field(default_factory=list, max_length=MAX_ZONES)
    detector: DetectorConfig = DetectorConfig()
    landmarks: LandmarksConfig = LandmarksConfig()
    expression: ExpressionConfig = ExpressionConfig()
    tracker: TrackerConfig = TrackerConfig()
    audience: AudienceConfig = AudienceConfig()

    @field_validator("zones")
    @classmethod
    def _names(cls, v: list[ZoneConfig]) -> list[ZoneConfig]:
        names = [z.name for z in v]
        twice = sorted({n for n in names if names.count(n) > 1})
        if twice:
            raise ValueError(f"zone name {twice[0]!r} is used twice: each zone has its own name")
        return v
