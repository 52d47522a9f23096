"""``open_source``: the frame source a command-line spec or ``camera.source`` names."""

from __future__ import annotations

from pathlib import Path

from signage.config import CameraConfig, picamera2_number
from signage.sensing.sources.base import FrameSource, SourceError
from signage.sensing.sources.camera import CameraSource
from signage.sensing.sources.picamera import Picamera2Source
from signage.sensing.sources.stills import IMAGE_EXTENSIONS, FolderSource, ImageSource
from signage.sensing.sources.video import VideoFileSource


def open_source(
    spec: str,
    *,
    realtime_video: bool = False,
    loop_video: bool = False,
    camera: CameraConfig | None = None,
) -> FrameSource:
    """The source a command-line spec names.

    All digits: that camera index. "picamera2" or "picamera2:N": a Raspberry Pi camera
    module through picamera2. An existing folder: its images. An existing image
    file (jpg, jpeg, png, bmp, webp): that image. Any other existing file: a video.
    An existing character device (/dev/video0): a camera. Anything with "://": a
    stream URL, opened as a camera. Camera settings other than the source come from
    ``camera`` (defaults when None). Raises SourceError when nothing matches or a
    file cannot be decoded.
    """
    cfg = camera or CameraConfig()
    if spec.isdigit():
        return CameraSource(cfg.model_copy(update={"source": int(spec)}))
    if picamera2_number(spec) is not None:
        return Picamera2Source(cfg.model_copy(update={"source": spec}))
    path = Path(spec)
    if path.is_dir():
        return FolderSource(path)
    if path.is_file():
        if path.suffix.lower() in IMAGE_EXTENSIONS:
            return ImageSource(path)
        return VideoFileSource(path, realtime=realtime_video, loop=loop_video)
    if path.is_char_device() or "://" in spec:
        return CameraSource(cfg.model_copy(update={"source": spec}))
    raise SourceError(
        f"source not found: {spec} (expected a camera index, picamera2[:N], image, folder, video file or stream URL)"
    )
