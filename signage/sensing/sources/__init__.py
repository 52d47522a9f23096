"""Frame sources: a still image, a folder of images, a video file, a live camera (OpenCV,
or a Raspberry Pi camera module through picamera2).

Every source hands out ``Frame`` objects (BGR pixels in RAM) through ``read()`` and
nothing else: no source writes a frame anywhere. Streams that run in real time (a
camera, or a video file played at its own pace) capture on a background thread into
a one-slot mailbox that keeps only the newest frame: a consumer slower than the
capture gets the latest picture, never a backlog, and the frames it missed are
counted in ``stats.dropped``.

A camera never raises out of ``read()``: it reconnects on its own in the
background (exponential backoff) and ``read()`` simply returns None while it has
no picture. State changes are logged once each; nothing is logged per frame.

The package: ``base.py`` (the interface, stats, errors), ``mailbox.py`` (the newest-frame
hand-over), one module per kind (``stills.py``, ``video.py``, ``camera.py``, ``picamera.py``)
and ``factory.py`` (``open_source``). Every source logs as ``signage.sensing.sources``.
"""

from signage.sensing.sources.base import FrameSource, SourceError, SourceStats
from signage.sensing.sources.camera import CameraSource
from signage.sensing.sources.factory import open_source
from signage.sensing.sources.picamera import PICAMERA2_MISSING, Picamera2Source
from signage.sensing.sources.stills import IMAGE_EXTENSIONS, FolderSource, ImageSource
from signage.sensing.sources.video import VideoFileSource

__all__ = [
    "IMAGE_EXTENSIONS",
    "PICAMERA2_MISSING",
    "CameraSource",
    "FolderSource",
    "FrameSource",
    "ImageSource",
    "Picamera2Source",
    "SourceError",
    "SourceStats",
    "VideoFileSource",
    "open_source",
]
