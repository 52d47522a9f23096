"""A Raspberry Pi camera module as a frame source (``Picamera2Source``), read through picamera2
(imported only when such a camera is asked for); everything else is ``CameraSource``'s."""

from __future__ import annotations

import logging
import os

import numpy as np

from signage.config import CameraConfig, picamera2_number
from signage.sensing.sources.base import SourceError, log
from signage.sensing.sources.camera import Capture, CameraSource

PICAMERA2_MISSING = (
    "picamera2 is not importable: on Raspberry Pi OS install python3-picamera2 and make the venv "
    "with --system-site-packages (kiosk/install.sh does)"
)


def _import_picamera2():
    """The picamera2 module, imported only when a Raspberry Pi camera is asked for."""
    # libcamera logs each open and configure on stderr, and picamera2 logs a failed open as an
    # error: a camera retried with backoff would repeat them. The source reports each state
    # change once itself, with the reason. (LIBCAMERA_LOG_LEVELS set by the operator wins.)
    os.environ.setdefault("LIBCAMERA_LOG_LEVELS", "*:WARN")
    picam_log = logging.getLogger("picamera2")
    if picam_log.level == logging.NOTSET:
        picam_log.setLevel(logging.CRITICAL)
    try:
        import picamera2
    except ImportError as exc:
        reason = "" if exc.name == "picamera2" else f" (importing it failed: {exc})"
        raise SourceError(PICAMERA2_MISSING + reason) from None
    except Exception as exc:  # a broken install: say what broke, without a traceback
        raise SourceError(f"picamera2 cannot be imported: {type(exc).__name__}: {exc}") from None
    return picamera2


class _Picamera2Capture:
    """A started Picamera2 behind the two calls CameraSource's reader thread makes."""

    def __init__(self, camera, wait_s: float) -> None:
        self._camera = camera
        self._wait_s = wait_s

    def read(self) -> tuple[bool, np.ndarray | None]:
        # wait: newer picamera2 raise TimeoutError after that long; older ones wait on, and
        # the supervisor's stall check reconnects anyway.
        return True, self._camera.capture_array("main", wait=self._wait_s)

    def release(self) -> None:
        try:
            self._camera.close()  # stops the camera first
        except Exception as exc:  # noqa: BLE001 - the next open says if the camera is stuck
            log.debug("picamera2: close failed: %s", exc)


class Picamera2Source(CameraSource):
    """A Raspberry Pi camera module (CSI ribbon), read through picamera2; OpenCV cannot.

    ``cfg.source`` is "picamera2" (the first camera) or "picamera2:N" (camera number N, as
    ``rpicam-hello --list-cameras`` numbers them). picamera2 comes with Raspberry Pi OS
    (apt: python3-picamera2, not PyPI) and is imported when such a source is made; a venv
    sees it when created with --system-site-packages. Without it, SourceError says so.

    The camera is given a video configuration whose main stream is "RGB888" at cfg.width x
    cfg.height and cfg.fps. picamera2 (like libcamera and DRM) names a format by the pixel
    as a word, most significant byte first, so "RGB888" is B, G, R in memory: the BGR
    layout OpenCV and the analyzer expect, handed on unconverted ("BGR888" would be RGB).
    Everything else is CameraSource's: the reader thread calls capture_array() in a loop
    into the newest-frame mailbox; a failed or stalled capture closes the camera, which is
    reopened with backoff; state changes are logged once.
    """

    library = "picamera2"
    BUFFERS = 4  # enough to keep the sensor streaming while one frame is being copied out

    def __init__(self, cfg: CameraConfig) -> None:
        number = picamera2_number(cfg.source)
        if number is None:
            raise SourceError(f"not a picamera2 source: {cfg.source!r} (picamera2 or picamera2:N)")
        self.number = number
        self._picamera2 = _import_picamera2()
        super().__init__(cfg)

    def _connect(self) -> tuple[Capture, str]:
        picamera2 = self._picamera2.Picamera2
        cameras = picamera2.global_camera_info()
        if self.number >= len(cameras):
            raise SourceError(
                f"cannot open: no camera number {self.number}, libcamera sees {len(cameras)} "
                "(check the ribbon cable; rpicam-hello --list-cameras)"
            )
        camera = picamera2(self.number)
        capture = _Picamera2Capture(camera, self.cfg.stall_timeout_s)
        try:
            frame_us = round(1e6 / self.cfg.fps)
            camera.configure(camera.create_video_configuration(
                main={"size": (self.cfg.width, self.cfg.height), "format": "RGB888"},
                controls={"FrameDurationLimits": (frame_us, frame_us)},
                buffer_count=self.BUFFERS,
            ))  # fmt: skip
            camera.start()
            w, h = camera.camera_configuration()["main"]["size"]
        except BaseException:
            capture.release()
            raise
        model = cameras[self.number].get("Model", "camera")
        return capture, f"{w}x{h} RGB888 (BGR in memory), {self.cfg.fps:g} fps, {model} via picamera2"
